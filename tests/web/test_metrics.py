"""/metrics through the served app: the figures move with requests, sockets and events, and
only allowed scrapers get them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from hub.clock import ManualClock
from hub.settings import Settings, load_settings
from tests.conftest import data_of, hub_env, until
from tests.factories import Factory
from tests.wsclient import graphql_socket
from web.app import create_app

TOKEN = "scrape-token-of-the-test-prometheus"
LEAD_EVENTS = "subscription { leadEvents { cursor type leadId } }"
CREATE_LEAD = """mutation($input: LeadInput!) { createLead(input: $input) { id } }"""
LEAD = {"customerCompany": "Globex", "country": "US", "productLine": "NETWORKING"}
INVITE = """mutation($org: ID!) { inviteUser(organizationId: $org, email: "nina@partner.test",
  name: "Nina New", role: PARTNER_USER) { id } }"""

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # No worker sends the queued email or feeds webhooks while a test counts the queues.
    env = hub_env(var_dir=str(tmp_path / "var"), mail_poll_ms="3600000", webhook_poll_ms="3600000")
    return load_settings(env)


def parsed(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def scrape(http: httpx.AsyncClient) -> Samples:
    response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return parsed(response.text)


@asynccontextmanager
async def loopback(server: uvicorn.Server) -> AsyncIterator[httpx.AsyncClient]:
    base = f"http://127.0.0.1:{server.config.port}"
    async with httpx.AsyncClient(base_url=base) as http:
        yield http


async def test_requests_are_counted_by_operation_and_outcome(
    factory: Factory, ws_server: uvicorn.Server
) -> None:
    admin = await factory.vendor_admin()
    async with loopback(ws_server) as http:
        before = await scrape(http)

        await factory.post("query Me { me { id } }", actor=admin)
        await factory.post("query Me { me { id } }", actor=admin)
        await factory.post("query Me { me { id } }")  # no token: UNAUTHENTICATED in the answer
        await factory.post("query Broken { noSuchField }", actor=admin)  # refused: 400
        await factory.post("{ __typename }", actor=admin)
        await factory.post(f"query {'Long' * 20} {{ __typename }}", actor=admin)
        after = await scrape(http)

    def moved(outcome: str, operation: str) -> float:
        labels = {"route": "/graphql", "operation": operation, "outcome": outcome}
        name = "channelhub_http_requests_total"
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("ok", "Me") == 2
    assert moved("errors", "Me") == 1
    assert moved("4xx", "Broken") == 1
    assert moved("ok", "anonymous") == 1
    assert moved("ok", "other") == 1
    latency = "channelhub_http_request_duration_seconds_count"
    me = {"route": "/graphql", "operation": "Me"}
    assert value(after, latency, **me) - value(before, latency, **me) == 3
    scrapes = {"route": "/metrics", "operation": "", "outcome": "ok"}
    assert value(after, "channelhub_http_requests_total", **scrapes) == (
        value(before, "channelhub_http_requests_total", **scrapes) + 1
    )


async def test_sockets_subscriptions_and_events_are_counted(
    factory: Factory, ws_server: uvicorn.Server, ws_url: str
) -> None:
    admin = await factory.vendor_admin()
    async with loopback(ws_server) as http:
        before = await scrape(http)
        async with graphql_socket(ws_url, admin.token) as socket:
            await socket.subscribe(LEAD_EVENTS)
            await until(lambda: bool(ws_server.config.app.websocket_endpoint.groups.sizes()))
            during = await scrape(http)

            lead = data_of(await factory.gql(CREATE_LEAD, {"input": LEAD}, actor=admin))
            received = (await socket.next())["data"]["leadEvents"]
            delivered = await scrape(http)
        await until(lambda: not ws_server.config.app.websocket_endpoint.connections)
        after = await scrape(http)
        async with connect(ws_url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)
        await until(lambda: not ws_server.config.app.websocket_endpoint.connections)
        refused = await scrape(http)

    assert received["leadId"] == lead["createLead"]["id"]
    assert value(during, "channelhub_websockets") == value(before, "channelhub_websockets") + 1
    assert value(during, "channelhub_subscriptions") == 1
    assert value(during, "channelhub_subscription_groups") == 1
    assert (value(after, "channelhub_websockets"), value(after, "channelhub_subscriptions")) == (
        0,
        0,
    )
    closes = "channelhub_websocket_closes_total"
    assert value(after, closes, code="1000") == value(before, closes, code="1000") + 1
    assert value(refused, closes, code="4403") == value(before, closes, code="4403") + 1

    def moved(name: str, **labels: str) -> float:
        return value(delivered, name, **labels) - value(before, name, **labels)

    published = moved("channelhub_events_published_total", topic="lead", outcome="ok")
    assert published == 1  # a lead no partner takes: created, waiting to be routed by hand
    # One stream (the socket's group) took it; the bus delivered it once.
    assert moved("channelhub_events_delivered_total", topic="lead") == 1
    assert moved("channelhub_events_dropped_total", topic="lead") == 0
    assert moved("channelhub_event_lag_seconds_count") == 1
    # The test clock stands still: every event arrived "at once".
    lag_zero = moved("channelhub_event_lag_seconds_bucket", le="0.005")
    assert lag_zero == moved("channelhub_event_lag_seconds_count")


async def test_pools_jobs_and_queues_are_read_at_scrape_time(
    factory: Factory, ws_server: uvicorn.Server, settings: Settings
) -> None:
    admin = await factory.vendor_admin()
    partner = await factory.partner("Acme")
    async with loopback(ws_server) as http:
        before = await scrape(http)
        data_of(await factory.gql(INVITE, {"org": partner.id}, actor=admin))
        after = await scrape(http)
        runs = await _once_jobs_ran(http)

    assert value(before, "channelhub_queue_depth", queue="email") == 0
    assert value(after, "channelhub_queue_depth", queue="email") == 1
    assert value(after, "channelhub_queue_depth", queue="webhooks") == 0
    pool = value(after, "channelhub_db_pool_size", pool="requests")
    assert pool == settings.database_pool_size
    assert 0 <= value(after, "channelhub_db_connections_in_use", pool="requests") <= pool
    assert value(after, "channelhub_db_pool_size", pool="events") == 2
    for job in ("expire_offers", "expire_deals", "collect_objects", "purge_idempotency_keys"):
        assert value(runs, "channelhub_job_runs_total", job=job, outcome="ok") == 1
    assert value(after, "process_resident_memory_bytes") > 0


async def _once_jobs_ran(http: httpx.AsyncClient) -> Samples:
    """A scrape after the lifespan's first round of background jobs (it starts at once)."""
    for _ in range(200):
        samples = await scrape(http)
        last = {"job": "purge_idempotency_keys", "outcome": "ok"}
        if value(samples, "channelhub_job_runs_total", **last):
            return samples
        await asyncio.sleep(0.05)
    raise AssertionError("the first round of background jobs did not finish")


