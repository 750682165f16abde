"""Opportunities: a lead a partner accepted, or a deal registration the vendor approved,
moving through the vendor's stages until it is won or lost.

An opportunity opens in the first stage in the transaction that accepts the lead or approves
the registration, and a lead's opportunity closes when the lead is moved to WON or LOST (or
is withdrawn when the lead is recycled). Every change is kept as an OpportunityChange and
told as a lead event (topic "lead") to the partner, its distributor and vendor staff.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import events, validation
from hub.db import LockSpace, distinct
from hub.errors import BadInput, Conflict, Forbidden, NotFound
from hub.forecast import rules
from hub.forecast.rules import (
    DEFAULT_STAGES,
    ChangeKind,
    OpportunityChanges,
    OpportunityStatus,
    StageInput,
)
from hub.incentives import accrual
from hub.leads.rules import TOPIC, LeadEventType, currency
from hub.pagination import Page, PageRequest, keyset_page
from hub.partners import directory
from hub.partners.directory import InChannel
from hub.roles import Principal, require_vendor_admin
from hub.runtime import Hub
from storage.models import DealRegistration, Lead
from storage.models.forecast import Opportunity, OpportunityChange, OpportunityStage

Selected = TypeVar("Selected", bound=Select[Any])

# Replacing the stages holds this key; opening or moving an opportunity shares it.
STAGES = LockSpace(0x5354)
STAGES_KEY = "opportunity-stages"


@dataclass(frozen=True)
class Stage:
    key: str
    name: str
    position: int
    probability_percent: int


@dataclass(frozen=True)
class OpportunityFilter:
    statuses: Sequence[OpportunityStatus] = ()
    stages: Sequence[str] = ()
    partner_id: str | None = None
    lead_id: str | None = None
    deal_registration_id: str | None = None
    closing_from: date | None = None
    closing_to: date | None = None


async def stages(session: AsyncSession) -> list[Stage]:
    """The vendor's stages in order (the default ones until it sets its own)."""
    rows = (
        await session.execute(select(OpportunityStage).order_by(OpportunityStage.position))
    ).scalars()
    found = [Stage(row.key, row.name, row.position, row.probability_percent) for row in rows]
    if found:
        return found
    return [
        Stage(item.key, item.name, index, item.probability_percent)
        for index, item in enumerate(DEFAULT_STAGES)
    ]


async def _held_stages(session: AsyncSession) -> list[Stage]:
    """The stages, which stay as they are until the transaction ends (an opportunity is moving
    into one of them)."""
    await STAGES.take(session, [STAGES_KEY], shared=True)
    return await stages(session)


async def list_stages(hub: Hub, *, principal: Principal) -> list[Stage]:
    async with hub.read() as session:
        return await stages(session)


async def set_stages(
    hub: Hub, *, principal: Principal, stages_in: Sequence[StageInput]
) -> list[Stage]:
    """Replace the vendor's stages (vendor admins); a stage open opportunities are in stays."""
    require_vendor_admin(principal)
    checked = rules.checked_stages(stages_in)
    now = hub.clock.now()
    async with hub.write() as session:
        # Two admins replacing the stages queue up here, and so do the moves into a stage.
        await STAGES.take(session, [STAGES_KEY])
        kept = {stage.key for stage in checked}
        in_use = (
            await session.execute(
                select(Opportunity.stage, func.count())
                .where(Opportunity.status == OpportunityStatus.OPEN)
                .group_by(Opportunity.stage)
            )
        ).all()
        dropped = sorted((stage, count) for stage, count in in_use if stage not in kept)
        if dropped:
            named = ", ".join(f"{stage} ({count})" for stage, count in dropped)
            raise Conflict(
                f"open opportunities are in stages you left out: {named}; keep those stages "
                "or move the opportunities to another stage first",
                field="stages",
            )
        await session.execute(delete(OpportunityStage))
        session.add_all(
            OpportunityStage(
                key=stage.key,
                name=stage.name,
                position=index,
                probability_percent=stage.probability_percent,
                updated_at=now,
            )
            for index, stage in enumerate(checked)
        )
        await session.flush()
        return await stages(session)


