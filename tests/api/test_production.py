"""Production mode: what it closes that development leaves open."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.clock import ManualClock
from hub.roles import Role
from hub.settings import load_settings
from tests.conftest import hub_env
from tests.factories import Factory, errors_of
from web.app import create_app

INTROSPECT = "{ __schema { queryType { name } } }"
FRAGMENTED = 'query { ...Q } fragment Q on Query { __type(name: "Lead") { name } }'


async def factory_in(env: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Factory]:
    settings = load_settings(hub_env(env=env, var_dir=str(tmp_path / env)))
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
            yield Factory(app.state.hub, http)


@pytest.fixture
async def production(
    database: AsyncEngine, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[Factory]:
    async for factory in factory_in("production", tmp_path, clock):
        yield factory


@pytest.fixture
async def development(
    database: AsyncEngine, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[Factory]:
    async for factory in factory_in("development", tmp_path, clock):
        yield factory


async def test_introspection_is_for_vendor_staff_in_production(production: Factory) -> None:
    staff = await production.vendor_user(Role.CHANNEL_MANAGER)
    partner = await production.user((await production.partner()).id, Role.PARTNER_ADMIN)

    refused_anonymous = await production.post(INTROSPECT)
    refused_partner = await production.post(FRAGMENTED, actor=partner)
    anonymous, by_partner = refused_anonymous.json(), refused_partner.json()
    by_staff = await production.gql(INTROSPECT, actor=staff)
    typename = await production.gql("{ __typename }")

    # Refused before execution: a request error (400) under GraphQL over HTTP.
    assert (refused_anonymous.status_code, refused_partner.status_code) == (400, 400)
    assert errors_of(anonymous) == [("FORBIDDEN", None)]
    assert "log in as vendor staff" in anonymous["errors"][0]["message"]
    assert errors_of(by_partner) == [("FORBIDDEN", None)]
    assert by_staff["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    assert typename["data"] == {"__typename": "Query"}


async def test_introspection_stays_open_in_development(development: Factory) -> None:
    assert (await development.gql(INTROSPECT))["data"] == {
        "__schema": {"queryType": {"name": "Query"}}
    }
