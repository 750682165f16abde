"""The knowledge base over GraphQL: sanitising, lifecycle, revisions, visibility, search,
categories, feedback, reads and insights."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from hub.partners import PartnerType, Tier
from hub.roles import Role
from tests.conftest import data_of
from tests.factories import Actor, Factory, errors_of

CREATE = """mutation($input: ArticleInput!) {
  createArticle(input: $input) { id slug status version bodyHtml }
}"""
PUBLISH = (
    """mutation($id: ID!) { setArticleStatus(id: $id, status: PUBLISHED) { status version } }"""
)
READ = """query($id: ID, $slug: String) {
  article(id: $id, slug: $slug) { id title status bodyHtml visibility { minTier } revisions { number } }
}"""
SEARCH = """query($search: String, $first: Int, $after: String) {
  articles(filter: {search: $search}, first: $first, after: $after) {
    totalCount edges { cursor node { title } } pageInfo { hasNextPage endCursor }
  }
}"""

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "![img](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=https://evil.example></iframe>",
    "<svg onload=alert(1)>",
    "<style>body{display:none}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="x" onclick="alert(1)">x</a>',
    "<form action=https://evil.example><input name=a></form>",
    "<object data=x></object><embed src=x>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<<script>script>alert(1)<</script>/script>",
    "`<script>` stays code",
    '<details open ontoggle="alert(1)">',
    '[link](https://ok.example "title" onmouseover=alert(1))',
]


SAFE_TAGS = {
    "a", "blockquote", "br", "code", "em", "h1", "h2", "h3", "hr", "img", "li", "ol", "p",
    "pre", "strong", "ul", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


class Elements(HTMLParser):
    """Every tag and attribute of an HTML fragment, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes += [(tag, name.lower(), value) for name, value in attrs]


async def make_article(factory: Factory, vendor: Actor, **fields: Any) -> dict[str, Any]:
    body = await factory.gql(
        CREATE, {"input": {"title": "Untitled", "body": "text", **fields}}, actor=vendor
    )
    created: dict[str, Any] = data_of(body)["createArticle"]
    return created


async def published(factory: Factory, vendor: Actor, **fields: Any) -> dict[str, Any]:
    article = await make_article(factory, vendor, **fields)
    data_of(await factory.gql(PUBLISH, {"id": article["id"]}, actor=vendor))
    return article


@pytest.fixture
async def people(factory: Factory) -> dict[str, Actor]:
    gold = await factory.partner("Gold Co", tier=Tier.GOLD)
    silver = await factory.partner("Silver Co", tier=Tier.SILVER, type=PartnerType.MSP)
    return {
        "vendor": await factory.vendor_admin(),
        "gold": await factory.user(gold.id, Role.PARTNER_USER),
        "silver": await factory.user(silver.id, Role.PARTNER_USER),
    }


async def test_hostile_markdown_renders_without_script_handlers_or_js_links(
    factory: Factory, people: dict[str, Actor]
) -> None:
    corpus = "\n\n".join(HOSTILE) + "\n\n# Heading\n\n[safe](https://docs.example/x) **bold**"

    article = await make_article(factory, people["vendor"], title="Hostile", body=corpus)

    html = article["bodyHtml"]
    elements = Elements()
    elements.feed(html)
    assert elements.tags <= SAFE_TAGS, elements.tags - SAFE_TAGS
    for tag, name, value in elements.attributes:
        assert not name.startswith("on"), (tag, name)
        assert name not in ("style", "srcdoc", "formaction", "xlink:href"), (tag, name)
        if name in ("href", "src"):
            assert re.match(r"(https?:|mailto:|[^:]*$)", value or ""), (tag, name, value)
    assert "<h1>Heading</h1>" in html
    assert 'href="https://docs.example/x"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert "<strong>bold</strong>" in html
    assert "&lt;script&gt;" in html  # shown as text, never run


