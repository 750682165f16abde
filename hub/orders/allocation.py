"""Stock reservations of orders: allocate, ship, release.

Locks are always taken in (product, warehouse) order, so concurrent allocations queue
instead of deadlocking, and none can reserve units another already holds.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.errors import Conflict
from storage.models import Order, OrderLine, StockLevel, StockReservation


async def allocate(session: AsyncSession, order: Order) -> None:
    """Reserve every line's units; row locks queue concurrent allocations, so none oversells."""
    lines = list(
        (await session.execute(select(OrderLine).where(OrderLine.order_id == order.id))).scalars()
    )
    for line in sorted(lines, key=lambda item: item.product_id):
        levels = await session.execute(
            select(StockLevel)
            .where(StockLevel.product_id == line.product_id)
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


async def ship(session: AsyncSession, order: Order, shipped: dict[int, int]) -> None:
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
