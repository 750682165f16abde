"""The pool settings bound the connections a serve process opens; requests queue for them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import event
from starlette.applications import Starlette

from hub.clock import ManualClock
from hub.orders import catalog
from hub.orders.catalog import ProductInput
from hub.partners import Tier
from hub.roles import Role
from hub.settings import ConfigError, Settings, load_settings
from tests.conftest import data_of, factory_for, hub_env, sqlite_hub
from tests.factories import Factory

PLACE = """mutation($lines: [OrderLineInput!]!) { placeOrder(input: {lines: $lines,
  endCustomer: "Globex", currency: "USD", shippingAddress: "1 Main St", shippingCountry: "US"}) { id } }"""

# A partner's home screen: its root fields run side by side, each on a session of its own.
HOME = """{ me { name organization { name } }
  leads(first: 20) { edges { node { customerCompany status productLine partner { name } } } }
  orders(first: 20) { edges { node { status total { amountMinor } lines { sku quantity } } } }
  conversations(first: 10) { edges { node { unreadCount lastMessage { body } } } } }"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        hub_env(var_dir=str(tmp_path / "var"), database_pool_size="3", database_max_overflow="0")
    )


async def test_concurrent_requests_queue_for_the_connections_the_settings_allow(
    factory: Factory, app: Starlette
) -> None:
    partner = await factory.partner("Reseller", tier=Tier.GOLD)
    seller = await factory.partner_admin(partner)
    opened: list[object] = []
    engine = app.state.engine.sync_engine

    def connected(connection: object, _record: object) -> None:
        opened.append(connection)

    pool = app.state.engine.pool
    already = pool.checkedin() + pool.checkedout()  # the background workers' reads open some
    event.listen(engine, "connect", connected)
    try:
        answers = await asyncio.gather(*(factory.gql(HOME, actor=seller) for _ in range(16)))
    finally:
        event.remove(engine, "connect", connected)

    assert all("errors" not in answer for answer in answers), answers[0]
    assert pool.size() == 3
    assert already + len(opened) <= 3
    # A background worker may hold one of them at this moment (once seen: 2 checked in).
    assert pool.checkedin() + pool.checkedout() == already + len(opened) >= 1


@pytest.fixture
async def sqlite_small_pool(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Factory]:
    async with sqlite_hub(
        tmp_path, clock, database_pool_size="3", database_max_overflow="0"
    ) as hub_factory:
        yield hub_factory


@pytest.fixture(params=["postgresql", "sqlite"])
def small_pool(request: pytest.FixtureRequest) -> Factory:
    """A hub whose pool holds 3 connections and opens no more, on either database."""
    return factory_for(request, "sqlite_small_pool")


async def test_more_writers_than_pooled_connections_all_get_through(small_pool: Factory) -> None:
    # Each request reads first (its caller), then writes. A request that kept its read
    # connection while it queued for the writer would, 12 at once, leave none for the writer
    # at the front: every request would wait 30 s and fail UNAVAILABLE.
    factory = small_pool
    vendor = await factory.vendor_admin()
    await catalog.create(
        factory.hub,
        principal=vendor.principal,
        data=ProductInput("SW-24", "Switch", "NETWORKING", {"USD": 10_000}),
    )
    buyers = [
        await factory.user((await factory.partner(f"Reseller {n}")).id, Role.PARTNER_USER)
        for n in range(12)
    ]
    answers = await asyncio.wait_for(
        asyncio.gather(
            *(
                factory.gql(PLACE, {"lines": [{"sku": "SW-24", "quantity": 1}]}, actor=buyer)
                for buyer in buyers
            )
        ),
        timeout=20,
    )

    assert [answer.get("errors") for answer in answers] == [None] * 12
    placed = {answer["data"]["placeOrder"]["id"] for answer in answers}
    listed = data_of(await factory.gql("{ orders(first: 50) { totalCount } }", actor=vendor))
    assert len(placed) == 12
    assert listed["orders"]["totalCount"] == 12


def test_pool_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="DATABASE_POOL_SIZE"):
        load_settings(hub_env(database_pool_size="0"))
