"""Returns over the API: returned units go back on hand, with movements and history to match.

On PostgreSQL and on the embedded SQLite alike.
"""

from __future__ import annotations

from typing import Any

import pytest

from hub.orders import catalog, stock
from hub.orders.catalog import ProductInput
from hub.roles import Role
from tests.conftest import data_of
from tests.factories import Actor, Factory, errors_of

PLACE = """mutation($qty: Int!) { placeOrder(input: {lines: [{sku: "SW-24", quantity: $qty}],
  endCustomer: "Globex", currency: "USD", shippingAddress: "1 Main St", shippingCountry: "US"}) { id } }"""
MOVE = """mutation($id: ID!, $input: OrderStatusInput!) {
  updateOrderStatus(id: $id, input: $input) { status version } }"""
ORDER = """query($id: ID!) { order(id: $id) {
  status lines { quantity shippedQuantity returnRequestedQuantity returnedQuantity }
  statusHistory { toStatus } } }"""
LEVELS = """query { stockLevels(sku: "SW-24") { warehouse { code } onHand reserved available } }"""
MOVEMENTS = """query { stockMovements(sku: "SW-24") { totalCount edges { node {
  quantity reason orderId lineNo warehouse { code } changedBy { email } } } } }"""
SETTINGS = "mutation($w: String) { updateOrderSettings(returnsWarehouse: $w) { returnsWarehouse { code } } }"
AVAILABLE = """query { availability(sku: "SW-24", quantity: 100) { promisableNow } }"""


@pytest.fixture
async def shop(any_factory: Factory) -> dict[str, Actor]:
    hub, vendor = any_factory.hub, await any_factory.vendor_admin()
    await catalog.create(
        hub,
        principal=vendor.principal,
        data=ProductInput("SW-24", "Switch", "NETWORKING", {"USD": 10_000}),
    )
    for code in ("AMS", "RET"):
        await stock.create_warehouse(
            hub, principal=vendor.principal, code=code, name=code, country="NL"
        )
    data_of(
        await any_factory.gql(
            'mutation { setStock(sku: "SW-24", warehouse: "AMS", onHand: 10) }', actor=vendor
        )
    )
    buyer = await any_factory.user((await any_factory.partner("Buyer")).id, Role.PARTNER_USER)
    return {"vendor": vendor, "buyer": buyer}


async def delivered_then_returned(
    factory: Factory, shop: dict[str, Actor], *, ordered: int, returned: int, accept: bool = True
) -> str:
    """Place, ship and deliver an order; the buyer returns units; the vendor takes them back."""
    vendor, buyer = shop["vendor"], shop["buyer"]
    order = data_of(await factory.gql(PLACE, {"qty": ordered}, actor=buyer))["placeOrder"]["id"]
    steps: list[tuple[Actor, dict[str, Any]]] = [
        (vendor, {"status": "CONFIRMED"}),
        (vendor, {"status": "ALLOCATED"}),
        (vendor, {"status": "SHIPPED", "carrier": "DHL", "trackingNumber": "JD1"}),
        (vendor, {"status": "DELIVERED"}),
        (
            buyer,
            {
                "status": "RETURN_REQUESTED",
                "note": "two arrived damaged",
                "lines": [{"lineNo": 1, "quantity": returned}],
            },
        ),
        (vendor, {"status": "RETURNED" if accept else "DELIVERED"}),
    ]
    for version, (actor, step) in enumerate(steps, start=1):
        moved = await factory.gql(
            MOVE, {"id": order, "input": {**step, "expectedVersion": version}}, actor=actor
        )
        data_of(moved)
    return order