async def test_drafts_are_hidden_until_published_and_every_change_is_a_revision(
    factory: Factory, people: dict[str, Actor]
) -> None:
    vendor, gold = people["vendor"], people["gold"]
    article = await make_article(factory, vendor, title="Deal registration 101", body="v1")

    hidden = await factory.gql(READ, {"id": article["id"]}, actor=gold)
    edit = """mutation($id: ID!, $v: Int) { updateArticle(id: $id, expectedVersion: $v,
      input: {body: "v2", tags: ["deals"], note: "clearer"}) { version } }"""
    edited = data_of(await factory.gql(edit, {"id": article["id"], "v": 1}, actor=vendor))
    stale = await factory.gql(edit, {"id": article["id"], "v": 1}, actor=vendor)
    data_of(await factory.gql(PUBLISH, {"id": article["id"]}, actor=vendor))
    shown = data_of(await factory.gql(READ, {"slug": "deal-registration-101"}, actor=gold))
    as_vendor = await factory.gql(
        """query($id: ID!) { article(id: $id) { revisions { number changedFields note
          changedById status } } }""",
        {"id": article["id"]},
        actor=vendor,
    )
    bad_move = await factory.gql(
        "mutation($id: ID!) { setArticleStatus(id: $id, status: PUBLISHED) { status } }",
        {"id": article["id"]},
        actor=vendor,
    )

    assert article["status"] == "DRAFT" and article["slug"] == "deal-registration-101"
    assert errors_of(hidden) == [("NOT_FOUND", "id")]
    assert edited["updateArticle"]["version"] == 2
    assert errors_of(stale) == [("CONFLICT", "expectedVersion")]
    assert shown["article"]["status"] == "PUBLISHED"
    assert shown["article"]["visibility"] is None and shown["article"]["revisions"] is None
    revisions = data_of(as_vendor)["article"]["revisions"]
    assert [(r["number"], r["changedFields"], r["note"], r["status"]) for r in revisions] == [
        (3, ["status"], None, "PUBLISHED"),
        (2, ["body", "tags"], "clearer", "DRAFT"),
        (1, ["created"], None, "DRAFT"),
    ]
    assert {r["changedById"] for r in revisions} == {vendor.principal.user_id}
    assert errors_of(bad_move) == [("BAD_USER_INPUT", "status")]


async def test_visibility_by_tier_type_name_and_archive(
    factory: Factory, people: dict[str, Actor]
) -> None:
    vendor, gold, silver = people["vendor"], people["gold"], people["silver"]
    for_gold = await published(factory, vendor, title="Gold only", visibility={"minTier": "GOLD"})
    for_msp = await published(
        factory, vendor, title="MSP only", visibility={"partnerTypes": ["MSP"]}
    )
    named = await published(
        factory,
        vendor,
        title="Named",
        visibility={"partnerIds": [gold.principal.organization_id]},
    )
    archived = await published(factory, vendor, title="Old")
    data_of(
        await factory.gql(
            "mutation($id: ID!) { setArticleStatus(id: $id, status: ARCHIVED) { status } }",
            {"id": archived["id"]},
            actor=vendor,
        )
    )
    listing = "{ articles { totalCount edges { node { title } } } }"

    gold_sees = data_of(await factory.gql(listing, actor=gold))["articles"]
    silver_sees = data_of(await factory.gql(listing, actor=silver))["articles"]
    vendor_sees = data_of(await factory.gql(listing, actor=vendor))["articles"]
    silver_reads_gold = await factory.gql(READ, {"id": for_gold["id"]}, actor=silver)
    gold_reads_msp = await factory.gql(READ, {"id": for_msp["id"]}, actor=gold)

    assert sorted(edge["node"]["title"] for edge in gold_sees["edges"]) == ["Gold only", "Named"]
    assert [edge["node"]["title"] for edge in silver_sees["edges"]] == ["MSP only"]
    assert vendor_sees["totalCount"] == 4
    assert errors_of(silver_reads_gold) == [("NOT_FOUND", "id")]
    assert errors_of(gold_reads_msp) == [("NOT_FOUND", "id")]
    assert named["id"]