async def test_metrics_are_refused_outside_loopback_without_a_token(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/metrics")  # the test client comes from 10.1.2.3

    assert response.status_code == 403
    assert "channelhub_" not in response.text


@asynccontextmanager
async def served(
    database: AsyncEngine, tmp_path: Path, clock: ManualClock, **env: str
) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(load_settings(hub_env(var_dir=str(tmp_path), **env)), clock=clock)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, client=("10.1.2.3", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
            yield http


async def test_with_a_token_any_network_scrapes_with_it_and_nobody_without(
    database: AsyncEngine, tmp_path: Path, clock: ManualClock
) -> None:
    async with served(database, tmp_path, clock, metrics_token=TOKEN) as http:
        missing = await http.get("/metrics")
        wrong = await http.get("/metrics", headers={"authorization": f"Bearer {TOKEN}x"})
        right = await http.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})

    assert (missing.status_code, wrong.status_code) == (401, 401)
    assert missing.headers["www-authenticate"] == 'Bearer realm="metrics"'
    assert right.status_code == 200
    assert ("channelhub_websockets", frozenset()) in parsed(right.text)


async def test_networks_limit_scrapers_even_with_the_token(
    database: AsyncEngine, tmp_path: Path, clock: ManualClock
) -> None:
    env = {"metrics_token": TOKEN, "metrics_allowed_networks": "10.9.0.0/16, 192.168.0.0/24"}
    async with served(database, tmp_path / "far", clock, **env) as http:
        far = await http.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    env["metrics_allowed_networks"] = "10.1.0.0/16"
    async with served(database, tmp_path / "near", clock, **env) as http:
        near = await http.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})

    assert (far.status_code, near.status_code) == (403, 200)
