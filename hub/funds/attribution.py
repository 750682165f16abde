"""Return on funded activities: leads and deal registrations name the fund request whose
activity they came from, and each request shows what came of it.

A source is an APPROVED request the naming account may see (vendor staff any, a partner its
channel's). What came of it: the attributed leads and deal registrations, the opportunities
they became that were won and their amounts in the request's currency (converted through the
reporting currency at the rates of the day each closed; an amount without a rate is left out
and its currency listed), what the activity cost (the approved claim once decided, until then
the approved amount) and the return on it: (won - spent) / spent, in basis points.

A partner sees only its channel's leads, registrations and opportunities in the figures, so
a lead the vendor routed elsewhere never shows through another partner's request.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from hub.analytics import rollups
from hub.analytics.money import Rates, convert
from hub.db import distinct
from hub.errors import Conflict, NotFound
from hub.forecast.rules import OpportunityStatus
from hub.funds import rules
from hub.funds.rules import ClaimStatus, FundRequestStatus
from hub.partners.directory import InChannel
from hub.roles import Principal
from hub.runtime import Hub
from storage.models import DealRegistration, Lead
from storage.models.forecast import Opportunity
from storage.models.funds import FundAttribution, FundClaim, FundRequest

DECIDED_CLAIMS = (ClaimStatus.APPROVED, ClaimStatus.PAID)


async def set_source(
    session: AsyncSession,
    principal: Principal,
    *,
    request_id: str | None,
    now: datetime,
    field: str,
    lead_id: str | None = None,
    deal_registration_id: str | None = None,
) -> None:
    """Name (or, with None, clear) the request a lead or a registration came from, in the
    transaction that holds the lead's or registration's row."""
    assert (lead_id is None) != (deal_registration_id is None)
    if request_id is not None:
        request = await session.scalar(
            select(FundRequest).where(
                FundRequest.id == request_id, rules.request_visible(principal)
            )
        )
        if request is None:
            raise NotFound("no such fund request", field=field)
        if request.status != FundRequestStatus.APPROVED:
            raise Conflict(
                f"only an APPROVED request's activity brings leads; this one is {request.status}",
                field=field,
            )
    mine = (
        FundAttribution.lead_id == lead_id
        if lead_id is not None
        else FundAttribution.deal_registration_id == deal_registration_id
    )
    await session.execute(delete(FundAttribution).where(mine))
    if request_id is not None:
        session.add(
            FundAttribution(
                request_id=request_id,
                lead_id=lead_id,
                deal_registration_id=deal_registration_id,
                attributed_by_id=principal.user_id,
                attributed_at=now,
            )
        )


async def lead_sources(hub: Hub, *, principal: Principal, ids: Sequence[str]) -> list[str | None]:
    """The source request of each lead, in order; None when it names none the caller sees."""
    return await _sources(hub, principal, FundAttribution.lead_id, ids)


async def deal_sources(hub: Hub, *, principal: Principal, ids: Sequence[str]) -> list[str | None]:
    """The source request of each registration, in order; None as for leads."""
    return await _sources(hub, principal, FundAttribution.deal_registration_id, ids)


async def _sources(
    hub: Hub, principal: Principal, key: QueryableAttribute[Any], ids: Sequence[str]
) -> list[str | None]:
    async with hub.read() as session:
        rows = await session.execute(
            select(key, FundAttribution.request_id)
            .join(FundRequest, FundRequest.id == FundAttribution.request_id)
            .where(key.in_(distinct(ids)), rules.request_visible(principal))
        )
        found = {row[0]: row[1] for row in rows.all()}
    return [found.get(one) for one in ids]


@dataclass(frozen=True)
class Results:
    """What came of one funded activity, as one account may see it."""

    leads: int
    deal_registrations: int
    won: int
    won_minor: int
    spent_minor: int
    currency: str
    roi_bp: int | None
    missing_rates: tuple[str, ...]


async def results(
    hub: Hub, *, principal: Principal, request_ids: Sequence[str]
) -> list[Results | None]:
    """Each request's results, in order; None for one the caller may not see."""
    ids = distinct(request_ids)
    async with hub.read() as session:
        requests = {
            row.id: row
            for row in await session.scalars(
                select(FundRequest).where(FundRequest.id.in_(ids), rules.request_visible(principal))
            )
        }
        if not requests:
            return [None] * len(request_ids)
        wanted = list(requests)
        decided = await session.execute(
            select(FundClaim.request_id, FundClaim.approved_minor).where(
                FundClaim.request_id.in_(wanted), FundClaim.status.in_(DECIDED_CLAIMS)
            )
        )
        claims: dict[str, int | None] = {row[0]: row[1] for row in decided.all()}
        leads = await _counts(session, principal, wanted, Lead.partner_id, lead=True)
        deals = await _counts(session, principal, wanted, DealRegistration.partner_id, lead=False)
        won = await _won(session, principal, wanted)
        rates = await rollups.rates(
            session, {currency for *_, currency, _ in won} | {r.currency for r in requests.values()}
        )
    by_request: dict[str, list[tuple[int, str, datetime]]] = defaultdict(list)
    for request_id, amount, currency, closed_at in won:
        by_request[request_id].append((amount, currency, closed_at))
    found: dict[str, Results] = {}
    for request_id, request in requests.items():
        total, missing = 0, set()
        for amount, currency, closed_at in by_request[request_id]:
            exchanged = _exchanged(rates, amount, currency, request.currency, closed_at)
            if exchanged is None:
                missing.add(currency)
            else:
                total += exchanged
        spent = claims.get(request_id)
        if spent is None:
            spent = request.approved_minor if request.status == FundRequestStatus.APPROVED else 0
        spent = spent or 0
        found[request_id] = Results(
            leads=leads.get(request_id, 0),
            deal_registrations=deals.get(request_id, 0),
            won=len(by_request[request_id]),
            won_minor=total,
            spent_minor=spent,
            currency=request.currency,
            roi_bp=round(Fraction(total - spent, spent) * 10_000) if spent else None,
            missing_rates=tuple(sorted(missing)),
        )
    return [found.get(request_id) for request_id in request_ids]


