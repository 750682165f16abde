"""Fan-out latency of leadEvents: commit to receipt for 100, 1,000 and 3,000 subscribers.

Starts `channelhub serve` on a fresh embedded database, opens N WebSocket subscribers
(graphql-transport-ws) in this process, triggers lead events over HTTP, and measures for
every delivered message the time from the event's occurredAt (stamped before commit) to
its arrival. Target: p99 <= 100 ms at 1,000 subscribers on one hub process.

Run: .venv/bin/python -m bench.fanout [--subscribers 100,1000,3000] [--events 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

CHANNELHUB = Path(sys.executable).parent / "channelhub"
SUBSCRIPTION = "subscription { leadEvents { cursor type occurredAt lead { id status customerCompany partner { name } } } }"
PASSWORD = "bench-password-1"


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


async def subscriber(
    url: str, token: str, ready: asyncio.Event, received: list[tuple[float, str]], opened: list[int]
) -> None:
    async with connect(
        url, subprotocols=["graphql-transport-ws"], max_queue=None, compression=None
    ) as ws:  # type: ignore[list-item]
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        await ws.recv()
        await ws.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})
        )
        opened.append(1)
        await _read(ws, ready, received)


async def _read(
    ws: ClientConnection, ready: asyncio.Event, received: list[tuple[float, str]]
) -> None:
    while True:
        try:
            message = await ws.recv()
        except Exception:
            return
        received.append((time.time(), message if isinstance(message, str) else message.decode()))


async def measure(
    base: str, ws_url: str, token: str, lead_id: str, count: int, events: int
) -> list[float]:
    received: list[tuple[float, str]] = []
    opened: list[int] = []
    ready = asyncio.Event()
    tasks = []
    for start in range(0, count, 100):
        tasks += [
            asyncio.create_task(subscriber(ws_url, token, ready, received, opened))
            for _ in range(min(100, count - start))
        ]
        while len(opened) < start + min(100, count - start):
            await asyncio.sleep(0.01)
    await asyncio.sleep(1.0)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for n in range(events):
            await gql(
                http,
                "mutation($id: ID!, $b: String!) { addLeadNote(id: $id, body: $b) { id } }",
                {"id": lead_id, "b": f"note {n}"},
                token,
            )
            deadline = time.monotonic() + 10
            while len(received) < count * (n + 1) and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            await asyncio.sleep(0.05)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies = []
    by_event: dict[str, list[float]] = {}
    for arrived, text in received:
        payload = json.loads(text)
        if payload.get("type") != "next":
            continue
        event = payload["payload"]["data"]["leadEvents"]
        latency = (arrived - datetime.fromisoformat(event["occurredAt"]).timestamp()) * 1000
        latencies.append(latency)
        by_event.setdefault(event["cursor"], []).append(latency)
    if os.environ.get("FANOUT_DETAIL"):
        for cursor, values in by_event.items():
            print(f"  event {cursor}: first {min(values):.1f} ms, last {max(values):.1f} ms")
    missing = count * events - len(latencies)
    if missing:
        print(f"  warning: {missing} of {count * events} messages did not arrive within 10 s")
    return latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def run(counts: list[int], events: int) -> None:
    _raise_fd_limit()
    with tempfile.TemporaryDirectory() as folder:
        env = {key: value for key, value in os.environ.items() if not key.startswith("CHANNELHUB_")}
        env.update(
            CHANNELHUB_VAR_DIR=f"{folder}/var",
            CHANNELHUB_ENV="production",
            CHANNELHUB_EVENT_QUEUE_SIZE="1000",
        )
        subprocess.run(
            [
                str(CHANNELHUB),
                "create-admin",
                "--email",
                "bench@vendor.example",
                "--password",
                PASSWORD,
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        port = free_port()
        server = subprocess.Popen(
            [str(CHANNELHUB), "serve", "--port", str(port), "--no-demo"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_raise_fd_limit,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            await _wait(base)
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                token, lead_id = await prepare(http)
            for count in counts:
                latencies = await measure(
                    base, f"ws://127.0.0.1:{port}/graphql", token, lead_id, count, events
                )
                print(
                    f"fan-out {count:5} subscribers x {events} events: p50 {statistics.median(latencies):6.1f} ms, "
                    f"p99 {percentile(latencies, 0.99):6.1f} ms, max {max(latencies):6.1f} ms ({len(latencies)} messages)"
                )
        finally:
            server.terminate()
            server.wait(timeout=20)


def _raise_fd_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))


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
    parser.add_argument("--events", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run([int(count) for count in args.subscribers.split(",")], args.events))


if __name__ == "__main__":
    main()
