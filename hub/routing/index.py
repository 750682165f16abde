"""The partner index routing searches: by territory, home country and a geographic grid."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from copy import copy
from datetime import datetime

from hub import geo
from hub.routing.model import (
    GRID_DEGREES,
    Candidate,
    Entry,
    Excluded,
    Exclusion,
    LeadSpec,
    Split,
    Weights,
    grid_cell,
    haversine,
    lead_origin,
    static_score,
)


class RoutingIndex:
    """Partners indexed by territory, home country and a coarse geographic grid.

    For each area and product line the index keeps, once, the partners that could take
    such a lead and the ones statically excluded (not active, no specialization), so a
    routing call only checks what changes from lead to lead.

    What moves as leads go out, each partner's open leads and last offer, is kept apart in
    `open_leads` and `last_offered`: `with_load` gives a view of the same index with its
    own copy of them, so one index can serve many routing calls at once.
    """

    def __init__(self, candidates: Iterable[Candidate], weights: Weights) -> None:
        candidates = list(candidates)
        # Performance weighs won revenue against the best of the channel's routed partners.
        self.top_won_minor = max((item.routed_won_minor for item in candidates), default=0)
        self.by_id: dict[str, Candidate] = {}
        self.weights = weights
        self._areas: dict[tuple[str, ...], list[Candidate]] = defaultdict(list)
        self._postal_lengths: dict[str, set[int]] = defaultdict(set)
        self._splits: dict[tuple[tuple[str, ...], str], Split] = {}
        self.statics: dict[str, tuple[float, dict[str, float]]] = {}
        self.positions: dict[str, tuple[float, float, float]] = {}
        self.open_leads: dict[str, int] = {}
        self.last_offered: dict[str, datetime | None] = {}
        for candidate in candidates:
            self._add(candidate)

    def with_load(
        self, open_leads: dict[str, int], last_offered: dict[str, datetime | None] | None = None
    ) -> RoutingIndex:
        """The same index with these open-lead counts (and last offers): the caller's to move."""
        view = copy(self)
        view.open_leads = open_leads
        view.last_offered = dict(self.last_offered) if last_offered is None else last_offered
        return view

    def _add(self, candidate: Candidate) -> None:
        self.by_id[candidate.id] = candidate
        self.open_leads[candidate.id] = candidate.open_leads
        self.last_offered[candidate.id] = candidate.last_offered_at
        self._areas[("home", candidate.country)].append(candidate)
        for area in candidate.areas:
            for country in area.countries:
                self._areas[("country", country)].append(candidate)
            for region in area.regions:
                self._areas[("region", region)].append(candidate)
            for prefix in area.postal_prefixes:
                for country in area.postal_countries(candidate.country):
                    self._areas[("postal", country, prefix)].append(candidate)
                    self._postal_lengths[country].add(len(prefix))
        if candidate.latitude is not None and candidate.longitude is not None:
            lat, lon = math.radians(candidate.latitude), math.radians(candidate.longitude)
            self.positions[candidate.id] = (lat, lon, math.cos(lat))
            self._areas[
                ("grid", *map(str, grid_cell(candidate.latitude, candidate.longitude)))
            ].append(candidate)
        self.statics[candidate.id] = static_score(candidate, self.weights, self.top_won_minor)

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
        lat_cell, lon_cell = grid_cell(lead.latitude, lead.longitude)
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
        origin, position = lead_origin(lead), self.positions.get(candidate.id)
        return None if origin is None or position is None else haversine(origin, position)

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
            # Best static score first: BEST_SCORE stops where no later entry can make the list.
            open_.sort(key=_by_static)
            ids = tuple(entry[1] for entry in open_)
            cached = self._splits[(key, line)] = (open_, ids, shut)
        return cached


def _by_static(entry: Entry) -> tuple[float, str]:
    return -entry[5], entry[1]
