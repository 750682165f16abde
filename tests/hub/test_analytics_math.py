"""Periods, currency conversion and concentration figures, computed by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from hub.analytics import concentration as c
from hub.analytics import money
from hub.analytics.periods import PeriodInput, parse, resolve
from hub.errors import BadInput

TODAY = date(2026, 12, 3)


@pytest.mark.parametrize(
    ("given", "start", "end", "label", "previous"),
    [
        (PeriodInput(month="2026-03"), date(2026, 3, 1), date(2026, 4, 1), "2026-03", "2026-02"),
        (PeriodInput(month="2026-01"), date(2026, 1, 1), date(2026, 2, 1), "2026-01", "2025-12"),
        (PeriodInput(quarter="2026-Q1"), date(2026, 1, 1), date(2026, 4, 1), "2026-Q1", "2025-Q4"),
        (PeriodInput(year=2025), date(2025, 1, 1), date(2026, 1, 1), "2025", "2024"),
        (
            PeriodInput(trailing_days=30),
            date(2026, 11, 4),
            date(2026, 12, 4),
            "last 30 days",
            "2026-10-05..2026-11-03",
        ),
        (
            PeriodInput(from_date=date(2026, 2, 27), to_date=date(2026, 3, 2)),
            date(2026, 2, 27),
            date(2026, 3, 3),
            "2026-02-27..2026-03-02",
            "2026-02-23..2026-02-26",
        ),
    ],
)
def test_periods_and_the_period_before_them(
    given: PeriodInput, start: date, end: date, label: str, previous: str
) -> None:
    period = resolve(given, today=TODAY)

    assert (period.start, period.end, period.label) == (start, end, label)
    assert period.previous().label == previous
    assert period.previous().end == period.start


@pytest.mark.parametrize(
    ("given", "field"),
    [
        (PeriodInput(), "period"),
        (PeriodInput(month="2026-03", year=2026), "period"),
        (PeriodInput(month="2026-13"), "period.month"),
        (PeriodInput(month="26-03"), "period.month"),
        (PeriodInput(month="9999-12"), "period.month"),
        (PeriodInput(quarter="2026-Q5"), "period.quarter"),
        (PeriodInput(year=10000), "period.year"),
        (PeriodInput(trailing_days=7), "period.trailingDays"),
        (PeriodInput(from_date=date(2026, 3, 2)), "period.to"),
        (PeriodInput(from_date=date(2026, 3, 2), to_date=date(2026, 3, 1)), "period.to"),
        (PeriodInput(from_date=date(2020, 1, 1), to_date=date(2026, 1, 1)), "period.to"),
    ],
)
def test_a_malformed_period_names_its_field(given: PeriodInput, field: str) -> None:
    with pytest.raises(BadInput) as refused:
        resolve(given, today=TODAY)
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("2026-09", "2026-09"),
        ("2026-q3", "2026-Q3"),
        ("2025", "2025"),
        ("last-90", "last 90 days"),
        ("2026-01-01..2026-01-31", "2026-01-01..2026-01-31"),
    ],
)
def test_periods_as_written_on_the_command_line(text: str, label: str) -> None:
    assert resolve(parse(text), today=TODAY).label == label


@pytest.mark.parametrize(
    ("amount", "currency", "rate", "reporting", "expected"),
    [
        (10_000, "EUR", "1.0825", "USD", 10_825),  # 100.00 EUR -> 108.25 USD
        (1, "EUR", "1.5", "USD", 2),  # 0.015 rounds half to even: 0.02
        (3, "EUR", "0.5", "USD", 2),  # 0.015 -> 0.02
        (5, "EUR", "0.5", "USD", 2),  # 0.025 -> 0.02 (half to even)
        (1_000, "JPY", "0.0067", "USD", 670),  # 1000 JPY -> 6.70 USD
        (1_000, "USD", "149.5", "JPY", 1_495),  # 10.00 USD -> 1495 JPY
        (1_234, "BHD", "2.65", "USD", 327),  # 1.234 BHD -> 3.2701 -> 3.27 USD
        (-10_000, "EUR", "1.0825", "USD", -10_825),  # a return
    ],
)
def test_conversion_goes_through_each_currencys_minor_units_and_rounds_half_to_even(
    amount: int, currency: str, rate: str, reporting: str, expected: int
) -> None:
    assert money.convert(amount, currency, Decimal(rate), reporting) == expected


def test_the_rate_valid_on_a_day_is_the_newest_from_that_day_or_before() -> None:
    rates = money.Rates.of(
        "USD",
        [("EUR", date(2026, 1, 1), Decimal("1.10")), ("EUR", date(2026, 7, 1), Decimal("1.20"))],
    )

    assert rates.on("EUR", date(2025, 12, 31)) is None
    assert rates.on("EUR", date(2026, 1, 1)) == Decimal("1.10")
    assert rates.on("EUR", date(2026, 6, 30)) == Decimal("1.10")
    assert rates.on("EUR", date(2026, 7, 1)) == Decimal("1.20")
    assert rates.on("USD", date(1999, 1, 1)) == 1
    assert rates.converted(100, "EUR", date(2026, 8, 1)) == 120
    assert rates.converted(100, "GBP", date(2026, 8, 1)) is None


@pytest.mark.parametrize("text", ["0", "-1", "abc", "1e400", "NaN", "1.12345678901", ""])
def test_a_rate_must_be_a_positive_decimal_of_at_most_ten_decimals(text: str) -> None:
    with pytest.raises(BadInput) as refused:
        money.checked_rate(text, field="rate")
    assert refused.value.field == "rate"


def test_the_core_is_the_fewest_partners_that_reach_the_threshold() -> None:
    figures = c.concentration(
        [("c", 2_000), ("a", 5_000), ("b", 3_000), ("d", 0), ("e", -100)], threshold_bp=8_000
    )

    assert figures.total_minor == 10_000
    assert figures.core == ["a", "b"]
    assert [(s.key, s.share_bp, s.cumulative_bp) for s in figures.shares] == [
        ("a", 5_000, 5_000),
        ("b", 3_000, 8_000),
        ("c", 2_000, 10_000),
        ("d", 0, 10_000),
        ("e", 0, 10_000),
    ]


def test_gini_of_equal_and_of_concentrated_revenue() -> None:
    assert c.gini_bp([]) == 0
    assert c.gini_bp([0, 0]) == 0
    assert c.gini_bp([5, 5, 5, 5]) == 0
    # One of four has everything: G = (n - 1) / n = 0.75.
    assert c.gini_bp([0, 0, 0, 8]) == 7_500
    # [1, 2, 3, 4]: G = 2*(1+4+9+16)/(4*10) - 5/4 = 1.5 - 1.25 = 0.25.
    assert c.gini_bp([4, 1, 3, 2]) == 2_500
