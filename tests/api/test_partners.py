"""The partner directory over GraphQL: changes, lifecycle, filters, locator and tenancy."""

from __future__ import annotations

from typing import Any

from hub.partners import PartnerType, TerritoryInput, Tier
from hub.roles import Role
from tests.conftest import data_of
from tests.factories import Factory, errors_of

CREATE = """
mutation($input: PartnerInput!) {
  createPartner(input: $input) {
    id name type tier status country specializations
    territories { name countries regions postalPrefixes }
    tierHistory { fromValue toValue }
  }
}"""
UPDATE = """
mutation($id: ID!, $input: PartnerUpdateInput!) {
  updatePartner(id: $id, input: $input) { id name website city leadCapacity parent { id } version }
}"""
STATUS = """
mutation($id: ID!, $status: PartnerStatus!, $reason: String) {
  changePartnerStatus(id: $id, status: $status, reason: $reason) { status statusReason statusHistory { fromValue toValue reason } }
}"""
PARTNERS = """
query($first: Int, $after: String, $filter: PartnerFilter) {
  partners(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name distanceKm } }
  }
}"""


def names(body: dict[str, Any]) -> list[str]:
    return [edge["node"]["name"] for edge in data_of(body)["partners"]["edges"]]


async def test_vendor_creates_a_partner_with_territories_and_specializations(
    factory: Factory,
) -> None:
    admin = await factory.vendor_admin()
    territory = {
        "name": "West",
        "countries": ["us"],
        "regions": ["US-CA"],
        "postalPrefixes": ["94 1"],
    }

    body = await factory.gql(
        CREATE,
        {
            "input": {
                "name": "Acme",
                "type": "VAR",
                "country": "us",
                "tier": "GOLD",
                "specializations": ["cloud", "Network Security", "CLOUD"],
                "territories": [territory],
            }
        },
        actor=admin,
    )

    created = data_of(body)["createPartner"]
    assert created["type"] == "VAR" and created["tier"] == "GOLD" and created["country"] == "US"
    assert created["specializations"] == ["CLOUD", "NETWORK_SECURITY"]
    assert created["territories"] == [
        {"name": "West", "countries": ["US"], "regions": ["US-CA"], "postalPrefixes": ["941"]}
    ]
    assert created["tierHistory"] == [{"fromValue": None, "toValue": "GOLD"}]


async def test_bad_input_names_the_field_and_writes_nothing(factory: Factory) -> None:
    admin = await factory.vendor_admin()
    cases = [
        ({"country": "XX"}, "country"),
        ({"latitude": 91.0, "longitude": 0.0}, "latitude"),
        ({"latitude": 10.0}, "latitude"),
        ({"website": "javascript:alert(1)"}, "website"),
        ({"leadCapacity": -1}, "leadCapacity"),
        ({"territories": [{"name": "T", "regions": ["US-ZZ"]}]}, "territories.0.regions"),
        ({"territories": [{"name": "Empty"}]}, "territories.0"),
        ({"specializations": ["not valid!"]}, "specializations"),
        ({"name": "   "}, "name"),
    ]
    for overrides, field in cases:
        data = {"name": "Acme", "type": "RESELLER", "country": "US", **overrides}
        body = await factory.gql(CREATE, {"input": data}, actor=admin)
        assert errors_of(body) == [("BAD_USER_INPUT", field)], overrides

    listed = data_of(await factory.gql(PARTNERS, actor=admin))
    assert listed["partners"]["totalCount"] == 0


async def test_parent_must_be_a_distributor_and_cycles_are_refused(factory: Factory) -> None:
    admin = await factory.vendor_admin()
    top = await factory.partner("Top", type=PartnerType.DISTRIBUTOR)
    middle = await factory.partner("Middle", type=PartnerType.DISTRIBUTOR, parent_id=top.id)
    reseller = await factory.partner("Reseller")

    under_reseller = await factory.gql(
        UPDATE, {"id": middle.id, "input": {"parentId": reseller.id}}, actor=admin
    )
    cycle = await factory.gql(UPDATE, {"id": top.id, "input": {"parentId": middle.id}}, actor=admin)
    itself = await factory.gql(UPDATE, {"id": top.id, "input": {"parentId": top.id}}, actor=admin)
    demote = await factory.gql(UPDATE, {"id": top.id, "input": {"type": "RESELLER"}}, actor=admin)
    moved = await factory.gql(
        UPDATE, {"id": reseller.id, "input": {"parentId": middle.id}}, actor=admin
    )

    assert errors_of(under_reseller) == [("BAD_USER_INPUT", "parentId")]
    assert errors_of(cycle) == [("BAD_USER_INPUT", "parentId")]
    assert "cycle" in cycle["errors"][0]["message"]
    assert errors_of(itself) == [("BAD_USER_INPUT", "parentId")]
    assert errors_of(demote) == [("BAD_USER_INPUT", "type")]
    assert data_of(moved)["updatePartner"]["parent"] == {"id": middle.id}


