"""Routing decisions: widen territory -> radius -> country until a partner qualifies."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime
from heapq import heappush, heapreplace
from math import asin, sin, sqrt

from hub.routing.index import RoutingIndex
from hub.routing.model import (
    DIAMETER_KM,
    EPOCH,
    LISTED,
    NEUTRAL,
    TIER_RANK,
    Candidate,
    Decision,
    Excluded,
    Exclusion,
    LeadSpec,
    Policy,
    Scored,
    Split,
    Step,
    Strategy,
    Weights,
    lead_origin,
)


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
        scored, unscored = _eligible(
            lead, index, policy, history, splits, excluded, radius_km=radius
        )
        if scored:
            chosen = _choose(policy.strategy, scored, index, rng)
            listed = scored[:LISTED]
            if all(item.partner_id != chosen for item in listed):
                listed.append(next(item for item in scored if item.partner_id == chosen))
            return Decision(
                policy.strategy,
                step,
                chosen,
                tuple(tried),
                tuple(listed),
                tuple(excluded.values()),
                unlisted=len(scored) - len(listed) + unscored,
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
) -> tuple[list[Scored], int]:
    """The qualifying partners of the splits, best first, and how many were not scored.

    Every strategy but BEST_SCORE needs every score. BEST_SCORE needs the LISTED best: each
    split is in static-score order and distance adds at most its weight, so a split is left
    as soon as its next partner could not beat the LISTED-th best score found.
    """
    # The hot loop of routing: locals and inlined arithmetic keep it near 1 µs a partner.
    weights = policy.weights
    total = weights.total() or 1.0
    distance_weight = weights.distance
    needs_certificate = lead.product_line in policy.required_certifications
    origin = lead_origin(lead)
    seen: dict[str, Scored] = {}
    certified = lead.product_line
    load = index.open_leads
    new = tuple.__new__
    bounded = policy.strategy is Strategy.BEST_SCORE
    best: list[float] = []  # the LISTED best scores so far (a heap: the lowest first)
    unseen: set[str] = set()
    for open_, ids, shut in splits:
        excluded.update(shut)
        for position, (candidate, key, name, tier, at, static, components) in enumerate(open_):
            if key in seen or key in excluded:
                continue
            if bounded and len(best) == LISTED and (static + distance_weight) / total < best[0]:
                unseen.update(ids[position:])
                break
            if history and key in history:
                excluded[key] = Excluded(key, name, history[key])
                continue
            if needs_certificate and certified not in (candidate.certified_lines or ()):
                excluded[key] = Excluded(key, name, Exclusion.MISSING_CERTIFICATION)
                continue
            if load.get(key, 0) >= candidate.capacity:
                excluded[key] = Excluded(key, name, Exclusion.AT_CAPACITY)
                continue
            if origin is None or at is None:
                km = None
                closeness = NEUTRAL
            else:
                lat1, lon1, cos1 = origin
                lat2, lon2, cos2 = at
                a = sin((lat2 - lat1) * 0.5) ** 2 + cos1 * cos2 * sin((lon2 - lon1) * 0.5) ** 2
                km = DIAMETER_KM * asin(sqrt(a) if a < 1.0 else 1.0)
                closeness = 1.0 / (1.0 + km / 50.0)
            if radius_km is not None and (km is None or km > radius_km):
                continue
            score = (static + distance_weight * closeness) / total
            # tuple.__new__ skips the NamedTuple constructor's Python-level argument handling.
            seen[key] = new(Scored, (key, name, tier, score, km, components, closeness))
            if bounded:
                if len(best) < LISTED:
                    heappush(best, score)
                elif score > best[0]:
                    heapreplace(best, score)
    unscored = len(unseen.difference(seen, excluded)) if unseen else 0
    return sorted(seen.values(), key=_rank), unscored


def _score(
    index: RoutingIndex, weights: Weights, total: float, candidate: Candidate, km: float | None
) -> Scored:
    static, components = index.static(candidate)
    closeness = NEUTRAL if km is None else 1.0 / (1.0 + km / 50.0)
    score = (static + weights.distance * closeness) / total
    return Scored(candidate.id, candidate.name, candidate.tier, score, km, components, closeness)


def _rank(item: Scored) -> tuple[float, str]:
    return -item.score, item.partner_id


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
    last_offered = index.last_offered
    for item in scored:
        rank = TIER_RANK.get(item.tier, 0)
        if rank < best_rank:
            continue
        last = last_offered.get(item.partner_id)
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
