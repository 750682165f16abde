"""One typed settings object, built from CHANNELHUB_* environment variables."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from storage.db import is_sqlite

PREFIX = "CHANNELHUB_"


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class ObjectStoreSettings:
    backend: str
    root: Path
    s3_endpoint_url: str | None
    s3_bucket: str
    s3_region: str
    s3_access_key: str | None
    s3_secret_key: str | None
    s3_create_bucket: bool


@dataclass(frozen=True)
class WebhookSettings:
    timeout_seconds: int = 10
    allow_loopback: bool = False
    allowed_networks: tuple[str, ...] = ()
    disable_after_failures: int = 15
    concurrency: int = 8
    poll_seconds: float = 2.0


@dataclass(frozen=True)
class MailSettings:
    """SMTP when `smtp_host` is set; otherwise messages are written to `outbox_dir` as .eml."""

    outbox_dir: Path = Path("var/outbox")
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_tls: str = "starttls"
    smtp_user: str | None = None
    smtp_password: str | None = None
    from_address: str = "ChannelHub <noreply@channelhub.local>"
    timeout_seconds: int = 30
    poll_seconds: float = 2.0
    reminder_hours: int = 4
    digest_hour: int = 7
    mention_delay_seconds: int = 300


@dataclass(frozen=True)
class MetricsSettings:
    """Who may scrape /metrics: clients in `allowed_networks`, with the bearer `token` when set."""

    token: str | None = None
    allowed_networks: tuple[str, ...] = ("127.0.0.0/8", "::1/128")


@dataclass(frozen=True)
class Settings:
    environment: str
    var_dir: Path
    database_url: str
    database_pool_size: int
    database_max_overflow: int
    broadcast_url: str
    jwt_secret: str
    token_ttl_seconds: int
    refresh_ttl_seconds: int
    reset_ttl_seconds: int
    invite_ttl_seconds: int
    host: str
    port: int
    allowed_origins: tuple[str, ...]
    public_base_url: str
    max_body_bytes: int
    max_upload_bytes: int
    max_query_depth: int
    max_aliases: int
    max_directives: int
    max_query_cost: int
    max_tokens: int
    max_anonymous_tokens: int
    max_page_size: int
    event_queue_size: int
    ws_recheck_seconds: int
    ws_outbox_frames: int
    ws_outbox_bytes: int
    job_interval_seconds: int
    routing_stats_seconds: int
    login_max_failures: int
    login_lock_seconds: int
    objects: ObjectStoreSettings
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    log_format: str = "text"
    log_requests: bool = True
    # automatic (APQ), allow-list (only imported manifests' documents run) or off.
    persisted_queries: str = "automatic"
    persisted_query_max_bytes: int = 20_000
    persisted_queries_per_client: int = 200
    # Where OTLP/HTTP traces go (http://collector:4318/v1/traces); empty: no tracing.
    otlp_endpoint: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def development(self) -> bool:
        return self.environment == "development"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from the environment; raise ConfigError naming a bad setting."""
    source = _Source(os.environ if env is None else env)
    var_dir = Path(source.text("VAR_DIR", "var")).resolve()
    database_url = source.text("DATABASE_URL", f"sqlite+aiosqlite:///{var_dir / 'channelhub.db'}")
    _check_database_url(database_url)
    host = source.text("HOST", "127.0.0.1") or "127.0.0.1"
    port = source.integer("PORT", 8000, minimum=1, maximum=65535)
    environment = source.choice("ENV", "development", ("development", "production", "test"))
    return Settings(
        environment=environment,
        var_dir=var_dir,
        database_url=database_url,
        database_pool_size=source.integer("DATABASE_POOL_SIZE", 20, minimum=1, maximum=1000),
        database_max_overflow=source.integer("DATABASE_MAX_OVERFLOW", 10, minimum=0, maximum=1000),
        broadcast_url=_broadcast_url(source),
        jwt_secret=_jwt_secret(source, var_dir, database_url),
        token_ttl_seconds=source.integer("TOKEN_TTL_SECONDS", 3600, minimum=60),
        invite_ttl_seconds=source.integer("INVITE_TTL_SECONDS", 7 * 86400, minimum=60),
        refresh_ttl_seconds=source.integer("REFRESH_TTL_SECONDS", 30 * 86400, minimum=300),
        reset_ttl_seconds=source.integer("RESET_TTL_SECONDS", 3600, minimum=60, maximum=86400),
        host=host,
        port=port,
        allowed_origins=source.csv(
            "ALLOWED_ORIGINS", ",".join(_default_origins(environment, host, port))
        ),
        public_base_url=source.url("PUBLIC_BASE_URL", _served_origins(host, port)[0]),
        max_body_bytes=source.integer("MAX_BODY_BYTES", 1_048_576, minimum=1024),
        max_upload_bytes=source.integer("MAX_UPLOAD_BYTES", 100 * 1_048_576, minimum=1024),
        max_query_depth=source.integer("MAX_QUERY_DEPTH", 8, minimum=2),
        max_aliases=source.integer("MAX_ALIASES", 15, minimum=1),
        max_directives=source.integer("MAX_DIRECTIVES", 50, minimum=1),
        max_query_cost=source.integer("MAX_QUERY_COST", 20_000, minimum=10),
        max_tokens=source.integer("MAX_TOKENS", 1000, minimum=100),
        max_anonymous_tokens=source.integer("MAX_ANONYMOUS_TOKENS", 500, minimum=100),
        max_page_size=source.integer("MAX_PAGE_SIZE", 100, minimum=1),
        event_queue_size=source.integer("EVENT_QUEUE_SIZE", 1000, minimum=10),
        ws_recheck_seconds=source.integer("WS_RECHECK_SECONDS", 30, minimum=1),
        ws_outbox_frames=source.integer("WS_OUTBOX_FRAMES", 1000, minimum=10),
        ws_outbox_bytes=source.integer("WS_OUTBOX_BYTES", 1_048_576, minimum=4096),
        job_interval_seconds=source.integer("JOB_INTERVAL_SECONDS", 30, minimum=1),
        routing_stats_seconds=source.integer("ROUTING_STATS_SECONDS", 60, minimum=0),
        login_max_failures=source.integer("LOGIN_MAX_FAILURES", 5, minimum=1),
        login_lock_seconds=source.integer("LOGIN_LOCK_SECONDS", 900, minimum=1),
        objects=_object_store(source, var_dir),
        webhooks=_webhooks(source),
        mail=_mail(source, var_dir),
        metrics=_metrics(source),
        log_format=source.choice(
            "LOG_FORMAT", "json" if environment == "production" else "text", ("text", "json")
        ),
        log_requests=source.boolean("LOG_REQUESTS", True),
        persisted_queries=source.choice(
            "PERSISTED_QUERIES", "automatic", ("automatic", "allow-list", "off")
        ),
        persisted_query_max_bytes=source.integer(
            "PERSISTED_QUERY_MAX_BYTES", 20_000, minimum=100, maximum=1_048_576
        ),
        persisted_queries_per_client=source.integer("PERSISTED_QUERIES_PER_CLIENT", 200, minimum=0),
        otlp_endpoint=source.url("OTLP_ENDPOINT", "") if source.text("OTLP_ENDPOINT", "") else "",
    )


