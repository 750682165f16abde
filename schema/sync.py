"""GraphQL types of bulk sync: one result per item, in the order sent."""

from __future__ import annotations

from datetime import date

import strawberry

from hub import sync
from hub.errors import HubError
from hub.leads import importer, upsert
from hub.leads.rules import LeadSource
from schema.leads import Lead
from schema.orders import Product
from schema.scalars import MoneyInput
from storage.models import Product as ProductModel


@strawberry.type(description="Why one item of a bulk call was not kept.")
class ItemError:
    code: str
    message: str
    field: str | None = strawberry.field(description="items.<index>.<field>.")


@strawberry.type(description="The outcome of one product of upsertProducts.")
class ProductUpsertResult:
    index: int
    sku: str
    created: bool = strawberry.field(description="Made now (false: an existing SKU updated).")
    product: Product | None
    error: ItemError | None

    @classmethod
    def of(cls, outcome: sync.Outcome[ProductModel]) -> ProductUpsertResult:
        return cls(
            index=outcome.index,
            sku=outcome.record.sku if outcome.record else outcome.key,
            created=outcome.created,
            product=Product.from_model(outcome.record) if outcome.record else None,
            error=error_of(outcome.error),
        )


@strawberry.type(description="The outcome of one level of setStockLevels.")
class StockLevelResult:
    index: int
    sku: str
    warehouse: str
    on_hand: int | None = strawberry.field(description="As recorded; null when refused.")
    error: ItemError | None


@strawberry.input
class StockLevelInput:
    sku: str
    warehouse: str = strawberry.field(description="The warehouse code.")
    on_hand: int


def error_of(error: HubError | None) -> ItemError | None:
    if error is None:
        return None
    return ItemError(code=error.code, message=error.message, field=error.field)


strawberry.enum(upsert.Change, name="LeadChange", description="What an upsert did to a lead.")


@strawberry.input(
    description="A lead as the CRM has it, found by externalId (or, without one, by its "
    "customer and product line among leads not WON or LOST). On an update a field left out "
    "keeps its value and null clears it; a lead with a partner keeps its customer, country "
    "and product line."
)
class LeadUpsertInput:
    customer_company: str
    country: str
    product_line: str
    external_id: str | None = strawberry.field(
        default=None, description="The CRM's id of the lead (at most 100 characters)."
    )
    contact_name: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    region: str | None = strawberry.UNSET
    postal_code: str | None = strawberry.UNSET
    latitude: float | None = strawberry.UNSET
    longitude: float | None = strawberry.UNSET
    estimated_value: MoneyInput | None = strawberry.UNSET
    expected_close: date | None = strawberry.UNSET
    source: LeadSource | None = strawberry.UNSET

    def given(self) -> list[str]:
        """The names of the fields sent."""
        return [name for name, value in vars(self).items() if value is not strawberry.UNSET]


@strawberry.type(description="The outcome of one lead of upsertLeads.")
class LeadUpsertResult:
    index: int
    external_id: str | None
    change: upsert.Change | None = strawberry.field(description="Null when refused.")
    lead: Lead | None
    error: ItemError | None

    @classmethod
    def of(
        cls, outcome: sync.Outcome[upsert.Upserted], external_id: str | None
    ) -> LeadUpsertResult:
        result = outcome.record
        return cls(
            index=outcome.index,
            external_id=external_id,
            change=result.change if result else None,
            lead=Lead.from_model(result.lead) if result else None,
            error=error_of(outcome.error),
        )


@strawberry.type(description="Why one row of a lead file was not imported.")
class RowError:
    code: str
    message: str = strawberry.field(description="Naming the CSV column at fault.")
    column: str | None


@strawberry.type(description="One row of an imported lead file: what it did, or why not.")
class LeadImportRow:
    line: int = strawberry.field(description="The row's line in the file (the header is 1).")
    change: upsert.Change | None = strawberry.field(description="Null when refused.")
    lead: Lead | None
    error: RowError | None


@strawberry.type(description="What importLeads did with a file.")
class LeadImport:
    created: int
    updated: int
    unchanged: int
    rejected: int
    offered: int = strawberry.field(description="New leads offered to a partner at once.")
    unassignable: int = strawberry.field(description="New leads no partner could take.")
    rows: list[LeadImportRow] = strawberry.field(description="Every row, in file order.")

    @classmethod
    def of(cls, report: importer.ImportReport) -> LeadImport:
        rows = [
            LeadImportRow(
                line=line, change=result.change, lead=Lead.from_model(result.lead), error=None
            )
            for line, result in report.kept or ()
        ] + [
            LeadImportRow(
                line=fault.line,
                change=None,
                lead=None,
                error=RowError(code=fault.code, message=fault.message, column=fault.column),
            )
            for fault in report.faults
        ]
        return cls(
            created=report.imported,
            updated=report.updated,
            unchanged=report.unchanged,
            rejected=len(report.faults),
            offered=report.offered,
            unassignable=report.unassignable,
            rows=sorted(rows, key=lambda row: row.line),
        )
