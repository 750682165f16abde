"""Messaging: conversations between organizations' users, messages, receipts, attachments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import AttachedFile, Base, IdMixin


class MessagingSettings(Base):
    """The vendor's messaging policy (a single row)."""

    __tablename__ = "messaging_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_to_partner: Mapped[bool] = mapped_column(Boolean, default=False)
    edit_window_minutes: Mapped[int] = mapped_column(Integer, default=15)
    updated_at: Mapped[datetime] = mapped_column()


class Conversation(IdMixin, Base):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_context", "context_type", "context_id"),)

    subject: Mapped[str] = mapped_column(String(200))
    context_type: Mapped[str | None] = mapped_column(String(24))
    context_id: Mapped[str | None] = mapped_column(String(32))
    started_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column()
    last_activity_at: Mapped[datetime] = mapped_column()
    # The sequence number of the newest message; messages are numbered 1, 2, 3... per conversation.
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class ConversationParticipant(Base):
    """A user taking part in a conversation, with how far they have read."""

    __tablename__ = "conversation_participants"
    __table_args__ = (Index("ix_conversation_participants_user", "user_id", "conversation_id"),)

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    added_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column()
    read_seq: Mapped[int] = mapped_column(Integer, default=0)
    read_at: Mapped[datetime | None] = mapped_column()


class Message(IdMixin, Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq"),
        UniqueConstraint("conversation_id", "author_id", "client_message_id"),
    )

    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    client_message_id: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column()
    edited_at: Mapped[datetime | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()


class MessageAttachment(IdMixin, AttachedFile, Base):
    """A file sent with a message: uploaded with it, or an asset the sender may see."""

    file_prefix = "messages"
    __tablename__ = "message_attachments"

    message_id: Mapped[str] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    asset_id: Mapped[str | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))


class MessageMention(Base):
    __tablename__ = "message_mentions"

    message_id: Mapped[str] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
