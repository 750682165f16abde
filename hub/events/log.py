"""The transactional event log: append in the transaction, written last, read back in order."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.events.event import DomainEvent, Reach
from storage import statements
from storage.db import Writer
from storage.models import Event, EventAudience, EventRecipient

if TYPE_CHECKING:
    from hub.events.bus import EventBus

PENDING = "channelhub.pending_events"
REPLAY_BATCH = 500


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
                statements.WRITE_EVENT_PG,
                {
                    **values,
                    "lock": statements.EVENT_LOCK,
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
    event_id = await session.scalar(statements.INSERT_EVENT, values)
    if item.audience:
        rows = [{"event_id": event_id, "organization_id": org} for org in sorted(item.audience)]
        await session.execute(statements.INSERT_AUDIENCE, rows)
    if item.recipients:
        people = [{"event_id": event_id, "user_id": user} for user in sorted(item.recipients)]
        await session.execute(statements.INSERT_RECIPIENT, people)
    return event_id


async def read(
    session: AsyncSession,
    *,
    after: int,
    until: int | None = None,
    topics: Collection[str] | None = None,
    reach: Reach | None = None,
) -> list[DomainEvent]:
    """Up to REPLAY_BATCH committed events after a cursor (up to `until`), oldest first,
    of the topics and of the reach when given."""
    statement = select(Event).where(Event.id > after).order_by(Event.id).limit(REPLAY_BATCH)
    if until is not None:
        statement = statement.where(Event.id <= until)
    if topics is not None:
        statement = statement.where(Event.topic.in_(list(topics)))
    if reach is not None:
        statement = statement.where(_reached(reach, after))
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


async def newest(session: AsyncSession) -> int:
    """The id of the newest committed event, 0 when there is none."""
    return int(await session.scalar(select(func.coalesce(func.max(Event.id), 0))) or 0)


def _reached(reach: Reach, after: int) -> ColumnElement[bool]:
    """SQL twin of DomainEvent.reaches for events after a cursor."""
    mine = Event.id.in_(
        select(EventRecipient.event_id).where(
            EventRecipient.user_id.in_(list(reach.users)), EventRecipient.event_id > after
        )
    )
    has_recipients = exists().where(EventRecipient.event_id == Event.id)
    if reach.organizations is None:
        return or_(~has_recipients, mine)
    addressed = Event.id.in_(
        select(EventAudience.event_id).where(
            EventAudience.organization_id.in_(sorted(reach.organizations)),
            EventAudience.event_id > after,
        )
    )
    return or_(and_(addressed, ~has_recipients), mine)


async def _recipients(session: AsyncSession, ids: list[int]) -> dict[int, frozenset[str]]:
    return await _by_event(session, EventRecipient.event_id, EventRecipient.user_id, ids)


async def _audiences(session: AsyncSession, ids: list[int]) -> dict[int, frozenset[str]]:
    return await _by_event(session, EventAudience.event_id, EventAudience.organization_id, ids)


async def _by_event(
    session: AsyncSession, event: Any, member: Any, ids: list[int]
) -> dict[int, frozenset[str]]:
    """The members (users or organizations) of each event, from one of its join tables."""
    if not ids:
        return {}
    rows = await session.execute(select(event, member).where(event.in_(ids)))
    grouped: dict[int, set[str]] = {}
    for event_id, value in rows.all():
        grouped.setdefault(event_id, set()).add(value)
    return {key: frozenset(value) for key, value in grouped.items()}


@asynccontextmanager
async def transaction(writer: Writer, bus: EventBus) -> AsyncIterator[AsyncSession]:
    """A write transaction whose appended events are written last and published after commit."""
    async with writer.begin() as session:
        yield session
        written = await write_pending(session)
    if written:
        await bus.publish(written)
