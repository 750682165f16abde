"""GraphQL types of the catalog, prices, availability and orders."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from datetime import date, datetime
from typing import Annotated

import strawberry

from hub.events import DomainEvent
from hub.orders import catalog, stock
from hub.orders import service as order_service
from hub.orders.catalog import Quote
from hub.orders.rules import OrderEventType, OrderStatus
from hub.orders.stock import Availability as AvailabilityModel
from hub.roles import Principal
from hub.runtime import Hub
from schema.context import Info
from schema.enums import described_enum
from schema.events import shared
from schema.identity import IdentityLoaders, User
from schema.loading import LoaderSet, at_once, loader
from schema.nodes import Node
from schema.partners import Partner
from schema.scalars import MinorUnits, Money, MoneyInput
from storage.models import Order as OrderModel
from storage.models import OrderLine as OrderLineModel
from storage.models import OrderStatusChange as OrderStatusChangeModel
from storage.models import Product as ProductModel
from storage.models import ProductPrice
from storage.models import Warehouse as WarehouseModel

described_enum(
    OrderStatus,
    description="Where an order is: SUBMITTED, CONFIRMED, ALLOCATED, "
    "SHIPPED, DELIVERED, or cancelled or returned.",
    values={
        "SUBMITTED": "Placed by the partner, not yet confirmed.",
        "CONFIRMED": "Accepted by the vendor.",
        "ALLOCATED": "Stock is reserved for it.",
        "SHIPPED": "Handed to the carrier, in whole or in part.",
        "DELIVERED": "Delivered to the customer; counts as revenue.",
        "CANCELLED": "Cancelled before shipping.",
        "RETURN_REQUESTED": "The partner asked to return units.",
        "RETURNED": "The returned units are back; revenue is reduced by them.",
    },
)


@strawberry.type(
    description="A unit price: list price, the caller's discount and what the caller pays."
)
class Price:
    list: Money = strawberry.field(description="The unit list price.")
    unit: Money = strawberry.field(description="What the caller pays per unit after the discount.")
    discount_basis_points: int = strawberry.field(
        description="The caller's discount off list price, in basis points (100 = 1%)."
    )


@strawberry.type(description="A product of the vendor's catalog.")
class Product:
    id: strawberry.ID = strawberry.field(description="The product's id.")
    sku: str = strawberry.field(description="The stock-keeping unit, unique in the catalog.")
    name: str = strawberry.field(description="The product's name as shown in the catalog.")
    description: str | None = strawberry.field(
        description="What the product is, as shown in the catalog."
    )
    product_line: str = strawberry.field(description="The code of the product line it belongs to.")
    active: bool = strawberry.field(
        description="False once withdrawn: it can no longer be ordered."
    )
    updated_at: datetime = strawberry.field(
        description="When the product last changed (RFC 3339, UTC)."
    )

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
        rows = await OrderLoaders.of(info).prices_by_product.load(self.id)
        return [
            Money(amount_minor=MinorUnits(row.unit_minor), currency=row.currency) for row in rows
        ]

    @strawberry.field(
        description="What the caller pays per unit in a currency (partners: their tier's price)."
    )
    async def price(
        self,
        info: Info,
        currency: Annotated[
            str,
            strawberry.argument(
                description="The ISO 4217 currency to price in; null when the product "
                "has no list price in it."
            ),
        ],
    ) -> Price | None:
        quote = await OrderLoaders.of(info).quote_by_product_currency.load((self.id, currency))
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
    sku: str = strawberry.field(description="The product's SKU.")
    requested: int = strawberry.field(description="The units asked for.")
    promisable_now: int = strawberry.field(
        description="Units that can be promised from stock on hand now."
    )
    remaining: int = strawberry.field(description="Units that cannot be promised now.")
    earliest_date: date | None = strawberry.field(
        description="The earliest day inbound receipts cover the remaining "
        "units; null when none do."
    )
    fully_promisable: bool = strawberry.field(
        description="True when every requested unit can be promised now."
    )

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


@strawberry.type(description="A warehouse the vendor ships from.")
class Warehouse:
    id: strawberry.ID = strawberry.field(description="The warehouse's id.")
    code: str = strawberry.field(description='The short code the API names it by, e.g. "FRA1".')
    name: str = strawberry.field(description='The warehouse\'s name, e.g. "Frankfurt DC".')
    country: str = strawberry.field(description="The warehouse's country, ISO 3166-1 alpha-2.")


@strawberry.input(description="A new product, or one upsertProducts creates or updates by SKU.")
class ProductInput:
    sku: str = strawberry.field(description="The stock-keeping unit, unique in the catalog.")
    name: str = strawberry.field(description="The product's name.")
    product_line: str = strawberry.field(description="The code of an active product line.")
    list_prices: list[MoneyInput] = strawberry.field(
        description="Unit list prices, one per currency."
    )
    description: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Null or left out: none (upsertProducts: left out keeps the current one).",
    )
    active: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="Sellable; new products are unless false (upsertProducts: null or left out "
        "keeps the current state).",
    )

    def given(self) -> frozenset[str]:
        """The optional fields sent (an update changes only those)."""
        return frozenset(
            name
            for name in ("description", "active")
            if getattr(self, name) is not strawberry.UNSET
            and not (name == "active" and self.active is None)
        )


@strawberry.input(description="Fields to change; omitted ones stay as they are.")
class ProductUpdateInput:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="The new name.")
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="The new description; null clears it."
    )
    product_line: str | None = strawberry.field(
        default=strawberry.UNSET, description="The code of the new product line."
    )
    active: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="False withdraws the product, true makes it orderable again.",
    )
    list_prices: list[MoneyInput] | None = strawberry.field(
        default=strawberry.UNSET,
        description="The list prices to replace the current ones with, one per currency.",
    )


@strawberry.input(description="Which products to list; the conditions given must all hold.")
class ProductFilter:
    product_line: str | None = strawberry.field(
        default=None, description="Only products of this product line (its code)."
    )
    active: bool | None = strawberry.field(
        default=None, description="Only orderable (true) or only withdrawn (false) products."
    )
    search: str | None = strawberry.field(
        default=None, description="Only products whose name or SKU contains this text, in any case."
    )


@strawberry.type(description="One product of an order, priced when the order was placed.")
class OrderLine:
    id: strawberry.ID = strawberry.field(
        description="The line's id (its order's id and line number), stable for caches."
    )
    line_no: int = strawberry.field(description="The line's number within the order, from 1.")
    sku: str = strawberry.field(description="The product's SKU.")
    quantity: int = strawberry.field(description="Units ordered.")
    unit_list_price: Money = strawberry.field(
        description="The unit list price when the order was placed."
    )
    unit_price: Money = strawberry.field(
        description="What the partner pays per unit, after its discount."
    )
    discount_basis_points: int = strawberry.field(
        description="The partner's discount off list price, in basis points (100 = 1%)."
    )
    total: Money = strawberry.field(
        description="unitPrice times quantity, in the order's currency."
    )
    shipped_quantity: int = strawberry.field(description="Units shipped so far.")
    return_requested_quantity: int = strawberry.field(
        description="Units the partner asked to return."
    )
    returned_quantity: int = strawberry.field(description="Units returned.")
    product_id: strawberry.Private[str]

    @classmethod
    def from_model(cls, model: OrderLineModel, currency: str) -> OrderLine:
        return cls(
            id=strawberry.ID(f"{model.order_id}:{model.line_no}"),
            line_no=model.line_no,
            sku=model.sku,
            quantity=model.quantity,
            unit_list_price=Money(
                amount_minor=MinorUnits(model.unit_list_minor), currency=currency
            ),
            unit_price=Money(amount_minor=MinorUnits(model.unit_minor), currency=currency),
            discount_basis_points=model.discount_basis_points,
            total=Money(amount_minor=MinorUnits(model.total_minor), currency=currency),
            shipped_quantity=model.shipped_quantity,
            return_requested_quantity=model.return_requested_quantity,
            returned_quantity=model.returned_quantity,
            product_id=model.product_id,
        )

    @strawberry.field(description="The product, if still in the catalog.")
    async def product(self, info: Info) -> Product | None:
        model = await OrderLoaders.of(info).product_by_id.load(self.product_id)
        return Product.from_model(model) if model else None


@strawberry.type(description="One status change of an order: from, to, who, when, note.")
class OrderStatusChange:
    from_status: OrderStatus | None = strawberry.field(
        description="The status before; null for placing the order."
    )
    to_status: OrderStatus = strawberry.field(description="The status the order moved to.")
    changed_at: datetime = strawberry.field(description="When (RFC 3339, UTC).")
    note: str | None = strawberry.field(description="The note given, e.g. the reason of a return.")
    changed_by_id: strawberry.Private[str | None]

    @strawberry.field(description="Who made the change; null when not visible to the caller.")
    async def changed_by(self, info: Info) -> User | None:
        if self.changed_by_id is None:
            return None
        model = await IdentityLoaders.of(info).user_by_id.load(self.changed_by_id)
        return User.from_model(model) if model else None


@strawberry.type(description="An order placed by a partner, priced by the server for its tier.")
class Order(Node):
    id: strawberry.ID = strawberry.field(description="The order's id.")
    end_customer: str = strawberry.field(description="The end customer the order is for.")
    status: OrderStatus = strawberry.field(description="Where the order is in fulfilment.")
    version: int = strawberry.field(
        description="Incremented on every change; pass it as expectedVersion to change the status."
    )
    total: Money = strawberry.field(
        description="The sum of the lines' totals, in the order's currency."
    )
    requested_delivery: date | None = strawberry.field(
        description="The delivery day the partner asked for (a calendar date)."
    )
    shipping_address: str = strawberry.field(description="Where the order ships to, as one text.")
    shipping_country: str = strawberry.field(
        description="The country it ships to, ISO 3166-1 alpha-2."
    )
    carrier: str | None = strawberry.field(description="The carrier that ships it, once SHIPPED.")
    tracking_number: str | None = strawberry.field(
        description="The carrier's tracking number, once SHIPPED."
    )
    return_reason: str | None = strawberry.field(description="Why a return was requested.")
    lead_id: strawberry.ID | None = strawberry.field(
        description="The lead the order closes, if any."
    )
    deal_id: strawberry.ID | None = strawberry.field(
        description="The deal registration the order closes, if any."
    )
    created_at: datetime = strawberry.field(
        description="When the order was placed (RFC 3339, UTC)."
    )
    updated_at: datetime = strawberry.field(
        description="When the order last changed (RFC 3339, UTC)."
    )
    partner_id: strawberry.Private[str]
    currency: strawberry.Private[str]

    @classmethod
    def from_model(cls, model: OrderModel) -> Order:
        return cls(
            id=strawberry.ID(model.id),
            end_customer=model.end_customer,
            status=OrderStatus(model.status),
            version=model.version,
            total=Money(amount_minor=MinorUnits(model.total_minor), currency=model.currency),
            requested_delivery=model.requested_delivery,
            shipping_address=model.shipping_address,
            shipping_country=model.shipping_country,
            carrier=model.carrier,
            tracking_number=model.tracking_number,
            return_reason=model.return_reason,
            lead_id=strawberry.ID(model.lead_id) if model.lead_id else None,
            deal_id=strawberry.ID(model.deal_id) if model.deal_id else None,
            created_at=model.created_at,
            updated_at=model.updated_at,
            partner_id=model.partner_id,
            currency=model.currency,
        )

    @strawberry.field(
        graphql_type=list[OrderLine], description="The order's lines, by line number."
    )
    def lines(self, info: Info) -> list[OrderLine] | Awaitable[list[OrderLine]]:
        currency = self.currency
        return at_once(
            OrderLoaders.of(info).lines_by_order,
            self.id,
            lambda rows: [OrderLine.from_model(row, currency) for row in rows],
        )

    @strawberry.field(description="Status changes, oldest first.")
    async def status_history(self, info: Info) -> list[OrderStatusChange]:
        rows = await OrderLoaders.of(info).history_by_order.load(self.id)
        return [
            OrderStatusChange(
                from_status=OrderStatus(row.from_status) if row.from_status else None,
                to_status=OrderStatus(row.to_status),
                changed_at=row.changed_at,
                note=row.note,
                changed_by_id=row.changed_by_id,
            )
            for row in rows
        ]

    @strawberry.field(description="The partner that placed the order, if the caller may see it.")
    async def partner(self, info: Info) -> Partner | None:
        model = await IdentityLoaders.of(info).partner_by_id.load(self.partner_id)
        return Partner.from_model(model) if model else None


@strawberry.input(description="A product and quantity to order.")
class OrderLineInput:
    sku: str = strawberry.field(description="The product's SKU.")
    quantity: int = strawberry.field(description="Units to order: 1 to 1,000,000.")


@strawberry.input(
    description="A new order; prices come from the catalog and the caller's "
    "tier, never from the client."
)
class PlaceOrderInput:
    lines: list[OrderLineInput] = strawberry.field(
        description="The products and quantities: 1 to 200 lines, one per SKU."
    )
    end_customer: str = strawberry.field(description="The end customer the order is for.")
    currency: str = strawberry.field(
        description="The ISO 4217 currency to price the order in; every product "
        "needs a list price in it."
    )
    shipping_address: str = strawberry.field(description="Where to ship, as one text.")
    shipping_country: str = strawberry.field(
        description="The country to ship to, ISO 3166-1 alpha-2."
    )
    requested_delivery: date | None = strawberry.field(
        default=None, description="The delivery day asked for (a calendar date)."
    )
    lead_id: strawberry.ID | None = strawberry.field(
        default=None, description="The lead the order closes, one the caller's organization works."
    )
    deal_id: strawberry.ID | None = strawberry.field(
        default=None, description="The approved deal registration the order closes."
    )


@strawberry.input(description="A quantity for one line of an order.")
class OrderLineQuantityInput:
    line_no: int = strawberry.field(description="The line's number within the order.")
    quantity: int = strawberry.field(description="Units of the line.")


@strawberry.input(description="A status change of an order, checked against its version.")
class OrderStatusInput:
    status: OrderStatus = strawberry.field(description="The status to move to.")
    expected_version: int = strawberry.field(
        description="The `version` last read: a CONFLICT error when the order changed since."
    )
    note: str | None = strawberry.field(
        default=None, description="Required reason for RETURN_REQUESTED."
    )
    carrier: str | None = strawberry.field(default=None, description="The carrier, for SHIPPED.")
    tracking_number: str | None = strawberry.field(
        default=None, description="The carrier's tracking number, for SHIPPED."
    )
    lines: list[OrderLineQuantityInput] | None = strawberry.field(
        default=None,
        description="SHIPPED: units shipped per line; RETURN_REQUESTED: units to return.",
    )


@strawberry.input(description="One update of a bulk status call.")
class OrderStatusUpdate:
    order_id: strawberry.ID = strawberry.field(description="The order to change.")
    change: OrderStatusInput = strawberry.field(description="The status change to apply.")


@strawberry.type(description="The outcome of one update of a bulk call.")
class OrderStatusResult:
    order_id: strawberry.ID = strawberry.field(description="The order the update was for.")
    order: Order | None = strawberry.field(
        description="The order after the update; null when it failed."
    )
    error_code: str | None = strawberry.field(
        description="The error code (e.g. CONFLICT, NOT_FOUND) when it failed."
    )
    error_message: str | None = strawberry.field(description="What went wrong, when it failed.")
    error_field: str | None = strawberry.field(
        description="The input field at fault, for BAD_USER_INPUT."
    )


@strawberry.input(description="Which orders to list; the conditions given must all hold.")
class OrderFilter:
    statuses: list[OrderStatus] | None = strawberry.field(
        default=None, description="Only orders with one of these statuses."
    )
    partner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only orders of this partner."
    )


class OrderLoaders(LoaderSet):
    """Products, prices and quotes, warehouses, and an order's lines and history."""

    prices_by_product = loader[str, list[ProductPrice]](
        lambda hub, principal, ids: catalog.prices_by_product(hub, ids)
    )
    product_by_id = loader[str, ProductModel | None](
        lambda hub, principal, ids: catalog.by_ids(hub, ids)
    )
    warehouse_by_id = loader[str, WarehouseModel | None](
        lambda hub, principal, ids: stock.warehouses_by_ids(hub, ids)
    )
    lines_by_order = loader[str, list[OrderLineModel]](
        lambda hub, principal, ids: order_service.lines_by_order(hub, ids)
    )
    history_by_order = loader[str, list[OrderStatusChangeModel]](
        lambda hub, principal, ids: order_service.history_by_order(hub, ids)
    )
    quote_by_product_currency = loader[tuple[str, str], Quote | None](
        lambda hub, principal, ids: _quotes(hub, principal, ids)
    )


