"""Fund requests: a partner asks to spend part of its allocation on an activity; vendor
staff approve (all or part of it) or reject it; the partner may withdraw it.

An approval reserves its amount on the allocation under the allocation's row lock, so
concurrent approvals never reserve more than was allocated; withdrawing an approved request
gives its reservation back.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import validation
from hub.db import distinct
from hub.errors import BadInput, Conflict, Forbidden, NotFound
from hub.funds import rules
from hub.funds.rules import BudgetStatus, FundEventType, FundRequestStatus, RequestFilter
from hub.pagination import Page, PageRequest, keyset_page
from hub.roles import Principal, require_vendor_staff
from hub.runtime import Hub
from storage.models.funds import FundAllocation, FundBudget, FundClaim, FundRequest

OPEN = frozenset({FundRequestStatus.SUBMITTED, FundRequestStatus.APPROVED})


async def submit(hub: Hub, *, principal: Principal, data: rules.RequestInput) -> FundRequest:
    """Ask to spend part of the caller's organization's allocation on an activity."""
    if not principal.is_partner:
        raise Forbidden("partners request funds from their own allocations")
    title = rules.name(data.title, field="input.title")
    description = validation.text(
        data.description, field="input.description", max_length=5000, required=False
    )
    amount, code = rules.money(data.amount_minor, data.currency, field="input.amount", least=1)
    async with hub.write() as session:
        allocation = await session.scalar(
            select(FundAllocation).where(
                FundAllocation.id == data.allocation_id,
                rules.allocation_visible(principal),
            )
        )
        if allocation is None:
            raise NotFound("no such fund allocation", field="input.allocationId")
        if allocation.partner_id != principal.organization_id:
            raise Forbidden("only the allocation's partner requests funds from it")
        budget = await session.get(FundBudget, allocation.budget_id)
        assert budget is not None
        if budget.status != BudgetStatus.OPEN:
            raise Conflict("this budget is closed", field="input.allocationId")
        rules.same_currency(code, allocation.currency, field="input.amount.currency")
        rules.activity(data, budget.starts_on, budget.ends_on)
        available = allocation.amount_minor - allocation.reserved_minor
        if amount > available:
            raise Conflict(
                f"the allocation has {available} minor units available",
                field="input.amount.amountMinor",
            )
        now = hub.clock.now()
        request = FundRequest(
            allocation_id=allocation.id,
            budget_id=budget.id,
            partner_id=allocation.partner_id,
            title=title,
            description=description,
            activity_type=data.activity_type,
            activity_starts_on=data.activity_starts_on,
            activity_ends_on=data.activity_ends_on,
            requested_minor=amount,
            currency=code,
            expected_leads=data.expected_leads,
            status=FundRequestStatus.SUBMITTED,
            submitted_by_id=principal.user_id,
            created_at=now,
            updated_at=now,
            version=1,
        )
        session.add(request)
        await session.flush()
        await _emit(hub, session, FundEventType.FUND_REQUEST_SUBMITTED, request)
    return request


async def approve(
    hub: Hub,
    *,
    principal: Principal,
    request_id: str,
    amount_minor: int | None = None,
    currency: str | None = None,
    note: str | None = None,
    expected_version: int | None = None,
) -> FundRequest:
    """Approve a submitted request for what it asks or less, reserving it (vendor staff)."""
    require_vendor_staff(principal)
    text = validation.optional_text(note, field="note", max_length=2000)
    async with hub.write() as session:
        request = await _decidable(session, request_id, expected_version)
        amount = request.requested_minor
        if amount_minor is not None:
            amount, code = rules.money(
                amount_minor, currency or request.currency, field="amount", least=1
            )
            rules.same_currency(code, request.currency, field="amount.currency")
        if amount > request.requested_minor:
            raise BadInput(
                f"approve at most the {request.requested_minor} minor units requested",
                field="amount.amountMinor",
            )
        budget = await session.get(FundBudget, request.budget_id)
        assert budget is not None
        if budget.status != BudgetStatus.OPEN:
            raise Conflict("this budget is closed", field="id")
        allocation = await locked_allocation(session, request.allocation_id)
        available = allocation.amount_minor - allocation.reserved_minor
        if amount > available:
            raise Conflict(
                f"the partner's allocation has {available} minor units available",
                field="amount.amountMinor",
            )
        allocation.reserved_minor += amount
        allocation.updated_at = hub.clock.now()
        _decide(hub, principal, request, FundRequestStatus.APPROVED, text)
        request.approved_minor = amount
        await _emit(hub, session, FundEventType.FUND_REQUEST_APPROVED, request)
    return request


async def reject(hub: Hub, *, principal: Principal, request_id: str, reason: str) -> FundRequest:
    """Turn a submitted request down, saying why (vendor staff)."""
    require_vendor_staff(principal)
    text = validation.text(reason, field="reason", max_length=2000)
    async with hub.write() as session:
        request = await _decidable(session, request_id, None)
        _decide(hub, principal, request, FundRequestStatus.REJECTED, text)
        await _emit(hub, session, FundEventType.FUND_REQUEST_REJECTED, request)
    return request


async def withdraw(hub: Hub, *, principal: Principal, request_id: str) -> FundRequest:
    """Withdraw a submitted or approved request; an approved one gives its reservation back."""
    async with hub.write() as session:
        request = await session.scalar(
            select(FundRequest)
            .where(FundRequest.id == request_id, rules.request_visible(principal))
            .with_for_update()
        )
        if request is None:
            raise NotFound("no such fund request", field="id")
        if principal.organization_id != request.partner_id:
            raise Forbidden("only the requesting partner withdraws its request")
        if request.status not in OPEN:
            raise Conflict(f"this request is already {request.status}", field="id")
        if await session.scalar(select(FundClaim.id).where(FundClaim.request_id == request.id)):
            raise Conflict("this request has a claim; it can no longer be withdrawn", field="id")
        if request.status == FundRequestStatus.APPROVED:
            allocation = await locked_allocation(session, request.allocation_id)
            allocation.reserved_minor -= request.approved_minor or 0
            allocation.updated_at = hub.clock.now()
        request.status = FundRequestStatus.WITHDRAWN
        request.version += 1
        request.updated_at = hub.clock.now()
        await _emit(hub, session, FundEventType.FUND_REQUEST_WITHDRAWN, request)
    return request


async def _decidable(
    session: AsyncSession, request_id: str, expected_version: int | None
) -> FundRequest:
    request = await session.get(FundRequest, request_id, with_for_update=True)
    if request is None:
        raise NotFound("no such fund request", field="id")
    if expected_version is not None and request.version != expected_version:
        raise Conflict(
            f"the request changed (version {request.version}); reload it and decide again",
            field="expectedVersion",
        )
    if request.status != FundRequestStatus.SUBMITTED:
        raise Conflict(f"this request is already {request.status}", field="id")
    return request


async def locked_allocation(session: AsyncSession, allocation_id: str) -> FundAllocation:
    allocation = await session.get(
        FundAllocation, allocation_id, with_for_update=True, populate_existing=True
    )
    assert allocation is not None
    return allocation


def _decide(
    hub: Hub,
    principal: Principal,
    request: FundRequest,
    status: FundRequestStatus,
    note: str | None,
) -> None:
    now = hub.clock.now()
    request.status = status
    request.decision_note = note
    request.decided_by_id = principal.user_id
    request.decided_at = now
    request.updated_at = now
    request.version += 1


async def _emit(hub: Hub, session: AsyncSession, type: FundEventType, request: FundRequest) -> None:
    await rules.emit(
        hub,
        session,
        type,
        subject_id=request.id,
        partner_id=request.partner_id,
        payload={
            "requestId": request.id,
            "allocationId": request.allocation_id,
            "status": request.status,
            "amountMinor": request.approved_minor or request.requested_minor,
        },
    )


async def get(hub: Hub, *, principal: Principal, request_id: str) -> FundRequest:
    async with hub.read() as session:
        request = await session.scalar(
            select(FundRequest).where(
                FundRequest.id == request_id, rules.request_visible(principal)
            )
        )
    if request is None:
        raise NotFound("no such fund request", field="id")
    return request


async def list_requests(
    hub: Hub, *, principal: Principal, filter: RequestFilter, page: PageRequest
) -> Page[FundRequest]:
    """Requests the caller may see, newest first."""
    statement = select(FundRequest).where(rules.request_visible(principal))
    if filter.statuses:
        statement = statement.where(
            FundRequest.status.in_(distinct(status.value for status in filter.statuses))
        )
    if filter.budget_id is not None:
        statement = statement.where(FundRequest.budget_id == filter.budget_id)
    if filter.partner_id is not None:
        statement = statement.where(FundRequest.partner_id == filter.partner_id)
    async with hub.read() as session:
        return await keyset_page(
            session,
            statement,
            page,
            key=(FundRequest.created_at, FundRequest.id),
            descending=True,
        )


async def by_ids(hub: Hub, *, principal: Principal, ids: Sequence[str]) -> list[FundRequest | None]:
    visible = rules.request_visible(principal)
    return await rules.by_key(hub, FundRequest, FundRequest.id, visible, ids)
