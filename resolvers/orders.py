"""Root fields of the catalog, tier pricing, stock, availability, orders and order events."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date
from typing import Annotated, Any

import strawberry

from hub.orders import catalog, stock
from hub.orders import rules as order_rules
from hub.orders import service as order_service
from hub.orders import settings as order_settings
from hub.partners import Tier
from schema.arguments import After, EventsAfter, First, Id
from schema.context import Info
from schema.events import parse_cursor, subscribe
from schema.inputs import to_hub
from schema.loading import prefetch
from schema.orders import (
    Availability,
    Order,
    OrderEvent,
    OrderFilter,
    OrderLoaders,
    OrderStatusInput,
    OrderStatusResult,
    OrderStatusUpdate,
    PlaceOrderInput,
    Product,
    ProductFilter,
    ProductInput,
    ProductUpdateInput,
    Warehouse,
)
from schema.relay import Connection, page_request, selects
from schema.scalars import MoneyInput
from schema.stock import OrderSettings, StockLevel, StockMovement


@strawberry.type
class OrdersQuery:
    @strawberry.field(description="Catalog products by SKU; partners see active products only.")
    async def products(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            ProductFilter | None,
            strawberry.argument(
                description="Which products to list; all the caller may see when left out."
            ),
        ] = None,
    ) -> Connection[Product]:
        principal, hub = info.context.require_principal(), info.context.hub
        wanted = filter or ProductFilter()
        result = await catalog.list_products(
            hub,
            principal=principal,
            filter=to_hub(wanted, catalog.ProductFilter),
            page=page_request(info, first, after),
        )
        return Connection[Product].of(result, Product.from_model)

    @strawberry.field(description="One product of the catalog, by its SKU.")
    async def product(
        self,
        info: Info,
        sku: Annotated[
            str,
            strawberry.argument(
                description="The product's stock-keeping unit, as the vendor's ERP names it."
            ),
        ],
    ) -> Product:
        model = await catalog.get(
            info.context.hub, principal=info.context.require_principal(), sku=sku
        )
        return Product.from_model(model)

    @strawberry.field(description="Units promisable now and the earliest date for the rest.")
    async def availability(
        self,
        info: Info,
        sku: Annotated[str, strawberry.argument(description="The product's SKU.")],
        quantity: Annotated[
            int, strawberry.argument(description="How many units the caller wants.")
        ],
        warehouse: Annotated[
            str | None,
            strawberry.argument(
                description="The code of one warehouse to promise from; all warehouses "
                "when left out."
            ),
        ] = None,
    ) -> Availability:
        result = await stock.availability(
            info.context.hub,
            principal=info.context.require_principal(),
            sku=sku,
            quantity=quantity,
            warehouse=warehouse,
        )
        return Availability.from_model(result)

    @strawberry.field(description="Orders the caller may see, newest first.")
    async def orders(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            OrderFilter | None,
            strawberry.argument(
                description="Which orders to list; all the caller may see when left out."
            ),
        ] = None,
    ) -> Connection[Order]:
        principal, hub = info.context.require_principal(), info.context.hub
        wanted = filter or OrderFilter()
        result = await order_service.list_orders(
            hub,
            principal=principal,
            filter=to_hub(wanted, order_service.OrderFilter),
            page=page_request(info, first, after),
        )
        if selects(info, "edges", "node", "lines"):
            loader = OrderLoaders.of(info).lines_by_order
            await prefetch(loader, (order.id for order in result.items))
        return Connection[Order].of(result, Order.from_model)

    @strawberry.field(description="One order the caller may see.")
    async def order(self, info: Info, id: Id) -> Order:
        model = await order_service.get(
            info.context.hub, principal=info.context.require_principal(), order_id=id
        )
        return Order.from_model(model)

    @strawberry.field(
        description="Units on hand and reserved per warehouse (vendor staff and integrations)."
    )
    async def stock_levels(
        self, info: Info, sku: Annotated[str, strawberry.argument(description="The product's SKU.")]
    ) -> list[StockLevel]:
        found = await stock.levels(
            info.context.hub, principal=info.context.require_principal(), sku=sku
        )
        return [StockLevel.from_level(level) for level in found]

    @strawberry.field(
        description="Every recorded change of a product's units on hand, newest first: "
        "shipments, restocked returns and counts (vendor staff and integrations)."
    )
    async def stock_movements(
        self,
        info: Info,
        sku: Annotated[str, strawberry.argument(description="The product's SKU.")],
        first: First = None,
        after: After = None,
    ) -> Connection[StockMovement]:
        hub = info.context.hub
        result = await stock.movements(
            hub,
            principal=info.context.require_principal(),
            sku=sku,
            page=page_request(info, first, after),
        )
        return Connection[StockMovement].of(result, StockMovement.from_model)

    @strawberry.field(description="The order policy (vendor staff).")
    async def order_settings(self, info: Info) -> OrderSettings:
        policy = await order_settings.get_policy(
            info.context.hub, principal=info.context.require_principal()
        )
        return OrderSettings.from_policy(policy)


@strawberry.type
class OrdersMutation:
    @strawberry.mutation(
        description="Place an order for your organization; prices come from your tier."
    )
    async def place_order(
        self,
        info: Info,
        input: Annotated[
            PlaceOrderInput,
            strawberry.argument(
                description="The lines, end customer, currency and shipping address of the order."
            ),
        ],
    ) -> Order:
        data = to_hub(input, order_service.OrderInput)
        model = await order_service.place(
            info.context.hub, principal=info.context.require_principal(), data=data
        )
        return Order.from_model(model)

    @strawberry.mutation(
        description="Move an order along; pass the version you last saw as expectedVersion."
    )
    async def update_order_status(
        self,
        info: Info,
        id: Id,
        input: Annotated[
            OrderStatusInput,
            strawberry.argument(
                description="The next status, the version last read and what the status needs."
            ),
        ],
    ) -> Order:
        model = await order_service.change_status(
            info.context.hub,
            principal=info.context.require_principal(),
            order_id=id,
            change=_change(input),
        )
        return Order.from_model(model)

    @strawberry.mutation(
        description="Apply many status updates (the vendor's ERP); each succeeds or fails alone."
    )
    async def update_order_statuses(
        self,
        info: Info,
        updates: Annotated[
            list[OrderStatusUpdate],
            strawberry.argument(
                description="The updates, each applied on its own; one failing does not "
                "stop the others."
            ),
        ],
    ) -> list[OrderStatusResult]:
        results = await order_service.change_many(
            info.context.hub,
            principal=info.context.require_principal(),
            changes=[(update.order_id, _change(update.change)) for update in updates],
        )
        return [
            OrderStatusResult(
                order_id=strawberry.ID(result.order_id),
                order=Order.from_model(result.order) if result.order else None,
                error_code=result.error.code if result.error else None,
                error_message=result.error.message if result.error else None,
                error_field=result.error.field if result.error else None,
            )
            for result in results
        ]

    @strawberry.mutation(description="Add a product to the catalog (vendor staff).")
    async def create_product(
        self,
        info: Info,
        input: Annotated[
            ProductInput, strawberry.argument(description="The new product with its list prices.")
        ],
    ) -> Product:
        data = to_hub(input, catalog.ProductInput, prices=_prices(input.list_prices))
        model = await catalog.create(
            info.context.hub, principal=info.context.require_principal(), data=data
        )
        return Product.from_model(model)

    @strawberry.mutation(
        description="Change a product (vendor staff); listPrices replace the current ones."
    )
    async def update_product(
        self,
        info: Info,
        sku: Annotated[str, strawberry.argument(description="The SKU of the product to change.")],
        input: Annotated[
            ProductUpdateInput,
            strawberry.argument(description="The fields to change; omitted ones stay as they are."),
        ],
    ) -> Product:
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
        self,
        info: Info,
        tier: Annotated[
            Tier, strawberry.argument(description="The tier whose partners get the discount.")
        ],
        basis_points: Annotated[
            int,
            strawberry.argument(
                description="The discount off list price in basis points: 0 to 10000 (100 = 1%)."
            ),
        ],
        sku: Annotated[
            str | None,
            strawberry.argument(
                description="The one product it applies to; every product when left out."
            ),
        ] = None,
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
    async def create_warehouse(
        self,
        info: Info,
        code: Annotated[
            str,
            strawberry.argument(description='A short code to name the warehouse by, e.g. "FRA1".'),
        ],
        name: Annotated[str, strawberry.argument(description="The warehouse's name.")],
        country: Annotated[
            str, strawberry.argument(description="The warehouse's country, ISO 3166-1 alpha-2.")
        ],
    ) -> Warehouse:
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
    async def set_stock(
        self,
        info: Info,
        sku: Annotated[str, strawberry.argument(description="The product's SKU.")],
        warehouse: Annotated[str, strawberry.argument(description="The warehouse's code.")],
        on_hand: Annotated[
            int,
            strawberry.argument(
                description="The units counted on hand; the difference is recorded as a "
                "COUNTED movement."
            ),
        ],
    ) -> bool:
        await stock.set_stock(
            info.context.hub,
            principal=info.context.require_principal(),
            sku=sku,
            warehouse=warehouse,
            on_hand=on_hand,
        )
        return True

    @strawberry.mutation(
        description="Name the warehouse returned units go back to, or null for the warehouses "
        "they were shipped from (vendor staff)."
    )
    async def update_order_settings(
        self,
        info: Info,
        returns_warehouse: Annotated[
            str | None,
            strawberry.argument(
                description="The code of the warehouse returns go to; null sends them "
                "back where they shipped from."
            ),
        ],
    ) -> OrderSettings:
        policy = await order_settings.update_policy(
            info.context.hub,
            principal=info.context.require_principal(),
            returns_warehouse=returns_warehouse,
        )
        return OrderSettings.from_policy(policy)

    @strawberry.mutation(
        description="Announce units expected in a warehouse on a date (vendor staff)."
    )
    async def add_inbound_receipt(
        self,
        info: Info,
        sku: Annotated[str, strawberry.argument(description="The product's SKU.")],
        warehouse: Annotated[
            str, strawberry.argument(description="The code of the warehouse the units arrive at.")
        ],
        quantity: Annotated[int, strawberry.argument(description="How many units are expected.")],
        expected_on: Annotated[
            date,
            strawberry.argument(
                description="The day they are expected (a calendar date); availability "
                "promises them from then."
            ),
        ],
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


def _change(input: OrderStatusInput) -> order_service.StatusChange:
    return order_service.StatusChange(
        status=input.status,
        expected_version=input.expected_version,
        note=input.note,
        carrier=input.carrier,
        tracking_number=input.tracking_number,
        lines=[(line.line_no, line.quantity) for line in input.lines or ()],
    )


@strawberry.type
class OrdersSubscription:
    @strawberry.subscription(
        description="Live order events (optionally of one order); `after` replays missed ones."
    )
    async def order_events(
        self,
        info: Info,
        after: EventsAfter = None,
        order_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Only the events of this order; all orders the caller may "
                "see when left out."
            ),
        ] = None,
    ) -> AsyncGenerator[OrderEvent, None]:
        principal, hub = info.context.require_principal(), info.context.hub
        if order_id is not None:
            await order_service.get(hub, principal=principal, order_id=order_id, field="orderId")
        cursor = parse_cursor(after)
        async with subscribe(info, {order_rules.TOPIC}, after=cursor) as stream:
            async for event in stream:
                if order_id is None or event.subject_id == order_id:
                    yield OrderEvent.from_event(event)


def _prices(prices: list[MoneyInput]) -> dict[str, int]:
    return catalog.price_list([(price.currency, price.amount_minor) for price in prices])
