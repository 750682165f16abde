"""Who may read what: articles and best practices, for vendor accounts and partners."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import audience
from hub.errors import NotFound
from hub.knowledge.rules import ArticleStatus, PracticeStatus
from hub.roles import Principal
from storage.models import Article, ArticlePartner, BestPractice, BestPracticePartner

Row = TypeVar("Row", bound=tuple[Any, ...])
NAMED = audience.NamedPartners(ArticlePartner.article_id, ArticlePartner.partner_id)
PRACTICE_NAMED = audience.NamedPartners(
    BestPracticePartner.practice_id, BestPracticePartner.partner_id
)


def readable(principal: Principal, statement: Select[Row]) -> Select[Row]:
    """Vendor accounts read every article; a partner the published ones it is entitled to."""
    if principal.is_vendor:
        return statement
    return statement.where(
        Article.status == ArticleStatus.PUBLISHED,
        audience.entitles(Article, NAMED, principal.organization_id),
    )


def readable_practices(principal: Principal, statement: Select[Row]) -> Select[Row]:
    """Vendor sees all; a partner its own organization's, and published entitled ones."""
    if principal.is_vendor:
        return statement
    return statement.where(
        or_(
            BestPractice.partner_id == principal.organization_id,
            (BestPractice.status == PracticeStatus.PUBLISHED)
            & audience.entitles(BestPractice, PRACTICE_NAMED, principal.organization_id),
        )
    )


async def readable_practice(
    session: AsyncSession, principal: Principal, practice_id: str, *, field: str
) -> BestPractice:
    practice = (
        await session.scalars(
            readable_practices(principal, select(BestPractice)).where(
                BestPractice.id == practice_id
            )
        )
    ).one_or_none()
    if practice is None:
        raise NotFound("no such best practice", field=field)
    return practice
