"""Email: messages queued for sending (the outbox), what each user wants emailed, the items
waiting for a user's daily digest, and how far the event log has been turned into mail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, IdMixin
from storage.models.events import EventId


class EmailMessage(IdMixin, Base):
    """One email, rendered when queued and sent by a worker that holds it for a lease.

    `dedupe_key` names what it is about (an event and a user, an offer's reminder): the same
    thing is never queued twice, whichever process queues it.
    """

    __tablename__ = "email_messages"
    __table_args__ = (
        Index("ix_email_messages_status_due", "status", "next_attempt_at"),
        Index("ix_email_messages_user_created", "user_id", "created_at", "id"),
    )

    kind: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column()
    lease_until: Mapped[datetime | None] = mapped_column()
    lease_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(300))
    # Not sent (SKIPPED) when this holds at sending time: {"conversationId", "seq"} a message
    # its user has read in the meantime.
    unless: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()


class EmailPreference(Base):
    """How a user wants one kind of email: IMMEDIATE (the default), DIGEST or OFF."""

    __tablename__ = "email_preferences"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))


class EmailDigestItem(IdMixin, Base):
    """A line for a user's next daily digest."""

    __tablename__ = "email_digest_items"
    __table_args__ = (Index("ix_email_digest_items_user_pending", "user_id", "digest_id"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    line: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column()
    # The digest message that carried it; None while it waits.
    digest_id: Mapped[str | None] = mapped_column(String(32))


class EmailFeed(Base):
    """How far the event log has been turned into email (one row)."""

    __tablename__ = "email_feed"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    fed_through: Mapped[int] = mapped_column(EventId, default=0)
