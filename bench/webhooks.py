"""Webhook delivery throughput: the hub's worker against the same signed POSTs sent directly.

Runs the hub in-process on a fresh embedded database, or, when CHANNELHUB_TEST_DATABASE_URL
is set (`make bench` runs under the test services), on a fresh `channelhub_bench_webhooks`
database next to the test one (--database sqlite|postgresql chooses). A receiver in a child
process on 127.0.0.1 answers every POST with 204 and counts the signed ones. For each
--endpoints count E, E endpoints (each count on a topic of its own) are registered; a round
appends --events events to the log for them, untimed, then times the worker's rounds
(hub.webhooks.worker.run_once, called until all E x events deliveries are made; the
background worker is idle) and, without any database, the anchor: the same deliveries signed
with standardwebhooks and POSTed with httpx, one at a time per endpoint, the endpoints side
by side, through the worker's own client (a new connection per request) and, to show what
that costs, through a client that keeps connections. Rounds interleave (ChannelHub, anchor,
keep-alive anchor, for each count) after one untimed warm-up round; prints deliveries/s per
round, min and median, the ratios per round, SQL statements per delivery, and the load.

Run: .venv/bin/python -m bench.webhooks [--events 300] [--endpoints 1 4] [--rounds 3]
         [--database auto|sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks.webhooks import Webhook

from bench.messaging import bench_database
from hub import events, identity
from hub import users as user_service
from hub.runtime import Hub
from hub.settings import load_settings
from hub.webhooks import endpoints as endpoint_service
from hub.webhooks import rules, worker
from hub.webhooks.endpoints import EndpointInput
from hub.webhooks.sender import USER_AGENT
from storage import migrate
from web.app import create_app

DATABASE = "channelhub_bench_webhooks"
APPEND_BATCH = 100
WARM_UP_EVENTS = 50
KINDS = ("ChannelHub", "anchor", "keep-alive anchor")


@dataclass
class Receiver:
    """The child process that answers the POSTs and the count it keeps."""

    process: multiprocessing.process.BaseProcess
    counted: Any
    url: str

    @property
    def count(self) -> int:
        return int(self.counted.value)


@dataclass
class EndpointSet:
    """E endpoints on one topic, and the event type appended for them."""

    topic: str
    type: str
    secrets: list[str]
    urls: list[str]
    rates: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    statements: list[float] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.urls)


# The receiver (a child process, so that it does not compete with the worker for the GIL)


@contextlib.contextmanager
def receiving() -> Iterator[Receiver]:
    context = multiprocessing.get_context("spawn")
    counted = context.RawValue("q", 0)
    ours, theirs = context.Pipe()
    process = context.Process(target=_receive, args=(theirs, counted), daemon=True)
    process.start()
    try:
        for _ in range(300):
            if ours.poll(0.1) or not process.is_alive():
                break
        if not ours.poll():
            raise RuntimeError("the receiver did not start")
        yield Receiver(process, counted, f"http://127.0.0.1:{ours.recv()}")
    finally:
        process.terminate()
        process.join(5)


def _receive(report: Connection, counted: Any) -> None:
    asyncio.run(_serve(report, counted))


async def _serve(report: Connection, counted: Any) -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).lower()
                await reader.readexactly(_content_length(head))
                if b"\r\nwebhook-signature:" in head:
                    counted.value += 1
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, backlog=1024)
    report.send(server.sockets[0].getsockname()[1])
    await server.serve_forever()


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip() == b"content-length":
            return int(value)
    return 0


# The hub and its endpoints


@contextlib.asynccontextmanager
async def database(choice: str) -> AsyncIterator[dict[str, str]]:
    """Settings for the database chosen: the embedded one, or a fresh PostgreSQL database."""
    test_url = os.environ.get("CHANNELHUB_TEST_DATABASE_URL")
    if choice == "sqlite" or (choice == "auto" and not test_url):
        yield {}
        return
    if not test_url:
        raise SystemExit("bench.webhooks: --database postgresql needs CHANNELHUB_TEST_DATABASE_URL")
    async with bench_database(test_url, DATABASE) as url:
        yield {
            "CHANNELHUB_DATABASE_URL": url,
            "CHANNELHUB_JWT_SECRET": "bench-webhooks-secret-" + "x" * 32,
        }


def hub_env(folder: str, database_env: dict[str, str]) -> dict[str, str]:
    # The app's own webhook worker polls once an hour: only the bench's run_once calls
    # deliver; the email worker too, or it would compose mail for the lead events meanwhile.
    return {
        "CHANNELHUB_ENV": "test",
        "CHANNELHUB_VAR_DIR": folder,
        "CHANNELHUB_BROADCAST_URL": "memory://",
        "CHANNELHUB_JOB_INTERVAL_SECONDS": "3600",
        "CHANNELHUB_WEBHOOK_ALLOW_LOOPBACK": "true",
        "CHANNELHUB_WEBHOOK_POLL_MS": "3600000",
        "CHANNELHUB_MAIL_POLL_MS": "3600000",
        **database_env,
    }


async def register(hub: Hub, receiver: Receiver, counts: list[int]) -> list[EndpointSet]:
    """Register each count's endpoints on a topic of its own, so each takes only its events."""
    admin = await user_service.create_admin(
        hub, email="bench@vendor.example", password="bench-password-1", name="Bench"
    )
    vendor = identity.principal_of(admin)
    sets = []
    for n, (topic, types) in enumerate(list(rules.CATALOG.items())[: len(counts)]):
        secrets, urls = [], []
        for k in range(counts[n]):
            url = f"{receiver.url}/hooks/{topic}/{k}"
            data = EndpointInput(url=url, topics=(topic,), description=f"bench {topic} {k}")
            made = await endpoint_service.create(hub, principal=vendor, data=data)
            secrets.append(made.secret)
            urls.append(url)
        sets.append(EndpointSet(topic, types[0], secrets, urls))
    return sets


