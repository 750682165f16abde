"""Subscription payloads built from the event log."""

from __future__ import annotations

import asyncio
from datetime import datetime
from enum import StrEnum
from typing import Any

import strawberry

from hub.assets import service as asset_service
from hub.errors import BadInput
from hub.events import DomainEvent
from hub.leads import deals as deal_service
from hub.leads import service as lead_service
from hub.leads.rules import LeadEventType
from hub.orders import service as order_service
from hub.orders.rules import OrderStatus
from hub.roles import Principal
from schema.assets import Asset
from schema.context import Info
from schema.deals import DealRegistration
from schema.fanout import audience_key
from schema.leads import Lead
from schema.orders import Order

strawberry.enum(LeadEventType, name="LeadEventType")


def parse_cursor(after: str | None) -> int | None:
    """Read a subscription cursor (the id of the last event received)."""
    if after is None:
        return None
    # isdigit() alone takes digits int() refuses, such as "²".
    if not (after.isascii() and after.isdigit()) or len(after) > 18:
        raise BadInput("after must be the cursor of an event you received", field="after")
    return int(after)


def shared(event: DomainEvent, principal: Principal, name: str, load: Any) -> asyncio.Future[Any]:
    """Load once per event and audience what every subscriber of that audience sees alike."""
    key = (name, audience_key(principal))
    future: asyncio.Future[Any] | None = event.shared.get(key)
    if future is None:
        future = event.shared[key] = asyncio.ensure_future(load())
    return future


@strawberry.type(description="A change to a lead or deal registration the subscriber may see.")
class LeadEvent:
    cursor: str
    type: LeadEventType
    occurred_at: datetime
    lead_id: strawberry.ID | None
    deal_id: strawberry.ID | None
    event: strawberry.Private[DomainEvent]

    @classmethod
    def from_event(cls, event: DomainEvent) -> LeadEvent:
        return cls(
            cursor=str(event.id),
            type=LeadEventType(event.type),
            occurred_at=event.occurred_at,
            lead_id=event.payload.get("leadId"),
            deal_id=event.payload.get("dealId"),
            event=event,
        )

    @strawberry.field(
        description="The lead as the subscriber may see it now; null when no longer visible."
    )
    async def lead(self, info: Info) -> Lead | None:
        if self.lead_id is None:
            return None
        principal, hub, lead_id = (
            info.context.require_principal(),
            info.context.hub,
            str(self.lead_id),
        )
        model = await shared(
            self.event,
            principal,
            "lead",
            lambda: lead_service.get_or_none(hub, principal=principal, lead_id=lead_id),
        )
        return Lead.from_model(model) if model else None

    @strawberry.field(description="The deal registration, for DEAL_* events.")
    async def deal(self, info: Info) -> DealRegistration | None:
        if self.deal_id is None:
            return None
        principal, hub, deal_id = (
            info.context.require_principal(),
            info.context.hub,
            str(self.deal_id),
        )
        found = await shared(
            self.event,
            principal,
            "deal",
            lambda: deal_service.by_ids(hub, principal=principal, ids=[deal_id]),
        )
        return DealRegistration.from_model(found[0]) if found[0] else None


class OrderEventType(StrEnum):
    ORDER_PLACED = "ORDER_PLACED"
    ORDER_STATUS_CHANGED = "ORDER_STATUS_CHANGED"
    ORDER_CANCELLED = "ORDER_CANCELLED"
    RETURN_REQUESTED = "RETURN_REQUESTED"


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


@strawberry.type(description="An asset, or a new version of it, was published to the subscriber.")
class AssetEvent:
    cursor: str
    type: str
    occurred_at: datetime
    asset_id: strawberry.ID
    version: int
    event: strawberry.Private[DomainEvent]

    @classmethod
    def from_event(cls, event: DomainEvent) -> AssetEvent:
        return cls(
            cursor=str(event.id),
            type=event.type,
            occurred_at=event.occurred_at,
            asset_id=strawberry.ID(event.payload["assetId"]),
            version=int(event.payload["version"]),
            event=event,
        )

    @strawberry.field(description="The asset as the subscriber may see it now.")
    async def asset(self, info: Info) -> Asset | None:
        principal, hub, asset_id = (
            info.context.require_principal(),
            info.context.hub,
            str(self.asset_id),
        )
        found = await shared(
            self.event,
            principal,
            "asset",
            lambda: asset_service.by_ids(hub, principal=principal, ids=[asset_id]),
        )
        return Asset.from_model(found[0]) if found[0] else None
