"""GraphQL types of the catalog, prices and availability."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from hub.orders.stock import Availability as AvailabilityModel
from schema.context import Info
from schema.scalars import MinorUnits, Money, MoneyInput
from storage.models import Product as ProductModel


@strawberry.type(
    description="A unit price: list price, the caller's discount and what the caller pays."
)
class Price:
    list: Money
    unit: Money
    discount_basis_points: int


@strawberry.type(description="A product of the vendor's catalog.")
class Product:
    id: strawberry.ID
    sku: str
    name: str
    description: str | None
    product_line: str
    active: bool
    updated_at: datetime

    @classmethod
    def from_model(cls, model: ProductModel) -> Product:
        return cls(
            id=strawberry.ID(model.id),
            sku=model.sku,
            name=model.name,
            description=model.description,
            product_line=model.product_line,
            active=model.active,
            updated_at=model.updated_at,
        )

    @strawberry.field(description="Unit list prices, one per currency.")
    async def list_prices(self, info: Info) -> list[Money]:
        rows = await info.context.loaders.prices_by_product.load(self.id)
        return [
            Money(amount_minor=MinorUnits(row.unit_minor), currency=row.currency) for row in rows
        ]

    @strawberry.field(
        description="What the caller pays per unit in a currency (partners: their tier's price)."
    )
    async def price(self, info: Info, currency: str) -> Price | None:
        quote = await info.context.loaders.quote_by_product_currency.load((self.id, currency))
        if quote is None:
            return None
        return Price(
            list=Money(amount_minor=MinorUnits(quote.list_minor), currency=quote.currency),
            unit=Money(amount_minor=MinorUnits(quote.unit_minor), currency=quote.currency),
            discount_basis_points=quote.discount_basis_points,
        )


@strawberry.type(
    description="How many units can be promised now, and the earliest date for the rest."
)
class Availability:
    sku: str
    requested: int
    promisable_now: int
    remaining: int
    earliest_date: date | None
    fully_promisable: bool

    @classmethod
    def from_model(cls, model: AvailabilityModel) -> Availability:
        return cls(
            sku=model.sku,
            requested=model.requested,
            promisable_now=model.promisable_now,
            remaining=model.remaining,
            earliest_date=model.earliest_date,
            fully_promisable=model.fully_promisable,
        )


@strawberry.type
class Warehouse:
    id: strawberry.ID
    code: str
    name: str
    country: str


@strawberry.input
class ProductInput:
    sku: str
    name: str
    product_line: str
    list_prices: list[MoneyInput]
    description: str | None = None
    active: bool = True


@strawberry.input(description="Fields to change; omitted ones stay as they are.")
class ProductUpdateInput:
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    product_line: str | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET
    list_prices: list[MoneyInput] | None = strawberry.UNSET


@strawberry.input
class ProductFilter:
    product_line: str | None = None
    active: bool | None = None
    search: str | None = None
