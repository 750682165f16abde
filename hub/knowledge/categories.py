"""The knowledge base's category tree: at most CATEGORY_DEPTH levels, never a cycle."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import validation
from hub.db import escape_like, flush_unique, in_key_order
from hub.errors import BadInput, NotFound
from hub.knowledge import rules
from hub.roles import Principal, require_vendor_staff
from hub.runtime import Hub
from storage.models import Article, ArticleCategory

CATEGORY_DEPTH = 6


async def categories(hub: Hub) -> list[ArticleCategory]:
    """The whole category tree, parents before children, siblings by position then name."""
    async with hub.read() as session:
        rows = list(
            (
                await session.scalars(
                    select(ArticleCategory).order_by(ArticleCategory.position, ArticleCategory.name)
                )
            ).all()
        )
    return rows


async def categories_by_ids(hub: Hub, ids: Sequence[str]) -> list[ArticleCategory | None]:
    async with hub.read() as session:
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
            await check_depth(session, parent_id, field="parentId")
        category = ArticleCategory(
            name=clean,
            slug=await _free_category_slug(session, rules.slug(clean, field="name")),
            parent_id=parent_id,
            position=position,
        )
        session.add(category)
        await flush_unique(session, "a category of that name already exists here", "name")
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
        await flush_unique(session, "a category of that name already exists here", "name")
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


async def check_depth(session: AsyncSession, category_id: str, *, field: str) -> None:
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


async def subtree(hub: Hub, category_id: str) -> list[str]:
    """The category and every category below it."""
    async with hub.read() as session:
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
