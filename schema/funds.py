"""GraphQL types of market development funds: budgets, allocations, requests, events."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from hub import sources
from hub.events import DomainEvent
from hub.funds import attribution
from hub.funds import budgets as budget_service
from hub.funds import claims as claim_service
from hub.funds import requests as request_service
from hub.funds.rules import ActivityType, BudgetStatus, FundEventType, FundRequestStatus
from schema.context import Info
from schema.enums import described_enum
from schema.events import shared
from schema.loading import LoaderSet, loader
from schema.nodes import Node
from schema.partners import Partner, partner_of
from schema.scalars import MinorUnits, Money, MoneyInput
from storage.models.funds import FundAllocation as AllocationModel
from storage.models.funds import FundBudget as BudgetModel
from storage.models.funds import FundRequest as RequestModel

if TYPE_CHECKING:
    from schema.fund_claims import FundClaim

described_enum(
    BudgetStatus,
    name="FundBudgetStatus",
    description="OPEN takes allocations and requests; CLOSED takes none.",
    values={
        "OPEN": "Takes allocations and requests.",
        "CLOSED": "Takes none; claims of approved requests still come in.",
    },
)
described_enum(
    FundRequestStatus,
    description="SUBMITTED until vendor staff APPROVE or REJECT it; the partner may "
    "WITHDRAW it while SUBMITTED or APPROVED.",
    values={
        "SUBMITTED": "Waiting for vendor staff.",
        "APPROVED": "Approved; the amount is reserved on the allocation.",
        "REJECTED": "Turned down with a reason.",
        "WITHDRAWN": "Withdrawn by the partner; any reservation is released.",
    },
)
described_enum(
    ActivityType,
    name="FundActivityType",
    description="The kind of marketing activity funds pay for.",
    values={
        "EVENT": "An event the partner hosts.",
        "TRADE_SHOW": "A trade-show presence.",
        "WEBINAR": "A webinar.",
        "DIGITAL": "Online advertising or e-mail marketing.",
        "PRINT": "Print advertising or mailings.",
        "TELEMARKETING": "Calling campaigns.",
        "TRAINING": "Training of the partner's staff or customers.",
        "OTHER": "Any other activity, described in the request.",
    },
)
described_enum(
    FundEventType,
    description="What happened to an allocation, a fund request or a claim.",
    values={
        "FUNDS_ALLOCATED": "An allocation was made or changed.",
        "FUND_REQUEST_SUBMITTED": "A partner asked for funds.",
        "FUND_REQUEST_APPROVED": "A request was approved.",
        "FUND_REQUEST_REJECTED": "A request was rejected.",
        "FUND_REQUEST_WITHDRAWN": "A partner withdrew a request.",
        "CLAIM_SUBMITTED": "A claim was submitted or resubmitted.",
        "CLAIM_INFO_REQUESTED": "Vendor staff asked for more on a claim.",
        "CLAIM_APPROVED": "A claim was approved.",
        "CLAIM_REJECTED": "A claim was rejected.",
        "CLAIM_PAID": "A claim was paid.",
    },
)


def _money(amount: int, currency: str) -> Money:
    return Money(amount_minor=MinorUnits(amount), currency=currency)


class FundsLoaders(LoaderSet):
    """Budgets, allocations and requests by id, as the caller may see them."""

    budget_by_id = loader[str, BudgetModel | None](
        lambda hub, principal, ids: budget_service.by_ids(hub, principal=principal, ids=ids)
    )
    allocation_by_id = loader[str, AllocationModel | None](
        lambda hub, principal, ids: budget_service.allocations_by_ids(
            hub, principal=principal, ids=ids
        )
    )
    request_by_id = loader[str, RequestModel | None](
        lambda hub, principal, ids: request_service.by_ids(hub, principal=principal, ids=ids)
    )
    results_by_request = loader[str, attribution.Results | None](
        lambda hub, principal, ids: attribution.results(hub, principal=principal, request_ids=ids)
    )
    source_by_lead = loader[str, str | None](
        lambda hub, principal, ids: sources.of_leads(
            hub, attribution.KIND, principal=principal, ids=ids
        )
    )
    source_by_deal = loader[str, str | None](
        lambda hub, principal, ids: sources.of_deals(
            hub, attribution.KIND, principal=principal, ids=ids
        )
    )


async def fund_request_of(info: Info, request_id: str | None) -> FundRequest | None:
    """A request the caller may see, or None."""
    if request_id is None:
        return None
    model = await FundsLoaders.of(info).request_by_id.load(request_id)
    return None if model is None else FundRequest.from_model(model)


@strawberry.type(description="What came of a funded activity, as the caller may see it.")
class FundRequestResults:
    leads: int = strawberry.field(description="Leads naming the request as their source.")
    deal_registrations: int = strawberry.field(
        description="Deal registrations naming the request as their source."
    )
    won_opportunities: int = strawberry.field(
        description="Opportunities of those leads and registrations that were won."
    )
    won_revenue: Money = strawberry.field(
        description="What they were won for, in the request's currency (other currencies at "
        "the rates of the day each closed)."
    )
    spent: Money = strawberry.field(
        description="What the activity costs: the approved claim once decided, until then the "
        "approved amount (0 unless approved)."
    )
    roi_basis_points: int | None = strawberry.field(
        description="(wonRevenue - spent) / spent in 1/100 of a percent; null while nothing "
        "is spent."
    )
    missing_rates: list[str] = strawberry.field(
        description="Currencies of won amounts left out for want of an exchange rate."
    )

    @classmethod
    def of(cls, found: attribution.Results) -> FundRequestResults:
        return cls(
            leads=found.leads,
            deal_registrations=found.deal_registrations,
            won_opportunities=found.won,
            won_revenue=_money(found.won_minor, found.currency),
            spent=_money(found.spent_minor, found.currency),
            roi_basis_points=found.roi_bp,
            missing_rates=list(found.missing_rates),
        )


@strawberry.type(description="Marketing money for a period, in one currency.")
class FundBudget(Node):
    id: strawberry.ID = strawberry.field(description="The budget's id.")
    name: str = strawberry.field(description='The budget\'s name, e.g. "MDF 2026 H1".')
    starts_on: date = strawberry.field(
        description="The first day a funded activity may take place (a calendar date)."
    )
    ends_on: date = strawberry.field(description="The last day a funded activity may take place.")
    currency: str = strawberry.field(
        description="The budget's ISO 4217 currency; its allocations and requests are in it."
    )
    status: BudgetStatus = strawberry.field(
        description="Whether it takes allocations and requests."
    )
    claim_window_days: int = strawberry.field(
        description="How many days after an activity ends its claim may come in."
    )
    version: int = strawberry.field(
        description="Incremented on every change; pass it as expectedVersion to "
        "catch concurrent edits."
    )
    created_at: datetime = strawberry.field(
        description="When the budget was opened (RFC 3339, UTC)."
    )
    amount: Money | None = strawberry.field(
        description="The budget's whole amount; vendor-side accounts only (null for partners)."
    )
    allocated: Money | None = strawberry.field(
        description="What is allocated to partners (vendor-side accounts only)."
    )
    unallocated: Money | None = strawberry.field(
        description="What is left to allocate; vendor-side accounts only (null for partners)."
    )

    @classmethod
    def from_model(cls, model: BudgetModel, *, vendor: bool) -> FundBudget:
        def shown(amount: int) -> Money | None:
            return _money(amount, model.currency) if vendor else None

        return cls(
            id=strawberry.ID(model.id),
            name=model.name,
            starts_on=model.starts_on,
            ends_on=model.ends_on,
            currency=model.currency,
            status=BudgetStatus(model.status),
            claim_window_days=model.claim_window_days,
            version=model.version,
            created_at=model.created_at,
            amount=shown(model.amount_minor),
            allocated=shown(model.allocated_minor),
            unallocated=shown(model.amount_minor - model.allocated_minor),
        )


async def budget_of(info: Info, budget_id: str) -> FundBudget:
    model = await FundsLoaders.of(info).budget_by_id.load(budget_id)
    if model is None:
        raise RuntimeError(f"fund budget {budget_id} is gone or not visible")
    return FundBudget.from_model(model, vendor=info.context.require_principal().is_vendor)


@strawberry.type(description="What one partner may spend from a budget.")
class FundAllocation(Node):
    id: strawberry.ID = strawberry.field(description="The allocation's id.")
    amount: Money = strawberry.field(
        description="What the partner may spend in all, in the budget's currency."
    )
    reserved: Money = strawberry.field(description="What its approved requests reserve.")
    available: Money = strawberry.field(description="What is left to request.")
    updated_at: datetime = strawberry.field(description="When it last changed (RFC 3339, UTC).")
    budget_id: strawberry.Private[str]
    partner_id: strawberry.Private[str]

    @classmethod
    def from_model(cls, model: AllocationModel) -> FundAllocation:
        return cls(
            id=strawberry.ID(model.id),
            amount=_money(model.amount_minor, model.currency),
            reserved=_money(model.reserved_minor, model.currency),
            available=_money(model.amount_minor - model.reserved_minor, model.currency),
            updated_at=model.updated_at,
            budget_id=model.budget_id,
            partner_id=model.partner_id,
        )

    @strawberry.field(description="The budget it comes from.")
    async def budget(self, info: Info) -> FundBudget:
        return await budget_of(info, self.budget_id)

    @strawberry.field(description="The partner it is allocated to.")
    async def partner(self, info: Info) -> Partner:
        return await partner_of(info, self.partner_id)


@strawberry.type(description="A partner's request to spend part of its allocation.")
class FundRequest(Node):
    id: strawberry.ID = strawberry.field(description="The request's id.")
    title: str = strawberry.field(description="The activity's title, as the partner named it.")
    description: str = strawberry.field(description="What the activity is.")
    activity_type: ActivityType = strawberry.field(description="The kind of activity.")
    activity_starts_on: date = strawberry.field(
        description="The activity's first day (a calendar date)."
    )
    activity_ends_on: date = strawberry.field(
        description="The activity's last day (a calendar date); its claim may come in from then."
    )
    requested: Money = strawberry.field(
        description="What the partner asks for, in the allocation's currency."
    )
    approved: Money | None = strawberry.field(description="Null until approved.")
    expected_leads: int | None = strawberry.field(
        description="How many leads the partner expects from it."
    )
    status: FundRequestStatus = strawberry.field(description="Where the request is.")
    decision_note: str | None = strawberry.field(
        description="Why it was rejected, or the approver's note."
    )
    submitted_at: datetime = strawberry.field(description="When it was submitted (RFC 3339, UTC).")
    decided_at: datetime | None = strawberry.field(
        description="When it was approved or rejected (RFC 3339, UTC)."
    )
    version: int = strawberry.field(description="1, and one more on every change.")
    allocation_id: strawberry.ID = strawberry.field(description="The allocation it spends from.")
    budget_id: strawberry.Private[str]
    partner_id: strawberry.Private[str]

    @classmethod
    def from_model(cls, model: RequestModel) -> FundRequest:
        approved = model.approved_minor
        return cls(
            id=strawberry.ID(model.id),
            title=model.title,
            description=model.description,
            activity_type=ActivityType(model.activity_type),
            activity_starts_on=model.activity_starts_on,
            activity_ends_on=model.activity_ends_on,
            requested=_money(model.requested_minor, model.currency),
            approved=None if approved is None else _money(approved, model.currency),
            expected_leads=model.expected_leads,
            status=FundRequestStatus(model.status),
            decision_note=model.decision_note,
            submitted_at=model.created_at,
            decided_at=model.decided_at,
            version=model.version,
            allocation_id=strawberry.ID(model.allocation_id),
            budget_id=model.budget_id,
            partner_id=model.partner_id,
        )

    @strawberry.field(description="Its claim, once the partner made one.")
    async def claim(
        self, info: Info
    ) -> Annotated[FundClaim, strawberry.lazy("schema.fund_claims")] | None:
        from schema.fund_claims import ClaimLoaders, FundClaim  # it imports this module

        return FundClaim.maybe(await ClaimLoaders.of(info).claim_by_request.load(str(self.id)))

    @strawberry.field(
        description="The leads and deal registrations that name it as their source, what was "
        "won of them, what it cost and the return on it."
    )
    async def results(self, info: Info) -> FundRequestResults:
        found = await FundsLoaders.of(info).results_by_request.load(str(self.id))
        if found is None:
            raise RuntimeError(f"fund request {self.id} is gone or not visible")
        return FundRequestResults.of(found)

    @strawberry.field(description="The allocation it spends from.")
    async def allocation(self, info: Info) -> FundAllocation:
        model = await FundsLoaders.of(info).allocation_by_id.load(str(self.allocation_id))
        if model is None:
            raise RuntimeError(f"fund allocation {self.allocation_id} is gone or not visible")
        return FundAllocation.from_model(model)

    @strawberry.field(description="The budget of the allocation.")
    async def budget(self, info: Info) -> FundBudget:
        return await budget_of(info, self.budget_id)

    @strawberry.field(description="The requesting partner.")
    async def partner(self, info: Info) -> Partner:
        return await partner_of(info, self.partner_id)


@strawberry.input(description="A budget for a period.")
class FundBudgetInput:
    name: str = strawberry.field(description="The budget's name.")
    starts_on: date = strawberry.field(
        description="The first day a funded activity may take place (a calendar date)."
    )
    ends_on: date = strawberry.field(description="Inclusive; at most three years after the start.")
    amount: MoneyInput = strawberry.field(
        description="The budget's amount; its currency is the budget's."
    )
    claim_window_days: int = strawberry.field(
        default=60, description="Days after an activity ends that its claim may come in, 1-365."
    )


@strawberry.input(description="What to change of a budget; omitted fields stay.")
class FundBudgetChangesInput:
    name: str | None = strawberry.field(default=None, description="The new name.")
    amount: MoneyInput | None = strawberry.field(
        default=None, description="In the budget's currency; never below what is allocated."
    )
    status: BudgetStatus | None = strawberry.field(
        default=None, description="OPEN to take allocations and requests, CLOSED to take none."
    )


@strawberry.input(description="A request for funds from one of your allocations.")
class FundRequestInput:
    allocation_id: strawberry.ID = strawberry.field(
        description="The allocation of your organization to spend from."
    )
    title: str = strawberry.field(description="The activity's title.")
    activity_type: ActivityType = strawberry.field(description="The kind of activity.")
    activity_starts_on: date = strawberry.field(description="Within the budget's period.")
    activity_ends_on: date = strawberry.field(
        description="The activity's last day, within the budget's period."
    )
    amount: MoneyInput = strawberry.field(
        description="In the allocation's currency, at most what it has available."
    )
    description: str = strawberry.field(default="", description="What the activity is.")
    expected_leads: int | None = strawberry.field(
        default=None, description="How many leads you expect from it."
    )


@strawberry.input(description="Which allocations to list; the conditions given must all hold.")
class FundAllocationFilter:
    budget_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only allocations of this budget."
    )
    partner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this partner's allocations."
    )


@strawberry.input(description="Which requests to list; the conditions given must all hold.")
class FundRequestFilter:
    statuses: list[FundRequestStatus] = strawberry.field(
        default_factory=list,
        description="Only requests with one of these statuses; all when empty.",
    )
    budget_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only requests on this budget."
    )
    partner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this partner's requests."
    )


@strawberry.type(description="An allocation made or changed, or a request's step.")
class FundEvent:
    cursor: str = strawberry.field(
        description="The event's position; pass it as `after` to resume after it."
    )
    type: FundEventType = strawberry.field(
        description="What happened to the allocation, request or claim."
    )
    occurred_at: datetime = strawberry.field(description="When it happened (RFC 3339, UTC).")
    partner_id: strawberry.ID = strawberry.field(
        description="The partner whose allocation, request or claim it is."
    )
    allocation_id: strawberry.ID = strawberry.field(
        description="The allocation the event concerns."
    )
    request_id: strawberry.ID | None = strawberry.field(
        description="The fund request, for FUND_REQUEST_* and CLAIM_* events."
    )
    claim_id: strawberry.ID | None = strawberry.field(description="The claim, for CLAIM_* events.")
    amount: MinorUnits = strawberry.field(
        description="The allocation, or what the request asks or was approved for."
    )
    event: strawberry.Private[DomainEvent]

    @classmethod
    def from_event(cls, event: DomainEvent) -> FundEvent:
        payload: dict[str, Any] = event.payload
        request, claim = payload.get("requestId"), payload.get("claimId")
        return cls(
            cursor=str(event.id),
            type=FundEventType(event.type),
            occurred_at=event.occurred_at,
            partner_id=strawberry.ID(payload["partnerId"]),
            allocation_id=strawberry.ID(payload["allocationId"]),
            request_id=strawberry.ID(request) if request else None,
            claim_id=strawberry.ID(claim) if claim else None,
            amount=MinorUnits(payload["amountMinor"]),
            event=event,
        )

    async def _now(self, info: Info, name: str, by_ids: Any, id_: str) -> Any:
        """One record as the subscriber may see it now, loaded once per event and audience."""
        principal, hub = info.context.require_principal(), info.context.hub
        found = await shared(
            self.event, principal, name, lambda: by_ids(hub, principal=principal, ids=[id_])
        )
        return found[0]

    @strawberry.field(description="The request as the subscriber may see it now.")
    async def request(self, info: Info) -> FundRequest | None:
        if self.request_id is None:
            return None
        found = await self._now(info, "fund_request", request_service.by_ids, self.request_id)
        return FundRequest.from_model(found) if found else None

    @strawberry.field(description="The claim as the subscriber may see it now.")
    async def claim(
        self, info: Info
    ) -> Annotated[FundClaim, strawberry.lazy("schema.fund_claims")] | None:
        from schema.fund_claims import FundClaim  # it imports this module

        if self.claim_id is None:
            return None
        return FundClaim.maybe(
            await self._now(info, "fund_claim", claim_service.by_ids, self.claim_id)
        )

    @strawberry.field(description="The allocation as the subscriber may see it now.")
    async def allocation(self, info: Info) -> FundAllocation | None:
        by_ids = budget_service.allocations_by_ids
        found = await self._now(info, "fund_allocation", by_ids, self.allocation_id)
        return FundAllocation.from_model(found) if found else None
