"""Vendor campaigns over the API, on PostgreSQL and the embedded SQLite: drafted, published
to an audience, joined by partner admins, their kit trimmed to what each partner may see,
and leads and deal registrations naming them as their source.

The clock stands at 2026-03-02; the campaign runs 2026-03-01..2026-04-30 for resellers.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hub.clock import ManualClock
from hub.partners.rules import PartnerType, Tier
from hub.roles import Role
from tests.api.test_assets import PDF, upload
from tests.api.test_fund_attribution import (
    ATTRIBUTE_DEAL,
    REGISTER,
    lead_for,
    roadshow,  # noqa: F401 (the fixture)
    won,
)
from tests.api.test_funds import funds, money  # noqa: F401 (the fixture)
from tests.conftest import data_of
from tests.factories import Actor, Factory, errors_of

FIELDS = """id name landingText startsOn endsOn status version optedIn
  visibility { minTier partnerTypes partnerIds }
  kit { id title } participants { partner { name } }"""
CREATE = f"""mutation($input: CampaignInput!) {{ createCampaign(input: $input) {{ {FIELDS} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: CampaignChangesInput!, $v: Int) {{
  updateCampaign(id: $id, input: $input, expectedVersion: $v) {{ {FIELDS} }} }}"""
GET = f"""query($id: ID!) {{ campaign(id: $id) {{ {FIELDS} }} }}"""
LIST = """query($filter: CampaignFilter) { campaigns(filter: $filter) { totalCount
  edges { node { name } } } }"""
OPT_IN = "mutation($id: ID!) { optInToCampaign(id: $id) { id optedIn } }"
OPT_OUT = "mutation($id: ID!) { optOutOfCampaign(id: $id) { id optedIn } }"
RESULTS = """query($id: ID!) { campaign(id: $id) { results { participants leads
  dealRegistrations wonOpportunities wonRevenue { amountMinor currency } missingRates } } }"""
ATTRIBUTE = """mutation($id: ID!, $c: ID) { attributeLead(id: $id, campaignId: $c) {
  id campaign { id name } fundRequest { id } } }"""
ATTRIBUTE_BOTH = """mutation($id: ID!, $c: ID, $r: ID) {
  attributeLead(id: $id, campaignId: $c, fundRequestId: $r) { id } }"""
ATTRIBUTE_NOTHING = "mutation($id: ID!) { attributeLead(id: $id) { id } }"
ATTRIBUTE_DEAL_CAMPAIGN = """mutation($id: ID!, $c: ID) {
  attributeDealRegistration(id: $id, campaignId: $c) { id campaign { id } fundRequest { id } } }"""
LEAD_SOURCES = "query($id: ID!) { lead(id: $id) { campaign { id } fundRequest { id } } }"
DEALS = "{ dealRegistrations { totalCount } }"


def campaign_input(**fields: Any) -> dict[str, Any]:
    return {
        "name": "Spring security push",
        "landingText": "Bundle the firewall with two years of support.",
        "startsOn": "2026-03-01",
        "endsOn": "2026-04-30",
        "visibility": {"partnerTypes": ["RESELLER"]},
        **fields,
    }


async def asset(factory: Factory, vendor: Actor, title: str, **fields: Any) -> str:
    sent = await upload(
        factory, vendor, PDF, f"{title}.pdf", {"title": title, "kind": "BROCHURE", **fields}
    )
    found: str = data_of(sent.json())["uploadAsset"]["id"]
    return found


async def create(factory: Factory, vendor: Actor, **fields: Any) -> dict[str, Any]:
    made = await factory.gql(CREATE, {"input": campaign_input(**fields)}, actor=vendor)
    found: dict[str, Any] = data_of(made)["createCampaign"]
    return found


async def publish(factory: Factory, vendor: Actor, campaign: str) -> None:
    published = await factory.gql(
        UPDATE, {"id": campaign, "input": {"status": "PUBLISHED"}}, actor=vendor
    )
    assert data_of(published)["updateCampaign"]["status"] == "PUBLISHED"


async def test_a_campaign_is_drafted_published_joined_and_its_kit_trimmed_per_partner(
    any_factory: Factory,
) -> None:
    factory = any_factory
    vendor = await factory.vendor_admin()
    alpha, beta = await factory.partner("Alpha"), await factory.partner("Beta")
    msp = await factory.partner("Gamma", type=PartnerType.MSP, tier=Tier.PLATINUM)
    alpha_admin = await factory.user(alpha.id, Role.PARTNER_ADMIN)
    alpha_user = await factory.user(alpha.id, Role.PARTNER_USER)
    beta_admin = await factory.user(beta.id, Role.PARTNER_ADMIN)
    gamma_admin = await factory.user(msp.id, Role.PARTNER_ADMIN)
    playbook = await asset(factory, vendor, "Playbook")
    gold_deck = await asset(factory, vendor, "Gold deck", minTier="GOLD")

    draft = await create(factory, vendor, assetIds=[gold_deck, playbook])
    campaign = draft["id"]
    hidden = [
        await factory.gql(GET, {"id": campaign}, actor=alpha_admin),
        await factory.gql(OPT_IN, {"id": campaign}, actor=alpha_admin),
    ]
    unknown = await factory.gql(GET, {"id": "0" * 32}, actor=alpha_admin)
    drafts_seen = data_of(await factory.gql(LIST, actor=alpha_admin))["campaigns"]["totalCount"]
    published = await factory.gql(
        UPDATE, {"id": campaign, "input": {"status": "PUBLISHED"}, "v": 1}, actor=vendor
    )
    stale = await factory.gql(
        UPDATE, {"id": campaign, "input": {"name": "Late"}, "v": 1}, actor=vendor
    )
    backwards = await factory.gql(
        UPDATE, {"id": campaign, "input": {"status": "DRAFT"}}, actor=vendor
    )
    seen_by_alpha = data_of(await factory.gql(GET, {"id": campaign}, actor=alpha_admin))
    not_for_msps = await factory.gql(GET, {"id": campaign}, actor=gamma_admin)
    by_a_user = await factory.gql(OPT_IN, {"id": campaign}, actor=alpha_user)
    joined = [
        data_of(await factory.gql(OPT_IN, {"id": campaign}, actor=actor))["optInToCampaign"]
        for actor in (alpha_admin, alpha_admin, beta_admin)
    ]
    vendor_view = data_of(await factory.gql(GET, {"id": campaign}, actor=vendor))["campaign"]
    alpha_view = data_of(await factory.gql(GET, {"id": campaign}, actor=alpha_admin))["campaign"]
    filtered = {
        name: data_of(await factory.gql(LIST, {"filter": given}, actor=actor))["campaigns"][
            "totalCount"
        ]
        for name, given, actor in [
            ("joined", {"optedIn": True}, alpha_admin),
            ("not joined", {"optedIn": False}, alpha_admin),
            ("running in May", {"runningOn": "2026-05-01"}, alpha_admin),
            ("running in March", {"runningOn": "2026-03-15"}, alpha_admin),
            ("published", {"statuses": ["PUBLISHED"]}, vendor),
            ("drafts", {"statuses": ["DRAFT"]}, vendor),
            ("msp", {}, gamma_admin),
        ]
    }
    vendor_filter = await factory.gql(LIST, {"filter": {"optedIn": True}}, actor=vendor)
    left = data_of(await factory.gql(OPT_OUT, {"id": campaign}, actor=alpha_admin))

    assert draft == {
        "id": campaign,
        "name": "Spring security push",
        "landingText": "Bundle the firewall with two years of support.",
        "startsOn": "2026-03-01",
        "endsOn": "2026-04-30",
        "status": "DRAFT",
        "version": 1,
        "optedIn": None,
        "visibility": {"minTier": None, "partnerTypes": ["RESELLER"], "partnerIds": []},
        "kit": [{"id": gold_deck, "title": "Gold deck"}, {"id": playbook, "title": "Playbook"}],
        "participants": [],
    }
    assert [errors_of(body) for body in hidden] == [[("NOT_FOUND", "id")]] * 2
    assert hidden[0]["errors"][0]["message"] == unknown["errors"][0]["message"]
    assert drafts_seen == 0
    assert data_of(published)["updateCampaign"]["version"] == 2
    assert errors_of(stale) == [("CONFLICT", "expectedVersion")]
    assert errors_of(backwards) == [("CONFLICT", "input.status")]
    assert seen_by_alpha["campaign"]["kit"] == [{"id": playbook, "title": "Playbook"}]
    assert seen_by_alpha["campaign"]["visibility"] is None
    assert seen_by_alpha["campaign"]["optedIn"] is False
    assert errors_of(not_for_msps) == [("NOT_FOUND", "id")]
    assert errors_of(by_a_user) == [("FORBIDDEN", None)]
    assert joined == [{"id": campaign, "optedIn": True}] * 3
    assert sorted(row["partner"]["name"] for row in vendor_view["participants"]) == [
        "Alpha",
        "Beta",
    ]
    assert vendor_view["optedIn"] is None
    assert [row["partner"]["name"] for row in alpha_view["participants"]] == ["Alpha"]
    assert filtered == {
        "joined": 1,
        "not joined": 0,
        "running in May": 0,
        "running in March": 1,
        "published": 1,
        "drafts": 0,
        "msp": 0,
    }
    assert errors_of(vendor_filter) == [("BAD_USER_INPUT", "filter.optedIn")]
    assert left == {"optOutOfCampaign": {"id": campaign, "optedIn": False}}


async def test_bad_campaign_input_is_refused_with_its_field_and_writes_nothing(
    any_factory: Factory, clock: ManualClock
) -> None:
    factory = any_factory
    vendor = await factory.vendor_admin()
    alpha = await factory.partner("Alpha")
    alpha_admin = await factory.user(alpha.id, Role.PARTNER_ADMIN)
    playbook = await asset(factory, vendor, "Playbook")
    other_vendor_partner = "f" * 32
    cases = {
        "ends before it starts": (
            campaign_input(endsOn="2026-02-01"),
            "BAD_USER_INPUT",
            "input.endsOn",
        ),
        "over a year": (campaign_input(endsOn="2027-04-30"), "BAD_USER_INPUT", "input.endsOn"),
        "NUL in the name": (campaign_input(name="Spring\x00"), "BAD_USER_INPUT", "input.name"),
        "empty landing text": (
            campaign_input(landingText="  "),
            "BAD_USER_INPUT",
            "input.landingText",
        ),
        "unknown asset": (
            campaign_input(assetIds=[playbook, "0" * 32]),
            "NOT_FOUND",
            "input.assetIds.1",
        ),
        "an asset twice": (
            campaign_input(assetIds=[playbook, playbook]),
            "BAD_USER_INPUT",
            "input.assetIds",
        ),
        "too big a kit": (
            campaign_input(assetIds=[f"{n:032d}" for n in range(51)]),
            "BAD_USER_INPUT",
            "input.assetIds",
        ),
        "unknown named partner": (
            campaign_input(visibility={"partnerIds": [other_vendor_partner]}),
            "NOT_FOUND",
            "input.visibility.partnerIds",
        ),
    }
    refused = {
        name: errors_of(await factory.gql(CREATE, {"input": given}, actor=vendor))
        for name, (given, _, _) in cases.items()
    }
    by_a_partner = await factory.gql(CREATE, {"input": campaign_input()}, actor=alpha_admin)
    counted = data_of(await factory.gql(LIST, actor=vendor))["campaigns"]["totalCount"]
    short = await create(factory, vendor, endsOn="2026-03-05")
    await publish(factory, vendor, short["id"])
    clock.advance(days=4)  # 2026-03-06: the campaign is over
    vendor, alpha_admin = factory.fresh(vendor), factory.fresh(alpha_admin)
    too_late = await factory.gql(OPT_IN, {"id": short["id"]}, actor=alpha_admin)
    archived = await factory.gql(
        UPDATE, {"id": short["id"], "input": {"status": "ARCHIVED"}}, actor=vendor
    )
    archived_join = await factory.gql(OPT_IN, {"id": short["id"]}, actor=alpha_admin)

    assert refused == {name: [(code, field)] for name, (_, code, field) in cases.items()}
    assert errors_of(by_a_partner) == [("FORBIDDEN", None)]
    assert counted == 0
    assert errors_of(too_late) == [("CONFLICT", "id")]
    assert "ended on 2026-03-05" in too_late["errors"][0]["message"]
    assert data_of(archived)["updateCampaign"]["status"] == "ARCHIVED"
    assert errors_of(archived_join) == [("CONFLICT", "id")]


async def results(factory: Factory, actor: Actor, campaign: str) -> dict[str, Any]:
    found: dict[str, Any] = data_of(await factory.gql(RESULTS, {"id": campaign}, actor=actor))
    return found["campaign"]["results"]


async def test_leads_and_registrations_name_a_campaign_and_its_results_count_them(
    roadshow: dict[str, Any],  # noqa: F811 (the fixture)
) -> None:
    factory, vendor = roadshow["factory"], roadshow["vendor"]
    alpha, beta = roadshow["alpha"], roadshow["beta"]
    ids, request = roadshow["partners"], roadshow["request"]
    alpha_admin = await factory.user(ids["Alpha"].id, Role.PARTNER_ADMIN)
    msp = await factory.partner("Gamma", type=PartnerType.MSP)
    gamma = await factory.user(msp.id, Role.PARTNER_ADMIN)
    campaign = (await create(factory, vendor))["id"]
    draft = (await create(factory, vendor, name="Not yet"))["id"]
    await publish(factory, vendor, campaign)
    data_of(await factory.gql(OPT_IN, {"id": campaign}, actor=alpha_admin))
    source = {"campaignId": campaign}
    # Alpha wins 1,000.00 USD and 400.00 EUR (440.00 USD at 1.10); Beta (not joined) holds
    # one the vendor attributed; Gamma (an MSP, outside the audience) one too.
    usd = await lead_for(factory, vendor, alpha, ids["Alpha"].id, value=money(1_000_00), **source)
    eur = await lead_for(
        factory, vendor, alpha, ids["Alpha"].id, value=money(400_00, "EUR"), **source
    )
    betas = await lead_for(factory, vendor, beta, ids["Beta"].id, value=money(700_00), **source)
    gammas = await lead_for(factory, vendor, gamma, msp.id, value=money(50_00), **source)
    for actor, lead in [(alpha, usd), (alpha, eur), (beta, betas)]:
        await won(factory, actor, lead)
    # Alpha's own later lead, named by Alpha, which also came from the funded roadshow.
    later = await lead_for(
        factory, vendor, alpha, ids["Alpha"].id, value=money(9_00), fundRequestId=request
    )
    by_alpha = data_of(await factory.gql(ATTRIBUTE, {"id": later, "c": campaign}, actor=alpha))
    deals_before = data_of(await factory.gql(DEALS, actor=vendor))
    deal_input = {
        "customerCompany": "Vandelay",
        "country": "US",
        "productLine": "NETWORKING",
        "value": money(200_00),
    }
    refused = {
        "beta did not join": await factory.gql(
            REGISTER, {"input": {**deal_input, **source}}, actor=beta
        ),
        "a draft": await factory.gql(ATTRIBUTE, {"id": usd, "c": draft}, actor=vendor),
        "unknown": await factory.gql(ATTRIBUTE, {"id": usd, "c": "0" * 32}, actor=vendor),
        "beta's lead, unjoined": await factory.gql(
            ATTRIBUTE, {"id": betas, "c": campaign}, actor=beta
        ),
        "nothing named": await factory.gql(ATTRIBUTE_NOTHING, {"id": usd}, actor=vendor),
        "good campaign, bad request": await factory.gql(
            ATTRIBUTE_BOTH, {"id": later, "c": None, "r": "0" * 32}, actor=alpha
        ),
    }
    deals_after = data_of(await factory.gql(DEALS, actor=vendor))
    registered = data_of(
        await factory.gql(REGISTER, {"input": {**deal_input, **source}}, actor=alpha_admin)
    )["registerDeal"]
    deal = registered["id"]
    deal_sources = data_of(
        await factory.gql(ATTRIBUTE_DEAL_CAMPAIGN, {"id": deal, "c": campaign}, actor=alpha_admin)
    )
    fund_too = data_of(
        await factory.gql(ATTRIBUTE_DEAL, {"id": deal, "r": request}, actor=alpha_admin)
    )
    after_both = data_of(
        await factory.gql(ATTRIBUTE_DEAL_CAMPAIGN, {"id": deal, "c": campaign}, actor=vendor)
    )
    seen = {
        name: data_of(await factory.gql(LEAD_SOURCES, {"id": lead}, actor=actor))["lead"]
        for name, lead, actor in [
            ("alpha's later", later, alpha),
            ("gamma's", gammas, gamma),
            ("gamma's, by the vendor", gammas, vendor),
        ]
    }
    vendor_results = await results(factory, vendor, campaign)
    alpha_results = await results(factory, alpha, campaign)
    cleared = data_of(await factory.gql(ATTRIBUTE, {"id": later, "c": None}, actor=alpha))

    assert by_alpha == {
        "attributeLead": {
            "id": later,
            "campaign": {"id": campaign, "name": "Spring security push"},
            "fundRequest": {"id": request},  # the other kind of source is kept
        }
    }
    assert {name: errors_of(body) for name, body in refused.items()} == {
        "beta did not join": [("CONFLICT", "campaignId")],
        "a draft": [("CONFLICT", "campaignId")],
        "unknown": [("NOT_FOUND", "campaignId")],
        "beta's lead, unjoined": [("CONFLICT", "campaignId")],
        "nothing named": [("BAD_USER_INPUT", "id")],
        "good campaign, bad request": [("NOT_FOUND", "fundRequestId")],
    }
    assert deals_after == deals_before
    assert deal_sources["attributeDealRegistration"]["campaign"] == {"id": campaign}
    assert fund_too["attributeDealRegistration"]["fundRequest"] == {"id": request}
    assert after_both["attributeDealRegistration"] == {
        "id": deal,
        "campaign": {"id": campaign},
        "fundRequest": {"id": request},
    }
    assert seen == {
        # The failed both-at-once call changed neither source.
        "alpha's later": {"campaign": {"id": campaign}, "fundRequest": {"id": request}},
        "gamma's": {"campaign": None, "fundRequest": None},
        "gamma's, by the vendor": {"campaign": {"id": campaign}, "fundRequest": None},
    }
    assert vendor_results == {
        "participants": 1,
        "leads": 5,
        "dealRegistrations": 1,
        "wonOpportunities": 3,
        "wonRevenue": {"amountMinor": 214000, "currency": "USD"},
        "missingRates": [],
    }
    assert alpha_results == {
        "participants": None,
        "leads": 3,
        "dealRegistrations": 1,
        "wonOpportunities": 2,
        "wonRevenue": {"amountMinor": 144000, "currency": "USD"},
        "missingRates": [],
    }
    assert cleared["attributeLead"]["campaign"] is None
    assert cleared["attributeLead"]["fundRequest"] == {"id": request}


async def test_racing_opt_ins_make_one_participant_and_attribution_races_keep_one_source(
    any_factory: Factory,
) -> None:
    factory = any_factory
    vendor = await factory.vendor_admin()
    alpha = await factory.partner("Alpha")
    admins = [await factory.user(alpha.id, Role.PARTNER_ADMIN) for _ in range(3)]
    campaign = (await create(factory, vendor))["id"]
    second = (await create(factory, vendor, name="Summer"))["id"]
    for one in (campaign, second):
        await publish(factory, vendor, one)
    lead = await lead_for(factory, vendor, admins[0], alpha.id, value=money(10_00))

    joins = await asyncio.gather(
        *(factory.gql(OPT_IN, {"id": campaign}, actor=admin) for admin in admins * 3)
    )
    named = await asyncio.gather(
        *(
            factory.gql(ATTRIBUTE, {"id": lead, "c": one}, actor=vendor)
            for one in [campaign, second] * 4
        )
    )
    final = data_of(await factory.gql(LEAD_SOURCES, {"id": lead}, actor=vendor))["lead"]
    counts = [(await results(factory, vendor, one))["leads"] for one in (campaign, second)]
    participants = data_of(await factory.gql(GET, {"id": campaign}, actor=vendor))["campaign"][
        "participants"
    ]

    assert all(errors_of(body) == [] for body in joins)
    assert participants == [{"partner": {"name": "Alpha"}}]
    assert all(errors_of(body) == [] for body in named)
    assert final["campaign"]["id"] in (campaign, second)
    assert sorted(counts) == [0, 1]