async def test_status_follows_the_lifecycle(factory: Factory) -> None:
    admin = await factory.vendor_admin()
    partner = await factory.partner()

    no_reason = await factory.gql(STATUS, {"id": partner.id, "status": "SUSPENDED"}, actor=admin)
    suspended = await factory.gql(
        STATUS, {"id": partner.id, "status": "SUSPENDED", "reason": "unpaid invoices"}, actor=admin
    )
    backwards = await factory.gql(STATUS, {"id": partner.id, "status": "APPLICANT"}, actor=admin)
    terminated = await factory.gql(
        STATUS, {"id": partner.id, "status": "TERMINATED", "reason": "contract ended"}, actor=admin
    )
    revived = await factory.gql(STATUS, {"id": partner.id, "status": "ACTIVE"}, actor=admin)

    assert errors_of(no_reason) == [("BAD_USER_INPUT", "reason")]
    assert data_of(suspended)["changePartnerStatus"]["statusReason"] == "unpaid invoices"
    assert errors_of(backwards) == [("BAD_USER_INPUT", "status")]
    history = data_of(terminated)["changePartnerStatus"]["statusHistory"]
    assert [(h["fromValue"], h["toValue"]) for h in history] == [
        (None, "ACTIVE"),
        ("ACTIVE", "SUSPENDED"),
        ("SUSPENDED", "TERMINATED"),
    ]
    assert errors_of(revived) == [("BAD_USER_INPUT", "status")]


async def test_tier_changes_are_kept_in_history(factory: Factory) -> None:
    manager = await factory.vendor_user(Role.CHANNEL_MANAGER)
    partner = await factory.partner(tier=Tier.SILVER)
    query = """mutation($id: ID!, $tier: Tier!) { changePartnerTier(id: $id, tier: $tier, reason: "Q3 revenue") {
      tier tierHistory { fromValue toValue reason changedBy { email } } } }"""

    body = await factory.gql(query, {"id": partner.id, "tier": "GOLD"}, actor=manager)
    same = await factory.gql(query, {"id": partner.id, "tier": "GOLD"}, actor=manager)

    changed = data_of(body)["changePartnerTier"]
    assert changed["tier"] == "GOLD"
    assert changed["tierHistory"][-1] == {
        "fromValue": "SILVER",
        "toValue": "GOLD",
        "reason": "Q3 revenue",
        "changedBy": {"email": manager.user.email},
    }
    assert errors_of(same) == [("BAD_USER_INPUT", "tier")]


async def test_partner_admin_edits_only_the_self_service_fields(factory: Factory) -> None:
    partner = await factory.partner(city="Boston")
    partner_admin = await factory.partner_admin(partner)
    colleague = await factory.user(partner.id, Role.PARTNER_USER)

    own = await factory.gql(
        UPDATE,
        {"id": partner.id, "input": {"website": "https://acme.test", "city": "Cambridge"}},
        actor=partner_admin,
    )
    capacity = await factory.gql(
        UPDATE, {"id": partner.id, "input": {"leadCapacity": 999}}, actor=partner_admin
    )
    by_user = await factory.gql(
        UPDATE, {"id": partner.id, "input": {"city": "Nowhere"}}, actor=colleague
    )
    tier = await factory.gql(
        "mutation($id: ID!) { changePartnerTier(id: $id, tier: PLATINUM) { tier } }",
        {"id": partner.id},
        actor=partner_admin,
    )

    assert data_of(own)["updatePartner"]["city"] == "Cambridge"
    assert errors_of(capacity) == [("FORBIDDEN", "leadCapacity")]
    assert errors_of(by_user) == [("FORBIDDEN", None)]
    assert errors_of(tier) == [("FORBIDDEN", None)]


async def test_a_partner_never_sees_or_changes_another_partner(factory: Factory) -> None:
    mine = await factory.partner("Mine")
    other = await factory.partner("Other")
    partner_admin = await factory.partner_admin(mine)

    read = await factory.gql(
        "query($id: ID!) { partner(id: $id) { name } }", {"id": other.id}, actor=partner_admin
    )
    write = await factory.gql(
        UPDATE, {"id": other.id, "input": {"city": "Hacked"}}, actor=partner_admin
    )
    listed = await factory.gql(PARTNERS, actor=partner_admin)
    searched = await factory.gql(PARTNERS, {"filter": {"search": "Other"}}, actor=partner_admin)

    assert errors_of(read) == [("NOT_FOUND", "id")]
    assert errors_of(write) == [("NOT_FOUND", "id")]
    assert names(listed) == ["Mine"]
    assert names(searched) == []


