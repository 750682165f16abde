"""Orders over GraphQL and live orderEvents over a real WebSocket."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from starlette.applications import Starlette

from hub.events import DomainEvent
from hub.orders import catalog, stock
from hub.orders.catalog import ProductInput
from hub.partners import PartnerType, Tier
from hub.roles import Role
from hub.runtime import Hub
from schema.orders import OrderEvent
from tests.api.test_query_count import counted, counted_on
from tests.conftest import data_of
from tests.factories import Actor, Factory, errors_of
from tests.wsclient import graphql_socket

PLACE = """
mutation($lines: [OrderLineInput!]!) {
  placeOrder(input: {lines: $lines, endCustomer: "Globex", currency: "USD", shippingAddress: "1 Main St", shippingCountry: "US"}) {
    id status version total { amountMinor currency } lines { sku unitPrice { amountMinor } total { amountMinor } }
  }
}"""
MOVE = """
mutation($id: ID!, $input: OrderStatusInput!) { updateOrderStatus(id: $id, input: $input) { status version trackingNumber } }"""
ORDERS = """
query($first: Int) { orders(first: $first) { totalCount edges { node {
  id status partner { name } lines { sku product { name listPrices { amountMinor } } } statusHistory { toStatus changedBy { email } }
} } } }"""
EVENTS = """
subscription($after: String, $orderId: ID) {
  orderEvents(after: $after, orderId: $orderId) { cursor type orderId fromStatus toStatus trackingNumber order { status partner { name } } }
}"""


@pytest.fixture
async def shop(hub: Hub, factory: Factory) -> dict[str, Any]:
    vendor = await factory.vendor_admin()
    await catalog.create(
        hub,
        principal=vendor.principal,
        data=ProductInput("SW-24", "Switch", "NETWORKING", {"USD": 10_000}),
    )
    await catalog.set_tier_discount(
        hub, principal=vendor.principal, tier=Tier.GOLD, basis_points=1000, sku=None
    )
    await stock.create_warehouse(
        hub, principal=vendor.principal, code="AMS", name="Amsterdam", country="NL"
    )
    await stock.set_stock(
        hub, principal=vendor.principal, sku="SW-24", warehouse="AMS", on_hand=100
    )
    distributor = await factory.partner("Dist", type=PartnerType.DISTRIBUTOR, tier=Tier.GOLD)
    reseller = await factory.partner("Reseller", tier=Tier.GOLD, parent_id=distributor.id)
    return {
        "vendor": vendor,
        "buyer": await factory.user(reseller.id, Role.PARTNER_USER),
        "distributor": await factory.user(distributor.id, Role.PARTNER_USER),
        "stranger": await factory.user((await factory.partner("Stranger")).id, Role.PARTNER_USER),
        "erp": await factory.vendor_user(Role.INTEGRATION),
    }


async def place(factory: Factory, buyer: Actor, quantity: int = 2) -> dict[str, Any]:
    placed: dict[str, Any] = data_of(
        await factory.gql(PLACE, {"lines": [{"sku": "SW-24", "quantity": quantity}]}, actor=buyer)
    )["placeOrder"]
    return placed


async def test_place_move_and_see_orders_by_role(factory: Factory, shop: dict[str, Any]) -> None:
    order = await place(factory, shop["buyer"])
    confirm = {"status": "CONFIRMED", "expectedVersion": 1}

    by_partner = await factory.gql(MOVE, {"id": order["id"], "input": confirm}, actor=shop["buyer"])
    confirmed = await factory.gql(MOVE, {"id": order["id"], "input": confirm}, actor=shop["vendor"])
    stale = await factory.gql(MOVE, {"id": order["id"], "input": confirm}, actor=shop["vendor"])
    seen_by = {
        name: data_of(await factory.gql(ORDERS, actor=shop[name]))["orders"]["totalCount"]
        for name in ("distributor", "stranger", "vendor")
    }
    unseen = await factory.gql(
        "query($id: ID!) { order(id: $id) { id } }", {"id": order["id"]}, actor=shop["stranger"]
    )

    assert order["total"] == {"amountMinor": 18_000, "currency": "USD"}
    assert order["lines"] == [
        {"sku": "SW-24", "unitPrice": {"amountMinor": 9_000}, "total": {"amountMinor": 18_000}}
    ]
    assert errors_of(by_partner) == [("FORBIDDEN", None)]
    assert data_of(confirmed)["updateOrderStatus"] == {
        "status": "CONFIRMED",
        "version": 2,
        "trackingNumber": None,
    }
    assert errors_of(stale) == [("CONFLICT", "expectedVersion")]
    assert seen_by == {"distributor": 1, "stranger": 0, "vendor": 1}
    assert errors_of(unseen) == [("NOT_FOUND", "id")]


async def test_bulk_updates_report_each_item(factory: Factory, shop: dict[str, Any]) -> None:
    order = await place(factory, shop["buyer"])
    bulk = """mutation($u: [OrderStatusUpdate!]!) { updateOrderStatuses(updates: $u) { orderId errorCode errorField order { status } } }"""
    updates = [
        {"orderId": order["id"], "change": {"status": "CONFIRMED", "expectedVersion": 1}},
        {"orderId": order["id"], "change": {"status": "SHIPPED", "expectedVersion": 2}},
        {"orderId": "nope", "change": {"status": "CONFIRMED", "expectedVersion": 1}},
    ]

    results = data_of(await factory.gql(bulk, {"u": updates}, actor=shop["erp"]))[
        "updateOrderStatuses"
    ]

    assert [(r["errorCode"], r["errorField"], r["order"]) for r in results] == [
        (None, None, {"status": "CONFIRMED"}),
        ("BAD_USER_INPUT", "status", None),
        ("NOT_FOUND", "id", None),
    ]


async def test_order_page_statements_do_not_grow_with_page_size(
    factory: Factory, shop: dict[str, Any], app: Starlette
) -> None:
    for _ in range(12):
        await place(factory, shop["buyer"])

    with counted(app) as small:
        data_of(await factory.gql(ORDERS, {"first": 2}, actor=shop["distributor"]))
    with counted(app) as large:
        data_of(await factory.gql(ORDERS, {"first": 12}, actor=shop["distributor"]))

    assert len(large) == len(small)


async def test_order_events_reach_the_buyer_and_its_distributor_only(
    ws_url: str, factory: Factory, shop: dict[str, Any]
) -> None:
    async with (
        graphql_socket(ws_url, shop["distributor"].token) as distributor,
        graphql_socket(ws_url, shop["stranger"].token) as stranger,
    ):
        await distributor.subscribe(EVENTS)
        await stranger.subscribe(EVENTS)
        await asyncio.sleep(0.1)
        order = await place(factory, shop["buyer"])
        await factory.gql(
            MOVE,
            {"id": order["id"], "input": {"status": "CONFIRMED", "expectedVersion": 1}},
            actor=shop["vendor"],
        )
        placed = (await distributor.next())["data"]["orderEvents"]
        confirmed = (await distributor.next())["data"]["orderEvents"]

        assert (placed["type"], placed["toStatus"], placed["order"]["partner"]["name"]) == (
            "ORDER_PLACED",
            "SUBMITTED",
            "Reseller",
        )
        assert (confirmed["type"], confirmed["fromStatus"], confirmed["toStatus"]) == (
            "ORDER_STATUS_CHANGED",
            "SUBMITTED",
            "CONFIRMED",
        )
        assert await stranger.silent(0.3)

    async with graphql_socket(ws_url, shop["buyer"].token) as buyer:
        await buyer.subscribe(EVENTS, {"after": placed["cursor"], "orderId": order["id"]})
        replayed = (await buyer.next())["data"]["orderEvents"]
    async with graphql_socket(ws_url, shop["stranger"].token) as snoop:
        await snoop.subscribe(EVENTS, {"orderId": order["id"]})
        refused = await snoop.next()

    assert replayed["cursor"] == confirmed["cursor"]
    assert refused["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "orderId"}


async def test_status_history_names_who_made_each_change(
    factory: Factory, shop: dict[str, Any]
) -> None:
    order = await place(factory, shop["buyer"])
    await factory.gql(
        MOVE,
        {
            "id": order["id"],
            "input": {"status": "CONFIRMED", "expectedVersion": 1, "note": "credit ok"},
        },
        actor=shop["vendor"],
    )
    query = "query($id: ID!) { order(id: $id) { statusHistory { fromStatus toStatus note changedBy { email } } } }"

    seen_by_vendor = data_of(await factory.gql(query, {"id": order["id"]}, actor=shop["vendor"]))[
        "order"
    ]["statusHistory"]
    seen_by_buyer = data_of(await factory.gql(query, {"id": order["id"]}, actor=shop["buyer"]))[
        "order"
    ]["statusHistory"]

    assert seen_by_vendor == [
        {
            "fromStatus": None,
            "toStatus": "SUBMITTED",
            "note": None,
            "changedBy": {"email": shop["buyer"].user.email},
        },
        {
            "fromStatus": "SUBMITTED",
            "toStatus": "CONFIRMED",
            "note": "credit ok",
            "changedBy": {"email": shop["vendor"].user.email},
        },
    ]
    assert [entry["changedBy"] for entry in seen_by_buyer] == [
        {"email": shop["buyer"].user.email},
        None,
    ]


@pytest.mark.parametrize("after", [None, "0"], ids=["shared-stream", "own-stream"])
async def test_an_unexpected_failure_in_a_live_stream_has_the_http_error_shape(
    ws_url: str,
    factory: Factory,
    shop: dict[str, Any],
    after: str | None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(event: DomainEvent) -> OrderEvent:
        raise RuntimeError("the database password is hunter2")

    monkeypatch.setattr(OrderEvent, "from_event", broken)
    with caplog.at_level(logging.ERROR):
        async with graphql_socket(ws_url, shop["buyer"].token) as buyer:
            await buyer.subscribe(EVENTS, {"after": after})
            await asyncio.sleep(0.1)
            await place(factory, shop["buyer"])
            failed = await buyer.result("1")

    # One shape on every transport: INTERNAL_SERVER_ERROR, the masked message and a request id in the log.
    [error] = failed["errors"]
    request_id = error["extensions"]["requestId"]
    assert error == {
        "message": "Internal server error; quote the request id when reporting it.",
        "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
    }
    assert len(request_id) == 16
    assert "hunter2" not in json.dumps(failed)
    assert any(request_id in record.getMessage() for record in caplog.records)


PLACE_IN = """
mutation($lines: [OrderLineInput!]!, $currency: String!, $lead: ID) {
  placeOrder(input: {lines: $lines, endCustomer: "Globex", currency: $currency, leadId: $lead,
    shippingAddress: "1 Main St", shippingCountry: "US"}) {
    id status total { amountMinor } lines { lineNo sku quantity unitPrice { amountMinor } discountBasisPoints }
  }
}"""
COUNT_ORDERS = "query { orders(first: 1) { totalCount } }"


async def test_placing_an_order_runs_as_many_statements_for_one_line_as_for_ten(
    any_factory: Factory,
) -> None:
    """Prices, links and the buyer come from one select; the lines are one insert."""
    factory = any_factory
    vendor = await factory.vendor_admin()
    for n in range(10):
        prices = {"USD": 1_000 + n} | ({"EUR": 900} if n == 0 else {})
        await catalog.create(
            factory.hub,
            principal=vendor.principal,
            data=ProductInput(f"P-{n}", f"Product {n}", "NETWORKING", prices),
        )
    await catalog.set_tier_discount(
        factory.hub, principal=vendor.principal, tier=Tier.GOLD, basis_points=1000, sku=None
    )
    await catalog.set_tier_discount(
        factory.hub, principal=vendor.principal, tier=Tier.GOLD, basis_points=2500, sku="P-3"
    )
    buyer = await factory.user((await factory.partner(tier=Tier.GOLD)).id, Role.PARTNER_USER)
    engine = factory.hub.db.kw["bind"]

    def lines(count: int) -> list[dict[str, Any]]:
        return [{"sku": f"p-{n}", "quantity": n + 1} for n in range(count)]

    async def placed(count: int) -> dict[str, Any]:
        body = await factory.gql(PLACE_IN, {"lines": lines(count), "currency": "USD"}, actor=buyer)
        found: dict[str, Any] = data_of(body)["placeOrder"]
        return found

    await placed(1)
    with counted_on(engine) as one:
        await placed(1)
    with counted_on(engine) as ten:
        order = await placed(10)

    def work(statements: list[str]) -> list[str]:
        return [" ".join(s.split()[:3]) for s in statements if not s.startswith("BEGIN")]

    assert work(one) == work(ten), (one, ten)
    # The token check, one select, three inserts, the event (one statement on PostgreSQL,
    # the event and its audience on SQLite) and the lines read back for the answer.
    assert [s for s in work(ten) if "order" in s or "partners" in s] == [
        "SELECT partners.status, partners.tier,",
        "INSERT INTO orders",
        "INSERT INTO order_lines",
        "INSERT INTO order_status_changes",
        "SELECT order_lines.order_id, order_lines.line_no,",
    ]
    assert len(work(ten)) <= (7 if engine.dialect.name == "postgresql" else 8), ten
    # 1,000 + n less 10 %, rounded half up; P-3 less its own 25 % (752.25).
    units = [900, 901, 902, 752, 904, 905, 905, 906, 907, 908]
    assert [(line["lineNo"], line["sku"]) for line in order["lines"]] == [
        (n + 1, f"P-{n}") for n in range(10)
    ]
    assert [line["unitPrice"]["amountMinor"] for line in order["lines"]] == units
    assert order["lines"][3]["discountBasisPoints"] == 2500
    assert order["total"]["amountMinor"] == sum(unit * (n + 1) for n, unit in enumerate(units))
    assert order["status"] == "SUBMITTED"

    before = data_of(await factory.gql(COUNT_ORDERS, actor=buyer))["orders"]["totalCount"]
    unpriced = await factory.gql(PLACE_IN, {"lines": lines(2), "currency": "EUR"}, actor=buyer)
    unknown = await factory.gql(
        PLACE_IN,
        {"lines": [*lines(1), {"sku": "NOPE-1", "quantity": 1}], "currency": "USD"},
        actor=buyer,
    )
    stranger = await factory.gql(
        PLACE_IN, {"lines": lines(1), "currency": "USD", "lead": "0" * 32}, actor=buyer
    )
    assert errors_of(unpriced) == [("BAD_USER_INPUT", "lines.1.sku")]
    assert "P-1 has no price in EUR" in unpriced["errors"][0]["message"]
    assert errors_of(unknown) == [("BAD_USER_INPUT", "lines.1.sku")]
    assert errors_of(stranger) == [("NOT_FOUND", "leadId")]
    after = data_of(await factory.gql(COUNT_ORDERS, actor=buyer))["orders"]["totalCount"]
    assert after == before


async def test_a_replay_of_another_organizations_order_is_not_found_not_silent(
    ws_url: str, factory: Factory, shop: dict[str, Any]
) -> None:
    order = await place(factory, shop["buyer"])

    async with graphql_socket(ws_url, shop["stranger"].token) as stranger:
        await stranger.subscribe(EVENTS, {"after": "0", "orderId": order["id"]})
        refused = await stranger.next()
        ended = json.loads(await asyncio.wait_for(stranger.ws.recv(), 5))

    assert errors_of(refused) == [("NOT_FOUND", "orderId")]
    assert ended == {"id": "1", "type": "complete"}
