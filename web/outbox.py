"""The outgoing frames of one WebSocket: bounded, and written in order by one task.

An ASGI send on a socket whose client stopped reading does not fail: uvicorn pauses the
transport once its write buffer is full and the send waits until the client reads again,
which a stuck client never does. Whatever else is to be sent on that socket then piles up
in front of it. So every frame goes through an outbox limited in frames and characters; once
a frame does not fit, the outbox is full and the socket is to be cut off (`full` is set).

Streams shared by many sockets cannot wait for one of them and just put their frames. A
stream of one socket alone (a replay) waits for room instead, so it goes at the pace its
client reads, and only a client that reads nothing for a while fills the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from collections import deque

from starlette.types import Send

logger = logging.getLogger("channelhub.ws")


class Outbox:
    """Frames waiting for one socket, sent by a writer task in the order they were put."""

    def __init__(self, send: Send, *, max_frames: int, max_bytes: int) -> None:
        self.send = send
        self.max_frames = max_frames
        self.max_bytes = max_bytes
        self.full = asyncio.Event()
        self._frames: deque[str] = deque()
        self._size = 0
        self._sealed = False
        self._waiting = asyncio.Event()
        self._room = asyncio.Event()  # set while at most half the outbox is taken
        self._room.set()
        self._writer: asyncio.Task[None] | None = None

    @property
    def size(self) -> int:
        """Characters waiting (what a frame costs, near enough: JSON is mostly ASCII)."""
        return self._size

    def __len__(self) -> int:
        return len(self._frames)

    def put(self, text: str) -> bool:
        """Queue a frame; False once the outbox is full (then it holds nothing) or sealed."""
        if self.full.is_set() or self._sealed:
            return False
        # One frame larger than the limit still goes out on its own.
        if self._frames and (
            len(self._frames) >= self.max_frames or self._size + len(text) > self.max_bytes
        ):
            self.full.set()
            self._empty()
            return False
        self._frames.append(text)
        self._size += len(text)
        self._waiting.set()
        if not self._has_room():
            self._room.clear()
        return True

    async def put_paced(self, text: str, *, patience: float) -> bool:
        """Queue a frame once at most half the outbox is taken; a client that makes no room
        within `patience` seconds is not reading, and the outbox is full."""
        if not self._room.is_set():
            try:
                async with asyncio.timeout(patience):
                    await self._room.wait()
            except TimeoutError:
                self.full.set()
                self._empty()
        return self.put(text)

    def start(self) -> None:
        """Start the task that writes the frames."""
        self._writer = asyncio.create_task(self._write(), name="channelhub-ws-outbox")

    async def flush(self) -> None:
        """Take no more frames and wait until those waiting are written (or cannot be)."""
        self._sealed = True
        self._waiting.set()
        if self._writer is not None:
            await self._writer

    async def stop(self) -> None:
        """Stop writing; a frame that was waiting for the client is not sent at all."""
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer
            self._writer = None

    async def _write(self) -> None:
        while True:
            await self._waiting.wait()
            while self._frames:
                text = self._frames.popleft()
                self._size -= len(text)
                # uvicorn's send waits (if at all) before it writes: cancelled there, the frame
                # is not half sent.
                try:
                    await self.send({"type": "websocket.send", "text": text})
                except (OSError, RuntimeError):  # the client is gone or the socket closed
                    self._sealed = True
                    self._empty()
                    return
                except Exception:  # that frame alone (a bug): the socket's next ones go on
                    logger.exception("a WebSocket frame could not be sent")
                if self._has_room():
                    self._room.set()
            if self._sealed:
                return
            self._waiting.clear()

    def _has_room(self) -> bool:
        return len(self._frames) * 2 <= self.max_frames and self._size * 2 <= self.max_bytes

    def _empty(self) -> None:
        self._frames.clear()
        self._size = 0
        self._room.set()  # whoever waits for room learns the outbox takes nothing more


def abort_connection(send: Send) -> bool:
    """Drop the connection of an ASGI send at once, unsent data and all; False if unable.

    ASGI has no way to: `websocket.close` waits like any send until the client reads. The
    send uvicorn gives the application is a method of its protocol, which holds the transport.
    A zero linger makes the close a reset: otherwise the kernel would keep the socket, and the
    megabytes its send buffer grew to, until the client read them. A connection that is gone
    already is left alone.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    abort = getattr(transport, "abort", None)
    if transport is None or not callable(abort):
        return False
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    abort()
    return True
