"""A partner's onboarding checklist, and the move to ACTIVE once it is complete.

Three items: every required agreement of the published programs accepted in its current
version; a user of the partner holding a valid certification; a complete profile (legal
name, street, city, postal code, website and description). An ONBOARDING partner whose
checklist is complete becomes ACTIVE in the transaction that completed it: accepting the
last agreement, the certification being issued, or the profile update.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.partners.rules import PartnerStatus
from hub.runtime import Hub
from storage.models.partners import Partner, PartnerChange
from storage.models.programs import Agreement, AgreementAcceptance, PartnerProgram
from storage.models.training import Certification

PROFILE = {
    "legal_name": "legalName",
    "street": "street",
    "city": "city",
    "postal_code": "postalCode",
    "website": "website",
    "description": "description",
}


class ItemKey(StrEnum):
    AGREEMENTS_ACCEPTED = "AGREEMENTS_ACCEPTED"
    USER_CERTIFIED = "USER_CERTIFIED"
    PROFILE_COMPLETE = "PROFILE_COMPLETE"


@dataclass(frozen=True)
class Item:
    key: ItemKey
    done: bool
    detail: str


@dataclass(frozen=True)
class Checklist:
    partner_id: str
    items: tuple[Item, ...]

    @property
    def complete(self) -> bool:
        return all(item.done for item in self.items)

    def item(self, key: ItemKey) -> Item:
        return next(item for item in self.items if item.key is key)


async def checklist(session: AsyncSession, partner: Partner, now: datetime) -> Checklist:
    due = list(
        await session.execute(
            select(Agreement.title, Agreement.current_number)
            .join(PartnerProgram, PartnerProgram.id == Agreement.program_id)
            .where(
                PartnerProgram.status == "PUBLISHED",
                Agreement.required,
                Agreement.current_number > 0,
                ~exists().where(
                    and_(
                        AgreementAcceptance.agreement_id == Agreement.id,
                        AgreementAcceptance.partner_id == partner.id,
                        AgreementAcceptance.number == Agreement.current_number,
                    )
                ),
            )
            .order_by(Agreement.title)
        )
    )
    certified = await session.scalar(
        select(Certification.id)
        .where(
            Certification.organization_id == partner.id,
            Certification.revoked_at.is_(None),
            Certification.expires_at > now,
        )
        .limit(1)
    )
    missing = [name for column, name in PROFILE.items() if not getattr(partner, column)]
    return Checklist(
        partner.id,
        (
            Item(
                ItemKey.AGREEMENTS_ACCEPTED,
                not due,
                "every required agreement is accepted"
                if not due
                else "to accept: " + ", ".join(f"{title} (version {n})" for title, n in due),
            ),
            Item(
                ItemKey.USER_CERTIFIED,
                certified is not None,
                "a user holds a valid certification"
                if certified
                else "no user holds a valid certification yet",
            ),
            Item(
                ItemKey.PROFILE_COMPLETE,
                not missing,
                "the profile is complete" if not missing else "missing: " + ", ".join(missing),
            ),
        ),
    )


async def checklists(hub: Hub, partner_ids: Sequence[str]) -> list[Checklist | None]:
    """Each partner's checklist, in order (the caller checked who may see them)."""
    async with hub.read() as session:
        rows = await session.scalars(
            select(Partner).where(Partner.id.in_(sorted(set(partner_ids))))
        )
        partners = {row.id: row for row in rows}
        found = {
            partner_id: await checklist(session, partner, hub.clock.now())
            for partner_id, partner in partners.items()
        }
    return [found.get(partner_id) for partner_id in partner_ids]


async def advance(hub: Hub, session: AsyncSession, partner_id: str, *, by: str | None) -> bool:
    """Make an ONBOARDING partner ACTIVE when its checklist is complete; True if it moved."""
    status = await session.scalar(select(Partner.status).where(Partner.id == partner_id))
    if status != PartnerStatus.ONBOARDING:  # most calls: nothing to lock
        return False
    await session.flush()
    # FOR NO KEY UPDATE: the caller's insert referencing the partner (an acceptance) holds
    # a key-share lock on it, which FOR UPDATE would wait on from two transactions at once.
    partner = await session.scalar(
        select(Partner).where(Partner.id == partner_id).with_for_update(key_share=True)
    )
    if partner is None or partner.status != PartnerStatus.ONBOARDING:
        return False
    now = hub.clock.now()
    if not (await checklist(session, partner, now)).complete:
        return False
    session.add(
        PartnerChange(
            partner_id=partner.id,
            field="status",
            from_value=partner.status,
            to_value=PartnerStatus.ACTIVE,
            reason="onboarding complete",
            changed_by_id=by,
            changed_at=now,
        )
    )
    partner.status = PartnerStatus.ACTIVE
    partner.status_reason = "onboarding complete"
    partner.version += 1
    partner.updated_at = now
    return True
