"""Coordinates, numbers and lists have ranges: past them is BAD_USER_INPUT naming the field."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from hub.roles import Role
from storage.models import Order
from tests.api.test_assets import PDF, upload
from tests.conftest import data_of
from tests.factories import Actor, Factory, errors_of
from tests.lists import seed

PARTNERS_NEAR = """query($near: NearInput!) {
  partners(filter: {near: $near}) { totalCount edges { node { name } } } }"""
CREATE_LINE = "mutation($input: ProductLineInput!) { createProductLine(input: $input) { code } }"
SETTINGS = """mutation($input: LeadSettingsInput!) {
  updateLeadSettings(input: $input) { requiredCertifications } }"""


async def test_near_coordinates_are_checked_like_the_mutations_check_them(
    any_factory: Factory,
) -> None:
    vendor = await any_factory.vendor_admin()
    await any_factory.partner("Berlin Co", latitude=52.52, longitude=13.40)
    berlin = {"latitude": 52.5, "longitude": 13.4, "radiusKm": 50}

    answers = {
        case: errors_of(
            await any_factory.gql(PARTNERS_NEAR, {"near": {**berlin, **near}}, actor=vendor)
        )
        for case, near in {
            "latitude 500": {"latitude": 500},
            "latitude -91": {"latitude": -91},
            "longitude 500": {"longitude": 500},
            "longitude -181": {"longitude": -181},
            "radius 0": {"radiusKm": 0},
        }.items()
    }
    found = data_of(await any_factory.gql(PARTNERS_NEAR, {"near": berlin}, actor=vendor))
    created = await any_factory.gql(
        """mutation { createPartner(input: {name: "Far Co", type: RESELLER, country: "US",
        latitude: 500, longitude: 0}) { id } }""",
        actor=vendor,
    )

    assert answers == {
        "latitude 500": [("BAD_USER_INPUT", "filter.near.latitude")],
        "latitude -91": [("BAD_USER_INPUT", "filter.near.latitude")],
        "longitude 500": [("BAD_USER_INPUT", "filter.near.longitude")],
        "longitude -181": [("BAD_USER_INPUT", "filter.near.longitude")],
        "radius 0": [("BAD_USER_INPUT", "filter.near.radiusKm")],
    }
    assert [edge["node"]["name"] for edge in found["partners"]["edges"]] == ["Berlin Co"]
    assert errors_of(created) == [("BAD_USER_INPUT", "latitude")]


async def test_required_certifications_are_capped_in_length_and_count(
    any_factory: Factory,
) -> None:
    vendor = await any_factory.vendor_admin()
    fifty = [f"LINE_{n}" for n in range(50)]
    for code in fifty:
        line = {"code": code, "name": code.title()}
        data_of(await any_factory.gql(CREATE_LINE, {"input": line}, actor=vendor))

    def settings(lines: list[str]) -> dict[str, Any]:
        return {"input": {"requiredCertifications": lines}}

    too_many = await any_factory.gql(SETTINGS, settings([*fifty, "ONE_MORE"]), actor=vendor)
    huge = await any_factory.gql(SETTINGS, settings(["X"] * 40_000), actor=vendor)
    too_long = await any_factory.gql(SETTINGS, settings(["A" * 65]), actor=vendor)
    kept = await any_factory.gql(SETTINGS, settings([*fifty[:49], "line 49"]), actor=vendor)

    assert errors_of(too_many) == [("BAD_USER_INPUT", "requiredCertifications")]
    assert errors_of(huge) == [("BAD_USER_INPUT", "requiredCertifications")]
    assert errors_of(too_long) == [("BAD_USER_INPUT", "requiredCertifications")]
    assert data_of(kept)["updateLeadSettings"]["requiredCertifications"] == sorted(fifty)


ENUM_FILTERS = {
    "leads": ("[LeadStatus!]", "statuses", "NEW"),
    "partners": ("[Tier!]", "tiers", "GOLD"),
    "users": ("[Role!]", "roles", "PARTNER_USER"),
    "assets": ("[AssetKind!]", "kinds", "DATASHEET"),
    "orders": ("[OrderStatus!]", "statuses", "SUBMITTED"),
    "articles": ("[ArticleStatus!]", "statuses", "PUBLISHED"),
    "bestPractices": ("[BestPracticeStatus!]", "statuses", "PUBLISHED"),
    "certifications": ("[CertificationStatus!]", "statuses", "VALID"),
}


async def test_a_filter_value_repeated_40000_times_filters_like_once(any_factory: Factory) -> None:
    world = await seed(any_factory)
    vendor = world.actors["vendor"]
    counts = {}
    for name, (kind, field, value) in ENUM_FILTERS.items():
        query = f"query($v: {kind}) {{ {name}(filter: {{{field}: $v}}) {{ totalCount }} }}"
        once = await any_factory.gql(query, {"v": [value]}, actor=vendor)
        repeated = await any_factory.gql(query, {"v": [value] * 40_000}, actor=vendor)
        counts[name] = (data_of(once)[name]["totalCount"], data_of(repeated)[name]["totalCount"])
    deals = "query($v: [DealStatus!]) { dealRegistrations(statuses: $v) { totalCount } }"
    repeated_deals = await any_factory.gql(deals, {"v": ["PENDING"] * 40_000}, actor=vendor)

    assert {name: repeated for name, (_, repeated) in counts.items()} == {
        name: once for name, (once, _) in counts.items()
    }
    assert all(once > 0 for once, _ in counts.values()), counts
    assert "errors" not in repeated_deals, repeated_deals


def many(count: int) -> list[str]:
    return [f"{n:032x}" for n in range(count)]


async def test_id_and_code_lists_are_capped_naming_the_field(any_factory: Factory) -> None:
    world = await seed(any_factory)
    vendor, seller = world.actors["vendor"], world.actors["seller"]
    lines = [f"LINE_{n}" for n in range(51)]
    article = """mutation($input: ArticleInput!) { createArticle(input: $input) { id } }"""
    practice = (
        """mutation($input: BestPracticeInput!) { submitBestPractice(input: $input) { id } }"""
    )
    course = """mutation($input: CourseInput!) { createCourse(input: $input) { id } }"""
    define = """mutation($input: CertificationDefinitionInput!) {
      createCertificationDefinition(input: $input) { id } }"""
    start = """mutation($input: ConversationInput!) { startConversation(input: $input) { id } }"""
    module = {"title": "m", "lessons": [{"title": "l", "url": "https://learn.example/l"}]}
    story = {"title": "t", "problem": "p", "approach": "a", "outcome": "o"}
    calls: dict[str, tuple[Actor, str, dict[str, Any]]] = {
        "input.relatedAssetIds": (
            vendor,
            article,
            {"title": "t", "body": "b", "relatedAssetIds": many(51)},
        ),
        "productLines": (vendor, article, {"title": "t", "body": "b", "productLines": lines}),
        "input.visibility.partnerIds": (
            seller,
            practice,
            {**story, "visibility": {"partnerIds": many(501)}},
        ),
        "input.productLines": (
            vendor,
            course,
            {"title": "t", "estimatedMinutes": 5, "modules": [module], "productLines": lines},
        ),
        "input.requiredCourseIds": (
            vendor,
            define,
            {"name": "n", "productLine": "NET", "validityDays": 9, "requiredCourseIds": many(51)},
        ),
        "input.organizationIds": (vendor, start, {"subject": "s", "organizationIds": many(201)}),
    }
    answers = {
        field: errors_of(await any_factory.gql(query, {"input": input}, actor=actor))
        for field, (actor, query, input) in calls.items()
    }
    article_partners = await any_factory.gql(
        article,
        {"input": {"title": "t", "body": "b", "visibility": {"partnerIds": many(501)}}},
        actor=vendor,
    )
    tagged = await upload(
        any_factory, vendor, PDF, "a.pdf", {"title": "A", "kind": "DATASHEET", "tags": many(51)}
    )
    named = await upload(
        any_factory,
        vendor,
        PDF,
        "a.pdf",
        {"title": "A", "kind": "DATASHEET", "partnerIds": many(501)},
    )

    assert answers == {field: [("BAD_USER_INPUT", field)] for field in calls}
    assert errors_of(article_partners) == [("BAD_USER_INPUT", "input.visibility.partnerIds")]
    assert errors_of(tagged.json()) == [("BAD_USER_INPUT", "tags")]
    assert errors_of(named.json()) == [("BAD_USER_INPUT", "partnerIds")]


async def test_quantities_and_totals_have_ranges(any_factory: Factory) -> None:
    vendor = await any_factory.vendor_admin()
    buyer = await any_factory.user((await any_factory.partner("Buyer Co")).id, Role.PARTNER_USER)
    for sku, price in (("CHEAP", 100), ("DEAR", 2**53 - 1)):
        data_of(
            await any_factory.gql(
                """mutation($sku: String!, $price: MinorUnits!) { createProduct(input: {sku: $sku,
                name: "P", productLine: "NET", listPrices: [{amountMinor: $price, currency: "USD"}]}) { id } }""",
                {"sku": sku, "price": price},
                actor=vendor,
            )
        )
    data_of(
        await any_factory.gql(
            'mutation { createWarehouse(code: "AMS", name: "A", country: "NL") { code } }',
            actor=vendor,
        )
    )
    place = """mutation($sku: String!, $q: Int!) { placeOrder(input: {lines: [{sku: $sku, quantity: $q}],
      endCustomer: "G", currency: "USD", shippingAddress: "1 Main St", shippingCountry: "US"}) { id } }"""

    answers = {
        "line quantity": await any_factory.gql(
            place, {"sku": "CHEAP", "q": 1_000_001}, actor=buyer
        ),
        "order total": await any_factory.gql(place, {"sku": "DEAR", "q": 2}, actor=buyer),
        "on hand": await any_factory.gql(
            'mutation { setStock(sku: "CHEAP", warehouse: "AMS", onHand: 2000000000) }',
            actor=vendor,
        ),
        "inbound": await any_factory.gql(
            """mutation { addInboundReceipt(sku: "CHEAP", warehouse: "AMS", quantity: 1000001,
            expectedOn: "2026-12-01") }""",
            actor=vendor,
        ),
        "availability": await any_factory.gql(
            'query { availability(sku: "CHEAP", quantity: 1000001) { promisableNow } }', actor=buyer
        ),
        "weights": await any_factory.gql(
            SETTINGS.replace("requiredCertifications }", "radiusKm }"),
            {
                "input": {
                    "weights": {
                        "tier": 1e308,
                        "acceptance": 1e308,
                        "speed": 1,
                        "win": 1,
                        "distance": 1,
                    }
                }
            },
            actor=vendor,
        ),
    }
    async with any_factory.hub.db() as session:
        orders = await session.scalar(select(func.count()).select_from(Order))

    assert {case: errors_of(body) for case, body in answers.items()} == {
        "line quantity": [("BAD_USER_INPUT", "lines.0.quantity")],
        "order total": [("BAD_USER_INPUT", "lines")],
        "on hand": [("BAD_USER_INPUT", "onHand")],
        "inbound": [("BAD_USER_INPUT", "quantity")],
        "availability": [("BAD_USER_INPUT", "quantity")],
        "weights": [("BAD_USER_INPUT", "weights")],
    }
    assert orders == 0
