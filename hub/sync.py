"""Bulk sync for the vendor's CRM and ERP (INTEGRATION accounts and vendor staff): products
upserted by SKU, stock levels set and leads upserted by the CRM's id, many in one call, each
item on its own (one bad item is reported with its place and field, the others are kept)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Generic, TypeVar

from hub import validation
from hub.errors import Conflict, HubError
from hub.leads import upsert
from hub.leads.rules import LeadInput, check_lead
from hub.orders import catalog, stock
from hub.orders.catalog import ProductInput
from hub.roles import Principal, require_vendor_side
from hub.runtime import Hub
from storage.models import Product, StockLevel

MAX_ITEMS = 500
T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """One item's result: what it made or changed, or why not (the error names its item)."""

    index: int
    key: str
    record: T | None = None
    created: bool = False
    error: HubError | None = None


@dataclass(frozen=True)
class Unreadable:
    """An item the API could not even turn into input (its error names the item's field)."""

    key: str
    error: HubError


@dataclass(frozen=True)
class StockLevelInput:
    sku: str
    warehouse: str
    on_hand: int


async def upsert_products(
    hub: Hub,
    *,
    principal: Principal,
    items: Sequence[tuple[ProductInput, frozenset[str]] | Unreadable],
) -> list[Outcome[Product]]:
    """Create each product whose SKU is new and update the others, item by item; an update
    changes the name, line and prices, and of `description` and `active` those given."""
    require_vendor_side(principal)
    validation.at_most(items, MAX_ITEMS, field="items", what="items")
    return [
        _failed(index, item.key, item.error)
        if isinstance(item, Unreadable)
        else await _each(index, item[0].sku, partial(_upsert_product, hub, principal, *item))
        for index, item in enumerate(items)
    ]


async def set_stock_levels(
    hub: Hub, *, principal: Principal, items: Sequence[StockLevelInput]
) -> list[Outcome[StockLevel]]:
    """Record the units on hand of each (SKU, warehouse), item by item."""
    require_vendor_side(principal)
    validation.at_most(items, MAX_ITEMS, field="items", what="items")

    return [
        await _each(
            index, f"{item.sku}@{item.warehouse}", partial(_set_level, hub, principal, item)
        )
        for index, item in enumerate(items)
    ]


async def upsert_leads(
    hub: Hub,
    *,
    principal: Principal,
    items: Sequence[tuple[LeadInput, Iterable[str]]],
    route_now: bool = True,
) -> list[Outcome[upsert.Upserted]]:
    """Create or update leads (see hub.leads.upsert), each with the names of the fields sent.
    The good items go in one transaction; if one of them spoils it, one by one."""
    require_vendor_side(principal)
    validation.at_most(items, MAX_ITEMS, field="items", what="items")
    outcomes: dict[int, Outcome[upsert.Upserted]] = {}
    good: list[tuple[int, upsert.Sent]] = []
    for index, (item, names) in enumerate(items):
        try:
            good.append((index, upsert.Sent.of(check_lead(item), names)))
        except HubError as error:
            outcomes[index] = _failed(index, item.external_id or item.customer_company, error)

    async def run(batch: list[tuple[int, upsert.Sent]]) -> None:
        items = [sent for _, sent in batch]
        done = await upsert.apply(hub, principal=principal, items=items, route_now=route_now)
        for (index, sent), result in zip(batch, done, strict=True):
            outcomes[index] = Outcome(index, _lead_key(sent), record=result)

    try:
        if good:
            await run(good)
    except HubError as error:
        _reraise_transient(error)
        for index, sent in good:
            try:
                await run([(index, sent)])
            except HubError as error:
                _reraise_transient(error)
                outcomes[index] = _failed(index, _lead_key(sent), error)
    return [outcomes[index] for index in range(len(items))]


def _lead_key(sent: upsert.Sent) -> str:
    return sent.lead.external_id or sent.lead.customer_company


async def _set_level(
    hub: Hub, principal: Principal, item: StockLevelInput
) -> tuple[StockLevel, bool]:
    level = await stock.set_stock(
        hub, principal=principal, sku=item.sku, warehouse=item.warehouse, on_hand=item.on_hand
    )
    return level, False


async def _upsert_product(
    hub: Hub, principal: Principal, item: ProductInput, given: frozenset[str]
) -> tuple[Product, bool]:
    sku = catalog.checked_sku(item.sku)
    item = replace(item, sku=sku)
    if await catalog.find(hub, sku) is None:
        try:
            return await catalog.create(hub, principal=principal, data=item), True
        except Conflict as conflict:  # made meanwhile by a racing sync: update it instead
            if conflict.field != "sku":
                raise
    changes = {"name": item.name, "product_line": item.product_line, "prices": item.prices}
    changes |= {name: getattr(item, name) for name in ("description", "active") if name in given}
    return await catalog.update(hub, principal=principal, sku=sku, changes=changes), False


async def _each(index: int, key: str, run: Callable[[], Awaitable[tuple[T, bool]]]) -> Outcome[T]:
    try:
        record, created = await run()
    except HubError as error:
        _reraise_transient(error)
        return _failed(index, key, error)
    return Outcome(index, key, record=record, created=created)


def _reraise_transient(error: HubError) -> None:
    """A failure of the hub, not of the item, fails the whole call (to be retried whole)."""
    if error.code in ("UNAVAILABLE", "INTERNAL_SERVER_ERROR", "RATE_LIMITED"):
        raise error


def _failed(index: int, key: str, error: HubError) -> Outcome[T]:
    located = type(error)(error.message, field=_field(index, error.field))
    return Outcome(index, key, error=located)


def _field(index: int, field: str | None) -> str:
    return f"items.{index}.{field}" if field else f"items.{index}"
