"""Changing partners: create, update, lifecycle, tier, and applications."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub import product_lines, throttle, validation
from hub import users as user_service
from hub.errors import BadInput, Conflict, Forbidden
from hub.partners import rules
from hub.partners.directory import load_visible
from hub.partners.rules import (
    ContactInput,
    PartnerInput,
    PartnerStatus,
    PartnerType,
    Tier,
)
from hub.programs import onboarding
from hub.roles import OrganizationKind, Principal, Role, require_vendor_staff
from hub.runtime import Hub
from storage.models import (
    Organization,
    Partner,
    PartnerChange,
    PartnerSpecialization,
    Territory,
    User,
)

APPLICATIONS_PER_HOUR = 10
TEXT_LIMITS = {
    "legal_name": 300,
    "street": 300,
    "city": 120,
    "region": 120,
    "postal_code": 20,
    "description": 4000,
}
API_NAMES = {
    "legal_name": "legalName",
    "parent_id": "parentId",
    "postal_code": "postalCode",
    "lead_capacity": "leadCapacity",
}


async def create(hub: Hub, *, principal: Principal, data: PartnerInput) -> Partner:
    """Create a partner organization with its profile (vendor staff)."""
    require_vendor_staff(principal)
    async with hub.write() as session:
        return await _insert(hub, session, data, changed_by=principal.user_id)


async def apply(
    hub: Hub, *, data: PartnerInput, contact: ContactInput, client: str | None = None
) -> tuple[Partner, User]:
    """Record a public application: an APPLICANT partner and its contact user."""
    limits = [throttle.Limit(f"apply:{client}", APPLICATIONS_PER_HOUR, 3600)] if client else []
    async with hub.write() as session:
        await throttle.take(hub, session, limits)
    email = validation.email(contact.email, field="contact.email")
    name = validation.text(contact.name, field="contact.name", max_length=200)
    validation.password(contact.password, field="contact.password")
    application = PartnerInput(
        **{
            **data.__dict__,
            "tier": Tier.REGISTERED,
            "status": PartnerStatus.APPLICANT,
            "parent_id": None,
        }
    )
    password_hash = await asyncio.to_thread(hub.passwords.hash, contact.password)
    async with hub.write() as session:
        partner = await _insert(hub, session, application, changed_by=None)
        user = User(
            organization_id=partner.id,
            email=email,
            name=name,
            role=Role.PARTNER_ADMIN,
            password_hash=password_hash,
            active=True,
            token_version=0,
            created_at=hub.clock.now(),
            updated_at=hub.clock.now(),
        )
        session.add(user)
        await _flush_contact(session, email)
    return partner, user


async def languages_by_partner(hub: Hub, ids: Sequence[str]) -> list[str]:
    """The language each partner's people get email in (a loader's batch)."""
    async with hub.read() as session:
        rows = await session.execute(
            select(Organization.id, Organization.language).where(Organization.id.in_(ids))
        )
        found = {row.id: row.language for row in rows}
    return [found.get(key, "en") for key in ids]


async def update_profile(
    hub: Hub, *, principal: Principal, partner_id: str, changes: Mapping[str, Any]
) -> Partner:
    """Change profile fields: vendor staff any, a partner admin the self-service ones."""
    _check_may_edit(principal, partner_id, changes)
    async with hub.write() as session:
        partner = await load_visible(session, principal, partner_id, for_update=True)
        await _apply_changes(hub, session, partner, changes)
        partner.version += 1
        partner.updated_at = hub.clock.now()
        await session.flush()
        # A profile completed while onboarding may be the checklist's last item.
        await onboarding.advance(hub, session, partner.id, by=principal.user_id)
    return partner


async def change_status(
    hub: Hub,
    *,
    principal: Principal,
    partner_id: str,
    status: PartnerStatus,
    reason: str | None,
    only_from: tuple[PartnerStatus, str] | None = None,
) -> Partner:
    """Move a partner through its lifecycle (vendor staff).

    `only_from` is a required current status and the message if it is another, checked under
    the row lock: a check made before it could be overtaken by a concurrent move.
    """
    require_vendor_staff(principal)
    async with hub.write() as session:
        partner = await load_visible(session, principal, partner_id, for_update=True)
        if only_from is not None and partner.status != only_from[0]:
            raise BadInput(only_from[1], field="id")
        rules.check_transition(PartnerStatus(partner.status), status, reason)
        if partner.status == PartnerStatus.ONBOARDING and status == PartnerStatus.ACTIVE:
            # Vendor staff may activate before the checklist is complete, never before the
            # partner accepted the required agreements.
            found = await onboarding.checklist(session, partner, hub.clock.now())
            agreements = found.item(onboarding.ItemKey.AGREEMENTS_ACCEPTED)
            if not agreements.done:
                raise Conflict(
                    f"the partner has not accepted its agreements yet ({agreements.detail})",
                    field="status",
                )
        _record(hub, session, partner, "status", status, reason, principal.user_id)
        partner.status = status
        partner.status_reason = reason.strip() if reason else None
        partner.version += 1
    return partner


async def change_tier(
    hub: Hub, *, principal: Principal, partner_id: str, tier: Tier, reason: str | None
) -> Partner:
    """Move a partner to another tier, keeping the tier history (vendor staff)."""
    require_vendor_staff(principal)
    async with hub.write() as session:
        partner = await load_visible(session, principal, partner_id, for_update=True)
        if partner.tier == tier:
            raise BadInput(f"the partner is already {tier}", field="tier")
        _record(hub, session, partner, "tier", tier, reason, principal.user_id)
        partner.tier = tier
        partner.version += 1
    return partner


async def approve_application(hub: Hub, *, principal: Principal, partner_id: str) -> Partner:
    """Accept an applicant: it moves to ONBOARDING and its contact can log in."""
    return await change_status(
        hub,
        principal=principal,
        partner_id=partner_id,
        status=PartnerStatus.ONBOARDING,
        reason=None,
        only_from=(PartnerStatus.APPLICANT, "only applicants can be approved"),
    )


async def reject_application(
    hub: Hub, *, principal: Principal, partner_id: str, reason: str
) -> Partner:
    """Turn down an applicant with a reason."""
    return await change_status(
        hub,
        principal=principal,
        partner_id=partner_id,
        status=PartnerStatus.TERMINATED,
        reason=reason,
        only_from=(
            PartnerStatus.APPLICANT,
            "only applicants can be rejected; terminate the partner instead",
        ),
    )


def _check_may_edit(principal: Principal, partner_id: str, changes: Mapping[str, Any]) -> None:
    unknown = set(changes) - rules.PROFILE_FIELDS
    if unknown:
        raise BadInput(f"unknown field {sorted(unknown)[0]}", field=sorted(unknown)[0])
    if principal.is_vendor_staff:
        return
    if principal.role is Role.PARTNER_ADMIN and principal.organization_id == partner_id:
        refused = sorted(set(changes) - rules.SELF_SERVICE_FIELDS)
        if refused:
            name = API_NAMES.get(refused[0], refused[0])
            raise Forbidden(f"{name} is managed by the vendor", field=name)
        return
    if principal.is_vendor:
        raise Forbidden("only vendor staff may change partners")
    if principal.role is Role.PARTNER_USER and principal.organization_id == partner_id:
        raise Forbidden("only partner admins may change the profile")


async def _insert(
    hub: Hub, session: AsyncSession, data: PartnerInput, *, changed_by: str | None
) -> Partner:
    now = hub.clock.now()
    name = validation.text(data.name, field="name", max_length=200)
    organization = Organization(
        kind=OrganizationKind.PARTNER, name=name, created_at=now, updated_at=now
    )
    session.add(organization)
    await user_service.ensure_vendor(hub, session)
    await session.flush()
    partner = Partner(
        id=organization.id,
        name=name,
        type=data.type,
        tier=data.tier,
        status=data.status,
        lead_capacity=10,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(partner)
    fields = {key: value for key, value in data.__dict__.items() if key in rules.PROFILE_FIELDS}
    await _apply_changes(hub, session, partner, fields)
    _record(hub, session, partner, "status", data.status, None, changed_by, initial=True)
    _record(hub, session, partner, "tier", data.tier, None, changed_by, initial=True)
    await session.flush()
    return partner


async def _apply_changes(
    hub: Hub, session: AsyncSession, partner: Partner, changes: Mapping[str, Any]
) -> None:
    for required in ("name", "type", "country", "lead_capacity"):
        if required in changes and changes[required] is None:
            name = API_NAMES.get(required, required)
            raise BadInput(f"{name} cannot be null", field=name)
    if "name" in changes:
        partner.name = validation.text(changes["name"] or "", field="name", max_length=200)
        await session.execute(
            update(Organization).where(Organization.id == partner.id).values(name=partner.name)
        )
    for name, limit in TEXT_LIMITS.items():
        if name in changes:
            field = API_NAMES.get(name, name)
            setattr(
                partner,
                name,
                validation.optional_text(changes[name], field=field, max_length=limit),
            )
    if "language" in changes:
        language = validation.language(changes["language"] or "")
        await session.execute(
            update(Organization).where(Organization.id == partner.id).values(language=language)
        )
    if "country" in changes:
        partner.country = validation.country(changes["country"] or "")
    if "website" in changes:
        partner.website = validation.url(changes["website"], field="website")
    if "latitude" in changes or "longitude" in changes:
        latitude = changes.get("latitude", partner.latitude)
        longitude = changes.get("longitude", partner.longitude)
        partner.latitude, partner.longitude = validation.coordinates(latitude, longitude)
    if "lead_capacity" in changes:
        partner.lead_capacity = rules.check_lead_capacity(int(changes["lead_capacity"]))
    if "type" in changes:
        await _change_type(session, partner, PartnerType(changes["type"]))
    if "parent_id" in changes:
        partner.parent_id = await _checked_parent(session, partner, changes["parent_id"])
    if "specializations" in changes:
        await _replace_specializations(session, partner, changes["specializations"])
    if "territories" in changes:
        await _replace_territories(session, partner, changes["territories"])


async def _change_type(session: AsyncSession, partner: Partner, kind: PartnerType) -> None:
    if partner.type == PartnerType.DISTRIBUTOR and kind != PartnerType.DISTRIBUTOR:
        children = await session.execute(
            select(Partner.id).where(Partner.parent_id == partner.id).limit(1)
        )
        if children.first() is not None:
            raise BadInput("a distributor with sub-partners must stay a DISTRIBUTOR", field="type")
    partner.type = kind


async def _checked_parent(
    session: AsyncSession, partner: Partner, parent_id: str | None
) -> str | None:
    if not parent_id:
        return None
    if parent_id == partner.id:
        raise BadInput("a partner cannot be its own parent", field="parentId")
    parent = await session.get(Partner, parent_id)
    if parent is None:
        raise BadInput("no partner with this parentId", field="parentId")
    if parent.type != PartnerType.DISTRIBUTOR:
        raise BadInput("the parent partner must be a DISTRIBUTOR", field="parentId")
    ancestor: str | None = parent.parent_id
    seen = {parent.id}
    while ancestor is not None and ancestor not in seen:
        if ancestor == partner.id:
            raise BadInput("this parent would create a cycle in the channel", field="parentId")
        seen.add(ancestor)
        ancestor = await session.scalar(select(Partner.parent_id).where(Partner.id == ancestor))
    return parent.id


async def _replace_specializations(session: AsyncSession, partner: Partner, values: Any) -> None:
    codes = rules.check_specializations(list(values or ()))
    current = await session.scalars(
        select(PartnerSpecialization.product_line).where(
            PartnerSpecialization.partner_id == partner.id
        )
    )
    await product_lines.require(session, codes, field="specializations", kept=set(current))
    await session.execute(
        delete(PartnerSpecialization).where(PartnerSpecialization.partner_id == partner.id)
    )
    session.add_all(
        PartnerSpecialization(partner_id=partner.id, product_line=code) for code in codes
    )


async def _replace_territories(session: AsyncSession, partner: Partner, values: Any) -> None:
    checked = rules.check_territories(list(values or ()))
    await session.execute(delete(Territory).where(Territory.partner_id == partner.id))
    session.add_all(
        Territory(
            partner_id=partner.id,
            name=territory.name,
            countries=territory.countries,
            regions=territory.regions,
            postal_prefixes=territory.postal_prefixes,
            position=position,
        )
        for position, territory in enumerate(checked)
    )


def _record(
    hub: Hub,
    session: AsyncSession,
    partner: Partner,
    field: str,
    value: str,
    reason: str | None,
    changed_by: str | None,
    *,
    initial: bool = False,
) -> None:
    session.add(
        PartnerChange(
            partner_id=partner.id,
            field=field,
            from_value=None if initial else getattr(partner, field),
            to_value=value,
            reason=reason.strip() if reason else None,
            changed_by_id=changed_by,
            changed_at=hub.clock.now(),
        )
    )
    partner.updated_at = hub.clock.now()


async def _flush_contact(session: AsyncSession, email: str) -> None:
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(
            f"an account with the email {email} already exists; log in or use another email",
            field="contact.email",
        ) from None
