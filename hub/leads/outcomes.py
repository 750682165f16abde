"""How the leads partners were given turned out: the opportunities they closed, for routing."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.analytics import rollups
from hub.forecast.rules import OpportunityStatus
from storage.models.forecast import Opportunity

OUTCOME_WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class Outcomes:
    """A partner's lead opportunities closed in the window: the WON share of them (None:
    none closed), and the WON amount in reporting minor units (amounts without a rate on
    their closing day left out)."""

    win_rate: float | None
    won_minor: int


async def routed_outcomes(session: AsyncSession, now: datetime) -> dict[str, Outcomes]:
    """The outcomes of each partner's lead opportunities closed in the last 90 days."""
    rows = (
        await session.execute(
            select(
                Opportunity.partner_id,
                Opportunity.status,
                Opportunity.amount_minor,
                Opportunity.currency,
                Opportunity.closed_at,
            ).where(
                Opportunity.lead_id.is_not(None),
                Opportunity.status.in_([OpportunityStatus.WON, OpportunityStatus.LOST]),
                Opportunity.closed_at > now - OUTCOME_WINDOW,
            )
        )
    ).all()
    if not rows:
        return {}
    rates = await rollups.rates(session, {row.currency for row in rows})
    closed: dict[str, int] = defaultdict(int)
    won: dict[str, int] = defaultdict(int)
    won_minor: dict[str, int] = defaultdict(int)
    for partner_id, status, amount, currency, closed_at in rows:
        closed[partner_id] += 1
        if status == OpportunityStatus.WON:
            won[partner_id] += 1
            won_minor[partner_id] += rates.converted(amount, currency, closed_at.date()) or 0
    return {
        partner_id: Outcomes(won[partner_id] / count, won_minor[partner_id])
        for partner_id, count in closed.items()
    }
