"""The delivery worker every hub process runs: it claims endpoints with work, queues the
events they take from the event log and sends their deliveries in order.

An endpoint is claimed with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite runs
one write transaction at a time): while it holds, no other process feeds or sends for that
endpoint, so each event goes out once per endpoint and in order. The HTTP request runs
outside any transaction; its outcome is recorded only while the lease is still ours. A
process that dies mid-delivery leaves its lease to expire and the delivery to be sent again
(at least once). Each endpoint is served by a task of its own: a receiver that hangs holds
its own task until the timeout, never the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.events import log
from hub.runtime import Hub
from hub.webhooks import ledger
from hub.webhooks.addresses import Policy, networks
from hub.webhooks.ledger import Claim
from hub.webhooks.rules import DeliveryStatus, EndpointStatus
from hub.webhooks.sender import Outcome, send
from storage.models import Event
from storage.models.webhooks import WebhookDelivery, WebhookEndpoint

logger = logging.getLogger("channelhub.webhooks")
# Deliveries one claim sends before it lets the endpoint go (another round takes the rest).
PER_CLAIM = 50
# How long an endpoint whose round failed in the hub (not at the receiver) waits.
RETRY_AFTER_FAULT = timedelta(minutes=1)


def policy(hub: Hub) -> Policy:
    """Where this hub's webhooks may go (hub.settings.webhooks)."""
    settings = hub.settings.webhooks
    return Policy(settings.allow_loopback, networks(",".join(settings.allowed_networks)))


def client() -> httpx.AsyncClient:
    """The HTTP client deliveries go through: no proxies from the environment, no redirects,
    no time limit of its own (each send has WEBHOOK_TIMEOUT_SECONDS for everything), and no
    connection kept between requests: a connection is opened to one checked address and its
    TLS checked for one host name, so no request may go over another's."""
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    return httpx.AsyncClient(trust_env=False, follow_redirects=False, timeout=None, limits=limits)


async def run_once(hub: Hub, http: httpx.AsyncClient) -> int:
    """Claim every endpoint with work and serve them all; return the attempts made."""
    claims = await claim(hub, limit=hub.settings.webhooks.concurrency)
    done = await asyncio.gather(*(serve(hub, http, claim) for claim in claims))
    return sum(done)


async def run_forever(hub: Hub, stop: asyncio.Event) -> None:
    """Serve endpoints, up to the concurrency setting at once, until `stop` is set."""
    settings = hub.settings.webhooks
    serving: set[asyncio.Task[int]] = set()
    async with client() as http:
        while not stop.is_set():
            free = settings.concurrency - len(serving)
            if free > 0:
                try:
                    claims = await claim(hub, limit=free)
                except Exception:
                    logger.exception("claiming webhook endpoints failed")
                    claims = []
                serving |= {asyncio.create_task(serve(hub, http, item)) for item in claims}
            stopping = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait(
                {stopping, *serving},
                timeout=settings.poll_seconds,
                return_when=asyncio.FIRST_COMPLETED,
            )
            serving = {task for task in serving if task not in done}
            stopping.cancel()
        if serving:
            await asyncio.wait(serving)


async def backlog(session: AsyncSession) -> int:
    """Count the deliveries waiting to be sent, endpoint by endpoint along their index."""
    pending = (
        select(func.count())
        .select_from(WebhookDelivery)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
    )
    return (
        await session.scalar(pending.where(WebhookDelivery.status == DeliveryStatus.PENDING)) or 0
    )


async def claim(hub: Hub, *, limit: int) -> list[Claim]:
    """Lease up to `limit` active endpoints that have events to queue or a delivery due."""
    now = hub.clock.now()
    async with hub.read() as session:
        # A read first: a hub without work (most rounds) takes no write lock.
        newest = await log.newest(session)
        if await session.scalar(_with_work(newest, now).limit(1)) is None:
            return []
    token = uuid.uuid4().hex
    async with hub.write() as session:
        free = _with_work(await log.newest(session), now)
        free = free.order_by(WebhookEndpoint.due_at).limit(limit)
        if session.bind.dialect.name == "postgresql":
            free = free.with_for_update(skip_locked=True, key_share=True)
        claimed = await session.scalars(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id.in_(free.scalar_subquery()))
            .values(lease_token=token, lease_until=now + ledger.lease(hub))
            .returning(WebhookEndpoint.id)
        )
        return [Claim(endpoint_id, token) for endpoint_id in claimed]