async def _quotes(
    hub: Hub, principal: Principal, keys: Sequence[tuple[str, str]]
) -> list[Quote | None]:
    """One query set per currency asked for, whatever the number of products."""
    found: dict[tuple[str, str], Quote] = {}
    for currency in {currency for _, currency in keys}:
        ids = [product_id for product_id, wanted in keys if wanted == currency]
        quotes = await catalog.quote_for(
            hub, principal=principal, product_ids=ids, currency=currency
        )
        found.update(((product_id, currency), quote) for product_id, quote in quotes.items())
    return [found.get(key) for key in keys]


described_enum(
    OrderEventType,
    name="OrderEventType",
    description="What happened to an order.",
    values={
        "ORDER_PLACED": "A partner placed the order.",
        "ORDER_STATUS_CHANGED": "The order moved to another status.",
        "ORDER_CANCELLED": "The order was cancelled.",
        "RETURN_REQUESTED": "The partner asked to return units.",
    },
)


@strawberry.type(description="A change to an order the subscriber may see.")
class OrderEvent:
    cursor: str = strawberry.field(
        description="The event's position; pass it as `after` to resume after it."
    )
    type: OrderEventType = strawberry.field(description="What happened to the order.")
    occurred_at: datetime = strawberry.field(description="When it happened (RFC 3339, UTC).")
    order_id: strawberry.ID = strawberry.field(description="The order the event is about.")
    from_status: OrderStatus | None = strawberry.field(
        description="The status before; null for a new order."
    )
    to_status: OrderStatus = strawberry.field(description="The status the order moved to.")
    carrier: str | None = strawberry.field(description="The carrier, for a shipment.")
    tracking_number: str | None = strawberry.field(
        description="The tracking number, for a shipment."
    )
    event: strawberry.Private[DomainEvent]

    @classmethod
    def from_event(cls, event: DomainEvent) -> OrderEvent:
        payload = event.payload
        return cls(
            cursor=str(event.id),
            type=OrderEventType(event.type),
            occurred_at=event.occurred_at,
            order_id=strawberry.ID(payload["orderId"]),
            from_status=OrderStatus(payload["from"]) if payload.get("from") else None,
            to_status=OrderStatus(payload.get("to") or payload["status"]),
            carrier=payload.get("carrier"),
            tracking_number=payload.get("tracking"),
            event=event,
        )

    @strawberry.field(description="The order as the subscriber may see it now.")
    async def order(self, info: Info) -> Order | None:
        principal, hub, order_id = (
            info.context.require_principal(),
            info.context.hub,
            str(self.order_id),
        )
        model = await shared(
            self.event,
            principal,
            "order",
            lambda: order_service.get_or_none(hub, principal=principal, order_id=order_id),
        )
        return Order.from_model(model) if model else None
