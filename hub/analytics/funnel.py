"""The lead funnel: what became of the leads created in a period, by group, and the coverage
gaps (leads routing found no partner for, with the reasons it gave).

Read from the leads of the period and their offers (and, by territory, the territories of the
partners they belong to): a fixed number of statements whatever the number of leads.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.analytics.periods import Period
from hub.leads.rules import LeadStatus, Outcome
from hub.roles import Principal
from hub.routing import Area, LeadSpec
from hub.runtime import Hub
from storage.models import Lead, LeadAssignment, Partner, Territory

WORKED = frozenset({LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.WON, LeadStatus.LOST})
# A lead routing found no partner for, without any exclusion to tell why.
NOBODY_COVERS = "NO_PARTNER_COVERS_IT"
NO_PARTNER = "(none)"
NO_TERRITORY = "(no territory)"


class FunnelGroup(StrEnum):
    SOURCE = "SOURCE"
    PARTNER = "PARTNER"
    TIER = "TIER"
    COUNTRY = "COUNTRY"
    PRODUCT_LINE = "PRODUCT_LINE"
    TERRITORY = "TERRITORY"


@dataclass
class Step:
    """One group's funnel."""

    key: str
    created: int = 0
    routed: int = 0
    offers: int = 0
    accepted: int = 0
    worked: int = 0
    won: int = 0
    lost: int = 0
    unassignable: int = 0
    to_first_offer: list[float] = field(default_factory=list)
    to_accept: list[float] = field(default_factory=list)

    @property
    def median_seconds_to_first_offer(self) -> int | None:
        return round(statistics.median(self.to_first_offer)) if self.to_first_offer else None

    @property
    def median_seconds_to_accept(self) -> int | None:
        return round(statistics.median(self.to_accept)) if self.to_accept else None


class LeadRow(NamedTuple):
    id: str
    status: str
    source: str
    country: str
    product_line: str
    partner_id: str | None
    created_at: datetime
    routing: dict[str, Any] | None
    region: str | None
    postal_code: str | None

    def seen_from(self, channel: set[str]) -> LeadRow:
        """The lead as a partner's funnel counts it: its status only while its channel holds
        it, never the routing of others."""
        if self.partner_id in channel:
            return self._replace(routing=None)
        return self._replace(partner_id=None, status="", routing=None)


LEAD_COLUMNS = (
    Lead.id,
    Lead.status,
    Lead.source,
    Lead.country,
    Lead.product_line,
    Lead.partner_id,
    Lead.created_at,
    Lead.routing,
    Lead.region,
    Lead.postal_code,
)
# A partner's home country and its territories (name and area) in the order it gave them.
Territories = dict[str, tuple[str, list[tuple[str, Area]]]]


@dataclass(frozen=True)
class Gap:
    """Leads of one country and product line that routing found no partner for."""

    country: str
    product_line: str
    leads: int
    reasons: list[tuple[str, int]]


@dataclass(frozen=True)
class Funnel:
    period: Period
    group_by: FunnelGroup
    total: Step
    groups: list[Step]
    gaps: list[Gap]


async def lead_funnel(
    hub: Hub, *, principal: Principal, period: Period, group_by: FunnelGroup
) -> Funnel:
    """The funnel of the leads created in the period, by group: for vendor-side accounts all
    of them with the coverage gaps; for a partner the leads offered to it (a distributor: to
    its channel), counting only its channel's offers and what became of the leads it holds."""
    async with hub.read() as session:
        channel = None if principal.is_vendor else await _channel(session, principal)
        statement = select(*LEAD_COLUMNS).where(
            Lead.created_at >= period.starts_at, Lead.created_at < period.ends_at
        )
        if channel is not None:
            offered = select(LeadAssignment.lead_id).where(
                LeadAssignment.partner_id.in_(sorted(channel))
            )
            statement = statement.where(Lead.id.in_(offered))
        leads = [LeadRow(*row) for row in (await session.execute(statement)).all()]
        offers = await _offers(session, [lead.id for lead in leads])
        if channel is not None:
            leads = [lead.seen_from(channel) for lead in leads]
            offers = {
                lead: [offer for offer in found if offer[0] in channel]
                for lead, found in offers.items()
            }
        tiers = await _tiers(session, {offer[0] for found in offers.values() for offer in found})
        territories: Territories = {}
        if group_by is FunnelGroup.TERRITORY:
            territories = await _territories(session, leads, offers)
    groups: dict[str, Step] = {}
    total = Step("")
    gaps: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    gap_leads: Counter[tuple[str, str]] = Counter()
    for lead in leads:
        mine = offers.get(lead.id, [])
        key = _key(group_by, lead, mine, tiers, territories)
        for step in (total, groups.setdefault(key, Step(key))):
            _count(step, lead, mine)
        if channel is None and lead.status == LeadStatus.UNASSIGNABLE:
            gaps[(lead.country, lead.product_line)].update(_reasons(lead.routing))
            gap_leads[(lead.country, lead.product_line)] += 1
    return Funnel(
        period,
        group_by,
        total,
        sorted(groups.values(), key=lambda step: (-step.created, step.key)),
        [
            Gap(country, line, gap_leads[(country, line)], _by_count(reasons))
            for (country, line), reasons in sorted(gaps.items())
        ],
    )


