"""A partner's home screen on ChannelHub against a hand-written anchor and plain strawberry.

Runs in production shape on the PostgreSQL and Redis of the test services: creates a fresh
`channelhub_bench_portal` database, migrates it, creates the vendor admin, and seeds it with
asyncpg's COPY: 2,000 partners (one DISTRIBUTOR with 40 sub-resellers), 50,000 leads (a fifth
of them with the distributor's channel), 20,000 orders with 50,000 lines, 5,000 conversations
with 50,000 messages. The distributor's partner admin is made through the API (inviteUser,
acceptInvite, login) and takes part in 40 conversations, some with unread messages.

Three servers answer the documents, all up for the whole run:
- the hub: one `channelhub serve` process (production settings);
- the anchor: a Starlette + asyncpg endpoint in this module (`--anchor PORT`, uvicorn, one
  process, like serve), that checks the token as hub/identity.py does (signature, issuer
  and claims, then the user, revocation and partner status in one statement), applies the
  hub's visibility rules and orderings, reads over one pooled connection per request and
  serialises as web/graphql_http.py does;
- plain strawberry, for the partners list only (`--strawberry PORT`, uvicorn, one process): a
  minimal strawberry-graphql schema (`Query.partners(first: Int)` returning a Relay-shaped
  connection, strawberry enums for tier and type) served by strawberry.asgi.GraphQL with the
  ParserCache and ValidationCache extensions; the anchor's token check and statement over
  one pooled connection per request, the hub's JSON encoding (no spaces, no \\u escapes).

Documents: the home page as the distributor's partner admin (me with organization and tier,
20 leads with partner names, 20 orders with totals and lines, 10 conversations with unread
counts and last messages), and a smaller one, `partners(first: 50)` as the vendor admin.
Before measuring, each answer is fetched from every server and must be byte-identical to the
hub's (else the script prints a diff and exits 1); every measured response is checked too.

Each round runs, per document, each of its servers (the order rotates each round) for
--seconds at --concurrency requests in flight, on keep-alive connections from a minimal
HTTP/1.1 client (it costs the shared CPUs less than httpx would). Per run: requests/s, p50
and p99 latency, CPU per request of the server process, of PostgreSQL (postmaster and its
children) and of this client, from /proc, in microseconds. Statements per request are the
rise of pg_stat_database's transaction count over sequential requests, less the idle rate
(each autocommit statement is one; statistics reach the view up to 10 s late, hence the
pauses). A token signed with another secret must be refused alike (401). The summary
gives each metric's median and the hub/anchor ratio per round (min and median), and for the
partners list the hub/plain strawberry ratio of requests/s and server CPU per request: above
1 for latency and CPU, below 1 for requests/s, is what the hub costs beyond the other.

Run: python3 scripts/services.py -- .venv/bin/python -m bench.portal \
         [--rounds 5] [--seconds 8] [--concurrency 8] [--no-statements]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import difflib
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
import jwt
import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.types import Info

from bench.messaging import (
    ADMIN_EMAIL,
    PASSWORD,
    HubProcess,
    bench_database,
    channelhub,
    cpu_seconds,
    free_port,
    hub_env,
    hub_processes,
    invite,
    login,
    percentile,
    postgres_pids,
    run_client,
    service_urls,
)

DATABASE = "channelhub_bench_portal"
ROOT = Path(__file__).resolve().parents[1]
HOME_EMAIL = "admin@northwind.bench.example"
PARTNERS, SUB_RESELLERS, VENDOR_STAFF = 2_000, 40, 8
LEADS, CHANNEL_LEADS = 50_000, 10_000
ORDERS, CHANNEL_ORDERS, ORDER_LINES = 20_000, 3_000, 50_000
CONVERSATIONS, MESSAGES, HOME_CONVERSATIONS = 5_000, 50_000, 40
STATEMENT_REQUESTS = 200
STATS_FLUSH_SECONDS = 11.0  # PostgreSQL 15 backends report statistics within 10 s of idling
MEDIA = "application/graphql-response+json"

HOME = """{ me { name organization { name partner { name tier } } }
  leads(first: 20) { edges { node { customerCompany status productLine partner { name } } } }
  orders(first: 20) { edges { node { status total { amountMinor currency } lines { sku quantity } } } }
  conversations(first: 10) { edges { node { unreadCount lastMessage { body } } } } }"""
PARTNER_LIST = "{ partners(first: 50) { edges { node { name tier type country } } } }"

# Seeding: asyncpg COPY straight into the migrated schema


LINES = ["NETWORKING", "SECURITY", "STORAGE", "CLOUD", "SERVERS", "WIRELESS", "COLLABORATION"]
COUNTRIES = ["US", "DE", "FR", "GB", "NL", "BR", "JP", "AU", "CA", "SE", "ES", "IT"]
NAME_HEADS = [
    "Acme", "Blue Ridge", "Cobalt", "Delta", "Élan", "Fjord", "Großmann", "Helix", "Île Verte",
    "Juniper", "Kestrel", "Lumen", "Müller", "Nordic", "Orbit", "Pioneer", "Quartz",
    "Riverside", "São Paulo", "Tundra", "Umbra", "Vertex", "Wattle", "Xenon", "Yarrow",
    "Zenith", "acme labs", "O'Neill",
]  # fmt: skip
NAME_TAILS = ["Systems", "Networks", "IT", "Solutions", "Integration", "Technologies", "Partners"]
COMPANIES = [
    "Åkesson Bygg", "Nguyễn Logistics", "Zürich Versicherung", "Brightwater Foods",
    "\"Quoted\" Retail", "Kōbe Steelworks", "Lindqvist & Söner", "Harbor Health",
    "Estrela Telecom", "Maple Grove Schools", "Rhein Chemie", "Oakridge Bank",
]  # fmt: skip
BODIES = [
    "Can you confirm the **Q3** pricing?",
    "Merci, c'est noté ✅",
    "Lieferung nächste Woche, Tracking folgt.",
    "🚚 shipped from Amsterdam",
    "Quote attached.\nLet me know if the discount works.",
    'The customer asked for "next-day" delivery.',
    "Thanks — we'll register the deal today.",
]
PARTNER_STATUSES = ["ACTIVE"] * 17 + ["ONBOARDING", "SUSPENDED", "TERMINATED"]
TIERS = ["REGISTERED"] * 5 + ["SILVER"] * 3 + ["GOLD"] * 2 + ["PLATINUM"]
TYPES = ["RESELLER"] * 5 + ["VAR", "VAR", "MSP", "MSP", "REFERRAL", "SYSTEM_INTEGRATOR"]
LEAD_STATUSES = ["OFFERED"] * 2 + ["ACCEPTED", "CONTACTED"] * 4 + ["QUALIFIED", "WON"] * 3 + ["LOST"] * 2  # fmt: skip
ORDER_STATUSES = ["SUBMITTED", "CONFIRMED", "ALLOCATED", "SHIPPED", "DELIVERED"] * 3 + ["CANCELLED", "RETURNED"]  # fmt: skip


@dataclass
class World:
    vendor_id: str
    staff: list[str]  # vendor staff user ids, the admin first
    distributor: str
    channel: list[str]  # the distributor and its sub-resellers
    others: list[str]  # every other partner
    user_of: dict[str, str]  # partner id -> its seeded user
    colleague: str  # a second user of the distributor
    products: list[tuple[str, str, int]] = field(default_factory=list)  # id, sku, unit price


class Seeder:
    """Rows for the bench's data set, deterministic for a seed, written with COPY."""

    def __init__(self, connection: asyncpg.Connection, seed: int = 7) -> None:
        self.db = connection
        self.rng = random.Random(seed)
        self.now = datetime.now(UTC)

    def new_id(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def before(self, days: float) -> datetime:
        """A moment in the last `days` days, to the microsecond."""
        return self.now - timedelta(seconds=self.rng.uniform(60, days * 86_400))

    async def copy(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        await self.db.copy_records_to_table(table, records=rows, columns=list(columns))

    async def catalog_and_channel(self) -> World:
        """Product lines, products, partners (with organizations) and their users."""
        vendor_id = await self.db.fetchval("SELECT id FROM organizations WHERE kind = 'VENDOR'")
        admin_id = await self.db.fetchval("SELECT id FROM users WHERE email = $1", ADMIN_EMAIL)
        stamp = (self.now, self.now)
        await self.copy(
            "product_lines",
            ("code", "name", "active", "created_at", "updated_at"),
            [(code, code.title(), True, *stamp) for code in LINES],
        )
        world = await self._partners(vendor_id)
        world.staff = [admin_id, *world.staff]
        products = [(self.new_id(), f"SKU-{n:04}", 1_000 + 250 * (n % 97)) for n in range(200)]
        await self.copy(
            "products",
            ("id", "sku", "name", "product_line", "active", "created_at", "updated_at"),
            [(pid, sku, f"Product {sku}", LINES[n % len(LINES)], True, *stamp) for n, (pid, sku, _) in enumerate(products)],
        )  # fmt: skip
        await self.copy(
            "product_prices",
            ("product_id", "currency", "unit_minor"),
            [(pid, cur, price) for pid, _, price in products for cur in ("USD", "EUR")],
        )
        world.products = products
        return world

    async def _partners(self, vendor_id: str) -> World:
        ids = [self.new_id() for _ in range(PARTNERS)]
        distributor, rows = ids[0], []
        for n, pid in enumerate(ids):
            if n == 0:
                name, kind, tier, status, parent = "Northwind Distribution", "DISTRIBUTOR", "PLATINUM", "ACTIVE", None  # fmt: skip
            else:
                name = f"{self.rng.choice(NAME_HEADS)} {self.rng.choice(NAME_TAILS)} {n}"
                kind, tier = self.rng.choice(TYPES), self.rng.choice(TIERS)
                status = "ACTIVE" if n <= SUB_RESELLERS else self.rng.choice(PARTNER_STATUSES)
                parent = distributor if n <= SUB_RESELLERS else None
            created = self.before(900)
            rows.append(
                (pid, name, kind, tier, status, parent, self.rng.choice(COUNTRIES), created)
            )
        await self.copy(
            "organizations",
            ("id", "kind", "name", "created_at", "updated_at"),
            [(row[0], "PARTNER", row[1], row[7], row[7]) for row in rows],
        )
        await self.copy(
            "partners",
            ("id", "name", "legal_name", "type", "tier", "status", "parent_id", "country",
             "latitude", "longitude", "lead_capacity", "version", "created_at", "updated_at"),
            [(pid, name, f"{name} Ltd", kind, tier, status, parent, country,
              self.rng.uniform(-60, 60), self.rng.uniform(-180, 180), 10, 1, created, created)
             for pid, name, kind, tier, status, parent, country, created in rows],
        )  # fmt: skip
        users = {pid: self.new_id() for pid in ids}
        colleague, staff = self.new_id(), [self.new_id() for _ in range(VENDOR_STAFF)]
        people = [(uid, pid, f"user{n}@p{n}.bench.example", f"User {n}", "PARTNER_USER") for n, (pid, uid) in enumerate(users.items())]  # fmt: skip
        people.append((colleague, distributor, "buyer@northwind.bench.example", "Nora Buyer", "PARTNER_USER"))  # fmt: skip
        people += [(uid, vendor_id, f"staff{n}@vendor.example", f"Channel Manager {n}", "CHANNEL_MANAGER") for n, uid in enumerate(staff)]  # fmt: skip
        await self.copy(
            "users",
            ("id", "organization_id", "email", "name", "role", "active", "token_version", "created_at", "updated_at"),
            [(*person, True, 0, self.now, self.now) for person in people],
        )  # fmt: skip
        channel = ids[: SUB_RESELLERS + 1]
        return World(vendor_id, staff, distributor, channel, ids[SUB_RESELLERS + 1 :], users, colleague)  # fmt: skip

    async def leads(self, world: World) -> None:
        rows = []
        for n in range(LEADS):
            if n < CHANNEL_LEADS:  # one in six with the distributor itself
                partner = world.distributor if n % 6 == 0 else self.rng.choice(world.channel[1:])
            else:
                partner = self.rng.choice(world.others) if n % 20 else None
            rows.append(self._lead(partner))
        await self.copy(
            "leads",
            ("id", "customer_company", "customer_key", "contact_name", "email", "email_domain",
             "country", "product_line", "value_minor", "currency", "source", "status", "partner_id",
             "offered_at", "offer_expires_at", "lost_reason", "version", "created_at", "updated_at"),
            rows,
        )  # fmt: skip

    def _lead(self, partner: str | None) -> tuple[Any, ...]:
        company = f"{self.rng.choice(COMPANIES)} {self.rng.randrange(10_000)}"
        country, created = self.rng.choice(COUNTRIES), self.before(365)
        status = self.rng.choice(LEAD_STATUSES) if partner else self.rng.choice(["NEW", "UNASSIGNABLE"])  # fmt: skip
        offered = created + timedelta(minutes=5) if partner else None
        # Offers expire in the future: the hub's pull-back job leaves the data alone.
        expires = (
            self.now + timedelta(days=self.rng.uniform(2, 14)) if status == "OFFERED" else None
        )
        domain = f"c{self.rng.randrange(5_000)}.example"
        return (
            self.new_id(), company, f"{country}:{company.lower()}", "Pat Contact", f"pat@{domain}",
            domain, country, self.rng.choice(LINES), self.rng.randrange(1_000, 5_000_000),
            self.rng.choice(["USD", "EUR"]), self.rng.choice(["VENDOR", "CAMPAIGN", "WEB"]), status,
            partner, offered, expires, "budget cut" if status == "LOST" else None, 1, created, created,
        )  # fmt: skip

    async def orders(self, world: World) -> None:
        orders, lines = [], []
        for n in range(ORDERS):
            if n < CHANNEL_ORDERS:
                partner = world.distributor if n % 5 == 0 else self.rng.choice(world.channel[1:])
            else:
                partner = self.rng.choice(world.others)
            order_id, currency = self.new_id(), self.rng.choice(["USD", "EUR"])
            count = 1 + n % 4  # 1, 2, 3, 4 lines: 2.5 on average, 50,000 for 20,000 orders
            picked = self.rng.sample(world.products, count)
            discount = self.rng.choice([0, 500, 1000, 1500])
            total = 0
            for line_no, (product_id, sku, price) in enumerate(picked, start=1):
                quantity, unit = self.rng.randint(1, 50), price * (10_000 - discount) // 10_000
                total += unit * quantity
                lines.append((order_id, line_no, product_id, sku, quantity, price, unit, discount, unit * quantity, 0, 0, 0))  # fmt: skip
            created, status = self.before(365), self.rng.choice(ORDER_STATUSES)
            orders.append((order_id, partner, world.user_of[partner], f"{self.rng.choice(COMPANIES)}", "1 Harbour Street", self.rng.choice(COUNTRIES), currency, total, status, 1, created, created))  # fmt: skip
        assert len(lines) == ORDER_LINES
        await self.copy(
            "orders",
            ("id", "partner_id", "placed_by_id", "end_customer", "shipping_address", "shipping_country",
             "currency", "total_minor", "status", "version", "created_at", "updated_at"),
            orders,
        )  # fmt: skip
        await self.copy(
            "order_lines",
            ("order_id", "line_no", "product_id", "sku", "quantity", "unit_list_minor", "unit_minor",
             "discount_basis_points", "total_minor", "shipped_quantity", "return_requested_quantity",
             "returned_quantity"),
            lines,
        )  # fmt: skip

    async def messaging(self, world: World, home_user: str) -> None:
        """Conversations, their participants and messages; `home_user` is in the newest 40."""
        sizes = self._sizes()
        conversations, participants, messages = [], [], []
        for n, size in enumerate(sizes):
            members = self._members(world, home_user, n)
            if n < HOME_CONVERSATIONS:  # the home user's, newest activity first
                end = self.now - timedelta(hours=3 * n + self.rng.random())
            else:
                end = self.before(90)
            start = end - timedelta(minutes=size * self.rng.uniform(5, 120))
            conversation = self.new_id()
            written = self._messages(conversation, members, size, start, end, deleted_last=n == 4)
            messages += written
            last_activity = written[-1][8] if written else start
            conversations.append((conversation, f"Deal desk #{n}", members[0][0], start, last_activity, size))  # fmt: skip
            for user, organization in members:
                read = self._read_seq(user == home_user, n, size)
                participants.append((conversation, user, organization, members[0][0], start, read, end if read else None))  # fmt: skip
        await self.copy("conversations", ("id", "subject", "started_by_id", "created_at", "last_activity_at", "last_seq"), conversations)  # fmt: skip
        await self.copy("conversation_participants", ("conversation_id", "user_id", "organization_id", "added_by_id", "added_at", "read_seq", "read_at"), participants)  # fmt: skip
        await self.copy("messages", ("id", "conversation_id", "seq", "kind", "author_id", "organization_id", "body", "data", "created_at", "deleted_at"), messages)  # fmt: skip

    def _sizes(self) -> list[int]:
        """Messages per conversation: 1 to 19, MESSAGES in all; the home user's third has none."""
        sizes = [self.rng.randint(1, 19) for _ in range(CONVERSATIONS)]
        while (gap := MESSAGES - sum(sizes)) != 0:
            n = self.rng.randrange(HOME_CONVERSATIONS, CONVERSATIONS)
            sizes[n] = max(1, sizes[n] + (1 if gap > 0 else -1))
        sizes[HOME_CONVERSATIONS], sizes[2] = sizes[HOME_CONVERSATIONS] + sizes[2], 0
        return sizes

    def _members(self, world: World, home_user: str, n: int) -> list[tuple[str, str]]:
        """(user, organization) of a conversation's participants, the starter first."""
        staff = (world.staff[n % len(world.staff)], world.vendor_id)
        if n >= HOME_CONVERSATIONS:
            partner = self.rng.choice(world.others)
            return [staff, (world.user_of[partner], partner)]
        members = [staff, (home_user, world.distributor)]
        if n % 3 == 0:
            reseller = world.channel[1 + n % SUB_RESELLERS]
            members.append((world.user_of[reseller], reseller))
        if n % 4 == 1:
            members.append((world.colleague, world.distributor))
        return members

    def _messages(
        self,
        conversation: str,
        members: list[tuple[str, str]],
        size: int,
        start: datetime,
        end: datetime,
        *,
        deleted_last: bool,
    ) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        step = (end - start) / max(size, 1)
        system_first = self.rng.random() < 0.2
        for seq in range(1, size + 1):
            at = start + step * seq
            if seq == 1 and system_first:
                rows.append((self.new_id(), conversation, seq, "SYSTEM", None, None, "Conversation started", "{}", at, None))  # fmt: skip
                continue
            author, organization = self.rng.choice(members)
            deleted = (deleted_last and seq == size) or self.rng.random() < 0.01
            body = None if deleted else f"{self.rng.choice(BODIES)} ({seq})"
            rows.append((self.new_id(), conversation, seq, "USER", author, organization, body, "{}", at, at + timedelta(minutes=1) if deleted else None))  # fmt: skip
        return rows

    def _read_seq(self, home: bool, n: int, size: int) -> int:
        if home:  # every other one of the home user's conversations has unread messages
            return size if n % 2 else max(0, size - self.rng.randint(1, 4))
        return self.rng.randint(0, size)

    async def analyze(self) -> None:
        """Vacuum and analyze now: autovacuum would otherwise run during the measurement."""
        await self.db.execute("VACUUM (ANALYZE)")


# The anchor: the same answers, hand-written over asyncpg

ALGORITHM, ISSUER = "HS256", "channelhub"
BLOCKED_PARTNER_STATUSES = frozenset({"APPLICANT", "TERMINATED"})
VENDOR_ROLES = frozenset({"VENDOR_ADMIN", "CHANNEL_MANAGER", "INTEGRATION"})
AUTHENTICATE_SQL = """SELECT u.id, u.organization_id, u.role, u.active, u.token_version,
       r.jti AS revoked, p.status AS partner_status
  FROM users u LEFT JOIN revoked_tokens r ON r.jti = $2
  LEFT JOIN partners p ON p.id = u.organization_id
 WHERE u.id = $1"""
# Me is the caller, whose organization (and partner profile) every rule lets it see.
ME_SQL = """SELECT u.name, o.name AS organization, p.name AS partner, p.tier
  FROM users u JOIN organizations o ON o.id = u.organization_id
  LEFT JOIN partners p ON p.id = o.id AND o.kind = 'PARTNER'
 WHERE u.id = $1 AND u.organization_id = $2"""
IN_CHANNEL = (
    "WHERE partner_id = ANY(ARRAY(SELECT id FROM partners WHERE id = $1 OR parent_id = $1))"
)
# A lead's partner is in the caller's channel, which the partner rules let it see.
LEADS_SQL = """SELECT l.customer_company, l.status, l.product_line, p.name AS partner
  FROM (SELECT id, customer_company, status, product_line, partner_id, created_at FROM leads
         {where} ORDER BY created_at DESC, id DESC LIMIT 20) l
  LEFT JOIN partners p ON p.id = l.partner_id
 ORDER BY l.created_at DESC, l.id DESC"""
ORDERS_SQL = """SELECT o.status, o.total_minor, o.currency,
       ARRAY(SELECT sku FROM order_lines WHERE order_id = o.id ORDER BY line_no) AS skus,
       ARRAY(SELECT quantity FROM order_lines WHERE order_id = o.id ORDER BY line_no) AS quantities
  FROM (SELECT id, status, total_minor, currency, created_at FROM orders {where}
         ORDER BY created_at DESC, id DESC LIMIT 20) o
 ORDER BY o.created_at DESC, o.id DESC"""
CONVERSATIONS_SQL = """SELECT m.id IS NOT NULL AS has_last, m.body,
       (SELECT count(*) FROM messages x WHERE x.conversation_id = c.id AND x.seq > c.read_seq
           AND x.kind = 'USER' AND x.author_id <> $1 AND x.deleted_at IS NULL) AS unread
  FROM (SELECT c.id, c.last_seq, c.last_activity_at, cp.read_seq FROM conversations c
          JOIN conversation_participants cp ON cp.conversation_id = c.id AND cp.user_id = $1
         ORDER BY c.last_activity_at DESC, c.id DESC LIMIT 10) c
  LEFT JOIN messages m ON m.conversation_id = c.id AND m.seq = c.last_seq
 ORDER BY c.last_activity_at DESC, c.id DESC"""
PARTNERS_SQL = """SELECT name, tier, type, country FROM partners {where}
 ORDER BY lower(name), id LIMIT 50"""
PARTNER_SEES = "WHERE id = $1 OR parent_id = $1 OR id = (SELECT parent_id FROM partners WHERE id = $1)"  # fmt: skip


class Refused(Exception):
    """The token does not let the request in (HTTP 401, as the hub answers)."""


@dataclass(frozen=True)
class Caller:
    user_id: str
    organization_id: str
    is_vendor: bool

    def scoped(self, statement: str, where: str) -> tuple[str, tuple[str, ...]]:
        """The statement with the partner's scope, or without any for the vendor side."""
        if self.is_vendor:
            return statement.format(where=""), ()
        return statement.format(where=where), (self.organization_id,)


@lru_cache(maxsize=4096)
def verified_claims(token: str, secret: str) -> Mapping[str, object]:
    """A signed token's claims, checked once per process, as the hub does."""
    claims: dict[str, object] = jwt_decode(token, secret)
    return MappingProxyType(claims)


def jwt_decode(token: str, secret: str) -> dict[str, object]:
    try:
        return jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "jti", "iss"], "verify_exp": False},
        )
    except jwt.PyJWTError:
        raise Refused("the access token is not valid") from None


