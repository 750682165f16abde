"""Orders: placement priced by the server, the status lifecycle, allocation without overselling."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import events, validation
from hub.analytics import rollups
from hub.db import distinct, grouped_by
from hub.errors import BadInput, Conflict, Forbidden, HubError, NotFound
from hub.incentives import accrual
from hub.leads.rules import currency as checked_currency
from hub.orders import allocation, placement
from hub.orders import settings as order_settings
from hub.orders.catalog import checked_sku
from hub.orders.rules import TOPIC, OrderEventType, OrderStatus, check_move
from hub.pagination import Page, PageRequest, keyset_page
from hub.partners.directory import InChannel
from hub.roles import Principal, Role
from hub.runtime import Hub
from storage.models import (
    Order,
    OrderLine,
    OrderStatusChange,
    Partner,
)

MAX_LINES = 200


@dataclass(frozen=True)
class LineInput:
    sku: str
    quantity: int


@dataclass(frozen=True)
class OrderInput:
    lines: Sequence[LineInput]
    end_customer: str
    currency: str
    shipping_address: str
    shipping_country: str
    requested_delivery: date | None = None
    lead_id: str | None = None
    deal_id: str | None = None


@dataclass(frozen=True)
class StatusChange:
    status: OrderStatus
    expected_version: int
    note: str | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    lines: Sequence[tuple[int, int]] = ()


@dataclass(frozen=True)
class ChangeResult:
    order_id: str
    order: Order | None = None
    error: HubError | None = None


@dataclass(frozen=True)
class OrderFilter:
    statuses: Sequence[OrderStatus] = ()
    partner_id: str | None = None
    placed_from: date | None = None
    placed_to: date | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def visible(principal: Principal, statement: Select[tuple[Order]]) -> Select[tuple[Order]]:
    """Vendor accounts see every order, a partner its own, a distributor also its resellers'."""
    if principal.is_vendor:
        return statement
    # One IN over the channel's ids, as for leads and deals: an OR of the two would keep
    # PostgreSQL from using the partner_id index.
    return statement.where(InChannel(Order.partner_id, principal.organization_id))


async def place(hub: Hub, *, principal: Principal, data: OrderInput) -> Order:
    """Place an order for the caller's organization, priced for its tier by the server."""
    if not principal.is_partner:
        raise Forbidden("orders are placed by partner users")
    wanted = placement.Wanted(
        lines=[(line.sku, line.quantity) for line in _checked_lines(data.lines)],
        end_customer=validation.text(data.end_customer, field="endCustomer", max_length=200),
        currency=checked_currency(data.currency, field="currency"),
        shipping_address=validation.text(
            data.shipping_address, field="shippingAddress", max_length=1000
        ),
        shipping_country=validation.country(data.shipping_country, field="shippingCountry"),
        requested_delivery=data.requested_delivery,
        lead_id=data.lead_id,
        deal_id=data.deal_id,
    )
    async with hub.write() as session:
        return await placement.record(
            session, principal=principal, wanted=wanted, now=hub.clock.now()
        )


async def change_status(
    hub: Hub, *, principal: Principal, order_id: str, change: StatusChange
) -> Order:
    """Move an order along its lifecycle; a stale expectedVersion is a CONFLICT."""
    async with hub.write() as session:
        order = await _load(session, principal, order_id, for_update=True)
        if order.version != change.expected_version:
            raise Conflict(
                f"the order changed meanwhile (now version {order.version}); reload it",
                field="expectedVersion",
            )
        current = OrderStatus(order.status)
        check_move(principal, current, change.status)
        now = hub.clock.now()
        await _apply(session, order, current, change, now=now, by=principal.user_id)
        await rollups.record(session, order, change.status, current, now.date())
        _history(session, order, current, change.status, principal, change.note, now)
        await accrual.order_moved(session, order, change.status, current, now)
        order.status = change.status
        order.version += 1
        order.updated_at = hub.clock.now()
        kind = {
            OrderStatus.CANCELLED: OrderEventType.ORDER_CANCELLED,
            OrderStatus.RETURN_REQUESTED: OrderEventType.RETURN_REQUESTED,
        }.get(change.status, OrderEventType.ORDER_STATUS_CHANGED)
        partner = await session.get_one(Partner, order.partner_id)
        extra = {
            "from": current,
            "to": change.status,
            "carrier": order.carrier,
            "tracking": order.tracking_number,
        }
        await _emit(hub, session, order, partner, kind, extra)
    return order


