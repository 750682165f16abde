"""Funding the channel at scale: incentive statements over HTTP beside a raw recomputation,
and concurrent fund approvals racing for one allocation.

Starts its own PostgreSQL 15 (bench/_analytics_seed.py: Pareto-skewed partners, orders over
the 3 years before today with returns and cancellations; an EUR rate), migrates it, seeds it
with COPY and adds, also by COPY, this year's MDF budget allocated to every partner with
--requests fund requests in every state (submitted, approved, rejected, withdrawn) and a claim
for each approved one (submitted, approved, paid). Then one `channelhub serve`:

1. An incentive program over last full year is created and activated over GraphQL (timed:
   activation accrues every partner's year from raw orders): 3% of net delivered revenue, 5%
   past 1,000,000.00 USD, 10.00 USD per net SECURITY unit for GOLD partners, a 100.00 USD
   SPIFF per won deal.
2. The figures check: for the top partner the statement's revenue measure must equal the
   anchor's, and the sum of every partner's ledger must equal the balances.
3. Each round asks --statements incentiveStatement(programId, partnerId) for random partners
   as the vendor admin over a keep-alive connection (target p95 <= 100 ms), interleaved (which
   goes first alternates) with its anchor: that partner's net delivered revenue of the year
   straight from orders, order_lines and order_status_changes in one GROUP BY on asyncpg,
   i.e. what a statement recomputed on every read would cost at least.
4. --approvals SUBMITTED requests of 1,000.00 USD against one allocation with room for
   --room of them are approved at once over --approvals connections: it prints the tries,
   the approvals and the CONFLICTs, and checks that the allocation's reservation is exactly
   the approved amount and within the allocation.

Prints min, median and p95 with the hub/anchor ratios, seeding and activation times, row
counts and the load average at start and end. Only loopback traffic; the hub, PostgreSQL
and the folder are gone at the end, however the bench ends.

Run: .venv/bin/python -m bench.funds [--partners 5000] [--orders 1000000] [--leads 50000]
         [--requests 20000] [--rounds 5] [--statements 30] [--approvals 50] [--room 20]
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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx

from bench._analytics_seed import EUR_RATE, YEARS, Seeder, hub_env, postgres, seed
from bench.analytics import Stopped, _cancel_on_signals, _figures, _loads, _ms, _stop, gql
from bench.messaging import ADMIN_EMAIL, PASSWORD, channelhub, hub_processes, login, run_client

TARGET_MS = 100
UNIT = 1_000_00
PROGRAM = """mutation($input: IncentiveProgramInput!) { createIncentiveProgram(input: $input) {
  id } }"""
ACTIVATE = "mutation($id: ID!) { activateIncentiveProgram(id: $id) { status } }"
STATEMENT = """query($p: ID!, $partner: ID!) { incentiveStatement(programId: $p,
  partnerId: $partner) { partner { name tier } earned { amountMinor currency }
  paid { amountMinor } balance { amountMinor } lines { measure earned { amountMinor }
  rule { kind productLine } } payouts { reference amount { amountMinor } }
  accruals(first: 10) { totalCount edges { node { amount { amountMinor } cause recordedAt } } }
} }"""
APPROVE = """mutation($id: ID!) { approveFundRequest(id: $id) { status
  approved { amountMinor } } }"""
# One partner's net delivered revenue of the period, at the rate of each order's date.
ANCHOR_SQL = """WITH rates AS (
    SELECT currency, valid_from, rate::numeric AS rate,
           lead(valid_from) OVER (PARTITION BY currency ORDER BY valid_from) AS until
      FROM exchange_rates
    UNION ALL SELECT 'USD', DATE '0001-01-01', 1, NULL
), delivered AS (
    SELECT DISTINCT c.order_id FROM order_status_changes c
      JOIN orders o ON o.id = c.order_id AND o.partner_id = $3
     WHERE c.from_status = 'SHIPPED' AND c.to_status = 'DELIVERED'
       AND c.changed_at >= $1 AND c.changed_at < $2
)
SELECT coalesce(sum((l.shipped_quantity - l.returned_quantity) * l.unit_minor * r.rate), 0)::bigint
  FROM delivered d
  JOIN orders o ON o.id = d.order_id
  JOIN order_lines l ON l.order_id = o.id
  JOIN rates r ON r.currency = o.currency
   AND r.valid_from <= (o.created_at AT TIME ZONE 'UTC')::date
   AND (r.until IS NULL OR (o.created_at AT TIME ZONE 'UTC')::date < r.until)"""


async def eur_rate(db: asyncpg.Connection, now: datetime) -> None:
    """The EUR rate from before the first order (the revenue rollups are not rebuilt: no
    figure here reads them)."""
    await db.execute(
        "INSERT INTO exchange_rates (currency, valid_from, rate, set_by_id, set_at) "
        "SELECT 'EUR', $1, $2, id, $3 FROM users WHERE email = $4",
        (now - timedelta(days=YEARS * 365 + 30)).date(),
        EUR_RATE,
        now,
        ADMIN_EMAIL,
    )


async def seed_funds(
    db: asyncpg.Connection, seeder: Seeder, requests: int, approvals: int, room: int
) -> tuple[str, list[str]]:
    """This year's budget allocated to every partner, `requests` requests spread over them
    with claims, and the raced allocation: its partner's `approvals` SUBMITTED requests."""
    rng, now = random.Random(27), seeder.now
    today = now.date()
    starts, ends = date(today.year, 1, 1), date(today.year, 12, 31)
    partners = [partner.id for partner in seeder.partners]
    racer = partners[-1]
    budget = seeder.new_id()
    allocations = {partner: seeder.new_id() for partner in partners}
    each = 50 * UNIT
    request_rows: list[tuple[Any, ...]] = []
    claim_rows: list[tuple[Any, ...]] = []
    reserved: dict[str, int] = dict.fromkeys(partners, 0)
    done_by = today - timedelta(days=1)
    for n in range(requests):
        partner = rng.choice(partners[:-1])
        status = rng.choices(["SUBMITTED", "APPROVED", "REJECTED", "WITHDRAWN"], [2, 5, 2, 1])[0]
        asked = rng.randint(1, 40) * 100_00
        if reserved[partner] + asked > each:
            status = "REJECTED"
        approved = asked if status == "APPROVED" else None
        request_id = seeder.new_id()
        day = max(starts, done_by - timedelta(days=rng.randint(0, 300)))
        placed = datetime.combine(day, datetime.min.time(), UTC)
        decided = placed + timedelta(days=2) if status in ("APPROVED", "REJECTED") else None
        request_rows.append(
            (
                request_id, allocations[partner], budget, partner, f"Activity {n}", "",
                rng.choice(["EVENT", "WEBINAR", "DIGITAL", "PRINT", "TRAINING"]), day, day,
                asked, approved, "USD", None, status,
                "declined: outside the plan" if status == "REJECTED" else None,
                decided, 1, placed, decided or placed,
            )
        )  # fmt: skip
        if approved is None:
            continue
        reserved[partner] += approved
        claim = rng.choices(["NONE", "SUBMITTED", "APPROVED", "PAID"], [3, 3, 2, 2])[0]
        if claim == "NONE":
            continue
        claimed_at = placed + timedelta(days=5)
        claim_rows.append(
            (
                seeder.new_id(), request_id, allocations[partner], budget, partner, approved,
                approved if claim != "SUBMITTED" else None, "USD", claim, "invoice attached",
                f"ERP-{n}" if claim == "PAID" else None,
                claimed_at + timedelta(days=3) if claim != "SUBMITTED" else None,
                claimed_at + timedelta(days=9) if claim == "PAID" else None,
                1, claimed_at, claimed_at,
            )
        )  # fmt: skip
    raced = [seeder.new_id() for _ in range(approvals)]
    for n, request_id in enumerate(raced):
        request_rows.append(
            (
                request_id, allocations[racer], budget, racer, f"Raced {n}", "", "EVENT",
                today, today, UNIT, None, "USD", None, "SUBMITTED", None, None, 1, now, now,
            )
        )  # fmt: skip
    amounts = dict.fromkeys(partners, each) | {racer: room * UNIT}
    stamp = (now, now)
    await db.copy_records_to_table(
        "fund_budgets",
        records=[
            (budget, "MDF this year", starts, ends, "USD", sum(amounts.values()),
             sum(amounts.values()), "OPEN", 60, 1, *stamp)
        ],
        columns=["id", "name", "starts_on", "ends_on", "currency", "amount_minor",
                 "allocated_minor", "status", "claim_window_days", "version", "created_at",
                 "updated_at"],
    )  # fmt: skip
    await db.copy_records_to_table(
        "fund_allocations",
        records=[
            (allocations[p], budget, p, amounts[p], reserved[p], "USD", *stamp) for p in partners
        ],
        columns=["id", "budget_id", "partner_id", "amount_minor", "reserved_minor", "currency",
                 "created_at", "updated_at"],
    )  # fmt: skip
    await db.copy_records_to_table(
        "fund_requests",
        records=request_rows,
        columns=["id", "allocation_id", "budget_id", "partner_id", "title", "description",
                 "activity_type", "activity_starts_on", "activity_ends_on", "requested_minor",
                 "approved_minor", "currency", "expected_leads", "status", "decision_note",
                 "decided_at", "version", "created_at", "updated_at"],
    )  # fmt: skip
    await db.copy_records_to_table(
        "fund_claims",
        records=claim_rows,
        columns=["id", "request_id", "allocation_id", "budget_id", "partner_id",
                 "claimed_minor", "approved_minor", "currency", "status", "note",
                 "payment_reference", "decided_at", "paid_at", "version", "created_at",
                 "updated_at"],
    )  # fmt: skip
    await db.execute("VACUUM (ANALYZE) fund_budgets, fund_allocations, fund_requests, fund_claims")
    print(
        f"funds: 1 budget, {len(partners):,} allocations, {len(request_rows):,} requests, "
        f"{len(claim_rows):,} claims"
    )
    return allocations[racer], raced


