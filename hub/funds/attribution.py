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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import sources
from hub.analytics import rollups
from hub.db import distinct
from hub.errors import Conflict, NotFound
from hub.funds import rules
from hub.funds.rules import ClaimStatus, FundRequestStatus
from hub.roles import Principal
from hub.runtime import Hub
from storage.models.funds import FundAttribution, FundClaim, FundRequest

DECIDED_CLAIMS = (ClaimStatus.APPROVED, ClaimStatus.PAID)


KIND = sources.Kind(FundAttribution, FundAttribution.request_id, FundRequest, rules.request_visible)


async def set_source(
    session: AsyncSession,
    principal: Principal,
    target: sources.Target,
    request_id: str | None,
    *,
    now: datetime,
    field: str = "fundRequestId",
) -> None:
    """Name (or, with None, clear) the request a lead or a registration came from, in the
    transaction that holds the lead's or registration's row."""
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
    await sources.replace(session, KIND, target, request_id, by=principal.user_id, now=now)


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
        outcomes = await sources.outcomes(session, principal, KIND, wanted)
        rates = await rollups.rates(
            session,
            {c for outcome in outcomes.values() for c in outcome.currencies()}
            | {r.currency for r in requests.values()},
        )
    found: dict[str, Results] = {}
    for request_id, request in requests.items():
        outcome = outcomes.get(request_id, sources.Outcome())
        total, missing = outcome.won_in(rates, request.currency)
        spent = claims.get(request_id)
        if spent is None:
            spent = request.approved_minor if request.status == FundRequestStatus.APPROVED else 0
        spent = spent or 0
        found[request_id] = Results(
            leads=outcome.leads,
            deal_registrations=outcome.deal_registrations,
            won=len(outcome.won),
            won_minor=total,
            spent_minor=spent,
            currency=request.currency,
            roi_bp=round(Fraction(total - spent, spent) * 10_000) if spent else None,
            missing_rates=missing,
        )
    return [found.get(request_id) for request_id in request_ids]
