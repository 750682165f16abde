"""The knowledge base: categories, articles with revisions, search, feedback and reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, Text, case, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub import audience, validation
from hub.assets.rules import visible as assets_visible
from hub.db import escape_like, grouped_by, in_key_order, upsert
from hub.errors import BadInput, Conflict, NotFound
from hub.knowledge import rules, search
from hub.knowledge.rules import (
    ARTICLE_MOVES,
    ArticleChanges,
    ArticleFilter,
    ArticleInput,
    ArticleStatus,
)
from hub.pagination import Page, PageRequest, keyset_page
from hub.roles import Principal, require_vendor_staff
from hub.runtime import Hub
from storage.models import (
    Article,
    ArticleAsset,
    ArticleCategory,
    ArticleFeedback,
    ArticlePartner,
    ArticleRead,
    ArticleRevision,
    Asset,
    SearchMiss,
)

Row = TypeVar("Row", bound=tuple[Any, ...])
NAMED = audience.NamedPartners(ArticlePartner.article_id, ArticlePartner.partner_id)
CATEGORY_DEPTH = 6


# Categories


async def categories(hub: Hub) -> list[ArticleCategory]:
    """The whole category tree, parents before children, siblings by position then name."""
    async with hub.db() as session:
        rows = list(
            (
                await session.scalars(
                    select(ArticleCategory).order_by(ArticleCategory.position, ArticleCategory.name)
                )
            ).all()
        )
    return rows


async def categories_by_ids(hub: Hub, ids: Sequence[str]) -> list[ArticleCategory | None]:
    async with hub.db() as session:
        rows = (
            await session.scalars(select(ArticleCategory).where(ArticleCategory.id.in_(ids)))
        ).all()
    return in_key_order(rows, ids)


async def create_category(
    hub: Hub, *, principal: Principal, name: str, parent_id: str | None, position: int = 0
) -> ArticleCategory:
    require_vendor_staff(principal)
    clean = validation.text(name, field="name", max_length=100)
    async with hub.write() as session:
        if parent_id is not None:
            await _category_depth(session, parent_id, field="parentId")
        category = ArticleCategory(
            name=clean,
            slug=await _free_category_slug(session, rules.slug(clean, field="name")),
            parent_id=parent_id,
            position=position,
        )
        session.add(category)
        await _flush_unique(session, "a category of that name already exists here", "name")
    return category


async def update_category(
    hub: Hub,
    *,
    principal: Principal,
    category_id: str,
    name: str | None,
    parent_id: str | None,
    to_root: bool,
    position: int | None,
) -> ArticleCategory:
    """Rename or move a category; a move under itself or its own descendants is refused."""
    require_vendor_staff(principal)
    async with hub.write() as session:
        category = await session.get(ArticleCategory, category_id, with_for_update=True)
        if category is None:
            raise NotFound("no such category", field="id")
        if name is not None:
            category.name = validation.text(name, field="name", max_length=100)
        if to_root:
            category.parent_id = None
        elif parent_id is not None:
            chain = await _ancestors(session, parent_id, field="parentId")
            if category.id in chain:
                raise BadInput("a category cannot move under itself", field="parentId")
            if len(chain) + await _subtree_height(session, category.id) > CATEGORY_DEPTH:
                raise BadInput(f"categories nest at most {CATEGORY_DEPTH} deep", field="parentId")
            category.parent_id = parent_id
        if position is not None:
            category.position = position
        await _flush_unique(session, "a category of that name already exists here", "name")
    return category


async def delete_category(hub: Hub, *, principal: Principal, category_id: str) -> None:
    require_vendor_staff(principal)
    async with hub.write() as session:
        category = await session.get(ArticleCategory, category_id, with_for_update=True)
        if category is None:
            raise NotFound("no such category", field="id")
        used = await session.scalar(select(func.count()).where(Article.category_id == category_id))
        children = await session.scalar(
            select(func.count()).where(ArticleCategory.parent_id == category_id)
        )
        if used or children:
            raise BadInput(
                "the category still holds articles or sub-categories; move them first",
                field="id",
            )
        await session.delete(category)


# Articles: writing


async def create(hub: Hub, *, principal: Principal, data: ArticleInput) -> Article:
    """Write a new article as a DRAFT (vendor staff)."""
    require_vendor_staff(principal)
    clean = _checked(data)
    now = hub.clock.now()
    async with hub.write() as session:
        await _check_refs(session, clean.category_id, clean.audience, clean)
        article = Article(
            slug=await _free_slug(session, clean.slug or rules.slug(clean.title, field="title")),
            title=clean.title,
            body=clean.body,
            search_document=search.document_of(clean.title, list(clean.tags), clean.body),
            category_id=clean.category_id,
            tags=list(clean.tags),
            product_lines=list(clean.product_lines),
            language=clean.language,
            status=ArticleStatus.DRAFT,
            version=1,
            created_by_id=principal.user_id,
            created_at=now,
            updated_at=now,
            **clean.audience.columns(),
        )
        session.add(article)
        await _flush_unique(session, "another article has this slug", "slug")
        await _set_links(session, article.id, clean.audience, clean.related_asset_ids)
        _revise(session, article, principal, now, ["created"], None)
        await search.index(session, article)
    return article


async def update(
    hub: Hub,
    *,
    principal: Principal,
    article_id: str,
    changes: ArticleChanges,
    expected_version: int | None,
) -> Article:
    """Change an article; every change is a revision naming the fields it touched."""
    require_vendor_staff(principal)
    now = hub.clock.now()
    async with hub.write() as session:
        article = await _for_update(session, article_id, expected_version)
        changed = await _apply(session, article, changes)
        if not changed:
            return article
        article.search_document = search.document_of(article.title, article.tags, article.body)
        article.version += 1
        article.updated_at = now
        _revise(session, article, principal, now, changed, _note(changes.note))
        await _flush_unique(session, "another article has this slug", "slug")
        await search.index(session, article)
    return article


async def set_status(
    hub: Hub,
    *,
    principal: Principal,
    article_id: str,
    status: ArticleStatus,
    expected_version: int | None,
    note: str | None,
) -> Article:
    """Publish, archive or take an article back to draft (vendor staff)."""
    require_vendor_staff(principal)
    now = hub.clock.now()
    async with hub.write() as session:
        article = await _for_update(session, article_id, expected_version)
        current = ArticleStatus(article.status)
        if status not in ARTICLE_MOVES[current]:
            raise BadInput(f"an article cannot go from {current} to {status}", field="status")
        article.status = status
        if status is ArticleStatus.PUBLISHED and article.published_at is None:
            article.published_at = now
        article.version += 1
        article.updated_at = now
        _revise(session, article, principal, now, ["status"], _note(note))
    return article


# Articles: reading


async def get(
    hub: Hub, *, principal: Principal, article_id: str | None = None, slug: str | None = None
) -> Article:
    """One article by id or slug; a partner's read counts as a view of its organization."""
    if (article_id is None) == (slug is None):
        raise BadInput("give either id or slug", field="id")
    async with hub.write() as session:
        statement = readable(principal, select(Article))
        if article_id is not None:
            statement = statement.where(Article.id == article_id)
        else:
            statement = statement.where(Article.slug == (slug or "").strip().lower())
        article = (await session.scalars(statement)).one_or_none()
        if article is None:
            raise NotFound("no such article", field="id" if article_id is not None else "slug")
        if principal.is_partner:
            await _count_read(session, article.id, principal.organization_id, hub.clock.now())
    return article


