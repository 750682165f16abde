"""The broadcast connection of the event bus: broadcaster, with a Redis reader that fails loudly.

broadcaster's own Redis backend reads the pub/sub connection in a task of its own and hands
messages to `Broadcast` through a queue. When Redis goes away that task dies with
ConnectionError, while `Broadcast`'s listener keeps waiting on the queue: nothing notices that
the subscription is gone, and it never comes back. This backend reads in `next_published`
itself, so a lost connection ends `Broadcast`'s listener task, which the event bus watches.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlparse

from broadcaster import Broadcast, BroadcastBackend, Event
from redis import asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

# A publish waits after its transaction committed: a Redis that stopped answering (but keeps
# its connections open) must not hold the request for ever. The table poll delivers instead.
PUBLISH_TIMEOUT_SECONDS = 1.0
CONNECT_TIMEOUT_SECONDS = 5.0


class RedisBackend(BroadcastBackend):
    """Redis pub/sub for broadcaster; every connection error reaches the reader."""

    def __init__(self, url: str) -> None:
        # Few, short retries of a lost connection (none of a timeout): a publish waits for
        # them, and the event bus reconnects by itself. Bounded connects: an unreachable host
        # fails.
        retry = Retry(
            ExponentialWithJitterBackoff(base=0.05, cap=0.5),
            retries=2,
            supported_errors=(RedisConnectionError,),
        )
        self._client = redis.Redis.from_url(
            url,
            retry=retry,
            socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
            socket_timeout=PUBLISH_TIMEOUT_SECONDS,
        )
        # The reader waits for messages as long as none come: no read timeout on its client.
        self._reader = redis.Redis.from_url(
            url, retry=retry, socket_connect_timeout=CONNECT_TIMEOUT_SECONDS
        )
        self._pubsub = self._reader.pubsub(ignore_subscribe_messages=True)

    async def connect(self) -> None:
        # Connecting also reads an answer (CLIENT SETINFO): bounded, like the TCP connect.
        async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS):
            await self._pubsub.connect()

    async def disconnect(self) -> None:
        with contextlib.suppress(Exception):  # the connection may be gone already
            await self._pubsub.aclose()
        await self._reader.aclose()
        await self._client.aclose()

    async def subscribe(self, channel: str) -> None:
        await self._pubsub.subscribe(channel)

    async def unsubscribe(self, channel: str) -> None:
        await self._pubsub.unsubscribe(channel)

    async def publish(self, channel: str, message: Any) -> None:
        await self._client.publish(channel, message)

    async def next_published(self) -> Event:
        while True:
            message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            if message is not None and message["type"] == "message":
                return Event(channel=message["channel"].decode(), message=message["data"].decode())


@asynccontextmanager
async def connected(url: str) -> AsyncIterator[Broadcast]:
    """Connect a broadcast for the URL and release its connection on leaving, whatever failed."""
    backend = RedisBackend(url) if urlparse(url).scheme in ("redis", "rediss") else None
    broadcast = Broadcast(url) if backend is None else Broadcast(backend=backend)
    try:
        await broadcast.connect()
    except BaseException:
        if backend is not None:
            await backend.disconnect()
        raise
    try:
        yield broadcast
    finally:
        # Broadcast.disconnect raises a dead listener's error before it disconnects the backend.
        with contextlib.suppress(Exception):
            await broadcast.disconnect()
        if backend is not None:
            with contextlib.suppress(Exception):
                await backend.disconnect()


def check_alive(broadcast: Broadcast) -> None:
    """Raise ConnectionError once the broadcast's listener task has stopped."""
    listener: asyncio.Task[None] | None = getattr(broadcast, "_listener_task", None)
    if listener is not None and listener.done():
        error = listener.exception() if not listener.cancelled() else None
        raise ConnectionError(f"broadcast listener stopped: {error!r}")
