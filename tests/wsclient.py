"""A small graphql-transport-ws client for tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect


class GraphQLSocket:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def subscribe(
        self, query: str, variables: dict[str, Any] | None = None, *, id: str = "1"
    ) -> None:
        message = {
            "id": id,
            "type": "subscribe",
            "payload": {"query": query, "variables": variables or {}},
        }
        await self.ws.send(json.dumps(message))

    async def next(self, wait: float = 5) -> dict[str, Any]:
        """The next `next` payload; fails on anything else."""
        message = json.loads(await asyncio.wait_for(self.ws.recv(), wait))
        assert message["type"] == "next", message
        payload: dict[str, Any] = message["payload"]
        return payload

    async def result(self, id: str, wait: float = 10) -> dict[str, Any]:
        """The first payload of one subscription (an event or its errors), skipping the rest."""
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), wait))
            if message.get("id") == id and message["type"] in ("next", "error"):
                payload = message["payload"]
                return {"errors": payload} if message["type"] == "error" else payload

    async def silent(self, seconds: float = 0.5) -> bool:
        """True when nothing arrives for a while."""
        try:
            message = await asyncio.wait_for(self.ws.recv(), seconds)
        except TimeoutError:
            return True
        raise AssertionError(f"expected silence, got {message}")


@asynccontextmanager
async def graphql_socket(
    url: str, token: str, *, ack_wait: float = 5
) -> AsyncIterator[GraphQLSocket]:
    """A socket past `connection_ack`; `ack_wait` is how long the hub may take to accept it
    (tests that open hundreds at once on a loaded machine give it longer)."""
    async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        ack = json.loads(await asyncio.wait_for(ws.recv(), ack_wait))
        assert ack["type"] == "connection_ack", ack
        yield GraphQLSocket(ws)
