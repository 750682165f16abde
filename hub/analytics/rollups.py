"""Revenue rollups, kept in the order write transactions and rebuilt from raw orders.

An order's revenue is recognised on the day it is delivered (shipped quantities at their
unit prices) and reduced on the day a return is received (returned quantities). Each
product line's amount of an order is converted at the rate of the order's date and
rounded; the order's converted amount is the sum of its lines', so the two tables agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from hub.analytics.money import Rates
from hub.db import upsert
from hub.orders.rules import OrderStatus
from storage.models import Order, OrderLine, OrderStatusChange, Product
from storage.models.analytics import (
    AnalyticsSettings,
    ExchangeRate,
    LineRevenueDay,
    PartnerRevenueDay,
)

DEFAULT_REPORTING_CURRENCY = "USD"
_SUMS = ("revenue_minor", "reporting_minor", "unconverted_minor")
PARTNER_KEYS = ("partner_id", "day", "currency")
LINE_KEYS = ("partner_id", "day", "product_line", "currency")


@dataclass(frozen=True)
class Change:
    """One order's effect on one day: delivered (+) or returned (-), per product line."""

    partner_id: str
    day: date
    currency: str
    order_day: date
    by_line: dict[str, int]
    delivered: int = 0
    returned: int = 0


async def reporting_currency(session: AsyncSession) -> str:
    found = await session.scalar(select(AnalyticsSettings.reporting_currency))
    return found or DEFAULT_REPORTING_CURRENCY


async def rates(session: AsyncSession, currencies: Iterable[str] | None = None) -> Rates:
    """The reporting currency and the rates of the given currencies (all when None)."""
    statement = select(ExchangeRate.currency, ExchangeRate.valid_from, ExchangeRate.rate)
    if currencies is not None:
        statement = statement.where(ExchangeRate.currency.in_(sorted(set(currencies))))
    rows = (await session.execute(statement)).all()
    return Rates.of(
        await reporting_currency(session), [(row[0], row[1], Decimal(row[2])) for row in rows]
    )


async def record(
    session: AsyncSession, order: Order, target: OrderStatus, current: OrderStatus, day: date
) -> None:
    """Add what an order's move does to revenue: its first delivery, or a received return
    (a refused return, back to DELIVERED, changes nothing)."""
    if target is OrderStatus.DELIVERED and current is OrderStatus.SHIPPED:
        sign, delivered, returned = 1, 1, 0
    elif target is OrderStatus.RETURNED:
        sign, delivered, returned = -1, 0, 1
    else:
        return
    await session.flush()  # the move's line quantities, read back below
    await _lock(session, "ROW EXCLUSIVE")  # before the rates are read: see _lock
    lines = await _lines_by_product_line(session, [order.id])
    amounts = lines.get(order.id, {})
    by_line = {
        line: sign * (shipped if sign > 0 else back) for line, (shipped, back) in amounts.items()
    }
    change = Change(
        order.partner_id,
        day,
        order.currency,
        order.created_at.date(),
        by_line,
        delivered,
        returned,
    )
    await _add(session, [change], await rates(session, [order.currency]))


async def rebuild(
    session: AsyncSession, *, currency: str | None = None, since: date | None = None
) -> int:
    """Recompute the rollups from raw orders: all of them, or those of one currency from a
    day on (a new rate); return the number of orders counted."""
    await _lock(session, "EXCLUSIVE")
    forget_lines, forget_partners = delete(LineRevenueDay), delete(PartnerRevenueDay)
    moves_statement = (
        select(
            Order.id,
            Order.partner_id,
            Order.currency,
            Order.created_at,
            OrderStatusChange.to_status,
            OrderStatusChange.changed_at,
        )
        .join(OrderStatusChange, OrderStatusChange.order_id == Order.id)
        .where(
            (
                (OrderStatusChange.to_status == OrderStatus.DELIVERED)
                & (OrderStatusChange.from_status == OrderStatus.SHIPPED)
            )
            | (OrderStatusChange.to_status == OrderStatus.RETURNED)
        )
        .order_by(Order.id, OrderStatusChange.id)
    )
    if currency is not None:
        forget_lines = forget_lines.where(LineRevenueDay.currency == currency)
        forget_partners = forget_partners.where(PartnerRevenueDay.currency == currency)
        moves_statement = moves_statement.where(Order.currency == currency)
    if since is not None:
        forget_lines = forget_lines.where(LineRevenueDay.day >= since)
        forget_partners = forget_partners.where(PartnerRevenueDay.day >= since)
        moves_statement = moves_statement.where(
            OrderStatusChange.changed_at >= datetime.combine(since, time(), UTC)
        )
    await session.execute(forget_lines)
    await session.execute(forget_partners)
    moves = (await session.execute(moves_statement)).all()
    all_rates = await rates(session, None if currency is None else [currency])
    orders: set[str] = set()
    for batch in _batches(moves, 2_000):
        lines = await _lines_by_product_line(session, [move[0] for move in batch])
        changes = []
        for order_id, partner_id, currency, placed, status, at in batch:
            orders.add(order_id)
            returning = status == OrderStatus.RETURNED
            by_line = {
                line: -back if returning else shipped
                for line, (shipped, back) in lines.get(order_id, {}).items()
            }
            changes.append(
                Change(
                    partner_id,
                    at.date(),
                    currency,
                    placed.date(),
                    by_line,
                    0 if returning else 1,
                    1 if returning else 0,
                )
            )
        await _add(session, changes, all_rates)
    return len(orders)


