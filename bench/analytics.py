"""Channel analytics at scale: scorecards and the 80/20 view over HTTP, beside a plain GROUP BY.

Starts its own PostgreSQL 15 on a free loopback port in a temporary folder, migrates it with
`channelhub migrate`, creates the vendor admin with `channelhub create-admin` and seeds it with
COPY (bench/_analytics_seed.py tells how): ACTIVE partners with Pareto-skewed revenue, orders
over the 3 years before today with 1-3 lines each, and leads with their offers (an accepted
lead gets an opportunity: WON or LOST as the lead, else OPEN). It sets an EUR
rate (1.0825, valid before the first order), runs `channelhub analytics rebuild` (timed: every
rollup from raw data), analyzes the rollups and starts one `channelhub serve` (production, no
demo).

Each round sends --requests of each document, one at a time and interleaved, as the vendor
admin over a keep-alive connection: partnerScorecard(partnerId, period: {quarter}) for a
random partner with its activity figures (target p95 <= 50 ms),
channelConcentration(period: {year}) by partner with each group's name (<= 500 ms), and partnerScorecards(first: 50, period: {quarter}) (<= 300 ms) when
schema/schema.graphql has it. Beside each, timed the same way on one asyncpg connection, its
anchor: the same revenue straight from orders, order_lines and order_status_changes in one
GROUP BY (that partner's quarter; every partner's year; the quarter's top 50). The hub's
figures must equal the anchors' first. The periods are the last full quarter and year (UTC).

Prints min, median and p95 over all rounds with the hub/anchor ratios, the seeding and rebuild
times, row counts and the load average at start and end; with --explain, the plans
(auto_explain, ANALYZE) of each statement over 1 ms in one more request of each. Only loopback
traffic; the hub, PostgreSQL and the folder are gone at the end, however the bench ends.

Run: .venv/bin/python -m bench.analytics [--partners 5000] [--orders 1000000]
         [--leads 500000] [--rounds 5] [--requests 30] [--explain]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx

from bench._analytics_seed import hub_env, postgres, rebuild, seed
from bench.messaging import (
    ADMIN_EMAIL,
    PASSWORD,
    channelhub,
    hub_processes,
    login,
    percentile,
    run_client,
)
from hub.analytics.periods import Period, quarter, year

SCHEMA = Path(__file__).resolve().parents[1] / "schema" / "schema.graphql"
EXPLAIN = {"log_min_duration": "'1ms'", "log_analyze": "on", "log_buffers": "on"}

SCORECARD = """query($id: ID!, $period: PeriodInput!) { partnerScorecard(partnerId: $id, period: $period) {
  period { label } previousPeriod { label } reportingCurrency rankBand rankInTier tierSize
  percentileInTier rankInChannel channelSize percentileInChannel partner { name tier }
  revenueMinor { current previous change } averageOrderMinor { current previous change }
  deliveredOrders { current previous change } returnedOrders { current previous change }
  leadsOffered { current previous change } leadsAccepted { current previous change }
  leadsDeclined { current previous change } leadsExpired { current previous change }
  acceptanceRateBasisPoints { current previous change } medianSecondsToAccept { current previous change }
  routedLeadsWon { current previous change } winRateBasisPoints { current previous change }
  routedRevenueMinor { current previous change } openPipelineMinor { current previous change }
  dealsSubmitted { current previous change } dealApprovalRateBasisPoints { current previous change }
  certifiedUsers { current } certificationSeatsMet { current } certificationSeatsRequired { current }
  collateralDownloads { current previous change } articlesRead { current previous change }
  bestPracticesPublished { current } medianSecondsToRespond { current previous change }
  missingRates { currency amountMinor } } }"""
CONCENTRATION = """query($period: PeriodInput!) { channelConcentration(period: $period) {
  period { label } previousPeriod { label } reportingCurrency thresholdBasisPoints
  totalRevenueMinor coreSize activePartners coreShareOfActivePartnersBasisPoints
  giniBasisPoints entered left missingRates { currency amountMinor }
  groups { key revenueMinor shareBasisPoints cumulativeBasisPoints inCore name } } }"""
SCORECARDS = """query($period: PeriodInput!) { partnerScorecards(period: $period, first: 50) {
  totalCount pageInfo { hasNextPage endCursor } edges { node { partner { id name tier }
  revenueMinor { current previous change } deliveredOrders { current previous change }
  leadsOffered { current } acceptanceRateBasisPoints { current } winRateBasisPoints { current }
  openPipelineMinor { current } dealsSubmitted { current } certificationSeatsMet { current }
  rankInTier rankInChannel rankBand } } } }"""
# Each order's shipped (or returned) value at the rate of its order date, by partner.
REVENUE_SQL = """WITH rates AS (
    SELECT currency, valid_from, rate::numeric AS rate,
           lead(valid_from) OVER (PARTITION BY currency ORDER BY valid_from) AS until
      FROM exchange_rates
    UNION ALL SELECT 'USD', DATE '0001-01-01', 1, NULL
), moves AS (
    SELECT order_id, to_status = 'RETURNED' AS returned FROM order_status_changes
     WHERE changed_at >= $1 AND changed_at < $2
       AND (to_status = 'RETURNED' OR (from_status = 'SHIPPED' AND to_status = 'DELIVERED'))
)
SELECT o.partner_id, sum(CASE WHEN m.returned THEN -l.returned_quantity ELSE l.shipped_quantity END
                         * l.unit_minor * r.rate)::bigint AS minor
  FROM moves m
  JOIN orders o ON o.id = m.order_id{partner}
  JOIN order_lines l ON l.order_id = o.id
  JOIN rates r ON r.currency = o.currency
   AND r.valid_from <= (o.created_at AT TIME ZONE 'UTC')::date
   AND (r.until IS NULL OR (o.created_at AT TIME ZONE 'UTC')::date < r.until)
 GROUP BY o.partner_id{tail}"""
PARTNER_REVENUE_SQL = REVENUE_SQL.format(partner=" AND o.partner_id = $3", tail="")
CHANNEL_REVENUE_SQL = REVENUE_SQL.format(partner="", tail="")
TOP_REVENUE_SQL = REVENUE_SQL.format(
    partner="", tail="\n ORDER BY minor DESC, o.partner_id DESC LIMIT 50"
)


class Stopped(Exception):
    """SIGTERM or SIGHUP: unwind, so that every process and folder is cleaned up."""


# What is measured


Call = Callable[[str], Awaitable[float]]


@dataclass
class Pair:
    """A hub document and its anchor, with each one's latencies in seconds."""

    label: str
    target_ms: float
    hub: Call
    anchor: Call
    times: dict[str, list[float]] = field(default_factory=lambda: {"hub": [], "anchor": []})