async def open_for_lead(hub: Hub, session: AsyncSession, lead: Lead, by: str | None) -> None:
    """Open the opportunity of a lead its partner just accepted."""
    assert lead.partner_id is not None
    await _open(
        hub,
        session,
        Opportunity(
            partner_id=lead.partner_id,
            lead_id=lead.id,
            customer_company=lead.customer_company,
            product_line=lead.product_line,
            amount_minor=lead.value_minor,
            currency=lead.currency,
            expected_close=lead.expected_close,
        ),
        by,
    )


async def open_for_deal(
    hub: Hub, session: AsyncSession, deal: DealRegistration, by: str | None
) -> None:
    """Open the opportunity of a registration just approved (unless an extension re-approves
    it: its opportunity is open already)."""
    existing = await session.scalar(
        select(Opportunity.id).where(
            Opportunity.deal_registration_id == deal.id,
            Opportunity.status == OpportunityStatus.OPEN,
        )
    )
    if existing is not None:
        return
    await _open(
        hub,
        session,
        Opportunity(
            partner_id=deal.partner_id,
            deal_registration_id=deal.id,
            customer_company=deal.customer_company,
            product_line=deal.product_line,
            amount_minor=deal.value_minor,
            currency=deal.currency,
            expected_close=deal.expected_close,
        ),
        by,
    )


async def close_for_lead(
    hub: Hub,
    session: AsyncSession,
    lead: Lead,
    status: OpportunityStatus,
    reason: str | None,
    by: str | None,
) -> None:
    """Close the open opportunity of a lead that was won, lost or recycled."""
    opportunity = await session.scalar(
        select(Opportunity)
        .where(Opportunity.lead_id == lead.id, Opportunity.status == OpportunityStatus.OPEN)
        .with_for_update()
    )
    if opportunity is not None:
        await _close(hub, session, opportunity, status, reason, by)


async def withdraw_for_deal(
    hub: Hub, session: AsyncSession, deal: DealRegistration, reason: str
) -> None:
    """Withdraw the open opportunity of a registration whose protection lapsed."""
    opportunity = await session.scalar(
        select(Opportunity)
        .where(
            Opportunity.deal_registration_id == deal.id,
            Opportunity.status == OpportunityStatus.OPEN,
        )
        .with_for_update()
    )
    if opportunity is not None:
        await _close(hub, session, opportunity, OpportunityStatus.WITHDRAWN, reason, None)


async def update(
    hub: Hub,
    *,
    principal: Principal,
    opportunity_id: str,
    changes: OpportunityChanges,
    expected_version: int | None,
) -> Opportunity:
    """Change an open opportunity's stage, probability, expected close or amount (the partner
    holding it, or vendor staff)."""
    today = hub.clock.now().date()
    async with hub.write() as session:
        opportunity = await _load_to_change(session, principal, opportunity_id, expected_version)
        given = changes.given
        before = opportunity.stage
        if "stage" in given:
            if changes.stage is None:
                raise BadInput("a stage is required", field="input.stage")
            opportunity.stage = await _stage_key(session, changes.stage)
        if "probability_percent" in given:
            opportunity.probability_percent = (
                None
                if changes.probability_percent is None
                else rules.probability(changes.probability_percent, "input.probabilityPercent")
            )
        if "expected_close" in given:
            opportunity.expected_close = (
                None
                if changes.expected_close is None
                else rules.expected_close(
                    changes.expected_close, today, field="input.expectedClose"
                )
            )
        if "amount_minor" in given:
            if changes.amount_minor is None or changes.currency is None:
                raise BadInput("an amount needs amountMinor and currency", field="input.amount")
            opportunity.amount_minor = rules.amount(
                changes.amount_minor, field="input.amount.amountMinor"
            )
            opportunity.currency = currency(changes.currency, field="input.amount.currency")
        kind = ChangeKind.STAGE if opportunity.stage != before else ChangeKind.UPDATED
        await _changed(hub, session, opportunity, kind, before, None, principal.user_id)
    return opportunity


