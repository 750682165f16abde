"""GraphQL types of tier rules and tier recommendations."""

from __future__ import annotations

from datetime import datetime

import strawberry

from hub.analytics.tiers import Check, Direction, Recommendation
from hub.partners import Tier
from schema.context import Info
from schema.partners import Partner, partner_of
from schema.scalars import MinorUnits
from storage.models.analytics import TierRule as TierRuleModel

strawberry.enum(Direction, name="TierDirection", description="Up to the next tier, or down.")
strawberry.enum(
    Check,
    name="TierCheck",
    description="What a tier rule checks: revenue in the period, win rate of the leads closed "
    "in it, or certified users of a product line (training's tier requirements).",
)


@strawberry.input(description="What a tier asks of a partner's revenue and win rate.")
class TierRuleInput:
    tier: Tier
    min_revenue_minor: MinorUnits = strawberry.field(
        default=MinorUnits(0), description="In reporting-currency minor units, over the period."
    )
    min_win_rate_bp: int | None = strawberry.field(
        default=None, name="minWinRateBasisPoints", description="Null: no win-rate rule."
    )


@strawberry.type(description="What a tier asks of revenue and win rate over a report's period.")
class TierRule:
    tier: Tier
    min_revenue_minor: MinorUnits
    min_win_rate_basis_points: int | None
    updated_at: datetime

    @classmethod
    def from_model(cls, model: TierRuleModel) -> TierRule:
        return cls(
            tier=Tier(model.tier),
            min_revenue_minor=MinorUnits(model.min_revenue_minor),
            min_win_rate_basis_points=model.min_win_rate_bp,
            updated_at=model.updated_at,
        )


@strawberry.type(description="One check of a partner against a tier.")
class TierReason:
    check: Check
    required: int = strawberry.field(
        description="Minor units (REVENUE), basis points (WIN_RATE) or users (CERTIFIED_USERS)."
    )
    actual: int | None = strawberry.field(description="Null: no lead closed in the period.")
    met: bool
    product_line: str | None = strawberry.field(description="For CERTIFIED_USERS.")


@strawberry.type(
    description="A partner that meets the next tier's rules, or falls below its own; apply it "
    "with changePartnerTier."
)
class TierRecommendation:
    direction: Direction
    current_tier: Tier
    recommended_tier: Tier
    reasons: list[TierReason] = strawberry.field(
        description="Every check of the recommended tier (PROMOTE) or of its own (DEMOTE)."
    )
    partner_id: strawberry.Private[str]

    @strawberry.field
    async def partner(self, info: Info) -> Partner:
        return await partner_of(info, self.partner_id)

    @classmethod
    def of(cls, found: Recommendation) -> TierRecommendation:
        return cls(
            direction=found.direction,
            current_tier=Tier(found.partner.tier),
            recommended_tier=found.tier,
            reasons=[
                TierReason(
                    check=reason.check,
                    required=reason.required,
                    actual=reason.actual,
                    met=reason.met,
                    product_line=reason.product_line,
                )
                for reason in found.reasons
            ],
            partner_id=found.partner.id,
        )
