"""Forecasting over the API: opportunities through the stages, partner commits and the
forecast, with figures computed by hand, on PostgreSQL and the embedded SQLite alike.

On top of the March of tests.api.test_analytics (Alpha 80,000 USD cents of revenue, Beta
19,800 plus 8,000 GBP pence without a rate, EUR at 1.10), with the default stages
(PROSPECTING 10%, QUALIFICATION 25%, PROPOSAL 50%, NEGOTIATION 75%):
- Alpha accepts a 100,000 USD lead closing 20 March and moves it to PROPOSAL: 50,000 weighted.
- Beta accepts a 40,000 EUR lead (44,000 USD) closing 25 March at its own 30%: 13,200.
- Sub (Alpha's sub-reseller) accepts a 10,000 USD lead closing 15 March: 1,000 weighted.
- Alpha also accepts a lead closing 10 April: not in March.
- Beta's approved 20,000 USD registration is closed WON on 2 March.
- Commits for March, NETWORKING: Alpha 90,000 (best 120,000) USD; Beta 20,000 (best 30,000)
  EUR, i.e. 22,000 (33,000) USD.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hub.roles import Role
from tests.api.test_analytics import MARCH, march  # noqa: F401 (the fixture)
from tests.conftest import data_of
from tests.factories import Actor, Factory, errors_of
from tests.wsclient import graphql_socket

LEAD = """mutation($input: LeadInput!) { createLead(input: $input, route: false) { id } }"""
ASSIGN = "mutation($id: ID!, $p: ID!) { assignLead(id: $id, partnerId: $p) { id } }"
ACCEPT = "mutation($id: ID!) { acceptLead(id: $id) { status } }"
OPPORTUNITY_FIELDS = """id status stage ownProbabilityPercent probabilityPercent version
  amount { amountMinor currency } weightedAmount { amountMinor currency } expectedClose
  leadId dealRegistrationId closeReason partner { name }
  history { kind fromStage stage probabilityPercent status reason }"""
OPPORTUNITIES = f"""query($filter: OpportunityFilter) {{ opportunities(filter: $filter) {{
  totalCount edges {{ node {{ {OPPORTUNITY_FIELDS} }} }} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: OpportunityInput!, $v: Int) {{
  updateOpportunity(id: $id, input: $input, expectedVersion: $v) {{ {OPPORTUNITY_FIELDS} }} }}"""
CLOSE = """mutation($id: ID!, $outcome: OpportunityStatus!, $reason: String) {
  closeOpportunity(id: $id, outcome: $outcome, reason: $reason) { status probabilityPercent } }"""
COMMIT = """mutation($input: ForecastCommitInput!) { submitForecastCommit(input: $input) {
  period { label start end } productLine commit { amountMinor currency }
  bestCase { amountMinor currency } version partner { name } } }"""
FORECAST = """query($period: PeriodInput!, $by: ForecastGroup) {
  forecast(period: $period, groupBy: $by) {
    period { label } groupBy reportingCurrency ended missingRates { currency amountMinor }
    rows { key partner { name } openOpportunities pipelineMinor weightedPipelineMinor
      commitMinor bestCaseMinor wonMinor actualRevenueMinor accuracyBasisPoints }
    total { key openOpportunities pipelineMinor weightedPipelineMinor commitMinor
      bestCaseMinor wonMinor actualRevenueMinor accuracyBasisPoints } } }"""
STAGES = """mutation($stages: [OpportunityStageInput!]!) { setOpportunityStages(stages: $stages) {
  key name position probabilityPercent } }"""


async def accepted_lead(
    factory: Factory, vendor: Actor, partner_id: str, holder: Actor, **fields: Any
) -> str:
    """A lead offered to a partner and accepted by one of its users; its opportunity's id."""
    lead_input = {"customerCompany": "Initech", "country": "US", "productLine": "NETWORKING"}
    created = await factory.gql(LEAD, {"input": {**lead_input, **fields}}, actor=vendor)
    lead = data_of(created)["createLead"]["id"]
    data_of(await factory.gql(ASSIGN, {"id": lead, "p": partner_id}, actor=vendor))
    data_of(await factory.gql(ACCEPT, {"id": lead}, actor=holder))
    found = await factory.gql(OPPORTUNITIES, {"filter": {"leadId": lead}}, actor=vendor)
    [edge] = data_of(found)["opportunities"]["edges"]
    return str(edge["node"]["id"])


async def update(factory: Factory, actor: Actor, id_: str, **input: Any) -> dict[str, Any]:
    return await factory.gql(UPDATE, {"id": id_, "input": input}, actor=actor)


def money(amount: int, currency: str = "USD") -> dict[str, Any]:
    return {"amountMinor": amount, "currency": currency}


@pytest.fixture
async def pipeline(march: dict[str, Any]) -> dict[str, Any]:  # noqa: F811 (the fixture)
    """The pipeline and commits described above."""
    factory, vendor, ids = march["factory"], march["vendor"], march["partners"]
    alpha, beta_id = march["alpha"], ids["Beta"].id
    beta = await factory.user(beta_id, Role.PARTNER_ADMIN)
    sub = await factory.partner("Sub", parent_id=ids["Alpha"].id)
    sub_user = await factory.user(sub.id, Role.PARTNER_USER)
    big = await accepted_lead(
        factory,
        vendor,
        ids["Alpha"].id,
        alpha,
        estimatedValue=money(100_000),
        customerCompany="Initech",
        expectedClose="2026-03-20",
    )
    data_of(await update(factory, alpha, big, stage="PROPOSAL"))
    euro = await accepted_lead(
        factory,
        vendor,
        beta_id,
        beta,
        estimatedValue=money(40_000, "EUR"),
        customerCompany="Umbrella",
        expectedClose="2026-03-25",
    )
    data_of(await update(factory, beta, euro, probabilityPercent=30))
    small = await accepted_lead(
        factory,
        vendor,
        sub.id,
        sub_user,
        estimatedValue=money(10_000),
        customerCompany="Hooli",
        expectedClose="2026-03-15",
    )
    april = await accepted_lead(
        factory,
        vendor,
        ids["Alpha"].id,
        alpha,
        estimatedValue=money(7_000),
        customerCompany="Acme",
        expectedClose="2026-04-10",
    )
    register = """mutation($input: DealInput!) { registerDeal(input: $input) { id } }"""
    deal_input = {
        "customerCompany": "Vandelay",
        "country": "US",
        "productLine": "NETWORKING",
        "value": money(20_000),
        "expectedClose": "2026-03-28",
    }
    deal = data_of(await factory.gql(register, {"input": deal_input}, actor=beta))
    deal_id = deal["registerDeal"]["id"]
    approve = "mutation($id: ID!) { approveDealRegistration(id: $id) { status } }"
    data_of(await factory.gql(approve, {"id": deal_id}, actor=vendor))
    found = await factory.gql(
        OPPORTUNITIES, {"filter": {"dealRegistrationId": deal_id}}, actor=vendor
    )
    [edge] = data_of(found)["opportunities"]["edges"]
    won = await factory.gql(CLOSE, {"id": edge["node"]["id"], "outcome": "WON"}, actor=beta)
    assert data_of(won)["closeOpportunity"] == {"status": "WON", "probabilityPercent": 100}
    for actor, commit, best, currency in [
        (alpha, 90_000, 120_000, "USD"),
        (beta, 20_000, 30_000, "EUR"),
    ]:
        submitted = await factory.gql(
            COMMIT,
            {
                "input": {
                    "period": MARCH,
                    "productLine": "NETWORKING",
                    "commit": money(commit, currency),
                    "bestCase": money(best, currency),
                }
            },
            actor=actor,
        )
        data_of(submitted)
    return {
        **march,
        "beta": beta,
        "sub": sub,
        "sub_user": sub_user,
        "opportunities": {"big": big, "euro": euro, "small": small, "april": april},
        "deal": deal_id,
    }


def row(
    key: str,
    name: str | None,
    *,
    open_: int = 0,
    pipeline: int = 0,
    weighted: int = 0,
    commit: int | None = None,
    best: int | None = None,
    won: int = 0,
    actual: int = 0,
    accuracy: int | None = None,
) -> dict[str, Any]:
    return {
        "key": key,
        "partner": {"name": name} if name else None,
        "openOpportunities": open_,
        "pipelineMinor": pipeline,
        "weightedPipelineMinor": weighted,
        "commitMinor": commit,
        "bestCaseMinor": best,
        "wonMinor": won,
        "actualRevenueMinor": actual,
        "accuracyBasisPoints": accuracy,
    }


async def forecast(factory: Factory, actor: Actor, by: str = "PARTNER") -> dict[str, Any]:
    found = await factory.gql(FORECAST, {"period": MARCH, "by": by}, actor=actor)
    return dict(data_of(found)["forecast"])


async def test_the_forecast_by_partner_beside_commits_and_actuals(
    pipeline: dict[str, Any],
) -> None:
    factory, vendor, ids = pipeline["factory"], pipeline["vendor"], pipeline["partners"]
    alpha, beta, sub = ids["Alpha"].id, ids["Beta"].id, pipeline["sub"].id

    found = await forecast(factory, vendor)

    assert (found["period"], found["groupBy"], found["ended"]) == (
        {"label": "2026-03"},
        "PARTNER",
        False,
    )
    assert found["reportingCurrency"] == "USD"
    assert found["rows"] == [
        row(alpha, "Alpha", open_=1, pipeline=100_000, weighted=50_000, commit=90_000,
            best=120_000, actual=80_000),
        row(beta, "Beta", open_=1, pipeline=44_000, weighted=13_200, commit=22_000,
            best=33_000, won=20_000, actual=19_800),
        row(sub, "Sub", open_=1, pipeline=10_000, weighted=1_000),
    ]  # fmt: skip
    total = row("TOTAL", None, open_=3, pipeline=154_000, weighted=64_200, commit=112_000,
                best=153_000, won=20_000, actual=99_800)  # fmt: skip
    del total["partner"]
    assert found["total"] == total
    assert found["missingRates"] == [{"currency": "GBP", "amountMinor": 8_000}]


async def test_accuracy_once_the_period_has_ended(pipeline: dict[str, Any]) -> None:
    factory, ids = pipeline["factory"], pipeline["partners"]
    factory.hub.clock.advance(days=30)  # type: ignore[attr-defined]
    vendor = factory.fresh(pipeline["vendor"])

    found = await forecast(factory, vendor)

    assert found["ended"] is True
    accuracy = {item["key"]: item["accuracyBasisPoints"] for item in found["rows"]}
    assert accuracy == {
        ids["Alpha"].id: 8_750,  # 10000 - 10,000 / 80,000
        ids["Beta"].id: 8_889,  # 10000 - 2,200 / 19,800
        pipeline["sub"].id: None,  # no commit
    }
    assert found["total"]["accuracyBasisPoints"] == 8_778  # 10000 - 12,200 / 99,800
    late = await factory.gql(
        COMMIT,
        {
            "input": {
                "period": MARCH,
                "productLine": "NETWORKING",
                "commit": money(80_000),
                "bestCase": money(80_000),
            }
        },
        actor=factory.fresh(pipeline["alpha"]),
    )
    assert errors_of(late) == [("BAD_USER_INPUT", "input.period")]


async def test_the_forecast_by_product_line_and_tier(pipeline: dict[str, Any]) -> None:
    factory, vendor = pipeline["factory"], pipeline["vendor"]

    by_line = await forecast(factory, vendor, "PRODUCT_LINE")
    by_tier = await forecast(factory, vendor, "TIER")

    assert by_line["rows"] == [
        row("NETWORKING", None, open_=3, pipeline=154_000, weighted=64_200, commit=112_000,
            best=153_000, won=20_000, actual=49_800),
        row("SECURITY", None, actual=50_000),
    ]  # fmt: skip
    assert by_tier["rows"] == [
        row("SILVER", None, open_=3, pipeline=154_000, weighted=64_200, commit=112_000,
            best=153_000, won=20_000, actual=99_800),
    ]  # fmt: skip


async def test_a_partner_sees_its_own_slice_and_a_distributor_its_channel(
    pipeline: dict[str, Any],
) -> None:
    factory, ids = pipeline["factory"], pipeline["partners"]

    beta = await forecast(factory, pipeline["beta"])
    alpha = await forecast(factory, pipeline["alpha"])
    sub = await forecast(factory, pipeline["sub_user"])

    assert [item["key"] for item in beta["rows"]] == [ids["Beta"].id]
    assert beta["total"]["actualRevenueMinor"] == 19_800
    assert beta["missingRates"] == [{"currency": "GBP", "amountMinor": 8_000}]
    assert [item["key"] for item in alpha["rows"]] == [ids["Alpha"].id, pipeline["sub"].id]
    assert alpha["missingRates"] == []
    assert [item["key"] for item in sub["rows"]] == [pipeline["sub"].id]
    assert sub["total"]["weightedPipelineMinor"] == 1_000


async def test_an_empty_period_forecasts_nothing(pipeline: dict[str, Any]) -> None:
    factory = pipeline["factory"]
    found = await factory.gql(
        FORECAST, {"period": {"month": "2025-11"}, "by": "PARTNER"}, actor=pipeline["vendor"]
    )

    empty = data_of(found)["forecast"]

    assert (empty["rows"], empty["ended"], empty["missingRates"]) == ([], True, [])
    assert empty["total"]["pipelineMinor"] == 0
    assert empty["total"]["commitMinor"] is None


async def test_an_opportunity_moves_through_stages_with_its_history(
    pipeline: dict[str, Any],
) -> None:
    factory, vendor, alpha = pipeline["factory"], pipeline["vendor"], pipeline["alpha"]
    big = pipeline["opportunities"]["big"]

    moved = data_of(
        await factory.gql(
            UPDATE,
            {"id": big, "input": {"stage": "NEGOTIATION", "probabilityPercent": 80}, "v": 2},
            actor=alpha,
        )
    )["updateOpportunity"]
    stale = await factory.gql(
        UPDATE, {"id": big, "input": {"stage": "PROPOSAL"}, "v": 2}, actor=alpha
    )
    back = data_of(await update(factory, vendor, big, probabilityPercent=None))["updateOpportunity"]

    assert moved["stage"] == "NEGOTIATION"
    assert (moved["ownProbabilityPercent"], moved["probabilityPercent"]) == (80, 80)
    assert moved["weightedAmount"] == money(80_000)
    assert [(item["kind"], item["fromStage"], item["stage"]) for item in moved["history"]] == [
        ("OPENED", None, "PROSPECTING"),
        ("STAGE", "PROSPECTING", "PROPOSAL"),
        ("STAGE", "PROPOSAL", "NEGOTIATION"),
    ]
    assert errors_of(stale) == [("CONFLICT", "expectedVersion")]
    assert (back["ownProbabilityPercent"], back["probabilityPercent"]) == (None, 75)
    assert back["history"][-1]["kind"] == "UPDATED"


async def test_a_won_lead_wins_its_opportunity_and_a_recycled_one_withdraws_it(
    pipeline: dict[str, Any],
) -> None:
    factory, vendor, alpha = pipeline["factory"], pipeline["vendor"], pipeline["alpha"]
    big, april = pipeline["opportunities"]["big"], pipeline["opportunities"]["april"]
    lead_of = {}
    for id_ in (big, april):
        found = await factory.gql(
            "query($id: ID!) { opportunity(id: $id) { leadId } }", {"id": id_}, actor=vendor
        )
        lead_of[id_] = data_of(found)["opportunity"]["leadId"]
    by_lead = await factory.gql(CLOSE, {"id": big, "outcome": "WON"}, actor=alpha)
    move = """mutation($id: ID!, $status: LeadStatus!, $reason: String) {
      updateLeadStatus(id: $id, status: $status, reason: $reason) { status } }"""
    for status in ("CONTACTED", "QUALIFIED", "WON"):
        data_of(await factory.gql(move, {"id": lead_of[big], "status": status}, actor=alpha))
    recycle = """mutation($id: ID!) { recycleLead(id: $id, reason: "no answer") { status } }"""
    data_of(await factory.gql(recycle, {"id": lead_of[april]}, actor=vendor))

    found = await factory.gql(
        OPPORTUNITIES, {"filter": {"partnerId": pipeline["partners"]["Alpha"].id}}, actor=vendor
    )

    assert errors_of(by_lead) == [("BAD_USER_INPUT", "id")]
    outcomes = {
        edge["node"]["id"]: (edge["node"]["status"], edge["node"]["probabilityPercent"])
        for edge in data_of(found)["opportunities"]["edges"]
    }
    assert outcomes == {big: ("WON", 100), april: ("WITHDRAWN", 0)}
    closed = await update(factory, alpha, big, stage="PROPOSAL")
    assert errors_of(closed) == [("CONFLICT", "id")]


async def test_tenancy_of_opportunities(pipeline: dict[str, Any]) -> None:
    factory, ids = pipeline["factory"], pipeline["partners"]
    beta, alpha = pipeline["beta"], pipeline["alpha"]
    big, small = pipeline["opportunities"]["big"], pipeline["opportunities"]["small"]
    read = "query($id: ID!) { opportunity(id: $id) { id } }"

    seen = await factory.gql(read, {"id": big}, actor=beta)
    changed = await update(factory, beta, big, stage="PROPOSAL")
    listed = await factory.gql(OPPORTUNITIES, {"filter": {}}, actor=beta)
    by_distributor = await update(factory, alpha, small, stage="PROPOSAL")
    distributor_reads = await factory.gql(read, {"id": small}, actor=alpha)
    other_commits = await factory.gql(
        "query($p: PeriodInput!) { forecastCommits(period: $p) { partner { name } } }",
        {"p": MARCH},
        actor=beta,
    )

    assert errors_of(seen) == [("NOT_FOUND", "id")]
    assert errors_of(changed) == [("NOT_FOUND", "id")]
    names = {edge["node"]["partner"]["name"] for edge in data_of(listed)["opportunities"]["edges"]}
    assert names == {"Beta"}
    assert errors_of(by_distributor) == [("FORBIDDEN", "id")]
    assert data_of(distributor_reads)["opportunity"] == {"id": small}
    assert data_of(other_commits)["forecastCommits"] == [{"partner": {"name": "Beta"}}]
    assert ids["Gamma"].id not in str(data_of(listed))


async def test_bad_updates_and_commits_are_refused(pipeline: dict[str, Any]) -> None:
    factory, vendor, alpha = pipeline["factory"], pipeline["vendor"], pipeline["alpha"]
    big = pipeline["opportunities"]["big"]

    def commit(**input: Any) -> dict[str, Any]:
        base = {
            "period": {"month": "2026-04"},
            "productLine": "NETWORKING",
            "commit": money(1_000),
            "bestCase": money(2_000),
        }
        return {"input": {**base, **input}}

    cases = [
        (await update(factory, alpha, big, stage="WON"), ("BAD_USER_INPUT", "input.stage")),
        (
            await update(factory, alpha, big, probabilityPercent=101),
            ("BAD_USER_INPUT", "input.probabilityPercent"),
        ),
        (
            await update(factory, alpha, big, expectedClose="2040-01-01"),
            ("BAD_USER_INPUT", "input.expectedClose"),
        ),
        (
            await update(factory, alpha, big, amount=money(-5)),
            ("BAD_USER_INPUT", "input.amount.amountMinor"),
        ),
        (
            await update(factory, alpha, big, amount=money(5, "XXY")),
            ("BAD_USER_INPUT", "input.amount.currency"),
        ),
        (
            await factory.gql(COMMIT, commit(bestCase=money(500)), actor=alpha),
            ("BAD_USER_INPUT", "input.bestCase"),
        ),
        (
            await factory.gql(COMMIT, commit(bestCase=money(5_000, "EUR")), actor=alpha),
            ("BAD_USER_INPUT", "input.bestCase.currency"),
        ),
        (
            await factory.gql(COMMIT, commit(period={"year": 2026}), actor=alpha),
            ("BAD_USER_INPUT", "input.period"),
        ),
        (
            await factory.gql(COMMIT, commit(productLine="NETWRKING"), actor=alpha),
            ("BAD_USER_INPUT", "input.productLine"),
        ),
        (await factory.gql(COMMIT, commit(), actor=vendor), ("FORBIDDEN", None)),
    ]

    for body, expected in cases:
        assert errors_of(body) == [expected], body
    found = await factory.gql(
        "query($id: ID!) { opportunity(id: $id) { stage version } }", {"id": big}, actor=vendor
    )
    assert data_of(found)["opportunity"] == {"stage": "PROPOSAL", "version": 2}


async def test_the_vendor_sets_its_stages(pipeline: dict[str, Any]) -> None:
    factory, vendor = pipeline["factory"], pipeline["vendor"]
    manager = await factory.vendor_user(Role.CHANNEL_MANAGER)
    stages = [
        {"key": "prospecting", "name": "Discovery", "probabilityPercent": 5},
        {"key": "PROPOSAL", "name": "Proposal sent", "probabilityPercent": 40},
        {"key": "NEGOTIATION", "name": "Negotiation", "probabilityPercent": 70},
    ]

    dropping = await factory.gql(STAGES, {"stages": stages[1:]}, actor=vendor)
    twice = await factory.gql(STAGES, {"stages": [stages[1], stages[1]]}, actor=vendor)
    outcome = await factory.gql(STAGES, {"stages": [{**stages[0], "key": "WON"}]}, actor=vendor)
    by_manager = await factory.gql(STAGES, {"stages": stages}, actor=manager)
    done = data_of(await factory.gql(STAGES, {"stages": stages}, actor=vendor))

    assert errors_of(dropping) == [("CONFLICT", "stages")]
    assert "PROSPECTING (3)" in dropping["errors"][0]["message"]
    assert errors_of(twice) == [("BAD_USER_INPUT", "stages.1.key")]
    assert errors_of(outcome) == [("BAD_USER_INPUT", "stages.0.key")]
    assert errors_of(by_manager) == [("FORBIDDEN", None)]
    assert done["setOpportunityStages"] == [
        {"key": "PROSPECTING", "name": "Discovery", "position": 0, "probabilityPercent": 5},
        {"key": "PROPOSAL", "name": "Proposal sent", "position": 1, "probabilityPercent": 40},
        {"key": "NEGOTIATION", "name": "Negotiation", "position": 2, "probabilityPercent": 70},
    ]
    # The March pipeline now weighs 100,000 at 40% + 44,000 at Beta's own 30% + 10,000 at 5%.
    assert (await forecast(factory, vendor))["total"]["weightedPipelineMinor"] == 53_700


async def test_commits_resubmitted_at_once_keep_one_row(pipeline: dict[str, Any]) -> None:
    factory, alpha = pipeline["factory"], pipeline["alpha"]
    amounts = [10_000 * n for n in range(1, 9)]

    async def submit(amount: int) -> dict[str, Any]:
        variables = {
            "input": {
                "period": {"quarter": "2026-Q2"},
                "productLine": "SECURITY",
                "commit": money(amount),
                "bestCase": money(amount * 2),
            }
        }
        body: dict[str, Any] = await factory.gql(COMMIT, variables, actor=alpha)
        return body

    bodies = await asyncio.gather(*(submit(amount) for amount in amounts))
    listed = await factory.gql(
        """query($p: PeriodInput!) { forecastCommits(period: $p) {
          period { label } productLine commit { amountMinor } bestCase { amountMinor } version
          partner { name } } }""",
        {"p": {"year": 2026}},
        actor=alpha,
    )

    assert [body.get("errors") for body in bodies] == [None] * len(amounts)
    q2 = [
        item for item in data_of(listed)["forecastCommits"] if item["period"]["label"] == "2026-Q2"
    ]
    assert len(q2) == 1
    assert q2[0]["version"] == len(amounts)
    assert q2[0]["commit"]["amountMinor"] * 2 == q2[0]["bestCase"]["amountMinor"]
    assert q2[0]["commit"]["amountMinor"] in amounts


async def test_concurrent_moves_with_one_version_let_exactly_one_through(
    pipeline: dict[str, Any],
) -> None:
    factory, vendor, alpha = pipeline["factory"], pipeline["vendor"], pipeline["alpha"]
    big = pipeline["opportunities"]["big"]
    stages = ["QUALIFICATION", "NEGOTIATION", "PROSPECTING"] * 2

    bodies = await asyncio.gather(
        *(
            factory.gql(UPDATE, {"id": big, "input": {"stage": stage}, "v": 2}, actor=alpha)
            for stage in stages
        )
    )
    found = await factory.gql(
        f"query($id: ID!) {{ opportunity(id: $id) {{ {OPPORTUNITY_FIELDS} }} }}",
        {"id": big},
        actor=vendor,
    )

    moved = [body for body in bodies if "errors" not in body]
    assert len(moved) == 1
    assert sorted(errors_of(body)[0] for body in bodies if "errors" in body) == [
        ("CONFLICT", "expectedVersion")
    ] * (len(stages) - 1)
    now = data_of(found)["opportunity"]
    assert (now["stage"], now["version"]) == (moved[0]["data"]["updateOpportunity"]["stage"], 3)
    assert [item["kind"] for item in now["history"]] == ["OPENED", "STAGE", "STAGE"]


OPPORTUNITY_EVENTS = """subscription { leadEvents { type opportunityId
  opportunity { stage status partner { name } } } }"""


async def test_stage_changes_are_lead_events_for_the_partner_and_vendor_only(
    ws_url: str, factory: Factory
) -> None:
    vendor = await factory.vendor_admin()
    alpha_partner = await factory.partner("Alpha")
    alpha = await factory.user(alpha_partner.id, Role.PARTNER_USER)
    beta = await factory.user((await factory.partner("Beta")).id, Role.PARTNER_ADMIN)
    opportunity = await accepted_lead(factory, vendor, alpha_partner.id, alpha)

    async with (
        graphql_socket(ws_url, alpha.token) as alpha_socket,
        graphql_socket(ws_url, beta.token) as beta_socket,
        graphql_socket(ws_url, vendor.token) as vendor_socket,
    ):
        for socket in (alpha_socket, beta_socket, vendor_socket):
            await socket.subscribe(OPPORTUNITY_EVENTS)
        await asyncio.sleep(0.1)
        data_of(await update(factory, alpha, opportunity, stage="NEGOTIATION"))
        seen = [
            (await socket.next())["data"]["leadEvents"] for socket in (alpha_socket, vendor_socket)
        ]

        assert await beta_socket.silent(0.3)

    expected = {
        "type": "OPPORTUNITY_STAGE_CHANGED",
        "opportunityId": opportunity,
        "opportunity": {"stage": "NEGOTIATION", "status": "OPEN", "partner": {"name": "Alpha"}},
    }
    assert seen == [expected, expected]


async def test_a_lead_and_a_registration_show_their_opportunity(pipeline: dict[str, Any]) -> None:
    factory, vendor, beta = pipeline["factory"], pipeline["vendor"], pipeline["beta"]
    euro = pipeline["opportunities"]["euro"]
    found = await factory.gql(
        "query($id: ID!) { opportunity(id: $id) { leadId } }", {"id": euro}, actor=vendor
    )
    lead_id = data_of(found)["opportunity"]["leadId"]

    lead = await factory.gql(
        "query($id: ID!) { lead(id: $id) { opportunity { id ownProbabilityPercent } } }",
        {"id": lead_id},
        actor=beta,
    )
    deal = await factory.gql(
        "query($id: ID!) { dealRegistration(id: $id) { opportunity { status wonAt: closedAt } } }",
        {"id": pipeline["deal"]},
        actor=beta,
    )
    fresh = await factory.gql(
        LEAD,
        {"input": {"customerCompany": "Soylent", "country": "US", "productLine": "NETWORKING"}},
        actor=vendor,
    )
    unaccepted = await factory.gql(
        "query($id: ID!) { lead(id: $id) { opportunity { id } } }",
        {"id": data_of(fresh)["createLead"]["id"]},
        actor=vendor,
    )

    assert data_of(lead)["lead"]["opportunity"] == {"id": euro, "ownProbabilityPercent": 30}
    assert data_of(deal)["dealRegistration"]["opportunity"]["status"] == "WON"
    assert data_of(deal)["dealRegistration"]["opportunity"]["wonAt"] is not None
    assert data_of(unaccepted)["lead"]["opportunity"] is None


async def test_stages_replaced_at_once_and_moves_into_them_leave_no_opportunity_stranded(
    pipeline: dict[str, Any],
) -> None:
    """Admins replacing the default stages at once all succeed, one after the other; a move
    into a stage races its removal and exactly one of the two wins."""
    factory, vendor, alpha = pipeline["factory"], pipeline["vendor"], pipeline["alpha"]
    big = pipeline["opportunities"]["big"]
    keys = ["PROSPECTING", "QUALIFICATION", "PROPOSAL", "NEGOTIATION"]

    def stages_of(*kept: str, name: str = "") -> list[dict[str, Any]]:
        return [
            {"key": key, "name": f"{key.title()}{name}", "probabilityPercent": 10 * (n + 1)}
            for n, key in enumerate(kept)
        ]

    sets = [stages_of(*keys, name=f" {n}") for n in range(4)]
    replaced = await asyncio.gather(
        *(factory.gql(STAGES, {"stages": stages}, actor=vendor) for stages in sets)
    )
    listed = data_of(await factory.gql("{ opportunityStages { name } }", actor=vendor))

    assert [body.get("errors") for body in replaced] == [None] * len(sets)
    names = [stage["name"] for stage in listed["opportunityStages"]]
    assert names in [[stage["name"] for stage in stages] for stages in sets]

    without = [key for key in keys if key != "PROPOSAL"]
    for _ in range(4):
        data_of(await factory.gql(STAGES, {"stages": stages_of(*keys)}, actor=vendor))
        data_of(await update(factory, alpha, big, stage="PROSPECTING"))
        moved, dropped = await asyncio.gather(
            update(factory, alpha, big, stage="PROPOSAL"),
            factory.gql(STAGES, {"stages": stages_of(*without)}, actor=vendor),
        )
        found = await factory.gql(
            "query($id: ID!) { opportunity(id: $id) { stage } }", {"id": big}, actor=vendor
        )
        stage = data_of(found)["opportunity"]["stage"]
        if "errors" in moved:
            assert errors_of(moved) == [("BAD_USER_INPUT", "input.stage")]
            assert "errors" not in dropped
            assert stage == "PROSPECTING"
        else:
            assert errors_of(dropped) == [("CONFLICT", "stages")]
            assert stage == "PROPOSAL"
