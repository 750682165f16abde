"""Webhook endpoints, managed by vendor admins: register, change, rotate the secret,
disable and enable again, remove; their delivery log, replays and test pings.

A secret is shown once, when made. Rotating makes a new one and keeps the old signing
alongside it for the overlap, so receivers can switch without losing a delivery.
"""

from __future__ import annotations

import base64
import secrets as tokens
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub import validation
from hub.db import grouped_by
from hub.errors import BadInput, NotFound
from hub.events import log
from hub.pagination import Page, PageRequest, keyset_page
from hub.roles import Principal, require_vendor_admin
from hub.runtime import Hub
from hub.webhooks import addresses, rules
from hub.webhooks.rules import DeliveryStatus, EndpointStatus
from storage.models.base import new_id
from storage.models.partners import Partner
from storage.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookSecret

MAX_OVERLAP_HOURS = 7 * 24


@dataclass(frozen=True)
class EndpointInput:
    url: str
    topics: Sequence[str]
    event_types: Sequence[str] = field(default_factory=tuple)
    partner_ids: Sequence[str] = field(default_factory=tuple)
    description: str = ""


@dataclass(frozen=True)
class EndpointChanges:
    url: str | None = None
    topics: Sequence[str] | None = None
    event_types: Sequence[str] | None = None
    partner_ids: Sequence[str] | None = None
    description: str | None = None


@dataclass(frozen=True)
class Endpoint:
    """An endpoint and when its signing secrets were made (the secrets are never shown)."""

    model: WebhookEndpoint
    secret_created_at: datetime
    previous_secret_expires_at: datetime | None


@dataclass(frozen=True)
class NewSecret:
    endpoint: Endpoint
    secret: str


async def create(hub: Hub, *, principal: Principal, data: EndpointInput) -> NewSecret:
    """Register an endpoint; it receives the events that happen from now on."""
    require_vendor_admin(principal)
    url = await _checked_url(hub, data.url)
    description = validation.text(
        data.description,
        field="input.description",
        max_length=rules.MAX_DESCRIPTION,
        required=False,
    )
    topics, types = _checked_topics(data.topics, data.event_types)
    now = hub.clock.now()
    async with hub.write() as session:
        partners = await _checked_partners(session, data.partner_ids)
        endpoint = WebhookEndpoint(
            id=new_id(),
            url=url,
            description=description,
            topics=topics,
            event_types=types,
            partner_ids=partners,
            status=EndpointStatus.ACTIVE,
            failure_streak=0,
            fed_through=await log.newest(session),
            created_by_id=principal.user_id,
            created_at=now,
            updated_at=now,
        )
        session.add(endpoint)
        secret = _add_secret(session, endpoint.id, now)
        return NewSecret(Endpoint(endpoint, now, None), secret)


async def update_endpoint(
    hub: Hub, *, principal: Principal, endpoint_id: str, changes: EndpointChanges
) -> Endpoint:
    """Change what an endpoint receives or where; queued deliveries go to the new URL."""
    require_vendor_admin(principal)
    url = await _checked_url(hub, changes.url) if changes.url is not None else None
    async with hub.write() as session:
        endpoint = await locked(session, endpoint_id)
        if url is not None:
            endpoint.url = url
        if changes.description is not None:
            endpoint.description = _description(changes.description)
        topics = endpoint.topics if changes.topics is None else changes.topics
        types = endpoint.event_types if changes.event_types is None else changes.event_types
        endpoint.topics, endpoint.event_types = _checked_topics(topics, types)
        if changes.partner_ids is not None:
            endpoint.partner_ids = await _checked_partners(session, changes.partner_ids)
        endpoint.updated_at = hub.clock.now()
        return await _described(session, endpoint, hub.clock.now())