async def append_events(hub: Hub, endpoints: EndpointSet, count: int) -> None:
    """Append `count` events with the payload size of a lead's, in batched transactions."""
    for start in range(0, count, APPEND_BATCH):
        async with hub.write() as session:
            for n in range(start, min(count, start + APPEND_BATCH)):
                await events.append(
                    session,
                    topic=endpoints.topic,
                    type=endpoints.type,
                    subject_id=f"bench-{n:06}",
                    audience=(),
                    payload=_payload(n),
                    now=hub.clock.now(),
                )


def _payload(n: int) -> dict[str, Any]:
    return {
        "leadId": f"bench-{n:06}",
        "status": "OFFERED",
        "customerCompany": f"Customer {n}",
        "productLine": "NETWORKING",
        "partnerId": "bench-partner",
        "region": "US-CA",
    }


# The measured rounds


@dataclass(frozen=True)
class Bench:
    hub: Hub
    engine: AsyncEngine
    receiver: Receiver


async def hub_round(
    bench: Bench, http: httpx.AsyncClient, endpoints: EndpointSet, count: int
) -> tuple[float, float]:
    """Deliveries/s of the worker's rounds for `count` new events, and statements per delivery."""
    hub, receiver = bench.hub, bench.receiver
    await append_events(hub, endpoints, count)
    wanted, before = count * endpoints.size, receiver.count
    with counting(bench.engine) as statements:
        started = time.perf_counter()
        while receiver.count - before < wanted:
            if await worker.run_once(hub, http) == 0:
                raise RuntimeError(f"the worker stopped at {receiver.count - before} of {wanted}")
        elapsed = time.perf_counter() - started
    if receiver.count - before != wanted:
        raise RuntimeError(f"{receiver.count - before} deliveries arrived, not {wanted}")
    return wanted / elapsed, statements[0] / wanted


async def anchor_round(
    http: httpx.AsyncClient, receiver: Receiver, endpoints: EndpointSet, count: int
) -> float:
    """Deliveries/s of the same signed POSTs, one at a time per endpoint, with no database."""
    documents = [_document(endpoints, n) for n in range(count)]

    async def deliver(url: str, secret: str) -> None:
        for n, document in enumerate(documents):
            body = json.dumps(document, separators=(",", ":")).encode()
            response = await http.post(url, content=body, headers=_headers(secret, n, body))
            if response.status_code != 204:
                raise RuntimeError(f"the receiver answered {response.status_code}")

    before = receiver.count
    started = time.perf_counter()
    await asyncio.gather(*map(deliver, endpoints.urls, endpoints.secrets))
    elapsed = time.perf_counter() - started
    if receiver.count - before != count * endpoints.size:
        raise RuntimeError(f"{receiver.count - before} anchor POSTs arrived")
    return count * endpoints.size / elapsed


