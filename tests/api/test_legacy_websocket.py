"""The legacy graphql-ws protocol (subscriptions-transport-ws), as Apollo iOS 1.x and Apollo
Kotlin's classic transport speak it, against a live uvicorn server: the same auth, tenancy
and fan-out as graphql-transport-ws."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.api.test_lead_events import EVENTS, _channel, create_lead
from tests.factories import Factory

LEGACY = "graphql-ws"


async def receive(ws: ClientConnection, *, wait: float = 5) -> dict[str, Any]:
    """The next message that is not a keep-alive."""
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), wait))
        if message["type"] != "ka":
            return message


async def legacy_socket(ws_url: str, token: str) -> ClientConnection:
    ws = await connect(ws_url, subprotocols=[LEGACY])  # type: ignore[list-item]
    assert ws.subprotocol == LEGACY
    headers = {"Authorization": f"Bearer {token}"}
    await ws.send(json.dumps({"type": "connection_init", "payload": {"headers": headers}}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "connection_ack"}
    assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "ka"}
    return ws


async def test_a_legacy_client_runs_a_query_with_start_data_complete(
    factory: Factory, ws_url: str
) -> None:
    admin = await factory.vendor_admin()
    ws = await legacy_socket(ws_url, admin.token)
    async with ws:
        query = {"query": "query Me { me { email } }", "operationName": "Me"}
        await ws.send(json.dumps({"id": "1", "type": "start", "payload": query}))
        result, done = await receive(ws), await receive(ws)

    assert result == {
        "id": "1",
        "type": "data",
        "payload": {"data": {"me": {"email": admin.user.email}}},
    }
    assert done == {"id": "1", "type": "complete"}


async def test_legacy_subscriptions_share_the_fan_out_and_its_tenancy(
    factory: Factory, ws_url: str
) -> None:
    channel = await _channel(factory)
    gold = await legacy_socket(ws_url, channel["gold"].token)
    stranger = await legacy_socket(ws_url, channel["stranger"].token)
    async with gold, stranger:
        for ws in (gold, stranger):
            await ws.send(json.dumps({"id": "e", "type": "start", "payload": {"query": EVENTS}}))
        await asyncio.sleep(0.2)
        lead = await create_lead(factory, channel["vendor"])
        offered = await receive(gold)
        await gold.send(json.dumps({"id": "e", "type": "stop"}))
        stopped = await receive(gold)
        with pytest.raises(TimeoutError):
            await receive(stranger, wait=1)

    assert offered["id"] == "e" and offered["type"] == "data"
    event = offered["payload"]["data"]["leadEvents"]
    assert (event["type"], event["leadId"]) == ("LEAD_OFFERED", lead["id"])
    assert stopped == {"id": "e", "type": "complete"}


@pytest.mark.parametrize(
    "payload",
    [{"authorization": "Bearer forged.token.here"}, {"headers": {"Authorization": ""}}, {}],
)
async def test_a_refused_legacy_init_gets_connection_error_then_4403(
    ws_url: str, payload: dict[str, Any]
) -> None:
    async with connect(ws_url, subprotocols=[LEGACY]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        error = json.loads(await asyncio.wait_for(ws.recv(), 5))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)

    assert error["type"] == "connection_error"
    assert error["payload"]["message"]
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_the_other_protocols_messages_are_refused_and_terminate_closes(
    factory: Factory, ws_url: str
) -> None:
    admin = await factory.vendor_admin()
    ws = await legacy_socket(ws_url, admin.token)
    async with ws:
        await ws.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "{ me { email } }"}})
        )
        with pytest.raises(ConnectionClosed) as unknown:
            await receive(ws)
    ws = await legacy_socket(ws_url, admin.token)
    async with ws:
        await ws.send(json.dumps({"type": "connection_terminate"}))
        with pytest.raises(ConnectionClosed) as terminated:
            await receive(ws)

    assert unknown.value.rcvd is not None and unknown.value.rcvd.code == 4400
    assert "'subscribe'" in unknown.value.rcvd.reason
    assert terminated.value.rcvd is not None and terminated.value.rcvd.code == 1000


async def test_graphql_transport_ws_is_preferred_and_takes_headers_in_init(
    factory: Factory, ws_url: str
) -> None:
    admin = await factory.vendor_admin()
    both = [LEGACY, "graphql-transport-ws"]
    async with connect(ws_url, subprotocols=both) as ws:  # type: ignore[arg-type]
        headers = {"authorization": f"Bearer {admin.token}"}
        await ws.send(json.dumps({"type": "connection_init", "payload": {"headers": headers}}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
        await ws.send(json.dumps({"type": "ping"}))
        pong = json.loads(await asyncio.wait_for(ws.recv(), 5))

    assert ws.subprotocol == "graphql-transport-ws"
    assert (ack, pong) == ({"type": "connection_ack"}, {"type": "pong"})
