"""Email that no single event asks for: reminders before a lead offer expires, and each
user's daily digest. Safe in every process at once (row locks skip what another holds; a
digest is one per user and day by its key)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.leads.rules import LeadStatus
from hub.mail import composers, outbox
from hub.mail.render import language_of, render
from hub.mail.rules import EmailKind
from hub.runtime import Hub
from storage.models import Lead, Partner
from storage.models.mail import EmailDigestItem

BATCH = 200


async def remind_offers(hub: Hub) -> int:
    """Remind a partner's people of an offer that expires within LEAD_REMINDER_HOURS, once."""
    hours = hub.settings.mail.reminder_hours
    if hours == 0:
        return 0
    now = hub.clock.now()
    due = select(Lead).where(
        Lead.status == LeadStatus.OFFERED,
        Lead.offer_expires_at > now,
        Lead.offer_expires_at <= now + timedelta(hours=hours),
        or_(Lead.offer_reminded_at.is_(None), Lead.offer_reminded_at < Lead.offered_at),
    )
    async with hub.read() as session:
        if await session.scalar(due.with_only_columns(Lead.id).limit(1)) is None:
            return 0
    async with hub.write() as session:
        statement = due.order_by(Lead.offer_expires_at, Lead.id).limit(BATCH)
        if session.bind.dialect.name == "postgresql":
            statement = statement.with_for_update(skip_locked=True)
        leads = list(await session.scalars(statement))
        for lead in leads:
            lead.offer_reminded_at = now
            await _remind(session, hub, lead, now)
        return len(leads)


async def _remind(session: AsyncSession, hub: Hub, lead: Lead, now: datetime) -> None:
    if lead.partner_id is None or lead.offer_expires_at is None:
        return
    partner = await session.get_one(Partner, lead.partner_id)
    context = {
        **composers.lead_context(lead),
        "partner": partner.name,
        "deadline": lead.offer_expires_at.strftime("%Y-%m-%d %H:%M"),
    }
    offered = lead.offered_at.isoformat() if lead.offered_at else ""
    for person in await outbox.people_of(session, lead.partner_id):
        await outbox.queue(
            session,
            hub.settings,
            kind=EmailKind.LEAD_OFFER_REMINDER,
            to=person,
            about=f"{lead.id}:{offered}",
            context=context,
            now=now,
            path=f"/#/leads/{lead.id}",
        )


async def send_digests(hub: Hub) -> int:
    """Each day at MAIL_DIGEST_HOUR (UTC), queue each user's digest of the lines that came
    before it (a line from later waits for the next day's)."""
    now = hub.clock.now()
    cutoff = now.replace(hour=hub.settings.mail.digest_hour, minute=0, second=0, microsecond=0)
    if cutoff > now:
        cutoff -= timedelta(days=1)
    sent, after = 0, ""
    while True:  # every user with lines waiting, a page at a time: none is starved
        async with hub.read() as session:
            users = list(
                await session.scalars(
                    select(EmailDigestItem.user_id)
                    .where(
                        EmailDigestItem.digest_id.is_(None),
                        EmailDigestItem.created_at < cutoff,
                        EmailDigestItem.user_id > after,
                    )
                    .distinct()
                    .order_by(EmailDigestItem.user_id)
                    .limit(BATCH)
                )
            )
        for user_id in users:
            sent += await _digest(hub, user_id, cutoff, now)
        if len(users) < BATCH:
            return sent
        after = users[-1]


async def _digest(hub: Hub, user_id: str, cutoff: datetime, now: datetime) -> int:
    async with hub.write() as session:
        people = await outbox.recipients(session, [user_id])
        items = list(
            await session.scalars(
                select(EmailDigestItem)
                .where(
                    EmailDigestItem.user_id == user_id,
                    EmailDigestItem.digest_id.is_(None),
                    EmailDigestItem.created_at < cutoff,
                )
                .order_by(EmailDigestItem.created_at, EmailDigestItem.id)
                .with_for_update()
            )
        )
        if not items:
            return 0
        if not people:  # the account can no longer get email: its lines go with it
            await session.execute(
                delete(EmailDigestItem).where(EmailDigestItem.id.in_([item.id for item in items]))
            )
            return 0
        person = people[0]
        key = f"{EmailKind.DIGEST}:{cutoff.date().isoformat()}:{user_id}"
        context = outbox.context_of(hub.settings, person, "/", {"lines": [i.line for i in items]})
        made = render(EmailKind.DIGEST, language_of(person.language), context)
        digest_id = await outbox.add_message(
            session, hub.settings, kind=EmailKind.DIGEST, to=person, key=key, made=made, now=now
        )
        if digest_id is None:
            return 0  # this digest went out already
        await session.execute(
            update(EmailDigestItem)
            .where(EmailDigestItem.id.in_([item.id for item in items]))
            .values(digest_id=digest_id)
        )
        return 1