def claims_of(header: str, secret: str) -> Mapping[str, object]:
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Refused("send the access token as Authorization: Bearer <token>")
    claims = verified_claims(token.strip(), secret)
    if int(str(claims["exp"])) <= time.time():
        raise Refused("the access token has expired; log in again")
    return claims


async def authenticate(connection: asyncpg.Connection, claims: Mapping[str, object]) -> Caller:
    row = await connection.fetchrow(AUTHENTICATE_SQL, str(claims["sub"]), str(claims["jti"]))
    if row is None:
        raise Refused("the access token is not valid")
    if row["revoked"] or not row["active"] or row["token_version"] != claims.get("tv"):
        raise Refused("the access token was revoked; log in again")
    if row["partner_status"] in BLOCKED_PARTNER_STATUSES:
        raise Refused("the organization of this account is not active")
    return Caller(row["id"], row["organization_id"], row["role"] in VENDOR_ROLES)


def edges(nodes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"edges": [{"node": node} for node in nodes]}


async def home_page(connection: asyncpg.Connection, caller: Caller) -> dict[str, Any]:
    me = await connection.fetchrow(ME_SQL, caller.user_id, caller.organization_id)
    partner = {"name": me["partner"], "tier": me["tier"]} if me["partner"] is not None else None
    sql, args = caller.scoped(LEADS_SQL, IN_CHANNEL)
    leads = [
        {
            "customerCompany": row["customer_company"],
            "status": row["status"],
            "productLine": row["product_line"],
            "partner": {"name": row["partner"]} if row["partner"] is not None else None,
        }
        for row in await connection.fetch(sql, *args)
    ]
    sql, args = caller.scoped(ORDERS_SQL, IN_CHANNEL)
    orders = [
        {
            "status": row["status"],
            "total": {"amountMinor": row["total_minor"], "currency": row["currency"]},
            "lines": [
                {"sku": sku, "quantity": quantity}
                for sku, quantity in zip(row["skus"], row["quantities"], strict=True)
            ],
        }
        for row in await connection.fetch(sql, *args)
    ]
    conversations = [
        {
            "unreadCount": row["unread"],
            "lastMessage": {"body": row["body"]} if row["has_last"] else None,
        }
        for row in await connection.fetch(CONVERSATIONS_SQL, caller.user_id)
    ]
    return {
        "me": {
            "name": me["name"],
            "organization": {"name": me["organization"], "partner": partner},
        },
        "leads": edges(leads),
        "orders": edges(orders),
        "conversations": edges(conversations),
    }


