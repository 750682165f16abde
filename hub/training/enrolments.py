"""Enrolments: taking a course lesson by lesson, the graded assessment, completion."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import grouped_by, in_key_order, upsert
from hub.errors import BadInput, Conflict, Forbidden, NotFound
from hub.pagination import Page, PageRequest, keyset_page
from hub.roles import Principal, Role
from hub.runtime import Hub
from hub.training import certifications, courses
from hub.training.rules import EnrolmentFilter, grade
from storage.models import AssessmentAttempt, Course, Enrolment, Lesson, LessonProgress


@dataclass(frozen=True)
class Submitted:
    attempt: AssessmentAttempt
    enrolment: Enrolment
    attempts_left: int


def visible(principal: Principal) -> ColumnElement[bool]:
    """Vendor-side accounts see all; partner admins their organization's; users their own."""
    if principal.is_vendor:
        return true()
    if principal.role is Role.PARTNER_ADMIN:
        return Enrolment.organization_id == principal.organization_id
    return Enrolment.user_id == principal.user_id


async def enrol(hub: Hub, *, principal: Principal, course_id: str) -> Enrolment:
    """Enrol the caller; enrolling again returns the open enrolment, or after completion
    starts a new cycle (a re-take, for renewal)."""
    if not principal.is_partner:
        raise Forbidden("only partner users enrol in courses")
    try:
        async with hub.write() as session:
            try:
                course = await courses.load_visible(session, principal, course_id)
            except NotFound:
                raise NotFound("no such course", field="courseId") from None
            latest = await _latest(session, course.id, principal.user_id)
            if latest is not None and latest.completed_at is None:
                return latest
            enrolment = Enrolment(
                course_id=course.id,
                user_id=principal.user_id,
                organization_id=principal.organization_id,
                cycle=latest.cycle + 1 if latest else 1,
                enrolled_at=hub.clock.now(),
            )
            session.add(enrolment)
            await session.flush()
    except IntegrityError:
        # A concurrent enrol of the same user and course won the race: it is the enrolment.
        async with hub.read() as session:
            winner = await _latest(session, course_id, principal.user_id)
        if winner is None:
            raise
        return winner
    return enrolment


