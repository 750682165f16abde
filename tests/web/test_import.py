"""`channelhub import leads`: good rows kept and routed, bad rows reported by line."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.orders import catalog
from hub.partners import TerritoryInput
from hub.runtime import Hub
from storage.models import Lead
from tests.conftest import JWT_SECRET
from tests.e2e.conftest import CHANNELHUB
from tests.factories import Factory
from tests.services import service_env

CSV = """customer_company,country,region,product_line,value_minor,currency,email,expected_close
Globex,US,US-CA,networking,150000,USD,cto@globex.example,2026-06-30
Initech,XX,,NETWORKING,1000,USD,,
Umbrella,US,US-CA,NETWORKING,lots,USD,,
,US,US-CA,NETWORKING,1,USD,,
Hooli,US,US-CA,NETWORKING,5,usd,,2026-13-01
Stark,US,US-NY,NETWORKING,99,EUR,tony@stark.example,
Acme,US,US-CA,NETWRKING,10,USD,,
"""


def run_import(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHANNELHUB_")}
    env.update(
        CHANNELHUB_DATABASE_URL=service_env("DATABASE_URL"),
        CHANNELHUB_JWT_SECRET=JWT_SECRET,
        CHANNELHUB_ENV="test",
    )
    return subprocess.run(
        [str(CHANNELHUB), "import", "leads", str(path), *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


async def test_good_rows_are_kept_and_bad_rows_reported(
    database: AsyncEngine, hub: Hub, factory: Factory, tmp_path: Path
) -> None:
    await factory.vendor_admin()
    await factory.partner("West", territories=(TerritoryInput(name="CA", regions=("US-CA",)),))
    source = tmp_path / "leads.csv"
    source.write_text(CSV)

    result = run_import(source)

    assert result.returncode == 1
    assert (
        result.stdout.strip()
        == "imported 2 leads (2 offered, 0 unassignable), updated 0, unchanged 0; rejected 5 rows"
    )
    reported = [line for line in result.stderr.splitlines() if line.startswith("line ")]
    # A typo of a product line is refused naming the known ones, not imported UNASSIGNABLE.
    assert reported.pop().startswith(
        "line 8: product_line: unknown product line 'NETWRKING'; the product lines are: "
        "CLOUD, NET, NETWORKING, NETWORK_SECURITY"
    )
    assert reported == [
        "line 3: country: 'XX' is not an ISO 3166-1 alpha-2 country code",
        "line 4: value_minor: 'lots' is not a number",
        "line 5: customer_company: customer_company must not be empty",
        "line 6: expected_close: '2026-13-01' is not a date (YYYY-MM-DD)",
    ]
    async with hub.db() as session:
        names = sorted((await session.execute(select(Lead.customer_company))).scalars())
    assert names == ["Globex", "Stark"]


async def test_a_file_that_is_not_a_lead_csv_is_one_clear_line(
    database: AsyncEngine, factory: Factory, tmp_path: Path
) -> None:
    await factory.vendor_admin()
    wrong = tmp_path / "orders.csv"
    wrong.write_text("sku,quantity\nA-1,3\n")

    result = run_import(wrong)
    missing = run_import(tmp_path / "absent.csv")

    assert result.returncode == 2
    assert result.stderr.strip().endswith(
        "the header line lacks the column(s) customer_company, country, product_line"
    )
    assert missing.returncode == 2
    assert "is not a readable file" in missing.stderr


async def test_no_route_keeps_leads_new_and_a_second_import_updates(
    database: AsyncEngine, hub: Hub, factory: Factory, tmp_path: Path
) -> None:
    await factory.vendor_admin()
    source = tmp_path / "leads.csv"
    source.write_text(
        "customer_company,country,product_line,external_id,value_minor\n"
        + "".join(f"Company {n},DE,CLOUD,{'' if n % 2 else f'crm-{n}'},{n}\n" for n in range(450))
    )

    result = run_import(source, "--no-route")
    # Imported again with two rows changed: found by external_id, or else by the customer.
    source.write_text(
        source.read_text().replace(",crm-0,0\n", ",crm-0,7\n").replace(",,1\n", ",,8\n", 1)
    )
    again = run_import(source, "--no-route")

    assert result.returncode == 0, result.stderr
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == (
        "imported 0 leads (0 offered, 0 unassignable), updated 2, unchanged 448; rejected 0 rows"
    )
    async with hub.db() as session:
        statuses = (
            await session.execute(select(Lead.status, func.count()).group_by(Lead.status))
        ).all()
        values = dict(
            (
                await session.execute(
                    select(Lead.customer_company, Lead.value_minor).where(
                        Lead.customer_company.in_(["Company 0", "Company 1"])
                    )
                )
            ).all()
        )
    assert statuses == [("NEW", 450)]
    assert values == {"Company 0": 7, "Company 1": 8}


PRODUCTS = """sku,name,product_line,description,active,price_usd,price_eur
SW-24,Switch 24,networking,24 ports,true,99999,89900
RT-1,Router,networking,,,2500,
bad sku,Broken,networking,,,1,
FW-1,Firewall,security,,maybe,1,
AP-1,Access point,networking,,,12.5,
"""


async def test_products_are_created_updated_and_bad_rows_reported(
    database: AsyncEngine, hub: Hub, factory: Factory, tmp_path: Path
) -> None:
    vendor = await factory.vendor_admin()
    source = tmp_path / "products.csv"
    source.write_text(PRODUCTS)

    first = run_import_kind("products", source)
    source.write_text("sku,name,product_line,price_usd\nSW-24,Switch 24 v2,networking,88888\n")
    second = run_import_kind("products", source)
    switch = await catalog.get(hub, principal=vendor.principal, sku="SW-24")
    prices = (await catalog.prices_by_product(hub, [switch.id]))[0]

    assert first.returncode == 1
    assert first.stdout.strip() == "created 2 products, updated 0; rejected 3 rows"
    assert [line for line in first.stderr.splitlines() if line.startswith("line ")] == [
        "line 4: sku: 'bad sku' is not a SKU (letters, digits, . _ -, up to 64)",
        "line 5: active: 'maybe' is not true or false",
        "line 6: price_usd: '12.5' is not a whole number of minor units",
    ]
    assert second.returncode == 0
    assert second.stdout.strip() == "created 0 products, updated 1; rejected 0 rows"
    assert switch.name == "Switch 24 v2"
    assert [(price.currency, price.unit_minor) for price in prices] == [("USD", 88_888)]


def run_import_kind(kind: str, path: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHANNELHUB_")}
    env.update(
        CHANNELHUB_DATABASE_URL=service_env("DATABASE_URL"),
        CHANNELHUB_JWT_SECRET=JWT_SECRET,
        CHANNELHUB_ENV="test",
    )
    return subprocess.run(
        [str(CHANNELHUB), "import", kind, str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