def hub_call(http: httpx.AsyncClient, document: str, variables: Callable[[str], Any]) -> Call:
    """Time one request (until the whole answer is in); refuse an error answer."""

    async def call(partner: str) -> float:
        began = time.perf_counter()
        response = await http.post("/graphql", json={"query": document, "variables": variables(partner)})  # fmt: skip
        elapsed = time.perf_counter() - began
        body = response.json()
        if response.status_code != 200 or "errors" in body:
            raise RuntimeError(f"{document[:40]}...: {response.status_code} {str(body)[:500]}")
        return elapsed

    return call


def anchor_call(db: asyncpg.Connection, sql: str, period: Period, *, partner: bool) -> Call:
    async def call(partner_id: str) -> float:
        extra = (partner_id,) if partner else ()
        began = time.perf_counter()
        await db.fetch(sql, period.starts_at, period.ends_at, *extra)
        return time.perf_counter() - began

    return call


def pairs_of(
    http: httpx.AsyncClient, db: asyncpg.Connection, q: Period, y: Period, *, listed: bool
) -> list[Pair]:
    by_quarter, by_year = {"quarter": q.label}, {"year": y.start.year}
    pairs = [
        Pair(
            f"partnerScorecard({q.label}), random partner",
            50,
            hub_call(http, SCORECARD, lambda p: {"id": p, "period": by_quarter}),
            anchor_call(db, PARTNER_REVENUE_SQL, q, partner=True),
        ),
        Pair(
            f"channelConcentration({y.label}) by partner",
            500,
            hub_call(http, CONCENTRATION, lambda _: {"period": by_year}),
            anchor_call(db, CHANNEL_REVENUE_SQL, y, partner=False),
        ),
    ]
    if listed:
        pairs.append(
            Pair(
                f"partnerScorecards(first: 50, {q.label})",
                300,
                hub_call(http, SCORECARDS, lambda _: {"period": by_quarter}),
                anchor_call(db, TOP_REVENUE_SQL, q, partner=False),
            )
        )
    return pairs


async def gql(http: httpx.AsyncClient, document: str, variables: dict[str, Any]) -> Any:
    body = (await http.post("/graphql", json={"query": document, "variables": variables})).json()
    if "errors" in body:
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    return body["data"]


