"""Change counters: a committed transaction that changed watched tables bumps a counter.

A process that keeps something derived from a few tables (the routing index derives from
partners, territories, specializations, certifications and users) reads the counter, one
primary-key select, and rebuilds its copy when the counter moved, whichever process or
transaction changed the tables. The counter is bumped inside the changing transaction, so
it moves exactly when the change becomes visible.

Changes are seen on every Session: objects flushed (inserted, deleted, or updated in a
watched column) and ORM-enabled INSERT/UPDATE/DELETE statements run through
`Session.execute` on a watched table. SQL sent past the Session is not seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Delete, Insert, Update, event, insert, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from storage.models import ChangeCounter

_CHANGED = "storage.changes.changed"


@dataclass(frozen=True)
class Watch:
    """A counter and the tables it counts: table name -> the columns whose update counts
    (None: any column). Inserts and deletes of a watched table always count."""

    name: str
    tables: Mapping[str, frozenset[str] | None]

    async def value(self, session: AsyncSession) -> int:
        """The counter as this session's transaction sees it."""
        found = await session.scalar(
            select(ChangeCounter.value).where(ChangeCounter.name == self.name)
        )
        return int(found or 0)


_watches: list[Watch] = []


def watch(name: str, tables: Mapping[str, Iterable[str] | None]) -> Watch:
    """Count the committed transactions that change these tables under this name."""
    found = Watch(
        name,
        {
            table: None if columns is None else frozenset(columns)
            for table, columns in tables.items()
        },
    )
    _watches.append(found)
    return found


def changed_in(session: AsyncSession | Session) -> frozenset[str]:
    """The counters this session's open transaction will bump (its changes are not others')."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    return frozenset(sync.info.get(_CHANGED, ()))


def _mark(session: Session, table: str, columns: Iterable[str] | None) -> None:
    for found in _watches:
        if table not in found.tables:
            continue
        counted = found.tables[table]
        if counted is None or columns is None or not counted.isdisjoint(columns):
            session.info.setdefault(_CHANGED, set()).add(found.name)


def _updated_columns(instance: Any) -> set[str]:
    state = inspect(instance)
    return {attr.key for attr in state.attrs if attr.history.has_changes()}


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    if not _watches:
        return
    for instance in (*session.new, *session.deleted):
        table = getattr(instance, "__tablename__", None)
        if table is not None:
            _mark(session, table, None)
    for instance in session.dirty:
        table = getattr(instance, "__tablename__", None)
        if table is not None and any(table in found.tables for found in _watches):
            _mark(session, table, _updated_columns(instance))


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    statement = state.statement
    if isinstance(statement, Insert | Update | Delete):
        table = getattr(statement.table, "name", None)
        if table is not None:
            _mark(state.session, table, None)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if not _watches:
        return
    # Commit flushes after this hook: flush first, so what it writes is counted too.
    session.flush()
    for name in sorted(session.info.pop(_CHANGED, ())):
        bumped = session.execute(
            update(ChangeCounter)
            .where(ChangeCounter.name == name)
            .values(value=ChangeCounter.value + 1)
        )
        if not getattr(bumped, "rowcount", 1):
            # The migration creates each counter; one deleted since starts again above 0.
            session.execute(insert(ChangeCounter).values(name=name, value=1))


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)
