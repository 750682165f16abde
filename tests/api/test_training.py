"""Training over GraphQL: authoring, answer key never shown to partners, tenancy, tier
compliance, routing by certification and pages whose statements do not grow."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from starlette.applications import Starlette

from hub.assets import service as asset_service
from hub.assets.rules import AssetInput, AssetKind
from hub.audience import Audience
from hub.knowledge import articles
from hub.knowledge.rules import ArticleInput, ArticleStatus
from hub.partners import TerritoryInput, Tier
from hub.roles import Role
from hub.runtime import Hub
from tests.api.test_query_count import counted
from tests.conftest import data_of
from tests.factories import Actor, Factory, errors_of

PDF = b"%PDF-1.7\n" + b"course material " * 200
CREATE_COURSE = """
mutation($input: CourseInput!) {
  createCourse(input: $input) {
    id title requiredTier published
    modules { title lessons { id kind title } }
    assessment { passMark maxAttempts questions { id prompt options } }
  }
}"""
READ_COURSE = """
query($id: ID!) {
  course(id: $id) {
    title
    modules { title lessons { kind title url articleId asset { title } article { title } } }
    assessment { passMark maxAttempts questions { id prompt options correctOptions } }
  }
}"""
ENROL = "mutation($id: ID!) { enrol(courseId: $id) { id cycle completed } }"
COMPLETE = """
mutation($e: ID!, $l: ID!) {
  completeLesson(enrolmentId: $e, lessonId: $l) { completed completedLessons { lessonId } }
}"""
SUBMIT = """
mutation($e: ID!, $answers: [AnswerInput!]!) {
  submitAssessment(enrolmentId: $e, answers: $answers) {
    attemptsLeft
    attempt { number score passed wrongQuestionIds }
    enrolment { completed attempts { number score } }
  }
}"""
DEFINE = """
mutation($input: CertificationDefinitionInput!) {
  createCertificationDefinition(input: $input) { id name productLine requiredCourses { title } }
}"""
CERTIFICATIONS = """
query($filter: CertificationFilter) {
  certifications(first: 50, filter: $filter) {
    totalCount
    edges { node { id status expiresAt partner { name } user { email } definition { name } } }
  }
}"""


async def stream(data: bytes) -> AsyncIterator[bytes]:
    yield data


@pytest.fixture
async def channel(factory: Factory, hub: Hub) -> dict[str, Any]:
    california = (TerritoryInput(name="CA", regions=("US-CA",)),)
    gold = await factory.partner("Gold", tier=Tier.GOLD, territories=california)
    silver = await factory.partner("Silver", tier=Tier.SILVER, territories=california)
    vendor = await factory.vendor_admin()
    gold_only = await asset_service.create(
        hub,
        principal=vendor.principal,
        data=AssetInput(title="Gold playbook", kind=AssetKind.OTHER, min_tier=Tier.GOLD),
        file_name="playbook.pdf",
        chunks=stream(PDF),
    )
    return {
        "vendor": vendor,
        "gold": gold,
        "silver": silver,
        "asset": gold_only,
        "gold_user": await factory.user(gold.id, Role.PARTNER_USER),
        "silver_user": await factory.user(silver.id, Role.PARTNER_USER),
        "silver_admin": await factory.user(silver.id, Role.PARTNER_ADMIN),
    }


ARTICLE = "<a published article>"


def course_input(**fields: Any) -> dict[str, Any]:
    return {
        "title": "Routing and switching",
        "estimatedMinutes": 90,
        "productLines": ["networking"],
        "published": True,
        "modules": [
            {
                "title": "Basics",
                "lessons": [
                    {"title": "Read me", "url": "https://learn.example/basics"},
                    {"title": "KB article", "articleId": ARTICLE},
                ],
            }
        ],
        **fields,
    }


QUIZ = {
    "passMark": 50,
    "maxAttempts": 1,
    "questions": [
        {"prompt": "Secure port?", "options": ["SECRET-A", "SECRET-B"], "correctOptions": [1]},
        {"prompt": "Pick both", "options": ["x", "y", "z"], "correctOptions": [0, 2]},
    ],
}


async def kb_article(factory: Factory, **fields: Any) -> str:
    """A published knowledge-base article for ARTICLE lessons."""
    vendor = await factory.vendor_admin()
    article = await articles.create(
        factory.hub,
        principal=vendor.principal,
        data=ArticleInput(title=fields.pop("title", "Port security"), body="Read this.", **fields),
    )
    await articles.set_status(
        factory.hub,
        principal=vendor.principal,
        article_id=article.id,
        status=ArticleStatus.PUBLISHED,
        expected_version=None,
        note=None,
    )
    return article.id


async def create_course(factory: Factory, actor: Actor, **fields: Any) -> dict[str, Any]:
    data = json.loads(
        json.dumps(course_input(**fields)).replace(ARTICLE, await kb_article(factory))
    )
    body = await factory.gql(CREATE_COURSE, {"input": data}, actor=actor)
    created: dict[str, Any] = data_of(body)["createCourse"]
    return created


async def take(factory: Factory, actor: Actor, course: dict[str, Any]) -> str:
    """Enrol and complete every lesson; return the enrolment id."""
    enrolment = data_of(await factory.gql(ENROL, {"id": course["id"]}, actor=actor))["enrol"]
    for module in course["modules"]:
        for lesson in module["lessons"]:
            data_of(
                await factory.gql(COMPLETE, {"e": enrolment["id"], "l": lesson["id"]}, actor=actor)
            )
    return str(enrolment["id"])


async def certify(factory: Factory, channel: dict[str, Any], actor: Actor, line: str) -> None:
    vendor = channel["vendor"]
    course = await create_course(factory, vendor, title=f"{line} course")
    definition = {"name": f"{line} expert", "productLine": line, "validityDays": 365}
    definition["requiredCourseIds"] = [course["id"]]
    data_of(await factory.gql(DEFINE, {"input": definition}, actor=vendor))
    await take(factory, actor, course)


async def test_partners_get_the_questions_but_never_the_answer_key(
    factory: Factory, channel: dict[str, Any]
) -> None:
    gold_note = await kb_article(factory, title="Gold note", audience=Audience(min_tier=Tier.GOLD))
    lessons = [
        {"title": "Playbook", "assetId": channel["asset"].id},
        {"title": "Video", "url": "https://video.example/1"},
        {"title": "Note", "articleId": gold_note},
    ]
    course = await create_course(
        factory,
        channel["vendor"],
        modules=[{"title": "Sell", "lessons": lessons}],
        assessment=QUIZ,
    )
    silver = data_of(
        await factory.gql(READ_COURSE, {"id": course["id"]}, actor=channel["silver_user"])
    )["course"]
    gold = data_of(await factory.gql(READ_COURSE, {"id": course["id"]}, actor=channel["gold_user"]))
    staff = data_of(await factory.gql(READ_COURSE, {"id": course["id"]}, actor=channel["vendor"]))
    shape = data_of(
        await factory.gql(
            """{ q: __type(name: "AssessmentQuestion") { fields { name } }
                 a: __type(name: "AssessmentAttempt") { fields { name } }
                 r: __type(name: "AssessmentResult") { fields { name } } }""",
            actor=channel["silver_user"],
        )
    )
    enrolment = data_of(
        await factory.gql(ENROL, {"id": course["id"]}, actor=channel["silver_user"])
    )
    questions = silver["assessment"]["questions"]
    result = await factory.gql(
        SUBMIT,
        {
            "e": enrolment["enrol"]["id"],
            "answers": [{"questionId": questions[0]["id"], "selectedOptions": [0]}],
        },
        actor=channel["silver_user"],
    )

    assert [q["correctOptions"] for q in questions] == [None, None]
    assert [q["options"] for q in questions] == [["SECRET-A", "SECRET-B"], ["x", "y", "z"]]
    assert [q["correctOptions"] for q in staff["course"]["assessment"]["questions"]] == [
        [1],
        [0, 2],
    ]
    assert [lesson["asset"] for lesson in silver["modules"][0]["lessons"]] == [None, None, None]
    assert gold["course"]["modules"][0]["lessons"][0]["asset"] == {"title": "Gold playbook"}
    assert [lesson["article"] for lesson in silver["modules"][0]["lessons"]] == [None] * 3
    assert gold["course"]["modules"][0]["lessons"][2]["article"] == {"title": "Gold note"}
    assert [f["name"] for f in shape["q"]["fields"]] == [
        "id",
        "prompt",
        "options",
        "correctOptions",
    ]
    assert {f["name"] for f in shape["a"]["fields"]} == {
        "number",
        "score",
        "passed",
        "wrongQuestionIds",
        "submittedAt",
    }
    assert {f["name"] for f in shape["r"]["fields"]} == {"attempt", "attemptsLeft", "enrolment"}
    assert data_of(result)["submitAssessment"] == {
        "attemptsLeft": 0,
        "attempt": {
            "number": 1,
            "score": 0,
            "passed": False,
            "wrongQuestionIds": [q["id"] for q in questions],
        },
        "enrolment": {"completed": False, "attempts": [{"number": 1, "score": 0}]},
    }
    again = await factory.gql(
        SUBMIT, {"e": enrolment["enrol"]["id"], "answers": []}, actor=channel["silver_user"]
    )
    assert errors_of(again) == [("BAD_USER_INPUT", "enrolmentId")]
    assert "at most 1 attempt" in again["errors"][0]["message"]
    assert "correct" not in json.dumps(again).lower()


async def test_bad_course_input_names_the_field_and_partners_are_forbidden(
    factory: Factory, channel: dict[str, Any]
) -> None:
    vendor = channel["vendor"]

    def with_lessons(*lessons: dict[str, Any]) -> dict[str, Any]:
        return {"input": course_input(modules=[{"title": "M", "lessons": list(lessons)}])}

    ftp = await factory.gql(
        CREATE_COURSE,
        with_lessons({"title": "ok", "url": "https://a.example"}, {"title": "b", "url": "ftp://x"}),
        actor=vendor,
    )
    no_asset = await factory.gql(
        CREATE_COURSE, with_lessons({"title": "a", "assetId": "missing"}), actor=vendor
    )
    two = await factory.gql(
        CREATE_COURSE,
        with_lessons({"title": "a", "url": "https://a.example", "articleId": "kb"}),
        actor=vendor,
    )
    mark = await factory.gql(
        CREATE_COURSE, {"input": course_input(assessment={**QUIZ, "passMark": 0})}, actor=vendor
    )
    key = await factory.gql(
        CREATE_COURSE,
        {
            "input": course_input(
                assessment={**QUIZ, "questions": [{**QUIZ["questions"][0], "correctOptions": [5]}]}
            )
        },
        actor=vendor,
    )
    by_partner = await factory.gql(
        CREATE_COURSE, {"input": course_input()}, actor=channel["silver_admin"]
    )
    listed = data_of(await factory.gql("{ courses { totalCount } }", actor=vendor))

    assert errors_of(ftp) == [("BAD_USER_INPUT", "input.modules[0].lessons[1].url")]
    assert errors_of(no_asset) == [("BAD_USER_INPUT", "input.modules[0].lessons[0].assetId")]
    assert errors_of(two) == [("BAD_USER_INPUT", "input.modules[0].lessons[0]")]
    assert errors_of(mark) == [("BAD_USER_INPUT", "input.assessment.passMark")]
    assert errors_of(key) == [("BAD_USER_INPUT", "input.assessment.questions[0].correctOptions")]
    assert errors_of(by_partner) == [("FORBIDDEN", None)]
    assert listed["courses"]["totalCount"] == 0


async def test_another_organizations_enrolments_and_certifications_do_not_exist(
    factory: Factory, channel: dict[str, Any]
) -> None:
    vendor, gold_user, stranger = channel["vendor"], channel["gold_user"], channel["silver_admin"]
    course = await create_course(factory, vendor)
    definition = {"name": "Associate", "productLine": "NETWORKING", "validityDays": 30}
    data_of(
        await factory.gql(
            DEFINE, {"input": {**definition, "requiredCourseIds": [course["id"]]}}, actor=vendor
        )
    )
    enrolment = await take(factory, gold_user, course)
    held = data_of(await factory.gql(CERTIFICATIONS, actor=gold_user))["certifications"]
    held_id = held["edges"][0]["node"]["id"]
    lesson = course["modules"][0]["lessons"][0]["id"]

    read = await factory.gql(
        "query($id: ID!) { enrolment(id: $id) { id } }", {"id": enrolment}, actor=stranger
    )
    act = await factory.gql(COMPLETE, {"e": enrolment, "l": lesson}, actor=stranger)
    theirs = data_of(
        await factory.gql(
            "{ enrolments { totalCount } myEnrolments { totalCount } }", actor=stranger
        )
    )
    cert = await factory.gql(
        "query($id: ID!) { certification(id: $id) { id } }", {"id": held_id}, actor=stranger
    )
    filtered = data_of(
        await factory.gql(
            CERTIFICATIONS, {"filter": {"partnerId": channel["gold"].id}}, actor=stranger
        )
    )
    revoke = await factory.gql(
        'mutation($id: ID!) { revokeCertification(id: $id, reason: "no") { id } }',
        {"id": held_id},
        actor=stranger,
    )
    staff = data_of(await factory.gql(CERTIFICATIONS, actor=vendor))["certifications"]

    assert held["totalCount"] == 1
    assert held["edges"][0]["node"]["status"] == "VALID"
    assert held["edges"][0]["node"]["partner"] == {"name": "Gold"}
    assert errors_of(read) == [("NOT_FOUND", "id")]
    assert errors_of(act) == [("NOT_FOUND", "enrolmentId")]
    assert theirs == {"enrolments": {"totalCount": 0}, "myEnrolments": {"totalCount": 0}}
    assert errors_of(cert) == [("NOT_FOUND", "id")]
    assert filtered["certifications"]["totalCount"] == 0
    assert errors_of(revoke) == [("FORBIDDEN", None)]
    assert staff["totalCount"] == 1


async def test_a_course_above_the_partners_tier_is_hidden(
    factory: Factory, channel: dict[str, Any]
) -> None:
    course = await create_course(factory, channel["vendor"], requiredTier="GOLD")

    read = await factory.gql(READ_COURSE, {"id": course["id"]}, actor=channel["silver_user"])
    enrol = await factory.gql(ENROL, {"id": course["id"]}, actor=channel["silver_user"])
    listed = data_of(await factory.gql("{ courses { totalCount } }", actor=channel["silver_user"]))
    gold = data_of(await factory.gql(ENROL, {"id": course["id"]}, actor=channel["gold_user"]))

    assert course["requiredTier"] == "GOLD"
    assert errors_of(read) == [("NOT_FOUND", "id")]
    assert errors_of(enrol) == [("NOT_FOUND", "courseId")]
    assert listed["courses"]["totalCount"] == 0
    assert gold["enrol"]["cycle"] == 1


TIER_COMPLIANCE = """
query($id: ID!) {
  partner(id: $id) {
    tier
    tierCompliance {
      current { tier met requirements { productLine required current met missing message } }
      next { tier met requirements { productLine required current met missing message } }
    }
  }
}"""
SET_REQUIREMENT = """
mutation($tier: Tier!, $line: String!, $n: Int!) {
  setTierRequirement(tier: $tier, productLine: $line, certifiedUsers: $n) { tier productLine certifiedUsers }
}"""


async def test_tier_compliance_shows_what_is_met_and_missing(
    factory: Factory, channel: dict[str, Any]
) -> None:
    vendor = channel["vendor"]
    for tier, line, count in (("SILVER", "NETWORKING", 1), ("GOLD", "NETWORKING", 2)):
        data_of(
            await factory.gql(
                SET_REQUIREMENT, {"tier": tier, "line": line, "n": count}, actor=vendor
            )
        )
    await certify(factory, channel, channel["silver_user"], "NETWORKING")
    bad = await factory.gql(SET_REQUIREMENT, {"tier": "GOLD", "line": "x", "n": -1}, actor=vendor)
    by_partner = await factory.gql(
        SET_REQUIREMENT, {"tier": "GOLD", "line": "X", "n": 1}, actor=channel["silver_admin"]
    )

    own = data_of(
        await factory.gql(
            TIER_COMPLIANCE, {"id": channel["silver"].id}, actor=channel["silver_user"]
        )
    )
    staff = data_of(await factory.gql(TIER_COMPLIANCE, {"id": channel["silver"].id}, actor=vendor))
    other = await factory.gql(
        TIER_COMPLIANCE, {"id": channel["silver"].id}, actor=channel["gold_user"]
    )

    assert own == staff
    assert own["partner"]["tierCompliance"] == {
        "current": {
            "tier": "SILVER",
            "met": True,
            "requirements": [
                {
                    "productLine": "NETWORKING",
                    "required": 1,
                    "current": 1,
                    "met": True,
                    "missing": 0,
                    "message": None,
                }
            ],
        },
        "next": {
            "tier": "GOLD",
            "met": False,
            "requirements": [
                {
                    "productLine": "NETWORKING",
                    "required": 2,
                    "current": 1,
                    "met": False,
                    "missing": 1,
                    "message": "1 more user(s) certified for NETWORKING",
                }
            ],
        },
    }
    assert errors_of(bad) == [("BAD_USER_INPUT", "certifiedUsers")]
    assert errors_of(by_partner) == [("FORBIDDEN", None)]
    assert errors_of(other) == [("NOT_FOUND", "id")]


async def test_routing_skips_partners_without_a_certified_user_and_says_why(
    factory: Factory, channel: dict[str, Any]
) -> None:
    vendor = channel["vendor"]
    settings = await factory.gql(
        'mutation { updateLeadSettings(input: {requiredCertifications: ["networking"]}) '
        "{ requiredCertifications } }",
        actor=vendor,
    )
    bad = await factory.gql(
        'mutation { updateLeadSettings(input: {requiredCertifications: ["no good!"]}) '
        "{ requiredCertifications } }",
        actor=vendor,
    )
    await certify(factory, channel, channel["silver_user"], "NETWORKING")

    created = data_of(
        await factory.gql(
            """mutation($input: LeadInput!) { createLead(input: $input) {
                 partner { name } routing { excluded { name reason } candidates { name } } } }""",
            {
                "input": {
                    "customerCompany": "Globex",
                    "country": "US",
                    "productLine": "NETWORKING",
                    "region": "US-CA",
                }
            },
            actor=vendor,
        )
    )["createLead"]

    assert data_of(settings)["updateLeadSettings"]["requiredCertifications"] == ["NETWORKING"]
    assert errors_of(bad) == [("BAD_USER_INPUT", "requiredCertifications")]
    assert created["partner"] == {"name": "Silver"}
    assert created["routing"]["excluded"] == [{"name": "Gold", "reason": "MISSING_CERTIFICATION"}]
    assert created["routing"]["candidates"] == [{"name": "Silver"}]


async def test_a_revoked_or_lapsed_certification_stops_routing_at_once(
    factory: Factory, hub: Hub, channel: dict[str, Any]
) -> None:
    # Rates are refreshed only every ROUTING_STATS_SECONDS: make that longer than the test.
    hub.settings = replace(hub.settings, routing_stats_seconds=10 * 365 * 86400)
    vendor = channel["vendor"]
    data_of(
        await factory.gql(
            'mutation { updateLeadSettings(input: {requiredCertifications: ["NETWORKING"]}) '
            "{ requiredCertifications } }",
            actor=vendor,
        )
    )
    course = await create_course(factory, vendor)
    definition = {"name": "Associate", "productLine": "NETWORKING", "validityDays": 30}
    data_of(
        await factory.gql(
            DEFINE, {"input": {**definition, "requiredCourseIds": [course["id"]]}}, actor=vendor
        )
    )
    for user in (channel["gold_user"], channel["silver_user"]):
        await take(factory, user, course)
    held = data_of(
        await factory.gql(
            CERTIFICATIONS, {"filter": {"partnerId": channel["gold"].id}}, actor=vendor
        )
    )["certifications"]["edges"]

    async def route(company: str) -> dict[str, Any]:
        created: dict[str, Any] = data_of(
            await factory.gql(
                """mutation($company: String!) { createLead(input: {customerCompany: $company,
                     country: "US", productLine: "NETWORKING", region: "US-CA"}) {
                     status partner { name } routing { excluded { name reason } } } }""",
                {"company": company},
                actor=factory.fresh(vendor),
            )
        )["createLead"]
        return created

    both = await route("Globex")
    data_of(
        await factory.gql(
            'mutation($id: ID!) { revokeCertification(id: $id, reason: "left") { id } }',
            {"id": held[0]["node"]["id"]},
            actor=vendor,
        )
    )
    revoked = await route("Initech")
    factory.hub.clock.advance(days=31)  # type: ignore[attr-defined]
    lapsed = await route("Hooli")

    assert both["partner"] == {"name": "Gold"}
    assert revoked["partner"] == {"name": "Silver"}
    assert revoked["routing"]["excluded"] == [{"name": "Gold", "reason": "MISSING_CERTIFICATION"}]
    assert lapsed["status"] == "UNASSIGNABLE"
    assert sorted(item["name"] for item in lapsed["routing"]["excluded"]) == ["Gold", "Silver"]
    assert {item["reason"] for item in lapsed["routing"]["excluded"]} == {"MISSING_CERTIFICATION"}


async def test_expiring_within_days_over_the_api(factory: Factory, channel: dict[str, Any]) -> None:
    vendor = channel["vendor"]
    course = await create_course(factory, vendor)
    for name, days in (("Short", 10), ("Long", 300)):
        definition = {"name": name, "productLine": "NETWORKING", "validityDays": days}
        data_of(
            await factory.gql(
                DEFINE, {"input": {**definition, "requiredCourseIds": [course["id"]]}}, actor=vendor
            )
        )
    await take(factory, channel["gold_user"], course)

    soon = data_of(
        await factory.gql(CERTIFICATIONS, {"filter": {"expiringWithinDays": 30}}, actor=vendor)
    )["certifications"]
    bad = await factory.gql(CERTIFICATIONS, {"filter": {"expiringWithinDays": -5}}, actor=vendor)

    assert [edge["node"]["definition"]["name"] for edge in soon["edges"]] == ["Short"]
    assert errors_of(bad) == [("BAD_USER_INPUT", "filter.expiringWithinDays")]


async def test_certification_and_enrolment_pages_do_not_grow_in_statements(
    app: Starlette, factory: Factory, channel: dict[str, Any]
) -> None:
    vendor = channel["vendor"]
    course = await create_course(factory, vendor, assessment=QUIZ)
    definition = {"name": "Associate", "productLine": "NETWORKING", "validityDays": 30}
    data_of(
        await factory.gql(
            DEFINE, {"input": {**definition, "requiredCourseIds": [course["id"]]}}, actor=vendor
        )
    )
    certifications = """query($n: Int!) {
      certifications(first: $n) { edges { node { status user { email } partner { name }
        definition { name requiredCourses { title modules { lessons { title } } } } } } }
    }"""
    enrolments = """query($n: Int!) {
      enrolments(first: $n) { edges { node { user { name } course { title }
        completedLessons { lessonId } attempts { score } } } }
    }"""
    for _ in range(4):
        user = await factory.user(channel["gold"].id, Role.PARTNER_USER)
        enrolment = await take(factory, user, course)
        await factory.gql(
            SUBMIT,
            {
                "e": enrolment,
                "answers": [
                    {"questionId": q["id"], "selectedOptions": [1] if n == 0 else [0, 2]}
                    for n, q in enumerate(course["assessment"]["questions"])
                ],
            },
            actor=user,
        )

    sizes = {}
    for page in (certifications, enrolments):
        with counted(app) as small:
            one = data_of(await factory.gql(page, {"n": 1}, actor=vendor))
        with counted(app) as large:
            four = data_of(await factory.gql(page, {"n": 4}, actor=vendor))
        [(name, edges)] = four.items()
        assert (len(next(iter(one.values()))["edges"]), len(edges["edges"])) == (1, 4)
        sizes[name] = (len(small), len(large))

    # No count(*): neither page selects totalCount.
    assert sizes == {"certifications": (8, 8), "enrolments": (6, 6)}
