"""The event log and its live fan-out: append in the transaction, publish after commit.

Each hub process runs one `EventBus`. It listens on the broadcast channel, fills any gap
from the `events` table (ids commit in order, so a gap is either a rollback or an event
the broadcast lost), and hands every event in id order to its local subscribers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Collection, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from broadcaster import Broadcast
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    String,
    and_,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import BindParameter

from hub.broadcast import check_alive, connected
from hub.errors import BadInput, HubError
from hub.roles import Principal
from storage.db import Writer
from storage.models import Event, EventAudience, EventRecipient
from storage.models.base import table_of

logger = logging.getLogger("channelhub.events")
CHANNEL = "channelhub-events"
PENDING = "channelhub.pending_events"
REPLAY_BATCH = 500
# How long an event that arrives before an earlier one waits for it before the table is read.
REORDER_SECONDS = 0.1
# Held from writing events to commit, so event ids commit in id order on PostgreSQL.
EVENT_LOCK = 7_214_001
# Waits between attempts to reconnect the broadcast (doubling up to the maximum).
RECONNECT_MIN_SECONDS = 0.1
RECONNECT_MAX_SECONDS = 5.0


# Built once: every write transaction runs them (plain table statements, no ORM bookkeeping).
_INSERT_EVENT = insert(table_of(Event)).returning(table_of(Event).c.id)
_INSERT_AUDIENCE = insert(table_of(EventAudience))
_INSERT_RECIPIENT = insert(table_of(EventRecipient))


# PostgreSQL: take the event lock, then write the event, its audience and its recipients.
def appended_after(source: str, payload: str = ":payload") -> str:
    """WITH-clauses (PostgreSQL) that append one event for each row of the CTE `source`.

    The event log's advisory lock is taken after `source` produced its row, so after every
    lock `source` took (as write_pending takes it last). Binds :lock, :topic, :type,
    :subject_id, :occurred_at, :audience and :recipients; `payload` is an SQL expression
    that may use `ordered.<column of source>`. The event's id is `event.id`.
    """
    return f"""
    ordered AS (SELECT pg_advisory_xact_lock(:lock) AS locked, {source}.* FROM {source}),
    event AS (
        INSERT INTO events (topic, type, subject_id, payload, occurred_at)
        SELECT :topic, :type, :subject_id, {payload}, :occurred_at FROM ordered
        RETURNING id
    ),
    audience AS (
        INSERT INTO event_audiences (event_id, organization_id)
        SELECT event.id, organization FROM event, unnest(:audience) AS organization
    ),
    recipients AS (
        INSERT INTO event_recipients (event_id, user_id)
        SELECT event.id, person FROM event, unnest(:recipients) AS person
    )"""


def event_parameters() -> list[BindParameter[Any]]:
    """The typed parameters of appended_after (all but the payload)."""
    return [
        bindparam("lock", type_=BigInteger()),
        bindparam("topic", type_=String()),
        bindparam("type", type_=String()),
        bindparam("subject_id", type_=String()),
        bindparam("occurred_at", type_=table_of(Event).c.occurred_at.type),
        bindparam("audience", type_=ARRAY(String())),
        bindparam("recipients", type_=ARRAY(String())),
    ]


_WRITE_EVENT_PG = text(
    f"WITH due AS (SELECT 1 AS one), {appended_after('due')} SELECT id FROM event"
).bindparams(*event_parameters(), bindparam("payload", type_=table_of(Event).c.payload.type))


@dataclass(frozen=True)
class DomainEvent:
    id: int
    topic: str
    type: str
    subject_id: str
    payload: dict[str, Any]
    occurred_at: datetime
    audience: frozenset[str]
    # Users the event is for; when given, nobody else sees it (not even vendor staff).
    recipients: frozenset[str] = frozenset()
    # Not stored and never replayed (typing indicators): id 0, delivered live only.
    ephemeral: bool = False
    # Broadcast with the event but never stored: what live subscribers would otherwise load
    # (a message as sent), so live delivery needs no database. Replayed events have none.
    live_payload: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    shared: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def visible_to(self, principal: Principal, users: Collection[str] = ()) -> bool:
        """Recipients alone see a recipient event; otherwise vendor-side accounts see every
        event and partners those addressed to their organization.

        `users` are further users of the principal's organization that a shared stream
        serves (it then hands each recipient event to its recipients only).
        """
        if self.recipients:
            return principal.user_id in self.recipients or not self.recipients.isdisjoint(users)
        return principal.is_vendor or principal.organization_id in self.audience

    def encode(self) -> str:
        return json.dumps(
            {
                "id": self.id,
                "topic": self.topic,
                "type": self.type,
                "subject": self.subject_id,
                "payload": self.payload,
                "at": self.occurred_at.isoformat(),
                "audience": sorted(self.audience),
                "recipients": sorted(self.recipients),
                "ephemeral": self.ephemeral,
                "live": self.live_payload,
            }
        )

    @classmethod
    def decode(cls, message: str) -> DomainEvent:
        data = json.loads(message)
        return cls(
            id=int(data["id"]),
            topic=data["topic"],
            type=data["type"],
            subject_id=data["subject"],
            payload=data["payload"],
            occurred_at=datetime.fromisoformat(data["at"]),
            audience=frozenset(data["audience"]),
            recipients=frozenset(data.get("recipients", ())),
            ephemeral=bool(data.get("ephemeral", False)),
            live_payload=data.get("live"),
        )


class SubscriberTooSlow(HubError):
    code = "RATE_LIMITED"


@dataclass
class PendingEvent:
    """An event appended in a transaction; written and numbered just before it commits."""

    topic: str
    type: str
    subject_id: str
    audience: frozenset[str]
    payload: dict[str, Any]
    occurred_at: datetime
    recipients: frozenset[str] = frozenset()
    live_payload: dict[str, Any] | None = None
    event: DomainEvent | None = None


async def append(
    session: AsyncSession,
    *,
    topic: str,
    type: str,
    subject_id: str,
    audience: Iterable[str],
    payload: dict[str, Any],
    now: datetime,
    recipients: Iterable[str] = (),
    live_payload: dict[str, Any] | None = None,
) -> PendingEvent:
    """Record an event in the caller's transaction; it is published once that commits."""
    pending = PendingEvent(
        topic,
        type,
        subject_id,
        frozenset(audience),
        payload,
        now,
        frozenset(recipients),
        live_payload,
    )
    session.info.setdefault(PENDING, []).append(pending)
    return pending


