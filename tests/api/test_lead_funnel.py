"""The lead funnel by territory over the API, with figures counted by hand.

On PostgreSQL and on the embedded SQLite alike. March 2026 (the clock starts on 2 March):
- North (US) lists its territories USA (country US), Wisconsin (region US-WI), Milwaukee
  (postal 532) and Downtown (postal 5320), the widest first; Maple (CA) lists Canada (country CA)
  and Toronto (postal M5).
- Brew Co (US-WI 53202) is routed to North: Downtown, the longest prefix. Lake Co (US-WI 53211),
  accepted and contacted: Milwaukee. Dairy Co (US-WI 54901): Wisconsin. Corn Co (US-IA 50309):
  USA. Maple Leaf (CA-ON M5V 2T6), assigned to Maple: Toronto.
- (no territory): Border Co (CA-QC 53202) assigned to North, whose prefixes lie in the US and
  which does not cover Canada; Tokyo Co (JP), unassignable; Hooli (US), never routed.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette

from hub.partners.rules import TerritoryInput
from hub.roles import Role
from tests.api.test_query_count import counted
from tests.conftest import data_of
from tests.factories import Actor, Factory

FUNNEL = """query($by: LeadFunnelGroup) { leadFunnel(period: {month: "2026-03"}, groupBy: $by) {
  groupBy total { created routed offers accepted worked unassignable }
  groups { key created routed offers accepted worked unassignable }
  gaps { country leads } } }"""
CREATE = """mutation($input: LeadInput!, $route: Boolean!) {
  createLead(input: $input, route: $route) { id } }"""
ASSIGN = "mutation($id: ID!, $p: ID!) { assignLead(id: $id, partnerId: $p) { id } }"
ACCEPT = "mutation($id: ID!) { acceptLead(id: $id) { id } }"
CONTACT = "mutation($id: ID!) { updateLeadStatus(id: $id, status: CONTACTED) { status } }"
# Company, country, region, postal code, who gets it (routing when None, nobody when "").
LEADS = [
    ("Brew Co", "US", "US-WI", "53202", None),
    ("Lake Co", "US", "US-WI", "53211", "North"),
    ("Dairy Co", "US", "US-WI", "54901", "North"),
    ("Corn Co", "US", "US-IA", "50309", "North"),
    ("Maple Leaf", "CA", "CA-ON", "M5V 2T6", "Maple"),
    ("Border Co", "CA", "CA-QC", "53202", "North"),
    ("Tokyo Co", "JP", None, None, None),
    ("Hooli", "US", None, None, ""),
]


class Channel:
    def __init__(self, factory: Factory, vendor: Actor, partners: dict[str, Any]) -> None:
        self.factory, self.vendor, self.partners = factory, vendor, partners

    async def lead(
        self, name: str, country: str, region: str | None, postal: str | None, *, route: bool
    ) -> str:
        data = {"customerCompany": name, "country": country, "productLine": "NETWORKING"}
        data |= {"region": region, "postalCode": postal}
        found = await self.factory.gql(CREATE, {"input": data, "route": route}, actor=self.vendor)
        return str(data_of(found)["createLead"]["id"])

    async def give(self, lead: str, partner: str) -> None:
        variables = {"id": lead, "p": self.partners[partner].id}
        data_of(await self.factory.gql(ASSIGN, variables, actor=self.vendor))


@pytest.fixture
async def territories(any_factory: Factory) -> dict[str, Any]:
    """The March described above, and the actors to ask about it."""
    factory, vendor = any_factory, await any_factory.vendor_admin()
    north = await factory.partner(
        "North",
        territories=(
            TerritoryInput(name="USA", countries=("US",)),
            TerritoryInput(name="Wisconsin", regions=("US-WI",)),
            TerritoryInput(name="Milwaukee", postal_prefixes=("532",)),
            TerritoryInput(name="Downtown", postal_prefixes=("5320",)),
        ),
    )
    maple = await factory.partner(
        "Maple",
        country="CA",
        territories=(
            TerritoryInput(name="Canada", countries=("CA",)),
            TerritoryInput(name="Toronto", postal_prefixes=("M5",)),
        ),
    )
    channel = Channel(factory, vendor, {"North": north, "Maple": maple})
    leads = {}
    for name, country, region, postal, partner in LEADS:
        leads[name] = await channel.lead(name, country, region, postal, route=partner is None)
        if partner:
            await channel.give(leads[name], partner)
    factory.hub.clock.advance(hours=1)  # type: ignore[attr-defined]
    north_user = await factory.user(north.id, Role.PARTNER_USER)
    data_of(await factory.gql(ACCEPT, {"id": leads["Lake Co"]}, actor=north_user))
    data_of(await factory.gql(CONTACT, {"id": leads["Lake Co"]}, actor=north_user))
    channel.vendor = factory.fresh(vendor)
    return {
        "factory": factory,
        "vendor": channel.vendor,
        "north": factory.fresh(north_user),
        "ids": {"North": north.id, "Maple": maple.id},
        "channel": channel,
    }


def figures(created: int, routed: int, accepted: int = 0, unassignable: int = 0) -> dict[str, int]:
    return {
        "created": created,
        "routed": routed,
        "offers": routed,
        "accepted": accepted,
        "worked": accepted,
        "unassignable": unassignable,
    }


async def test_each_lead_belongs_to_the_closest_territory_of_its_partner(
    territories: dict[str, Any],
) -> None:
    factory, vendor, ids = territories["factory"], territories["vendor"], territories["ids"]
    north, maple = ids["North"], ids["Maple"]

    found = data_of(await factory.gql(FUNNEL, {"by": "TERRITORY"}, actor=vendor))["leadFunnel"]

    expected = {
        "(no territory)": figures(3, 1, unassignable=1),
        f"{north} / Downtown": figures(1, 1),
        f"{north} / Milwaukee": figures(1, 1, accepted=1),
        f"{north} / Wisconsin": figures(1, 1),
        f"{north} / USA": figures(1, 1),
        f"{maple} / Toronto": figures(1, 1),
    }
    assert found["groupBy"] == "TERRITORY"
    assert found["total"] == figures(8, 6, accepted=1, unassignable=1)
    assert [group["key"] for group in found["groups"]] == [
        "(no territory)",
        *sorted(key for key in expected if key != "(no territory)"),
    ]
    assert {group.pop("key"): group for group in found["groups"]} == expected
    assert found["gaps"] == [{"country": "JP", "leads": 1}]


async def test_a_partner_sees_its_own_leads_by_its_territories(
    territories: dict[str, Any],
) -> None:
    factory, north = territories["factory"], territories["north"]
    mine = territories["ids"]["North"]

    found = data_of(await factory.gql(FUNNEL, {"by": "TERRITORY"}, actor=north))["leadFunnel"]

    assert [(group["key"], group["created"]) for group in found["groups"]] == [
        ("(no territory)", 1),
        *sorted((f"{mine} / {name}", 1) for name in ("Downtown", "Milwaukee", "Wisconsin", "USA")),
    ]
    assert (found["total"]["created"], found["gaps"]) == (5, [])


async def test_by_territory_runs_as_many_statements_for_twelve_leads_as_for_eight(
    territories: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    factory, vendor, channel = territories["factory"], territories["vendor"], territories["channel"]
    app: Starlette = factory.app or request.getfixturevalue("app")
    counts = []
    for more in (0, 4):
        for number in range(more):
            lead = await channel.lead(f"More {number}", "US", "US-WI", "54901", route=False)
            await channel.give(lead, "North")
        with counted(app) as statements:
            found = data_of(await factory.gql(FUNNEL, {"by": "TERRITORY"}, actor=vendor))
        counts.append((found["leadFunnel"]["total"]["created"], len(statements)))

    assert [created for created, _ in counts] == [8, 12]
    assert counts[0][1] == counts[1][1]
