"""The knowledge base: categories, articles with revisions, search, feedback and reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import audience, product_lines, validation
from hub.assets.rules import visible as assets_visible
from hub.db import distinct, escape_like, flush_unique, grouped_by, in_key_order
from hub.errors import BadInput, Conflict, NotFound
from hub.knowledge import categories, engagement, rules, search
from hub.knowledge.access import readable
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
    ArticlePartner,
    ArticleRevision,
    Asset,
)

# Articles: writing


async def create(hub: Hub, *, principal: Principal, data: ArticleInput) -> Article:
    """Write a new article as a DRAFT (vendor staff)."""
    require_vendor_staff(principal)
    clean = _checked(data)
    now = hub.clock.now()
    async with hub.write() as session:
        await _check_refs(session, principal, clean.category_id, clean.audience, clean)
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
        await flush_unique(session, "another article has this slug", "slug")
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
        changed = await _apply(session, principal, article, changes)
        if not changed:
            return article
        article.search_document = search.document_of(article.title, article.tags, article.body)
        article.version += 1
        article.updated_at = now
        _revise(session, article, principal, now, changed, _note(changes.note))
        await flush_unique(session, "another article has this slug", "slug")
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
    # Only a partner's read writes (its view count); vendor reads stay read-only.
    async with hub.write() if principal.is_partner else hub.read() as session:
        statement = readable(principal, select(Article))
        if article_id is not None:
            statement = statement.where(Article.id == article_id)
        else:
            statement = statement.where(Article.slug == (slug or "").strip().lower())
        article = (await session.scalars(statement)).one_or_none()
        if article is None:
            raise NotFound("no such article", field="id" if article_id is not None else "slug")
        if principal.is_partner:
            await engagement.count_read(
                session, article.id, principal.organization_id, hub.clock.now()
            )
    return article


async def by_ids(hub: Hub, *, principal: Principal, ids: Sequence[str]) -> list[Article | None]:
    """Articles by id as the caller may read them (None for the others)."""
    async with hub.read() as session:
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
        statement = statement.where(Article.status.in_(distinct(str(s) for s in filter.statuses)))
    if filter.category_id:
        statement = statement.where(
            Article.category_id.in_(await categories.subtree(hub, filter.category_id))
        )
    if filter.product_line:
        line = validation.product_line(filter.product_line, field="filter.productLine")
        statement = statement.where(_listed(Article.product_lines, line))
    tag = validation.filter_text(filter.tag, field="filter.tag")
    if tag:
        tag = tag.lower()
        statement = statement.where(_listed(Article.tags, tag))
    terms = search.words(rules.search_terms(filter.search))
    async with hub.read() as session:
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
    # Uncounted, a first page with room and no article is a search that found nothing.
    empty = (
        result.total_count == 0
        if result.total_count is not None
        else page.first > 0 and not result.items
    )
    if empty and page.after is None and principal.is_partner:
        await engagement.count_miss(hub, " ".join(terms))
    return result


async def revisions(
    hub: Hub, *, principal: Principal, article_ids: Sequence[str]
) -> list[list[ArticleRevision]]:
    """Revision history per article, newest first (vendor staff)."""
    require_vendor_staff(principal)
    async with hub.read() as session:
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
    async with hub.read() as session:
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
    async with hub.read() as session:
        rows = (
            await session.execute(
                select(ArticlePartner.article_id, ArticlePartner.partner_id).where(
                    ArticlePartner.article_id.in_(article_ids)
                )
            )
        ).all()
    return [[row[1] for row in group] for group in grouped_by(rows, article_ids, lambda r: r[0])]


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
        related_asset_ids=rules.related_assets(data.related_asset_ids),
    )


async def _apply(
    session: AsyncSession, principal: Principal, article: Article, changes: ArticleChanges
) -> list[str]:
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
        await categories.check_depth(session, changes.category_id, field="categoryId")
        put("categoryId", "category_id", changes.category_id)
    if changes.tags is not None:
        put("tags", "tags", rules.tags(changes.tags))
    if changes.product_lines is not None:
        lines = rules.product_lines(changes.product_lines)
        await product_lines.require(
            session, lines, field="productLines", kept=article.product_lines
        )
        put("productLines", "product_lines", lines)
    if changes.language is not None:
        put("language", "language", rules.language(changes.language))
    if changes.audience is not None:
        wanted_audience = changes.audience.checked()
        await audience.known_partners(
            session, principal, wanted_audience.partner_ids, field="input.visibility.partnerIds"
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
        wanted_assets = rules.related_assets(changes.related_asset_ids)
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
    session: AsyncSession,
    principal: Principal,
    category_id: str | None,
    wanted: audience.Audience,
    data: ArticleInput,
) -> None:
    if category_id is not None:
        await categories.check_depth(session, category_id, field="input.categoryId")
    await audience.known_partners(
        session, principal, wanted.partner_ids, field="input.visibility.partnerIds"
    )
    await product_lines.require(session, data.product_lines, field="productLines")
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


def _listed(column: Any, value: str) -> Any:
    # JSON list membership without dialect-specific JSON operators: the quoted value in the text.
    return cast(column, Text).contains(f'"{value}"', autoescape=True)
