"""Lead operations: create, route, assign, accept, decline, move along, notes and follow-ups."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import product_lines, sources, validation
from hub.db import distinct, in_key_order
from hub.errors import BadInput, Conflict, Forbidden, NotFound
from hub.forecast import opportunities
from hub.forecast.rules import OpportunityStatus
from hub.leads import assign, policy, snapshot, sourcing, upsert
from hub.leads.rules import (
    RECYCLABLE,
    ROUTABLE,
    DeclineReason,
    LeadEventType,
    LeadInput,
    LeadStatus,
    Outcome,
    check_lead,
    check_pipeline_move,
)
from hub.pagination import Page, PageRequest, keyset_page
from hub.partners.directory import InChannel
from hub.roles import Principal, require_vendor_staff
from hub.runtime import Hub
from storage.models import Lead, Partner


@dataclass(frozen=True)
class LeadFilter:
    statuses: Sequence[LeadStatus] = ()
    partner_id: str | None = None
    product_line: str | None = None
    country: str | None = None
    search: str | None = None


def visible(principal: Principal, statement: Select[tuple[Lead]]) -> Select[tuple[Lead]]:
    """Vendor-side accounts see every lead; a partner those offered to or owned by it, and a
    distributor also its sub-resellers' (read-only)."""
    if principal.is_vendor:
        return statement
    return statement.where(InChannel(Lead.partner_id, principal.organization_id))


async def load_visible(
    session: AsyncSession, principal: Principal, lead_id: str, *, for_update: bool = False
) -> Lead:
    """Load a lead the caller may see; `for_update` locks it to change it, which only the
    partner holding the lead (or vendor staff) may."""
    statement = visible(principal, select(Lead)).where(Lead.id == lead_id)
    if for_update:
        statement = statement.with_for_update()
    lead = (await session.execute(statement)).scalar_one_or_none()
    if lead is None:
        raise NotFound("no such lead", field="id")
    if for_update:
        require_holder(principal, lead)
    return lead


def require_holder(principal: Principal, lead: Lead) -> None:
    """Refuse a partner acting on a lead it only sees as its sub-reseller's distributor."""
    if principal.is_partner and lead.partner_id != principal.organization_id:
        raise Forbidden(
            "a distributor sees its sub-resellers' leads read-only; the sub-reseller the lead "
            "is with accepts, declines and works it",
            field="id",
        )


async def create(
    hub: Hub,
    *,
    principal: Principal,
    data: LeadInput,
    route_now: bool = True,
    rng: random.Random | None = None,
) -> Lead:
    """Create a lead (vendor staff) and route it at once unless told not to."""
    require_vendor_staff(principal)
    checked = check_lead(data)
    now = hub.clock.now()
    async with hub.write() as session:
        await product_lines.require(session, [checked.product_line], field="productLine")
        if checked.external_id is not None:
            await snapshot.CUSTOMERS.take(session, upsert.lock_keys(checked))
            await upsert.require_new_external_id(session, checked.external_id)
        lead = upsert.new_lead(checked, principal, now)
        session.add(lead)
        await session.flush()
        await sourcing.name(
            session,
            principal,
            sources.Target(lead_id=lead.id),
            sourcing.Named.at_creation(data.fund_request_id, data.campaign_id),
            now=now,
        )
        if route_now:
            await (await assign.router(hub, session, now)).offer(
                lead, by=principal.user_id, rng=rng
            )
    return lead


async def attribute(hub: Hub, *, principal: Principal, lead_id: str, named: sourcing.Named) -> Lead:
    """Name the funded activity a lead came from, or clear it with None (vendor staff, or
    the partner holding the lead naming one of its channel's requests)."""
    async with hub.write() as session:
        lead = await load_visible(session, principal, lead_id, for_update=True)
        now = hub.clock.now()
        await sourcing.name(session, principal, sources.Target(lead_id=lead.id), named, now=now)
    return lead


async def route_lead(
    hub: Hub, *, principal: Principal, lead_id: str, rng: random.Random | None = None
) -> Lead:
    """Route a NEW, RECYCLED or UNASSIGNABLE lead again (vendor staff)."""
    require_vendor_staff(principal)
    async with hub.write() as session:
        lead = await load_visible(session, principal, lead_id, for_update=True)
        if lead.status not in ROUTABLE:
            raise BadInput(_why_not(LeadStatus(lead.status), "route"), field="id")
        await (await assign.router(hub, session)).offer(lead, by=principal.user_id, rng=rng)
    return lead


