"""Messages: idempotent sends with attachments and mentions, edits, tombstones, receipts."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import attachments, events
from hub.assets import service as asset_service
from hub.db import grouped_by
from hub.errors import BadInput, Forbidden, NotFound
from hub.messaging import conversations, rules
from hub.messaging.conversations import TOPIC
from hub.messaging.rules import MAX_ATTACHMENTS, MessageEventType, MessageKind
from hub.pagination import Page, PageRequest, keyset_page
from hub.roles import Principal
from hub.runtime import Hub
from storage.models import (
    Asset,
    Conversation,
    ConversationParticipant,
    Message,
    MessageAttachment,
    MessageMention,
)

FILE_PREFIX = "messages"
ATTACHMENTS = attachments.Table(MessageAttachment, "message_id")


async def send(
    hub: Hub,
    *,
    principal: Principal,
    conversation_id: str,
    body: str,
    files: Sequence[tuple[str, AsyncIterator[bytes]]] = (),
    asset_ids: Sequence[str] = (),
    client_message_id: str | None = None,
) -> Message:
    """Post a message; the same clientMessageId from the same sender returns the first one."""
    text = rules.body(body)
    client_id = rules.client_message_id(client_message_id)
    wanted_assets = list(dict.fromkeys(asset_ids))
    if len(files) + len(wanted_assets) > MAX_ATTACHMENTS:
        raise BadInput(f"at most {MAX_ATTACHMENTS} attachments", field="attachments")
    if files:
        # Before any file is stored: a retry must not store its files again.
        async with hub.db() as session:
            await conversations.load(session, principal, conversation_id)
            earlier = await _sent_before(session, conversation_id, principal.user_id, client_id)
            if earlier is not None:
                return earlier
    stored: list[asset_service.Stored] = []
    try:
        for index, (file_name, chunks) in enumerate(files):
            stored.append(
                await asset_service.store_file(
                    hub, file_name, chunks, field=f"attachments[{index}]", prefix=FILE_PREFIX
                )
            )
        message, duplicate = await _record(
            hub, principal, conversation_id, text, client_id, wanted_assets, stored
        )
    except BaseException:
        await _forget(hub, stored)
        raise
    if duplicate:
        await _forget(hub, stored)
    return message


async def edit(hub: Hub, *, principal: Principal, message_id: str, body: str) -> Message:
    """The author changes a message within the edit window; new mentions are notified."""
    text = rules.body(body)
    now = hub.clock.now()
    async with hub.write() as session:
        message, conversation = await _own(session, principal, message_id)
        window = (await conversations.policy(session)).edit_window_minutes
        if now - message.created_at > timedelta(minutes=window):
            raise BadInput(
                f"messages can be edited for {window} minutes after sending", field="messageId"
            )
        everyone = await conversations.participant_ids(session, conversation.id)
        before = set(rules.mentions(message.body or ""))
        message.body = text
        message.edited_at = now
        mentioned = [user for user in rules.mentions(text) if user in everyone]
        await session.execute(delete(MessageMention).where(MessageMention.message_id == message.id))
        session.add_all(MessageMention(message_id=message.id, user_id=user) for user in mentioned)
        await _notify(
            session,
            conversation,
            message,
            principal,
            everyone,
            now,
            MessageEventType.MESSAGE_EDITED,
        )
        await _mention(
            session,
            conversation,
            message,
            principal,
            [u for u in mentioned if u not in before],
            now,
        )
    return message


async def delete_message(hub: Hub, *, principal: Principal, message_id: str) -> Message:
    """The author deletes a message: a tombstone stays in its place, without body or files."""
    now = hub.clock.now()
    async with hub.write() as session:
        message, conversation = await _own(session, principal, message_id)
        message.body = None
        message.deleted_at = now
        await session.execute(
            delete(MessageAttachment).where(MessageAttachment.message_id == message.id)
        )
        await session.execute(delete(MessageMention).where(MessageMention.message_id == message.id))
        everyone = await conversations.participant_ids(session, conversation.id)
        await _notify(
            session,
            conversation,
            message,
            principal,
            everyone,
            now,
            MessageEventType.MESSAGE_DELETED,
        )
    return message


async def mark_read(
    hub: Hub, *, principal: Principal, conversation_id: str, up_to_message_id: str
) -> ConversationParticipant:
    """Read receipts: everything up to a message is read; reading backwards changes nothing."""
    now = hub.clock.now()
    async with hub.write() as session:
        conversation = await conversations.load(session, principal, conversation_id)
        seq = await session.scalar(
            select(Message.seq).where(
                Message.id == up_to_message_id, Message.conversation_id == conversation.id
            )
        )
        if seq is None:
            raise NotFound("no such message in this conversation", field="upToMessageId")
        me = await session.get(
            ConversationParticipant, (conversation.id, principal.user_id), with_for_update=True
        )
        assert me is not None, "load() checked the caller takes part"
        if seq <= me.read_seq:
            return me
        me.read_seq = seq
        me.read_at = now
        everyone = await conversations.participant_ids(session, conversation.id)
        await events.append(
            session,
            topic=TOPIC,
            type=MessageEventType.READ_RECEIPT,
            subject_id=conversation.id,
            audience=(),
            recipients=everyone,
            payload={
                "conversationId": conversation.id,
                "userId": principal.user_id,
                "messageId": up_to_message_id,
                "seq": seq,
            },
            now=now,
        )
    return me


async def typing(hub: Hub, *, principal: Principal, conversation_id: str) -> None:
    """Tell the other participants the caller is typing: fanned out, never stored."""
    async with hub.db() as session:
        conversation = await conversations.load(session, principal, conversation_id)
        everyone = await conversations.participant_ids(session, conversation.id)
    await hub.events.publish_ephemeral(
        events.DomainEvent(
            id=0,
            topic=TOPIC,
            type=MessageEventType.TYPING,
            subject_id=conversation.id,
            payload={"conversationId": conversation.id, "userId": principal.user_id},
            occurred_at=hub.clock.now(),
            audience=frozenset(),
            recipients=frozenset(user for user in everyone if user != principal.user_id),
            ephemeral=True,
        )
    )


async def list_messages(
    hub: Hub, *, principal: Principal, conversation_id: str, page: PageRequest
) -> Page[Message]:
    """A conversation's messages, newest first: each next page goes further back."""
    async with hub.db() as session:
        await conversations.load(session, principal, conversation_id)
        return await keyset_page(
            session,
            select(Message).where(Message.conversation_id == conversation_id),
            page,
            key=(Message.seq,),
            descending=True,
        )


