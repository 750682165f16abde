"""`channelhub import rates`: exchange rates from CSV, on the March of tests/api/test_analytics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api.test_analytics import concentration, march
from tests.web.test_import_files import run_command

__all__ = ["march"]


async def test_good_rows_are_set_together_and_bad_ones_reported_by_line(
    march: dict[str, Any], tmp_path: Path
) -> None:
    factory, vendor, ids = march["factory"], march["vendor"], march["partners"]
    path = tmp_path / "rates.csv"
    path.write_text(
        "currency,valid_from,rate\n"
        "gbp,2026-03-01,1.25\n"
        "EUR,2026-03-01,1.20\n"
        "USD,2026-03-01,1\n"
        "XYZ,2026-03-01,1\n"
        "EUR,2026-13-01,1.0\n"
        "EUR,2026-03-02,abc\n"
    )

    result = await run_command(factory, "import", "rates", str(path))
    found = await concentration(factory, factory.fresh(vendor))

    assert result.returncode == 1
    assert result.stdout.strip().splitlines()[-1] == "set 2 exchange rates; rejected 4 rows"
    assert [line for line in result.stderr.splitlines() if line.startswith("line ")] == [
        "line 4: currency: USD is the reporting currency: its rate is 1",
        "line 5: currency: give an ISO 4217 currency code such as EUR",
        "line 6: valid_from: give a date such as 2026-01-31",
        "line 7: rate: rate must be a decimal number such as 1.0825",
    ]
    assert [(g["key"], g["revenueMinor"]) for g in found["groups"]] == [
        (ids["Alpha"].id, 80_000),
        (ids["Beta"].id, 31_600),  # 18,000 EUR cents at 1.20 + 8,000 pence at 1.25
    ]
    assert found["missingRates"] == []


async def test_a_file_without_the_three_columns_is_refused(
    march: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "rates.csv"
    path.write_text("currency,rate\nEUR,1.1\n")

    result = await run_command(march["factory"], "import", "rates", str(path))

    assert result.returncode == 2
    assert "currency, valid_from, rate" in result.stderr
