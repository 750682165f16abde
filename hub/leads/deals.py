"""Deal registration: a partner claims a customer it found; conflicts are caught at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import events, product_lines, sources, validation
from hub.db import distinct, in_key_order
from hub.errors import BadInput, Conflict, Forbidden, NotFound
from hub.forecast import opportunities
from hub.leads import policy, snapshot, sourcing
from hub.leads.policy import ConflictPolicy
from hub.leads.rules import TOPIC, LeadEventType, currency, customer_key, email_domain
from hub.pagination import Page, PageRequest, keyset_page
from hub.partners import directory
from hub.partners.directory import InChannel
from hub.roles import Principal, require_vendor_staff
from hub.runtime import Hub
from storage.models import DealRegistration, Partner

# What a partner is told when the customer it registers is already claimed.
CLAIMED = (
    "the customer is already claimed by another partner; ask your channel manager to review "
    "this registration"
)


class DealStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"


@dataclass(frozen=True)
class DealInput:
    customer_company: str
    country: str
    product_line: str
    value_minor: int
    currency: str
    expected_close: date | None = None
    customer_email: str | None = None
    # A distributor registers on behalf of one of its sub-resellers.
    partner_id: str | None = None
    # The funded activity (an APPROVED fund request of the channel) it came from.
    fund_request_id: str | None = None
    # The vendor campaign it came from.
    campaign_id: str | None = None


def visible(
    principal: Principal, statement: Select[tuple[DealRegistration]]
) -> Select[tuple[DealRegistration]]:
    """Vendor-side accounts see every registration; a partner its own, a distributor also its
    sub-resellers'."""
    if principal.is_vendor:
        return statement
    return statement.where(InChannel(DealRegistration.partner_id, principal.organization_id))


async def register(hub: Hub, *, principal: Principal, data: DealInput) -> DealRegistration:
    """Register a deal; approve it by tier rule, queue it, or reject it on conflict."""
    if not principal.is_partner:
        raise Forbidden("deals are registered by partner users")
    company = validation.text(data.customer_company, field="customerCompany", max_length=200)
    country = validation.country(data.country)
    email = (
        validation.email(data.customer_email, field="customerEmail")
        if data.customer_email
        else None
    )
    if data.value_minor <= 0:
        raise BadInput("value must be positive", field="value.amountMinor")
    now = hub.clock.now()
    async with hub.write() as session:
        claimant = await _claimant(session, principal, data.partner_id)
        settings = await policy.load(session)
        line = validation.product_line(data.product_line, field="productLine")
        await product_lines.require(session, [line], field="productLine")
        deal = DealRegistration(
            partner_id=claimant,
            registered_by_id=principal.user_id,
            customer_company=company,
            customer_key=customer_key(company, country),
            email_domain=email_domain(email),
            country=country,
            product_line=line,
            value_minor=data.value_minor,
            currency=currency(data.currency, field="value.currency"),
            expected_close=data.expected_close,
            status=DealStatus.PENDING,
            created_at=now,
            updated_at=now,
        )
        session.add(deal)
        await session.flush()
        await sourcing.name(
            session,
            principal,
            sources.Target(deal_registration_id=deal.id),
            sourcing.Named.at_creation(data.fund_request_id, data.campaign_id),
            now=now,
        )
        deal.conflict = await _conflict(session, deal, now)
        await _emit(hub, session, deal, LeadEventType.DEAL_REGISTERED)
        if deal.conflict and settings.conflict_policy == ConflictPolicy.REJECT:
            await _decide(hub, session, deal, DealStatus.REJECTED, CLAIMED, None)
        elif not deal.conflict and await _auto_approved(session, deal, settings):
            await _approve(hub, session, deal, settings.protection_days, None)
    return deal


async def attribute(
    hub: Hub, *, principal: Principal, deal_id: str, named: sourcing.Named
) -> DealRegistration:
    """Name the funded activity a registration came from, or clear it with None (vendor
    staff, or the registering partner naming one of its channel's requests)."""
    async with hub.write() as session:
        deal = await _load(session, principal, deal_id, for_update=True)
        if principal.is_partner and deal.partner_id != principal.organization_id:
            raise Forbidden("the registering partner names the source of its registration")
        await sourcing.name(
            session,
            principal,
            sources.Target(deal_registration_id=deal.id),
            named,
            now=hub.clock.now(),
        )
    return deal


