"""Root fields of bulk sync (vendor staff and INTEGRATION accounts; API keys need CATALOG or
STOCK)."""

from __future__ import annotations

import strawberry

from hub import sync
from hub.orders import catalog
from schema.context import Info
from schema.inputs import to_hub
from schema.orders import ProductInput
from schema.sync import ProductUpsertResult, StockLevelInput, StockLevelResult, error_of


@strawberry.type
class SyncMutation:
    @strawberry.mutation(
        description="Create or update products by SKU, up to 500 a call; one result per item, "
        "in order (a bad item is reported, the others are kept)."
    )
    async def upsert_products(
        self, info: Info, items: list[ProductInput]
    ) -> list[ProductUpsertResult]:
        outcomes = await sync.upsert_products(
            info.context.hub,
            principal=info.context.require_principal(),
            items=[to_hub(item, catalog.ProductInput, prices=_price_list(item)) for item in items],
        )
        return [ProductUpsertResult.of(outcome) for outcome in outcomes]

    @strawberry.mutation(
        description="Record units on hand per SKU and warehouse, up to 500 a call; one result "
        "per item, in order."
    )
    async def set_stock_levels(
        self, info: Info, items: list[StockLevelInput]
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


def _price_list(item: ProductInput) -> dict[str, int]:
    return catalog.price_list([(price.currency, price.amount_minor) for price in item.list_prices])
