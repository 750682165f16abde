"""Root fields of the catalog, tier pricing, stock and availability."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from hub.errors import BadInput
from hub.orders import catalog, stock
from hub.pagination import PageRequest
from hub.partners import Tier
from schema.context import Info
from schema.orders import (
    Availability,
    Product,
    ProductFilter,
    ProductInput,
    ProductUpdateInput,
    Warehouse,
)
from schema.relay import Connection
from schema.scalars import MoneyInput


@strawberry.type
class OrdersQuery:
    @strawberry.field(description="Catalog products by SKU; partners see active products only.")
    async def products(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: ProductFilter | None = None,
    ) -> Connection[Product]:
        principal, hub = info.context.require_principal(), info.context.hub
        wanted = filter or ProductFilter()
        result = await catalog.list_products(
            hub,
            principal=principal,
            filter=catalog.ProductFilter(
                product_line=wanted.product_line, active=wanted.active, search=wanted.search
            ),
            page=PageRequest.of(first, after, cap=hub.settings.max_page_size),
        )
        return Connection[Product].of(result, Product.from_model)

    @strawberry.field
    async def product(self, info: Info, sku: str) -> Product:
        model = await catalog.get(
            info.context.hub, principal=info.context.require_principal(), sku=sku
        )
        return Product.from_model(model)

    @strawberry.field(
        description="Units promisable now and the earliest date for the rest."
    )
    async def availability(
        self, info: Info, sku: str, quantity: int, warehouse: str | None = None
    ) -> Availability:
        result = await stock.availability(
            info.context.hub,
            principal=info.context.require_principal(),
            sku=sku,
            quantity=quantity,
            warehouse=warehouse,
        )
        return Availability.from_model(result)


@strawberry.type
class OrdersMutation:
    @strawberry.mutation(description="Add a product to the catalog (vendor staff).")
    async def create_product(self, info: Info, input: ProductInput) -> Product:
        data = catalog.ProductInput(
            sku=input.sku,
            name=input.name,
            product_line=input.product_line,
            prices=_prices(input.list_prices),
            description=input.description,
            active=input.active,
        )
        model = await catalog.create(
            info.context.hub, principal=info.context.require_principal(), data=data
        )
        return Product.from_model(model)

    @strawberry.mutation(
        description="Change a product (vendor staff); listPrices replace the current ones."
    )
    async def update_product(self, info: Info, sku: str, input: ProductUpdateInput) -> Product:
        changes: dict[str, Any] = {
            key: value for key, value in vars(input).items() if value is not strawberry.UNSET
        }
        if "list_prices" in changes:
            changes["prices"] = _prices(changes.pop("list_prices") or [])
        model = await catalog.update(
            info.context.hub, principal=info.context.require_principal(), sku=sku, changes=changes
        )
        return Product.from_model(model)

    @strawberry.mutation(
        description="Set a tier discount in basis points, for all products or one SKU."
    )
    async def set_tier_discount(
        self, info: Info, tier: Tier, basis_points: int, sku: str | None = None
    ) -> bool:
        await catalog.set_tier_discount(
            info.context.hub,
            principal=info.context.require_principal(),
            tier=tier,
            basis_points=basis_points,
            sku=sku,
        )
        return True

    @strawberry.mutation(description="Add a warehouse (vendor staff).")
    async def create_warehouse(self, info: Info, code: str, name: str, country: str) -> Warehouse:
        model = await stock.create_warehouse(
            info.context.hub,
            principal=info.context.require_principal(),
            code=code,
            name=name,
            country=country,
        )
        return Warehouse(
            id=strawberry.ID(model.id), code=model.code, name=model.name, country=model.country
        )

    @strawberry.mutation(
        description="Record units on hand of a product in a warehouse (vendor staff)."
    )
    async def set_stock(self, info: Info, sku: str, warehouse: str, on_hand: int) -> bool:
        await stock.set_stock(
            info.context.hub,
            principal=info.context.require_principal(),
            sku=sku,
            warehouse=warehouse,
            on_hand=on_hand,
        )
        return True

    @strawberry.mutation(
        description="Announce units expected in a warehouse on a date (vendor staff)."
    )
    async def add_inbound_receipt(
        self, info: Info, sku: str, warehouse: str, quantity: int, expected_on: date
    ) -> bool:
        await stock.add_inbound(
            info.context.hub,
            principal=info.context.require_principal(),
            sku=sku,
            warehouse=warehouse,
            quantity=quantity,
            expected_on=expected_on,
        )
        return True


def _prices(prices: list[MoneyInput]) -> dict[str, int]:
    result: dict[str, int] = {}
    for index, price in enumerate(prices):
        code = price.currency.strip().upper()
        if code in result:
            raise BadInput(f"two prices in {code}", field=f"listPrices.{index}.currency")
        result[code] = price.amount_minor
    return result
