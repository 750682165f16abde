"""The command line: help everywhere, one-line errors, schema export and drift."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from hub.settings import ConfigError, load_settings
from resolvers.root import build_schema
from tests.conftest import hub_env
from tests.e2e.conftest import CHANNELHUB
from web.cli import SCHEMA_FILE


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHANNELHUB), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "command",
    [
        (),
        ("serve",),
        ("migrate",),
        ("create-admin",),
        ("demo",),
        ("export-schema",),
        ("import",),
        ("import", "leads"),
        ("import", "products"),
        ("import", "rates"),
        ("gc-objects",),
        ("analytics",),
        ("analytics", "rebuild"),
        ("report",),
    ],
)
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    result = run(*command, "--help")

    assert result.returncode == 0
    assert result.stdout.startswith("usage: channelhub")


def test_exported_schema_is_current() -> None:
    settings = load_settings(
        {"CHANNELHUB_DATABASE_URL": "sqlite+aiosqlite://", "CHANNELHUB_JWT_SECRET": "x" * 32}
    )

    assert SCHEMA_FILE.read_text() == build_schema(settings).as_str() + "\n"
    assert run("export-schema", "--check").returncode == 0


def test_schema_drift_is_reported(tmp_path: Path) -> None:
    stale = tmp_path / "schema.graphql"
    stale.write_text("type Query { old: String }\n")

    result = run("export-schema", "--check", "--output", str(stale))

    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"channelhub: {stale} is out of date: run `channelhub export-schema`"
    )


def test_bad_configuration_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "CHANNELHUB_VAR_DIR": str(tmp_path),
        "CHANNELHUB_TOKEN_TTL_SECONDS": "soon",
    }

    result = run("migrate", env=env)

    assert result.returncode == 2
    assert (
        result.stderr == "channelhub: CHANNELHUB_TOKEN_TTL_SECONDS must be an integer, got 'soon'\n"
    )


def test_postgresql_requires_a_jwt_secret(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "CHANNELHUB_DATABASE_URL": "postgresql+asyncpg://u@127.0.0.1:1/db",
    }

    result = run("migrate", env=env, cwd=tmp_path)

    assert result.returncode == 2
    assert "CHANNELHUB_JWT_SECRET is required" in result.stderr


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        **hub_env(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none"),
    }

    result = run("migrate", env=env, cwd=tmp_path)

    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1


def test_create_admin_then_demo_refuses_a_used_database(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "CHANNELHUB_VAR_DIR": str(tmp_path / "var")}

    created = run(
        "create-admin",
        "--email",
        "Boss@Vendor.Test",
        "--password",
        "a long password",
        env=env,
        cwd=tmp_path,
    )
    again = run(
        "create-admin",
        "--email",
        "boss@vendor.test",
        "--password",
        "a long password",
        env=env,
        cwd=tmp_path,
    )
    demo = run("demo", env=env, cwd=tmp_path)
    weak = run(
        "create-admin", "--email", "x@vendor.test", "--password", "short", env=env, cwd=tmp_path
    )

    assert created.returncode == 0 and created.stdout.strip().endswith(
        "created vendor admin boss@vendor.test"
    )
    assert (
        again.returncode == 2
        and again.stderr == "channelhub: a user with the email boss@vendor.test already exists\n"
    )
    assert demo.returncode == 2 and "empty database" in demo.stderr
    assert weak.returncode == 2 and "password must be at least 10 characters" in weak.stderr
    assert (tmp_path / "var" / "jwt-secret").stat().st_mode & 0o777 == 0o600


def test_a_busy_port_is_one_line_before_anything_is_announced(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "CHANNELHUB_VAR_DIR": str(tmp_path / "var")}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = run("serve", "--port", str(port), env=env, cwd=tmp_path)

    assert result.returncode == 2
    assert "ChannelHub serving" not in result.stdout
    assert result.stderr.strip().splitlines() == [
        f"channelhub: cannot serve on 127.0.0.1:{port} (Address already in use); another "
        "program may be using it: pass --port, or set CHANNELHUB_PORT (make run PORT=...)"
    ]


def test_the_port_setting_moves_links_and_origins_with_it() -> None:
    settings = load_settings({"CHANNELHUB_PORT": "8123", "CHANNELHUB_JWT_SECRET": "x" * 32})
    everywhere = load_settings(
        {"CHANNELHUB_HOST": "0.0.0.0", "CHANNELHUB_PORT": "9000", "CHANNELHUB_JWT_SECRET": "x" * 32}
    )

    assert settings.public_base_url == "http://127.0.0.1:8123"
    served = {"http://127.0.0.1:8123", "http://localhost:8123"}
    assert served <= set(settings.allowed_origins)  # development adds the front-end dev servers
    assert {origin for origin in settings.allowed_origins if origin.endswith(":8123")} == served
    assert everywhere.public_base_url == "http://127.0.0.1:9000"
    with pytest.raises(ConfigError, match="CHANNELHUB_PORT must be at most 65535"):
        load_settings({"CHANNELHUB_PORT": "70000", "CHANNELHUB_JWT_SECRET": "x" * 32})


def test_create_admin_reads_the_password_from_stdin_and_version_prints(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "CHANNELHUB_VAR_DIR": str(tmp_path / "var")}

    created = run(
        "create-admin", "--email", "piped@vendor.test", env=env, cwd=tmp_path, stdin="a long pw!\n"
    )
    short = run(
        "create-admin", "--email", "other@vendor.test", env=env, cwd=tmp_path, stdin="short\n"
    )
    version = run("--version")

    assert created.returncode == 0, created.stderr
    assert created.stdout.strip().endswith("created vendor admin piped@vendor.test")
    assert short.returncode == 2 and "password must be at least 10 characters" in short.stderr
    assert version.returncode == 0 and version.stdout.strip() == "channelhub 0.1.0"
