"""The analytics bench's database: a PostgreSQL of its own, its rows, and the rollups.

`postgres` runs a fresh cluster on a free loopback port in the bench's folder (as the postgres
user when run as root; fsync off, shared_buffers 1 GB, work_mem 32 MB, auto_explain loaded but
silent). `seed` writes the rows with asyncpg's COPY into the migrated schema: partners get
Pareto weights (alpha 1.16, the classic 80/20), a partner's share of the orders follows its
weight and its tier its place by weight (the top 2% PLATINUM, then 8% GOLD, 25% SILVER, the
rest REGISTERED). Orders are spread evenly over the 3 years before now, in EUR for partners in
the euro countries. Unit prices are multiples of 400 minor units, so that an EUR amount at the
rate 1.0825 (433/400) is a whole number of cents: the raw GROUP BY anchor then computes the
hub's figures exactly, without repeating its per-order rounding.

Order history holds only the moves the figures read: SHIPPED -> DELIVERED, DELIVERED ->
RETURN_REQUESTED -> RETURNED and the cancellations. The hub would also have written the
SUBMITTED, CONFIRMED, ALLOCATED and SHIPPED rows, so the raw anchor scans a smaller table than
it would in a real database: its figures are if anything flattering.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import resource
import shutil
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from bench.messaging import ADMIN_EMAIL, CHANNELHUB, free_port
from hub.leads.rules import LeadStatus, Outcome
from hub.orders.rules import OrderStatus
from hub.partners.rules import PartnerStatus, PartnerType, Tier

PG_BIN = Path("/usr/lib/postgresql/15/bin")
DATABASE = "channelhub"
PG_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "unix_socket_directories": "''",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "'1GB'",
    "work_mem": "'32MB'",
    "max_wal_size": "'8GB'",
    "session_preload_libraries": "'auto_explain'",
    "auto_explain.log_min_duration": "-1",
}
EUR_RATE = "1.0825"
YEARS = 3
BATCH = 50_000
LINES = {"NETWORKING": 48_000, "SECURITY": 120_000, "STORAGE": 260_000, "CLOUD": 36_000}
COUNTRIES = ["US", "US", "US", "CA", "GB", "DE", "FR", "NL", "ES", "IT", "BR", "JP", "AU", "SE"]
EURO_COUNTRIES = frozenset({"DE", "FR", "NL", "ES", "IT"})
TYPES = [PartnerType.RESELLER] * 4 + [PartnerType.VAR] * 2 + [PartnerType.MSP, PartnerType.SYSTEM_INTEGRATOR, PartnerType.REFERRAL, PartnerType.DISTRIBUTOR]  # fmt: skip
# Off list price by tier, in basis points.
DISCOUNTS = {Tier.PLATINUM: 2000, Tier.GOLD: 1500, Tier.SILVER: 1000, Tier.REGISTERED: 0}
# The share of partners, by weight, of each tier from the top.
TIER_SHARES = [(Tier.PLATINUM, 0.02), (Tier.GOLD, 0.10), (Tier.SILVER, 0.35)]
ACCEPTANCE = timedelta(hours=48)
# An order's move: from, to, when.
Move = tuple[OrderStatus, OrderStatus, datetime]


# PostgreSQL and the hub's commands


def _as_postgres() -> dict[str, Any]:
    """Popen arguments that drop root to the postgres user: PostgreSQL refuses root."""
    if os.geteuid() != 0:
        return {}
    return {"user": "postgres", "group": "postgres", "extra_groups": []}


@contextlib.contextmanager
def postgres(folder: Path) -> Iterator[tuple[str, Path]]:
    """A fresh cluster on a free loopback port: its URL and log; stopped on the way out."""
    data, log, port = folder / "pg-data", folder / "postgres.log", free_port()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    initdb = [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8"]
    initdb += ["--auth=trust", "--locale=C.UTF-8", "--no-sync", "--no-instructions"]
    subprocess.run(initdb, check=True, capture_output=True, **_as_postgres())
    with (data / "postgresql.conf").open("a") as conf:
        conf.writelines(
            f"{key} = {value}\n" for key, value in {"port": port, **PG_SETTINGS}.items()
        )
    with log.open("ab") as out:
        server = subprocess.Popen(
            [str(PG_BIN / "postgres"), "-D", str(data)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **_as_postgres(),
        )
    try:
        _wait_for(server, port, log)
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/{DATABASE}", log
    finally:
        server.send_signal(signal.SIGINT)  # fast shutdown
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_for(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    probe = [str(PG_BIN / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)]
    for _ in range(600):
        if server.poll() is not None:
            raise RuntimeError(f"PostgreSQL exited: {log.read_text(errors='replace')[-2000:]}")
        if subprocess.run(probe, check=False).returncode == 0:
            create = [str(PG_BIN / "psql"), "-qX", "-h", "127.0.0.1", "-p", str(port)]
            create += ["-U", "postgres", "-c", f"CREATE DATABASE {DATABASE}"]
            subprocess.run(create, check=True, capture_output=True)
            return
        time.sleep(0.1)
    raise RuntimeError("PostgreSQL did not answer in 60 s")


def hub_env(database_url: str, folder: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHANNELHUB_")}
    return env | {
        "CHANNELHUB_ENV": "production",
        "CHANNELHUB_VAR_DIR": str(folder / "var"),
        "CHANNELHUB_DATABASE_URL": database_url,
        "CHANNELHUB_JWT_SECRET": "bench-analytics-jwt-secret-" + "x" * 24,
    }


# Data and rollups


async def seed(db: asyncpg.Connection, partners: int, orders: int, leads: int) -> Seeder:
    """Seed, then VACUUM ANALYZE (else autovacuum would run during the measurement)."""
    seeder = Seeder(db, datetime.now(UTC).replace(microsecond=0))
    started = time.perf_counter()
    await seeder.seed(partners, orders, leads)
    copied = time.perf_counter() - started
    started = time.perf_counter()
    await db.execute("VACUUM (ANALYZE)")
    counts = ", ".join(f"{table} {count:,}" for table, count in seeder.counts.items())
    print(f"rows: {counts}")
    print(
        f"seeded in {copied:.1f} s (COPY, foreign keys unchecked), then VACUUM ANALYZE in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return seeder


async def rebuild(db: asyncpg.Connection, env: dict[str, str], now: datetime) -> None:
    """The EUR rate from before the first order, then every rollup from raw data (timed)."""
    await db.execute(
        "INSERT INTO exchange_rates (currency, valid_from, rate, set_by_id, set_at) "
        "SELECT 'EUR', $1, $2, id, $3 FROM users WHERE email = $4",
        (now - timedelta(days=YEARS * 365 + 30)).date(),
        EUR_RATE,
        now,
        ADMIN_EMAIL,
    )
    started = time.perf_counter()
    done = subprocess.run(
        [str(CHANNELHUB), "analytics", "rebuild"], env=env, capture_output=True, text=True
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"channelhub analytics rebuild failed: {done.stderr or done.stdout}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    started = time.perf_counter()
    tables = ("partner_revenue_days", "line_revenue_days")
    tables += tuple(table.replace("_days", "_months") for table in tables)
    await db.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")
    rows = [f"{table} {await db.fetchval(f'SELECT count(*) FROM {table}'):,}" for table in tables]
    print(
        f"channelhub analytics rebuild: {took:.1f} s ({done.stdout.strip()}; peak RSS "
        f"{peak:,.0f} MB); rollups: {', '.join(rows)}; VACUUM ANALYZE of them "
        f"{time.perf_counter() - started:.1f} s"
    )


# The rows


@dataclass(frozen=True)
class Partner:
    id: str
    tier: Tier
    currency: str


@dataclass
class Seeder:
    """Deterministic rows for a seed; `counts` tallies the rows written per table."""

    db: asyncpg.Connection
    now: datetime
    rng: random.Random = field(default_factory=lambda: random.Random(16))
    counts: Counter[str] = field(default_factory=Counter)
    partners: list[Partner] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    products: list[tuple[str, str, dict[str, int]]] = field(default_factory=list)

    def new_id(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    async def copy(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        await self.db.copy_records_to_table(table, records=rows, columns=list(columns))
        self.counts[table] += len(rows)

    async def seed(self, partners: int, orders: int, leads: int) -> None:
        """Every table the figures read; foreign keys unchecked (the rows are consistent)."""
        await self.db.execute("SET session_replication_role = replica")
        await self.catalog()
        await self.channel(partners)
        for start in range(0, orders, BATCH):
            await self.orders(min(BATCH, orders - start))
        for start in range(0, leads, BATCH):
            await self.leads(min(BATCH, leads - start))
        await self.db.execute("SET session_replication_role = DEFAULT")

    async def catalog(self) -> None:
        """Four product lines of three products each, priced in USD and EUR."""
        stamp = (self.now, self.now)
        await self.copy(
            "product_lines",
            ("code", "name", "active", "created_at", "updated_at"),
            [(code, code.title(), True, *stamp) for code in LINES],
        )
        for line, base in LINES.items():
            for n in range(3):
                usd = base * (n + 1) // 400 * 400
                prices = {"USD": usd, "EUR": usd * 92 // 100 // 400 * 400}
                self.products.append((self.new_id(), f"{line[:3]}-{n + 1:02}", prices))
        await self.copy(
            "products",
            ("id", "sku", "name", "product_line", "active", "created_at", "updated_at"),
            [(pid, sku, f"{sku} appliance", _line_of(sku), True, *stamp) for pid, sku, _ in self.products],
        )  # fmt: skip
        await self.copy(
            "product_prices",
            ("product_id", "currency", "unit_minor"),
            [(pid, cur, minor) for pid, _, prices in self.products for cur, minor in prices.items()],
        )  # fmt: skip

    async def channel(self, count: int) -> None:
        """ACTIVE partners (with their organizations), tiered by their Pareto weight."""
        weights = sorted((self.rng.paretovariate(1.16) for _ in range(count)), reverse=True)
        rows = []
        for n in range(count):
            country, kind = self.rng.choice(COUNTRIES), self.rng.choice(TYPES)
            tier = _tier(n / count)
            currency = "EUR" if country in EURO_COUNTRIES else "USD"
            self.partners.append(Partner(self.new_id(), tier, currency))
            created = self.now - timedelta(days=self.rng.uniform(YEARS * 365, YEARS * 365 + 900))
            rows.append((self.partners[-1].id, f"Partner {n:05} {kind.title()}", kind, tier, country, created))  # fmt: skip
        order = list(range(count))
        self.rng.shuffle(order)  # ids and weights independent of the list order
        self.partners = [self.partners[n] for n in order]
        self.weights = list(itertools.accumulate(weights[n] for n in order))
        await self.copy(
            "organizations",
            ("id", "kind", "name", "created_at", "updated_at"),
            [(pid, "PARTNER", name, at, at) for pid, name, _, _, _, at in rows],
        )
        await self.copy(
            "partners",
            ("id", "name", "legal_name", "type", "tier", "status", "country", "lead_capacity", "version", "created_at", "updated_at"),
            [(pid, name, f"{name} Ltd", kind, tier, PartnerStatus.ACTIVE, country, 10, 1, at, at) for pid, name, kind, tier, country, at in rows],
        )  # fmt: skip

    async def orders(self, count: int) -> None:
        """Orders with 1-3 lines each, their delivery, return or cancellation."""
        orders, lines, changes = [], [], []
        for partner in self.rng.choices(self.partners, cum_weights=self.weights, k=count):
            order_id = self.new_id()
            placed = self.now - timedelta(seconds=self.rng.uniform(3_600, YEARS * 365 * 86_400))
            status, moves = self._history(placed)
            mine = self._lines(order_id, partner, status)
            total = sum(line[8] for line in mine)
            updated = moves[-1][2] if moves else placed
            orders.append((order_id, partner.id, "Bench Customer", "1 Harbour Street", "US", partner.currency, total, status, 1, placed, updated))  # fmt: skip
            lines += mine
            changes += [(order_id, before, after, at) for before, after, at in moves]
        await self.copy(
            "orders",
            ("id", "partner_id", "end_customer", "shipping_address", "shipping_country", "currency", "total_minor", "status", "version", "created_at", "updated_at"),
            orders,
        )  # fmt: skip
        await self.copy(
            "order_lines",
            ("order_id", "line_no", "product_id", "sku", "quantity", "unit_list_minor", "unit_minor", "discount_basis_points", "total_minor", "shipped_quantity", "return_requested_quantity", "returned_quantity"),
            lines,
        )  # fmt: skip
        await self.copy(
            "order_status_changes", ("order_id", "from_status", "to_status", "changed_at"), changes
        )

    def _lines(self, order_id: str, partner: Partner, status: OrderStatus) -> list[tuple[Any, ...]]:
        """An order's lines at the partner's tier price; shipped unless not yet (or never)."""
        rows = []
        discount = DISCOUNTS[partner.tier]
        picked = self.rng.sample(self.products, self.rng.choice((1, 1, 1, 2, 2, 3)))
        for line_no, (product_id, sku, prices) in enumerate(picked, start=1):
            quantity, listed = self.rng.choice((1, 1, 2, 3, 5, 10, 20)), prices[partner.currency]
            unit = listed * (10_000 - discount) // 10_000 // 400 * 400
            unshipped = status in (OrderStatus.CANCELLED, OrderStatus.CONFIRMED)
            back = _returned(self.rng, quantity) if status is OrderStatus.RETURNED else 0
            rows.append((order_id, line_no, product_id, sku, quantity, listed, unit, discount, unit * quantity, 0 if unshipped else quantity, back, back))  # fmt: skip
        return rows

    def _history(self, placed: datetime) -> tuple[OrderStatus, list[Move]]:
        """The order's status and its moves that count (mostly a delivery a few days on)."""
        draw = self.rng.random()
        if draw < 0.05:
            at = placed + timedelta(hours=self.rng.uniform(1, 48))
            return OrderStatus.CANCELLED, [(OrderStatus.CONFIRMED, OrderStatus.CANCELLED, min(at, self.now))]  # fmt: skip
        delivered = placed + timedelta(days=self.rng.uniform(2, 7))
        if delivered > self.now:
            shipped = placed + timedelta(days=1) < self.now
            return (OrderStatus.SHIPPED if shipped else OrderStatus.CONFIRMED), []
        moves = [(OrderStatus.SHIPPED, OrderStatus.DELIVERED, delivered)]
        received = delivered + timedelta(days=self.rng.uniform(5, 30))
        if draw >= 0.09 or received > self.now:
            return OrderStatus.DELIVERED, moves
        asked = delivered + (received - delivered) / 3
        moves.append((OrderStatus.DELIVERED, OrderStatus.RETURN_REQUESTED, asked))
        moves.append((OrderStatus.RETURN_REQUESTED, OrderStatus.RETURNED, received))
        return OrderStatus.RETURNED, moves

    async def leads(self, count: int) -> None:
        """Leads offered to partners (less skewed than revenue), a few offered twice."""
        weights = [weight**0.6 for weight in _increments(self.weights)]
        cumulative = list(itertools.accumulate(weights))
        rows, offers, opportunities = [], [], []
        for partner in self.rng.choices(self.partners, cum_weights=cumulative, k=count):
            lead_id = self.new_id()
            created = self.now - timedelta(seconds=self.rng.uniform(600, YEARS * 365 * 86_400))
            offered, holder = created + timedelta(minutes=5), partner
            outcome, ended = self._offer(offered)
            offers.append((lead_id, partner.id, offered, outcome, ended))
            if outcome in (Outcome.DECLINED, Outcome.EXPIRED) and self.rng.random() < 0.5:
                assert ended is not None
                holder = self.rng.choices(self.partners, cum_weights=cumulative)[0]
                offered = ended + timedelta(minutes=1)
                outcome, ended = self._offer(offered)
                offers.append((lead_id, holder.id, offered, outcome, ended))
            rows.append(self._lead(lead_id, holder.id, created, offered, outcome))
            if outcome is Outcome.ACCEPTED:
                assert ended is not None
                opportunities.append(self._opportunity(rows[-1], ended))
        await self.copy(
            "leads",
            ("id", "customer_company", "customer_key", "country", "product_line", "value_minor", "currency", "source", "status", "partner_id", "offered_at", "offer_expires_at", "version", "created_at", "updated_at"),
            rows,
        )  # fmt: skip
        await self.copy(
            "lead_assignments",
            ("lead_id", "partner_id", "rule", "offered_at", "outcome", "outcome_at"),
            [(lead, partner, "TERRITORY:BEST_SCORE", at, outcome, ended) for lead, partner, at, outcome, ended in offers],
        )  # fmt: skip
        await self.copy(
            "opportunities",
            ("id", "partner_id", "lead_id", "customer_company", "product_line", "stage", "amount_minor", "currency", "expected_close", "status", "closed_at", "version", "created_at", "updated_at"),
            opportunities,
        )  # fmt: skip

    def _opportunity(self, lead: tuple[Any, ...], accepted: datetime) -> tuple[Any, ...]:
        """The opportunity of an accepted lead: WON or LOST with its lead (closed 1-90 days
        after acceptance, not after now), else OPEN, expected to close within 4 months."""
        lead_id, company, line, value, status = lead[0], lead[1], lead[4], lead[5], lead[8]
        closing = min(self.now, accepted + timedelta(days=self.rng.uniform(1, 90)))
        if status in (LeadStatus.WON, LeadStatus.LOST):
            outcome, closed, expected = str(status), closing, closing.date()
        else:
            outcome, closed = "OPEN", None
            expected = (self.now + timedelta(days=self.rng.uniform(-20, 120))).date()
        stage = self.rng.choice(("PROSPECTING", "QUALIFICATION", "PROPOSAL", "NEGOTIATION"))
        return (
            self.new_id(), lead[9], lead_id, company, line, stage, value, "USD", expected,
            outcome, closed, 1, accepted, closed or accepted,
        )  # fmt: skip

    def _offer(self, offered: datetime) -> tuple[Outcome, datetime | None]:
        """How an offer ended and when; still OFFERED when made in the last two days."""
        if offered > self.now - ACCEPTANCE:
            return Outcome.OFFERED, None
        draw = self.rng.random()
        if draw < 0.65:
            wait = timedelta(seconds=min(self.rng.expovariate(1 / 21_600), 47 * 3_600))
            return Outcome.ACCEPTED, offered + wait
        if draw < 0.85:
            return Outcome.DECLINED, offered + timedelta(hours=self.rng.uniform(1, 24))
        return Outcome.EXPIRED, offered + ACCEPTANCE

    def _lead(
        self, lead_id: str, partner_id: str, created: datetime, offered: datetime, outcome: Outcome
    ) -> tuple[Any, ...]:
        company = f"Customer {self.rng.randrange(200_000)}"
        country = self.rng.choice(COUNTRIES)
        if outcome is Outcome.OFFERED:
            # Due in the future: the hub's pull-back job leaves the data set alone.
            status, holder = LeadStatus.OFFERED, partner_id
            expires: datetime | None = self.now + timedelta(days=self.rng.uniform(2, 14))
        elif outcome is Outcome.ACCEPTED:
            status, holder, expires = self.rng.choice(_WORKED), partner_id, None
        else:
            status, holder, expires = LeadStatus.UNASSIGNABLE, None, None
        return (
            lead_id, company, f"{country}:{company.lower()}", country, self.rng.choice(list(LINES)),
            self.rng.randrange(100_000, 50_000_000), "USD", self.rng.choice(("VENDOR", "CAMPAIGN", "WEB")),
            status, holder, offered if holder else None, expires, 1, created, max(created, offered),
        )  # fmt: skip


_WORKED = [LeadStatus.ACCEPTED, LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.WON, LeadStatus.LOST]  # fmt: skip


def _line_of(sku: str) -> str:
    return next(line for line in LINES if line.startswith(sku[:3]))


def _tier(rank: float) -> Tier:
    """The tier of the partner at this share of the channel from the top (by weight)."""
    return next((tier for tier, share in TIER_SHARES if rank < share), Tier.REGISTERED)


def _returned(rng: random.Random, quantity: int) -> int:
    return quantity if rng.random() < 0.7 else max(1, quantity // 2)


def _increments(cumulative: list[float]) -> list[float]:
    return [now - before for before, now in itertools.pairwise([0.0, *cumulative])]
