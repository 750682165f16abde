"""Root fields of webhooks (vendor admins; their events reach vendor staff)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from hub.roles import require_vendor_staff
from hub.webhooks import endpoints, resend, rules
from hub.webhooks.rules import DeliveryStatus
from schema.arguments import After, EventsAfter, First, Id
from schema.context import Info
from schema.events import parse_cursor, subscribe
from schema.inputs import to_hub
from schema.relay import Connection, page_request
from schema.webhooks import (
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointChangesInput,
    WebhookEndpointInput,
    WebhookEndpointSecret,
    WebhookEvent,
    WebhookReplay,
    WebhookTopic,
)


@strawberry.type
class WebhooksQuery:
    @strawberry.field(
        description="The topics webhooks can receive, with their event types (vendor staff)."
    )
    def webhook_topics(self, info: Info) -> list[WebhookTopic]:
        require_vendor_staff(info.context.require_principal())
        return [
            WebhookTopic(name=name, event_types=list(types))
            for name, types in rules.CATALOG.items()
        ]

    @strawberry.field(description="Webhook endpoints, newest first (vendor admins).")
    async def webhook_endpoints(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[WebhookEndpoint]:
        page = await endpoints.list_endpoints(
            info.context.hub,
            principal=info.context.require_principal(),
            page=page_request(info, first, after),
        )
        return Connection[WebhookEndpoint].of(page, WebhookEndpoint.of)

    @strawberry.field(description="One webhook endpoint (vendor admins).")
    async def webhook_endpoint(self, info: Info, id: Id) -> WebhookEndpoint:
        found = await endpoints.get(
            info.context.hub, principal=info.context.require_principal(), endpoint_id=id
        )
        return WebhookEndpoint.of(found)

    @strawberry.field(description="An endpoint's delivery log, newest first.")
    async def webhook_deliveries(
        self,
        info: Info,
        endpoint_id: Annotated[
            strawberry.ID, strawberry.argument(description="The endpoint whose deliveries to list.")
        ],
        statuses: Annotated[
            list[DeliveryStatus] | None,
            strawberry.argument(
                description="Only deliveries with one of these statuses; all when left out."
            ),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[WebhookDelivery]:
        principal, hub = info.context.require_principal(), info.context.hub
        await endpoints.get(hub, principal=principal, endpoint_id=endpoint_id, field="endpointId")
        page = await endpoints.deliveries(
            hub,
            principal=principal,
            endpoint_id=endpoint_id,
            statuses=statuses or [],
            page=page_request(info, first, after),
        )
        return Connection[WebhookDelivery].of(page, WebhookDelivery.from_model)


@strawberry.type
class WebhooksMutation:
    @strawberry.mutation(
        description="Register an endpoint for the events from now on; its secret is shown once."
    )
    async def create_webhook_endpoint(
        self,
        info: Info,
        input: Annotated[
            WebhookEndpointInput,
            strawberry.argument(description="The URL, topics and filters of the new endpoint."),
        ],
    ) -> WebhookEndpointSecret:
        made = await endpoints.create(
            info.context.hub,
            principal=info.context.require_principal(),
            data=to_hub(input, endpoints.EndpointInput),
        )
        return WebhookEndpointSecret.of(made)

    @strawberry.mutation(
        description="Change an endpoint's URL, topics, filters or description (vendor admins)."
    )
    async def update_webhook_endpoint(
        self,
        info: Info,
        id: Id,
        input: Annotated[
            WebhookEndpointChangesInput,
            strawberry.argument(description="The fields to change; omitted ones stay as they are."),
        ],
    ) -> WebhookEndpoint:
        found = await endpoints.update_endpoint(
            info.context.hub,
            principal=info.context.require_principal(),
            endpoint_id=id,
            changes=to_hub(input, endpoints.EndpointChanges),
        )
        return WebhookEndpoint.of(found)

    @strawberry.mutation(
        description="A new secret, shown once; the current one also signs for overlapHours."
    )
    async def rotate_webhook_secret(
        self,
        info: Info,
        id: Id,
        overlap_hours: Annotated[
            int,
            strawberry.argument(
                description="Hours the current secret keeps signing beside the new one: 0 to 168."
            ),
        ] = 24,
    ) -> WebhookEndpointSecret:
        made = await endpoints.rotate_secret(
            info.context.hub,
            principal=info.context.require_principal(),
            endpoint_id=id,
            overlap_hours=overlap_hours,
        )
        return WebhookEndpointSecret.of(made)

    @strawberry.mutation(description="Send again what waited, in order, from the first failure.")
    async def enable_webhook_endpoint(self, info: Info, id: Id) -> WebhookEndpoint:
        found = await endpoints.set_enabled(
            info.context.hub,
            principal=info.context.require_principal(),
            endpoint_id=id,
            enabled=True,
        )
        return WebhookEndpoint.of(found)

    @strawberry.mutation(description="Stop sending; events keep queuing until it is enabled.")
    async def disable_webhook_endpoint(self, info: Info, id: Id) -> WebhookEndpoint:
        return await _enabled(info, id, False)

    @strawberry.mutation(description="Remove an endpoint with its secrets and delivery log.")
    async def delete_webhook_endpoint(self, info: Info, id: Id) -> strawberry.ID:
        removed = await endpoints.remove(
            info.context.hub, principal=info.context.require_principal(), endpoint_id=id
        )
        return strawberry.ID(removed)

    @strawberry.mutation(
        description="Queue again the endpoint's events after a cursor, in order (up to 1,000 "
        "a call; go on from `through` until complete)."
    )
    async def replay_webhooks(
        self,
        info: Info,
        endpoint_id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The endpoint to send the events to again."),
        ],
        after: Annotated[
            str,
            strawberry.argument(
                description="The event cursor to replay after (a delivery's "
                "eventCursor, or a returned `through`)."
            ),
        ],
    ) -> WebhookReplay:
        done = await resend.replay(
            info.context.hub,
            principal=info.context.require_principal(),
            endpoint_id=endpoint_id,
            after=parse_cursor(after) or 0,
        )
        return WebhookReplay.of(done)

    @strawberry.mutation(description="Send a signed WEBHOOK_PING now; the answer is logged.")
    async def ping_webhook_endpoint(self, info: Info, id: Id) -> WebhookDelivery:
        delivery = await resend.ping(
            info.context.hub, principal=info.context.require_principal(), endpoint_id=id
        )
        return WebhookDelivery.from_model(delivery)


async def _enabled(info: Info, endpoint_id: str, enabled: bool) -> WebhookEndpoint:
    found = await endpoints.set_enabled(
        info.context.hub,
        principal=info.context.require_principal(),
        endpoint_id=endpoint_id,
        enabled=enabled,
    )
    return WebhookEndpoint.of(found)


@strawberry.type
class WebhooksSubscription:
    @strawberry.subscription(
        description="WEBHOOK_ENDPOINT_DISABLED, for vendor staff; `after` replays what was missed."
    )
    async def webhook_events(
        self, info: Info, after: EventsAfter = None
    ) -> AsyncGenerator[WebhookEvent, None]:
        require_vendor_staff(info.context.require_principal())
        async with subscribe(info, {rules.TOPIC}, after=parse_cursor(after)) as stream:
            async for event in stream:
                yield WebhookEvent.from_event(event)