async def by_ids(hub: Hub, *, principal: Principal, ids: Sequence[str]) -> list[Article | None]:
    """Articles by id as the caller may read them (None for the others)."""
    async with hub.db() as session:
        rows = (
            await session.scalars(readable(principal, select(Article)).where(Article.id.in_(ids)))
        ).all()
    return in_key_order(rows, ids)


async def list_articles(
    hub: Hub, *, principal: Principal, filter: ArticleFilter, page: PageRequest
) -> Page[Article]:
    """Articles the caller may read: best match first when searching, else newest first."""
    statement = readable(principal, select(Article))
    if filter.statuses and principal.is_vendor:
        statement = statement.where(Article.status.in_([str(s) for s in filter.statuses]))
    if filter.category_id:
        statement = statement.where(
            Article.category_id.in_(await _subtree(hub, filter.category_id))
        )
    if filter.product_line:
        line = validation.product_line(filter.product_line, field="filter.productLine")
        statement = statement.where(_has_line(line))
    if filter.tag:
        tag = filter.tag.strip().lower()
        statement = statement.where(_has_tag(tag))
    terms = search.words(rules.search_terms(filter.search))
    async with hub.db() as session:
        if not terms:
            return await keyset_page(
                session,
                statement,
                page,
                key=(func.coalesce(Article.published_at, Article.created_at), Article.id),
                descending=True,
            )
        found = search.matches(session, terms)
        ranked = statement.join(found, found.c.article_id == Article.id)
        result = await keyset_page(
            session, ranked, page, key=(found.c.score, Article.id), descending=True
        )
    if result.total_count == 0 and page.after is None and principal.is_partner:
        await _count_miss(hub, " ".join(terms))
    return result


