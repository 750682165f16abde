"""A subscriber that stops reading is cut off by the hub (4429), not left to the server's keepalive.

The client is a raw TCP socket with a small receive buffer that reads only when told to,
against a live uvicorn server, while events far larger than its buffers are published.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from websockets.client import ClientProtocol
from websockets.frames import Close, Frame, Opcode
from websockets.protocol import State
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from hub import events
from hub.runtime import Hub
from hub.settings import Settings, load_settings
from tests.conftest import hub_env, until
from tests.factories import Factory
from tests.wsclient import graphql_socket
from web import graphql_ws
from web.graphql_ws import GraphQLWebSocket

EVENTS = "subscription { leadEvents { cursor leadId } }"
REPLAY = "subscription($after: String) { leadEvents(after: $after) { cursor } }"
REPLAY_LARGE = "subscription($after: String) { leadEvents(after: $after) { cursor leadId } }"
# Far beyond what the socket buffers (the kernel's send buffer grows to about 3 MB on
# loopback) and the 1 MiB outbox hold, in small bursts: a healthy client would take them all.
BURSTS, BURST_SIZE, EVENT_PADDING = 40, 4, 32_000
EVENT_COUNT = BURSTS * BURST_SIZE


class RawSocket:
    """A graphql-transport-ws client that reads from its socket only when told to."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, url: str):
        self.reader, self.writer = reader, writer
        self.protocol = ClientProtocol(
            parse_uri(url), subprotocols=[Subprotocol("graphql-transport-ws")]
        )
        self.messages: list[dict[str, Any]] = []
        self.ended: str | None = None  # how the connection ended: "eof" or "reset"

    def send(self, *messages: dict[str, Any]) -> None:
        """Send the messages in one write."""
        for message in messages:
            self.protocol.send_text(json.dumps(message).encode())
        self.flush()

    async def read_until(self, done: Callable[[], bool], *, wait: float = 10) -> None:
        """Read (answering pings) until `done()`, the connection ends or `wait` runs out."""
        deadline = time.monotonic() + wait
        while not done() and (left := deadline - time.monotonic()) > 0:
            try:
                data = await asyncio.wait_for(self.reader.read(65_536), left)
            except TimeoutError:
                return
            except ConnectionResetError:
                self.ended = "reset"
                return
            if not data:
                self.protocol.receive_eof()
                self.ended = "eof"
                return
            self.protocol.receive_data(data)
            for event in self.protocol.events_received():
                if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                    self.messages.append(json.loads(bytes(event.data)))
            self.flush()

    @property
    def close(self) -> Close | None:
        return self.protocol.close_rcvd

    def flush(self) -> None:
        self.writer.write(b"".join(self.protocol.data_to_send()))


@asynccontextmanager
async def raw_socket(url: str) -> AsyncIterator[RawSocket]:
    """An open WebSocket with a small receive buffer that reads nothing unless asked."""
    host, port = url.removeprefix("ws://").split("/")[0].split(":")
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: the window
    raw.setblocking(False)
    await asyncio.get_running_loop().sock_connect(raw, (host, int(port)))
    reader, writer = await asyncio.open_connection(sock=raw, limit=4096)
    client = RawSocket(reader, writer, url)
    try:
        client.protocol.send_request(client.protocol.connect())
        client.flush()
        await client.read_until(lambda: client.protocol.state is State.OPEN)
        yield client
    finally:
        writer.close()
        await asyncio.gather(writer.wait_closed(), return_exceptions=True)


@asynccontextmanager
async def stuck_socket(url: str, token: str) -> AsyncIterator[RawSocket]:
    """A raw socket after connection_init with the token was acknowledged."""
    async with raw_socket(url) as client:
        client.send(init_message(token))
        await client.read_until(lambda: bool(client.messages))
        assert client.messages == [{"type": "connection_ack"}]
        yield client


def init_message(token: str) -> dict[str, Any]:
    return {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}


async def subscribed(client: RawSocket, endpoint: GraphQLWebSocket) -> None:
    client.send({"id": "1", "type": "subscribe", "payload": {"query": EVENTS}})
    await until(lambda: sum(endpoint.groups.sizes().values()) == 1)


async def publish_large_events(hub: Hub, bursts: int = BURSTS, size: int = BURST_SIZE) -> None:
    for _ in range(bursts):
        async with hub.write() as session:
            for _ in range(size):
                await events.append(
                    session,
                    topic="lead",
                    type="LEAD_OFFERED",
                    subject_id="lead-1",
                    audience=[],
                    payload={"leadId": "x" * EVENT_PADDING},
                    now=hub.clock.now(),
                )
        await asyncio.sleep(0.01)


def endpoint_of(app: Starlette) -> GraphQLWebSocket:
    endpoint: GraphQLWebSocket = app.websocket_endpoint  # type: ignore[attr-defined]
    return endpoint


def forgotten(server: uvicorn.Server, endpoint: GraphQLWebSocket) -> bool:
    """No group, no member and no connection (transport, buffers) left on the server."""
    return not endpoint.groups.sizes() and not server.server_state.connections


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """The suite's settings, with the overrides a test asks for (indirect parametrization)."""
    overrides: dict[str, str] = getattr(request, "param", {})
    return load_settings(hub_env(var_dir=str(tmp_path / "var"), **overrides))


