"""The live bus: publish committed events, deliver them in order and without gaps.

Each hub process runs one `EventBus`. It listens on the broadcast channel, fills any gap
from the `events` table (ids commit in order, so a gap is either a rollback or an event
the broadcast lost), and hands every event in id order to its local subscribers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass

from broadcaster import Broadcast
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.broadcast import check_alive, connected
from hub.errors import BadInput
from hub.events import log
from hub.events.event import DomainEvent, Reach, SubscriberTooSlow
from hub.roles import Principal

logger = logging.getLogger("channelhub.events")
CHANNEL = "channelhub-events"
# How long an event that arrives before an earlier one waits for it before the table is read.
REORDER_SECONDS = 0.1
# Waits between attempts to reconnect the broadcast (doubling up to the maximum).
RECONNECT_MIN_SECONDS = 0.1
RECONNECT_MAX_SECONDS = 5.0


class BusObserver:
    """What the bus tells as it works: nothing is done with it here (web.metrics counts it)."""

    def published(self, event: DomainEvent, *, ok: bool) -> None:
        """An event was announced on the broadcast (`ok`), or left to the table poll."""

    def delivered(self, event: DomainEvent, *, streams: int, dropped: int) -> None:
        """An event reached this process: queued for `streams` subscriber streams, and
        `dropped` for the streams it overflowed (each then closed as too slow)."""


@dataclass(eq=False)
class _Subscriber:
    reach: Reach
    topics: frozenset[str]
    queue: asyncio.Queue[DomainEvent | None]
    closed_reason: str | None = None

    def offer(self, event: DomainEvent) -> bool | None:
        """Queue an event the subscriber takes: whether it fit (None: not one it takes)."""
        if self.closed_reason or event.topic not in self.topics or not event.reaches(self.reach):
            return None
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.closed_reason = (
                "the subscriber fell too far behind the live events; resubscribe with `after`"
            )
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(None)
            return False
        return True


class EventBus:
    """Publishes committed events and delivers them, in order and without gaps, to subscribers."""

    def __init__(
        self,
        url: str,
        db: async_sessionmaker[AsyncSession],
        *,
        queue_size: int = 1000,
        poll_seconds: float = 1.0,
    ) -> None:
        self.url = url
        self.db = db
        self.queue_size = queue_size
        self.poll_seconds = poll_seconds
        self.last_id = 0
        self._subscribers: set[_Subscriber] = set()
        self._broadcast: Broadcast | None = None
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._stopping = False
        # Broadcast events that came before an earlier id (see _receive).
        self._held: dict[int, DomainEvent] = {}
        self._held_until = 0.0
        self.observer = BusObserver()

    async def start(self) -> None:
        """Start from the newest committed event and keep listening until stopped."""
        async with self.db() as session:
            self.last_id = await log.newest(session)
        self._task = asyncio.create_task(self._supervise(), name="channelhub-event-bus")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                await self._connected.wait()

    @property
    def connected(self) -> bool:
        """Whether the broadcast is up (while it is down, events are polled from the table)."""
        return self._connected.is_set()

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=5)
        for subscriber in list(self._subscribers):
            subscriber.queue.put_nowait(None)

    async def publish(self, events: Collection[DomainEvent]) -> None:
        """Announce committed events; if the broadcast is down, the poll delivers them."""
        broadcast = self._broadcast
        for event in events:
            if broadcast is not None:
                try:
                    await broadcast.publish(CHANNEL, event.encode())
                except Exception:  # the poll will find this event (and the rest) in the table
                    logger.warning(
                        "could not publish event %s; it will be delivered by polling", event.id
                    )
                    broadcast = None
            self.observer.published(event, ok=broadcast is not None)

    async def publish_ephemeral(self, event: DomainEvent) -> None:
        """Fan out an event that is not stored (typing): live subscribers only, no replay.

        Without a broadcast connection it reaches this process's subscribers only.
        """
        if not event.ephemeral or event.id != 0:
            raise ValueError("only an ephemeral event (id 0) can be published this way")
        broadcast = self._broadcast
        if broadcast is not None:
            try:
                await broadcast.publish(CHANNEL, event.encode())
                self.observer.published(event, ok=True)
                return
            except Exception:
                logger.warning("could not broadcast an ephemeral %s event", event.type)
        self.observer.published(event, ok=False)
        self._offer(event)

    @asynccontextmanager
    async def subscribe(
        self,
        reach: Reach | Principal,
        topics: Collection[str],
        *,
        after: int | None,
    ) -> AsyncIterator[AsyncIterator[DomainEvent]]:
        """Subscribe to topics: replay what came after `after`, then continue live, with the
        events of the reach (a principal: what it may see).

        A shared reach (Reach.members) takes recipient events of any of its users; the caller
        hands each to its recipients only.
        """
        if isinstance(reach, Principal):
            reach = Reach.of(reach)
        if reach.shared and after is not None:
            raise ValueError("a stream shared by several users cannot replay")
        if after is not None:
            await self.check_cursor(after)
        subscriber = _Subscriber(reach, frozenset(topics), asyncio.Queue(self.queue_size))
        self._subscribers.add(subscriber)
        # Live from the newest event this bus has seen, delivered or held for order.
        start = max(self.last_id, max(self._held, default=0)) if after is None else after
        try:
            yield self._stream(subscriber, start, replay=after is not None)
        finally:
            self._subscribers.discard(subscriber)

    async def check_cursor(self, after: int) -> None:
        """Refuse a cursor past the newest committed event: no subscriber ever received it."""
        async with self.db() as session:
            newest = await log.newest(session)
        if after > newest:
            raise BadInput("after must be the cursor of an event you received", field="after")

    async def _stream(
        self, subscriber: _Subscriber, last: int, *, replay: bool
    ) -> AsyncIterator[DomainEvent]:
        if replay:
            async for event in self.history(subscriber.reach, subscriber.topics, after=last):
                last = event.id
                yield event
        while True:
            item = await subscriber.queue.get()
            if item is None:
                raise SubscriberTooSlow(subscriber.closed_reason or "the event stream closed")
            if item.ephemeral:
                yield item
            elif item.id > last:
                last = item.id
                yield item

    async def history(
        self, reach: Reach | Principal, topics: Collection[str], *, after: int
    ) -> AsyncIterator[DomainEvent]:
        """Committed events after a cursor of the reach (a principal: what it may see),
        oldest first."""
        if isinstance(reach, Principal):
            reach = Reach.of(reach)
        while True:
            batch = await self._load(after=after, topics=topics, reach=reach)
            for event in batch:
                yield event
            if len(batch) < log.REPLAY_BATCH:
                return
            after = batch[-1].id

    async def _load(
        self,
        *,
        after: int,
        until: int | None = None,
        topics: Collection[str] | None = None,
        reach: Reach | None = None,
    ) -> list[DomainEvent]:
        async with self.db() as session:
            return await log.read(session, after=after, until=until, topics=topics, reach=reach)

    async def _supervise(self) -> None:
        """Listen on the broadcast; while it is lost, poll the table and reconnect with backoff."""
        backoff = RECONNECT_MIN_SECONDS
        while not self._stopping:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if self._connected.is_set():  # it was working: the first retry comes soon
                    backoff = RECONNECT_MIN_SECONDS
                self._connected.clear()
                logger.warning("event broadcast lost (%s); reconnecting in %.1fs", error, backoff)
                await self._poll_for(backoff)
                backoff = min(backoff * 2, RECONNECT_MAX_SECONDS)

    async def _listen(self) -> None:
        async with connected(self.url) as broadcast, broadcast.subscribe(CHANNEL) as subscription:
            self._broadcast = broadcast
            self._connected.set()
            try:
                await self._poll()
                while not self._stopping:
                    try:
                        async with asyncio.timeout(self._wait_seconds()):
                            message = await subscription.get()
                    except TimeoutError:
                        if self._held and time.monotonic() >= self._held_until:
                            await self._fill_gap_or_wait()
                            continue
                        check_alive(broadcast)
                        await self._poll()
                        continue
                    self._receive(DomainEvent.decode(message.message))
            finally:
                self._broadcast = None

    async def _poll_for(self, seconds: float) -> None:
        """Deliver from the table every poll interval while the broadcast is down."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(self.poll_seconds, remaining))
            await self._poll()

    async def _poll(self) -> None:
        """Deliver what the table holds; a database outage only delays it to the next poll."""
        try:
            await self._catch_up()
        except Exception as error:
            logger.warning("could not read new events (%s); trying again shortly", error)

    async def _fill_gap_or_wait(self) -> None:
        try:
            await self._fill_gap()
        except Exception as error:
            # The held events wait for the next poll rather than retrying at once.
            logger.warning("could not fill an event gap (%s); trying again shortly", error)
            self._held_until = time.monotonic() + self.poll_seconds

    def _receive(self, event: DomainEvent) -> None:
        """Deliver in id order. Events published by several processes can arrive out of
        order: one that comes early waits up to REORDER_SECONDS for the ones before it."""
        if event.ephemeral:
            self._offer(event)
            return
        if event.id <= self.last_id:
            return
        if not self._held:
            self._held_until = time.monotonic() + REORDER_SECONDS
        self._held[event.id] = event
        self._release()

    def _release(self) -> None:
        for stale in [key for key in self._held if key <= self.last_id]:
            del self._held[stale]
        while (event := self._held.pop(self.last_id + 1, None)) is not None:
            self._deliver(event)
        if self._held:
            self._held_until = min(self._held_until, time.monotonic() + REORDER_SECONDS)

    def _wait_seconds(self) -> float:
        if not self._held:
            return self.poll_seconds
        return max(0.0, min(self.poll_seconds, self._held_until - time.monotonic()))

    async def _fill_gap(self) -> None:
        """Load what the broadcast did not bring before the first held event.

        Ids commit in id order, so once a later event is committed, each missing id has
        either committed (it is in the table) or rolled back (it never will be).
        """
        first = min(self._held)
        for missing in await self._load(after=self.last_id, until=first - 1):
            self._deliver(missing)
        self.last_id = max(self.last_id, first - 1)
        self._release()

    async def _catch_up(self) -> None:
        while True:
            batch = await self._load(after=self.last_id)
            for event in batch:
                self._deliver(event)
            if len(batch) < log.REPLAY_BATCH:
                self._release()
                return

    def _deliver(self, event: DomainEvent) -> None:
        self.last_id = max(self.last_id, event.id)
        self._offer(event)

    def _offer(self, event: DomainEvent) -> None:
        streams = dropped = 0
        for subscriber in list(self._subscribers):
            fitted = subscriber.offer(event)
            if fitted is not None:
                streams += fitted
                dropped += not fitted
        self.observer.delivered(event, streams=streams, dropped=dropped)