async def write_pending(session: AsyncSession) -> list[DomainEvent]:
    """Write the transaction's events as its last statements.

    On PostgreSQL a transaction-level advisory lock makes event ids commit in id order.
    Taking it last, after every row lock the transaction needs, keeps it out of lock cycles.
    """
    pending: list[PendingEvent] = session.info.pop(PENDING, [])
    if not pending:
        return []
    postgresql = session.bind.dialect.name == "postgresql"
    written = []
    for item in pending:
        values = {
            "topic": item.topic,
            "type": item.type,
            "subject_id": item.subject_id,
            "payload": item.payload,
            "occurred_at": item.occurred_at,
        }
        if postgresql:
            # One round trip: the lock is held until commit, so the shorter the better.
            event_id = await session.scalar(
                _WRITE_EVENT_PG,
                {
                    **values,
                    "lock": EVENT_LOCK,
                    "audience": sorted(item.audience),
                    "recipients": sorted(item.recipients),
                },
            )
        else:
            event_id = await _write_event(session, values, item)
        assert event_id is not None
        item.event = DomainEvent(
            event_id,
            item.topic,
            item.type,
            item.subject_id,
            item.payload,
            item.occurred_at,
            item.audience,
            item.recipients,
            live_payload=item.live_payload,
        )
        written.append(item.event)
    return written


async def _write_event(
    session: AsyncSession, values: dict[str, Any], item: PendingEvent
) -> int | None:
    event_id = await session.scalar(_INSERT_EVENT, values)
    if item.audience:
        rows = [{"event_id": event_id, "organization_id": org} for org in sorted(item.audience)]
        await session.execute(_INSERT_AUDIENCE, rows)
    if item.recipients:
        people = [{"event_id": event_id, "user_id": user} for user in sorted(item.recipients)]
        await session.execute(_INSERT_RECIPIENT, people)
    return event_id


