"""Bulk sync by the ERP over the API, on PostgreSQL and the embedded SQLite: products upserted
by SKU and stock levels set, with one result per item (a bad item named by its place and
field, the rest kept), races of one new SKU, idempotent retries, and who may sync."""

from __future__ import annotations

import asyncio
from typing import Any

from hub.orders import stock
from hub.roles import Role
from tests.api.test_api_keys import CREATE as CREATE_KEY
from tests.api.test_api_keys import make_key
from tests.conftest import data_of
from tests.factories import Actor, Factory, errors_of

UPSERT = """mutation($items: [ProductInput!]!) { upsertProducts(items: $items) { index sku
  created product { sku name listPrices { amountMinor currency } } error { code field message } } }"""
LEVELS = """mutation($items: [StockLevelInput!]!) { setStockLevels(items: $items) { index sku
  warehouse onHand error { code field } } }"""
LEVELS_OF = """query($sku: String!) { stockLevels(sku: $sku) { warehouse { code } onHand } }"""


def item(sku: str, name: str = "Switch", line: str = "NETWORKING", price: int = 10_000) -> Any:
    return {
        "sku": sku,
        "name": name,
        "productLine": line,
        "listPrices": [{"currency": "USD", "amountMinor": price}],
    }


async def test_products_are_upserted_by_sku_item_by_item(any_factory: Factory) -> None:
    factory = any_factory
    erp, _ = await make_key(factory, ["READ", "CATALOG", "STOCK"])
    first = data_of(
        await factory.gql(
            UPSERT,
            {
                "items": [
                    item("sw-24"),
                    item("RT-1", "Router"),
                    item("BAD SKU"),
                    item("X-2", line="NOPE"),
                ]
            },
            actor=erp,
        )
    )["upsertProducts"]
    assert [(row["index"], row["sku"], row["created"]) for row in first[:2]] == [
        (0, "SW-24", True),
        (1, "RT-1", True),
    ]
    assert [row["error"]["field"] for row in first[2:]] == ["items.2.sku", "items.3.productLine"]
    assert all(row["error"]["code"] == "BAD_USER_INPUT" for row in first[2:])
    again = data_of(
        await factory.gql(UPSERT, {"items": [item("SW-24", "Switch 24", price=9_900)]}, actor=erp)
    )["upsertProducts"]
    assert again[0]["created"] is False and again[0]["error"] is None
    assert again[0]["product"]["name"] == "Switch 24"
    assert again[0]["product"]["listPrices"] == [{"amountMinor": 9_900, "currency": "USD"}]

    vendor = await factory.vendor_admin()
    await stock.create_warehouse(
        factory.hub, principal=vendor.principal, code="AMS", name="Amsterdam", country="NL"
    )
    levels = data_of(
        await factory.gql(
            LEVELS,
            {
                "items": [
                    {"sku": "SW-24", "warehouse": "AMS", "onHand": 40},
                    {"sku": "SW-24", "warehouse": "NOWHERE", "onHand": 1},
                    {"sku": "RT-1", "warehouse": "AMS", "onHand": -1},
                    {"sku": "RT-1", "warehouse": "AMS", "onHand": 7},
                ]
            },
            actor=erp,
        )
    )["setStockLevels"]
    assert [(row["onHand"], row["error"]) for row in levels[::3]] == [(40, None), (7, None)]
    assert levels[1]["error"]["field"].startswith("items.1.")
    assert levels[2]["error"] == {"code": "BAD_USER_INPUT", "field": "items.2.onHand"}
    direct = [
        (
            'mutation { createProduct(input: {sku: "D-1", name: "Direct", productLine: "NETWORKING", '
            'listPrices: [{currency: "USD", amountMinor: 5}]}) { sku } }'
        ),
        'mutation { setStock(sku: "D-1", warehouse: "AMS", onHand: 3) }',
        (
            'mutation { addInboundReceipt(sku: "D-1", warehouse: "AMS", quantity: 5, '
            'expectedOn: "2026-03-20") }'
        ),
    ]
    for document in direct:
        assert "errors" not in await factory.gql(document, actor=erp), document
    for sku, on_hand in (("SW-24", 40), ("RT-1", 7), ("D-1", 3)):
        found = data_of(await factory.gql(LEVELS_OF, {"sku": sku}, actor=erp))["stockLevels"]
        assert found == [{"warehouse": {"code": "AMS"}, "onHand": on_hand}]


