"""Lists read through indexes on PostgreSQL: a distributor's channel by partner_id, every list
in its order."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from hub.partners import PartnerType, Tier
from hub.roles import Role
from tests.api.test_query_count import BACKGROUND
from tests.conftest import data_of
from tests.factories import Actor, Factory

# A distributor with 40 sub-resellers among 2,000 partners, as in the home-page benchmark.
PARTNERS, ROWS, SUBS = 2000, 20_000, 40
# Rows enough that PostgreSQL scans the whole table when the filter cannot use the index,
# as it did for an OR of `partner_id = own` and `partner_id IN (children)`, and hash-joins a
# scan of it for `partner_id IN (the channel)`.
SEED = [
    """INSERT INTO organizations (id, kind, name, created_at, updated_at)
       SELECT 'bulk' || g, 'PARTNER', 'Bulk ' || g, now(), now() FROM generate_series(1, :n) g""",
    """INSERT INTO partners (id, name, type, tier, status, country, lead_capacity, version,
         created_at, updated_at, parent_id)
       SELECT 'bulk' || g, 'Bulk ' || g, 'RESELLER', 'GOLD', 'ACTIVE', 'US', 10, 1, now(), now(),
         CASE WHEN g <= :subs THEN :distributor END
       FROM generate_series(1, :n) g""",
    """INSERT INTO orders (id, partner_id, end_customer, shipping_address, shipping_country,
         currency, total_minor, status, version, created_at, updated_at)
       SELECT 'bulk' || g, 'bulk' || (1 + g % :n), 'C', 'A', 'US', 'USD', 100, 'SUBMITTED', 1,
         now() - g * interval '1 minute', now() FROM generate_series(1, :rows) g""",
    """INSERT INTO leads (id, partner_id, customer_company, customer_key, country, product_line,
         value_minor, currency, source, status, version, created_at, updated_at)
       SELECT 'bulk' || g, 'bulk' || (1 + g % :n), 'C' || g, 'c' || g, 'US', 'NETWORKING', 0,
         'USD', 'CAMPAIGN', 'ACCEPTED', 1, now() - g * interval '1 minute', now()
       FROM generate_series(1, :rows) g""",
    """INSERT INTO deal_registrations (id, partner_id, customer_company, customer_key, country,
         product_line, value_minor, currency, status, created_at, updated_at)
       SELECT 'bulk' || g, 'bulk' || (1 + g % :n), 'C' || g, 'c' || g, 'US', 'NETWORKING', 1,
         'USD', 'APPROVED', now() - g * interval '1 minute', now() FROM generate_series(1, :rows) g""",
]
PAGES = """{ orders(first: 20) { totalCount edges { node { status } } }
  leads(first: 20) { totalCount edges { node { status } } }
  dealRegistrations(first: 20) { totalCount edges { node { status } } } }"""


async def test_a_distributors_pages_use_the_partner_index(
    database: AsyncEngine, factory: Factory, app: Starlette
) -> None:
    distributor = await factory.partner("Dist", type=PartnerType.DISTRIBUTOR, tier=Tier.GOLD)
    caller = await factory.user(distributor.id, Role.PARTNER_USER)
    await seed(database, distributor.id)

    plans: dict[str, list[str]] = {}
    for statement, plan in await explained(app, factory, PAGES, caller):
        for table in ("orders", "leads", "deal_registrations"):
            if f"FROM {table}" in statement and "partner_id" in statement:
                plans.setdefault(table, []).append(plan)

    assert set(plans) == {"orders", "leads", "deal_registrations"}
    for table, found in plans.items():
        assert len(found) == 2, (table, found)  # the count and the page
        for plan in found:
            assert f"Seq Scan on {table}" not in plan, plan


PAGES_ONLY = """{ orders(first: 20) { edges { node { status } } }
  leads(first: 20) { edges { node { status } } }
  dealRegistrations(first: 20) { edges { node { status } } } }"""


async def test_vendor_staffs_first_pages_are_read_in_order_off_the_list_indexes(
    database: AsyncEngine, factory: Factory, app: Starlette
) -> None:
    """Newest first over 20,000 rows: an index read in order, stopping after the page, not a
    scan and a sort of the whole table."""
    vendor = await factory.vendor_admin()
    distributor = await factory.partner("Dist", type=PartnerType.DISTRIBUTOR, tier=Tier.GOLD)
    await seed(database, distributor.id)

    statements = await explained(app, factory, PAGES_ONLY, vendor)

    for table in ("orders", "leads", "deal_registrations"):
        [plan] = [plan for sql, plan in statements if f"FROM {table}" in sql and "LIMIT" in sql]
        assert f"ix_{table}_created_order" in plan, plan
        assert "Sort" not in plan, plan
        assert f"Seq Scan on {table}" not in plan, plan


async def test_the_directory_is_read_in_its_order_off_the_name_index(
    database: AsyncEngine, factory: Factory, app: Starlette
) -> None:
    vendor = await factory.vendor_admin()
    distributor = await factory.partner("Dist", type=PartnerType.DISTRIBUTOR, tier=Tier.GOLD)
    await seed(database, distributor.id)

    statements = await explained(
        app, factory, "{ partners(first: 20) { edges { node { name } } } }", vendor
    )

    [plan] = [plan for sql, plan in statements if "FROM partners" in sql and "LIMIT" in sql]
    assert "ix_partners_name_order" in plan, plan
    assert "Seq Scan on partners" not in plan, plan


async def seed(database: AsyncEngine, distributor_id: str) -> None:
    async with database.begin() as conn:
        for statement in SEED:
            await conn.execute(
                text(statement),
                {"n": PARTNERS, "rows": ROWS, "subs": SUBS, "distributor": distributor_id},
            )
        await conn.execute(
            text("ANALYZE organizations, partners, orders, leads, deal_registrations")
        )


async def explained(
    app: Starlette, factory: Factory, document: str, actor: Actor
) -> list[tuple[str, str]]:
    """The SELECTs one request ran (less background work), each with its plan."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if not BACKGROUND.search(statement):
            seen.append((statement, parameters))

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        data_of(await factory.gql(document, actor=actor))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    plans = []
    async with app.state.engine.connect() as conn:
        for statement, parameters in seen:
            if statement.lstrip().upper().startswith("SELECT"):
                result = await conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
                plans.append((statement, "\n".join(row[0] for row in result)))
    return plans