def readable(principal: Principal, statement: Select[Row]) -> Select[Row]:
    """Vendor accounts read every article; a partner the published ones it is entitled to."""
    if principal.is_vendor:
        return statement
    return statement.where(
        Article.status == ArticleStatus.PUBLISHED,
        audience.entitles(Article, NAMED, principal.organization_id),
    )


async def revisions(
    hub: Hub, *, principal: Principal, article_ids: Sequence[str]
) -> list[list[ArticleRevision]]:
    """Revision history per article, newest first (vendor staff)."""
    require_vendor_staff(principal)
    async with hub.db() as session:
        rows = (
            await session.scalars(
                select(ArticleRevision)
                .where(ArticleRevision.article_id.in_(article_ids))
                .order_by(ArticleRevision.number.desc())
            )
        ).all()
    return grouped_by(rows, article_ids, lambda row: row.article_id)


async def related_assets(
    hub: Hub, *, principal: Principal, article_ids: Sequence[str]
) -> list[list[Asset]]:
    """Each article's related assets that the caller may see, in the order set."""
    async with hub.db() as session:
        rows = (
            await session.execute(
                assets_visible(principal, select(Asset))
                .add_columns(ArticleAsset.article_id)
                .join(ArticleAsset, ArticleAsset.asset_id == Asset.id)
                .where(ArticleAsset.article_id.in_(article_ids), Asset.archived.is_(False))
                .order_by(ArticleAsset.position)
            )
        ).all()
    grouped = grouped_by(rows, article_ids, lambda row: row[1])
    return [[row[0] for row in group] for group in grouped]


async def named_partners(hub: Hub, article_ids: Sequence[str]) -> list[list[str]]:
    async with hub.db() as session:
        rows = (
            await session.execute(
                select(ArticlePartner.article_id, ArticlePartner.partner_id).where(
                    ArticlePartner.article_id.in_(article_ids)
                )
            )
        ).all()
    return [[row[1] for row in group] for group in grouped_by(rows, article_ids, lambda r: r[0])]


# Feedback and reads


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
    async with hub.db() as session:
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
    async with hub.db() as session:
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
    async with hub.db() as session:
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


# Helpers


def _checked(data: ArticleInput) -> ArticleInput:
    return ArticleInput(
        title=rules.title(data.title),
        body=rules.markdown(data.body, field="body"),
        slug=rules.slug(data.slug) if data.slug else None,
        category_id=data.category_id,
        tags=rules.tags(data.tags),
        product_lines=rules.product_lines(data.product_lines),
        language=rules.language(data.language),
        audience=data.audience.checked(),
        related_asset_ids=list(dict.fromkeys(data.related_asset_ids)),
    )


