"""Messages: idempotent sends with attachments and mentions, edits, tombstones, receipts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub import attachments, events
from hub import files as filestore
from hub.db import grouped_by
from hub.errors import BadInput, Forbidden, NotFound
from hub.messaging import conversations, rules
from hub.messaging.conversations import TOPIC
from hub.messaging.rules import MAX_ATTACHMENTS, MessageEventType, MessageKind
from hub.pagination import Page, PageRequest, keyset_page
from hub.roles import Principal
from hub.runtime import Hub
from storage import statements
from storage.models import (
    Asset,
    Conversation,
    ConversationParticipant,
    Message,
    MessageAttachment,
    MessageMention,
)
from storage.models.base import new_id, table_of

FILE_PREFIX = MessageAttachment.file_prefix
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
        async with hub.read() as session:
            await conversations.load(session, principal, conversation_id)
            earlier = await _sent_before(session, conversation_id, principal.user_id, client_id)
            if earlier is not None:
                return earlier
    stored: list[filestore.StoredFile] = []
    try:
        for index, (file_name, chunks) in enumerate(files):
            stored.append(
                await filestore.store(
                    hub, file_name, chunks, prefix=FILE_PREFIX, field=f"attachments[{index}]"
                )
            )
        message, duplicate = await _record(
            hub, principal, conversation_id, text, client_id, wanted_assets, stored
        )
    except BaseException:
        await filestore.forget(hub, [one.key for one in stored])
        raise
    if duplicate:
        await filestore.forget(hub, [one.key for one in stored])
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
            conversation.id,
            message,
            principal,
            everyone,
            now,
            MessageEventType.MESSAGE_EDITED,
        )
        await _mention(
            session,
            conversation.id,
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
            conversation.id,
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
    async with hub.read() as session:
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
    async with hub.read() as session:
        await conversations.load(session, principal, conversation_id)
        return await keyset_page(
            session,
            select(Message).where(Message.conversation_id == conversation_id),
            page,
            key=(Message.seq,),
            descending=True,
        )


async def of_event(hub: Hub, event: events.DomainEvent) -> Message | None:
    """The message an event is about: as the event left it when delivered live, as it is
    now when replayed.

    For events the bus delivered, which reach only their recipients: the conversation's
    participants when it happened, who may read the message. A live event carries the
    message (no database read on the delivery path); a replayed one is read here.
    """
    message_id = event.payload.get("messageId")
    if not isinstance(message_id, str) or not event.recipients:
        return None
    if event.live_payload is not None and event.live_payload.get("id") == message_id:
        return _from_live(event.live_payload)
    return await _message(hub, message_id)


def _live(message: Message) -> dict[str, Any]:
    """A message as JSON, to travel with its event (DomainEvent.live_payload)."""
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in _columns(message).items()
    }


def _from_live(data: dict[str, Any]) -> Message:
    return Message(
        **{
            key: datetime.fromisoformat(value) if key in _TIMES and value is not None else value
            for key, value in data.items()
            if key in _MESSAGES.columns
        }
    )


async def _message(hub: Hub, message_id: str) -> Message | None:
    async with hub.read() as session:
        row = (await session.execute(_MESSAGE_BY_ID, {"id": message_id})).first()
    return Message(**row._mapping) if row is not None else None


async def last_by_conversation(
    hub: Hub, *, principal: Principal, conversation_ids: Sequence[str]
) -> list[Message | None]:
    """The newest message of each conversation the caller takes part in."""
    async with hub.read() as session:
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
    filestore.check_expiry(expires_in)
    async with hub.read() as session:
        attachment = await session.get(MessageAttachment, attachment_id)
        message = await session.get(Message, attachment.message_id) if attachment else None
        if attachment is None or message is None:
            raise NotFound("no such attachment", field="id")
        await conversations.load(session, principal, message.conversation_id)
    return await attachments.download_url(hub, attachment, expires_in=expires_in)


async def mentioned_users(hub: Hub, message_ids: Sequence[str]) -> list[list[str]]:
    async with hub.read() as session:
        rows = (
            await session.execute(
                select(MessageMention.message_id, MessageMention.user_id).where(
                    MessageMention.message_id.in_(message_ids)
                )
            )
        ).all()
    return [[row[1] for row in group] for group in grouped_by(rows, message_ids, lambda r: r[0])]


# Helpers


class _Duplicate(Exception):
    """A retried send: rolls back its transaction; the earlier message is the answer."""


async def _record(
    hub: Hub,
    principal: Principal,
    conversation_id: str,
    text: str,
    client_id: str | None,
    asset_ids: list[str],
    stored: list[filestore.StoredFile],
) -> tuple[Message, bool]:
    """Number and store the message under the conversation's row lock; (message, duplicate).

    The hot path of messaging, so a few plain statements: the participants (the access
    check), the conversation's next seq (which takes its row lock), the message (whose
    unique clientMessageId turns a retry into a conflict), the sender's read mark, events.
    """
    now = hub.clock.now()
    if hub.writer.dialect == "postgresql" and not (asset_ids or stored or rules.mentions(text)):
        return await _record_at_once(hub, principal, conversation_id, text, client_id, now)
    try:
        async with hub.write() as session:
            everyone = await conversations.participant_ids(session, conversation_id)
            if principal.user_id not in everyone:
                raise NotFound("no such conversation", field="conversationId")
            await attachments.usable_assets(session, principal, asset_ids, field="assetIds")
            message = _new_message(principal, conversation_id, text, client_id, now)
            if not await _store(session, message):
                raise _Duplicate
            attachments.add(session, ATTACHMENTS, message.id, stored, asset_ids)
            mentioned = [user for user in rules.mentions(text) if user in everyone]
            if mentioned:
                rows = [{"message_id": message.id, "user_id": user} for user in mentioned]
                await session.execute(_INSERT_MENTION, rows)
            await _notify(
                session,
                conversation_id,
                message,
                principal,
                everyone,
                now,
                MessageEventType.MESSAGE_SENT,
            )
            await _mention(session, conversation_id, message, principal, mentioned, now)
    except _Duplicate:
        async with hub.read() as session:
            earlier = await _sent_before(session, conversation_id, principal.user_id, client_id)
        assert earlier is not None, "the conflict was with this sender's clientMessageId"
        return earlier, True
    return message, False


async def _record_at_once(
    hub: Hub,
    principal: Principal,
    conversation_id: str,
    text: str,
    client_id: str | None,
    now: datetime,
) -> tuple[Message, bool]:
    """A plain message on PostgreSQL: number, store, mark read and log its event in one
    self-committing statement, so the conversation's row lock lasts no round trip.

    A retry that comes after its first send numbers nothing; one that races it fails on
    the unique clientMessageId, and the whole statement with it: a retry never leaves a
    gap in the conversation's numbers.
    """
    async with hub.read() as session:
        everyone = await conversations.participant_ids(session, conversation_id)
    if principal.user_id not in everyone:
        raise NotFound("no such conversation", field="conversationId")
    message = _new_message(principal, conversation_id, text, client_id, now)
    event = {
        "lock": statements.EVENT_LOCK,
        "topic": TOPIC,
        "type": MessageEventType.MESSAGE_SENT.value,
        "subject_id": conversation_id,
        "occurred_at": now,
        "audience": [],
        "recipients": sorted(everyone),
    }
    try:
        async with hub.writer.statement() as connection:
            row = (
                await connection.execute(statements.SEND_MESSAGE_PG, {**_columns(message), **event})
            ).first()
    except IntegrityError:
        row = None
    if row is None:
        async with hub.read() as session:
            earlier = await _sent_before(session, conversation_id, principal.user_id, client_id)
        if earlier is None:
            raise NotFound("no such conversation", field="conversationId")
        return earlier, True
    message.seq, event_id = row
    payload = {
        "conversationId": conversation_id,
        "messageId": message.id,
        "userId": principal.user_id,
        "seq": message.seq,
    }
    await hub.events.publish(
        [
            events.DomainEvent(
                event_id,
                TOPIC,
                MessageEventType.MESSAGE_SENT,
                conversation_id,
                payload,
                now,
                frozenset(),
                frozenset(everyone),
                live_payload=_live(message),
            )
        ]
    )
    return message, False


def _new_message(
    principal: Principal, conversation_id: str, text: str, client_id: str | None, now: datetime
) -> Message:
    """A user's message, numbered when it is stored."""
    return Message(
        id=new_id(),
        conversation_id=conversation_id,
        seq=0,
        kind=MessageKind.USER,
        author_id=principal.user_id,
        organization_id=principal.organization_id,
        client_message_id=client_id,
        body=text,
        data={},
        created_at=now,
    )