async def test_a_subscriber_that_never_reads_is_dropped_and_forgotten(
    ws_server: uvicorn.Server, ws_url: str, app: Starlette, hub: Hub, factory: Factory
) -> None:
    vendor = await factory.vendor_admin()
    endpoint = endpoint_of(app)

    async with stuck_socket(ws_url, vendor.token) as client:
        await subscribed(client, endpoint)
        await publish_large_events(hub)
        # uvicorn's keepalive alone would give up only after 40 s, and keep the buffers.
        seconds = await until(lambda: forgotten(ws_server, endpoint), seconds=20)
        await client.read_until(lambda: False, wait=5)

    assert seconds < 20
    # It could not read the close frame in time: the connection was reset instead.
    assert client.ended == "reset"
    assert client.close is None
    assert len(client.messages) < EVENT_COUNT


async def test_a_subscriber_that_fell_behind_reads_a_4429_close_with_the_reason(
    ws_server: uvicorn.Server, ws_url: str, app: Starlette, hub: Hub, factory: Factory
) -> None:
    vendor = await factory.vendor_admin()
    endpoint = endpoint_of(app)

    async with stuck_socket(ws_url, vendor.token) as client:
        await subscribed(client, endpoint)
        await publish_large_events(hub)
        await until(lambda: not endpoint.groups.sizes())  # the hub gave up on it
        await client.read_until(lambda: client.close is not None)
        await until(lambda: forgotten(ws_server, endpoint))

    assert client.close is not None
    assert (client.close.code, client.close.reason) == (
        4429,
        "the subscriber fell too far behind the live events; resubscribe with `after`",
    )
    assert 0 < len(client.messages) < EVENT_COUNT


async def test_a_client_that_does_not_read_its_close_frame_is_dropped(
    ws_server: uvicorn.Server,
    ws_url: str,
    app: Starlette,
    hub: Hub,
    factory: Factory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(graphql_ws, "ABANDON_SECONDS", 1.0)
    vendor = await factory.vendor_admin()
    endpoint = endpoint_of(app)

    async with stuck_socket(ws_url, vendor.token) as client:
        await subscribed(client, endpoint)
        (connection,) = ws_server.server_state.connections
        transport = connection.transport  # type: ignore[attr-defined]
        # One event at a time until some wait in the server's buffer, but not enough to
        # pause it: the close frame is written behind them.
        for _ in range(EVENT_COUNT * 2):
            if transport.get_write_buffer_size() > 0:
                break
            await publish_large_events(hub, bursts=1, size=1)
            await asyncio.sleep(0.05)
        waiting = transport.get_write_buffer_size()
        # The client still writes: a bad message makes the server close the socket.
        client.send({"type": "nonsense"})
        seconds = await until(lambda: forgotten(ws_server, endpoint), seconds=20)

    assert waiting > 0
    assert seconds < 20


async def test_frames_sent_before_a_close_reach_the_client_first(
    ws_url: str, factory: Factory
) -> None:
    vendor = await factory.vendor_admin()

    async with raw_socket(ws_url) as client:
        # In one write: the server reads the second before its answer to the first went out.
        client.send(init_message(vendor.token), init_message(vendor.token))
        await client.read_until(lambda: client.close is not None)

    assert client.messages == [{"type": "connection_ack"}]
    assert client.close is not None
    assert (client.close.code, client.close.reason) == (4429, "Too many initialisation requests")


@pytest.mark.parametrize(
    "settings", [{"ws_outbox_frames": "10", "ws_outbox_bytes": "4096"}], indirect=True
)
async def test_a_replay_longer_than_the_outbox_goes_at_the_pace_its_client_reads(
    ws_url: str, hub: Hub, factory: Factory
) -> None:
    vendor = await factory.vendor_admin()
    # One transaction: the replay reads them in one batch, far more than the outbox holds.
    async with hub.write() as session:
        pending = [
            await events.append(
                session,
                topic="lead",
                type="LEAD_OFFERED",
                subject_id=f"lead-{n}",
                audience=[],
                payload={"leadId": f"lead-{n}"},
                now=hub.clock.now(),
            )
            for n in range(60)
        ]
    ids = [str(item.event.id) for item in pending if item.event is not None]
    after = str(int(ids[0]) - 1)

    async with graphql_socket(ws_url, vendor.token) as socket:
        await socket.subscribe(REPLAY, {"after": after})
        received = [(await socket.next(wait=10))["data"]["leadEvents"] for _ in ids]

    assert [event["cursor"] for event in received] == ids


async def test_a_replay_to_a_client_that_stopped_reading_is_cut_off(
    ws_server: uvicorn.Server,
    ws_url: str,
    app: Starlette,
    hub: Hub,
    factory: Factory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(graphql_ws, "STALLED_SECONDS", 1.0)
    vendor = await factory.vendor_admin()
    endpoint = endpoint_of(app)
    async with hub.write() as session:
        first = await events.append(
            session,
            topic="lead",
            type="LEAD_OFFERED",
            subject_id="lead-0",
            audience=[],
            payload={},
            now=hub.clock.now(),
        )
    assert first.event is not None
    await publish_large_events(hub)

    async with stuck_socket(ws_url, vendor.token) as client:
        replay = {"query": REPLAY_LARGE, "variables": {"after": str(first.event.id)}}
        client.send({"id": "1", "type": "subscribe", "payload": replay})
        seconds = await until(lambda: forgotten(ws_server, endpoint), seconds=20)
        await client.read_until(lambda: False, wait=5)

    assert seconds < 20
    assert client.ended == "reset"
    assert len(client.messages) < EVENT_COUNT
