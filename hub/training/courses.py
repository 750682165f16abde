"""Courses: vendor staff author them; partners see the published ones their tier allows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, and_, cast, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import audience, product_lines, validation
from hub.audience import TIER_RANK
from hub.db import grouped_by, in_key_order
from hub.errors import BadInput, Conflict, NotFound
from hub.pagination import Page, PageRequest, keyset_page
from hub.roles import Principal, require_vendor_staff
from hub.runtime import Hub
from hub.training.rules import (
    CourseFilter,
    CourseInput,
    LessonRow,
    assessment_columns,
    course_columns,
    lesson_rows,
)
from storage.models import Article, Asset, Course, Enrolment, Lesson, Partner


def visible(principal: Principal, statement: Select[tuple[Course]]) -> Select[tuple[Course]]:
    """Vendor-side accounts see every course; a partner the published ones its tier reaches."""
    if principal.is_vendor:
        return statement
    return statement.where(Course.published.is_(True), Course.min_tier_rank <= _rank_of(principal))


def _rank_of(principal: Principal) -> ColumnElement[int]:
    tier = select(Partner.tier).where(Partner.id == principal.organization_id).scalar_subquery()
    ranked = audience.rank_of(tier)
    return func.coalesce(ranked, -1)


async def load_visible(
    session: AsyncSession, principal: Principal, course_id: str, *, for_update: bool = False
) -> Course:
    """Load a course the principal may see, or raise NotFound."""
    statement = visible(principal, select(Course)).where(Course.id == course_id)
    if for_update:
        statement = statement.with_for_update(of=Course)
    course = (await session.execute(statement)).scalar_one_or_none()
    if course is None:
        raise NotFound("no such course", field="id")
    return course


async def create(hub: Hub, *, principal: Principal, data: CourseInput) -> Course:
    """Create a course with its modules, lessons and optional assessment (vendor staff)."""
    require_vendor_staff(principal)
    columns = _columns(data)
    rows = lesson_rows(data.modules)
    now = hub.clock.now()
    async with hub.write() as session:
        await product_lines.require(session, columns["product_lines"], field="input.productLines")
        await _check_references(session, rows)
        course = Course(**columns, created_by_id=principal.user_id, created_at=now, updated_at=now)
        session.add(course)
        await session.flush()
        _add_lessons(session, course.id, rows)
    return course


async def update(
    hub: Hub, *, principal: Principal, course_id: str, changes: dict[str, Any]
) -> Course:
    """Change a course (vendor staff); lessons and assessment only while nobody is enrolled."""
    require_vendor_staff(principal)
    async with hub.write() as session:
        course = await load_visible(session, principal, course_id, for_update=True)
        current = CourseInput(
            title=course.title,
            summary=course.summary,
            product_lines=course.product_lines,
            estimated_minutes=course.estimated_minutes,
            published=course.published,
            modules=(),
        )
        merged = CourseInput(**{**vars(current), **_plain(changes)})
        columns = course_columns(merged)
        await product_lines.require(
            session,
            columns["product_lines"],
            field="input.productLines",
            kept=course.product_lines,
        )
        if "required_tier" in changes:
            tier = changes["required_tier"]
            columns["min_tier_rank"] = TIER_RANK[tier] if tier else 0
        if "modules" in changes or "assessment" in changes:
            await _refuse_if_enrolled(session, course.id)
        if "assessment" in changes:
            columns.update(assessment_columns(changes["assessment"]))
        if "modules" in changes:
            rows = lesson_rows(changes["modules"])
            await _check_references(session, rows)
            for lesson in await session.scalars(
                select(Lesson).where(Lesson.course_id == course.id)
            ):
                await session.delete(lesson)
            await session.flush()
            _add_lessons(session, course.id, rows)
        for key, value in columns.items():
            setattr(course, key, value)
        course.updated_at = hub.clock.now()
    return course


def _plain(changes: dict[str, Any]) -> dict[str, Any]:
    own = {"title", "summary", "product_lines", "estimated_minutes", "published"}
    return {key: value for key, value in changes.items() if key in own}


def _columns(data: CourseInput) -> dict[str, Any]:
    columns = course_columns(data)
    columns["min_tier_rank"] = TIER_RANK[data.required_tier] if data.required_tier else 0
    columns.update(assessment_columns(data.assessment))
    return columns


async def _refuse_if_enrolled(session: AsyncSession, course_id: str) -> None:
    if await session.scalar(select(exists().where(Enrolment.course_id == course_id))):
        raise Conflict(
            "people are enrolled in this course: its lessons and assessment can no longer "
            "change; create a new course instead",
            field="input",
        )


async def _check_references(session: AsyncSession, rows: Sequence[LessonRow]) -> None:
    """Every lesson's asset or article exists; the first missing one is named by its path."""
    for model, attribute, field in (
        (Asset, "asset_id", "assetId"),
        (Article, "article_id", "articleId"),
    ):
        wanted = {getattr(row, attribute) for row in rows if getattr(row, attribute)}
        found = set(
            (await session.scalars(select(model.id).where(model.id.in_(wanted)))).all()
            if wanted
            else ()
        )
        for row in rows:
            value = getattr(row, attribute)
            if value and value not in found:
                kind = field.removesuffix("Id")
                raise BadInput(f"no {kind} {value}", field=f"{row.path}.{field}")


def _add_lessons(session: AsyncSession, course_id: str, rows: Sequence[LessonRow]) -> None:
    session.add_all(
        Lesson(
            course_id=course_id,
            position=position,
            module_index=row.module_index,
            module_title=row.module_title,
            title=row.title,
            kind=row.kind,
            asset_id=row.asset_id,
            url=row.url,
            article_id=row.article_id,
        )
        for position, row in enumerate(rows)
    )


async def get(hub: Hub, *, principal: Principal, course_id: str) -> Course:
    async with hub.read() as session:
        return await load_visible(session, principal, course_id)


async def by_ids(hub: Hub, *, principal: Principal, ids: Sequence[str]) -> list[Course | None]:
    async with hub.read() as session:
        rows = (
            await session.execute(visible(principal, select(Course)).where(Course.id.in_(ids)))
        ).scalars()
        return in_key_order(rows, ids)


async def lessons_by_course(hub: Hub, ids: Sequence[str]) -> list[list[Lesson]]:
    statement = select(Lesson).where(Lesson.course_id.in_(ids)).order_by(Lesson.position)
    async with hub.read() as session:
        rows = (await session.execute(statement)).scalars()
        return grouped_by(rows, ids, lambda row: row.course_id)


async def list_courses(
    hub: Hub, *, principal: Principal, filter: CourseFilter, page: PageRequest
) -> Page[Course]:
    """Courses the caller may see, most recently changed first."""
    statement = visible(principal, select(Course))
    if not filter.include_unpublished:
        statement = statement.where(Course.published.is_(True))
    conditions = []
    if filter.product_line:
        line = validation.product_line(filter.product_line, field="filter.productLine")
        conditions.append(cast(Course.product_lines, Text).contains(f'"{line}"'))
    search = validation.filter_text(filter.search, field="filter.search")
    for word in (search or "").lower().split()[:8]:
        conditions.append(func.lower(Course.title).contains(word, autoescape=True))
    if conditions:
        statement = statement.where(and_(*conditions))
    async with hub.read() as session:
        return await keyset_page(
            session, statement, page, key=(Course.updated_at, Course.id), descending=True
        )
