"""The Starlette application factory and its lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator, Awaitable
from typing import Any

from argon2 import PasswordHasher, profiles
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from hub import jobs
from hub.clock import Clock, SystemClock
from hub.events import EventBus
from hub.mail import worker as mail
from hub.runtime import Hub
from hub.settings import Settings, load_settings
from hub.webhooks import worker as webhooks
from resolvers.root import build_schema
from storage.db import (
    create_engine,
    create_read_session_factory,
    create_session_factory,
    create_writer,
    is_sqlite,
)
from storage.objects import FilesystemObjectStore, ObjectStore, S3ObjectStore
from web import files, ide, landing, tracing
from web.graphql_http import graphql_endpoint
from web.graphql_ws import GraphQLWebSocket
from web.metrics import Metrics, metrics_endpoint
from web.request_log import Observer, RequestLog

logger = logging.getLogger("channelhub")
READY_TIMEOUT_SECONDS = 3


def password_hasher(settings: Settings) -> PasswordHasher:
    """Argon2id with RFC 9106 parameters; the cheapest profile only in tests."""
    if settings.environment == "test":
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)


def build_hub(
    settings: Settings, engine: AsyncEngine, clock: Clock, *, bus_engine: AsyncEngine | None = None
) -> Hub:
    """Wire the hub services of one process; the event bus reads through `bus_engine`."""
    db = create_session_factory(engine)
    bus_reads = create_read_session_factory(bus_engine or engine)
    return Hub(
        db=db,
        settings=settings,
        clock=clock,
        passwords=password_hasher(settings),
        events=EventBus(settings.broadcast_url, bus_reads, queue_size=settings.event_queue_size),
        objects=object_store(settings, clock),
        writer=create_writer(engine),
        reader=create_read_session_factory(engine),
    )


# What a browser client may send: Apollo's client awareness and CSRF headers, W3C trace
# context, idempotency keys and request ids.
ALLOWED_HEADERS = [
    "authorization",
    "content-type",
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "apollographql-client-name",
    "apollographql-client-version",
    "traceparent",
    "tracestate",
    "idempotency-key",
    "x-request-id",
]
# What browser code may read of an answer besides the safelisted headers.
EXPOSED_HEADERS = ["x-request-id", "retry-after", "idempotent-replayed"]


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Starlette:
    """Build the ASGI application; services are opened by the lifespan."""
    settings = settings or load_settings()
    provider = tracing.tracer_provider(settings)
    engine = create_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
    )
    # The event bus fills gaps between broadcast events on a pool of its own: live delivery
    # never waits behind requests that hold every pooled connection (sends queued on a lock).
    bus_engine = (
        engine
        if is_sqlite(settings.database_url)
        else create_engine(settings.database_url, pool_size=2)
    )
    for traced in {engine, bus_engine}:
        tracing.trace_engine(traced, provider)
    hub = build_hub(settings, engine, clock or SystemClock(), bus_engine=bus_engine)
    schema = build_schema(settings)
    objects = hub.objects
    routes = [
        Route("/graphql", graphql_endpoint, methods=["GET", "POST"]),
        Route("/graphiql/assets/{path:path}", ide.asset, methods=["GET"]),
        Route("/files/{key:path}", files.download, methods=["GET"]),
        Route("/files/{key:path}", files.upload, methods=["PUT"]),
        Route("/", landing.home, methods=["GET"]),
        Route("/api", landing.api, methods=["GET"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
    ]
    pools = {"requests": engine} | ({} if bus_engine is engine else {"events": bus_engine})
    metrics = Metrics(hub, pools, [route.path for route in routes])

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await objects.ensure_ready()
        await hub.events.start()
        stop_jobs = asyncio.Event()
        workers = {
            asyncio.create_task(
                jobs.run_forever(
                    hub, settings.job_interval_seconds, stop_jobs, runs=metrics.job_runs
                )
            ),
            asyncio.create_task(webhooks.run_forever(hub, stop_jobs)),
            asyncio.create_task(mail.run_forever(hub, stop_jobs)),
        }
        try:
            yield
        finally:
            stop_jobs.set()  # the round under way finishes; one that hangs is cancelled
            _, pending = await asyncio.wait(workers, timeout=5)
            for task in pending:
                task.cancel()
            await asyncio.wait(workers, timeout=5)
            await hub.events.stop()
            await objects.close()
            await engine.dispose()
            if bus_engine is not engine:
                await bus_engine.dispose()
            tracing.flush(provider)

    websockets = GraphQLWebSocket(schema, hub)
    metrics.watch(websockets)
    app = HubApp(
        websockets,
        log_requests=settings.log_requests,
        observe=metrics.requests.observe,
        tracer_provider=provider,
        routes=routes,
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.allowed_origins),
                allow_methods=["GET", "POST"],
                allow_headers=ALLOWED_HEADERS,
                expose_headers=EXPOSED_HEADERS,
                max_age=600,
            )
        ],
        lifespan=lifespan,
    )
    app.state.hub = hub
    app.state.schema = schema
    app.state.engine = engine
    app.state.objects = objects
    app.state.metrics = metrics
    return app


class HubApp(Starlette):
    """Starlette, with /graphql WebSockets served straight from the ASGI server.

    Fan-out sends one message per socket per event; skipping the middleware stack on that
    path (CORS and error pages only concern HTTP) keeps each send cheap. HTTP requests get
    their id and log line outermost, so even an error page has both.
    """

    def __init__(
        self,
        websocket_endpoint: GraphQLWebSocket,
        *,
        log_requests: bool,
        observe: Observer | None = None,
        tracer_provider: TracerProvider | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.websocket_endpoint = websocket_endpoint
        traced = tracing.traced_http(super().__call__, tracer_provider)
        self.http = RequestLog(traced, enabled=log_requests, observe=observe)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == "/graphql":
            scope["app"] = self
            await self.websocket_endpoint(scope, receive, send)
            return
        await self.http(scope, receive, send)


def object_store(settings: Settings, clock: Clock) -> ObjectStore:
    """Build the configured object store: S3 through boto3, or files under var/."""
    config = settings.objects
    if config.backend == "s3":
        return S3ObjectStore(
            endpoint_url=config.s3_endpoint_url,
            region=config.s3_region,
            bucket=config.s3_bucket,
            access_key=config.s3_access_key,
            secret_key=config.s3_secret_key,
            create_bucket=config.s3_create_bucket,
        )
    secret = hmac.new(settings.jwt_secret.encode(), b"channelhub-objects", hashlib.sha256).digest()
    return FilesystemObjectStore(
        config.root, secret=secret, public_base_url=settings.public_base_url, clock=clock.now
    )


async def healthz(request: Request) -> Response:
    """Tell that the process is alive."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Tell whether the database and the object store answer, and whether the broadcast is up.

    Without Redis the hub still serves (live events are polled from the table): that is
    `degraded`, still ready, so a load balancer keeps sending traffic."""
    state = request.app.state
    checks = {"database": _database_check(state.engine), "objects": state.objects.check()}
    results = dict(zip(checks, await asyncio.gather(*map(_timed, checks.values())), strict=True))
    body: dict[str, str] = {name: "ok" if ok else "unreachable" for name, ok in results.items()}
    body["broadcast"] = "ok" if state.hub.events.connected else "degraded"
    if not all(results.values()):
        return JSONResponse({"status": "unavailable", **body}, status_code=503)
    return JSONResponse({"status": "ok" if body["broadcast"] == "ok" else "degraded", **body})


async def _database_check(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def _timed(check: Awaitable[None]) -> bool:
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            await check
    except Exception:
        logger.exception("readiness check failed")
        return False
    return True
