"""Return on funded activities over the API, on PostgreSQL and the embedded SQLite: leads and
deal registrations name the fund request they came from, and the request shows what came of
it as each account may see it.

Alpha's 2026-04-01..03 roadshow request is approved for 4,000.00 USD (tests.api.test_funds);
EUR is worth 1.10 USD from 1 March, GBP has no rate.
"""

from __future__ import annotations

from typing import Any

import pytest

from hub.clock import ManualClock
from tests.api.test_analytics import RATE
from tests.api.test_fund_claims import APPROVE_CLAIM, PDF, SUBMIT_CLAIM, upload
from tests.api.test_funds import APPROVE, SUBMIT, funds, money  # noqa: F401 (the fixture)
from tests.api.test_funds import request_input as request_of
from tests.conftest import data_of
from tests.factories import Actor, Factory, errors_of

LEAD = """mutation($input: LeadInput!) { createLead(input: $input, route: false) {
  id fundRequest { id } } }"""
ASSIGN = "mutation($id: ID!, $p: ID!) { assignLead(id: $id, partnerId: $p) { id } }"
ACCEPT = "mutation($id: ID!) { acceptLead(id: $id) { status } }"
OPPORTUNITY = """query($filter: OpportunityFilter) { opportunities(filter: $filter) {
  edges { node { id } } } }"""
CLOSE = """mutation($id: ID!) { closeOpportunity(id: $id, outcome: WON) { status } }"""
MOVE = """mutation($id: ID!, $s: LeadStatus!) { updateLeadStatus(id: $id, status: $s) {
  status } }"""
ATTRIBUTE = """mutation($id: ID!, $r: ID) { attributeLead(id: $id, fundRequestId: $r) {
  id fundRequest { id title } } }"""
ATTRIBUTE_DEAL = """mutation($id: ID!, $r: ID) {
  attributeDealRegistration(id: $id, fundRequestId: $r) { id fundRequest { id } } }"""
REGISTER = """mutation($input: DealInput!) { registerDeal(input: $input) { id status
  fundRequest { id } } }"""
APPROVE_DEAL = "mutation($id: ID!) { approveDealRegistration(id: $id) { status } }"
RESULTS = """query($id: ID!) { fundRequest(id: $id) { results { leads dealRegistrations
  wonOpportunities wonRevenue { amountMinor currency } spent { amountMinor currency }
  roiBasisPoints missingRates } } }"""
LEAD_SOURCE = """query($id: ID!) { lead(id: $id) { fundRequest { id } } }"""
LEADS = "{ leads { totalCount } }"


def lead_input(value: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "customerCompany": f"Customer {value['amountMinor']} {value['currency']}",
        "country": "US",
        "productLine": "NETWORKING",
        "estimatedValue": value,
        **fields,
    }


async def lead_for(
    factory: Factory, vendor: Actor, holder: Actor, partner_id: str, **fields: Any
) -> str:
    """A lead offered to a partner and accepted by `holder`."""
    created = data_of(await factory.gql(LEAD, {"input": lead_input(**fields)}, actor=vendor))
    lead: str = created["createLead"]["id"]
    data_of(await factory.gql(ASSIGN, {"id": lead, "p": partner_id}, actor=vendor))
    data_of(await factory.gql(ACCEPT, {"id": lead}, actor=holder))
    return lead


async def won(factory: Factory, actor: Actor, lead: str) -> None:
    """Move an accepted lead along the pipeline to WON, which wins its opportunity."""
    for status in ["CONTACTED", "QUALIFIED", "WON"]:
        moved = await factory.gql(MOVE, {"id": lead, "s": status}, actor=actor)
        assert data_of(moved) == {"updateLeadStatus": {"status": status}}


async def results(factory: Factory, actor: Actor, request: str) -> dict[str, Any]:
    found: dict[str, Any] = data_of(await factory.gql(RESULTS, {"id": request}, actor=actor))
    return found["fundRequest"]["results"]


@pytest.fixture
async def roadshow(funds: dict[str, Any]) -> dict[str, Any]:  # noqa: F811 (the fixture)
    factory, vendor = funds["factory"], funds["vendor"]
    data_of(
        await factory.gql(
            RATE, {"currency": "EUR", "rate": "1.10", "from": "2026-03-01"}, actor=vendor
        )
    )
    asked = await factory.gql(
        SUBMIT, {"input": request_of(funds["allocations"]["Alpha"], 5_000_00)}, actor=funds["alpha"]
    )
    request = data_of(asked)["submitFundRequest"]["id"]
    data_of(await factory.gql(APPROVE, {"id": request, "amount": money(4_000_00)}, actor=vendor))
    return {**funds, "request": request}


async def test_a_requests_results_count_what_names_it_and_what_was_won_of_it(
    roadshow: dict[str, Any],
) -> None:
    factory, vendor, alpha, beta = (
        roadshow["factory"],
        roadshow["vendor"],
        roadshow["alpha"],
        roadshow["beta"],
    )
    request, ids = roadshow["request"], roadshow["partners"]
    source = {"fundRequestId": request}
    before = await results(factory, vendor, request)
    # Won: 1,000.00 USD and 400.00 EUR (440.00 USD) by Alpha, 50.00 GBP (no rate), and
    # 700.00 USD by Beta, to whom the vendor routed a lead of Alpha's roadshow.
    usd = await lead_for(factory, vendor, alpha, ids["Alpha"].id, value=money(1_000_00), **source)
    eur = await lead_for(
        factory, vendor, alpha, ids["Alpha"].id, value=money(400_00, "EUR"), **source
    )
    gbp = await lead_for(
        factory, vendor, alpha, ids["Alpha"].id, value=money(50_00, "GBP"), **source
    )
    betas_lead = await lead_for(
        factory, vendor, beta, ids["Beta"].id, value=money(700_00), **source
    )
    # Open, attributed afterwards by the partner holding it; and one never attributed.
    later = await lead_for(factory, vendor, alpha, ids["Alpha"].id, value=money(9_00))
    unattributed = await lead_for(factory, vendor, alpha, ids["Alpha"].id, value=money(8_00))
    for actor, lead in [
        (alpha, usd),
        (alpha, eur),
        (alpha, gbp),
        (beta, betas_lead),
        (alpha, unattributed),
    ]:
        await won(factory, actor, lead)
    attributed = data_of(await factory.gql(ATTRIBUTE, {"id": later, "r": request}, actor=alpha))
    deal_input = {
        "customerCompany": "Vandelay",
        "country": "US",
        "productLine": "NETWORKING",
        "value": money(200_00),
        **source,
    }
    registered = data_of(await factory.gql(REGISTER, {"input": deal_input}, actor=alpha))
    deal = registered["registerDeal"]["id"]
    if registered["registerDeal"]["status"] == "PENDING":
        data_of(await factory.gql(APPROVE_DEAL, {"id": deal}, actor=vendor))
    found = await factory.gql(OPPORTUNITY, {"filter": {"dealRegistrationId": deal}}, actor=vendor)
    [edge] = data_of(found)["opportunities"]["edges"]
    closed = await factory.gql(CLOSE, {"id": edge["node"]["id"]}, actor=alpha)
    assert data_of(closed) == {"closeOpportunity": {"status": "WON"}}

    seen_by = {
        "vendor": await results(factory, vendor, request),
        "alpha": await results(factory, alpha, request),
    }
    sources = {
        "vendor": data_of(await factory.gql(LEAD_SOURCE, {"id": betas_lead}, actor=vendor)),
        "beta": data_of(await factory.gql(LEAD_SOURCE, {"id": betas_lead}, actor=beta)),
    }
    beta_asks = await factory.gql(RESULTS, {"id": request}, actor=beta)

    assert before == {
        "leads": 0,
        "dealRegistrations": 0,
        "wonOpportunities": 0,
        "wonRevenue": money(0),
        "spent": money(4_000_00),
        "roiBasisPoints": -10_000,
        "missingRates": [],
    }
    assert attributed["attributeLead"]["fundRequest"] == {"id": request, "title": "Spring roadshow"}
    assert registered["registerDeal"]["fundRequest"] == {"id": request}
    # 1,000.00 + 440.00 + 700.00 + 200.00 = 2,340.00 won on 4,000.00 spent: -41.5%.
    assert seen_by["vendor"] == {
        "leads": 5,
        "dealRegistrations": 1,
        "wonOpportunities": 5,
        "wonRevenue": money(2_340_00),
        "spent": money(4_000_00),
        "roiBasisPoints": -4_150,
        "missingRates": ["GBP"],
    }
    # Alpha sees its channel's part only: not the lead the vendor gave Beta.
    assert seen_by["alpha"] == {
        "leads": 4,
        "dealRegistrations": 1,
        "wonOpportunities": 4,
        "wonRevenue": money(1_640_00),
        "spent": money(4_000_00),
        "roiBasisPoints": -5_900,
        "missingRates": ["GBP"],
    }
    assert sources == {
        "vendor": {"lead": {"fundRequest": {"id": request}}},
        "beta": {"lead": {"fundRequest": None}},
    }
    assert errors_of(beta_asks) == [("NOT_FOUND", "id")]


