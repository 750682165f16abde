"""Attempt counters kept in the database, so limits hold across hub processes.

An attempt is counted before the work it guards (checking a password, say) and refused
once over the limit, in one statement: parallel attempts cannot all pass a check made
before any of them was counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import upsert
from hub.errors import RateLimited
from hub.runtime import Hub
from storage.models import Throttle


@dataclass(frozen=True)
class Limit:
    """At most `attempts` hits on `key` within `window_seconds`; the last one locks it as long."""

    key: str
    attempts: int
    window_seconds: int


async def take(hub: Hub, session: AsyncSession, limits: Sequence[Limit]) -> None:
    """Count one attempt against each limit; refuse with RATE_LIMITED when any is over it.

    Commit the session before doing the guarded work, so parallel attempts see the count.
    """
    now = hub.clock.now()
    waits = []
    for limit in limits:
        attempts, locked_until = await _count(session, limit, now)
        if attempts > limit.attempts:
            until = locked_until or now + timedelta(seconds=limit.window_seconds)
            waits.append(max(1, int((until - now).total_seconds()) + 1))
    if waits:
        retry_after = max(waits)
        raise RateLimited(
            f"too many attempts; try again in {retry_after} seconds", retry_after=retry_after
        )


async def clear(session: AsyncSession, key: str) -> None:
    """Forget the attempts on a key (after a success)."""
    await session.execute(delete(Throttle).where(Throttle.key == key))


async def give_back(session: AsyncSession, key: str) -> None:
    """Uncount one attempt on a key: the attempt succeeded and should not count against it."""
    await session.execute(
        update(Throttle)
        .where(Throttle.key == key, Throttle.attempts > 0)
        .values(attempts=Throttle.attempts - 1)
    )


async def _count(session: AsyncSession, limit: Limit, now: datetime) -> tuple[int, datetime | None]:
    """Add one attempt; the attempt that reaches the limit locks the key for a whole window."""
    table = Throttle.__table__
    window = timedelta(seconds=limit.window_seconds)
    in_window = table.c.window_started_at > now - window
    reaches = in_window & (table.c.attempts + 1 == limit.attempts)
    statement = upsert(session, table).values(
        key=limit.key,
        attempts=1,
        window_started_at=now,
        locked_until=now + window if limit.attempts <= 1 else None,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "attempts": case((in_window, table.c.attempts + 1), else_=1),
            # The window restarts when the limit is reached, so it lasts as long as the lock.
            "window_started_at": case((reaches | ~in_window, now), else_=table.c.window_started_at),
            "locked_until": case(
                (reaches, now + window),
                (and_(in_window, table.c.attempts + 1 > limit.attempts), table.c.locked_until),
                else_=now + window if limit.attempts <= 1 else None,
            ),
        },
    )
    row = (await session.execute(statement.returning(table.c.attempts, table.c.locked_until))).one()
    return int(row.attempts), row.locked_until
