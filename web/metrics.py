"""Prometheus metrics of one hub process, served at /metrics to allowed scrapers.

Each app keeps a registry of its own (tests build many apps in one process). Counters and
histograms move as requests and events go by; what the process holds (sockets, pooled
connections, queued deliveries) is read when a scrape asks.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Scope

from hub import jobs
from hub.events import BusObserver, DomainEvent
from hub.mail import worker as mail
from hub.runtime import Hub
from hub.webhooks import worker as webhooks
from web.request_log import RequestRecord

if TYPE_CHECKING:
    from web.graphql_ws import GraphQLWebSocket

logger = logging.getLogger("channelhub.metrics")
# A GraphQL operation name is a label only while it is a plain name of bounded length, and
# only for the first MAX_OPERATIONS names this process saw: clients choose them.
OPERATION_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
MAX_OPERATIONS = 200
LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
QUEUE_TIMEOUT_SECONDS = 1.0
NetworkList = tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]


class Metrics:
    """The registry of one app and what feeds it."""

    def __init__(self, hub: Hub, engines: Mapping[str, AsyncEngine], routes: Iterable[str]) -> None:
        self.registry = CollectorRegistry()
        self.hub = hub
        self.settings = hub.settings.metrics
        self.allowed_networks = networks(self.settings.allowed_networks)
        self.job_runs: jobs.Runs = jobs.Runs()
        self.requests = Requests(self.registry, routes)
        self.events = Events(self.registry, hub)
        self.held = Held(engines, self.job_runs)
        self.registry.register(self.held)
        ProcessCollector(registry=self.registry)
        hub.events.observer = self.events

    def watch(self, websockets: GraphQLWebSocket) -> None:
        """Count the sockets and subscriptions of the /graphql WebSocket endpoint."""
        self.held.websockets = websockets

    async def exposition(self) -> bytes:
        """The text a scrape gets, with the outbound queues counted just now."""
        self.held.queues = await _queue_depths(self.hub)
        return generate_latest(self.registry)


class Requests:
    """HTTP requests by route, GraphQL operation and outcome, with their latency."""

    def __init__(self, registry: CollectorRegistry, routes: Iterable[str]) -> None:
        self.count = Counter(
            "channelhub_http_requests",
            "HTTP requests answered, by route, GraphQL operation and outcome",
            ["route", "operation", "outcome"],
            registry=registry,
        )
        self.latency = Histogram(
            "channelhub_http_request_duration_seconds",
            "Time from receiving an HTTP request to its answer, by route and GraphQL operation",
            ["route", "operation"],
            registry=registry,
        )
        # "/files/{key:path}" is served under the prefix "/files/".
        self.exact = {path for path in routes if "{" not in path}
        self.prefixes = sorted({path.split("{")[0] for path in routes if "{" in path})
        self.operations: set[str] = set()

    def observe(self, scope: Scope, record: RequestRecord, status: int, seconds: float) -> None:
        route = self.route(scope.get("path", ""))
        operation = self.operation(record.operation) if route == "/graphql" else ""
        self.count.labels(route, operation, outcome(status, record.errors)).inc()
        self.latency.labels(route, operation).observe(seconds)

    def route(self, path: str) -> str:
        if path in self.exact:
            return path
        prefix = next((prefix for prefix in self.prefixes if path.startswith(prefix)), None)
        return prefix.rstrip("/") if prefix else "other"

    def operation(self, name: str | None) -> str:
        if name is None:
            return "anonymous"
        if name in self.operations:
            return name
        if not OPERATION_NAME.fullmatch(name) or len(self.operations) >= MAX_OPERATIONS:
            return "other"
        self.operations.add(name)
        return name


def outcome(status: int, errors: bool) -> str:
    """`ok`, `errors` (a GraphQL answer with errors), or the status class of a refusal."""
    if status >= 400:
        return f"{status // 100}xx"
    return "errors" if errors else "ok"


class Events(BusObserver):
    """Events this process published and delivered, and how late they arrived."""

    def __init__(self, registry: CollectorRegistry, hub: Hub) -> None:
        self.clock = hub.clock
        self.published_count = Counter(
            "channelhub_events_published",
            "Committed events announced on the broadcast (ok) or left to the table poll (failed)",
            ["topic", "outcome"],
            registry=registry,
        )
        self.delivered_count = Counter(
            "channelhub_events_delivered",
            "Events queued for a live subscription stream of this process (a shared group's "
            "stream counts once)",
            ["topic"],
            registry=registry,
        )
        self.dropped_count = Counter(
            "channelhub_events_dropped",
            "Events a live subscription stream had no room for; the stream was closed as too slow",
            ["topic"],
            registry=registry,
        )
        self.lag = Histogram(
            "channelhub_event_lag_seconds",
            "Time from an event's transaction to its delivery by this process's event bus",
            buckets=LAG_BUCKETS,
            registry=registry,
        )

    def published(self, event: DomainEvent, *, ok: bool) -> None:
        self.published_count.labels(event.topic, "ok" if ok else "failed").inc()

    def delivered(self, event: DomainEvent, *, streams: int, dropped: int) -> None:
        if streams:
            self.delivered_count.labels(event.topic).inc(streams)
        if dropped:
            self.dropped_count.labels(event.topic).inc(dropped)
        lag = (self.clock.now() - event.occurred_at).total_seconds()
        self.lag.observe(max(lag, 0.0))


class Held(Collector):
    """What the process holds, read at scrape time: sockets, subscriptions, pooled database
    connections, job runs and the outbound queues (counted by the scrape beforehand)."""

    def __init__(self, engines: Mapping[str, AsyncEngine], job_runs: jobs.Runs) -> None:
        self.engines = engines
        self.job_runs = job_runs
        self.websockets: GraphQLWebSocket | None = None
        self.queues: dict[str, int] = {}

    def collect(self) -> Iterable[Metric]:
        yield from self._sockets()
        in_use = GaugeMetricFamily(
            "channelhub_db_connections_in_use",
            "Database connections checked out of the pool",
            labels=["pool"],
        )
        size = GaugeMetricFamily(
            "channelhub_db_pool_size", "Connections the pool keeps open", labels=["pool"]
        )
        for name, engine in self.engines.items():
            pool = engine.pool
            if hasattr(pool, "checkedout") and hasattr(pool, "size"):  # none in a NullPool
                in_use.add_metric([name], pool.checkedout())
                size.add_metric([name], pool.size())
        runs = CounterMetricFamily(
            "channelhub_job_runs",
            "Background job runs by job and outcome",
            labels=["job", "outcome"],
        )
        for (job, result), count in sorted(self.job_runs.items()):
            runs.add_metric([job, result], count)
        queues = GaugeMetricFamily(
            "channelhub_queue_depth",
            "Outbound work waiting: pending webhook deliveries, queued email",
            labels=["queue"],
        )
        for queue, depth in sorted(self.queues.items()):
            queues.add_metric([queue], depth)
        yield from (in_use, size, runs, queues)

    def _sockets(self) -> Iterable[Metric]:
        endpoint = self.websockets
        connections = list(endpoint.connections) if endpoint is not None else []
        yield GaugeMetricFamily(
            "channelhub_websockets", "Open GraphQL WebSocket connections", value=len(connections)
        )
        yield GaugeMetricFamily(
            "channelhub_subscriptions",
            "Operations running on the GraphQL WebSockets",
            value=sum(len(connection.operations) for connection in connections),
        )
        groups = len(endpoint.groups.sizes()) if endpoint is not None else 0
        yield GaugeMetricFamily(
            "channelhub_subscription_groups", "Live groups sharing one event stream", value=groups
        )
        closes = CounterMetricFamily(
            "channelhub_websocket_closes",
            "GraphQL WebSocket connections ended, by close code (1000 normal, 4403 token "
            "refused or no longer valid, 4429 a client too far behind, 1013 database down)",
            labels=["code"],
        )
        for code, count in sorted((endpoint.closes if endpoint is not None else {}).items()):
            closes.add_metric([str(code)], count)
        yield closes


async def _queue_depths(hub: Hub) -> dict[str, int]:
    """Pending webhook deliveries and queued email; none when the database does not answer
    in time (the rest of the scrape still does)."""
    try:
        async with asyncio.timeout(QUEUE_TIMEOUT_SECONDS), hub.read() as session:
            return {
                "webhooks": await webhooks.backlog(session),
                "email": await mail.backlog(session),
            }
    except Exception as error:
        logger.warning("could not count the outbound queues for /metrics: %r", error)
        return {}


async def metrics_endpoint(request: Request) -> Response:
    """Serve the metrics to a scraper from an allowed network, with the token when one is set."""
    metrics: Metrics = request.app.state.metrics
    settings = metrics.settings
    client = request.client.host if request.client else None
    if not allowed(client, metrics.allowed_networks):
        return PlainTextResponse("metrics are not served to this address\n", 403)
    if settings.token is not None and not _bearer_matches(request, settings.token):
        return PlainTextResponse(
            "send the metrics token as Authorization: Bearer <token>\n",
            401,
            headers={"www-authenticate": 'Bearer realm="metrics"'},
        )
    return Response(await metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


def networks(entries: Iterable[str]) -> NetworkList:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def allowed(client: str | None, allowed_networks: NetworkList) -> bool:
    """Whether a client address is in one of the networks (an IPv4-mapped one as IPv4)."""
    if client is None:
        return False
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in allowed_networks)


def _bearer_matches(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )
