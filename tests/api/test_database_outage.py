"""A PostgreSQL outage: retryable UNAVAILABLE errors and closes with a reason, never bare 500s
or dropped sockets, and the first request after the restart succeeds.

The tests stop and start a PostgreSQL cluster of their own, so the suite's database never
goes away under other tests.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from hub.settings import Settings, load_settings
from storage import migrate
from storage.db import create_engine
from storage.models import Base
from tests.conftest import hub_env
from tests.factories import PASSWORD, Factory
from tests.services import OwnPostgres
from tests.wsclient import graphql_socket

CREATE_PARTNER = (
    'mutation { createPartner(input: {name: "Outage Co", type: RESELLER, country: "US"}) { id } }'
)
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"


@pytest.fixture(scope="module")
async def own_postgres() -> AsyncIterator[OwnPostgres]:
    postgres = OwnPostgres()
    await asyncio.to_thread(postgres.create)
    try:
        engine = create_engine(postgres.url)
        await migrate.upgrade(engine)
        await engine.dispose()
        yield postgres
    finally:
        await asyncio.to_thread(postgres.remove)


@pytest.fixture
async def outage(own_postgres: OwnPostgres) -> AsyncIterator[OwnPostgres]:
    """The test's PostgreSQL, running and emptied again after the test whatever it did."""
    yield own_postgres
    if not (own_postgres.data / "postmaster.pid").exists():
        await asyncio.to_thread(own_postgres.start)
    engine = create_engine(own_postgres.url)
    names = ", ".join(table.name for table in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} CASCADE"))
    await engine.dispose()


@pytest.fixture
def settings(tmp_path: Path, own_postgres: OwnPostgres) -> Settings:
    """The app of these tests runs on their own PostgreSQL (app, client, factory follow)."""
    return load_settings(hub_env(var_dir=str(tmp_path / "var"), database_url=own_postgres.url))


async def post(
    client: httpx.AsyncClient, query: str, token: str | None = None, **variables: Any
) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


def unavailable(response: httpx.Response) -> list[dict[str, Any]]:
    """The UNAVAILABLE errors of a 503 answer that tells when to retry."""
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "2"
    errors: list[dict[str, Any]] = response.json()["errors"]
    assert [error["extensions"] for error in errors] == [{"code": "UNAVAILABLE", "retryAfter": 2}]
    assert "database is unavailable" in errors[0]["message"]
    return errors


async def test_while_the_database_is_down_requests_get_a_retryable_error(
    client: httpx.AsyncClient, factory: Factory, outage: OwnPostgres
) -> None:
    vendor = await factory.vendor_admin()

    await asyncio.to_thread(outage.stop)
    authenticated = await post(client, CREATE_PARTNER, vendor.token)
    anonymous = await post(client, LOGIN, e=vendor.user.email, p=PASSWORD)
    await asyncio.to_thread(outage.start)

    assert "path" not in unavailable(authenticated)[0]  # refused before GraphQL ran
    assert unavailable(anonymous)[0]["path"] == ["login"]  # a field failed while resolving
    assert anonymous.json()["data"] is None


async def test_the_first_request_after_a_restart_succeeds(
    client: httpx.AsyncClient, factory: Factory, outage: OwnPostgres
) -> None:
    vendor = await factory.vendor_admin()
    # Pooled connections in use moments ago are not pinged: the server's goodbye must count.
    assert (await post(client, CREATE_PARTNER, vendor.token)).status_code == 200

    await asyncio.to_thread(outage.stop)
    await asyncio.to_thread(outage.start)
    write = await post(client, CREATE_PARTNER, vendor.token)
    read = await post(client, "{ partners(first: 5) { totalCount } }", vendor.token)

    assert write.status_code == 200 and "errors" not in write.json(), write.text
    assert read.json() == {"data": {"partners": {"totalCount": 2}}}


async def test_a_websocket_opened_while_the_database_is_down_is_closed_with_a_reason(
    ws_url: str, factory: Factory, outage: OwnPostgres
) -> None:
    vendor = await factory.vendor_admin()

    await asyncio.to_thread(outage.stop)
    async with connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {vendor.token}"}}
        await ws.send(json.dumps(init))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    await asyncio.to_thread(outage.start)

    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1013
    assert "database is unavailable" in closed.value.rcvd.reason


async def test_a_replay_that_cannot_read_the_database_gets_a_retryable_error(
    ws_url: str, factory: Factory, outage: OwnPostgres
) -> None:
    vendor = await factory.vendor_admin()

    async with graphql_socket(ws_url, vendor.token) as socket:
        await asyncio.to_thread(outage.stop)
        await socket.subscribe('subscription { leadEvents(after: "0") { cursor } }')
        message = json.loads(await asyncio.wait_for(socket.ws.recv(), 10))
        await asyncio.to_thread(outage.start)

    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert [error["extensions"] for error in errors] == [{"code": "UNAVAILABLE", "retryAfter": 2}]
