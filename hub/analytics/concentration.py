"""The 80/20 view: who brings the revenue, how concentrated it is.

Pure functions over (key, revenue) pairs in reporting minor units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Share:
    key: str
    revenue_minor: int
    # Share of the total and the running total in descending revenue, in basis points.
    share_bp: int
    cumulative_bp: int
    # Whether the key is in the smallest set that brings the threshold.
    in_core: bool


@dataclass(frozen=True)
class Concentration:
    shares: list[Share]
    total_minor: int
    core: list[str]
    # Gini coefficient of revenue over the keys, in basis points (0: equal, 10000: one key).
    gini_bp: int


def concentration(revenue: Sequence[tuple[str, int]], *, threshold_bp: int) -> Concentration:
    """Keys in descending revenue (ties by key) with their shares and the core set: the
    fewest keys whose revenue reaches `threshold_bp` of the total. Negative revenue (more
    returned than delivered) counts as nothing towards the core."""
    ordered = sorted(revenue, key=lambda item: (-item[1], item[0]))
    total = sum(max(minor, 0) for _, minor in ordered)
    target = Fraction(total * threshold_bp, 10_000)
    shares, running, core = [], 0, []
    for key, minor in ordered:
        in_core = total > 0 and Fraction(running) < target and minor > 0
        running += max(minor, 0)
        if in_core:
            core.append(key)
        shares.append(
            Share(
                key,
                minor,
                _bp(max(minor, 0), total),
                _bp(running, total),
                in_core,
            )
        )
    return Concentration(shares, total, core, gini_bp([minor for _, minor in ordered]))


def gini_bp(values: Sequence[int]) -> int:
    """The Gini coefficient of non-negative values (negative ones count as 0), in basis
    points rounded half to even; 0 for no values or a zero total."""
    ordered = sorted(max(value, 0) for value in values)
    count, total = len(ordered), sum(ordered)
    if count == 0 or total == 0:
        return 0
    weighted = sum((index + 1) * value for index, value in enumerate(ordered))
    gini = Fraction(2 * weighted, count * total) - Fraction(count + 1, count)
    return round(gini * 10_000)


def _bp(part: int, total: int) -> int:
    return round(Fraction(part * 10_000, total)) if total else 0
