"""Talking about best practices: ratings (one per user, changeable), comments, and names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from hub.db import upsert
from hub.errors import BadInput
from hub.knowledge import access, rules
from hub.knowledge.rules import PracticeStatus
from hub.pagination import Page, PageRequest, keyset_page
from hub.roles import Principal
from hub.runtime import Hub
from storage.models import BestPracticeComment, BestPracticeRating, Organization, User


@dataclass(frozen=True)
class Rating:
    average: float | None
    count: int
    mine: int | None


async def rate(hub: Hub, *, principal: Principal, practice_id: str, stars: int) -> Rating:
    """Rate a published practice 1-5; one rating per user, rating again changes it."""
    if not 1 <= stars <= 5:
        raise BadInput("stars must be between 1 and 5", field="stars")
    now = hub.clock.now()
    async with hub.write() as session:
        practice = await access.readable_practice(
            session, principal, practice_id, field="practiceId"
        )
        if practice.status != PracticeStatus.PUBLISHED:
            raise BadInput("only a published practice can be rated", field="practiceId")
        statement = upsert(session, BestPracticeRating).values(
            practice_id=practice_id, user_id=principal.user_id, stars=stars, rated_at=now
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["practice_id", "user_id"], set_={"stars": stars, "rated_at": now}
            )
        )
    [rating] = await ratings(hub, principal=principal, practice_ids=[practice_id])
    return rating


async def comment(
    hub: Hub, *, principal: Principal, practice_id: str, body: str
) -> BestPracticeComment:
    """Comment on a published practice the caller may see."""
    text = rules.markdown(body, field="body", max_length=5000)
    async with hub.write() as session:
        practice = await access.readable_practice(
            session, principal, practice_id, field="practiceId"
        )
        if practice.status != PracticeStatus.PUBLISHED:
            raise BadInput("only a published practice can be commented on", field="practiceId")
        made = BestPracticeComment(
            practice_id=practice_id,
            author_id=principal.user_id,
            organization_id=principal.organization_id,
            body=text,
            created_at=hub.clock.now(),
        )
        session.add(made)
    return made


async def ratings(hub: Hub, *, principal: Principal, practice_ids: Sequence[str]) -> list[Rating]:
    async with hub.read() as session:
        overall = {
            row[0]: (float(row[1]), int(row[2]))
            for row in (
                await session.execute(
                    select(
                        BestPracticeRating.practice_id,
                        func.avg(BestPracticeRating.stars),
                        func.count(),
                    )
                    .where(BestPracticeRating.practice_id.in_(practice_ids))
                    .group_by(BestPracticeRating.practice_id)
                )
            ).all()
        }
        mine = {
            row[0]: row[1]
            for row in (
                await session.execute(
                    select(BestPracticeRating.practice_id, BestPracticeRating.stars).where(
                        BestPracticeRating.practice_id.in_(practice_ids),
                        BestPracticeRating.user_id == principal.user_id,
                    )
                )
            ).all()
        }
    return [
        Rating(
            round(overall[key][0], 2) if key in overall else None,
            overall.get(key, (0.0, 0))[1],
            mine.get(key),
        )
        for key in practice_ids
    ]


async def comments(
    hub: Hub, *, principal: Principal, practice_id: str, page: PageRequest
) -> Page[BestPracticeComment]:
    async with hub.read() as session:
        await access.readable_practice(session, principal, practice_id, field="id")
        return await keyset_page(
            session,
            select(BestPracticeComment).where(BestPracticeComment.practice_id == practice_id),
            page,
            key=(BestPracticeComment.created_at, BestPracticeComment.id),
        )


async def user_names(hub: Hub, user_ids: Sequence[str]) -> list[str | None]:
    """Display names of contributors and commenters (names only, whatever the organization)."""
    async with hub.read() as session:
        rows = {
            row[0]: row[1]
            for row in (
                await session.execute(select(User.id, User.name).where(User.id.in_(user_ids)))
            ).all()
        }
    return [rows.get(key) for key in user_ids]


async def organization_names(hub: Hub, organization_ids: Sequence[str]) -> list[str | None]:
    async with hub.read() as session:
        rows = {
            row[0]: row[1]
            for row in (
                await session.execute(
                    select(Organization.id, Organization.name).where(
                        Organization.id.in_(organization_ids)
                    )
                )
            ).all()
        }
    return [rows.get(key) for key in organization_ids]