async def visible_by_ids(
    hub: Hub, *, principal: Principal, ids: Sequence[str]
) -> list[Message | None]:
    """Messages of conversations the caller takes part in."""
    async with hub.db() as session:
        rows = (
            await session.scalars(
                select(Message)
                .join(
                    ConversationParticipant,
                    and_(
                        ConversationParticipant.conversation_id == Message.conversation_id,
                        ConversationParticipant.user_id == principal.user_id,
                    ),
                )
                .where(Message.id.in_(ids))
            )
        ).all()
    found = {row.id: row for row in rows}
    return [found.get(key) for key in ids]


async def last_by_conversation(
    hub: Hub, *, principal: Principal, conversation_ids: Sequence[str]
) -> list[Message | None]:
    """The newest message of each conversation the caller takes part in."""
    async with hub.db() as session:
        rows = (
            await session.scalars(
                select(Message)
                .join(
                    Conversation,
                    and_(
                        Conversation.id == Message.conversation_id,
                        Conversation.last_seq == Message.seq,
                    ),
                )
                .join(
                    ConversationParticipant,
                    and_(
                        ConversationParticipant.conversation_id == Message.conversation_id,
                        ConversationParticipant.user_id == principal.user_id,
                    ),
                )
                .where(Message.conversation_id.in_(conversation_ids))
            )
        ).all()
    found = {row.conversation_id: row for row in rows}
    return [found.get(key) for key in conversation_ids]


async def attachments_by_message(
    hub: Hub, *, principal: Principal, message_ids: Sequence[str]
) -> list[list[tuple[MessageAttachment, Asset | None]]]:
    """Files of messages; an attached asset the reader may not see is left out."""
    return await attachments.by_owners(
        hub, principal=principal, table=ATTACHMENTS, owner_ids=message_ids
    )


async def attachment_url(
    hub: Hub, *, principal: Principal, attachment_id: str, expires_in: int
) -> str:
    """A short-lived URL of an uploaded attachment, for the conversation's participants."""
    attachments.check_expiry(expires_in)
    async with hub.db() as session:
        attachment = await session.get(MessageAttachment, attachment_id)
        message = await session.get(Message, attachment.message_id) if attachment else None
        if attachment is None or message is None:
            raise NotFound("no such attachment", field="id")
        await conversations.load(session, principal, message.conversation_id)
    return await attachments.download_url(hub, attachment, expires_in=expires_in)


