"""Revenue rollups, kept in the order write transactions and rebuilt from raw orders.

An order's revenue is recognised on the day it is delivered (shipped quantities at their
unit prices) and reduced on the day a return is received (returned quantities). Each
product line's amount of an order is converted at the rate of the order's date and
rounded; the order's converted amount is the sum of its lines', so the two tables agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Delete,
    Select,
    Subquery,
    bindparam,
    delete,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from hub.analytics.money import Rates
from hub.analytics.periods import Period
from hub.db import upsert
from hub.orders.rules import OrderStatus
from storage.models import Order, OrderLine, OrderStatusChange, Product
from storage.models.analytics import (
    AnalyticsSettings,
    ExchangeRate,
    LineRevenueDay,
    LineRevenueMonth,
    PartnerRevenueDay,
    PartnerRevenueMonth,
)

DEFAULT_REPORTING_CURRENCY = "USD"
_SUMS = ("revenue_minor", "reporting_minor", "unconverted_minor")
PARTNER_KEYS = ("partner_id", "day", "currency")
LINE_KEYS = ("partner_id", "day", "product_line", "currency")
_COUNTS = ("delivered_orders", "returned_orders")
_DAILY = {PartnerRevenueDay: PartnerRevenueMonth, LineRevenueDay: LineRevenueMonth}


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


async def rates(
    session: AsyncSession,
    currencies: Iterable[str] | None = None,
    *,
    reporting: str | None = None,
) -> Rates:
    """The reporting currency (read unless given) and the rates of the given currencies (all
    when None)."""
    statement = select(ExchangeRate.currency, ExchangeRate.valid_from, ExchangeRate.rate)
    if currencies is not None:
        statement = statement.where(ExchangeRate.currency.in_(sorted(set(currencies))))
    rows = (await session.execute(statement)).all()
    return Rates.of(
        reporting or await reporting_currency(session),
        [(row[0], row[1], Decimal(row[2])) for row in rows],
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
    if since is not None:  # from the first of its month: the month's rows are made anew
        since = since.replace(day=1)
    forgotten = [
        _forget(table, date_column, currency, since)
        for table, date_column in [
            (LineRevenueDay, LineRevenueDay.day),
            (PartnerRevenueDay, PartnerRevenueDay.day),
            (LineRevenueMonth, LineRevenueMonth.month),
            (PartnerRevenueMonth, PartnerRevenueMonth.month),
        ]
    ]
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
        moves_statement = moves_statement.where(Order.currency == currency)
    if since is not None:
        moves_statement = moves_statement.where(
            OrderStatusChange.changed_at >= datetime.combine(since, time(), UTC)
        )
    for statement in forgotten:
        await session.execute(statement)
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


def _forget(table: type[Any], at: Any, currency: str | None, since: date | None) -> Delete:
    """Delete a rollup table's rows (of a currency, from a day or month on)."""
    statement = delete(table)
    if currency is not None:
        statement = statement.where(table.currency == currency)
    if since is not None:
        statement = statement.where(at >= since)
    return statement


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
    if partners:
        await _upsert_days(session, PartnerRevenueDay, PARTNER_KEYS, (*_SUMS, *_COUNTS), partners)
    if lines:
        await _upsert_days(session, LineRevenueDay, LINE_KEYS, _SUMS, lines)


async def _upsert_days(
    session: AsyncSession,
    table: type[Any],
    keys: tuple[str, ...],
    columns: tuple[str, ...],
    by_day: dict[Any, list[int]],
) -> None:
    """Add sums per day key to a daily table, and the same summed per month to its monthly
    table."""
    by_month: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * len(columns))
    for key, sums in by_day.items():
        month = by_month[(key[0], key[1].replace(day=1), *key[2:])]
        for index, value in enumerate(sums):
            month[index] += value
    rows = [_row(keys, columns, key, sums) for key, sums in by_day.items()]
    await _upsert(session, table, keys, rows, columns)
    month_keys = tuple("month" if key == "day" else key for key in keys)
    rows = [_row(month_keys, columns, key, sums) for key, sums in by_month.items()]
    await _upsert(session, _DAILY[table], month_keys, rows, columns)


def _row(
    keys: tuple[str, ...], columns: tuple[str, ...], key: tuple[Any, ...], sums: list[int]
) -> dict[str, Any]:
    return dict(zip((*keys, *columns), (*key, *sums), strict=True))


async def _upsert(
    session: AsyncSession,
    model: type[Any],
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


def revenue_in(
    period: Period,
    *,
    by_line: bool = False,
    partner: Callable[[Any], ColumnElement[bool]] | None = None,
    bound: str | None = None,
) -> Subquery:
    """The rollup rows of a period: whole months from the monthly table, the days before the
    first and after the last whole month from the daily one; with `partner`, only the rows
    whose partner_id column meets it. Columns: partner_id, currency, product_line (by_line),
    the sums, and delivered_orders and returned_orders (not by_line).

    With `bound`, the days are parameters named by revenue_bounds(period, bound): the
    statement then serves every period of the same revenue_shape with those values."""
    days: Any = LineRevenueDay if by_line else PartnerRevenueDay
    months: Any = _DAILY[days]

    def rows(n: int, monthly: bool, start: date, end: date) -> Select[Any]:
        table = months if monthly else days
        at = table.month if monthly else table.day
        columns = [
            table.partner_id,
            table.currency,
            *([table.product_line] if by_line else []),
            *(table.__table__.c[name] for name in (*_SUMS, *([] if by_line else _COUNTS))),
        ]
        low: Any = start
        high: Any = end
        if bound is not None:
            low = bindparam(f"{bound}_{n}_from", start, type_=at.type)
            high = bindparam(f"{bound}_{n}_to", end, type_=at.type)
        statement = select(*columns).where(at >= low, at < high)
        return statement if partner is None else statement.where(partner(table.partner_id))

    parts = [rows(n, *part) for n, part in enumerate(_parts(period))]
    return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()


def revenue_shape(period: Period) -> tuple[bool, ...]:
    """Which rollup table (monthly: True) each part of a period's revenue is read from."""
    return tuple(monthly for monthly, _, _ in _parts(period))


def revenue_bounds(period: Period, bound: str) -> dict[str, date]:
    """The parameters of revenue_in(period, bound=bound)."""
    found: dict[str, date] = {}
    for n, (_, start, end) in enumerate(_parts(period)):
        found |= {f"{bound}_{n}_from": start, f"{bound}_{n}_to": end}
    return found


def _parts(period: Period) -> list[tuple[bool, date, date]]:
    """(monthly, first day, day after) of each part of a period's revenue rows."""
    first = period.start if period.start.day == 1 else next_month(period.start)
    last = period.end.replace(day=1)
    if first >= last:
        return [(False, period.start, period.end)]
    parts = [(True, first, last)]
    if period.start < first:
        parts.append((False, period.start, first))
    if last < period.end:
        parts.append((False, last, period.end))
    return parts


def next_month(day: date) -> date:
    """The first day of the month after the day's."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)
