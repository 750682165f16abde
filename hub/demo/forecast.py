"""Demo forecasting: the vendor's sales stages, partners' commits every quarter, and the open
pipeline staged with probabilities and expected close dates in this quarter and the next.

Commits are submitted some days into each quarter (a quarter that has ended takes none), so
past quarters show forecast accuracy against what was delivered, and the current one shows
what the partners promised next to the pipeline.
"""

from __future__ import annotations

from datetime import date, timedelta

from hub.analytics import periods
from hub.demo.sales import BUYERS, Buyer
from hub.demo.world import HISTORY_DAYS, Demo, Part, Story
from hub.forecast import commits
from hub.forecast import opportunities as opportunity_service
from hub.forecast.rules import OpportunityChanges, OpportunityStatus, StageInput
from hub.pagination import PageRequest
from hub.roles import Principal
from storage.models.forecast import Opportunity

STAGES = (
    StageInput("PROSPECTING", "Prospecting", 10),
    StageInput("QUALIFICATION", "Qualification", 25),
    StageInput("PROPOSAL", "Proposal", 50),
    StageInput("NEGOTIATION", "Negotiation", 75),
    StageInput("COMMIT", "Verbal commit", 90),
)
# (the partner's login, its main product line, the share of its expected revenue it commits)
COMMITTERS = (
    ("admin@northwind.example", "NETWORKING", 90),
    ("admin@goldengate.example", "CLOUD", 85),
    ("admin@bayern.example", "CLOUD", 95),
    ("admin@prairie.example", "STORAGE", 80),
    ("admin@maple.example", "CLOUD", 110),
    ("admin@thames.example", "STORAGE", 70),
)
# What a unit sells for on average, in minor units, after tier discounts.
AVERAGE_UNIT_MINOR = 270_000
# How many days into a quarter its commits come in.
COMMIT_AFTER_DAYS = 12
# Days ago the open pipeline is reviewed.
REVIEWED = 2.0


async def configure(demo: Demo) -> None:
    """The vendor's stages, one more than the defaults: a verbal commit at 90%."""
    await opportunity_service.set_stages(demo.hub, principal=demo.vendor, stages_in=STAGES)


def stories(demo: Demo) -> list[Story]:
    return [_commits(demo), _review(demo)]


PART = Part(order=58, configure=configure, stories=stories)


def quarters(start: date, end: date) -> list[periods.Period]:
    """The quarters that begin within [start, end], and the one `end` is in."""
    found: list[periods.Period] = []
    current = periods.quarter(start)
    while current.start <= end:
        if current.start >= start or current.end > end:
            found.append(current)
        current = periods.quarter(current.end)
    return found


def expected_quarter_minor(buyer: Buyer) -> int:
    low, high = buyer.units
    return round(buyer.per_month * 3 * buyer.lines * (low + high) / 2 * AVERAGE_UNIT_MINOR)


async def _commits(demo: Demo) -> Story:
    buyers = {buyer.login: buyer for buyer in BUYERS}
    end = demo.end.date()
    for quarter in quarters(demo.days_ago(HISTORY_DAYS).date(), end):
        submitted = quarter.start + timedelta(days=COMMIT_AFTER_DAYS)
        yield max((end - submitted).days, 0.5)
        for login, line, percent in COMMITTERS:
            buyer = buyers[login]
            commit = expected_quarter_minor(buyer) * percent // 100
            await commits.submit(
                demo.hub,
                principal=demo.person(login),
                data=commits.CommitInput(
                    period=quarter,
                    product_line=line,
                    commit_minor=commit,
                    best_case_minor=commit * 5 // 4,
                    currency=buyer.currency,
                    best_case_currency=buyer.currency,
                ),
            )


async def _review(demo: Demo) -> Story:
    """The partners stage their open opportunities: most close this quarter, some the next."""
    yield REVIEWED
    this = periods.quarter(demo.end.date())
    # Two days ago may still be the quarter before: the dates go into this one all the same.
    today = max(demo.clock.now().date(), this.start)
    for number, opportunity in enumerate(await _open(demo)):
        stage = STAGES[number % len(STAGES)]
        if number % 4 == 3:
            closes = periods.quarter(this.end).start + timedelta(days=20 + number % 40)
        else:
            room = max((this.end - today).days - 1, 0)
            closes = today + timedelta(days=number * 7 % (room + 1))
        given = {"stage", "expected_close"}
        if number % 5 == 0:
            given.add("probability_percent")
        await opportunity_service.update(
            demo.hub,
            principal=_worker(demo, opportunity.partner_id),
            opportunity_id=opportunity.id,
            changes=OpportunityChanges(
                stage=stage.key,
                probability_percent=min(stage.probability_percent + 10, 100),
                expected_close=closes,
                given=frozenset(given),
            ),
            expected_version=opportunity.version,
        )


def _worker(demo: Demo, partner_id: str) -> Principal:
    """The partner's demo user, or the channel manager for a partner with none."""
    try:
        return demo.staff_of(partner_id)
    except LookupError:
        return demo.manager


async def _open(demo: Demo) -> list[Opportunity]:
    found: list[Opportunity] = []
    after: str | None = None
    while True:
        page = await opportunity_service.list_opportunities(
            demo.hub,
            principal=demo.vendor,
            filter=opportunity_service.OpportunityFilter(statuses=[OpportunityStatus.OPEN]),
            page=PageRequest(first=100, after=after, count=False),
        )
        found += page.items
        if not page.has_next_page:
            return list(reversed(found))
        after = page.cursors[-1]
