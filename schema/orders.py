"""GraphQL types of the catalog, prices, availability and orders."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from datetime import date, datetime

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
from schema.events import shared
from schema.identity import IdentityLoaders, User
from schema.loading import LoaderSet, at_once, loader
from schema.partners import Partner
from schema.scalars import MinorUnits, Money, MoneyInput
from storage.models import Order as OrderModel
from storage.models import OrderLine as OrderLineModel
from storage.models import OrderStatusChange as OrderStatusChangeModel
from storage.models import Product as ProductModel
from storage.models import ProductPrice
from storage.models import Warehouse as WarehouseModel


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
        rows = await OrderLoaders.of(info).prices_by_product.load(self.id)
        return [
            Money(amount_minor=MinorUnits(row.unit_minor), currency=row.currency) for row in rows
        ]

    @strawberry.field(
        description="What the caller pays per unit in a currency (partners: their tier's price)."
    )
    async def price(self, info: Info, currency: str) -> Price | None:
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


@strawberry.type
class OrderLine:
    line_no: int
    sku: str
    quantity: int
    unit_list_price: Money
    unit_price: Money
    discount_basis_points: int
    total: Money
    shipped_quantity: int
    return_requested_quantity: int
    returned_quantity: int
    product_id: strawberry.Private[str]

    @classmethod
    def from_model(cls, model: OrderLineModel, currency: str) -> OrderLine:
        return cls(
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

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        model = await OrderLoaders.of(info).product_by_id.load(self.product_id)
        return Product.from_model(model) if model else None


@strawberry.type(description="One status change of an order: from, to, who, when, note.")
class OrderStatusChange:
    from_status: OrderStatus | None
    to_status: OrderStatus
    changed_at: datetime
    note: str | None
    changed_by_id: strawberry.Private[str | None]

    @strawberry.field(description="Who made the change; null when not visible to the caller.")
    async def changed_by(self, info: Info) -> User | None:
        if self.changed_by_id is None:
            return None
        model = await IdentityLoaders.of(info).user_by_id.load(self.changed_by_id)
        return User.from_model(model) if model else None


@strawberry.type(description="An order placed by a partner, priced by the server for its tier.")
class Order:
    id: strawberry.ID
    end_customer: str
    status: OrderStatus
    version: int
    total: Money
    requested_delivery: date | None
    shipping_address: str
    shipping_country: str
    carrier: str | None
    tracking_number: str | None
    return_reason: str | None
    lead_id: strawberry.ID | None
    deal_id: strawberry.ID | None
    created_at: datetime
    updated_at: datetime
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

    @strawberry.field(graphql_type=list[OrderLine])
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

    @strawberry.field
    async def partner(self, info: Info) -> Partner | None:
        model = await IdentityLoaders.of(info).partner_by_id.load(self.partner_id)
        return Partner.from_model(model) if model else None


@strawberry.input
class OrderLineInput:
    sku: str
    quantity: int


@strawberry.input
class PlaceOrderInput:
    lines: list[OrderLineInput]
    end_customer: str
    currency: str
    shipping_address: str
    shipping_country: str
    requested_delivery: date | None = None
    lead_id: strawberry.ID | None = None
    deal_id: strawberry.ID | None = None


@strawberry.input(description="A quantity for one line of an order.")
class OrderLineQuantityInput:
    line_no: int
    quantity: int


@strawberry.input
class OrderStatusInput:
    status: OrderStatus
    expected_version: int
    note: str | None = strawberry.field(
        default=None, description="Required reason for RETURN_REQUESTED."
    )
    carrier: str | None = None
    tracking_number: str | None = None
    lines: list[OrderLineQuantityInput] | None = strawberry.field(
        default=None,
        description="SHIPPED: units shipped per line; RETURN_REQUESTED: units to return.",
    )


@strawberry.input
class OrderStatusUpdate:
    order_id: strawberry.ID
    change: OrderStatusInput


@strawberry.type(description="The outcome of one update of a bulk call.")
class OrderStatusResult:
    order_id: strawberry.ID
    order: Order | None
    error_code: str | None
    error_message: str | None
    error_field: str | None


@strawberry.input
class OrderFilter:
    statuses: list[OrderStatus] | None = None
    partner_id: strawberry.ID | None = None


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


strawberry.enum(OrderEventType, name="OrderEventType")


@strawberry.type(description="A change to an order the subscriber may see.")
class OrderEvent:
    cursor: str
    type: OrderEventType
    occurred_at: datetime
    order_id: strawberry.ID
    from_status: OrderStatus | None
    to_status: OrderStatus
    carrier: str | None
    tracking_number: str | None
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