async def rotate_secret(
    hub: Hub, *, principal: Principal, endpoint_id: str, overlap_hours: int
) -> NewSecret:
    """Make a new signing secret; the current one keeps signing for `overlap_hours`."""
    require_vendor_admin(principal)
    if not 0 <= overlap_hours <= MAX_OVERLAP_HOURS:
        raise BadInput(f"overlapHours is between 0 and {MAX_OVERLAP_HOURS}", field="overlapHours")
    now = hub.clock.now()
    async with hub.write() as session:
        endpoint = await locked(session, endpoint_id)
        ends = now + timedelta(hours=overlap_hours)
        # The current secret, and any rotated out before, sign until the overlap ends at most.
        await session.execute(
            update(WebhookSecret)
            .where(
                WebhookSecret.endpoint_id == endpoint.id,
                or_(WebhookSecret.expires_at.is_(None), WebhookSecret.expires_at > ends),
            )
            .values(expires_at=ends)
        )
        await session.execute(
            delete(WebhookSecret).where(
                WebhookSecret.endpoint_id == endpoint.id, WebhookSecret.expires_at <= now
            )
        )
        secret = _add_secret(session, endpoint.id, now)
        endpoint.updated_at = now
        return NewSecret(await _described(session, endpoint, now), secret)


async def set_enabled(
    hub: Hub, *, principal: Principal, endpoint_id: str, enabled: bool
) -> Endpoint:
    """Disable an endpoint (nothing is sent; events still queue up) or enable it again (what
    waited is sent now, in order)."""
    require_vendor_admin(principal)
    now = hub.clock.now()
    async with hub.write() as session:
        endpoint = await locked(session, endpoint_id)
        if enabled and endpoint.status != EndpointStatus.ACTIVE:
            endpoint.status, endpoint.disabled_reason = EndpointStatus.ACTIVE, None
            endpoint.failure_streak, endpoint.due_at = 0, now
            await session.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.endpoint_id == endpoint.id,
                    WebhookDelivery.status == DeliveryStatus.PENDING,
                )
                .values(next_attempt_at=now, first_attempt_at=None)
            )
            endpoint.lease_token = endpoint.lease_until = None
        elif not enabled and endpoint.status != EndpointStatus.DISABLED:
            # A delivery under way now is not recorded: it is sent again once enabled.
            endpoint.status, endpoint.disabled_reason = EndpointStatus.DISABLED, "disabled by hand"
            endpoint.lease_token = endpoint.lease_until = None
        endpoint.updated_at = now
        return await _described(session, endpoint, now)


async def remove(hub: Hub, *, principal: Principal, endpoint_id: str) -> str:
    """Remove an endpoint with its secrets and delivery log."""
    require_vendor_admin(principal)
    async with hub.write() as session:
        endpoint = await locked(session, endpoint_id)
        await session.delete(endpoint)
        return endpoint_id


async def get(hub: Hub, *, principal: Principal, endpoint_id: str, field: str = "id") -> Endpoint:
    require_vendor_admin(principal)
    async with hub.read() as session:
        endpoint = await session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None:
            raise NotFound("no such webhook endpoint", field=field)
        return await _described(session, endpoint, hub.clock.now())


async def list_endpoints(hub: Hub, *, principal: Principal, page: PageRequest) -> Page[Endpoint]:
    """Every endpoint, newest first."""
    require_vendor_admin(principal)
    async with hub.read() as session:
        found = await keyset_page(
            session,
            select(WebhookEndpoint),
            page,
            key=(WebhookEndpoint.created_at, WebhookEndpoint.id),
            descending=True,
        )
        described = await _describe(session, found.items, hub.clock.now())
    return Page(
        described, found.cursors, found.has_next_page, found.has_previous_page, found.total_count
    )


async def deliveries(
    hub: Hub,
    *,
    principal: Principal,
    endpoint_id: str,
    statuses: Sequence[DeliveryStatus],
    page: PageRequest,
) -> Page[WebhookDelivery]:
    """An endpoint's delivery log, newest first (of some statuses when given)."""
    require_vendor_admin(principal)
    async with hub.read() as session:
        statement = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
        if statuses:
            statement = statement.where(WebhookDelivery.status.in_(list(statuses)))
        return await keyset_page(
            session,
            statement,
            page,
            key=(WebhookDelivery.created_at, WebhookDelivery.id),
            descending=True,
        )


