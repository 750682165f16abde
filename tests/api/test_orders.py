"""Catalog, prices and availability over GraphQL."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

from hub.partners import Tier
from hub.roles import Role
from tests.api.test_query_count import counted
from tests.conftest import data_of
from tests.factories import Actor, Factory, errors_of

CREATE = """
mutation($input: ProductInput!) { createProduct(input: $input) { sku productLine listPrices { amountMinor currency } } }"""
PRODUCTS = """
query($first: Int) { products(first: $first) {
  totalCount edges { node { sku listPrices { amountMinor currency } price(currency: "USD") { unit { amountMinor } discountBasisPoints } } }
} }"""


def product(sku: str, usd: int = 10_000, **fields: Any) -> dict[str, Any]:
    return {
        "sku": sku,
        "name": f"Product {sku}",
        "productLine": "networking",
        "listPrices": [{"amountMinor": usd, "currency": "USD"}],
        **fields,
    }


async def create(factory: Factory, vendor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    body = await factory.gql(CREATE, {"input": data}, actor=vendor)
    created: dict[str, Any] = data_of(body)["createProduct"]
    return created


async def test_partners_see_their_tier_price_and_active_products_only(factory: Factory) -> None:
    vendor = await factory.vendor_admin()
    await create(factory, vendor, product("AP-1", 20_000))
    await create(factory, vendor, product("OLD-1", active=False))
    discount = "mutation { setTierDiscount(tier: GOLD, basisPoints: 2000) }"
    data_of(await factory.gql(discount, actor=vendor))
    gold = await factory.user((await factory.partner(tier=Tier.GOLD)).id, Role.PARTNER_USER)

    as_gold = data_of(await factory.gql(PRODUCTS, actor=gold))["products"]
    as_vendor = data_of(await factory.gql(PRODUCTS, actor=vendor))["products"]

    assert as_gold["totalCount"] == 1
    assert as_gold["edges"][0]["node"]["price"] == {
        "unit": {"amountMinor": 16_000},
        "discountBasisPoints": 2000,
    }
    assert as_vendor["totalCount"] == 2
    assert as_vendor["edges"][0]["node"]["price"] == {
        "unit": {"amountMinor": 20_000},
        "discountBasisPoints": 0,
    }


async def test_bad_product_input_names_the_field(factory: Factory) -> None:
    vendor = await factory.vendor_admin()
    await create(factory, vendor, product("SW-1"))
    partner_admin = await factory.user((await factory.partner()).id, Role.PARTNER_ADMIN)
    twice = product(
        "SW-2",
        listPrices=[{"amountMinor": 1, "currency": "USD"}, {"amountMinor": 2, "currency": "usd"}],
    )

    cases = [
        (product("SW-1"), ("CONFLICT", "sku")),
        (product("no spaces"), ("BAD_USER_INPUT", "sku")),
        (twice, ("BAD_USER_INPUT", "listPrices.1.currency")),
        (
            product("SW-3", listPrices=[{"amountMinor": 1.5, "currency": "USD"}]),
            ("BAD_USER_INPUT", "input.listPrices[0].amountMinor"),
        ),
        (product("SW-4", listPrices=[]), ("BAD_USER_INPUT", "listPrices")),
    ]
    for data, expected in cases:
        assert errors_of(await factory.gql(CREATE, {"input": data}, actor=vendor)) == [expected], (
            data
        )
    forbidden = await factory.gql(CREATE, {"input": product("SW-5")}, actor=partner_admin)

    assert errors_of(forbidden) == [("FORBIDDEN", None)]
    assert data_of(await factory.gql(PRODUCTS, actor=vendor))["products"]["totalCount"] == 1


async def test_availability_over_the_api(factory: Factory) -> None:
    vendor = await factory.vendor_admin()
    await create(factory, vendor, product("SW-1"))
    setup = """mutation { createWarehouse(code: "AMS", name: "Amsterdam", country: "NL") { code }
      setStock(sku: "SW-1", warehouse: "AMS", onHand: 4)
      addInboundReceipt(sku: "SW-1", warehouse: "AMS", quantity: 10, expectedOn: "2026-04-01") }"""
    data_of(await factory.gql(setup, actor=vendor))
    query = 'query($q: Int!) { availability(sku: "sw-1", quantity: $q) { promisableNow remaining earliestDate fullyPromisable } }'

    answer = data_of(await factory.gql(query, {"q": 9}, actor=vendor))["availability"]
    bad = await factory.gql(query, {"q": 0}, actor=vendor)

    assert answer == {
        "promisableNow": 4,
        "remaining": 5,
        "earliestDate": "2026-04-01",
        "fullyPromisable": True,
    }
    assert errors_of(bad) == [("BAD_USER_INPUT", "quantity")]


async def test_product_page_statements_do_not_grow_with_page_size(
    factory: Factory, app: Starlette
) -> None:
    vendor = await factory.vendor_admin()
    for n in range(25):
        await create(factory, vendor, product(f"P-{n:02}"))
    gold = await factory.user((await factory.partner(tier=Tier.GOLD)).id, Role.PARTNER_USER)

    with counted(app) as small:
        data_of(await factory.gql(PRODUCTS, {"first": 2}, actor=gold))
    with counted(app) as large:
        data_of(await factory.gql(PRODUCTS, {"first": 25}, actor=gold))

    assert len(large) == len(small)