async def test_racing_upserts_of_one_new_sku_make_one_product(any_factory: Factory) -> None:
    factory = any_factory
    erp, _ = await make_key(factory, ["READ", "CATALOG"])
    answers = await asyncio.gather(
        *(factory.gql(UPSERT, {"items": [item("NEW-1", f"Name {n}")]}, actor=erp) for n in range(6))
    )
    rows = [data_of(answer)["upsertProducts"][0] for answer in answers]
    assert all(row["error"] is None for row in rows)
    assert sum(row["created"] for row in rows) == 1
    listed = data_of(await factory.gql("{ products(first: 10) { totalCount } }", actor=erp))
    assert listed["products"]["totalCount"] == 1


async def test_an_idempotent_retry_syncs_once(factory: Factory) -> None:
    erp, _ = await make_key(factory, ["READ", "CATALOG"])
    key = {"idempotency-key": "erp-batch-0001"}
    sent = {"items": [item("IDEM-1")]}
    first = await factory.post(UPSERT, sent, actor=erp, headers=key)
    again = await factory.post(UPSERT, sent, actor=erp, headers=key)
    assert first.json()["data"]["upsertProducts"][0]["created"] is True
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    # A key of the same account with fewer scopes never gets that answer.
    vendor = await factory.vendor_admin()
    made = data_of(
        await factory.gql(CREATE_KEY, {"user": erp.user.id, "scopes": ["READ"]}, actor=vendor)
    )["createApiKey"]
    lesser = await factory.post(UPSERT, sent, actor=Actor(erp.user, made["secret"]), headers=key)
    assert lesser.status_code == 400 and "idempotent-replayed" not in lesser.headers


async def test_who_may_sync(factory: Factory) -> None:
    reader, _ = await make_key(factory, ["READ"])
    refused = await factory.gql(UPSERT, {"items": [item("A-1")]}, actor=reader)
    assert errors_of(refused) == [("FORBIDDEN", "upsertProducts")]
    partner = await factory.partner()
    seller = await factory.user(partner.id, Role.PARTNER_ADMIN)
    for document, variables in (
        (UPSERT, {"items": [item("A-1")]}),
        (LEVELS, {"items": [{"sku": "A-1", "warehouse": "AMS", "onHand": 1}]}),
    ):
        assert [
            code for code, _ in errors_of(await factory.gql(document, variables, actor=seller))
        ] == ["FORBIDDEN"]
    erp, _ = await make_key(factory, ["CATALOG"])
    too_many = await factory.gql(UPSERT, {"items": [item(f"S-{n}") for n in range(501)]}, actor=erp)
    assert errors_of(too_many) == [("BAD_USER_INPUT", "items")]


async def test_an_item_with_unreadable_prices_spoils_only_itself(any_factory: Factory) -> None:
    factory = any_factory
    erp, _ = await make_key(factory, ["READ", "CATALOG"])
    twice = {
        **item("TW-1"),
        "listPrices": [
            {"currency": "USD", "amountMinor": 1},
            {"currency": "usd", "amountMinor": 2},
        ],
    }
    none = {**item("NO-1"), "listPrices": []}
    rows = data_of(
        await factory.gql(UPSERT, {"items": [item("OK-1"), twice, none, item("OK-2")]}, actor=erp)
    )["upsertProducts"]
    assert [(row["sku"], row["error"] and row["error"]["field"]) for row in rows] == [
        ("OK-1", None),
        ("TW-1", "items.1.listPrices.1.currency"),
        ("NO-1", "items.2.listPrices"),
        ("OK-2", None),
    ]
    listed = data_of(await factory.gql("{ products(first: 10) { totalCount } }", actor=erp))
    assert listed["products"]["totalCount"] == 2


async def test_an_update_keeps_the_description_and_activity_left_out(factory: Factory) -> None:
    erp, _ = await make_key(factory, ["READ", "CATALOG"])
    made = {**item("KEEP-1"), "description": "24 ports", "active": False}
    assert data_of(await factory.gql(UPSERT, {"items": [made]}, actor=erp))["upsertProducts"][0][
        "created"
    ]
    renamed = data_of(
        await factory.gql(UPSERT, {"items": [item("KEEP-1", "Switch v2")]}, actor=erp)
    )
    assert renamed["upsertProducts"][0]["error"] is None
    query = """{ products(first: 5, filter: {active: false}) { edges { node { sku name
      description active } } } }"""
    nodes = data_of(await factory.gql(query, actor=erp))["products"]["edges"]
    assert [edge["node"] for edge in nodes] == [
        {"sku": "KEEP-1", "name": "Switch v2", "description": "24 ports", "active": False}
    ]
    cleared = {**item("KEEP-1", "Switch v2"), "description": None, "active": True}
    data_of(await factory.gql(UPSERT, {"items": [cleared]}, actor=erp))
    nodes = data_of(await factory.gql(query.replace("false", "true"), actor=erp))["products"]
    assert [edge["node"]["description"] for edge in nodes["edges"]] == [None]
