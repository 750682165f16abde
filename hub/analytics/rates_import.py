"""Bulk import of exchange rates from CSV (currency, valid_from, rate): the good rows are set
in one transaction and each currency's revenue is converted anew once, from its earliest new
rate on; bad rows are reported by line."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO

from hub import csvrows
from hub.analytics import rollups
from hub.analytics.money import checked_rate
from hub.analytics.service import RateInput, checked_currency
from hub.csvrows import FormatError, Row
from hub.db import upsert
from hub.errors import BadInput, HubError
from hub.roles import Principal, require_vendor_admin
from hub.runtime import Hub
from storage.models.analytics import ExchangeRate

COLUMNS = ("currency", "valid_from", "rate")


@dataclass
class RateImportReport(csvrows.Report):
    columns: dict[str, str] = field(default_factory=lambda: {"validFrom": "valid_from"}, repr=False)
    imported: int = 0


def read_rows(handle: IO[bytes], *, progress: Callable[[int], None] | None = None) -> Iterator[Row]:
    """Check the header line now: exactly the columns currency, valid_from and rate."""
    columns, rows = csvrows.read(handle, progress=progress)
    if sorted(columns) != sorted(COLUMNS):
        raise FormatError(f"the header line must name the columns {', '.join(COLUMNS)}")
    return rows


async def import_rates(
    hub: Hub, *, principal: Principal, rows: Iterable[Row], report: RateImportReport
) -> RateImportReport:
    """Set every good row's rate (a later row of the same currency and day wins)."""
    require_vendor_admin(principal)
    wanted: dict[tuple[str, date], tuple[str, int]] = {}
    async with hub.read() as session:
        reporting = await rollups.reporting_currency(session)
    for row in rows:
        if row.problem is not None:
            report.reject(row.line, row.problem)
            continue
        try:
            rate = _parsed(row, reporting)
        except (HubError, ValueError) as error:
            report.reject(row.line, error)
            continue
        wanted[(rate.currency, rate.valid_from)] = (rate.rate, row.line)
    if not wanted:
        return report
    now = hub.clock.now()
    async with hub.write() as session:
        statement = upsert(session, ExchangeRate.__table__)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["currency", "valid_from"],
                set_={name: statement.excluded[name] for name in ("rate", "set_by_id", "set_at")},
            ),
            [
                {
                    "currency": currency,
                    "valid_from": day,
                    "rate": rate,
                    "set_by_id": principal.user_id,
                    "set_at": now,
                }
                for (currency, day), (rate, _) in wanted.items()
            ],
        )
        for currency in sorted({currency for currency, _ in wanted}):
            since = min(day for code, day in wanted if code == currency)
            await rollups.rebuild(session, currency=currency, since=since)
    report.imported = len(wanted)
    return report


def _parsed(row: Row, reporting: str) -> RateInput:
    values = row.values
    currency = checked_currency(values.get("currency") or "", field="currency")
    if currency == reporting:
        raise BadInput(f"{currency} is the reporting currency: its rate is 1", field="currency")
    try:
        day = date.fromisoformat((values.get("valid_from") or "").strip())
    except ValueError:
        raise ValueError("valid_from: give a date such as 2026-01-31") from None
    return RateInput(currency, str(checked_rate(values.get("rate") or "", field="rate")), day)
