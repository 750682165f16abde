"""Messaging rules: who may talk to whom, inputs, mentions, and the event types."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from hub import validation
from hub.errors import BadInput

SUBJECT_MAX = 200
BODY_MAX = 20_000
CLIENT_ID_MAX = 64
MAX_PARTICIPANTS = 200
MAX_ATTACHMENTS = 10
# A mention in a body: <@USER_ID>, as chat clients insert it from a picker.
MENTION = re.compile(r"<@([0-9a-f]{32})>")


class ContextType(StrEnum):
    LEAD = "LEAD"
    ORDER = "ORDER"
    DEAL_REGISTRATION = "DEAL_REGISTRATION"
    BEST_PRACTICE = "BEST_PRACTICE"


class MessageKind(StrEnum):
    USER = "USER"
    SYSTEM = "SYSTEM"


class MessageEventType(StrEnum):
    MESSAGE_SENT = "MESSAGE_SENT"
    MESSAGE_EDITED = "MESSAGE_EDITED"
    MESSAGE_DELETED = "MESSAGE_DELETED"
    READ_RECEIPT = "READ_RECEIPT"
    PARTICIPANT_ADDED = "PARTICIPANT_ADDED"
    MENTIONED = "MENTIONED"
    TYPING = "TYPING"


@dataclass(frozen=True)
class ConversationInput:
    subject: str
    user_ids: Sequence[str] = ()
    organization_ids: Sequence[str] = ()
    context_type: ContextType | None = None
    context_id: str | None = None


@dataclass(frozen=True)
class ConversationFilter:
    context_type: ContextType | None = None
    context_id: str | None = None
    unread_only: bool = False


@dataclass(frozen=True)
class Party:
    """An organization as the messaging policy sees it."""

    id: str
    is_vendor: bool
    parent_id: str | None = None


def may_talk(me: Party, other: Party, *, partner_to_partner: bool) -> bool:
    """The messaging policy: the vendor talks to anyone; a partner to the vendor, its own
    colleagues, its distributor and its sub-resellers, and other partners only when allowed."""
    if me.is_vendor or other.is_vendor or me.id == other.id:
        return True
    if me.parent_id == other.id or other.parent_id == me.id:
        return True
    return partner_to_partner


def subject(value: str) -> str:
    return validation.text(value, field="input.subject", max_length=SUBJECT_MAX)


def body(value: str, *, field: str = "body") -> str:
    return validation.text(value, field=field, max_length=BODY_MAX)


def client_message_id(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = value.strip()
    if not cleaned or len(cleaned) > CLIENT_ID_MAX or not cleaned.isprintable():
        raise BadInput(
            f"clientMessageId must be 1 to {CLIENT_ID_MAX} printable characters",
            field="clientMessageId",
        )
    return cleaned


def mentions(text: str) -> list[str]:
    """User ids mentioned in a body, in order, once each."""
    return list(dict.fromkeys(MENTION.findall(text)))