async def incentive_program(http: httpx.AsyncClient, year: int) -> str:
    rules = [
        {"kind": "REVENUE_SHARE", "rate": 300, "acceleratorFrom": 1_000_000_00,
         "acceleratedRate": 500},
        {"kind": "PER_UNIT", "productLine": "SECURITY", "tier": "GOLD", "rate": 10_00},
        {"kind": "SPIFF", "rate": 100_00},
    ]  # fmt: skip
    given = {
        "name": f"Rebates {year}",
        "startsOn": f"{year}-01-01",
        "endsOn": f"{year}-12-31",
        "currency": "USD",
        "rules": rules,
    }
    program: str = (await gql(http, PROGRAM, {"input": given}))["createIncentiveProgram"]["id"]
    started = time.perf_counter()
    await gql(http, ACTIVATE, {"id": program})
    print(f"activateIncentiveProgram (accrues every partner's {year}): {time.perf_counter() - started:.1f} s")  # fmt: skip
    return program


async def check_figures(
    http: httpx.AsyncClient, db: asyncpg.Connection, program: str, year: int
) -> None:
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    top = await db.fetchval(
        "SELECT partner_id FROM incentive_balances WHERE program_id = $1 "
        "ORDER BY earned_minor DESC LIMIT 1",
        program,
    )
    found = (await gql(http, STATEMENT, {"p": program, "partner": top}))["incentiveStatement"]
    raw = await db.fetchval(ANCHOR_SQL, start, end, top)
    if found["lines"][0]["measure"] != raw:
        raise SystemExit(f"top partner's revenue: statement {found['lines'][0]['measure']}, raw {raw}")  # fmt: skip
    ledger, balances, accruals = await db.fetchrow(
        "SELECT (SELECT sum(amount_minor) FROM incentive_accruals WHERE program_id = $1), "
        "(SELECT sum(earned_minor) FROM incentive_balances WHERE program_id = $1), "
        "(SELECT count(*) FROM incentive_accruals WHERE program_id = $1)",
        program,
    )
    if ledger != balances:
        raise SystemExit(f"the ledger sums to {ledger}, the balances to {balances}")
    print(
        f"figures equal the anchor's: the top partner ({found['partner']['tier']}) earned "
        f"{found['earned']['amountMinor'] / 100:,.2f} USD on {raw / 100:,.2f} USD of net "
        f"revenue; {accruals:,} accruals sum to the balances, {balances / 100:,.2f} USD"
    )