async def partner_page(connection: asyncpg.Connection, caller: Caller) -> dict[str, Any]:
    sql, args = caller.scoped(PARTNERS_SQL, PARTNER_SEES)
    rows = await connection.fetch(sql, *args)
    return {"partners": edges([dict(row) for row in rows])}


ANSWERS: dict[str, Callable[[asyncpg.Connection, Caller], Awaitable[dict[str, Any]]]] = {
    HOME: home_page,
    PARTNER_LIST: partner_page,
}


def encode(body: object) -> bytes:
    """JSON as web/graphql_http.py writes it: no spaces, UTF-8 rather than \\u escapes."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def reply(body: dict[str, Any], status: int = 200) -> Response:
    return Response(encode(body), status, media_type=f"{MEDIA}; charset=utf-8")


def refusal(refused: Refused) -> Response:
    error = {"message": str(refused), "extensions": {"code": "UNAUTHENTICATED"}}
    return reply({"errors": [error]}, 401)


def anchor_app(dsn: str, secret: str, pool_size: int) -> Starlette:
    """POST /graphql for the bench's two documents, and /healthz."""
    pool: list[asyncpg.Pool] = []

    async def graphql(request: Request) -> Response:
        answer = ANSWERS.get(json.loads(await request.body()).get("query"))
        if answer is None:
            return reply({"errors": [{"message": "the anchor answers the bench's documents only"}]}, 400)  # fmt: skip
        try:
            claims = claims_of(request.headers.get("authorization") or "", secret)
            async with pool[0].acquire() as connection:
                data = await answer(connection, await authenticate(connection, claims))
        except Refused as refused:
            return refusal(refused)
        return reply({"data": data})

    routes = [Route("/graphql", graphql, methods=["POST"])]
    return Starlette(routes=[*routes, Route("/healthz", healthz)], lifespan=pooled(dsn, pool_size, pool))  # fmt: skip


