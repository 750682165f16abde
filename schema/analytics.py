"""GraphQL types of channel analytics: periods, exchange rates and the 80/20 view."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import strawberry

from hub.analytics import periods
from hub.analytics import service as analytics_service
from hub.analytics.periods import Period
from hub.analytics.scorecards import RankBand, Scorecard, ScorecardOrder
from hub.partners import PartnerStatus, PartnerType, Tier
from schema.context import Info
from schema.inputs import to_hub
from schema.partners import Partner, partner_of
from schema.scalars import MinorUnits
from storage.models.analytics import ExchangeRate as ExchangeRateModel

GroupBy = analytics_service.GroupBy
strawberry.enum(
    GroupBy,
    name="ConcentrationGroup",
    description="What revenue is grouped by: each partner, or its tier, type or country "
    "(as they are now), or the product line of the order lines.",
)


@strawberry.input(
    description="Exactly one of: a month, a quarter, a year, trailing days (ending today), "
    "or from and to (both inclusive). Days are UTC."
)
class PeriodInput:
    month: str | None = strawberry.field(default=None, description='A month, e.g. "2026-09".')
    quarter: str | None = strawberry.field(default=None, description='E.g. "2026-Q3".')
    year: int | None = None
    trailing_days: int | None = strawberry.field(
        default=None, description="30, 90 or 365 days ending today."
    )
    from_date: date | None = strawberry.field(default=None, name="from")
    to_date: date | None = strawberry.field(default=None, name="to")


def resolved_period(info: Info, period: PeriodInput) -> Period:
    """The period a report asks for, with trailing days ending today."""
    today = info.context.hub.clock.now().date()
    return periods.resolve(to_hub(period, periods.PeriodInput), today=today)


@strawberry.input(description="Which partners' scorecards to list.")
class ScorecardFilter:
    tiers: list[Tier] | None = None
    types: list[PartnerType] | None = None
    statuses: list[PartnerStatus] | None = None
    country: str | None = None


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
    label: str
    start: date
    end: date

    @classmethod
    def of(cls, period: Period) -> ReportPeriod:
        return cls(label=period.label, start=period.start, end=period.end - timedelta(days=1))


@strawberry.type(
    description="How many units of the reporting currency one unit of a currency is worth, "
    "from a day on (until the next rate of that currency)."
)
class ExchangeRate:
    currency: str
    rate: str = strawberry.field(description='A decimal string, e.g. "1.0825".')
    valid_from: date
    set_at: datetime

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
    currency: str
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
    is_partner: strawberry.Private[bool]

    @strawberry.field(description="The partner, when grouped by partner.")
    async def partner(self, info: Info) -> Partner | None:
        if not self.is_partner:
            return None
        return await partner_of(info, self.key)


@strawberry.type(description="The 80/20 view: who brings the channel's revenue.")
class ChannelConcentration:
    period: ReportPeriod
    previous_period: ReportPeriod
    group_by: GroupBy
    reporting_currency: str
    threshold_basis_points: int
    total_revenue_minor: MinorUnits
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
    missing_rates: list[MissingRate]

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


strawberry.enum(
    RankBand,
    description="Where a partner's revenue ranks in the channel: the top 10%, 25% or 50%, "
    "or the bottom half.",
)
strawberry.enum(
    ScorecardOrder,
    description="How partnerScorecards is sorted, ties by partner id: REVENUE highest first, "
    "LOWEST_REVENUE lowest first, GROWTH (revenue minus the previous period's) highest first, "
    "NAME A to Z.",
)


@strawberry.type(description="A count or rate of the period beside the period before.")
class Metric:
    current: int | None = strawberry.field(description="Null when there is nothing to measure.")
    previous: int | None

    @strawberry.field(description="current - previous; null when either is null.")
    def change(self) -> int | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous


@strawberry.type(
    description="An amount in reporting-currency minor units beside the period before."
)
class MoneyMetric:
    current: MinorUnits | None = strawberry.field(
        description="Null when there is nothing to measure."
    )
    previous: MinorUnits | None

    @strawberry.field(description="current - previous; null when either is null.")
    def change(self) -> MinorUnits | None:
        if self.current is None or self.previous is None:
            return None
        return MinorUnits(self.current - self.previous)


@strawberry.type(
    description="A partner's figures for a period beside the period before, and its rank by "
    "revenue (see README for each definition)."
)
class PartnerScorecard:
    period: ReportPeriod
    previous_period: ReportPeriod
    reporting_currency: str
    revenue_minor: MoneyMetric = strawberry.field(
        description="Delivered revenue net of returns received."
    )
    average_order_minor: MoneyMetric = strawberry.field(
        description="Revenue per order delivered (null without deliveries)."
    )
    delivered_orders: Metric
    returned_orders: Metric = strawberry.field(description="Returns received.")
    leads_offered: Metric
    leads_accepted: Metric
    leads_declined: Metric
    leads_expired: Metric
    acceptance_rate_basis_points: Metric = strawberry.field(
        description="Accepted of the offers that ended (accepted, declined or expired)."
    )
    median_seconds_to_accept: Metric
    routed_leads_won: Metric = strawberry.field(
        description="Opportunities of its routed leads closed WON in the period."
    )
    routed_leads_lost: Metric = strawberry.field(
        description="Opportunities of its routed leads closed LOST in the period."
    )
    win_rate_basis_points: Metric = strawberry.field(
        description="Won of its routed leads' opportunities closed (WON or LOST) in the period."
    )
    routed_revenue_minor: MoneyMetric = strawberry.field(
        description="Amount of its routed leads' opportunities won in the period, at the rate "
        "of the day each closed."
    )
    open_opportunities: Metric = strawberry.field(
        description="OPEN opportunities expected to close in the period."
    )
    open_pipeline_minor: MoneyMetric = strawberry.field(
        description="Amount of its OPEN opportunities expected to close in the period, at the "
        "rate of each expected close date."
    )
    deals_submitted: Metric = strawberry.field(
        description="Deal registrations it submitted in the period."
    )
    deals_approved: Metric = strawberry.field(
        description="Its deal registrations approved in the period."
    )
    deal_approval_rate_basis_points: Metric = strawberry.field(
        description="dealsApproved / dealsSubmitted of the period, in basis points."
    )
    deal_conversion_basis_points: Metric = strawberry.field(
        description="Won of its registrations' opportunities closed (WON or LOST) in the period."
    )
    certified_users: Metric = strawberry.field(
        description="Its users holding a valid certification at the period's end (now for a "
        "period still running)."
    )
    certification_seats_met: Metric = strawberry.field(
        description="Of the certified users its tier requires per product line, how many it has "
        "(at most the requirement per line), at the period's end."
    )
    certification_seats_required: Metric = strawberry.field(
        description="Certified users its tier requires, summed over product lines."
    )
    collateral_downloads: Metric = strawberry.field(
        description="Collateral downloads by its users in the period."
    )
    articles_read: Metric = strawberry.field(
        description="Knowledge-base article views by its users in the period."
    )
    best_practices_published: Metric = strawberry.field(
        description="Its best practices published in the period."
    )
    median_seconds_to_respond: Metric = strawberry.field(
        description="Median time its users took to answer a message from another organization, "
        "over its answers sent in the period."
    )
    rank_band: RankBand
    rank_in_tier: int | None = strawberry.field(
        description="1 + how many ACTIVE partners of its tier earned more (vendor staff)."
    )
    tier_size: int | None = strawberry.field(description="ACTIVE partners of its tier.")
    percentile_in_tier: int | None = strawberry.field(
        description="Share of the others in its tier ranked below it, in % (vendor staff)."
    )
    rank_in_channel: int | None = strawberry.field(
        description="1 + how many ACTIVE partners earned more (vendor staff)."
    )
    channel_size: int | None
    percentile_in_channel: int | None
    missing_rates: list[MissingRate] = strawberry.field(
        description="This period's amounts (revenue, routed revenue, open pipeline) left out "
        "for want of a rate, per currency."
    )
    partner_id: strawberry.Private[str]

    @strawberry.field
    async def partner(self, info: Info) -> Partner:
        return await partner_of(info, self.partner_id)

    @classmethod
    def of(cls, card: Scorecard, *, ranks: bool) -> PartnerScorecard:
        now, before = card.current, card.previous

        def count(name: str) -> Metric:
            return Metric(current=getattr(now, name), previous=getattr(before, name))

        def done(name: str) -> Metric:
            return Metric(
                current=getattr(now.activity, name), previous=getattr(before.activity, name)
            )

        def money(name: str, activity: bool = False) -> MoneyMetric:
            current, previous = (
                (getattr(now.activity, name), getattr(before.activity, name))
                if activity
                else (getattr(now, name), getattr(before, name))
            )
            return MoneyMetric(
                current=None if current is None else MinorUnits(current),
                previous=None if previous is None else MinorUnits(previous),
            )

        return cls(
            period=ReportPeriod.of(card.period),
            previous_period=ReportPeriod.of(card.period.previous()),
            reporting_currency=card.reporting_currency,
            revenue_minor=money("revenue_minor"),
            average_order_minor=money("average_order_minor"),
            delivered_orders=count("delivered_orders"),
            returned_orders=count("returned_orders"),
            leads_offered=count("leads_offered"),
            leads_accepted=count("leads_accepted"),
            leads_declined=count("leads_declined"),
            leads_expired=count("leads_expired"),
            acceptance_rate_basis_points=count("acceptance_rate_bp"),
            median_seconds_to_accept=count("median_seconds_to_accept"),
            routed_leads_won=done("routed_won"),
            routed_leads_lost=done("routed_lost"),
            win_rate_basis_points=done("win_rate_bp"),
            routed_revenue_minor=money("routed_revenue_minor", activity=True),
            open_opportunities=done("open_opportunities"),
            open_pipeline_minor=money("open_pipeline_minor", activity=True),
            deals_submitted=done("deals_submitted"),
            deals_approved=done("deals_approved"),
            deal_approval_rate_basis_points=done("deal_approval_rate_bp"),
            deal_conversion_basis_points=done("deal_conversion_bp"),
            certified_users=done("certified_users"),
            certification_seats_met=done("certification_seats_met"),
            certification_seats_required=done("certification_seats_required"),
            collateral_downloads=done("collateral_downloads"),
            articles_read=done("articles_read"),
            best_practices_published=done("best_practices_published"),
            median_seconds_to_respond=done("median_seconds_to_respond"),
            rank_band=card.band,
            rank_in_tier=card.in_tier.position if ranks else None,
            tier_size=card.in_tier.of if ranks else None,
            percentile_in_tier=card.in_tier.percentile if ranks else None,
            rank_in_channel=card.in_channel.position if ranks else None,
            channel_size=card.in_channel.of if ranks else None,
            percentile_in_channel=card.in_channel.percentile if ranks else None,
            missing_rates=[
                MissingRate(currency=currency, amount_minor=MinorUnits(amount))
                for currency, amount in _by_currency(
                    [*now.missing_rates, *now.activity.missing_rates]
                )
            ],
            partner_id=card.partner.id,
        )


def _by_currency(items: list[analytics_service.MissingRate]) -> list[tuple[str, int]]:
    """Amounts left out, summed per currency."""
    sums: dict[str, int] = {}
    for item in items:
        sums[item.currency] = sums.get(item.currency, 0) + item.amount_minor
    return sorted(sums.items())
