"""Root fields of proposed fund allocations: propose a spread, confirm allocations in bulk."""

from __future__ import annotations

from typing import Annotated

import strawberry

from hub.funds import budgets, proposals
from schema.context import Info
from schema.fund_proposals import (
    FundAllocationProposal,
    FundAllocationRuleInput,
    FundAllocationShareInput,
)
from schema.funds import FundAllocation


@strawberry.type
class FundProposalsQuery:
    @strawberry.field(
        description="Spread an open budget over ACTIVE partners by revenue share, tier or "
        "growth, never below what a partner's approved requests reserve; writes nothing "
        "(vendor staff)."
    )
    async def propose_fund_allocation(
        self,
        info: Info,
        budget_id: Annotated[
            strawberry.ID, strawberry.argument(description="The open budget to spread.")
        ],
        rule: Annotated[
            FundAllocationRuleInput, strawberry.argument(description="How to spread it.")
        ],
    ) -> FundAllocationProposal:
        proposal = await proposals.propose(
            info.context.hub,
            principal=info.context.require_principal(),
            budget_id=budget_id,
            rule=rule.to_hub(info),
        )
        return FundAllocationProposal.of(proposal)


@strawberry.type
class FundProposalsMutation:
    @strawberry.mutation(
        description="Set up to 10,000 partners' allocations of an open budget at once, all or "
        "none (a proposal as adjusted); partners not named keep theirs (vendor staff)."
    )
    async def confirm_fund_allocations(
        self,
        info: Info,
        budget_id: Annotated[
            strawberry.ID, strawberry.argument(description="The open budget to allocate from.")
        ],
        allocations: Annotated[
            list[FundAllocationShareInput],
            strawberry.argument(
                description="What each partner is allocated, at most 10,000 partners."
            ),
        ],
    ) -> list[FundAllocation]:
        models = await budgets.allocate_many(
            info.context.hub,
            principal=info.context.require_principal(),
            budget_id=budget_id,
            shares=[share.to_hub() for share in allocations],
        )
        return [FundAllocation.from_model(model) for model in models]