def _with_work(newest: int, now: datetime) -> Select[tuple[str]]:
    """Active endpoints nobody holds that are due, or wait for nothing and have new events.

    An endpoint due later (a retry, or a pause after a fault) is left alone until then: what
    it would queue meanwhile would wait behind that delivery anyway.
    """
    return select(WebhookEndpoint.id).where(
        WebhookEndpoint.status == EndpointStatus.ACTIVE,
        or_(WebhookEndpoint.lease_until.is_(None), WebhookEndpoint.lease_until < now),
        or_(
            and_(WebhookEndpoint.due_at.is_(None), WebhookEndpoint.fed_through < newest),
            WebhookEndpoint.due_at <= now,
        ),
    )


async def serve(hub: Hub, http: httpx.AsyncClient, claim: Claim) -> int:
    """Queue the endpoint's new events, then send its due deliveries in order."""
    try:
        return await _serve(hub, http, claim)
    except Exception:
        logger.exception("webhook endpoint %s failed; it is retried", claim.endpoint_id)
        with contextlib.suppress(Exception):
            await ledger.release(hub, claim, wait=RETRY_AFTER_FAULT)
        return 0


async def _serve(hub: Hub, http: httpx.AsyncClient, claim: Claim) -> int:
    if not await ledger.feed(hub, claim):
        return 0
    attempts = 0
    for _ in range(PER_CLAIM):
        head = await _head(hub, claim.endpoint_id)
        if head is None:
            break
        delivery, event, secrets, url = head
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > hub.clock.now():
            break
        outcome = await _attempt(hub, http, url, secrets, delivery, event)
        attempts += 1
        step = await ledger.record(hub, claim, delivery.id, outcome)
        if step.stop:
            return attempts  # the lease was lost, or the endpoint is disabled now
        if step.retry_at is not None:
            break
    await ledger.release(hub, claim)
    return attempts


async def _head(
    hub: Hub, endpoint_id: str
) -> tuple[WebhookDelivery, Event | None, list[str], str] | None:
    """The endpoint's first waiting delivery, its event, the secrets to sign with and the URL."""
    async with hub.read() as session:
        delivery = await session.scalar(
            select(WebhookDelivery)
            .where(
                WebhookDelivery.endpoint_id == endpoint_id,
                WebhookDelivery.status == DeliveryStatus.PENDING,
            )
            .order_by(WebhookDelivery.sequence)
            .limit(1)
        )
        if delivery is None:
            return None
        event = await session.get(Event, delivery.event_id) if delivery.event_id else None
        endpoint = await session.get_one(WebhookEndpoint, endpoint_id)
        secrets = await ledger.signing_secrets(session, endpoint_id, hub.clock.now())
        return delivery, event, secrets, endpoint.url


async def _attempt(
    hub: Hub,
    http: httpx.AsyncClient,
    url: str,
    secrets: list[str],
    delivery: WebhookDelivery,
    event: Event | None,
) -> Outcome:
    body = body_of(delivery, event)
    return await send(
        http,
        url=url,
        policy=policy(hub),
        secrets=secrets,
        message_id=delivery.message_id,
        at=hub.clock.now(),
        body=body,
        wait_seconds=hub.settings.webhooks.timeout_seconds,
    )


def body_of(delivery: WebhookDelivery, event: Event | None) -> bytes:
    """The JSON a receiver gets: the event's type, topic, cursor, when it occurred, and its
    fields (those its subscription event shows) under `data`."""
    if event is None:
        document: dict[str, Any] = {
            "type": delivery.event_type,
            "timestamp": delivery.created_at.isoformat(),
        }
        return json.dumps({**document, "data": {"ping": True}}).encode()
    document = {
        "type": event.type,
        "topic": event.topic,
        "cursor": str(event.id),
        "occurredAt": event.occurred_at.isoformat(),
        "timestamp": event.occurred_at.isoformat(),
        "data": {"subjectId": event.subject_id, **event.payload},
    }
    return json.dumps(document, separators=(",", ":"), default=str).encode()
