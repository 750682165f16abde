"""Webhook endpoints the vendor registers, their signing secrets, and the deliveries fed to
them from the event log, with each attempt."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, IdMixin, TimestampMixin
from storage.models.events import EventId


class WebhookEndpoint(IdMixin, TimestampMixin, Base):
    """A URL that receives the events of some topics (and types, and partners).

    `fed_through` is the last event the feed looked at: events after it are not yet queued.
    A worker holds the endpoint while `lease_until` is in the future (its `lease_token`);
    `due_at` is when the first waiting delivery may be tried (None: nothing waits).
    """

    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        Index("ix_webhook_endpoints_created_order", "created_at", "id"),
        Index("ix_webhook_endpoints_status_due", "status", "due_at"),
    )

    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(Text, default="")
    topics: Mapped[list[Any]] = mapped_column(JSON, default=list)
    event_types: Mapped[list[Any]] = mapped_column(JSON, default=list)
    partner_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16))
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    failure_streak: Mapped[int] = mapped_column(Integer, default=0)
    fed_through: Mapped[int] = mapped_column(EventId, default=0)
    due_at: Mapped[datetime | None] = mapped_column()
    lease_until: Mapped[datetime | None] = mapped_column()
    lease_token: Mapped[str | None] = mapped_column(String(32))
    last_success_at: Mapped[datetime | None] = mapped_column()
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class WebhookSecret(IdMixin, Base):
    """A signing secret; a rotated one keeps signing until `expires_at` (the overlap)."""

    __tablename__ = "webhook_secrets"

    endpoint_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    # Kept as is: signing needs it (like the JWT secret, the database is trusted with it).
    secret: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()


class WebhookDelivery(IdMixin, Base):
    """One event (or a test ping) for one endpoint, sent until it succeeds or is given up.

    An endpoint's waiting deliveries go out one after the other in `sequence` (the event's
    id; a replayed event waits in its place). `message_id` stays the same across attempts and
    replays, so receivers can drop what they already processed.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at", "id"),
        Index("ix_webhook_deliveries_endpoint_status", "endpoint_id", "status", "sequence"),
    )

    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column(EventId)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(48))
    kind: Mapped[str] = mapped_column(String(16))
    event_type: Mapped[str] = mapped_column(String(48))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    first_attempt_at: Mapped[datetime | None] = mapped_column()
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_duration_ms: Mapped[int | None] = mapped_column(Integer)
    last_response: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class WebhookAttempt(IdMixin, Base):
    """One try of a delivery: what the receiver answered, or why it could not."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery_number", "delivery_id", "number"),)

    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE")
    )
    number: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    response: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(String(300))
    attempted_at: Mapped[datetime] = mapped_column()