async def assign_to(hub: Hub, *, principal: Principal, lead_id: str, partner_id: str) -> Lead:
    """Offer a lead to a partner chosen by a channel manager, never against channel conflict."""
    require_vendor_staff(principal)
    async with hub.write() as session:
        lead = await load_visible(session, principal, lead_id, for_update=True)
        if lead.status not in ROUTABLE and lead.status != LeadStatus.OFFERED:
            raise BadInput(f"a {lead.status} lead cannot be reassigned", field="id")
        partner = await session.get(Partner, partner_id)
        if partner is None or partner.status != "ACTIVE":
            raise BadInput("assign leads to ACTIVE partners only", field="partnerId")
        owner = await snapshot.customer_owner(
            session,
            customer_key=lead.customer_key,
            email_domain=lead.email_domain,
            now=hub.clock.now(),
            exclude_lead=lead.id,
        )
        if owner is not None and owner[0] != partner_id:
            raise Conflict(
                f"the customer is owned by another partner through {owner[1]} {owner[2]}",
                field="partnerId",
            )
        if lead.status == LeadStatus.OFFERED and lead.partner_id:
            await assign.close_offer(
                hub, session, lead, Outcome.WITHDRAWN, "reassigned by a channel manager"
            )
            await assign.emit(
                hub,
                session,
                lead,
                LeadEventType.LEAD_EXPIRED,
                [lead.partner_id],
                {"reason": "WITHDRAWN"},
            )
        settings = await policy.load(session)
        await assign.offer(
            hub, session, lead, partner_id, rule="MANUAL", by=principal.user_id, settings=settings
        )
    return lead


async def recycle(hub: Hub, *, principal: Principal, lead_id: str, reason: str) -> Lead:
    """Take a lead back into the pool for routing again (vendor staff)."""
    require_vendor_staff(principal)
    reason = validation.text(reason, field="reason", max_length=2000)
    async with hub.write() as session:
        lead = await load_visible(session, principal, lead_id, for_update=True)
        if lead.status not in RECYCLABLE:
            raise BadInput(_why_not(LeadStatus(lead.status), "recycle"), field="id")
        previous = lead.partner_id
        await opportunities.close_for_lead(
            hub, session, lead, OpportunityStatus.WITHDRAWN, reason, principal.user_id
        )
        lead.status = LeadStatus.RECYCLED
        lead.partner_id = None
        lead.offer_expires_at = None
        assign.touch(hub, lead)
        await assign.emit(
            hub,
            session,
            lead,
            LeadEventType.LEAD_STATUS_CHANGED,
            [previous] if previous else [],
            {"reason": reason},
        )
    return lead


async def accept(hub: Hub, *, principal: Principal, lead_id: str) -> Lead:
    """Accept a lead offered to the caller's organization before its deadline."""
    _require_partner(principal)
    async with hub.write() as session:
        lead = await load_visible(session, principal, lead_id, for_update=True)
        _require_offered(lead, hub.clock.now())
        lead.status = LeadStatus.ACCEPTED
        lead.offer_expires_at = None
        assign.touch(hub, lead)
        await assign.close_offer(hub, session, lead, Outcome.ACCEPTED)
        await assign.emit(
            hub, session, lead, LeadEventType.LEAD_ACCEPTED, [principal.organization_id]
        )
        await opportunities.open_for_lead(hub, session, lead, principal.user_id)
    return lead


async def decline(
    hub: Hub,
    *,
    principal: Principal,
    lead_id: str,
    reason: DeclineReason,
    note: str | None,
    rng: random.Random | None = None,
) -> None:
    """Decline an offered lead; it is routed to the next candidate at once."""
    _require_partner(principal)
    note = validation.optional_text(note, field="note", max_length=2000)
    async with hub.write() as session:
        lead = await load_visible(session, principal, lead_id, for_update=True)
        _require_offered(lead, hub.clock.now())
        await assign.close_offer(
            hub, session, lead, Outcome.DECLINED, f"{reason}: {note}" if note else reason
        )
        await assign.emit(
            hub,
            session,
            lead,
            LeadEventType.LEAD_DECLINED,
            [principal.organization_id],
            {"reason": reason},
        )
        lead.partner_id = None
        await (await assign.router(hub, session)).offer(lead, by=None, rng=rng)


