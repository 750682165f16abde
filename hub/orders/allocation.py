"""Stock reservations of orders: allocate, ship, release, and restock returned units.

Locks are always taken in (product, warehouse) order, so concurrent allocations queue
instead of deadlocking, and none can reserve units another already holds. Every change of
units on hand is recorded as a StockMovement.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import upsert
from hub.errors import Conflict
from hub.orders import settings as order_settings
from storage.models import Order, OrderLine, StockLevel, StockMovement, StockReservation


class MovementReason(StrEnum):
    SHIPPED = "SHIPPED"
    RETURNED = "RETURNED"
    COUNTED = "COUNTED"


async def allocate(session: AsyncSession, order: Order) -> None:
    """Reserve every line's units; row locks queue concurrent allocations, so none oversells.

    Units in the returns warehouse are held apart (for inspection) and never allocated.
    """
    lines = list(
        (await session.execute(select(OrderLine).where(OrderLine.order_id == order.id))).scalars()
    )
    held_apart = await order_settings.returns_warehouse_id(session)
    for line in sorted(lines, key=lambda item: item.product_id):
        levels = await session.execute(
            select(StockLevel)
            .where(StockLevel.product_id == line.product_id)
            .where(StockLevel.warehouse_id != (held_apart or ""))
            .order_by(StockLevel.warehouse_id)
            .with_for_update()
        )
        needed = line.quantity
        for level in levels.scalars():
            take = min(needed, level.on_hand - level.reserved)
            if take <= 0:
                continue
            level.reserved += take
            session.add(
                StockReservation(
                    order_id=order.id,
                    line_no=line.line_no,
                    warehouse_id=level.warehouse_id,
                    product_id=line.product_id,
                    quantity=take,
                )
            )
            needed -= take
            if needed == 0:
                break
        if needed:
            raise Conflict(
                f"not enough stock for line {line.line_no} ({line.sku}): {needed} units short",
                field=f"lines.{line.line_no - 1}",
            )


async def ship(
    session: AsyncSession, order: Order, shipped: dict[int, int], *, now: datetime, by: str | None
) -> None:
    """Consume reservations for the shipped units; units not shipped go back to stock."""
    reservations = list(
        (
            await session.execute(
                select(StockReservation).where(StockReservation.order_id == order.id)
            )
        ).scalars()
    )
    remaining = dict(shipped)
    for reservation in sorted(reservations, key=lambda item: (item.product_id, item.warehouse_id)):
        level = await session.get_one(
            StockLevel, (reservation.product_id, reservation.warehouse_id), with_for_update=True
        )
        leaving = min(reservation.quantity, remaining.get(reservation.line_no, 0))
        remaining[reservation.line_no] = remaining.get(reservation.line_no, 0) - leaving
        level.on_hand -= leaving
        level.reserved -= reservation.quantity
        level.updated_at = now
        if leaving:
            session.add(
                StockMovement(
                    product_id=reservation.product_id,
                    warehouse_id=reservation.warehouse_id,
                    quantity=-leaving,
                    reason=MovementReason.SHIPPED,
                    order_id=order.id,
                    line_no=reservation.line_no,
                    changed_by_id=by,
                    at=now,
                )
            )
        await session.delete(reservation)
    lines = (
        await session.execute(select(OrderLine).where(OrderLine.order_id == order.id))
    ).scalars()
    for line in lines:
        line.shipped_quantity = shipped.get(line.line_no, 0)


async def release(session: AsyncSession, order: Order) -> None:
    """Give reserved units back (a cancelled allocated order)."""
    reservations = list(
        (
            await session.execute(
                select(StockReservation).where(StockReservation.order_id == order.id)
            )
        ).scalars()
    )
    for reservation in sorted(reservations, key=lambda item: (item.product_id, item.warehouse_id)):
        level = await session.get_one(
            StockLevel, (reservation.product_id, reservation.warehouse_id), with_for_update=True
        )
        level.reserved -= reservation.quantity
        await session.delete(reservation)


async def restock(
    session: AsyncSession,
    order: Order,
    lines: list[OrderLine],
    *,
    into: str | None,
    now: datetime,
    by: str | None,
) -> None:
    """Put returned units back on hand.

    They go into the returns warehouse `into` when the vendor named one, otherwise back to
    the warehouses each line was shipped from.
    """
    places: dict[tuple[str, str], int] = {}
    moves: list[tuple[OrderLine, str, int]] = []
    for line in lines:
        returned = line.returned_quantity
        for warehouse_id, units in await _return_places(session, order, line, into):
            take = min(returned, units)
            if take > 0:
                moves.append((line, warehouse_id, take))
                key = (line.product_id, warehouse_id)
                places[key] = places.get(key, 0) + take
                returned -= take
    for (product_id, warehouse_id), units in sorted(places.items()):
        await _add_on_hand(session, product_id, warehouse_id, units, now)
    for line, warehouse_id, units in moves:
        session.add(
            StockMovement(
                product_id=line.product_id,
                warehouse_id=warehouse_id,
                quantity=units,
                reason=MovementReason.RETURNED,
                order_id=order.id,
                line_no=line.line_no,
                changed_by_id=by,
                at=now,
            )
        )


async def _return_places(
    session: AsyncSession, order: Order, line: OrderLine, into: str | None
) -> list[tuple[str, int]]:
    """Where a line's returned units may go, and how many each place takes."""
    if into is not None:
        return [(into, line.returned_quantity)]
    shipped = await session.execute(
        select(StockMovement.warehouse_id, StockMovement.quantity)
        .where(
            StockMovement.order_id == order.id,
            StockMovement.line_no == line.line_no,
            StockMovement.reason == MovementReason.SHIPPED,
        )
        .order_by(StockMovement.warehouse_id)
    )
    return [(warehouse_id, -quantity) for warehouse_id, quantity in shipped.all()]


async def _add_on_hand(
    session: AsyncSession, product_id: str, warehouse_id: str, units: int, now: datetime
) -> None:
    table = StockLevel.__table__
    statement = upsert(session, table).values(
        product_id=product_id, warehouse_id=warehouse_id, on_hand=units, reserved=0, updated_at=now
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.product_id, table.c.warehouse_id],
            set_={"on_hand": table.c.on_hand + units, "updated_at": now},
        )
    )
