"""The subscriber side of bench.fanout: WebSocket subscribers that stamp every message.

`Sockets` holds subscribers as coroutines of the calling process. `SubscriberProcesses` runs
them in child processes (`python -m bench.fanout --role subscribers`, i.e. `serve_subscribers`)
that speak JSON lines: `{"subscribed": n}` once all their sockets are subscribed,
`{"received": n}` as messages arrive (at most every 5 ms), and, after a line on stdin,
`{"latencies": {cursor: [ms, ...]}}` before they exit.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

ROOT = Path(__file__).resolve().parents[1]
SUBSCRIPTION = "subscription { leadEvents { cursor type occurredAt lead { id status customerCompany partner { name } } } }"
OPEN_BATCH = 100
# A child's last line carries all its latencies: far more than asyncio's 64 KiB line default.
REPORT_LIMIT = 1 << 26
# Descriptors a process keeps for itself besides its sockets (stdio, the loop, imports).
SPARE_FDS = 100

Latencies = dict[str, list[float]]  # milliseconds from occurredAt to receipt, per event cursor


class Subscribers(Protocol):
    pids: list[int]

    async def open(self, count: int) -> None: ...
    def received(self) -> int: ...
    async def close(self) -> Latencies: ...
    async def abort(self) -> None: ...


class Sockets:
    """Subscribers as coroutines of this process; every message stamped on receipt."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.pids = [os.getpid()]
        self.arrived = asyncio.Event()
        self._messages: list[tuple[float, str]] = []
        self._opened = 0
        self._tasks: list[asyncio.Task[None]] = []

    async def open(self, count: int) -> None:
        """Open `count` subscribers, a batch at a time, each batch subscribed before the next."""
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if count + SPARE_FDS > soft:
            raise SystemExit(f"{count} sockets exceed this process's fd limit of {soft}")
        for start in range(0, count, OPEN_BATCH):
            batch = min(OPEN_BATCH, count - start)
            self._tasks += [asyncio.create_task(self._subscribe()) for _ in range(batch)]
            while self._opened < start + batch:
                for task in self._tasks:
                    if task.done():
                        task.result()
                        raise RuntimeError("a subscriber was closed before it subscribed")
                await asyncio.sleep(0.01)

    def received(self) -> int:
        return len(self._messages)

    async def close(self) -> Latencies:
        await self.abort()
        return latencies_of(self._messages)

    async def abort(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _subscribe(self) -> None:
        async with connect(
            self.url,
            subprotocols=[Subprotocol("graphql-transport-ws")],
            max_queue=None,
            compression=None,
        ) as ws:
            init = {"type": "connection_init", "payload": {"authorization": f"Bearer {self.token}"}}
            await ws.send(json.dumps(init))
            await ws.recv()
            await ws.send(
                json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})
            )
            self._opened += 1
            await self._read(ws)

    async def _read(self, ws: ClientConnection) -> None:
        while True:
            try:
                message = await ws.recv()
            except Exception:
                return
            arrived = time.time()
            self._messages.append(
                (arrived, message if isinstance(message, str) else message.decode())
            )
            self.arrived.set()


class SubscriberProcesses:
    """Subscribers in child processes (`--role subscribers`) that report in JSON lines."""

    def __init__(self, url: str, token: str, processes: int) -> None:
        self.url, self.token, self.processes = url, token, processes
        self.pids: list[int] = []
        self._children: list[asyncio.subprocess.Process] = []
        self._counts: list[int] = []
        self._reports: list[asyncio.Task[Latencies]] = []

    async def open(self, count: int) -> None:
        """Start the children (no more than `count`) and wait until every one has subscribed."""
        processes = min(self.processes, count)
        shares = [count // processes + (n < count % processes) for n in range(processes)]
        subscribed: list[asyncio.Future[None]] = []
        for index, share in enumerate(shares):
            child = await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "bench.fanout", "--role", "subscribers"),
                *("--url", self.url, "--token", self.token, "--subscribers", str(share)),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                cwd=ROOT,
                limit=REPORT_LIMIT,
            )
            self._children.append(child)
            self.pids.append(child.pid)
            self._counts.append(0)
            subscribed.append(asyncio.get_running_loop().create_future())
            self._reports.append(asyncio.create_task(self._follow(index, subscribed[-1])))
        await asyncio.gather(*subscribed)

    def received(self) -> int:
        return sum(self._counts)

    async def close(self) -> Latencies:
        for child in self._children:
            assert child.stdin is not None
            child.stdin.write(b"stop\n")
            await child.stdin.drain()
        merged: Latencies = {}
        for part in await asyncio.gather(*self._reports):
            for cursor, values in part.items():
                merged.setdefault(cursor, []).extend(values)
        for child in self._children:
            await child.wait()
        return merged

    async def abort(self) -> None:
        for child in self._children:
            if child.returncode is None:
                child.kill()
                await child.wait()
        for report in self._reports:
            report.cancel()
        await asyncio.gather(*self._reports, return_exceptions=True)

    async def _follow(self, index: int, subscribed: asyncio.Future[None]) -> Latencies:
        child = self._children[index]
        assert child.stdout is not None
        async for line in child.stdout:
            report = json.loads(line)
            if "received" in report:
                self._counts[index] = report["received"]
            elif "subscribed" in report:
                subscribed.set_result(None)
            elif "latencies" in report:
                return dict(report["latencies"])
        failure = RuntimeError(f"subscriber process {child.pid} ended with {await child.wait()}")
        if not subscribed.done():
            subscribed.set_exception(failure)
        raise failure


async def serve_subscribers(url: str, token: str, count: int) -> None:
    """Hold `count` subscribers, report progress on stdout, send the latencies on a stop line."""
    raise_fd_limit()
    sockets = Sockets(url, token)
    await sockets.open(count)
    _emit({"subscribed": count})
    progress = asyncio.create_task(_report(sockets))
    await asyncio.to_thread(sys.stdin.readline)
    progress.cancel()
    _emit({"latencies": await sockets.close()})


async def _report(sockets: Sockets) -> None:
    while True:
        await sockets.arrived.wait()
        sockets.arrived.clear()
        _emit({"received": sockets.received()})
        await asyncio.sleep(0.005)


def _emit(report: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(report, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def latencies_of(messages: list[tuple[float, str]]) -> Latencies:
    by_event: Latencies = {}
    for arrived, text in messages:
        payload = json.loads(text)
        if payload.get("type") != "next":
            continue
        event = (payload["payload"].get("data") or {}).get("leadEvents")
        if event is None:
            raise RuntimeError(f"a next message without an event: {text[:300]}")
        occurred = datetime.fromisoformat(event["occurredAt"]).timestamp()
        by_event.setdefault(event["cursor"], []).append(round((arrived - occurred) * 1000, 3))
    return by_event


def raise_fd_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
