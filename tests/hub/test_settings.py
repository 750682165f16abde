"""Settings come from CHANNELHUB_* variables; bad ones fail naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.settings import ConfigError, load_settings


def test_defaults_are_the_embedded_setup(tmp_path: Path) -> None:
    settings = load_settings({"CHANNELHUB_VAR_DIR": str(tmp_path)})

    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'channelhub.db'}"
    assert settings.broadcast_url == "memory://"
    assert settings.objects.backend == "filesystem"
    assert settings.objects.root == tmp_path / "objects"
    assert settings.development


def test_embedded_jwt_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_settings({"CHANNELHUB_VAR_DIR": str(tmp_path)})
    second = load_settings({"CHANNELHUB_VAR_DIR": str(tmp_path)})

    assert first.jwt_secret == second.jwt_secret
    assert len(first.jwt_secret) >= 32


def test_s3_settings(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "CHANNELHUB_VAR_DIR": str(tmp_path),
            "CHANNELHUB_S3_BUCKET": "collateral",
            "CHANNELHUB_S3_ENDPOINT_URL": "http://127.0.0.1:8333",
            "CHANNELHUB_S3_CREATE_BUCKET": "false",
        }
    )

    assert settings.objects.backend == "s3"
    assert settings.objects.s3_bucket == "collateral"
    assert settings.objects.s3_create_bucket is False


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"CHANNELHUB_DATABASE_URL": "mysql://x"}, "CHANNELHUB_DATABASE_URL"),
        ({"CHANNELHUB_DATABASE_URL": "postgresql+asyncpg://u@h/db"}, "CHANNELHUB_JWT_SECRET"),
        ({"CHANNELHUB_JWT_SECRET": "short"}, "CHANNELHUB_JWT_SECRET"),
        ({"CHANNELHUB_BROADCAST_URL": "kafka://x"}, "CHANNELHUB_BROADCAST_URL"),
        ({"CHANNELHUB_TOKEN_TTL_SECONDS": "0"}, "CHANNELHUB_TOKEN_TTL_SECONDS"),
        ({"CHANNELHUB_ALLOWED_ORIGINS": "ftp://x"}, "CHANNELHUB_ALLOWED_ORIGINS"),
        ({"CHANNELHUB_OBJECT_STORE": "s3"}, "CHANNELHUB_S3_BUCKET"),
        ({"CHANNELHUB_S3_CREATE_BUCKET": "maybe"}, "CHANNELHUB_S3_CREATE_BUCKET"),
        ({"CHANNELHUB_ENV": "staging"}, "CHANNELHUB_ENV"),
        ({"CHANNELHUB_PUBLIC_BASE_URL": "not a url"}, "CHANNELHUB_PUBLIC_BASE_URL"),
    ],
)
def test_bad_configuration_names_the_setting(
    tmp_path: Path, env: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({"CHANNELHUB_VAR_DIR": str(tmp_path), **env})

    assert str(error.value).startswith(named)


def test_logs_are_json_in_production_and_text_elsewhere(tmp_path: Path) -> None:
    base = {"CHANNELHUB_VAR_DIR": str(tmp_path)}
    production = {**base, "CHANNELHUB_ENV": "production", "CHANNELHUB_JWT_SECRET": "x" * 32}

    assert load_settings(base).log_format == "text"
    assert load_settings(production).log_format == "json"
    assert load_settings({**production, "CHANNELHUB_LOG_FORMAT": "text"}).log_format == "text"
    assert load_settings({**base, "CHANNELHUB_LOG_REQUESTS": "false"}).log_requests is False
    with pytest.raises(ConfigError, match="CHANNELHUB_LOG_FORMAT must be one of text, json"):
        load_settings({**base, "CHANNELHUB_LOG_FORMAT": "xml"})


def test_metrics_are_for_loopback_unless_a_token_is_set(tmp_path: Path) -> None:
    base = {"CHANNELHUB_VAR_DIR": str(tmp_path)}
    token = {**base, "CHANNELHUB_METRICS_TOKEN": "t" * 16}

    assert load_settings(base).metrics.token is None
    assert load_settings(base).metrics.allowed_networks == ("127.0.0.0/8", "::1/128")
    assert load_settings(token).metrics.token == "t" * 16
    assert load_settings(token).metrics.allowed_networks == ("0.0.0.0/0", "::/0")
    limited = {**token, "CHANNELHUB_METRICS_ALLOWED_NETWORKS": "10.20.0.0/16, fd00::/8"}
    assert load_settings(limited).metrics.allowed_networks == ("10.20.0.0/16", "fd00::/8")
    closed = {**base, "CHANNELHUB_METRICS_ALLOWED_NETWORKS": ""}
    assert load_settings(closed).metrics.allowed_networks == ()
    with pytest.raises(ConfigError, match="CHANNELHUB_METRICS_TOKEN must be at least 16"):
        load_settings({**base, "CHANNELHUB_METRICS_TOKEN": "short"})
    with pytest.raises(ConfigError, match="CHANNELHUB_METRICS_ALLOWED_NETWORKS entries must"):
        load_settings({**base, "CHANNELHUB_METRICS_ALLOWED_NETWORKS": "10.0.0.0/99"})


def test_front_end_dev_servers_are_allowed_origins_in_development_only() -> None:
    development = load_settings({"CHANNELHUB_ENV": "development"})
    production = load_settings({"CHANNELHUB_ENV": "production", "CHANNELHUB_JWT_SECRET": "s" * 32})
    chosen = load_settings({"CHANNELHUB_ALLOWED_ORIGINS": "https://partners.example.com"})

    for port in (5173, 3000, 8080):
        for name in ("localhost", "127.0.0.1"):
            assert f"http://{name}:{port}" in development.allowed_origins
    assert "http://localhost:8000" in development.allowed_origins
    assert production.allowed_origins == ("http://127.0.0.1:8000", "http://localhost:8000")
    assert chosen.allowed_origins == ("https://partners.example.com",)


def test_any_setting_can_come_from_a_file_named_by_its_FILE_variable(tmp_path: Path) -> None:
    secret = tmp_path / "jwt"
    secret.write_text("k" * 40 + "\n")
    url = tmp_path / "db"
    url.write_text("postgresql+asyncpg://hub@db.internal/hub")
    settings = load_settings(
        {
            "CHANNELHUB_ENV": "production",
            "CHANNELHUB_JWT_SECRET_FILE": str(secret),
            "CHANNELHUB_DATABASE_URL_FILE": str(url),
        }
    )
    direct = load_settings(
        {"CHANNELHUB_JWT_SECRET": "d" * 40, "CHANNELHUB_JWT_SECRET_FILE": str(secret)}
    )

    assert settings.jwt_secret == "k" * 40  # the trailing newline of the file is not part of it
    assert settings.database_url == "postgresql+asyncpg://hub@db.internal/hub"
    assert direct.jwt_secret == "d" * 40  # the variable itself wins


@pytest.mark.parametrize("content", [None, b"\xff\xfe", b"x" * 70_000])
def test_an_unreadable_secret_file_is_one_error_naming_it(
    tmp_path: Path, content: bytes | None
) -> None:
    path = tmp_path / "secret"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError) as refused:
        load_settings({"CHANNELHUB_JWT_SECRET_FILE": str(path)})

    assert str(refused.value).startswith(f"CHANNELHUB_JWT_SECRET_FILE: {path}") or str(
        refused.value
    ).startswith(f"CHANNELHUB_JWT_SECRET_FILE: cannot read {path}")