async def test_a_distributor_sees_its_sub_partners_and_they_see_it(factory: Factory) -> None:
    distributor = await factory.partner("Dist", type=PartnerType.DISTRIBUTOR)
    child_a = await factory.partner("Child A", parent_id=distributor.id)
    await factory.partner("Child B", parent_id=distributor.id)
    await factory.partner("Stranger")
    dist_admin = await factory.partner_admin(distributor)
    child_admin = await factory.partner_admin(child_a)

    from_distributor = await factory.gql(PARTNERS, actor=dist_admin)
    from_child = await factory.gql(PARTNERS, actor=child_admin)
    tree = await factory.gql(
        "query($id: ID!) { partner(id: $id) { subPartners { name } } }",
        {"id": distributor.id},
        actor=child_admin,
    )

    assert names(from_distributor) == ["Child A", "Child B", "Dist"]
    assert names(from_child) == ["Child A", "Dist"]
    assert data_of(tree)["partner"]["subPartners"] == [{"name": "Child A"}]


async def test_filters_and_pagination(factory: Factory) -> None:
    admin = await factory.vendor_admin()
    for index in range(5):
        await factory.partner(
            f"Gold {index}", tier=Tier.GOLD, country="DE", specializations=("CLOUD",)
        )
    await factory.partner("Silver US", tier=Tier.SILVER, country="US")
    await factory.partner("Platinum MSP", tier=Tier.PLATINUM, type=PartnerType.MSP, country="DE")

    first = await factory.gql(
        PARTNERS, {"first": 2, "filter": {"tiers": ["GOLD"], "country": "de"}}, actor=admin
    )
    page = data_of(first)["partners"]
    rest = await factory.gql(
        PARTNERS,
        {"first": 10, "after": page["pageInfo"]["endCursor"], "filter": {"tiers": ["GOLD"]}},
        actor=admin,
    )
    by_type = await factory.gql(PARTNERS, {"filter": {"types": ["MSP"]}}, actor=admin)
    by_line = await factory.gql(PARTNERS, {"filter": {"specialization": "cloud"}}, actor=admin)
    too_many = await factory.gql(PARTNERS, {"first": 101}, actor=admin)
    bad_cursor = await factory.gql(PARTNERS, {"after": "not-a-cursor"}, actor=admin)

    assert page["totalCount"] == 5 and page["pageInfo"]["hasNextPage"] is True
    assert names(first) == ["Gold 0", "Gold 1"]
    assert names(rest) == ["Gold 2", "Gold 3", "Gold 4"]
    assert data_of(rest)["partners"]["pageInfo"]["hasNextPage"] is False
    assert names(by_type) == ["Platinum MSP"]
    assert len(names(by_line)) == 5
    assert errors_of(too_many) == [("BAD_USER_INPUT", "first")]
    assert errors_of(bad_cursor) == [("BAD_USER_INPUT", "after")]


async def test_locator_sorts_by_distance_within_the_radius(factory: Factory) -> None:
    admin = await factory.vendor_admin()
    await factory.partner("Berlin", country="DE", latitude=52.52, longitude=13.405)
    await factory.partner("Potsdam", country="DE", latitude=52.3906, longitude=13.0645)
    await factory.partner("Munich", country="DE", latitude=48.1351, longitude=11.582)
    await factory.partner("Nowhere", country="DE")
    near = {"latitude": 52.5, "longitude": 13.4, "radiusKm": 100}

    body = await factory.gql(PARTNERS, {"first": 1, "filter": {"near": near}}, actor=admin)
    page = data_of(body)["partners"]
    rest = await factory.gql(
        PARTNERS, {"after": page["pageInfo"]["endCursor"], "filter": {"near": near}}, actor=admin
    )
    wide = await factory.gql(PARTNERS, {"filter": {"near": {**near, "radiusKm": 600}}}, actor=admin)
    bad = await factory.gql(PARTNERS, {"filter": {"near": {**near, "radiusKm": -5}}}, actor=admin)

    assert page["totalCount"] == 2
    assert names(body) == ["Berlin"]
    assert 2.0 < page["edges"][0]["node"]["distanceKm"] < 3.0
    assert names(rest) == ["Potsdam"]
    assert names(wide) == ["Berlin", "Potsdam", "Munich"]
    assert errors_of(bad) == [("BAD_USER_INPUT", "filter.near.radiusKm")]


