"""The PostgreSQL pool: connections idle for a while are checked before use, busy ones are not."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

import storage.db
from storage.db import (
    create_engine,
    create_read_session_factory,
    create_session_factory,
    is_unavailable,
)
from tests.services import service_env

PID = text("SELECT pg_backend_pid()")


async def test_a_connection_the_server_dropped_while_idle_is_replaced_before_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(storage.db, "IDLE_PING_SECONDS", 0.0)
    url = service_env("DATABASE_URL")
    engine, admin = create_engine(url), create_engine(url)
    try:
        async with engine.connect() as connection:
            dropped = await connection.scalar(PID)
        async with admin.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})

        async with engine.connect() as connection:
            fresh = await connection.scalar(PID)

        assert fresh is not None and fresh != dropped
    finally:
        await engine.dispose()
        await admin.dispose()


@pytest.mark.parametrize(("idle_seconds", "pinged"), [(3600.0, 0), (0.0, 1)])
async def test_only_a_connection_idle_for_a_while_is_pinged(
    monkeypatch: pytest.MonkeyPatch, idle_seconds: float, pinged: int
) -> None:
    pings: list[object] = []
    monkeypatch.setattr(storage.db, "IDLE_PING_SECONDS", idle_seconds)
    engine = create_engine(service_env("DATABASE_URL"))
    try:
        async with engine.connect() as connection:
            first = await connection.scalar(PID)
            adapter = type((await connection.get_raw_connection()).dbapi_connection)
        monkeypatch.setattr(adapter, "ping", lambda self: pings.append(self))
        async with engine.connect() as connection:
            assert await connection.scalar(PID) == first
        assert len(pings) == pinged
    finally:
        await engine.dispose()


async def test_read_sessions_do_not_open_a_transaction() -> None:
    engine = create_engine(service_env("DATABASE_URL"))
    now = text("SELECT now()")
    try:
        # now() is the start of the transaction: it stands still within one.
        async with create_session_factory(engine)() as session:
            first = await session.scalar(now)
            await session.execute(text("SELECT pg_sleep(0.02)"))
            assert await session.scalar(now) == first
        async with create_read_session_factory(engine)() as session:
            first = await session.scalar(now)
            await session.execute(text("SELECT pg_sleep(0.02)"))
            assert await session.scalar(now) > first
    finally:
        await engine.dispose()


async def test_a_connection_left_busy_by_an_unfinished_operation_is_discarded() -> None:
    engine = create_engine(service_env("DATABASE_URL"), pool_size=1)
    sleeper: asyncio.Task[object] | None = None
    try:
        async with engine.connect() as connection:
            stuck = await connection.scalar(PID)
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            # An operation of its own that SQLAlchemy knows nothing of keeps it busy.
            sleeper = asyncio.create_task(driver.fetchval("SELECT pg_sleep(3)"))
            await asyncio.sleep(0.1)
            with pytest.raises(DBAPIError, match="another operation is in progress") as failed:
                await connection.scalar(PID)

        async with engine.connect() as connection:
            fresh = await connection.scalar(PID)

        assert failed.value.connection_invalidated
        assert is_unavailable(failed.value)
        assert fresh is not None and fresh != stuck
    finally:
        if sleeper is not None:
            sleeper.cancel()
            await asyncio.gather(sleeper, return_exceptions=True)
        await engine.dispose()


async def test_a_statement_whose_backend_is_terminated_counts_as_a_lost_connection() -> None:
    url = service_env("DATABASE_URL")
    engine, admin = create_engine(url), create_engine(url)
    try:
        async with engine.connect() as connection:
            victim = await connection.scalar(PID)
            sleeping = asyncio.create_task(connection.execute(text("SELECT pg_sleep(5)")))
            await asyncio.sleep(0.2)
            async with admin.connect() as other:
                await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": victim})
            with pytest.raises(DBAPIError) as failed:
                await sleeping

        assert failed.value.connection_invalidated
        assert is_unavailable(failed.value)
    finally:
        await engine.dispose()
        await admin.dispose()