async def close(
    hub: Hub,
    *,
    principal: Principal,
    opportunity_id: str,
    outcome: OpportunityStatus,
    reason: str | None,
) -> Opportunity:
    """Close a registration's opportunity as WON or LOST (a lead's follows its lead)."""
    if outcome not in (OpportunityStatus.WON, OpportunityStatus.LOST):
        raise BadInput("an opportunity closes as WON or LOST", field="outcome")
    note = validation.optional_text(reason, field="reason", max_length=2000)
    if outcome is OpportunityStatus.LOST and note is None:
        raise BadInput("a reason is required to close an opportunity as LOST", field="reason")
    async with hub.write() as session:
        opportunity = await _load_to_change(session, principal, opportunity_id, None)
        if opportunity.lead_id is not None:
            raise BadInput(
                "this opportunity follows its lead: move the lead to WON or LOST "
                "with updateLeadStatus",
                field="id",
            )
        await _close(hub, session, opportunity, outcome, note, principal.user_id)
    return opportunity


async def get(hub: Hub, *, principal: Principal, opportunity_id: str) -> Opportunity:
    async with hub.read() as session:
        found = await session.scalar(
            visible(principal, select(Opportunity)).where(Opportunity.id == opportunity_id)
        )
    if found is None:
        raise NotFound("no such opportunity", field="id")
    return found


async def by_ids(hub: Hub, *, principal: Principal, ids: Sequence[str]) -> list[Opportunity | None]:
    async with hub.read() as session:
        rows = (
            await session.execute(
                visible(principal, select(Opportunity)).where(Opportunity.id.in_(distinct(ids)))
            )
        ).scalars()
    found = {row.id: row for row in rows}
    return [found.get(id_) for id_ in ids]


async def newest_of(
    hub: Hub, *, principal: Principal, column: str, ids: Sequence[str]
) -> list[Opportunity | None]:
    """The newest visible opportunity of each lead (column "lead_id") or deal registration
    ("deal_registration_id"): a recycled lead may have had others before (a DataLoader's batch)."""
    source = getattr(Opportunity, column)
    async with hub.read() as session:
        rows = (
            await session.execute(
                visible(principal, select(Opportunity))
                .where(source.in_(distinct(ids)))
                .order_by(Opportunity.created_at, Opportunity.id)
            )
        ).scalars()
    newest = {getattr(row, column): row for row in rows}
    return [newest.get(id_) for id_ in ids]


async def history(
    hub: Hub, *, principal: Principal, ids: Sequence[str]
) -> list[list[OpportunityChange]]:
    """The changes of each visible opportunity, oldest first (a DataLoader's batch)."""
    readable = visible(principal, select(Opportunity.id)).where(Opportunity.id.in_(distinct(ids)))
    async with hub.read() as session:
        rows = (
            await session.execute(
                select(OpportunityChange)
                .where(OpportunityChange.opportunity_id.in_(readable.scalar_subquery()))
                .order_by(OpportunityChange.id)
            )
        ).scalars()
    by_id: dict[str, list[OpportunityChange]] = {id_: [] for id_ in ids}
    for row in rows:
        by_id[row.opportunity_id].append(row)
    return [by_id[id_] for id_ in ids]


async def list_opportunities(
    hub: Hub, *, principal: Principal, filter: OpportunityFilter, page: PageRequest
) -> Page[Opportunity]:
    """Opportunities the caller may see, newest first."""
    statement = visible(principal, select(Opportunity))
    if filter.statuses:
        statement = statement.where(
            Opportunity.status.in_(distinct(status.value for status in filter.statuses))
        )
    if filter.stages:
        keys = [rules.stage_key(key, field="filter.stages") for key in filter.stages]
        statement = statement.where(Opportunity.stage.in_(distinct(keys)))
    for column, value in [
        (Opportunity.partner_id, filter.partner_id),
        (Opportunity.lead_id, filter.lead_id),
        (Opportunity.deal_registration_id, filter.deal_registration_id),
    ]:
        if value is not None:
            statement = statement.where(column == value)
    if filter.closing_from is not None:
        statement = statement.where(Opportunity.expected_close >= filter.closing_from)
    if filter.closing_to is not None:
        statement = statement.where(Opportunity.expected_close <= filter.closing_to)
    async with hub.read() as session:
        return await keyset_page(
            session,
            statement,
            page,
            key=(Opportunity.created_at, Opportunity.id),
            descending=True,
        )


def visible(principal: Principal, statement: Selected) -> Selected:
    """Vendor-side accounts see every opportunity; a partner its own, a distributor also its
    sub-resellers' (read-only)."""
    if principal.is_vendor:
        return statement
    return statement.where(InChannel(Opportunity.partner_id, principal.organization_id))


