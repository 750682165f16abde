"""`channelhub import` on damaged files: every row is imported or reported by line, on both DBs."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hub.csvrows import MAX_LINE_BYTES
from storage.models import Lead, Product
from tests.conftest import JWT_SECRET
from tests.e2e.conftest import CHANNELHUB
from tests.factories import Factory

LEAD_HEADER = b"customer_company,country,product_line\n"
PRODUCT_HEADER = b"sku,name,product_line,price_usd\n"


def leads(first: int, count: int) -> bytes:
    return b"".join(b"Company %d,DE,CLOUD\n" % n for n in range(first, first + count))


def products(first: int, count: int) -> bytes:
    return b"".join(
        b"SKU-%d,Product %d,networking,100\n" % (n, n) for n in range(first, first + count)
    )


async def run_cli(factory: Factory, kind: str, path: Path) -> subprocess.CompletedProcess[str]:
    """Run `channelhub import <kind>` on the factory's database (leads kept NEW)."""
    extra = ["--no-route"] if kind == "leads" else []
    return await run_command(factory, "import", kind, str(path), *extra)


async def run_command(factory: Factory, *command: str) -> subprocess.CompletedProcess[str]:
    """Run a `channelhub` command on the factory's database.

    In a thread, so the test's own hub keeps running and never sits on a SQLite lock.
    """
    settings = factory.hub.settings
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHANNELHUB_")}
    env.update(
        CHANNELHUB_DATABASE_URL=settings.database_url,
        CHANNELHUB_VAR_DIR=str(settings.var_dir),
        CHANNELHUB_JWT_SECRET=JWT_SECRET,
        CHANNELHUB_ENV="test",
    )
    return await asyncio.to_thread(
        subprocess.run,
        [str(CHANNELHUB), *command],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )


def reported(result: subprocess.CompletedProcess[str]) -> list[str]:
    return re.findall(r"^line \d+: .*$", result.stderr, re.MULTILINE)


async def count(factory: Factory, model: type[Lead] | type[Product]) -> int:
    async with factory.hub.db() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_bad_byte_mid_file_spoils_only_its_own_row(
    any_factory: Factory, tmp_path: Path
) -> None:
    await any_factory.vendor_admin()
    source = tmp_path / "leads.csv"
    # Lines 2-226 good, 227 has a bad byte, 228-452 good, 453 is a lone bad byte.
    source.write_bytes(
        LEAD_HEADER + leads(0, 225) + b"Bad \xff company,DE,CLOUD\n" + leads(225, 225) + b"\xff"
    )

    result = await run_cli(any_factory, "leads", source)

    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        "imported 450 leads (0 offered, 0 unassignable), updated 0, unchanged 0; rejected 2 rows"
    ]
    assert reported(result) == [
        "line 227: not valid UTF-8 (byte 0xff at byte 5 of the line)",
        "line 453: not valid UTF-8 (byte 0xff at byte 1 of the line)",
    ]
    assert await count(any_factory, Lead) == 450


async def test_a_bad_byte_mid_product_file_spoils_only_its_own_row(
    any_factory: Factory, tmp_path: Path
) -> None:
    await any_factory.vendor_admin()
    source = tmp_path / "products.csv"
    source.write_bytes(
        PRODUCT_HEADER + products(0, 270) + b"SKU-X,Caf\xe9,networking,1\n" + products(270, 180)
    )

    result = await run_cli(any_factory, "products", source)

    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == ["created 450 products, updated 0; rejected 1 rows"]
    assert reported(result) == ["line 272: not valid UTF-8 (byte 0xe9 at byte 10 of the line)"]
    assert await count(any_factory, Product) == 450


