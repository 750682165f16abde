"""Attempt counters kept in the database, so limits hold across hub processes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import upsert
from hub.errors import RateLimited
from hub.runtime import Hub
from storage.models import Throttle


@dataclass(frozen=True)
class Limit:
    """At most `attempts` hits on `key` within `window_seconds`, then locked as long."""

    key: str
    attempts: int
    window_seconds: int


async def check(hub: Hub, session: AsyncSession, keys: Sequence[str]) -> None:
    """Refuse with RATE_LIMITED while any of the keys is locked."""
    now = hub.clock.now()
    statement = select(Throttle.locked_until).where(Throttle.key.in_(keys))
    for locked_until in (await session.execute(statement)).scalars():
        if locked_until is not None and locked_until > now:
            retry_after = int((locked_until - now).total_seconds()) + 1
            raise RateLimited(
                f"too many attempts; try again in {retry_after} seconds", retry_after=retry_after
            )


async def hit(hub: Hub, session: AsyncSession, limits: Sequence[Limit]) -> None:
    """Count one attempt against each limit, locking those that reach it."""
    for limit in limits:
        await _count(session, limit, hub.clock.now())


async def clear(session: AsyncSession, key: str) -> None:
    """Forget the attempts on a key (after a success)."""
    await session.execute(delete(Throttle).where(Throttle.key == key))


async def _count(session: AsyncSession, limit: Limit, now: datetime) -> None:
    table = Throttle.__table__
    window = timedelta(seconds=limit.window_seconds)
    in_window = table.c.window_started_at > now - window
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
            "window_started_at": case((in_window, table.c.window_started_at), else_=now),
            "locked_until": case(
                (in_window & (table.c.attempts + 1 >= limit.attempts), now + window),
                else_=table.c.locked_until,
            ),
        },
    )
    await session.execute(statement)