async def test_search_ranks_title_matches_first_and_records_what_is_missing(
    factory: Factory, people: dict[str, Actor]
) -> None:
    vendor, gold = people["vendor"], people["gold"]
    await published(factory, vendor, title="Quarterly planning", body="Lead routing is covered.")
    await published(factory, vendor, title="Lead routing explained", body="How leads move.")
    await published(factory, vendor, title="Pricing", body="Discounts by tier.")

    found = data_of(await factory.gql(SEARCH, {"search": "routes"}, actor=gold))["articles"]
    both_words = data_of(await factory.gql(SEARCH, {"search": "the lead discounts"}, actor=gold))
    paged = data_of(await factory.gql(SEARCH, {"search": "lead", "first": 1}, actor=gold))
    second = data_of(
        await factory.gql(
            SEARCH,
            {"search": "lead", "first": 1, "after": paged["articles"]["pageInfo"]["endCursor"]},
            actor=gold,
        )
    )
    for _ in range(2):
        await factory.gql(SEARCH, {"search": "warranty claims"}, actor=gold)
    insights = data_of(
        await factory.gql("{ knowledgeInsights { missing { query misses } } }", actor=vendor)
    )
    partner_insights = await factory.gql("{ knowledgeInsights { missing { query } } }", actor=gold)

    assert [edge["node"]["title"] for edge in found["edges"]] == [
        "Lead routing explained",
        "Quarterly planning",
    ]
    assert both_words["articles"]["totalCount"] == 0
    assert paged["articles"]["edges"][0]["node"]["title"] == "Lead routing explained"
    assert paged["articles"]["pageInfo"]["hasNextPage"] is True
    assert [edge["node"]["title"] for edge in second["articles"]["edges"]] == ["Quarterly planning"]
    assert {"query": "warranty claims", "misses": 2} in insights["knowledgeInsights"]["missing"]
    assert errors_of(partner_insights) == [("FORBIDDEN", None)]


async def test_feedback_is_one_answer_per_user_and_reads_count_per_partner(
    factory: Factory, people: dict[str, Actor]
) -> None:
    vendor, gold, silver = people["vendor"], people["gold"], people["silver"]
    article = await published(factory, vendor, title="Onboarding checklist")
    feedback = """mutation($id: ID!, $helpful: Boolean!) {
      giveArticleFeedback(articleId: $id, helpful: $helpful, comment: "ok") { helpful } }"""

    for actor in (gold, gold, silver):
        data_of(await factory.gql(READ, {"id": article["id"]}, actor=actor))
    await factory.gql(feedback, {"id": article["id"], "helpful": False}, actor=gold)
    changed = await factory.gql(feedback, {"id": article["id"], "helpful": True}, actor=gold)
    await factory.gql(feedback, {"id": article["id"], "helpful": False}, actor=silver)
    stats = data_of(
        await factory.gql(
            """query($id: ID!) { article(id: $id) { stats { views readingPartners helpful
              notHelpful byPartner { partnerId views } } } }""",
            {"id": article["id"]},
            actor=vendor,
        )
    )["article"]["stats"]
    insights = data_of(
        await factory.gql(
            """{ knowledgeInsights { mostRead { article { title } views }
              leastHelpful { article { title } notHelpful helpful } } }""",
            actor=vendor,
        )
    )["knowledgeInsights"]

    assert data_of(changed)["giveArticleFeedback"]["helpful"] is True
    assert (stats["views"], stats["readingPartners"], stats["helpful"], stats["notHelpful"]) == (
        3,
        2,
        1,
        1,
    )
    assert stats["byPartner"] == [
        {"partnerId": gold.principal.organization_id, "views": 2},
        {"partnerId": silver.principal.organization_id, "views": 1},
    ]
    assert insights["mostRead"] == [{"article": {"title": "Onboarding checklist"}, "views": 3}]
    assert insights["leastHelpful"] == [
        {"article": {"title": "Onboarding checklist"}, "notHelpful": 1, "helpful": 1}
    ]


