"""Partner scorecards: a partner's figures for a period beside the period before, and its
rank by revenue within its tier and the whole channel.

Revenue and orders come from the daily rollups; lead figures from the partner's offers
(indexed by partner), which a scorecard reads for one partner only.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    Select,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from hub.analytics import rollups
from hub.analytics.activity import (
    ACTIVITY_COUNTS,
    Activity,
    Count,
    Counted,
    Counts,
    activity,
    period_of,
)
from hub.analytics.periods import Period, span
from hub.analytics.service import MissingRate
from hub.errors import NotFound
from hub.leads.rules import Outcome
from hub.pagination import Page, PageRequest, keyset_page
from hub.partners.rules import PartnerStatus, PartnerType, Tier
from hub.roles import Principal
from hub.runtime import Hub
from hub.validation import country as checked_country
from storage.models import LeadAssignment, Partner

OFFERED = "leads_offered"  # offers made in a period, counted beside the activity's counts
_COUNTS = Counts(
    {**ACTIVITY_COUNTS, OFFERED: Count(LeadAssignment.partner_id, LeadAssignment.offered_at)}
)


class RankBand(StrEnum):
    """Where a partner's revenue ranks in the channel, as partners are told it."""

    TOP_10 = "TOP_10"
    TOP_25 = "TOP_25"
    TOP_50 = "TOP_50"
    BOTTOM_50 = "BOTTOM_50"


@dataclass(frozen=True)
class ScorecardFilter:
    tiers: Sequence[Tier] = ()
    types: Sequence[PartnerType] = ()
    statuses: Sequence[PartnerStatus] = ()
    country: str | None = None


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
    activity: Activity


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
        [card] = await scorecards_of(session, [partner], period, now=hub.clock.now())
    return card


class ScorecardOrder(StrEnum):
    """How a list of scorecards is sorted (ties by partner id)."""

    REVENUE = "REVENUE"  # the period's revenue, highest first
    LOWEST_REVENUE = "LOWEST_REVENUE"  # lowest first: who falls behind
    GROWTH = "GROWTH"  # revenue minus the previous period's, highest first
    NAME = "NAME"  # partner name, A to Z


async def list_scorecards(
    hub: Hub,
    *,
    principal: Principal,
    filter: ScorecardFilter,
    period: Period,
    page: PageRequest,
    order: ScorecardOrder = ScorecardOrder.REVENUE,
) -> Page[Scorecard]:
    """Scorecards of the partners the caller may read (vendor staff all, a partner its own and
    its sub-resellers'), in the order asked for."""
    revenue = revenue_by_partner(period).subquery()
    before = revenue_by_partner(period.previous()).subquery()
    minor = func.coalesce(revenue.c.minor, 0).cast(BigInteger).label("minor")
    growth = (minor - func.coalesce(before.c.minor, 0)).cast(BigInteger).label("growth")
    ranked = (
        select(Partner.id.label("id"), Partner.name.label("name"), minor, growth)
        .outerjoin(revenue, revenue.c.partner_id == Partner.id)
        .outerjoin(before, before.c.partner_id == Partner.id)
        .where(_readable(principal), *_filtered(filter))
        .subquery()
    )
    by = {
        ScorecardOrder.REVENUE: (ranked.c.minor, True),
        ScorecardOrder.LOWEST_REVENUE: (ranked.c.minor, False),
        ScorecardOrder.GROWTH: (ranked.c.growth, True),
        ScorecardOrder.NAME: (ranked.c.name, False),
    }
    column, descending = by[order]
    async with hub.read() as session:
        found = await keyset_page(
            session,
            select(ranked.c.id),
            page,
            key=(column, ranked.c.id),
            descending=descending,
        )
        partners = {
            row.id: row
            for row in (
                await session.execute(select(Partner).where(Partner.id.in_(found.items)))
            ).scalars()
        }
        listed = [partners[id_] for id_ in found.items]
        cards = await scorecards_of(session, listed, period, now=hub.clock.now())
    return Page(
        cards, found.cursors, found.has_next_page, found.has_previous_page, found.total_count
    )


async def scorecards_of(
    session: AsyncSession, partners: Sequence[Partner], period: Period, *, now: datetime
) -> list[Scorecard]:
    """The scorecards of some partners, with a fixed number of statements."""
    currency = await rollups.reporting_currency(session)
    periods = [period, period.previous()]
    current, previous = await _figures(session, partners, periods, now, currency)
    ranks = await _ranks(session, period, partners)
    return [
        Scorecard(
            partner,
            period,
            currency,
            current[partner.id],
            previous[partner.id],
            *ranks[partner.id],
        )
        for partner in partners
    ]


def _may_read(principal: Principal, partner: Partner) -> bool:
    if principal.is_vendor:
        return True
    return principal.organization_id in (partner.id, partner.parent_id)


def _readable(principal: Principal) -> ColumnElement[bool]:
    if principal.is_vendor:
        return true()
    own = principal.organization_id
    return or_(Partner.id == own, Partner.parent_id == own)