async def attempts_by_delivery(hub: Hub, ids: Sequence[str]) -> list[list[WebhookAttempt]]:
    """The attempts of each delivery, first first (a loader's batch)."""
    async with hub.read() as session:
        rows = await session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(list(ids)))
            .order_by(WebhookAttempt.number)
        )
        return grouped_by(rows, ids, lambda attempt: attempt.delivery_id)


def secret() -> str:
    """A new signing secret in the Standard Webhooks form: whsec_ and 32 random bytes."""
    return "whsec_" + base64.b64encode(tokens.token_bytes(32)).decode()


def _add_secret(session: AsyncSession, endpoint_id: str, now: datetime) -> str:
    value = secret()
    session.add(WebhookSecret(id=new_id(), endpoint_id=endpoint_id, secret=value, created_at=now))
    return value


async def _checked_url(hub: Hub, url: str) -> str:
    value = url.strip()
    addresses.check_url(value, field="input.url")
    policy = addresses.Policy(
        hub.settings.webhooks.allow_loopback,
        addresses.networks(",".join(hub.settings.webhooks.allowed_networks)),
    )
    try:
        await addresses.resolve(value, policy)
    except addresses.Refused as refused:
        raise BadInput(f"webhooks may not go there: {refused}", field="input.url") from None
    return value


def _description(text: str) -> str:
    return validation.text(
        text, field="input.description", max_length=rules.MAX_DESCRIPTION, required=False
    )


def _checked_topics(topics: Sequence[str], types: Sequence[str]) -> tuple[list[str], list[str]]:
    if not topics:
        raise BadInput("choose at least one topic", field="input.topics")
    unknown = sorted(set(topics) - set(rules.CATALOG))
    if unknown:
        raise BadInput(
            f"{unknown[0]!r} is not a topic; the topics are {', '.join(rules.CATALOG)}",
            field="input.topics",
        )
    allowed = {kind for topic in topics for kind in rules.CATALOG[topic]}
    strangers = sorted(set(types) - allowed)
    if strangers:
        raise BadInput(
            f"{strangers[0][:60]!r} is not an event type of the chosen topics",
            field="input.eventTypes",
        )
    return sorted(set(topics)), sorted(set(types))


async def _checked_partners(session: AsyncSession, partner_ids: Sequence[str]) -> list[str]:
    validation.at_most(partner_ids, rules.MAX_PARTNERS, field="input.partnerIds", what="partners")
    wanted = sorted(set(partner_ids))
    found = set(await session.scalars(select(Partner.id).where(Partner.id.in_(wanted))))
    if len(found) != len(wanted):
        raise NotFound("no such partner", field="input.partnerIds")
    return wanted


async def locked(session: AsyncSession, endpoint_id: str, *, field: str = "id") -> WebhookEndpoint:
    endpoint = await session.scalar(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id)
        .with_for_update(key_share=True)
    )
    if endpoint is None:
        raise NotFound("no such webhook endpoint", field=field)
    return endpoint


async def _described(session: AsyncSession, endpoint: WebhookEndpoint, now: datetime) -> Endpoint:
    return (await _describe(session, [endpoint], now))[0]


async def _describe(
    session: AsyncSession, endpoints: Sequence[WebhookEndpoint], now: datetime
) -> list[Endpoint]:
    """Each endpoint with when its current secret was made and when the rotated one ends."""
    rows = await session.execute(
        select(WebhookSecret.endpoint_id, WebhookSecret.created_at, WebhookSecret.expires_at)
        .where(WebhookSecret.endpoint_id.in_([endpoint.id for endpoint in endpoints]))
        .order_by(WebhookSecret.created_at.desc())
    )
    current: dict[str, datetime] = {}
    overlap: dict[str, datetime] = {}
    for endpoint_id, created, expires in rows:
        if expires is None:
            current.setdefault(endpoint_id, created)
        elif expires > now:
            overlap[endpoint_id] = max(expires, overlap.get(endpoint_id, expires))
    return [
        Endpoint(endpoint, current.get(endpoint.id, endpoint.created_at), overlap.get(endpoint.id))
        for endpoint in endpoints
    ]