DAMAGED_LEADS = {
    "bom and crlf": (
        b"\xef\xbb\xbf" + LEAD_HEADER.replace(b"\n", b"\r\n") + leads(0, 3).replace(b"\n", b"\r\n"),
        3,
        [],
    ),
    "truncated last lines": (
        LEAD_HEADER + leads(0, 3) + b"Initech,US\n" + b'"Hooli,US,CLO',
        3,
        [
            "line 5: product_line: '' is not a product line code (letters, digits, underscores)",
            "line 6: country: '' is not an ISO 3166-1 alpha-2 country code",
        ],
    ),
    "huge line": (
        LEAD_HEADER
        + leads(0, 2)
        + b"Big," + b"x" * (MAX_LINE_BYTES + 10) + b",CLOUD\n"
        + leads(2, 2),
        4,
        [f"line 4: longer than {MAX_LINE_BYTES} bytes"],
    ),
    "too many values": (
        LEAD_HEADER + leads(0, 1) + b"Extra,DE,CLOUD,surprise\n" + b"Trailing,DE,CLOUD,,\n",
        2,
        ["line 3: 4 values, but the header names 3"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", DAMAGED_LEADS)
async def test_damaged_lead_files_import_every_good_row(
    any_factory: Factory, tmp_path: Path, case: str
) -> None:
    content, imported, rejected = DAMAGED_LEADS[case]
    await any_factory.vendor_admin()
    source = tmp_path / "leads.csv"
    source.write_bytes(content)

    result = await run_cli(any_factory, "leads", source)

    assert result.returncode == (1 if rejected else 0), result.stderr
    assert result.stdout.splitlines() == [
        f"imported {imported} leads (0 offered, 0 unassignable), updated 0, unchanged 0; rejected {len(rejected)} rows"
    ], result.stderr
    assert reported(result) == rejected
    assert await count(any_factory, Lead) == imported
    async with any_factory.hub.db() as session:
        names = set((await session.execute(select(Lead.customer_company))).scalars())
    assert all(re.fullmatch(r"Company \d+|Trailing", name) for name in names), names


async def test_an_empty_file_is_one_clear_line_and_a_summary(
    any_factory: Factory, tmp_path: Path
) -> None:
    await any_factory.vendor_admin()
    empty = tmp_path / "leads.csv"
    empty.write_bytes(b"")

    result = await run_cli(any_factory, "leads", empty)

    assert result.returncode == 2
    assert result.stdout.splitlines() == [
        "imported 0 leads (0 offered, 0 unassignable), updated 0, unchanged 0; rejected 0 rows"
    ]
    assert result.stderr.strip().endswith("the first line is empty: it must name the columns")
    assert await count(any_factory, Lead) == 0


async def test_a_product_row_with_extra_values_is_reported_not_a_crash(
    any_factory: Factory, tmp_path: Path
) -> None:
    await any_factory.vendor_admin()
    source = tmp_path / "products.csv"
    source.write_bytes(
        PRODUCT_HEADER + products(0, 2) + b"SKU-X,Extra,networking,1,2\n" + products(2, 2)
    )

    result = await run_cli(any_factory, "products", source)

    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == ["created 4 products, updated 0; rejected 1 rows"]
    assert reported(result) == ["line 4: 5 values, but the header names 4"]
    assert await count(any_factory, Product) == 4


async def test_amounts_beyond_the_api_limit_are_reported_by_line(
    any_factory: Factory, tmp_path: Path
) -> None:
    await any_factory.vendor_admin()
    lead_file, product_file = tmp_path / "leads.csv", tmp_path / "products.csv"
    lead_file.write_bytes(
        b"customer_company,country,product_line,value_minor\n"
        b"Huge,DE,CLOUD,99999999999999999999\nFine,DE,CLOUD,100\n"
    )
    product_file.write_bytes(PRODUCT_HEADER + b"SKU-H,Huge,networking,99999999999999999999\n")

    lead_result = await run_cli(any_factory, "leads", lead_file)
    product_result = await run_cli(any_factory, "products", product_file)

    limit = "a whole number of minor units from 0 to 9007199254740991"
    assert reported(lead_result) == [f"line 2: value_minor: value_minor must be {limit}"]
    assert lead_result.stdout.splitlines() == [
        "imported 1 leads (0 offered, 0 unassignable), updated 0, unchanged 0; rejected 1 rows"
    ]
    assert reported(product_result) == [f"line 2: price_<currency>: a list price must be {limit}"]
    assert await count(any_factory, Lead) == 1
    assert await count(any_factory, Product) == 0