async def _store(session: AsyncSession, message: Message) -> bool:
    """Number and insert a message, marking it read for its author; False for a retry.

    Numbering takes the conversation's row lock until commit, so on PostgreSQL all three
    steps are one statement: the fewer round trips under the lock, the more sends a busy
    conversation takes per second.
    """
    if session.bind.dialect.name == "postgresql":
        seq = await session.scalar(statements.STORE_MESSAGE_PG, _columns(message))
    else:
        keys = {"conversation": message.conversation_id, "now": message.created_at}
        seq = await session.scalar(_NEXT_SEQ, keys)
        message.seq = seq or 0
        if await session.scalar(statements.INSERT_MESSAGE_SQLITE, _columns(message)) is None:
            return False
        author = {"conversation": message.conversation_id, "user": message.author_id}
        await session.execute(_READ_OWN, {**author, "seq": seq, "now": message.created_at})
    if seq is None:
        return False
    message.seq = seq
    return True


def _columns(message: Message) -> dict[str, object]:
    return {column.key: getattr(message, column.key) for column in _MESSAGES.columns}


# The send path's statements, built once (plain table statements, no ORM bookkeeping).
_MESSAGES = table_of(Message)
_CONVERSATIONS = table_of(Conversation)
_PARTICIPANTS_TABLE = table_of(ConversationParticipant)
_NEXT_SEQ = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("conversation"))
    .values(last_seq=_CONVERSATIONS.c.last_seq + 1, last_activity_at=bindparam("now"))
    .returning(_CONVERSATIONS.c.last_seq)
)
_READ_OWN = (
    update(_PARTICIPANTS_TABLE)
    .where(
        _PARTICIPANTS_TABLE.c.conversation_id == bindparam("conversation"),
        _PARTICIPANTS_TABLE.c.user_id == bindparam("user"),
    )
    .values(read_seq=bindparam("seq"), read_at=bindparam("now"))
)
_INSERT_MENTION = insert(table_of(MessageMention))
_MESSAGE_BY_ID = select(_MESSAGES).where(_MESSAGES.c.id == bindparam("id"))
_TIMES = frozenset({"created_at", "edited_at", "deleted_at"})


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


async def _notify(
    session: AsyncSession,
    conversation_id: str,
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
        subject_id=conversation_id,
        audience=(),
        recipients=everyone,
        payload={
            "conversationId": conversation_id,
            "messageId": message.id,
            "userId": principal.user_id,
            "seq": message.seq,
        },
        now=now,
        live_payload=_live(message),
    )


async def _mention(
    session: AsyncSession,
    conversation_id: str,
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
            subject_id=conversation_id,
            audience=(),
            recipients=[user],
            payload={
                "conversationId": conversation_id,
                "messageId": message.id,
                "userId": principal.user_id,
                "seq": message.seq,
            },
            now=now,
            live_payload=_live(message),
        )
