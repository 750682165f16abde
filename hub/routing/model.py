"""Routing vocabulary: strategies, steps, exclusions, candidates, decisions, and the maths."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import NamedTuple

from hub import geo

TIER_WEIGHT = {"REGISTERED": 0.25, "SILVER": 0.5, "GOLD": 0.75, "PLATINUM": 1.0}
TIER_RANK = {"REGISTERED": 0, "SILVER": 1, "GOLD": 2, "PLATINUM": 3}
NEUTRAL = 0.5
GRID_DEGREES = 1.0
DIAMETER_KM = 2 * geo.EARTH_RADIUS_KM
EPOCH = datetime.min.replace(tzinfo=UTC)


class Strategy(StrEnum):
    BEST_SCORE = "BEST_SCORE"
    WEIGHTED = "WEIGHTED"
    ROUND_ROBIN = "ROUND_ROBIN"


class Step(StrEnum):
    CONFLICT = "CONFLICT"
    TERRITORY = "TERRITORY"
    RADIUS = "RADIUS"
    COUNTRY = "COUNTRY"


class Exclusion(StrEnum):
    NOT_ACTIVE = "NOT_ACTIVE"
    NO_SPECIALIZATION = "NO_SPECIALIZATION"
    AT_CAPACITY = "AT_CAPACITY"
    DECLINED_BEFORE = "DECLINED_BEFORE"
    EXPIRED_BEFORE = "EXPIRED_BEFORE"
    MISSING_CERTIFICATION = "MISSING_CERTIFICATION"


@dataclass(frozen=True)
class Weights:
    tier: float = 0.30
    acceptance: float = 0.20
    speed: float = 0.10
    win: float = 0.25
    distance: float = 0.15
    performance: float = 0.0

    def total(self) -> float:
        return (
            self.tier + self.acceptance + self.speed + self.win + self.distance + self.performance
        )


@dataclass(frozen=True)
class Area:
    countries: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    postal_prefixes: frozenset[str] = frozenset()

    def postal_countries(self, home: str) -> frozenset[str]:
        """Where the area's postal prefixes lie: its one country, else the partner's home."""
        return self.countries if len(self.countries) == 1 else frozenset({home})

    def reach(self, lead: LeadSpec, home: str) -> tuple[int, int]:
        """How closely the area covers the lead, higher is closer: (3, prefix length) by a
        postal prefix, (2, 0) by its region, (1, 0) by its country, (0, 0) not at all."""
        postal = lead.postal_code or ""
        if postal and lead.country in self.postal_countries(home):
            longest = max((len(p) for p in self.postal_prefixes if postal.startswith(p)), default=0)
            if longest:
                return 3, longest
        if lead.region and lead.region in self.regions:
            return 2, 0
        return (1, 0) if lead.country in self.countries else (0, 0)


@dataclass(slots=True, eq=False)
class Candidate:
    """What routing knows of a partner. open_leads and last_offered_at are where the index
    starts from; as leads go out they move in the index (RoutingIndex.open_leads)."""

    id: str
    name: str
    tier: str
    status: str
    country: str
    latitude: float | None
    longitude: float | None
    specializations: frozenset[str]
    areas: tuple[Area, ...]
    capacity: int
    open_leads: int = 0
    acceptance_rate: float | None = None
    median_hours_to_accept: float | None = None
    win_rate: float | None = None
    # Of the opportunities of leads it was given that closed in the last 90 days: WON share
    # (None: none closed) and the WON amount in reporting minor units.
    routed_win_rate: float | None = None
    routed_won_minor: int = 0
    last_offered_at: datetime | None = None
    certified_lines: frozenset[str] | None = None


@dataclass(frozen=True)
class LeadSpec:
    country: str
    product_line: str
    region: str | None = None
    postal_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Policy:
    strategy: Strategy = Strategy.BEST_SCORE
    weights: Weights = field(default_factory=Weights)
    radius_km: float = 100.0
    required_certifications: frozenset[str] = frozenset()


class Scored(NamedTuple):
    partner_id: str
    name: str
    tier: str
    score: float
    distance_km: float | None
    static: Mapping[str, float]
    closeness: float

    @property
    def components(self) -> dict[str, float]:
        """The weighted parts of the score, each between 0 and 1."""
        return {**self.static, "distance": round(self.closeness, 4)}


class Excluded(NamedTuple):
    partner_id: str
    name: str
    reason: Exclusion


@dataclass(frozen=True)
class Decision:
    strategy: Strategy
    step: Step | None
    chosen: str | None
    steps_tried: tuple[Step, ...]
    candidates: tuple[Scored, ...]
    excluded: tuple[Excluded, ...]
    note: str | None = None
    # Partners that qualified but are not among the listed (best) candidates.
    unlisted: int = 0


# (candidate, id, name, tier, position in radians or None, static score, its components)
Entry = tuple[
    "Candidate", str, str, str, tuple[float, float, float] | None, float, dict[str, float]
]
# (the area's open partners by static score, best first; their ids in the same order;
# the area's partners excluded for good)
Split = tuple[list[Entry], tuple[str, ...], dict[str, Excluded]]
# How many candidates a decision lists (and, for BEST_SCORE, scores): the best ones.
LISTED = 10


def lead_origin(lead: LeadSpec) -> tuple[float, float, float] | None:
    if lead.latitude is None or lead.longitude is None:
        return None
    latitude = math.radians(lead.latitude)
    return latitude, math.radians(lead.longitude), math.cos(latitude)


def haversine(origin: tuple[float, float, float], position: tuple[float, float, float]) -> float:
    lat1, lon1, cos1 = origin
    lat2, lon2, cos2 = position
    a = math.sin((lat2 - lat1) * 0.5) ** 2 + cos1 * cos2 * math.sin((lon2 - lon1) * 0.5) ** 2
    return DIAMETER_KM * math.asin(math.sqrt(a) if a < 1.0 else 1.0)


def performance(candidate: Candidate, top_won_minor: int) -> float:
    """Half the routed win rate, half the won revenue relative to the channel's best; NEUTRAL
    for a partner none of whose routed leads closed in the window."""
    if candidate.routed_win_rate is None:
        return NEUTRAL
    share = candidate.routed_won_minor / top_won_minor if top_won_minor > 0 else 0.0
    return (candidate.routed_win_rate + min(share, 1.0)) / 2


def static_score(
    candidate: Candidate, weights: Weights, top_won_minor: int = 0
) -> tuple[float, dict[str, float]]:
    components = {
        "tier": TIER_WEIGHT.get(candidate.tier, 0.0),
        "acceptance": NEUTRAL if candidate.acceptance_rate is None else candidate.acceptance_rate,
        "speed": NEUTRAL
        if candidate.median_hours_to_accept is None
        else 1.0 / (1.0 + candidate.median_hours_to_accept / 24.0),
        "win": NEUTRAL if candidate.win_rate is None else candidate.win_rate,
        "performance": performance(candidate, top_won_minor),
    }
    static = (
        weights.tier * components["tier"]
        + weights.acceptance * components["acceptance"]
        + weights.speed * components["speed"]
        + weights.win * components["win"]
        + weights.performance * components["performance"]
    )
    return static, {key: round(value, 4) for key, value in components.items()}


def grid_cell(latitude: float, longitude: float) -> tuple[int, int]:
    return math.floor(latitude / GRID_DEGREES), math.floor(longitude / GRID_DEGREES)
