"""Bulk import of products from CSV: new SKUs are created, known ones updated, bad rows reported."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

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
class ProductImportReport:
    created: int = 0
    updated: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


class ProductImportFormatError(Exception):
    """The file is not a product CSV (missing or unknown columns, unreadable)."""


def read_rows(handle: Iterable[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Stream (line number, row) pairs; price columns are price_<CURRENCY>, e.g. price_usd."""
    reader = csv.DictReader(handle)
    columns = reader.fieldnames or []
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise ProductImportFormatError(f"the header line lacks the column(s) {', '.join(missing)}")
    unknown = [
        name
        for name in columns
        if name not in REQUIRED + OPTIONAL and not name.startswith(PRICE_PREFIX)
    ]
    if unknown:
        raise ProductImportFormatError(
            f"unknown column(s) {', '.join(unknown)}; prices go in price_<currency> columns"
        )
    if not any(name.startswith(PRICE_PREFIX) for name in columns):
        raise ProductImportFormatError(
            "no price column: add one named price_<currency>, e.g. price_usd"
        )
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as error:
        raise ProductImportFormatError(f"line {reader.line_num}: {error}") from None


def parse_row(row: dict[str, str]) -> ProductInput:
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
    rows: Iterable[tuple[int, dict[str, str]]],
    on_rejected: Callable[[int, str], None] | None = None,
) -> ProductImportReport:
    """Create or update one product per row; each row stands or fails on its own."""
    report = ProductImportReport()
    for line, row in rows:
        try:
            data = parse_row(row)
            try:
                await catalog.get(hub, principal=principal, sku=data.sku)
            except NotFound:
                await catalog.create(hub, principal=principal, data=data)
                report.created += 1
            else:
                await catalog.update(
                    hub,
                    principal=principal,
                    sku=data.sku,
                    changes=vars(data) | {"prices": data.prices},
                )
                report.updated += 1
        except (HubError, ValueError) as error:
            reason = (
                f"{error.field}: {error.message}"
                if isinstance(error, HubError) and error.field
                else str(error)
            )
            report.rejected.append((line, reason))
            if on_rejected:
                on_rejected(line, reason)
    return report