async def healthz(request: Request) -> Response:
    return reply({"status": "ok"})


def pooled(
    dsn: str, pool_size: int, pool: list[asyncpg.Pool]
) -> Callable[[Starlette], contextlib.AbstractAsyncContextManager[None]]:
    """A lifespan that opens the pool into `pool` and closes it."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # No reset on release: these requests leave no session state (asyncpg would send
        # RESET ALL and friends each time, a round trip the hub's pool does not make).
        pool.append(await asyncpg.create_pool(dsn, min_size=1, max_size=pool_size, reset=_keep))
        try:
            yield
        finally:
            await pool[0].close()

    return lifespan


async def _keep(connection: asyncpg.Connection) -> None:
    return None


# Plain strawberry: the partners list with strawberry-graphql itself, the anchor's token check
# and statement


@strawberry.enum
class PartnerType(Enum):
    RESELLER = "RESELLER"
    DISTRIBUTOR = "DISTRIBUTOR"
    VAR = "VAR"
    MSP = "MSP"
    REFERRAL = "REFERRAL"
    SYSTEM_INTEGRATOR = "SYSTEM_INTEGRATOR"


@strawberry.enum
class Tier(Enum):
    REGISTERED = "REGISTERED"
    SILVER = "SILVER"
    GOLD = "GOLD"
    PLATINUM = "PLATINUM"


@strawberry.type
class Partner:
    name: str
    tier: Tier
    type: PartnerType
    country: str | None


@strawberry.type
class PartnerEdge:
    node: Partner


@strawberry.type
class PartnerConnection:
    edges: list[PartnerEdge]


@strawberry.type
class Query:
    @strawberry.field
    async def partners(self, info: Info, first: int | None = None) -> PartnerConnection:
        """The anchor's statement and ordering; `first` from 0 to 50 (the default)."""
        caller: Caller = info.context["caller"]
        sql, args = caller.scoped(PARTNERS_SQL, PARTNER_SEES)
        if first is not None and first != 50:
            sql = sql.replace("LIMIT 50", f"LIMIT {max(0, min(first, 50))}")
        rows = await info.context["connection"].fetch(sql, *args)
        return PartnerConnection(
            edges=[
                PartnerEdge(
                    node=Partner(
                        name=row["name"],
                        tier=Tier(row["tier"]),
                        type=PartnerType(row["type"]),
                        country=row["country"],
                    )
                )
                for row in rows
            ]
        )


