"""Pulling back expired lead offers (run by hub.jobs in every hub process).

Safe with several processes: rows are claimed with FOR UPDATE SKIP LOCKED on PostgreSQL
(SQLite has a single writer), so each expired offer is handled exactly once.
"""

from __future__ import annotations

from sqlalchemy import select

from hub.leads import assign, snapshot
from hub.leads.rules import LeadEventType, LeadStatus, Outcome
from hub.runtime import Hub
from storage.models import Lead

BATCH = 100


async def expire_offers(hub: Hub, *, limit: int = BATCH) -> int:
    """Pull back offers past their deadline and route each lead to the next candidate."""
    now = hub.clock.now()
    async with hub.write() as session:
        statement = (
            select(Lead)
            .where(Lead.status == LeadStatus.OFFERED, Lead.offer_expires_at <= now)
            .order_by(Lead.offer_expires_at, Lead.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        leads = list((await session.execute(statement)).scalars())
        if not leads:
            return 0
        await snapshot.lock_customers(session, leads)
        routing = await assign.router(hub, session, now)
        for lead in leads:
            previous = lead.partner_id
            await assign.close_offer(hub, session, lead, Outcome.EXPIRED, "not accepted in time")
            await assign.emit(
                hub, session, lead, LeadEventType.LEAD_EXPIRED, [previous] if previous else []
            )
            if previous and previous in routing.index.open_leads:
                routing.index.open_leads[previous] -= 1
            lead.partner_id = None
            await routing.offer(lead, by=None)
    return len(leads)
