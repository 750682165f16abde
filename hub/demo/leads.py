"""Demo leads in every status, routed by the hub's own rules and worked by the partners."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import NamedTuple

from hub.demo.leadwork import (
    Step,
    accept,
    decline,
    follow_up,
    lead_input,
    move,
    note,
    recycle,
)
from hub.demo.world import Demo, Part, Story
from hub.leads import policy
from hub.leads import service as lead_service
from hub.leads.rules import DeclineReason, LeadInput, LeadSource, LeadStatus
from hub.partners import Tier
from hub.routing import Strategy

L = LeadStatus


class LeadPlan(NamedTuple):
    name: str
    created: float
    lead: LeadInput
    steps: tuple[tuple[float, Step], ...] = ()
    route: bool = True


WORKED = (accept(), move(L.CONTACTED), move(L.QUALIFIED))
PLANS = (
    LeadPlan(
        "hooli",
        100,
        lead_input(
            "Hooli",
            "US",
            "SECURITY",
            8_400_000,
            region="US-CA",
            at=(37.44, -122.14),
            contact=("Gavin Belson", "gavin@hooli.example"),
        ),
        (
            (99.8, accept()),
            (99, note("Kick-off call booked with the CISO for next week.")),
            (95, move(L.CONTACTED)),
            (90, follow_up("Send the firewall sizing worksheet", 2, done=True)),
            (85, move(L.QUALIFIED)),
            (80, note("Please loop in our security SE for the PoC.", by_vendor=True)),
            (70, move(L.WON)),
        ),
    ),
    LeadPlan(
        "bavaria",
        75,
        lead_input(
            "Bavaria Motors AG",
            "DE",
            "CLOUD",
            12_000_000,
            region="DE-BY",
            at=(48.18, 11.56),
            contact=("Anna Weber", "anna.weber@bavaria-motors.example"),
            currency="EUR",
        ),
        ((74.9, WORKED[0]), (70, WORKED[1]), (60, WORKED[2]), (50, move(L.WON))),
    ),
    LeadPlan(
        "badger",
        50,
        lead_input(
            "Badger Dairy Cooperative",
            "US",
            "STORAGE",
            4_500_000,
            region="US-WI",
            postal="53704",
            at=(43.12, -89.33),
            contact=("Ole Hanson", "ole@badgerdairy.example"),
        ),
        ((49.5, WORKED[0]), (47, WORKED[1]), (40, WORKED[2]), (36, move(L.WON))),
    ),
    LeadPlan(
        "greenbay",
        30,
        lead_input(
            "Green Bay Packaging",
            "US",
            "NETWORKING",
            2_600_000,
            region="US-WI",
            at=(44.51, -88.01),
            contact=("Lena Olsen", "lena@gbpack.example"),
        ),
        (
            (29.8, decline(DeclineReason.NOT_MY_TERRITORY, "Our reseller in Wisconsin covers it.")),
            (29.5, accept()),
            (25, move(L.CONTACTED)),
            (15, move(L.QUALIFIED)),
            (5, move(L.WON)),
        ),
    ),
    LeadPlan(
        "thames",
        45,
        lead_input(
            "Thames Water Works",
            "GB",
            "STORAGE",
            3_000_000,
            postal="EC2A",
            at=(51.52, -0.08),
            contact=("Oliver Hughes", "o.hughes@thameswater.example"),
            currency="EUR",
        ),
        (
            (44.8, accept()),
            (40, move(L.CONTACTED)),
            (30, move(L.LOST, "The customer chose a competitor's cloud storage offer.")),
        ),
    ),
    LeadPlan(
        "koeln",
        40,
        lead_input(
            "Kölner Stadtwerke",
            "DE",
            "NETWORKING",
            1_800_000,
            region="DE-NW",
            at=(50.94, 6.96),
            contact=("Jonas Klein", "j.klein@stadtwerke-koeln.example"),
            currency="EUR",
        ),
        (
            (39.8, accept()),
            (35, move(L.CONTACTED)),
            (20, move(L.LOST, "Budget frozen until the next fiscal year.")),
            (10, recycle("The customer's new budget opens next quarter; route it again then.")),
        ),
    ),
    LeadPlan(
        "mapleleaf",
        28,
        lead_input(
            "Maple Leaf Foods",
            "CA",
            "CLOUD",
            5_200_000,
            region="CA-ON",
            at=(43.65, -79.38),
            contact=("Chloé Roy", "chloe.roy@mapleleaf.example"),
        ),
        (
            (27.9, WORKED[0]),
            (25, WORKED[1]),
            (12, WORKED[2]),
            (11, follow_up("Send the managed-cloud proposal", 14)),
        ),
    ),
    LeadPlan(
        "initech",
        60,
        lead_input(
            "Initech",
            "US",
            "CLOUD",
            9_500_000,
            region="US-TX",
            at=(30.27, -97.74),
            contact=("Bill Lumbergh", "bill@initech.example"),
        ),
        ((59.5, WORKED[0]), (55, WORKED[1]), (40, WORKED[2])),
    ),
    LeadPlan(
        "paris",
        16,
        lead_input(
            "Parisian Logistics",
            "FR",
            "CLOUD",
            2_200_000,
            at=(48.86, 2.35),
            contact=("Camille Dubois", "camille@parislog.example"),
            currency="EUR",
        ),
        ((15.8, WORKED[0]), (12, WORKED[1])),
    ),
    LeadPlan(
        "osaka",
        70,
        lead_input(
            "Osaka Robotics",
            "JP",
            "SECURITY",
            6_000_000,
            at=(34.69, 135.50),
            contact=("Kenji Sato", "sato@osaka-robotics.example"),
        ),
        ((69.7, WORKED[0]), (60, WORKED[1]), (58, note("Waiting for their audit report."))),
    ),
    LeadPlan(
        "edinburgh",
        2.5,
        lead_input(
            "University of Edinburgh",
            "GB",
            "NETWORKING",
            1_500_000,
            region="GB-SCT",
            at=(55.94, -3.19),
            contact=("Fiona Grant", "f.grant@ed-uni.example"),
            currency="EUR",
        ),
        ((2, accept()),),
    ),
    LeadPlan(
        "milwaukee",
        1.2,
        lead_input(
            "Milwaukee Brewing Co",
            "US",
            "NETWORKING",
            900_000,
            region="US-WI",
            at=(43.04, -87.91),
            contact=("Max Schultz", "max@mkebrew.example"),
        ),
        ((1.1, decline(DeclineReason.NO_CAPACITY, "Fully booked this month.")),),
    ),
    # Nobody answers the offer: the background job pulls it back and routes it again.
    LeadPlan(
        "dallas",
        3.2,
        lead_input(
            "Lone Star Clinics",
            "US",
            "NETWORKING",
            1_200_000,
            region="US-TX",
            at=(32.78, -96.80),
            contact=("Rosa Diaz", "rosa@lonestarclinics.example"),
        ),
    ),
    LeadPlan(
        "goldenbay",
        0.2,
        lead_input(
            "Golden Bay Hotels",
            "US",
            "CLOUD",
            3_100_000,
            region="US-CA",
            at=(37.79, -122.40),
            contact=("Mia Chen", "mia@goldenbayhotels.example"),
            source=LeadSource.WEB,
        ),
    ),
    LeadPlan(
        "sydney",
        8,
        lead_input(
            "Sydney Harbour Cafés",
            "AU",
            "NETWORKING",
            400_000,
            region="AU-NSW",
            at=(-33.86, 151.21),
            currency="AUD",
        ),
    ),
    LeadPlan(
        "tokyo",
        6,
        lead_input(
            "Tokyo Fintech KK",
            "JP",
            "SECURITY",
            7_500_000,
            at=(35.68, 139.77),
            contact=("Yui Tanaka", "tanaka@tokyofintech.example"),
        ),
    ),
    LeadPlan(
        "mexico", 9, lead_input("Comercio Ciudad", "MX", "NETWORKING", 700_000, currency="MXN")
    ),
    LeadPlan(
        "lisbon",
        0.1,
        lead_input(
            "Lisboa Telecom",
            "PT",
            "NETWORKING",
            2_000_000,
            currency="EUR",
            source=LeadSource.CAMPAIGN,
        ),
        route=False,
    ),
    LeadPlan(
        "stockholm",
        0.05,
        lead_input(
            "Nordic Retail AB", "SE", "CLOUD", 1_100_000, currency="EUR", source=LeadSource.WEB
        ),
        route=False,
    ),
)


async def configure(demo: Demo) -> None:
    """The routing and deal-registration settings the demo's story assumes."""
    await policy.update(
        demo.hub,
        principal=demo.vendor,
        changes={
            "strategy": Strategy.BEST_SCORE,
            "radius_km": 150.0,
            "acceptance_hours": 48,
            "protection_days": 90,
            "auto_approve_tiers": frozenset({Tier.GOLD, Tier.PLATINUM}),
            "conflict_policy": policy.ConflictPolicy.REVIEW,
        },
    )


def stories(demo: Demo) -> list[Story]:
    return [_story(demo, plan) for plan in PLANS] + [_require_security(demo)]


PART = Part(order=50, configure=configure, stories=stories)


async def _story(demo: Demo, plan: LeadPlan) -> Story:
    yield plan.created
    data = dataclasses.replace(plan.lead, expected_close=_close(demo, plan.created))
    lead = await lead_service.create(
        demo.hub, principal=demo.manager, data=data, route_now=plan.route
    )
    demo.records[f"lead:{plan.name}"] = lead.id
    for days, step in plan.steps:
        yield days
        await step(demo, lead.id)


def _close(demo: Demo, created: float) -> date:
    return (demo.days_ago(created) + timedelta(days=75)).date()


async def _require_security(demo: Demo) -> Story:
    """From 45 days ago, security leads go only to partners with a certified user."""
    yield 45
    await policy.update(
        demo.hub,
        principal=demo.vendor,
        changes={"required_certifications": frozenset({"SECURITY"})},
    )
