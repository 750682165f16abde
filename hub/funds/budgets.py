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

from hub.db import distinct
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

MAX_SHARES = 10_000


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
    [allocation] = await _set(hub, principal, budget_id, [Share(partner_id, amount, code)], "")
    return allocation


@dataclass(frozen=True)
class Share:
    partner_id: str
    amount_minor: int
    currency: str


async def allocate_many(
    hub: Hub, *, principal: Principal, budget_id: str, shares: Sequence[Share]
) -> list[FundAllocation]:
    """Set several partners' allocations at once, all or none: a proposal confirmed as
    adjusted (vendor staff). Partners not named keep theirs."""
    require_vendor_staff(principal)
    if not 1 <= len(shares) <= MAX_SHARES:
        raise BadInput(f"give 1 to {MAX_SHARES} allocations", field="allocations")
    checked = []
    seen: set[str] = set()
    for n, share in enumerate(shares):
        field = f"allocations.{n}"
        if share.partner_id in seen:
            raise BadInput("each partner is named once", field=f"{field}.partnerId")
        seen.add(share.partner_id)
        amount, code = rules.money(share.amount_minor, share.currency, field=f"{field}.amount")
        checked.append(Share(share.partner_id, amount, code))
    return await _set(hub, principal, budget_id, checked, "allocations.")


async def _set(
    hub: Hub, principal: Principal, budget_id: str, shares: Sequence[Share], prefix: str
) -> list[FundAllocation]:
    """Set each share's allocation under the budget's row lock; the fields of errors are
    `prefix` + `n.` (for several) + the input's name."""

    def field(n: int, name: str) -> str:
        return f"{prefix}{n}.{name}" if prefix else name

    async with hub.write() as session:
        budget = await _locked(session, budget_id, field="budgetId")
        if budget.status != BudgetStatus.OPEN:
            raise Conflict("this budget is closed", field="budgetId")
        ids = [share.partner_id for share in shares]
        statuses = {
            str(id_): str(status)
            for id_, status in await session.execute(
                select(Partner.id, Partner.status).where(Partner.id.in_(distinct(ids)))
            )
        }
        found = {
            row.partner_id: row
            for row in await session.scalars(
                select(FundAllocation)
                .where(FundAllocation.budget_id == budget.id, FundAllocation.partner_id.in_(ids))
                .with_for_update()
            )
        }
        for n, share in enumerate(shares):
            rules.same_currency(share.currency, budget.currency, field=field(n, "amount.currency"))
            status = statuses.get(share.partner_id)
            if status is None:
                raise NotFound("no such partner", field=field(n, "partnerId"))
            if status != PartnerStatus.ACTIVE:
                raise BadInput(
                    f"the partner is {status}; funds go to ACTIVE partners",
                    field=field(n, "partnerId"),
                )
            reserved = found[share.partner_id].reserved_minor if share.partner_id in found else 0
            if share.amount_minor < reserved:
                raise Conflict(
                    f"approved requests already reserve {reserved} minor units of this allocation",
                    field=field(n, "amount.amountMinor"),
                )
        before = sum(found[id_].amount_minor for id_ in ids if id_ in found)
        left = budget.amount_minor - budget.allocated_minor + before
        wanted = sum(share.amount_minor for share in shares)
        if wanted > left:
            raise Conflict(
                f"the budget has {left} minor units left for "
                + ("this partner" if not prefix else f"these partners, not {wanted}"),
                field="amount.amountMinor" if not prefix else prefix.rstrip("."),
            )
        now = hub.clock.now()
        changed = []
        for share in shares:
            allocation = found.get(share.partner_id)
            if allocation is None:
                allocation = FundAllocation(
                    budget_id=budget.id,
                    partner_id=share.partner_id,
                    reserved_minor=0,
                    currency=budget.currency,
                    created_at=now,
                )
                session.add(allocation)
            allocation.amount_minor = share.amount_minor
            allocation.allocated_by_id = principal.user_id
            allocation.updated_at = now
            changed.append(allocation)
        budget.allocated_minor += wanted - before
        budget.updated_at = now
        await session.flush()
        for allocation in changed:
            await rules.emit(
                hub,
                session,
                FundEventType.FUNDS_ALLOCATED,
                subject_id=allocation.id,
                partner_id=allocation.partner_id,
                payload={
                    "allocationId": allocation.id,
                    "budgetId": budget.id,
                    "amountMinor": allocation.amount_minor,
                    "currency": budget.currency,
                },
            )
    return changed


async def _locked(session: AsyncSession, budget_id: str, *, field: str) -> FundBudget:
    budget = await session.get(FundBudget, budget_id, with_for_update=True)
    if budget is None:
        raise NotFound("no such fund budget", field=field)
    return budget


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
