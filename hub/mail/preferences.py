"""What each user wants emailed, and the record of what was sent to whom."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from hub.db import upsert
from hub.errors import BadInput
from hub.mail.rules import ALWAYS, CHOOSABLE, EmailKind, EmailMode, EmailStatus
from hub.pagination import Page, PageRequest, keyset_page
from hub.roles import Principal, Role
from hub.runtime import Hub
from storage.models.mail import EmailMessage, EmailPreference


async def of_user(hub: Hub, *, principal: Principal) -> list[tuple[EmailKind, EmailMode]]:
    """The caller's choice for every kind it may choose (IMMEDIATE unless set otherwise)."""
    async with hub.read() as session:
        rows = await session.execute(
            select(EmailPreference.kind, EmailPreference.mode).where(
                EmailPreference.user_id == principal.user_id
            )
        )
        chosen: dict[str, str] = {row.kind: row.mode for row in rows}
    return [(kind, EmailMode(chosen.get(kind, EmailMode.IMMEDIATE))) for kind in CHOOSABLE]


async def choose(
    hub: Hub, *, principal: Principal, kind: EmailKind, mode: EmailMode
) -> tuple[EmailKind, EmailMode]:
    """Set how the caller gets one kind of email."""
    if kind in ALWAYS:
        raise BadInput(f"{kind} email is always sent", field="kind")
    async with hub.write() as session:
        statement = upsert(session, EmailPreference).values(
            user_id=principal.user_id, kind=kind, mode=mode
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id", "kind"], set_={"mode": statement.excluded.mode}
            )
        )
    return kind, mode


async def messages(
    hub: Hub,
    *,
    principal: Principal,
    statuses: Sequence[EmailStatus],
    user_id: str | None,
    page: PageRequest,
) -> Page[EmailMessage]:
    """Email sent or queued, newest first: vendor admins everyone's, anyone else their own."""
    statement = select(EmailMessage)
    if principal.role is not Role.VENDOR_ADMIN:
        statement = statement.where(EmailMessage.user_id == principal.user_id)
    elif user_id is not None:
        statement = statement.where(EmailMessage.user_id == user_id)
    if statuses:
        statement = statement.where(EmailMessage.status.in_(sorted(set(statuses))))
    async with hub.read() as session:
        return await keyset_page(
            session,
            statement,
            page,
            key=(EmailMessage.created_at, EmailMessage.id),
            descending=True,
        )
