"""Routing by performance over the API, on PostgreSQL and the embedded SQLite alike.

Three Californian networking partners; the clock starts on 2 March 2026, EUR is worth 1.10 USD.
- Bolt (GOLD) won a 1,000,000 USD lead on 2 March: closed more than 90 days before routing,
  so it counts for the win rate (a year) but not for performance (90 days).
- 91 days later, Ace (SILVER) wins a 100,000 USD and a 40,000 EUR (44,000 USD) lead and loses
  one: routed win rate 2/3, won 144,000, the channel's best: performance (2/3 + 1) / 2.
- Bolt wins a 36,000 USD lead and loses two: 1/3, 36,000 / 144,000: (1/3 + 0.25) / 2.
- Cole (SILVER) has no history: 0.5 everywhere but its tier.
Every offer is accepted at once: acceptance and speed 1.0 for Ace and Bolt.
"""

from __future__ import annotations

from typing import Any

import pytest

from hub.partners import TerritoryInput, Tier
from hub.roles import Role
from tests.conftest import data_of
from tests.factories import Actor, Factory, errors_of

CALIFORNIA = (TerritoryInput(name="CA", regions=("US-CA",)),)
CREATE = """mutation($input: LeadInput!, $route: Boolean!) {
  createLead(input: $input, route: $route) { id partner { name } } }"""
ASSIGN = "mutation($id: ID!, $p: ID!) { assignLead(id: $id, partnerId: $p) { id } }"
ACCEPT = "mutation($id: ID!) { acceptLead(id: $id) { status } }"
MOVE = """mutation($id: ID!, $status: LeadStatus!, $reason: String) {
  updateLeadStatus(id: $id, status: $status, reason: $reason) { status } }"""
RATE = """mutation { setExchangeRate(input: {currency: "EUR", rate: "1.10",
  validFrom: "2026-01-01"}) { rate } }"""
ROUTING = """query($id: ID!) { lead(id: $id) { partner { name } routing { chosenPartnerId
  candidates { name score components { tier acceptance speed win distance performance } } } } }"""
WEIGHTS = "tier acceptance speed win distance performance"
SETTINGS = f"query {{ leadSettings {{ weights {{ {WEIGHTS} }} }} }}"
UPDATE = f"""mutation($input: LeadSettingsInput!) {{
  updateLeadSettings(input: $input) {{ weights {{ {WEIGHTS} }} }} }}"""
DEFAULTS = {"tier": 0.3, "acceptance": 0.2, "speed": 0.1, "win": 0.25, "distance": 0.15}
WON = ("CONTACTED", "QUALIFIED", "WON")


class Channel:
    def __init__(self, factory: Factory, vendor: Actor) -> None:
        self.factory, self.vendor = factory, vendor
        self.leads = 0

    async def lead(self, *, route: bool, amount: int = 0, currency: str = "USD") -> dict[str, Any]:
        self.leads += 1
        fields = {
            "customerCompany": f"Customer {self.leads}",
            "country": "US",
            "productLine": "NETWORKING",
            "region": "US-CA",
            "estimatedValue": {"amountMinor": amount, "currency": currency},
        }
        body = await self.factory.gql(CREATE, {"input": fields, "route": route}, actor=self.vendor)
        return dict(data_of(body)["createLead"])

    async def closed(
        self, partner_id: str, holder: Actor, status: str, amount: int, currency: str = "USD"
    ) -> None:
        """A lead given to the partner, accepted at once and moved to WON or LOST."""
        lead = (await self.lead(route=False, amount=amount, currency=currency))["id"]
        data_of(await self.factory.gql(ASSIGN, {"id": lead, "p": partner_id}, actor=self.vendor))
        data_of(await self.factory.gql(ACCEPT, {"id": lead}, actor=holder))
        moves = [(step, None) for step in WON] if status == "WON" else [("LOST", "no budget")]
        for step, reason in moves:
            moved = await self.factory.gql(
                MOVE, {"id": lead, "status": step, "reason": reason}, actor=holder
            )
            data_of(moved)

    async def routing(self, lead_id: str) -> dict[str, Any]:
        found = await self.factory.gql(ROUTING, {"id": lead_id}, actor=self.vendor)
        return dict(data_of(found)["lead"])


@pytest.fixture
async def history(any_factory: Factory) -> dict[str, Any]:
    """The channel described above."""
    factory = any_factory
    vendor = await factory.vendor_admin()
    data_of(await factory.gql(RATE, actor=vendor))
    partners = {
        name: await factory.partner(name, tier=tier, territories=CALIFORNIA)
        for name, tier in [("Ace", Tier.SILVER), ("Bolt", Tier.GOLD), ("Cole", Tier.SILVER)]
    }
    ace = await factory.user(partners["Ace"].id, Role.PARTNER_USER)
    bolt = await factory.user(partners["Bolt"].id, Role.PARTNER_USER)
    channel = Channel(factory, vendor)
    await channel.closed(partners["Bolt"].id, bolt, "WON", 1_000_000)
    factory.hub.clock.advance(days=91)  # type: ignore[attr-defined]
    vendor = channel.vendor = factory.fresh(vendor)
    ace, bolt = factory.fresh(ace), factory.fresh(bolt)
    for status, amount, currency in [("WON", 100_000, "USD"), ("WON", 40_000, "EUR")]:
        await channel.closed(partners["Ace"].id, ace, status, amount, currency)
    await channel.closed(partners["Ace"].id, ace, "LOST", 5_000)
    await channel.closed(partners["Bolt"].id, bolt, "WON", 36_000)
    for _ in range(2):
        await channel.closed(partners["Bolt"].id, bolt, "LOST", 50_000)
    return {"factory": factory, "vendor": vendor, "channel": channel, "partners": partners}


