"""GraphQL over a real WebSocket (graphql-transport-ws) against a live uvicorn server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from hub.clock import ManualClock
from hub.settings import Settings, load_settings
from tests.conftest import hub_env
from tests.factories import Factory

PROTOCOL = "graphql-transport-ws"


async def init(ws: ClientConnection, payload: dict[str, Any]) -> dict[str, Any]:
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    reply: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 5))
    return reply


async def test_token_in_connection_init_authenticates_operations(
    factory: Factory, ws_url: str
) -> None:
    admin = await factory.vendor_admin()
    async with connect(ws_url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        assert (await init(ws, {"authorization": f"Bearer {admin.token}"}))[
            "type"
        ] == "connection_ack"
        await ws.send(
            json.dumps(
                {"id": "1", "type": "subscribe", "payload": {"query": "{ me { email role } }"}}
            )
        )
        result = json.loads(await asyncio.wait_for(ws.recv(), 5))
        done = json.loads(await asyncio.wait_for(ws.recv(), 5))

    assert result == {
        "id": "1",
        "type": "next",
        "payload": {"data": {"me": {"email": admin.user.email, "role": "VENDOR_ADMIN"}}},
    }
    assert done == {"id": "1", "type": "complete"}


@pytest.mark.parametrize(
    "payload", [{"authorization": "Bearer forged.token.here"}, {}, {"token": ""}]
)
async def test_bad_or_missing_token_closes_with_4403(ws_url: str, payload: dict[str, Any]) -> None:
    async with connect(ws_url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)

    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


async def test_deactivated_users_token_is_refused(factory: Factory, ws_url: str) -> None:
    partner = await factory.partner()
    partner_admin = await factory.partner_admin(partner)
    vendor = await factory.vendor_admin()
    await factory.gql(
        "mutation($id: ID!) { setUserActive(userId: $id, active: false) { active } }",
        {"id": partner_admin.user.id},
        actor=vendor,
    )
    async with connect(ws_url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"token": partner_admin.token}})
        )
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)

    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_browser_origins_are_checked(ws_url: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(ws_url, subprotocols=[PROTOCOL], origin="https://evil.test"):  # type: ignore[list-item,arg-type]
            pass
    async with connect(ws_url, subprotocols=[PROTOCOL], origin="http://localhost:8000") as ws:  # type: ignore[list-item,arg-type]
        assert ws.subprotocol == PROTOCOL

    assert refused.value.response.status_code == 403


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    """Open sockets check their token again every second."""
    return load_settings(hub_env(var_dir=str(tmp_path / "var"), ws_recheck_seconds="1"))


@pytest.mark.parametrize("ending", ["deactivated", "expired", "logged out"])
async def test_an_open_socket_closes_once_its_token_stops_holding(
    factory: Factory, ws_url: str, clock: ManualClock, ending: str
) -> None:
    partner = await factory.partner()
    partner_admin = await factory.partner_admin(partner)
    vendor = await factory.vendor_admin()
    async with connect(ws_url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        assert (await init(ws, {"token": partner_admin.token}))["type"] == "connection_ack"
        query = "subscription { leadEvents { cursor } }"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        await asyncio.sleep(1.5)  # a recheck passes while the token holds
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "pong"}
        if ending == "deactivated":
            await factory.gql(
                "mutation($id: ID!) { setUserActive(userId: $id, active: false) { active } }",
                {"id": partner_admin.user.id},
                actor=vendor,
            )
        elif ending == "expired":
            clock.advance(seconds=3601)
        else:
            await factory.gql("mutation { logout }", actor=partner_admin)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)

    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