def _by_count(reasons: Counter[str]) -> list[tuple[str, int]]:
    return sorted(reasons.items(), key=lambda item: (-item[1], item[0]))


def _count(step: Step, lead: Any, offers: list[tuple[str, str, Any, Any]]) -> None:
    step.created += 1
    step.offers += len(offers)
    if offers:
        step.routed += 1
        first = min(offered_at for _, _, offered_at, _ in offers)
        step.to_first_offer.append((first - lead.created_at).total_seconds())
    accepted = [offer for offer in offers if offer[1] == Outcome.ACCEPTED]
    if accepted:
        step.accepted += 1
        _, _, offered_at, outcome_at = accepted[-1]
        step.to_accept.append((outcome_at - offered_at).total_seconds())
        step.worked += lead.status in WORKED
    step.won += lead.status == LeadStatus.WON
    step.lost += lead.status == LeadStatus.LOST
    step.unassignable += lead.status == LeadStatus.UNASSIGNABLE


def _key(
    group_by: FunnelGroup,
    lead: Any,
    offers: list[tuple[str, str, Any, Any]],
    tiers: dict[str, str],
    territories: Territories,
) -> str:
    if group_by is FunnelGroup.SOURCE:
        return str(lead.source)
    if group_by is FunnelGroup.COUNTRY:
        return str(lead.country)
    if group_by is FunnelGroup.PRODUCT_LINE:
        return str(lead.product_line)
    partner = _partner(lead, offers)
    if group_by is FunnelGroup.TERRITORY:
        return _territory(lead, partner, territories)
    if partner is None:
        return NO_PARTNER
    return partner if group_by is FunnelGroup.PARTNER else tiers.get(partner, NO_PARTNER)


def _partner(lead: LeadRow, offers: list[tuple[str, str, Any, Any]]) -> str | None:
    """The partner that holds the lead, or else the last one it was offered to."""
    return lead.partner_id or (offers[-1][0] if offers else None)


def _territory(lead: LeadRow, partner: str | None, territories: Territories) -> str:
    """`partner id / territory name` of the partner's territory that covers the lead most
    closely (postal prefix, the longest first, then region, then country; ties to the one the
    partner gave first), or (no territory)."""
    home, areas = territories.get(partner or "", ("", []))
    spec = LeadSpec(lead.country, lead.product_line, lead.region, lead.postal_code)
    reach, name = max(
        ((area.reach(spec, home), name) for name, area in areas),
        default=((0, 0), ""),
        key=lambda found: found[0],
    )
    return f"{partner} / {name}" if reach[0] else NO_TERRITORY


def _reasons(routing: dict[str, Any] | None) -> Iterable[str]:
    excluded = (routing or {}).get("excluded") or []
    reasons = {item.get("reason") for item in excluded if isinstance(item, dict)}
    return sorted(str(reason) for reason in reasons if reason) or [NOBODY_COVERS]


async def _channel(session: AsyncSession, principal: Principal) -> set[str]:
    own = principal.organization_id
    rows = await session.execute(
        select(Partner.id).where((Partner.id == own) | (Partner.parent_id == own))
    )
    return {str(row[0]) for row in rows} | {own}


async def _offers(
    session: AsyncSession, lead_ids: list[str]
) -> dict[str, list[tuple[str, str, Any, Any]]]:
    found: dict[str, list[tuple[str, str, Any, Any]]] = defaultdict(list)
    for start in range(0, len(lead_ids), 5_000):
        rows = await session.execute(
            select(
                LeadAssignment.lead_id,
                LeadAssignment.partner_id,
                LeadAssignment.outcome,
                LeadAssignment.offered_at,
                LeadAssignment.outcome_at,
            )
            .where(LeadAssignment.lead_id.in_(lead_ids[start : start + 5_000]))
            .order_by(LeadAssignment.id)
        )
        for lead_id, partner_id, outcome, offered_at, outcome_at in rows:
            found[lead_id].append((partner_id, outcome, offered_at, outcome_at))
    return found


async def _tiers(session: AsyncSession, partner_ids: set[str]) -> dict[str, str]:
    if not partner_ids:
        return {}
    rows = await session.execute(
        select(Partner.id, Partner.tier).where(Partner.id.in_(sorted(partner_ids)))
    )
    return {str(row[0]): str(row[1]) for row in rows}


async def _territories(
    session: AsyncSession, leads: list[LeadRow], offers: dict[str, list[tuple[str, str, Any, Any]]]
) -> Territories:
    """The territories of the partners the leads belong to, with their home countries."""
    held = {_partner(lead, offers.get(lead.id, [])) for lead in leads}
    partner_ids = {partner for partner in held if partner is not None}
    found: Territories = {}
    if not partner_ids:
        return found
    rows = await session.execute(
        select(
            Territory.partner_id,
            Partner.country,
            Territory.name,
            Territory.countries,
            Territory.regions,
            Territory.postal_prefixes,
        )
        .join(Partner, Partner.id == Territory.partner_id)
        .where(Territory.partner_id.in_(sorted(partner_ids)))
        .order_by(Territory.partner_id, Territory.position, Territory.id)
    )
    for partner_id, home, name, countries, regions, postal in rows.all():
        area = Area(frozenset(countries), frozenset(regions), frozenset(postal))
        found.setdefault(partner_id, (home, []))[1].append((name, area))
    return found
