"""Bulk import of products from CSV: new SKUs are created, known ones updated, bad rows reported."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO

from hub import csvrows
from hub.csvrows import FormatError, Row
from hub.errors import HubError, NotFound
from hub.orders import catalog
from hub.orders.catalog import ProductInput
from hub.roles import Principal
from hub.runtime import Hub

REQUIRED = ("sku", "name", "product_line")
OPTIONAL = ("description", "active")
PRICE_PREFIX = "price_"
TRUE, FALSE = {"", "1", "true", "yes", "y"}, {"0", "false", "no", "n"}


@dataclass
class ProductImportReport(csvrows.Report):
    columns: dict[str, str] = field(
        default_factory=lambda: {"listPrices": "price_<currency>"}, repr=False
    )
    created: int = 0
    updated: int = 0


def read_rows(handle: IO[bytes], *, progress: Callable[[int], None] | None = None) -> Iterator[Row]:
    """Check the header line now; price columns are price_<CURRENCY>, e.g. price_usd."""
    columns, rows = csvrows.read(handle, progress=progress)
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise FormatError(f"the header line lacks the column(s) {', '.join(missing)}")
    unknown = [
        name
        for name in columns
        if name not in REQUIRED + OPTIONAL and not name.startswith(PRICE_PREFIX)
    ]
    if unknown:
        raise FormatError(
            f"unknown column(s) {', '.join(unknown)}; prices go in price_<currency> columns"
        )
    if not any(name.startswith(PRICE_PREFIX) for name in columns):
        raise FormatError("no price column: add one named price_<currency>, e.g. price_usd")
    return rows


def parse_row(row: Mapping[str, str]) -> ProductInput:
    """Turn one row into product input, or raise ValueError naming the column."""
    prices: dict[str, int] = {}
    for column, value in row.items():
        if column.startswith(PRICE_PREFIX) and value and value.strip():
            try:
                prices[column[len(PRICE_PREFIX) :].upper()] = int(value.strip())
            except ValueError:
                raise ValueError(
                    f"{column}: {value!r} is not a whole number of minor units"
                ) from None
    active = (row.get("active") or "").strip().lower()
    if active not in TRUE | FALSE:
        raise ValueError(f"active: {active!r} is not true or false")
    return ProductInput(
        sku=row.get("sku") or "",
        name=row.get("name") or "",
        product_line=row.get("product_line") or "",
        prices=prices,
        description=(row.get("description") or "").strip() or None,
        active=active in TRUE,
    )


async def import_products(
    hub: Hub,
    *,
    principal: Principal,
    rows: Iterable[Row],
    report: ProductImportReport | None = None,
) -> ProductImportReport:
    """Create or update one product per row; each row stands or fails on its own."""
    report = ProductImportReport() if report is None else report
    line = 2
    try:
        for row in rows:
            line = row.line
            if row.problem is not None:
                report.reject(row.line, row.problem)
                continue
            try:
                await _upsert(hub, principal, parse_row(row.values), report)
            except (HubError, ValueError) as error:
                report.reject(row.line, error)
            line += 1
    except BaseException:
        report.stopped_at = line
        raise
    return report


async def _upsert(
    hub: Hub, principal: Principal, data: ProductInput, report: ProductImportReport
) -> None:
    try:
        await catalog.get(hub, principal=principal, sku=data.sku)
    except NotFound:
        await catalog.create(hub, principal=principal, data=data)
        report.created += 1
    else:
        await catalog.update(
            hub, principal=principal, sku=data.sku, changes=vars(data) | {"prices": data.prices}
        )
        report.updated += 1
