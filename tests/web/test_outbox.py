"""A WebSocket's outbox: frames in order, bounded in frames and bytes, full once one does not fit."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from web.outbox import Outbox


async def test_frames_are_sent_in_order() -> None:
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    outbox = Outbox(send, max_frames=10, max_bytes=1000)
    outbox.start()
    try:
        assert all(outbox.put(text) for text in ("a", "b", "c"))
        while len(sent) < 3:
            await asyncio.sleep(0.01)
    finally:
        await outbox.stop()

    assert sent == [{"type": "websocket.send", "text": text} for text in ("a", "b", "c")]
    assert (len(outbox), outbox.size) == (0, 0)


@pytest.mark.parametrize(
    ("frames", "limits"), [(["x"] * 4, (3, 1000)), (["x" * 40] * 3, (10, 100))]
)
def test_a_frame_that_does_not_fit_fills_the_outbox_and_empties_it(
    frames: list[str], limits: tuple[int, int]
) -> None:
    async def send(message: Any) -> None:
        raise AssertionError("nothing is written without the writer")

    outbox = Outbox(send, max_frames=limits[0], max_bytes=limits[1])

    accepted = [outbox.put(text) for text in frames]

    assert accepted == [True] * (len(frames) - 1) + [False]
    assert outbox.full.is_set()
    assert (len(outbox), outbox.size) == (0, 0)
    assert outbox.put("y") is False


def test_one_frame_over_the_byte_limit_still_goes_out_alone() -> None:
    async def send(message: Any) -> None:
        pass

    outbox = Outbox(send, max_frames=10, max_bytes=100)

    assert outbox.put("x" * 500) is True
    assert outbox.put("y") is False


async def test_a_flush_writes_what_waits_and_takes_nothing_more() -> None:
    sent: list[Any] = []

    async def send(message: Any) -> None:
        await asyncio.sleep(0)
        sent.append(message["text"])

    outbox = Outbox(send, max_frames=10, max_bytes=1000)
    outbox.start()
    outbox.put("a")
    outbox.put("b")

    await asyncio.wait_for(outbox.flush(), 5)

    assert sent == ["a", "b"]
    assert outbox.put("c") is False
    assert not outbox.full.is_set()


async def test_a_frame_that_fails_to_send_does_not_stop_the_ones_after_it() -> None:
    sent: list[Any] = []

    async def send(message: Any) -> None:
        if message["text"] == "bad":
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        sent.append(message["text"])

    outbox = Outbox(send, max_frames=10, max_bytes=1000)
    outbox.start()
    for text in ("a", "bad", "b"):
        outbox.put(text)

    await asyncio.wait_for(outbox.flush(), 5)

    assert sent == ["a", "b"]


async def test_a_paced_frame_waits_until_the_client_made_room() -> None:
    reading = asyncio.Event()
    sent: list[str] = []

    async def send(message: Any) -> None:
        await reading.wait()
        sent.append(message["text"])

    outbox = Outbox(send, max_frames=4, max_bytes=1000)
    outbox.start()
    try:
        paced = asyncio.create_task(_put_paced_all(outbox, [str(n) for n in range(10)]))
        await asyncio.sleep(0.1)
        waiting_before_reading = len(outbox)
        reading.set()
        accepted = await asyncio.wait_for(paced, 5)
        await asyncio.wait_for(outbox.flush(), 5)
    finally:
        await outbox.stop()

    assert waiting_before_reading <= 2  # half the outbox: the rest waited for room
    assert accepted == [True] * 10
    assert sent == [str(n) for n in range(10)]
    assert not outbox.full.is_set()


async def test_a_paced_frame_for_a_client_that_makes_no_room_fills_the_outbox() -> None:
    async def send(message: Any) -> None:
        await asyncio.Event().wait()  # the client never reads

    outbox = Outbox(send, max_frames=4, max_bytes=1000)
    outbox.start()
    try:
        accepted = await asyncio.wait_for(
            _put_paced_all(outbox, [str(n) for n in range(10)], patience=0.2), 5
        )
    finally:
        await outbox.stop()

    assert accepted[-1] is False
    assert outbox.full.is_set()


async def _put_paced_all(outbox: Outbox, texts: list[str], patience: float = 5) -> list[bool]:
    return [await outbox.put_paced(text, patience=patience) for text in texts]
