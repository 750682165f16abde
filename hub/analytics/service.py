"""Channel analytics for vendor staff: the reporting currency, exchange rates and the 80/20
view over the revenue rollups (hub.analytics.rollups)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import validation
from hub.analytics import rollups
from hub.analytics.concentration import Concentration, concentration
from hub.analytics.money import checked_rate
from hub.analytics.periods import Period
from hub.errors import BadInput
from hub.partners.rules import PartnerStatus
from hub.roles import Principal, require_vendor_admin, require_vendor_staff
from hub.runtime import Hub
from storage.models import Partner, ProductLine
from storage.models.analytics import AnalyticsSettings, ExchangeRate

SETTINGS_ROW = 1


class GroupBy(StrEnum):
    PARTNER = "PARTNER"
    TIER = "TIER"
    TYPE = "TYPE"
    COUNTRY = "COUNTRY"
    PRODUCT_LINE = "PRODUCT_LINE"


@dataclass(frozen=True)
class RateInput:
    currency: str
    rate: str
    valid_from: date


@dataclass(frozen=True)
class MissingRate:
    """Revenue left out of a report: in a currency with no rate on its orders' dates."""

    currency: str
    amount_minor: int


@dataclass(frozen=True)
class ChannelConcentration:
    period: Period
    group_by: GroupBy
    reporting_currency: str
    threshold_bp: int
    figures: Concentration
    active_partners: int
    # The core set of the previous period, to tell who entered and who left it.
    previous_core: list[str]
    missing_rates: list[MissingRate]
    # The partner's or product line's name per key (other keys are their own names).
    names: dict[str, str]

    @property
    def entered(self) -> list[str]:
        before = set(self.previous_core)
        return [key for key in self.figures.core if key not in before]

    @property
    def left(self) -> list[str]:
        now = set(self.figures.core)
        return [key for key in self.previous_core if key not in now]


async def reporting_currency(hub: Hub, *, principal: Principal) -> str:
    """The currency reports are in (vendor staff)."""
    require_vendor_staff(principal)
    async with hub.read() as session:
        return await rollups.reporting_currency(session)


async def set_reporting_currency(hub: Hub, *, principal: Principal, currency: str) -> str:
    """Report in another currency: every rollup is converted anew (vendor admins)."""
    require_vendor_admin(principal)
    code = checked_currency(currency, field="reportingCurrency")
    async with hub.write() as session:
        row = await session.get(AnalyticsSettings, SETTINGS_ROW, with_for_update=True)
        if row is None:
            row = AnalyticsSettings(id=SETTINGS_ROW)
            session.add(row)
        row.reporting_currency = code
        row.updated_at = hub.clock.now()
        await session.flush()
        await rollups.rebuild(session)
    return code


async def exchange_rates(hub: Hub, *, principal: Principal) -> list[ExchangeRate]:
    """Every rate, by currency and the day it became valid (vendor staff)."""
    require_vendor_staff(principal)
    async with hub.read() as session:
        statement = select(ExchangeRate).order_by(ExchangeRate.currency, ExchangeRate.valid_from)
        return list((await session.execute(statement)).scalars())


async def set_exchange_rate(hub: Hub, *, principal: Principal, data: RateInput) -> ExchangeRate:
    """Set the rate of a currency from a day on; revenue from that day on is converted anew
    (vendor admins)."""
    require_vendor_admin(principal)
    code = checked_currency(data.currency, field="currency")
    rate = checked_rate(data.rate, field="rate")
    async with hub.write() as session:
        if code == await rollups.reporting_currency(session):
            raise BadInput(f"{code} is the reporting currency: its rate is 1", field="currency")
        row = await session.get(ExchangeRate, (code, data.valid_from), with_for_update=True)
        if row is None:
            row = ExchangeRate(currency=code, valid_from=data.valid_from)
            session.add(row)
        row.rate = str(rate)
        row.set_by_id = principal.user_id
        row.set_at = hub.clock.now()
        await session.flush()
        await rollups.rebuild(session, currency=code, since=data.valid_from)
    return row


async def rebuild(hub: Hub) -> int:
    """Recompute every revenue rollup from raw orders (the CLI's `analytics rebuild`)."""
    async with hub.write() as session:
        return await rollups.rebuild(session)


async def channel_concentration(
    hub: Hub, *, principal: Principal, period: Period, group_by: GroupBy, threshold_bp: int
) -> ChannelConcentration:
    """Revenue by partner (or group) in descending order with the core set that brings the
    threshold, the Gini coefficient and who entered or left the core (vendor staff)."""
    require_vendor_staff(principal)
    if not 1 <= threshold_bp <= 10_000:
        raise BadInput("threshold must be between 0.01% and 100%", field="thresholdPercent")
    async with hub.read() as session:
        now, missing, names = await _revenue(session, period, group_by)
        before, _, _ = await _revenue(session, period.previous(), group_by)
        if group_by is GroupBy.PRODUCT_LINE:
            lines = await session.execute(select(ProductLine.code, ProductLine.name))
            names = {str(code): str(name) for code, name in lines}
        active = await session.scalar(
            select(func.count()).select_from(Partner).where(Partner.status == PartnerStatus.ACTIVE)
        )
        currency = await rollups.reporting_currency(session)
    previous = concentration(sorted(before.items()), threshold_bp=threshold_bp)
    return ChannelConcentration(
        period,
        group_by,
        currency,
        threshold_bp,
        concentration(sorted(now.items()), threshold_bp=threshold_bp),
        int(active or 0),
        previous.core,
        missing,
        names,
    )


async def _revenue(
    session: AsyncSession, period: Period, group_by: GroupBy
) -> tuple[dict[str, int], list[MissingRate], dict[str, str]]:
    """Reporting revenue per group key over a period, what had no rate, and (by partner) the
    name of each partner."""
    rows = rollups.revenue_in(period, by_line=group_by is GroupBy.PRODUCT_LINE)
    key: Any = {
        GroupBy.TIER: Partner.tier,
        GroupBy.TYPE: Partner.type,
        GroupBy.COUNTRY: Partner.country,
    }.get(group_by)
    if key is None:
        key = rows.c.product_line if group_by is GroupBy.PRODUCT_LINE else rows.c.partner_id
    name: Any = Partner.name if group_by is GroupBy.PARTNER else literal(None)
    statement = select(
        key,
        rows.c.currency,
        func.sum(rows.c.reporting_minor),
        func.sum(rows.c.unconverted_minor),
        name,
    ).group_by(key, rows.c.currency, *([name] if group_by is GroupBy.PARTNER else []))
    if group_by is not GroupBy.PRODUCT_LINE:
        statement = statement.join(Partner, Partner.id == rows.c.partner_id)
    revenue: dict[str, int] = defaultdict(int)
    missing: dict[str, int] = defaultdict(int)
    names: dict[str, str] = {}
    for group, currency, reporting, unconverted, partner_name in await session.execute(statement):
        revenue[str(group)] += int(reporting or 0)
        if unconverted:
            missing[currency] += int(unconverted)
        if partner_name is not None:
            names[str(group)] = str(partner_name)
    return (
        dict(revenue),
        [MissingRate(c, minor) for c, minor in sorted(missing.items()) if minor],
        names,
    )


def checked_currency(value: str, *, field: str) -> str:
    code = value.strip().upper()
    if not validation.is_currency(code):
        raise BadInput("give an ISO 4217 currency code such as EUR", field=field)
    return code
