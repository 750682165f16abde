"""Shared fixtures: a migrated PostgreSQL, the app, an HTTP client and factories."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from hub.clock import ManualClock
from hub.runtime import Hub
from hub.settings import Settings, load_settings
from storage import migrate
from storage.db import create_engine
from storage.models import Base
from tests.factories import Factory, seed_product_lines
from tests.services import OwnRedis, service_env
from web.app import create_app

JWT_SECRET = "test-secret-that-is-long-enough-for-hs256-signing"


def hub_env(**overrides: str) -> dict[str, str]:
    """Settings environment for tests on the real PostgreSQL."""
    env = {
        "CHANNELHUB_ENV": "test",
        "CHANNELHUB_DATABASE_URL": service_env("DATABASE_URL"),
        "CHANNELHUB_JWT_SECRET": JWT_SECRET,
        "CHANNELHUB_BROADCAST_URL": "memory://",
        "CHANNELHUB_JOB_INTERVAL_SECONDS": "3600",
        # Receivers in tests listen on loopback (test_webhooks turns this off to probe it).
        "CHANNELHUB_WEBHOOK_ALLOW_LOOPBACK": "true",
    }
    env.update({f"CHANNELHUB_{key.upper()}": value for key, value in overrides.items()})
    return env


@pytest.fixture(scope="session")
async def database() -> AsyncIterator[AsyncEngine]:
    """A PostgreSQL database migrated from scratch once per session."""
    engine = create_engine(service_env("DATABASE_URL"), pool_size=5)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await migrate.upgrade(engine)
    async with engine.begin() as conn:
        await seed_product_lines(conn)
    yield engine
    await engine.dispose()


@pytest.fixture(autouse=True)
async def clean_tables(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Empty every table after a test that used the database."""
    yield
    if "database" not in request.fixturenames:
        return
    engine: AsyncEngine = request.getfixturevalue("database")
    # The change counters keep counting: a cache compares them and must never see one repeat.
    names = ", ".join(
        table.name for table in Base.metadata.sorted_tables if table.name != "change_counters"
    )
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} CASCADE"))
        await seed_product_lines(conn)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(hub_env(var_dir=str(tmp_path / "var")))


@pytest.fixture
async def app(
    database: AsyncEngine, settings: Settings, clock: ManualClock
) -> AsyncIterator[Starlette]:
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def hub(app: Starlette) -> Hub:
    return app.state.hub  # type: ignore[no-any-return]


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        yield http


@pytest.fixture
def factory(hub: Hub, client: httpx.AsyncClient) -> Factory:
    return Factory(hub, client)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def ws_server(
    app: Starlette, settings: Settings, clock: ManualClock
) -> AsyncIterator[uvicorn.Server]:
    """A live uvicorn server on loopback sharing the test app's hub (clock, database, bus)."""
    async with serving(app) as server:
        yield server


@contextlib.asynccontextmanager
async def serving(app: Starlette, *, port: int | None = None) -> AsyncIterator[uvicorn.Server]:
    """Serve an app (already started) on a loopback port (a free one) until the block ends."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port or free_port(),
        ws="websockets-sansio",
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield server
    finally:
        server.should_exit = True
        await task


@pytest.fixture
def ws_url(ws_server: uvicorn.Server) -> str:
    """The GraphQL WebSocket URL of the live server."""
    return f"ws://127.0.0.1:{ws_server.config.port}/graphql"


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    redis = OwnRedis(tmp_path)
    redis.start()
    try:
        yield redis
    finally:
        redis.kill()


def data_of(body: dict[str, Any]) -> Any:
    """Return the data of a response that must have no errors."""
    assert "errors" not in body, body.get("errors")
    return body["data"]


@contextlib.asynccontextmanager
async def sqlite_hub(folder: Path, clock: ManualClock, **overrides: str) -> AsyncIterator[Factory]:
    """A hub on an embedded SQLite database in `folder`, migrated like `make run` does;
    `overrides` are settings as in hub_env (database_pool_size="3")."""
    url = f"sqlite+aiosqlite:///{folder / 'hub.db'}"
    engine = create_engine(url)
    await migrate.upgrade(engine)
    async with engine.begin() as conn:
        await seed_product_lines(conn)
    await engine.dispose()
    env = {
        "CHANNELHUB_ENV": "test",
        "CHANNELHUB_DATABASE_URL": url,
        "CHANNELHUB_JWT_SECRET": JWT_SECRET,
        "CHANNELHUB_VAR_DIR": str(folder / "var"),
        "CHANNELHUB_JOB_INTERVAL_SECONDS": "3600",
        "CHANNELHUB_WEBHOOK_ALLOW_LOOPBACK": "true",
    }
    env.update({f"CHANNELHUB_{key.upper()}": value for key, value in overrides.items()})
    app = create_app(load_settings(env), clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
            yield Factory(app.state.hub, http, app)


@pytest.fixture
async def sqlite_factory(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Factory]:
    """A hub on an embedded SQLite database, migrated like `make run` does."""
    async with sqlite_hub(tmp_path, clock) as hub_factory:
        yield hub_factory


def factory_for(request: pytest.FixtureRequest, sqlite_fixture: str) -> Factory:
    """The `factory` fixture for the postgresql param, the named SQLite one for sqlite."""
    name = "factory" if request.param == "postgresql" else sqlite_fixture
    found: Factory = request.getfixturevalue(name)
    return found


@pytest.fixture(params=["postgresql", "sqlite"])
def any_factory(request: pytest.FixtureRequest) -> Factory:
    """The same test on the production database and on the embedded one."""
    return factory_for(request, "sqlite_factory")


async def until(condition: Callable[[], bool], *, seconds: float = 15) -> float:
    """Wait until the condition holds; how long that took (fails after `seconds`)."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, "the condition did not come true"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


def load_script(path: Path) -> ModuleType:
    """A script of scripts/ imported as a module (it is no package), to test its functions."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
