"""Placing an order in a constant number of statements, whatever its number of lines.

One select reads the buyer (status, tier, parent), every ordered product with its list
price in the order's currency and its tier discount, and whether the linked lead and deal
are the buyer's. Three inserts record the order, its lines (one executemany) and its first
status; the event is written as the transaction's last statement (`hub.events`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, and_, bindparam, exists, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import events, validation
from hub.errors import BadInput, Forbidden, NotFound
from hub.orders.catalog import discounted
from hub.orders.rules import TOPIC, OrderEventType, OrderStatus
from hub.roles import Principal
from storage.models import (
    DealRegistration,
    Lead,
    Order,
    OrderLine,
    OrderStatusChange,
    Partner,
    Product,
    ProductPrice,
    TierDiscount,
)
from storage.models.base import new_id, table_of

_partners = table_of(Partner)
_products = table_of(Product)
_prices = table_of(ProductPrice)
_override = table_of(TierDiscount).alias("product_discount")
_default = table_of(TierDiscount).alias("tier_discount")
_leads = table_of(Lead)
_deals = table_of(DealRegistration)

# Built once; the SKU list is an expanding parameter, so one cached statement serves any
# number of lines. A buyer always yields a row: product columns are NULL when no SKU exists.
_CONTEXT = (
    select(
        _partners.c.status,
        _partners.c.tier,
        _partners.c.parent_id,
        exists()
        .where(_leads.c.id == bindparam("lead_id"), _leads.c.partner_id == _partners.c.id)
        .label("lead_found"),
        exists()
        .where(
            _deals.c.id == bindparam("deal_id"),
            _deals.c.partner_id == _partners.c.id,
            _deals.c.status == "APPROVED",
        )
        .label("deal_found"),
        _products.c.id.label("product_id"),
        _products.c.sku,
        _products.c.active,
        _prices.c.unit_minor.label("list_minor"),
        func.coalesce(
            _override.c.basis_points,
            select(_default.c.basis_points)
            .where(_default.c.tier == _partners.c.tier, _default.c.product_id.is_(None))
            .scalar_subquery(),
            0,
        ).label("basis_points"),
    )
    .select_from(_partners)
    .outerjoin(_products, _products.c.sku.in_(bindparam("skus", expanding=True)))
    .outerjoin(
        _prices,
        and_(_prices.c.product_id == _products.c.id, _prices.c.currency == bindparam("currency")),
    )
    .outerjoin(
        _override,
        and_(_override.c.product_id == _products.c.id, _override.c.tier == _partners.c.tier),
    )
    .where(_partners.c.id == bindparam("partner_id"))
)
_INSERT_ORDER = insert(table_of(Order))
_INSERT_LINES = insert(table_of(OrderLine))
_INSERT_HISTORY = insert(table_of(OrderStatusChange))


@dataclass(frozen=True)
class Wanted:
    """An order as checked before the transaction: lines by SKU and the texts to store."""

    lines: Sequence[tuple[str, int]]
    end_customer: str
    currency: str
    shipping_address: str
    shipping_country: str
    requested_delivery: date | None
    lead_id: str | None
    deal_id: str | None


async def record(
    session: AsyncSession, *, principal: Principal, wanted: Wanted, now: datetime
) -> Order:
    """Price and record the order in the caller's write transaction; returns it detached."""
    rows = (
        await session.execute(
            _CONTEXT,
            {
                "partner_id": principal.organization_id,
                "skus": [sku for sku, _ in wanted.lines],
                "currency": wanted.currency,
                "lead_id": wanted.lead_id,
                "deal_id": wanted.deal_id,
            },
        )
    ).all()
    if not rows:
        raise Forbidden("orders are placed by partner users")
    buyer = rows[0]
    if buyer.status != "ACTIVE":
        raise Forbidden(f"a {buyer.status} partner cannot place orders")
    if wanted.lead_id and not buyer.lead_found:
        raise NotFound("no such lead of yours", field="leadId")
    if wanted.deal_id and not buyer.deal_found:
        raise NotFound("no such approved deal registration of yours", field="dealId")
    order_id = new_id()
    lines = _priced_lines(order_id, wanted, {row.sku: row for row in rows if row.sku})
    total = sum(line["total_minor"] for line in lines)
    validation.minor_units(total, field="lines", what="the order total")
    order = {
        "id": order_id,
        "partner_id": principal.organization_id,
        "placed_by_id": principal.user_id,
        "end_customer": wanted.end_customer,
        "lead_id": wanted.lead_id,
        "deal_id": wanted.deal_id,
        "requested_delivery": wanted.requested_delivery,
        "shipping_address": wanted.shipping_address,
        "shipping_country": wanted.shipping_country,
        "currency": wanted.currency,
        "total_minor": total,
        "status": OrderStatus.SUBMITTED.value,
        "version": 1,
        "carrier": None,
        "tracking_number": None,
        "return_reason": None,
        "created_at": now,
        "updated_at": now,
    }
    await session.execute(_INSERT_ORDER, order)
    await session.execute(_INSERT_LINES, lines)
    await session.execute(
        _INSERT_HISTORY,
        {
            "order_id": order_id,
            "from_status": None,
            "to_status": OrderStatus.SUBMITTED.value,
            "changed_by_id": principal.user_id,
            "changed_at": now,
            "note": None,
        },
    )
    audience = [principal.organization_id] + ([buyer.parent_id] if buyer.parent_id else [])
    await events.append(
        session,
        topic=TOPIC,
        type=OrderEventType.ORDER_PLACED,
        subject_id=order_id,
        audience=audience,
        payload={"orderId": order_id, "status": OrderStatus.SUBMITTED.value},
        now=now,
    )
    return Order(**order)


def _priced_lines(
    order_id: str, wanted: Wanted, products: dict[str, Row[Any]]
) -> list[dict[str, Any]]:
    lines = []
    for index, (sku, quantity) in enumerate(wanted.lines):
        product = products.get(sku)
        if product is None or not product.active:
            raise BadInput(f"{sku} is not an orderable product", field=f"lines.{index}.sku")
        if product.list_minor is None:
            raise BadInput(f"{sku} has no price in {wanted.currency}", field=f"lines.{index}.sku")
        unit = discounted(product.list_minor, product.basis_points)
        lines.append(
            {
                "order_id": order_id,
                "line_no": index + 1,
                "product_id": product.product_id,
                "sku": sku,
                "quantity": quantity,
                "unit_list_minor": product.list_minor,
                "unit_minor": unit,
                "discount_basis_points": product.basis_points,
                "total_minor": unit * quantity,
                "shipped_quantity": 0,
                "return_requested_quantity": 0,
                "returned_quantity": 0,
            }
        )
    return lines