async def test_returned_units_go_back_where_they_were_shipped_from(
    any_factory: Factory, shop: dict[str, Actor]
) -> None:
    vendor = shop["vendor"]

    order = await delivered_then_returned(any_factory, shop, ordered=4, returned=3)

    seen = data_of(await any_factory.gql(ORDER, {"id": order}, actor=shop["buyer"]))["order"]
    assert seen["status"] == "RETURNED"
    assert seen["lines"] == [
        {"quantity": 4, "shippedQuantity": 4, "returnRequestedQuantity": 3, "returnedQuantity": 3}
    ]
    assert [change["toStatus"] for change in seen["statusHistory"]][-2:] == [
        "RETURN_REQUESTED",
        "RETURNED",
    ]
    assert data_of(await any_factory.gql(LEVELS, actor=vendor))["stockLevels"] == [
        {"warehouse": {"code": "AMS"}, "onHand": 9, "reserved": 0, "available": 9}
    ]
    assert data_of(await any_factory.gql(AVAILABLE, actor=shop["buyer"]))["availability"] == {
        "promisableNow": 9
    }
    movements = data_of(await any_factory.gql(MOVEMENTS, actor=vendor))["stockMovements"]
    assert [
        (node["quantity"], node["reason"], node["orderId"], node["lineNo"], node["warehouse"])
        for node in (edge["node"] for edge in movements["edges"])
    ] == [
        (3, "RETURNED", order, 1, {"code": "AMS"}),
        (-4, "SHIPPED", order, 1, {"code": "AMS"}),
        (10, "COUNTED", None, None, {"code": "AMS"}),
    ]
    assert {edge["node"]["changedBy"]["email"] for edge in movements["edges"]} == {
        vendor.user.email
    }


async def test_a_returns_warehouse_holds_returned_units_apart(
    any_factory: Factory, shop: dict[str, Actor]
) -> None:
    vendor, buyer = shop["vendor"], shop["buyer"]
    named = data_of(await any_factory.gql(SETTINGS, {"w": "ret"}, actor=vendor))
    unknown = await any_factory.gql(SETTINGS, {"w": "NOPE"}, actor=vendor)
    by_partner = {
        query: await any_factory.gql(query, {"w": None} if "$w" in query else {}, actor=buyer)
        for query in (
            SETTINGS,
            LEVELS,
            MOVEMENTS,
            "{ orderSettings { returnsWarehouse { code } } }",
        )
    }

    await delivered_then_returned(any_factory, shop, ordered=4, returned=2)
    held_apart = data_of(await any_factory.gql(AVAILABLE, actor=buyer))["availability"]
    too_many = data_of(await any_factory.gql(PLACE, {"qty": 7}, actor=buyer))["placeOrder"]["id"]
    data_of(
        await any_factory.gql(
            MOVE,
            {"id": too_many, "input": {"status": "CONFIRMED", "expectedVersion": 1}},
            actor=vendor,
        )
    )
    refused = await any_factory.gql(
        MOVE, {"id": too_many, "input": {"status": "ALLOCATED", "expectedVersion": 2}}, actor=vendor
    )
    await delivered_then_returned(any_factory, shop, ordered=1, returned=1, accept=False)
    data_of(await any_factory.gql(SETTINGS, {"w": None}, actor=vendor))
    released = data_of(await any_factory.gql(AVAILABLE, actor=buyer))["availability"]
    levels = data_of(await any_factory.gql(LEVELS, actor=vendor))["stockLevels"]
    settings = data_of(
        await any_factory.gql("{ orderSettings { returnsWarehouse { code } } }", actor=vendor)
    )

    assert named["updateOrderSettings"] == {"returnsWarehouse": {"code": "RET"}}
    assert errors_of(unknown) == [("NOT_FOUND", "returnsWarehouse")]
    assert [errors_of(body) for body in by_partner.values()] == [[("FORBIDDEN", None)]] * 4
    assert held_apart == {"promisableNow": 6}
    assert errors_of(refused) == [("CONFLICT", "lines.0")]
    # The refused return put nothing back: AMS 10 - 4 - 1, RET the 2 returned units.
    assert levels == [
        {"warehouse": {"code": "AMS"}, "onHand": 5, "reserved": 0, "available": 5},
        {"warehouse": {"code": "RET"}, "onHand": 2, "reserved": 0, "available": 2},
    ]
    assert released == {"promisableNow": 7}
    assert settings == {"orderSettings": {"returnsWarehouse": None}}