async def measure_statements(
    http: httpx.AsyncClient, db: asyncpg.Connection, program: str, year: int,
    partners: list[str], rounds: int, count: int,
) -> None:  # fmt: skip
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    times: dict[str, list[float]] = {"hub": [], "anchor": []}

    async def hub(partner: str) -> float:
        began = time.perf_counter()
        answer = await http.post("/graphql", json={"query": STATEMENT, "variables": {"p": program, "partner": partner}})  # fmt: skip
        elapsed = time.perf_counter() - began
        if answer.status_code != 200 or "errors" in answer.json():
            raise RuntimeError(f"incentiveStatement: {answer.status_code} {answer.text[:300]}")
        return elapsed

    async def anchor(partner: str) -> float:
        began = time.perf_counter()
        await db.fetchval(ANCHOR_SQL, start, end, partner)
        return time.perf_counter() - began

    rng = random.Random(5)
    await hub(partners[0])
    await anchor(partners[0])
    for round_no in range(rounds):
        started = time.perf_counter()
        for n in range(count):
            partner = rng.choice(partners)
            sides = [("hub", hub), ("anchor", anchor)]
            for side, call in sides if (n + round_no) % 2 == 0 else sides[::-1]:
                times[side].append(await call(partner))
        print(
            f"round {round_no + 1}/{rounds}: {time.perf_counter() - started:.1f} s, load "
            f"{os.getloadavg()[0]:.2f}; statement median "
            f"{statistics.median(times['hub'][-count:]) * 1000:.1f} ms"
        )
    served, raw = _figures(times["hub"]), _figures(times["anchor"])
    verdict = "met" if served[2] <= TARGET_MS else "MISSED"
    ratios = ", ".join(f"{name} {h / a:.2f}x" for name, h, a in zip(("min", "median", "p95"), served, raw, strict=True))  # fmt: skip
    print(
        f"incentiveStatement({year}), random partner ({len(times['hub'])} requests): "
        f"{_ms(served)}; target p95 <= {TARGET_MS} ms: {verdict}\n    raw recomputation "
        f"anchor (one partner's year, one GROUP BY): {_ms(raw)}; hub/anchor {ratios}"
    )


