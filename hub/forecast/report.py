"""The forecast of a period: open pipeline expected to close in it (and weighted by
probability), partner commits and best cases, what was won, and the actual revenue, by
partner, tier or product line; with each partner's forecast accuracy once the period ended.

Amounts keep their currency and are converted into the reporting currency per record: an
opportunity at the rate of its expected close date (won ones: of the day they closed), a
commit at the rate of its period's first day. An amount with no rate is left out and named.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from hub.analytics import rollups
from hub.analytics.money import Rates
from hub.analytics.periods import Period
from hub.analytics.service import MissingRate
from hub.forecast import commits
from hub.forecast.opportunities import stages
from hub.forecast.rules import OpportunityStatus, weighted
from hub.partners.directory import InChannel
from hub.roles import Principal
from hub.runtime import Hub
from storage.models import Partner
from storage.models.forecast import Opportunity


class ForecastGroup(StrEnum):
    PARTNER = "PARTNER"
    TIER = "TIER"
    PRODUCT_LINE = "PRODUCT_LINE"


@dataclass
class ForecastRow:
    key: str
    open_opportunities: int = 0
    pipeline_minor: int = 0
    weighted_minor: int = 0
    commit_minor: int | None = None
    best_case_minor: int | None = None
    won_minor: int = 0
    actual_minor: int = 0
    accuracy_bp: int | None = None


@dataclass
class Forecast:
    period: Period
    group_by: ForecastGroup
    reporting_currency: str
    ended: bool
    rows: list[ForecastRow]
    total: ForecastRow
    missing_rates: list[MissingRate] = field(default_factory=list)


def accuracy(commit: int, actual: int) -> int:
    """How close a commit came to the actual revenue, in basis points: 10000 exact, less by
    the miss as a share of the actual, never below 0 (0 for any commit when nothing came)."""
    if actual <= 0:
        return 10_000 if commit == 0 else 0
    return max(0, 10_000 - round(abs(actual - commit) * 10_000 / actual))


async def forecast(
    hub: Hub, *, principal: Principal, period: Period, group_by: ForecastGroup
) -> Forecast:
    """The forecast of a period: vendor-side accounts see the channel, a partner its own
    figures (a distributor also its sub-resellers')."""
    ended = period.end <= hub.clock.now().date()
    async with hub.read() as session:
        tiers = dict(
            (await session.execute(select(Partner.id, Partner.tier).where(_scope(principal))))
            .tuples()
            .all()
        )
        sums = _Sums(await rollups.rates(session), group_by, tiers)
        await _add_opportunities(session, principal, period, sums)
        for item in await commits.within(session, principal, period):
            key = sums.key(item.partner_id, item.product_line)
            row = sums.row(key)
            day = item.period_start
            amount = sums.converted(item.commit_minor, item.currency, day)
            best = sums.converted(item.best_case_minor, item.currency, day)
            if amount is not None and best is not None:
                row.commit_minor = (row.commit_minor or 0) + amount
                row.best_case_minor = (row.best_case_minor or 0) + best
        await _add_actuals(session, principal, period, sums)
    rows = sorted(
        sums.rows.values(),
        key=lambda row: (-row.weighted_minor, -(row.commit_minor or 0), -row.actual_minor, row.key),
    )
    total = _total(rows)
    if ended:
        for row in [*rows, total]:
            if row.commit_minor is not None:
                row.accuracy_bp = accuracy(row.commit_minor, row.actual_minor)
    return Forecast(period, group_by, sums.rates.reporting, ended, rows, total, sums.missing())


class _Sums:
    def __init__(self, rates: Rates, group_by: ForecastGroup, tiers: dict[str, str]) -> None:
        self.rates, self.group_by, self.tiers = rates, group_by, tiers
        self.rows: dict[str, ForecastRow] = {}
        self._missing: dict[str, int] = defaultdict(int)

    def key(self, partner_id: str, product_line: str) -> str:
        if self.group_by is ForecastGroup.PARTNER:
            return partner_id
        if self.group_by is ForecastGroup.TIER:
            return self.tiers.get(partner_id, "")
        return product_line

    def row(self, key: str) -> ForecastRow:
        return self.rows.setdefault(key, ForecastRow(key))

    def converted(self, amount_minor: int, currency: str, day: date) -> int | None:
        found = self.rates.converted(amount_minor, currency, day)
        if found is None:
            self.left_out(currency, amount_minor)
        return found

    def left_out(self, currency: str, amount_minor: int) -> None:
        if amount_minor:
            self._missing[currency] += amount_minor

    def missing(self) -> list[MissingRate]:
        return [MissingRate(code, self._missing[code]) for code in sorted(self._missing)]


def _scope(principal: Principal) -> ColumnElement[bool]:
    if principal.is_vendor:
        return true()
    return InChannel(Partner.id, principal.organization_id)


def _opportunities_scope(principal: Principal) -> ColumnElement[bool]:
    if principal.is_vendor:
        return true()
    return InChannel(Opportunity.partner_id, principal.organization_id)


async def _add_opportunities(
    session: AsyncSession, principal: Principal, period: Period, sums: _Sums
) -> None:
    defaults = {stage.key: stage.probability_percent for stage in await stages(session)}
    open_rows = await session.execute(
        select(
            Opportunity.partner_id,
            Opportunity.product_line,
            Opportunity.amount_minor,
            Opportunity.currency,
            Opportunity.expected_close,
            Opportunity.probability_percent,
            Opportunity.stage,
        ).where(
            _opportunities_scope(principal),
            Opportunity.status == OpportunityStatus.OPEN,
            Opportunity.expected_close >= period.start,
            Opportunity.expected_close < period.end,
        )
    )
    for partner_id, line, amount, currency, closing, own, stage in open_rows:
        converted = sums.converted(amount, currency, closing)
        row = sums.row(sums.key(partner_id, line))
        row.open_opportunities += 1
        if converted is None:
            continue
        percent = own if own is not None else defaults.get(stage, 0)
        row.pipeline_minor += converted
        row.weighted_minor += weighted(converted, percent)
    won_rows = await session.execute(
        select(
            Opportunity.partner_id,
            Opportunity.product_line,
            Opportunity.amount_minor,
            Opportunity.currency,
            Opportunity.closed_at,
        ).where(
            _opportunities_scope(principal),
            Opportunity.status == OpportunityStatus.WON,
            Opportunity.closed_at >= period.starts_at,
            Opportunity.closed_at < period.ends_at,
        )
    )
    for partner_id, line, amount, currency, closed_at in won_rows:
        converted = sums.converted(amount, currency, closed_at.date())
        if converted is not None:
            sums.row(sums.key(partner_id, line)).won_minor += converted


async def _add_actuals(
    session: AsyncSession, principal: Principal, period: Period, sums: _Sums
) -> None:
    """Delivered revenue net of returns from the daily rollups."""
    by_line = sums.group_by is ForecastGroup.PRODUCT_LINE
    own = principal.organization_id
    rows = rollups.revenue_in(
        period,
        by_line=by_line,
        partner=None if principal.is_vendor else lambda column: InChannel(column, own),
    )
    keys = [rows.c.partner_id, rows.c.currency, *([rows.c.product_line] if by_line else [])]
    statement = select(
        *keys, func.sum(rows.c.reporting_minor), func.sum(rows.c.unconverted_minor)
    ).group_by(*keys)
    for found in await session.execute(statement):
        partner_id, currency = found[0], found[1]
        row = sums.row(sums.key(partner_id, found[2] if by_line else ""))
        row.actual_minor += int(found[-2] or 0)
        sums.left_out(currency, int(found[-1] or 0))


def _total(rows: Iterable[ForecastRow]) -> ForecastRow:
    total = ForecastRow("TOTAL")
    for row in rows:
        total.open_opportunities += row.open_opportunities
        total.pipeline_minor += row.pipeline_minor
        total.weighted_minor += row.weighted_minor
        total.won_minor += row.won_minor
        total.actual_minor += row.actual_minor
        if row.commit_minor is not None:
            total.commit_minor = (total.commit_minor or 0) + row.commit_minor
            total.best_case_minor = (total.best_case_minor or 0) + (row.best_case_minor or 0)
    return total
