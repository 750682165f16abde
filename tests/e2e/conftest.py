"""A real `channelhub serve` process on the embedded SQLite default."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

CHANNELHUB = Path(sys.executable).parent / "channelhub"


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start the hub as `make run` does, in an empty folder, and return its base URL."""
    folder = tmp_path_factory.mktemp("embedded")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHANNELHUB_")}
    env["CHANNELHUB_VAR_DIR"] = str(folder / "var")
    log = (folder / "serve.log").open("w")
    process = subprocess.Popen(
        [str(CHANNELHUB), "serve", "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process, folder / "serve.log")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


def wait_until_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"channelhub serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"channelhub serve did not become healthy:\n{log.read_text()}")
