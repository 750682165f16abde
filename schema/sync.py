"""GraphQL types of bulk sync: one result per item, in the order sent."""

from __future__ import annotations

from datetime import date

import strawberry

from hub import sync
from hub.errors import HubError
from hub.leads import importer, upsert
from hub.leads.rules import LeadSource
from schema.enums import described_enum
from schema.leads import Lead
from schema.orders import Product
from schema.scalars import MoneyInput
from storage.models import Product as ProductModel


@strawberry.type(description="Why one item of a bulk call was not kept.")
class ItemError:
    code: str = strawberry.field(description="The error code, e.g. BAD_USER_INPUT or CONFLICT.")
    message: str = strawberry.field(description="What is wrong with the item.")
    field: str | None = strawberry.field(
        description="The input field at fault, as items.<index>.<field>."
    )


@strawberry.type(description="The outcome of one product of upsertProducts.")
class ProductUpsertResult:
    index: int = strawberry.field(description="The item's position in `items`, from 0.")
    sku: str = strawberry.field(description="The item's SKU.")
    created: bool = strawberry.field(description="Made now (false: an existing SKU updated).")
    product: Product | None = strawberry.field(
        description="The product as stored; null when refused."
    )
    error: ItemError | None = strawberry.field(
        description="Why the item was refused; null when kept."
    )

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
    index: int = strawberry.field(description="The item's position in `items`, from 0.")
    sku: str = strawberry.field(description="The item's SKU.")
    warehouse: str = strawberry.field(description="The item's warehouse code.")
    on_hand: int | None = strawberry.field(description="As recorded; null when refused.")
    error: ItemError | None = strawberry.field(
        description="Why the item was refused; null when kept."
    )


@strawberry.input(description="Units counted on hand of one product in one warehouse.")
class StockLevelInput:
    sku: str = strawberry.field(description="The product's SKU.")
    warehouse: str = strawberry.field(description="The code of the warehouse counted.")
    on_hand: int = strawberry.field(description="The units counted on hand.")


def error_of(error: HubError | None) -> ItemError | None:
    if error is None:
        return None
    return ItemError(code=error.code, message=error.message, field=error.field)


described_enum(
    upsert.Change,
    name="LeadChange",
    description="What an upsert did to a lead.",
    values={
        "CREATED": "A new lead was made.",
        "UPDATED": "An existing lead was changed.",
        "UNCHANGED": "An existing lead already had these values.",
    },
)


@strawberry.input(
    description="A lead as the CRM has it, found by externalId (or, without one, by its "
    "customer and product line among leads not WON or LOST). On an update a field left out "
    "keeps its value and null clears it; a lead with a partner keeps its customer, country "
    "and product line."
)
class LeadUpsertInput:
    customer_company: str = strawberry.field(description="The end customer's company name.")
    country: str = strawberry.field(description="The customer's country, ISO 3166-1 alpha-2.")
    product_line: str = strawberry.field(
        description="The product line code the customer is interested in."
    )
    external_id: str | None = strawberry.field(
        default=None, description="The CRM's id of the lead (at most 100 characters)."
    )
    contact_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="The customer contact's name."
    )
    email: str | None = strawberry.field(
        default=strawberry.UNSET, description="The customer contact's email address."
    )
    phone: str | None = strawberry.field(
        default=strawberry.UNSET, description="The customer contact's phone number."
    )
    region: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="The customer's region, ISO 3166-2 code such as US-CA.",
    )
    postal_code: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="The customer's postal code, which territories match by prefix.",
    )
    latitude: float | None = strawberry.field(
        default=strawberry.UNSET,
        description="Latitude of the customer in decimal degrees (WGS 84).",
    )
    longitude: float | None = strawberry.field(
        default=strawberry.UNSET,
        description="Longitude of the customer in decimal degrees (WGS 84).",
    )
    estimated_value: MoneyInput | None = strawberry.field(
        default=strawberry.UNSET, description="The estimated deal value."
    )
    expected_close: date | None = strawberry.field(
        default=strawberry.UNSET,
        description="When the deal is expected to close (a calendar date).",
    )
    source: LeadSource | None = strawberry.field(
        default=strawberry.UNSET, description="Where the lead came from."
    )

    def given(self) -> list[str]:
        """The names of the fields sent."""
        return [name for name, value in vars(self).items() if value is not strawberry.UNSET]


@strawberry.type(description="The outcome of one lead of upsertLeads.")
class LeadUpsertResult:
    index: int = strawberry.field(description="The item's position in `items`, from 0.")
    external_id: str | None = strawberry.field(description="The item's externalId, as sent.")
    change: upsert.Change | None = strawberry.field(
        description="What the upsert did to the lead; null when refused."
    )
    lead: Lead | None = strawberry.field(description="The lead as stored; null when refused.")
    error: ItemError | None = strawberry.field(
        description="Why the item was refused; null when kept."
    )

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
    code: str = strawberry.field(description="The error code, e.g. BAD_USER_INPUT.")
    message: str = strawberry.field(description="Naming the CSV column at fault.")
    column: str | None = strawberry.field(description="The CSV column at fault, if one is.")


@strawberry.type(description="One row of an imported lead file: what it did, or why not.")
class LeadImportRow:
    line: int = strawberry.field(description="The row's line in the file (the header is 1).")
    change: upsert.Change | None = strawberry.field(
        description="What the row did to a lead; null when refused."
    )
    lead: Lead | None = strawberry.field(description="The lead as stored; null when refused.")
    error: RowError | None = strawberry.field(
        description="Why the row was refused; null when kept."
    )


@strawberry.type(description="What importLeads did with a file.")
class LeadImport:
    created: int = strawberry.field(description="Rows that made a new lead.")
    updated: int = strawberry.field(description="Rows that changed an existing lead.")
    unchanged: int = strawberry.field(description="Rows that matched a lead already as given.")
    rejected: int = strawberry.field(description="Rows refused, each with its error.")
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
