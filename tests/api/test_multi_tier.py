"""Multi-tier channels over the API: a distributor reads its sub-resellers' leads and deals,
registers deals on their behalf, receives their live lead events, and changes nothing else."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hub.partners import PartnerType, TerritoryInput, Tier
from hub.roles import Role
from tests.conftest import data_of
from tests.factories import Actor, Factory, errors_of
from tests.wsclient import graphql_socket

CALIFORNIA = (TerritoryInput(name="CA", regions=("US-CA",)),)
NEW_YORK = (TerritoryInput(name="NY", regions=("US-NY",)),)
CREATE = """mutation { createLead(input: {customerCompany: "Globex", country: "US",
  region: "US-CA", productLine: "NETWORKING"}) { id partner { name } } }"""
LEAD = """query($id: ID!) { lead(id: $id) { status partner { name }
  assignments { outcome partner { name } } notes { body } followUps { title } } }"""
LEADS = "query { leads { totalCount edges { node { customerCompany } } } }"
REGISTER = """mutation($input: DealInput!) { registerDeal(input: $input) {
  id status partner { name } } }"""
DEALS = (
    "query { dealRegistrations { totalCount edges { node { customerCompany partner { name } } } } }"
)
EVENTS = "subscription { leadEvents { type leadId dealId lead { status partner { name } } } }"
DEAL = {
    "customerCompany": "Initech",
    "country": "US",
    "productLine": "NETWORKING",
    "value": {"amountMinor": 500_000, "currency": "USD"},
}


@pytest.fixture
async def tiers(factory: Factory) -> dict[str, Any]:
    """A distributor, its Californian sub-reseller, and an unrelated partner."""
    distributor = await factory.partner(
        "Northwind", type=PartnerType.DISTRIBUTOR, tier=Tier.GOLD, territories=NEW_YORK
    )
    reseller = await factory.partner(
        "Lakeside", tier=Tier.SILVER, parent_id=distributor.id, territories=CALIFORNIA
    )
    other = await factory.partner("Elsewhere", tier=Tier.GOLD, territories=NEW_YORK)
    return {
        "vendor": await factory.vendor_admin(),
        "distributor": await factory.user(distributor.id, Role.PARTNER_ADMIN),
        "reseller": await factory.user(reseller.id, Role.PARTNER_USER),
        "other": await factory.user(other.id, Role.PARTNER_ADMIN),
        "reseller_id": reseller.id,
        "other_id": other.id,
    }


async def offered_to_reseller(factory: Factory, vendor: Actor) -> str:
    created = data_of(await factory.gql(CREATE, actor=vendor))["createLead"]
    assert created["partner"] == {"name": "Lakeside"}
    lead_id: str = created["id"]
    return lead_id


async def test_a_distributor_reads_its_sub_resellers_leads_and_changes_none(
    factory: Factory, tiers: dict[str, Any]
) -> None:
    distributor, reseller, other = tiers["distributor"], tiers["reseller"], tiers["other"]
    lead = await offered_to_reseller(factory, tiers["vendor"])
    accept = "mutation($id: ID!) { acceptLead(id: $id) { status } }"
    data_of(await factory.gql(accept, {"id": lead}, actor=reseller))
    note = 'mutation($id: ID!) { addLeadNote(id: $id, body: "CTO called back") { body } }'
    data_of(await factory.gql(note, {"id": lead}, actor=reseller))
    follow_up = """mutation($id: ID!) {
      addLeadFollowUp(id: $id, title: "Send quote", dueAt: "2026-03-09T09:00:00Z") { id } }"""
    data_of(await factory.gql(follow_up, {"id": lead}, actor=reseller))

    read = data_of(await factory.gql(LEAD, {"id": lead}, actor=distributor))["lead"]
    listed = data_of(await factory.gql(LEADS, actor=distributor))["leads"]
    attempts = {
        name: await factory.gql(query, {"id": lead}, actor=distributor)
        for name, query in {
            "accept": accept,
            "decline": "mutation($id: ID!) { declineLead(id: $id, reason: NO_CAPACITY) }",
            "move": "mutation($id: ID!) { updateLeadStatus(id: $id, status: CONTACTED) { status } }",
            "note": note,
            "follow-up": follow_up,
        }.items()
    }
    by_other = await factory.gql(LEAD, {"id": lead}, actor=other)
    after = data_of(await factory.gql(LEAD, {"id": lead}, actor=reseller))["lead"]

    assert read == {
        "status": "ACCEPTED",
        "partner": {"name": "Lakeside"},
        "assignments": [{"outcome": "ACCEPTED", "partner": {"name": "Lakeside"}}],
        "notes": [{"body": "CTO called back"}],
        "followUps": [{"title": "Send quote"}],
    }
    assert listed["totalCount"] == 1
    assert {name: errors_of(body) for name, body in attempts.items()} == {
        name: [("FORBIDDEN", "id")] for name in attempts
    }
    assert errors_of(by_other) == [("NOT_FOUND", "id")]
    assert data_of(await factory.gql(LEADS, actor=other))["leads"]["totalCount"] == 0
    assert (after["status"], len(after["notes"]), len(after["followUps"])) == ("ACCEPTED", 1, 1)


async def test_a_distributor_registers_deals_for_its_sub_resellers_only(
    factory: Factory, tiers: dict[str, Any]
) -> None:
    distributor, reseller = tiers["distributor"], tiers["reseller"]
    own = data_of(await factory.gql(REGISTER, {"input": DEAL}, actor=reseller))["registerDeal"]
    on_behalf = data_of(
        await factory.gql(
            REGISTER,
            {"input": {**DEAL, "customerCompany": "Hooli", "partnerId": tiers["reseller_id"]}},
            actor=distributor,
        )
    )["registerDeal"]
    for_a_stranger = await factory.gql(
        REGISTER,
        {"input": {**DEAL, "customerCompany": "Umbrella", "partnerId": tiers["other_id"]}},
        actor=distributor,
    )
    upwards = await factory.gql(
        REGISTER,
        {
            "input": {
                **DEAL,
                "customerCompany": "Vandelay",
                "partnerId": distributor.user.organization_id,
            }
        },
        actor=reseller,
    )
    data_of(
        await factory.gql(
            "mutation($id: ID!) { approveDealRegistration(id: $id) { status } }",
            {"id": on_behalf["id"]},
            actor=tiers["vendor"],
        )
    )
    extension = await factory.gql(
        """mutation($id: ID!) { requestDealExtension(id: $id, days: 30, reason: "long cycle") {
          extensionDaysRequested } }""",
        {"id": on_behalf["id"]},
        actor=distributor,
    )

    seen = {
        name: sorted(
            (edge["node"]["customerCompany"], edge["node"]["partner"]["name"])
            for edge in data_of(await factory.gql(DEALS, actor=tiers[name]))["dealRegistrations"][
                "edges"
            ]
        )
        for name in ("distributor", "reseller", "other")
    }

    assert on_behalf["partner"] == {"name": "Lakeside"}
    # The sub-reseller's tier decides auto-approval: SILVER claims wait for review.
    assert (own["status"], on_behalf["status"]) == ("PENDING", "PENDING")
    assert errors_of(for_a_stranger) == [("NOT_FOUND", "input.partnerId")]
    assert errors_of(upwards) == [("NOT_FOUND", "input.partnerId")]
    assert data_of(extension)["requestDealExtension"] == {"extensionDaysRequested": 30}
    assert seen == {
        "distributor": [("Hooli", "Lakeside"), ("Initech", "Lakeside")],
        "reseller": [("Hooli", "Lakeside"), ("Initech", "Lakeside")],
        "other": [],
    }


async def test_a_distributor_receives_its_sub_resellers_lead_events(
    ws_url: str, factory: Factory, tiers: dict[str, Any]
) -> None:
    async with (
        graphql_socket(ws_url, tiers["distributor"].token) as distributor,
        graphql_socket(ws_url, tiers["other"].token) as other,
    ):
        await distributor.subscribe(EVENTS)
        await other.subscribe(EVENTS)
        await asyncio.sleep(0.1)
        lead = await offered_to_reseller(factory, tiers["vendor"])
        await factory.gql(
            "mutation($id: ID!) { acceptLead(id: $id) { status } }",
            {"id": lead},
            actor=tiers["reseller"],
        )
        registered = data_of(
            await factory.gql(
                "mutation($input: DealInput!) { registerDeal(input: $input) { id } }",
                {"input": DEAL},
                actor=tiers["reseller"],
            )
        )["registerDeal"]

        seen = [(await distributor.next())["data"]["leadEvents"] for _ in range(4)]

        assert [(event["type"], event["leadId"] or event["dealId"]) for event in seen] == [
            ("LEAD_OFFERED", lead),
            ("LEAD_ACCEPTED", lead),
            ("OPPORTUNITY_OPENED", lead),
            ("DEAL_REGISTERED", registered["id"]),
        ]
        assert seen[1]["lead"] == {"status": "ACCEPTED", "partner": {"name": "Lakeside"}}
        assert await other.silent(0.3)
