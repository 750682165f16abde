"""The best-practice library: partners contribute, the vendor reviews, everyone rates.

A practice is SUBMITTED by a partner user, then PUBLISHED or REJECTED (with a reason) by
vendor staff, who may also feature it. The contributing organization always sees its own;
other partners see published practices their tier and type are entitled to.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import attachments, audience, product_lines, validation
from hub import files as filestore
from hub.db import distinct
from hub.errors import BadInput, Conflict, Forbidden, NotFound
from hub.knowledge import access, rules
from hub.knowledge.attachments import TABLE as ATTACHMENTS
from hub.knowledge.rules import PracticeFilter, PracticeInput, PracticeOrder, PracticeStatus
from hub.pagination import Page, PageRequest, decode_cursor, encode_cursor
from hub.roles import Principal, require_vendor_staff
from hub.runtime import Hub
from storage.models import (
    BestPractice,
    BestPracticeAttachment,
    BestPracticePartner,
    BestPracticeRating,
)

TEXT_MAX = 20_000
MAX_ATTACHMENTS = 10
# Ranking: a Bayesian average pulls few ratings towards PRIOR; featured practices and recent
# ones get a lift that fades with a half-life of HALF_LIFE_DAYS.
PRIOR_MEAN, PRIOR_WEIGHT = 3.0, 3
FEATURED_BOOST = 1.5
RECENCY_BOOST, HALF_LIFE_DAYS = 1.0, 30.0


# Writing


async def submit(
    hub: Hub,
    *,
    principal: Principal,
    data: PracticeInput,
    files: Sequence[tuple[str, AsyncIterator[bytes]]] = (),
) -> BestPractice:
    """A partner user contributes a practice for review, with uploaded files and/or assets."""
    if not principal.is_partner:
        raise Forbidden("best practices are contributed by partner users")
    clean = _checked(data)
    if len(files) + len(clean.asset_ids) > MAX_ATTACHMENTS:
        raise BadInput(f"at most {MAX_ATTACHMENTS} attachments", field="attachments")
    async with hub.read() as session:
        await attachments.usable_assets(session, principal, clean.asset_ids, field="input.assetIds")
    stored: list[filestore.StoredFile] = []
    try:
        for index, (file_name, chunks) in enumerate(files):
            stored.append(
                await filestore.store(
                    hub,
                    file_name,
                    chunks,
                    prefix=BestPracticeAttachment.file_prefix,
                    field=f"attachments[{index}]",
                )
            )
        now = hub.clock.now()
        async with hub.write() as session:
            await audience.known_partners(
                session, principal, clean.audience.partner_ids, field="input.visibility.partnerIds"
            )
            await product_lines.require(session, clean.product_lines, field="productLines")
            practice = BestPractice(
                partner_id=principal.organization_id,
                author_id=principal.user_id,
                status=PracticeStatus.SUBMITTED,
                featured=False,
                created_at=now,
                updated_at=now,
                version=1,
                **_columns(clean),
            )
            session.add(practice)
            await session.flush()
            await _set_audience(session, practice.id, clean.audience)
            attachments.add(session, ATTACHMENTS, practice.id, stored, clean.asset_ids)
    except BaseException:
        await filestore.forget(hub, [one.key for one in stored])
        raise
    return practice


async def revise(
    hub: Hub,
    *,
    principal: Principal,
    practice_id: str,
    data: PracticeInput,
    expected_version: int | None,
) -> BestPractice:
    """The contributor's organization reworks a practice not yet published; it goes to review."""
    clean = _checked(data)
    now = hub.clock.now()
    async with hub.write() as session:
        practice = await _for_update(session, principal, practice_id, expected_version)
        if practice.partner_id != principal.organization_id:
            raise Forbidden("only the contributing partner may revise a practice")
        if practice.status == PracticeStatus.PUBLISHED:
            raise BadInput("a published practice cannot be revised", field="id")
        await audience.known_partners(
            session, principal, clean.audience.partner_ids, field="input.visibility.partnerIds"
        )
        await product_lines.require(
            session, clean.product_lines, field="productLines", kept=practice.product_lines
        )
        await attachments.usable_assets(session, principal, clean.asset_ids, field="input.assetIds")
        for attribute, value in _columns(clean).items():
            setattr(practice, attribute, value)
        practice.status = PracticeStatus.SUBMITTED
        practice.reject_reason = None
        practice.version += 1
        practice.updated_at = now
        await session.execute(
            delete(BestPracticePartner).where(BestPracticePartner.practice_id == practice.id)
        )
        await _set_audience(session, practice.id, clean.audience)
        await session.execute(
            delete(BestPracticeAttachment).where(
                BestPracticeAttachment.practice_id == practice.id,
                BestPracticeAttachment.asset_id.is_not(None),
            )
        )
        files = await session.scalar(
            select(func.count()).where(BestPracticeAttachment.practice_id == practice.id)
        )
        attachments.add(
            session, ATTACHMENTS, practice.id, [], clean.asset_ids, first_position=files or 0
        )
    return practice