async def test_the_cost_is_the_decided_claim_and_a_cleared_source_stops_counting(
    roadshow: dict[str, Any], clock: ManualClock
) -> None:
    factory, vendor, alpha = roadshow["factory"], roadshow["vendor"], roadshow["alpha"]
    request, ids = roadshow["request"], roadshow["partners"]
    lead = await lead_for(
        factory, vendor, alpha, ids["Alpha"].id, value=money(6_000_00), fundRequestId=request
    )
    await won(factory, alpha, lead)
    approved_only = await results(factory, vendor, request)
    clock.advance(days=33)  # the activity ended on 3 April
    vendor, alpha = factory.fresh(vendor), factory.fresh(alpha)
    variables = {"request": request, "amount": money(3_000_00)}
    claimed = await upload(factory, alpha, SUBMIT_CLAIM, variables, [("invoice.pdf", PDF)])
    claim = data_of(claimed)["submitFundClaim"]["id"]
    while_claimed = await results(factory, vendor, request)
    data_of(
        await factory.gql(APPROVE_CLAIM, {"id": claim, "amount": money(2_500_00)}, actor=vendor)
    )
    decided = await results(factory, vendor, request)
    cleared = data_of(await factory.gql(ATTRIBUTE, {"id": lead, "r": None}, actor=vendor))
    after_clearing = await results(factory, vendor, request)

    # 6,000.00 won on the 4,000.00 approved: +50%; on the 2,500.00 claim approved: +140%.
    assert (approved_only["spent"], approved_only["roiBasisPoints"]) == (money(4_000_00), 5_000)
    assert (while_claimed["spent"], while_claimed["roiBasisPoints"]) == (money(4_000_00), 5_000)
    assert (decided["spent"], decided["roiBasisPoints"]) == (money(2_500_00), 14_000)
    assert cleared["attributeLead"]["fundRequest"] is None
    assert (after_clearing["leads"], after_clearing["wonRevenue"]) == (0, money(0))


async def test_a_source_must_be_an_approved_request_the_caller_sees_and_nothing_is_half_written(
    roadshow: dict[str, Any],
) -> None:
    factory, vendor, alpha, beta = (
        roadshow["factory"],
        roadshow["vendor"],
        roadshow["alpha"],
        roadshow["beta"],
    )
    request, ids = roadshow["request"], roadshow["partners"]
    pending = data_of(
        await factory.gql(
            SUBMIT,
            {"input": request_of(roadshow["allocations"]["Beta"], 100_00, title="Pending")},
            actor=beta,
        )
    )["submitFundRequest"]["id"]
    alphas_lead = await lead_for(factory, vendor, alpha, ids["Alpha"].id, value=money(1_00))
    betas_lead = await lead_for(factory, vendor, beta, ids["Beta"].id, value=money(2_00))
    leads_before = data_of(await factory.gql(LEADS, actor=vendor))
    deal_input = {
        "customerCompany": "Kramerica",
        "country": "US",
        "productLine": "NETWORKING",
        "value": money(300_00),
    }
    betas_deal = data_of(await factory.gql(REGISTER, {"input": deal_input}, actor=beta))[
        "registerDeal"
    ]["id"]

    answers = {
        "unknown": await factory.gql(
            LEAD, {"input": lead_input(money(1_00), fundRequestId="nope")}, actor=vendor
        ),
        "not approved": await factory.gql(
            LEAD, {"input": lead_input(money(1_00), fundRequestId=pending)}, actor=vendor
        ),
        "another partner's request": await factory.gql(
            REGISTER, {"input": {**deal_input, "fundRequestId": request}}, actor=beta
        ),
        "on its own lead, another's request": await factory.gql(
            ATTRIBUTE, {"id": betas_lead, "r": request}, actor=beta
        ),
        "on another's lead": await factory.gql(
            ATTRIBUTE, {"id": alphas_lead, "r": pending}, actor=beta
        ),
        "on another's registration": await factory.gql(
            ATTRIBUTE_DEAL, {"id": betas_deal, "r": request}, actor=alpha
        ),
    }
    leads_after = data_of(await factory.gql(LEADS, actor=vendor))
    deals = data_of(await factory.gql("{ dealRegistrations { totalCount } }", actor=beta))
    still = data_of(await factory.gql(LEAD_SOURCE, {"id": betas_lead}, actor=vendor))
    by_vendor = data_of(
        await factory.gql(ATTRIBUTE_DEAL, {"id": betas_deal, "r": request}, actor=vendor)
    )

    assert {name: errors_of(answer) for name, answer in answers.items()} == {
        "unknown": [("NOT_FOUND", "fundRequestId")],
        "not approved": [("CONFLICT", "fundRequestId")],
        "another partner's request": [("NOT_FOUND", "fundRequestId")],
        "on its own lead, another's request": [("NOT_FOUND", "fundRequestId")],
        "on another's lead": [("NOT_FOUND", "id")],
        "on another's registration": [("NOT_FOUND", "id")],
    }
    # Another partner's request is as unknown as none at all.
    assert (
        answers["another partner's request"]["errors"][0]["message"]
        == answers["unknown"]["errors"][0]["message"]
    )
    assert leads_after == leads_before
    assert deals == {"dealRegistrations": {"totalCount": 1}}
    assert still == {"lead": {"fundRequest": None}}
    # Vendor staff may name any approved request as the source of any registration.
    assert by_vendor["attributeDealRegistration"]["fundRequest"] == {"id": request}
