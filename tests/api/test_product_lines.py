"""Product lines: a vendor-managed list, and a typo refused wherever a record is written."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.api.test_assets import PDF, upload
from tests.conftest import data_of
from tests.factories import PRODUCT_LINES, Actor, Factory, errors_of

LIST = """query($filter: ProductLineFilter) { productLines(first: 50, filter: $filter) {
  totalCount edges { node { code name description active } } } }"""
CREATE = """mutation($input: ProductLineInput!) {
  createProductLine(input: $input) { code name description active } }"""
UPDATE = """mutation($code: String!, $input: ProductLineUpdateInput!) {
  updateProductLine(code: $code, input: $input) { code name description active } }"""
CREATE_LEAD = """mutation($line: String!) { createLead(input: {customerCompany: "Globex",
  country: "US", productLine: $line}, route: false) { id productLine } }"""
LEADS = "{ leads { totalCount } }"


def codes(body: dict[str, Any]) -> list[str]:
    return [edge["node"]["code"] for edge in data_of(body)["productLines"]["edges"]]


async def test_vendor_staff_manage_the_list_and_every_user_reads_it(any_factory: Factory) -> None:
    vendor = await any_factory.vendor_admin()
    partner = await any_factory.partner("Alpha")
    seller = await any_factory.partner_admin(partner)

    created = await any_factory.gql(
        CREATE,
        {"input": {"code": "wireless access", "name": "Wireless", "description": "Wi-Fi"}},
        actor=vendor,
    )
    again = await any_factory.gql(
        CREATE, {"input": {"code": "WIRELESS_ACCESS", "name": "Twice"}}, actor=vendor
    )
    by_partner = await any_factory.gql(
        CREATE, {"input": {"code": "MINE", "name": "Mine"}}, actor=seller
    )
    bad_code = await any_factory.gql(
        CREATE, {"input": {"code": "net/../work", "name": "Bad"}}, actor=vendor
    )
    no_name = await any_factory.gql(CREATE, {"input": {"code": "EMPTY", "name": " "}}, actor=vendor)
    anonymous = await any_factory.gql(LIST)

    assert data_of(created)["createProductLine"] == {
        "code": "WIRELESS_ACCESS",
        "name": "Wireless",
        "description": "Wi-Fi",
        "active": True,
    }
    assert errors_of(again) == [("CONFLICT", "code")]
    assert errors_of(by_partner) == [("FORBIDDEN", None)]
    retire_by_partner = await any_factory.gql(
        UPDATE, {"code": "CLOUD", "input": {"active": False}}, actor=seller
    )
    assert errors_of(retire_by_partner) == [("FORBIDDEN", None)]
    assert errors_of(bad_code) == [("BAD_USER_INPUT", "code")]
    assert errors_of(no_name) == [("BAD_USER_INPUT", "name")]
    assert errors_of(anonymous) == [("UNAUTHENTICATED", None)]
    assert codes(await any_factory.gql(LIST, actor=seller)) == sorted(
        [*PRODUCT_LINES, "WIRELESS_ACCESS"]
    )
    searched = await any_factory.gql(LIST, {"filter": {"search": "wire"}}, actor=seller)
    assert codes(searched) == ["WIRELESS_ACCESS"]


async def test_the_same_line_created_at_once_is_created_once(any_factory: Factory) -> None:
    vendor = await any_factory.vendor_admin()

    answers = await asyncio.gather(
        *(
            any_factory.gql(CREATE, {"input": {"code": "ROUTERS", "name": f"R{n}"}}, actor=vendor)
            for n in range(6)
        )
    )

    assert sorted(errors_of(answer) or [("OK", None)] for answer in answers) == sorted(
        [[("CONFLICT", "code")]] * 5 + [[("OK", None)]]
    )
    listed = await any_factory.gql(LIST, {"filter": {"search": "routers"}}, actor=vendor)
    assert data_of(listed)["productLines"]["totalCount"] == 1


async def test_a_typo_makes_a_lead_bad_input_naming_the_known_lines(
    any_factory: Factory,
) -> None:
    vendor = await any_factory.vendor_admin()

    typo = await any_factory.gql(CREATE_LEAD, {"line": "NETWRKING"}, actor=vendor)
    fine = await any_factory.gql(CREATE_LEAD, {"line": "networking"}, actor=vendor)

    assert errors_of(typo) == [("BAD_USER_INPUT", "productLine")]
    message = typo["errors"][0]["message"]
    assert message.startswith("unknown product line 'NETWRKING'; the product lines are: ")
    assert ", ".join(sorted(PRODUCT_LINES)) in message
    assert "createProductLine" in message
    assert data_of(fine)["createLead"]["productLine"] == "NETWORKING"
    assert data_of(await any_factory.gql(LEADS, actor=vendor))["leads"]["totalCount"] == 1


async def test_a_retired_line_stays_on_its_records_and_no_new_one_may_use_it(
    any_factory: Factory,
) -> None:
    vendor = await any_factory.vendor_admin()
    product = """mutation($sku: String!, $input: ProductUpdateInput!) {
      updateProduct(sku: $sku, input: $input) { productLine name } }"""
    data_of(
        await any_factory.gql(
            """mutation { createProduct(input: {sku: "ST-1", name: "Array", productLine: "STORAGE",
              listPrices: [{amountMinor: 100, currency: "USD"}]}) { sku } }""",
            actor=vendor,
        )
    )

    retired = await any_factory.gql(
        UPDATE,
        {"code": "storage", "input": {"active": False, "name": "Storage (old)"}},
        actor=vendor,
    )
    new_lead = await any_factory.gql(CREATE_LEAD, {"line": "STORAGE"}, actor=vendor)
    kept = await any_factory.gql(
        product,
        {"sku": "ST-1", "input": {"productLine": "STORAGE", "name": "Array 2"}},
        actor=vendor,
    )
    listed = await any_factory.gql(LIST, actor=vendor)
    with_retired = await any_factory.gql(LIST, {"filter": {"includeRetired": True}}, actor=vendor)
    unknown = await any_factory.gql(
        UPDATE, {"code": "NOPE", "input": {"active": True}}, actor=vendor
    )
    reactivated = await any_factory.gql(
        UPDATE,
        {"code": "STORAGE", "input": {"active": True, "description": "Arrays"}},
        actor=vendor,
    )
    later_lead = await any_factory.gql(CREATE_LEAD, {"line": "STORAGE"}, actor=vendor)

    assert data_of(retired)["updateProductLine"] == {
        "code": "STORAGE",
        "name": "Storage (old)",
        "description": None,
        "active": False,
    }
    assert errors_of(new_lead) == [("BAD_USER_INPUT", "productLine")]
    assert new_lead["errors"][0]["message"].startswith("the product line 'STORAGE' is retired")
    assert "updateProductLine" in new_lead["errors"][0]["message"]
    assert data_of(kept)["updateProduct"] == {"productLine": "STORAGE", "name": "Array 2"}
    assert "STORAGE" not in codes(listed)
    assert "STORAGE" in codes(with_retired)
    assert errors_of(unknown) == [("NOT_FOUND", "code")]
    assert data_of(reactivated)["updateProductLine"]["description"] == "Arrays"
    assert data_of(later_lead)["createLead"]["productLine"] == "STORAGE"


async def test_every_write_that_takes_a_product_line_refuses_an_unknown_one(
    any_factory: Factory,
) -> None:
    vendor = await any_factory.vendor_admin()
    partner = await any_factory.partner("Alpha")
    seller = await any_factory.partner_admin(partner)
    typo = "NETWRKING"
    module = {"title": "m", "lessons": [{"title": "l", "url": "https://learn.example/l"}]}
    story = {"title": "t", "problem": "p", "approach": "a", "outcome": "o"}
    value = {"amountMinor": 1000, "currency": "USD"}
    course = data_of(
        await any_factory.gql(
            "mutation($input: CourseInput!) { createCourse(input: $input) { id } }",
            {"input": {"title": "Basics", "estimatedMinutes": 5, "modules": [module]}},
            actor=vendor,
        )
    )["createCourse"]["id"]
    calls: list[tuple[str, Actor | None, str, dict[str, Any]]] = [
        (
            "productLine",
            seller,
            "mutation($input: DealInput!) { registerDeal(input: $input) { id } }",
            {
                "input": {
                    "customerCompany": "Initech",
                    "country": "US",
                    "productLine": typo,
                    "value": value,
                }
            },
        ),
        (
            "productLine",
            vendor,
            "mutation($input: ProductInput!) { createProduct(input: $input) { sku } }",
            {
                "input": {
                    "sku": "SW-1",
                    "name": "Switch",
                    "productLine": typo,
                    "listPrices": [value],
                }
            },
        ),
        (
            "specializations",
            vendor,
            "mutation($id: ID!, $input: PartnerUpdateInput!) { updatePartner(id: $id, input: $input) { id } }",
            {"id": partner.id, "input": {"specializations": ["CLOUD", typo]}},
        ),
        (
            "specializations",
            None,
            "mutation($input: PartnerApplicationInput!) { applyAsPartner(input: $input) { id } }",
            {
                "input": {
                    "name": "Newco",
                    "type": "RESELLER",
                    "country": "FR",
                    "contact": {"name": "N", "email": "n@newco.test", "password": "long enough pw"},
                    "specializations": [typo],
                }
            },
        ),
        (
            "productLine",
            vendor,
            """mutation($line: String!) { setTierRequirement(tier: GOLD, productLine: $line,
              certifiedUsers: 1) { tier } }""",
            {"line": typo},
        ),
        (
            "requiredCertifications",
            vendor,
            """mutation($input: LeadSettingsInput!) { updateLeadSettings(input: $input) {
              requiredCertifications } }""",
            {"input": {"requiredCertifications": [typo]}},
        ),
        (
            "input.productLines",
            vendor,
            "mutation($input: CourseInput!) { createCourse(input: $input) { id } }",
            {
                "input": {
                    "title": "t",
                    "estimatedMinutes": 5,
                    "modules": [module],
                    "productLines": [typo],
                }
            },
        ),
        (
            "input.productLine",
            vendor,
            """mutation($input: CertificationDefinitionInput!) {
              createCertificationDefinition(input: $input) { id } }""",
            {
                "input": {
                    "name": "n",
                    "productLine": typo,
                    "validityDays": 9,
                    "requiredCourseIds": [course],
                }
            },
        ),
        (
            "productLines",
            vendor,
            "mutation($input: ArticleInput!) { createArticle(input: $input) { id } }",
            {"input": {"title": "t", "body": "b", "productLines": [typo]}},
        ),
        (
            "productLines",
            seller,
            "mutation($input: BestPracticeInput!) { submitBestPractice(input: $input) { id } }",
            {"input": {**story, "productLines": [typo]}},
        ),
    ]

    for field, actor, query, variables in calls:
        answer = await any_factory.gql(query, variables, actor=actor)
        assert errors_of(answer) == [("BAD_USER_INPUT", field)], query
        assert f"unknown product line '{typo}'" in answer["errors"][0]["message"], query
    asset = await upload(
        any_factory,
        vendor,
        PDF,
        "a.pdf",
        {"title": "A", "kind": "DATASHEET", "productLines": [typo]},
    )
    assert errors_of(asset.json()) == [("BAD_USER_INPUT", "productLines")]
    direct = await any_factory.gql(
        """mutation($input: AssetUploadInput!) { createAssetUpload(input: $input) { uploadId } }""",
        {
            "input": {
                "fileName": "a.pdf",
                "size": len(PDF),
                "asset": {"title": "A", "kind": "DATASHEET", "productLines": [typo]},
            }
        },
        actor=vendor,
    )
    assert errors_of(direct) == [("BAD_USER_INPUT", "input.asset.productLines")]

    # Nothing was written by any of them.
    counts = data_of(
        await any_factory.gql(
            """{ dealRegistrations { totalCount } products { totalCount } courses { totalCount }
              certificationDefinitions { totalCount } articles { totalCount }
              bestPractices { totalCount } assets { totalCount } partners { totalCount }
              partner: partners(filter: {specialization: "CLOUD"}) { totalCount }
              tierRequirements { tier } leadSettings { requiredCertifications } }""",
            actor=vendor,
        )
    )
    assert counts == {
        **{name: {"totalCount": 0} for name in ("dealRegistrations", "products")},
        "courses": {"totalCount": 1},
        **{name: {"totalCount": 0} for name in ("certificationDefinitions", "articles")},
        **{name: {"totalCount": 0} for name in ("bestPractices", "assets")},
        "partners": {"totalCount": 1},
        "partner": {"totalCount": 0},
        "tierRequirements": [],
        "leadSettings": {"requiredCertifications": []},
    }
