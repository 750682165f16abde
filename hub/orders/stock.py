"""Warehouses, stock levels, inbound receipts and availability-to-promise."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Row, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub import validation
from hub.db import in_key_order
from hub.errors import BadInput, Conflict, Forbidden, NotFound
from hub.orders import settings as order_settings
from hub.orders.allocation import MovementReason
from hub.orders.catalog import checked_sku
from hub.pagination import Page, PageRequest, keyset_page
from hub.roles import Principal, require_vendor_side, require_vendor_staff
from hub.runtime import Hub
from storage.models import InboundReceipt, Product, StockLevel, StockMovement, Warehouse


@dataclass(frozen=True)
class Availability:
    sku: str
    requested: int
    promisable_now: int
    remaining: int
    earliest_date: date | None

    @property
    def fully_promisable(self) -> bool:
        return self.remaining == 0 or self.earliest_date is not None


async def create_warehouse(
    hub: Hub, *, principal: Principal, code: str, name: str, country: str
) -> Warehouse:
    """Add a warehouse (vendor staff)."""
    require_vendor_staff(principal)
    warehouse = Warehouse(
        code=checked_sku(code, field="code"),
        name=validation.text(name, field="name", max_length=200),
        country=validation.country(country),
    )
    async with hub.write() as session:
        session.add(warehouse)
        try:
            await session.flush()
        except IntegrityError:
            raise Conflict(
                f"a warehouse with code {warehouse.code} already exists", field="code"
            ) from None
    return warehouse


async def set_stock(
    hub: Hub, *, principal: Principal, sku: str, warehouse: str, on_hand: int
) -> StockLevel:
    """Record the units on hand of a product in a warehouse (vendor staff)."""
    require_vendor_side(principal)
    validation.quantity(on_hand, field="onHand", least=0, most=validation.MAX_ON_HAND)
    async with hub.write() as session:
        product_id, warehouse_id = await _ids(session, sku, warehouse)
        level = await session.get(StockLevel, (product_id, warehouse_id), with_for_update=True)
        if level is None:
            level = StockLevel(
                product_id=product_id, warehouse_id=warehouse_id, on_hand=0, reserved=0
            )
            session.add(level)
        if on_hand < level.reserved:
            raise BadInput(
                f"onHand cannot go below the {level.reserved} units already reserved",
                field="onHand",
            )
        if on_hand != level.on_hand:
            session.add(
                StockMovement(
                    product_id=product_id,
                    warehouse_id=warehouse_id,
                    quantity=on_hand - level.on_hand,
                    reason=MovementReason.COUNTED,
                    changed_by_id=principal.user_id,
                    at=hub.clock.now(),
                )
            )
        level.on_hand = on_hand
        level.updated_at = hub.clock.now()
    return level


async def warehouses_by_ids(hub: Hub, ids: Sequence[str]) -> list[Warehouse | None]:
    """Load warehouses in key order (a DataLoader batch)."""
    async with hub.read() as session:
        rows = (await session.scalars(select(Warehouse).where(Warehouse.id.in_(ids)))).all()
    return in_key_order(rows, ids)


@dataclass(frozen=True)
class Level:
    warehouse: Warehouse
    on_hand: int
    reserved: int


async def levels(hub: Hub, *, principal: Principal, sku: str) -> list[Level]:
    """Units on hand and reserved of a product, per warehouse (vendor-side accounts)."""
    if not principal.is_vendor:
        raise Forbidden("stock levels are for vendor staff and integrations")
    async with hub.read() as session:
        product_id = await _product_id(session, sku)
        rows = await session.execute(
            select(Warehouse, StockLevel.on_hand, StockLevel.reserved)
            .join(StockLevel, StockLevel.warehouse_id == Warehouse.id)
            .where(StockLevel.product_id == product_id)
            .order_by(Warehouse.code)
        )
        return [Level(warehouse, on_hand, reserved) for warehouse, on_hand, reserved in rows.all()]


async def movements(
    hub: Hub, *, principal: Principal, sku: str, page: PageRequest
) -> Page[StockMovement]:
    """Every recorded change of a product's units on hand, newest first (vendor-side)."""
    if not principal.is_vendor:
        raise Forbidden("stock movements are for vendor staff and integrations")
    async with hub.read() as session:
        product_id = await _product_id(session, sku)
        statement = select(StockMovement).where(StockMovement.product_id == product_id)
        return await keyset_page(
            session, statement, page, key=(StockMovement.at, StockMovement.id), descending=True
        )