async def _latest(session: AsyncSession, course_id: str, user_id: str) -> Enrolment | None:
    statement = (
        select(Enrolment)
        .where(Enrolment.course_id == course_id, Enrolment.user_id == user_id)
        .order_by(Enrolment.cycle.desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def complete_lesson(
    hub: Hub, *, principal: Principal, enrolment_id: str, lesson_id: str
) -> Enrolment:
    """Mark a lesson done (idempotent); the course completes when everything is done."""
    async with hub.write() as session:
        enrolment, course = await _own(session, principal, enrolment_id)
        lesson = await session.scalar(
            select(Lesson.id).where(Lesson.id == lesson_id, Lesson.course_id == course.id)
        )
        if lesson is None:
            raise BadInput("this course has no such lesson", field="lessonId")
        if enrolment.completed_at is None:
            await session.execute(
                upsert(session, LessonProgress)
                .values(enrolment_id=enrolment.id, lesson_id=lesson, completed_at=hub.clock.now())
                .on_conflict_do_nothing()
            )
            await _maybe_complete(hub, session, enrolment, course)
    return enrolment


async def submit_assessment(
    hub: Hub,
    *,
    principal: Principal,
    enrolment_id: str,
    answers: Sequence[tuple[str, Sequence[int]]],
) -> Submitted:
    """Grade an attempt on the server and record it; only the score and wrong questions show."""
    async with hub.write() as session:
        enrolment, course = await _own(session, principal, enrolment_id)
        if course.pass_mark is None or course.max_attempts is None:
            raise BadInput("this course has no assessment", field="enrolmentId")
        if enrolment.passed_at is not None:
            raise Conflict("the assessment was already passed", field="enrolmentId")
        used = await session.scalar(
            select(func.count())
            .select_from(AssessmentAttempt)
            .where(AssessmentAttempt.enrolment_id == enrolment.id)
        )
        used = used or 0
        if used >= course.max_attempts:
            raise BadInput(
                f"the assessment allows at most {course.max_attempts} attempt(s) and all were used",
                field="enrolmentId",
            )
        graded, chosen = grade(course.questions, answers, course.pass_mark)
        now = hub.clock.now()
        attempt = AssessmentAttempt(
            enrolment_id=enrolment.id,
            number=used + 1,
            answers=chosen,
            score=graded.score,
            passed=graded.passed,
            wrong_questions=graded.wrong,
            submitted_at=now,
        )
        session.add(attempt)
        if graded.passed:
            enrolment.passed_at = now
            await _maybe_complete(hub, session, enrolment, course)
        await session.flush()
    return Submitted(attempt, enrolment, course.max_attempts - used - 1)


async def _own(
    session: AsyncSession, principal: Principal, enrolment_id: str
) -> tuple[Enrolment, Course]:
    """The caller's own enrolment, locked; others visible to the caller are forbidden."""
    statement = (
        select(Enrolment)
        .where(Enrolment.id == enrolment_id, visible(principal))
        .with_for_update(of=Enrolment)
    )
    enrolment = (await session.execute(statement)).scalar_one_or_none()
    if enrolment is None:
        raise NotFound("no such enrolment", field="enrolmentId")
    if enrolment.user_id != principal.user_id:
        raise Forbidden("only the enrolled user takes the course")
    course = await session.get(Course, enrolment.course_id)
    assert course is not None, "an enrolment's course exists (cascade)"
    return enrolment, course


async def _maybe_complete(
    hub: Hub, session: AsyncSession, enrolment: Enrolment, course: Course
) -> None:
    if course.pass_mark is not None and enrolment.passed_at is None:
        return
    lessons = await session.scalar(
        select(func.count()).select_from(Lesson).where(Lesson.course_id == course.id)
    )
    done = await session.scalar(
        select(func.count())
        .select_from(LessonProgress)
        .where(LessonProgress.enrolment_id == enrolment.id)
    )
    if (done or 0) < (lessons or 0):
        return
    enrolment.completed_at = hub.clock.now()
    await session.flush()
    await certifications.on_course_completed(hub, session, enrolment)


async def get(hub: Hub, *, principal: Principal, enrolment_id: str) -> Enrolment:
    async with hub.read() as session:
        enrolment = await session.scalar(
            select(Enrolment).where(Enrolment.id == enrolment_id, visible(principal))
        )
    if enrolment is None:
        raise NotFound("no such enrolment", field="id")
    return enrolment


async def by_ids(hub: Hub, *, principal: Principal, ids: Sequence[str]) -> list[Enrolment | None]:
    async with hub.read() as session:
        rows = (
            await session.execute(
                select(Enrolment).where(Enrolment.id.in_(ids), visible(principal))
            )
        ).scalars()
        return in_key_order(rows, ids)


async def list_enrolments(
    hub: Hub, *, principal: Principal, filter: EnrolmentFilter, page: PageRequest
) -> Page[Enrolment]:
    """Enrolments the caller may see, newest first."""
    conditions = [visible(principal)]
    if filter.course_id:
        conditions.append(Enrolment.course_id == filter.course_id)
    if filter.user_id:
        conditions.append(Enrolment.user_id == filter.user_id)
    if filter.partner_id:
        conditions.append(Enrolment.organization_id == filter.partner_id)
    if filter.completed is not None:
        done = Enrolment.completed_at.is_not(None)
        conditions.append(done if filter.completed else ~done)
    statement = select(Enrolment).where(and_(*conditions))
    async with hub.read() as session:
        return await keyset_page(
            session, statement, page, key=(Enrolment.enrolled_at, Enrolment.id), descending=True
        )


async def progress_by_enrolment(hub: Hub, ids: Sequence[str]) -> list[list[LessonProgress]]:
    statement = (
        select(LessonProgress)
        .where(LessonProgress.enrolment_id.in_(ids))
        .order_by(LessonProgress.completed_at)
    )
    async with hub.read() as session:
        rows = (await session.execute(statement)).scalars()
        return grouped_by(rows, ids, lambda row: row.enrolment_id)


async def attempts_by_enrolment(hub: Hub, ids: Sequence[str]) -> list[list[AssessmentAttempt]]:
    statement = (
        select(AssessmentAttempt)
        .where(AssessmentAttempt.enrolment_id.in_(ids))
        .order_by(AssessmentAttempt.number)
    )
    async with hub.read() as session:
        rows = (await session.execute(statement)).scalars()
        return grouped_by(rows, ids, lambda row: row.enrolment_id)
