"""GraphQL types of stock: levels per warehouse, their recorded movements, the returns policy."""

from __future__ import annotations

from datetime import datetime

import strawberry

from hub.orders.allocation import MovementReason
from hub.orders.settings import OrderPolicy
from hub.orders.stock import Level
from schema.context import Info
from schema.enums import described_enum
from schema.identity import IdentityLoaders, User
from schema.orders import OrderLoaders, Warehouse
from storage.models import StockMovement as StockMovementModel
from storage.models import Warehouse as WarehouseModel

described_enum(
    MovementReason,
    name="StockMovementReason",
    description="Why units on hand changed.",
    values={
        "SHIPPED": "Units shipped with an order.",
        "RETURNED": "Units returned from an order.",
        "COUNTED": "A stock count set the units on hand (setStock, setStockLevels).",
    },
)


def warehouse_of(model: WarehouseModel) -> Warehouse:
    return Warehouse(
        id=strawberry.ID(model.id), code=model.code, name=model.name, country=model.country
    )


@strawberry.type(description="Units of a product in one warehouse.")
class StockLevel:
    warehouse: Warehouse = strawberry.field(description="The warehouse the units are in.")
    on_hand: int = strawberry.field(
        description="Units physically in the warehouse, reserved ones included."
    )
    reserved: int = strawberry.field(description="Held by allocated orders not yet shipped.")
    available: int = strawberry.field(description="On hand and not reserved.")

    @classmethod
    def from_level(cls, level: Level) -> StockLevel:
        return cls(
            warehouse=warehouse_of(level.warehouse),
            on_hand=level.on_hand,
            reserved=level.reserved,
            available=level.on_hand - level.reserved,
        )


@strawberry.type(
    description="A recorded change of units on hand: shipped (negative), returned, or counted."
)
class StockMovement:
    id: strawberry.ID = strawberry.field(description="The movement's id.")
    quantity: int = strawberry.field(
        description="The change of units on hand: negative when shipped."
    )
    reason: MovementReason = strawberry.field(description="Why the units changed.")
    order_id: strawberry.ID | None = strawberry.field(
        description="The order shipped or returned, if any."
    )
    line_no: int | None = strawberry.field(
        description="The order line shipped or returned, if any."
    )
    at: datetime = strawberry.field(description="When it was recorded (RFC 3339, UTC).")
    warehouse_id: strawberry.Private[str]
    changed_by_id: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, model: StockMovementModel) -> StockMovement:
        return cls(
            id=strawberry.ID(str(model.id)),
            quantity=model.quantity,
            reason=MovementReason(model.reason),
            order_id=strawberry.ID(model.order_id) if model.order_id else None,
            line_no=model.line_no,
            at=model.at,
            warehouse_id=model.warehouse_id,
            changed_by_id=model.changed_by_id,
        )

    @strawberry.field(description="The warehouse, if it still exists.")
    async def warehouse(self, info: Info) -> Warehouse | None:
        model = await OrderLoaders.of(info).warehouse_by_id.load(self.warehouse_id)
        return warehouse_of(model) if model else None

    @strawberry.field(description="Who shipped, returned or counted the units.")
    async def changed_by(self, info: Info) -> User | None:
        if self.changed_by_id is None:
            return None
        model = await IdentityLoaders.of(info).user_by_id.load(self.changed_by_id)
        return User.from_model(model) if model else None


@strawberry.type(description="The vendor's order policy.")
class OrderSettings:
    returns_warehouse: Warehouse | None = strawberry.field(
        description="Where returned units go back on hand; null: to the warehouses they were "
        "shipped from."
    )

    @classmethod
    def from_policy(cls, policy: OrderPolicy) -> OrderSettings:
        found = policy.returns_warehouse
        return cls(returns_warehouse=warehouse_of(found) if found else None)
