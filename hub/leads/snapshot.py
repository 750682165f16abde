"""Load what routing needs from the database: the partner index, a lead's history, its owner."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import LockSpace
from hub.leads.outcomes import Outcomes, routed_outcomes
from hub.leads.policy import LeadSettings
from hub.leads.rules import OPEN, LeadStatus, Outcome
from hub.routing import Area, Candidate, Exclusion, RoutingIndex, Strategy, Weights
from hub.runtime import Hub
from hub.settings import Settings
from hub.training import certifications
from storage import changes
from storage.models import (
    Certification,
    CertificationDefinition,
    DealRegistration,
    Lead,
    LeadAssignment,
    Partner,
    PartnerSpecialization,
    Territory,
    User,
)

ROUTED_STATUSES = ("ONBOARDING", "ACTIVE", "SUSPENDED")
PERFORMANCE_WINDOW = timedelta(days=90)
# A customer's identities are locked while a transaction decides who owns it: two partners
# are never both given one customer, whatever runs at the same moment.
CUSTOMERS = LockSpace(0x4355)
WIN_WINDOW = timedelta(days=365)
NO_OUTCOMES = Outcomes(None, 0)


@dataclass(frozen=True)
class _Built:
    """A routing index as built, and until when it holds."""

    index: RoutingIndex
    generation: int
    weights: Weights
    built_at: datetime
    # The earliest of: built_at + ROUTING_STATS_SECONDS, the first certification to lapse.
    valid_until: datetime


CACHE = "hub.leads.snapshot"
# A partner entering or leaving routing, moving, changing capacity or tier, gaining or losing
# a specialization, territory or certification (or the user holding it) bumps this counter.
ROUTING = changes.watch(
    "routing",
    {
        "partners": {"name", "tier", "status", "country", "latitude", "longitude", "lead_capacity"},
        "territories": None,
        "partner_specializations": None,
        "certifications": {
            "user_id",
            "organization_id",
            "definition_id",
            "expires_at",
            "revoked_at",
        },
        "certification_definitions": {"product_line"},
        "users": {"active", "organization_id"},
    },
)


async def load_index(
    hub: Hub, session: AsyncSession, settings: LeadSettings, now: datetime
) -> RoutingIndex:
    """The routing index of every partner that could be offered leads, for this transaction.

    The partners, their areas, lines, certifications and performance are kept per process
    and rebuilt when the routing counter moved (a committed change to them, from any
    process), when the weights changed, when a certification lapses, and every
    ROUTING_STATS_SECONDS for the acceptance and win rates and the outcomes of routed leads
    (with the exchange rates they are converted at). Open leads per partner (and, for round
    robin, the last offer) are read for every call: the returned view is the caller's own,
    to move as it offers leads.
    """
    generation = await ROUTING.value(session)
    built: _Built | None = hub.caches.get(CACHE)
    if (
        built is None
        or built.generation != generation
        or built.weights != settings.weights
        or not built.built_at <= now < built.valid_until
        or ROUTING.name in changes.changed_in(session)
    ):
        built = await _build(session, settings.weights, now, generation, hub.settings)
        if ROUTING.name not in changes.changed_in(session):
            # What this transaction changed itself is not committed: never cache it.
            hub.caches[CACHE] = built
    open_leads = await _open_leads(session)
    last_offered = (
        await _last_offered(session, now) if settings.strategy is Strategy.ROUND_ROBIN else None
    )
    return built.index.with_load(open_leads, last_offered)


async def _build(
    session: AsyncSession, weights: Weights, now: datetime, generation: int, config: Settings
) -> _Built:
    partners = (
        await session.execute(
            select(
                Partner.id,
                Partner.name,
                Partner.tier,
                Partner.status,
                Partner.country,
                Partner.latitude,
                Partner.longitude,
                Partner.lead_capacity,
            ).where(Partner.status.in_(ROUTED_STATUSES))
        )
    ).all()
    areas = await _areas(session)
    lines = await _lines(session)
    performance = await _performance(session, now)
    wins = await _win_rates(session, now)
    outcomes = await routed_outcomes(session, now)
    certified, lapses = await _certified(session, now)
    missing = (None, None, None)
    candidates = [
        Candidate(
            id=id_,
            name=name,
            tier=tier,
            status=status,
            country=country,
            latitude=latitude,
            longitude=longitude,
            specializations=frozenset(lines.get(id_, ())),
            areas=tuple(areas.get(id_, ())),
            capacity=capacity,
            acceptance_rate=performance.get(id_, missing)[0],
            median_hours_to_accept=performance.get(id_, missing)[1],
            last_offered_at=performance.get(id_, missing)[2],
            win_rate=wins.get(id_),
            routed_win_rate=outcomes.get(id_, NO_OUTCOMES).win_rate,
            routed_won_minor=outcomes.get(id_, NO_OUTCOMES).won_minor,
            certified_lines=frozenset(certified.get(id_, ())),
        )
        for id_, name, tier, status, country, latitude, longitude, capacity in partners
    ]
    stats_until = now + timedelta(seconds=config.routing_stats_seconds)
    return _Built(
        RoutingIndex(candidates, weights),
        generation,
        weights,
        now,
        min(stats_until, lapses) if lapses is not None else stats_until,
    )


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


async def _areas(session: AsyncSession) -> dict[str, list[Area]]:
    grouped: dict[str, list[Area]] = defaultdict(list)
    rows = await session.execute(
        select(
            Territory.partner_id,
            Territory.countries,
            Territory.regions,
            Territory.postal_prefixes,
        ).order_by(Territory.partner_id, Territory.position, Territory.id)
    )
    for partner_id, countries, regions, postal_prefixes in rows.all():
        grouped[partner_id].append(
            Area(frozenset(countries), frozenset(regions), frozenset(postal_prefixes))
        )
    return grouped


async def _lines(session: AsyncSession) -> dict[str, set[str]]:
    grouped: dict[str, set[str]] = defaultdict(set)
    rows = await session.execute(
        select(PartnerSpecialization.partner_id, PartnerSpecialization.product_line)
    )
    for partner_id, line in rows.all():
        grouped[partner_id].add(line)
    return grouped


async def _certified(
    session: AsyncSession, now: datetime
) -> tuple[dict[str, set[str]], datetime | None]:
    """Product lines each partner has an active user validly certified for, and the first
    moment one of them lapses (when the last certificate for it expires)."""
    rows = await session.execute(
        select(
            Certification.organization_id,
            CertificationDefinition.product_line,
            func.max(Certification.expires_at),
        )
        .join(CertificationDefinition, CertificationDefinition.id == Certification.definition_id)
        .join(User, User.id == Certification.user_id)
        .where(certifications.valid(now), User.active.is_(True))
        .group_by(Certification.organization_id, CertificationDefinition.product_line)
    )
    lines: dict[str, set[str]] = defaultdict(set)
    lapses: datetime | None = None
    for organization_id, line, expires_at in rows.all():
        lines[organization_id].add(line)
        lapses = expires_at if lapses is None else min(lapses, expires_at)
    return lines, lapses


async def _open_leads(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(Lead.partner_id, func.count())
        .where(Lead.status.in_(list(OPEN)), Lead.partner_id.is_not(None))
        .group_by(Lead.partner_id)
    )
    return {partner_id: count for partner_id, count in rows.all() if partner_id}


async def _last_offered(session: AsyncSession, now: datetime) -> dict[str, datetime | None]:
    """When each partner was last offered a lead (last 90 days), for round robin."""
    rows = await session.execute(
        select(LeadAssignment.partner_id, func.max(LeadAssignment.offered_at))
        .where(LeadAssignment.offered_at > now - PERFORMANCE_WINDOW)
        .group_by(LeadAssignment.partner_id)
    )
    return dict(rows.tuples().all())


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
