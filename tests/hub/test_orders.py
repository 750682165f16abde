"""Catalog, tier pricing and availability-to-promise."""

from __future__ import annotations

from datetime import date

import pytest

from hub.clock import ManualClock
from hub.errors import BadInput, Conflict, Forbidden, NotFound
from hub.orders import catalog, stock
from hub.orders.catalog import ProductInput
from hub.partners import Tier
from hub.roles import Role
from hub.runtime import Hub
from storage.models import StockLevel
from tests.factories import Factory


def product(sku: str = "SW-24", **fields: object) -> ProductInput:
    values: dict[str, object] = {
        "sku": sku,
        "name": "Switch 24",
        "product_line": "networking",
        "prices": {"USD": 99_999, "EUR": 89_900},
    }
    values.update(fields)
    return ProductInput(**values)  # type: ignore[arg-type]


async def test_products_are_validated_and_unique_by_sku(hub: Hub, factory: Factory) -> None:
    vendor = (await factory.vendor_admin()).principal
    created = await catalog.create(hub, principal=vendor, data=product("sw-24"))

    assert created.sku == "SW-24"
    assert created.product_line == "NETWORKING"
    with pytest.raises(Conflict) as duplicate:
        await catalog.create(hub, principal=vendor, data=product("SW-24"))
    assert duplicate.value.field == "sku"
    for data, field in [
        (product("bad sku!"), "sku"),
        (product("X1", prices={}), "listPrices"),
        (product("X2", prices={"USD": -1}), "listPrices.0.amountMinor"),
        (product("X3", prices={"DOLLARS": 1}), "listPrices.0.currency"),
        (product("X4", name=" "), "name"),
    ]:
        with pytest.raises(BadInput) as refused:
            await catalog.create(hub, principal=vendor, data=data)
        assert refused.value.field == field


async def test_partners_cannot_change_the_catalog(hub: Hub, factory: Factory) -> None:
    partner = await factory.partner()
    user = await factory.user(partner.id, Role.PARTNER_ADMIN)

    with pytest.raises(Forbidden):
        await catalog.create(hub, principal=user.principal, data=product())


async def test_tier_prices_use_the_product_override_before_the_tier_default(
    hub: Hub, factory: Factory
) -> None:
    vendor = (await factory.vendor_admin()).principal
    switch = await catalog.create(hub, principal=vendor, data=product("SW-24"))
    router = await catalog.create(hub, principal=vendor, data=product("RT-1", prices={"USD": 333}))
    await catalog.set_tier_discount(
        hub, principal=vendor, tier=Tier.GOLD, basis_points=1500, sku=None
    )
    await catalog.set_tier_discount(
        hub, principal=vendor, tier=Tier.GOLD, basis_points=2500, sku="RT-1"
    )
    await catalog.set_tier_discount(
        hub, principal=vendor, tier=Tier.GOLD, basis_points=1000, sku=None
    )
    gold = await factory.user((await factory.partner(tier=Tier.GOLD)).id, Role.PARTNER_USER)
    silver = await factory.user((await factory.partner(tier=Tier.SILVER)).id, Role.PARTNER_USER)

    gold_quotes = await catalog.quote_for(
        hub, principal=gold.principal, product_ids=[switch.id, router.id], currency="usd"
    )
    silver_quotes = await catalog.quote_for(
        hub, principal=silver.principal, product_ids=[switch.id], currency="USD"
    )
    vendor_quotes = await catalog.quote_for(
        hub, principal=vendor, product_ids=[switch.id], currency="EUR"
    )

    assert gold_quotes[switch.id].unit_minor == 89_999  # 99,999 less 10 %, rounded half up
    assert gold_quotes[router.id].unit_minor == 250  # 333 less 25 % = 249.75
    assert silver_quotes[switch.id].unit_minor == 99_999
    assert vendor_quotes[switch.id].unit_minor == 89_900
    with pytest.raises(BadInput):
        await catalog.set_tier_discount(
            hub, principal=vendor, tier=Tier.GOLD, basis_points=10_001, sku=None
        )


async def test_inactive_products_are_hidden_from_partners(hub: Hub, factory: Factory) -> None:
    vendor = (await factory.vendor_admin()).principal
    await catalog.create(hub, principal=vendor, data=product("OLD-1", active=False))
    partner = await factory.user((await factory.partner()).id, Role.PARTNER_USER)

    assert (await catalog.get(hub, principal=vendor, sku="old-1")).active is False
    with pytest.raises(NotFound):
        await catalog.get(hub, principal=partner.principal, sku="OLD-1")


async def test_availability_promises_stock_now_and_dates_the_rest(
    hub: Hub, factory: Factory, clock: ManualClock
) -> None:
    vendor = (await factory.vendor_admin()).principal
    await catalog.create(hub, principal=vendor, data=product("SW-24"))
    await stock.create_warehouse(hub, principal=vendor, code="ams", name="Amsterdam", country="NL")
    await stock.create_warehouse(hub, principal=vendor, code="RNO", name="Reno", country="US")
    await stock.set_stock(hub, principal=vendor, sku="SW-24", warehouse="AMS", on_hand=30)
    await stock.set_stock(hub, principal=vendor, sku="SW-24", warehouse="RNO", on_hand=5)
    async with hub.write() as session:
        level = await session.get(
            StockLevel,
            (
                (await catalog.get(hub, principal=vendor, sku="SW-24")).id,
                (await _warehouse(hub, "AMS")),
            ),
        )
        assert level is not None
        level.reserved = 10
    await stock.add_inbound(
        hub,
        principal=vendor,
        sku="SW-24",
        warehouse="AMS",
        quantity=20,
        expected_on=date(2026, 3, 20),
    )
    await stock.add_inbound(
        hub,
        principal=vendor,
        sku="SW-24",
        warehouse="RNO",
        quantity=50,
        expected_on=date(2026, 4, 15),
    )

    small = await stock.availability(
        hub, principal=vendor, sku="SW-24", quantity=10, warehouse=None
    )
    large = await stock.availability(
        hub, principal=vendor, sku="SW-24", quantity=60, warehouse=None
    )
    amsterdam = await stock.availability(
        hub, principal=vendor, sku="SW-24", quantity=60, warehouse="AMS"
    )
    too_many = await stock.availability(
        hub, principal=vendor, sku="SW-24", quantity=500, warehouse=None
    )

    assert (small.promisable_now, small.remaining, small.earliest_date) == (10, 0, None)
    assert (large.promisable_now, large.remaining, large.earliest_date) == (
        25,
        35,
        date(2026, 4, 15),
    )
    assert (amsterdam.promisable_now, amsterdam.remaining, amsterdam.earliest_date) == (
        20,
        40,
        None,
    )
    assert too_many.earliest_date is None and not too_many.fully_promisable
    with pytest.raises(BadInput):
        await stock.set_stock(hub, principal=vendor, sku="SW-24", warehouse="AMS", on_hand=9)
    with pytest.raises(BadInput):
        await stock.add_inbound(
            hub,
            principal=vendor,
            sku="SW-24",
            warehouse="AMS",
            quantity=1,
            expected_on=date(2026, 1, 1),
        )
    with pytest.raises(NotFound):
        await stock.availability(hub, principal=vendor, sku="SW-24", quantity=1, warehouse="NOPE")


async def _warehouse(hub: Hub, code: str) -> str:
    from sqlalchemy import select

    from storage.models import Warehouse

    async with hub.db() as session:
        found = await session.scalar(select(Warehouse.id).where(Warehouse.code == code))
    assert found is not None
    return found
