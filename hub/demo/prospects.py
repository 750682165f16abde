"""A year of routine leads behind the funnel and the win rates: routed by the hub's rules,
accepted, declined or left to expire, and worked to WON or LOST; the newest still open.

Markets are places a partner's territory covers, the busier ones where the bigger partners
sell. Outcomes come from a seeded random generator, so every seed gives the same history;
a step that would fall after today is left out, so recent leads stay in the pipeline.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import timedelta
from typing import NamedTuple

from hub.demo.leadwork import Step, accept, decline, lead_input, move
from hub.demo.world import HISTORY_DAYS, RECENT_DAYS, Demo, Part, Story
from hub.leads import service as lead_service
from hub.leads.rules import DeclineReason, LeadInput, LeadStatus

L = LeadStatus
# A lead every this many days on average, from the start of the history to NEWEST days ago;
# before RECENT_DAYS ago, half as often (the funnel's rates need no more to seed).
EVERY_DAYS = 4.0
NEWEST = 7
# Security leads need a certified partner from 45 days ago (hub.demo.leads); before that,
# Sakura Solutions takes them.
SECURITY_UNTIL = 50


class Market(NamedTuple):
    weight: int
    country: str
    line: str
    at: tuple[float, float]
    currency: str
    region: str | None = None
    postal: str | None = None


MARKETS = (
    Market(5, "US", "NETWORKING", (41.88, -87.63), "USD", region="US-IL"),
    Market(4, "US", "CLOUD", (37.77, -122.42), "USD", region="US-CA"),
    Market(4, "DE", "CLOUD", (48.14, 11.58), "EUR", region="DE-BY"),
    Market(2, "US", "STORAGE", (43.07, -89.40), "USD", region="US-WI", postal="53703"),
    Market(2, "CA", "CLOUD", (43.65, -79.38), "USD", region="CA-ON"),
    Market(2, "GB", "STORAGE", (51.52, -0.08), "EUR", postal="EC2A"),
    Market(2, "JP", "SECURITY", (35.68, 139.65), "USD"),
    Market(1, "US", "NETWORKING", (43.04, -87.91), "USD", region="US-WI"),
    Market(1, "DE", "NETWORKING", (50.94, 6.96), "EUR", region="DE-NW"),
    Market(1, "FR", "CLOUD", (48.86, 2.35), "EUR"),
)
NAMES: tuple[str, ...] = (
    "Acorn",
    "Beacon",
    "Cobalt",
    "Delta",
    "Evergreen",
    "Falcon",
    "Granite",
    "Horizon",
)
NAMES += ("Ironwood", "Juniper", "Keystone", "Lighthouse", "Meridian", "Northstar")
KINDS: tuple[str, ...] = (
    "Foods",
    "Logistics",
    "Clinics",
    "Insurance",
    "Hotels",
    "Retail",
    "Energy",
    "Media",
)
KINDS += ("Schools", "Bank", "Freight", "Labs")
LOST_REASONS = (
    "The customer chose a competitor's offer.",
    "The project was cancelled.",
    "No budget this year.",
)


# (days after the lead was created, the status the lead must be in, what is done)
Planned = tuple[float, frozenset[LeadStatus], Step]
OFFERED = frozenset({L.OFFERED})
WORKING = frozenset({L.ACCEPTED, L.CONTACTED, L.QUALIFIED})


class Prospect(NamedTuple):
    created: float
    lead: LeadInput
    closes_in_days: int
    steps: tuple[Planned, ...]


def prospects(start: int = HISTORY_DAYS) -> list[Prospect]:
    """The routine leads from the start of the history to NEWEST days ago."""
    rng = random.Random(16)
    made: list[Prospect] = []
    days = start - 3.0
    while days >= NEWEST:
        number = len(made)
        markets = [m for m in MARKETS if m.line != "SECURITY" or days > SECURITY_UNTIL]
        market = rng.choices(markets, weights=[m.weight for m in markets])[0]
        company = f"{NAMES[number % len(NAMES)]} {KINDS[number // len(NAMES) % len(KINDS)]}"
        data = lead_input(
            company,
            market.country,
            market.line,
            rng.randrange(15, 120) * 100_000,
            region=market.region,
            postal=market.postal,
            at=market.at,
            currency=market.currency,
        )
        made.append(Prospect(days, data, rng.randrange(40, 90), _outcome(rng.random(), rng)))
        days -= EVERY_DAYS * (2 if days > RECENT_DAYS else 1) * rng.uniform(0.5, 1.5)
    return made


def _outcome(draw: float, rng: random.Random) -> tuple[Planned, ...]:
    """Won 45%, lost 20%, declined then worked 10%, never answered 10%, still open 15%."""
    taken: Planned = (0.2, OFFERED, accept())
    contacted: Planned = (rng.uniform(3, 8), WORKING, move(L.CONTACTED))
    qualified: Planned = (rng.uniform(12, 20), WORKING, move(L.QUALIFIED))
    if draw < 0.45:
        return taken, contacted, qualified, (rng.uniform(25, 45), WORKING, move(L.WON))
    if draw < 0.65:
        lost = move(L.LOST, rng.choice(LOST_REASONS))
        return taken, contacted, (rng.uniform(10, 30), WORKING, lost)
    if draw < 0.75:
        no = decline(DeclineReason.NO_CAPACITY, "Our team is fully booked this month.")
        return (0.1, OFFERED, no), (0.6, OFFERED, accept()), contacted, qualified
    if draw < 0.85:
        return ()
    return taken, contacted, qualified


def stories(demo: Demo) -> list[Story]:
    return [_story(demo, prospect) for prospect in prospects()]


PART = Part(order=52, stories=stories)


async def _story(demo: Demo, prospect: Prospect) -> Story:
    yield prospect.created
    closes = (demo.clock.now() + timedelta(days=prospect.closes_in_days)).date()
    data = dataclasses.replace(prospect.lead, expected_close=closes)
    lead = await lead_service.create(demo.hub, principal=demo.manager, data=data, route_now=True)
    # Steps that would fall after today are left out: the lead stays where it is.
    for after, status, step in prospect.steps:
        if prospect.created - after <= 0:
            return
        yield prospect.created - after
        found = await lead_service.get(demo.hub, principal=demo.vendor, lead_id=lead.id)
        if LeadStatus(found.status) not in status:
            return
        await step(demo, lead.id)
