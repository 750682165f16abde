"""Demo market development funds: last half-year's budget, spent and closed, and this
half-year's, allocated to the bigger partners (a sub-reseller too) with requests in every
state (approved in full and in part, pending, rejected with a reason, withdrawn) and claims
with proofs in every state (submitted, asked for more, approved, paid, rejected); and next
half-year's, allocated to the top partners by their share of last year's revenue, as
proposed (`proposeFundAllocation`) and confirmed (`confirmFundAllocations`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from hub.demo import files
from hub.demo.leadwork import given_and_worked, lead_input
from hub.demo.world import HISTORY_DAYS, Demo, Part, Story
from hub.funds import budgets, claims, proposals, requests
from hub.funds.rules import ActivityType, BudgetChanges, BudgetInput, BudgetStatus, RequestInput
from hub.leads.rules import LeadSource
from hub.roles import Principal
from storage.models.funds import FundAllocation, FundRequest

CURRENCY = "USD"
# (login, allocation this half, allocation last half) in whole dollars.
ALLOCATIONS = (
    ("admin@northwind.example", 25_000, 20_000),
    ("admin@goldengate.example", 20_000, 15_000),
    ("admin@bayern.example", 15_000, 0),
    ("admin@prairie.example", 10_000, 8_000),
    ("admin@maple.example", 8_000, 0),
    ("admin@lakeside.example", 5_000, 0),
)


# Next half-year's budget, in whole dollars: 80% of it goes out as proposed.
NEXT_BUDGET_DOLLARS = 100_000


class Ask(NamedTuple):
    login: str
    title: str
    kind: ActivityType
    dollars: int
    # What happens to it: approved (for how much, None: in full), rejected (why), withdrawn.
    outcome: str
    approve_dollars: int | None = None
    reason: str = ""
    # What becomes of its claim, once the activity ended: submit, info, approve, paid, reject.
    claim: str | None = None
    # Leads the activity brought, once it ended: (customer, country, value in dollars, won).
    leads: tuple[tuple[str, str, int, bool], ...] = ()


CURRENT = (
    Ask(
        "admin@northwind.example",
        "Partner summit booth",
        ActivityType.EVENT,
        12_000,
        "approve",
        claim="submit",
        leads=(("Summit Shipping", "US", 18_000, True), ("Boothby Labs", "US", 9_500, False)),
    ),
    Ask(
        "admin@goldengate.example",
        "Cloud migration ads",
        ActivityType.DIGITAL,
        9_000,
        "approve",
        approve_dollars=7_500,
        reason="search ads only; social is not funded this half",
        claim="info",
    ),
    Ask("admin@bayern.example", "IT-Messe Munich", ActivityType.TRADE_SHOW, 6_000, "pending"),
    Ask(
        "admin@prairie.example",
        "Storage brochure reprint",
        ActivityType.PRINT,
        3_000,
        "reject",
        reason="print is not funded this half; ask again as a DIGITAL campaign",
    ),
    Ask("admin@maple.example", "Backup webinar series", ActivityType.WEBINAR, 2_500, "withdraw"),
    Ask("admin@lakeside.example", "Call campaign", ActivityType.TELEMARKETING, 4_000, "pending"),
)
PREVIOUS = (
    Ask(
        "admin@northwind.example",
        "Spring roadshow",
        ActivityType.EVENT,
        15_000,
        "approve",
        claim="paid",
        leads=(
            ("Roadshow Retail", "US", 42_000, True),
            ("Caravan Logistics", "US", 26_000, True),
            ("Tourbus Media", "US", 7_500, False),
        ),
    ),
    Ask(
        "admin@goldengate.example",
        "Webinar on hybrid cloud",
        ActivityType.WEBINAR,
        10_000,
        "approve",
        approve_dollars=8_000,
        claim="reject",
    ),
    Ask(
        "admin@northwind.example",
        "Reseller training day",
        ActivityType.TRAINING,
        3_000,
        "approve",
        claim="approve",
    ),
    Ask(
        "admin@prairie.example",
        "Golf day",
        ActivityType.EVENT,
        5_000,
        "reject",
        reason="hospitality is not market development",
    ),
)


def stories(demo: Demo) -> list[Story]:
    current = half_year(demo.end.date())
    previous = half_year(current[0] - timedelta(days=1))
    following = half_year(current[1] + timedelta(days=1))
    return [
        _budget(demo, previous, PREVIOUS, closed=True),
        _budget(demo, current, CURRENT),
        _proposed(demo, following),
    ]


PART = Part(order=65, stories=stories)


async def _proposed(demo: Demo, half: tuple[date, date]) -> Story:
    """Next half-year's budget, 80% of it spread over the 8 partners with the most revenue in
    the year before it starts, by their share of that revenue."""
    first, last = half
    yield _ago(demo, demo.end.date() - timedelta(days=2))
    budget = await budgets.create(
        demo.hub,
        principal=demo.vendor,
        data=BudgetInput(
            f"MDF {first.year} H{1 if first.month == 1 else 2}",
            first,
            last,
            NEXT_BUDGET_DOLLARS * 100,
            CURRENCY,
        ),
    )
    rule = proposals.Rule(
        proposals.Basis.REVENUE_SHARE,
        amount_minor=NEXT_BUDGET_DOLLARS * 80,
        currency=CURRENCY,
        top=8,
    )
    proposal = await proposals.propose(
        demo.hub, principal=demo.manager, budget_id=budget.id, rule=rule
    )
    shares = [
        budgets.Share(line.partner_id, line.amount_minor, CURRENCY)
        for line in proposal.lines
        if line.amount_minor
    ]
    if shares:
        await budgets.allocate_many(
            demo.hub, principal=demo.manager, budget_id=budget.id, shares=shares
        )


def half_year(day: date) -> tuple[date, date]:
    """The first and last day of the half-year `day` is in."""
    first = date(day.year, 1 if day.month <= 6 else 7, 1)
    last = date(day.year, 6, 30) if first.month == 1 else date(day.year, 12, 31)
    return first, last


def _ago(demo: Demo, day: date) -> float:
    """Days before the end of the demo of noon on `day`: never in the future, never before
    the history begins."""
    moment = datetime.combine(day, time(12), tzinfo=demo.end.tzinfo)
    return min(max((demo.end - moment).total_seconds() / 86400, 0.2), HISTORY_DAYS - 1)


async def _budget(
    demo: Demo, half: tuple[date, date], asks: tuple[Ask, ...], *, closed: bool = False
) -> Story:
    first, last = half
    name = f"MDF {first.year} H{1 if first.month == 1 else 2}"
    yield _ago(demo, first - timedelta(days=10))
    index = 1 if closed else 0
    total = sum(before if closed else now for _, now, before in ALLOCATIONS)
    budget = await budgets.create(
        demo.hub,
        principal=demo.vendor,
        data=BudgetInput(name, first, last, (total + 10_000) * 100, CURRENCY),
    )
    allocations: dict[str, FundAllocation] = {}
    for login, *dollars in ALLOCATIONS:
        if dollars[index]:
            allocations[login] = await budgets.allocate(
                demo.hub,
                principal=demo.manager,
                budget_id=budget.id,
                partner_id=demo.person(login).organization_id,
                amount_minor=dollars[index] * 100,
                currency=CURRENCY,
            )
    made: list[tuple[Ask, FundRequest]] = []
    for number, ask in enumerate(asks):
        asked = first + timedelta(days=3 + 6 * number)
        yield _ago(demo, asked)
        made.append((ask, await _request(demo, ask, allocations[ask.login].id, asked, last)))
    for ask, request in made:
        # A week after the activity, if that has come: claims stay within their window.
        claimed = request.activity_ends_on + timedelta(days=7)
        # Two days after the activity, the leads met there: before the claim, a week after.
        met = request.activity_ends_on + timedelta(days=2)
        for customer, country, value, won in ask.leads if met < demo.end.date() else ():
            yield _ago(demo, met)
            await _lead(demo, ask, request, (customer, country, value), won=won)
        if ask.claim and claimed < demo.end.date():
            yield _ago(demo, claimed)
            await _claim(demo, ask, request)
    if closed:
        yield _ago(demo, last + timedelta(days=5))
        await budgets.update(
            demo.hub,
            principal=demo.vendor,
            budget_id=budget.id,
            changes=BudgetChanges(status=BudgetStatus.CLOSED),
        )


async def _request(
    demo: Demo, ask: Ask, allocation_id: str, asked: date, last: date
) -> FundRequest:
    starts = min(asked + timedelta(days=21), last - timedelta(days=2))
    partner: Principal = demo.person(ask.login)
    request = await requests.submit(
        demo.hub,
        principal=partner,
        data=RequestInput(
            allocation_id=allocation_id,
            title=ask.title,
            activity_type=ask.kind,
            activity_starts_on=starts,
            activity_ends_on=starts + timedelta(days=2),
            amount_minor=ask.dollars * 100,
            currency=CURRENCY,
            description=f"{ask.title}: costs as quoted, leads shared within a week.",
            expected_leads=ask.dollars // 250,
        ),
    )
    decisions: dict[str, Callable[[], Awaitable[object]]] = {
        "approve": lambda: requests.approve(
            demo.hub,
            principal=demo.manager,
            request_id=request.id,
            amount_minor=ask.approve_dollars * 100 if ask.approve_dollars else None,
            note=ask.reason or None,
        ),
        "reject": lambda: requests.reject(
            demo.hub, principal=demo.manager, request_id=request.id, reason=ask.reason
        ),
    }
    if ask.outcome in decisions:
        await decisions[ask.outcome]()
    if ask.outcome == "withdraw":
        await requests.approve(demo.hub, principal=demo.manager, request_id=request.id)
        await requests.withdraw(demo.hub, principal=partner, request_id=request.id)
    return request


async def _lead(
    demo: Demo, ask: Ask, request: FundRequest, lead: tuple[str, str, int], *, won: bool
) -> None:
    """A lead met at the funded activity, naming it as its source, given to the partner that
    ran it and worked by it: to WON, or left QUALIFIED."""
    customer, country, dollars = lead
    data = dataclasses.replace(
        lead_input(customer, country, "NETWORKING", dollars * 100, source=LeadSource.CAMPAIGN),
        fund_request_id=request.id,
    )
    await given_and_worked(
        demo, data, request.partner_id, demo.person(ask.login), steps=3 if won else 2
    )


async def _claim(demo: Demo, ask: Ask, request: FundRequest) -> None:
    """Claim all that was approved, with an invoice and a photo, and decide as `ask.claim` says."""
    hub, manager = demo.hub, demo.manager
    approved = await requests.get(hub, principal=demo.vendor, request_id=request.id)
    amount = approved.approved_minor or 0
    invoice = files.pdf(f"Invoice: {ask.title}", [f"Total USD {amount / 100:,.2f}", "Paid."])
    photo = files.png(64, 40, (240, 240, 240), (30, 90, 160))
    claim = await claims.submit(
        hub,
        principal=demo.person(ask.login),
        request_id=request.id,
        amount_minor=amount,
        currency=CURRENCY,
        note=f"{ask.title} took place as planned.",
        proofs=[("invoice.pdf", files.chunks(invoice)), ("photo.png", files.chunks(photo))],
    )
    if ask.claim == "info":
        await claims.ask_for_more(
            hub, principal=manager, claim_id=claim.id, reason="add the list of attendees"
        )
    if ask.claim in ("approve", "paid"):
        await claims.approve(hub, principal=manager, claim_id=claim.id)
    if ask.claim == "paid":
        await claims.mark_paid(hub, principal=demo.vendor, claim_id=claim.id, reference="ERP-4711")
    if ask.claim == "reject":
        await claims.reject(
            hub, principal=manager, claim_id=claim.id, reason="the invoice is not itemised"
        )
