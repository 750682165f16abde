"""GraphQL types of proposed fund allocations: a budget spread by revenue share, tier or
growth, and the allocations vendor staff confirm from it."""

from __future__ import annotations

import strawberry

from hub.analytics.periods import Period
from hub.errors import BadInput
from hub.funds import proposals
from hub.funds.budgets import Share
from hub.funds.proposals import Basis
from hub.partners import Tier
from schema.analytics import PeriodInput, ReportPeriod, resolved_period
from schema.context import Info
from schema.enums import described_enum
from schema.funds import FundBudget
from schema.partners import Partner, partner_of
from schema.scalars import MinorUnits, Money, MoneyInput

described_enum(
    Basis,
    name="FundAllocationBasis",
    description="REVENUE_SHARE: by delivered revenue net of returns in a period; TIER: by a "
    "weight per tier; GROWTH: by how much revenue grew over the period before.",
    values={
        "REVENUE_SHARE": "By delivered revenue net of returns in the period.",
        "TIER": "By a weight per tier.",
        "GROWTH": "By how much revenue grew over the period before.",
    },
)


@strawberry.input(description="How much one tier weighs in a TIER proposal.")
class TierWeightInput:
    tier: Tier = strawberry.field(description="The tier the weight is for.")
    weight: int = strawberry.field(description="From 0 (none) to 1000.")


@strawberry.input(description="How to spread a budget over ACTIVE partners.")
class FundAllocationRuleInput:
    basis: Basis = strawberry.field(description="What to spread the budget by.")
    period: PeriodInput | None = strawberry.field(
        default=None,
        description="The revenue period of REVENUE_SHARE and GROWTH; by default the 365 days "
        "before the budget starts.",
    )
    amount: MoneyInput | None = strawberry.field(
        default=None,
        description="What to spread; by default the budget less what partners left out of "
        "the proposal keep.",
    )
    tier_weights: list[TierWeightInput] | None = strawberry.field(
        default=None,
        description="TIER only; tiers not named weigh 0. By default REGISTERED 1, SILVER 2, "
        "GOLD 4, PLATINUM 8.",
    )
    core_only: bool = strawberry.field(
        default=False,
        description="Only the partners that bring 80% of the period's revenue (the 80/20 core).",
    )
    top: int | None = strawberry.field(
        default=None, description="At most this many partners, the heaviest first."
    )

    def to_hub(self, info: Info) -> proposals.Rule:
        period: Period | None = None
        if self.period is not None:
            try:
                period = resolved_period(info, self.period)
            except BadInput as error:
                raise BadInput(error.message, field=f"rule.{error.field or 'period'}") from error
        weights = None
        if self.tier_weights is not None:
            weights = {}
            for one in self.tier_weights:
                if one.tier in weights:
                    raise BadInput(f"{one.tier} is weighed twice", field="rule.tierWeights")
                weights[one.tier] = one.weight
        return proposals.Rule(
            basis=self.basis,
            period=period,
            amount_minor=int(self.amount.amount_minor) if self.amount else None,
            currency=self.amount.currency if self.amount else None,
            tier_weights=weights,
            core_only=self.core_only,
            top=self.top,
        )


@strawberry.type(description="One partner's share of a proposal.")
class ProposedFundAllocation:
    tier: Tier = strawberry.field(description="The partner's tier today.")
    share_basis_points: int = strawberry.field(
        description="Its weight's share of all the proposal's weights, in 1/100 of a percent."
    )
    amount: Money = strawberry.field(description="What the proposal allocates to it.")
    current: Money = strawberry.field(description="What it is allocated now (0: nothing).")
    reserved: Money = strawberry.field(
        description="What its approved requests reserve: the proposal never goes below it."
    )
    basis_amount: Money | None = strawberry.field(
        description="REVENUE_SHARE: its revenue; GROWTH: its growth; in the reporting currency."
    )
    tier_weight: int | None = strawberry.field(description="TIER: its tier's weight.")
    partner_id: strawberry.Private[str]

    @strawberry.field(description="The partner the proposal allocates to.")
    async def partner(self, info: Info) -> Partner:
        return await partner_of(info, self.partner_id)


@strawberry.type(
    description="A budget spread over partners, for vendor staff to adjust and confirm with "
    "confirmFundAllocations; it writes nothing. The amounts add up to the amount spread."
)
class FundAllocationProposal:
    budget: FundBudget = strawberry.field(description="The budget spread.")
    basis: Basis = strawberry.field(description="What the budget was spread by.")
    period: ReportPeriod | None = strawberry.field(
        description="The revenue period (REVENUE_SHARE and GROWTH)."
    )
    amount: Money = strawberry.field(description="What is spread over the partners.")
    kept: Money = strawberry.field(
        description="What partners left out of the proposal keep of their allocations."
    )
    allocations: list[ProposedFundAllocation] = strawberry.field(
        description="The heaviest first (ties by partner id)."
    )

    @classmethod
    def of(cls, proposal: proposals.Proposal) -> FundAllocationProposal:
        currency = proposal.budget.currency

        def money(minor: int, code: str = currency) -> Money:
            return Money(amount_minor=MinorUnits(minor), currency=code)

        by_revenue = proposal.basis is not Basis.TIER
        reporting = proposal.reporting_currency or currency
        return cls(
            budget=FundBudget.from_model(proposal.budget, vendor=True),
            basis=proposal.basis,
            period=ReportPeriod.of(proposal.period) if proposal.period else None,
            amount=money(proposal.amount_minor),
            kept=money(proposal.kept_minor),
            allocations=[
                ProposedFundAllocation(
                    partner_id=line.partner_id,
                    tier=Tier(line.tier),
                    share_basis_points=line.share_bp,
                    amount=money(line.amount_minor),
                    current=money(line.current_minor),
                    reserved=money(line.reserved_minor),
                    basis_amount=money(line.weight, reporting) if by_revenue else None,
                    tier_weight=None if by_revenue else line.weight,
                )
                for line in proposal.lines
            ],
        )


@strawberry.input(description="What one partner is allocated.")
class FundAllocationShareInput:
    partner_id: strawberry.ID = strawberry.field(description="The ACTIVE partner.")
    amount: MoneyInput = strawberry.field(
        description="Its whole allocation, in the budget's currency."
    )

    def to_hub(self) -> Share:
        return Share(str(self.partner_id), int(self.amount.amount_minor), self.amount.currency)
