"""Tier rules and recommendations: which partners meet the next tier's rules, and which fall
below their own, with each check that decided it. Applying one is `changePartnerTier`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.analytics.periods import Period
from hub.analytics.scorecards import revenue_by_partner
from hub.db import upsert
from hub.errors import BadInput
from hub.leads.rules import LeadStatus
from hub.partners.rules import PartnerStatus, Tier
from hub.roles import Principal, require_vendor_admin, require_vendor_staff
from hub.runtime import Hub
from hub.training import compliance
from hub.training.compliance import TIERS, TierStatus
from storage.models import Lead, Partner
from storage.models.analytics import TierRule

MAX_REVENUE_MINOR = 2**53 - 1


class Direction(StrEnum):
    PROMOTE = "PROMOTE"
    DEMOTE = "DEMOTE"


class Check(StrEnum):
    REVENUE = "REVENUE"
    WIN_RATE = "WIN_RATE"
    CERTIFIED_USERS = "CERTIFIED_USERS"


@dataclass(frozen=True)
class RuleInput:
    tier: Tier
    min_revenue_minor: int = 0
    min_win_rate_bp: int | None = None


@dataclass(frozen=True)
class Reason:
    """One check against a tier: what it asks, what the partner has, whether it holds."""

    check: Check
    required: int
    actual: int | None
    met: bool
    product_line: str | None = None


@dataclass(frozen=True)
class Recommendation:
    partner: Partner
    direction: Direction
    tier: Tier
    reasons: list[Reason]


async def rules(hub: Hub, *, principal: Principal) -> list[TierRule]:
    """Every tier's rule, lowest tier first (vendor staff)."""
    require_vendor_staff(principal)
    async with hub.read() as session:
        found = {row.tier: row for row in (await session.execute(select(TierRule))).scalars()}
    return [found[tier] for tier in TIERS if tier in found]


async def set_rule(hub: Hub, *, principal: Principal, data: RuleInput) -> TierRule:
    """Set what a tier asks of revenue and win rate (vendor admins)."""
    require_vendor_admin(principal)
    if not 0 <= data.min_revenue_minor <= MAX_REVENUE_MINOR:
        raise BadInput("minRevenueMinor must be 0 or more", field="minRevenueMinor")
    if data.min_win_rate_bp is not None and not 0 <= data.min_win_rate_bp <= 10_000:
        raise BadInput(
            "minWinRateBasisPoints must be between 0 and 10000", field="minWinRateBasisPoints"
        )
    values = {
        "tier": data.tier.value,
        "min_revenue_minor": data.min_revenue_minor,
        "min_win_rate_bp": data.min_win_rate_bp,
        "updated_at": hub.clock.now(),
    }
    async with hub.write() as session:
        statement = upsert(session, TierRule.__table__)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["tier"],
                set_={name: statement.excluded[name] for name in values if name != "tier"},
            ),
            values,
        )
        return await session.get_one(TierRule, data.tier.value, populate_existing=True)


async def recommendations(
    hub: Hub, *, principal: Principal, period: Period
) -> list[Recommendation]:
    """ACTIVE partners that meet every rule of the next tier (one that has rules), and those
    below a rule of their own, by name (vendor staff)."""
    require_vendor_staff(principal)
    async with hub.read() as session:
        partners = list(
            (
                await session.execute(
                    select(Partner)
                    .where(Partner.status == PartnerStatus.ACTIVE)
                    .order_by(Partner.name, Partner.id)
                )
            ).scalars()
        )
        tier_rules = {row.tier: row for row in (await session.execute(select(TierRule))).scalars()}
        revenue = dict((await session.execute(revenue_by_partner(period))).tuples().all())
        win_rates = await _win_rates(session, period)
    standing = await compliance.compliance_by_partner(
        hub, principal=principal, keys=[(partner.id, partner.tier) for partner in partners]
    )
    found = []
    for partner, certified in zip(partners, standing, strict=True):
        assert certified is not None  # vendor staff see every partner's
        facts = (int(revenue.get(partner.id) or 0), win_rates.get(partner.id))
        if certified.next is not None and _has_rules(tier_rules, certified.next):
            upward = _checks(tier_rules.get(certified.next.tier), certified.next, *facts)
            if all(reason.met for reason in upward):
                found.append(
                    Recommendation(partner, Direction.PROMOTE, certified.next.tier, upward)
                )
                continue
        rank = TIERS.index(Tier(partner.tier))
        own = _checks(tier_rules.get(partner.tier), certified.current, *facts)
        if rank > 0 and not all(reason.met for reason in own):
            found.append(Recommendation(partner, Direction.DEMOTE, TIERS[rank - 1], own))
    return found


def _has_rules(tier_rules: dict[str, TierRule], status: TierStatus) -> bool:
    return status.tier in tier_rules or bool(status.requirements)


def _checks(
    rule: TierRule | None, certified: TierStatus, revenue: int, win_rate: int | None
) -> list[Reason]:
    reasons = []
    if rule is not None:
        reasons.append(
            Reason(
                Check.REVENUE, rule.min_revenue_minor, revenue, revenue >= rule.min_revenue_minor
            )
        )
        if rule.min_win_rate_bp is not None:
            met = win_rate is not None and win_rate >= rule.min_win_rate_bp
            reasons.append(Reason(Check.WIN_RATE, rule.min_win_rate_bp, win_rate, met))
    reasons += [
        Reason(Check.CERTIFIED_USERS, item.required, item.current, item.met, item.product_line)
        for item in certified.requirements
    ]
    return reasons


async def _win_rates(session: AsyncSession, period: Period) -> dict[str, int]:
    """Per partner: won of the leads it holds that were closed (WON or LOST) in the period,
    by their last change, in basis points."""
    won = func.sum(case((Lead.status == LeadStatus.WON, 1), else_=0))
    rows = await session.execute(
        select(Lead.partner_id, won, func.count())
        .where(
            Lead.partner_id.is_not(None),
            Lead.status.in_([LeadStatus.WON, LeadStatus.LOST]),
            Lead.updated_at >= period.starts_at,
            Lead.updated_at < period.ends_at,
        )
        .group_by(Lead.partner_id)
    )
    return {str(partner): round(int(wins) * 10_000 / total) for partner, wins, total in rows}
