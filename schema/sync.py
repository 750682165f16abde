"""GraphQL types of bulk sync: one result per item, in the order sent."""

from __future__ import annotations

import strawberry

from hub import sync
from hub.errors import HubError
from schema.orders import Product
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
