"""The webhook workers of two `channelhub serve` processes at once, on one database (the
suite's PostgreSQL, or one embedded SQLite file): each event reaches each endpoint once and
in order; deliveries go on while Redis is down; a hanging receiver holds up nobody else."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.clock import ManualClock
from hub.settings import Settings, load_settings
from tests.api.test_lead_events import _channel, create_lead
from tests.api.test_webhooks import register
from tests.conftest import hub_env, sqlite_hub, until
from tests.e2e.conftest import serve_two
from tests.factories import Factory
from tests.receiver import Answer, Receiver, readme_verify, receiving, verify
from tests.services import OwnRedis, service_env

pytestmark = pytest.mark.slow
WORKERS = {"webhook_allow_loopback": "true", "webhook_poll_ms": "100"}
# The test's own hub queues nothing and sends nothing: only the two processes deliver.
QUIET = {"webhook_allow_loopback": "true", "webhook_poll_ms": "3600000"}
LEADS = 30


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(hub_env(var_dir=str(tmp_path / "var"), **QUIET))


@pytest.fixture
async def receivers() -> AsyncIterator[list[Receiver]]:
    async with receiving() as first, receiving() as second:
        yield [first, second]


@pytest.fixture
def two_processes(database: AsyncEngine, tmp_path: Path) -> Iterator[list[str]]:
    yield from serve_two(tmp_path, service_env("REDIS_URL"), **WORKERS)


async def _each_event_once_in_order(factory: Factory, receivers: list[Receiver]) -> None:
    channel = await _channel(factory)
    secrets = [(await register(factory, item.url))["secret"] for item in receivers]
    leads = [
        (await create_lead(factory, channel["vendor"], customerCompany=f"C{n}"))["id"]
        for n in range(LEADS)
    ]
    await until(lambda: all(len(item.requests) >= LEADS for item in receivers), seconds=60)
    readme = readme_verify()
    await asyncio.sleep(1)  # a second delivery of anything would arrive by now
    for receiver, secret in zip(receivers, secrets, strict=True):
        assert [item.json["data"]["leadId"] for item in receiver.requests] == leads
        assert len({item.message_id for item in receiver.requests}) == LEADS
        assert all(verify(secret, item) for item in receiver.requests)
        assert all(readme(secret, item.headers, item.body) for item in receiver.requests)
        other = secrets[1 - receivers.index(receiver)]
        first = receiver.requests[0]
        assert not readme(other, first.headers, first.body)


async def test_two_processes_deliver_each_event_once_in_order_on_postgresql(
    two_processes: list[str], factory: Factory, receivers: list[Receiver]
) -> None:
    await _each_event_once_in_order(factory, receivers)


async def test_two_processes_deliver_each_event_once_in_order_on_sqlite(
    tmp_path: Path, clock: ManualClock, receivers: list[Receiver]
) -> None:
    async with sqlite_hub(tmp_path, clock, **QUIET) as factory:
        url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
        (tmp_path / "processes").mkdir()
        processes = serve_two(tmp_path / "processes", "memory://", url, **WORKERS)
        next(processes)
        try:
            await _each_event_once_in_order(factory, receivers)
        finally:
            processes.close()


async def test_deliveries_go_on_while_redis_is_down(
    database: AsyncEngine, tmp_path: Path, own_redis: OwnRedis, factory: Factory
) -> None:
    processes = serve_two(tmp_path, own_redis.url, **WORKERS)
    next(processes)
    try:
        async with receiving() as receiver:
            channel = await _channel(factory)
            await register(factory, receiver.url)
            own_redis.kill()
            lead = await create_lead(factory, channel["vendor"])
            await until(lambda: len(receiver.requests) == 1, seconds=30)
            own_redis.start()
        assert receiver.requests[0].json["data"]["leadId"] == lead["id"]
    finally:
        processes.close()


async def test_a_hanging_receiver_holds_up_no_other_endpoint(
    database: AsyncEngine, tmp_path: Path, factory: Factory
) -> None:
    processes = serve_two(
        tmp_path, service_env("REDIS_URL"), webhook_timeout_seconds="20", **WORKERS
    )
    next(processes)
    try:
        async with (
            receiving(Receiver(default=Answer(delay=15))) as hanging,
            receiving() as healthy,
        ):
            channel = await _channel(factory)
            await register(factory, hanging.url)
            await register(factory, healthy.url)
            for n in range(5):
                await create_lead(factory, channel["vendor"], customerCompany=f"C{n}")
            started = time.monotonic()
            await until(lambda: len(healthy.requests) == 5, seconds=10)
            assert time.monotonic() - started < 10
            assert len(hanging.requests) == 1  # still waiting on its first answer
    finally:
        processes.close()
