"""Message latency in a 50-member conversation at 200 messages/s: send to receipt, per member.

Runs in production shape on the PostgreSQL and Redis of the test services: creates a fresh
`channelhub_bench` database, migrates it, creates the vendor admin and starts `channelhub
serve` (one process, or --processes N on N ports sharing the database and Redis, with the
members' sockets and the senders split between them). Vendor staff and partner users are
made through the API (inviteUser, acceptInvite, login), and the admin starts one conversation
with all members. Every member opens one WebSocket (graphql-transport-ws) subscribed to
`messageEvents(conversationId)`; four members send `sendMessage` over HTTP on a fixed
schedule (message i is due at t0 + i/rate, at most 64 requests in flight, never waiting for
a response before the next send). Latency is the time from the start of a send request to
the MESSAGE_SENT frame arriving on a member's socket, for every member (senders receive
their own messages too). Prints p50/p95/p99/max over all deliveries, the send requests'
latency, the achieved send rate, lost and duplicate deliveries (both must be 0), and the
CPU (in cores) that the hub, PostgreSQL and this client used during the load. There is no
fixed target: quote p50 and p99.

Run: python3 scripts/services.py -- .venv/bin/python -m bench.messaging \
         [--rate 200] [--seconds 10] [--members 50] [--processes 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]
import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

CHANNELHUB = Path(sys.executable).parent / "channelhub"
DATABASE = "channelhub_bench"
ADMIN_EMAIL = "bench@vendor.example"
PASSWORD = "bench-password-1"
PARTNERS = 7
SENDERS = 4
IN_FLIGHT = 64
SETTLE_SECONDS = 5.0  # after the load: give up once nothing has arrived for this long
SUBSCRIPTION = """subscription($c: ID!) { messageEvents(conversationId: $c) {
  type conversationId seq message { id body clientMessageId } } }"""
SEND = """mutation($c: ID!, $body: String!, $cid: String!) {
  sendMessage(conversationId: $c, body: $body, clientMessageId: $cid) { id } }"""
INVITE = """mutation($org: ID!, $email: String!, $name: String!, $role: Role!) {
  inviteUser(organizationId: $org, email: $email, name: $name, role: $role) { token } }"""
ACCEPT = "mutation($t: String!, $p: String!) { acceptInvite(token: $t, password: $p) { id } }"
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token user { id organization { id } } } }"
PARTNER = """mutation($name: String!) { createPartner(input: {name: $name, type: RESELLER,
  country: "US", status: ACTIVE, territories: [{name: "US", countries: ["US"]}]}) { id } }"""
START = """mutation($users: [ID!]!) {
  startConversation(input: {subject: "Bench", userIds: $users}) { id } }"""


@dataclass
class Person:
    email: str
    user_id: str
    token: str


@dataclass
class Inbox:
    """Frames one member's socket received, each with its arrival time (perf_counter)."""

    frames: list[tuple[float, str]] = field(default_factory=list)
    closed: str | None = None


@dataclass
class Sent:
    started: dict[str, float] = field(default_factory=dict)
    durations: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    author: dict[str, int] = field(default_factory=dict)  # message -> its sender's inbox
    done: set[str] = field(default_factory=set)  # messages the hub accepted
    max_lag: float = 0.0
    elapsed: float = 0.0


# Services, database and hub processes


