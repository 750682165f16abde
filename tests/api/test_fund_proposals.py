"""Proposed fund allocations over the API: a budget spread by revenue share, tier or growth
from the revenue rollups, adjusted and confirmed in bulk, all or none, on PostgreSQL and the
embedded SQLite.

March 2026 (tests.api.test_analytics): Alpha delivered 80,000 USD cents net of a return,
Beta 19,800 (its GBP order has no rate), Gamma nothing; all three are ACTIVE and SILVER.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hub.partners.rules import PartnerStatus
from hub.roles import Role
from tests.api.test_analytics import march  # noqa: F401 (the fixture)
from tests.api.test_funds import (
    ALLOCATE,
    APPROVE,
    BUDGET,
    SUBMIT,
    UPDATE_BUDGET,
    money,
    open_budget,
    request_input,
)
from tests.api.test_races import Call, calls, twin  # noqa: F401 (the fixtures)
from tests.conftest import data_of
from tests.factories import Actor, Factory, errors_of

PROPOSE = """query($b: ID!, $rule: FundAllocationRuleInput!) {
  proposeFundAllocation(budgetId: $b, rule: $rule) {
    basis period { label } amount { amountMinor currency } kept { amountMinor }
    budget { id }
    allocations { partner { name } tier shareBasisPoints amount { amountMinor }
      current { amountMinor } reserved { amountMinor } basisAmount { amountMinor currency }
      tierWeight } } }"""
CONFIRM = """mutation($b: ID!, $allocations: [FundAllocationShareInput!]!) {
  confirmFundAllocations(budgetId: $b, allocations: $allocations) {
    id partner { name } amount { amountMinor } } }"""
MARCH_RULE = {"basis": "REVENUE_SHARE", "period": {"month": "2026-03"}}


async def propose(factory: Factory, actor: Actor, budget: str, **rule: Any) -> dict[str, Any]:
    return await factory.gql(PROPOSE, {"b": budget, "rule": {**MARCH_RULE, **rule}}, actor=actor)


def spread(answer: dict[str, Any]) -> list[tuple[str, int]]:
    lines = data_of(answer)["proposeFundAllocation"]["allocations"]
    return [(line["partner"]["name"], line["amount"]["amountMinor"]) for line in lines]


def shares(ids: dict[str, Any], **amounts: int) -> list[dict[str, Any]]:
    return [{"partnerId": ids[name].id, "amount": money(minor)} for name, minor in amounts.items()]


async def test_a_budget_is_spread_by_revenue_share_to_the_cent_adjusted_and_confirmed(
    march: dict[str, Any],  # noqa: F811 (the fixture)
) -> None:
    factory, vendor, ids = march["factory"], march["vendor"], march["partners"]
    budget = await open_budget(factory, vendor)  # 50,000.00 USD

    proposed = data_of(await propose(factory, vendor, budget))["proposeFundAllocation"]
    confirmed = data_of(
        await factory.gql(
            CONFIRM,
            {"b": budget, "allocations": shares(ids, Alpha=40_000_00, Beta=9_000_00)},
            actor=vendor,
        )
    )["confirmFundAllocations"]
    after = data_of(await factory.gql(BUDGET, {"id": budget}, actor=vendor))["fundBudget"]
    top = data_of(await propose(factory, vendor, budget, top=1))["proposeFundAllocation"]
    core = spread(await propose(factory, vendor, budget, coreOnly=True))

    assert (proposed["basis"], proposed["period"], proposed["budget"]) == (
        "REVENUE_SHARE",
        {"label": "2026-03"},
        {"id": budget},
    )
    assert (proposed["amount"], proposed["kept"]) == (money(50_000_00), {"amountMinor": 0})
    # 5,000,000 x 80,000 / 99,800 = 4,008,016.03 and x 19,800 / 99,800 = 991,983.97: the
    # cent left goes to the larger remainder, Beta's; Gamma sold nothing and gets nothing.
    assert proposed["allocations"] == [
        {
            "partner": {"name": "Alpha"},
            "tier": "SILVER",
            "shareBasisPoints": 8_016,
            "amount": {"amountMinor": 4_008_016},
            "current": {"amountMinor": 0},
            "reserved": {"amountMinor": 0},
            "basisAmount": money(80_000),
            "tierWeight": None,
        },
        {
            "partner": {"name": "Beta"},
            "tier": "SILVER",
            "shareBasisPoints": 1_983,
            "amount": {"amountMinor": 991_984},
            "current": {"amountMinor": 0},
            "reserved": {"amountMinor": 0},
            "basisAmount": money(19_800),
            "tierWeight": None,
        },
    ]
    assert [(a["partner"]["name"], a["amount"]["amountMinor"]) for a in confirmed] == [
        ("Alpha", 40_000_00),
        ("Beta", 9_000_00),
    ]
    assert after["allocated"] == {"amountMinor": 49_000_00}
    # Beta keeps its 9,000.00 when left out, so Alpha alone gets what that leaves.
    assert (top["kept"], top["amount"]) == ({"amountMinor": 9_000_00}, money(41_000_00))
    assert [(a["partner"]["name"], a["amount"]["amountMinor"]) for a in top["allocations"]] == [
        ("Alpha", 41_000_00)
    ]
    assert [(a["current"]) for a in top["allocations"]] == [{"amountMinor": 40_000_00}]
    assert core == [("Alpha", 41_000_00)]  # Alpha alone brings 80.16%


async def test_tiers_weigh_and_no_partner_is_proposed_less_than_it_has_reserved(
    march: dict[str, Any],  # noqa: F811 (the fixture)
) -> None:
    factory, vendor, ids = march["factory"], march["vendor"], march["partners"]
    budget = await open_budget(factory, vendor, amount=1_000_00)
    even = {"basis": "TIER", "tierWeights": [{"tier": "SILVER", "weight": 1}]}
    thirds = await factory.gql(PROPOSE, {"b": budget, "rule": even}, actor=vendor)
    gamma = await factory.user(ids["Gamma"].id, Role.PARTNER_ADMIN)
    allocation = data_of(
        await factory.gql(
            ALLOCATE, {"b": budget, "p": ids["Gamma"].id, "amount": money(500_00)}, actor=vendor
        )
    )["allocateFunds"]["id"]
    request = data_of(
        await factory.gql(SUBMIT, {"input": request_input(allocation, 400_00)}, actor=gamma)
    )["submitFundRequest"]["id"]
    data_of(await factory.gql(APPROVE, {"id": request}, actor=vendor))
    floored = await factory.gql(
        PROPOSE, {"b": budget, "rule": {**even, "amount": money(900_00)}}, actor=vendor
    )
    defaults = await factory.gql(PROPOSE, {"b": budget, "rule": {"basis": "TIER"}}, actor=vendor)
    nobody = await factory.gql(
        PROPOSE,
        {"b": budget, "rule": {"basis": "TIER", "tierWeights": [{"tier": "GOLD", "weight": 5}]}},
        actor=vendor,
    )

    # 100,000 in thirds: 33,333 each and the cent left to the lowest partner id.
    amounts = sorted(amount for _, amount in spread(thirds))
    assert amounts == [33_333, 33_333, 33_334]
    lowest = min(ids.values(), key=lambda partner: partner.id).name
    assert dict(spread(thirds))[lowest] == 33_334
    assert all(
        line["tierWeight"] == 1 for line in data_of(thirds)["proposeFundAllocation"]["allocations"]
    )
    # 90,000 in thirds is 30,000, below the 40,000 Gamma's approved request reserves: Gamma
    # gets 40,000 and the other two share the 50,000 left.
    assert dict(spread(floored)) == {"Alpha": 25_000, "Beta": 25_000, "Gamma": 40_000}
    # By the default weights (SILVER 2 for all three) the whole budget is spread.
    assert sum(amount for _, amount in spread(defaults)) == 1_000_00
    assert spread(nobody) == []


async def test_growth_is_over_the_period_before(
    march: dict[str, Any],  # noqa: F811 (the fixture)
) -> None:
    factory, vendor = march["factory"], march["vendor"]
    budget = await open_budget(factory, vendor, amount=1_000_00)

    march_growth = await propose(factory, vendor, budget, basis="GROWTH")
    april_growth = await propose(
        factory, vendor, budget, basis="GROWTH", period={"month": "2026-04"}
    )

    lines = data_of(march_growth)["proposeFundAllocation"]["allocations"]
    # February sold nothing: March's growth is March's revenue.
    assert [(line["partner"]["name"], line["basisAmount"]) for line in lines] == [
        ("Alpha", money(80_000)),
        ("Beta", money(19_800)),
    ]
    assert sum(line["amount"]["amountMinor"] for line in lines) == 1_000_00
    # April sold nothing: everyone shrank, nobody grew.
    assert spread(april_growth) == []


async def test_bad_rules_and_allocations_name_their_field_and_write_nothing(
    march: dict[str, Any],  # noqa: F811 (the fixture)
) -> None:
    factory, vendor, ids, alpha = (
        march["factory"],
        march["vendor"],
        march["partners"],
        march["alpha"],
    )
    budget = await open_budget(factory, vendor, amount=1_000_00)
    suspended = await factory.partner("Dormant", status=PartnerStatus.SUSPENDED)
    closed = await open_budget(factory, vendor, amount=1_00)
    await factory.gql(UPDATE_BUDGET, {"id": closed, "input": {"status": "CLOSED"}}, actor=vendor)
    tier_twice = [{"tier": "GOLD", "weight": 1}, {"tier": "GOLD", "weight": 2}]

    proposals = {
        "partner": await propose(factory, alpha, budget),
        "unknown budget": await propose(factory, vendor, "nope"),
        "closed budget": await propose(factory, vendor, closed),
        "weights without TIER": await propose(factory, vendor, budget, tierWeights=tier_twice[:1]),
        "weighed twice": await propose(
            factory, vendor, budget, basis="TIER", tierWeights=tier_twice
        ),
        "negative weight": await propose(
            factory, vendor, budget, basis="TIER", tierWeights=[{"tier": "GOLD", "weight": -1}]
        ),
        "core of tiers": await propose(factory, vendor, budget, basis="TIER", coreOnly=True),
        "top 0": await propose(factory, vendor, budget, top=0),
        "more than the budget": await propose(factory, vendor, budget, amount=money(1_000_01)),
        "other currency": await propose(factory, vendor, budget, amount=money(1_00, "EUR")),
        "bad period": await propose(factory, vendor, budget, period={"month": "2026-13"}),
    }
    confirms = {
        "partner": shares(ids, Alpha=1_00),
        "twice": shares(ids, Alpha=1_00) + shares(ids, Alpha=2_00),
        "unknown partner": [*shares(ids, Alpha=1_00), {"partnerId": "nope", "amount": money(1)}],
        "suspended": [*shares(ids, Alpha=1_00), {"partnerId": suspended.id, "amount": money(1)}],
        "over the budget": shares(ids, Alpha=600_00, Beta=400_01),
        "other currency": [
            *shares(ids, Alpha=1_00),
            {"partnerId": ids["Beta"].id, "amount": money(1_00, "EUR")},
        ],
        "none": [],
    }
    confirmed = {
        name: await factory.gql(
            CONFIRM,
            {"b": budget, "allocations": given},
            actor=alpha if name == "partner" else vendor,
        )
        for name, given in confirms.items()
    }
    after = data_of(await factory.gql(BUDGET, {"id": budget}, actor=vendor))["fundBudget"]

    assert {name: errors_of(answer) for name, answer in proposals.items()} == {
        "partner": [("FORBIDDEN", None)],
        "unknown budget": [("NOT_FOUND", "budgetId")],
        "closed budget": [("CONFLICT", "budgetId")],
        "weights without TIER": [("BAD_USER_INPUT", "rule.tierWeights")],
        "weighed twice": [("BAD_USER_INPUT", "rule.tierWeights")],
        "negative weight": [("BAD_USER_INPUT", "rule.tierWeights")],
        "core of tiers": [("BAD_USER_INPUT", "rule.coreOnly")],
        "top 0": [("BAD_USER_INPUT", "rule.top")],
        "more than the budget": [("CONFLICT", "rule.amount.amountMinor")],
        "other currency": [("BAD_USER_INPUT", "rule.amount.currency")],
        "bad period": [("BAD_USER_INPUT", "rule.period.month")],
    }
    assert {name: errors_of(answer) for name, answer in confirmed.items()} == {
        "partner": [("FORBIDDEN", None)],
        "twice": [("BAD_USER_INPUT", "allocations.1.partnerId")],
        "unknown partner": [("NOT_FOUND", "allocations.1.partnerId")],
        "suspended": [("BAD_USER_INPUT", "allocations.1.partnerId")],
        "over the budget": [("CONFLICT", "allocations")],
        "other currency": [("BAD_USER_INPUT", "allocations.1.amount.currency")],
        "none": [("BAD_USER_INPUT", "allocations")],
    }
    assert after["allocated"] == {"amountMinor": 0}


async def test_two_confirmations_racing_for_one_budget_never_allocate_more_than_it(
    march: dict[str, Any],  # noqa: F811 (the fixture)
    calls: list[Call],  # noqa: F811 (the fixture)
) -> None:
    factory, vendor, ids = march["factory"], march["vendor"], march["partners"]
    budget = await open_budget(factory, vendor, amount=1_000_00)
    first = shares(ids, Alpha=300_00, Beta=300_00)
    second = shares(ids, Gamma=500_00)

    answers = await asyncio.gather(
        calls[0](CONFIRM, {"b": budget, "allocations": first}, vendor),
        calls[1](CONFIRM, {"b": budget, "allocations": second}, vendor),
    )
    found = data_of(await factory.gql(BUDGET, {"id": budget}, actor=vendor))["fundBudget"]

    # Each fits alone (600 and 500 of 1,000); together they would allocate 1,100.00.
    won = [answer for answer in answers if "errors" not in answer]
    lost = [errors_of(answer) for answer in answers if "errors" in answer]
    assert len(won) == 1 and lost == [[("CONFLICT", "allocations")]]
    allocated = sum(a["amount"]["amountMinor"] for a in won[0]["data"]["confirmFundAllocations"])
    assert found["allocated"] == {"amountMinor": allocated}