def _mail(source: _Source, var_dir: Path) -> MailSettings:
    sender = source.text("MAIL_FROM", "ChannelHub <noreply@channelhub.local>")
    if "@" not in sender or any(char in sender for char in "\r\n"):
        raise ConfigError(f"{PREFIX}MAIL_FROM must be an address such as Hub <hub@example.com>")
    return MailSettings(
        outbox_dir=Path(source.text("MAIL_OUTBOX_DIR", str(var_dir / "outbox"))).resolve(),
        smtp_host=source.text("SMTP_HOST", ""),
        smtp_port=source.integer("SMTP_PORT", 587, minimum=1, maximum=65535),
        smtp_tls=source.choice("SMTP_TLS", "starttls", ("none", "starttls", "tls")),
        smtp_user=source.text("SMTP_USER", "") or None,
        smtp_password=source.text("SMTP_PASSWORD", "") or None,
        from_address=sender,
        timeout_seconds=source.integer("SMTP_TIMEOUT_SECONDS", 30, minimum=1, maximum=300),
        poll_seconds=source.integer("MAIL_POLL_MS", 2000, minimum=50) / 1000,
        reminder_hours=source.integer("LEAD_REMINDER_HOURS", 4, minimum=0, maximum=720),
        digest_hour=source.integer("MAIL_DIGEST_HOUR", 7, minimum=0, maximum=23),
        mention_delay_seconds=source.integer("MENTION_EMAIL_DELAY_SECONDS", 300, minimum=0),
    )


