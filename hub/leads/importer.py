"""Bulk import of leads from CSV: every good row kept, every bad row reported by line."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import IO, TypeVar

from hub import csvrows
from hub.csvrows import FormatError, Row
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


@dataclass
class ImportReport(csvrows.Report):
    columns: dict[str, str] = field(
        default_factory=lambda: {
            "estimatedValue.currency": "currency",
            "estimatedValue": "value_minor",
        },
        repr=False,
    )
    imported: int = 0
    offered: int = 0
    unassignable: int = 0


def read_rows(handle: IO[bytes], *, progress: Callable[[int], None] | None = None) -> Iterator[Row]:
    """Check the header line now; return the rows after it, each with its line number."""
    columns, rows = csvrows.read(handle, progress=progress)
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise FormatError(f"the header line lacks the column(s) {', '.join(missing)}")
    unknown = sorted(set(columns) - set(COLUMNS))
    if unknown:
        raise FormatError(f"unknown column(s) {', '.join(unknown)}; known: {', '.join(COLUMNS)}")
    return rows


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
    rows: Iterable[Row],
    route_now: bool = True,
    report: ImportReport | None = None,
) -> ImportReport:
    """Import rows in batches; bad rows are reported and skipped, good ones always kept."""
    report = ImportReport() if report is None else report
    batch: list[tuple[int, CheckedLead]] = []
    last = 1  # the header line
    try:
        for row in rows:
            last = row.line
            if row.problem is not None:
                report.reject(row.line, row.problem)
                continue
            try:
                batch.append((row.line, parse_row(row.values)))
            except (HubError, ValueError) as error:
                report.reject(row.line, error)
            if len(batch) >= BATCH:
                await _flush(hub, principal, batch, route_now, report)
        await _flush(hub, principal, batch, route_now, report)
    except BaseException:
        # The rows in hand were not committed, nor any after them: say where that starts.
        report.stopped_at = batch[0][0] if batch else last + 1
        raise
    return report


async def _flush(
    hub: Hub,
    principal: Principal,
    batch: list[tuple[int, CheckedLead]],
    route_now: bool,
    report: ImportReport,
) -> None:
    if not batch:
        return
    try:
        await _create(hub, principal, [lead for _, lead in batch], route_now, report)
        batch.clear()
    except HubError:
        # A row the checks let through spoils its whole batch: retry its rows one by one.
        while batch:
            line, lead = batch[0]
            try:
                await _create(hub, principal, [lead], route_now, report)
            except HubError as error:
                report.reject(line, error)
            del batch[0]


async def _create(
    hub: Hub, principal: Principal, leads: list[CheckedLead], route_now: bool, report: ImportReport
) -> None:
    created = await service.create_many(hub, principal=principal, items=leads, route_now=route_now)
    report.imported += len(created)
    report.offered += sum(1 for lead in created if lead.status == "OFFERED")
    report.unassignable += sum(1 for lead in created if lead.status == "UNASSIGNABLE")


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
