"""Opportunity stages, statuses and the checks on what partners and vendor staff enter."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from hub import validation
from hub.errors import BadInput

MAX_STAGES = 20
# The furthest an expected close date may lie from today, either way.
CLOSE_HORIZON = timedelta(days=366 * 5)
MAX_MINOR = 2**53 - 1


class OpportunityStatus(StrEnum):
    OPEN = "OPEN"
    WON = "WON"
    LOST = "LOST"
    # The lead was recycled, or the registration's protection lapsed, while it was open.
    WITHDRAWN = "WITHDRAWN"


class ChangeKind(StrEnum):
    OPENED = "OPENED"
    STAGE = "STAGE"
    UPDATED = "UPDATED"
    CLOSED = "CLOSED"


@dataclass(frozen=True)
class StageInput:
    key: str
    name: str
    probability_percent: int


# The stages in use until the vendor sets its own.
DEFAULT_STAGES = (
    StageInput("PROSPECTING", "Prospecting", 10),
    StageInput("QUALIFICATION", "Qualification", 25),
    StageInput("PROPOSAL", "Proposal", 50),
    StageInput("NEGOTIATION", "Negotiation", 75),
)


@dataclass(frozen=True)
class OpportunityChanges:
    """What a partner or vendor staff changes on an open opportunity. Fields named in `given`
    are set; a probability given as None goes back to the stage's default."""

    stage: str | None = None
    probability_percent: int | None = None
    expected_close: date | None = None
    amount_minor: int | None = None
    currency: str | None = None
    given: frozenset[str] = frozenset()


def checked_stages(stages: Sequence[StageInput]) -> list[StageInput]:
    """The vendor's stages in order: 1 to MAX_STAGES, keys unique, probabilities 0-100."""
    if not 1 <= len(stages) <= MAX_STAGES:
        raise BadInput(f"give between 1 and {MAX_STAGES} stages", field="stages")
    checked: list[StageInput] = []
    for index, stage in enumerate(stages):
        field = f"stages.{index}"
        key = stage_key(stage.key, field=f"{field}.key")
        if key in {item.key for item in checked}:
            raise BadInput(f"the stage {key} is given twice", field=f"{field}.key")
        if key in set(OpportunityStatus):
            raise BadInput(
                f"{key} is an outcome, not a stage: close an opportunity to win or lose it",
                field=f"{field}.key",
            )
        name = validation.text(stage.name, field=f"{field}.name", max_length=100)
        checked.append(
            StageInput(
                key, name, probability(stage.probability_percent, f"{field}.probabilityPercent")
            )
        )
    return checked


def stage_key(value: str, *, field: str) -> str:
    key = value.strip().upper()
    if not re.fullmatch(r"[A-Z][A-Z0-9_]{0,31}", key):
        raise BadInput(
            "a stage key is 1-32 letters, digits or _ starting with a letter", field=field
        )
    return key


def probability(value: int, field: str) -> int:
    if not 0 <= value <= 100:
        raise BadInput("a probability is a whole percent from 0 to 100", field=field)
    return value


def amount(value: int, *, field: str) -> int:
    if not 0 <= value <= MAX_MINOR:
        raise BadInput(f"an amount is 0 to {MAX_MINOR} minor units", field=field)
    return value


def expected_close(value: date, today: date, *, field: str) -> date:
    if abs(value - today) > CLOSE_HORIZON:
        raise BadInput("the expected close date must lie within five years of today", field=field)
    return value


def weighted(amount_minor: int, percent: int) -> int:
    """An amount times a probability, rounded half to even to whole minor units."""
    value = Decimal(amount_minor) * Decimal(percent) / Decimal(100)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
