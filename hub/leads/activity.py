"""Notes, follow-ups and assignment history of leads, as each organization may see them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from hub import validation
from hub.db import grouped_by
from hub.errors import NotFound
from hub.leads import assign
from hub.leads.rules import LeadEventType
from hub.leads.service import load_visible, require_holder
from hub.partners.directory import channel_of
from hub.roles import OrganizationKind, Principal
from hub.runtime import Hub
from storage.models import LeadActivity, LeadAssignment, LeadNote, Organization


async def add_note(hub: Hub, *, principal: Principal, lead_id: str, body: str) -> LeadNote:
    """Add a note to a lead the caller may see."""
    body = validation.text(body, field="body", max_length=10_000)
    async with hub.write() as session:
        lead = await load_visible(session, principal, lead_id, for_update=True)
        note = LeadNote(
            lead_id=lead.id,
            author_id=principal.user_id,
            organization_id=principal.organization_id,
            body=body,
            created_at=hub.clock.now(),
        )
        session.add(note)
        await session.flush()
        await assign.emit(
            hub,
            session,
            lead,
            LeadEventType.LEAD_NOTE_ADDED,
            assign.audience(lead),
            {"noteId": note.id},
        )
    return note


async def add_follow_up(
    hub: Hub, *, principal: Principal, lead_id: str, title: str, due_at: datetime
) -> LeadActivity:
    """Plan a follow-up on a lead."""
    title = validation.text(title, field="title", max_length=300)
    async with hub.write() as session:
        lead = await load_visible(session, principal, lead_id)
        require_holder(principal, lead)
        activity = LeadActivity(
            lead_id=lead.id,
            author_id=principal.user_id,
            organization_id=principal.organization_id,
            title=title,
            due_at=due_at,
            created_at=hub.clock.now(),
        )
        session.add(activity)
    return activity


async def complete_follow_up(hub: Hub, *, principal: Principal, follow_up_id: str) -> LeadActivity:
    """Mark a follow-up done."""
    async with hub.write() as session:
        activity = await session.get(LeadActivity, follow_up_id, with_for_update=True)
        mine = activity is not None and (
            principal.is_vendor_staff or activity.organization_id == principal.organization_id
        )
        if activity is None or not mine:
            raise NotFound("no such follow-up", field="id")
        await load_visible(session, principal, activity.lead_id)
        if activity.done_at is None:
            activity.done_at = hub.clock.now()
    return activity


async def notes_by_lead(
    hub: Hub, *, principal: Principal, ids: Sequence[str]
) -> list[list[LeadNote]]:
    """Notes of each lead: a partner sees its own organization's notes and the vendor's."""
    statement = (
        select(LeadNote).where(LeadNote.lead_id.in_(ids)).order_by(LeadNote.created_at, LeadNote.id)
    )
    if not principal.is_vendor:
        mine = channel_of(principal.organization_id)
        statement = statement.where(
            or_(LeadNote.organization_id.in_(mine), LeadNote.organization_id == _vendor_org())
        )
    async with hub.read() as session:
        return grouped_by(
            (await session.execute(statement)).scalars(), ids, lambda row: row.lead_id
        )


async def follow_ups_by_lead(
    hub: Hub, *, principal: Principal, ids: Sequence[str]
) -> list[list[LeadActivity]]:
    """Follow-ups of each lead, by due date: a partner sees its own organization's."""
    statement = (
        select(LeadActivity)
        .where(LeadActivity.lead_id.in_(ids))
        .order_by(LeadActivity.due_at, LeadActivity.id)
    )
    if not principal.is_vendor:
        statement = statement.where(
            LeadActivity.organization_id.in_(channel_of(principal.organization_id))
        )
    async with hub.read() as session:
        return grouped_by(
            (await session.execute(statement)).scalars(), ids, lambda row: row.lead_id
        )


async def assignments_by_lead(
    hub: Hub, *, principal: Principal, ids: Sequence[str]
) -> list[list[LeadAssignment]]:
    """Assignment history of each lead: a partner sees only its own offers."""
    statement = (
        select(LeadAssignment).where(LeadAssignment.lead_id.in_(ids)).order_by(LeadAssignment.id)
    )
    if not principal.is_vendor:
        statement = statement.where(
            LeadAssignment.partner_id.in_(channel_of(principal.organization_id))
        )
    async with hub.read() as session:
        return grouped_by(
            (await session.execute(statement)).scalars(), ids, lambda row: row.lead_id
        )


def _vendor_org() -> Any:
    return (
        select(Organization.id)
        .where(Organization.kind == OrganizationKind.VENDOR)
        .scalar_subquery()
    )
