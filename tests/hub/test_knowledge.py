"""Knowledge in the hub: the same search contract on PostgreSQL and on embedded SQLite (FTS5),
and ratings that stay one per user under concurrent requests."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from hub.clock import ManualClock
from hub.knowledge import articles, discussion, practices
from hub.knowledge.rules import ArticleFilter, ArticleInput, ArticleStatus, PracticeInput
from hub.pagination import PageRequest
from hub.partners import Tier
from hub.roles import Role
from hub.runtime import Hub
from storage.models import BestPracticeRating
from tests.factories import Actor, Factory

CORPUS = [
    ("Lead routing explained", "How the hub picks a partner for each lead."),
    ("Quarterly business reviews", "Routes to market, partner plans and lead reviews."),
    ("Pricing and discounts", "Tier discounts apply to every order."),
    ("Routing rules for distributors", "Distributors route leads to their resellers."),
    ("Marketing funds", "Claim market development funds with proof of execution."),
]


async def seed(hub: Hub, vendor: Actor, clock: ManualClock) -> None:
    for title, body in CORPUS:
        article = await articles.create(
            hub, principal=vendor.principal, data=ArticleInput(title=title, body=body)
        )
        await articles.set_status(
            hub,
            principal=vendor.principal,
            article_id=article.id,
            status=ArticleStatus.PUBLISHED,
            expected_version=None,
            note=None,
        )
        clock.advance(minutes=1)


async def titles(hub: Hub, actor: Actor, search: str, first: int = 20) -> list[str]:
    page = await articles.list_articles(
        hub,
        principal=actor.principal,
        filter=ArticleFilter(search=search),
        page=PageRequest(first=first),
    )
    return [article.title for article in page.items]


async def test_search_gives_the_same_results_on_both_databases(
    any_factory: Factory, clock: ManualClock
) -> None:
    hub = any_factory.hub
    vendor = await any_factory.vendor_admin()
    partner = await any_factory.partner("Reader", tier=Tier.GOLD)
    reader = await any_factory.user(partner.id, Role.PARTNER_USER)
    await seed(hub, vendor, clock)

    stemmed = await titles(hub, reader, "routing")
    every_word = await titles(hub, reader, "lead distributors")
    stop_words = await titles(hub, reader, "the pricing of")
    nothing = await titles(hub, reader, "warranty")
    first = await articles.list_articles(
        hub, principal=reader.principal, filter=ArticleFilter(search="routing"), page=PageRequest(2)
    )
    rest = await articles.list_articles(
        hub,
        principal=reader.principal,
        filter=ArticleFilter(search="routing"),
        page=PageRequest(2, after=first.cursors[-1]),
    )

    # Title matches first ("routing" also finds "routes" and "route" through stemming).
    assert stemmed[:2] == ["Routing rules for distributors", "Lead routing explained"] or stemmed[
        :2
    ] == ["Lead routing explained", "Routing rules for distributors"]
    assert set(stemmed) == {
        "Lead routing explained",
        "Routing rules for distributors",
        "Quarterly business reviews",
    }
    assert stemmed[-1] == "Quarterly business reviews"
    assert every_word == ["Routing rules for distributors"]
    assert stop_words == ["Pricing and discounts"]
    assert nothing == []
    assert [a.title for a in first.items] + [a.title for a in rest.items] == stemmed
    assert first.total_count == 3 and not rest.has_next_page


async def test_updates_keep_the_search_index_in_step(
    any_factory: Factory, clock: ManualClock
) -> None:
    hub = any_factory.hub
    vendor = await any_factory.vendor_admin()
    await seed(hub, vendor, clock)
    [funds] = [a for a in await _all(hub, vendor) if a.title == "Marketing funds"]

    from hub.knowledge.rules import ArticleChanges

    await articles.update(
        hub,
        principal=vendor.principal,
        article_id=funds.id,
        changes=ArticleChanges(title="Co-op advertising", body="Claims need invoices."),
        expected_version=None,
    )

    assert await titles(hub, vendor, "funds") == []
    assert await titles(hub, vendor, "invoices") == ["Co-op advertising"]


async def _all(hub: Hub, actor: Actor) -> list[Any]:
    page = await articles.list_articles(
        hub, principal=actor.principal, filter=ArticleFilter(), page=PageRequest(first=100)
    )
    return page.items


async def test_concurrent_ratings_by_one_user_stay_one_rating(any_factory: Factory) -> None:
    factory = any_factory
    hub = factory.hub
    vendor = await factory.vendor_admin()
    author_org = await factory.partner("Author Co")
    author = await factory.user(author_org.id, Role.PARTNER_USER)
    rater = await factory.user((await factory.partner("Rater Co")).id, Role.PARTNER_USER)
    practice = await practices.submit(
        hub,
        principal=author.principal,
        data=PracticeInput(title="Joint demos", problem="p", approach="a", outcome="o"),
    )
    await practices.review(
        hub,
        principal=vendor.principal,
        practice_id=practice.id,
        publish=True,
        reason=None,
        featured=None,
        expected_version=None,
    )

    results = await asyncio.gather(
        *(
            discussion.rate(hub, principal=rater.principal, practice_id=practice.id, stars=stars)
            for stars in (1, 2, 3, 4, 5, 5, 4, 3, 2, 1)
        )
    )

    async with hub.db() as session:
        rows = await session.scalar(
            select(func.count()).where(BestPracticeRating.practice_id == practice.id)
        )
    [final] = await discussion.ratings(hub, principal=rater.principal, practice_ids=[practice.id])
    assert rows == 1
    assert all(result.count == 1 for result in results)
    assert final.count == 1 and final.mine == final.average
