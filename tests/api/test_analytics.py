"""The 80/20 view and exchange rates over the API, with figures computed by hand.

On PostgreSQL and on the embedded SQLite alike. March 2026 (the clock starts on 2 March):
- Alpha: 3 x SW-24 + 1 x FW-1 in USD (80,000 cents), delivered; 1 x SW-24 (10,000) delivered
  and returned (net 0); 1 x SW-24 shipped, never delivered (nothing).
- Beta: 2 x SW-24 in EUR (18,000 cents at 1.10 = 19,800 USD cents), delivered; 1 x SW-24 in
  GBP (8,000 pence, no GBP rate yet), delivered; one cancelled order.
- Gamma: no orders. Alpha is a distributor (a sub-reseller is added where a test needs one).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from hub.orders import catalog, stock
from hub.orders.catalog import ProductInput
from hub.partners.rules import PartnerType, Tier
from hub.roles import Role
from storage.models import Partner
from tests.api.test_query_count import counted
from tests.conftest import data_of
from tests.factories import Actor, Factory, errors_of

PLACE = """mutation($lines: [OrderLineInput!]!, $currency: String!) { placeOrder(input: {
  lines: $lines, endCustomer: "Globex", currency: $currency, shippingAddress: "1 Main St",
  shippingCountry: "US"}) { id } }"""
MOVE = """mutation($id: ID!, $input: OrderStatusInput!) {
  updateOrderStatus(id: $id, input: $input) { version } }"""
RATE = """mutation($currency: String!, $rate: String!, $from: Date!) {
  setExchangeRate(input: {currency: $currency, rate: $rate, validFrom: $from}) {
    currency rate validFrom } }"""
CONCENTRATION = """query($period: PeriodInput!, $by: ConcentrationGroup, $t: Int) {
  channelConcentration(period: $period, groupBy: $by, thresholdPercent: $t) {
    period { label start end } previousPeriod { label } groupBy reportingCurrency
    thresholdBasisPoints totalRevenueMinor coreSize activePartners
    coreShareOfActivePartnersBasisPoints giniBasisPoints entered left
    missingRates { currency amountMinor }
    groups { key name revenueMinor shareBasisPoints cumulativeBasisPoints inCore partner { name } }
  } }"""
MARCH = {"month": "2026-03"}
DELIVER = [
    {"status": "CONFIRMED"},
    {"status": "ALLOCATED"},
    {"status": "SHIPPED", "carrier": "DHL", "trackingNumber": "JD1"},
    {"status": "DELIVERED"},
]


class Shop:
    def __init__(self, factory: Factory, vendor: Actor) -> None:
        self.factory, self.vendor = factory, vendor

    async def order(self, buyer: Actor, currency: str, **lines: int) -> str:
        wanted = [{"sku": sku.replace("_", "-"), "quantity": n} for sku, n in lines.items()]
        placed = await self.factory.gql(PLACE, {"lines": wanted, "currency": currency}, actor=buyer)
        return str(data_of(placed)["placeOrder"]["id"])

    async def move(
        self, order: str, steps: list[dict[str, Any]], *, by: Actor | None = None, at: int = 1
    ) -> int:
        for version, step in enumerate(steps, start=at):
            self.factory.hub.clock.advance(seconds=30)  # type: ignore[attr-defined]
            moved = await self.factory.gql(
                MOVE,
                {"id": order, "input": {**step, "expectedVersion": version}},
                actor=by or self.vendor,
            )
            data_of(moved)
        return at + len(steps)


@pytest.fixture
async def march(any_factory: Factory) -> dict[str, Any]:
    """The March described above, and the actors to ask about it."""
    factory = any_factory
    hub, vendor = factory.hub, await factory.vendor_admin()
    prices = {"USD": 10_000, "EUR": 9_000, "GBP": 8_000}
    for sku, name, line, price in [
        ("SW-24", "Switch", "NETWORKING", prices),
        ("FW-1", "Firewall", "SECURITY", {"USD": 50_000}),
    ]:
        await catalog.create(
            hub, principal=vendor.principal, data=ProductInput(sku, name, line, price)
        )
    await stock.create_warehouse(
        hub, principal=vendor.principal, code="AMS", name="Amsterdam", country="NL"
    )
    for sku in ("SW-24", "FW-1"):
        set_stock = f'mutation {{ setStock(sku: "{sku}", warehouse: "AMS", onHand: 100) }}'
        data_of(await factory.gql(set_stock, actor=vendor))
    partners = {
        "Alpha": await factory.partner("Alpha", type=PartnerType.DISTRIBUTOR),
        **{name: await factory.partner(name) for name in ("Beta", "Gamma")},
    }
    alpha = await factory.user(partners["Alpha"].id, Role.PARTNER_USER)
    beta = await factory.user(partners["Beta"].id, Role.PARTNER_USER)
    data_of(
        await factory.gql(
            RATE, {"currency": "EUR", "rate": "1.10", "from": "2026-03-01"}, actor=vendor
        )
    )
    shop = Shop(factory, vendor)
    await shop.move(await shop.order(alpha, "USD", SW_24=3, FW_1=1), DELIVER)
    returned = await shop.order(alpha, "USD", SW_24=1)
    at = await shop.move(returned, DELIVER)
    at = await shop.move(
        returned, [{"status": "RETURN_REQUESTED", "note": "broken"}], by=alpha, at=at
    )
    await shop.move(returned, [{"status": "RETURNED"}], at=at)
    await shop.move(await shop.order(alpha, "USD", SW_24=1), DELIVER[:3])
    await shop.move(await shop.order(beta, "EUR", SW_24=2), DELIVER)
    await shop.move(await shop.order(beta, "GBP", SW_24=1), DELIVER)
    await shop.move(await shop.order(beta, "USD", SW_24=5), [{"status": "CANCELLED"}], by=beta)
    return {"factory": factory, "vendor": vendor, "partners": partners, "alpha": alpha}


async def concentration(factory: Factory, actor: Actor, **variables: Any) -> dict[str, Any]:
    found = await factory.gql(CONCENTRATION, {"period": MARCH, **variables}, actor=actor)
    return dict(data_of(found)["channelConcentration"])


async def test_the_core_is_the_partner_that_brings_eighty_percent(march: dict[str, Any]) -> None:
    factory, vendor, ids = march["factory"], march["vendor"], march["partners"]

    found = await concentration(factory, vendor)

    assert found["period"] == {"label": "2026-03", "start": "2026-03-01", "end": "2026-03-31"}
    assert found["previousPeriod"] == {"label": "2026-02"}
    assert (found["groupBy"], found["reportingCurrency"]) == ("PARTNER", "USD")
    assert found["groups"] == [
        {
            "key": ids["Alpha"].id,
            "name": "Alpha",
            "revenueMinor": 80_000,
            "shareBasisPoints": 8_016,  # 80,000 / 99,800
            "cumulativeBasisPoints": 8_016,
            "inCore": True,
            "partner": {"name": "Alpha"},
        },
        {
            "key": ids["Beta"].id,
            "name": "Beta",
            "revenueMinor": 19_800,  # 18,000 EUR cents at 1.10; the GBP order has no rate
            "shareBasisPoints": 1_984,
            "cumulativeBasisPoints": 10_000,
            "inCore": False,
            "partner": {"name": "Beta"},
        },
    ]
    assert found["totalRevenueMinor"] == 99_800
    assert (found["coreSize"], found["activePartners"]) == (1, 3)
    assert found["coreShareOfActivePartnersBasisPoints"] == 3_333
    # Sorted [19,800, 80,000]: 2 * (19,800 + 160,000) / (2 * 99,800) - 3/2 = 0.30160...
    assert found["giniBasisPoints"] == 3_016
    assert (found["entered"], found["left"]) == ([ids["Alpha"].id], [])
    assert found["missingRates"] == [{"currency": "GBP", "amountMinor": 8_000}]


async def test_a_new_rate_converts_the_revenue_it_covers_anew(march: dict[str, Any]) -> None:
    factory, vendor, ids = march["factory"], march["vendor"], march["partners"]

    rate = {"currency": "gbp", "rate": "1.25", "from": "2026-03-01"}
    set_rate = data_of(await factory.gql(RATE, rate, actor=vendor))["setExchangeRate"]
    found = await concentration(factory, vendor)
    rates = data_of(
        await factory.gql("{ exchangeRates { currency rate validFrom } }", actor=vendor)
    )

    assert set_rate == {"currency": "GBP", "rate": "1.25", "validFrom": "2026-03-01"}
    assert rates["exchangeRates"] == [
        {"currency": "EUR", "rate": "1.1", "validFrom": "2026-03-01"},
        {"currency": "GBP", "rate": "1.25", "validFrom": "2026-03-01"},
    ]
    assert [(g["key"], g["revenueMinor"]) for g in found["groups"]] == [
        (ids["Alpha"].id, 80_000),
        (ids["Beta"].id, 29_800),  # + 8,000 pence at 1.25
    ]
    assert found["missingRates"] == []
    assert found["coreSize"] == 2  # 80,000 of 109,800 is short of 80%


async def test_revenue_by_product_line_and_by_tier(march: dict[str, Any]) -> None:
    factory, vendor = march["factory"], march["vendor"]

    lines = await concentration(factory, vendor, by="PRODUCT_LINE")
    tiers = await concentration(factory, vendor, by="TIER", t=50)

    assert [
        (g["key"], g["revenueMinor"], g["shareBasisPoints"], g["inCore"]) for g in lines["groups"]
    ] == [
        ("SECURITY", 50_000, 5_010, True),
        ("NETWORKING", 49_800, 4_990, True),  # 30,000 + 19,800; the return nets out
    ]
    assert lines["coreShareOfActivePartnersBasisPoints"] is None
    assert lines["groups"][0]["partner"] is None
    named = data_of(
        await factory.gql(
            '{ a: productLine(code: "SECURITY") { name } b: productLine(code: "NETWORKING") '
            "{ name } }",
            actor=vendor,
        )
    )
    assert [g["name"] for g in lines["groups"]] == [named["a"]["name"], named["b"]["name"]]
    assert [(g["key"], g["name"], g["revenueMinor"]) for g in tiers["groups"]] == [
        ("SILVER", "SILVER", 99_800)
    ]
    assert (tiers["thresholdBasisPoints"], tiers["giniBasisPoints"]) == (5_000, 0)


async def test_an_empty_period_has_no_groups(march: dict[str, Any]) -> None:
    factory, vendor = march["factory"], march["vendor"]

    found = await concentration(factory, vendor, period={"month": "2025-06"})

    assert found["groups"] == [] and found["totalRevenueMinor"] == 0
    assert (found["coreSize"], found["giniBasisPoints"], found["entered"]) == (0, 0, [])
    assert found["coreShareOfActivePartnersBasisPoints"] == 0


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"period": {}}, "period"),
        ({"period": {"month": "2026-13"}}, "period.month"),
        ({"period": {"month": "2026-03", "year": 2026}}, "period"),
        ({"period": {"from": "2026-03-05", "to": "2026-03-01"}}, "period.to"),
        ({"period": {"trailingDays": 7}}, "period.trailingDays"),
        ({"t": 0}, "thresholdPercent"),
        ({"t": 101}, "thresholdPercent"),
    ],
)
async def test_a_malformed_report_request_names_its_field(
    any_factory: Factory, variables: dict[str, Any], field: str
) -> None:
    vendor = await any_factory.vendor_admin()

    body = await any_factory.gql(CONCENTRATION, {"period": MARCH, **variables}, actor=vendor)

    assert errors_of(body) == [("BAD_USER_INPUT", field)]


@pytest.mark.parametrize(
    ("currency", "rate", "field"),
    [
        ("USD", "1.0", "currency"),  # the reporting currency
        ("ZZZ", "1.0", "currency"),
        ("EUR", "abc", "rate"),
        ("EUR", "0", "rate"),
        ("EUR", "1.12345678901", "rate"),
        ("EUR", "1\u0000", "rate"),
    ],
)
async def test_a_bad_rate_is_refused_and_nothing_is_written(
    any_factory: Factory, currency: str, rate: str, field: str
) -> None:
    vendor = await any_factory.vendor_admin()

    body = await any_factory.gql(
        RATE,
        {"currency": currency, "rate": rate, "from": "2026-03-01"},
        actor=vendor,
    )
    rates = data_of(await any_factory.gql("{ exchangeRates { currency } }", actor=vendor))

    assert errors_of(body) == [("BAD_USER_INPUT", field)]
    assert rates["exchangeRates"] == []


async def test_reports_and_rates_are_for_vendor_staff(march: dict[str, Any]) -> None:
    factory, alpha = march["factory"], march["alpha"]
    manager = await factory.vendor_user(Role.CHANNEL_MANAGER)

    as_partner = await factory.gql(CONCENTRATION, {"period": MARCH}, actor=alpha)
    rates_as_partner = await factory.gql("{ exchangeRates { currency } }", actor=alpha)
    rate_as_manager = await factory.gql(
        RATE, {"currency": "EUR", "rate": "2", "from": "2026-03-01"}, actor=manager
    )
    currency_as_manager = await factory.gql(
        'mutation { setReportingCurrency(currency: "EUR") }', actor=manager
    )
    as_manager = await concentration(factory, manager)

    assert errors_of(as_partner)[0][0] == "FORBIDDEN"
    assert errors_of(rates_as_partner)[0][0] == "FORBIDDEN"
    assert errors_of(rate_as_manager)[0][0] == "FORBIDDEN"
    assert errors_of(currency_as_manager)[0][0] == "FORBIDDEN"
    assert as_manager["totalRevenueMinor"] == 99_800


async def test_reporting_in_another_currency_converts_every_figure_anew(
    march: dict[str, Any],
) -> None:
    factory, vendor, ids = march["factory"], march["vendor"], march["partners"]

    changed = await factory.gql('mutation { setReportingCurrency(currency: "eur") }', actor=vendor)
    # Rates are against the reporting currency: the vendor gives USD's against EUR.
    data_of(
        await factory.gql(
            RATE, {"currency": "USD", "rate": "0.9", "from": "2026-01-01"}, actor=vendor
        )
    )
    found = await concentration(factory, vendor)

    assert data_of(changed) == {"setReportingCurrency": "EUR"}
    assert found["reportingCurrency"] == "EUR"
    assert [(g["key"], g["revenueMinor"]) for g in found["groups"]] == [
        (ids["Alpha"].id, 72_000),  # 80,000 USD cents at 0.9
        (ids["Beta"].id, 18_000),  # the EUR order as it was; GBP still has no rate
    ]
    assert {r["currency"] for r in found["missingRates"]} == {"GBP"}


SCORECARD = """query($id: ID!, $period: PeriodInput!) { partnerScorecard(partnerId: $id, period: $period) {
  partner { name } period { label } previousPeriod { label } reportingCurrency
  revenueMinor { current previous change } averageOrderMinor { current previous change }
  deliveredOrders { current previous change } returnedOrders { current }
  leadsOffered { current } leadsAccepted { current } leadsDeclined { current }
  leadsExpired { current } acceptanceRateBasisPoints { current previous change }
  medianSecondsToAccept { current }
  rankBand rankInTier tierSize percentileInTier rankInChannel channelSize percentileInChannel
  missingRates { currency amountMinor } } }"""
LEAD = """mutation($name: String!) { createLead(input: {customerCompany: $name, country: "US",
  productLine: "NETWORKING"}, route: false) { id } }"""


async def test_a_scorecard_beside_the_month_before_with_ranks_for_vendor_staff(
    march: dict[str, Any],
) -> None:
    factory, vendor, ids = march["factory"], march["vendor"], march["partners"]
    alpha_id = ids["Alpha"].id
    sub = await factory.partner("Sub", parent_id=alpha_id)
    leads = []
    for name in ("Initech", "Umbrella", "Hooli"):
        lead = data_of(await factory.gql(LEAD, {"name": name}, actor=vendor))["createLead"]["id"]
        assign = "mutation($id: ID!, $p: ID!) { assignLead(id: $id, partnerId: $p) { id } }"
        data_of(await factory.gql(assign, {"id": lead, "p": alpha_id}, actor=vendor))
        leads.append(lead)
    factory.hub.clock.advance(hours=2)  # type: ignore[attr-defined]
    alpha = factory.fresh(march["alpha"])
    vendor = factory.fresh(vendor)
    accept = "mutation($id: ID!) { acceptLead(id: $id) { status } }"
    decline = "mutation($id: ID!) { declineLead(id: $id, reason: NO_CAPACITY) }"
    data_of(await factory.gql(accept, {"id": leads[0]}, actor=alpha))
    data_of(await factory.gql(decline, {"id": leads[1]}, actor=alpha))

    card = data_of(await factory.gql(SCORECARD, {"id": alpha_id, "period": MARCH}, actor=vendor))[
        "partnerScorecard"
    ]
    own = data_of(await factory.gql(SCORECARD, {"id": alpha_id, "period": MARCH}, actor=alpha))
    sub_card = await factory.gql(SCORECARD, {"id": sub.id, "period": MARCH}, actor=alpha)
    beta_card = await factory.gql(SCORECARD, {"id": ids["Beta"].id, "period": MARCH}, actor=alpha)
    sub_user = await factory.user(sub.id, Role.PARTNER_USER)
    parent_card = await factory.gql(SCORECARD, {"id": alpha_id, "period": MARCH}, actor=sub_user)

    assert card["partner"] == {"name": "Alpha"}
    assert (card["period"], card["previousPeriod"]) == ({"label": "2026-03"}, {"label": "2026-02"})
    assert card["revenueMinor"] == {"current": 80_000, "previous": 0, "change": 80_000}
    # Two orders delivered (one came back): 80,000 / 2.
    assert card["averageOrderMinor"] == {"current": 40_000, "previous": None, "change": None}
    assert card["deliveredOrders"] == {"current": 2, "previous": 0, "change": 2}
    assert card["returnedOrders"] == {"current": 1}
    assert [
        card[k]["current"]
        for k in ("leadsOffered", "leadsAccepted", "leadsDeclined", "leadsExpired")
    ] == [3, 1, 1, 0]
    assert card["acceptanceRateBasisPoints"] == {"current": 5_000, "previous": None, "change": None}
    assert card["medianSecondsToAccept"] == {"current": 7_200}
    # Alpha 80,000, Beta 19,800, Gamma and Sub 0: first of four, all SILVER.
    assert (card["rankInTier"], card["tierSize"], card["percentileInTier"]) == (1, 4, 100)
    assert (card["rankInChannel"], card["channelSize"], card["rankBand"]) == (1, 4, "TOP_25")
    assert card["missingRates"] == []
    mine = own["partnerScorecard"]
    assert mine["revenueMinor"]["current"] == 80_000 and mine["rankBand"] == "TOP_25"
    assert [mine[k] for k in ("rankInTier", "tierSize", "rankInChannel", "channelSize")] == [
        None
    ] * 4
    assert data_of(sub_card)["partnerScorecard"]["revenueMinor"]["current"] == 0
    assert errors_of(beta_card) == [("NOT_FOUND", "partnerId")]
    assert errors_of(parent_card) == [("NOT_FOUND", "partnerId")]


async def test_a_scorecard_shows_what_had_no_rate_and_an_unknown_partner_is_not_found(
    march: dict[str, Any],
) -> None:
    factory, vendor, ids = march["factory"], march["vendor"], march["partners"]

    beta = await factory.gql(SCORECARD, {"id": ids["Beta"].id, "period": MARCH}, actor=vendor)
    gamma = await factory.gql(
        SCORECARD, {"id": ids["Gamma"].id, "period": {"year": 2026}}, actor=vendor
    )
    unknown = await factory.gql(SCORECARD, {"id": "nope", "period": MARCH}, actor=vendor)

    card = data_of(beta)["partnerScorecard"]
    assert card["revenueMinor"]["current"] == 19_800
    assert card["missingRates"] == [{"currency": "GBP", "amountMinor": 8_000}]
    assert (card["rankInChannel"], card["percentileInChannel"], card["rankBand"]) == (
        2,
        50,
        "BOTTOM_50",
    )
    empty = data_of(gamma)["partnerScorecard"]
    assert empty["revenueMinor"] == {"current": 0, "previous": 0, "change": 0}
    assert empty["acceptanceRateBasisPoints"]["current"] is None
    assert (empty["rankInChannel"], empty["percentileInChannel"]) == (3, 0)
    assert errors_of(unknown) == [("NOT_FOUND", "partnerId")]


SCORECARDS = """query($period: PeriodInput!, $first: Int, $after: String, $filter: ScorecardFilter) {
  partnerScorecards(period: $period, first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { partner { name } revenueMinor { current } rankInChannel rankBand } } } }"""


async def test_scorecards_are_listed_by_revenue_page_by_page(march: dict[str, Any]) -> None:
    factory, vendor, alpha = march["factory"], march["vendor"], march["alpha"]

    first = data_of(await factory.gql(SCORECARDS, {"period": MARCH, "first": 2}, actor=vendor))[
        "partnerScorecards"
    ]
    cursor = first["pageInfo"]["endCursor"]
    rest = data_of(await factory.gql(SCORECARDS, {"period": MARCH, "after": cursor}, actor=vendor))[
        "partnerScorecards"
    ]
    own = data_of(await factory.gql(SCORECARDS, {"period": MARCH}, actor=alpha))
    gold = data_of(
        await factory.gql(
            SCORECARDS, {"period": MARCH, "filter": {"tiers": ["GOLD"]}}, actor=vendor
        )
    )
    bad = await factory.gql(
        SCORECARDS, {"period": MARCH, "filter": {"country": "XX"}}, actor=vendor
    )

    assert [
        (
            e["node"]["partner"]["name"],
            e["node"]["revenueMinor"]["current"],
            e["node"]["rankInChannel"],
        )
        for e in first["edges"] + rest["edges"]
    ] == [("Alpha", 80_000, 1), ("Beta", 19_800, 2), ("Gamma", 0, 3)]
    assert (first["totalCount"], first["pageInfo"]["hasNextPage"]) == (3, True)
    assert rest["pageInfo"]["hasNextPage"] is False
    mine = own["partnerScorecards"]["edges"]
    assert [(e["node"]["partner"]["name"], e["node"]["rankInChannel"]) for e in mine] == [
        ("Alpha", None)
    ]
    assert gold["partnerScorecards"]["edges"] == []
    assert errors_of(bad) == [("BAD_USER_INPUT", "filter.country")]


RANKS = """query($period: PeriodInput!) { partnerScorecards(period: $period, first: 10) {
  edges { node { partner { name } revenueMinor { current }
    rankInTier tierSize rankInChannel channelSize } } } }"""
CARD_RANKS = """query($id: ID!, $period: PeriodInput!) {
  partnerScorecard(partnerId: $id, period: $period) {
    revenueMinor { current } rankInTier tierSize rankInChannel channelSize } }"""
SUSPEND = """mutation($id: ID!) {
  changePartnerStatus(id: $id, status: SUSPENDED, reason: "audit") { status } }"""


async def test_ranks_are_the_same_on_a_page_and_alone_and_count_only_active_partners(
    march: dict[str, Any],
) -> None:
    """A page of more than four is ranked by sorting the channel, a partner alone by counting
    who earned more: both give the same places. A partner not ACTIVE is ranked among the
    ACTIVE ones (and itself) and is not counted in theirs."""
    factory, vendor, ids = march["factory"], march["vendor"], dict(march["partners"])
    shop = Shop(factory, vendor)
    for name, tier, lines in [
        ("Delta", Tier.GOLD, {"SW_24": 2}),
        ("Echo", Tier.GOLD, {"SW_24": 2}),
        ("Foxtrot", Tier.SILVER, {"FW_1": 1}),
    ]:
        ids[name] = await factory.partner(name, tier=tier)
        buyer = await factory.user(ids[name].id, Role.PARTNER_USER)
        await shop.move(await shop.order(buyer, "USD", **lines), DELIVER)
    data_of(await factory.gql(SUSPEND, {"id": ids["Foxtrot"].id}, actor=vendor))

    page = data_of(await factory.gql(RANKS, {"period": MARCH}, actor=vendor))
    alone = {
        name: data_of(
            await factory.gql(CARD_RANKS, {"id": partner.id, "period": MARCH}, actor=vendor)
        )["partnerScorecard"]
        for name, partner in ids.items()
    }

    def places(card: dict[str, Any]) -> tuple[int, ...]:
        keys = ("rankInTier", "tierSize", "rankInChannel", "channelSize")
        return (int(card["revenueMinor"]["current"]), *(card[key] for key in keys))

    listed = {
        edge["node"]["partner"]["name"]: places(edge["node"])
        for edge in page["partnerScorecards"]["edges"]
    }
    # ACTIVE: Alpha, Beta, Gamma (SILVER), Delta, Echo (GOLD); Foxtrot is SUSPENDED.
    expected = {
        "Alpha": (80_000, 1, 3, 1, 5),
        "Foxtrot": (50_000, 2, 4, 2, 6),  # below Alpha only, among the five and itself
        "Delta": (20_000, 1, 2, 2, 5),  # tied with Echo: both take the better place
        "Echo": (20_000, 1, 2, 2, 5),
        "Beta": (19_800, 2, 3, 4, 5),
        "Gamma": (0, 3, 3, 5, 5),
    }
    assert listed == expected
    assert {name: places(card) for name, card in alone.items()} == expected


ORDERED = """query($period: PeriodInput!, $orderBy: ScorecardOrder, $after: String) {
  partnerScorecards(period: $period, orderBy: $orderBy, first: 2, after: $after) {
    pageInfo { endCursor } edges { node { partner { name } revenueMinor { change } } } } }"""


@pytest.mark.parametrize(
    ("period", "order", "names"),
    [
        (MARCH, "NAME", ["Alpha", "Beta", "Gamma"]),
        (MARCH, "LOWEST_REVENUE", ["Gamma", "Beta", "Alpha"]),
        # April sold nothing: growth is minus March's revenue, so who sold least falls least
        ({"month": "2026-04"}, "GROWTH", ["Gamma", "Beta", "Alpha"]),
        (MARCH, "GROWTH", ["Alpha", "Beta", "Gamma"]),
    ],
)
async def test_scorecards_are_listed_in_the_order_asked_for_page_by_page(
    march: dict[str, Any], period: dict[str, str], order: str, names: list[str]
) -> None:
    factory, vendor = march["factory"], march["vendor"]
    asked = {"period": period, "orderBy": order}

    first = data_of(await factory.gql(ORDERED, asked, actor=vendor))["partnerScorecards"]
    after = {**asked, "after": first["pageInfo"]["endCursor"]}
    rest = data_of(await factory.gql(ORDERED, after, actor=vendor))["partnerScorecards"]
    other = "REVENUE" if order != "REVENUE" else "NAME"
    mixed = await factory.gql(ORDERED, {**after, "orderBy": other}, actor=vendor)

    listed = first["edges"] + rest["edges"]
    assert [edge["node"]["partner"]["name"] for edge in listed] == names
    changes = [edge["node"]["revenueMinor"]["change"] for edge in listed]
    if order == "GROWTH":
        assert changes == sorted(changes, reverse=True)
    assert errors_of(mixed) == [("BAD_USER_INPUT", "after")]


async def test_a_page_of_scorecards_runs_as_many_statements_for_ten_partners_as_for_three(
    factory: Factory, app: Starlette
) -> None:
    vendor = await factory.vendor_admin()
    counts = []
    for total in (3, 10):
        while len(await _partners(factory)) < total:
            await factory.partner()
        # Once uncounted first: a connection the pool opens runs its own setup statements.
        data_of(await factory.gql(SCORECARDS, {"period": MARCH, "first": 50}, actor=vendor))
        with counted(app) as statements:
            data_of(await factory.gql(SCORECARDS, {"period": MARCH, "first": 50}, actor=vendor))
        counts.append(len(statements))

    assert counts[0] == counts[1]


async def _partners(factory: Factory) -> list[Any]:
    async with factory.hub.read() as session:
        return list((await session.execute(select(Partner.id))).scalars())


FUNNEL = """query($by: LeadFunnelGroup) { leadFunnel(period: {month: "2026-03"}, groupBy: $by) {
  groupBy total { created routed offers accepted worked won lost unassignable
    routedBasisPoints acceptedBasisPoints wonBasisPoints
    medianSecondsToFirstOffer medianSecondsToAccept }
  groups { key created routed accepted worked won lost unassignable }
  gaps { country productLine leads reasons { reason leads } } } }"""


async def test_the_lead_funnel_of_a_month_by_partner_with_its_coverage_gaps(
    march: dict[str, Any],
) -> None:
    factory, vendor, ids = march["factory"], march["vendor"], march["partners"]
    alpha_id = ids["Alpha"].id
    assign = "mutation($id: ID!, $p: ID!) { assignLead(id: $id, partnerId: $p) { id } }"
    held = []
    for name in ("Initech", "Umbrella"):
        lead = data_of(await factory.gql(LEAD, {"name": name}, actor=vendor))["createLead"]["id"]
        data_of(await factory.gql(assign, {"id": lead, "p": alpha_id}, actor=vendor))
        held.append(lead)
    data_of(await factory.gql(LEAD, {"name": "Hooli"}, actor=vendor))  # never routed
    betas = data_of(await factory.gql(LEAD, {"name": "Beta's"}, actor=vendor))["createLead"]["id"]
    data_of(await factory.gql(assign, {"id": betas, "p": ids["Beta"].id}, actor=vendor))
    nowhere = """mutation { createLead(input: {customerCompany: "Tokyo Co", country: "JP",
      productLine: "NETWORKING"}) { status } }"""
    assert (
        data_of(await factory.gql(nowhere, actor=vendor))["createLead"]["status"] == "UNASSIGNABLE"
    )
    factory.hub.clock.advance(hours=1)  # type: ignore[attr-defined]
    alpha = factory.fresh(march["alpha"])
    move = """mutation($id: ID!, $s: LeadStatus!) {
      updateLeadStatus(id: $id, status: $s, reason: "went with a rival") { status } }"""
    for lead, status in zip(held, ("CONTACTED", "LOST"), strict=True):
        data_of(
            await factory.gql(
                "mutation($id: ID!) { acceptLead(id: $id) { id } }", {"id": lead}, actor=alpha
            )
        )
        data_of(await factory.gql(move, {"id": lead, "s": status}, actor=alpha))
    vendor = factory.fresh(vendor)

    found = data_of(await factory.gql(FUNNEL, {"by": "PARTNER"}, actor=vendor))["leadFunnel"]
    by_source = data_of(await factory.gql(FUNNEL, {}, actor=vendor))["leadFunnel"]
    own = data_of(await factory.gql(FUNNEL, {"by": "PARTNER"}, actor=alpha))["leadFunnel"]

    assert found["total"] == {
        "created": 5,
        "routed": 3,
        "offers": 3,
        "accepted": 2,
        "worked": 2,
        "won": 0,
        "lost": 1,
        "unassignable": 1,
        "routedBasisPoints": 6_000,
        "acceptedBasisPoints": 6_667,
        "wonBasisPoints": 0,
        "medianSecondsToFirstOffer": 0,
        "medianSecondsToAccept": 3_600,
    }
    none, alpha_group, beta_group = found["groups"]
    assert (none["key"], none["created"], none["routed"], none["unassignable"]) == (
        "(none)",
        2,
        0,
        1,
    )
    assert alpha_group == {
        "key": alpha_id,
        "created": 2,
        "routed": 2,
        "accepted": 2,
        "worked": 2,
        "won": 0,
        "lost": 1,
        "unassignable": 0,
    }
    assert (beta_group["key"], beta_group["created"], beta_group["accepted"]) == (
        ids["Beta"].id,
        1,
        0,
    )
    assert found["gaps"] == [
        {
            "country": "JP",
            "productLine": "NETWORKING",
            "leads": 1,
            "reasons": [{"reason": "NO_PARTNER_COVERS_IT", "leads": 1}],
        }
    ]
    assert [(g["key"], g["created"]) for g in by_source["groups"]] == [("VENDOR", 5)]
    # Alpha's own funnel: the leads offered to it, nobody else's, no coverage gaps.
    assert [(g["key"], g["created"], g["accepted"], g["lost"]) for g in own["groups"]] == [
        (alpha_id, 2, 2, 1)
    ]
    assert (own["total"]["created"], own["total"]["unassignable"], own["gaps"]) == (2, 0, [])


RULE = """mutation($tier: Tier!, $revenue: MinorUnits!, $win: Int) {
  setTierRule(input: {tier: $tier, minRevenueMinor: $revenue, minWinRateBasisPoints: $win}) {
    tier minRevenueMinor minWinRateBasisPoints } }"""
RECOMMENDATIONS = """{ tierRecommendations(period: {month: "2026-03"}) {
  partner { name } direction currentTier recommendedTier
  reasons { check required actual met productLine } } }"""


async def test_tier_recommendations_promote_and_demote_with_their_reasons(
    march: dict[str, Any],
) -> None:
    factory, vendor, ids = march["factory"], march["vendor"], march["partners"]
    silver = {"tier": "SILVER", "revenue": 10_000}
    gold = {"tier": "GOLD", "revenue": 50_000, "win": 5_000}
    set_silver = data_of(await factory.gql(RULE, silver, actor=vendor))["setTierRule"]
    data_of(await factory.gql(RULE, gold, actor=vendor))
    assign = "mutation($id: ID!, $p: ID!) { assignLead(id: $id, partnerId: $p) { id } }"
    accept = "mutation($id: ID!) { acceptLead(id: $id) { id } }"
    move = """mutation($id: ID!, $s: LeadStatus!) {
      updateLeadStatus(id: $id, status: $s, reason: "budget cut") { status } }"""
    alpha = march["alpha"]
    for name, path in [("Won Co", ["CONTACTED", "QUALIFIED", "WON"]), ("Lost Co", ["LOST"])]:
        lead = data_of(await factory.gql(LEAD, {"name": name}, actor=vendor))["createLead"]["id"]
        data_of(await factory.gql(assign, {"id": lead, "p": ids["Alpha"].id}, actor=vendor))
        data_of(await factory.gql(accept, {"id": lead}, actor=alpha))
        for status in path:
            data_of(await factory.gql(move, {"id": lead, "s": status}, actor=alpha))

    found = data_of(await factory.gql(RECOMMENDATIONS, actor=vendor))["tierRecommendations"]
    rules = data_of(await factory.gql("{ tierRules { tier minRevenueMinor } }", actor=vendor))

    assert set_silver == {
        "tier": "SILVER",
        "minRevenueMinor": 10_000,
        "minWinRateBasisPoints": None,
    }
    assert rules["tierRules"] == [
        {"tier": "SILVER", "minRevenueMinor": 10_000},
        {"tier": "GOLD", "minRevenueMinor": 50_000},
    ]
    assert found == [
        {
            "partner": {"name": "Alpha"},
            "direction": "PROMOTE",
            "currentTier": "SILVER",
            "recommendedTier": "GOLD",
            "reasons": [
                {
                    "check": "REVENUE",
                    "required": 50_000,
                    "actual": 80_000,
                    "met": True,
                    "productLine": None,
                },
                # One won, one lost of the leads Alpha closed in March.
                {
                    "check": "WIN_RATE",
                    "required": 5_000,
                    "actual": 5_000,
                    "met": True,
                    "productLine": None,
                },
            ],
        },
        {
            "partner": {"name": "Gamma"},
            "direction": "DEMOTE",
            "currentTier": "SILVER",
            "recommendedTier": "REGISTERED",
            "reasons": [
                {
                    "check": "REVENUE",
                    "required": 10_000,
                    "actual": 0,
                    "met": False,
                    "productLine": None,
                }
            ],
        },
    ]


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"tier": "GOLD", "revenue": -1}, "minRevenueMinor"),
        ({"tier": "GOLD", "revenue": 0, "win": 10_001}, "minWinRateBasisPoints"),
    ],
)
async def test_a_bad_tier_rule_names_its_field(
    any_factory: Factory, variables: dict[str, Any], field: str
) -> None:
    vendor = await any_factory.vendor_admin()

    body = await any_factory.gql(RULE, variables, actor=vendor)
    rules = data_of(await any_factory.gql("{ tierRules { tier } }", actor=vendor))

    assert errors_of(body) == [("BAD_USER_INPUT", field)]
    assert rules["tierRules"] == []


async def test_tier_rules_and_recommendations_are_the_vendors(march: dict[str, Any]) -> None:
    factory, alpha = march["factory"], march["alpha"]
    manager = await factory.vendor_user(Role.CHANNEL_MANAGER)

    as_partner = await factory.gql(RECOMMENDATIONS, actor=alpha)
    rule_as_manager = await factory.gql(RULE, {"tier": "GOLD", "revenue": 1}, actor=manager)
    as_manager = data_of(await factory.gql(RECOMMENDATIONS, actor=manager))

    assert errors_of(as_partner)[0][0] == "FORBIDDEN"
    assert errors_of(rule_as_manager)[0][0] == "FORBIDDEN"
    assert as_manager["tierRecommendations"] == []  # no rules yet: nothing to recommend
