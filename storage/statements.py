"""Hot-path statements, built once: plain table statements and, where one round trip
matters, PostgreSQL text. They sit beside `table_of`; the hub decides when they run."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, String, bindparam, insert, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import BindParameter

from storage.models import Event, EventAudience, EventRecipient, Message
from storage.models.base import table_of

# Held from writing events to commit, so event ids commit in id order on PostgreSQL.
EVENT_LOCK = 7_214_001

# The event log: every write transaction runs these (no ORM bookkeeping).
INSERT_EVENT = insert(table_of(Event)).returning(table_of(Event).c.id)
INSERT_AUDIENCE = insert(table_of(EventAudience))
INSERT_RECIPIENT = insert(table_of(EventRecipient))


# PostgreSQL: take the event lock, then write the event, its audience and its recipients.
def appended_after(source: str, payload: str = ":payload") -> str:
    """WITH-clauses (PostgreSQL) that append one event for each row of the CTE `source`.

    The event log's advisory lock is taken after `source` produced its row, so after every
    lock `source` took (as write_pending takes it last). Binds :lock, :topic, :type,
    :subject_id, :occurred_at, :audience and :recipients; `payload` is an SQL expression
    that may use `ordered.<column of source>`. The event's id is `event.id`.
    """
    return f"""
    ordered AS (SELECT pg_advisory_xact_lock(:lock) AS locked, {source}.* FROM {source}),
    event AS (
        INSERT INTO events (topic, type, subject_id, payload, occurred_at)
        SELECT :topic, :type, :subject_id, {payload}, :occurred_at FROM ordered
        RETURNING id
    ),
    audience AS (
        INSERT INTO event_audiences (event_id, organization_id)
        SELECT event.id, organization FROM event, unnest(:audience) AS organization
    ),
    recipients AS (
        INSERT INTO event_recipients (event_id, user_id)
        SELECT event.id, person FROM event, unnest(:recipients) AS person
    )"""


def event_parameters() -> list[BindParameter[Any]]:
    """The typed parameters of appended_after (all but the payload)."""
    return [
        bindparam("lock", type_=BigInteger()),
        bindparam("topic", type_=String()),
        bindparam("type", type_=String()),
        bindparam("subject_id", type_=String()),
        bindparam("occurred_at", type_=table_of(Event).c.occurred_at.type),
        bindparam("audience", type_=ARRAY(String())),
        bindparam("recipients", type_=ARRAY(String())),
    ]


WRITE_EVENT_PG = text(
    f"WITH due AS (SELECT 1 AS one), {appended_after('due')} SELECT id FROM event"
).bindparams(*event_parameters(), bindparam("payload", type_=table_of(Event).c.payload.type))


# Messaging's send path: number the message on its conversation, store it, mark it read by
# its author, in one statement.
_MESSAGES = table_of(Message)
# SQLite: a retried send (same sender and clientMessageId) conflicts and inserts nothing.
INSERT_MESSAGE_SQLITE = sqlite.insert(_MESSAGES).on_conflict_do_nothing().returning(_MESSAGES.c.id)
_MESSAGE_COLUMNS = [
    bindparam(column.key, type_=column.type) for column in _MESSAGES.columns if column.key != "seq"
]


def _numbered_message(guard: str = "", on_conflict: str = "") -> str:
    """WITH-clauses that number a message on its conversation (when `guard` holds), store it
    (`on_conflict` says what a clash does) and mark it read by its author."""
    return f"""
    WITH next AS (
        UPDATE conversations SET last_seq = last_seq + 1, last_activity_at = :created_at
        WHERE id = :conversation_id {guard}
        RETURNING last_seq
    ),
    message AS (
        INSERT INTO messages (id, conversation_id, seq, kind, author_id, organization_id,
                              client_message_id, body, data, created_at, edited_at, deleted_at)
        SELECT :id, :conversation_id, next.last_seq, :kind, :author_id, :organization_id,
               :client_message_id, :body, :data, :created_at, :edited_at, :deleted_at
        FROM next
        {on_conflict}
        RETURNING seq
    ),
    own_read AS (
        UPDATE conversation_participants SET read_seq = message.seq, read_at = :created_at
        FROM message
        WHERE conversation_id = :conversation_id AND user_id = :author_id
    )"""


STORE_MESSAGE_PG = text(
    f"{_numbered_message(on_conflict='ON CONFLICT DO NOTHING')} SELECT seq FROM message"
).bindparams(*_MESSAGE_COLUMNS)
# A plain send on PostgreSQL: like STORE_MESSAGE_PG, but numbers nothing for a retry of an
# earlier send, and appends the MESSAGE_SENT event (the payload messaging's _notify writes)
# in the same statement.
_NOT_SENT_BEFORE = """AND NOT EXISTS (
            SELECT 1 FROM messages
            WHERE conversation_id = :conversation_id AND author_id = :author_id
              AND client_message_id = :client_message_id
        )"""
_MESSAGE_SENT = (
    "json_build_object('conversationId', CAST(:conversation_id AS text), "
    "'messageId', CAST(:id AS text), 'userId', CAST(:author_id AS text), 'seq', ordered.seq)"
)
SEND_MESSAGE_PG = text(
    f"{_numbered_message(guard=_NOT_SENT_BEFORE)},"
    f"{appended_after('message', _MESSAGE_SENT)}"
    " SELECT message.seq, event.id FROM message, event"
).bindparams(*_MESSAGE_COLUMNS, *event_parameters())