async def move(
    hub: Hub,
    *,
    principal: Principal,
    lead_id: str,
    status: LeadStatus,
    reason: str | None,
    expected_version: int | None,
) -> Lead:
    """Move an accepted lead along the pipeline: CONTACTED, QUALIFIED, WON or LOST."""
    async with hub.write() as session:
        lead = await load_visible(session, principal, lead_id, for_update=True)
        if not (principal.is_partner or principal.is_vendor_staff):
            raise Forbidden("only the owning partner or vendor staff may move a lead")
        if expected_version is not None and expected_version != lead.version:
            raise Conflict(
                f"the lead changed meanwhile (version {lead.version}); reload it",
                field="expectedVersion",
            )
        check_pipeline_move(LeadStatus(lead.status), status, reason)
        lead.status = status
        if status is LeadStatus.LOST:
            lead.lost_reason = reason.strip() if reason else None
        assign.touch(hub, lead)
        await assign.emit(
            hub,
            session,
            lead,
            LeadEventType.LEAD_STATUS_CHANGED,
            assign.audience(lead),
            {"reason": reason},
        )
        if status in (LeadStatus.WON, LeadStatus.LOST):
            await opportunities.close_for_lead(
                hub,
                session,
                lead,
                OpportunityStatus(status.value),
                lead.lost_reason,
                principal.user_id,
            )
    return lead


async def get(hub: Hub, *, principal: Principal, lead_id: str) -> Lead:
    async with hub.read() as session:
        return await load_visible(session, principal, lead_id)


async def by_ids(hub: Hub, *, principal: Principal, ids: Sequence[str]) -> list[Lead | None]:
    async with hub.read() as session:
        rows = (
            await session.execute(visible(principal, select(Lead)).where(Lead.id.in_(ids)))
        ).scalars()
        return in_key_order(rows, ids)


async def list_leads(
    hub: Hub, *, principal: Principal, filter: LeadFilter, page: PageRequest
) -> Page[Lead]:
    """Leads the caller may see, newest first."""
    statement = visible(principal, select(Lead))
    if filter.statuses:
        statement = statement.where(
            Lead.status.in_(distinct(status.value for status in filter.statuses))
        )
    if filter.partner_id:
        statement = statement.where(Lead.partner_id == filter.partner_id)
    if filter.product_line:
        line = validation.product_line(filter.product_line, field="filter.productLine")
        statement = statement.where(Lead.product_line == line)
    if filter.country:
        country = validation.country(filter.country, field="filter.country")
        statement = statement.where(Lead.country == country)
    search = validation.filter_text(filter.search, field="filter.search")
    if search:
        term = search.lower()
        statement = statement.where(
            func.lower(Lead.customer_company).contains(term, autoescape=True)
        )
    async with hub.read() as session:
        return await keyset_page(
            session, statement, page, key=(Lead.created_at, Lead.id), descending=True
        )


def _why_not(status: LeadStatus, verb: str) -> str:
    """Why a lead in this status cannot be routed or recycled, and what to do instead."""
    if status is LeadStatus.OFFERED:
        return (
            "the lead is offered to a partner and waits for its answer; reassign it with "
            "assignLead, or let the offer run out and it is routed again"
        )
    if status is LeadStatus.QUALIFIED:
        return "a QUALIFIED lead stays with its partner until it is WON or LOST"
    if status is LeadStatus.WON:
        return "a WON lead is closed"
    if verb == "route":
        return f"the lead is {status} with its partner; recycle it (recycleLead), then route it"
    return f"the lead is {status} and not with any partner; route it with routeLead"


def _require_partner(principal: Principal) -> None:
    if not principal.is_partner:
        raise Forbidden("only partner users accept or decline leads")


def _require_offered(lead: Lead, now: datetime) -> None:
    if lead.status != LeadStatus.OFFERED:
        raise Conflict(f"the lead is {lead.status}, not OFFERED", field="id")
    if lead.offer_expires_at is not None and lead.offer_expires_at <= now:
        raise Conflict("the offer expired; the lead goes to another partner", field="id")


async def get_or_none(hub: Hub, *, principal: Principal, lead_id: str) -> Lead | None:
    """The lead as the caller may see it now, or None."""
    async with hub.read() as session:
        statement = visible(principal, select(Lead)).where(Lead.id == lead_id)
        return (await session.execute(statement)).scalar_one_or_none()