async def _apply(session: AsyncSession, article: Article, changes: ArticleChanges) -> list[str]:
    changed: list[str] = []

    def put(field: str, attribute: str, value: Any) -> None:
        if getattr(article, attribute) != value:
            setattr(article, attribute, value)
            changed.append(field)

    if changes.title is not None:
        put("title", "title", rules.title(changes.title))
    if changes.body is not None:
        put("body", "body", rules.markdown(changes.body, field="body"))
    if changes.slug is not None:
        wanted = rules.slug(changes.slug)
        if wanted != article.slug:
            put("slug", "slug", await _free_slug(session, wanted, strict=True))
    if changes.clear_category:
        put("categoryId", "category_id", None)
    elif changes.category_id is not None:
        await _category_depth(session, changes.category_id, field="categoryId")
        put("categoryId", "category_id", changes.category_id)
    if changes.tags is not None:
        put("tags", "tags", rules.tags(changes.tags))
    if changes.product_lines is not None:
        put("productLines", "product_lines", rules.product_lines(changes.product_lines))
    if changes.language is not None:
        put("language", "language", rules.language(changes.language))
    if changes.audience is not None:
        wanted_audience = changes.audience.checked()
        await audience.known_partners(
            session, wanted_audience.partner_ids, field="input.visibility.partnerIds"
        )
        before = (
            article.min_tier_rank,
            article.partner_types,
            article.named_only,
            await _named(session, article.id),
        )
        for attribute, value in wanted_audience.columns().items():
            setattr(article, attribute, value)
        after = (
            article.min_tier_rank,
            article.partner_types,
            article.named_only,
            list(wanted_audience.partner_ids),
        )
        if before != after:
            changed.append("visibility")
            await session.execute(
                delete(ArticlePartner).where(ArticlePartner.article_id == article.id)
            )
            session.add_all(
                ArticlePartner(article_id=article.id, partner_id=partner)
                for partner in wanted_audience.partner_ids
            )
    if changes.related_asset_ids is not None:
        wanted_assets = list(dict.fromkeys(changes.related_asset_ids))
        await _known_assets(session, wanted_assets)
        current = list(
            (
                await session.scalars(
                    select(ArticleAsset.asset_id)
                    .where(ArticleAsset.article_id == article.id)
                    .order_by(ArticleAsset.position)
                )
            ).all()
        )
        if current != wanted_assets:
            changed.append("relatedAssets")
            await session.execute(delete(ArticleAsset).where(ArticleAsset.article_id == article.id))
            session.add_all(
                ArticleAsset(article_id=article.id, asset_id=asset, position=position)
                for position, asset in enumerate(wanted_assets)
            )
    return changed


async def _check_refs(
    session: AsyncSession, category_id: str | None, wanted: audience.Audience, data: ArticleInput
) -> None:
    if category_id is not None:
        await _category_depth(session, category_id, field="input.categoryId")
    await audience.known_partners(session, wanted.partner_ids, field="input.visibility.partnerIds")
    await _known_assets(session, data.related_asset_ids)


async def _known_assets(session: AsyncSession, asset_ids: Sequence[str]) -> None:
    if not asset_ids:
        return
    found = set((await session.scalars(select(Asset.id).where(Asset.id.in_(asset_ids)))).all())
    missing = [asset for asset in asset_ids if asset not in found]
    if missing:
        raise BadInput(f"no asset with id {missing[0]!r}", field="input.relatedAssetIds")


async def _set_links(
    session: AsyncSession, article_id: str, wanted: audience.Audience, asset_ids: Sequence[str]
) -> None:
    session.add_all(
        ArticlePartner(article_id=article_id, partner_id=partner) for partner in wanted.partner_ids
    )
    session.add_all(
        ArticleAsset(article_id=article_id, asset_id=asset, position=position)
        for position, asset in enumerate(asset_ids)
    )


async def _named(session: AsyncSession, article_id: str) -> list[str]:
    return sorted(
        (
            await session.scalars(
                select(ArticlePartner.partner_id).where(ArticlePartner.article_id == article_id)
            )
        ).all()
    )


def _revise(
    session: AsyncSession,
    article: Article,
    principal: Principal,
    now: datetime,
    changed: list[str],
    note: str | None,
) -> None:
    session.add(
        ArticleRevision(
            article_id=article.id,
            number=article.version,
            title=article.title,
            body=article.body,
            status=article.status,
            changed_fields=changed,
            note=note,
            changed_by_id=principal.user_id,
            changed_at=now,
        )
    )


