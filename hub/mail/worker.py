"""The email worker every hub process runs: it turns new events into queued email, queues
reminders and digests, and sends what is due.

A message is claimed for a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite takes one
write transaction at a time): no two processes send it. Its outcome is recorded only while
the lease holds. A process that dies between the mail server's answer and that record leaves
the message to be sent again when the lease ends (its Message-ID stays the same); one that
dies before sending loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.mail import feed, jobs, rules
from hub.mail.rules import EmailStatus
from hub.mail.sender import Outcome, send
from hub.runtime import Hub
from storage.models import ConversationParticipant
from storage.models.mail import EmailMessage

logger = logging.getLogger("channelhub.mail")
PER_ROUND = 50
# Kinds whose body carries a single-use link into an account: not kept once sent.
SECRET_LINKS = frozenset({rules.EmailKind.PASSWORD_RESET, rules.EmailKind.INVITATION})
LINK_REMOVED = "(sent; the body held a single-use link and is not kept)"
LEASE_MARGIN = timedelta(seconds=30)


async def run_once(hub: Hub) -> int:
    """Feed, remind, digest, then send what is due; return the messages sent or given up."""
    await feed.feed(hub)
    await jobs.remind_offers(hub)
    await jobs.send_digests(hub)
    return await send_due(hub)


async def run_forever(hub: Hub, stop: asyncio.Event) -> None:
    """Every MAIL_POLL_MS, run_once, until `stop` is set; a failure is logged."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), hub.settings.mail.poll_seconds)
        if stop.is_set():
            return
        try:
            await run_once(hub)
        except Exception:
            logger.exception("the email worker failed; retrying")


async def backlog(session: AsyncSession) -> int:
    """Count the messages queued to be sent (due or not)."""
    queued = select(func.count()).select_from(EmailMessage)
    return await session.scalar(queued.where(EmailMessage.status == EmailStatus.QUEUED)) or 0


async def send_due(hub: Hub) -> int:
    """Send the queued messages that are due, one at a time, each under its lease."""
    token, now = uuid.uuid4().hex, hub.clock.now()
    lease = timedelta(seconds=hub.settings.mail.timeout_seconds) * 2 + LEASE_MARGIN
    async with hub.read() as session:
        if await session.scalar(_due(now).limit(1)) is None:
            return 0
    async with hub.write() as session:
        due = _due(now).order_by(EmailMessage.next_attempt_at, EmailMessage.id).limit(PER_ROUND)
        if session.bind.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        claimed = list(
            await session.scalars(
                update(EmailMessage)
                .where(EmailMessage.id.in_(due.scalar_subquery()))
                .values(lease_token=token, lease_until=now + lease)
                .returning(EmailMessage)
            )
        )
    done = 0
    for message in sorted(claimed, key=lambda item: (item.next_attempt_at, item.id)):
        # The round's lease covers one send: renew it for this message right before sending,
        # and leave the message if its lease lapsed and another process took it meanwhile.
        if await _renew(hub, message, token, lease):
            done += await _send_one(hub, message, token)
    return done


async def _renew(hub: Hub, message: EmailMessage, token: str, lease: timedelta) -> bool:
    async with hub.write() as session:
        renewed = await session.execute(
            update(EmailMessage)
            .where(
                EmailMessage.id == message.id,
                EmailMessage.lease_token == token,
                EmailMessage.status == EmailStatus.QUEUED,
            )
            .values(lease_until=hub.clock.now() + lease)
        )
    return bool(getattr(renewed, "rowcount", 0))


def _due(now: datetime) -> Select[tuple[str]]:
    return select(EmailMessage.id).where(
        EmailMessage.status == EmailStatus.QUEUED,
        EmailMessage.next_attempt_at <= now,
        (EmailMessage.lease_until.is_(None)) | (EmailMessage.lease_until < now),
    )


async def _send_one(hub: Hub, message: EmailMessage, token: str) -> int:
    if await _read_meanwhile(hub, message):
        return await _record(hub, message, token, None)
    outcome = await send(hub.settings.mail, message)
    return await _record(hub, message, token, outcome)


async def _read_meanwhile(hub: Hub, message: EmailMessage) -> bool:
    """Whether what the message tells of was read in the app before it went (a mention)."""
    unless = message.unless
    if not unless or message.user_id is None:
        return False
    async with hub.read() as session:
        read = await session.scalar(
            select(ConversationParticipant.read_seq).where(
                ConversationParticipant.conversation_id == unless["conversationId"],
                ConversationParticipant.user_id == message.user_id,
            )
        )
    return read is not None and read >= int(unless["seq"])


async def _record(hub: Hub, message: EmailMessage, token: str, outcome: Outcome | None) -> int:
    """Note the outcome (None: skipped, read meanwhile) while the lease holds."""
    now = hub.clock.now()
    values: dict[str, object] = {"lease_token": None, "lease_until": None}
    if outcome is None:
        values |= {"status": EmailStatus.SKIPPED, "last_error": "read in the app meanwhile"}
    elif outcome.sent:
        values |= {"status": EmailStatus.SENT, "sent_at": now, "last_error": None}
        values |= {"attempts": message.attempts + 1}
        if message.kind in SECRET_LINKS:  # the link opens an account: kept by the reader only
            values |= {"text_body": LINK_REMOVED, "html_body": f"<p>{LINK_REMOVED}</p>"}
    else:
        attempts = message.attempts + 1
        retry = (
            rules.retry_at(now, attempts=attempts, created_at=message.created_at)
            if outcome.temporary
            else None
        )
        values |= {"attempts": attempts, "last_error": outcome.error}
        values |= {"next_attempt_at": retry} if retry else {"status": EmailStatus.FAILED}
        logger.warning("email %s to %s not sent: %s", message.id, message.to_address, outcome.error)
    async with hub.write() as session:
        await session.execute(
            update(EmailMessage)
            .where(EmailMessage.id == message.id, EmailMessage.lease_token == token)
            .values(**values)
        )
    return 1