ACE = {"tier": 0.5, "acceptance": 1.0, "speed": 1.0, "win": 0.6667, "distance": 0.5}
BOLT = {"tier": 0.75, "acceptance": 1.0, "speed": 1.0, "win": 0.5, "distance": 0.5}
COLE = {"tier": 0.5, "acceptance": 0.5, "speed": 0.5, "win": 0.5, "distance": 0.5}


async def test_the_performance_weight_sends_the_lead_to_the_partner_that_wins(
    history: dict[str, Any],
) -> None:
    factory, vendor, channel = history["factory"], history["vendor"], history["channel"]
    before = await channel.lead(route=True)
    set_weight = {"input": {"weights": {**DEFAULTS, "performance": 1.0}}}

    updated = await factory.gql(UPDATE, set_weight, actor=vendor)
    after = await channel.lead(route=True)

    weights = data_of(updated)["updateLeadSettings"]["weights"]
    assert weights == {**DEFAULTS, "performance": 1.0}
    # Without the weight the gold partner's tier wins; the component is shown all the same.
    unweighted = await channel.routing(before["id"])
    assert before["partner"] == {"name": "Bolt"}
    assert [item["name"] for item in unweighted["routing"]["candidates"]] == ["Bolt", "Ace", "Cole"]
    routing = (await channel.routing(after["id"]))["routing"]
    assert after["partner"] == {"name": "Ace"}
    assert routing["chosenPartnerId"] == history["partners"]["Ace"].id
    assert [(item["name"], item["components"]) for item in routing["candidates"]] == [
        ("Ace", {**ACE, "performance": 0.8333}),
        ("Bolt", {**BOLT, "performance": 0.2917}),
        ("Cole", {**COLE, "performance": 0.5}),
    ]
    assert (
        unweighted["routing"]["candidates"][0]["components"]
        == routing["candidates"][1]["components"]
    )
    # (0.3 tier + 0.2 acceptance + 0.1 speed + 0.25 win + 0.15 distance + 1.0 performance) / 2
    ace = 0.3 * 0.5 + 0.2 + 0.1 + 0.25 * 2 / 3 + 0.15 * 0.5 + (2 / 3 + 1) / 2
    bolt = 0.3 * 0.75 + 0.2 + 0.1 + 0.25 * 0.5 + 0.15 * 0.5 + (1 / 3 + 0.25) / 2
    scores = [item["score"] for item in routing["candidates"]]
    assert scores == [round(ace / 2, 4), round(bolt / 2, 4), 0.5] == [0.7625, 0.5083, 0.5]


async def test_a_performance_weight_below_zero_or_above_a_hundred_is_refused(
    any_factory: Factory,
) -> None:
    vendor = await any_factory.vendor_admin()
    before = data_of(await any_factory.gql(SETTINGS, actor=vendor))["leadSettings"]

    answers = [
        await any_factory.gql(
            UPDATE, {"input": {"weights": {**DEFAULTS, "performance": value}}}, actor=vendor
        )
        for value in (-0.5, 100.5)
    ]
    omitted = await any_factory.gql(UPDATE, {"input": {"weights": DEFAULTS}}, actor=vendor)

    assert before == {"weights": {**DEFAULTS, "performance": 0.0}}
    assert [errors_of(body) for body in answers] == [[("BAD_USER_INPUT", "weights")]] * 2
    assert "between 0 and 100" in answers[0]["errors"][0]["message"]
    assert data_of(omitted)["updateLeadSettings"] == before


async def test_new_outcomes_count_once_routing_reads_its_rates_again(
    history: dict[str, Any],
) -> None:
    factory, vendor, channel = history["factory"], history["vendor"], history["channel"]
    bolt = await factory.user(history["partners"]["Bolt"].id, Role.PARTNER_USER)
    set_weight = {"input": {"weights": {**DEFAULTS, "performance": 1.0}}}
    data_of(await factory.gql(UPDATE, set_weight, actor=vendor))
    first = await channel.lead(route=True)

    await channel.closed(history["partners"]["Bolt"].id, bolt, "WON", 500_000)
    cached = await channel.lead(route=True)
    stats_seconds = factory.hub.settings.routing_stats_seconds
    factory.hub.clock.advance(seconds=stats_seconds + 1)  # type: ignore[attr-defined]
    read_again = await channel.lead(route=True)

    assert [lead["partner"] for lead in (first, cached)] == [{"name": "Ace"}] * 2
    assert read_again["partner"] == {"name": "Bolt"}
    assert (await performance_of(channel, cached["id"]))["Bolt"] == 0.2917
    # Bolt: 2 won of 4, 536,000 the best; Ace: 2 of 3, 144,000 / 536,000.
    assert await performance_of(channel, read_again["id"]) == {
        "Bolt": 0.75,
        "Ace": round((2 / 3 + 144_000 / 536_000) / 2, 4),
        "Cole": 0.5,
    }


async def performance_of(channel: Channel, lead_id: str) -> dict[str, float]:
    candidates = (await channel.routing(lead_id))["routing"]["candidates"]
    return {item["name"]: item["components"]["performance"] for item in candidates}