async def review(
    hub: Hub,
    *,
    principal: Principal,
    practice_id: str,
    publish: bool,
    reason: str | None,
    featured: bool | None,
    expected_version: int | None,
) -> BestPractice:
    """Publish or reject a submitted practice (vendor staff); a rejection needs a reason."""
    require_vendor_staff(principal)
    why = validation.optional_text(reason, field="reason", max_length=1000)
    if not publish and why is None:
        raise BadInput("say why the practice is rejected", field="reason")
    now = hub.clock.now()
    async with hub.write() as session:
        practice = await _for_update(session, principal, practice_id, expected_version)
        if practice.status != PracticeStatus.SUBMITTED:
            raise BadInput(
                f"only a SUBMITTED practice can be reviewed; this one is {practice.status}",
                field="id",
            )
        practice.status = PracticeStatus.PUBLISHED if publish else PracticeStatus.REJECTED
        practice.reject_reason = None if publish else why
        practice.reviewed_by_id = principal.user_id
        practice.reviewed_at = now
        if publish:
            practice.published_at = practice.published_at or now
            if featured is not None:
                practice.featured = featured
        practice.version += 1
        practice.updated_at = now
    return practice


async def feature(
    hub: Hub, *, principal: Principal, practice_id: str, featured: bool
) -> BestPractice:
    """Mark a published practice FEATURED, or not (vendor staff)."""
    require_vendor_staff(principal)
    async with hub.write() as session:
        practice = await _for_update(session, principal, practice_id, None)
        if practice.status != PracticeStatus.PUBLISHED:
            raise BadInput("only a published practice can be featured", field="id")
        if practice.featured != featured:
            practice.featured = featured
            practice.version += 1
            practice.updated_at = hub.clock.now()
    return practice


# Reading


async def get(hub: Hub, *, principal: Principal, practice_id: str) -> BestPractice:
    async with hub.read() as session:
        return await access.readable_practice(session, principal, practice_id, field="id")


async def list_practices(
    hub: Hub,
    *,
    principal: Principal,
    filter: PracticeFilter,
    order: PracticeOrder,
    page: PageRequest,
) -> Page[BestPractice]:
    """Practices the caller may see, ranked (featured, rating, recency), newest or top rated."""
    statement = access.readable_practices(principal, select(BestPractice))
    if filter.mine:
        statement = statement.where(BestPractice.partner_id == principal.organization_id)
    if filter.statuses:
        statement = statement.where(
            BestPractice.status.in_(distinct(str(s) for s in filter.statuses))
        )
    elif not filter.mine:
        statement = statement.where(BestPractice.status == PracticeStatus.PUBLISHED)
    if filter.featured_only:
        statement = statement.where(BestPractice.featured.is_(True))
    if filter.product_line:
        line = validation.product_line(filter.product_line, field="filter.productLine")
        statement = statement.where(
            BestPractice.search_text.contains(f" line:{line.lower()} ", autoescape=True)
        )
    tag = validation.filter_text(filter.tag, field="filter.tag")
    if tag:
        tag = tag.lower()
        statement = statement.where(
            BestPractice.search_text.contains(f" tag:{tag} ", autoescape=True)
        )
    for word in rules.search_terms(filter.search):
        statement = statement.where(BestPractice.search_text.contains(word, autoescape=True))
    now = hub.clock.now()
    async with hub.read() as session:
        subset = statement.subquery()
        stars = (
            select(
                BestPracticeRating.practice_id,
                func.avg(BestPracticeRating.stars).label("average"),
                func.count().label("count"),
            )
            .group_by(BestPracticeRating.practice_id)
            .subquery()
        )
        rows = (
            await session.execute(
                select(
                    subset.c.id,
                    subset.c.featured,
                    subset.c.published_at,
                    subset.c.created_at,
                    stars.c.average,
                    stars.c.count,
                ).outerjoin(stars, stars.c.practice_id == subset.c.id)
            )
        ).all()
        keyed = sorted(((_sort_key(order, row, now), row[0]) for row in rows), reverse=True)
        start = 0
        if page.after is not None:
            start = _offset_after(page.after, order, len(keyed))
        window = keyed[start : start + page.first]
        found = {
            practice.id: practice
            for practice in (
                await session.scalars(
                    select(BestPractice).where(BestPractice.id.in_([key[1] for key in window]))
                )
            ).all()
        }
    return Page(
        items=[found[key[1]] for key in window],
        cursors=[
            encode_cursor(f"practices.{order}", [start + index + 1]) for index in range(len(window))
        ],
        has_next_page=start + page.first < len(keyed),
        has_previous_page=start > 0,
        total_count=len(keyed),
    )