def _document(endpoints: EndpointSet, n: int) -> dict[str, Any]:
    at = datetime.now(UTC).isoformat()
    return {
        "type": endpoints.type,
        "topic": endpoints.topic,
        "cursor": str(n),
        "occurredAt": at,
        "timestamp": at,
        "data": {"subjectId": f"bench-{n:06}", **_payload(n)},
    }


def _headers(secret: str, n: int, body: bytes) -> dict[str, str]:
    message_id, at = rules.message_id(n), datetime.now(UTC)
    return {
        "content-type": "application/json",
        "accept-encoding": "identity",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
    }


@contextlib.contextmanager
def counting(engine: AsyncEngine) -> Iterator[list[int]]:
    seen = [0]

    def record(*_: Any) -> None:
        seen[0] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def keep_alive_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(trust_env=False, follow_redirects=False, timeout=None)


async def measure(bench: Bench, sets: list[EndpointSet], args: argparse.Namespace) -> None:
    receiver = bench.receiver
    async with worker.client() as http, worker.client() as fresh, keep_alive_client() as kept:
        anchors: dict[str, Callable[[EndpointSet, int], Awaitable[float]]] = {
            "anchor": lambda item, count: anchor_round(fresh, receiver, item, count),
            "keep-alive anchor": lambda item, count: anchor_round(kept, receiver, item, count),
        }
        for item in sets:  # warm-up: pools, statement caches, the first claims
            await hub_round(bench, http, item, WARM_UP_EVENTS)
            for run in anchors.values():
                await run(item, WARM_UP_EVENTS)
        for round_ in range(1, args.rounds + 1):
            for item in sets:
                rate, statements = await hub_round(bench, http, item, args.events)
                item.rates["ChannelHub"].append(rate)
                item.statements.append(statements)
                for kind, run in anchors.items():
                    item.rates[kind].append(await run(item, args.events))
                print(_round_line(round_, item), flush=True)


def _round_line(round_: int, item: EndpointSet) -> str:
    rates = ", ".join(f"{kind} {item.rates[kind][-1]:7.1f}" for kind in KINDS)
    return f"round {round_}, {_endpoints(item.size)}: deliveries/s {rates}"


def report(sets: list[EndpointSet], events_per_round: int) -> None:
    for item in sets:
        print(
            f"{_endpoints(item.size)}, {events_per_round * item.size} deliveries a round, "
            f"{statistics.median(item.statements):.1f} SQL statements per delivery:"
        )
        for kind in KINDS:
            rates = item.rates[kind]
            print(
                f"  {kind:17}: median {statistics.median(rates):7.1f} deliveries/s, "
                f"min {min(rates):7.1f}"
            )
        for kind in KINDS[1:]:
            ratios = [
                hub / other
                for hub, other in zip(item.rates["ChannelHub"], item.rates[kind], strict=True)
            ]
            print(
                f"  ChannelHub / {kind} per round: min {min(ratios):.2f}x, "
                f"median {statistics.median(ratios):.2f}x"
            )


def _endpoints(count: int) -> str:
    return f"{count} endpoint{'s' if count != 1 else ''}"


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


async def run(args: argparse.Namespace) -> None:
    print(f"load average {_load()} at start (1, 5, 15 min)", flush=True)
    with receiving() as receiver, tempfile.TemporaryDirectory() as folder:
        async with database(args.database) as database_env:
            app = create_app(load_settings(hub_env(folder, database_env)))
            await migrate.upgrade(app.state.engine)
            async with app.router.lifespan_context(app):
                hub: Hub = app.state.hub
                sets = await register(hub, receiver, args.endpoints)
                print(
                    f"database: {app.state.engine.dialect.name}; webhook concurrency "
                    f"{hub.settings.webhooks.concurrency}; {args.events} events a round; "
                    f"{args.rounds} rounds after a warm-up of {WARM_UP_EVENTS}",
                    flush=True,
                )
                await measure(Bench(hub, app.state.engine, receiver), sets, args)
    report(sets, args.events)
    print(f"load average {_load()} at end (1, 5, 15 min)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument(
        "--endpoints",
        type=int,
        nargs="+",
        default=[1, 4],
        help=f"endpoint counts, one topic each (at most {len(rules.CATALOG)} counts)",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", choices=("auto", "sqlite", "postgresql"), default="auto")
    args = parser.parse_args()
    if len(args.endpoints) > len(rules.CATALOG) or min(args.endpoints) < 1:
        parser.error(f"--endpoints takes 1 to {len(rules.CATALOG)} counts of at least 1")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
