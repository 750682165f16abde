"""Stuck subscribers: hub memory over rounds of WebSockets that stop reading.

Starts `channelhub serve` on a fresh embedded database. Each round opens --sockets raw
WebSockets with a 4 KiB receive buffer that subscribe to leadEvents with a heavy selection
(the lead's notes under 10 aliases) and then read nothing, plus one healthy subscriber of
the same selection that reads everything; then it adds --notes notes of 10,000 characters to one lead over HTTP, so
every event carries all notes so far (a stuck socket is sent many megabytes). For each
round it prints how long after the last note the hub dropped each stuck socket, how the
socket ended (a 4429 close it could read, or a reset), whether the healthy subscriber got
every event, and the hub's resident memory (VmRSS) before the round, at its peak and 3 s
after it. There is no fixed target: quote the RSS per round, next to `--sockets 0` (the same
events and results with no stuck socket) as the control.

Run: .venv/bin/python -m bench.stuck_sockets [--rounds 3] [--sockets 3] [--notes 12] [--trim]
To tell the allocator's retention from a leak: with --trim the hub calls glibc's
malloc_trim(0) after each round (on SIGUSR1) and the RSS after it is printed too; memory a
leak holds is not given back by it. Fixed glibc thresholds, which return large freed blocks
to the system at once, are another check:
     MALLOC_MMAP_THRESHOLD_=131072 MALLOC_TRIM_THRESHOLD_=131072 .venv/bin/python -m bench.stuck_sockets
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect
from websockets.client import ClientProtocol
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

CHANNELHUB = Path(sys.executable).parent / "channelhub"
PASSWORD = "bench-password-1"
ALIASES = 10
SELECTION = " ".join(f"n{n}: lead {{ notes {{ body }} }}" for n in range(ALIASES))
HEAVY = f"subscription {{ leadEvents {{ cursor {SELECTION} }} }}"
NOTE = "mutation($id: ID!, $b: String!) { addLeadNote(id: $id, body: $b) { id } }"
TCP_ESTABLISHED = 1
DROP_TIMEOUT = 60.0
# `channelhub serve`, with glibc's malloc_trim(0) on SIGUSR1 (for --trim).
TRIMMABLE_SERVE = """
import ctypes, signal, sys
libc = ctypes.CDLL("libc.so.6")
signal.signal(signal.SIGUSR1, lambda *_: libc.malloc_trim(0))
from web.cli import main
main(sys.argv[1:])
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def gql(
    http: httpx.AsyncClient, query: str, token: str | None = None, **variables: Any
) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    body = (
        await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    ).json()
    if "errors" in body:
        raise RuntimeError(body["errors"])
    return body["data"]