def _metrics(source: _Source) -> MetricsSettings:
    """Loopback only by default; with a token, any address that sends it."""
    token = source.text("METRICS_TOKEN", "") or None
    if token is not None and len(token) < 16:
        raise ConfigError(f"{PREFIX}METRICS_TOKEN must be at least 16 characters long")
    anywhere = "0.0.0.0/0,::/0"
    default = anywhere if token else ",".join(MetricsSettings.allowed_networks)
    raw = source.text("METRICS_ALLOWED_NETWORKS", default)
    allowed = tuple(item.strip() for item in raw.split(",") if item.strip())
    for item in allowed:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ConfigError(
                f"{PREFIX}METRICS_ALLOWED_NETWORKS entries must be networks such as "
                f"10.20.0.0/16, got {item!r}"
            ) from None
    return MetricsSettings(token=token, allowed_networks=allowed)


def _webhooks(source: _Source) -> WebhookSettings:
    development = source.text("ENV", "development") == "development"
    networks = source.text("WEBHOOK_ALLOWED_NETWORKS", "")
    allowed = tuple(item.strip() for item in networks.split(",") if item.strip())
    for item in allowed:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ConfigError(
                f"{PREFIX}WEBHOOK_ALLOWED_NETWORKS entries must be networks such as "
                f"10.20.0.0/16, got {item!r}"
            ) from None
    return WebhookSettings(
        timeout_seconds=source.integer("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1, maximum=120),
        allow_loopback=source.boolean("WEBHOOK_ALLOW_LOOPBACK", development),
        allowed_networks=allowed,
        disable_after_failures=source.integer("WEBHOOK_DISABLE_AFTER", 15, minimum=1),
        concurrency=source.integer("WEBHOOK_CONCURRENCY", 8, minimum=1, maximum=200),
        poll_seconds=source.integer("WEBHOOK_POLL_MS", 2000, minimum=50) / 1000,
    )


# Where front-end dev servers run: Vite (5173), Create React App and Next.js (3000), and
# webpack-dev-server or Vue CLI (8080); allowed by default in development only.
DEV_SERVER_PORTS = (5173, 3000, 8080)


def _default_origins(environment: str, host: str, port: int) -> list[str]:
    """The served origins, and in development the usual front-end dev servers on loopback."""
    origins = _served_origins(host, port)
    if environment == "development":
        origins += [
            f"http://{name}:{dev}"
            for dev in DEV_SERVER_PORTS
            for name in ("localhost", "127.0.0.1")
        ]
    return list(dict.fromkeys(origins))


def _served_origins(host: str, port: int) -> list[str]:
    """The origins a browser reaches the served host and port by (the first one for links).

    Served on every interface (0.0.0.0, ::), the hub is still reached locally by loopback.
    """
    names = ["127.0.0.1", "localhost"] if host in ("0.0.0.0", "::", "127.0.0.1") else [host]
    if host == "localhost":
        names = ["localhost", "127.0.0.1"]
    bracketed = [f"[{name}]" if ":" in name else name for name in names]
    return [f"http://{name}:{port}" for name in bracketed]


def _check_database_url(url: str) -> None:
    scheme = urlsplit(url).scheme
    if scheme not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
        raise ConfigError(
            f"{PREFIX}DATABASE_URL must start with sqlite+aiosqlite:// or "
            f"postgresql+asyncpg://, got {scheme or 'no scheme'!r}"
        )


def _broadcast_url(source: _Source) -> str:
    url = source.text("BROADCAST_URL", "memory://")
    if urlsplit(url).scheme not in ("memory", "redis", "rediss"):
        raise ConfigError(
            f"{PREFIX}BROADCAST_URL must be memory:// or redis://host:port, got {url!r}"
        )
    return url


def _jwt_secret(source: _Source, var_dir: Path, database_url: str) -> str:
    secret = source.text("JWT_SECRET", "")
    if secret:
        if len(secret) < 32:
            raise ConfigError(f"{PREFIX}JWT_SECRET must be at least 32 characters long")
        return secret
    if not is_sqlite(database_url):
        raise ConfigError(f"{PREFIX}JWT_SECRET is required when {PREFIX}DATABASE_URL is PostgreSQL")
    return _kept_secret(var_dir / "jwt-secret")


def _kept_secret(path: Path) -> str:
    """Read the secret kept under var/, generating it once."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret


def _object_store(source: _Source, var_dir: Path) -> ObjectStoreSettings:
    endpoint = source.text("S3_ENDPOINT_URL", "") or None
    bucket = source.text("S3_BUCKET", "")
    backend = source.choice("OBJECT_STORE", "s3" if bucket else "filesystem", ("filesystem", "s3"))
    if backend == "s3" and not bucket:
        raise ConfigError(f"{PREFIX}S3_BUCKET is required when {PREFIX}OBJECT_STORE is s3")
    if endpoint is not None:
        source.url("S3_ENDPOINT_URL", endpoint)
    return ObjectStoreSettings(
        backend=backend,
        root=Path(source.text("OBJECTS_DIR", str(var_dir / "objects"))).resolve(),
        s3_endpoint_url=endpoint,
        s3_bucket=bucket,
        s3_region=source.text("S3_REGION", "us-east-1"),
        s3_access_key=source.text("S3_ACCESS_KEY", "") or None,
        s3_secret_key=source.text("S3_SECRET_KEY", "") or None,
        s3_create_bucket=source.boolean("S3_CREATE_BUCKET", True),
    )


MAX_SECRET_FILE_BYTES = 65_536


def _read_secret_file(setting: str, path: str) -> str:
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_SECRET_FILE_BYTES + 1)
    except OSError as error:
        raise ConfigError(f"{setting}: cannot read {path}: {error.strerror}") from None
    if len(data) > MAX_SECRET_FILE_BYTES:
        raise ConfigError(f"{setting}: {path} is longer than {MAX_SECRET_FILE_BYTES} bytes")
    try:
        return data.decode()
    except UnicodeDecodeError:
        raise ConfigError(f"{setting}: {path} is not UTF-8 text") from None


class _Source:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def text(self, name: str, default: str) -> str:
        """The setting's value; without it, the content of the file `<NAME>_FILE` names (a
        secret mounted by systemd's LoadCredential, Docker or Kubernetes)."""
        value = self.env.get(PREFIX + name)
        if value is None and self.env.get(f"{PREFIX}{name}_FILE"):
            value = _read_secret_file(f"{PREFIX}{name}_FILE", self.env[f"{PREFIX}{name}_FILE"])
        return (default if value is None else value).strip()

    def integer(self, name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
        raw = self.text(name, str(default))
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{PREFIX}{name} must be an integer, got {raw!r}") from None
        if value < minimum:
            raise ConfigError(f"{PREFIX}{name} must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise ConfigError(f"{PREFIX}{name} must be at most {maximum}, got {value}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        raw = self.text(name, "true" if default else "false").lower()
        if raw not in ("1", "0", "true", "false", "yes", "no"):
            raise ConfigError(f"{PREFIX}{name} must be true or false, got {raw!r}")
        return raw in ("1", "true", "yes")

    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        value = self.text(name, default)
        if value not in allowed:
            raise ConfigError(f"{PREFIX}{name} must be one of {', '.join(allowed)}, got {value!r}")
        return value

    def csv(self, name: str, default: str) -> tuple[str, ...]:
        values = tuple(item.strip() for item in self.text(name, default).split(",") if item.strip())
        for value in values:
            if value != "*" and urlsplit(value).scheme not in ("http", "https"):
                raise ConfigError(f"{PREFIX}{name} entries must be http(s) origins, got {value!r}")
        return values

    def url(self, name: str, default: str) -> str:
        value = self.text(name, default).rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"{PREFIX}{name} must be an http(s) URL, got {value!r}")
        return value