def _note(value: str | None) -> str | None:
    return validation.optional_text(value, field="note", max_length=500)


async def _for_update(session: AsyncSession, article_id: str, expected: int | None) -> Article:
    article = await session.get(Article, article_id, with_for_update=True)
    if article is None:
        raise NotFound("no such article", field="id")
    if expected is not None and article.version != expected:
        raise Conflict(
            f"the article changed meanwhile (version {article.version}, not {expected}); "
            "reload it and apply your change again",
            field="expectedVersion",
        )
    return article


async def _free_slug(session: AsyncSession, wanted: str, *, strict: bool = False) -> str:
    """The slug, or with -2, -3... appended when taken (strict: a taken slug is refused)."""
    taken = set(
        (
            await session.scalars(
                select(Article.slug).where(
                    or_(
                        Article.slug == wanted,
                        Article.slug.like(f"{escape_like(wanted)}-%", escape="\\"),
                    )
                )
            )
        ).all()
    )
    if wanted not in taken:
        return wanted
    if strict:
        raise Conflict("another article has this slug", field="slug")
    number = 2
    while f"{wanted}-{number}" in taken:
        number += 1
    return f"{wanted}-{number}"[: rules.SLUG_MAX]


async def _free_category_slug(session: AsyncSession, wanted: str) -> str:
    taken = set(
        (
            await session.scalars(
                select(ArticleCategory.slug).where(
                    ArticleCategory.slug.like(f"{escape_like(wanted)}%", escape="\\")
                )
            )
        ).all()
    )
    number, slug = 2, wanted
    while slug in taken:
        slug, number = f"{wanted}-{number}", number + 1
    return slug


async def _ancestors(session: AsyncSession, category_id: str, *, field: str) -> list[str]:
    """The category and its ancestors, nearest first."""
    chain: list[str] = []
    current: str | None = category_id
    while current is not None:
        if current in chain or len(chain) > CATEGORY_DEPTH:
            break
        parent = (
            await session.execute(
                select(ArticleCategory.id, ArticleCategory.parent_id).where(
                    ArticleCategory.id == current
                )
            )
        ).one_or_none()
        if parent is None:
            raise NotFound("no such category", field=field)
        chain.append(parent[0])
        current = parent[1]
    return chain


async def _category_depth(session: AsyncSession, category_id: str, *, field: str) -> None:
    chain = await _ancestors(session, category_id, field=field)
    if len(chain) >= CATEGORY_DEPTH:
        raise BadInput(f"categories nest at most {CATEGORY_DEPTH} deep", field=field)


async def _subtree_height(session: AsyncSession, category_id: str) -> int:
    height, level = 1, [category_id]
    while True:
        level = list(
            (
                await session.scalars(
                    select(ArticleCategory.id).where(ArticleCategory.parent_id.in_(level))
                )
            ).all()
        )
        if not level:
            return height
        height += 1


async def _subtree(hub: Hub, category_id: str) -> list[str]:
    """The category and every category below it."""
    async with hub.db() as session:
        if await session.get(ArticleCategory, category_id) is None:
            raise NotFound("no such category", field="filter.categoryId")
        found, level = [category_id], [category_id]
        while level:
            level = list(
                (
                    await session.scalars(
                        select(ArticleCategory.id).where(ArticleCategory.parent_id.in_(level))
                    )
                ).all()
            )
            found += level
    return found


def _has_line(line: str) -> Any:
    # JSON list membership without dialect-specific JSON operators: the quoted code in the text.
    return func.cast(Article.product_lines, _text_type()).contains(f'"{line}"', autoescape=True)


def _has_tag(tag: str) -> Any:
    return func.cast(Article.tags, _text_type()).contains(f'"{tag}"', autoescape=True)


def _text_type() -> Any:
    return Text()


async def _count_read(
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


async def _count_miss(hub: Hub, query: str) -> None:
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


async def _flush_unique(session: AsyncSession, message: str, field: str) -> None:
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(message, field=field) from None