async def mentioned_users(hub: Hub, message_ids: Sequence[str]) -> list[list[str]]:
    async with hub.db() as session:
        rows = (
            await session.execute(
                select(MessageMention.message_id, MessageMention.user_id).where(
                    MessageMention.message_id.in_(message_ids)
                )
            )
        ).all()
    return [[row[1] for row in group] for group in grouped_by(rows, message_ids, lambda r: r[0])]


# Helpers


async def _record(
    hub: Hub,
    principal: Principal,
    conversation_id: str,
    text: str,
    client_id: str | None,
    asset_ids: list[str],
    stored: list[asset_service.Stored],
) -> tuple[Message, bool]:
    """Number and store the message under the conversation's row lock; (message, duplicate)."""
    now = hub.clock.now()
    async with hub.write() as session:
        conversation = await conversations.load(
            session, principal, conversation_id, for_update=True
        )
        earlier = await _sent_before(session, conversation.id, principal.user_id, client_id)
        if earlier is not None:
            return earlier, True
        await attachments.usable_assets(session, principal, asset_ids, field="assetIds")
        members = await _members(session, conversation.id)
        everyone = [member.user_id for member in members]
        conversation.last_seq += 1
        conversation.last_activity_at = now
        message = Message(
            conversation_id=conversation.id,
            seq=conversation.last_seq,
            kind=MessageKind.USER,
            author_id=principal.user_id,
            organization_id=principal.organization_id,
            client_message_id=client_id,
            body=text,
            data={},
            created_at=now,
        )
        session.add(message)
        await session.flush()
        attachments.add(session, ATTACHMENTS, message.id, stored, asset_ids)
        mentioned = [user for user in rules.mentions(text) if user in everyone]
        session.add_all(MessageMention(message_id=message.id, user_id=user) for user in mentioned)
        for member in members:
            if member.user_id == principal.user_id:
                member.read_seq, member.read_at = message.seq, now
        await _notify(
            session, conversation, message, principal, everyone, now, MessageEventType.MESSAGE_SENT
        )
        await _mention(session, conversation, message, principal, mentioned, now)
    return message, False


async def _members(session: AsyncSession, conversation_id: str) -> list[ConversationParticipant]:
    return list(
        (
            await session.scalars(
                select(ConversationParticipant).where(
                    ConversationParticipant.conversation_id == conversation_id
                )
            )
        ).all()
    )


async def _sent_before(
    session: AsyncSession, conversation_id: str, author_id: str, client_id: str | None
) -> Message | None:
    if client_id is None:
        return None
    found: Message | None = (
        await session.scalars(
            select(Message).where(
                Message.conversation_id == conversation_id,
                Message.author_id == author_id,
                Message.client_message_id == client_id,
            )
        )
    ).one_or_none()
    return found


async def _own(
    session: AsyncSession, principal: Principal, message_id: str
) -> tuple[Message, Conversation]:
    message = await session.get(Message, message_id, with_for_update=True)
    if message is None:
        raise NotFound("no such message", field="messageId")
    try:
        conversation = await conversations.load(session, principal, message.conversation_id)
    except NotFound:
        raise NotFound("no such message", field="messageId") from None
    if message.author_id != principal.user_id or message.kind != MessageKind.USER:
        raise Forbidden("only the author may change a message")
    if message.deleted_at is not None:
        raise BadInput("the message was deleted", field="messageId")
    return message, conversation


async def _forget(hub: Hub, stored: Sequence[asset_service.Stored]) -> None:
    """Delete files stored for a message that was not recorded (failed, or a retry)."""
    for key, *_ in stored:
        with contextlib.suppress(Exception):
            await hub.objects.delete(key)


async def _notify(
    session: AsyncSession,
    conversation: Conversation,
    message: Message,
    principal: Principal,
    everyone: list[str],
    now: datetime,
    kind: MessageEventType,
) -> None:
    await events.append(
        session,
        topic=TOPIC,
        type=kind,
        subject_id=conversation.id,
        audience=(),
        recipients=everyone,
        payload={
            "conversationId": conversation.id,
            "messageId": message.id,
            "userId": principal.user_id,
            "seq": message.seq,
        },
        now=now,
    )


async def _mention(
    session: AsyncSession,
    conversation: Conversation,
    message: Message,
    principal: Principal,
    mentioned: list[str],
    now: datetime,
) -> None:
    for user in mentioned:
        if user == principal.user_id:
            continue
        await events.append(
            session,
            topic=TOPIC,
            type=MessageEventType.MENTIONED,
            subject_id=conversation.id,
            audience=(),
            recipients=[user],
            payload={
                "conversationId": conversation.id,
                "messageId": message.id,
                "userId": principal.user_id,
                "seq": message.seq,
            },
            now=now,
        )
