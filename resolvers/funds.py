"""Root fields of market development funds: budgets, allocations, requests and their events."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from hub.funds import budgets, requests, rules
from hub.funds.rules import BudgetStatus
from schema.arguments import After, ApproverNote, EventsAfter, ExpectedVersion, First, Id
from schema.context import Info
from schema.events import parse_cursor, subscribe
from schema.funds import (
    FundAllocation,
    FundAllocationFilter,
    FundBudget,
    FundBudgetChangesInput,
    FundBudgetInput,
    FundEvent,
    FundRequest,
    FundRequestFilter,
    FundRequestInput,
)
from schema.inputs import to_hub
from schema.relay import Connection, page_request
from schema.scalars import MoneyInput


@strawberry.type
class FundsQuery:
    @strawberry.field(
        description="Budgets, newest first: vendor-side accounts all, a partner "
        "those its channel is allocated from (without the budget's amounts)."
    )
    async def fund_budgets(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        status: Annotated[
            BudgetStatus | None,
            strawberry.argument(description="Only budgets with this status; all when left out."),
        ] = None,
    ) -> Connection[FundBudget]:
        principal = info.context.require_principal()
        page = await budgets.list_budgets(
            info.context.hub,
            principal=principal,
            status=status,
            page=page_request(info, first, after),
        )
        return Connection[FundBudget].of(
            page, lambda model: FundBudget.from_model(model, vendor=principal.is_vendor)
        )

    @strawberry.field(description="One fund budget the caller may see.")
    async def fund_budget(self, info: Info, id: Id) -> FundBudget:
        principal = info.context.require_principal()
        model = await budgets.get(info.context.hub, principal=principal, budget_id=id)
        return FundBudget.from_model(model, vendor=principal.is_vendor)

    @strawberry.field(
        description="Allocations, oldest first: vendor-side accounts all, a partner its channel's."
    )
    async def fund_allocations(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            FundAllocationFilter | None,
            strawberry.argument(
                description="Which allocations to list; all the caller may see when left out."
            ),
        ] = None,
    ) -> Connection[FundAllocation]:
        page = await budgets.list_allocations(
            info.context.hub,
            principal=info.context.require_principal(),
            filter=to_hub(filter or FundAllocationFilter(), budgets.AllocationFilter),
            page=page_request(info, first, after),
        )
        return Connection[FundAllocation].of(page, FundAllocation.from_model)

    @strawberry.field(description="One allocation the caller may see.")
    async def fund_allocation(self, info: Info, id: Id) -> FundAllocation:
        model = await budgets.get_allocation(
            info.context.hub, principal=info.context.require_principal(), allocation_id=id
        )
        return FundAllocation.from_model(model)

    @strawberry.field(
        description="Fund requests, newest first: vendor-side accounts all, a partner its "
        "channel's."
    )
    async def fund_requests(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            FundRequestFilter | None,
            strawberry.argument(
                description="Which requests to list; all the caller may see when left out."
            ),
        ] = None,
    ) -> Connection[FundRequest]:
        page = await requests.list_requests(
            info.context.hub,
            principal=info.context.require_principal(),
            filter=to_hub(filter or FundRequestFilter(), rules.RequestFilter),
            page=page_request(info, first, after),
        )
        return Connection[FundRequest].of(page, FundRequest.from_model)

    @strawberry.field(description="One fund request the caller may see.")
    async def fund_request(self, info: Info, id: Id) -> FundRequest:
        model = await requests.get(
            info.context.hub, principal=info.context.require_principal(), request_id=id
        )
        return FundRequest.from_model(model)


@strawberry.type
class FundsMutation:
    @strawberry.mutation(description="Open a budget for a period (vendor staff).")
    async def create_fund_budget(
        self,
        info: Info,
        input: Annotated[FundBudgetInput, strawberry.argument(description="The new budget.")],
    ) -> FundBudget:
        model = await budgets.create(
            info.context.hub,
            principal=info.context.require_principal(),
            data=to_hub(
                input,
                rules.BudgetInput,
                amount_minor=int(input.amount.amount_minor),
                currency=input.amount.currency,
            ),
        )
        return FundBudget.from_model(model, vendor=True)

    @strawberry.mutation(
        description="Rename a budget, change its amount (never below what is allocated) or "
        "close it (vendor staff)."
    )
    async def update_fund_budget(
        self,
        info: Info,
        id: Id,
        input: Annotated[
            FundBudgetChangesInput,
            strawberry.argument(description="What to change; omitted fields stay."),
        ],
    ) -> FundBudget:
        amount = input.amount
        model = await budgets.update(
            info.context.hub,
            principal=info.context.require_principal(),
            budget_id=id,
            changes=rules.BudgetChanges(
                name=input.name,
                amount_minor=int(amount.amount_minor) if amount else None,
                status=input.status,
            ),
        )
        return FundBudget.from_model(model, vendor=True)

    @strawberry.mutation(
        description="Set what an ACTIVE partner may spend from an open budget, in its "
        "currency; allocations never exceed the budget nor fall below what approved "
        "requests reserve (vendor staff)."
    )
    async def allocate_funds(
        self,
        info: Info,
        budget_id: Annotated[
            strawberry.ID, strawberry.argument(description="The open budget to allocate from.")
        ],
        partner_id: Annotated[
            strawberry.ID, strawberry.argument(description="The ACTIVE partner to allocate to.")
        ],
        amount: Annotated[
            MoneyInput,
            strawberry.argument(
                description="The partner's whole allocation, in the budget's currency."
            ),
        ],
    ) -> FundAllocation:
        model = await budgets.allocate(
            info.context.hub,
            principal=info.context.require_principal(),
            budget_id=budget_id,
            partner_id=partner_id,
            amount_minor=int(amount.amount_minor),
            currency=amount.currency,
        )
        return FundAllocation.from_model(model)

    @strawberry.mutation(
        description="Ask to spend part of your organization's allocation on an activity "
        "within the budget's period (partners)."
    )
    async def submit_fund_request(
        self,
        info: Info,
        input: Annotated[
            FundRequestInput,
            strawberry.argument(
                description="The activity, the allocation to spend from and the amount."
            ),
        ],
    ) -> FundRequest:
        model = await requests.submit(
            info.context.hub,
            principal=info.context.require_principal(),
            data=to_hub(
                input,
                rules.RequestInput,
                amount_minor=int(input.amount.amount_minor),
                currency=input.amount.currency,
            ),
        )
        return FundRequest.from_model(model)

    @strawberry.mutation(
        description="Approve a submitted request for what it asks or less (`amount`), "
        "reserving it on the allocation; CONFLICT when the allocation has less available "
        "(vendor staff)."
    )
    async def approve_fund_request(
        self,
        info: Info,
        id: Id,
        amount: Annotated[
            MoneyInput | None,
            strawberry.argument(
                description="What is approved, at most what is asked; the amount asked "
                "when left out."
            ),
        ] = None,
        note: ApproverNote = None,
        expected_version: ExpectedVersion = None,
    ) -> FundRequest:
        model = await requests.approve(
            info.context.hub,
            principal=info.context.require_principal(),
            request_id=id,
            amount_minor=int(amount.amount_minor) if amount else None,
            currency=amount.currency if amount else None,
            note=note,
            expected_version=expected_version,
        )
        return FundRequest.from_model(model)

    @strawberry.mutation(description="Turn a submitted request down with a reason (vendor staff).")
    async def reject_fund_request(
        self,
        info: Info,
        id: Id,
        reason: Annotated[str, strawberry.argument(description="Why, shown to the partner.")],
    ) -> FundRequest:
        model = await requests.reject(
            info.context.hub,
            principal=info.context.require_principal(),
            request_id=id,
            reason=reason,
        )
        return FundRequest.from_model(model)

    @strawberry.mutation(
        description="Withdraw your organization's submitted or approved request; an "
        "approved one gives its reservation back."
    )
    async def withdraw_fund_request(self, info: Info, id: Id) -> FundRequest:
        model = await requests.withdraw(
            info.context.hub, principal=info.context.require_principal(), request_id=id
        )
        return FundRequest.from_model(model)


@strawberry.type
class FundsSubscription:
    @strawberry.subscription(
        description="FUNDS_ALLOCATED and each step of fund requests and claims, for the "
        "partner, its distributor and vendor staff; `after` replays what was missed."
    )
    async def fund_events(
        self, info: Info, after: EventsAfter = None
    ) -> AsyncGenerator[FundEvent, None]:
        async with subscribe(info, {rules.TOPIC}, after=parse_cursor(after)) as stream:
            async for event in stream:
                yield FundEvent.from_event(event)
