"""Queueing email in the caller's transaction: rendered now, sent later by the worker.

What a message is about names it (`dedupe_key`): queueing the same thing again, from any
process, inserts nothing. A user's preference decides per kind: IMMEDIATE queues the message,
DIGEST keeps a line for the daily digest, OFF drops it; invitations and password resets
always go.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import upsert
from hub.mail.render import Rendered, language_of, render
from hub.mail.rules import ALWAYS, EmailKind, EmailMode, EmailStatus
from hub.settings import Settings
from storage.models import Organization, User
from storage.models.base import new_id
from storage.models.mail import EmailDigestItem, EmailMessage, EmailPreference

KEY_MAX = 120  # the dedupe_key column
FOOTER = {"en": "Email settings", "de": "E-Mail-Einstellungen"}


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    language: str
    user_id: str | None = None
    organization_id: str | None = None


async def recipients(session: AsyncSession, user_ids: Sequence[str]) -> list[Recipient]:
    """The active users among the ids, with their organization's language."""
    if not user_ids:
        return []
    rows = await session.execute(
        select(User.id, User.email, User.name, User.organization_id, Organization.language)
        .join(Organization, Organization.id == User.organization_id)
        .where(User.id.in_(sorted(set(user_ids))), User.active.is_(True))
        .order_by(User.id)
    )
    return [
        Recipient(row.email, row.name, row.language, row.id, row.organization_id) for row in rows
    ]


async def people_of(session: AsyncSession, organization_id: str) -> list[Recipient]:
    """The active users of an organization."""
    ids = await session.scalars(
        select(User.id).where(User.organization_id == organization_id, User.active.is_(True))
    )
    return await recipients(session, list(ids))


def dedupe_key(named: str) -> str:
    """The key as stored (120 characters): a longer one keeps its start and a digest of the
    whole, so two keys never become one by being cut."""
    if len(named) <= KEY_MAX:
        return named
    return f"{named[: KEY_MAX - 65]}:{hashlib.sha256(named.encode()).hexdigest()}"


async def queue(
    session: AsyncSession,
    settings: Settings,
    *,
    kind: EmailKind,
    to: Recipient,
    about: str,
    context: dict[str, Any],
    now: datetime,
    path: str = "/",
    send_at: datetime | None = None,
    unless: dict[str, Any] | None = None,
) -> None:
    """Queue one kind of email for a recipient, as their preference for the kind says."""
    mode = await _mode(session, to.user_id, kind)
    if mode is EmailMode.OFF:
        return
    language = language_of(to.language)
    made = render(kind, language, context_of(settings, to, path, context))
    key = dedupe_key(f"{kind}:{about}:{to.user_id or to.email}")
    if mode is EmailMode.DIGEST and to.user_id is not None:
        await session.execute(
            upsert(session, EmailDigestItem)
            .values(
                id=new_id(),
                user_id=to.user_id,
                kind=kind,
                dedupe_key=key,
                line=made.subject[:500],
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
        return
    await add_message(
        session,
        settings,
        kind=kind,
        to=to,
        key=key,
        made=made,
        now=now,
        send_at=send_at,
        unless=unless,
    )


async def add_message(
    session: AsyncSession,
    settings: Settings,
    *,
    kind: EmailKind,
    to: Recipient,
    key: str,
    made: Rendered,
    now: datetime,
    send_at: datetime | None = None,
    unless: dict[str, Any] | None = None,
) -> str | None:
    """Insert a rendered message unless one with the key is there already; its id if made."""
    message_id = new_id()
    made_row = await session.execute(
        upsert(session, EmailMessage)
        .values(
            id=message_id,
            kind=kind,
            dedupe_key=key,
            user_id=to.user_id,
            organization_id=to.organization_id,
            to_address=to.email,
            subject=made.subject,
            text_body=made.text,
            html_body=made.html,
            message_id=f"<{message_id}@{_domain(settings.mail.from_address)}>",
            status=EmailStatus.QUEUED,
            attempts=0,
            next_attempt_at=send_at or now,
            unless=unless,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(EmailMessage.id)
    )
    return made_row.scalar_one_or_none()


def context_of(
    settings: Settings, to: Recipient, path: str, context: dict[str, Any]
) -> dict[str, Any]:
    """What every template may use (name, language, link, footer) and the kind's own."""
    language = language_of(to.language)
    base = settings.public_base_url
    return {
        "name": to.name,
        "language": language,
        "link": base + path,
        "settings_link": base + "/#/settings/email",
        "footer": FOOTER[language],
        **context,
    }


async def _mode(session: AsyncSession, user_id: str | None, kind: EmailKind) -> EmailMode:
    if kind in ALWAYS or user_id is None:
        return EmailMode.IMMEDIATE
    chosen = await session.scalar(
        select(EmailPreference.mode).where(
            EmailPreference.user_id == user_id, EmailPreference.kind == kind
        )
    )
    return EmailMode(chosen) if chosen else EmailMode.IMMEDIATE


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip(" >") or "channelhub.local"