async def check_figures(
    http: httpx.AsyncClient, db: asyncpg.Connection, q: Period, y: Period, *, listed: bool
) -> None:
    """The hub's revenue must be the anchors' (exact: EUR amounts convert without rounding)."""
    raw = {row[0]: row[1] for row in await db.fetch(CHANNEL_REVENUE_SQL, y.starts_at, y.ends_at)}
    found = (await gql(http, CONCENTRATION, {"period": {"year": y.start.year}}))["channelConcentration"]  # fmt: skip
    served = {group["key"]: int(group["revenueMinor"]) for group in found["groups"]}
    _same(f"{y.label} revenue by partner", _nonzero(served), _nonzero(raw))
    top = max(raw, key=lambda key: raw[key])
    card = (await gql(http, SCORECARD, {"id": top, "period": {"quarter": q.label}}))["partnerScorecard"]  # fmt: skip
    [mine] = await db.fetch(PARTNER_REVENUE_SQL, q.starts_at, q.ends_at, top) or [(top, 0)]
    _same(f"{q.label} revenue of the top partner", card["revenueMinor"]["current"], mine[1])
    if listed:
        page = (await gql(http, SCORECARDS, {"period": {"quarter": q.label}}))["partnerScorecards"]
        best = [int(edge["node"]["revenueMinor"]["current"]) for edge in page["edges"]]
        raw_best = [row[1] for row in await db.fetch(TOP_REVENUE_SQL, q.starts_at, q.ends_at)]
        _same(f"{q.label} top 50 revenues", best, raw_best)
    share = found["coreShareOfActivePartnersBasisPoints"]
    print(
        f"figures equal the anchors'. {y.label}: {int(found['totalRevenueMinor']) / 100:,.2f} "
        f"{found['reportingCurrency']} over {len(served):,} partners; {found['coreSize']:,} of "
        f"{found['activePartners']:,} active partners ({(share or 0) / 100:.1f}%) bring 80%; "
        f"Gini {found['giniBasisPoints'] / 100:.1f}%; the top partner's {q.label}: rank "
        f"{card['rankInChannel']} of {card['channelSize']}, {card['partner']['tier']}"
    )


def _nonzero(revenue: dict[str, int]) -> dict[str, int]:
    return {key: minor for key, minor in revenue.items() if minor}


def _same(what: str, served: object, raw: object) -> None:
    if served != raw:
        raise SystemExit(f"{what}: the hub says {str(served)[:300]}, the raw tables {str(raw)[:300]}")  # fmt: skip


async def measure(pairs: list[Pair], partners: list[str], rounds: int, requests: int) -> None:
    """Interleave the documents and anchors; which of a pair goes first alternates."""
    rng = random.Random(16)
    for pair in pairs:  # warm-up: plans, caches, connections
        await pair.hub(partners[0])
        await pair.anchor(partners[0])
    for round_no in range(rounds):
        started = time.perf_counter()
        for n in range(requests):
            partner = rng.choice(partners)
            for pair in pairs:
                sides = [("hub", pair.hub), ("anchor", pair.anchor)]
                for side, call in sides if (n + round_no) % 2 == 0 else sides[::-1]:
                    pair.times[side].append(await call(partner))
        medians = ", ".join(
            f"{pair.label.split('(')[0]} {statistics.median(pair.times['hub'][-requests:]) * 1000:.1f} ms"
            for pair in pairs
        )  # fmt: skip
        print(
            f"round {round_no + 1}/{rounds}: {time.perf_counter() - started:.0f} s, load "
            f"{os.getloadavg()[0]:.2f}; hub medians: {medians}"
        )


def report(pairs: list[Pair]) -> None:
    for pair in pairs:
        hub, anchor = (_figures(pair.times[side]) for side in ("hub", "anchor"))
        verdict = "met" if hub[2] <= pair.target_ms else "MISSED"
        ratios = ", ".join(f"{name} {h / a:.1f}x" for name, h, a in zip(("min", "median", "p95"), hub, anchor, strict=True))  # fmt: skip
        print(
            f"{pair.label} ({len(pair.times['hub'])} requests): {_ms(hub)}; target p95 <= "
            f"{pair.target_ms:g} ms: {verdict}\n    raw GROUP BY anchor: {_ms(anchor)}; "
            f"hub/anchor {ratios}"
        )


def _figures(times: list[float]) -> tuple[float, float, float]:
    ordered = sorted(seconds * 1000 for seconds in times)
    return ordered[0], statistics.median(ordered), percentile(ordered, 0.95)


def _ms(figures: tuple[float, float, float]) -> str:
    return "min {:.1f} ms, median {:.1f} ms, p95 {:.1f} ms".format(*figures)


