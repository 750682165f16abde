"""Bulk import of leads from CSV: every good row kept, every bad row reported by line."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from hub.errors import HubError
from hub.leads import service
from hub.leads.rules import CheckedLead, LeadInput, LeadSource, check_lead
from hub.roles import Principal
from hub.runtime import Hub

COLUMNS = (
    "customer_company",
    "contact_name",
    "email",
    "phone",
    "country",
    "region",
    "postal_code",
    "latitude",
    "longitude",
    "product_line",
    "value_minor",
    "currency",
    "expected_close",
    "source",
)
REQUIRED = ("customer_company", "country", "product_line")
BATCH = 200
Num = TypeVar("Num", int, float)
MAX_FIELD = 10_000


@dataclass
class ImportReport:
    imported: int = 0
    offered: int = 0
    unassignable: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


class ImportFormatError(Exception):
    """The file is not a lead CSV at all (missing columns, unreadable)."""


def read_rows(handle: Iterable[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Stream (line number, row) pairs from a CSV with a header line."""
    csv.field_size_limit(MAX_FIELD)
    reader = csv.DictReader(handle)
    missing = [name for name in REQUIRED if name not in (reader.fieldnames or [])]
    if missing:
        raise ImportFormatError(f"the header line lacks the column(s) {', '.join(missing)}")
    unknown = sorted(set(reader.fieldnames or []) - set(COLUMNS))
    if unknown:
        raise ImportFormatError(
            f"unknown column(s) {', '.join(unknown)}; known: {', '.join(COLUMNS)}"
        )
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as error:
        raise ImportFormatError(f"line {reader.line_num}: {error}") from None


def parse_row(row: Mapping[str, str | None]) -> CheckedLead:
    """Turn one CSV row into a checked lead, or raise HubError/ValueError naming the column."""

    def text(name: str) -> str | None:
        value = row.get(name)
        return value.strip() if value and value.strip() else None

    return check_lead(
        LeadInput(
            customer_company=text("customer_company") or "",
            country=text("country") or "",
            product_line=text("product_line") or "",
            contact_name=text("contact_name"),
            email=text("email"),
            phone=text("phone"),
            region=text("region"),
            postal_code=text("postal_code"),
            latitude=_number(text("latitude"), "latitude", float),
            longitude=_number(text("longitude"), "longitude", float),
            value_minor=_number(text("value_minor"), "value_minor", int) or 0,
            currency=text("currency") or "USD",
            expected_close=_date(text("expected_close")),
            source=_source(text("source")),
        )
    )


async def import_leads(
    hub: Hub,
    *,
    principal: Principal,
    rows: Iterable[tuple[int, dict[str, str]]],
    route_now: bool = True,
    on_rejected: Callable[[int, str], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import rows in batches; bad rows are reported and skipped, good ones always kept."""
    report = ImportReport()
    batch: list[CheckedLead] = []
    for line, row in rows:
        try:
            batch.append(parse_row(row))
        except (HubError, ValueError) as error:
            reason = (
                f"{error.field}: {error.message}"
                if isinstance(error, HubError) and error.field
                else str(error)
            )
            report.rejected.append((line, reason))
            if on_rejected:
                on_rejected(line, reason)
        if len(batch) >= BATCH:
            await _flush(hub, principal, batch, route_now, report, on_batch)
    await _flush(hub, principal, batch, route_now, report, on_batch)
    return report


async def _flush(
    hub: Hub,
    principal: Principal,
    batch: list[CheckedLead],
    route_now: bool,
    report: ImportReport,
    on_batch: Callable[[int], None] | None,
) -> None:
    if not batch:
        return
    created = await service.create_many(hub, principal=principal, items=batch, route_now=route_now)
    report.imported += len(created)
    report.offered += sum(1 for lead in created if lead.status == "OFFERED")
    report.unassignable += sum(1 for lead in created if lead.status == "UNASSIGNABLE")
    if on_batch:
        on_batch(len(created))
    batch.clear()


def _number(value: str | None, name: str, kind: type[Num]) -> Num | None:
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not a number") from None


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected_close: {value!r} is not a date (YYYY-MM-DD)") from None


def _source(value: str | None) -> LeadSource:
    if value is None:
        return LeadSource.CAMPAIGN
    try:
        return LeadSource(value.upper())
    except ValueError:
        raise ValueError(f"source: {value!r} is not one of {', '.join(LeadSource)}") from None
