"""GraphQL types of messaging: conversations, messages, receipts and live message events."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime

import strawberry

from hub.events import DomainEvent
from hub.knowledge.rules import render_markdown
from hub.messaging import conversations as conversation_service
from hub.messaging import messages as message_service
from hub.messaging.rules import ContextType, MessageEventType, MessageKind
from schema.arguments import After, First
from schema.attachments import AttachedFile
from schema.context import Info
from schema.enums import described_enum
from schema.events import shared
from schema.identity import IdentityLoaders
from schema.loading import LoaderSet, at_once, loader
from schema.nodes import Node
from schema.relay import Connection, page_request
from storage.models import Asset
from storage.models import Conversation as ConversationModel
from storage.models import ConversationParticipant as ParticipantModel
from storage.models import Message as MessageModel
from storage.models import MessageAttachment as MessageAttachmentModel

described_enum(
    ContextType,
    name="ConversationContextType",
    description="The kind of record a conversation is about.",
    values={
        "LEAD": "A lead.",
        "ORDER": "An order.",
        "DEAL_REGISTRATION": "A deal registration.",
        "BEST_PRACTICE": "A best practice.",
    },
)
described_enum(
    MessageKind,
    name="MessageKind",
    description="Who wrote a message.",
    values={"USER": "Written by a participant.", "SYSTEM": "The hub, e.g. to say who was added."},
)
described_enum(
    MessageEventType,
    name="MessageEventType",
    description="What happened in a conversation.",
    values={
        "MESSAGE_SENT": "A message was sent.",
        "MESSAGE_EDITED": "A message was edited.",
        "MESSAGE_DELETED": "A message was deleted.",
        "READ_RECEIPT": "A participant read up to a message.",
        "PARTICIPANT_ADDED": "People were added.",
        "MENTIONED": "The subscriber was mentioned in a message.",
        "TYPING": "A participant is typing (live only).",
    },
)


@strawberry.type(description="Someone in a conversation, and how far they have read.")
class Participant:
    id: strawberry.ID = strawberry.field(
        description="The participation's id (its conversation's id and the user's), stable for "
        "caches: one person is a participant of each conversation apart."
    )
    user_id: strawberry.ID = strawberry.field(description="The participant's user id.")
    organization_id: strawberry.ID = strawberry.field(description="The participant's organization.")
    added_at: datetime = strawberry.field(description="When they joined (RFC 3339, UTC).")
    read_seq: int = strawberry.field(description="They have read every message up to this seq.")
    read_at: datetime | None = strawberry.field(
        description="When they last marked messages read (RFC 3339, UTC)."
    )

    @classmethod
    def from_model(cls, model: ParticipantModel) -> Participant:
        return cls(
            id=strawberry.ID(f"{model.conversation_id}:{model.user_id}"),
            user_id=strawberry.ID(model.user_id),
            organization_id=strawberry.ID(model.organization_id),
            added_at=model.added_at,
            read_seq=model.read_seq,
            read_at=model.read_at,
        )

    @strawberry.field(description="The participant's name as shown beside their messages.")
    async def name(self, info: Info) -> str:
        return await IdentityLoaders.of(info).user_name_by_id.load(str(self.user_id)) or ""

    @strawberry.field(description="The participant's organization's name.")
    async def organization_name(self, info: Info) -> str:
        names = IdentityLoaders.of(info).organization_name_by_id
        found = await names.load(str(self.organization_id))
        return found or ""


@strawberry.type(description="A file sent with a message: uploaded with it, or an asset.")
class MessageAttachment(AttachedFile):
    pass


@strawberry.type(description="A message; a deleted one stays as a tombstone without body.")
class Message:
    id: strawberry.ID = strawberry.field(description="The message's id.")
    conversation_id: strawberry.ID = strawberry.field(description="The conversation it belongs to.")
    seq: int = strawberry.field(description="1, 2, 3... within the conversation.")
    kind: MessageKind = strawberry.field(description="Whether a person wrote it or the hub did.")
    body: str | None = strawberry.field(description="Markdown; null once deleted.")
    client_message_id: str | None = strawberry.field(
        description="The sender client's own id of it, as sent."
    )
    author_id: strawberry.ID | None = strawberry.field(
        description="The author; null for SYSTEM messages."
    )
    created_at: datetime = strawberry.field(description="When it was sent (RFC 3339, UTC).")
    edited_at: datetime | None = strawberry.field(
        description="When it was last edited (RFC 3339, UTC)."
    )
    deleted_at: datetime | None = strawberry.field(
        description="When it was deleted (RFC 3339, UTC)."
    )

    @classmethod
    def maybe(cls, model: MessageModel | None) -> Message | None:
        return cls.from_model(model) if model else None

    @classmethod
    def from_model(cls, model: MessageModel) -> Message:
        return cls(
            id=strawberry.ID(model.id),
            conversation_id=strawberry.ID(model.conversation_id),
            seq=model.seq,
            kind=MessageKind(model.kind),
            body=model.body,
            client_message_id=model.client_message_id,
            author_id=strawberry.ID(model.author_id) if model.author_id else None,
            created_at=model.created_at,
            edited_at=model.edited_at,
            deleted_at=model.deleted_at,
        )

    @strawberry.field(description="The body as sanitised HTML; null once deleted.")
    def body_html(self) -> str | None:
        return render_markdown(self.body) if self.body is not None else None

    @strawberry.field(description="The author's name; null for SYSTEM messages.")
    async def author_name(self, info: Info) -> str | None:
        if self.author_id is None:
            return None
        return await IdentityLoaders.of(info).user_name_by_id.load(str(self.author_id))

    @strawberry.field(description="Users mentioned with <@userId> in the body.")
    async def mentions(self, info: Info) -> list[strawberry.ID]:
        found = await MessagingLoaders.of(info).mentions_by_message.load(str(self.id))
        return [strawberry.ID(user) for user in found]

    @strawberry.field(description="The files sent with it; none once deleted.")
    async def attachments(self, info: Info) -> list[MessageAttachment]:
        pairs = await MessagingLoaders.of(info).attachments_by_message.load(str(self.id))
        return MessageAttachment.of(pairs, message_service.attachment_url)


@strawberry.type(description="A conversation the caller takes part in.")
class Conversation(Node):
    id: strawberry.ID = strawberry.field(description="The conversation's id.")
    subject: str = strawberry.field(description="What the conversation is about.")
    context_type: ContextType | None = strawberry.field(
        description="The kind of record it is about, if any."
    )
    context_id: strawberry.ID | None = strawberry.field(
        description="The record it is about, if any."
    )
    started_by_id: strawberry.ID | None = strawberry.field(
        description="The user who started it; null when no longer known."
    )
    created_at: datetime = strawberry.field(description="When it was started (RFC 3339, UTC).")
    last_activity_at: datetime = strawberry.field(
        description="When a message was last sent or changed (RFC 3339, UTC)."
    )

    @classmethod
    def from_model(cls, model: ConversationModel) -> Conversation:
        return cls(
            id=strawberry.ID(model.id),
            subject=model.subject,
            context_type=ContextType(model.context_type) if model.context_type else None,
            context_id=strawberry.ID(model.context_id) if model.context_id else None,
            started_by_id=strawberry.ID(model.started_by_id) if model.started_by_id else None,
            created_at=model.created_at,
            last_activity_at=model.last_activity_at,
        )

    @strawberry.field(description="Messages by others the caller has not read.", graphql_type=int)
    def unread_count(self, info: Info) -> int | Awaitable[int]:
        return at_once(MessagingLoaders.of(info).unread_by_conversation, str(self.id), int)

    @strawberry.field(description="Everyone in the conversation, in the order they joined.")
    async def participants(self, info: Info) -> list[Participant]:
        rows = await MessagingLoaders.of(info).participants_by_conversation.load(str(self.id))
        return [Participant.from_model(row) for row in rows]

    @strawberry.field(
        description="The newest message (for conversation lists).", graphql_type=Message | None
    )
    def last_message(self, info: Info) -> Message | Awaitable[Message | None] | None:
        return at_once(
            MessagingLoaders.of(info).last_message_by_conversation, str(self.id), Message.maybe
        )

    @strawberry.field(
        description="Newest first; each next page goes further back. One query per "
        "conversation: use lastMessage in lists."
    )
    async def messages(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Message]:
        hub = info.context.hub
        page = await message_service.list_messages(
            hub,
            principal=info.context.require_principal(),
            conversation_id=str(self.id),
            page=page_request(info, first, after),
        )
        return Connection[Message].of(page, Message.from_model)


@strawberry.input(description="A new conversation.")
class ConversationInput:
    subject: str = strawberry.field(description="What the conversation is about.")
    user_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Users to start it with, besides the caller."
    )
    organization_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Every active user of these organizations joins."
    )
    context_type: ContextType | None = strawberry.field(
        default=None, description="The kind of record it is about."
    )
    context_id: strawberry.ID | None = strawberry.field(
        default=None, description="The record it is about, one the caller may see."
    )
    message: str | None = strawberry.field(default=None, description="A first message.")


@strawberry.input(description="Which conversations to list; the conditions given must all hold.")
class ConversationFilter:
    context_type: ContextType | None = strawberry.field(
        default=None, description="Only conversations about this kind of record."
    )
    context_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only conversations about this record."
    )
    unread_only: bool = strawberry.field(
        default=False, description="True for conversations with unread messages only."
    )


@strawberry.type(description="The vendor's messaging policy.")
class MessagingSettings:
    partner_to_partner: bool = strawberry.field(
        description="Partners may start conversations with any partner, not only their "
        "distributor and sub-resellers."
    )
    edit_window_minutes: int = strawberry.field(
        description="Minutes after sending that a message may be edited."
    )


@strawberry.type(description="A change in a conversation; TYPING is live only (no cursor).")
class MessageEvent:
    cursor: str | None = strawberry.field(
        description="The event's position, to pass as `after`; null for TYPING."
    )
    type: MessageEventType = strawberry.field(description="What happened in the conversation.")
    occurred_at: datetime = strawberry.field(description="When it happened (RFC 3339, UTC).")
    conversation_id: strawberry.ID = strawberry.field(
        description="The conversation the event is in."
    )
    message_id: strawberry.ID | None = strawberry.field(
        description="The message, for MESSAGE_* and MENTIONED events; the last "
        "read, for READ_RECEIPT."
    )
    user_id: strawberry.ID | None = strawberry.field(
        description="Who acted: sender, reader, typist, or who added people."
    )
    seq: int | None = strawberry.field(
        description="The message's seq, for message events and read receipts."
    )
    added_user_ids: list[strawberry.ID] = strawberry.field(
        description="Who was added, for PARTICIPANT_ADDED."
    )
    # Lets every recipient share one fetch of the message (schema.events.shared).
    event: strawberry.Private[DomainEvent]

    @classmethod
    def from_event(cls, event: DomainEvent) -> MessageEvent:
        payload = event.payload
        return cls(
            cursor=None if event.ephemeral else str(event.id),
            type=MessageEventType(event.type),
            occurred_at=event.occurred_at,
            conversation_id=strawberry.ID(payload["conversationId"]),
            message_id=strawberry.ID(payload["messageId"]) if payload.get("messageId") else None,
            user_id=strawberry.ID(payload["userId"]) if payload.get("userId") else None,
            seq=payload.get("seq"),
            added_user_ids=[strawberry.ID(user) for user in payload.get("added", [])],
            event=event,
        )

    @strawberry.field(
        description="The message the event is about: as the event left it when delivered "
        "live, as it is now when replayed."
    )
    async def message(self, info: Info) -> Message | None:
        hub, event = info.context.hub, self.event
        # Alike for everyone the event reaches: loaded once for all of them.
        found = await shared(event, None, "message", lambda: message_service.of_event(hub, event))
        return Message.from_model(found) if found else None


class MessagingLoaders(LoaderSet):
    """A conversation's participants, unread count and last message; a message's mentions
    and files."""

    participants_by_conversation = loader[str, list[ParticipantModel]](
        lambda hub, principal, ids: conversation_service.participants(
            hub, principal=principal, conversation_ids=ids
        )
    )
    unread_by_conversation = loader[str, int](
        lambda hub, principal, ids: conversation_service.unread_counts(
            hub, principal=principal, conversation_ids=ids
        )
    )
    last_message_by_conversation = loader[str, MessageModel | None](
        lambda hub, principal, ids: message_service.last_by_conversation(
            hub, principal=principal, conversation_ids=ids
        )
    )
    mentions_by_message = loader[str, list[str]](
        lambda hub, principal, ids: message_service.mentioned_users(hub, ids)
    )
    attachments_by_message = loader[str, list[tuple[MessageAttachmentModel, Asset | None]]](
        lambda hub, principal, ids: message_service.attachments_by_message(
            hub, principal=principal, message_ids=ids
        )
    )
