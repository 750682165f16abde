"""The systemd unit in docs/deploy: systemd itself accepts it, and the hub starts the way it
says (its environment file, its credentials as *_FILE secrets, its migrate and serve command
lines), answers ready, and stops cleanly on the SIGTERM systemd sends."""

from __future__ import annotations

import configparser
import os
import secrets
import shutil
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.conftest import JWT_SECRET, free_port
from tests.e2e.conftest import CHANNELHUB, wait_until_healthy
from tests.services import service_env

DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy"
UNIT = DEPLOY / "channelhub.service"
INSTALLED = "/opt/channelhub/.venv/bin/channelhub"


def service_section() -> dict[str, list[str]]:
    """The [Service] settings of the unit, each key with all its values in order."""
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    values: dict[str, list[str]] = {}
    text = UNIT.read_text()
    section = text[text.index("[Service]") : text.index("[Install]")]
    for line in section.splitlines()[1:]:
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    unit = tmp_path / "channelhub.service"
    unit.write_text(UNIT.read_text().replace(INSTALLED, str(CHANNELHUB)))
    checked = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )

    assert checked.returncode == 0, checked.stderr
    assert checked.stdout == checked.stderr == ""  # not even an unknown key or a bad value


def test_the_hub_runs_as_the_unit_starts_it(tmp_path: Path) -> None:
    service = service_section()
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    secret_values = {
        "jwt-secret": JWT_SECRET,
        "database-url": service_env("DATABASE_URL"),
        "s3-secret-key": service_env("S3_SECRET_KEY"),
        "smtp-password": "",  # an empty credential counts as not set
        "metrics-token": secrets.token_hex(16),
    }
    for entry in service["LoadCredential"]:
        name = entry.partition(":")[0]
        (credentials / name).write_text(secret_values[name] + "\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHANNELHUB_")}
    env_file = (DEPLOY / "channelhub.env").read_text()
    for line in env_file.splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    for entry in service["Environment"]:
        key, _, value = entry.partition("=")
        env[key] = value.replace("%d", str(credentials))
    # The services of this machine instead of the example hosts the file names.
    env.update(
        CHANNELHUB_VAR_DIR=str(tmp_path / "var"),
        CHANNELHUB_BROADCAST_URL=service_env("REDIS_URL"),
        CHANNELHUB_S3_ENDPOINT_URL=service_env("S3_ENDPOINT"),
        CHANNELHUB_S3_ACCESS_KEY=service_env("S3_ACCESS_KEY"),
        CHANNELHUB_S3_REGION=service_env("S3_REGION"),
        CHANNELHUB_S3_BUCKET=f"unit-{secrets.token_hex(4)}",
        CHANNELHUB_S3_CREATE_BUCKET="true",
    )
    assert not any(
        key.endswith(("_SECRET", "_PASSWORD", "_TOKEN"))
        for key in env
        if key.startswith("CHANNELHUB_")
    )
    port = free_port()
    (pre,) = service["ExecStartPre"]
    (start,) = service["ExecStart"]
    command = start.replace(INSTALLED, str(CHANNELHUB)).replace("--port 8000", f"--port {port}")
    migrated = subprocess.run(
        pre.replace(INSTALLED, str(CHANNELHUB)).split(),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            command.split(), cwd=tmp_path, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(base, process, log)
            ready = httpx.get(f"{base}/readyz", timeout=10)
            token = secret_values["metrics-token"]
            metrics = httpx.get(f"{base}/metrics", headers={"authorization": f"Bearer {token}"})
            refused = httpx.get(f"{base}/metrics")
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=float(service["TimeoutStopSec"][0].rstrip("s")))

    assert migrated.returncode == 0, migrated.stderr
    assert ready.status_code == 200 and ready.json()["status"] == "ok", ready.text
    assert metrics.status_code == 200 and "channelhub_http_requests_total" in metrics.text
    assert refused.status_code == 401
    assert code == 0, log.read_text()[-2000:]
