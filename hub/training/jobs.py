"""Certification expiry notices (run by hub.jobs in every hub process).

Safe with several processes: rows are claimed with FOR UPDATE SKIP LOCKED on PostgreSQL
(SQLite has a single writer) and marked in the same transaction, so each notice goes once.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.runtime import Hub
from hub.training.certifications import emit
from hub.training.rules import EXPIRING_NOTICE, TrainingEventType
from storage.models import Certification

BATCH = 100


async def notify_expiring(hub: Hub, *, limit: int = BATCH) -> int:
    """Tell holders once, 30 days ahead, that a certification is about to expire."""
    now = hub.clock.now()
    async with hub.write() as session:
        statement = (
            select(Certification)
            .where(
                Certification.revoked_at.is_(None),
                Certification.expiring_notified_at.is_(None),
                Certification.expires_at > now,
                Certification.expires_at <= now + EXPIRING_NOTICE,
            )
            .order_by(Certification.expires_at, Certification.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        due = list((await session.execute(statement)).scalars())
        for held in due:
            held.expiring_notified_at = now
            await _emit(hub, session, held, TrainingEventType.CERTIFICATION_EXPIRING)
    return len(due)


async def notify_expired(hub: Hub, *, limit: int = BATCH) -> int:
    """Tell holders once that a certification expired."""
    now = hub.clock.now()
    async with hub.write() as session:
        statement = (
            select(Certification)
            .where(
                Certification.revoked_at.is_(None),
                Certification.expired_notified_at.is_(None),
                Certification.expires_at <= now,
            )
            .order_by(Certification.expires_at, Certification.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        due = list((await session.execute(statement)).scalars())
        for held in due:
            held.expired_notified_at = now
            held.expiring_notified_at = held.expiring_notified_at or now
            await _emit(hub, session, held, TrainingEventType.CERTIFICATION_EXPIRED)
    return len(due)


async def _emit(
    hub: Hub, session: AsyncSession, held: Certification, type: TrainingEventType
) -> None:
    await emit(
        hub,
        session,
        type,
        subject=held.id,
        definition_id=held.definition_id,
        user_id=held.user_id,
        organization_id=held.organization_id,
        extra={"expiresAt": held.expires_at.isoformat()},
    )
