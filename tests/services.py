"""The real services the suite runs against, as exported by scripts/services.py."""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class OwnRedis:
    """A redis-server of one test's own, on a free port, that the test may kill and restart."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
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

    def pause(self) -> None:
        """Stop the server (SIGSTOP): connections stay open, nothing is read or answered."""
        if self.process is not None:
            self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)

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


class OwnPostgres:
    """A PostgreSQL cluster of one test's own, that the test may stop and start again."""

    def __init__(self) -> None:
        # Under the harness's folder: it belongs to the postgres user, as the cluster must.
        self.folder = Path(tempfile.mkdtemp(prefix="own-pg-", dir=service_env("SERVICES_DIR")))
        self.bin = Path(service_env("PG_BIN"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/channelhub"

    def create(self) -> None:
        """Create the cluster and its database, and start it."""
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        initdb = [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres"]
        self._run(*initdb, "-E", "UTF8", "--auth=trust", "--no-sync", "--no-instructions")
        settings = {
            "port": self.port,
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.folder}'",
            "fsync": "off",
            "synchronous_commit": "off",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        self.start()
        psql = [str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        self._run(*psql, "-qX", "-d", "postgres", "-c", "CREATE DATABASE channelhub")

    def start(self) -> None:
        log = str(self.folder / "server.log")
        self._run(str(self.bin / "pg_ctl"), "start", "-w", "-D", str(self.data), "-l", log)

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; `fast` ends every session, as a restart or failover does."""
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "stop", "-w", "-D", str(self.data), "-m", mode)

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, *command: str) -> None:
        done = subprocess.run(
            command, capture_output=True, text=True, check=False, cwd="/", **_as_postgres()
        )
        if done.returncode != 0:
            raise AssertionError(f"{command[0]} failed: {done.stdout}{done.stderr}")


def _as_postgres() -> dict[str, Any]:
    """Run as the postgres user when we are root: PostgreSQL refuses root."""
    if os.geteuid() != 0:
        return {}
    user = pwd.getpwnam("postgres")
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
