"""Small database helpers shared by the domains."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.errors import Conflict, Unavailable
from storage.db import is_unavailable

# What a client is told to wait before retrying during a database outage.
RETRY_AFTER_SECONDS = 2

Upsert = postgresql.Insert | sqlite.Insert


def upsert(session: AsyncSession, table: Any) -> Upsert:
    """Return an INSERT that supports on_conflict_do_update on the session's dialect."""
    if session.bind.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def distinct(values: Iterable[str]) -> list[str]:
    """The values of a filter list once each: every repeat would cost a bind parameter, and
    PostgreSQL takes at most 32,767 per statement."""
    return sorted(set(values))


def escape_like(value: str) -> str:
    """Escape LIKE wildcards in user text (use with escape='\\\\')."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


Row = TypeVar("Row", bound=_Identified)


def in_key_order(rows: Iterable[Row], ids: Sequence[str]) -> list[Row | None]:
    """Arrange rows in the order of the ids a DataLoader asked for; missing ones become None."""
    found = {row.id: row for row in rows}
    return [found.get(key) for key in ids]


Item = TypeVar("Item")


def grouped_by(
    rows: Iterable[Item], ids: Sequence[str], key: Callable[[Item], str]
) -> list[list[Item]]:
    """Group rows under the ids a DataLoader asked for, in that order; ids without rows get []."""
    groups: dict[str, list[Item]] = {wanted: [] for wanted in ids}
    for row in rows:
        groups[key(row)].append(row)
    return [groups[wanted] for wanted in ids]


async def flush_unique(session: AsyncSession, message: str, field: str) -> None:
    """Flush, turning a unique-constraint violation into CONFLICT on the given field."""
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(message, field=field) from None


class LockSpace:
    """Named transaction locks: one namespace of keys, taken until the transaction ends."""

    def __init__(self, namespace: int) -> None:
        self.namespace = namespace

    async def take(
        self, session: AsyncSession, keys: Iterable[str], *, shared: bool = False
    ) -> None:
        """Hold each key until commit, waiting for whoever holds it; sorted, so never a deadlock.
        Shared holders of a key do not wait for one another, only for an exclusive one.

        On PostgreSQL these are advisory locks (the two-key space, apart from the event log's
        one-key lock). SQLite needs none: its write transactions already run one at a time
        (storage.db.WriteGate).
        """
        if session.bind.dialect.name != "postgresql":
            return
        lock = func.pg_advisory_xact_lock_shared if shared else func.pg_advisory_xact_lock
        for key in sorted(set(keys)):
            await session.execute(select(lock(self.namespace, func.hashtext(key))))


def as_unavailable(error: BaseException) -> Unavailable | None:
    """The retryable error a database outage is reported as; None when `error` is not one."""
    if isinstance(error, Unavailable):
        return error
    if not is_unavailable(error):
        return None
    return Unavailable(
        f"the database is unavailable; try again in {RETRY_AFTER_SECONDS} seconds",
        retry_after=RETRY_AFTER_SECONDS,
    )
