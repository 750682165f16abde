"""Channel analytics: the reporting currency, exchange rates and the 80/20 view."""

from __future__ import annotations

from typing import Annotated

import strawberry

from hub.analytics import funnel, scorecards, tiers
from hub.analytics import service as analytics_service
from hub.analytics.funnel import FunnelGroup
from hub.analytics.scorecards import ScorecardOrder
from schema.analytics import (
    ChannelConcentration,
    ExchangeRate,
    ExchangeRateInput,
    GroupBy,
    PeriodInput,
    resolved_period,
)
from schema.arguments import After, First
from schema.context import Info
from schema.inputs import to_hub
from schema.lead_funnel import LeadFunnel
from schema.relay import Connection, page_request
from schema.scorecards import PartnerScorecard, ScorecardFilter
from schema.tier_recommendations import TierRecommendation, TierRule, TierRuleInput


@strawberry.type
class AnalyticsQuery:
    @strawberry.field(description="The currency reports are in (vendor staff).")
    async def reporting_currency(self, info: Info) -> str:
        return await analytics_service.reporting_currency(
            info.context.hub, principal=info.context.require_principal()
        )

    @strawberry.field(description="Every exchange rate by currency and day (vendor staff).")
    async def exchange_rates(self, info: Info) -> list[ExchangeRate]:
        found = await analytics_service.exchange_rates(
            info.context.hub, principal=info.context.require_principal()
        )
        return [ExchangeRate.from_model(model) for model in found]

    @strawberry.field(
        description="The 80/20 view of a period: revenue by partner or group in descending "
        "order, the core set that brings the threshold, the Gini coefficient and who "
        "entered or left the core since the previous period (vendor staff)."
    )
    async def channel_concentration(
        self,
        info: Info,
        period: Annotated[
            PeriodInput,
            strawberry.argument(description="The period whose delivered revenue counts."),
        ],
        group_by: Annotated[
            GroupBy, strawberry.argument(description="What revenue is grouped by.")
        ] = GroupBy.PARTNER,
        threshold_percent: Annotated[
            int,
            strawberry.argument(
                description="The share of revenue the core set brings, in percent: 1 to 100."
            ),
        ] = 80,
    ) -> ChannelConcentration:
        hub, principal = info.context.hub, info.context.require_principal()
        found = await analytics_service.channel_concentration(
            hub,
            principal=principal,
            period=resolved_period(info, period),
            group_by=group_by,
            threshold_bp=threshold_percent * 100,
        )
        return ChannelConcentration.of(found)

    @strawberry.field(
        description="A partner's scorecard for a period: vendor staff any partner's, a partner "
        "its own, a distributor also its sub-resellers' (exact ranks for vendor staff only)."
    )
    async def partner_scorecard(
        self,
        info: Info,
        partner_id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description="The partner whose scorecard to read; partners may name "
                "only their own organization."
            ),
        ],
        period: Annotated[
            PeriodInput,
            strawberry.argument(
                description="The period; compared with the period of the same kind before it."
            ),
        ],
    ) -> PartnerScorecard:
        hub, principal = info.context.hub, info.context.require_principal()
        card = await scorecards.scorecard(
            hub,
            principal=principal,
            partner_id=str(partner_id),
            period=resolved_period(info, period),
        )
        return PartnerScorecard.of(card, ranks=principal.is_vendor)

    @strawberry.field(
        description="Scorecards of a period, by revenue highest first unless orderBy says "
        "otherwise (vendor staff every partner's; a partner its own and its sub-resellers'; "
        "exact ranks for vendor staff)."
    )
    async def partner_scorecards(
        self,
        info: Info,
        period: Annotated[
            PeriodInput,
            strawberry.argument(
                description="The period; compared with the period of the same kind before it."
            ),
        ],
        first: First = None,
        after: After = None,
        filter: Annotated[
            ScorecardFilter | None,
            strawberry.argument(
                description="Which partners; every partner the caller may see when left out."
            ),
        ] = None,
        order_by: Annotated[
            ScorecardOrder, strawberry.argument(description="How the scorecards are sorted.")
        ] = ScorecardOrder.REVENUE,
    ) -> Connection[PartnerScorecard]:
        principal = info.context.require_principal()
        page = await scorecards.list_scorecards(
            info.context.hub,
            principal=principal,
            filter=to_hub(filter or ScorecardFilter(), scorecards.ScorecardFilter),
            period=resolved_period(info, period),
            page=page_request(info, first, after),
            order=order_by,
        )
        ranks = principal.is_vendor
        return Connection[PartnerScorecard].of(
            page, lambda card: PartnerScorecard.of(card, ranks=ranks)
        )

    @strawberry.field(
        description="What became of the leads created in a period, by group: vendor staff all "
        "of them with the coverage gaps routing found; a partner those offered to it (a "
        "distributor: to its channel), counting only its channel's offers."
    )
    async def lead_funnel(
        self,
        info: Info,
        period: Annotated[
            PeriodInput, strawberry.argument(description="The period whose created leads count.")
        ],
        group_by: Annotated[
            FunnelGroup, strawberry.argument(description="What the funnel is grouped by.")
        ] = FunnelGroup.SOURCE,
    ) -> LeadFunnel:
        found = await funnel.lead_funnel(
            info.context.hub,
            principal=info.context.require_principal(),
            period=resolved_period(info, period),
            group_by=group_by,
        )
        return LeadFunnel.of(found)

    @strawberry.field(description="What each tier asks of revenue and win rate (vendor staff).")
    async def tier_rules(self, info: Info) -> list[TierRule]:
        found = await tiers.rules(info.context.hub, principal=info.context.require_principal())
        return [TierRule.from_model(model) for model in found]

    @strawberry.field(
        description="ACTIVE partners that meet every rule of the next tier, and those below a "
        "rule of their own, with each check, over a period (vendor staff)."
    )
    async def tier_recommendations(
        self,
        info: Info,
        period: Annotated[
            PeriodInput,
            strawberry.argument(
                description="The period whose revenue and win rate the rules are checked against."
            ),
        ],
    ) -> list[TierRecommendation]:
        found = await tiers.recommendations(
            info.context.hub,
            principal=info.context.require_principal(),
            period=resolved_period(info, period),
        )
        return [TierRecommendation.of(item) for item in found]


