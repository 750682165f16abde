"""Lead creation with routing through the API: the per-process routing index against a rebuild.

Runs the real app in-process (GraphQL over ASGI, no network) on a fresh embedded database, or
on --database-url (PostgreSQL, an empty database: it is migrated). Seeds --partners partners
across 12 US states with 1 to 3 of 6 product lines each, then routes leads with
`createLead` one at a time, in interleaved rounds: "kept" uses the routing index the process
keeps; "rebuilt" empties that cache before every lead, which is what every routing call cost
before the index was kept (read every partner, territory, specialization, certification and
the 90-day performance). Prints leads/s per round, min and median, the ratio, SQL statements
per lead, and the machine's load.

Run: .venv/bin/python -m bench.leads [--partners 5000] [--leads 50] [--rounds 3]
         [--database-url postgresql+asyncpg://.../an_empty_database]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from typing import Any

import httpx
from sqlalchemy import event

from hub import identity, product_lines
from hub import partners as partner_service
from hub import users as user_service
from hub.leads import snapshot
from hub.partners import PartnerInput, PartnerStatus, PartnerType, TerritoryInput, Tier
from hub.settings import load_settings
from storage import migrate
from web.app import create_app

LINES = ["NETWORKING", "SECURITY", "STORAGE", "CLOUD", "COLLABORATION", "ANALYTICS"]
STATES = ["CA", "NY", "TX", "IL", "WA", "FL", "MA", "GA", "CO", "AZ", "OR", "NV"]
TIERS = [Tier.REGISTERED, Tier.SILVER, Tier.GOLD, Tier.PLATINUM]
CREATE = """mutation($company: String!, $region: String!, $line: String!) {
  createLead(input: {customerCompany: $company, country: "US", region: $region,
    productLine: $line}) { status } }"""


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        env = {"CHANNELHUB_VAR_DIR": folder, "CHANNELHUB_ENV": "test"}
        if args.database_url:
            env |= {
                "CHANNELHUB_DATABASE_URL": args.database_url,
                "CHANNELHUB_JWT_SECRET": "bench-secret-" + "x" * 32,
            }
        app = create_app(load_settings(env))
        await migrate.upgrade(app.state.engine)
        async with app.router.lifespan_context(app):
            hub = app.state.hub
            started = time.perf_counter()
            token = await _seed(hub, args.partners)
            print(
                f"database: {app.state.engine.dialect.name}; {args.partners} partners seeded in "
                f"{time.perf_counter() - started:.0f} s; load average {_load()}"
            )
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport,
                base_url="http://bench",
                headers={"authorization": f"Bearer {token}"},
            ) as http:
                await _measure(app, http, args)


async def _seed(hub: Any, count: int) -> str:
    admin = await user_service.create_admin(
        hub, email="bench@vendor.example", password="bench-password-1", name="Bench"
    )
    vendor = identity.principal_of(admin)
    for line in LINES:
        await product_lines.create(
            hub, principal=vendor, data=product_lines.ProductLineInput(line, line.title())
        )
    rng = random.Random(5)
    for n in range(count):
        states = rng.sample(STATES, k=2)
        await partner_service.create(
            hub,
            principal=vendor,
            data=PartnerInput(
                name=f"Bench Partner {n:05}",
                type=PartnerType.RESELLER,
                tier=rng.choice(TIERS),
                status=PartnerStatus.ACTIVE if rng.random() < 0.9 else PartnerStatus.SUSPENDED,
                country="US",
                latitude=rng.uniform(30, 47),
                longitude=rng.uniform(-122, -72),
                lead_capacity=10_000,
                specializations=tuple(rng.sample(LINES, k=rng.randint(1, 3))),
                territories=(
                    TerritoryInput(name="Area", regions=tuple(f"US-{s}" for s in states)),
                ),
            ),
        )
    return identity.issue_token(hub, admin)[0]


async def _measure(app: Any, http: httpx.AsyncClient, args: argparse.Namespace) -> None:
    hub = app.state.hub
    rates: dict[str, list[float]] = {"kept": [], "rebuilt": []}
    statements: dict[str, list[int]] = {"kept": [], "rebuilt": []}
    counter = iter(range(10**9))

    async def lead(rebuild: bool) -> int:
        if rebuild:
            hub.caches.pop(snapshot.CACHE, None)
        n = next(counter)
        variables = {
            "company": f"Customer {n}",
            "region": f"US-{STATES[n % len(STATES)]}",
            "line": LINES[n % len(LINES)],
        }
        seen: list[str] = []

        def record(*_: Any) -> None:
            seen.append("")

        sync = app.state.engine.sync_engine
        event.listen(sync, "before_cursor_execute", record)
        try:
            body = await http.post("/graphql", json={"query": CREATE, "variables": variables})
        finally:
            event.remove(sync, "before_cursor_execute", record)
        answer = body.json()
        if "errors" in answer:
            raise RuntimeError(f"createLead failed: {answer['errors']}")
        return len(seen)

    await lead(False)  # builds the kept index once
    for _ in range(args.rounds):
        for kind in ("kept", "rebuilt"):
            started = time.perf_counter()
            counts = [await lead(kind == "rebuilt") for _ in range(args.leads)]
            rates[kind].append(args.leads / (time.perf_counter() - started))
            statements[kind].append(int(statistics.median(counts)))
            # The next "kept" round starts from a kept index again.
            await lead(False)
    for kind in ("kept", "rebuilt"):
        print(
            f"createLead, index {kind:7}: median {statistics.median(rates[kind]):7.1f} leads/s, "
            f"min {min(rates[kind]):7.1f}, over {args.rounds} rounds of {args.leads}; "
            f"{statements[kind][-1]} SQL statements per lead"
        )
    ratios = [kept / rebuilt for kept, rebuilt in zip(rates["kept"], rates["rebuilt"], strict=True)]
    print(
        f"kept / rebuilt per round: min {min(ratios):.1f}x, median {statistics.median(ratios):.1f}x;"
        f" load average {_load()}"
    )


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--partners", type=int, default=5000)
    parser.add_argument("--leads", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
