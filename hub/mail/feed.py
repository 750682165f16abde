"""Turning the event log into queued email, in order, once: one process at a time holds the
feed's cursor row (`FOR UPDATE SKIP LOCKED` on PostgreSQL), composes what the events after it
say and moves it on, in one transaction. A crash before that commits leaves the cursor where
it was: the next round composes the same events again, and nothing twice."""

from __future__ import annotations

import logging

from sqlalchemy import exc, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import as_unavailable, upsert
from hub.events import DomainEvent, log
from hub.mail.composers import COMPOSERS, TOPICS, Composer
from hub.runtime import Hub
from storage.models.mail import EmailFeed

logger = logging.getLogger("channelhub.mail")
FEED = "email"
# Log batches one round composes before it lets the sending start.
BATCHES = 10


async def feed(hub: Hub) -> int:
    """Queue the email of the events since the last round; return how many events were read."""
    async with hub.read() as session:
        # A read first: a round with no new events (most) takes no write lock.
        fed = await session.scalar(select(EmailFeed.fed_through).where(EmailFeed.id == FEED))
        if fed is not None and fed >= await log.newest(session):
            return 0
    async with hub.write() as session:
        row = await _cursor(session)
        if row is None:
            return 0  # another process is feeding right now
        newest = await log.newest(session)
        read = 0
        for _ in range(BATCHES):
            found = await log.read(session, after=row.fed_through, until=newest, topics=TOPICS)
            for event in found:
                compose = COMPOSERS.get((event.topic, event.type))
                if compose is not None:
                    await _compose(session, hub, compose, event)
            read += len(found)
            if len(found) < log.REPLAY_BATCH:
                row.fed_through = newest
                break
            row.fed_through = found[-1].id
        return read


async def skip_to_newest(hub: Hub) -> None:
    """Mail nothing of the events so far (the demo's history is not news)."""
    async with hub.write() as session:
        newest = await log.newest(session)
        await session.execute(
            upsert(session, EmailFeed)
            .values(id=FEED, fed_through=newest)
            .on_conflict_do_update(index_elements=["id"], set_={"fed_through": newest})
        )


async def _compose(session: AsyncSession, hub: Hub, compose: Composer, event: DomainEvent) -> None:
    """Compose one event's email in a savepoint: a failure of the email loses that event's
    email only; a failure of the database ends the round, to compose the event again."""
    try:
        async with session.begin_nested():
            await compose(session, hub.settings, event)
    except (exc.OperationalError, exc.InterfaceError, exc.TimeoutError):
        raise  # the database, not the event: the round rolls back and the cursor stays
    except Exception as error:
        if as_unavailable(error) is not None:
            raise
        logger.exception("could not compose the email of event %s (%s)", event.id, event.type)


async def _cursor(session: AsyncSession) -> EmailFeed | None:
    """The feed's row, locked. Migration 0029 made it at the newest event then (no mail of the
    past); made again if missing, it starts at the beginning of the log."""
    statement = select(EmailFeed).where(EmailFeed.id == FEED)
    if session.bind.dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    row: EmailFeed | None = await session.scalar(statement)
    if row is not None:
        return row
    made = await session.execute(
        upsert(session, EmailFeed)
        .values(id=FEED, fed_through=0)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(EmailFeed.id)
    )
    if made.first() is None:
        return None  # made by another process meanwhile: it feeds
    made_row: EmailFeed | None = await session.scalar(statement)
    return made_row
