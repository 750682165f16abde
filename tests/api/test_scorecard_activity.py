"""Scorecards' activity figures over the API, computed by hand, on PostgreSQL and SQLite.

On top of the March of tests.api.test_forecast (EUR at 1.10; Alpha's open 100,000 USD lead
expected 20 March, one expected in April; Beta's open 40,000 EUR lead expected 25 March and
its 20,000 USD registration approved and WON), in March:
- Alpha wins a routed 30,000 EUR lead (33,000 USD) and loses another: win rate 50%.
- Beta opens a 5,000 GBP lead expected 30 March (no GBP rate: named, with the 8,000 pence of
  revenue), registers a second deal that is rejected, holds one NETWORKING certification
  against its tier's 2 NETWORKING + 1 SECURITY seats, downloads an asset twice, reads an
  article three times, has one of two best practices published, and answers the vendor
  after 600 and 1,200 seconds (a second message in a row is no answer).
February has none of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub.assets import service as asset_service
from hub.assets.rules import AssetInput, AssetKind
from hub.roles import Role
from tests.api.test_analytics import MARCH, march  # noqa: F401 (the fixture)
from tests.api.test_best_practices import publish, submit
from tests.api.test_forecast import accepted_lead, money, pipeline  # noqa: F401
from tests.api.test_knowledge import published
from tests.api.test_messaging import SEND, start, user
from tests.api.test_training import PDF, SET_REQUIREMENT, certify, stream
from tests.conftest import data_of
from tests.factories import Actor, Factory

ACTIVITY = [
    "routedLeadsWon",
    "routedLeadsLost",
    "winRateBasisPoints",
    "openOpportunities",
    "dealsSubmitted",
    "dealsApproved",
    "dealApprovalRateBasisPoints",
    "dealConversionBasisPoints",
    "certifiedUsers",
    "certificationSeatsMet",
    "certificationSeatsRequired",
    "collateralDownloads",
    "articlesRead",
    "bestPracticesPublished",
    "medianSecondsToRespond",
]
MONEY = ["routedRevenueMinor", "openPipelineMinor"]
SCORECARD = f"""query($id: ID!, $period: PeriodInput!) {{
  partnerScorecard(partnerId: $id, period: $period) {{
    {" ".join(f"{name} {{ current previous change }}" for name in ACTIVITY + MONEY)}
    missingRates {{ currency amountMinor }} }} }}"""
MOVE = """mutation($id: ID!, $status: LeadStatus!, $reason: String) {
  updateLeadStatus(id: $id, status: $status, reason: $reason) { status } }"""
LEAD_OF = "query($id: ID!) { opportunity(id: $id) { leadId } }"


async def close_lead(factory: Factory, actor: Actor, opportunity: str, *statuses: str) -> None:
    found = await factory.gql(LEAD_OF, {"id": opportunity}, actor=actor)
    lead = data_of(found)["opportunity"]["leadId"]
    for status in statuses:
        reason = "went with a rival" if status == "LOST" else None
        variables = {"id": lead, "status": status, "reason": reason}
        data_of(await factory.gql(MOVE, variables, actor=actor))


async def activity_in_march(pipeline: dict[str, Any]) -> None:  # noqa: F811
    factory, vendor, alpha, beta = (pipeline[key] for key in ("factory", "vendor", "alpha", "beta"))
    ids = pipeline["partners"]
    alpha_id, beta_id = ids["Alpha"].id, ids["Beta"].id
    euro = {"estimatedValue": money(30_000, "EUR"), "expectedClose": "2026-03-18"}
    won = await accepted_lead(factory, vendor, alpha_id, alpha, customerCompany="Won", **euro)
    await close_lead(factory, alpha, won, "CONTACTED", "QUALIFIED", "WON")
    lost = await accepted_lead(factory, vendor, alpha_id, alpha, customerCompany="Lost")
    await close_lead(factory, alpha, lost, "CONTACTED", "LOST")
    pounds = {"estimatedValue": money(5_000, "GBP"), "expectedClose": "2026-03-30"}
    await accepted_lead(factory, vendor, beta_id, beta, customerCompany="Pounds", **pounds)

    register = """mutation($input: DealInput!) { registerDeal(input: $input) { id } }"""
    deal = {"customerCompany": "Kramerica", "country": "US", "productLine": "NETWORKING"}
    deal |= {"value": money(9_000)}
    registered = data_of(await factory.gql(register, {"input": deal}, actor=beta))
    reject = """mutation($id: ID!) { rejectDealRegistration(id: $id, reason: "duplicate") {
      status } }"""
    data_of(await factory.gql(reject, {"id": registered["registerDeal"]["id"]}, actor=vendor))

    await certify(factory, {"vendor": vendor}, beta, "NETWORKING")
    tier = ids["Beta"].tier
    for line, seats in [("NETWORKING", 2), ("SECURITY", 1)]:
        variables = {"tier": tier, "line": line, "n": seats}
        data_of(await factory.gql(SET_REQUIREMENT, variables, actor=vendor))

    asset = await asset_service.create(
        factory.hub,
        principal=vendor.principal,
        data=AssetInput(title="Battle card", kind=AssetKind.OTHER),
        file_name="card.pdf",
        chunks=stream(PDF),
    )
    download = "query($id: ID!) { asset(id: $id) { downloadUrl(expiresInSeconds: 60) } }"
    for _ in range(2):
        data_of(await factory.gql(download, {"id": asset.id}, actor=beta))
    article = await published(factory, vendor, title="Objection handling")
    read = "query($id: ID!) { article(id: $id) { title } }"
    for _ in range(3):
        data_of(await factory.gql(read, {"id": article["id"]}, actor=beta))
    kept = await submit(factory, beta, "Joint webinars")
    await submit(factory, beta, "Cold calls")
    await publish(factory, vendor, kept["id"])

    conversation = data_of(await start(factory, vendor, userIds=[user(beta)]))
    said = {"c": conversation["startConversation"]["id"], "body": "Any news?"}
    for wait in (600, 1_200):
        data_of(await factory.gql(SEND, said, actor=vendor))
        factory.hub.clock.advance(seconds=wait)  # type: ignore[attr-defined]
        data_of(await factory.gql(SEND, {**said, "body": "On it"}, actor=beta))
        factory.hub.clock.advance(seconds=300)  # type: ignore[attr-defined]
        data_of(await factory.gql(SEND, {**said, "body": "And more"}, actor=beta))


def metric(current: int | None, previous: int | None) -> dict[str, int | None]:
    change = None if current is None or previous is None else current - previous
    return {"current": current, "previous": previous, "change": change}


async def scorecard(factory: Factory, actor: Actor, partner_id: str) -> dict[str, Any]:
    found = await factory.gql(SCORECARD, {"id": partner_id, "period": MARCH}, actor=actor)
    return dict(data_of(found)["partnerScorecard"])


def expected(**figures: int | None) -> dict[str, Any]:
    """March's figures beside February's (zero counts, no rates or times)."""
    rates = {"winRateBasisPoints", "dealApprovalRateBasisPoints", "dealConversionBasisPoints"}
    timed = {"medianSecondsToRespond"}
    found = {}
    for name in ACTIVITY + MONEY:
        before = None if name in rates | timed else 0
        if name == "certificationSeatsRequired":
            before = figures[name]  # the tier's rule, as it stands
        found[name] = metric(figures.get(name, before), before)
    return found


async def test_a_scorecard_shows_what_came_of_the_partners_leads_deals_and_activity(
    pipeline: dict[str, Any],  # noqa: F811
) -> None:
    await activity_in_march(pipeline)
    factory, vendor, ids = pipeline["factory"], pipeline["vendor"], pipeline["partners"]

    alpha = await scorecard(factory, vendor, ids["Alpha"].id)
    beta = await scorecard(factory, vendor, ids["Beta"].id)
    beta_own = await scorecard(factory, pipeline["beta"], ids["Beta"].id)

    assert alpha == {
        **expected(
            routedLeadsWon=1,
            routedLeadsLost=1,
            winRateBasisPoints=5_000,
            routedRevenueMinor=33_000,
            openOpportunities=1,
            openPipelineMinor=100_000,
            certificationSeatsRequired=3,  # the same tier as Beta's, with no one certified
        ),
        "missingRates": [],
    }
    assert beta == {
        **expected(
            openOpportunities=2,
            openPipelineMinor=44_000,
            dealsSubmitted=2,
            dealsApproved=1,
            dealApprovalRateBasisPoints=5_000,
            dealConversionBasisPoints=10_000,
            certifiedUsers=1,
            certificationSeatsMet=1,
            certificationSeatsRequired=3,
            collateralDownloads=2,
            articlesRead=3,
            bestPracticesPublished=1,
            medianSecondsToRespond=900,
        ),
        "missingRates": [{"currency": "GBP", "amountMinor": 13_000}],
    }
    assert beta_own == beta


async def test_response_times_of_both_periods_look_back_30_days_from_each_period(
    any_factory: Factory,
) -> None:
    """10 to 19 April beside 31 March to 9 April: an answer counts in the period it is sent in,
    from the first unanswered message at most 30 days before that period began."""
    factory = any_factory
    vendor = await factory.vendor_admin()
    partner = await factory.partner("Beta")
    beta = await factory.user(partner.id, Role.PARTNER_USER)
    clock = factory.hub.clock
    first = data_of(await start(factory, vendor, userIds=[user(beta)]))["startConversation"]["id"]
    second = data_of(await start(factory, vendor, userIds=[user(beta)]))["startConversation"]["id"]

    async def say(actor: Actor, conversation: str, on: str) -> None:
        at = datetime.fromisoformat(f"{on}T12:00:00+00:00")
        clock.advance(seconds=(at - clock.now()).total_seconds())  # type: ignore[attr-defined]
        said = {"c": conversation, "body": on}
        data_of(await factory.gql(SEND, said, actor=factory.fresh(actor)))

    await say(vendor, first, "2026-03-02")  # 29 days before the earlier period
    await say(vendor, second, "2026-03-03")  # 38 days before the later one: too old for it
    await say(vendor, second, "2026-03-20")
    await say(beta, first, "2026-04-01")  # the earlier period: 30 days
    await say(vendor, first, "2026-04-02")
    await say(beta, first, "2026-04-12")  # the later one: 10 days, across the boundary
    await say(beta, second, "2026-04-15")  # 26 days, from 20 March (not 43 from 3 March)

    period = {"from": "2026-04-10", "to": "2026-04-19"}
    variables = {"id": partner.id, "period": period}
    found = await factory.gql(SCORECARD, variables, actor=factory.fresh(vendor))
    card = data_of(found)["partnerScorecard"]
    day = 86_400
    assert card["medianSecondsToRespond"] == metric(18 * day, 30 * day)
