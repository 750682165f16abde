"""Request ids and the log line of each HTTP request and WebSocket connection, through the
served app."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from tests.conftest import until
from tests.factories import Factory

ME = "query Me { me { id } }"


def request_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "channelhub.requests"]


async def test_every_answer_has_a_request_id_and_one_log_line(
    factory: Factory, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    admin = await factory.vendor_admin()
    caplog.set_level(logging.INFO, logger="channelhub.requests")

    health = await client.get("/healthz")
    answer = await factory.post(ME, actor=admin)
    missing = await client.get("/no-such-page")

    ids = [response.headers["x-request-id"] for response in (health, answer, missing)]
    assert len(set(ids)) == 3 and all(len(value) == 16 for value in ids)
    lines = request_lines(caplog)
    assert [(line.path, line.status, line.request_id) for line in lines] == [  # type: ignore[attr-defined]
        ("/healthz", 200, ids[0]),
        ("/graphql", 200, ids[1]),
        ("/no-such-page", 404, ids[2]),
    ]
    graphql = lines[1]
    assert (graphql.operation, graphql.user_id, graphql.organization_id) == (  # type: ignore[attr-defined]
        "Me",
        admin.principal.user_id,
        admin.principal.organization_id,
    )
    assert graphql.duration_ms >= 0  # type: ignore[attr-defined]
    assert f"request={ids[1]} operation=Me user={admin.principal.user_id}" in graphql.getMessage()


async def test_a_usable_incoming_request_id_is_kept_and_an_odd_one_replaced(
    factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="channelhub.requests")

    kept = await factory.post("{ __typename }", headers={"x-request-id": "lb-7f3a:42"})
    odd = await factory.post("{ __typename }", headers={"x-request-id": "two words\x7f"})
    long = await factory.post("{ __typename }", headers={"x-request-id": "a" * 129})

    assert kept.headers["x-request-id"] == "lb-7f3a:42"
    assert len(odd.headers["x-request-id"]) == len(long.headers["x-request-id"]) == 16
    logged = [line.request_id for line in request_lines(caplog)]  # type: ignore[attr-defined]
    assert logged == [answer.headers["x-request-id"] for answer in (kept, odd, long)]


async def test_a_masked_error_names_the_request_id_of_the_log_line(
    factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="channelhub.requests")

    answer = await factory.post("{ __typename }", headers={"x-request-id": "trace-1"})

    assert answer.headers["x-request-id"] == "trace-1"
    assert request_lines(caplog)[0].operation is None  # type: ignore[attr-defined]


async def test_a_websocket_connection_logs_one_line_with_its_request_id(
    factory: Factory, ws_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    admin = await factory.vendor_admin()
    caplog.set_level(logging.INFO, logger="channelhub.requests")
    headers = {"x-request-id": "edge-5c1d:9"}
    protocols = [Subprotocol("graphql-transport-ws")]
    async with connect(ws_url, subprotocols=protocols, additional_headers=headers) as ws:
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {admin.token}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
    async with connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
    await until(lambda: len(request_lines(caplog)) == 2)

    kept, refused = request_lines(caplog)
    assert (kept.method, kept.path, kept.status, kept.request_id) == (  # type: ignore[attr-defined]
        "WEBSOCKET",
        "/graphql",
        1000,
        "edge-5c1d:9",
    )
    assert kept.user_id == admin.principal.user_id  # type: ignore[attr-defined]
    assert refused.status == 4403 and len(refused.request_id) == 16  # type: ignore[attr-defined]
    assert refused.user_id is None  # type: ignore[attr-defined]
