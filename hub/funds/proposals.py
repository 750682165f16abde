"""Proposed allocations: a budget spread over ACTIVE partners by their revenue share, their
tier or their revenue growth (from the revenue rollups behind the 80/20 view), for vendor
staff to adjust and confirm with `budgets.allocate_many`. A proposal writes nothing.

The spread is exact: the proposed amounts add up to the amount spread, to the minor unit
(largest remainders, ties to the lower partner id), and no partner is proposed less than its
approved requests already reserve. Partners the proposal leaves out keep their allocation,
so by default the proposal spreads what those leave of the budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.analytics import periods, rollups
from hub.analytics.concentration import concentration
from hub.analytics.periods import Period
from hub.analytics.scorecards import revenue_by_partner
from hub.errors import BadInput, Conflict, NotFound
from hub.funds import rules
from hub.funds.rules import BudgetStatus
from hub.partners.rules import PartnerStatus, Tier
from hub.roles import Principal, require_vendor_staff
from hub.runtime import Hub
from storage.models import Partner
from storage.models.funds import FundAllocation, FundBudget

CORE_THRESHOLD_BP = 8_000
DEFAULT_TIER_WEIGHTS: Mapping[Tier, int] = {
    Tier.REGISTERED: 1,
    Tier.SILVER: 2,
    Tier.GOLD: 4,
    Tier.PLATINUM: 8,
}
MAX_TIER_WEIGHT = 1_000


class Basis(StrEnum):
    REVENUE_SHARE = "REVENUE_SHARE"
    TIER = "TIER"
    GROWTH = "GROWTH"


@dataclass(frozen=True)
class Rule:
    basis: Basis
    # The revenue period of REVENUE_SHARE and GROWTH (growth is over the period before it);
    # None: the 365 days before the budget starts.
    period: Period | None = None
    # What to spread; None: the budget less what partners left out keep.
    amount_minor: int | None = None
    currency: str | None = None
    tier_weights: Mapping[Tier, int] | None = None
    # Only the partners that bring 80% of the period's revenue (REVENUE_SHARE and GROWTH).
    core_only: bool = False
    # At most this many partners, the heaviest first (ties to the lower partner id).
    top: int | None = None


@dataclass(frozen=True)
class Line:
    partner_id: str
    tier: str
    # Reporting minor units of revenue or growth, or the tier's weight.
    weight: int
    share_bp: int
    amount_minor: int
    current_minor: int
    reserved_minor: int


@dataclass(frozen=True)
class Proposal:
    budget: FundBudget
    basis: Basis
    period: Period | None
    reporting_currency: str | None
    amount_minor: int
    # What partners left out of the proposal keep of their allocations.
    kept_minor: int
    lines: list[Line]


async def propose(hub: Hub, *, principal: Principal, budget_id: str, rule: Rule) -> Proposal:
    """Spread a budget over partners by the rule, for vendor staff to adjust and confirm."""
    require_vendor_staff(principal)
    weights = _tier_weights(rule)
    if rule.top is not None and not 1 <= rule.top <= 100_000:
        raise BadInput("top is from 1 to 100000 partners", field="rule.top")
    if rule.core_only and rule.basis is Basis.TIER:
        raise BadInput("coreOnly goes with a revenue basis, not TIER", field="rule.coreOnly")
    async with hub.read() as session:
        budget = await session.get(FundBudget, budget_id)
        if budget is None:
            raise NotFound("no such fund budget", field="budgetId")
        if budget.status != BudgetStatus.OPEN:
            raise Conflict("this budget is closed", field="budgetId")
        active = select(Partner.id, Partner.tier).where(Partner.status == PartnerStatus.ACTIVE)
        partners: dict[str, str] = {
            str(id_): str(tier) for id_, tier in await session.execute(active)
        }
        current = {
            row.partner_id: (row.amount_minor, row.reserved_minor)
            for row in await session.scalars(
                select(FundAllocation).where(FundAllocation.budget_id == budget.id)
            )
        }
        period = None
        currency = None
        if rule.basis is Basis.TIER:
            scores = {id_: weights[Tier(tier)] for id_, tier in partners.items()}
        else:
            period = rule.period or periods.days(
                budget.starts_on - timedelta(days=365), budget.starts_on
            )
            revenue = await _revenue(session, period)
            if rule.basis is Basis.GROWTH:
                before = await _revenue(session, period.previous())
                scores = {id_: revenue.get(id_, 0) - before.get(id_, 0) for id_ in partners}
            else:
                scores = {id_: revenue.get(id_, 0) for id_ in partners}
            if rule.core_only:
                core = set(
                    concentration(sorted(revenue.items()), threshold_bp=CORE_THRESHOLD_BP).core
                )
                scores = {id_: score for id_, score in scores.items() if id_ in core}
            currency = await rollups.reporting_currency(session)
    chosen = sorted(
        ((id_, score) for id_, score in scores.items() if score > 0 and id_ in partners),
        key=lambda item: (-item[1], item[0]),
    )[: rule.top]
    names = {id_ for id_, _ in chosen}
    kept = sum(amount for id_, (amount, _) in current.items() if id_ not in names)
    amount = _amount(rule, budget, kept)
    reserved = {id_: current.get(id_, (0, 0))[1] for id_ in names}
    if sum(reserved.values()) > amount:
        raise Conflict(
            f"approved requests of these partners reserve {sum(reserved.values())} minor "
            f"units, more than the {amount} spread",
            field="rule.amount.amountMinor",
        )
    spread = spread_exactly(amount, dict(chosen), floors=reserved)
    total = sum(score for _, score in chosen)
    lines = [
        Line(
            partner_id=id_,
            tier=partners[id_],
            weight=score,
            share_bp=score * 10_000 // total,
            amount_minor=spread[id_],
            current_minor=current.get(id_, (0, 0))[0],
            reserved_minor=reserved[id_],
        )
        for id_, score in chosen
    ]
    return Proposal(budget, rule.basis, period, currency, amount, kept, lines)


def spread_exactly(
    amount: int, weights: Mapping[str, int], *, floors: Mapping[str, int]
) -> dict[str, int]:
    """`amount` split in proportion to the weights, to the minor unit, each key getting at
    least its floor: keys whose share falls below their floor get the floor and the rest is
    spread over the others again."""
    if not weights:
        return {}
    fixed: dict[str, int] = {}
    while True:
        free = {key: weight for key, weight in weights.items() if key not in fixed}
        shares = _largest_remainders(amount - sum(fixed.values()), free)
        short = {key for key, share in shares.items() if share < floors.get(key, 0)}
        if not short:
            return {**fixed, **shares}
        fixed.update({key: floors[key] for key in short})


def _largest_remainders(amount: int, weights: Mapping[str, int]) -> dict[str, int]:
    total = sum(weights.values())
    if amount <= 0 or total <= 0:
        return dict.fromkeys(weights, 0)
    shares = {key: amount * weight // total for key, weight in weights.items()}
    left = amount - sum(shares.values())
    by_remainder = sorted(weights, key=lambda key: (-(amount * weights[key] % total), key))
    for key in by_remainder[:left]:
        shares[key] += 1
    return shares


async def _revenue(session: AsyncSession, period: Period) -> dict[str, int]:
    """Each partner's delivered revenue net of returns in the period, in reporting minor units."""
    return {
        str(partner_id): int(minor or 0)
        for partner_id, minor in await session.execute(revenue_by_partner(period))
    }


def _tier_weights(rule: Rule) -> Mapping[Tier, int]:
    if rule.tier_weights is None:
        return DEFAULT_TIER_WEIGHTS
    if rule.basis is not Basis.TIER:
        raise BadInput("tierWeights go with the TIER basis", field="rule.tierWeights")
    for tier, weight in rule.tier_weights.items():
        if not 0 <= weight <= MAX_TIER_WEIGHT:
            raise BadInput(
                f"a tier's weight is from 0 to {MAX_TIER_WEIGHT}; {tier} has {weight}",
                field="rule.tierWeights",
            )
    return {tier: rule.tier_weights.get(tier, 0) for tier in Tier}


def _amount(rule: Rule, budget: FundBudget, kept: int) -> int:
    left = budget.amount_minor - kept
    if rule.amount_minor is None:
        return max(left, 0)
    amount, code = rules.money(
        rule.amount_minor, rule.currency or budget.currency, field="rule.amount"
    )
    rules.same_currency(code, budget.currency, field="rule.amount.currency")
    if amount > left:
        raise Conflict(
            f"at most {left} minor units can be spread: partners outside the proposal keep "
            f"{kept} of the budget's {budget.amount_minor}",
            field="rule.amount.amountMinor",
        )
    return amount