async def test_category_tree_filters_moves_and_deletes(
    factory: Factory, people: dict[str, Actor]
) -> None:
    vendor, gold = people["vendor"], people["gold"]
    make = """mutation($name: String!, $parent: ID) {
      createArticleCategory(name: $name, parentId: $parent) { id slug parentId } }"""
    sales = data_of(await factory.gql(make, {"name": "Sales"}, actor=vendor))
    deals = data_of(
        await factory.gql(
            make, {"name": "Deals", "parent": sales["createArticleCategory"]["id"]}, actor=vendor
        )
    )
    sales_id = sales["createArticleCategory"]["id"]
    deals_id = deals["createArticleCategory"]["id"]
    await published(factory, vendor, title="Registering a deal", categoryId=deals_id)
    await published(factory, vendor, title="Elsewhere")
    in_sales = data_of(
        await factory.gql(
            """query($c: ID!) { articles(filter: {categoryId: $c}) { edges { node { title
              category { name } } } } }""",
            {"c": sales_id},
            actor=gold,
        )
    )
    under_itself = await factory.gql(
        "mutation($id: ID!, $p: ID!) { updateArticleCategory(id: $id, parentId: $p) { id } }",
        {"id": sales_id, "p": deals_id},
        actor=vendor,
    )
    not_empty = await factory.gql(
        "mutation($id: ID!) { deleteArticleCategory(id: $id) }", {"id": sales_id}, actor=vendor
    )
    by_partner = await factory.gql(make, {"name": "Mine"}, actor=gold)

    assert [edge["node"] for edge in in_sales["articles"]["edges"]] == [
        {"title": "Registering a deal", "category": {"name": "Deals"}}
    ]
    assert errors_of(under_itself) == [("BAD_USER_INPUT", "parentId")]
    assert errors_of(not_empty) == [("BAD_USER_INPUT", "id")]
    assert errors_of(by_partner) == [("FORBIDDEN", None)]


async def test_related_assets_show_only_what_the_reader_may_see(
    factory: Factory, people: dict[str, Actor]
) -> None:
    from hub.assets import service as asset_service
    from hub.assets.rules import AssetInput, AssetKind
    from tests.hub.test_assets import PDF, stream

    vendor, gold, silver = people["vendor"], people["gold"], people["silver"]
    hub = factory.hub
    open_deck = await asset_service.create(
        hub,
        principal=vendor.principal,
        data=AssetInput("Open deck", AssetKind.PRESENTATION),
        file_name="open.pdf",
        chunks=stream(PDF),
    )
    gold_deck = await asset_service.create(
        hub,
        principal=vendor.principal,
        data=AssetInput("Gold deck", AssetKind.PRESENTATION, min_tier=Tier.GOLD),
        file_name="gold.pdf",
        chunks=stream(PDF),
    )
    article = await published(
        factory, vendor, title="Pitching", relatedAssetIds=[gold_deck.id, open_deck.id]
    )
    unknown = await factory.gql(
        CREATE,
        {"input": {"title": "X", "body": "y", "relatedAssetIds": ["nope"]}},
        actor=vendor,
    )
    query = "query($id: ID!) { article(id: $id) { relatedAssets { title } } }"

    as_gold = data_of(await factory.gql(query, {"id": article["id"]}, actor=gold))
    as_silver = data_of(await factory.gql(query, {"id": article["id"]}, actor=silver))

    assert as_gold["article"]["relatedAssets"] == [{"title": "Gold deck"}, {"title": "Open deck"}]
    assert as_silver["article"]["relatedAssets"] == [{"title": "Open deck"}]
    assert errors_of(unknown) == [("BAD_USER_INPUT", "input.relatedAssetIds")]