class StrawberryView(GraphQL):
    """strawberry.asgi.GraphQL with the anchor's token check, one pooled connection per
    request (in the context), and the hub's JSON encoding and media type."""

    def __init__(self, schema: strawberry.Schema, secret: str, pool: list[asyncpg.Pool]) -> None:
        super().__init__(schema, graphql_ide=None)
        self.secret, self.pool = secret, pool

    async def run(self, request: Any, context: Any = None, root_value: Any = None) -> Any:
        try:
            claims = claims_of(request.headers.get("authorization") or "", self.secret)
            async with self.pool[0].acquire() as connection:
                caller = await authenticate(connection, claims)
                context = {"request": request, "connection": connection, "caller": caller}
                return await super().run(request, context, root_value)
        except Refused as refused:
            return refusal(refused)

    def encode_json(self, data: object) -> bytes:
        return encode(data)

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = f"{MEDIA}; charset=utf-8"
        return response


def strawberry_app(dsn: str, secret: str, pool_size: int) -> Starlette:
    """The strawberry view at /graphql (parser and validation caches on), and /healthz."""
    pool: list[asyncpg.Pool] = []
    schema = strawberry.Schema(
        query=Query, extensions=[lambda: ParserCache(maxsize=128), lambda: ValidationCache(maxsize=128)]
    )  # fmt: skip
    routes = [Route("/graphql", StrawberryView(schema, secret, pool)), Route("/healthz", healthz)]
    return Starlette(routes=routes, lifespan=pooled(dsn, pool_size, pool))


