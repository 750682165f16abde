"""Bulk import of leads from CSV: every good row kept, every bad row reported by line."""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import IO, TypeVar

from hub import csvrows
from hub.csvrows import FormatError, Row
from hub.errors import BadInput, HubError
from hub.leads import upsert
from hub.leads.rules import CheckedLead, LeadInput, LeadSource, check_lead
from hub.roles import Principal, require_vendor_side
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
    "external_id",
)
REQUIRED = ("customer_company", "country", "product_line")
BATCH = 200
# A file sent over the API: read whole before any row is imported, so it is bounded.
UPLOAD_MAX_BYTES = 10 * 1_048_576
UPLOAD_MAX_ROWS = 10_000
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
    updated: int = 0
    unchanged: int = 0
    offered: int = 0
    unassignable: int = 0
    # Each row kept, by line, when asked for (the GraphQL import answers per row).
    kept: list[tuple[int, upsert.Upserted]] | None = None


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
            external_id=text("external_id"),
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
    """Import rows in batches; bad rows are reported and skipped, good ones always kept. A
    lead already there (by external_id, else by customer and product line) is updated."""
    require_vendor_side(principal)
    report = ImportReport() if report is None else report
    batch: list[tuple[int, upsert.Sent]] = []
    last = 1  # the header line
    try:
        for row in rows:
            last = row.line
            if row.problem is not None:
                report.reject(row.line, row.problem)
                continue
            try:
                batch.append((row.line, upsert.Sent.of(parse_row(row.values), row.values)))
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


async def import_upload(
    hub: Hub,
    *,
    principal: Principal,
    chunks: AsyncIterator[bytes],
    route_now: bool = True,
) -> ImportReport:
    """Import a CSV file sent over the API with the CLI's rules, answering row by row.

    The whole file is read (at most UPLOAD_MAX_BYTES and UPLOAD_MAX_ROWS) and its header
    checked before anything is written, so a file refused as a whole leaves nothing behind.
    """
    require_vendor_side(principal)
    with tempfile.SpooledTemporaryFile(max_size=1_048_576) as handle:
        size = 0
        async for chunk in chunks:
            size += len(chunk)
            if size > UPLOAD_MAX_BYTES:
                raise BadInput(
                    f"the file is larger than {UPLOAD_MAX_BYTES // 1_048_576} MiB; split it, "
                    "or import it with `channelhub import leads`",
                    field="file",
                )
            handle.write(chunk)
        handle.seek(0)
        try:
            rows = list(itertools.islice(read_rows(handle), UPLOAD_MAX_ROWS + 1))
        except FormatError as error:
            raise BadInput(f"the file cannot be imported: {error}", field="file") from None
    if len(rows) > UPLOAD_MAX_ROWS:
        raise BadInput(
            f"the file holds more than {UPLOAD_MAX_ROWS} rows; split it, or import it with "
            "`channelhub import leads`",
            field="file",
        )
    report = ImportReport(kept=[])
    return await import_leads(
        hub, principal=principal, rows=rows, route_now=route_now, report=report
    )


async def _flush(
    hub: Hub,
    principal: Principal,
    batch: list[tuple[int, upsert.Sent]],
    route_now: bool,
    report: ImportReport,
) -> None:
    if not batch:
        return
    try:
        await _upsert(hub, principal, batch, route_now, report)
        batch.clear()
    except HubError:
        # A row the checks let through spoils its whole batch: retry its rows one by one.
        while batch:
            try:
                await _upsert(hub, principal, batch[:1], route_now, report)
            except HubError as error:
                if error.code in ("UNAVAILABLE", "INTERNAL_SERVER_ERROR"):
                    raise
                report.reject(batch[0][0], error)
            del batch[0]


async def _upsert(
    hub: Hub,
    principal: Principal,
    batch: list[tuple[int, upsert.Sent]],
    route_now: bool,
    report: ImportReport,
) -> None:
    """Create the batch's new leads and update the ones already there, in one transaction."""
    items = [lead for _, lead in batch]
    results = await upsert.apply(hub, principal=principal, items=items, route_now=route_now)
    for (line, _), result in zip(batch, results, strict=True):
        if report.kept is not None:
            report.kept.append((line, result))
        if result.change is upsert.Change.CREATED:
            report.imported += 1
            report.offered += result.lead.status == "OFFERED"
            report.unassignable += result.lead.status == "UNASSIGNABLE"
        elif result.change is upsert.Change.UPDATED:
            report.updated += 1
        else:
            report.unchanged += 1


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