# Helpers


def _checked(data: PracticeInput) -> PracticeInput:
    return PracticeInput(
        title=rules.title(data.title),
        problem=rules.markdown(data.problem, field="problem", max_length=TEXT_MAX),
        approach=rules.markdown(data.approach, field="approach", max_length=TEXT_MAX),
        outcome=rules.markdown(data.outcome, field="outcome", max_length=TEXT_MAX),
        tags=rules.tags(data.tags),
        product_lines=rules.product_lines(data.product_lines),
        hide_author=data.hide_author,
        audience=data.audience.checked(),
        asset_ids=list(dict.fromkeys(data.asset_ids)),
    )


def _columns(data: PracticeInput) -> dict[str, Any]:
    words = [
        data.title,
        data.problem,
        data.approach,
        data.outcome,
        *(f"tag:{tag}" for tag in data.tags),
        *(f"line:{line}" for line in data.product_lines),
    ]
    return {
        "title": data.title,
        "problem": data.problem,
        "approach": data.approach,
        "outcome": data.outcome,
        "tags": list(data.tags),
        "product_lines": list(data.product_lines),
        "hide_author": data.hide_author,
        "search_text": f" {' '.join(words).lower()} ",
        **data.audience.columns(),
    }


async def _set_audience(session: AsyncSession, practice_id: str, wanted: audience.Audience) -> None:
    session.add_all(
        BestPracticePartner(practice_id=practice_id, partner_id=partner)
        for partner in wanted.partner_ids
    )


async def _for_update(
    session: AsyncSession, principal: Principal, practice_id: str, expected: int | None
) -> BestPractice:
    practice = (
        await session.scalars(
            access.readable_practices(principal, select(BestPractice))
            .where(BestPractice.id == practice_id)
            .with_for_update(of=BestPractice)
        )
    ).one_or_none()
    if practice is None:
        raise NotFound("no such best practice", field="id")
    if expected is not None and practice.version != expected:
        raise Conflict(
            f"the practice changed meanwhile (version {practice.version}, not {expected})",
            field="expectedVersion",
        )
    return practice


def _sort_key(order: PracticeOrder, row: Any, now: datetime) -> tuple[float, ...]:
    _, featured, published_at, created_at, average, count = row
    when = published_at or created_at
    age_days = max((now - when).total_seconds() / 86400, 0.0)
    count = int(count or 0)
    bayes = (PRIOR_MEAN * PRIOR_WEIGHT + float(average or 0) * count) / (PRIOR_WEIGHT + count)
    if order is PracticeOrder.NEWEST:
        return (when.timestamp(),)
    if order is PracticeOrder.TOP_RATED:
        return (bayes, count, when.timestamp())
    recency = RECENCY_BOOST * math.pow(0.5, age_days / HALF_LIFE_DAYS)
    return (bayes + recency + (FEATURED_BOOST if featured else 0.0), when.timestamp())


def _offset_after(cursor: str, order: PracticeOrder, total: int) -> int:
    offset: int = decode_cursor(cursor, f"practices.{order}", (int,))[0]
    if offset < 0:
        raise BadInput("after is not a valid cursor", field="after")
    # The list may have shrunk since the cursor was issued: past its end is an empty page.
    return min(offset, total)
