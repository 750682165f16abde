"""Demo deal registrations: approved at once or by review, pending, in conflict, rejected,
extended and expired, and one a distributor registered for its sub-reseller."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal, NamedTuple

from hub.demo.world import Demo, Part, Story
from hub.leads import deals


class Decision(NamedTuple):
    days: float
    verb: Literal["approve", "reject", "ask extension", "grant extension"]
    reason: str = ""
    extension_days: int = 0


class DealPlan(NamedTuple):
    name: str
    by: str
    registered: float
    customer: str
    country: str
    line: str
    value: int
    currency: str
    email: str | None = None
    for_partner: str | None = None
    decisions: tuple[Decision, ...] = ()


PLANS = (
    DealPlan(
        "alpen",
        "admin@bayern.example",
        125,
        "Alpen Versicherung AG",
        "DE",
        "CLOUD",
        18_000_000,
        "EUR",
        "it@alpen-versicherung.example",
    ),
    DealPlan(
        "initech",
        "admin@goldengate.example",
        95,
        "Initech",
        "US",
        "CLOUD",
        25_000_000,
        "USD",
        "it@initech.example",
        decisions=(
            Decision(20, "ask extension", "The customer's security review runs longer.", 30),
            Decision(18, "grant extension"),
        ),
    ),
    DealPlan(
        "globex",
        "admin@lakeside.example",
        60,
        "Globex Manufacturing",
        "US",
        "NETWORKING",
        3_400_000,
        "USD",
        "purchasing@globex.example",
        decisions=(Decision(58, "approve"),),
    ),
    DealPlan(
        "madison",
        "admin@northwind.example",
        35,
        "Madison Health System",
        "US",
        "SECURITY",
        6_700_000,
        "USD",
        "it@madisonhealth.example",
        for_partner="Prairie IT",
    ),
    DealPlan(
        "carrefour",
        "admin@seine.example",
        25,
        "Carrefour Régional",
        "FR",
        "CLOUD",
        9_000_000,
        "EUR",
        decisions=(
            Decision(
                23, "reject", "This account is served directly by the vendor's enterprise team."
            ),
        ),
    ),
    # The same email domain as Golden Gate's approved Initech registration: a conflict to review.
    DealPlan(
        "initech-uk",
        "admin@thames.example",
        15,
        "Initech UK Ltd",
        "GB",
        "STORAGE",
        4_100_000,
        "EUR",
        "procurement@initech.example",
    ),
    DealPlan(
        "mapleleaf",
        "admin@maple.example",
        8,
        "Maple Leaf Foods",
        "CA",
        "CLOUD",
        5_200_000,
        "USD",
        "chloe.roy@mapleleaf.example",
    ),
    DealPlan(
        "stark",
        "admin@rhein.example",
        4,
        "Stark Logistik GmbH",
        "DE",
        "NETWORKING",
        2_300_000,
        "EUR",
        "einkauf@stark-logistik.example",
    ),
)


def stories(demo: Demo) -> list[Story]:
    return [_story(demo, plan) for plan in PLANS]


PART = Part(order=40, stories=stories)


async def _story(demo: Demo, plan: DealPlan) -> Story:
    yield plan.registered
    deal = await deals.register(
        demo.hub,
        principal=demo.person(plan.by),
        data=deals.DealInput(
            customer_company=plan.customer,
            country=plan.country,
            product_line=plan.line,
            value_minor=plan.value,
            currency=plan.currency,
            expected_close=(demo.clock.now() + timedelta(days=60)).date(),
            customer_email=plan.email,
            partner_id=demo.partner(plan.for_partner) if plan.for_partner else None,
        ),
    )
    demo.records[f"deal:{plan.name}"] = deal.id
    for decision in plan.decisions:
        yield decision.days
        await _decide(demo, plan, deal.id, decision)


async def _decide(demo: Demo, plan: DealPlan, deal_id: str, decision: Decision) -> None:
    hub, manager = demo.hub, demo.manager
    if decision.verb == "approve":
        await deals.approve(hub, principal=manager, deal_id=deal_id)
    elif decision.verb == "reject":
        await deals.reject(hub, principal=manager, deal_id=deal_id, reason=decision.reason)
    elif decision.verb == "ask extension":
        await deals.request_extension(
            hub,
            principal=demo.person(plan.by),
            deal_id=deal_id,
            days=decision.extension_days,
            reason=decision.reason,
        )
    else:
        await deals.approve_extension(hub, principal=manager, deal_id=deal_id)
