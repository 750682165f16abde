"""Incentive programs: states, rules, inputs and what a rule pays on a measure.

A rule measures, per partner over its program's period, one of: the net delivered revenue
of a product line (or all) in the program's currency (REVENUE_SHARE, paid in basis points
of it), the net delivered units (PER_UNIT, an amount per unit) or the won deals (SPIFF, an
amount per deal). Net means delivered less returned: an order counts in the program whose
period holds the day it was delivered, and its return claws back there. A rule pays
nothing below its threshold (in the measure's unit); past `acceleratorFrom` the part above
it pays `acceleratedRate` instead. Revenue shares are rounded once, half to even, to the
currency's minor unit, on the partner's total for the rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from sqlalchemy import ColumnElement, true

from hub import validation
from hub.errors import BadInput
from hub.partners.directory import InChannel
from hub.partners.rules import Tier
from hub.roles import Principal
from storage.models.incentives import IncentiveBalance, IncentiveProgram

TOPIC = "incentive"
MAX_RULES = 50
MAX_PROGRAM_DAYS = 366 + 365
MAX_BASIS_POINTS = 10_000  # a rule pays at most the revenue it measures
MAX_AMOUNT = 10**12


class ProgramStatus(StrEnum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    CLOSED = "CLOSED"


class RuleKind(StrEnum):
    REVENUE_SHARE = "REVENUE_SHARE"
    PER_UNIT = "PER_UNIT"
    SPIFF = "SPIFF"


class AccrualCause(StrEnum):
    ORDER_DELIVERED = "ORDER_DELIVERED"
    ORDER_RETURNED = "ORDER_RETURNED"
    DEAL_WON = "DEAL_WON"
    RECOMPUTED = "RECOMPUTED"


class IncentiveEventType(StrEnum):
    INCENTIVE_ACCRUED = "INCENTIVE_ACCRUED"
    INCENTIVE_PAID = "INCENTIVE_PAID"


@dataclass(frozen=True)
class RuleInput:
    kind: RuleKind
    rate: int
    product_line: str | None = None
    tier: Tier | None = None
    threshold: int = 0
    accelerator_from: int | None = None
    accelerated_rate: int | None = None


@dataclass(frozen=True)
class ProgramInput:
    name: str
    starts_on: date
    ends_on: date
    currency: str
    rules: Sequence[RuleInput]
    description: str = ""


@dataclass(frozen=True)
class ProgramChanges:
    name: str | None = None
    description: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    rules: Sequence[RuleInput] | None = None


@dataclass(frozen=True)
class ProgramFilter:
    statuses: Sequence[ProgramStatus] = field(default_factory=tuple)
    running_on: date | None = None


# Where a program may go from each state.
MOVES = {
    ProgramStatus.DRAFT: {ProgramStatus.ACTIVE},
    ProgramStatus.ACTIVE: {ProgramStatus.CLOSED},
    ProgramStatus.CLOSED: set[ProgramStatus](),
}


def program_visible(principal: Principal) -> ColumnElement[bool]:
    """Vendor-side accounts see every program; partners the active and closed ones."""
    if principal.is_vendor:
        return true()
    return IncentiveProgram.status != ProgramStatus.DRAFT


def balance_visible(principal: Principal) -> ColumnElement[bool]:
    """Vendor-side accounts see every partner's earnings; a partner its channel's."""
    if principal.is_vendor:
        return true()
    return InChannel(IncentiveBalance.partner_id, principal.organization_id)


def name(value: str) -> str:
    return validation.text(value, field="input.name", max_length=200)


def description(value: str) -> str:
    return validation.text(value, field="input.description", max_length=20_000, required=False)


def period(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise BadInput("a program cannot end before it starts", field="input.endsOn")
    if (ends_on - starts_on).days > MAX_PROGRAM_DAYS:
        raise BadInput("a program runs for at most two years", field="input.endsOn")


def checked_rules(rules: Sequence[RuleInput]) -> list[RuleInput]:
    """Rules a program may have: at least one, each with rates and thresholds that make
    sense for its kind (product lines are checked against the catalog by the caller)."""
    if not rules:
        raise BadInput("a program needs at least one rule", field="input.rules")
    validation.at_most(rules, MAX_RULES, field="input.rules", what="rules in a program")
    for index, rule in enumerate(rules):
        at = f"input.rules.{index}"
        most = MAX_BASIS_POINTS if rule.kind is RuleKind.REVENUE_SHARE else MAX_AMOUNT
        unit = "basis points" if rule.kind is RuleKind.REVENUE_SHARE else "minor units"
        for value, name_ in [(rule.rate, "rate"), (rule.accelerated_rate, "acceleratedRate")]:
            if value is not None and not 0 <= value <= most:
                raise BadInput(f"{name_} is from 0 to {most} {unit}", field=f"{at}.{name_}")
        if not 0 <= rule.threshold <= MAX_AMOUNT * 1000:
            raise BadInput("a threshold is 0 or more", field=f"{at}.threshold")
        if (rule.accelerator_from is None) != (rule.accelerated_rate is None):
            raise BadInput(
                "an accelerator needs both acceleratorFrom and acceleratedRate",
                field=f"{at}.acceleratorFrom",
            )
        if rule.accelerator_from is not None and not (
            max(rule.threshold, 1) <= rule.accelerator_from <= MAX_AMOUNT * 1000
        ):
            raise BadInput(
                "acceleratorFrom is above 0 and not below the threshold",
                field=f"{at}.acceleratorFrom",
            )
    return list(rules)


@dataclass(frozen=True)
class Rule:
    """A stored rule, as the calculation reads it."""

    id: str
    kind: RuleKind
    rate: int
    product_line: str | None
    tier: str | None
    threshold: int
    accelerator_from: int | None
    accelerated_rate: int | None

    def applies_to(self, tier: str) -> bool:
        return self.tier is None or self.tier == tier


def earned(rule: Rule, measure: int) -> int:
    """What a rule pays on a partner's measure: nothing below the threshold or for a net
    loss; past the accelerator the part above pays the accelerated rate."""
    if measure <= 0 or measure < rule.threshold:
        return 0
    cut = measure if rule.accelerator_from is None else min(measure, rule.accelerator_from)
    total = rule.rate * cut + (rule.accelerated_rate or 0) * (measure - cut)
    if rule.kind is not RuleKind.REVENUE_SHARE:
        return total
    return int((Decimal(total) / MAX_BASIS_POINTS).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
