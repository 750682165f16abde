"""The real services the suite runs against, as exported by scripts/services.py."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest


def service_env(name: str) -> str:
    """Return a CHANNELHUB_TEST_* variable, failing loudly when the harness did not set it."""
    value = os.environ.get(f"CHANNELHUB_TEST_{name}")
    if not value:
        pytest.fail(
            f"CHANNELHUB_TEST_{name} is not set: run the suite through `make test`, "
            "which starts PostgreSQL, Redis and SeaweedFS",
            pytrace=False,
        )
    return value


class OwnRedis:
    """A redis-server of one test's own, on a free port, that the test may kill and restart."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        options = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        options += ["--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(
            [service_env("REDIS_SERVER"), *options],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.cli("ping") == ["PONG"]:
                return
            time.sleep(0.05)
        raise AssertionError("the test's redis-server did not start")

    def kill(self) -> None:
        """Kill the server (SIGKILL): connections drop without a goodbye."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def cli(self, *command: str) -> list[str]:
        done = subprocess.run(
            ["redis-cli", "-p", str(self.port), *command],
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout.split()

    def subscribers(self, channel: str) -> int:
        """How many connections are subscribed to a channel (PUBSUB NUMSUB)."""
        answer = self.cli("pubsub", "numsub", channel)
        return int(answer[1]) if len(answer) == 2 else -1

    async def subscribers_within(self, channel: str, wanted: int, *, seconds: float) -> int:
        """Wait until `wanted` connections subscribe to a channel; the last count seen."""
        deadline = time.monotonic() + seconds
        while (count := self.subscribers(channel)) != wanted and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        return count