async def _claimant(session: AsyncSession, principal: Principal, partner_id: str | None) -> str:
    """The partner a registration is for: the caller's own, or a sub-reseller of its own."""
    if partner_id is None or partner_id == principal.organization_id:
        return principal.organization_id
    child = await session.scalar(
        select(Partner.id).where(
            Partner.id == partner_id, Partner.parent_id == principal.organization_id
        )
    )
    if child is None:
        raise NotFound(
            "no sub-reseller of yours has this id; register for your own organization or one "
            "of your sub-resellers",
            field="input.partnerId",
        )
    return child


async def approve(hub: Hub, *, principal: Principal, deal_id: str) -> DealRegistration:
    """Approve a pending registration (vendor staff), unless another partner owns the customer."""
    require_vendor_staff(principal)
    async with hub.write() as session:
        deal = await _load(session, principal, deal_id, for_update=True)
        _require(deal, DealStatus.PENDING)
        conflict = await _conflict(session, deal, hub.clock.now(), approved_only=True)
        if conflict:
            raise Conflict(_conflict_text(conflict), field="id")
        settings = await policy.load(session)
        await _approve(hub, session, deal, settings.protection_days, principal.user_id)
    return deal


async def reject(hub: Hub, *, principal: Principal, deal_id: str, reason: str) -> DealRegistration:
    """Reject a pending registration with a reason (vendor staff)."""
    require_vendor_staff(principal)
    reason = validation.text(reason, field="reason", max_length=2000)
    async with hub.write() as session:
        deal = await _load(session, principal, deal_id, for_update=True)
        _require(deal, DealStatus.PENDING)
        await _decide(hub, session, deal, DealStatus.REJECTED, reason, principal.user_id)
    return deal


async def request_extension(
    hub: Hub, *, principal: Principal, deal_id: str, days: int, reason: str
) -> DealRegistration:
    """Ask the vendor to extend the protection of an approved registration."""
    reason = validation.text(reason, field="reason", max_length=2000)
    if not 1 <= days <= 365:
        raise BadInput("days must be between 1 and 365", field="days")
    async with hub.write() as session:
        deal = await _load(session, principal, deal_id, for_update=True)
        if not principal.is_partner:
            raise Forbidden("the registering partner asks for extensions")
        _require(deal, DealStatus.APPROVED)
        deal.extension_days_requested = days
        deal.extension_reason = reason
        deal.updated_at = hub.clock.now()
    return deal


async def approve_extension(hub: Hub, *, principal: Principal, deal_id: str) -> DealRegistration:
    """Grant a requested extension (vendor staff)."""
    require_vendor_staff(principal)
    async with hub.write() as session:
        deal = await _load(session, principal, deal_id, for_update=True)
        _require(deal, DealStatus.APPROVED)
        if not deal.extension_days_requested or deal.expires_at is None:
            raise BadInput("no extension was requested for this registration", field="id")
        deal.expires_at += timedelta(days=deal.extension_days_requested)
        deal.extension_days_requested = None
        deal.updated_at = hub.clock.now()
        await _emit(hub, session, deal, LeadEventType.DEAL_APPROVED, {"extended": True})
    return deal


async def expire(hub: Hub) -> int:
    """End the protection of approved registrations past their window."""
    now = hub.clock.now()
    async with hub.write() as session:
        statement = (
            select(DealRegistration)
            .where(
                DealRegistration.status == DealStatus.APPROVED, DealRegistration.expires_at <= now
            )
            .limit(100)
            .with_for_update(skip_locked=True)
        )
        due = list((await session.execute(statement)).scalars())
        for deal in due:
            deal.status = DealStatus.EXPIRED
            deal.updated_at = now
            await _emit(hub, session, deal, LeadEventType.DEAL_EXPIRED)
            await opportunities.withdraw_for_deal(hub, session, deal, "protection expired")
    return len(due)


async def get(hub: Hub, *, principal: Principal, deal_id: str) -> DealRegistration:
    async with hub.read() as session:
        return await _load(session, principal, deal_id)


async def by_ids(
    hub: Hub, *, principal: Principal, ids: Sequence[str]
) -> list[DealRegistration | None]:
    async with hub.read() as session:
        statement = visible(principal, select(DealRegistration)).where(DealRegistration.id.in_(ids))
        return in_key_order((await session.execute(statement)).scalars(), ids)


async def list_deals(
    hub: Hub, *, principal: Principal, statuses: Sequence[DealStatus], page: PageRequest
) -> Page[DealRegistration]:
    statement = visible(principal, select(DealRegistration))
    if statuses:
        statement = statement.where(
            DealRegistration.status.in_(distinct(status.value for status in statuses))
        )
    async with hub.read() as session:
        return await keyset_page(
            session,
            statement,
            page,
            key=(DealRegistration.created_at, DealRegistration.id),
            descending=True,
        )