async def _lock(session: AsyncSession, mode: str) -> None:
    """On PostgreSQL, order a rebuild (EXCLUSIVE) and the moves that add to the rollups (ROW
    EXCLUSIVE, taken before they read the rates) one after the other: a rebuild then counts
    every move committed before it, and a move after it converts at the rates it set. SQLite
    runs one write transaction at a time already."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(
            text(f"LOCK TABLE partner_revenue_days, line_revenue_days IN {mode} MODE")
        )


async def _lines_by_product_line(
    session: AsyncSession, order_ids: Sequence[str]
) -> dict[str, dict[str, tuple[int, int]]]:
    """Per order and product line: (shipped value, returned value) in the order's currency."""
    rows = await session.execute(
        select(
            OrderLine.order_id,
            Product.product_line,
            OrderLine.shipped_quantity,
            OrderLine.returned_quantity,
            OrderLine.unit_minor,
        )
        .join(Product, Product.id == OrderLine.product_id)
        .where(OrderLine.order_id.in_(list(order_ids)))
    )
    found: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    for order_id, line, shipped, returned, unit in rows:
        before = found[order_id].get(line, (0, 0))
        found[order_id][line] = (before[0] + shipped * unit, before[1] + returned * unit)
    return found


async def _add(session: AsyncSession, changes: Sequence[Change], all_rates: Rates) -> None:
    """Add changes to both tables: one upsert per table, summed by key first."""
    partners: dict[tuple[str, date, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    lines: dict[tuple[str, date, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for change in changes:
        partner = partners[(change.partner_id, change.day, change.currency)]
        partner[3] += change.delivered
        partner[4] += change.returned
        rate = all_rates.on(change.currency, change.order_day)
        for product_line, minor in change.by_line.items():
            converted = all_rates.converted(minor, change.currency, change.order_day)
            sums = (minor, converted or 0, 0 if rate is not None else minor)
            line = lines[(change.partner_id, change.day, product_line, change.currency)]
            for index, value in enumerate(sums):
                line[index] += value
                partner[index] += value
    partner_columns = (*_SUMS, "delivered_orders", "returned_orders")
    if partners:
        rows = [_row(PARTNER_KEYS, partner_columns, key, sums) for key, sums in partners.items()]
        await _upsert(session, PartnerRevenueDay, PARTNER_KEYS, rows, partner_columns)
    if lines:
        rows = [_row(LINE_KEYS, _SUMS, key, sums) for key, sums in lines.items()]
        await _upsert(session, LineRevenueDay, LINE_KEYS, rows, _SUMS)


def _row(
    keys: tuple[str, ...], columns: tuple[str, ...], key: tuple[Any, ...], sums: list[int]
) -> dict[str, Any]:
    return dict(zip((*keys, *columns), (*key, *sums), strict=True))


async def _upsert(
    session: AsyncSession,
    model: type[PartnerRevenueDay] | type[LineRevenueDay],
    keys: tuple[str, ...],
    rows: list[dict[str, Any]],
    sums: tuple[str, ...],
) -> None:
    """Insert rows, or add their sums to the rows already there (one statement)."""
    table: Any = model.__table__
    statement = upsert(session, table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[key] for key in keys],
        set_={name: table.c[name] + statement.excluded[name] for name in sums},
    )
    await session.execute(statement, rows)


def _batches(rows: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
