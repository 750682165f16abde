"""The pool settings bound the PostgreSQL connections a serve process opens."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import event
from starlette.applications import Starlette

from hub.partners import Tier
from hub.settings import ConfigError, Settings, load_settings
from tests.conftest import hub_env
from tests.factories import Factory

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

    event.listen(engine, "connect", connected)
    try:
        answers = await asyncio.gather(*(factory.gql(HOME, actor=seller) for _ in range(16)))
    finally:
        event.remove(engine, "connect", connected)

    assert all("errors" not in answer for answer in answers), answers[0]
    assert app.state.engine.pool.size() == 3
    assert 1 <= len(opened) <= 3


def test_pool_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="DATABASE_POOL_SIZE"):
        load_settings(hub_env(database_pool_size="0"))