@strawberry.type
class AnalyticsMutation:
    @strawberry.mutation(
        description="Set what a tier asks of revenue and win rate (vendor admins)."
    )
    async def set_tier_rule(
        self,
        info: Info,
        input: Annotated[
            TierRuleInput, strawberry.argument(description="The tier and what it asks.")
        ],
    ) -> TierRule:
        model = await tiers.set_rule(
            info.context.hub,
            principal=info.context.require_principal(),
            data=to_hub(input, tiers.RuleInput),
        )
        return TierRule.from_model(model)

    @strawberry.mutation(
        description="Report in another currency; every figure is converted anew (vendor admins)."
    )
    async def set_reporting_currency(
        self,
        info: Info,
        currency: Annotated[
            str, strawberry.argument(description="The ISO 4217 code to report in.")
        ],
    ) -> str:
        return await analytics_service.set_reporting_currency(
            info.context.hub, principal=info.context.require_principal(), currency=currency
        )

    @strawberry.mutation(
        description="Set a currency's rate from a day on; revenue from that day on is "
        "converted anew (vendor admins)."
    )
    async def set_exchange_rate(
        self,
        info: Info,
        input: Annotated[
            ExchangeRateInput,
            strawberry.argument(
                description="The currency, its rate and the first day it applies to."
            ),
        ],
    ) -> ExchangeRate:
        model = await analytics_service.set_exchange_rate(
            info.context.hub,
            principal=info.context.require_principal(),
            data=to_hub(input, analytics_service.RateInput),
        )
        return ExchangeRate.from_model(model)
