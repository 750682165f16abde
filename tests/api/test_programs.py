"""Partner programs over the API, on PostgreSQL (S3) and the embedded SQLite (files): tiers'
benefits and requirements, agreements whose terms are versioned PDFs, acceptances (who, when,
which version; once however many race), and the onboarding checklist whose last item makes
an ONBOARDING partner ACTIVE."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from hub.demo import files
from hub.orders import catalog
from hub.orders.catalog import ProductInput
from hub.partners.rules import PartnerStatus
from hub.roles import Role
from storage.models.programs import AgreementAcceptance, AgreementVersion
from tests.api.test_cobranding import fetched
from tests.api.test_uploads import settings  # noqa: F401 (PostgreSQL runs on the S3 store)
from tests.conftest import data_of
from tests.factories import Actor, Factory, errors_of
from tests.lists import _caller, _certify

CREATE = """mutation($input: PartnerProgramInput!) { createPartnerProgram(input: $input) {
  id status version tiers { tier benefits requirements } } }"""
UPDATE = """mutation($id: ID!, $input: PartnerProgramChangesInput!, $v: Int) {
  updatePartnerProgram(id: $id, input: $input, expectedVersion: $v) { id status version } }"""
AGREEMENT = """mutation($input: AgreementInput!) { createAgreement(input: $input) {
  id title required currentNumber } }"""
PUBLISH = """mutation($id: ID!, $file: Upload!, $summary: String!) {
  publishAgreementVersion(agreementId: $id, file: $file, summary: $summary) {
  id number summary fileName contentType size downloadUrl } }"""
ACCEPT = """mutation($id: ID!) { acceptAgreement(versionId: $id) { id number acceptedAt
  acceptedById agreementId partner { name } } }"""
PROGRAM = """query($id: ID!) { partnerProgram(id: $id) { name status
  tiers { tier benefits requirements }
  agreements { title required currentNumber accepted currentVersion { id number }
    versions { number summary } acceptances { number partner { name } } } } }"""
PROGRAMS = """query { partnerPrograms { totalCount edges { node { name status } } } }"""
ONBOARDING = """query($id: ID!) { partner(id: $id) { status
  onboarding { complete items { key done detail } } } }"""
ACTIVATE_PARTNER = """mutation($id: ID!, $status: PartnerStatus!) {
  changePartnerStatus(id: $id, status: $status) { status } }"""
PROFILE = """mutation($id: ID!, $input: PartnerUpdateInput!) {
  updatePartner(id: $id, input: $input) { status } }"""
FULL_PROFILE = {
    "legalName": "Acme Networks Ltd",
    "street": "1 Main St",
    "city": "Springfield",
    "postalCode": "12345",
    "website": "https://acme.example",
    "description": "Networks for clinics.",
}
TIERS = [
    {"tier": "GOLD", "benefits": ["30% discount", "MDF"], "requirements": ["2 certified users"]},
    {"tier": "SILVER", "benefits": ["20% discount"], "requirements": []},
]


def terms(edition: str) -> bytes:
    return files.pdf("Reseller agreement", [f"Edition {edition}", "The partner agrees."])


async def program(factory: Factory, vendor: Actor, *, publish: bool = True) -> dict[str, Any]:
    made = data_of(
        await factory.gql(
            CREATE, {"input": {"name": "Reseller program 2027", "tiers": TIERS}}, actor=vendor
        )
    )["createPartnerProgram"]
    if publish:
        data_of(
            await factory.gql(
                UPDATE, {"id": made["id"], "input": {"status": "PUBLISHED"}}, actor=vendor
            )
        )
    found: dict[str, Any] = made
    return found


async def agreement(factory: Factory, vendor: Actor, program_id: str, title: str) -> str:
    given = {"programId": program_id, "title": title}
    made = data_of(await factory.gql(AGREEMENT, {"input": given}, actor=vendor))
    found: str = made["createAgreement"]["id"]
    return found


async def publish(
    factory: Factory, vendor: Actor, agreement_id: str, data: bytes, name: str = "terms.pdf"
) -> dict[str, Any]:
    return await factory.multipart(
        PUBLISH,
        {"id": agreement_id, "summary": "First edition"},
        {"file": (name, data)},
        actor=vendor,
    )


async def test_a_program_with_tiers_and_versioned_agreements_partners_accept(
    any_factory: Factory,
) -> None:
    factory = any_factory
    vendor = await factory.vendor_admin()
    acme = await factory.partner("Acme")
    admin = await factory.user(acme.id, Role.PARTNER_ADMIN)
    seller = await factory.user(acme.id, Role.PARTNER_USER)
    other = await factory.user((await factory.partner("Other")).id, Role.PARTNER_ADMIN)
    made = await program(factory, vendor)
    assert made["tiers"] == TIERS and made["status"] == "DRAFT"
    terms_id = await agreement(factory, vendor, made["id"], "Reseller agreement")

    first = data_of(await publish(factory, vendor, terms_id, terms("1")))
    version = first["publishAgreementVersion"]
    assert (version["number"], version["contentType"], version["fileName"]) == (
        1,
        "application/pdf",
        "terms.pdf",
    )
    assert await fetched(factory, version["downloadUrl"]) == terms("1")  # the very PDF

    refused_user = await factory.gql(ACCEPT, {"id": version["id"]}, actor=seller)
    assert errors_of(refused_user) == [("FORBIDDEN", None)]
    accepted = data_of(await factory.gql(ACCEPT, {"id": version["id"]}, actor=admin))
    assert accepted["acceptAgreement"]["number"] == 1
    assert accepted["acceptAgreement"]["acceptedById"] == admin.principal.user_id
    assert accepted["acceptAgreement"]["partner"] == {"name": "Acme"}

    # A second version: the first is no longer acceptable, the second is to be accepted.
    second = data_of(await publish(factory, vendor, terms_id, terms("2")))
    newer = second["publishAgreementVersion"]
    assert newer["number"] == 2
    stale = await factory.gql(ACCEPT, {"id": version["id"]}, actor=other)
    assert errors_of(stale) == [("CONFLICT", "versionId")]
    seen = data_of(await factory.gql(PROGRAM, {"id": made["id"]}, actor=admin))["partnerProgram"]
    [terms_seen] = seen["agreements"]
    assert (terms_seen["currentNumber"], terms_seen["accepted"]) == (2, False)
    assert [v["number"] for v in terms_seen["versions"]] == [2, 1]
    assert terms_seen["currentVersion"]["id"] == newer["id"]
    # Racing acceptances by the same organization record one.
    raced = await asyncio.gather(
        *(factory.gql(ACCEPT, {"id": newer["id"]}, actor=admin) for _ in range(6))
    )
    assert len({data_of(body)["acceptAgreement"]["id"] for body in raced}) == 1
    data_of(await factory.gql(ACCEPT, {"id": newer["id"]}, actor=other))
    async with factory.hub.read() as session:
        count = await session.scalar(select(func.count()).select_from(AgreementAcceptance))
    assert count == 3  # Acme's version 1 and 2, Other's version 2

    mine = data_of(await factory.gql(PROGRAM, {"id": made["id"]}, actor=admin))["partnerProgram"]
    assert mine["agreements"][0]["accepted"] is True
    assert [(a["number"], a["partner"]["name"]) for a in mine["agreements"][0]["acceptances"]] == [
        (1, "Acme"),
        (2, "Acme"),
    ]
    everyone = data_of(await factory.gql(PROGRAM, {"id": made["id"]}, actor=vendor))
    names = [
        a["partner"]["name"] for a in everyone["partnerProgram"]["agreements"][0]["acceptances"]
    ]
    assert sorted(names) == ["Acme", "Acme", "Other"]


async def test_the_last_onboarding_item_makes_the_partner_active(any_factory: Factory) -> None:
    factory = any_factory
    vendor = await factory.vendor_admin()
    await catalog.create(
        factory.hub,
        principal=vendor.principal,
        data=ProductInput("SW-24", "Switch", "NETWORKING", {"USD": 100}),
    )
    newcomer = await factory.partner("Newcomer", status=PartnerStatus.ONBOARDING)
    admin = await factory.user(newcomer.id, Role.PARTNER_ADMIN)
    made = await program(factory, vendor)
    terms_id = await agreement(factory, vendor, made["id"], "Reseller agreement")
    await agreement(factory, vendor, made["id"], "Code of conduct")  # no version yet: not due
    version = data_of(await publish(factory, vendor, terms_id, terms("1")))
    version_id = version["publishAgreementVersion"]["id"]

    async def checklist() -> dict[str, Any]:
        found: dict[str, Any] = data_of(
            await factory.gql(ONBOARDING, {"id": newcomer.id}, actor=admin)
        )["partner"]
        return found

    before = await checklist()
    assert before["status"] == "ONBOARDING" and before["onboarding"]["complete"] is False
    assert [(i["key"], i["done"]) for i in before["onboarding"]["items"]] == [
        ("AGREEMENTS_ACCEPTED", False),
        ("USER_CERTIFIED", False),
        ("PROFILE_COMPLETE", False),
    ]
    assert before["onboarding"]["items"][0]["detail"] == "to accept: Reseller agreement (version 1)"

    # Vendor staff may not activate the partner before it accepted its agreements.
    early = await factory.gql(
        ACTIVATE_PARTNER, {"id": newcomer.id, "status": "ACTIVE"}, actor=vendor
    )
    assert errors_of(early) == [("CONFLICT", "status")]
    assert "Reseller agreement (version 1)" in early["errors"][0]["message"]
    data_of(await factory.gql(ACCEPT, {"id": version_id}, actor=admin))
    own = {key: value for key, value in FULL_PROFILE.items() if key != "legalName"}
    data_of(await factory.gql(PROFILE, {"id": newcomer.id, "input": own}, actor=admin))
    left = (await checklist())["onboarding"]["items"][2]
    assert (left["done"], left["detail"]) == (False, "missing: legalName")
    legal = {"legalName": FULL_PROFILE["legalName"]}  # the vendor keeps the legal name
    data_of(await factory.gql(PROFILE, {"id": newcomer.id, "input": legal}, actor=vendor))
    halfway = await checklist()
    assert halfway["status"] == "ONBOARDING"
    assert [i["done"] for i in halfway["onboarding"]["items"]] == [True, False, True]

    await _certify(_caller(factory), vendor, admin, "Routing basics")  # the last item
    after = await checklist()
    assert after["status"] == "ACTIVE" and after["onboarding"]["complete"] is True

    # Another partner never sees the checklist.
    stranger = await factory.user((await factory.partner("Stranger")).id, Role.PARTNER_ADMIN)
    seen = await factory.gql(ONBOARDING, {"id": newcomer.id}, actor=stranger)
    assert "errors" in seen or data_of(seen)["partner"]["onboarding"] is None


async def test_bad_programs_and_agreements_are_refused_and_keep_nothing(
    any_factory: Factory,
) -> None:
    factory = any_factory
    vendor = await factory.vendor_admin()
    admin = await factory.user((await factory.partner("Acme")).id, Role.PARTNER_ADMIN)
    for given, field in [
        ({"name": " "}, "input.name"),
        ({"name": "P", "tiers": [TIERS[0], TIERS[0]]}, "input.tiers"),
        ({"name": "P", "tiers": [{"tier": "GOLD", "benefits": ["x" * 501]}]},
         "input.tiers.0.benefits.0"),
        ({"name": "P", "tiers": [{"tier": "GOLD", "benefits": ["b"] * 31}]},
         "input.tiers.0.benefits"),
        ({"name": "a\x00b"}, "input.name"),
    ]:  # fmt: skip
        refused = await factory.gql(CREATE, {"input": given}, actor=vendor)
        assert errors_of(refused) == [("BAD_USER_INPUT", field)], given
    assert errors_of(await factory.gql(CREATE, {"input": {"name": "P"}}, actor=admin)) == [
        ("FORBIDDEN", None)
    ]
    assert data_of(await factory.gql(PROGRAMS, actor=vendor))["partnerPrograms"]["totalCount"] == 0

    draft = await program(factory, vendor, publish=False)
    terms_id = await agreement(factory, vendor, draft["id"], "Terms")
    exe = b"MZ\x90\x00" + b"\x00" * 200  # a Windows executable named as a PDF
    for data, name in [(exe, "terms.pdf"), (b"plain words", "terms.pdf"), (b"", "terms.pdf")]:
        refused = await publish(factory, vendor, terms_id, data, name)
        assert errors_of(refused) == [("BAD_USER_INPUT", "file")], name
    traversal = data_of(await publish(factory, vendor, terms_id, terms("1"), "../../etc/x.pdf"))
    assert "/" not in traversal["publishAgreementVersion"]["fileName"]
    async with factory.hub.read() as session:
        count = await session.scalar(select(func.count()).select_from(AgreementVersion))
    assert count == 1
    # A draft program is hidden from partners: its versions cannot be accepted.
    version_id = traversal["publishAgreementVersion"]["id"]
    assert errors_of(await factory.gql(ACCEPT, {"id": version_id}, actor=admin)) == [
        ("NOT_FOUND", "versionId")
    ]
    assert errors_of(await factory.gql(PROGRAM, {"id": draft["id"]}, actor=admin)) == [
        ("NOT_FOUND", "id")
    ]
    assert data_of(await factory.gql(PROGRAMS, actor=admin))["partnerPrograms"]["totalCount"] == 0
    stale = await factory.gql(
        UPDATE, {"id": draft["id"], "input": {"status": "PUBLISHED"}, "v": 9}, actor=vendor
    )
    assert errors_of(stale) == [("CONFLICT", "expectedVersion")]
    jump = await factory.gql(
        UPDATE, {"id": draft["id"], "input": {"status": "RETIRED"}}, actor=vendor
    )
    assert errors_of(jump) == [("CONFLICT", "input.status")]
    unknown = await factory.gql(
        AGREEMENT, {"input": {"programId": "x", "title": "T"}}, actor=vendor
    )
    assert errors_of(unknown) == [("NOT_FOUND", "input.programId")]


APPLY = """mutation($input: PartnerApplicationInput!) { applyAsPartner(input: $input) { id } }"""
STAGES = "mutation($s: [RecruitmentStageInput!]!) { setRecruitmentStages(stages: $s) { code } }"
LIST_STAGES = "{ recruitmentStages { code name } }"
ASSIGN = """mutation($p: ID!, $o: ID!) { assignPartnerApplication(partnerId: $p, ownerId: $o) {
  ownerId stage version } }"""
MOVE = """mutation($p: ID!, $s: String!, $v: Int) {
  movePartnerApplication(partnerId: $p, stage: $s, expectedVersion: $v) { stage version } }"""
NOTE = """mutation($p: ID!, $b: String!) { addApplicationNote(partnerId: $p, body: $b) {
  body authorId } }"""
DOCUMENT = """mutation($p: ID!, $t: String!, $file: Upload!) {
  uploadApplicationDocument(partnerId: $p, title: $t, file: $file) {
  title fileName contentType downloadUrl } }"""
APPLICATIONS = """query($filter: PartnerApplicationFilter) { partnerApplications(filter: $filter) {
  totalCount edges { node { stage ownerId version partner { name status }
  notes { body } documents { title contentType } } } } }"""
APPLICATION = """query($p: ID!) { partnerApplication(partnerId: $p) { stage
  partner { name } } }"""


def application(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "RESELLER",
        "country": "US",
        "contact": {
            "name": "Ann Applicant",
            "email": f"ann@{name.lower()}.example",
            "password": "a long enough passphrase",
        },
    }


async def test_applications_are_vetted_through_the_vendors_stages(any_factory: Factory) -> None:
    factory = any_factory
    vendor = await factory.vendor_admin()
    manager = await factory.user(vendor.principal.organization_id, Role.CHANNEL_MANAGER)
    partner_admin = await factory.user((await factory.partner("Acme")).id, Role.PARTNER_ADMIN)
    applied = [
        data_of(await factory.gql(APPLY, {"input": application(name)}))["applyAsPartner"]["id"]
        for name in ("Zeta", "Eta")
    ]
    zeta, eta = applied
    assert data_of(await factory.gql(LIST_STAGES, actor=vendor))["recruitmentStages"] == [
        {"code": "SUBMITTED", "name": "Submitted"},
        {"code": "QUALIFYING", "name": "Qualifying"},
        {"code": "CONTRACTING", "name": "Contracting"},
    ]
    stages = [
        {"code": "SUBMITTED", "name": "Submitted"},
        {"code": "QUALIFYING", "name": "Qualifying"},
        {"code": "CREDIT_CHECK", "name": "Credit check"},
        {"code": "CONTRACTING", "name": "Contracting"},
    ]
    data_of(await factory.gql(STAGES, {"s": stages}, actor=vendor))

    owned = data_of(
        await factory.gql(ASSIGN, {"p": zeta, "o": manager.principal.user_id}, actor=vendor)
    )
    assert owned["assignPartnerApplication"] == {
        "ownerId": manager.principal.user_id,
        "stage": "SUBMITTED",
        "version": 1,
    }
    moved = data_of(
        await factory.gql(MOVE, {"p": zeta, "s": "CREDIT_CHECK", "v": 1}, actor=manager)
    )
    assert moved["movePartnerApplication"] == {"stage": "CREDIT_CHECK", "version": 2}
    stale = await factory.gql(MOVE, {"p": zeta, "s": "CONTRACTING", "v": 1}, actor=manager)
    assert errors_of(stale) == [("CONFLICT", "expectedVersion")]
    data_of(await factory.gql(NOTE, {"p": zeta, "b": "Strong clinic references."}, actor=manager))
    sent = await factory.multipart(
        DOCUMENT, {"p": zeta, "t": "Reseller certificate"}, {"file": ("cert.pdf", terms("c"))},
        actor=manager,
    )  # fmt: skip
    document = data_of(sent)["uploadApplicationDocument"]
    assert (document["contentType"], document["fileName"]) == ("application/pdf", "cert.pdf")
    assert await fetched(factory, document["downloadUrl"]) == terms("c")

    listed = data_of(await factory.gql(APPLICATIONS, actor=vendor))["partnerApplications"]
    by_name = {edge["node"]["partner"]["name"]: edge["node"] for edge in listed["edges"]}
    assert set(by_name) == {"Zeta", "Eta"}
    assert by_name["Eta"] == {
        "stage": "SUBMITTED",
        "ownerId": None,
        "version": 0,
        "partner": {"name": "Eta", "status": "APPLICANT"},
        "notes": [],
        "documents": [],
    }
    assert by_name["Zeta"]["notes"] == [{"body": "Strong clinic references."}]
    assert by_name["Zeta"]["documents"] == [
        {"title": "Reseller certificate", "contentType": "application/pdf"}
    ]
    for filter, names in [
        ({"stages": ["CREDIT_CHECK"]}, ["Zeta"]),
        ({"stages": ["SUBMITTED"]}, ["Eta"]),
        ({"ownerId": manager.principal.user_id}, ["Zeta"]),
    ]:
        found = data_of(await factory.gql(APPLICATIONS, {"filter": filter}, actor=vendor))
        assert [
            e["node"]["partner"]["name"] for e in found["partnerApplications"]["edges"]
        ] == names

    # A stage in use stays; bad stages, owners and documents are refused with their field.
    in_use = await factory.gql(STAGES, {"s": stages[:2]}, actor=vendor)
    assert errors_of(in_use) == [("CONFLICT", "stages")]
    for variables, field in [
        ({"s": []}, "stages"),
        ({"s": [{"code": "bad code", "name": "x"}]}, "stages.0.code"),
        ({"s": [stages[0], stages[0]]}, "stages"),
    ]:
        assert errors_of(await factory.gql(STAGES, variables, actor=vendor)) == [
            ("BAD_USER_INPUT", field)
        ]
    not_staff = await factory.gql(
        ASSIGN, {"p": eta, "o": partner_admin.principal.user_id}, actor=vendor
    )
    assert errors_of(not_staff) == [("NOT_FOUND", "ownerId")]
    unknown_stage = await factory.gql(MOVE, {"p": eta, "s": "NOPE"}, actor=vendor)
    assert errors_of(unknown_stage) == [("BAD_USER_INPUT", "stage")]
    exe = await factory.multipart(
        DOCUMENT, {"p": eta, "t": "Scan"}, {"file": ("scan.pdf", b"MZ\x90\x00" + b"\x00" * 300)},
        actor=vendor,
    )  # fmt: skip
    assert errors_of(exe) == [("BAD_USER_INPUT", "file")]
    # Partners learn nothing of applications.
    for query, variables in [
        (APPLICATIONS, {}),
        (APPLICATION, {"p": zeta}),
        (NOTE, {"p": zeta, "b": "x"}),
        (LIST_STAGES, {}),
    ]:
        assert errors_of(await factory.gql(query, variables, actor=partner_admin)) == [
            ("FORBIDDEN", None)
        ]
    assert errors_of(await factory.gql(APPLICATION, {"p": "nope"}, actor=vendor)) == [
        ("NOT_FOUND", "partnerId")
    ]


async def test_racing_stage_changes_and_moves_keep_every_application_at_a_known_stage(
    any_factory: Factory,
) -> None:
    factory = any_factory
    vendor = await factory.vendor_admin()
    zeta = data_of(await factory.gql(APPLY, {"input": application("Zeta")}))["applyAsPartner"]["id"]
    short = [{"code": "SUBMITTED", "name": "Submitted"}, {"code": "DONE", "name": "Done"}]
    long = [*short, {"code": "EXTRA", "name": "Extra"}]
    data_of(await factory.gql(STAGES, {"s": long}, actor=vendor))

    raced = await asyncio.gather(
        factory.gql(MOVE, {"p": zeta, "s": "EXTRA"}, actor=vendor),
        *(factory.gql(STAGES, {"s": short}, actor=vendor) for _ in range(3)),
    )
    codes = [errors_of(body)[0][0] if "errors" in body else "OK" for body in raced]
    assert set(codes) <= {"OK", "CONFLICT", "BAD_USER_INPUT"}, raced
    stages = [
        s["code"]
        for s in data_of(await factory.gql(LIST_STAGES, actor=vendor))["recruitmentStages"]
    ]
    found = data_of(await factory.gql(APPLICATION, {"p": zeta}, actor=vendor))
    assert found["partnerApplication"]["stage"] in stages