@dataclass(eq=False)
class _Subscriber:
    principal: Principal
    topics: frozenset[str]
    queue: asyncio.Queue[DomainEvent | None]
    users: Collection[str] = ()
    closed_reason: str | None = None

    def offer(self, event: DomainEvent) -> None:
        if (
            self.closed_reason
            or event.topic not in self.topics
            or not event.visible_to(self.principal, self.users)
        ):
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.closed_reason = (
                "the subscriber fell too far behind the live events; resubscribe with `after`"
            )
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(None)


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

    async def start(self) -> None:
        """Start from the newest committed event and keep listening until stopped."""
        async with self.db() as session:
            self.last_id = int(
                await session.scalar(select(func.coalesce(func.max(Event.id), 0))) or 0
            )
        self._task = asyncio.create_task(self._supervise(), name="channelhub-event-bus")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                await self._connected.wait()

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
            if broadcast is None:
                return
            try:
                await broadcast.publish(CHANNEL, event.encode())
            except Exception:  # the poll will find the event in the table
                logger.warning(
                    "could not publish event %s; it will be delivered by polling", event.id
                )
                return

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
                return
            except Exception:
                logger.warning("could not broadcast an ephemeral %s event", event.type)
        self._deliver_ephemeral(event)

    @asynccontextmanager
    async def subscribe(
        self,
        principal: Principal,
        topics: Collection[str],
        *,
        after: int | None,
        users: Collection[str] = (),
    ) -> AsyncIterator[AsyncIterator[DomainEvent]]:
        """Subscribe to topics: replay what came after `after`, then continue live.

        Live events for any of `users` (a live view: a shared stream's members, all of the
        principal's organization) come too; the caller hands each to its recipients only.
        """
        if users and after is not None:
            raise ValueError("a stream shared by several users cannot replay")
        if after is not None:
            await self._check_cursor(after)
        subscriber = _Subscriber(
            principal, frozenset(topics), asyncio.Queue(self.queue_size), users
        )
        self._subscribers.add(subscriber)
        # Live from the newest event this bus has seen, delivered or held for order.
        start = max(self.last_id, max(self._held, default=0)) if after is None else after
        try:
            yield self._stream(subscriber, start, replay=after is not None)
        finally:
            self._subscribers.discard(subscriber)

    async def _check_cursor(self, after: int) -> None:
        """Refuse a cursor past the newest committed event: no subscriber ever received it."""
        async with self.db() as session:
            newest = await session.scalar(select(func.max(Event.id)))
        if after > (newest or 0):
            raise BadInput("after must be the cursor of an event you received", field="after")

    async def _stream(
        self, subscriber: _Subscriber, last: int, *, replay: bool
    ) -> AsyncIterator[DomainEvent]:
        if replay:
            async for event in self.history(subscriber.principal, subscriber.topics, after=last):
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
        self, principal: Principal, topics: Collection[str], *, after: int
    ) -> AsyncIterator[DomainEvent]:
        """Committed events after a cursor that the principal may see, oldest first."""
        while True:
            batch = await self._load(after=after, topics=topics, principal=principal)
            for event in batch:
                yield event
            if len(batch) < REPLAY_BATCH:
                return
            after = batch[-1].id

    async def _load(
        self,
        *,
        after: int,
        until: int | None = None,
        topics: Collection[str] | None = None,
        principal: Principal | None = None,
    ) -> list[DomainEvent]:
        statement = select(Event).where(Event.id > after).order_by(Event.id).limit(REPLAY_BATCH)
        if until is not None:
            statement = statement.where(Event.id <= until)
        if topics is not None:
            statement = statement.where(Event.topic.in_(list(topics)))
        if principal is not None:
            statement = statement.where(_visible(principal, after))
        async with self.db() as session:
            rows = list((await session.execute(statement)).scalars())
            audiences = await _audiences(session, [row.id for row in rows])
            recipients = await _recipients(session, [row.id for row in rows])
        return [
            DomainEvent(
                row.id,
                row.topic,
                row.type,
                row.subject_id,
                row.payload,
                row.occurred_at,
                audiences.get(row.id, frozenset()),
                recipients.get(row.id, frozenset()),
            )
            for row in rows
        ]

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
            self._deliver_ephemeral(event)
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
            if len(batch) < REPLAY_BATCH:
                self._release()
                return

    def _deliver(self, event: DomainEvent) -> None:
        self.last_id = max(self.last_id, event.id)
        for subscriber in list(self._subscribers):
            subscriber.offer(event)

    def _deliver_ephemeral(self, event: DomainEvent) -> None:
        for subscriber in list(self._subscribers):
            subscriber.offer(event)


def _visible(principal: Principal, after: int) -> ColumnElement[bool]:
    """SQL twin of DomainEvent.visible_to for events after a cursor."""
    mine = Event.id.in_(
        select(EventRecipient.event_id).where(
            EventRecipient.user_id == principal.user_id, EventRecipient.event_id > after
        )
    )
    has_recipients = exists().where(EventRecipient.event_id == Event.id)
    if principal.is_vendor:
        return or_(~has_recipients, mine)
    addressed = Event.id.in_(
        select(EventAudience.event_id).where(
            EventAudience.organization_id == principal.organization_id,
            EventAudience.event_id > after,
        )
    )
    return or_(and_(addressed, ~has_recipients), mine)


async def _recipients(session: AsyncSession, ids: list[int]) -> dict[int, frozenset[str]]:
    if not ids:
        return {}
    rows = await session.execute(
        select(EventRecipient.event_id, EventRecipient.user_id).where(
            EventRecipient.event_id.in_(ids)
        )
    )
    grouped: dict[int, set[str]] = {}
    for event_id, user_id in rows.all():
        grouped.setdefault(event_id, set()).add(user_id)
    return {key: frozenset(value) for key, value in grouped.items()}


async def _audiences(session: AsyncSession, ids: list[int]) -> dict[int, frozenset[str]]:
    if not ids:
        return {}
    rows = await session.execute(
        select(EventAudience.event_id, EventAudience.organization_id).where(
            EventAudience.event_id.in_(ids)
        )
    )
    grouped: dict[int, set[str]] = {}
    for event_id, organization_id in rows.all():
        grouped.setdefault(event_id, set()).add(organization_id)
    return {key: frozenset(value) for key, value in grouped.items()}


@asynccontextmanager
async def transaction(writer: Writer, bus: EventBus) -> AsyncIterator[AsyncSession]:
    """A write transaction whose appended events are written last and published after commit."""
    async with writer.begin() as session:
        yield session
        written = await write_pending(session)
    if written:
        await bus.publish(written)