async def change_many(
    hub: Hub, *, principal: Principal, changes: Sequence[tuple[str, StatusChange]]
) -> list[ChangeResult]:
    """Apply many status changes (the vendor's ERP); each is applied or refused on its own."""
    if not (principal.is_vendor_staff or principal.role is Role.INTEGRATION):
        raise Forbidden("bulk order updates are for vendor staff and integrations")
    if len(changes) > 500:
        raise BadInput("at most 500 updates per call", field="updates")
    results = []
    for order_id, change in changes:
        try:
            order = await change_status(hub, principal=principal, order_id=order_id, change=change)
        except HubError as error:
            results.append(ChangeResult(order_id, error=error))
        else:
            results.append(ChangeResult(order_id, order=order))
    return results


async def get(hub: Hub, *, principal: Principal, order_id: str, field: str = "id") -> Order:
    """An order the caller may see; `field` names the argument that gave its id."""
    async with hub.read() as session:
        return await _load(session, principal, order_id, field=field)


async def get_or_none(hub: Hub, *, principal: Principal, order_id: str) -> Order | None:
    """The order as the caller may see it now, or None."""
    async with hub.read() as session:
        return (
            await session.execute(visible(principal, select(Order)).where(Order.id == order_id))
        ).scalar_one_or_none()


async def list_orders(
    hub: Hub, *, principal: Principal, filter: OrderFilter, page: PageRequest
) -> Page[Order]:
    statement = visible(principal, select(Order))
    if filter.statuses:
        statement = statement.where(
            Order.status.in_(distinct(status.value for status in filter.statuses))
        )
    if filter.partner_id:
        statement = statement.where(Order.partner_id == filter.partner_id)
    async with hub.read() as session:
        return await keyset_page(
            session, statement, page, key=(Order.created_at, Order.id), descending=True
        )


async def lines_by_order(hub: Hub, ids: Sequence[str]) -> list[list[OrderLine]]:
    statement = select(OrderLine).where(OrderLine.order_id.in_(ids)).order_by(OrderLine.line_no)
    async with hub.read() as session:
        rows = (await session.execute(statement)).scalars()
        return grouped_by(rows, ids, lambda row: row.order_id)


async def history_by_order(hub: Hub, ids: Sequence[str]) -> list[list[OrderStatusChange]]:
    statement = (
        select(OrderStatusChange)
        .where(OrderStatusChange.order_id.in_(ids))
        .order_by(OrderStatusChange.id)
    )
    async with hub.read() as session:
        rows = (await session.execute(statement)).scalars()
        return grouped_by(rows, ids, lambda row: row.order_id)


async def _apply(
    session: AsyncSession,
    order: Order,
    current: OrderStatus,
    change: StatusChange,
    *,
    now: datetime,
    by: str,
) -> None:
    """Do what a move means for stock and lines."""
    if change.status is OrderStatus.ALLOCATED:
        await allocation.allocate(session, order)
    elif change.status is OrderStatus.SHIPPED:
        order.carrier = validation.text(change.carrier or "", field="carrier", max_length=100)
        order.tracking_number = validation.text(
            change.tracking_number or "", field="trackingNumber", max_length=100
        )
        lines = await _lines(session, order)
        shipped = _quantities(change.lines, lines, limit=lambda line: line.quantity, what="shipped")
        await allocation.ship(session, order, shipped, now=now, by=by)
    elif change.status is OrderStatus.CANCELLED and current is OrderStatus.ALLOCATED:
        await allocation.release(session, order)
    elif change.status is OrderStatus.RETURN_REQUESTED:
        order.return_reason = validation.text(change.note or "", field="note", max_length=2000)
        lines = await _lines(session, order)
        wanted = _quantities(
            change.lines, lines, limit=lambda line: line.shipped_quantity, what="returned"
        )
        if not any(wanted.values()):
            raise BadInput("a return needs at least one unit", field="lines")
        for line in lines:
            line.return_requested_quantity = wanted.get(line.line_no, 0)
    elif change.status is OrderStatus.RETURNED:
        lines = await _lines(session, order)
        for line in lines:
            line.returned_quantity = line.return_requested_quantity
        into = await order_settings.returns_warehouse_id(session)
        await allocation.restock(session, order, lines, into=into, now=now, by=by)


