"""GraphQL types of channel analytics: periods, exchange rates and the 80/20 view."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import strawberry

from hub.analytics import periods
from hub.analytics import service as analytics_service
from hub.analytics.periods import Period
from schema.context import Info
from schema.enums import described_enum
from schema.inputs import to_hub
from schema.partners import Partner, partner_of
from schema.scalars import MinorUnits
from storage.models.analytics import ExchangeRate as ExchangeRateModel

GroupBy = analytics_service.GroupBy
described_enum(
    GroupBy,
    name="ConcentrationGroup",
    description="What revenue is grouped by: each partner, or its tier, type or country "
    "(as they are now), or the product line of the order lines.",
    values={
        "PARTNER": "By partner: the 80/20 view proper.",
        "TIER": "By the partner's tier as it is now.",
        "TYPE": "By the partner's type as it is now.",
        "COUNTRY": "By the partner's country as it is now.",
        "PRODUCT_LINE": "By the product line of the order lines.",
    },
)


@strawberry.input(
    description="Exactly one of: a month, a quarter, a year, trailing days (ending today), "
    "or from and to (both inclusive). Days are UTC."
)
class PeriodInput:
    month: str | None = strawberry.field(default=None, description='A month, e.g. "2026-09".')
    quarter: str | None = strawberry.field(default=None, description='A quarter, e.g. "2026-Q3".')
    year: int | None = strawberry.field(default=None, description="A calendar year, e.g. 2026.")
    trailing_days: int | None = strawberry.field(
        default=None, description="30, 90 or 365 days ending today."
    )
    from_date: date | None = strawberry.field(
        default=None,
        name="from",
        description="The first day of a custom period (UTC); give `to` with it.",
    )
    to_date: date | None = strawberry.field(
        default=None,
        name="to",
        description="The last day of a custom period (UTC), inclusive; give `from` with it.",
    )


def resolved_period(info: Info, period: PeriodInput) -> Period:
    """The period a report asks for, with trailing days ending today."""
    today = info.context.hub.clock.now().date()
    return periods.resolve(to_hub(period, periods.PeriodInput), today=today)


@strawberry.input(description="The rate of a currency from a day on.")
class ExchangeRateInput:
    currency: str = strawberry.field(description="An ISO 4217 code other than the reporting one.")
    rate: str = strawberry.field(
        description="Units of the reporting currency one unit is worth: a decimal string "
        "with at most 10 decimals."
    )
    valid_from: date = strawberry.field(description="The first UTC day the rate applies to.")


@strawberry.type(description="A reporting period: UTC days from start to end, both inclusive.")
class ReportPeriod:
    label: str = strawberry.field(
        description='The period in words, e.g. "2026-09", "2026-Q3", "2026" or "last 90 days".'
    )
    start: date = strawberry.field(description="The period's first day (UTC).")
    end: date = strawberry.field(description="The period's last day (UTC), inclusive.")

    @classmethod
    def of(cls, period: Period) -> ReportPeriod:
        return cls(label=period.label, start=period.start, end=period.end - timedelta(days=1))


@strawberry.type(
    description="How many units of the reporting currency one unit of a currency is worth, "
    "from a day on (until the next rate of that currency)."
)
class ExchangeRate:
    currency: str = strawberry.field(description="The ISO 4217 code the rate converts from.")
    rate: str = strawberry.field(description='A decimal string, e.g. "1.0825".')
    valid_from: date = strawberry.field(description="The first UTC day the rate applies to.")
    set_at: datetime = strawberry.field(description="When the rate was set (RFC 3339, UTC).")

    @classmethod
    def from_model(cls, model: ExchangeRateModel) -> ExchangeRate:
        return cls(
            currency=model.currency,
            rate=model.rate,
            valid_from=model.valid_from,
            set_at=model.set_at,
        )


@strawberry.type(description="Revenue left out of a figure: no rate on its orders' dates.")
class MissingRate:
    currency: str = strawberry.field(
        description="The ISO 4217 code with no rate on the orders' dates."
    )
    amount_minor: MinorUnits = strawberry.field(description="In minor units of `currency`.")


@strawberry.type(description="One partner (or group) in the 80/20 view.")
class ConcentrationShare:
    key: str = strawberry.field(
        description="The partner id, or the tier, type, country or product line code."
    )
    revenue_minor: MinorUnits = strawberry.field(
        description="Delivered revenue net of returns, in reporting-currency minor units."
    )
    share_basis_points: int = strawberry.field(description="Share of the total, 1/100 of a %.")
    cumulative_basis_points: int = strawberry.field(
        description="Share of the total of this and every group above it, 1/100 of a %."
    )
    in_core: bool = strawberry.field(
        description="In the smallest set of groups that brings the threshold."
    )
    name: str = strawberry.field(
        description="The partner's or product line's name; the tier, type or country code "
        "otherwise."
    )
    is_partner: strawberry.Private[bool]

    @strawberry.field(description="The partner, when grouped by partner.")
    async def partner(self, info: Info) -> Partner | None:
        if not self.is_partner:
            return None
        return await partner_of(info, self.key)


@strawberry.type(description="The 80/20 view: who brings the channel's revenue.")
class ChannelConcentration:
    period: ReportPeriod = strawberry.field(description="The period whose revenue counts.")
    previous_period: ReportPeriod = strawberry.field(
        description="The period of the same kind before it, for churn of the core."
    )
    group_by: GroupBy = strawberry.field(description="What revenue is grouped by.")
    reporting_currency: str = strawberry.field(
        description="The ISO 4217 currency every amount is converted to."
    )
    threshold_basis_points: int = strawberry.field(
        description="The share of revenue the core set brings, 1/100 of a %."
    )
    total_revenue_minor: MinorUnits = strawberry.field(
        description="Delivered revenue net of returns of every group, in "
        "reporting-currency minor units."
    )
    groups: list[ConcentrationShare] = strawberry.field(
        description="In descending revenue (ties by key), groups with revenue in the period."
    )
    core_size: int = strawberry.field(description="How many groups the core set holds.")
    active_partners: int = strawberry.field(description="Partners with status ACTIVE now.")
    core_share_of_active_partners_basis_points: int | None = strawberry.field(
        description="The core's size as a share of active partners (grouped by partner only)."
    )
    gini_basis_points: int = strawberry.field(
        description="Gini coefficient of revenue over the groups: 0 equal, 10000 all in one."
    )
    entered: list[str] = strawberry.field(
        description="Keys in the core now but not in the previous period's."
    )
    left: list[str] = strawberry.field(
        description="Keys in the previous period's core but not in this one's."
    )
    missing_rates: list[MissingRate] = strawberry.field(
        description="Revenue left out for want of an exchange rate, per currency."
    )

    @classmethod
    def of(cls, found: analytics_service.ChannelConcentration) -> ChannelConcentration:
        figures, by_partner = found.figures, found.group_by is analytics_service.GroupBy.PARTNER
        core_share = None
        if by_partner and found.active_partners:
            core_share = round(len(figures.core) * 10_000 / found.active_partners)
        return cls(
            period=ReportPeriod.of(found.period),
            previous_period=ReportPeriod.of(found.period.previous()),
            group_by=found.group_by,
            reporting_currency=found.reporting_currency,
            threshold_basis_points=found.threshold_bp,
            total_revenue_minor=MinorUnits(figures.total_minor),
            groups=[
                ConcentrationShare(
                    key=share.key,
                    revenue_minor=MinorUnits(share.revenue_minor),
                    share_basis_points=share.share_bp,
                    cumulative_basis_points=share.cumulative_bp,
                    in_core=share.in_core,
                    name=found.names.get(share.key, share.key),
                    is_partner=by_partner,
                )
                for share in figures.shares
            ],
            core_size=len(figures.core),
            active_partners=found.active_partners,
            core_share_of_active_partners_basis_points=core_share,
            gini_basis_points=figures.gini_bp,
            entered=found.entered,
            left=found.left,
            missing_rates=[
                MissingRate(currency=item.currency, amount_minor=MinorUnits(item.amount_minor))
                for item in found.missing_rates
            ],
        )
