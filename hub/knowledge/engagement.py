"""What partners make of the knowledge base: feedback, reads, and searches that found nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import validation
from hub.db import upsert
from hub.errors import BadInput, NotFound
from hub.knowledge.access import readable
from hub.roles import Principal, require_vendor_staff
from hub.runtime import Hub
from storage.models import Article, ArticleFeedback, ArticleRead, ArticleReadDay, SearchMiss


async def give_feedback(
    hub: Hub, *, principal: Principal, article_id: str, helpful: bool, comment: str | None
) -> ArticleFeedback:
    """Record whether an article helped; a second answer by the same user replaces the first."""
    text = validation.optional_text(comment, field="comment", max_length=1000)
    now = hub.clock.now()
    async with hub.write() as session:
        visible = await session.scalar(
            readable(principal, select(Article.id)).where(Article.id == article_id)
        )
        if visible is None:
            raise NotFound("no such article", field="articleId")
        values = {
            "article_id": article_id,
            "user_id": principal.user_id,
            "partner_id": principal.organization_id if principal.is_partner else None,
            "helpful": helpful,
            "comment": text,
            "answered_at": now,
        }
        statement = upsert(session, ArticleFeedback).values(**values)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["article_id", "user_id"],
                set_={"helpful": helpful, "comment": text, "answered_at": now},
            )
        )
        feedback = await session.get(
            ArticleFeedback, (article_id, principal.user_id), populate_existing=True
        )
    assert feedback is not None
    return feedback


@dataclass(frozen=True)
class ArticleStats:
    article_id: str
    views: int
    reading_partners: int
    helpful: int
    not_helpful: int


@dataclass(frozen=True)
class PartnerReads:
    partner_id: str
    views: int
    last_viewed_at: datetime


async def stats(
    hub: Hub, *, principal: Principal, article_ids: Sequence[str]
) -> list[ArticleStats]:
    """Views, reading partners and feedback per article (vendor staff)."""
    require_vendor_staff(principal)
    async with hub.read() as session:
        read_rows = (
            await session.execute(
                select(ArticleRead.article_id, func.sum(ArticleRead.views), func.count())
                .where(ArticleRead.article_id.in_(article_ids))
                .group_by(ArticleRead.article_id)
            )
        ).all()
        feedback_rows = (
            await session.execute(
                select(
                    ArticleFeedback.article_id,
                    func.sum(case((ArticleFeedback.helpful.is_(True), 1), else_=0)),
                    func.sum(case((ArticleFeedback.helpful.is_(False), 1), else_=0)),
                )
                .where(ArticleFeedback.article_id.in_(article_ids))
                .group_by(ArticleFeedback.article_id)
            )
        ).all()
    read_by = {row[0]: (int(row[1] or 0), int(row[2])) for row in read_rows}
    feedback_by = {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in feedback_rows}
    return [
        ArticleStats(
            article_id,
            *read_by.get(article_id, (0, 0)),
            *feedback_by.get(article_id, (0, 0)),
        )
        for article_id in article_ids
    ]


async def reads_by_partner(
    hub: Hub, *, principal: Principal, article_id: str
) -> list[PartnerReads]:
    require_vendor_staff(principal)
    async with hub.read() as session:
        rows = (
            await session.execute(
                select(ArticleRead)
                .where(ArticleRead.article_id == article_id)
                .order_by(ArticleRead.views.desc(), ArticleRead.partner_id)
            )
        ).scalars()
        return [PartnerReads(row.partner_id, row.views, row.last_viewed_at) for row in rows]


@dataclass(frozen=True)
class Insights:
    most_read: list[tuple[Article, int]]
    least_helpful: list[tuple[Article, int, int]]
    missing: list[SearchMiss]


async def insights(hub: Hub, *, principal: Principal, limit: int) -> Insights:
    """What partners read, what did not help them, and what they searched for in vain."""
    require_vendor_staff(principal)
    if not 1 <= limit <= 100:
        raise BadInput("limit must be between 1 and 100", field="limit")
    async with hub.read() as session:
        views = func.sum(ArticleRead.views)
        most_read = (
            await session.execute(
                select(Article, views)
                .join(ArticleRead, ArticleRead.article_id == Article.id)
                .group_by(Article.id)
                .order_by(views.desc(), Article.id)
                .limit(limit)
            )
        ).all()
        unhelpful = func.sum(case((ArticleFeedback.helpful.is_(False), 1), else_=0))
        helpful = func.sum(case((ArticleFeedback.helpful.is_(True), 1), else_=0))
        least_helpful = (
            await session.execute(
                select(Article, unhelpful, helpful)
                .join(ArticleFeedback, ArticleFeedback.article_id == Article.id)
                .group_by(Article.id)
                .having(unhelpful > 0)
                .order_by(unhelpful.desc(), helpful, Article.id)
                .limit(limit)
            )
        ).all()
        missing = (
            await session.scalars(
                select(SearchMiss)
                .order_by(SearchMiss.misses.desc(), SearchMiss.last_missed_at.desc())
                .limit(limit)
            )
        ).all()
    return Insights(
        most_read=[(row[0], int(row[1])) for row in most_read],
        least_helpful=[(row[0], int(row[1]), int(row[2])) for row in least_helpful],
        missing=list(missing),
    )


async def count_read(
    session: AsyncSession, article_id: str, partner_id: str, now: datetime
) -> None:
    statement = upsert(session, ArticleRead).values(
        article_id=article_id, partner_id=partner_id, views=1, last_viewed_at=now
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["article_id", "partner_id"],
            set_={"views": ArticleRead.views + 1, "last_viewed_at": now},
        )
    )
    daily = upsert(session, ArticleReadDay).values(partner_id=partner_id, day=now.date(), views=1)
    await session.execute(
        daily.on_conflict_do_update(
            index_elements=["partner_id", "day"], set_={"views": ArticleReadDay.views + 1}
        )
    )


async def count_miss(hub: Hub, query: str) -> None:
    now = hub.clock.now()
    async with hub.write() as session:
        statement = upsert(session, SearchMiss).values(
            query=query[:200], misses=1, last_missed_at=now
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["query"],
                set_={"misses": SearchMiss.misses + 1, "last_missed_at": now},
            )
        )
