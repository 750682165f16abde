"""Two `channelhub serve` processes on one PostgreSQL and one Redis serve the same clients."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.clock import ManualClock
from hub.partners import TerritoryInput, Tier
from hub.roles import Role
from tests.conftest import JWT_SECRET, free_port
from tests.e2e.conftest import CHANNELHUB, wait_until_healthy
from tests.factories import Factory
from tests.hub.test_events import restart_redis
from tests.services import service_env
from tests.wsclient import graphql_socket

EVENTS = "subscription { leadEvents { cursor type lead { customerCompany } } }"
CREATE = 'mutation($c: String!) { createLead(input: {customerCompany: $c, country: "US", productLine: "NETWORKING", region: "US-CA"}) { id } }'


@pytest.fixture
def clock() -> ManualClock:
    """Real time: the servers use the system clock to check the tokens the factory signs."""
    return ManualClock(datetime.now(UTC))


@pytest.fixture
def hub_processes(database: AsyncEngine, tmp_path: Path) -> Iterator[list[str]]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHANNELHUB_")}
    env.update(
        CHANNELHUB_ENV="test",
        CHANNELHUB_DATABASE_URL=service_env("DATABASE_URL"),
        CHANNELHUB_BROADCAST_URL=service_env("REDIS_URL"),
        CHANNELHUB_JWT_SECRET=JWT_SECRET,
        CHANNELHUB_VAR_DIR=str(tmp_path / "var"),
    )
    processes, urls = [], []
    try:
        for name in ("a", "b"):
            port = free_port()
            log = (tmp_path / f"{name}.log").open("w")
            process = subprocess.Popen(
                [str(CHANNELHUB), "serve", "--port", str(port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=tmp_path,
            )
            processes.append((process, log))
            urls.append(f"127.0.0.1:{port}")
            wait_until_healthy(f"http://{urls[-1]}", process, tmp_path / f"{name}.log")
        yield urls
    finally:
        for process, log in processes:
            process.terminate()
            process.wait(timeout=15)
            log.close()


async def test_a_subscriber_on_one_process_sees_a_mutation_on_the_other(
    hub_processes: list[str], factory: Factory
) -> None:
    first, second = hub_processes
    partner = await factory.partner(
        "West", tier=Tier.GOLD, territories=(TerritoryInput(name="CA", regions=("US-CA",)),)
    )
    partner_user = await factory.user(partner.id, Role.PARTNER_USER)
    vendor = await factory.vendor_admin()

    async with graphql_socket(f"ws://{first}/graphql", partner_user.token) as socket:
        await socket.subscribe(EVENTS)
        await _create(second, vendor.token, "Before the outage")
        before = (await socket.next())["data"]["leadEvents"]

        port = service_env("REDIS_PORT")
        subprocess.run(
            ["redis-cli", "-p", port, "shutdown", "nosave"], check=False, capture_output=True
        )
        during = [await _create(second, vendor.token, f"During {n}") for n in range(2)]
        restart_redis(port)
        await _create(second, vendor.token, "After the outage")
        received = [(await socket.next(wait=15))["data"]["leadEvents"] for _ in range(3)]

    assert before["lead"]["customerCompany"] == "Before the outage"
    assert [event["lead"]["customerCompany"] for event in received] == [
        "During 0",
        "During 1",
        "After the outage",
    ]
    assert len(during) == 2
    cursors = [int(before["cursor"])] + [int(event["cursor"]) for event in received]
    assert cursors == sorted(cursors)


async def test_a_client_that_resumes_after_a_redis_restart_gets_exactly_what_it_missed(
    hub_processes: list[str], factory: Factory
) -> None:
    first, second = hub_processes
    vendor = await factory.vendor_admin()
    await factory.partner("West", territories=(TerritoryInput(name="CA", regions=("US-CA",)),))
    resume = "subscription($after: String) { leadEvents(after: $after) { cursor lead { customerCompany } } }"

    async with graphql_socket(f"ws://{first}/graphql", vendor.token) as socket:
        await socket.subscribe(EVENTS)
        await _create(second, vendor.token, "Seen")
        cursor = (await socket.next())["data"]["leadEvents"]["cursor"]
    port = service_env("REDIS_PORT")
    subprocess.run(
        ["redis-cli", "-p", port, "shutdown", "nosave"], check=False, capture_output=True
    )
    for company in ("Missed 1", "Missed 2"):
        await _create(second, vendor.token, company)
    restart_redis(port)
    await _create(first, vendor.token, "Missed 3")

    async with graphql_socket(f"ws://{first}/graphql", vendor.token) as socket:
        await socket.subscribe(resume, {"after": cursor})
        replayed = [(await socket.next(wait=15))["data"]["leadEvents"] for _ in range(3)]
        live = await _create(second, vendor.token, "Live")
        after = (await socket.next(wait=15))["data"]["leadEvents"]
        assert await socket.silent(0.5)

    assert [event["lead"]["customerCompany"] for event in replayed] == [
        "Missed 1",
        "Missed 2",
        "Missed 3",
    ]
    assert after["lead"]["customerCompany"] == "Live"
    assert live["id"]


async def _create(host: str, token: str, company: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"http://{host}/graphql",
            json={"query": CREATE, "variables": {"c": company}},
            headers={"authorization": f"Bearer {token}"},
        )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]["createLead"]
