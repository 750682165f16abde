"""Leads and deal registration over GraphQL: tenancy, permissions, input, assignment and paging."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hub.clock import ManualClock
from hub.partners import PartnerStatus, TerritoryInput, Tier
from hub.roles import Role
from hub.runtime import Hub
from storage.models import LeadActivity
from tests.conftest import data_of
from tests.factories import Actor, Factory, errors_of

CALIFORNIA = (TerritoryInput(name="CA", regions=("US-CA",)),)
LEAD = {
    "customerCompany": "Globex",
    "country": "US",
    "productLine": "NETWORKING",
    "region": "US-CA",
}
CREATE = """
mutation($input: LeadInput!, $route: Boolean! = true) {
  createLead(input: $input, route: $route) { id status version partner { name } }
}"""
READ = """
query($id: ID!) {
  lead(id: $id) {
    id status version lostReason offerExpiresAt partner { name }
    routing {
      step strategy chosenPartnerId
      candidates { partnerId name tier }
      excluded { partnerId name reason }
    }
    assignments { rule outcome reason partner { name } }
    notes { body }
    followUps { id title doneAt }
  }
}"""
LEADS = """
query($first: Int, $after: String, $filter: LeadFilter) {
  leads(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { customerCompany status } }
  }
}"""
ACCEPT = "mutation($id: ID!) { acceptLead(id: $id) { status } }"
DECLINE = """
mutation($id: ID!, $note: String) { declineLead(id: $id, reason: NOT_QUALIFIED, note: $note) }"""
MOVE = """
mutation($id: ID!, $status: LeadStatus!, $reason: String, $expectedVersion: Int) {
  updateLeadStatus(id: $id, status: $status, reason: $reason, expectedVersion: $expectedVersion) {
    status lostReason version
  }
}"""
NOTE = "mutation($id: ID!, $body: String!) { addLeadNote(id: $id, body: $body) { body } }"
FOLLOW_UP = """
mutation($id: ID!, $title: String!, $dueAt: DateTime!) {
  addLeadFollowUp(id: $id, title: $title, dueAt: $dueAt) { id title dueAt doneAt }
}"""
COMPLETE = "mutation($id: ID!) { completeLeadFollowUp(id: $id) { id doneAt } }"
ASSIGN = """
mutation($id: ID!, $partnerId: ID!) {
  assignLead(id: $id, partnerId: $partnerId) {
    status offerExpiresAt partner { name } assignments { rule outcome reason partner { name } }
  }
}"""
ROUTE = "mutation($id: ID!) { routeLead(id: $id) { status } }"
REGISTER = """
mutation($input: DealInput!) {
  registerDeal(input: $input) {
    id status decidedAt expiresAt decisionReason conflict { message partnerId kind recordId }
  }
}"""
DEAL_CONFLICT = """
query($id: ID!) {
  dealRegistration(id: $id) { status decisionReason conflict { message partnerId kind recordId } }
}"""
CLAIMED = {
    "message": "the customer is already claimed by another partner; ask your channel manager "
    "to review this registration",
    "partnerId": None,
    "kind": None,
    "recordId": None,
}
APPROVE_DEAL = "mutation($id: ID!) { approveDealRegistration(id: $id) { status } }"
REJECT_DEAL = """
mutation($id: ID!, $reason: String!) {
  rejectDealRegistration(id: $id, reason: $reason) { status decisionReason decidedAt }
}"""
DEALS = """
query { dealRegistrations { totalCount edges { node { id status partner { name } } } } }"""
SETTINGS = """
query { leadSettings { radiusKm weights { tier acceptance speed win distance } autoApproveTiers } }"""
UPDATE_SETTINGS = """
mutation($input: LeadSettingsInput!) { updateLeadSettings(input: $input) { radiusKm } }"""
DEAL = {
    "customerCompany": "Initech",
    "country": "US",
    "productLine": "NETWORKING",
    "value": {"amountMinor": 500_000, "currency": "USD"},
}


@pytest.fixture
async def channel(factory: Factory) -> dict[str, Any]:
    """Two Californian networking partners, gold and silver, and a user of each."""
    gold = await factory.partner("Gold", tier=Tier.GOLD, territories=CALIFORNIA)
    silver = await factory.partner("Silver", tier=Tier.SILVER, territories=CALIFORNIA)
    return {
        "vendor": await factory.vendor_admin(),
        "manager": await factory.vendor_user(Role.CHANNEL_MANAGER),
        "gold": gold,
        "silver": silver,
        "gold_user": await factory.user(gold.id, Role.PARTNER_USER),
        "silver_user": await factory.user(silver.id, Role.PARTNER_ADMIN),
    }


async def create_lead(
    factory: Factory, actor: Actor, *, route: bool = True, **fields: Any
) -> dict[str, Any]:
    body = await factory.gql(CREATE, {"input": {**LEAD, **fields}, "route": route}, actor=actor)
    created: dict[str, Any] = data_of(body)["createLead"]
    return created


async def read_lead(factory: Factory, lead_id: str, actor: Actor) -> dict[str, Any]:
    lead: dict[str, Any] = data_of(await factory.gql(READ, {"id": lead_id}, actor=actor))["lead"]
    return lead


async def lead_count(factory: Factory, actor: Actor) -> int:
    count: int = data_of(await factory.gql(LEADS, actor=actor))["leads"]["totalCount"]
    return count


def companies(body: dict[str, Any]) -> list[str]:
    return [edge["node"]["customerCompany"] for edge in data_of(body)["leads"]["edges"]]


# Tenancy


async def test_another_partner_cannot_read_list_or_act_on_a_lead(
    factory: Factory, channel: dict[str, Any]
) -> None:
    lead = await create_lead(factory, channel["vendor"])
    intruder = channel["silver_user"]
    by_id = {"id": lead["id"]}

    read = await factory.gql(READ, by_id, actor=intruder)
    listed = await factory.gql(LEADS, actor=intruder)
    searched = await factory.gql(LEADS, {"filter": {"search": "globex"}}, actor=intruder)
    accepted = await factory.gql(ACCEPT, by_id, actor=intruder)
    declined = await factory.gql(DECLINE, by_id, actor=intruder)
    noted = await factory.gql(NOTE, {**by_id, "body": "mine now"}, actor=intruder)
    await factory.gql(ACCEPT, by_id, actor=channel["gold_user"])
    moved = await factory.gql(MOVE, {**by_id, "status": "CONTACTED"}, actor=intruder)

    assert lead["partner"] == {"name": "Gold"}
    assert errors_of(read) == [("NOT_FOUND", "id")]
    assert companies(listed) == [] and data_of(listed)["leads"]["totalCount"] == 0
    assert companies(searched) == []
    assert errors_of(accepted) == [("NOT_FOUND", "id")]
    assert errors_of(declined) == [("NOT_FOUND", "id")]
    assert errors_of(noted) == [("NOT_FOUND", "id")]
    assert errors_of(moved) == [("NOT_FOUND", "id")]
    seen = await read_lead(factory, lead["id"], channel["vendor"])
    assert (seen["status"], seen["partner"], seen["notes"]) == ("ACCEPTED", {"name": "Gold"}, [])
    assert [(a["partner"]["name"], a["outcome"]) for a in seen["assignments"]] == [
        ("Gold", "ACCEPTED")
    ]
    assert companies(await factory.gql(LEADS, actor=channel["gold_user"])) == ["Globex"]


async def test_routing_explanation_is_for_vendor_staff_only(
    factory: Factory, channel: dict[str, Any]
) -> None:
    cloudy = await factory.partner("Cloudy", territories=CALIFORNIA, specializations=("CLOUD",))
    lead = await create_lead(factory, channel["vendor"])

    by_manager = await read_lead(factory, lead["id"], channel["manager"])
    by_partner = await read_lead(factory, lead["id"], channel["gold_user"])

    assert by_manager["routing"] == {
        "step": "TERRITORY",
        "strategy": "BEST_SCORE",
        "chosenPartnerId": channel["gold"].id,
        "candidates": [
            {"partnerId": channel["gold"].id, "name": "Gold", "tier": "GOLD"},
            {"partnerId": channel["silver"].id, "name": "Silver", "tier": "SILVER"},
        ],
        "excluded": [{"partnerId": cloudy.id, "name": "Cloudy", "reason": "NO_SPECIALIZATION"}],
    }
    assert by_partner["status"] == "OFFERED"
    assert by_partner["routing"] is None


async def test_after_a_decline_the_next_partner_sees_only_its_own_offer_and_notes(
    factory: Factory, channel: dict[str, Any], clock: ManualClock
) -> None:
    lead = await create_lead(factory, channel["vendor"])
    by_id = {"id": lead["id"]}
    await factory.gql(NOTE, {**by_id, "body": "from the vendor"}, actor=channel["vendor"])
    clock.advance(minutes=1)
    await factory.gql(NOTE, {**by_id, "body": "from gold"}, actor=channel["gold_user"])
    clock.advance(minutes=1)

    declined = await factory.gql(
        DECLINE, {**by_id, "note": "too small"}, actor=channel["gold_user"]
    )
    by_silver = await read_lead(factory, lead["id"], channel["silver_user"])
    by_vendor = await read_lead(factory, lead["id"], channel["vendor"])
    by_gold = await factory.gql(READ, by_id, actor=channel["gold_user"])

    assert data_of(declined) == {"declineLead": True}
    assert by_silver["partner"] == {"name": "Silver"}
    assert [(a["partner"]["name"], a["outcome"]) for a in by_silver["assignments"]] == [
        ("Silver", "OFFERED")
    ]
    assert [note["body"] for note in by_silver["notes"]] == ["from the vendor"]
    assert [
        (a["partner"]["name"], a["outcome"], a["reason"]) for a in by_vendor["assignments"]
    ] == [("Gold", "DECLINED", "NOT_QUALIFIED: too small"), ("Silver", "OFFERED", None)]
    assert [note["body"] for note in by_vendor["notes"]] == ["from the vendor", "from gold"]
    assert errors_of(by_gold) == [("NOT_FOUND", "id")]


# Permissions


async def test_partner_users_cannot_use_vendor_operations(
    factory: Factory, channel: dict[str, Any]
) -> None:
    lead = await create_lead(factory, channel["vendor"], route=False)
    partner_admin = channel["silver_user"]
    deal = data_of(await factory.gql(REGISTER, {"input": DEAL}, actor=partner_admin))
    pending = deal["registerDeal"]

    attempts = {
        "createLead": await factory.gql(CREATE, {"input": LEAD}, actor=partner_admin),
        "routeLead": await factory.gql(ROUTE, {"id": lead["id"]}, actor=partner_admin),
        "assignLead": await factory.gql(
            ASSIGN, {"id": lead["id"], "partnerId": channel["silver"].id}, actor=partner_admin
        ),
        "updateLeadSettings": await factory.gql(
            UPDATE_SETTINGS, {"input": {"radiusKm": 500}}, actor=partner_admin
        ),
        "approveDealRegistration": await factory.gql(
            APPROVE_DEAL, {"id": pending["id"]}, actor=partner_admin
        ),
    }

    assert pending["status"] == "PENDING"
    assert {name: errors_of(body) for name, body in attempts.items()} == {
        name: [("FORBIDDEN", None)] for name in attempts
    }
    assert await lead_count(factory, channel["vendor"]) == 1
    assert (await read_lead(factory, lead["id"], channel["vendor"]))["status"] == "NEW"
    settings = data_of(await factory.gql(SETTINGS, actor=channel["vendor"]))["leadSettings"]
    assert settings["radiusKm"] == 100.0
    deals = data_of(await factory.gql(DEALS, actor=channel["vendor"]))["dealRegistrations"]
    assert [edge["node"]["status"] for edge in deals["edges"]] == ["PENDING"]


async def test_vendor_staff_cannot_accept_leads_or_register_deals(
    factory: Factory, channel: dict[str, Any]
) -> None:
    lead = await create_lead(factory, channel["vendor"])
    manager = channel["manager"]

    accepted = await factory.gql(ACCEPT, {"id": lead["id"]}, actor=manager)
    declined = await factory.gql(DECLINE, {"id": lead["id"]}, actor=manager)
    registered = await factory.gql(REGISTER, {"input": DEAL}, actor=manager)

    assert errors_of(accepted) == [("FORBIDDEN", None)]
    assert errors_of(declined) == [("FORBIDDEN", None)]
    assert errors_of(registered) == [("FORBIDDEN", None)]
    seen = await read_lead(factory, lead["id"], channel["vendor"])
    assert (seen["status"], seen["partner"]) == ("OFFERED", {"name": "Gold"})
    deals = data_of(await factory.gql(DEALS, actor=channel["vendor"]))["dealRegistrations"]
    assert deals["totalCount"] == 0


# Bad input


async def test_create_lead_bad_input_names_the_field_and_writes_nothing(
    factory: Factory, channel: dict[str, Any]
) -> None:
    vendor = channel["vendor"]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"country": "XX"}, "country"),
        (
            {"estimatedValue": {"amountMinor": 100, "currency": "DOLLARS"}},
            "estimatedValue.currency",
        ),
        ({"estimatedValue": {"amountMinor": -1, "currency": "USD"}}, "estimatedValue.amountMinor"),
        ({"region": "US-ZZ"}, "region"),
        ({"email": "not-an-email"}, "email"),
        ({"customerCompany": "  "}, "customerCompany"),
    ]

    for overrides, field in cases:
        body = await factory.gql(CREATE, {"input": {**LEAD, **overrides}}, actor=vendor)
        assert errors_of(body) == [("BAD_USER_INPUT", field)], overrides

    assert await lead_count(factory, vendor) == 0


@pytest.mark.parametrize("amount", [12.5, "1000", True])
async def test_minor_units_must_be_a_whole_number_in_variables(
    factory: Factory, channel: dict[str, Any], amount: Any
) -> None:
    vendor = channel["vendor"]
    value = {"amountMinor": amount, "currency": "USD"}

    body = await factory.gql(CREATE, {"input": {**LEAD, "estimatedValue": value}}, actor=vendor)

    assert body.get("data") is None
    assert await lead_count(factory, vendor) == 0
    assert errors_of(body) == [("BAD_USER_INPUT", "input.estimatedValue.amountMinor")]


@pytest.mark.parametrize("literal", ["12.5", '"1000"'])
async def test_minor_units_must_be_a_whole_number_in_the_query_text(
    factory: Factory, channel: dict[str, Any], literal: str
) -> None:
    vendor = channel["vendor"]
    query = """mutation { createLead(input: {
      customerCompany: "Globex", country: "US", productLine: "NETWORKING",
      estimatedValue: { amountMinor: AMOUNT, currency: "USD" } }) { id } }"""

    response = await factory.post(query.replace("AMOUNT", literal), actor=vendor)

    assert response.status_code == 400
    assert await lead_count(factory, vendor) == 0
    assert errors_of(response.json()) == [("GRAPHQL_VALIDATION_FAILED", None)]


async def test_whole_minor_units_are_kept_exactly(
    factory: Factory, channel: dict[str, Any]
) -> None:
    value = {"amountMinor": 2**53 - 1, "currency": "eur"}
    query = """mutation($input: LeadInput!) { createLead(input: $input) {
      estimatedValue { amountMinor currency } } }"""

    body = await factory.gql(
        query, {"input": {**LEAD, "estimatedValue": value}}, actor=channel["vendor"]
    )

    assert data_of(body)["createLead"]["estimatedValue"] == {
        "amountMinor": 2**53 - 1,
        "currency": "EUR",
    }


async def test_lost_needs_a_reason_and_a_stale_version_conflicts(
    factory: Factory, channel: dict[str, Any]
) -> None:
    lead = await create_lead(factory, channel["vendor"])
    owner = channel["gold_user"]
    await factory.gql(ACCEPT, {"id": lead["id"]}, actor=owner)
    version = (await read_lead(factory, lead["id"], owner))["version"]

    no_reason = await factory.gql(MOVE, {"id": lead["id"], "status": "LOST"}, actor=owner)
    blank = await factory.gql(
        MOVE, {"id": lead["id"], "status": "LOST", "reason": " "}, actor=owner
    )
    stale = await factory.gql(
        MOVE,
        {"id": lead["id"], "status": "CONTACTED", "expectedVersion": version - 1},
        actor=owner,
    )
    contacted = await factory.gql(
        MOVE, {"id": lead["id"], "status": "CONTACTED", "expectedVersion": version}, actor=owner
    )
    lost = await factory.gql(
        MOVE, {"id": lead["id"], "status": "LOST", "reason": " went with a rival "}, actor=owner
    )

    assert errors_of(no_reason) == [("BAD_USER_INPUT", "reason")]
    assert errors_of(blank) == [("BAD_USER_INPUT", "reason")]
    assert errors_of(stale) == [("CONFLICT", "expectedVersion")]
    assert data_of(contacted)["updateLeadStatus"] == {
        "status": "CONTACTED",
        "lostReason": None,
        "version": version + 1,
    }
    assert data_of(lost)["updateLeadStatus"] == {
        "status": "LOST",
        "lostReason": "went with a rival",
        "version": version + 2,
    }


async def test_lead_settings_bad_input_names_the_field_and_changes_nothing(
    factory: Factory, channel: dict[str, Any]
) -> None:
    vendor = channel["vendor"]
    weights = {"tier": -0.1, "acceptance": 0.5, "speed": 0.2, "win": 0.2, "distance": 0.2}
    before = data_of(await factory.gql(SETTINGS, actor=vendor))["leadSettings"]

    radius = await factory.gql(UPDATE_SETTINGS, {"input": {"radiusKm": 0}}, actor=vendor)
    negative = await factory.gql(UPDATE_SETTINGS, {"input": {"weights": weights}}, actor=vendor)
    both = await factory.gql(
        UPDATE_SETTINGS, {"input": {"radiusKm": 50, "weights": weights}}, actor=vendor
    )
    changed = await factory.gql(UPDATE_SETTINGS, {"input": {"radiusKm": 250}}, actor=vendor)

    assert errors_of(radius) == [("BAD_USER_INPUT", "radiusKm")]
    assert errors_of(negative) == [("BAD_USER_INPUT", "weights")]
    assert errors_of(both) == [("BAD_USER_INPUT", "weights")]
    assert before["radiusKm"] == 100.0
    assert data_of(changed)["updateLeadSettings"] == {"radiusKm": 250.0}
    after = data_of(await factory.gql(SETTINGS, actor=vendor))["leadSettings"]
    assert after == {**before, "radiusKm": 250.0}


async def test_an_unknown_auto_approve_tier_is_refused_and_settings_stay_usable(
    factory: Factory, channel: dict[str, Any]
) -> None:
    vendor = channel["vendor"]

    body = await factory.gql(
        UPDATE_SETTINGS, {"input": {"autoApproveTiers": ["DIAMOND"]}}, actor=vendor
    )
    settings = await factory.gql(SETTINGS, actor=vendor)
    created = await factory.gql(CREATE, {"input": LEAD}, actor=vendor)

    assert data_of(settings)["leadSettings"]["autoApproveTiers"] == ["GOLD", "PLATINUM"]
    assert data_of(created)["createLead"]["partner"] == {"name": "Gold"}
    assert errors_of(body) == [("BAD_USER_INPUT", "input.autoApproveTiers[0]")]


# Manual assignment


async def test_channel_manager_assigns_a_lead_to_a_chosen_partner(
    factory: Factory, channel: dict[str, Any]
) -> None:
    manager = channel["manager"]
    lead = await create_lead(factory, channel["vendor"], route=False)

    assigned = await factory.gql(
        ASSIGN, {"id": lead["id"], "partnerId": channel["silver"].id}, actor=manager
    )
    moved = await factory.gql(
        ASSIGN, {"id": lead["id"], "partnerId": channel["gold"].id}, actor=manager
    )

    assert lead["status"] == "NEW" and lead["partner"] is None
    first = data_of(assigned)["assignLead"]
    assert (first["status"], first["partner"]) == ("OFFERED", {"name": "Silver"})
    assert first["offerExpiresAt"] == "2026-03-04T09:00:00+00:00"
    assert first["assignments"] == [
        {"rule": "MANUAL", "outcome": "OFFERED", "reason": None, "partner": {"name": "Silver"}}
    ]
    second = data_of(moved)["assignLead"]
    assert second["partner"] == {"name": "Gold"}
    assert [(a["partner"]["name"], a["outcome"]) for a in second["assignments"]] == [
        ("Silver", "WITHDRAWN"),
        ("Gold", "OFFERED"),
    ]
    assert errors_of(await factory.gql(READ, {"id": lead["id"]}, actor=channel["silver_user"])) == [
        ("NOT_FOUND", "id")
    ]


async def test_assigning_to_a_partner_that_is_not_active_is_refused(
    factory: Factory, channel: dict[str, Any]
) -> None:
    paused = await factory.partner("Paused", status=PartnerStatus.SUSPENDED, territories=CALIFORNIA)
    lead = await create_lead(factory, channel["vendor"], route=False)

    suspended = await factory.gql(
        ASSIGN, {"id": lead["id"], "partnerId": paused.id}, actor=channel["manager"]
    )
    unknown = await factory.gql(
        ASSIGN, {"id": lead["id"], "partnerId": "no-such-partner"}, actor=channel["manager"]
    )

    assert errors_of(suspended) == [("BAD_USER_INPUT", "partnerId")]
    assert errors_of(unknown) == [("BAD_USER_INPUT", "partnerId")]
    seen = await read_lead(factory, lead["id"], channel["vendor"])
    assert (seen["status"], seen["partner"], seen["assignments"]) == ("NEW", None, [])


async def test_assigning_a_customer_owned_by_another_partner_conflicts(
    factory: Factory, channel: dict[str, Any]
) -> None:
    manager = channel["manager"]
    first = await create_lead(factory, channel["vendor"], email="cto@globex.example")
    await factory.gql(ACCEPT, {"id": first["id"]}, actor=channel["gold_user"])
    second = await create_lead(
        factory,
        channel["vendor"],
        route=False,
        customerCompany="Globex Labs",
        email="it@globex.example",
    )

    to_silver = await factory.gql(
        ASSIGN, {"id": second["id"], "partnerId": channel["silver"].id}, actor=manager
    )
    to_owner = await factory.gql(
        ASSIGN, {"id": second["id"], "partnerId": channel["gold"].id}, actor=manager
    )

    assert errors_of(to_silver) == [("CONFLICT", "partnerId")]
    assert first["id"] in to_silver["errors"][0]["message"]
    assert data_of(to_owner)["assignLead"]["partner"] == {"name": "Gold"}


# Listing


async def test_leads_are_paged_newest_first_and_filtered(
    factory: Factory, channel: dict[str, Any], clock: ManualClock
) -> None:
    vendor = channel["vendor"]
    for index in range(5):
        await create_lead(factory, vendor, route=index % 2 == 0, customerCompany=f"Company {index}")
        clock.advance(minutes=1)

    first = await factory.gql(LEADS, {"first": 2}, actor=vendor)
    page = data_of(first)["leads"]
    second = await factory.gql(
        LEADS, {"first": 2, "after": page["pageInfo"]["endCursor"]}, actor=vendor
    )
    middle = data_of(second)["leads"]
    last = await factory.gql(
        LEADS, {"first": 2, "after": middle["pageInfo"]["endCursor"]}, actor=vendor
    )
    new = await factory.gql(LEADS, {"filter": {"statuses": ["NEW"]}}, actor=vendor)
    offered_or_new = await factory.gql(
        LEADS, {"filter": {"statuses": ["OFFERED", "NEW"]}}, actor=vendor
    )
    searched = await factory.gql(LEADS, {"filter": {"search": " COMPANY 3 "}}, actor=vendor)
    missing = await factory.gql(LEADS, {"filter": {"search": "Initech"}}, actor=vendor)
    bad_page = await factory.gql(LEADS, {"first": -1}, actor=vendor)

    assert page["totalCount"] == 5 and page["pageInfo"]["hasNextPage"] is True
    assert companies(first) == ["Company 4", "Company 3"]
    assert companies(second) == ["Company 2", "Company 1"]
    assert middle["totalCount"] == 5 and middle["pageInfo"]["hasNextPage"] is True
    assert companies(last) == ["Company 0"]
    assert data_of(last)["leads"]["pageInfo"]["hasNextPage"] is False
    assert companies(new) == ["Company 3", "Company 1"]
    assert data_of(new)["leads"]["totalCount"] == 2
    assert len(companies(offered_or_new)) == 5
    assert companies(searched) == ["Company 3"]
    assert companies(missing) == []
    assert errors_of(bad_page) == [("BAD_USER_INPUT", "first")]


# Follow-ups


async def test_follow_up_is_added_then_completed_by_its_partner_only(
    factory: Factory, channel: dict[str, Any], clock: ManualClock
) -> None:
    lead = await create_lead(factory, channel["vendor"])
    stranger = await factory.partner_admin(
        await factory.partner(
            "Stranger", territories=(TerritoryInput(name="NY", regions=("US-NY",)),)
        )
    )
    owner = channel["gold_user"]
    added = await factory.gql(
        FOLLOW_UP,
        {"id": lead["id"], "title": "Call the CTO", "dueAt": "2026-03-05T10:00:00Z"},
        actor=owner,
    )
    follow_up = data_of(added)["addLeadFollowUp"]
    clock.advance(minutes=30)

    stranger_adds = await factory.gql(
        FOLLOW_UP,
        {"id": lead["id"], "title": "Steal it", "dueAt": "2026-03-05T10:00:00Z"},
        actor=stranger,
    )
    by_other = await factory.gql(COMPLETE, {"id": follow_up["id"]}, actor=channel["silver_user"])
    by_stranger = await factory.gql(COMPLETE, {"id": follow_up["id"]}, actor=stranger)
    unknown = await factory.gql(COMPLETE, {"id": "no-such-follow-up"}, actor=owner)
    before = (await read_lead(factory, lead["id"], owner))["followUps"]
    done = await factory.gql(COMPLETE, {"id": follow_up["id"]}, actor=owner)

    assert follow_up["title"] == "Call the CTO" and follow_up["doneAt"] is None
    assert follow_up["dueAt"] == "2026-03-05T10:00:00+00:00"
    assert errors_of(by_other) == [("NOT_FOUND", "id")]
    assert errors_of(by_stranger) == [("NOT_FOUND", "id")]
    assert errors_of(unknown) == [("NOT_FOUND", "id")]
    assert before == [{"id": follow_up["id"], "title": "Call the CTO", "doneAt": None}]
    assert data_of(done)["completeLeadFollowUp"] == {
        "id": follow_up["id"],
        "doneAt": "2026-03-02T09:30:00+00:00",
    }
    assert (await read_lead(factory, lead["id"], owner))["followUps"] == [
        {"id": follow_up["id"], "title": "Call the CTO", "doneAt": "2026-03-02T09:30:00+00:00"}
    ]
    assert errors_of(stranger_adds) == [("NOT_FOUND", "id")]


async def test_the_next_partner_cannot_complete_the_previous_partners_follow_up(
    factory: Factory, channel: dict[str, Any], hub: Hub
) -> None:
    lead = await create_lead(factory, channel["vendor"])
    added = await factory.gql(
        FOLLOW_UP,
        {"id": lead["id"], "title": "Call the CTO", "dueAt": "2026-03-05T10:00:00Z"},
        actor=channel["gold_user"],
    )
    follow_up_id = data_of(added)["addLeadFollowUp"]["id"]
    await factory.gql(DECLINE, {"id": lead["id"]}, actor=channel["gold_user"])

    completed = await factory.gql(COMPLETE, {"id": follow_up_id}, actor=channel["silver_user"])

    assert (await read_lead(factory, lead["id"], channel["silver_user"]))["followUps"] == []
    async with hub.db() as session:
        done_at = await session.scalar(
            select(LeadActivity.done_at).where(LeadActivity.id == follow_up_id)
        )
    assert done_at is None
    assert errors_of(completed) == [("NOT_FOUND", "id")]


# Deal registration


async def test_gold_registration_is_approved_and_a_rival_claim_waits_for_review(
    factory: Factory, channel: dict[str, Any]
) -> None:
    vendor = channel["vendor"]

    gold = data_of(await factory.gql(REGISTER, {"input": DEAL}, actor=channel["gold_user"]))
    rival_input = {**DEAL, "customerCompany": "INITECH, Inc."}
    silver = data_of(
        await factory.gql(REGISTER, {"input": rival_input}, actor=channel["silver_user"])
    )
    approve = await factory.gql(APPROVE_DEAL, {"id": silver["registerDeal"]["id"]}, actor=vendor)
    rejected = await factory.gql(
        REJECT_DEAL,
        {"id": silver["registerDeal"]["id"], "reason": "Gold registered it first"},
        actor=vendor,
    )
    twice = await factory.gql(
        REJECT_DEAL, {"id": silver["registerDeal"]["id"], "reason": "again"}, actor=vendor
    )
    by_silver = data_of(await factory.gql(DEALS, actor=channel["silver_user"]))
    peek = await factory.gql(
        "query($id: ID!) { dealRegistration(id: $id) { status } }",
        {"id": gold["registerDeal"]["id"]},
        actor=channel["silver_user"],
    )
    by_vendor = data_of(await factory.gql(DEALS, actor=vendor))

    approved = gold["registerDeal"]
    assert approved["status"] == "APPROVED" and approved["conflict"] is None
    assert approved["decidedAt"] == "2026-03-02T09:00:00+00:00"
    assert approved["expiresAt"] == "2026-05-31T09:00:00+00:00"
    pending = silver["registerDeal"]
    assert (pending["status"], pending["expiresAt"]) == ("PENDING", None)
    assert pending["conflict"] == CLAIMED
    assert errors_of(approve) == [("CONFLICT", "id")]
    assert data_of(rejected)["rejectDealRegistration"] == {
        "status": "REJECTED",
        "decisionReason": "Gold registered it first",
        "decidedAt": "2026-03-02T09:00:00+00:00",
    }
    assert errors_of(twice) == [("BAD_USER_INPUT", "id")]
    assert [edge["node"]["id"] for edge in by_silver["dealRegistrations"]["edges"]] == [
        pending["id"]
    ]
    assert errors_of(peek) == [("NOT_FOUND", "id")]
    assert by_vendor["dealRegistrations"]["totalCount"] == 2


async def test_a_partner_learns_only_that_a_customer_is_claimed_and_vendor_staff_who(
    factory: Factory, channel: dict[str, Any]
) -> None:
    vendor, gold_user, silver_user = channel["vendor"], channel["gold_user"], channel["silver_user"]
    owned = {**DEAL, "customerEmail": "cfo@initech.example"}
    first = data_of(await factory.gql(REGISTER, {"input": owned}, actor=gold_user))
    by_domain_alone = {**DEAL, "customerCompany": "Someone", "customerEmail": "x@initech.example"}

    pending = data_of(await factory.gql(REGISTER, {"input": by_domain_alone}, actor=silver_user))
    data_of(
        await factory.gql(UPDATE_SETTINGS, {"input": {"conflictPolicy": "REJECT"}}, actor=vendor)
    )
    rejected = data_of(await factory.gql(REGISTER, {"input": owned}, actor=silver_user))
    seen = {
        (name, key): data_of(
            await factory.gql(DEAL_CONFLICT, {"id": deal["registerDeal"]["id"]}, actor=actor)
        )["dealRegistration"]
        for name, actor in (("silver", silver_user), ("vendor", vendor))
        for key, deal in (("pending", pending), ("rejected", rejected))
    }

    owner = {
        "partnerId": channel["gold"].id,
        "kind": "DEAL_REGISTRATION",
        "recordId": first["registerDeal"]["id"],
    }
    assert pending["registerDeal"]["conflict"] == CLAIMED
    assert rejected["registerDeal"]["status"] == "REJECTED"
    assert rejected["registerDeal"]["conflict"] == CLAIMED
    assert rejected["registerDeal"]["decisionReason"] == CLAIMED["message"]
    for key in ("pending", "rejected"):
        assert seen["silver", key]["conflict"] == CLAIMED
        vendor_view = seen["vendor", key]["conflict"]
        assert {name: vendor_view[name] for name in owner} == owner
        assert first["registerDeal"]["id"] in vendor_view["message"]
    for body in seen.values():
        assert channel["gold"].id not in str(body["decisionReason"])
        assert first["registerDeal"]["id"] not in str(body["decisionReason"])


async def test_route_and_recycle_say_what_to_do_instead(
    factory: Factory, channel: dict[str, Any]
) -> None:
    manager = channel["manager"]
    recycle = """mutation($id: ID!) { recycleLead(id: $id, reason: "stale") { status } }"""
    offered = await create_lead(factory, channel["vendor"])
    accepted = await create_lead(factory, channel["vendor"], customerCompany="Hooli")
    await factory.gql(ACCEPT, {"id": accepted["id"]}, actor=channel["gold_user"])
    new = await create_lead(factory, channel["vendor"], route=False, customerCompany="Umbrella")

    messages = {
        (name, verb): (await factory.gql(query, {"id": lead["id"]}, actor=manager))["errors"][0][
            "message"
        ]
        for name, lead in (("offered", offered), ("accepted", accepted), ("new", new))
        for verb, query in (("route", ROUTE), ("recycle", recycle))
        if (name, verb) not in {("accepted", "recycle"), ("new", "route")}
    }

    assert "assignLead" in messages["offered", "route"]
    assert "assignLead" in messages["offered", "recycle"]
    assert "recycle it (recycleLead), then route it" in messages["accepted", "route"]
    assert "route it with routeLead" in messages["new", "recycle"]


async def test_the_explanation_lists_the_best_ten_candidates_and_counts_the_rest(
    factory: Factory,
) -> None:
    tiers = [Tier.PLATINUM, Tier.GOLD, Tier.SILVER, Tier.REGISTERED]
    for n in range(14):
        await factory.partner(f"Reseller {n:02}", tier=tiers[n % 4], territories=CALIFORNIA)
    await factory.partner("Elsewhere", territories=(TerritoryInput(name="NV", regions=("US-NV",)),))
    vendor = await factory.vendor_admin()

    lead = await create_lead(factory, vendor)
    routing = data_of(
        await factory.gql(
            """query($id: ID!) { lead(id: $id) { partner { name } routing {
                 chosenPartnerId unlistedCandidates candidates { name tier score } } } }""",
            {"id": lead["id"]},
            actor=vendor,
        )
    )["lead"]

    candidates = routing["routing"]["candidates"]
    scores = [item["score"] for item in candidates]
    assert len(candidates) == 10 and routing["routing"]["unlistedCandidates"] == 4
    assert scores == sorted(scores, reverse=True)
    # The four platinum partners rank first; the registered ones are not listed.
    assert [item["tier"] for item in candidates[:4]] == ["PLATINUM"] * 4
    assert "REGISTERED" not in {item["tier"] for item in candidates}
    assert routing["partner"]["name"] == candidates[0]["name"]