async def add_inbound(
    hub: Hub, *, principal: Principal, sku: str, warehouse: str, quantity: int, expected_on: date
) -> InboundReceipt:
    """Announce units expected in a warehouse on a date (vendor staff)."""
    require_vendor_side(principal)
    validation.quantity(quantity, field="quantity")
    if expected_on < hub.clock.now().date():
        raise BadInput("expectedOn must not be in the past", field="expectedOn")
    async with hub.write() as session:
        product_id, warehouse_id = await _ids(session, sku, warehouse)
        receipt = InboundReceipt(
            product_id=product_id,
            warehouse_id=warehouse_id,
            quantity=quantity,
            expected_on=expected_on,
        )
        session.add(receipt)
    return receipt


async def availability(
    hub: Hub, *, principal: Principal, sku: str, quantity: int, warehouse: str | None
) -> Availability:
    """How many units can be promised now, and the earliest date for the rest."""
    validation.quantity(quantity, field="quantity")
    async with hub.read() as session:
        visible = select(Product.id).where(Product.sku == sku.strip().upper())
        if not principal.is_vendor:
            visible = visible.where(Product.active.is_(True))
        product_id = await session.scalar(visible)
        if product_id is None:
            raise NotFound(f"no product with SKU {sku!r}", field="sku")
        warehouse_id = await _warehouse_id(session, warehouse) if warehouse else None
        free = select(func.coalesce(func.sum(StockLevel.on_hand - StockLevel.reserved), 0)).where(
            StockLevel.product_id == product_id
        )
        incoming = (
            select(InboundReceipt.expected_on, InboundReceipt.quantity)
            .where(InboundReceipt.product_id == product_id, InboundReceipt.received_at.is_(None))
            .where(InboundReceipt.expected_on >= hub.clock.now().date())
            .order_by(InboundReceipt.expected_on)
        )
        if warehouse_id is not None:
            free = free.where(StockLevel.warehouse_id == warehouse_id)
            incoming = incoming.where(InboundReceipt.warehouse_id == warehouse_id)
        # Returned units held apart for inspection are not promised.
        held_apart = await order_settings.returns_warehouse_id(session) or ""
        free = free.where(StockLevel.warehouse_id != held_apart)
        incoming = incoming.where(InboundReceipt.warehouse_id != held_apart)
        now_free = max(0, int(await session.scalar(free) or 0))
        receipts = (await session.execute(incoming)).all()
    promisable = min(quantity, now_free)
    remaining = quantity - promisable
    return Availability(
        sku.strip().upper(), quantity, promisable, remaining, _earliest(remaining, receipts)
    )


def _earliest(remaining: int, receipts: Sequence[Row[tuple[date, int]]]) -> date | None:
    if remaining == 0:
        return None
    covered = 0
    for row in receipts:
        expected_on, quantity = row._tuple()
        covered += quantity
        if covered >= remaining:
            return expected_on
    return None


async def _ids(session: AsyncSession, sku: str, warehouse: str) -> tuple[str, str]:
    return await _product_id(session, sku), await _warehouse_id(session, warehouse)


async def _product_id(session: AsyncSession, sku: str) -> str:
    product_id = await session.scalar(select(Product.id).where(Product.sku == sku.strip().upper()))
    if product_id is None:
        raise NotFound(f"no product with SKU {sku!r}", field="sku")
    return product_id


async def _warehouse_id(session: AsyncSession, code: str) -> str:
    warehouse_id = await session.scalar(
        select(Warehouse.id).where(Warehouse.code == code.strip().upper())
    )
    if warehouse_id is None:
        raise NotFound(f"no warehouse with code {code!r}", field="warehouse")
    return warehouse_id
