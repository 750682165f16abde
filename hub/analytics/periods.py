"""Reporting periods: a month, a quarter, a year, trailing days, or explicit dates.

A period is a half-open range of UTC days [start, end). Its previous period is the one of
the same kind just before it: the month, quarter or year before, or as many days before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from hub.errors import BadInput

TRAILING_DAYS = frozenset({30, 90, 365})
# Explicit ranges longer than this are refused: a report over decades is a mistake.
MAX_DAYS = 3 * 366
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True)
class PeriodInput:
    """Exactly one of: a month ("2026-09"), a quarter ("2026-Q3"), a year, trailing days
    (30, 90 or 365, ending today), or explicit dates (from inclusive, to inclusive)."""

    month: str | None = None
    quarter: str | None = None
    year: int | None = None
    trailing_days: int | None = None
    from_date: date | None = None
    to_date: date | None = None


@dataclass(frozen=True)
class Period:
    start: date
    # The first day after the period.
    end: date
    label: str
    kind: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.start, time(), UTC)

    @property
    def ends_at(self) -> datetime:
        return datetime.combine(self.end, time(), UTC)

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        if self.kind == "month":
            return month(_shift_months(self.start, -1))
        if self.kind == "quarter":
            return quarter(_shift_months(self.start, -3))
        if self.kind == "year":
            return year(self.start.year - 1)
        start = self.start - timedelta(days=self.days)
        return days(start, self.start)


def parse(text: str) -> PeriodInput:
    """A period written on the command line: 2026-09, 2026-Q3, 2026, last-30 (-90, -365) or
    2026-01-01..2026-03-31; checked by `resolve`."""
    value = text.strip()
    if value.startswith("last-") and value[5:].isdigit():
        return PeriodInput(trailing_days=int(value[5:]))
    if ".." in value:
        start, _, last = value.partition("..")
        try:
            return PeriodInput(
                from_date=date.fromisoformat(start), to_date=date.fromisoformat(last)
            )
        except ValueError:
            raise BadInput("dates must look like 2026-01-01..2026-03-31", field="period") from None
    if value.isdigit() and len(value) == 4:
        return PeriodInput(year=int(value))
    return PeriodInput(quarter=value.upper()) if "-Q" in value.upper() else PeriodInput(month=value)


def resolve(given: PeriodInput, *, today: date, field: str = "period") -> Period:
    """The period the input names; refuse none, several, or a malformed one."""
    chosen = [
        name
        for name, value in [
            ("month", given.month),
            ("quarter", given.quarter),
            ("year", given.year),
            ("trailingDays", given.trailing_days),
            ("from", given.from_date or given.to_date),
        ]
        if value is not None
    ]
    if len(chosen) != 1:
        raise BadInput(
            "give exactly one of month, quarter, year, trailingDays, or from and to", field=field
        )
    if given.month is not None:
        return month(_parsed_month(given.month, field=f"{field}.month"))
    if given.quarter is not None:
        return _parsed_quarter(given.quarter, field=f"{field}.quarter")
    if given.year is not None:
        if not 1970 <= given.year <= 9998:
            raise BadInput("year must be between 1970 and 9998", field=f"{field}.year")
        return year(given.year)
    if given.trailing_days is not None:
        if given.trailing_days not in TRAILING_DAYS:
            raise BadInput("trailingDays must be 30, 90 or 365", field=f"{field}.trailingDays")
        end = today + timedelta(days=1)
        start = end - timedelta(days=given.trailing_days)
        return Period(start, end, f"last {given.trailing_days} days", "days")
    return _explicit(given.from_date, given.to_date, field=field)


def days(start: date, end: date) -> Period:
    """The days from `start` up to (not including) `end`, labelled with the first and last."""
    last = end - timedelta(days=1)
    return Period(start, end, f"{start.isoformat()}..{last.isoformat()}", "days")


def span(periods: Sequence[Period]) -> Period:
    """The days from the first period's start to the last one's end (the range a statement
    reads for several periods at once)."""
    return days(min(p.start for p in periods), max(p.end for p in periods))


def month(first: date) -> Period:
    start = first.replace(day=1)
    return Period(start, _shift_months(start, 1), f"{start:%Y-%m}", "month")


def quarter(first: date) -> Period:
    start = first.replace(month=(first.month - 1) // 3 * 3 + 1, day=1)
    number = (start.month - 1) // 3 + 1
    return Period(start, _shift_months(start, 3), f"{start.year}-Q{number}", "quarter")


def year(number: int) -> Period:
    return Period(date(number, 1, 1), date(number + 1, 1, 1), str(number), "year")


def _explicit(start: date | None, last: date | None, *, field: str) -> Period:
    if start is None or last is None:
        raise BadInput("give both from and to", field=f"{field}.{'to' if start else 'from'}")
    if last < start:
        raise BadInput("to must not be before from", field=f"{field}.to")
    end = last + timedelta(days=1)
    if (end - start).days > MAX_DAYS:
        raise BadInput(f"a period spans at most {MAX_DAYS} days", field=f"{field}.to")
    return days(start, end)


def _parsed_month(text: str, *, field: str) -> date:
    found = _MONTH.match(text)
    if not found or not 1 <= int(found[2]) <= 12 or not 1970 <= int(found[1]) <= 9998:
        raise BadInput("month must look like 2026-09", field=field)
    return date(int(found[1]), int(found[2]), 1)


def _parsed_quarter(text: str, *, field: str) -> Period:
    found = _QUARTER.match(text)
    if not found or not 1970 <= int(found[1]) <= 9998:
        raise BadInput("quarter must look like 2026-Q3", field=field)
    return quarter(date(int(found[1]), (int(found[2]) - 1) * 3 + 1, 1))


def _shift_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
