"""Market development funds over the API: budgets, allocations, requests and their rules,
tenancy, and approvals racing for one allocation, on PostgreSQL and the embedded SQLite.

The clock stands at 2 March 2026; the budget "MDF 2026 H1" runs from 1 January to 30 June.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hub.clock import ManualClock
from hub.partners import PartnerStatus, PartnerType
from hub.roles import Role
from tests.api.test_races import Call, calls, twin  # noqa: F401 (the fixtures)
from tests.conftest import data_of
from tests.factories import Actor, Factory, errors_of

BUDGET_FIELDS = """id name startsOn endsOn currency status version
  amount { amountMinor currency } allocated { amountMinor } unallocated { amountMinor }"""
CREATE_BUDGET = f"""mutation($input: FundBudgetInput!) {{
  createFundBudget(input: $input) {{ {BUDGET_FIELDS} }} }}"""
UPDATE_BUDGET = f"""mutation($id: ID!, $input: FundBudgetChangesInput!) {{
  updateFundBudget(id: $id, input: $input) {{ {BUDGET_FIELDS} }} }}"""
BUDGETS = f"""query {{ fundBudgets {{ totalCount edges {{ node {{ {BUDGET_FIELDS} }} }} }} }}"""
BUDGET = f"""query($id: ID!) {{ fundBudget(id: $id) {{ {BUDGET_FIELDS} }} }}"""
ALLOCATION_FIELDS = """id amount { amountMinor currency } reserved { amountMinor }
  available { amountMinor } partner { name } budget { name amount { amountMinor } }"""
ALLOCATE = f"""mutation($b: ID!, $p: ID!, $amount: MoneyInput!) {{
  allocateFunds(budgetId: $b, partnerId: $p, amount: $amount) {{ {ALLOCATION_FIELDS} }} }}"""
ALLOCATIONS = f"""query($filter: FundAllocationFilter) {{ fundAllocations(filter: $filter) {{
  totalCount edges {{ node {{ {ALLOCATION_FIELDS} }} }} }} }}"""
ALLOCATION = f"""query($id: ID!) {{ fundAllocation(id: $id) {{ {ALLOCATION_FIELDS} }} }}"""
REQUEST_FIELDS = """id title status version activityType activityStartsOn activityEndsOn
  requested { amountMinor currency } approved { amountMinor } decisionNote expectedLeads
  partner { name } allocation { reserved { amountMinor } available { amountMinor } }"""
SUBMIT = f"""mutation($input: FundRequestInput!) {{
  submitFundRequest(input: $input) {{ {REQUEST_FIELDS} }} }}"""
APPROVE = f"""mutation($id: ID!, $amount: MoneyInput, $note: String, $v: Int) {{
  approveFundRequest(id: $id, amount: $amount, note: $note, expectedVersion: $v) {{
    {REQUEST_FIELDS} }} }}"""
REJECT = f"""mutation($id: ID!, $reason: String!) {{
  rejectFundRequest(id: $id, reason: $reason) {{ {REQUEST_FIELDS} }} }}"""
WITHDRAW = f"""mutation($id: ID!) {{ withdrawFundRequest(id: $id) {{ {REQUEST_FIELDS} }} }}"""
REQUESTS = f"""query($filter: FundRequestFilter) {{ fundRequests(filter: $filter) {{
  totalCount edges {{ node {{ {REQUEST_FIELDS} }} }} }} }}"""
REQUEST = f"""query($id: ID!) {{ fundRequest(id: $id) {{ {REQUEST_FIELDS} }} }}"""


def money(amount: int, currency: str = "USD") -> dict[str, Any]:
    return {"amountMinor": amount, "currency": currency}


def request_input(allocation_id: str, minor: int, **fields: Any) -> dict[str, Any]:
    return {
        "allocationId": allocation_id,
        "title": "Spring roadshow",
        "activityType": "EVENT",
        "activityStartsOn": "2026-04-01",
        "activityEndsOn": "2026-04-03",
        "amount": money(minor),
        **fields,
    }


async def open_budget(factory: Factory, vendor: Actor, amount: int = 50_000_00) -> str:
    budget = {
        "name": "MDF 2026 H1",
        "startsOn": "2026-01-01",
        "endsOn": "2026-06-30",
        "amount": money(amount),
    }
    return str(
        data_of(await factory.gql(CREATE_BUDGET, {"input": budget}, actor=vendor))[
            "createFundBudget"
        ]["id"]
    )


async def allocate(
    factory: Factory, vendor: Actor, budget: str, partner: str, amount: int
) -> dict[str, Any]:
    variables = {"b": budget, "p": partner, "amount": money(amount)}
    return await factory.gql(ALLOCATE, variables, actor=vendor)


@pytest.fixture
async def funds(any_factory: Factory) -> dict[str, Any]:
    """A budget of 50,000.00 USD; Alpha is allocated 10,000.00, Beta 5,000.00."""
    factory = any_factory
    vendor = await factory.vendor_admin()
    alpha, beta = await factory.partner("Alpha"), await factory.partner("Beta")
    budget = await open_budget(factory, vendor)
    allocations = {}
    for partner, amount in [(alpha, 10_000_00), (beta, 5_000_00)]:
        allocated = data_of(await allocate(factory, vendor, budget, partner.id, amount))
        allocations[partner.name] = allocated["allocateFunds"]["id"]
    return {
        "factory": factory,
        "vendor": vendor,
        "budget": budget,
        "allocations": allocations,
        "alpha": await factory.user(alpha.id, Role.PARTNER_USER),
        "beta": await factory.user(beta.id, Role.PARTNER_ADMIN),
        "partners": {"Alpha": alpha, "Beta": beta},
    }


async def test_a_request_is_submitted_approved_in_part_and_withdrawn_with_exact_figures(
    funds: dict[str, Any],
) -> None:
    factory, vendor, alpha = funds["factory"], funds["vendor"], funds["alpha"]
    allocation = funds["allocations"]["Alpha"]
    submitted = data_of(
        await factory.gql(
            SUBMIT, {"input": request_input(allocation, 4_000_00, expectedLeads=40)}, actor=alpha
        )
    )["submitFundRequest"]
    request = submitted["id"]
    approved = data_of(
        await factory.gql(
            APPROVE,
            {"id": request, "amount": money(3_000_00), "note": "booth only", "v": 1},
            actor=vendor,
        )
    )["approveFundRequest"]
    budget = data_of(await factory.gql(BUDGET, {"id": funds["budget"]}, actor=vendor))
    withdrawn = data_of(await factory.gql(WITHDRAW, {"id": request}, actor=alpha))

    assert submitted == {
        "id": request,
        "title": "Spring roadshow",
        "status": "SUBMITTED",
        "version": 1,
        "activityType": "EVENT",
        "activityStartsOn": "2026-04-01",
        "activityEndsOn": "2026-04-03",
        "requested": money(4_000_00),
        "approved": None,
        "decisionNote": None,
        "expectedLeads": 40,
        "partner": {"name": "Alpha"},
        "allocation": {"reserved": {"amountMinor": 0}, "available": {"amountMinor": 10_000_00}},
    }
    assert (approved["status"], approved["version"], approved["approved"]) == (
        "APPROVED",
        2,
        {"amountMinor": 3_000_00},
    )
    assert approved["decisionNote"] == "booth only"
    assert approved["allocation"] == {
        "reserved": {"amountMinor": 3_000_00},
        "available": {"amountMinor": 7_000_00},
    }
    assert budget["fundBudget"]["allocated"] == {"amountMinor": 15_000_00}
    assert budget["fundBudget"]["unallocated"] == {"amountMinor": 35_000_00}
    assert withdrawn["withdrawFundRequest"]["status"] == "WITHDRAWN"
    assert withdrawn["withdrawFundRequest"]["allocation"] == {
        "reserved": {"amountMinor": 0},
        "available": {"amountMinor": 10_000_00},
    }


async def test_allocations_never_exceed_the_budget_nor_fall_below_what_is_reserved(
    funds: dict[str, Any],
) -> None:
    factory, vendor, budget = funds["factory"], funds["vendor"], funds["budget"]
    gamma = await factory.partner("Gamma")
    over = await allocate(factory, vendor, budget, gamma.id, 35_000_01)
    exact = data_of(await allocate(factory, vendor, budget, gamma.id, 35_000_00))
    lowered = data_of(
        await allocate(factory, vendor, budget, funds["partners"]["Beta"].id, 1_000_00)
    )
    alpha_allocation = funds["allocations"]["Alpha"]
    request = data_of(
        await factory.gql(
            SUBMIT, {"input": request_input(alpha_allocation, 6_000_00)}, actor=funds["alpha"]
        )
    )["submitFundRequest"]["id"]
    data_of(await factory.gql(APPROVE, {"id": request}, actor=vendor))
    below = await allocate(factory, vendor, budget, funds["partners"]["Alpha"].id, 5_999_99)
    shrink = await factory.gql(
        UPDATE_BUDGET, {"id": budget, "input": {"amount": money(40_000_00)}}, actor=vendor
    )
    allocations = data_of(
        await factory.gql(ALLOCATIONS, {"filter": {"budgetId": budget}}, actor=vendor)
    )

    assert errors_of(over) == [("CONFLICT", "amount.amountMinor")]
    assert "35000" in over["errors"][0]["message"]
    assert exact["allocateFunds"]["amount"] == money(35_000_00)
    assert lowered["allocateFunds"]["available"] == {"amountMinor": 1_000_00}
    assert errors_of(below) == [("CONFLICT", "amount.amountMinor")]
    assert errors_of(shrink) == [("CONFLICT", "input.amount.amountMinor")]
    assert {
        edge["node"]["partner"]["name"]: edge["node"]["amount"]["amountMinor"]
        for edge in allocations["fundAllocations"]["edges"]
    } == {"Alpha": 10_000_00, "Beta": 1_000_00, "Gamma": 35_000_00}


async def test_bad_input_is_refused_with_its_field_and_writes_nothing(
    funds: dict[str, Any],
) -> None:
    factory, vendor, alpha = funds["factory"], funds["vendor"], funds["alpha"]
    allocation, budget = funds["allocations"]["Alpha"], funds["budget"]
    paused = await factory.partner("Paused", status=PartnerStatus.SUSPENDED)
    cases = [
        (SUBMIT, {"input": request_input(allocation, 100, amount=money(100, "EUR"))}, alpha),
        (SUBMIT, {"input": request_input(allocation, 100, activityEndsOn="2026-07-01")}, alpha),
        (SUBMIT, {"input": request_input(allocation, 100, activityStartsOn="2025-12-31")}, alpha),
        (SUBMIT, {"input": request_input(allocation, 100, activityEndsOn="2026-03-31")}, alpha),
        (SUBMIT, {"input": request_input(allocation, 100, title="road\x00show")}, alpha),
        (SUBMIT, {"input": request_input(allocation, 0)}, alpha),
        (SUBMIT, {"input": request_input(allocation, 100, amount=money(100, "XYZ"))}, alpha),
        (SUBMIT, {"input": request_input(allocation, 100, expectedLeads=-1)}, alpha),
        (SUBMIT, {"input": request_input(allocation, 10_000_01)}, alpha),
        (ALLOCATE, {"b": budget, "p": paused.id, "amount": money(100)}, vendor),
        (
            ALLOCATE,
            {"b": budget, "p": funds["partners"]["Beta"].id, "amount": money(1, "EUR")},
            vendor,
        ),
        (
            CREATE_BUDGET,
            {
                "input": {
                    "name": "Backwards",
                    "startsOn": "2026-06-01",
                    "endsOn": "2026-05-31",
                    "amount": money(100),
                }
            },
            vendor,
        ),
        (
            CREATE_BUDGET,
            {
                "input": {
                    "name": " ",
                    "startsOn": "2026-01-01",
                    "endsOn": "2026-05-31",
                    "amount": money(100),
                }
            },
            vendor,
        ),
    ]
    answers = [
        await factory.gql(query, variables, actor=actor) for query, variables, actor in cases
    ]
    requests = data_of(await factory.gql(REQUESTS, actor=vendor))["fundRequests"]
    budgets = data_of(await factory.gql(BUDGETS, actor=vendor))["fundBudgets"]

    assert [errors_of(answer) for answer in answers] == [
        [("BAD_USER_INPUT", "input.amount.currency")],
        [("BAD_USER_INPUT", "input.activityEndsOn")],
        [("BAD_USER_INPUT", "input.activityStartsOn")],
        [("BAD_USER_INPUT", "input.activityEndsOn")],
        [("BAD_USER_INPUT", "input.title")],
        [("BAD_USER_INPUT", "input.amount.amountMinor")],
        [("BAD_USER_INPUT", "input.amount.currency")],
        [("BAD_USER_INPUT", "input.expectedLeads")],
        [("CONFLICT", "input.amount.amountMinor")],
        [("BAD_USER_INPUT", "partnerId")],
        [("BAD_USER_INPUT", "amount.currency")],
        [("BAD_USER_INPUT", "input.endsOn")],
        [("BAD_USER_INPUT", "input.name")],
    ]
    assert "2026-01-01 to 2026-06-30" in answers[1]["errors"][0]["message"]
    assert requests["totalCount"] == 0
    assert budgets["totalCount"] == 1


async def test_decisions_follow_the_requests_state_and_rejection_needs_a_reason(
    funds: dict[str, Any],
) -> None:
    factory, vendor, alpha = funds["factory"], funds["vendor"], funds["alpha"]
    allocation = funds["allocations"]["Alpha"]

    async def submitted(amount: int) -> str:
        answer = await factory.gql(
            SUBMIT, {"input": request_input(allocation, amount)}, actor=alpha
        )
        return str(data_of(answer)["submitFundRequest"]["id"])

    first, second = await submitted(1_000_00), await submitted(2_000_00)
    blank = await factory.gql(REJECT, {"id": first, "reason": "  "}, actor=vendor)
    rejected = data_of(
        await factory.gql(REJECT, {"id": first, "reason": "no agenda attached"}, actor=vendor)
    )["rejectFundRequest"]
    again = await factory.gql(APPROVE, {"id": first}, actor=vendor)
    withdraw_rejected = await factory.gql(WITHDRAW, {"id": first}, actor=alpha)
    stale = await factory.gql(APPROVE, {"id": second, "v": 7}, actor=vendor)
    more = await factory.gql(APPROVE, {"id": second, "amount": money(2_000_01)}, actor=vendor)
    by_partner = await factory.gql(APPROVE, {"id": second}, actor=alpha)
    by_vendor = await factory.gql(SUBMIT, {"input": request_input(allocation, 1)}, actor=vendor)
    listed = data_of(
        await factory.gql(REQUESTS, {"filter": {"statuses": ["SUBMITTED"]}}, actor=alpha)
    )["fundRequests"]

    assert errors_of(blank) == [("BAD_USER_INPUT", "reason")]
    assert (rejected["status"], rejected["decisionNote"]) == ("REJECTED", "no agenda attached")
    assert errors_of(again) == [("CONFLICT", "id")]
    assert errors_of(withdraw_rejected) == [("CONFLICT", "id")]
    assert errors_of(stale) == [("CONFLICT", "expectedVersion")]
    assert errors_of(more) == [("BAD_USER_INPUT", "amount.amountMinor")]
    assert [code for code, _ in errors_of(by_partner)] == ["FORBIDDEN"]
    assert [code for code, _ in errors_of(by_vendor)] == ["FORBIDDEN"]
    assert [edge["node"]["id"] for edge in listed["edges"]] == [second]


async def test_a_closed_budget_takes_no_allocation_request_nor_approval(
    funds: dict[str, Any],
) -> None:
    factory, vendor, alpha = funds["factory"], funds["vendor"], funds["alpha"]
    allocation, budget = funds["allocations"]["Alpha"], funds["budget"]
    pending = data_of(
        await factory.gql(SUBMIT, {"input": request_input(allocation, 1_000_00)}, actor=alpha)
    )["submitFundRequest"]["id"]
    closed = data_of(
        await factory.gql(
            UPDATE_BUDGET, {"id": budget, "input": {"status": "CLOSED"}}, actor=vendor
        )
    )["updateFundBudget"]
    answers = [
        await factory.gql(SUBMIT, {"input": request_input(allocation, 1_00)}, actor=alpha),
        await allocate(factory, vendor, budget, funds["partners"]["Beta"].id, 1_00),
        await factory.gql(APPROVE, {"id": pending}, actor=vendor),
    ]

    assert (closed["status"], closed["version"]) == ("CLOSED", 2)
    assert [errors_of(answer) for answer in answers] == [
        [("CONFLICT", "input.allocationId")],
        [("CONFLICT", "budgetId")],
        [("CONFLICT", "id")],
    ]


async def test_a_partner_sees_its_own_funds_and_nothing_of_another_partners(
    funds: dict[str, Any],
) -> None:
    factory, vendor, alpha, beta = funds["factory"], funds["vendor"], funds["alpha"], funds["beta"]
    alpha_allocation, beta_allocation = funds["allocations"]["Alpha"], funds["allocations"]["Beta"]
    request = data_of(
        await factory.gql(SUBMIT, {"input": request_input(alpha_allocation, 1_000_00)}, actor=alpha)
    )["submitFundRequest"]["id"]
    stranger = await factory.partner("Stranger")
    stranger_admin = await factory.user(stranger.id, Role.PARTNER_ADMIN)
    other_budget = await open_budget(factory, vendor, amount=1_00)
    seen = {
        "request": await factory.gql(REQUEST, {"id": request}, actor=beta),
        "allocation": await factory.gql(ALLOCATION, {"id": alpha_allocation}, actor=beta),
        "budget": await factory.gql(BUDGET, {"id": other_budget}, actor=beta),
        "submit": await factory.gql(
            SUBMIT, {"input": request_input(alpha_allocation, 1_00)}, actor=beta
        ),
        "withdraw": await factory.gql(WITHDRAW, {"id": request}, actor=beta),
    }
    beta_lists = {
        "requests": data_of(await factory.gql(REQUESTS, actor=beta))["fundRequests"],
        "allocations": data_of(await factory.gql(ALLOCATIONS, actor=beta))["fundAllocations"],
        "budgets": data_of(await factory.gql(BUDGETS, actor=beta))["fundBudgets"],
    }
    stranger_budgets = data_of(await factory.gql(BUDGETS, actor=stranger_admin))["fundBudgets"]
    filtered = data_of(
        await factory.gql(
            REQUESTS, {"filter": {"partnerId": funds["partners"]["Alpha"].id}}, actor=beta
        )
    )["fundRequests"]

    assert {name: errors_of(answer) for name, answer in seen.items()} == {
        "request": [("NOT_FOUND", "id")],
        "allocation": [("NOT_FOUND", "id")],
        "budget": [("NOT_FOUND", "id")],
        "submit": [("NOT_FOUND", "input.allocationId")],
        "withdraw": [("NOT_FOUND", "id")],
    }
    assert beta_lists["requests"]["totalCount"] == 0
    assert [edge["node"]["id"] for edge in beta_lists["allocations"]["edges"]] == [beta_allocation]
    [budget] = [edge["node"] for edge in beta_lists["budgets"]["edges"]]
    assert (budget["id"], budget["amount"], budget["allocated"]) == (funds["budget"], None, None)
    assert stranger_budgets["totalCount"] == 0
    assert filtered["totalCount"] == 0


async def test_a_distributor_sees_its_sub_resellers_funds_but_requests_only_its_own(
    funds: dict[str, Any],
) -> None:
    factory, vendor = funds["factory"], funds["vendor"]
    distributor = await factory.partner("Distributor", type=PartnerType.DISTRIBUTOR)
    dist_user = await factory.user(distributor.id, Role.PARTNER_ADMIN)
    dist_allocation = data_of(
        await allocate(factory, vendor, funds["budget"], distributor.id, 1_000_00)
    )["allocateFunds"]["id"]
    sub = await factory.partner("Sub", parent_id=distributor.id)
    sub_user = await factory.user(sub.id, Role.PARTNER_USER)
    sub_allocation = data_of(await allocate(factory, vendor, funds["budget"], sub.id, 2_000_00))[
        "allocateFunds"
    ]["id"]
    request = data_of(
        await factory.gql(SUBMIT, {"input": request_input(sub_allocation, 500_00)}, actor=sub_user)
    )["submitFundRequest"]["id"]
    seen = data_of(await factory.gql(REQUEST, {"id": request}, actor=dist_user))
    for_sub = await factory.gql(
        SUBMIT, {"input": request_input(sub_allocation, 1_00)}, actor=dist_user
    )
    sub_sees_parent = await factory.gql(ALLOCATION, {"id": dist_allocation}, actor=sub_user)

    assert seen["fundRequest"]["partner"] == {"name": "Sub"}
    assert [code for code, _ in errors_of(for_sub)] == ["FORBIDDEN"]
    assert errors_of(sub_sees_parent) == [("NOT_FOUND", "id")]


async def test_concurrent_approvals_never_reserve_more_than_the_allocation(
    any_factory: Factory,
    calls: list[Call],  # noqa: F811 (the fixture)
) -> None:
    factory = any_factory
    vendor = await factory.vendor_admin()
    partner = await factory.partner("Racer")
    user = await factory.user(partner.id, Role.PARTNER_USER)
    budget = await open_budget(factory, vendor)
    allocation = data_of(await allocate(factory, vendor, budget, partner.id, 10_000))[
        "allocateFunds"
    ]["id"]
    requests = [
        data_of(await factory.gql(SUBMIT, {"input": request_input(allocation, 1_000)}, actor=user))[
            "submitFundRequest"
        ]["id"]
        for _ in range(12)
    ]

    answers = await asyncio.gather(
        *(
            calls[index % 2](APPROVE, {"id": request}, vendor)
            for index, request in enumerate(requests)
        )
    )
    found = data_of(await factory.gql(ALLOCATION, {"id": allocation}, actor=vendor))
    approved = data_of(
        await factory.gql(REQUESTS, {"filter": {"statuses": ["APPROVED"]}}, actor=vendor)
    )["fundRequests"]

    outcomes = sorted(
        "APPROVED" if "errors" not in answer else answer["errors"][0]["extensions"]["code"]
        for answer in answers
    )
    assert outcomes == ["APPROVED"] * 10 + ["CONFLICT"] * 2
    assert found["fundAllocation"]["reserved"] == {"amountMinor": 10_000}
    assert found["fundAllocation"]["available"] == {"amountMinor": 0}
    assert approved["totalCount"] == 10


async def test_concurrent_allocations_never_exceed_the_budget(
    any_factory: Factory,
    calls: list[Call],  # noqa: F811 (the fixture)
) -> None:
    factory = any_factory
    vendor = await factory.vendor_admin()
    partners = [await factory.partner(f"Partner {index}") for index in range(8)]
    budget = await open_budget(factory, vendor, amount=5_000)

    answers = await asyncio.gather(
        *(
            calls[index % 2](
                ALLOCATE, {"b": budget, "p": partner.id, "amount": money(1_000)}, vendor
            )
            for index, partner in enumerate(partners)
        )
    )
    found = data_of(await factory.gql(BUDGET, {"id": budget}, actor=vendor))["fundBudget"]

    codes = sorted(
        "OK" if "errors" not in answer else answer["errors"][0]["extensions"]["code"]
        for answer in answers
    )
    assert codes == ["CONFLICT"] * 3 + ["OK"] * 5
    assert found["allocated"] == {"amountMinor": 5_000}
    assert found["unallocated"] == {"amountMinor": 0}


async def test_a_claim_decided_twice_at_once_is_decided_once_and_releases_once(
    any_factory: Factory,
    calls: list[Call],  # noqa: F811 (the fixture)
    clock: ManualClock,
) -> None:
    from tests.api.test_fund_claims import (  # it imports this module
        APPROVE_CLAIM,
        CLAIM,
        PDF,
        REJECT_CLAIM,
        SUBMIT_CLAIM,
        upload,
    )

    factory = any_factory
    vendor = await factory.vendor_admin()
    partner = await factory.partner("Claimer")
    user = await factory.user(partner.id, Role.PARTNER_USER)
    budget = await open_budget(factory, vendor)
    allocation = data_of(await allocate(factory, vendor, budget, partner.id, 10_000))[
        "allocateFunds"
    ]["id"]
    asked = await factory.gql(SUBMIT, {"input": request_input(allocation, 4_000)}, actor=user)
    request = data_of(asked)["submitFundRequest"]["id"]
    data_of(await factory.gql(APPROVE, {"id": request}, actor=vendor))
    clock.advance(days=33)
    vendor, user = factory.fresh(vendor), factory.fresh(user)
    variables = {"request": request, "amount": money(3_000)}
    submitted = await upload(factory, user, SUBMIT_CLAIM, variables, [("invoice.pdf", PDF)])
    claim = data_of(submitted)["submitFundClaim"]["id"]

    answers = await asyncio.gather(
        calls[0](APPROVE_CLAIM, {"id": claim}, vendor),
        calls[1](REJECT_CLAIM, {"id": claim, "reason": "duplicate"}, vendor),
        calls[0](REJECT_CLAIM, {"id": claim, "reason": "duplicate"}, vendor),
        calls[1](APPROVE_CLAIM, {"id": claim}, vendor),
    )
    found = data_of(await factory.gql(CLAIM, {"id": claim}, actor=vendor))["fundClaim"]

    codes = sorted(
        "OK" if "errors" not in answer else answer["errors"][0]["extensions"]["code"]
        for answer in answers
    )
    assert codes == ["CONFLICT"] * 3 + ["OK"]
    # Approved: 3,000 of the 4,000 reserved stays; rejected: all 4,000 goes back. Never both.
    reserved = found["request"]["allocation"]["reserved"]["amountMinor"]
    assert (found["status"], reserved) in {("APPROVED", 3_000), ("REJECTED", 0)}


async def test_vendor_lists_narrow_by_status_budget_and_partner(funds: dict[str, Any]) -> None:
    factory, vendor, alpha, beta = funds["factory"], funds["vendor"], funds["alpha"], funds["beta"]
    closed = await open_budget(factory, vendor, amount=2_000_00)
    closed_input = {"name": "Closed pool", "status": "CLOSED"}
    await factory.gql(UPDATE_BUDGET, {"id": closed, "input": closed_input}, actor=vendor)
    submitted = {}
    for name, actor in [("Alpha", alpha), ("Beta", beta)]:
        variables = {"input": request_input(funds["allocations"][name], 1_000_00)}
        submitted[name] = data_of(await factory.gql(SUBMIT, variables, actor=actor))[
            "submitFundRequest"
        ]["id"]
    await factory.gql(APPROVE, {"id": submitted["Beta"]}, actor=vendor)

    async def ids(query: str, key: str, variables: dict[str, Any]) -> list[str]:
        answer = data_of(await factory.gql(query, variables, actor=vendor))[key]
        return sorted(edge["node"]["id"] for edge in answer["edges"])

    budgets_by_status = f"""query($status: FundBudgetStatus) {{ fundBudgets(status: $status) {{
      edges {{ node {{ {BUDGET_FIELDS} }} }} }} }}"""
    beta_id = funds["partners"]["Beta"].id
    assert await ids(budgets_by_status, "fundBudgets", {"status": "CLOSED"}) == [closed]
    assert await ids(budgets_by_status, "fundBudgets", {"status": "OPEN"}) == [funds["budget"]]
    assert await ids(REQUESTS, "fundRequests", {"filter": {"budgetId": closed}}) == []
    assert await ids(REQUESTS, "fundRequests", {"filter": {"budgetId": funds["budget"]}}) == sorted(
        submitted.values()
    )
    assert await ids(REQUESTS, "fundRequests", {"filter": {"statuses": ["APPROVED"]}}) == [
        submitted["Beta"]
    ]
    assert await ids(REQUESTS, "fundRequests", {"filter": {"partnerId": beta_id}}) == [
        submitted["Beta"]
    ]
    by_budget = {"filter": {"budgetId": funds["budget"], "partnerId": beta_id}}
    assert await ids(ALLOCATIONS, "fundAllocations", by_budget) == [funds["allocations"]["Beta"]]
    assert await ids(ALLOCATIONS, "fundAllocations", {"filter": {"budgetId": closed}}) == []
