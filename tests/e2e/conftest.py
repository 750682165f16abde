"""A real `channelhub serve` process on the embedded SQLite default, and the demo it seeds."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.clock import ManualClock
from hub.demo import DEMO_PASSWORD
from hub.demo.channel import LOGINS
from tests.conftest import JWT_SECRET, free_port
from tests.services import OwnRedis, service_env

CHANNELHUB = Path(sys.executable).parent / "channelhub"


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start the hub as `make run` does, in an empty folder, and return its base URL."""
    with served(tmp_path_factory.mktemp("embedded")) as base:
        yield base


def clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without any CHANNELHUB_ setting, plus `settings` (full
    variable names)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHANNELHUB_")}
    return {**env, **settings}


@contextlib.contextmanager
def served(folder: Path, env: dict[str, str] | None = None, *args: str) -> Iterator[str]:
    """A healthy `channelhub serve ARGS` on a free port, run in `folder` (its var/ there unless
    `env` says otherwise), with its output in folder/serve.log; stopped on leaving."""
    env = env if env is not None else clean_env(CHANNELHUB_VAR_DIR=str(folder / "var"))
    port = free_port()
    log = folder / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(CHANNELHUB), "serve", *args, "--port", str(port)],
            cwd=folder,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(base, process, log)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=15)


@dataclass
class Server:
    base: str
    folder: Path
    log: Path

    def token(self, email: str) -> str:
        query = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
        data = self.gql(None, query, {"e": email, "p": DEMO_PASSWORD})
        return str(data["login"]["token"])

    def gql(self, token: str | None, query: str, variables: dict[str, Any] | None = None) -> Any:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(
            f"{self.base}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
            timeout=30,
        )
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def errors(self, token: str, query: str, variables: dict[str, Any]) -> list[str]:
        response = httpx.post(
            f"{self.base}/graphql",
            json={"query": query, "variables": variables},
            headers={"authorization": f"Bearer {token}"},
            timeout=30,
        )
        return [error["extensions"]["code"] for error in response.json().get("errors", [])]


def hub_env(folder: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHANNELHUB_")}
    env["CHANNELHUB_VAR_DIR"] = str(folder / "var")
    env.update(extra)
    return env


def nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in connection["edges"]]


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`channelhub serve` on an empty folder, as `make run` starts it: it seeds the demo.

    One for the session: seeding a year of history is the slow part, and the demo tests
    only read (or start more servers on its folder, and stop them)."""
    folder = tmp_path_factory.mktemp("demo")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = folder / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(CHANNELHUB), "serve", "--port", str(port)],
            cwd=folder,
            env=hub_env(folder, CHANNELHUB_PUBLIC_BASE_URL=base),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_healthy(base, process, log_path)
            yield Server(base, folder, log_path)
        finally:
            process.terminate()
            process.wait(timeout=15)


@pytest.fixture(scope="session")
def demo_tokens(demo_server: Server) -> dict[str, str]:
    return {email: demo_server.token(email) for email, _, _ in LOGINS}


def wait_until_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    # A first start seeds the demo before it serves: on a busy machine that takes a while.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"channelhub serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"channelhub serve did not become healthy:\n{log.read_text()}")


@pytest.fixture
def clock() -> ManualClock:
    """Real time: the servers use the system clock to check the tokens the factory signs."""
    return ManualClock(datetime.now(UTC))


@pytest.fixture
def hub_processes(database: AsyncEngine, tmp_path: Path) -> Iterator[list[str]]:
    """Two `channelhub serve` processes on the suite's PostgreSQL and Redis."""
    yield from serve_two(tmp_path, service_env("REDIS_URL"))


@pytest.fixture
def hub_processes_on_own_redis(
    database: AsyncEngine, tmp_path: Path, own_redis: OwnRedis
) -> Iterator[list[str]]:
    """Two `channelhub serve` processes on the suite's PostgreSQL and the test's own Redis."""
    yield from serve_two(tmp_path, own_redis.url)


def serve_two(
    tmp_path: Path, broadcast_url: str, database_url: str | None = None, **extra: str
) -> Iterator[list[str]]:
    """Two `channelhub serve` processes; `extra` settings as in hub_env (webhook_poll_ms=...)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHANNELHUB_")}
    env.update(
        CHANNELHUB_ENV="test",
        CHANNELHUB_DATABASE_URL=database_url or service_env("DATABASE_URL"),
        CHANNELHUB_BROADCAST_URL=broadcast_url,
        CHANNELHUB_JWT_SECRET=JWT_SECRET,
        CHANNELHUB_VAR_DIR=str(tmp_path / "var"),
    )
    env.update({f"CHANNELHUB_{key.upper()}": value for key, value in extra.items()})
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