def service_urls() -> tuple[str, str]:
    """The test services' PostgreSQL and Redis (scripts/services.py exports them)."""
    try:
        return os.environ["CHANNELHUB_TEST_DATABASE_URL"], os.environ["CHANNELHUB_TEST_REDIS_URL"]
    except KeyError as missing:
        raise SystemExit(
            f"bench.messaging: {missing.args[0]} is not set; run it under the test services: "
            "python3 scripts/services.py -- .venv/bin/python -m bench.messaging"
        ) from None


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@contextlib.asynccontextmanager
async def bench_database(test_url: str, name: str = DATABASE) -> AsyncIterator[str]:
    """A fresh database next to the test one (the test suite's own is left alone)."""
    admin_url = test_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    await _admin_sql(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await _admin_sql(admin_url, f"CREATE DATABASE {name}")
    try:
        yield with_database(test_url, name)
    finally:
        await _admin_sql(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def _admin_sql(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def hub_env(database_url: str, redis_url: str, folder: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHANNELHUB_")}
    env.update(
        CHANNELHUB_ENV="production",
        CHANNELHUB_VAR_DIR=f"{folder}/var",
        CHANNELHUB_DATABASE_URL=database_url,
        CHANNELHUB_BROADCAST_URL=redis_url,
        CHANNELHUB_JWT_SECRET="bench-messaging-jwt-secret-" + "x" * 24,
    )
    return env


def channelhub(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([str(CHANNELHUB), *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"channelhub {args[0]} failed: {done.stderr.strip() or done.stdout}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class HubProcess:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    async def wait_ready(self) -> None:
        async with httpx.AsyncClient(base_url=self.base) as http:
            for _ in range(600):
                if self.process.poll() is not None:
                    raise RuntimeError(f"channelhub serve exited: {self.tail()}")
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/healthz")).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        raise RuntimeError(f"channelhub serve did not answer /healthz in 60 s: {self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:]


@contextlib.contextmanager
def hub_processes(env: dict[str, str], count: int, folder: str) -> Iterator[list[HubProcess]]:
    """Start `count` serve processes; they are stopped however the bench ends."""
    hubs: list[HubProcess] = []
    try:
        for n in range(count):
            port, log = free_port(), Path(folder) / f"serve-{n}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [str(CHANNELHUB), "serve", "--port", str(port), "--no-demo"],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            hubs.append(HubProcess(process, port, log))
        yield hubs
    finally:
        for hub in hubs:
            hub.stop()


# CPU accounting (Linux /proc), to tell where the time goes


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """CPU time (user + system) used so far by each of the processes."""
    used = {}
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            used[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


def postgres_pids() -> list[int]:
    """The postmaster of the test services and its children (backends, WAL writer...)."""
    data = os.environ.get("CHANNELHUB_TEST_PG_DATA")
    if not data:
        return []
    try:
        root = int(Path(data, "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return []
    return [root, *(pid for pid in _pids() if _parent(pid) == root)]


def _pids() -> list[int]:
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


# People and the conversation, through the public API


async def gql(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str | None = None
) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    try:
        body = response.json()
    except ValueError:
        body = {"errors": response.text[:300]}
    if response.status_code != 200 or "errors" in body:
        raise RuntimeError(f"GraphQL call failed ({response.status_code}): {body}")
    return body["data"]


async def login(http: httpx.AsyncClient, email: str) -> tuple[Person, str]:
    """Log in; return the person and their organization's id."""
    found = (await gql(http, LOGIN, {"e": email, "p": PASSWORD}))["login"]
    person = Person(email, found["user"]["id"], found["token"])
    return person, found["user"]["organization"]["id"]


async def make_people(http: httpx.AsyncClient, members: int) -> list[Person]:
    """The admin, vendor staff and partner users: `members` people in all, in that order."""
    admin, vendor_id = await login(http, ADMIN_EMAIL)
    partners = [await create_partner(http, admin.token, n) for n in range(PARTNERS)]
    staff = max(1, members // 8)  # about one in eight members is vendor staff
    places = [(vendor_id, "CHANNEL_MANAGER")] * (staff - 1) + [
        (partners[n % PARTNERS], "PARTNER_USER") for n in range(members - staff)
    ]
    # A few at a time: each invitation and login hashes a password (argon2) in the hub.
    gate = asyncio.Semaphore(4)

    async def join(n: int, organization: str, role: str) -> Person:
        async with gate:
            return await invite(http, admin.token, organization, role, f"member{n}@bench.example")

    return [admin, *await asyncio.gather(*(join(n, *p) for n, p in enumerate(places)))]


async def create_partner(http: httpx.AsyncClient, admin_token: str, n: int) -> str:
    created = await gql(http, PARTNER, {"name": f"Bench Partner {n}"}, admin_token)
    return str(created["createPartner"]["id"])


async def invite(
    http: httpx.AsyncClient, admin_token: str, organization: str, role: str, email: str
) -> Person:
    variables = {"org": organization, "email": email, "name": email.split("@")[0], "role": role}
    token = (await gql(http, INVITE, variables, admin_token))["inviteUser"]["token"]
    await gql(http, ACCEPT, {"t": token, "p": PASSWORD})
    return (await login(http, email))[0]


async def start_conversation(http: httpx.AsyncClient, people: list[Person]) -> str:
    users = [person.user_id for person in people[1:]]
    started = await gql(http, START, {"users": users}, people[0].token)
    return str(started["startConversation"]["id"])


# Subscribers


async def subscribe(url: str, person: Person, conversation: str, inbox: Inbox) -> None:
    """One member's socket: record every frame with its arrival time until it closes."""
    try:
        async with connect(
            url,
            subprotocols=[Subprotocol("graphql-transport-ws")],
            max_queue=None,
            compression=None,
        ) as ws:
            await _open(ws, person, conversation)
            async for frame in ws:
                inbox.frames.append((time.perf_counter(), str(frame)))
            inbox.closed = f"closed by the hub ({ws.close_code})"
    except Exception as error:
        inbox.closed = f"{type(error).__name__}: {error}"


async def _open(ws: ClientConnection, person: Person, conversation: str) -> None:
    init = {"type": "connection_init", "payload": {"authorization": f"Bearer {person.token}"}}
    await ws.send(json.dumps(init))
    ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
    if ack.get("type") != "connection_ack":
        raise RuntimeError(f"no connection_ack for {person.email}: {ack}")
    payload = {"query": SUBSCRIPTION, "variables": {"c": conversation}}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))


async def settle(client: httpx.AsyncClient, conversation: str, inboxes: list[Inbox]) -> None:
    """Send warm-up messages until one reaches every socket: all subscriptions are live.

    graphql-transport-ws does not acknowledge a subscribe, so this is the only way to know.
    """
    for attempt in range(20):
        variables = {"c": conversation, "body": "warm-up", "cid": f"warm-up-{attempt}"}
        await gql(client, SEND, variables)
        if await _reached_all(inboxes, seconds=2.0):
            await asyncio.sleep(0.5)  # let the other warm-ups land before the reset
            for inbox in inboxes:
                inbox.frames.clear()
            return
    raise RuntimeError("the subscriptions did not all go live in 20 attempts")


async def _reached_all(inboxes: list[Inbox], *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        closed = [inbox.closed for inbox in inboxes if inbox.closed]
        if closed:
            raise RuntimeError(f"{len(closed)} subscriber sockets failed, e.g. {closed[0]}")
        if all(inbox.frames for inbox in inboxes):
            return True
        await asyncio.sleep(0.05)
    return False


# The load


async def send_load(
    senders: list[tuple[httpx.AsyncClient, int]], conversation: str, rate: float, total: int
) -> Sent:
    """Start message i at t0 + i/rate, without waiting for earlier responses.

    `senders` are (client logged in as the sender, index of the sender's own inbox).
    """
    sent, gate, tasks = Sent(), asyncio.Semaphore(IN_FLIGHT), []
    t0 = time.perf_counter()
    for i in range(total):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await gate.acquire()  # past the bound, sends start late: max_lag shows it
        sent.max_lag = max(sent.max_lag, time.perf_counter() - (t0 + i / rate))
        client, sent.author[f"m-{i}"] = senders[i % len(senders)]
        tasks.append(asyncio.create_task(_send(client, conversation, f"m-{i}", sent, gate)))
    await asyncio.gather(*tasks)
    sent.elapsed = time.perf_counter() - t0
    return sent


async def _send(
    client: httpx.AsyncClient, conversation: str, cid: str, sent: Sent, gate: asyncio.Semaphore
) -> None:
    started = sent.started[cid] = time.perf_counter()
    try:
        await gql(client, SEND, {"c": conversation, "body": f"bench {cid}", "cid": cid})
        sent.durations.append(time.perf_counter() - started)
        sent.done.add(cid)
    except Exception as error:
        sent.errors.append(f"{type(error).__name__}: {error}")
    finally:
        gate.release()


async def wait_for_deliveries(inboxes: list[Inbox], total: int) -> None:
    """Until every socket has `total` frames, or nothing has arrived for SETTLE_SECONDS."""
    seen, quiet_since = -1, time.monotonic()
    while time.monotonic() - quiet_since < SETTLE_SECONDS:
        counts = [len(inbox.frames) for inbox in inboxes]
        if min(counts) >= total:
            await asyncio.sleep(0.5)  # a duplicate would come right behind
            return
        if sum(counts) != seen:
            seen, quiet_since = sum(counts), time.monotonic()
        await asyncio.sleep(0.05)


# Figures


@dataclass
class Deliveries:
    latencies: list[float] = field(default_factory=list)
    lost: int = 0
    lossy_sockets: int = 0
    duplicates: int = 0
    own: int = 0  # deliveries to the sender's own socket
    other: Counter[str] = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)


def tally(inboxes: list[Inbox], sent: Sent) -> Deliveries:
    found, started = Deliveries(), sent.started
    for n, inbox in enumerate(inboxes):
        per_message: Counter[str] = Counter()
        for arrived, text in inbox.frames:
            cid = _message_id(text, found)
            if cid in started:
                per_message[cid] += 1
                found.latencies.append(arrived - started[cid])
                found.own += sent.author[cid] == n
        missing = sum(1 for cid in sent.done if cid not in per_message)
        found.lost += missing
        found.lossy_sockets += missing > 0
        found.duplicates += sum(count - 1 for count in per_message.values())
    return found


def _message_id(text: str, found: Deliveries) -> str | None:
    """The clientMessageId of a MESSAGE_SENT frame; anything else is counted in `other`."""
    frame = json.loads(text)
    event = (frame.get("payload") or {}).get("data", {}) if frame.get("type") == "next" else {}
    event = (event or {}).get("messageEvents") or {}
    if event.get("type") != "MESSAGE_SENT":
        kind = f"{frame.get('type')} {event.get('type', '')}".strip()
        found.other[kind] += 1
        found.samples.setdefault(kind, text[:300])
        return None
    cid = (event.get("message") or {}).get("clientMessageId")
    return str(cid) if cid is not None else None


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def ms(values: list[float], fraction: float) -> str:
    return f"{percentile(values, fraction) * 1000:7.1f} ms" if values else "    n/a"


def report(
    inboxes: list[Inbox], sent: Sent, total: int, cpu: dict[str, float], seconds: float
) -> None:
    found = tally(inboxes, sent)
    latencies, durations = sorted(found.latencies), sorted(sent.durations)
    print(
        f"delivery latency: p50 {ms(latencies, 0.5)}, p95 {ms(latencies, 0.95)}, "
        f"p99 {ms(latencies, 0.99)}, max {ms(latencies, 1.0)} "
        f"({len(latencies)} of {total * len(inboxes)} deliveries, {found.own} of them to the "
        "sender's own socket)"
    )
    print(
        f"sent {len(durations)} of {total} messages in {sent.elapsed:.1f} s "
        f"({len(durations) / sent.elapsed:.1f} messages/s); send request p50 "
        f"{ms(durations, 0.5)}, p99 {ms(durations, 0.99)}; latest start "
        f"{sent.max_lag * 1000:.0f} ms behind schedule"
    )
    print(
        f"lost deliveries: {found.lost} (on {found.lossy_sockets} of {len(inboxes)} sockets), "
        f"duplicate deliveries: {found.duplicates}"
    )
    print(
        "CPU during the load: " + ", ".join(f"{k} {v / seconds:.2f} cores" for k, v in cpu.items())
    )
    problems = [f"{len(sent.errors)} failed sends (first: {sent.errors[0]})"] if sent.errors else []
    problems += [
        f"{count} other frames ({kind}), e.g. {found.samples[kind]}"
        for kind, count in found.other.items()
    ]
    problems += sorted({f"socket {inbox.closed}" for inbox in inboxes if inbox.closed})
    for problem in problems:
        print(f"  warning: {problem}")


# The run


async def run(args: argparse.Namespace, test_url: str, redis_url: str) -> None:
    total = round(args.rate * args.seconds)
    with tempfile.TemporaryDirectory() as folder:
        async with bench_database(test_url) as database_url:
            env = hub_env(database_url, redis_url, folder)
            channelhub(env, "migrate")
            channelhub(env, "create-admin", "--email", ADMIN_EMAIL, "--password", PASSWORD)
            with hub_processes(env, args.processes, folder) as hubs:
                await asyncio.gather(*(hub.wait_ready() for hub in hubs))
                await measure(hubs, args.members, args.rate, total)


async def measure(hubs: list[HubProcess], members: int, rate: float, total: int) -> None:
    async with httpx.AsyncClient(base_url=hubs[0].base, timeout=60) as http:
        people = await make_people(http, members)
        conversation = await start_conversation(http, people)
    inboxes = [Inbox() for _ in people]
    readers = [
        asyncio.create_task(subscribe(hubs[n % len(hubs)].ws_url, person, conversation, inbox))
        for n, (person, inbox) in enumerate(zip(people, inboxes, strict=True))
    ]
    # Senders spread over the organizations (the admin and partner users) and the processes.
    chosen = range(0, len(people), max(1, len(people) // SENDERS))[:SENDERS]
    senders = [(client(hubs[k % len(hubs)], people[n]), n) for k, n in enumerate(chosen)]
    try:
        await settle(senders[0][0], conversation, inboxes)
        await load_and_report(hubs, senders, conversation, inboxes, rate, total)
    finally:
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        for sender, _ in senders:
            await sender.aclose()


def client(hub: HubProcess, person: Person) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    return httpx.AsyncClient(
        base_url=hub.base,
        headers={"authorization": f"Bearer {person.token}"},
        limits=limits,
        timeout=60,
    )


async def load_and_report(
    hubs: list[HubProcess],
    senders: list[tuple[httpx.AsyncClient, int]],
    conversation: str,
    inboxes: list[Inbox],
    rate: float,
    total: int,
) -> None:
    # PostgreSQL forks a backend per new connection: list its processes again at the end.
    groups: dict[str, Callable[[], list[int]]] = {
        "hub": lambda: [hub.process.pid for hub in hubs],
        "PostgreSQL": postgres_pids,
        "bench client": lambda: [os.getpid()],
    }
    before = {name: cpu_seconds(pids()) for name, pids in groups.items()}
    started = time.perf_counter()
    sent = await send_load(senders, conversation, rate, total)
    await wait_for_deliveries(inboxes, total)
    seconds = time.perf_counter() - started
    cpu: dict[str, float] = {}
    for name, pids in groups.items():
        after = cpu_seconds(pids())
        cpu[name] = sum(used - before[name].get(pid, 0.0) for pid, used in after.items())
    report(inboxes, sent, total, cpu, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=200.0, help="messages per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of the load")
    parser.add_argument("--members", type=int, default=50, help="conversation members")
    parser.add_argument("--processes", type=int, default=1, help="channelhub serve processes")
    args = parser.parse_args()
    if args.members < SENDERS or args.processes < 1 or args.rate <= 0 or args.seconds <= 0:
        parser.error(f"--members must be at least {SENDERS}; the others positive")
    test_url, redis_url = service_urls()
    print(
        f"machine: {os.cpu_count()} cores; hub: {args.processes} serve process(es) on PostgreSQL "
        f"+ Redis; {args.members} members, {SENDERS} senders; {args.rate:g} messages/s for "
        f"{args.seconds:g} s"
    )
    run_client(run(args, test_url, redis_url))


def run_client(main: Coroutine[Any, Any, None]) -> None:
    """Run a bench client; on uvloop when installed, which leaves more of the machine's CPU
    share for the servers measured."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)


if __name__ == "__main__":
    main()
