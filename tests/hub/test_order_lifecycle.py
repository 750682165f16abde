"""Orders: server pricing, the lifecycle, allocation without overselling, versions, bulk updates."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from hub.errors import BadInput, Conflict, Forbidden, NotFound
from hub.orders import catalog, stock
from hub.orders import service as orders
from hub.orders.catalog import ProductInput
from hub.orders.rules import OrderStatus
from hub.orders.service import LineInput, OrderInput, StatusChange
from hub.partners import PartnerType, Tier
from hub.roles import Role
from hub.runtime import Hub
from storage.models import Event, OrderStatusChange, StockLevel
from tests.factories import Actor, Factory


@pytest.fixture
async def shop(hub: Hub, factory: Factory) -> dict[str, Any]:
    vendor = await factory.vendor_admin()
    for sku, price in (("SW-24", 10_000), ("RT-1", 2_501)):
        await catalog.create(
            hub,
            principal=vendor.principal,
            data=ProductInput(sku, f"P {sku}", "NETWORKING", {"USD": price}),
        )
    await catalog.set_tier_discount(
        hub, principal=vendor.principal, tier=Tier.GOLD, basis_points=2000, sku=None
    )
    await stock.create_warehouse(
        hub, principal=vendor.principal, code="AMS", name="Amsterdam", country="NL"
    )
    await stock.create_warehouse(
        hub, principal=vendor.principal, code="RNO", name="Reno", country="US"
    )
    await stock.set_stock(hub, principal=vendor.principal, sku="SW-24", warehouse="AMS", on_hand=6)
    await stock.set_stock(hub, principal=vendor.principal, sku="SW-24", warehouse="RNO", on_hand=4)
    distributor = await factory.partner("Dist", type=PartnerType.DISTRIBUTOR, tier=Tier.GOLD)
    reseller = await factory.partner("Reseller", tier=Tier.GOLD, parent_id=distributor.id)
    return {
        "vendor": vendor,
        "buyer": await factory.user(reseller.id, Role.PARTNER_USER),
        "distributor": await factory.user(distributor.id, Role.PARTNER_USER),
        "stranger": await factory.user((await factory.partner("Stranger")).id, Role.PARTNER_USER),
        "erp": await factory.vendor_user(Role.INTEGRATION),
    }


def order_input(*lines: tuple[str, int], currency: str = "USD") -> OrderInput:
    return OrderInput(
        lines=[LineInput(sku, quantity) for sku, quantity in lines],
        end_customer="Globex",
        currency=currency,
        shipping_address="1 Main St, Springfield",
        shipping_country="US",
    )


async def move(
    hub: Hub, actor: Actor, order_id: str, status: OrderStatus, version: int, **extra: Any
) -> Any:
    change = StatusChange(status=status, expected_version=version, **extra)
    return await orders.change_status(
        hub, principal=actor.principal, order_id=order_id, change=change
    )


async def test_orders_are_priced_by_the_server_for_the_partner_tier(
    hub: Hub, shop: dict[str, Any]
) -> None:
    order = await orders.place(
        hub, principal=shop["buyer"].principal, data=order_input(("sw-24", 3), ("RT-1", 2))
    )
    lines = (await orders.lines_by_order(hub, [order.id]))[0]

    assert [
        (line.sku, line.unit_list_minor, line.unit_minor, line.total_minor) for line in lines
    ] == [
        ("SW-24", 10_000, 8_000, 24_000),
        ("RT-1", 2_501, 2_001, 4_002),
    ]
    assert (order.total_minor, order.currency, order.status) == (
        28_002,
        "USD",
        OrderStatus.SUBMITTED,
    )


@pytest.mark.parametrize(
    ("lines", "currency", "field"),
    [
        ((), "USD", "lines"),
        ((("NOPE", 1),), "USD", "lines.0.sku"),
        ((("SW-24", 0),), "USD", "lines.0.quantity"),
        ((("SW-24", 1), ("sw-24", 2)), "USD", "lines.1.sku"),
        ((("SW-24", 1),), "EUR", "lines.0.sku"),
        ((("SW-24", 1),), "EURO", "currency"),
    ],
)
async def test_bad_lines_name_the_line(
    hub: Hub, shop: dict[str, Any], lines: tuple[tuple[str, int], ...], currency: str, field: str
) -> None:
    with pytest.raises(BadInput) as refused:
        await orders.place(
            hub, principal=shop["buyer"].principal, data=order_input(*lines, currency=currency)
        )

    assert refused.value.field == field


async def test_lifecycle_allocation_shipment_and_history(hub: Hub, shop: dict[str, Any]) -> None:
    vendor, buyer = shop["vendor"], shop["buyer"]
    order = await orders.place(hub, principal=buyer.principal, data=order_input(("SW-24", 8)))

    with pytest.raises(BadInput, match="cannot become SHIPPED"):
        await move(hub, vendor, order.id, OrderStatus.SHIPPED, 1)
    with pytest.raises(Forbidden):
        await move(hub, buyer, order.id, OrderStatus.CONFIRMED, 1)
    await move(hub, vendor, order.id, OrderStatus.CONFIRMED, 1)
    with pytest.raises(Conflict) as stale:
        await move(hub, vendor, order.id, OrderStatus.ALLOCATED, 1)
    await move(hub, vendor, order.id, OrderStatus.ALLOCATED, 2)
    with pytest.raises(BadInput):
        await move(hub, vendor, order.id, OrderStatus.SHIPPED, 3)
    await move(
        hub, vendor, order.id, OrderStatus.SHIPPED, 3, carrier="DHL", tracking_number="JD014600003"
    )
    await move(hub, vendor, order.id, OrderStatus.DELIVERED, 4)
    returned = await move(
        hub, buyer, order.id, OrderStatus.RETURN_REQUESTED, 5, note="two units damaged"
    )

    assert stale.value.field == "expectedVersion"
    assert returned.return_reason == "two units damaged"
    async with hub.db() as session:
        levels = {
            (level.on_hand, level.reserved)
            for level in (await session.execute(select(StockLevel))).scalars()
        }
        history = [
            (c.from_status, c.to_status)
            for c in (
                await session.execute(select(OrderStatusChange).order_by(OrderStatusChange.id))
            ).scalars()
        ]
        kinds = list(
            (
                await session.execute(
                    select(Event.type).where(Event.topic == "order").order_by(Event.id)
                )
            ).scalars()
        )
    assert levels == {(0, 0), (2, 0)}
    assert history == [
        (None, "SUBMITTED"),
        ("SUBMITTED", "CONFIRMED"),
        ("CONFIRMED", "ALLOCATED"),
        ("ALLOCATED", "SHIPPED"),
        ("SHIPPED", "DELIVERED"),
        ("DELIVERED", "RETURN_REQUESTED"),
    ]
    assert kinds == ["ORDER_PLACED"] + ["ORDER_STATUS_CHANGED"] * 4 + ["RETURN_REQUESTED"]


async def test_cancelling_an_allocated_order_releases_its_stock(
    hub: Hub, shop: dict[str, Any]
) -> None:
    vendor, buyer = shop["vendor"], shop["buyer"]
    order = await orders.place(hub, principal=buyer.principal, data=order_input(("SW-24", 5)))
    await move(hub, vendor, order.id, OrderStatus.CONFIRMED, 1)
    await move(hub, vendor, order.id, OrderStatus.ALLOCATED, 2)

    await move(hub, buyer, order.id, OrderStatus.CANCELLED, 3)

    async with hub.db() as session:
        reserved = sum(
            level.reserved for level in (await session.execute(select(StockLevel))).scalars()
        )
    assert reserved == 0


async def test_concurrent_allocations_never_oversell(hub: Hub, shop: dict[str, Any]) -> None:
    vendor, buyer = shop["vendor"], shop["buyer"]
    placed = [
        await orders.place(hub, principal=buyer.principal, data=order_input(("SW-24", 4)))
        for _ in range(4)
    ]
    for order in placed:
        await move(hub, vendor, order.id, OrderStatus.CONFIRMED, 1)

    outcomes = await asyncio.gather(
        *(move(hub, vendor, order.id, OrderStatus.ALLOCATED, 2) for order in placed),
        return_exceptions=True,
    )

    allocated = [outcome for outcome in outcomes if not isinstance(outcome, BaseException)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, Conflict)]
    async with hub.db() as session:
        levels = list((await session.execute(select(StockLevel))).scalars())
    assert (len(allocated), len(refused)) == (2, 2)
    assert sum(level.reserved for level in levels) == 8
    assert all(level.reserved <= level.on_hand for level in levels)


async def test_visibility_and_bulk_updates(hub: Hub, shop: dict[str, Any]) -> None:
    first = await orders.place(
        hub, principal=shop["buyer"].principal, data=order_input(("RT-1", 1))
    )
    second = await orders.place(
        hub, principal=shop["buyer"].principal, data=order_input(("RT-1", 2))
    )

    assert (
        await orders.get(hub, principal=shop["distributor"].principal, order_id=first.id)
    ).id == first.id
    with pytest.raises(NotFound):
        await orders.get(hub, principal=shop["stranger"].principal, order_id=first.id)
    with pytest.raises(Forbidden):
        await orders.change_many(hub, principal=shop["buyer"].principal, changes=[])
    results = await orders.change_many(
        hub,
        principal=shop["erp"].principal,
        changes=[
            (first.id, StatusChange(OrderStatus.CONFIRMED, 1)),
            (second.id, StatusChange(OrderStatus.DELIVERED, 1)),
            ("missing", StatusChange(OrderStatus.CONFIRMED, 1)),
            (first.id, StatusChange(OrderStatus.ALLOCATED, 1)),
        ],
    )

    assert [(r.order_id, r.order.status if r.order else r.error.code) for r in results] == [  # type: ignore[union-attr]
        (first.id, "CONFIRMED"),
        (second.id, "BAD_USER_INPUT"),
        ("missing", "NOT_FOUND"),
        (first.id, "CONFLICT"),
    ]


async def test_partial_shipment_and_a_return_of_some_lines(hub: Hub, shop: dict[str, Any]) -> None:
    vendor, buyer = shop["vendor"], shop["buyer"]
    order = await orders.place(
        hub, principal=buyer.principal, data=order_input(("SW-24", 5), ("RT-1", 1))
    )
    await stock.set_stock(hub, principal=vendor.principal, sku="RT-1", warehouse="AMS", on_hand=3)
    await move(hub, vendor, order.id, OrderStatus.CONFIRMED, 1)
    await move(hub, vendor, order.id, OrderStatus.ALLOCATED, 2)

    with pytest.raises(BadInput) as too_many:
        await move(
            hub,
            vendor,
            order.id,
            OrderStatus.SHIPPED,
            3,
            carrier="UPS",
            tracking_number="1Z",
            lines=[(1, 6)],
        )
    await move(
        hub,
        vendor,
        order.id,
        OrderStatus.SHIPPED,
        3,
        carrier="UPS",
        tracking_number="1Z",
        lines=[(1, 4), (2, 1)],
    )
    await move(hub, vendor, order.id, OrderStatus.DELIVERED, 4)
    with pytest.raises(BadInput) as unknown:
        await move(
            hub, buyer, order.id, OrderStatus.RETURN_REQUESTED, 5, note="broken", lines=[(9, 1)]
        )
    with pytest.raises(BadInput) as beyond:
        await move(
            hub, buyer, order.id, OrderStatus.RETURN_REQUESTED, 5, note="broken", lines=[(1, 5)]
        )
    await move(hub, buyer, order.id, OrderStatus.RETURN_REQUESTED, 5, note="broken", lines=[(1, 2)])
    await move(hub, vendor, order.id, OrderStatus.RETURNED, 6)

    lines = (await orders.lines_by_order(hub, [order.id]))[0]
    async with hub.db() as session:
        levels = list((await session.execute(select(StockLevel))).scalars())
    assert [
        (line.shipped_quantity, line.return_requested_quantity, line.returned_quantity)
        for line in lines
    ] == [(4, 2, 2), (1, 0, 0)]
    assert (too_many.value.field, unknown.value.field, beyond.value.field) == (
        "lines.0.quantity",
        "lines.0.lineNo",
        "lines.0.quantity",
    )
    # SW-24: 10 on hand, 4 shipped, 2 returned; RT-1: 3 on hand, 1 shipped.
    assert sum(level.on_hand for level in levels) == (10 - 4 + 2) + (3 - 1)
    assert sum(level.reserved for level in levels) == 0