class StuckSocket:
    """A subscribed WebSocket that reads nothing until `finish` (4 KiB receive buffer)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.protocol = ClientProtocol(
            parse_uri(f"ws://127.0.0.1:{port}/graphql"),
            subprotocols=[Subprotocol("graphql-transport-ws")],
        )
        self.dropped_after: float | None = None

    async def open(self, token: str) -> None:
        self.sock.connect(("127.0.0.1", self.port))
        self.sock.settimeout(10)
        self.protocol.send_request(self.protocol.connect())
        self._flush()
        while self.protocol.state.name != "OPEN":
            self.protocol.receive_data(self.sock.recv(65536))
        self._send({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        self.protocol.receive_data(self.sock.recv(65536))  # connection_ack
        self.protocol.events_received()
        self._send({"id": "1", "type": "subscribe", "payload": {"query": HEAVY}})

    def server_gone(self) -> bool:
        """The server reset or closed the connection (read without reading: TCP_INFO)."""
        state = self.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]
        return bool(state != TCP_ESTABLISHED)

    def finish(self) -> str:
        """Read what is left: how the connection ended."""
        self.sock.settimeout(2)
        try:
            while data := self.sock.recv(1 << 20):
                self.protocol.receive_data(data)
                self.protocol.events_received()
                if self.protocol.close_rcvd is not None:
                    return f"close {self.protocol.close_rcvd.code}"
        except ConnectionResetError:
            return "reset"
        except TimeoutError:
            return "still open"
        finally:
            self.sock.close()
        return "eof"

    def _send(self, message: dict[str, Any]) -> None:
        self.protocol.send_text(json.dumps(message).encode())
        self._flush()

    def _flush(self) -> None:
        self.sock.sendall(b"".join(self.protocol.data_to_send()))


async def healthy(url: str, token: str, received: list[str], ready: asyncio.Event) -> None:
    async with connect(
        url, subprotocols=[Subprotocol("graphql-transport-ws")], max_size=None
    ) as ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        await ws.recv()
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": HEAVY}}))
        ready.set()
        async for message in ws:
            if json.loads(message).get("type") == "next":
                received.append(str(message))


async def one_round(
    http: httpx.AsyncClient, port: int, pid: int, token: str, lead: str, args: argparse.Namespace
) -> str:
    before = rss_mb(pid)
    stuck = [StuckSocket(port) for _ in range(args.sockets)]
    for client in stuck:
        await client.open(token)
    received: list[str] = []
    ready = asyncio.Event()
    reader = asyncio.create_task(healthy(f"ws://127.0.0.1:{port}/graphql", token, received, ready))
    await ready.wait()
    await asyncio.sleep(0.5)
    peak = before
    for n in range(args.notes):
        await gql(http, NOTE, token, id=lead, b=f"{n:05} " + "x" * 9_994)
        peak = max(peak, rss_mb(pid))
    posted = time.monotonic()
    while any(c.dropped_after is None for c in stuck) and time.monotonic() - posted < DROP_TIMEOUT:
        for client in stuck:
            if client.dropped_after is None and client.server_gone():
                client.dropped_after = time.monotonic() - posted
        peak = max(peak, rss_mb(pid))
        await asyncio.sleep(0.05)
    endings = [client.finish() for client in stuck]
    await asyncio.sleep(1.0)
    reader.cancel()
    await asyncio.gather(reader, return_exceptions=True)
    await asyncio.sleep(2.0)
    drops = ", ".join(
        "never" if c.dropped_after is None else f"{c.dropped_after:.1f} s" for c in stuck
    )
    after = f"3 s after {rss_mb(pid):6.1f} MB"
    if args.trim:
        os.kill(pid, signal.SIGUSR1)
        await asyncio.sleep(1.0)
        after += f", after malloc_trim {rss_mb(pid):6.1f} MB"
    return (
        f"RSS before {before:6.1f} MB, peak {peak:6.1f} MB, {after}; "
        f"stuck sockets dropped after {drops} ({', '.join(endings)}); "
        f"healthy subscriber got {len(received)}/{args.notes} events"
    )


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        env = {key: value for key, value in os.environ.items() if not key.startswith("CHANNELHUB_")}
        env.update(CHANNELHUB_VAR_DIR=f"{folder}/var", CHANNELHUB_ENV="production")
        admin = ["create-admin", "--email", "bench@vendor.example", "--password", PASSWORD]
        subprocess.run([str(CHANNELHUB), *admin], env=env, check=True, capture_output=True)
        port = free_port()
        serve = ["serve", "--port", str(port), "--no-demo"]
        command = [sys.executable, "-c", TRIMMABLE_SERVE] if args.trim else [str(CHANNELHUB)]
        server = subprocess.Popen(
            [*command, *serve],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
                token, lead = await prepare(http)
                print(f"hub RSS after start: {rss_mb(server.pid):.1f} MB")
                for number in range(1, args.rounds + 1):
                    print(
                        f"round {number}: {await one_round(http, port, server.pid, token, lead, args)}",
                        flush=True,
                    )
                    # The next round's notes start from none: frames stay the same size.
                    lead = await new_lead(http, token)
        finally:
            server.terminate()
            server.wait(timeout=20)


async def prepare(http: httpx.AsyncClient) -> tuple[str, str]:
    for _ in range(300):
        try:
            if (await http.get("/healthz")).status_code == 200:
                break
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    login = (
        f'mutation {{ login(email: "bench@vendor.example", password: "{PASSWORD}") {{ token }} }}'
    )
    token: str = (await gql(http, login))["login"]["token"]
    line = (
        'mutation { createProductLine(input: {code: "NETWORKING", name: "Networking"}) { code } }'
    )
    await gql(http, line, token)
    return token, await new_lead(http, token)


async def new_lead(http: httpx.AsyncClient, token: str) -> str:
    create = 'mutation { createLead(input: {customerCompany: "Stuck Inc", country: "US", productLine: "NETWORKING"}) { id } }'
    lead: str = (await gql(http, create, token))["createLead"]["id"]
    return lead


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sockets", type=int, default=3)
    parser.add_argument("--notes", type=int, default=12)
    parser.add_argument("--trim", action="store_true", help="malloc_trim(0) after each round")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
