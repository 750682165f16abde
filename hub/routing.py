"""Lead routing: pure, explainable decisions over an in-memory index of partners.

The service layer builds a `RoutingIndex` from the database; `route` then picks a partner
for a lead and says why: every candidate considered with its score, and every partner
that was considered and excluded with the reason.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from math import asin, sin, sqrt
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

    def total(self) -> float:
        return self.tier + self.acceptance + self.speed + self.win + self.distance


@dataclass(frozen=True)
class Area:
    countries: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    postal_prefixes: frozenset[str] = frozenset()


@dataclass(slots=True, eq=False)
class Candidate:
    """What routing knows of a partner; open_leads and last_offered_at move as leads go out."""

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


# (candidate, id, name, tier, position in radians or None, static score, its components)
Entry = tuple[
    "Candidate", str, str, str, tuple[float, float, float] | None, float, dict[str, float]
]
Split = tuple[list[Entry], dict[str, Excluded]]


class RoutingIndex:
    """Partners indexed by territory, home country and a coarse geographic grid.

    For each area and product line the index keeps, once, the partners that could take
    such a lead and the ones statically excluded (not active, no specialization), so a
    routing call only checks what changes from lead to lead.
    """

    def __init__(self, candidates: Iterable[Candidate], weights: Weights) -> None:
        self.by_id: dict[str, Candidate] = {}
        self.weights = weights
        self._areas: dict[tuple[str, ...], list[Candidate]] = defaultdict(list)
        self._postal_lengths: dict[str, set[int]] = defaultdict(set)
        self._splits: dict[tuple[tuple[str, ...], str], Split] = {}
        self.statics: dict[str, tuple[float, dict[str, float]]] = {}
        self.positions: dict[str, tuple[float, float, float]] = {}
        for candidate in candidates:
            self._add(candidate)

    def _add(self, candidate: Candidate) -> None:
        self.by_id[candidate.id] = candidate
        self._areas[("home", candidate.country)].append(candidate)
        for area in candidate.areas:
            for country in area.countries:
                self._areas[("country", country)].append(candidate)
            for region in area.regions:
                self._areas[("region", region)].append(candidate)
            home = area.countries if len(area.countries) == 1 else {candidate.country}
            for prefix in area.postal_prefixes:
                for country in home:
                    self._areas[("postal", country, prefix)].append(candidate)
                    self._postal_lengths[country].add(len(prefix))
        if candidate.latitude is not None and candidate.longitude is not None:
            lat, lon = math.radians(candidate.latitude), math.radians(candidate.longitude)
            self.positions[candidate.id] = (lat, lon, math.cos(lat))
            self._areas[("grid", *map(str, _cell(candidate.latitude, candidate.longitude)))].append(
                candidate
            )
        self.statics[candidate.id] = _static_score(candidate, self.weights)

    def territory(self, lead: LeadSpec) -> list[Split]:
        keys: list[tuple[str, ...]] = [("country", lead.country)]
        if lead.region:
            keys.append(("region", lead.region))
        if lead.postal_code:
            for length in self._postal_lengths.get(lead.country, ()):
                keys.append(("postal", lead.country, lead.postal_code[:length]))
        return [self._split(key, lead.product_line) for key in keys]

    def near(self, lead: LeadSpec, radius_km: float) -> list[Split]:
        if lead.latitude is None or lead.longitude is None:
            return []
        reach = math.ceil(math.degrees(radius_km / geo.EARTH_RADIUS_KM) / GRID_DEGREES) + 1
        lat_cell, lon_cell = _cell(lead.latitude, lead.longitude)
        widen = reach if abs(lead.latitude) < 60 else 360
        return [
            self._split(("grid", str(lat_cell + d_lat), str(lon_cell + d_lon)), lead.product_line)
            for d_lat in range(-reach, reach + 1)
            for d_lon in range(-widen, widen + 1)
            if ("grid", str(lat_cell + d_lat), str(lon_cell + d_lon)) in self._areas
        ]

    def home(self, lead: LeadSpec) -> list[Split]:
        return [self._split(("home", lead.country), lead.product_line)]

    def static(self, candidate: Candidate) -> tuple[float, dict[str, float]]:
        return self.statics[candidate.id]

    def distance_km(self, lead: LeadSpec, candidate: Candidate) -> float | None:
        origin, position = _origin(lead), self.positions.get(candidate.id)
        return None if origin is None or position is None else _haversine(origin, position)

    def _split(self, key: tuple[str, ...], line: str) -> Split:
        cached = self._splits.get((key, line))
        if cached is None:
            open_: list[Entry] = []
            shut: dict[str, Excluded] = {}
            for candidate in self._areas.get(key, ()):
                if candidate.status != "ACTIVE":
                    shut[candidate.id] = Excluded(
                        candidate.id, candidate.name, Exclusion.NOT_ACTIVE
                    )
                elif line not in candidate.specializations:
                    shut[candidate.id] = Excluded(
                        candidate.id, candidate.name, Exclusion.NO_SPECIALIZATION
                    )
                else:
                    static, components = self.statics[candidate.id]
                    position = self.positions.get(candidate.id)
                    open_.append(
                        (
                            candidate,
                            candidate.id,
                            candidate.name,
                            candidate.tier,
                            position,
                            static,
                            components,
                        )
                    )
            cached = self._splits[(key, line)] = (open_, shut)
        return cached


def route(
    lead: LeadSpec,
    index: RoutingIndex,
    policy: Policy,
    *,
    history: Mapping[str, Exclusion] | None = None,
    conflict_owner: str | None = None,
    rng: random.Random | None = None,
) -> Decision:
    """Pick a partner for the lead, widening territory -> radius -> country until one qualifies."""
    history = history or {}
    if conflict_owner is not None:
        return _route_to_owner(lead, index, policy, history, conflict_owner)
    tried: list[Step] = []
    excluded: dict[str, Excluded] = {}
    for step in (Step.TERRITORY, Step.RADIUS, Step.COUNTRY):
        splits = _pool(step, lead, index, policy)
        if splits is None:
            continue
        tried.append(step)
        radius = policy.radius_km if step is Step.RADIUS else None
        scored = _eligible(lead, index, policy, history, splits, excluded, radius_km=radius)
        if scored:
            chosen = _choose(policy.strategy, scored, index, rng)
            return Decision(
                policy.strategy, step, chosen, tuple(tried), tuple(scored), tuple(excluded.values())
            )
    return Decision(
        policy.strategy,
        None,
        None,
        tuple(tried),
        (),
        tuple(excluded.values()),
        note="no partner qualifies; the lead waits for a channel manager",
    )


def _pool(step: Step, lead: LeadSpec, index: RoutingIndex, policy: Policy) -> list[Split] | None:
    if step is Step.TERRITORY:
        return index.territory(lead)
    if step is Step.RADIUS:
        if lead.latitude is None or lead.longitude is None:
            return None
        return index.near(lead, policy.radius_km)
    return index.home(lead)


def _eligible(
    lead: LeadSpec,
    index: RoutingIndex,
    policy: Policy,
    history: Mapping[str, Exclusion],
    splits: list[Split],
    excluded: dict[str, Excluded],
    *,
    radius_km: float | None = None,
) -> list[Scored]:
    # The hot loop of routing: locals and inlined arithmetic keep it near 1 µs a partner.
    weights = policy.weights
    total = weights.total() or 1.0
    distance_weight = weights.distance
    needs_certificate = lead.product_line in policy.required_certifications
    origin = _origin(lead)
    seen: dict[str, Scored] = {}
    certified = lead.product_line
    new = tuple.__new__
    for open_, shut in splits:
        excluded.update(shut)
        for candidate, key, name, tier, position, static, components in open_:
            if key in seen or key in excluded:
                continue
            if history and key in history:
                excluded[key] = Excluded(key, name, history[key])
                continue
            if needs_certificate and certified not in (candidate.certified_lines or ()):
                excluded[key] = Excluded(key, name, Exclusion.MISSING_CERTIFICATION)
                continue
            if candidate.open_leads >= candidate.capacity:
                excluded[key] = Excluded(key, name, Exclusion.AT_CAPACITY)
                continue
            if origin is None or position is None:
                km = None
                closeness = NEUTRAL
            else:
                lat1, lon1, cos1 = origin
                lat2, lon2, cos2 = position
                a = sin((lat2 - lat1) * 0.5) ** 2 + cos1 * cos2 * sin((lon2 - lon1) * 0.5) ** 2
                km = DIAMETER_KM * asin(sqrt(a) if a < 1.0 else 1.0)
                closeness = 1.0 / (1.0 + km / 50.0)
            if radius_km is not None and (km is None or km > radius_km):
                continue
            score = (static + distance_weight * closeness) / total
            # tuple.__new__ skips the NamedTuple constructor's Python-level argument handling.
            seen[key] = new(Scored, (key, name, tier, score, km, components, closeness))
    return sorted(seen.values(), key=_rank)


def _origin(lead: LeadSpec) -> tuple[float, float, float] | None:
    if lead.latitude is None or lead.longitude is None:
        return None
    latitude = math.radians(lead.latitude)
    return latitude, math.radians(lead.longitude), math.cos(latitude)


def _haversine(origin: tuple[float, float, float], position: tuple[float, float, float]) -> float:
    lat1, lon1, cos1 = origin
    lat2, lon2, cos2 = position
    a = math.sin((lat2 - lat1) * 0.5) ** 2 + cos1 * cos2 * math.sin((lon2 - lon1) * 0.5) ** 2
    return DIAMETER_KM * math.asin(math.sqrt(a) if a < 1.0 else 1.0)


def _score(
    index: RoutingIndex, weights: Weights, total: float, candidate: Candidate, km: float | None
) -> Scored:
    static, components = index.static(candidate)
    closeness = NEUTRAL if km is None else 1.0 / (1.0 + km / 50.0)
    score = (static + weights.distance * closeness) / total
    return Scored(candidate.id, candidate.name, candidate.tier, score, km, components, closeness)


def _rank(item: Scored) -> tuple[float, str]:
    return -item.score, item.partner_id


def _exclusion(
    lead: LeadSpec, policy: Policy, history: Mapping[str, Exclusion], candidate: Candidate
) -> Exclusion | None:
    if candidate.status != "ACTIVE":
        return Exclusion.NOT_ACTIVE
    if lead.product_line not in candidate.specializations:
        return Exclusion.NO_SPECIALIZATION
    if candidate.id in history:
        return history[candidate.id]
    if lead.product_line in policy.required_certifications and lead.product_line not in (
        candidate.certified_lines or frozenset()
    ):
        return Exclusion.MISSING_CERTIFICATION
    if candidate.open_leads >= candidate.capacity:
        return Exclusion.AT_CAPACITY
    return None


def _static_score(candidate: Candidate, weights: Weights) -> tuple[float, dict[str, float]]:
    components = {
        "tier": TIER_WEIGHT.get(candidate.tier, 0.0),
        "acceptance": NEUTRAL if candidate.acceptance_rate is None else candidate.acceptance_rate,
        "speed": NEUTRAL
        if candidate.median_hours_to_accept is None
        else 1.0 / (1.0 + candidate.median_hours_to_accept / 24.0),
        "win": NEUTRAL if candidate.win_rate is None else candidate.win_rate,
    }
    static = (
        weights.tier * components["tier"]
        + weights.acceptance * components["acceptance"]
        + weights.speed * components["speed"]
        + weights.win * components["win"]
    )
    return static, {key: round(value, 4) for key, value in components.items()}


def _choose(
    strategy: Strategy, scored: list[Scored], index: RoutingIndex, rng: random.Random | None
) -> str:
    if strategy is Strategy.WEIGHTED:
        return _weighted(scored, rng or random.Random())
    if strategy is Strategy.ROUND_ROBIN:
        return _round_robin(scored, index)
    return scored[0].partner_id


def _weighted(scored: list[Scored], rng: random.Random) -> str:
    """Pick at random with probability proportional to the score."""
    remaining = rng.random() * sum(item.score for item in scored)
    for item in scored:
        remaining -= item.score
        if remaining <= 0:
            return item.partner_id
    return scored[-1].partner_id


def _round_robin(scored: list[Scored], index: RoutingIndex) -> str:
    """Among the best tier present, the partner offered a lead longest ago (never first)."""
    best_rank = -1
    chosen: tuple[bool, datetime, str] = (True, EPOCH, "")
    by_id = index.by_id
    for item in scored:
        rank = TIER_RANK.get(item.tier, 0)
        if rank < best_rank:
            continue
        last = by_id[item.partner_id].last_offered_at
        key = (last is not None, last or EPOCH, item.partner_id)
        if rank > best_rank or key < chosen:
            best_rank, chosen = rank, key
    return chosen[2]


def _route_to_owner(
    lead: LeadSpec,
    index: RoutingIndex,
    policy: Policy,
    history: Mapping[str, Exclusion],
    owner_id: str,
) -> Decision:
    owner = index.by_id.get(owner_id)
    if owner is None:
        return Decision(
            policy.strategy,
            Step.CONFLICT,
            None,
            (Step.CONFLICT,),
            (),
            (),
            note="the customer's owner is no longer a partner",
        )
    reason = Exclusion.NOT_ACTIVE if owner.status != "ACTIVE" else history.get(owner.id)
    if reason is not None:
        return Decision(
            policy.strategy,
            Step.CONFLICT,
            None,
            (Step.CONFLICT,),
            (),
            (Excluded(owner.id, owner.name, reason),),
            note="the customer belongs to this partner, who cannot take the lead; nobody else may",
        )
    total = policy.weights.total() or 1.0
    scored = _score(index, policy.weights, total, owner, index.distance_km(lead, owner))
    return Decision(
        policy.strategy,
        Step.CONFLICT,
        owner.id,
        (Step.CONFLICT,),
        (scored,),
        (),
        note="the customer is already owned by this partner",
    )


def _cell(latitude: float, longitude: float) -> tuple[int, int]:
    return math.floor(latitude / GRID_DEGREES), math.floor(longitude / GRID_DEGREES)