SERVERS = {"anchor": anchor_app, "strawberry": strawberry_app}


def serve_anchor(port: int, kind: str) -> None:
    """Serve an anchor as `channelhub serve` serves the hub: uvicorn, one process."""
    url = os.environ["CHANNELHUB_DATABASE_URL"]
    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    pool_size = int(os.environ.get("CHANNELHUB_DATABASE_POOL_SIZE", "20"))
    app = SERVERS[kind](dsn, os.environ["CHANNELHUB_JWT_SECRET"], pool_size)
    gc.set_threshold(50_000, 20, 100)  # as serve sets it
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="info")


@contextlib.contextmanager
def anchor_process(env: dict[str, str], folder: str, kind: str = "anchor") -> Iterator[HubProcess]:
    port, log = free_port(), Path(folder) / f"{kind}.log"
    with log.open("wb") as out:
        command = [sys.executable, "-m", "bench.portal", f"--{kind}", str(port)]
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    anchor = HubProcess(process, port, log)
    try:
        yield anchor
    finally:
        anchor.stop()


# A minimal HTTP/1.1 client: keep-alive, prebuilt requests, Content-Length bodies


def http_request(port: int, token: str, document: str) -> bytes:
    body = json.dumps({"query": document}).encode()
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nAccept: {MEDIA}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise RuntimeError(f"a response without Content-Length: {head[:200]!r}")
    return int(head[9:12]), await reader.readexactly(length)


