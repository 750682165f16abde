"""Root fields of bulk sync (vendor staff and INTEGRATION accounts; API keys need CATALOG,
STOCK or LEADS)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from hub import sync
from hub.errors import HubError
from hub.leads import importer
from hub.leads import rules as lead_rules
from hub.orders import catalog
from schema.context import Info
from schema.inputs import to_hub
from schema.orders import ProductInput
from schema.sync import (
    LeadImport,
    LeadUpsertInput,
    LeadUpsertResult,
    ProductUpsertResult,
    StockLevelInput,
    StockLevelResult,
    error_of,
)
from schema.uploads import Upload, bytes_of, file_of


@strawberry.type
class SyncMutation:
    @strawberry.mutation(
        description="Create or update products by SKU, up to 500 a call; one result per item, "
        "in order (a bad item is reported, the others are kept)."
    )
    async def upsert_products(
        self,
        info: Info,
        items: Annotated[
            list[ProductInput],
            strawberry.argument(description="The products, at most 500; each found by its SKU."),
        ],
    ) -> list[ProductUpsertResult]:
        outcomes = await sync.upsert_products(
            info.context.hub,
            principal=info.context.require_principal(),
            items=[_product_input(item) for item in items],
        )
        return [ProductUpsertResult.of(outcome) for outcome in outcomes]

    @strawberry.mutation(
        description="Record units on hand per SKU and warehouse, up to 500 a call; one result "
        "per item, in order."
    )
    async def set_stock_levels(
        self,
        info: Info,
        items: Annotated[
            list[StockLevelInput],
            strawberry.argument(
                description="The levels, at most 500; each by SKU and warehouse code."
            ),
        ],
    ) -> list[StockLevelResult]:
        outcomes = await sync.set_stock_levels(
            info.context.hub,
            principal=info.context.require_principal(),
            items=[to_hub(item, sync.StockLevelInput) for item in items],
        )
        return [
            StockLevelResult(
                index=outcome.index,
                sku=items[outcome.index].sku,
                warehouse=items[outcome.index].warehouse,
                on_hand=outcome.record.on_hand if outcome.record else None,
                error=error_of(outcome.error),
            )
            for outcome in outcomes
        ]

    @strawberry.mutation(
        description="Create or update leads from the CRM, up to 500 a call, found by "
        "externalId (or by customer and product line); one result per item, in order. New "
        "leads are routed at once unless route is false."
    )
    async def upsert_leads(
        self,
        info: Info,
        items: Annotated[
            list[LeadUpsertInput],
            strawberry.argument(description="The leads, at most 500; each found by externalId."),
        ],
        route: Annotated[
            bool,
            strawberry.argument(
                description="False to keep new leads NEW instead of routing them at once."
            ),
        ] = True,
    ) -> list[LeadUpsertResult]:
        outcomes = await sync.upsert_leads(
            info.context.hub,
            principal=info.context.require_principal(),
            items=[(_lead_input(item), item.given()) for item in items],
            route_now=route,
        )
        return [
            LeadUpsertResult.of(outcome, items[outcome.index].external_id) for outcome in outcomes
        ]

    @strawberry.mutation(
        description="Import leads from a CSV file (multipart request) with the columns and "
        "rules of `channelhub import leads`: every good row kept, every bad one reported by "
        "line and column; a row already imported (same external_id, or else the same customer "
        "and product line) updates its lead instead of making another. At most 10 MiB and "
        "10,000 rows."
    )
    async def import_leads(
        self,
        info: Info,
        file: Annotated[
            Upload,
            strawberry.argument(
                description="The CSV file (UTF-8, header line first), as a part of the "
                "multipart request."
            ),
        ],
        route: Annotated[
            bool,
            strawberry.argument(
                description="False to keep new leads NEW instead of routing them at once."
            ),
        ] = True,
    ) -> LeadImport:
        upload = await file_of(file)
        report = await importer.import_upload(
            info.context.hub,
            principal=info.context.require_principal(),
            chunks=bytes_of(upload),
            route_now=route,
        )
        return LeadImport.of(report)


def _lead_input(item: LeadUpsertInput) -> lead_rules.LeadInput:
    value = item.estimated_value
    money = {"value_minor": value.amount_minor, "currency": value.currency} if value else {}
    return to_hub(item, lead_rules.LeadInput, **money)


def _product_input(
    item: ProductInput,
) -> tuple[catalog.ProductInput, frozenset[str]] | sync.Unreadable:
    """The item as the catalog takes it; one whose prices cannot be read is that item's error."""
    try:
        prices = catalog.price_list(
            [(price.currency, price.amount_minor) for price in item.list_prices]
        )
    except HubError as error:
        return sync.Unreadable(item.sku, error)
    return to_hub(item, catalog.ProductInput, prices=prices), item.given()
