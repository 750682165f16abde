"""`channelhub report`: the analytics reports as CSV, on the March of tests/api/test_analytics."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.api.test_analytics import march
from tests.api.test_forecast import pipeline
from tests.api.test_lead_funnel import territories
from tests.web.test_import_files import run_command

__all__ = ["march", "pipeline", "territories"]


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_scorecards_concentration_and_funnel_as_csv(march: dict[str, Any]) -> None:
    factory, ids = march["factory"], march["partners"]

    cards = await run_command(factory, "report", "scorecards", "--period", "2026-03")
    shares = await run_command(
        factory, "report", "concentration", "--period", "2026-03", "--group-by", "product_line"
    )
    leads = await run_command(factory, "report", "funnel", "--period", "2026-03-01..2026-03-31")

    assert cards.returncode == 0, cards.stderr
    assert [
        (r["partner"], r["revenue_minor"], r["delivered_orders"], r["rank_in_channel"])
        for r in rows(cards.stdout)
    ] == [("Alpha", "80000", "2", "1"), ("Beta", "19800", "2", "2"), ("Gamma", "0", "0", "3")]
    assert rows(cards.stdout)[0]["partner_id"] == ids["Alpha"].id
    assert "scorecards" in cards.stderr  # the progress bar
    assert [(r["key"], r["revenue_minor"], r["share_bp"]) for r in rows(shares.stdout)] == [
        ("SECURITY", "50000", "5010"),
        ("NETWORKING", "49800", "4990"),
    ]
    assert leads.returncode == 0 and rows(leads.stdout) == []


async def test_a_bad_period_or_group_is_one_line_and_a_nonzero_exit(
    march: dict[str, Any],
) -> None:
    factory = march["factory"]

    period = await run_command(factory, "report", "scorecards", "--period", "2026-13")
    group = await run_command(
        factory, "report", "concentration", "--period", "2026", "--group-by", "planet"
    )

    assert period.returncode == 2 and period.stdout == ""
    assert period.stderr.strip() == "channelhub: month must look like 2026-09"
    assert group.returncode == 2 and group.stderr.strip() == (
        "channelhub: --group-by must be one of PARTNER, TIER, TYPE, COUNTRY, PRODUCT_LINE"
    )


async def test_the_forecast_as_csv(pipeline: dict[str, Any]) -> None:
    factory, ids = pipeline["factory"], pipeline["partners"]

    found = await run_command(factory, "report", "forecast", "--period", "2026-03")
    by_line = await run_command(
        factory, "report", "forecast", "--period", "2026-Q1", "--group-by", "product_line"
    )

    assert found.returncode == 0, found.stderr
    assert [
        (r["key"], r["weighted_minor"], r["commit_minor"], r["actual_minor"])
        for r in rows(found.stdout)
    ] == [
        (ids["Alpha"].id, "50000", "90000", "80000"),
        (ids["Beta"].id, "13200", "22000", "19800"),
        (pipeline["sub"].id, "1000", "", "0"),
        ("TOTAL", "64200", "112000", "99800"),
    ]
    assert [(r["key"], r["pipeline_minor"], r["won_minor"]) for r in rows(by_line.stdout)] == [
        ("NETWORKING", "154000", "20000"),
        ("SECURITY", "0", "0"),
        ("TOTAL", "154000", "20000"),
    ]


async def test_the_funnel_by_territory_as_csv(territories: dict[str, Any]) -> None:
    factory, ids = territories["factory"], territories["ids"]
    north = ids["North"]

    found = await run_command(
        factory, "report", "funnel", "--period", "2026-03", "--group-by", "territory"
    )

    assert found.returncode == 0, found.stderr
    assert [
        (r["key"], r["created"], r["routed"], r["unassignable"]) for r in rows(found.stdout)
    ] == [
        ("(no territory)", "3", "1", "1"),
        *sorted(
            [
                (f"{north} / Downtown", "1", "1", "0"),
                (f"{north} / Milwaukee", "1", "1", "0"),
                (f"{north} / Wisconsin", "1", "1", "0"),
                (f"{north} / USA", "1", "1", "0"),
                (f"{ids['Maple']} / Toronto", "1", "1", "0"),
            ]
        ),
    ]
