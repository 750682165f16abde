"""Engine and session factories for PostgreSQL (asyncpg) and SQLite (aiosqlite)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, Dialect, ExceptionContext, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

# A pooled connection idle for longer than this is pinged before use (see _ping_when_idle).
IDLE_PING_SECONDS = 5.0
# Execution option of write sessions: on SQLite their transactions begin IMMEDIATE.
_WRITES = "channelhub_writes"
# asyncpg's word for a connection left busy by an operation that never finished.
_STUCK_CONNECTION = "another operation is in progress"


class DatabaseUnavailable(ConnectionError):
    """Connecting to the database failed: it is down, restarting or unreachable.

    A ConnectionError, like the OSError asyncpg raises for a refused connection, so that
    code handling that (the CLI's one-line message) handles every failed connect.
    """


def is_unavailable(error: BaseException) -> bool:
    """Tell whether an error (or one it was raised from) means the database is out of reach.

    True for a failed connect, a connection the server ended (SQLAlchemy has invalidated
    it) and a pool with no connection free in time: all of them may succeed when retried.
    """
    current: BaseException | None = error
    while current is not None:
        if isinstance(current, DatabaseUnavailable | exc.TimeoutError):
            return True
        if isinstance(current, exc.DBAPIError) and current.connection_invalidated:
            return True
        current = current.__cause__
    return False


def is_sqlite(url: str) -> bool:
    """Tell whether a database URL points at SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(
    url: str, *, pool_size: int = 10, max_overflow: int | None = None, echo: bool = False
) -> AsyncEngine:
    """Create the async engine with the pragmas and pool settings each backend needs.

    On PostgreSQL `pool_size` connections stay open once used; up to `max_overflow` (by
    default as many) more are opened under a burst and closed as soon as they are returned.
    """
    overflow = pool_size if max_overflow is None else max_overflow
    if is_sqlite(url):
        # isolation_level=None: the driver leaves BEGIN to _sqlite_begin (its legacy mode runs
        # SELECTs outside any transaction, so a read-then-write could act on stale data).
        # The pool is SQLAlchemy's default for aiosqlite (NullPool before 2.0.38, a queue
        # pool after): sizes are not passed, as the older default refuses them.
        engine = create_async_engine(
            url, echo=echo, connect_args={"timeout": 30, "isolation_level": None}
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    engine = create_async_engine(url, echo=echo, pool_size=pool_size, max_overflow=overflow)
    event.listen(engine.sync_engine, "checkin", _checked_in)
    event.listen(engine.sync_engine, "checkout", _ping_when_idle)
    event.listen(engine.sync_engine, "do_connect", _connect)
    event.listen(engine.sync_engine, "handle_error", _discard_stuck_connections)
    return engine


def _connect(dialect: Dialect, _record: Any, cargs: Any, cparams: Any) -> Any:
    """Connect as SQLAlchemy would; any failure becomes DatabaseUnavailable.

    asyncpg raises plain OSError (connection refused) or its own errors ("the database
    system is starting up"), which SQLAlchemy passes on unwrapped.
    """
    try:
        return dialect.connect(*cargs, **cparams)
    except Exception as error:
        raise DatabaseUnavailable(f"cannot connect to the database: {error}") from error


def _discard_stuck_connections(context: ExceptionContext) -> None:
    """Invalidate a connection asyncpg left busy with an operation that never finished.

    SQLAlchemy counts only a closed connection as lost; a busy one would go back to the
    pool and fail every statement until that operation ends (after a cancel the server
    could not receive, it never does).
    """
    if not context.is_disconnect and _STUCK_CONNECTION in str(context.original_exception):
        context.is_disconnect = True
        context.invalidate_pool_on_disconnect = False  # that connection alone is broken


def _checked_in(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_when_idle(
    dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
) -> None:
    """Ping a connection before use only when it sat idle: a busy pool pays nothing.

    pool_pre_ping would ping on every checkout, which with asyncpg is three round trips
    (BEGIN, a ping, ROLLBACK) per session. A connection that was in use moments ago is
    alive unless the server went away since. When the server ended it (a restart closes
    every session), asyncpg has seen the socket close: that costs no round trip to check,
    and the pool then replaces the connection before anything was sent on it.
    """
    if _closed(dbapi_connection):
        raise exc.DisconnectionError("the server closed this pooled connection")
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
        return
    try:
        dbapi_connection.ping()
    except Exception as error:
        # The pool discards this connection and checks out (or opens) another.
        raise exc.DisconnectionError(f"stale pooled connection: {error}") from error


def _closed(dbapi_connection: Any) -> bool:
    is_closed = getattr(getattr(dbapi_connection, "driver_connection", None), "is_closed", None)
    return bool(is_closed()) if callable(is_closed) else False


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    """Begin reads DEFERRED (a stable snapshot) and writes IMMEDIATE (the write lock up front).

    A deferred transaction that read and then writes fails with SQLITE_BUSY when another
    writer committed in between; taking the lock at BEGIN makes writers queue instead, so
    every read-check-write (stock, deal protection, throttles) sees the latest data.
    """
    immediate = conn.get_execution_options().get(_WRITES, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Create the session factory used by every request and job."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def create_read_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for reads only, on the same pool: on PostgreSQL without BEGIN and ROLLBACK.

    At READ COMMITTED every statement takes its own snapshot anyway, so an autocommit
    session reads exactly what a transaction would, for two round trips less. Never write
    through one: each statement would commit on its own.
    """
    if engine.dialect.name != "postgresql":
        return create_session_factory(engine)
    reader = engine.execution_options(isolation_level="AUTOCOMMIT")
    return async_sessionmaker(reader, expire_on_commit=False, autoflush=False)


class SharedReads:
    """The reads of one request, one session at a time on one pooled connection.

    GraphQL resolves sibling fields side by side, and each read opened a session of its own:
    a partner's home page held up to ten connections at once and paid a checkout (and, idle,
    a ping) for each. Within a request the sessions now take turns on one connection, checked
    out at the first read and returned when the request ends. Each session still begins and
    ends on its own (autocommit on PostgreSQL; BEGIN and ROLLBACK on SQLite), so a read after
    the request's own write sees that write, as it did with separate connections.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._turn = asyncio.Lock()
        self._connection: AsyncConnection | None = None
        self._closed = False

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session on the request's connection, once the session before it has ended."""
        if self._closed:  # a task that outlived its request reads on a connection of its own
            async with self._sessions() as session:
                yield session
            return
        async with self._turn:
            if self._connection is None:
                self._connection = await self._sessions.kw["bind"].connect()
            token = _in_shared_read.set(True)
            try:
                async with self._sessions(bind=self._connection) as session:
                    yield session
            except (exc.DBAPIError, OSError, asyncio.CancelledError):
                await self._release()  # the connection may be broken or mid-statement
                raise
            finally:
                _in_shared_read.reset(token)

    async def park(self) -> None:
        """Return the connection to the pool for now; the next read checks one out again.

        Done before a write transaction: a request must not hold a pooled connection while
        it queues for the write gate or for the writer's own connection, or a burst of
        writers (one read connection each) could take the whole pool and wait forever for
        the one more the writer at the front needs.
        """
        if self._connection is None:
            return
        async with self._turn:
            await self._release()

    async def close(self) -> None:
        """Return the connection to the pool; later reads take connections of their own."""
        self._closed = True
        async with self._turn:
            await self._release()

    async def _release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await asyncio.shield(connection.close())


_shared_reads: ContextVar[SharedReads | None] = ContextVar("shared_reads", default=None)
# Set while a shared session is open: a read nested in it (same task or a task it started)
# must not wait for the turn its own caller holds.
_in_shared_read: ContextVar[bool] = ContextVar("in_shared_read", default=False)


@asynccontextmanager
async def sharing_reads(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[None]:
    """Within the block, read_session() takes turns on one connection (see SharedReads)."""
    if _shared_reads.get() is not None:
        yield
        return
    reads = SharedReads(sessions)
    token = _shared_reads.set(reads)
    try:
        yield
    finally:
        _shared_reads.reset(token)
        await reads.close()


def read_session(
    sessions: async_sessionmaker[AsyncSession],
) -> AbstractAsyncContextManager[AsyncSession]:
    """A session for reads: the request's shared connection when there is one."""
    shared = _shared_reads.get()
    if shared is None or _in_shared_read.get():
        return sessions()
    return shared.session()


_held: ContextVar[tuple[WriteGate, ...]] = ContextVar("held_write_gates", default=())


class WriteGate:
    """Let one write transaction at a time through where the database has a single writer.

    SQLite's BEGIN IMMEDIATE waits for the write lock inside the driver's thread, holding a
    pooled connection; queueing a process's writers here first means they wait holding
    nothing, in arrival order. Other processes still queue on the lock itself. On PostgreSQL
    the gate is open: row locks and constraints serialise what must be.
    """

    def __init__(self, *, single_writer: bool) -> None:
        self._lock = asyncio.Lock() if single_writer else None

    @asynccontextmanager
    async def passage(self) -> AsyncIterator[None]:
        """Hold the gate for one write transaction."""
        if self._lock is None:
            yield
            return
        if self in _held.get():
            # The inner BEGIN IMMEDIATE would wait for the outer transaction forever.
            raise RuntimeError("a write transaction was opened inside another on SQLite")
        async with self._lock:
            token = _held.set((*_held.get(), self))
            try:
                yield
            finally:
                _held.reset(token)


@dataclass(frozen=True)
class Writer:
    """Write transactions: through the gate, on sessions that begin IMMEDIATE on SQLite."""

    sessions: async_sessionmaker[AsyncSession]
    gate: WriteGate

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        """Open a session in a write transaction, committed when the block ends."""
        shared = _shared_reads.get()
        if shared is not None and not _in_shared_read.get():
            await shared.park()
        async with self.gate.passage(), self.sessions() as session, session.begin():
            yield session

    @property
    def dialect(self) -> str:
        """The database's dialect name: postgresql or sqlite."""
        return str(self.sessions.kw["bind"].dialect.name)

    @asynccontextmanager
    async def statement(self) -> AsyncIterator[AsyncConnection]:
        """A connection in autocommit for writes that are each one statement: no BEGIN or
        COMMIT round trip, and every lock a statement takes ends with it (PostgreSQL)."""
        shared = _shared_reads.get()
        if shared is not None and not _in_shared_read.get():
            await shared.park()
        engine = self.sessions.kw["bind"]
        async with self.gate.passage(), engine.connect() as connection:
            yield await connection.execution_options(isolation_level="AUTOCOMMIT")


def create_writer(engine: AsyncEngine) -> Writer:
    """Create the write transactions of an engine."""
    single_writer = engine.dialect.name == "sqlite"
    writes = engine.execution_options(**{_WRITES: True}) if single_writer else engine
    return Writer(
        sessions=async_sessionmaker(writes, expire_on_commit=False, autoflush=False),
        gate=WriteGate(single_writer=single_writer),
    )