async def fetch_once(port: int, request: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        return await exchange(reader, writer, request)
    finally:
        writer.close()


# The pairs and their checks


@dataclass
class Target:
    name: str  # "hub", "anchor" or "strawberry"
    server: HubProcess
    request: bytes


@dataclass
class Pair:
    """A document, the hub and its anchors (the hand-written one, and plain strawberry)."""

    name: str
    hub: Target
    anchor: Target
    strawberry: Target | None = None
    expected: bytes = b""

    @property
    def servers(self) -> list[Target]:
        return [self.hub, self.anchor] + ([self.strawberry] if self.strawberry else [])

    def targets(self, round_no: int) -> list[Target]:
        """All servers, the order rotating each round."""
        servers = self.servers
        turn = round_no % len(servers)
        return servers[turn:] + servers[:turn]


async def check_identical(pair: Pair) -> None:
    """Fetch every server's answer; one differing from the hub's ends the bench with a diff."""
    answers = [await fetch_once(target.server.port, target.request) for target in pair.servers]
    hub_status, hub = answers[0]
    if hub_status == 200 and "errors" not in json.loads(hub) and all(a == answers[0] for a in answers):  # fmt: skip
        pair.expected = hub
        return
    for target, (status, body) in zip(pair.servers[1:], answers[1:], strict=True):
        if (status, body) == answers[0]:
            continue
        print(f"{pair.name}: the answers differ (hub {hub_status}, {target.name} {status}, {len(hub)} and {len(body)} bytes)")  # fmt: skip
        first = next((n for n, (a, b) in enumerate(zip(hub, body, strict=False)) if a != b), None)
        print(f"  first differing byte: {first}")
        diff = list(difflib.unified_diff(_pretty(hub), _pretty(body), "hub", target.name, lineterm=""))  # fmt: skip
        if diff:
            print("\n".join(diff))
        elif first is not None:  # the same JSON, encoded otherwise (spacing, escapes)
            print(f"  same JSON, other bytes: hub {hub[max(0, first - 20) : first + 40]!r}")
            print(f"  {'':24}{target.name} {body[max(0, first - 20) : first + 40]!r}")
    if all(answer == answers[0] for answer in answers):
        print(f"{pair.name}: every server answers alike, but {hub_status}: {hub[:500]!r}")
    raise SystemExit(1)


async def check_refusal(pair: Pair) -> None:
    """A token signed with another secret is refused alike: 401 and the same body."""
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": "x", "jti": "x", "iat": now, "exp": now + 60}
    forged = jwt.encode(claims, "not-the-hub-secret-" + "x" * 24, algorithm=ALGORITHM)
    document = json.loads(pair.hub.request.split(b"\r\n\r\n", 1)[1])["query"]
    answers = [
        await fetch_once(target.server.port, http_request(target.server.port, forged, document))
        for target in pair.servers
    ]
    if any(answer != answers[0] for answer in answers) or answers[0][0] != 401:
        found = dict(zip((target.name for target in pair.servers), answers, strict=True))
        raise SystemExit(f"{pair.name}: a forged token is not refused alike: {found}")


def _pretty(body: bytes) -> list[str]:
    try:
        return json.dumps(json.loads(body), indent=1, ensure_ascii=False).splitlines()
    except ValueError:
        return body.decode(errors="replace").splitlines()


def describe_home(body: bytes) -> str:
    """What the home answer holds; a data set that misses the point ends the bench."""
    data = json.loads(body)["data"]
    leads = [edge["node"] for edge in data["leads"]["edges"]]
    orders = [edge["node"] for edge in data["orders"]["edges"]]
    conversations = [edge["node"] for edge in data["conversations"]["edges"]]
    partners = {lead["partner"]["name"] for lead in leads}
    unread = sum(1 for node in conversations if node["unreadCount"])
    lines = sum(len(order["lines"]) for order in orders)
    if len(leads) < 20 or len(orders) < 20 or len(partners) < 2 or not unread:
        raise SystemExit(f"the home page misses the data it should show: {data}")
    return (
        f"{len(leads)} leads of {len(partners)} partners, {len(orders)} orders with {lines} lines, "
        f"{len(conversations)} conversations ({unread} with unread messages)"
    )


async def transactions(admin: asyncpg.Connection) -> int:
    return int(
        await admin.fetchval(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1", DATABASE
        )
    )


async def statements_per_request(
    admin: asyncpg.Connection, pairs: list[Pair]
) -> tuple[dict[str, float], float]:
    """Transactions per request in pg_stat_database (an autocommit statement is one), less
    those of the background (the hub's event bus polls the events table every second)."""
    await asyncio.sleep(STATS_FLUSH_SECONDS)
    count, at = await transactions(admin), time.monotonic()
    await asyncio.sleep(STATS_FLUSH_SECONDS)
    idle, idle_at = await transactions(admin), time.monotonic()
    background = (idle - count) / (idle_at - at)
    count, at, found = idle, idle_at, {}
    for pair in pairs:
        for target in pair.servers:
            reader, writer = await asyncio.open_connection("127.0.0.1", target.server.port)
            try:
                for _ in range(STATEMENT_REQUESTS):
                    await exchange(reader, writer, target.request)
            finally:
                writer.close()
            await asyncio.sleep(STATS_FLUSH_SECONDS)
            after, after_at = await transactions(admin), time.monotonic()
            requests = after - count - background * (after_at - at)
            found[f"{pair.name} {target.name}"] = requests / STATEMENT_REQUESTS
            count, at = after, after_at
    return found, background


# The load


@dataclass
class Run:
    requests: int
    seconds: float
    latencies: list[float]
    errors: int
    cpu: dict[str, float]  # seconds per group

    def figures(self) -> dict[str, float]:
        ordered = sorted(self.latencies)
        per = 1e6 / max(self.requests, 1)
        return {
            "req/s": self.requests / self.seconds,
            "p50 ms": percentile(ordered, 0.5) * 1000,
            "p99 ms": percentile(ordered, 0.99) * 1000,
            "server µs": self.cpu["server"] * per,
            "PG µs": self.cpu["PostgreSQL"] * per,
            "client µs": self.cpu["client"] * per,
        }


# CPU (user + system) in microseconds per request: the server process, PostgreSQL, this client.
METRICS = ["req/s", "p50 ms", "p99 ms", "server µs", "PG µs", "client µs"]


async def load(target: Target, expected: bytes, seconds: float, concurrency: int) -> Run:
    """`concurrency` connections, each sending the next request when the last one is answered."""
    connections = [
        await asyncio.open_connection("127.0.0.1", target.server.port) for _ in range(concurrency)
    ]
    groups: dict[str, Callable[[], list[int]]] = {
        "server": lambda: [target.server.process.pid],
        "PostgreSQL": postgres_pids,
        "client": lambda: [os.getpid()],
    }
    before = {name: cpu_seconds(pids()) for name, pids in groups.items()}
    started = time.perf_counter()
    deadline = started + seconds
    try:
        results = await asyncio.gather(
            *(_worker(r, w, target.request, expected, deadline) for r, w in connections)
        )
    finally:
        for _, writer in connections:
            writer.close()
    elapsed = time.perf_counter() - started
    cpu = {}
    for name, pids in groups.items():
        after = cpu_seconds(pids())
        cpu[name] = sum(used - before[name].get(pid, 0.0) for pid, used in after.items())
    latencies = [latency for found, _ in results for latency in found]
    return Run(len(latencies), elapsed, latencies, sum(errors for _, errors in results), cpu)


async def _worker(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    request: bytes,
    expected: bytes,
    deadline: float,
) -> tuple[list[float], int]:
    latencies, errors = [], 0
    while (sent := time.perf_counter()) < deadline:
        status, body = await exchange(reader, writer, request)
        latencies.append(time.perf_counter() - sent)
        errors += status != 200 or body != expected
    return latencies, errors


# Figures


def print_round(round_no: int, runs: dict[tuple[str, str], Run]) -> None:
    print(f"\nround {round_no + 1} (load average {os.getloadavg()[0]:.2f})")
    print(f"  {'':20}" + "".join(f"{metric:>11}" for metric in METRICS) + f"{'errors':>8}")
    for (pair, target), run in runs.items():
        values = run.figures()
        cells = "".join(f"{values[m]:>11,.0f}" if m.endswith("µs") else f"{values[m]:>11,.1f}" for m in METRICS)  # fmt: skip
        print(f"  {pair + ' ' + target:20}{cells}{run.errors:>8}")


# hub/plain strawberry is given for these (the hub/anchor ratio for every metric)
STRAWBERRY_RATIOS = ("req/s", "server µs")


def print_summary(rounds: list[dict[tuple[str, str], Run]], pairs: list[Pair]) -> None:
    print(
        f"\nsummary over {len(rounds)} rounds: medians, and hub/anchor and hub/strawberry of "
        "each round (min, median); below 1 for req/s, above 1 for latency and CPU, is what "
        "the hub costs more"
    )
    heads = ["hub", "anchor", "ratio min", "ratio med", "strawberry", "/sb min", "/sb med"]
    print(f"  {'':20}" + "".join(f"{head:>11}" for head in heads))
    for pair in pairs:
        for metric in METRICS:
            hub = [found[(pair.name, "hub")].figures()[metric] for found in rounds]
            anchor = [found[(pair.name, "anchor")].figures()[metric] for found in rounds]
            cells = [f"{statistics.median(hub):>11,.1f}{statistics.median(anchor):>11,.1f}"]
            cells.append(_ratios(hub, anchor))
            if pair.strawberry is not None:
                plain = [found[(pair.name, "strawberry")].figures()[metric] for found in rounds]
                cells.append(f"{statistics.median(plain):>11,.1f}")
                cells.append(_ratios(hub, plain) if metric in STRAWBERRY_RATIOS else "")
            print(f"  {pair.name + ' ' + metric:20}" + "".join(cells))


def _ratios(hub: list[float], other: list[float]) -> str:
    """Min and median of hub/other over the rounds."""
    ratios = [h / o if o else float("nan") for h, o in zip(hub, other, strict=True)]
    return f"{min(ratios):>11.2f}{statistics.median(ratios):>11.2f}"


# The run


async def run(args: argparse.Namespace, test_url: str, redis_url: str) -> None:
    load_at_start = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        async with bench_database(test_url, DATABASE) as database_url:
            env = hub_env(database_url, redis_url, folder)
            channelhub(env, "migrate")
            channelhub(env, "create-admin", "--email", ADMIN_EMAIL, "--password", PASSWORD)
            dsn = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
            connection = await asyncpg.connect(dsn)
            try:
                seeder = Seeder(connection)
                started = time.perf_counter()
                world = await seeder.catalog_and_channel()
                await seeder.leads(world)
                await seeder.orders(world)
                seeded = time.perf_counter() - started
                with (
                    hub_processes(env, 1, folder) as hubs,
                    anchor_process(env, folder) as anchor,
                    anchor_process(env, folder, "strawberry") as plain,
                ):
                    await asyncio.gather(
                        hubs[0].wait_ready(), anchor.wait_ready(), plain.wait_ready()
                    )
                    tokens = await people(hubs[0], world)
                    started = time.perf_counter()
                    await seeder.messaging(world, tokens["home user"])
                    await seeder.analyze()
                    seeded += time.perf_counter() - started
                    print(
                        f"data: {PARTNERS:,} partners (a distributor with {SUB_RESELLERS} "
                        f"sub-resellers), {LEADS:,} leads ({CHANNEL_LEADS:,} in its channel), "
                        f"{ORDERS:,} orders with {ORDER_LINES:,} lines, {CONVERSATIONS:,} "
                        f"conversations with {MESSAGES:,} messages; seeded in {seeded:.1f} s "
                        "(COPY, then VACUUM ANALYZE)"
                    )
                    pairs = make_pairs(hubs[0], anchor, plain, tokens)
                    await measure(args, pairs, test_url)
            finally:
                await connection.close()
    load_at_end = os.getloadavg()
    print(
        f"\nmachine: {os.cpu_count()} CPUs; load average (1, 5, 15 min) "
        f"{_loads(load_at_start)} at start, {_loads(load_at_end)} at end"
    )


def _loads(values: tuple[float, float, float]) -> str:
    return "/".join(f"{value:.2f}" for value in values)


async def people(hub: HubProcess, world: World) -> dict[str, str]:
    """The vendor admin's token, and the distributor's partner admin, made through the API."""
    async with httpx.AsyncClient(base_url=hub.base, timeout=60) as http:
        admin, _ = await login(http, ADMIN_EMAIL)
        home = await invite(http, admin.token, world.distributor, "PARTNER_ADMIN", HOME_EMAIL)
    return {"vendor": admin.token, "home": home.token, "home user": home.user_id}


def make_pairs(
    hub: HubProcess, anchor: HubProcess, plain: HubProcess, tokens: dict[str, str]
) -> list[Pair]:
    """The home page (hub and anchor), and the partners list (also plain strawberry)."""
    pairs = []
    for name, token, document in [("home", tokens["home"], HOME), ("partners", tokens["vendor"], PARTNER_LIST)]:  # fmt: skip
        servers = [Target(kind, server, http_request(server.port, token, document)) for kind, server in [("hub", hub), ("anchor", anchor), ("strawberry", plain)]]  # fmt: skip
        pairs.append(Pair(name, *servers[:2], servers[2] if document == PARTNER_LIST else None))
    return pairs


async def measure(args: argparse.Namespace, pairs: list[Pair], test_url: str) -> None:
    for pair in pairs:
        await check_identical(pair)
        await check_refusal(pair)
    print(f"home page (distributor's partner admin): {describe_home(pairs[0].expected)}")
    print(
        "answers byte-identical: "
        + ", ".join(f"{pair.name} {len(pair.expected):,} bytes" for pair in pairs)
        + " (partners also from plain strawberry); a forged token refused alike (401)"
    )
    warm_up = max(1.0, args.seconds / 4)
    for pair in pairs:
        for target in pair.servers:
            await load(target, pair.expected, warm_up, args.concurrency)
    if args.statements:
        admin = await asyncpg.connect(test_url.replace("postgresql+asyncpg://", "postgresql://", 1))
        try:
            found, background = await statements_per_request(admin, pairs)
        finally:
            await admin.close()
        print(
            f"statements per request ({STATEMENT_REQUESTS} sequential requests each; "
            f"pg_stat_database transactions less {background:.1f}/s of background): "
            + ", ".join(f"{name} {count:.1f}" for name, count in found.items())
        )
    print(
        f"load: {args.rounds} rounds of {args.seconds:g} s per run at {args.concurrency} "
        f"requests in flight, the servers' order rotating each round (warm-up {warm_up:g} s each)"
    )
    rounds = []
    for round_no in range(args.rounds):
        runs = {}
        for pair in pairs:
            for target in pair.targets(round_no):
                found = await load(target, pair.expected, args.seconds, args.concurrency)
                runs[(pair.name, target.name)] = found
        rounds.append(runs)
        print_round(round_no, runs)
    print_summary(rounds, pairs)
    failed = sum(run.errors for runs in rounds for run in runs.values())
    if failed:
        raise SystemExit(f"{failed} responses were not the verified answer")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=8.0, help="duration of each run")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument(
        "--no-statements",
        dest="statements",
        action="store_false",
        help="skip counting statements per request (it pauses about a minute)",
    )
    for kind in SERVERS:
        parser.add_argument(f"--{kind}", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    for kind in SERVERS:
        if getattr(args, kind) is not None:
            serve_anchor(getattr(args, kind), kind)
            return
    if args.rounds < 1 or args.seconds <= 0 or args.concurrency < 1:
        parser.error("--rounds, --seconds and --concurrency must be positive")
    test_url, redis_url = service_urls()
    run_client(run(args, test_url, redis_url))


if __name__ == "__main__":
    main()
