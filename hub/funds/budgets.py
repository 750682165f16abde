"""Fund budgets and what each partner is allocated from them.

A budget's allocations never add up to more than the budget, and an allocation never falls
below what its approved requests reserve: both are checked under the budget's row lock, in
the transaction that changes them (SQLite writes one transaction at a time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, exists, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from hub.errors import BadInput, Conflict, NotFound
from hub.funds import rules
from hub.funds.rules import BudgetChanges, BudgetInput, BudgetStatus, FundEventType
from hub.pagination import Page, PageRequest, keyset_page
from hub.partners.directory import InChannel
from hub.partners.rules import PartnerStatus
from hub.roles import Principal, require_vendor_staff
from hub.runtime import Hub
from storage.models import Partner
from storage.models.funds import FundAllocation, FundBudget


@dataclass(frozen=True)
class AllocationFilter:
    budget_id: str | None = None
    partner_id: str | None = None


def visible(principal: Principal) -> ColumnElement[bool]:
    """Vendor-side accounts see every budget; a partner those its channel is allocated from."""
    if principal.is_vendor:
        return true()
    return exists().where(
        FundAllocation.budget_id == FundBudget.id,
        InChannel(FundAllocation.partner_id, principal.organization_id),
    )


async def create(hub: Hub, *, principal: Principal, data: BudgetInput) -> FundBudget:
    """Open a budget for a period (vendor staff)."""
    require_vendor_staff(principal)
    starts_on, ends_on = rules.period(data.starts_on, data.ends_on)
    amount, code = rules.money(data.amount_minor, data.currency, field="input.amount")
    now = hub.clock.now()
    budget = FundBudget(
        name=rules.name(data.name, field="input.name"),
        starts_on=starts_on,
        ends_on=ends_on,
        currency=code,
        amount_minor=amount,
        allocated_minor=0,
        status=BudgetStatus.OPEN,
        claim_window_days=rules.claim_window(data.claim_window_days),
        created_by_id=principal.user_id,
        created_at=now,
        updated_at=now,
        version=1,
    )
    async with hub.write() as session:
        session.add(budget)
    return budget


async def update(
    hub: Hub, *, principal: Principal, budget_id: str, changes: BudgetChanges
) -> FundBudget:
    """Rename a budget, change its amount (never below what is allocated) or close it."""
    require_vendor_staff(principal)
    name = rules.name(changes.name, field="input.name") if changes.name is not None else None
    async with hub.write() as session:
        budget = await _locked(session, budget_id, field="id")
        if name is not None:
            budget.name = name
        if changes.amount_minor is not None:
            amount, _ = rules.money(changes.amount_minor, budget.currency, field="input.amount")
            if amount < budget.allocated_minor:
                raise Conflict(
                    f"{budget.allocated_minor} minor units are already allocated; "
                    "lower allocations before the budget",
                    field="input.amount.amountMinor",
                )
            budget.amount_minor = amount
        if changes.status is not None:
            budget.status = changes.status
        budget.version += 1
        budget.updated_at = hub.clock.now()
    return budget


async def allocate(
    hub: Hub,
    *,
    principal: Principal,
    budget_id: str,
    partner_id: str,
    amount_minor: int,
    currency: str,
) -> FundAllocation:
    """Set what a partner may spend from a budget (vendor staff)."""
    require_vendor_staff(principal)
    amount, code = rules.money(amount_minor, currency, field="amount")
    async with hub.write() as session:
        budget = await _locked(session, budget_id, field="budgetId")
        if budget.status != BudgetStatus.OPEN:
            raise Conflict("this budget is closed", field="budgetId")
        rules.same_currency(code, budget.currency, field="amount.currency")
        status = await session.scalar(select(Partner.status).where(Partner.id == partner_id))
        if status is None:
            raise NotFound("no such partner", field="partnerId")
        if status != PartnerStatus.ACTIVE:
            raise BadInput(
                f"the partner is {status}; funds go to ACTIVE partners", field="partnerId"
            )
        allocation = await _allocation_for(session, budget.id, partner_id)
        before = allocation.amount_minor if allocation else 0
        reserved = allocation.reserved_minor if allocation else 0
        left = budget.amount_minor - budget.allocated_minor + before
        if amount > left:
            raise Conflict(
                f"the budget has {left} minor units left for this partner",
                field="amount.amountMinor",
            )
        if amount < reserved:
            raise Conflict(
                f"approved requests already reserve {reserved} minor units of this allocation",
                field="amount.amountMinor",
            )
        now = hub.clock.now()
        if allocation is None:
            allocation = FundAllocation(
                budget_id=budget.id,
                partner_id=partner_id,
                reserved_minor=0,
                currency=budget.currency,
                created_at=now,
            )
            session.add(allocation)
        allocation.amount_minor = amount
        allocation.allocated_by_id = principal.user_id
        allocation.updated_at = now
        budget.allocated_minor += amount - before
        budget.updated_at = now
        await session.flush()
        await rules.emit(
            hub,
            session,
            FundEventType.FUNDS_ALLOCATED,
            subject_id=allocation.id,
            partner_id=partner_id,
            payload={
                "allocationId": allocation.id,
                "budgetId": budget.id,
                "amountMinor": amount,
                "currency": budget.currency,
            },
        )
    return allocation


async def _locked(session: AsyncSession, budget_id: str, *, field: str) -> FundBudget:
    budget = await session.get(FundBudget, budget_id, with_for_update=True)
    if budget is None:
        raise NotFound("no such fund budget", field=field)
    return budget


async def _allocation_for(
    session: AsyncSession, budget_id: str, partner_id: str
) -> FundAllocation | None:
    statement = (
        select(FundAllocation)
        .where(FundAllocation.budget_id == budget_id, FundAllocation.partner_id == partner_id)
        .with_for_update()
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def get(hub: Hub, *, principal: Principal, budget_id: str) -> FundBudget:
    async with hub.read() as session:
        budget = await session.scalar(
            select(FundBudget).where(FundBudget.id == budget_id, visible(principal))
        )
    if budget is None:
        raise NotFound("no such fund budget", field="id")
    return budget


async def list_budgets(
    hub: Hub, *, principal: Principal, status: BudgetStatus | None, page: PageRequest
) -> Page[FundBudget]:
    """Budgets the caller may see, newest first."""
    statement: Select[tuple[FundBudget]] = select(FundBudget).where(visible(principal))
    if status is not None:
        statement = statement.where(FundBudget.status == status)
    async with hub.read() as session:
        return await keyset_page(
            session, statement, page, key=(FundBudget.created_at, FundBudget.id), descending=True
        )


async def by_ids(hub: Hub, *, principal: Principal, ids: Sequence[str]) -> list[FundBudget | None]:
    return await rules.by_key(hub, FundBudget, FundBudget.id, visible(principal), ids)


async def get_allocation(hub: Hub, *, principal: Principal, allocation_id: str) -> FundAllocation:
    async with hub.read() as session:
        allocation = await session.scalar(
            select(FundAllocation).where(
                FundAllocation.id == allocation_id, rules.allocation_visible(principal)
            )
        )
    if allocation is None:
        raise NotFound("no such fund allocation", field="id")
    return allocation


async def list_allocations(
    hub: Hub, *, principal: Principal, filter: AllocationFilter, page: PageRequest
) -> Page[FundAllocation]:
    """Allocations the caller may see, in the order they were first made."""
    statement = select(FundAllocation).where(rules.allocation_visible(principal))
    if filter.budget_id is not None:
        statement = statement.where(FundAllocation.budget_id == filter.budget_id)
    if filter.partner_id is not None:
        statement = statement.where(FundAllocation.partner_id == filter.partner_id)
    async with hub.read() as session:
        return await keyset_page(
            session, statement, page, key=(FundAllocation.created_at, FundAllocation.id)
        )


async def allocations_by_ids(
    hub: Hub, *, principal: Principal, ids: Sequence[str]
) -> list[FundAllocation | None]:
    visible = rules.allocation_visible(principal)
    return await rules.by_key(hub, FundAllocation, FundAllocation.id, visible, ids)
