"""The best-practice library over GraphQL: contribution with attachments, review, visibility,
hidden authors, ratings, comments, ranking and tenancy."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hub.clock import ManualClock
from hub.partners import PartnerType, Tier
from hub.roles import Role
from tests.conftest import data_of
from tests.factories import Actor, Factory, errors_of

PDF = b"%PDF-1.7\n" + b"joint webinar playbook " * 200
SUBMIT = """mutation($input: BestPracticeInput!) {
  submitBestPractice(input: $input) { id status version }
}"""
REVIEW = """mutation($id: ID!, $decision: BestPracticeDecision!, $reason: String, $featured: Boolean) {
  reviewBestPractice(id: $id, decision: $decision, reason: $reason, featured: $featured) {
    status featured rejectReason }
}"""
READ = """query($id: ID!) { bestPractice(id: $id) {
  title status rejectReason approachHtml contributor { organizationName authorName }
  rating { average count mine } attachments { fileName contentType size downloadUrl asset { title } }
} }"""
LIST = """query($order: BestPracticeOrder!, $filter: BestPracticeFilter) {
  bestPractices(orderBy: $order, filter: $filter) { totalCount edges { node { title } } } }"""


def practice_input(title: str, **fields: Any) -> dict[str, Any]:
    return {
        "title": title,
        "problem": "Prospects stall after the first demo.",
        "approach": "Run a **joint webinar** with the vendor's SE.",
        "outcome": "Win rate up 12%.",
        **fields,
    }


@pytest.fixture
async def people(factory: Factory) -> dict[str, Actor]:
    author_org = await factory.partner("Acme Networks", tier=Tier.GOLD)
    return {
        "vendor": await factory.vendor_admin(),
        "author": await factory.user(author_org.id, Role.PARTNER_USER),
        "colleague": await factory.user(author_org.id, Role.PARTNER_USER),
        "gold": await factory.user(
            (await factory.partner("Gold Peer", tier=Tier.GOLD)).id, Role.PARTNER_USER
        ),
        "silver": await factory.user(
            (await factory.partner("Silver Peer", tier=Tier.SILVER)).id, Role.PARTNER_USER
        ),
    }


async def submit(factory: Factory, actor: Actor, title: str, **fields: Any) -> dict[str, Any]:
    created: dict[str, Any] = data_of(
        await factory.gql(SUBMIT, {"input": practice_input(title, **fields)}, actor=actor)
    )["submitBestPractice"]
    return created


async def publish(factory: Factory, vendor: Actor, practice_id: str, **fields: Any) -> None:
    data_of(
        await factory.gql(
            REVIEW, {"id": practice_id, "decision": "PUBLISH", **fields}, actor=vendor
        )
    )


async def test_submission_with_an_uploaded_file_is_reviewed_then_shared(
    factory: Factory, people: dict[str, Actor]
) -> None:
    vendor, author, gold = people["vendor"], people["author"], people["gold"]
    operations = {
        "query": """mutation($input: BestPracticeInput!, $files: [Upload!]) {
          submitBestPractice(input: $input, attachments: $files) { id status } }""",
        "variables": {"input": practice_input("Joint webinars", hideAuthor=True), "files": [None]},
    }
    response = await factory.client.post(
        "/graphql",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.files.0"]}),
        },
        files={"0": ("../../playbook.pdf", PDF, "text/plain")},
        headers={"authorization": f"Bearer {author.token}", "apollo-require-preflight": "1"},
    )
    practice = data_of(response.json())["submitBestPractice"]

    before_review = await factory.gql(READ, {"id": practice["id"]}, actor=gold)
    await publish(factory, vendor, practice["id"])
    as_gold = data_of(await factory.gql(READ, {"id": practice["id"]}, actor=gold))["bestPractice"]
    as_vendor = data_of(await factory.gql(READ, {"id": practice["id"]}, actor=vendor))
    as_author = data_of(await factory.gql(READ, {"id": practice["id"]}, actor=author))
    [attachment] = as_gold["attachments"]
    fetched = await factory.client.get(
        attachment["downloadUrl"].removeprefix(factory.hub.settings.public_base_url)
    )

    assert practice["status"] == "SUBMITTED"
    assert errors_of(before_review) == [("NOT_FOUND", "id")]
    assert as_gold["status"] == "PUBLISHED"
    assert "<strong>joint webinar</strong>" in as_gold["approachHtml"]
    assert as_gold["contributor"] == {"organizationName": "Acme Networks", "authorName": None}
    assert as_vendor["bestPractice"]["contributor"]["authorName"] is not None
    assert as_author["bestPractice"]["contributor"]["authorName"] is not None
    assert (attachment["fileName"], attachment["contentType"], attachment["size"]) == (
        "playbook.pdf",
        "application/pdf",
        len(PDF),
    )
    assert fetched.status_code == 200 and fetched.content == PDF


async def test_rejection_needs_a_reason_only_the_contributor_sees(
    factory: Factory, people: dict[str, Actor]
) -> None:
    vendor, author, colleague = people["vendor"], people["author"], people["colleague"]
    practice = await submit(factory, author, "Cold calling")

    no_reason = await factory.gql(
        REVIEW, {"id": practice["id"], "decision": "REJECT"}, actor=vendor
    )
    rejected = data_of(
        await factory.gql(
            REVIEW,
            {"id": practice["id"], "decision": "REJECT", "reason": "Too generic"},
            actor=vendor,
        )
    )
    seen_by_colleague = data_of(await factory.gql(READ, {"id": practice["id"]}, actor=colleague))
    again = await factory.gql(REVIEW, {"id": practice["id"], "decision": "PUBLISH"}, actor=vendor)
    revised = data_of(
        await factory.gql(
            """mutation($id: ID!, $input: BestPracticeInput!) {
              reviseBestPractice(id: $id, input: $input, expectedVersion: 2) { status version } }""",
            {"id": practice["id"], "input": practice_input("Cold calling, with scripts")},
            actor=colleague,
        )
    )
    by_vendor = await factory.gql(SUBMIT, {"input": practice_input("Vendor's own")}, actor=vendor)

    assert errors_of(no_reason) == [("BAD_USER_INPUT", "reason")]
    assert rejected["reviewBestPractice"]["status"] == "REJECTED"
    assert seen_by_colleague["bestPractice"]["rejectReason"] == "Too generic"
    assert errors_of(again) == [("BAD_USER_INPUT", "id")]
    assert revised["reviseBestPractice"] == {"status": "SUBMITTED", "version": 3}
    assert errors_of(by_vendor) == [("FORBIDDEN", None)]


async def test_visibility_tenancy_and_what_each_partner_may_do(
    factory: Factory, people: dict[str, Actor], clock: ManualClock
) -> None:
    vendor, author, gold, silver = (
        people["vendor"],
        people["author"],
        people["gold"],
        people["silver"],
    )
    gold_only = await submit(factory, author, "Gold tactics", visibility={"minTier": "GOLD"})
    await publish(factory, vendor, gold_only["id"])
    clock.advance(minutes=1)
    pending = await submit(factory, author, "Still in review")
    rate = """mutation($id: ID!, $stars: Int!) { rateBestPractice(practiceId: $id, stars: $stars) {
      average count mine } }"""

    silver_reads = await factory.gql(READ, {"id": gold_only["id"]}, actor=silver)
    silver_rates = await factory.gql(rate, {"id": gold_only["id"], "stars": 5}, actor=silver)
    gold_rates_pending = await factory.gql(rate, {"id": pending["id"], "stars": 5}, actor=gold)
    bad_stars = await factory.gql(rate, {"id": gold_only["id"], "stars": 6}, actor=gold)
    gold_revises = await factory.gql(
        """mutation($id: ID!, $input: BestPracticeInput!) {
          reviseBestPractice(id: $id, input: $input) { id } }""",
        {"id": pending["id"], "input": practice_input("Hijack")},
        actor=gold,
    )
    mine = data_of(
        await factory.gql(LIST, {"order": "NEWEST", "filter": {"mine": True}}, actor=author)
    )
    gold_list = data_of(await factory.gql(LIST, {"order": "NEWEST"}, actor=gold))

    assert errors_of(silver_reads) == [("NOT_FOUND", "id")]
    assert errors_of(silver_rates) == [("NOT_FOUND", "practiceId")]
    assert errors_of(gold_rates_pending) == [("NOT_FOUND", "practiceId")]
    assert errors_of(bad_stars) == [("BAD_USER_INPUT", "stars")]
    assert errors_of(gold_revises) == [("NOT_FOUND", "id")]
    assert [edge["node"]["title"] for edge in mine["bestPractices"]["edges"]] == [
        "Still in review",
        "Gold tactics",
    ]
    assert [edge["node"]["title"] for edge in gold_list["bestPractices"]["edges"]] == [
        "Gold tactics"
    ]


async def test_ratings_comments_and_ranking(
    factory: Factory, people: dict[str, Actor], clock: ManualClock
) -> None:
    vendor, author, gold, silver = (
        people["vendor"],
        people["author"],
        people["gold"],
        people["silver"],
    )
    old_loved = await submit(factory, author, "Old but loved")
    await publish(factory, vendor, old_loved["id"])
    clock.advance(days=120)
    vendor, author, gold, silver = (
        factory.fresh(actor) for actor in (vendor, author, gold, silver)
    )
    fresh = await submit(factory, author, "Fresh")
    await publish(factory, vendor, fresh["id"])
    clock.advance(minutes=1)
    featured = await submit(factory, author, "Featured pick")
    await publish(factory, vendor, featured["id"], featured=True)
    rate = """mutation($id: ID!, $stars: Int!) { rateBestPractice(practiceId: $id, stars: $stars) {
      average count mine } }"""
    for actor, stars in ((gold, 5), (silver, 5), (author, 5)):
        await factory.gql(rate, {"id": old_loved["id"], "stars": stars}, actor=actor)
    changed = data_of(await factory.gql(rate, {"id": old_loved["id"], "stars": 4}, actor=gold))
    await factory.gql(rate, {"id": fresh["id"], "stars": 2}, actor=gold)
    comment = data_of(
        await factory.gql(
            """mutation($id: ID!) { commentOnBestPractice(practiceId: $id,
              body: "Worked for us <script>x</script>") { bodyHtml authorName organizationName } }""",
            {"id": fresh["id"]},
            actor=silver,
        )
    )["commentOnBestPractice"]
    comments = data_of(
        await factory.gql(
            "query($id: ID!) { bestPractice(id: $id) { comments { totalCount } } }",
            {"id": fresh["id"]},
            actor=gold,
        )
    )

    def order(kind: str) -> list[str]:
        return [edge["node"]["title"] for edge in listed[kind]["bestPractices"]["edges"]]

    listed = {
        kind: data_of(await factory.gql(LIST, {"order": kind}, actor=gold))
        for kind in ("RANKED", "NEWEST", "TOP_RATED")
    }

    assert changed["rateBestPractice"] == {"average": 4.67, "count": 3, "mine": 4}
    assert "&lt;script&gt;" in comment["bodyHtml"] and "<script" not in comment["bodyHtml"]
    assert comment["organizationName"] == "Silver Peer" and comment["authorName"]
    assert comments["bestPractice"]["comments"]["totalCount"] == 1
    assert order("NEWEST") == ["Featured pick", "Fresh", "Old but loved"]
    assert order("TOP_RATED") == ["Old but loved", "Featured pick", "Fresh"]
    assert order("RANKED") == ["Featured pick", "Old but loved", "Fresh"]


async def test_named_partners_a_contributor_cannot_see_are_unknown_ids(
    factory: Factory, people: dict[str, Actor]
) -> None:
    gold = people["gold"]
    distributor = await factory.partner("Acme Distribution", type=PartnerType.DISTRIBUTOR)
    author = await factory.user(distributor.id, Role.PARTNER_USER)
    sub_reseller = await factory.partner("Acme Sub", parent_id=distributor.id)
    hidden, unknown = gold.user.organization_id, "0" * 32
    revise = """mutation($id: ID!, $input: BestPracticeInput!) {
      reviseBestPractice(id: $id, input: $input) { id } }"""
    draft = await submit(factory, author, "Shared with my resellers")

    answers = {}
    for name, partner_id in (("hidden", hidden), ("unknown", unknown)):
        visibility = {"partnerIds": [sub_reseller.id, partner_id]}
        submitted = await factory.gql(
            SUBMIT, {"input": practice_input("Named", visibility=visibility)}, actor=author
        )
        revised = await factory.gql(
            revise,
            {"id": draft["id"], "input": practice_input("Named", visibility=visibility)},
            actor=author,
        )
        answers[name] = [
            {**error, "message": error["message"].replace(partner_id, "<id>")}
            for body in (submitted, revised)
            for error in body["errors"]
        ]
    shared = await submit(
        factory, author, "To my sub-reseller", visibility={"partnerIds": [sub_reseller.id]}
    )

    assert answers["hidden"] == answers["unknown"]
    assert [error["extensions"] for error in answers["hidden"]] == [
        {"code": "NOT_FOUND", "field": "input.visibility.partnerIds"}
    ] * 2
    assert shared["status"] == "SUBMITTED"