def _filtered(filter: ScorecardFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for column, values in [
        (Partner.tier, filter.tiers),
        (Partner.type, filter.types),
        (Partner.status, filter.statuses),
    ]:
        if values:
            conditions.append(column.in_(sorted({str(value) for value in values})))
    if filter.country:
        conditions.append(
            Partner.country == checked_country(filter.country, field="filter.country")
        )
    return conditions


def revenue_by_partner(period: Period, *, bound: str | None = None) -> Select[tuple[str, int]]:
    """Each partner's revenue in the period (see rollups.revenue_in for `bound`)."""
    rows = rollups.revenue_in(period, bound=bound)
    return select(
        rows.c.partner_id.label("partner_id"), func.sum(rows.c.reporting_minor).label("minor")
    ).group_by(rows.c.partner_id)


async def _figures(
    session: AsyncSession,
    partners: Sequence[Partner],
    periods: Sequence[Period],
    now: datetime,
    reporting: str,
) -> list[dict[str, Figures]]:
    """Each period's figures of some partners, each figure read for all the periods at once."""
    partner_ids = [partner.id for partner in partners]
    statement = _built(
        ("revenue", *map(rollups.revenue_shape, periods)), lambda: _revenue_of(periods)
    )
    by_partner: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for row in await session.execute(statement, _revenue_bounds(periods, ids=partner_ids)):
        by_partner[int(row[0]), row[1]].append(row[2:])
    numbers = await _COUNTS.read(session, partner_ids, periods)
    leads = await _lead_figures(session, partner_ids, periods, numbers)
    done = await activity(session, partners, periods, now=now, reporting=reporting, numbers=numbers)
    return [
        {
            id_: _of(by_partner.get((index, id_), []), leads[index][id_], done[index][id_])
            for id_ in partner_ids
        }
        for index in range(len(periods))
    ]


# Statements built once per shape of their periods, their values being parameters: building
# and keying a statement anew cost a scorecard more than executing some of them.
_BUILT: dict[tuple[Any, ...], Any] = {}
_IDS: BindParameter[Any] = bindparam("ids", expanding=True)


def _built(key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    found = _BUILT.get(key)
    if found is None:
        found = _BUILT[key] = build()
    return found


def _revenue_bounds(periods: Sequence[Period], **values: Any) -> dict[str, Any]:
    """The parameters of statements built with revenue_in(periods[n], bound=f"r{n}")."""
    for index, period in enumerate(periods):
        values |= rollups.revenue_bounds(period, f"r{index}")
    return values


def _revenue_of(periods: Sequence[Period]) -> Any:
    """(period index, partner, currency, reporting, unconverted, delivered, returned) of the
    partners given as ids."""
    parts = []
    for index, period in enumerate(periods):
        revenue = rollups.revenue_in(
            period, partner=lambda column: column.in_(_IDS), bound=f"r{index}"
        )
        parts.append(
            select(
                literal(index).label("period"),
                revenue.c.partner_id,
                revenue.c.currency,
                func.sum(revenue.c.reporting_minor),
                func.sum(revenue.c.unconverted_minor),
                func.sum(revenue.c.delivered_orders),
                func.sum(revenue.c.returned_orders),
            ).group_by(revenue.c.partner_id, revenue.c.currency)
        )
    return union_all(*parts)


def _of(
    rows: list[Any], leads: tuple[int, int, int, int, int | None, int | None], done: Activity
) -> Figures:
    revenue = sum(int(row[1] or 0) for row in rows)
    delivered = sum(int(row[3] or 0) for row in rows)
    return Figures(
        revenue,
        delivered,
        sum(int(row[4] or 0) for row in rows),
        round(revenue / delivered) if delivered else None,
        *leads,
        [MissingRate(row[0], int(row[2])) for row in sorted(rows) if row[2]],
        done,
    )


async def _lead_figures(
    session: AsyncSession, partner_ids: Sequence[str], periods: Sequence[Period], numbers: Counted
) -> list[dict[str, tuple[int, int, int, int, int | None, int | None]]]:
    """Per period and partner: offers made in the period, and how the offers that ended in it
    ended."""
    ids = list(partner_ids)
    whole = span(periods)
    ended = await session.execute(
        select(
            LeadAssignment.partner_id,
            LeadAssignment.outcome,
            LeadAssignment.offered_at,
            LeadAssignment.outcome_at,
        ).where(
            LeadAssignment.partner_id.in_(ids),
            LeadAssignment.outcome_at >= whole.starts_at,
            LeadAssignment.outcome_at < whole.ends_at,
        )
    )
    outcomes: dict[tuple[int, str], list[tuple[str, float]]] = defaultdict(list)
    for partner_id, outcome, offered_at, outcome_at in ended:
        index = period_of(periods, outcome_at)
        if index is not None:
            seconds = (outcome_at - offered_at).total_seconds()
            outcomes[index, partner_id].append((outcome, seconds))
    return [
        {
            id_: _lead_counts(numbers.get((OFFERED, id_, index), 0), outcomes[index, id_])
            for id_ in ids
        }
        for index in range(len(periods))
    ]


def _lead_counts(
    offered: int, ended: list[tuple[str, float]]
) -> tuple[int, int, int, int, int | None, int | None]:
    counts = dict.fromkeys((Outcome.ACCEPTED, Outcome.DECLINED, Outcome.EXPIRED), 0)
    waits = []
    for outcome, seconds in ended:
        if outcome in counts:
            counts[Outcome(outcome)] += 1
        if outcome == Outcome.ACCEPTED:
            waits.append(seconds)
    decided, accepted = sum(counts.values()), counts[Outcome.ACCEPTED]
    return (
        offered,
        accepted,
        counts[Outcome.DECLINED],
        counts[Outcome.EXPIRED],
        round(accepted * 10_000 / decided) if decided else None,
        round(statistics.median(waits)) if waits else None,
    )


# Up to this many partners are ranked by counting who earned more, beyond by sorting all.
_COUNTED_RANKS = 4


async def _ranks(
    session: AsyncSession, period: Period, partners: Sequence[Partner]
) -> dict[str, tuple[Rank, Rank]]:
    """Each partner's rank by the period's revenue within its tier and the whole channel,
    among the ACTIVE partners (and itself, when it is not one); ties share the better place:
    1 + how many earned more. Ranked in the database, so only the asked-for rows come back.

    A few partners are ranked by counting, for each, the partners that earned more (about
    half the time of sorting the channel on PostgreSQL for one partner); a page of them by
    rank() over the channel sorted once, which costs the same for any number (the page's
    partners that are not ACTIVE, outside that order, are counted)."""
    counted = list(partners)
    found: dict[str, tuple[Rank, Rank]] = {}
    if len(counted) > _COUNTED_RANKS:
        active = [partner.id for partner in partners if partner.status == PartnerStatus.ACTIVE]
        counted = [partner for partner in partners if partner.status != PartnerStatus.ACTIVE]
        if active:
            statement = _built(
                ("sorted ranks", rollups.revenue_shape(period)), lambda: _sorted_ranks(period)
            )
            ranked = await session.execute(statement, _revenue_bounds([period], ids=active))
            found |= _ranked(ranked)
    if counted:
        statement = _built(
            ("counted ranks", rollups.revenue_shape(period)), lambda: _counted_ranks(period)
        )
        ids = [partner.id for partner in counted]
        found |= _ranked(await session.execute(statement, _revenue_bounds([period], ids=ids)))
    return found


def _standings(revenue: Any, *where: ColumnElement[bool]) -> Select[Any]:
    """(id, tier, minor): the partners meeting `where` with their revenue (0 without)."""
    return (
        select(
            Partner.id.label("id"),
            Partner.tier.label("tier"),
            func.coalesce(revenue.c.minor, 0).label("minor"),
        )
        .outerjoin(revenue, revenue.c.partner_id == Partner.id)
        .where(*where)
    )


def _sorted_ranks(period: Period) -> Select[Any]:
    """The ranks of some ACTIVE partners from the ACTIVE ones sorted by revenue."""
    revenue = revenue_by_partner(period, bound="r0").subquery()
    peers = _standings(revenue, Partner.status == PartnerStatus.ACTIVE).subquery()
    descending = peers.c.minor.desc()
    ranked = select(
        peers.c.id,
        func.rank().over(partition_by=peers.c.tier, order_by=descending).label("in_tier"),
        func.count().over(partition_by=peers.c.tier).label("tier_size"),
        func.rank().over(order_by=descending).label("in_channel"),
        func.count().over().label("channel_size"),
    ).subquery()
    return select(ranked).where(ranked.c.id.in_(_IDS))


def _counted_ranks(period: Period) -> Select[Any]:
    """The ranks of some partners, each by counting the other ACTIVE ones that earned more."""
    revenue = revenue_by_partner(period, bound="r0").cte("revenue")
    peers = _standings(revenue, Partner.status == PartnerStatus.ACTIVE).cte("peers")
    mine = _standings(revenue, Partner.id.in_(_IDS)).cte("mine")
    other = peers.c.id != mine.c.id
    same_tier, more = peers.c.tier == mine.c.tier, peers.c.minor > mine.c.minor

    def how_many(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return 1 + func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    return (
        select(
            mine.c.id,
            how_many(other & same_tier & more).label("in_tier"),
            how_many(other & same_tier).label("tier_size"),
            how_many(other & more).label("in_channel"),
            how_many(other).label("channel_size"),
        )
        .select_from(mine.outerjoin(peers, true()))
        .group_by(mine.c.id)
    )


def _ranked(rows: Any) -> dict[str, tuple[Rank, Rank]]:
    return {
        row.id: (
            Rank(int(row.in_tier), int(row.tier_size)),
            Rank(int(row.in_channel), int(row.channel_size)),
        )
        for row in rows
    }
