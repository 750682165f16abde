"""Partner scorecards over GraphQL: a partner's figures beside the period before, its rank."""

from __future__ import annotations

import strawberry

from hub.analytics import service as analytics_service
from hub.analytics.scorecards import RankBand, Scorecard, ScorecardOrder
from schema.analytics import MissingRate, ReportPeriod
from schema.context import Info
from schema.enums import described_enum
from schema.partners import Partner, PartnerTraitsFilter, partner_of
from schema.scalars import MinorUnits

described_enum(
    RankBand,
    description="Where a partner's revenue ranks in the channel: the top 10%, 25% or 50%, "
    "or the bottom half.",
    values={
        "TOP_10": "In the top 10% by revenue.",
        "TOP_25": "In the top 25%, below the top 10%.",
        "TOP_50": "In the top half, below the top 25%.",
        "BOTTOM_50": "In the bottom half.",
    },
)
described_enum(
    ScorecardOrder,
    description="How partnerScorecards is sorted, ties by partner id: REVENUE highest first, "
    "LOWEST_REVENUE lowest first, GROWTH (revenue minus the previous period's) highest first, "
    "NAME A to Z.",
    values={
        "REVENUE": "Highest revenue first.",
        "LOWEST_REVENUE": "Lowest revenue first.",
        "GROWTH": "Highest growth over the previous period first.",
        "NAME": "By partner name, A to Z.",
    },
)


@strawberry.input(description="Which partners' scorecards to list.")
class ScorecardFilter(PartnerTraitsFilter):
    """Partners' traits alone: scorecards have no locator or search."""


@strawberry.type(description="A count or rate of the period beside the period before.")
class Metric:
    current: int | None = strawberry.field(description="Null when there is nothing to measure.")
    previous: int | None = strawberry.field(
        description="The figure of the period before; null when there is nothing to measure."
    )

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
    previous: MinorUnits | None = strawberry.field(
        description="The amount of the period before; null when there is nothing to measure."
    )

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
    period: ReportPeriod = strawberry.field(description="The period of the figures.")
    previous_period: ReportPeriod = strawberry.field(
        description="The period of the same kind before it, for the `previous` figures."
    )
    reporting_currency: str = strawberry.field(
        description="The ISO 4217 currency amounts are converted to."
    )
    revenue_minor: MoneyMetric = strawberry.field(
        description="Delivered revenue net of returns received."
    )
    average_order_minor: MoneyMetric = strawberry.field(
        description="Revenue per order delivered (null without deliveries)."
    )
    delivered_orders: Metric = strawberry.field(description="Orders delivered in the period.")
    returned_orders: Metric = strawberry.field(
        description="Returns received from it in the period."
    )
    leads_offered: Metric = strawberry.field(description="Leads offered to it in the period.")
    leads_accepted: Metric = strawberry.field(description="Offers it accepted in the period.")
    leads_declined: Metric = strawberry.field(description="Offers it declined in the period.")
    leads_expired: Metric = strawberry.field(description="Offers it let expire in the period.")
    acceptance_rate_basis_points: Metric = strawberry.field(
        description="Accepted of the offers that ended (accepted, declined or expired)."
    )
    median_seconds_to_accept: Metric = strawberry.field(
        description="Median seconds from offer to acceptance, of the offers accepted in the period."
    )
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
    rank_band: RankBand = strawberry.field(description="Where its revenue ranks in the channel.")
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
    channel_size: int | None = strawberry.field(
        description="ACTIVE partners in the channel (vendor staff)."
    )
    percentile_in_channel: int | None = strawberry.field(
        description="Share of the other partners ranked below it, in % (vendor staff)."
    )
    missing_rates: list[MissingRate] = strawberry.field(
        description="This period's amounts (revenue, routed revenue, open pipeline) left out "
        "for want of a rate, per currency."
    )
    partner_id: strawberry.Private[str]

    @strawberry.field(description="The partner the figures are of.")
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
