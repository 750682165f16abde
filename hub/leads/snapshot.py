"""Load what routing needs from the database: the partner index, a lead's history, its owner."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import LockSpace
from hub.leads.rules import OPEN, LeadStatus, Outcome
from hub.routing import Area, Candidate, Exclusion, RoutingIndex, Weights
from hub.training import certifications
from storage.models import (
    DealRegistration,
    Lead,
    LeadAssignment,
    Partner,
    PartnerSpecialization,
    Territory,
)

ROUTED_STATUSES = ("ONBOARDING", "ACTIVE", "SUSPENDED")
PERFORMANCE_WINDOW = timedelta(days=90)
# A customer's identities are locked while a transaction decides who owns it: two partners
# are never both given one customer, whatever runs at the same moment.
CUSTOMERS = LockSpace(0x4355)
WIN_WINDOW = timedelta(days=365)


async def load_index(session: AsyncSession, weights: Weights, now: datetime) -> RoutingIndex:
    """Build the routing index of every partner that could be offered leads."""
    partners = list(
        (
            await session.execute(select(Partner).where(Partner.status.in_(ROUTED_STATUSES)))
        ).scalars()
    )
    ids = [partner.id for partner in partners]
    areas = await _areas(session, ids)
    lines = await _lines(session, ids)
    open_leads = await _open_leads(session)
    performance = await _performance(session, now)
    wins = await _win_rates(session, now)
    certified = await certifications.certified_lines(session, now)
    candidates = [
        Candidate(
            id=partner.id,
            name=partner.name,
            tier=partner.tier,
            status=partner.status,
            country=partner.country,
            latitude=partner.latitude,
            longitude=partner.longitude,
            specializations=frozenset(lines.get(partner.id, ())),
            areas=tuple(areas.get(partner.id, ())),
            capacity=partner.lead_capacity,
            open_leads=open_leads.get(partner.id, 0),
            acceptance_rate=performance.get(partner.id, (None, None, None))[0],
            median_hours_to_accept=performance.get(partner.id, (None, None, None))[1],
            last_offered_at=performance.get(partner.id, (None, None, None))[2],
            win_rate=wins.get(partner.id),
            certified_lines=frozenset(certified.get(partner.id, ())),
        )
        for partner in partners
    ]
    return RoutingIndex(candidates, weights)


async def history(session: AsyncSession, lead_id: str) -> dict[str, Exclusion]:
    """Partners that declined this lead or let it expire."""
    rows = await session.execute(
        select(LeadAssignment.partner_id, LeadAssignment.outcome).where(
            LeadAssignment.lead_id == lead_id,
            LeadAssignment.outcome.in_([Outcome.DECLINED, Outcome.EXPIRED]),
        )
    )
    return {
        partner_id: Exclusion.DECLINED_BEFORE
        if outcome == Outcome.DECLINED
        else Exclusion.EXPIRED_BEFORE
        for partner_id, outcome in rows.all()
    }


def identities(customer_key: str, email_domain: str | None) -> list[str]:
    """The lock keys of a customer: its normalised name and country, and its email domain."""
    return [f"name:{customer_key}", *([f"domain:{email_domain}"] if email_domain else [])]


async def lock_customers(session: AsyncSession, leads: Iterable[Lead]) -> None:
    """Lock the customers of several leads at once, in one order (no deadlock between batches)."""
    keys = [key for lead in leads for key in identities(lead.customer_key, lead.email_domain)]
    await CUSTOMERS.take(session, keys)


async def customer_owner(
    session: AsyncSession,
    *,
    customer_key: str,
    email_domain: str | None,
    now: datetime,
    exclude_lead: str | None = None,
    exclude_deal: str | None = None,
) -> tuple[str, str, str] | None:
    """Lock the customer, then tell who owns it: (partner id, record kind, record id), deals first.

    The lock is held until the transaction ends, so whatever it then decides (approve a
    registration, offer a lead) is seen by the next transaction that asks.
    """
    await CUSTOMERS.take(session, identities(customer_key, email_domain))
    same_deal = [DealRegistration.customer_key == customer_key]
    same_lead = [Lead.customer_key == customer_key]
    if email_domain:
        same_deal.append(DealRegistration.email_domain == email_domain)
        same_lead.append(Lead.email_domain == email_domain)
    deal = await session.execute(
        select(DealRegistration.partner_id, DealRegistration.id)
        .where(
            or_(*same_deal),
            DealRegistration.status == "APPROVED",
            DealRegistration.expires_at > now,
        )
        .where(DealRegistration.id != (exclude_deal or ""))
        .order_by(DealRegistration.decided_at)
        .limit(1)
    )
    if (found := deal.first()) is not None:
        return found[0], "DEAL_REGISTRATION", found[1]
    lead = await session.execute(
        select(Lead.partner_id, Lead.id)
        .where(or_(*same_lead), Lead.status.in_(list(OPEN)), Lead.partner_id.is_not(None))
        .where(Lead.id != (exclude_lead or ""))
        .order_by(Lead.offered_at)
        .limit(1)
    )
    owned = lead.first()
    if owned is not None and owned[0] is not None:
        return owned[0], "LEAD", owned[1]
    return None


async def _areas(session: AsyncSession, ids: list[str]) -> dict[str, list[Area]]:
    grouped: dict[str, list[Area]] = defaultdict(list)
    for territory in (
        await session.execute(select(Territory).where(Territory.partner_id.in_(ids)))
    ).scalars():
        grouped[territory.partner_id].append(
            Area(
                frozenset(territory.countries),
                frozenset(territory.regions),
                frozenset(territory.postal_prefixes),
            )
        )
    return grouped


async def _lines(session: AsyncSession, ids: list[str]) -> dict[str, set[str]]:
    grouped: dict[str, set[str]] = defaultdict(set)
    rows = await session.execute(
        select(PartnerSpecialization.partner_id, PartnerSpecialization.product_line).where(
            PartnerSpecialization.partner_id.in_(ids)
        )
    )
    for partner_id, line in rows.all():
        grouped[partner_id].add(line)
    return grouped


async def _open_leads(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(Lead.partner_id, func.count())
        .where(Lead.status.in_(list(OPEN)), Lead.partner_id.is_not(None))
        .group_by(Lead.partner_id)
    )
    return {partner_id: count for partner_id, count in rows.all() if partner_id}


async def _performance(
    session: AsyncSession, now: datetime
) -> dict[str, tuple[float | None, float | None, datetime | None]]:
    """Acceptance rate, median hours to accept, last offer time per partner (last 90 days)."""
    rows = await session.execute(
        select(
            LeadAssignment.partner_id,
            LeadAssignment.outcome,
            LeadAssignment.offered_at,
            LeadAssignment.outcome_at,
        ).where(LeadAssignment.offered_at > now - PERFORMANCE_WINDOW)
    )
    answered: dict[str, list[str]] = defaultdict(list)
    hours: dict[str, list[float]] = defaultdict(list)
    last: dict[str, datetime] = {}
    for partner_id, outcome, offered_at, outcome_at in rows.all():
        last[partner_id] = max(last.get(partner_id, offered_at), offered_at)
        if outcome in (Outcome.ACCEPTED, Outcome.DECLINED, Outcome.EXPIRED):
            answered[partner_id].append(outcome)
        if outcome == Outcome.ACCEPTED and outcome_at is not None:
            hours[partner_id].append((outcome_at - offered_at).total_seconds() / 3600)
    result: dict[str, tuple[float | None, float | None, datetime | None]] = {}
    for partner_id in last:
        outcomes = answered.get(partner_id, [])
        rate = outcomes.count(Outcome.ACCEPTED) / len(outcomes) if outcomes else None
        median = statistics.median(hours[partner_id]) if hours.get(partner_id) else None
        result[partner_id] = (rate, median, last[partner_id])
    return result


async def _win_rates(session: AsyncSession, now: datetime) -> dict[str, float]:
    rows = await session.execute(
        select(Lead.partner_id, Lead.status, func.count())
        .where(
            Lead.status.in_([LeadStatus.WON, LeadStatus.LOST]), Lead.updated_at > now - WIN_WINDOW
        )
        .group_by(Lead.partner_id, Lead.status)
    )
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for partner_id, status, count in rows.all():
        if partner_id:
            counts[partner_id][status] = count
    return {
        partner_id: by_status.get(LeadStatus.WON, 0) / sum(by_status.values())
        for partner_id, by_status in counts.items()
    }