def _in_channel(principal: Principal, column: QueryableAttribute[Any]) -> ColumnElement[bool]:
    if principal.is_vendor:
        return true()
    return InChannel(column, principal.organization_id)


async def _counts(
    session: AsyncSession,
    principal: Principal,
    request_ids: list[str],
    partner: QueryableAttribute[Any],
    *,
    lead: bool,
) -> dict[str, int]:
    model = Lead if lead else DealRegistration
    key = FundAttribution.lead_id if lead else FundAttribution.deal_registration_id
    rows = await session.execute(
        select(FundAttribution.request_id, func.count())
        .join(model, model.id == key)
        .where(FundAttribution.request_id.in_(request_ids), _in_channel(principal, partner))
        .group_by(FundAttribution.request_id)
    )
    return {request_id: int(count) for request_id, count in rows}


async def _won(
    session: AsyncSession, principal: Principal, request_ids: list[str]
) -> list[tuple[str, int, str, datetime]]:
    """(request, amount, currency, closed) of each won opportunity of an attributed lead or
    registration."""
    statement = (
        select(
            FundAttribution.request_id,
            Opportunity.amount_minor,
            Opportunity.currency,
            Opportunity.closed_at,
        )
        .join(
            Opportunity,
            or_(
                Opportunity.lead_id == FundAttribution.lead_id,
                Opportunity.deal_registration_id == FundAttribution.deal_registration_id,
            ),
        )
        .where(
            FundAttribution.request_id.in_(request_ids),
            Opportunity.status == OpportunityStatus.WON,
            Opportunity.closed_at.is_not(None),
            _in_channel(principal, Opportunity.partner_id),
        )
    )
    return [
        (request_id, amount, currency, closed_at)
        for request_id, amount, currency, closed_at in await session.execute(statement)
    ]


def _exchanged(
    rates: Rates, amount: int, currency: str, into: str, closed_at: datetime
) -> int | None:
    """An amount in another currency at the rates of the day it closed, through the
    reporting currency; None without both rates."""
    if currency == into:
        return amount
    day = closed_at.date()
    source, target = rates.on(currency, day), rates.on(into, day)
    if source is None or target is None:
        return None
    return convert(amount, currency, source / target, into)
