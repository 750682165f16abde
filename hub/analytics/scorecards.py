"""Partner scorecards: a partner's figures for a period beside the period before, and its
rank by revenue within its tier and the whole channel.

Revenue and orders come from the daily rollups; lead figures from the partner's offers
(indexed by partner), which a scorecard reads for one partner only.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.analytics import rollups
from hub.analytics.periods import Period
from hub.analytics.service import MissingRate
from hub.errors import NotFound
from hub.leads.rules import Outcome
from hub.partners.rules import PartnerStatus
from hub.roles import Principal
from hub.runtime import Hub
from storage.models import LeadAssignment, Partner
from storage.models.analytics import PartnerRevenueDay


class RankBand(StrEnum):
    """Where a partner's revenue ranks in the channel, as partners are told it."""

    TOP_10 = "TOP_10"
    TOP_25 = "TOP_25"
    TOP_50 = "TOP_50"
    BOTTOM_50 = "BOTTOM_50"


@dataclass(frozen=True)
class Figures:
    """One period's figures of a partner; None where nothing can be said (no data)."""

    revenue_minor: int
    delivered_orders: int
    returned_orders: int
    average_order_minor: int | None
    leads_offered: int
    leads_accepted: int
    leads_declined: int
    leads_expired: int
    acceptance_rate_bp: int | None
    median_seconds_to_accept: int | None
    missing_rates: list[MissingRate]


@dataclass(frozen=True)
class Rank:
    position: int
    of: int

    @property
    def percentile(self) -> int:
        """The share of the others ranked below, in whole percent (100: first of many)."""
        return 100 if self.of <= 1 else round((self.of - self.position) * 100 / (self.of - 1))


@dataclass(frozen=True)
class Scorecard:
    partner: Partner
    period: Period
    reporting_currency: str
    current: Figures
    previous: Figures
    in_tier: Rank
    in_channel: Rank

    @property
    def band(self) -> RankBand:
        share = self.in_channel.position / max(self.in_channel.of, 1)
        if share <= 0.10:
            return RankBand.TOP_10
        if share <= 0.25:
            return RankBand.TOP_25
        return RankBand.TOP_50 if share <= 0.50 else RankBand.BOTTOM_50


async def scorecard(
    hub: Hub, *, principal: Principal, partner_id: str, period: Period
) -> Scorecard:
    """A partner's scorecard: vendor staff any partner's, a partner its own, a distributor
    also its sub-resellers'; any other partner is NOT_FOUND."""
    async with hub.read() as session:
        partner = await session.get(Partner, partner_id)
        if partner is None or not _may_read(principal, partner):
            raise NotFound("no such partner", field="partnerId")
        current = await _figures(session, partner.id, period)
        previous = await _figures(session, partner.id, period.previous())
        in_tier = await _rank(session, partner, period, same_tier=True)
        in_channel = await _rank(session, partner, period, same_tier=False)
        currency = await rollups.reporting_currency(session)
    return Scorecard(partner, period, currency, current, previous, in_tier, in_channel)


def _may_read(principal: Principal, partner: Partner) -> bool:
    if principal.is_vendor:
        return True
    return principal.organization_id in (partner.id, partner.parent_id)


async def _figures(session: AsyncSession, partner_id: str, period: Period) -> Figures:
    in_period = and_(
        PartnerRevenueDay.partner_id == partner_id,
        PartnerRevenueDay.day >= period.start,
        PartnerRevenueDay.day < period.end,
    )
    rows = (
        await session.execute(
            select(
                PartnerRevenueDay.currency,
                func.sum(PartnerRevenueDay.reporting_minor),
                func.sum(PartnerRevenueDay.unconverted_minor),
                func.sum(PartnerRevenueDay.delivered_orders),
                func.sum(PartnerRevenueDay.returned_orders),
            )
            .where(in_period)
            .group_by(PartnerRevenueDay.currency)
        )
    ).all()
    revenue = sum(int(row[1] or 0) for row in rows)
    delivered = sum(int(row[3] or 0) for row in rows)
    missing = [MissingRate(row[0], int(row[2])) for row in sorted(rows) if row[2]]
    leads = await _lead_figures(session, partner_id, period)
    return Figures(
        revenue,
        delivered,
        sum(int(row[4] or 0) for row in rows),
        round(revenue / delivered) if delivered else None,
        *leads,
        missing,
    )


async def _lead_figures(
    session: AsyncSession, partner_id: str, period: Period
) -> tuple[int, int, int, int, int | None, int | None]:
    """Offers made in the period, and how the offers that ended in it ended."""
    starts, ends = period.starts_at, period.ends_at
    offered = await session.scalar(
        select(func.count()).where(
            LeadAssignment.partner_id == partner_id,
            LeadAssignment.offered_at >= starts,
            LeadAssignment.offered_at < ends,
        )
    )
    ended = (
        await session.execute(
            select(
                LeadAssignment.outcome, LeadAssignment.offered_at, LeadAssignment.outcome_at
            ).where(
                LeadAssignment.partner_id == partner_id,
                LeadAssignment.outcome_at >= starts,
                LeadAssignment.outcome_at < ends,
            )
        )
    ).all()
    counts = dict.fromkeys((Outcome.ACCEPTED, Outcome.DECLINED, Outcome.EXPIRED), 0)
    waits = []
    for outcome, offered_at, outcome_at in ended:
        if outcome in counts:
            counts[Outcome(outcome)] += 1
        if outcome == Outcome.ACCEPTED and outcome_at is not None:
            waits.append((outcome_at - offered_at).total_seconds())
    decided = sum(counts.values())
    accepted = counts[Outcome.ACCEPTED]
    return (
        int(offered or 0),
        accepted,
        counts[Outcome.DECLINED],
        counts[Outcome.EXPIRED],
        round(accepted * 10_000 / decided) if decided else None,
        round(statistics.median(waits)) if waits else None,
    )


async def _rank(
    session: AsyncSession, partner: Partner, period: Period, *, same_tier: bool
) -> Rank:
    """The partner's place by revenue among ACTIVE partners (and itself), ties sharing the
    better place: 1 + how many earned more."""
    revenue = (
        select(
            PartnerRevenueDay.partner_id.label("partner_id"),
            func.sum(PartnerRevenueDay.reporting_minor).label("minor"),
        )
        .where(PartnerRevenueDay.day >= period.start, PartnerRevenueDay.day < period.end)
        .group_by(PartnerRevenueDay.partner_id)
        .subquery()
    )
    peers = select(Partner.id, func.coalesce(revenue.c.minor, 0).label("minor")).outerjoin(
        revenue, revenue.c.partner_id == Partner.id
    )
    peers = peers.where((Partner.status == PartnerStatus.ACTIVE) | (Partner.id == partner.id))
    if same_tier:
        peers = peers.where(Partner.tier == partner.tier)
    rows = (await session.execute(peers)).all()
    mine = next(int(minor) for partner_id, minor in rows if partner_id == partner.id)
    return Rank(1 + sum(1 for _, minor in rows if int(minor) > mine), len(rows))