async def race_approvals(
    base: str, token: str, db: asyncpg.Connection, allocation: str, raced: list[str], room: int
) -> None:
    limits = httpx.Limits(max_connections=len(raced), max_keepalive_connections=len(raced))
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits, headers=headers, trust_env=False) as http:  # fmt: skip
        started = time.perf_counter()
        answers = await asyncio.gather(
            *(http.post("/graphql", json={"query": APPROVE, "variables": {"id": r}}) for r in raced)
        )
        took = time.perf_counter() - started
    codes: dict[str, int] = {}
    for answer in answers:
        body = answer.json()
        code = body["errors"][0]["extensions"]["code"] if "errors" in body else "APPROVED"
        codes[code] = codes.get(code, 0) + 1
    amount, reserved = await db.fetchrow(
        "SELECT amount_minor, reserved_minor FROM fund_allocations WHERE id = $1", allocation
    )
    approved = await db.fetchval(
        "SELECT coalesce(sum(approved_minor), 0) FROM fund_requests "
        "WHERE allocation_id = $1 AND status = 'APPROVED'",
        allocation,
    )
    held = reserved == approved == codes.get("APPROVED", 0) * UNIT and reserved <= amount
    print(
        f"{len(raced)} concurrent approveFundRequest against one allocation with room for "
        f"{room}: {len(raced)} tries in {took:.2f} s; "
        + ", ".join(f"{code} {n}" for code, n in sorted(codes.items()))
        + f"; reserved {reserved / 100:,.2f} of {amount / 100:,.2f} USD: "
        + ("never overspent" if held else "OVERSPENT OR INCONSISTENT")
    )
    if not held:
        raise SystemExit("the allocation's reservation does not match its approvals")


async def bench(args: argparse.Namespace, url: str, folder: Path) -> None:
    _cancel_on_signals()
    env = hub_env(url, folder)
    channelhub(env, "migrate")
    channelhub(env, "create-admin", "--email", ADMIN_EMAIL, "--password", PASSWORD)
    db = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        seeder = await seed(db, args.partners, args.orders, args.leads)
        await eur_rate(db, seeder.now)
        allocation, raced = await seed_funds(db, seeder, args.requests, args.approvals, args.room)
        year = seeder.now.year - 1
        with hub_processes(env, 1, str(folder)) as hubs:
            await hubs[0].wait_ready()
            async with httpx.AsyncClient(base_url=hubs[0].base, timeout=900, trust_env=False) as http:  # fmt: skip
                admin, _ = await login(http, ADMIN_EMAIL)
                http.headers["authorization"] = f"Bearer {admin.token}"
                program = await incentive_program(http, year)
                await db.execute("VACUUM (ANALYZE) incentive_accruals, incentive_balances")
                await check_figures(http, db, program, year)
                partners = [partner.id for partner in seeder.partners]
                await measure_statements(
                    http, db, program, year, partners, args.rounds, args.statements
                )
                await race_approvals(hubs[0].base, admin.token, db, allocation, raced, args.room)
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--partners", type=int, default=5_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--leads", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=20_000, help="fund requests seeded")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--statements", type=int, default=30, help="per round")
    parser.add_argument("--approvals", type=int, default=50, help="racing for one allocation")
    parser.add_argument("--room", type=int, default=20, help="approvals the allocation holds")
    args = parser.parse_args()
    counts = (args.partners, args.orders, args.leads, args.requests, args.rounds)
    if min(*counts, args.statements, args.approvals, args.room) < 1 or args.partners < 2:
        parser.error("every count must be positive, and there are two partners at least")
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)
    print(
        f"machine: {os.cpu_count()} CPUs, load average {_loads(os.getloadavg())} at start; "
        f"{args.partners:,} partners, {args.orders:,} orders, {args.leads:,} leads, "
        f"{args.requests:,} fund requests; {args.rounds} rounds of {args.statements} statements"
    )
    try:
        with tempfile.TemporaryDirectory(prefix="channelhub-bench-funds-") as name:
            folder = Path(name)
            with postgres(folder) as (url, _log):
                run_client(bench(args, url, folder))
    except (Stopped, asyncio.CancelledError):
        raise SystemExit("bench.funds: stopped by a signal (hub and PostgreSQL stopped)") from None
    print(f"load average {_loads(os.getloadavg())} at end (1, 5, 15 min)")


if __name__ == "__main__":
    main()