APPLY = """
mutation($input: PartnerApplicationInput!) { applyAsPartner(input: $input) { id status tier } }"""


async def test_application_is_approved_then_the_contact_can_log_in(factory: Factory) -> None:
    admin = await factory.vendor_admin()
    application = {
        "name": "Newco",
        "type": "RESELLER",
        "country": "FR",
        "contact": {"name": "Nina", "email": "nina@newco.test", "password": "long enough pw"},
    }
    login = (
        'mutation { login(email: "nina@newco.test", password: "long enough pw") { user { role } } }'
    )

    applied = data_of(await factory.gql(APPLY, {"input": application}))["applyAsPartner"]
    before = await factory.gql(login)
    wrong_password = await factory.gql(login.replace("long enough pw", "not the password"))
    duplicate = await factory.gql(APPLY, {"input": application})
    approved = await factory.gql(
        "mutation($id: ID!) { approvePartnerApplication(id: $id) { status } }",
        {"id": applied["id"]},
        actor=admin,
    )
    after = await factory.gql(login)

    assert applied["status"] == "APPLICANT" and applied["tier"] == "REGISTERED"
    assert errors_of(before) == [("UNAUTHENTICATED", None)]
    assert "application is still being reviewed" in before["errors"][0]["message"]
    # Only the right password learns why: a wrong one gets the usual answer.
    assert wrong_password["errors"][0]["message"] == "the email or password is not correct"
    assert errors_of(duplicate) == [("CONFLICT", "contact.email")]
    assert data_of(approved)["approvePartnerApplication"]["status"] == "ONBOARDING"
    assert data_of(after)["login"]["user"]["role"] == "PARTNER_ADMIN"


async def test_rejected_application_keeps_the_reason(factory: Factory) -> None:
    admin = await factory.vendor_admin()
    application = {
        "name": "Shady",
        "type": "REFERRAL",
        "country": "GB",
        "contact": {"name": "Sam", "email": "sam@shady.test", "password": "long enough pw"},
    }
    applied = data_of(await factory.gql(APPLY, {"input": application}))["applyAsPartner"]
    reject = 'mutation($id: ID!) { rejectPartnerApplication(id: $id, reason: "no references") { status statusReason } }'

    rejected = await factory.gql(reject, {"id": applied["id"]}, actor=admin)
    twice = await factory.gql(reject, {"id": applied["id"]}, actor=admin)

    assert data_of(rejected)["rejectPartnerApplication"] == {
        "status": "TERMINATED",
        "statusReason": "no references",
    }
    assert errors_of(twice) == [("BAD_USER_INPUT", "id")]


async def test_territories_are_replaced_as_a_whole(factory: Factory) -> None:
    admin = await factory.vendor_admin()
    partner = await factory.partner(territories=(TerritoryInput(name="Old", countries=("US",)),))
    query = """mutation($id: ID!, $input: PartnerUpdateInput!) { updatePartner(id: $id, input: $input) { id } }"""
    read = "query($id: ID!) { partner(id: $id) { territories { name } } }"

    duplicate = await factory.gql(
        query,
        {
            "id": partner.id,
            "input": {
                "territories": [
                    {"name": "A", "countries": ["FR"]},
                    {"name": "a", "countries": ["DE"]},
                ]
            },
        },
        actor=admin,
    )
    unchanged = await factory.gql(read, {"id": partner.id}, actor=admin)
    await factory.gql(
        query,
        {"id": partner.id, "input": {"territories": [{"name": "New", "countries": ["CA"]}]}},
        actor=admin,
    )
    replaced = await factory.gql(read, {"id": partner.id}, actor=admin)

    assert errors_of(duplicate) == [("BAD_USER_INPUT", "territories.name")]
    assert data_of(unchanged)["partner"]["territories"] == [{"name": "Old"}]
    assert data_of(replaced)["partner"]["territories"] == [{"name": "New"}]


async def test_public_applications_are_throttled_per_client(factory: Factory) -> None:
    def application(index: int) -> dict[str, Any]:
        return {
            "name": f"Spam {index}",
            "type": "RESELLER",
            "country": "US",
            "contact": {
                "name": "S",
                "email": f"spam{index}@spam.test",
                "password": "long enough pw",
            },
        }

    accepted = [await factory.gql(APPLY, {"input": application(index)}) for index in range(10)]
    refused = await factory.gql(APPLY, {"input": application(10)})

    assert all("errors" not in body for body in accepted)
    assert errors_of(refused) == [("RATE_LIMITED", None)]