async def _lines(session: AsyncSession, order: Order) -> list[OrderLine]:
    statement = select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.line_no)
    return list((await session.execute(statement)).scalars())


def _quantities(
    given: Sequence[tuple[int, int]],
    lines: list[OrderLine],
    *,
    limit: Callable[[OrderLine], int],
    what: str,
) -> dict[int, int]:
    """Per-line quantities: the given ones (others 0), or every line's limit when none given."""
    by_number = {line.line_no: line for line in lines}
    if not given:
        return {line.line_no: limit(line) for line in lines}
    quantities: dict[int, int] = {}
    for index, (line_no, quantity) in enumerate(given):
        line = by_number.get(line_no)
        if line is None or line_no in quantities:
            raise BadInput(
                f"line {line_no} is not on this order (or given twice)",
                field=f"lines.{index}.lineNo",
            )
        if not 0 <= quantity <= limit(line):
            raise BadInput(
                f"line {line_no} can have 0 to {limit(line)} units {what}",
                field=f"lines.{index}.quantity",
            )
        quantities[line_no] = quantity
    return quantities


def _checked_lines(lines: Sequence[LineInput]) -> list[LineInput]:
    if not lines:
        raise BadInput("an order needs at least one line", field="lines")
    if len(lines) > MAX_LINES:
        raise BadInput(f"at most {MAX_LINES} lines per order", field="lines")
    seen: set[str] = set()
    checked = []
    for index, line in enumerate(lines):
        sku = checked_sku(line.sku, field=f"lines.{index}.sku")
        validation.quantity(line.quantity, field=f"lines.{index}.quantity")
        if sku in seen:
            raise BadInput(
                f"{sku} appears on two lines; use one line per SKU", field=f"lines.{index}.sku"
            )
        seen.add(sku)
        checked.append(LineInput(sku, line.quantity))
    return checked


async def _load(
    session: AsyncSession,
    principal: Principal,
    order_id: str,
    *,
    for_update: bool = False,
    field: str = "id",
) -> Order:
    statement = visible(principal, select(Order)).where(Order.id == order_id)
    if for_update:
        statement = statement.with_for_update(of=Order)
    order = (await session.execute(statement)).scalar_one_or_none()
    if order is None:
        raise NotFound("no such order", field=field)
    return order


def _history(
    session: AsyncSession,
    order: Order,
    before: OrderStatus | None,
    after: OrderStatus,
    principal: Principal,
    note: str | None,
    now: datetime,
) -> None:
    session.add(
        OrderStatusChange(
            order_id=order.id,
            from_status=before,
            to_status=after,
            changed_by_id=principal.user_id,
            changed_at=now,  # the move's one clock reading: its day decides its programs
            note=validation.optional_text(note, field="note", max_length=2000),
        )
    )


async def _emit(
    hub: Hub,
    session: AsyncSession,
    order: Order,
    partner: Partner,
    kind: OrderEventType,
    extra: dict[str, Any],
) -> None:
    audience = [partner.id] + ([partner.parent_id] if partner.parent_id else [])
    payload = {"orderId": order.id, "status": order.status, **extra}
    await events.append(
        session,
        topic=TOPIC,
        type=kind,
        subject_id=order.id,
        audience=audience,
        payload=payload,
        now=hub.clock.now(),
    )