async def explain(db: asyncpg.Connection, log: Path, pairs: list[Pair], partner: str) -> None:
    """One more request of each with auto_explain on; print the plans PostgreSQL logged."""
    offset = _size(log)
    await _auto_explain(db, on=True)
    try:
        for pair in pairs:
            await pair.hub(partner)
            await pair.anchor(partner)
    finally:
        await _auto_explain(db, on=False)
    print(f"\nplans of the statements over 1 ms (auto_explain, partner {partner}):")
    for line in _logged(log, offset).splitlines():
        if "duration:" in line or line.startswith(("\t", " ")):
            print(f"  | {line.split('LOG:  ')[-1]}")


def _size(log: Path) -> int:
    return log.stat().st_size


def _logged(log: Path, offset: int) -> str:
    with log.open("rb") as logged:
        logged.seek(offset)
        return logged.read().decode(errors="replace")


async def _auto_explain(db: asyncpg.Connection, *, on: bool) -> None:
    for key, value in EXPLAIN.items():
        command = f"SET auto_explain.{key} = {value}" if on else f"RESET auto_explain.{key}"
        await db.execute(f"ALTER SYSTEM {command}")
    await db.execute("SELECT pg_reload_conf()")
    await asyncio.sleep(1)  # every backend reads the configuration anew


# The run


def last_full_periods(today: date) -> tuple[Period, Period]:
    return quarter(quarter(today).start - timedelta(days=1)), year(today.year - 1)


async def bench(args: argparse.Namespace, url: str, log: Path, folder: Path) -> None:
    _cancel_on_signals()
    env = hub_env(url, folder)
    channelhub(env, "migrate")
    channelhub(env, "create-admin", "--email", ADMIN_EMAIL, "--password", PASSWORD)
    db = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        seeder = await seed(db, args.partners, args.orders, args.leads)
        await rebuild(db, env, seeder.now)
        q, y = last_full_periods(seeder.now.date())
        listed = "partnerScorecards(" in SCHEMA.read_text()
        if not listed:
            print("partnerScorecards is not in schema/schema.graphql: skipped")
        with hub_processes(env, 1, str(folder)) as hubs:
            await hubs[0].wait_ready()
            async with httpx.AsyncClient(base_url=hubs[0].base, timeout=300, trust_env=False) as http:  # fmt: skip
                admin, _ = await login(http, ADMIN_EMAIL)
                http.headers["authorization"] = f"Bearer {admin.token}"
                await check_figures(http, db, q, y, listed=listed)
                pairs = pairs_of(http, db, q, y, listed=listed)
                partners = [partner.id for partner in seeder.partners]
                await measure(pairs, partners, args.rounds, args.requests)
                report(pairs)
                if args.explain:
                    await explain(db, log, pairs, random.Random(7).choice(partners))
    finally:
        await db.close()


def _cancel_on_signals() -> None:
    """SIGTERM or SIGHUP cancels the bench, which stops the hub and PostgreSQL on its way out
    (the event loop, not Python, handles signals while it runs)."""
    loop, task = asyncio.get_running_loop(), asyncio.current_task()
    assert task is not None
    for signum in (signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, task.cancel)


def _stop(signum: int, _frame: FrameType | None) -> None:
    raise Stopped(signal.Signals(signum).name)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--partners", type=int, default=5_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--leads", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=30, help="of each document per round")
    parser.add_argument("--explain", action="store_true", help="print the statements' plans")
    args = parser.parse_args()
    if min(args.partners, args.orders, args.leads, args.rounds, args.requests) < 1:
        parser.error("every count must be positive")
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # progress shows in a log as it comes
    loads = os.getloadavg()
    print(
        f"machine: {os.cpu_count()} CPUs, load average {_loads(loads)} at start; "
        f"{args.partners:,} partners, {args.orders:,} orders, {args.leads:,} leads; "
        f"{args.rounds} rounds of {args.requests} requests per document"
    )
    try:
        with tempfile.TemporaryDirectory(prefix="channelhub-bench-analytics-") as name:
            folder = Path(name)
            with postgres(folder) as (url, log):
                run_client(bench(args, url, log, folder))
    except (Stopped, asyncio.CancelledError):
        raise SystemExit(
            "bench.analytics: stopped by a signal (hub and PostgreSQL stopped)"
        ) from None
    print(f"load average {_loads(os.getloadavg())} at end (1, 5, 15 min)")


def _loads(values: tuple[float, float, float]) -> str:
    return "/".join(f"{value:.2f}" for value in values)


if __name__ == "__main__":
    main()