async def _load_to_change(
    session: AsyncSession, principal: Principal, opportunity_id: str, expected_version: int | None
) -> Opportunity:
    opportunity = await session.scalar(
        visible(principal, select(Opportunity))
        .where(Opportunity.id == opportunity_id)
        .with_for_update()
    )
    if opportunity is None:
        raise NotFound("no such opportunity", field="id")
    if principal.is_partner and opportunity.partner_id != principal.organization_id:
        raise Forbidden(
            "a distributor sees its sub-resellers' opportunities read-only; the sub-reseller "
            "works them",
            field="id",
        )
    if not (principal.is_partner or principal.is_vendor_staff):
        raise Forbidden("only the partner holding it or vendor staff may change an opportunity")
    if opportunity.status != OpportunityStatus.OPEN:
        raise Conflict(f"the opportunity is {opportunity.status}, not OPEN", field="id")
    if expected_version is not None and expected_version != opportunity.version:
        raise Conflict(
            f"the opportunity changed meanwhile (version {opportunity.version}); reload it",
            field="expectedVersion",
        )
    return opportunity


async def _stage_key(session: AsyncSession, wanted: str) -> str:
    key = rules.stage_key(wanted, field="input.stage")
    known = await _held_stages(session)
    if key not in {stage.key for stage in known}:
        names = ", ".join(stage.key for stage in known)
        raise BadInput(
            f"no stage {wanted!r}; the stages are {names} (close it to win or lose it)",
            field="input.stage",
        )
    return key


async def _open(hub: Hub, session: AsyncSession, opportunity: Opportunity, by: str | None) -> None:
    now = hub.clock.now()
    first = (await _held_stages(session))[0]
    opportunity.stage = first.key
    opportunity.status = OpportunityStatus.OPEN
    opportunity.created_at = now
    opportunity.updated_at = now
    opportunity.version = 0
    session.add(opportunity)
    await session.flush()
    await _changed(hub, session, opportunity, ChangeKind.OPENED, None, None, by)


async def _close(
    hub: Hub,
    session: AsyncSession,
    opportunity: Opportunity,
    status: OpportunityStatus,
    reason: str | None,
    by: str | None,
) -> None:
    opportunity.status = status
    opportunity.closed_at = hub.clock.now()
    opportunity.close_reason = reason
    if status is OpportunityStatus.WON:
        await accrual.opportunity_won(session, opportunity, opportunity.closed_at)
    await _changed(hub, session, opportunity, ChangeKind.CLOSED, opportunity.stage, reason, by)


_EVENT = {
    ChangeKind.OPENED: LeadEventType.OPPORTUNITY_OPENED,
    ChangeKind.STAGE: LeadEventType.OPPORTUNITY_STAGE_CHANGED,
    ChangeKind.UPDATED: LeadEventType.OPPORTUNITY_UPDATED,
    ChangeKind.CLOSED: LeadEventType.OPPORTUNITY_CLOSED,
}


async def _changed(
    hub: Hub,
    session: AsyncSession,
    opportunity: Opportunity,
    kind: ChangeKind,
    from_stage: str | None,
    reason: str | None,
    by: str | None,
) -> None:
    """Record a change in the history and tell it as a lead event, in the same transaction."""
    now = hub.clock.now()
    opportunity.updated_at = now
    opportunity.version = (opportunity.version or 0) + 1
    session.add(
        OpportunityChange(
            opportunity_id=opportunity.id,
            kind=kind,
            from_stage=from_stage if kind is not ChangeKind.OPENED else None,
            stage=opportunity.stage,
            probability_percent=opportunity.probability_percent,
            amount_minor=opportunity.amount_minor,
            currency=opportunity.currency,
            expected_close=opportunity.expected_close,
            status=opportunity.status,
            reason=reason,
            changed_by_id=by,
            changed_at=now,
        )
    )
    payload: dict[str, Any] = {
        "opportunityId": opportunity.id,
        "leadId": opportunity.lead_id,
        "dealId": opportunity.deal_registration_id,
        "status": opportunity.status,
        "stage": opportunity.stage,
    }
    if kind is ChangeKind.STAGE:
        payload["fromStage"] = from_stage
    await events.append(
        session,
        topic=TOPIC,
        type=_EVENT[kind],
        subject_id=opportunity.id,
        audience=await directory.with_distributors(session, [opportunity.partner_id]),
        payload=payload,
        now=now,
    )
