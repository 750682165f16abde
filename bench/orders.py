"""Order placement throughput and SQL statements of an orders page.

Runs the real app in-process (GraphQL over ASGI, no network) on a fresh embedded database,
or on --database-url (PostgreSQL, migrated). Prints orders placed per second through
`placeOrder`, and the SQL statements one `orders(first: N)` page with lines, products and
partner costs for N = 10 and 50 (it must not grow with N).

Run: .venv/bin/python -m bench.orders [--orders 300] [--concurrency 1 16] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from typing import Any

import httpx
from sqlalchemy import event

from hub import identity, product_lines
from hub import partners as partner_service
from hub import users as user_service
from hub.orders import catalog, stock
from hub.orders.catalog import ProductInput
from hub.partners import PartnerInput, PartnerStatus, PartnerType, Tier
from hub.roles import Role
from hub.settings import load_settings
from storage import migrate
from web.app import create_app

PLACE = """mutation($lines: [OrderLineInput!]!) { placeOrder(input: {lines: $lines, endCustomer: "Bench",
  currency: "USD", shippingAddress: "1 Main St", shippingCountry: "US"}) { id } }"""
PAGE = """query($first: Int!) { orders(first: $first) { edges { node {
  id status total { amountMinor } partner { name tier }
  lines { sku quantity unitPrice { amountMinor } product { name listPrices { amountMinor currency } } }
} } } }"""


async def run(orders: int, database_url: str | None, concurrency: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        env = {"CHANNELHUB_VAR_DIR": folder, "CHANNELHUB_ENV": "test"}
        if database_url:
            env |= {
                "CHANNELHUB_DATABASE_URL": database_url,
                "CHANNELHUB_JWT_SECRET": "bench-secret-" + "x" * 32,
            }
        app = create_app(load_settings(env))
        await migrate.upgrade(app.state.engine)
        async with app.router.lifespan_context(app):
            hub = app.state.hub
            token = await _seed(hub)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport,
                base_url="http://bench",
                headers={"authorization": f"Bearer {token}"},
            ) as http:
                for clients in concurrency:
                    await _placement(http, orders, clients)
                for size in (10, 50):
                    count = await _statements(app, http, size)
                    print(
                        f"orders(first: {size}) with lines, products and partner: {count} SQL statements"
                    )


async def _seed(hub: Any) -> str:
    admin = await user_service.create_admin(
        hub, email="bench@vendor.example", password="bench-password-1", name="Bench"
    )
    vendor = identity.principal_of(admin)
    await product_lines.create(
        hub, principal=vendor, data=product_lines.ProductLineInput("NETWORKING", "Networking")
    )
    for n in range(20):
        await catalog.create(
            hub,
            principal=vendor,
            data=ProductInput(f"SKU-{n:02}", f"Product {n}", "NETWORKING", {"USD": 1_000 + n}),
        )
    await catalog.set_tier_discount(
        hub, principal=vendor, tier=Tier.GOLD, basis_points=1500, sku=None
    )
    await stock.create_warehouse(hub, principal=vendor, code="AMS", name="Amsterdam", country="NL")
    partner = await partner_service.create(
        hub,
        principal=vendor,
        data=PartnerInput(
            name="Bench Reseller",
            type=PartnerType.RESELLER,
            country="US",
            tier=Tier.GOLD,
            status=PartnerStatus.ACTIVE,
        ),
    )
    issued = await user_service.invite(
        hub,
        principal=vendor,
        organization_id=partner.id,
        email="buyer@bench.example",
        name="Buyer",
        role=Role.PARTNER_USER,
    )
    buyer = await user_service.accept_invite(
        hub, token=issued.token, password="bench-password-1", name=None
    )
    return identity.issue_token(hub, buyer)[0]


async def _placement(http: httpx.AsyncClient, orders: int, clients: int) -> None:
    lines = [{"sku": f"SKU-{n:02}", "quantity": n + 1} for n in range(5)]
    for _ in range(10):
        await _place(http, lines)
    each = max(1, orders // clients)
    latencies: list[float] = []

    async def client() -> None:
        for _ in range(each):
            began = time.perf_counter()
            await _place(http, lines)
            latencies.append(time.perf_counter() - began)

    load = os.getloadavg()[0]
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(
        f"placeOrder (5 lines, tier-priced), {clients} client(s): "
        f"{len(latencies) / elapsed:,.0f} orders/s over {len(latencies)} orders, "
        f"p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
        f"load {load:.2f}"
    )


async def _place(http: httpx.AsyncClient, lines: list[dict[str, Any]]) -> None:
    body = (
        await http.post("/graphql", json={"query": PLACE, "variables": {"lines": lines}})
    ).json()
    if "errors" in body:
        raise RuntimeError(body["errors"])


async def _statements(app: Any, http: httpx.AsyncClient, size: int) -> int:
    statements: list[str] = []
    engine = app.state.engine.sync_engine

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        body = (
            await http.post("/graphql", json={"query": PAGE, "variables": {"first": size}})
        ).json()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    if "errors" in body or len(body["data"]["orders"]["edges"]) != size:
        raise RuntimeError(body)
    return len(statements)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--database-url", default=os.environ.get("CHANNELHUB_BENCH_DATABASE_URL"))
    parser.add_argument(
        "--concurrency",
        type=int,
        nargs="+",
        default=[1, 16],
        help="clients placing orders at once; one run per value (default: 1 16)",
    )
    args = parser.parse_args()
    asyncio.run(run(args.orders, args.database_url, args.concurrency))


if __name__ == "__main__":
    main()