async def _conflict(
    session: AsyncSession, deal: DealRegistration, now: Any, *, approved_only: bool = False
) -> dict[str, str] | None:
    owner = await snapshot.customer_owner(
        session,
        customer_key=deal.customer_key,
        email_domain=deal.email_domain,
        now=now,
        exclude_deal=deal.id,
    )
    if owner is not None and owner[0] != deal.partner_id:
        return {"partnerId": owner[0], "kind": owner[1], "recordId": owner[2]}
    if approved_only:
        return None
    same = [DealRegistration.customer_key == deal.customer_key]
    if deal.email_domain:
        same.append(DealRegistration.email_domain == deal.email_domain)
    pending = await session.execute(
        select(DealRegistration.partner_id, DealRegistration.id)
        .where(or_(*same), DealRegistration.status == DealStatus.PENDING)
        .where(DealRegistration.partner_id != deal.partner_id, DealRegistration.id != deal.id)
        .limit(1)
    )
    found = pending.first()
    return (
        {"partnerId": found[0], "kind": "DEAL_REGISTRATION", "recordId": found[1]}
        if found
        else None
    )


def _conflict_text(conflict: dict[str, str]) -> str:
    kind = "deal registration" if conflict["kind"] == "DEAL_REGISTRATION" else "lead"
    return (
        f"the customer is already claimed by another partner through {kind} {conflict['recordId']}"
    )


@dataclass(frozen=True)
class ConflictView:
    """A channel conflict as one caller may see it."""

    message: str
    partner_id: str | None = None
    kind: str | None = None
    record_id: str | None = None


def conflict_view(conflict: dict[str, str] | None, *, full: bool) -> ConflictView | None:
    """Describe a conflict: in full for vendor-side accounts, to partners only that it exists.

    A partner must not learn which partner owns a customer, nor through which record: that
    would let any partner ask who works acme.com.
    """
    if not conflict:
        return None
    if not full:
        return ConflictView(CLAIMED)
    return ConflictView(
        _conflict_text(conflict), conflict["partnerId"], conflict["kind"], conflict["recordId"]
    )


def conflict_seen_by(principal: Principal, conflict: dict[str, str] | None) -> ConflictView | None:
    """The conflict of a registration as the caller may see it."""
    return conflict_view(conflict, full=principal.is_vendor)


async def _auto_approved(
    session: AsyncSession, deal: DealRegistration, settings: policy.LeadSettings
) -> bool:
    tier = await session.scalar(select(Partner.tier).where(Partner.id == deal.partner_id))
    return tier in settings.auto_approve_tiers


async def _approve(
    hub: Hub, session: AsyncSession, deal: DealRegistration, days: int, by: str | None
) -> None:
    deal.expires_at = hub.clock.now() + timedelta(days=days)
    await _decide(hub, session, deal, DealStatus.APPROVED, None, by)
    await opportunities.open_for_deal(hub, session, deal, by)


async def _decide(
    hub: Hub,
    session: AsyncSession,
    deal: DealRegistration,
    status: DealStatus,
    reason: str | None,
    by: str | None,
) -> None:
    deal.status = status
    deal.decision_reason = reason
    deal.decided_by_id = by
    deal.decided_at = hub.clock.now()
    deal.updated_at = hub.clock.now()
    await _emit(
        hub,
        session,
        deal,
        LeadEventType.DEAL_APPROVED
        if status is DealStatus.APPROVED
        else LeadEventType.DEAL_REJECTED,
    )


async def _emit(
    hub: Hub,
    session: AsyncSession,
    deal: DealRegistration,
    kind: LeadEventType,
    extra: dict[str, Any] | None = None,
) -> None:
    payload = {"dealId": deal.id, "status": deal.status, **(extra or {})}
    await events.append(
        session,
        topic=TOPIC,
        type=kind,
        subject_id=deal.id,
        audience=await directory.with_distributors(session, [deal.partner_id]),
        payload=payload,
        now=hub.clock.now(),
    )


async def _load(
    session: AsyncSession, principal: Principal, deal_id: str, *, for_update: bool = False
) -> DealRegistration:
    statement = visible(principal, select(DealRegistration)).where(DealRegistration.id == deal_id)
    if for_update:
        statement = statement.with_for_update()
    deal = (await session.execute(statement)).scalar_one_or_none()
    if deal is None:
        raise NotFound("no such deal registration", field="id")
    return deal


def _require(deal: DealRegistration, status: DealStatus) -> None:
    if deal.status != status:
        raise BadInput(f"the registration is {deal.status}, not {status}", field="id")
