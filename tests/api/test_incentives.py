"""Incentive programs over the API, on PostgreSQL and the embedded SQLite: rules, accruals
kept as orders are delivered and returned and deals won, figures computed by hand and equal
to a recomputation from raw orders, payouts that never exceed a balance (raced), live
events, and tenancy.

The clock stands at 2026-03-02. The program runs 2026-03-01..2026-12-31 and pays in USD:
- 5% of net NETWORKING revenue, 10% on the part past 500.00 USD (any tier);
- 15.00 USD per net SECURITY unit, GOLD partners only;
- a 250.00 USD SPIFF per won deal (any line, any tier).
SW-24 (NETWORKING) costs 100.00 USD or 90.00 EUR, FW-1 (SECURITY) 500.00 USD; EUR is worth
1.10 USD from 2026-03-01. Alpha is SILVER, Beta GOLD.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hub.incentives import accrual
from hub.incentives.rules import Rule, RuleKind, earned
from hub.orders import catalog, stock
from hub.orders.catalog import ProductInput
from hub.partners.rules import PartnerType, Tier
from hub.roles import Role
from tests.api.test_analytics import DELIVER, RATE, Shop
from tests.api.test_fund_attribution import lead_for, won
from tests.conftest import data_of, serving
from tests.factories import Actor, Factory, errors_of
from tests.wsclient import graphql_socket

CREATE = """mutation($input: IncentiveProgramInput!) { createIncentiveProgram(input: $input) {
  id status version currency rules { kind rate productLine tier threshold acceleratorFrom
  acceleratedRate } } }"""
UPDATE = """mutation($id: ID!, $input: IncentiveProgramChangesInput!, $v: Int) {
  updateIncentiveProgram(id: $id, input: $input, expectedVersion: $v) { id version
  rules { kind threshold } } }"""
ACTIVATE = "mutation($id: ID!) { activateIncentiveProgram(id: $id) { id status } }"
CLOSE = "mutation($id: ID!) { closeIncentiveProgram(id: $id) { id status } }"
RECOMPUTE = """mutation($id: ID!) { recomputeIncentives(programId: $id) { adjustments
  program { id } } }"""
PAY = """mutation($p: ID!, $partner: ID!, $amount: MoneyInput!, $ref: String!) {
  recordIncentivePayout(programId: $p, partnerId: $partner, amount: $amount, reference: $ref) {
  id reference amount { amountMinor currency } partner { name } } }"""
STATEMENT = """query($p: ID!, $partner: ID) { incentiveStatement(programId: $p,
  partnerId: $partner) { partner { name } program { name }
  earned { amountMinor currency } paid { amountMinor } balance { amountMinor }
  lines { measure earned { amountMinor } rule { kind } }
  payouts { reference amount { amountMinor } } missingRates
  accruals(first: 50) { totalCount edges { node { amount { amountMinor } cause orderId
  opportunityId measure } } } } }"""
PROGRAMS = """query($filter: IncentiveProgramFilter) { incentivePrograms(filter: $filter) {
  totalCount edges { node { name status } } } }"""
PROGRAM = "query($id: ID!) { incentiveProgram(id: $id) { name status } }"
EVENTS = """subscription($after: String) { incentiveEvents(after: $after) { cursor type
  partnerId amount cause program { name } } }"""
LEAD_STATUS = """mutation($id: ID!, $s: LeadStatus!) { updateLeadStatus(id: $id, status: $s) {
  status } }"""
RETURN = [{"status": "RETURN_REQUESTED", "note": "one arrived broken"}]

RULES = [
    {
        "kind": "REVENUE_SHARE",
        "productLine": "NETWORKING",
        "rate": 500,
        "acceleratorFrom": 50_000,
        "acceleratedRate": 1_000,
    },
    {"kind": "PER_UNIT", "productLine": "SECURITY", "tier": "GOLD", "rate": 1_500},
    {"kind": "SPIFF", "rate": 25_000},
]


def program_input(**fields: Any) -> dict[str, Any]:
    return {
        "name": "Rebates 2026",
        "startsOn": "2026-03-01",
        "endsOn": "2026-12-31",
        "currency": "USD",
        "rules": RULES,
        **fields,
    }


@pytest.fixture
async def channel(any_factory: Factory) -> dict[str, Any]:
    factory = any_factory
    hub, vendor = factory.hub, await factory.vendor_admin()
    for sku, line, prices in [
        ("SW-24", "NETWORKING", {"USD": 10_000, "EUR": 9_000, "GBP": 8_000}),
        ("FW-1", "SECURITY", {"USD": 50_000}),
    ]:
        await catalog.create(
            hub, principal=vendor.principal, data=ProductInput(sku, sku, line, prices)
        )
    await stock.create_warehouse(
        hub, principal=vendor.principal, code="AMS", name="A", country="NL"
    )
    for sku in ("SW-24", "FW-1"):
        data_of(
            await factory.gql(
                f'mutation {{ setStock(sku: "{sku}", warehouse: "AMS", onHand: 1000) }}',
                actor=vendor,
            )
        )
    rate = {"currency": "EUR", "rate": "1.10", "from": "2026-03-01"}
    data_of(await factory.gql(RATE, rate, actor=vendor))
    alpha_org = await factory.partner("Alpha", tier=Tier.SILVER)
    beta_org = await factory.partner("Beta", tier=Tier.GOLD)
    return {
        "factory": factory,
        "vendor": vendor,
        "shop": Shop(factory, vendor),
        "alpha_org": alpha_org,
        "beta_org": beta_org,
        "alpha": await factory.user(alpha_org.id, Role.PARTNER_ADMIN),
        "beta": await factory.user(beta_org.id, Role.PARTNER_ADMIN),
    }


async def create(factory: Factory, vendor: Actor, **fields: Any) -> dict[str, Any]:
    made: dict[str, Any] = data_of(
        await factory.gql(CREATE, {"input": program_input(**fields)}, actor=vendor)
    )["createIncentiveProgram"]
    return made


async def statement(
    factory: Factory, actor: Actor, program: str, partner: str | None = None
) -> dict[str, Any]:
    found: dict[str, Any] = data_of(
        await factory.gql(STATEMENT, {"p": program, "partner": partner}, actor=actor)
    )["incentiveStatement"]
    return found


def test_a_rule_pays_past_its_threshold_faster_past_its_accelerator_rounding_half_to_even() -> None:
    share = Rule("r", RuleKind.REVENUE_SHARE, 250, None, None, 10_000, None, None)
    assert [earned(share, m) for m in (9_999, 10_002, 10_020, 10_060, -5)] == [0, 250, 250, 252, 0]
    fast = Rule("f", RuleKind.PER_UNIT, 100, None, None, 0, 10, 150)
    assert [earned(fast, m) for m in (0, 10, 12)] == [0, 1_000, 1_300]


async def test_accruals_follow_deliveries_returns_and_wins_and_equal_a_recomputation(
    channel: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accrual, "LOCK_BATCH", 1)  # balances locked one statement per partner
    factory, vendor, shop = channel["factory"], channel["vendor"], channel["shop"]
    alpha, beta = channel["alpha"], channel["beta"]
    alpha_id, beta_id = channel["alpha_org"].id, channel["beta_org"].id

    early = await shop.order(alpha, "USD", SW_24=3)  # 300.00 USD, delivered before activation
    await shop.move(early, DELIVER)
    program = await create(factory, vendor)
    assert (program["status"], program["currency"], len(program["rules"])) == ("DRAFT", "USD", 3)
    before = await statement(factory, vendor, program["id"], alpha_id)
    assert before["earned"]["amountMinor"] == 0
    assert data_of(await factory.gql(ACTIVATE, {"id": program["id"]}, actor=vendor)) == {
        "activateIncentiveProgram": {"id": program["id"], "status": "ACTIVE"}
    }
    mine = await statement(factory, alpha, program["id"])  # the caller's own organization
    assert mine["earned"] == {"amountMinor": 1_500, "currency": "USD"}  # 5% of 300.00

    await shop.move(await shop.order(alpha, "EUR", SW_24=4), DELIVER)  # 360 EUR = 396.00 USD
    returned = await shop.order(alpha, "USD", SW_24=2)  # 200.00 USD delivered, then returned
    at = await shop.move(returned, DELIVER)
    at = await shop.move(returned, RETURN, by=alpha, at=at)
    await shop.move(returned, [{"status": "RETURNED"}], at=at)
    await shop.move(await shop.order(alpha, "USD", SW_24=5), [{"status": "CANCELLED"}], by=alpha)
    await shop.move(await shop.order(alpha, "USD", FW_1=2), DELIVER)  # SILVER: no unit bonus
    await shop.move(await shop.order(beta, "USD", FW_1=3, SW_24=1), DELIVER)
    beta_back = await shop.order(beta, "USD", FW_1=1)
    at = await shop.move(beta_back, DELIVER)
    at = await shop.move(beta_back, RETURN, by=beta, at=at)
    await shop.move(beta_back, [{"status": "RETURNED"}], at=at)
    lead = await lead_for(
        factory, vendor, alpha, alpha_id, value={"amountMinor": 1_000_00, "currency": "USD"}
    )
    await won(factory, alpha, lead)

    # Alpha: NETWORKING 300 + 396 (+200 - 200) = 696.00 USD: 5% of 500 + 10% of 196 = 44.60;
    # one won deal, 250.00. Beta: 100.00 NETWORKING (5.00) and 3 + 1 - 1 = 3 GOLD units (45.00).
    alpha_seen = await statement(factory, alpha, program["id"], alpha_id)
    beta_seen = await statement(factory, vendor, program["id"], beta_id)
    assert [
        (line["rule"]["kind"], line["measure"], line["earned"]["amountMinor"])
        for line in alpha_seen["lines"]
    ] == [
        ("REVENUE_SHARE", 69_600, 4_460),
        ("PER_UNIT", 0, 0),
        ("SPIFF", 1, 25_000),
    ]
    assert alpha_seen["earned"]["amountMinor"] == alpha_seen["balance"]["amountMinor"] == 29_460
    assert [line["earned"]["amountMinor"] for line in beta_seen["lines"]] == [500, 4_500, 0]
    assert [line["measure"] for line in beta_seen["lines"]] == [10_000, 3, 0]
    ledger = [edge["node"] for edge in alpha_seen["accruals"]["edges"]]
    assert sum(entry["amount"]["amountMinor"] for entry in ledger) == 29_460
    assert {entry["cause"] for entry in ledger} == {
        "RECOMPUTED",
        "ORDER_DELIVERED",
        "ORDER_RETURNED",
        "DEAL_WON",
    }
    clawback = [entry for entry in ledger if entry["cause"] == "ORDER_RETURNED"]
    assert [(c["amount"]["amountMinor"], c["orderId"]) for c in clawback] == [(-2_000, returned)]
    wins = [entry for entry in ledger if entry["cause"] == "DEAL_WON"]
    assert [(w["amount"]["amountMinor"], w["opportunityId"] is not None) for w in wins] == [
        (25_000, True)
    ]

    # The ledger equals a recomputation from raw orders: nothing to adjust...
    again = data_of(await factory.gql(RECOMPUTE, {"id": program["id"]}, actor=vendor))
    assert again["recomputeIncentives"]["adjustments"] == 0
    # ...until a new EUR rate converts the EUR order anew: 432.00 USD, +3.60 for Alpha.
    rate = {"currency": "EUR", "rate": "1.20", "from": "2026-03-01"}
    data_of(await factory.gql(RATE, rate, actor=vendor))
    again = data_of(await factory.gql(RECOMPUTE, {"id": program["id"]}, actor=vendor))
    assert again["recomputeIncentives"]["adjustments"] == 1
    assert (await statement(factory, alpha, program["id"]))["earned"]["amountMinor"] == 29_820

    # An order in a currency without a rate is left out until the rate is set: then a
    # recomputation counts it (80.00 GBP at 1.25: 100.00 USD, 5.00 more for Beta).
    await shop.move(await shop.order(beta, "GBP", SW_24=1), DELIVER)
    unrated = await statement(factory, beta, program["id"])
    assert (unrated["earned"]["amountMinor"], unrated["missingRates"]) == (5_000, ["GBP"])
    rate = {"currency": "GBP", "rate": "1.25", "from": "2026-03-01"}
    data_of(await factory.gql(RATE, rate, actor=vendor))
    again = data_of(await factory.gql(RECOMPUTE, {"id": program["id"]}, actor=vendor))
    assert again["recomputeIncentives"]["adjustments"] == 1
    beta_now = await statement(factory, beta, program["id"])
    assert [line["measure"] for line in beta_now["lines"]] == [20_000, 3, 0]
    assert (beta_now["earned"]["amountMinor"], beta_now["missingRates"]) == (5_500, [])

    # Closed, the ledger no longer moves: a later delivery accrues nothing.
    data_of(await factory.gql(CLOSE, {"id": program["id"]}, actor=vendor))
    await shop.move(await shop.order(alpha, "USD", SW_24=1), DELIVER)
    assert (await statement(factory, alpha, program["id"]))["earned"]["amountMinor"] == 29_820
    refused = await factory.gql(RECOMPUTE, {"id": program["id"]}, actor=vendor)
    assert errors_of(refused) == [("CONFLICT", "programId")]


async def test_payouts_never_exceed_the_balance_even_raced_and_references_count_once(
    channel: dict[str, Any],
) -> None:
    factory, vendor, shop = channel["factory"], channel["vendor"], channel["shop"]
    alpha, alpha_id = channel["alpha"], channel["alpha_org"].id
    program = (await create(factory, vendor))["id"]
    data_of(await factory.gql(ACTIVATE, {"id": program}, actor=vendor))
    bought = await shop.order(alpha, "USD", SW_24=2)
    delivered_at = await shop.move(bought, DELIVER)  # 5% of 200.00 = 10.00

    def pay(amount: int, ref: str, currency: str = "USD", by: Actor = vendor) -> Any:
        variables = {
            "p": program,
            "partner": alpha_id,
            "amount": {"amountMinor": amount, "currency": currency},
            "ref": ref,
        }
        return factory.gql(PAY, variables, actor=by)

    first = data_of(await pay(400, "ERP-1"))["recordIncentivePayout"]
    assert (first["amount"], first["partner"]) == (
        {"amountMinor": 400, "currency": "USD"},
        {"name": "Alpha"},
    )
    assert errors_of(await pay(100, "ERP-1")) == [("CONFLICT", "reference")]
    assert errors_of(await pay(100, "ERP-2", "EUR")) == [("BAD_USER_INPUT", "amount.currency")]
    assert errors_of(await pay(0, "ERP-2")) == [("BAD_USER_INPUT", "amount.amountMinor")]
    assert errors_of(await pay(100, "ERP-2", by=alpha)) == [("FORBIDDEN", None)]
    assert errors_of(await pay(700, "ERP-2")) == [("CONFLICT", "amount.amountMinor")]
    erp = await factory.user(vendor.principal.organization_id, Role.INTEGRATION)
    by_erp = data_of(await pay(100, "ERP-2", by=erp))["recordIncentivePayout"]
    assert by_erp["amount"] == {"amountMinor": 100, "currency": "USD"}

    # Ten payouts of 1.00 race for the 5.00 left: five are recorded, five refused.
    raced = await asyncio.gather(*(pay(100, f"RACE-{n}") for n in range(10)))
    codes = sorted(errors_of(body)[0][0] if "errors" in body else "OK" for body in raced)
    assert codes == ["CONFLICT"] * 5 + ["OK"] * 5
    seen = await statement(factory, alpha, program)
    assert (seen["earned"]["amountMinor"], seen["paid"]["amountMinor"]) == (1_000, 1_000)
    assert seen["balance"]["amountMinor"] == 0
    assert len(seen["payouts"]) == 7  # ERP-1, ERP-2 and five of the race

    # Below its threshold a rule pays nothing, and the statement still shows the measure.
    high = [{**RULES[0], "threshold": 1_000_000_00, "acceleratorFrom": 2_000_000_00}]
    gated = (await create(factory, vendor, name="Gated", rules=high))["id"]
    data_of(await factory.gql(ACTIVATE, {"id": gated}, actor=vendor))
    [line] = (await statement(factory, alpha, gated))["lines"]
    assert (line["measure"], line["earned"]["amountMinor"]) == (20_000, 0)

    # A return after the payout claws it all back: the balance goes negative, owed back.
    at = await shop.move(bought, RETURN, by=alpha, at=delivered_at)
    await shop.move(bought, [{"status": "RETURNED"}], at=at)
    seen = await statement(factory, alpha, program)
    assert (seen["earned"]["amountMinor"], seen["balance"]["amountMinor"]) == (0, -1_000)
    assert errors_of(await pay(100, "ERP-3")) == [("CONFLICT", "amount.amountMinor")]


async def test_partners_see_their_own_statements_and_events_only(
    channel: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    factory, vendor, shop = channel["factory"], channel["vendor"], channel["shop"]
    alpha, beta = channel["alpha"], channel["beta"]
    alpha_id = channel["alpha_org"].id
    draft = (await create(factory, vendor, name="Secret draft"))["id"]
    program = (await create(factory, vendor))["id"]
    data_of(await factory.gql(ACTIVATE, {"id": program}, actor=vendor))

    # The SQLite factory serves its own app; the PostgreSQL one shares the `app` fixture's.
    async with serving(factory.app or request.getfixturevalue("app")) as server:
        url = f"ws://127.0.0.1:{server.config.port}/graphql"
        async with (
            graphql_socket(url, alpha.token) as alpha_socket,
            graphql_socket(url, beta.token) as beta_socket,
        ):
            await alpha_socket.subscribe(EVENTS)
            await beta_socket.subscribe(EVENTS)
            await asyncio.sleep(0.3)
            await shop.move(await shop.order(alpha, "USD", SW_24=2), DELIVER)
            event = (await alpha_socket.next(wait=15))["data"]["incentiveEvents"]
            assert (event["type"], event["partnerId"], event["amount"], event["cause"]) == (
                "INCENTIVE_ACCRUED",
                alpha_id,
                1_000,
                "ORDER_DELIVERED",
            )
            assert event["program"] == {"name": "Rebates 2026"}
            assert await beta_socket.silent(0.5)

    for query, variables in [
        (STATEMENT, {"p": program, "partner": alpha_id}),
        (STATEMENT, {"p": draft}),
        (PROGRAM, {"id": draft}),
    ]:
        assert errors_of(await factory.gql(query, variables, actor=beta))[0][0] == "NOT_FOUND"
    listed = data_of(await factory.gql(PROGRAMS, actor=beta))["incentivePrograms"]
    assert [edge["node"]["name"] for edge in listed["edges"]] == ["Rebates 2026"]
    everything = data_of(await factory.gql(PROGRAMS, actor=vendor))["incentivePrograms"]
    assert everything["totalCount"] == 2
    # A distributor reads its sub-reseller's statement; the sub-reseller not the distributor's.
    distributor = await factory.partner("Gamma", type=PartnerType.DISTRIBUTOR)
    reseller = await factory.partner("Delta", parent_id=distributor.id)
    gamma = await factory.user(distributor.id, Role.PARTNER_ADMIN)
    delta = await factory.user(reseller.id, Role.PARTNER_USER)
    await shop.move(await shop.order(delta, "USD", SW_24=1), DELIVER)
    theirs = await statement(factory, gamma, program, reseller.id)
    assert (theirs["partner"], theirs["earned"]["amountMinor"]) == ({"name": "Delta"}, 500)
    upward = await factory.gql(STATEMENT, {"p": program, "partner": distributor.id}, actor=delta)
    assert errors_of(upward) == [("NOT_FOUND", "partnerId")]

    own = await statement(factory, beta, program)
    assert (own["partner"], own["earned"]["amountMinor"]) == ({"name": "Beta"}, 0)
    assert own["accruals"]["totalCount"] == 0
    for mutation, variables in [
        (CREATE, {"input": program_input()}),
        (ACTIVATE, {"id": draft}),
        (RECOMPUTE, {"id": program}),
    ]:
        assert errors_of(await factory.gql(mutation, variables, actor=alpha))[0][0] in (
            "FORBIDDEN",
            "NOT_FOUND",
        )


async def test_bad_programs_are_refused_with_their_field_and_write_nothing(
    channel: dict[str, Any],
) -> None:
    factory, vendor = channel["factory"], channel["vendor"]
    share = RULES[0]
    for fields, field in [
        ({"rules": []}, "input.rules"),
        ({"rules": [{**share, "rate": 10_001}]}, "input.rules.0.rate"),
        ({"rules": [{**share, "rate": -1}]}, "input.rules.0.rate"),
        (
            {"rules": [share, {"kind": "SPIFF", "rate": 1, "acceleratorFrom": 5}]},
            "input.rules.1.acceleratorFrom",
        ),
        ({"rules": [{**share, "threshold": 90_000}]}, "input.rules.0.acceleratorFrom"),
        ({"rules": [{**share, "productLine": "NOPE"}]}, "input.rules.0.productLine"),
        ({"endsOn": "2026-02-01"}, "input.endsOn"),
        ({"endsOn": "2029-01-01"}, "input.endsOn"),
        ({"currency": "usd!"}, "input.currency"),
        ({"name": "  "}, "input.name"),
        ({"name": "a\x00b"}, "input.name"),
    ]:
        refused = await factory.gql(CREATE, {"input": program_input(**fields)}, actor=vendor)
        assert errors_of(refused) == [("BAD_USER_INPUT", field)], fields
    listed = data_of(await factory.gql(PROGRAMS, actor=vendor))["incentivePrograms"]
    assert listed["totalCount"] == 0

    program = await create(factory, vendor)
    changed = await factory.gql(
        UPDATE,
        {
            "id": program["id"],
            "input": {"rules": [{**RULES[2], "threshold": 5_000_000_000}]},
            "v": 1,
        },
        actor=vendor,
    )
    assert data_of(changed)["updateIncentiveProgram"] == {  # past 32 bits: a MinorUnits
        "id": program["id"],
        "version": 2,
        "rules": [{"kind": "SPIFF", "threshold": 5_000_000_000}],
    }
    stale = await factory.gql(UPDATE, {"id": program["id"], "input": {}, "v": 1}, actor=vendor)
    assert errors_of(stale) == [("CONFLICT", "expectedVersion")]
    data_of(await factory.gql(ACTIVATE, {"id": program["id"]}, actor=vendor))
    fixed = await factory.gql(UPDATE, {"id": program["id"], "input": {"name": "x"}}, actor=vendor)
    assert errors_of(fixed) == [("CONFLICT", "id")]
    twice = await factory.gql(ACTIVATE, {"id": program["id"]}, actor=vendor)
    assert errors_of(twice) == [("CONFLICT", "id")]
    unknown = await factory.gql(PROGRAM, {"id": "nope"}, actor=vendor)
    assert errors_of(unknown) == [("NOT_FOUND", "id")]
    running = await factory.gql(PROGRAMS, {"filter": {"runningOn": "2027-01-01"}}, actor=vendor)
    assert data_of(running)["incentivePrograms"]["totalCount"] == 0


async def test_racing_deliveries_and_a_recomputation_count_each_order_once(
    channel: dict[str, Any],
) -> None:
    factory, vendor, shop = channel["factory"], channel["vendor"], channel["shop"]
    alpha, beta = channel["alpha"], channel["beta"]
    program = (await create(factory, vendor))["id"]
    data_of(await factory.gql(ACTIVATE, {"id": program}, actor=vendor))
    value = {"amountMinor": 1_000_00, "currency": "USD"}
    leads = [
        await lead_for(factory, vendor, alpha, channel["alpha_org"].id, value=value)
        for _ in range(4)
    ]
    for lead in leads:
        for status in ("CONTACTED", "QUALIFIED"):
            data_of(await factory.gql(LEAD_STATUS, {"id": lead, "s": status}, actor=alpha))
    shipped = []
    for buyer in [alpha] * 8 + [beta] * 2:
        order = await shop.order(buyer, "USD", SW_24=1)
        shipped.append((order, await shop.move(order, DELIVER[:3])))

    # Eight Alpha and two Beta deliveries at once, four Alpha deals won, and a recomputation.
    async def deliver(order: str, at: int) -> int:
        return await shop.move(order, DELIVER[3:], at=at)

    raced = await asyncio.gather(
        *(deliver(order, at) for order, at in shipped),
        *(factory.gql(LEAD_STATUS, {"id": lead, "s": "WON"}, actor=alpha) for lead in leads),
        factory.gql(RECOMPUTE, {"id": program}, actor=vendor),
    )
    assert all("errors" not in body for body in raced[len(shipped) :]), raced

    # Alpha: 800.00 USD, 5% of 500 + 10% of 300 = 55.00, and four SPIFFs of 250.00;
    # Beta: 200.00 USD, 10.00.
    alpha_seen = await statement(factory, alpha, program)
    beta_seen = await statement(factory, beta, program)
    assert alpha_seen["lines"][0]["measure"] == 80_000
    assert alpha_seen["lines"][2]["measure"] == 4
    assert (alpha_seen["earned"]["amountMinor"], beta_seen["earned"]["amountMinor"]) == (
        105_500,
        1_000,
    )
    for seen in (alpha_seen, beta_seen):
        ledger = seen["accruals"]["edges"]
        assert (
            sum(e["node"]["amount"]["amountMinor"] for e in ledger) == seen["earned"]["amountMinor"]
        )
    again = data_of(await factory.gql(RECOMPUTE, {"id": program}, actor=vendor))
    assert again["recomputeIncentives"]["adjustments"] == 0
