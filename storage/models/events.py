"""The event log behind live subscriptions: one row per domain change, with its audience."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base

# BIGINT on PostgreSQL; INTEGER PRIMARY KEY (the rowid, monotonic) on SQLite.
EventId = BigInteger().with_variant(Integer(), "sqlite")


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(48))
    subject_id: Mapped[str] = mapped_column(String(32), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime] = mapped_column()


class EventAudience(Base):
    """An organization allowed to receive an event (vendor staff receive every event)."""

    __tablename__ = "event_audiences"
    __table_args__ = (
        Index("ix_event_audiences_organization_event", "organization_id", "event_id"),
    )

    event_id: Mapped[int] = mapped_column(
        EventId, ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )


class EventRecipient(Base):
    """A user an event is for. An event with recipients goes to them alone (not to vendor
    staff at large): conversations are private to their participants."""

    __tablename__ = "event_recipients"
    __table_args__ = (Index("ix_event_recipients_user_event", "user_id", "event_id"),)

    event_id: Mapped[int] = mapped_column(
        EventId, ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


class ChangeCounter(Base):
    """How many committed transactions have changed one kind of data (storage.changes).

    A process that keeps something derived from that data (the routing index) compares the
    counter with the one it built from and rebuilds when another process moved it.
    """

    __tablename__ = "change_counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
