"""The write side of deliveries: queueing an endpoint's events from the log, recording each
attempt under the endpoint's lease, giving up, disabling, letting the endpoint go."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import events
from hub.events import DomainEvent, log
from hub.runtime import Hub
from hub.webhooks import rules
from hub.webhooks.rules import DeliveryKind, DeliveryStatus, EndpointStatus, WebhookEventType
from hub.webhooks.sender import Outcome
from storage.models.base import new_id
from storage.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookSecret

# Log batches one feed reads (REPLAY_BATCH events each) before it lets the sending start.
FEED_BATCHES = 20
LEASE_MARGIN = timedelta(seconds=30)


@dataclass(frozen=True)
class Claim:
    endpoint_id: str
    token: str


@dataclass(frozen=True)
class Step:
    """What follows an attempt: stop serving the endpoint, wait until `retry_at`, or (neither)
    go on with the next delivery."""

    stop: bool = False
    retry_at: datetime | None = None


def lease(hub: Hub) -> timedelta:
    """How long a claim holds an endpoint without news: one timed-out attempt and a margin."""
    return timedelta(seconds=hub.settings.webhooks.timeout_seconds) + LEASE_MARGIN


async def feed(hub: Hub, claim: Claim) -> bool:
    """Queue a delivery for each new event the endpoint takes; False when not ours any more."""
    async with hub.write() as session:
        endpoint = await leased(session, claim)
        if endpoint is None:
            return False
        newest = await log.newest(session)
        taken = rules.wanted(endpoint.topics, endpoint.event_types, endpoint.partner_ids)
        after, now = endpoint.fed_through, hub.clock.now()
        queued_any = False
        for _ in range(FEED_BATCHES):
            found = await log.read(session, after=after, until=newest, topics=endpoint.topics)
            queued = [
                delivery_of(endpoint.id, event, DeliveryKind.EVENT, now)
                for event in found
                if not event.recipients and taken.takes(event.topic, event.type, event.audience)
            ]
            session.add_all(queued)
            queued_any = queued_any or bool(queued)
            if len(found) < log.REPLAY_BATCH:
                after = newest
                break
            after = found[-1].id
        endpoint.fed_through = after
        if queued_any:
            # Due now: should this claim end before sending, the next round takes them.
            endpoint.due_at = min(endpoint.due_at or now, now)
        return True


def delivery_of(
    endpoint_id: str, event: DomainEvent, kind: DeliveryKind, now: datetime
) -> WebhookDelivery:
    return WebhookDelivery(
        id=new_id(),
        endpoint_id=endpoint_id,
        sequence=event.id,
        event_id=event.id,
        message_id=rules.message_id(event.id),
        kind=kind,
        event_type=event.type,
        status=DeliveryStatus.PENDING,
        attempts=0,
        created_at=now,
    )


async def leased(session: AsyncSession, claim: Claim) -> WebhookEndpoint | None:
    """The endpoint, locked, while the claim still holds it."""
    statement = select(WebhookEndpoint).where(
        WebhookEndpoint.id == claim.endpoint_id, WebhookEndpoint.lease_token == claim.token
    )
    # NO KEY UPDATE: deliveries inserted meanwhile (their key-share lock) do not wait on it.
    endpoint: WebhookEndpoint | None = await session.scalar(
        statement.with_for_update(key_share=True)
    )
    return endpoint


async def record(hub: Hub, claim: Claim, delivery_id: str, outcome: Outcome) -> Step:
    """Note an attempt and what follows it, extending the lease; nothing when it was lost."""
    async with hub.write() as session:
        endpoint = await leased(session, claim)
        if endpoint is None:
            return Step(stop=True)
        delivery = await session.get_one(WebhookDelivery, delivery_id)
        now = hub.clock.now()
        note_attempt(session, delivery, outcome, now)
        endpoint.lease_until = now + lease(hub)
        if outcome.succeeded:
            endpoint.failure_streak, endpoint.last_success_at = 0, now
            return Step()
        endpoint.failure_streak += 1
        if endpoint.failure_streak >= hub.settings.webhooks.disable_after_failures:
            await _disable(session, endpoint, now, outcome)
            return Step(stop=True)
        return Step(retry_at=delivery.next_attempt_at)


def note_attempt(
    session: AsyncSession, delivery: WebhookDelivery, outcome: Outcome, now: datetime
) -> None:
    """Log the attempt on the delivery; schedule the next one, or finish it."""
    delivery.attempts += 1
    delivery.first_attempt_at = delivery.first_attempt_at or now
    delivery.last_status_code = outcome.status_code
    delivery.last_duration_ms = outcome.duration_ms
    delivery.last_response = outcome.response
    delivery.last_error = outcome.error
    session.add(
        WebhookAttempt(
            id=new_id(),
            delivery_id=delivery.id,
            number=delivery.attempts,
            status_code=outcome.status_code,
            duration_ms=outcome.duration_ms,
            response=outcome.response,
            error=outcome.error,
            attempted_at=now,
        )
    )
    retry = None
    if not outcome.succeeded and delivery.kind != DeliveryKind.PING:
        retry = rules.retry_at(
            now, attempts=delivery.attempts, first_attempt=delivery.first_attempt_at
        )
    delivery.next_attempt_at = retry
    if retry is None:
        succeeded = outcome.succeeded
        delivery.status = DeliveryStatus.SUCCEEDED if succeeded else DeliveryStatus.FAILED
        delivery.finished_at = now


async def _disable(
    session: AsyncSession, endpoint: WebhookEndpoint, now: datetime, outcome: Outcome
) -> None:
    """Stop sending to an endpoint after a run of failures and tell vendor staff."""
    reason = f"{endpoint.failure_streak} attempts in a row failed; the last: {outcome.error}"
    endpoint.status, endpoint.disabled_reason = EndpointStatus.DISABLED, reason[:300]
    endpoint.lease_token = endpoint.lease_until = endpoint.due_at = None
    endpoint.updated_at = now
    await events.append(
        session,
        topic=rules.TOPIC,
        type=WebhookEventType.WEBHOOK_ENDPOINT_DISABLED,
        subject_id=endpoint.id,
        audience=(),
        payload={"endpointId": endpoint.id, "reason": endpoint.disabled_reason},
        now=now,
    )


async def release(hub: Hub, claim: Claim, *, wait: timedelta | None = None) -> None:
    """Let the endpoint go, due again when its first waiting delivery is (or when events come);
    with `wait`, not before then (after a fault of the hub's own)."""
    async with hub.write() as session:
        endpoint = await leased(session, claim)
        if endpoint is None:
            return
        head = await session.execute(
            select(WebhookDelivery.next_attempt_at)
            .where(
                WebhookDelivery.endpoint_id == claim.endpoint_id,
                WebhookDelivery.status == DeliveryStatus.PENDING,
            )
            .order_by(WebhookDelivery.sequence)
            .limit(1)
        )
        first, now = head.first(), hub.clock.now()
        due = None if first is None else first.next_attempt_at or now
        if wait is not None:
            due = now + wait
        endpoint.lease_token = endpoint.lease_until = None
        endpoint.due_at = due


async def signing_secrets(session: AsyncSession, endpoint_id: str, now: datetime) -> list[str]:
    """The secrets that sign now: the current one and a rotated one within its overlap."""
    rows = await session.scalars(
        select(WebhookSecret.secret)
        .where(
            WebhookSecret.endpoint_id == endpoint_id,
            or_(WebhookSecret.expires_at.is_(None), WebhookSecret.expires_at > now),
        )
        .order_by(WebhookSecret.created_at.desc(), WebhookSecret.id)
    )
    return list(rows)
