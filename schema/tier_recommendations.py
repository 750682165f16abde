"""GraphQL types of tier rules and tier recommendations."""

from __future__ import annotations

from datetime import datetime

import strawberry

from hub.analytics.tiers import Check, Direction, Recommendation
from hub.partners import Tier
from schema.context import Info
from schema.enums import described_enum
from schema.partners import Partner, partner_of
from schema.scalars import MinorUnits
from storage.models.analytics import TierRule as TierRuleModel

described_enum(
    Direction,
    name="TierDirection",
    description="Up to the next tier, or down.",
    values={"PROMOTE": "To the next tier up.", "DEMOTE": "To the tier below."},
)
described_enum(
    Check,
    name="TierCheck",
    description="What a tier rule checks: revenue in the period, win rate of the leads closed "
    "in it, or certified users of a product line (training's tier requirements).",
    values={
        "REVENUE": "Delivered revenue net of returns in the period.",
        "WIN_RATE": "Won of the leads it holds closed (WON or LOST) in the period.",
        "CERTIFIED_USERS": "Users with a valid certification of a product line.",
    },
)


@strawberry.input(description="What a tier asks of a partner's revenue and win rate.")
class TierRuleInput:
    tier: Tier = strawberry.field(description="The tier whose rule to set.")
    min_revenue_minor: MinorUnits = strawberry.field(
        default=MinorUnits(0), description="In reporting-currency minor units, over the period."
    )
    min_win_rate_bp: int | None = strawberry.field(
        default=None, name="minWinRateBasisPoints", description="Null: no win-rate rule."
    )


@strawberry.type(description="What a tier asks of revenue and win rate over a report's period.")
class TierRule:
    tier: Tier = strawberry.field(description="The tier the rule is for.")
    min_revenue_minor: MinorUnits = strawberry.field(
        description="Revenue the tier asks over the period, in reporting-currency minor units."
    )
    min_win_rate_basis_points: int | None = strawberry.field(
        description="Win rate the tier asks, in basis points; null: no win-rate rule."
    )
    updated_at: datetime = strawberry.field(
        description="When the rule last changed (RFC 3339, UTC)."
    )

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
    check: Check = strawberry.field(description="What this check measures.")
    required: int = strawberry.field(
        description="Minor units (REVENUE), basis points (WIN_RATE) or users (CERTIFIED_USERS)."
    )
    actual: int | None = strawberry.field(description="Null: no lead closed in the period.")
    met: bool = strawberry.field(
        description="True when the actual figure reaches the required one."
    )
    product_line: str | None = strawberry.field(
        description="The product line whose certified users count, for CERTIFIED_USERS checks."
    )


@strawberry.type(
    description="A partner that meets the next tier's rules, or falls below its own; apply it "
    "with changePartnerTier."
)
class TierRecommendation:
    direction: Direction = strawberry.field(description="Whether to promote or demote.")
    current_tier: Tier = strawberry.field(description="The partner's tier now.")
    recommended_tier: Tier = strawberry.field(description="The tier to move it to.")
    reasons: list[TierReason] = strawberry.field(
        description="Every check of the recommended tier (PROMOTE) or of its own (DEMOTE)."
    )
    partner_id: strawberry.Private[str]

    @strawberry.field(description="The partner to promote or demote.")
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
