"""Fan-out latency of leadEvents: commit to receipt for 100, 1,000 and 3,000 subscribers.

Starts `channelhub serve` on a fresh embedded database, opens N WebSocket subscribers
(graphql-transport-ws, 100 opens at a time in each subscriber process), triggers lead events
over HTTP one at a time (the next once every message of the last has arrived, or after 10 s),
and measures for every delivered message the time from the event's occurredAt (stamped before
commit) to its arrival (time.time() on receipt: one machine, one clock).

The subscribers run in --subscriber-processes child processes (default 1; 2 with --hold),
started as `python -m bench.fanout --role subscribers` (bench/_fanout_subscribers.py), so that they do not compete for CPU
with the driver, which runs the hub, triggers the events and computes the figures; a child
reports on stdout when all its sockets are subscribed and how many messages it has had, and
sends its latencies when told to stop on stdin. --in-process runs them as coroutines of the
driver instead, as before, to compare with older figures. --rounds R repeats every count R
times, interleaved, then prints the min and median p99 per count. The load average is
printed at the start and the end: the figures mean little on a busy machine.

--hold N opens N subscribers instead, waits until all are subscribed, triggers --events
events (default 3) and prints how many messages arrived, p50/p99, the hub's RSS before the
sockets opened, while they are held and after the events, and the subscriber processes' RSS.

Targets, on one hub process with the subscribers in a separate process: p99 <= 100 ms at
1,000 subscribers and <= 250 ms at 3,000; 10,000 subscribers held, with the hub's RSS.

Run: .venv/bin/python -m bench.fanout [--subscribers 100,1000,3000] [--events 20] [--rounds 1]
         [--subscriber-processes 1 | --in-process]
     .venv/bin/python -m bench.fanout --hold 10000 [--events 3] [--subscriber-processes 2]
FANOUT_DETAIL=1 also prints the first and last arrival of every event.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench._fanout_subscribers import (
    Sockets,
    SubscriberProcesses,
    Subscribers,
    raise_fd_limit,
    serve_subscribers,
)

CHANNELHUB = Path(sys.executable).parent / "channelhub"
NOTE = "mutation($id: ID!, $b: String!) { addLeadNote(id: $id, body: $b) { id } }"
PASSWORD = "bench-password-1"
EVENT_DEADLINE = 10.0


@dataclass(frozen=True)
class Hub:
    base: str
    ws_url: str
    token: str
    lead_id: str
    pid: int


@dataclass(frozen=True)
class Measure:
    count: int
    events: int
    latencies: list[float]
    hub_rss: tuple[float, float, float]  # MiB: before the sockets open, held, after the events
    subscriber_rss: list[float]


async def measure(hub: Hub, subscribers: Subscribers, count: int, events: int) -> Measure:
    before = rss_mb(hub.pid)
    try:
        await subscribers.open(count)
        await asyncio.sleep(1.0)
        held = rss_mb(hub.pid)
        subscriber_rss = [rss_mb(pid) for pid in subscribers.pids]
        await trigger(hub, subscribers, count, events)
        after = rss_mb(hub.pid)
        by_event = await subscribers.close()
    finally:
        await subscribers.abort()
    if os.environ.get("FANOUT_DETAIL"):
        for cursor, values in by_event.items():
            print(f"  event {cursor}: first {min(values):.1f} ms, last {max(values):.1f} ms")
    latencies = [latency for values in by_event.values() for latency in values]
    missing = count * events - len(latencies)
    if missing:
        print(f"  warning: {missing} of {count * events} messages did not arrive within 10 s")
    return Measure(count, events, latencies, (before, held, after), subscriber_rss)


async def trigger(hub: Hub, subscribers: Subscribers, count: int, events: int) -> None:
    async with httpx.AsyncClient(base_url=hub.base, timeout=30) as http:
        for n in range(events):
            await gql(http, NOTE, {"id": hub.lead_id, "b": f"note {n}"}, hub.token)
            deadline = time.monotonic() + EVENT_DEADLINE
            while subscribers.received() < count * (n + 1) and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            await asyncio.sleep(0.05)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def fanout_line(result: Measure, round_: int, rounds: int) -> str:
    values = result.latencies
    of_rounds = f", round {round_} of {rounds}" if rounds > 1 else ""
    return (
        f"fan-out {result.count:5} subscribers x {result.events} events: p50 {percentile(values, 0.5):6.1f} ms, "
        f"p99 {percentile(values, 0.99):6.1f} ms, max {max(values, default=math.nan):6.1f} ms ({len(values)} messages{of_rounds})"
    )


def hold_line(result: Measure) -> str:
    values = result.latencies
    before, held, after = result.hub_rss
    per_socket = (held - before) * 1024 / result.count
    subscriber_rss = " + ".join(f"{rss:.0f}" for rss in result.subscriber_rss)
    return (
        f"hold {result.count} subscribers x {result.events} events: {len(values)} of {result.count * result.events} messages, "
        f"p50 {percentile(values, 0.5):.1f} ms, p99 {percentile(values, 0.99):.1f} ms; hub RSS {before:.0f} MiB before, "
        f"{held:.0f} MiB held ({per_socket:.0f} KiB per socket), {after:.0f} MiB after the events; "
        f"subscriber processes RSS {subscriber_rss} MiB"
    )


async def run(args: argparse.Namespace) -> None:
    raise_fd_limit()
    counts = [args.hold] if args.hold else [int(count) for count in args.subscribers.split(",")]
    events = args.events or (3 if args.hold else 20)
    processes = args.subscriber_processes or (2 if args.hold else 1)
    if processes < 1:
        raise SystemExit("--subscriber-processes must be at least 1")
    where = "the driver process" if args.in_process else f"{processes} separate process"
    where += "es" if processes > 1 and not args.in_process else ""
    print(f"load average {_load()} at the start ({os.cpu_count()} CPUs); subscribers in {where}")
    p99s: dict[int, list[float]] = {}
    async with serving() as hub:
        for round_ in range(1, args.rounds + 1):
            for count in counts:
                subscribers: Subscribers = (
                    Sockets(hub.ws_url, hub.token)
                    if args.in_process
                    else SubscriberProcesses(hub.ws_url, hub.token, processes)
                )
                result = await measure(hub, subscribers, count, events)
                print(hold_line(result) if args.hold else fanout_line(result, round_, args.rounds))
                p99s.setdefault(count, []).append(percentile(result.latencies, 0.99))
    if args.rounds > 1:
        for count, values in p99s.items():
            print(
                f"{'hold' if args.hold else 'fan-out'} {count:5} subscribers over {args.rounds} rounds: "
                f"p99 min {min(values):6.1f} ms, median {statistics.median(values):6.1f} ms"
            )
    print(f"load average {_load()} at the end")


@asynccontextmanager
async def serving() -> AsyncIterator[Hub]:
    """Serve a hub on a fresh embedded database, with an admin and one routed lead."""
    with tempfile.TemporaryDirectory() as folder:
        env = {key: value for key, value in os.environ.items() if not key.startswith("CHANNELHUB_")}
        env.update(
            CHANNELHUB_VAR_DIR=f"{folder}/var",
            CHANNELHUB_ENV="production",
            CHANNELHUB_EVENT_QUEUE_SIZE="1000",
        )
        admin = ["create-admin", "--email", "bench@vendor.example", "--password", PASSWORD]
        subprocess.run([str(CHANNELHUB), *admin], env=env, check=True, capture_output=True)
        port = free_port()
        server = subprocess.Popen(
            [str(CHANNELHUB), "serve", "--port", str(port), "--no-demo"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=raise_fd_limit,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            await _wait(base)
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                token, lead_id = await prepare(http)
            yield Hub(base, f"ws://127.0.0.1:{port}/graphql", token, lead_id, server.pid)
        finally:
            server.terminate()
            server.wait(timeout=20)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def gql(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    body = (
        await http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
    ).json()
    if "errors" in body:
        raise RuntimeError(body["errors"])
    return body["data"]


async def prepare(http: httpx.AsyncClient) -> tuple[str, str]:
    token = (
        await gql(
            http,
            f'mutation {{ login(email: "bench@vendor.example", password: "{PASSWORD}") {{ token }} }}',
        )
    )["login"]["token"]
    await gql(
        http,
        'mutation { createProductLine(input: {code: "NETWORKING", name: "Networking"}) { code } }',
        token=token,
    )
    partner = await gql(
        http,
        """mutation { createPartner(input: {name: "Bench Partner", type: RESELLER, country: "US", status: ACTIVE,
           specializations: ["NETWORKING"], territories: [{name: "US", countries: ["US"]}]}) { id } }""",
        token=token,
    )
    lead = await gql(
        http,
        'mutation { createLead(input: {customerCompany: "Fanout Inc", country: "US", productLine: "NETWORKING"}) { id partner { id } } }',
        token=token,
    )
    assert lead["createLead"]["partner"]["id"] == partner["createPartner"]["id"]
    return token, lead["createLead"]["id"]


def _load() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


async def _wait(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as http:
        for _ in range(300):
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the hub did not start")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", default="100,1000,3000")
    parser.add_argument("--events", type=int, help="events per measure (default 20; 3 with --hold)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--hold", type=int, help="hold this many subscribers, with RSS")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--subscriber-processes", type=int, help="default 1; 2 with --hold")
    mode.add_argument("--in-process", action="store_true", help="subscribers in the driver")
    # A subscriber process: --subscribers is its share, and --url and --token where it goes.
    parser.add_argument("--role", choices=["driver", "subscribers"], default="driver")
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "subscribers":
        asyncio.run(serve_subscribers(args.url, args.token, int(args.subscribers)))
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
