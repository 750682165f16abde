"""Sending again by hand: replaying an endpoint's events from a cursor, and test pings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from hub.errors import NotFound
from hub.events import log
from hub.roles import Principal, require_vendor_admin
from hub.runtime import Hub
from hub.webhooks import endpoints, ledger, rules, worker
from hub.webhooks.rules import DeliveryKind, DeliveryStatus, EndpointStatus
from hub.webhooks.sender import send
from storage.models.base import new_id
from storage.models.webhooks import WebhookDelivery, WebhookEndpoint

# Deliveries one replay queues, and log batches it reads; the answer's cursor continues from
# where it stopped.
MAX_REPLAY = 1000
MAX_BATCHES = 20


@dataclass(frozen=True)
class Replay:
    queued: int
    # The last event looked at: replay from it for the rest when not complete.
    through: int
    complete: bool


async def replay(hub: Hub, *, principal: Principal, endpoint_id: str, after: int) -> Replay:
    """Queue again, in order, the events after the cursor the endpoint takes (up to those
    already queued for it); an event still waiting to go is not queued twice."""
    require_vendor_admin(principal)
    await hub.events.check_cursor(after)
    async with hub.write() as session:
        endpoint = await endpoints.locked(session, endpoint_id, field="endpointId")
        waiting = set(
            await session.scalars(
                select(WebhookDelivery.event_id).where(
                    WebhookDelivery.endpoint_id == endpoint.id,
                    WebhookDelivery.status == DeliveryStatus.PENDING,
                    WebhookDelivery.event_id > after,
                    WebhookDelivery.event_id <= endpoint.fed_through,
                )
            )
        )
        taken = rules.wanted(endpoint.topics, endpoint.event_types, endpoint.partner_ids)
        now, cursor, queued = hub.clock.now(), after, 0
        for _ in range(MAX_BATCHES):
            if queued >= MAX_REPLAY or cursor >= endpoint.fed_through:
                break
            found = await log.read(
                session, after=cursor, until=endpoint.fed_through, topics=endpoint.topics
            )
            if not found:
                cursor = endpoint.fed_through
                break
            for event in found:
                cursor = event.id
                if event.recipients or event.id in waiting:
                    continue
                if taken.takes(event.topic, event.type, event.audience):
                    session.add(ledger.delivery_of(endpoint.id, event, DeliveryKind.REPLAY, now))
                    queued += 1
                    if queued == MAX_REPLAY:
                        break
        if queued and endpoint.status == EndpointStatus.ACTIVE:
            endpoint.due_at = min(endpoint.due_at or now, now)
        return Replay(queued, cursor, cursor >= endpoint.fed_through)


async def ping(hub: Hub, *, principal: Principal, endpoint_id: str) -> WebhookDelivery:
    """Send a signed WEBHOOK_PING now and log how the receiver answered."""
    require_vendor_admin(principal)
    now = hub.clock.now()
    async with hub.read() as session:
        endpoint = await session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None:
            raise NotFound("no such webhook endpoint", field="id")
        secrets = await ledger.signing_secrets(session, endpoint.id, now)
    delivery_id = new_id()
    delivery = WebhookDelivery(
        id=delivery_id,
        endpoint_id=endpoint.id,
        sequence=0,
        message_id=f"ping_{delivery_id}",
        kind=DeliveryKind.PING,
        event_type=rules.PING_TYPE,
        status=DeliveryStatus.PENDING,
        attempts=0,
        created_at=now,
    )
    async with worker.client() as http:
        outcome = await send(
            http,
            url=endpoint.url,
            policy=worker.policy(hub),
            secrets=secrets,
            message_id=delivery.message_id,
            at=now,
            body=worker.body_of(delivery, None),
            wait_seconds=hub.settings.webhooks.timeout_seconds,
        )
    async with hub.write() as session:
        if await session.get(WebhookEndpoint, endpoint.id) is None:
            raise NotFound("no such webhook endpoint", field="id")
        session.add(delivery)
        await session.flush()  # the attempt refers to it
        ledger.note_attempt(session, delivery, outcome, hub.clock.now())
    return delivery
