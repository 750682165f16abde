"""Training: grading and attempt limits, automatic issue, expiry notices, renewal, revocation,
tier compliance, tier-gated courses and concurrent enrolment and issue."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from hub import jobs
from hub.clock import ManualClock
from hub.errors import BadInput, Conflict, Forbidden, NotFound
from hub.knowledge import articles
from hub.knowledge.rules import ArticleInput
from hub.pagination import PageRequest
from hub.partners import Tier
from hub.roles import Role
from hub.runtime import Hub
from hub.training import certifications, compliance, courses, enrolments
from hub.training.rules import (
    AssessmentInput,
    CertificationFilter,
    CertificationStatus,
    CourseFilter,
    CourseInput,
    DefinitionInput,
    EnrolmentFilter,
    LessonInput,
    ModuleInput,
    QuestionInput,
)
from storage.models import Certification, Course, Enrolment, Event
from tests.factories import Actor, Factory

PAGE = PageRequest(first=50)


@dataclass
class Channel:
    vendor: Actor
    gold_id: str
    silver_id: str
    gold_user: Actor
    gold_admin: Actor
    silver_user: Actor


async def make_channel(factory: Factory) -> Channel:
    gold = await factory.partner("Gold", tier=Tier.GOLD)
    silver = await factory.partner("Silver", tier=Tier.SILVER)
    return Channel(
        vendor=await factory.vendor_admin(),
        gold_id=gold.id,
        silver_id=silver.id,
        gold_user=await factory.user(gold.id, Role.PARTNER_USER),
        gold_admin=await factory.user(gold.id, Role.PARTNER_ADMIN),
        silver_user=await factory.user(silver.id, Role.PARTNER_USER),
    )


@pytest.fixture
async def channel(factory: Factory) -> Channel:
    return await make_channel(factory)


@pytest.fixture
async def any_channel(any_factory: Factory) -> Channel:
    """The same channel on PostgreSQL and on the embedded SQLite (races run on both)."""
    return await make_channel(any_factory)


def course_input(lessons: int = 2, **fields: Any) -> CourseInput:
    data = CourseInput(
        title="Switching basics",
        estimated_minutes=45,
        product_lines=("networking",),
        published=True,
        modules=(
            ModuleInput(
                "Intro",
                tuple(
                    LessonInput(f"Lesson {n}", url=f"https://learn.example/{n}")
                    for n in range(lessons)
                ),
            ),
        ),
    )
    return replace(data, **fields)


QUIZ = AssessmentInput(
    pass_mark=100,
    max_attempts=2,
    questions=(
        QuestionInput("Which port?", ("22", "443", "80"), (1,)),
        QuestionInput("Which are switches?", ("S1", "R1", "S2"), (0, 2)),
    ),
)


async def new_course(hub: Hub, channel: Channel, **fields: Any) -> Course:
    return await courses.create(
        hub, principal=channel.vendor.principal, data=course_input(**fields)
    )


async def finish(hub: Hub, actor: Actor, course: Course) -> Enrolment:
    """Enrol and complete every lesson of a course (without an assessment)."""
    enrolment = await enrolments.enrol(hub, principal=actor.principal, course_id=course.id)
    for lesson in (await courses.lessons_by_course(hub, [course.id]))[0]:
        enrolment = await enrolments.complete_lesson(
            hub, principal=actor.principal, enrolment_id=enrolment.id, lesson_id=lesson.id
        )
    return enrolment


async def define(hub: Hub, channel: Channel, *required: Course, **fields: Any) -> Any:
    data = DefinitionInput(
        name=fields.pop("name", "Certified Network Associate"),
        product_line=fields.pop("product_line", "NETWORKING"),
        validity_days=fields.pop("validity_days", 365),
        required_course_ids=[course.id for course in required],
        **fields,
    )
    return await certifications.create_definition(
        hub, principal=channel.vendor.principal, data=data
    )


async def training_events(hub: Hub) -> list[tuple[str, str]]:
    async with hub.db() as session:
        rows = await session.execute(
            select(Event.type, Event.subject_id).where(Event.topic == "training").order_by(Event.id)
        )
        return [(kind, subject) for kind, subject in rows.all()]


async def test_assessment_is_graded_on_the_server_within_the_attempt_limit(
    hub: Hub, channel: Channel
) -> None:
    course = await new_course(hub, channel, assessment=QUIZ)
    first, second = (question["id"] for question in course.questions)
    enrolment = await enrolments.enrol(
        hub, principal=channel.gold_user.principal, course_id=course.id
    )

    half = await enrolments.submit_assessment(
        hub,
        principal=channel.gold_user.principal,
        enrolment_id=enrolment.id,
        answers=[(first, [1]), (second, [0])],
    )
    unanswered = await enrolments.submit_assessment(
        hub, principal=channel.gold_user.principal, enrolment_id=enrolment.id, answers=[]
    )
    with pytest.raises(BadInput) as over:
        await enrolments.submit_assessment(
            hub,
            principal=channel.gold_user.principal,
            enrolment_id=enrolment.id,
            answers=[(first, [1]), (second, [0, 2])],
        )

    assert (half.attempt.score, half.attempt.passed, half.attempt.wrong_questions) == (
        50,
        False,
        [second],
    )
    assert half.attempts_left == 1
    assert (unanswered.attempt.number, unanswered.attempt.score) == (2, 0)
    assert unanswered.attempt.wrong_questions == [first, second]
    assert (over.value.field, "at most 2 attempt(s)" in over.value.message) == ("enrolmentId", True)
    assert (await enrolments.attempts_by_enrolment(hub, [enrolment.id]))[0][-1].number == 2


async def test_bad_answers_name_the_answer_but_never_the_key(hub: Hub, channel: Channel) -> None:
    course = await new_course(hub, channel, assessment=QUIZ)
    first = course.questions[0]["id"]
    enrolment = await enrolments.enrol(
        hub, principal=channel.gold_user.principal, course_id=course.id
    )
    submit = enrolments.submit_assessment

    with pytest.raises(BadInput) as unknown:
        await submit(
            hub, principal=channel.gold_user.principal, enrolment_id=enrolment.id,
            answers=[(first, [1]), ("nope", [0])],
        )  # fmt: skip
    with pytest.raises(BadInput) as out_of_range:
        await submit(
            hub, principal=channel.gold_user.principal, enrolment_id=enrolment.id,
            answers=[(first, [7])],
        )  # fmt: skip

    assert unknown.value.field == "answers[1].questionId"
    assert out_of_range.value.field == "answers[0].selectedOptions"
    assert out_of_range.value.message == "options are numbered 0 to 2"
    assert (await enrolments.attempts_by_enrolment(hub, [enrolment.id]))[0] == []


async def test_completion_needs_every_lesson_and_a_pass_then_issues_once(
    hub: Hub, channel: Channel, clock: ManualClock
) -> None:
    course = await new_course(hub, channel, assessment=QUIZ)
    definition = await define(hub, channel, course)
    first, second = (question["id"] for question in course.questions)
    user = channel.gold_user.principal

    enrolment = await finish(hub, channel.gold_user, course)
    assert enrolment.completed_at is None
    passed = await enrolments.submit_assessment(
        hub, principal=user, enrolment_id=enrolment.id, answers=[(first, [1]), (second, [2, 0])]
    )
    lesson = (await courses.lessons_by_course(hub, [course.id]))[0][0]
    await enrolments.complete_lesson(
        hub, principal=user, enrolment_id=enrolment.id, lesson_id=lesson.id
    )
    with pytest.raises(Conflict):
        await enrolments.submit_assessment(
            hub, principal=user, enrolment_id=enrolment.id, answers=[]
        )

    held = (
        await certifications.list_certifications(
            hub, principal=user, filter=CertificationFilter(), page=PAGE
        )
    ).items
    assert (passed.attempt.score, passed.enrolment.completed_at) == (100, clock.now())
    assert [(row.definition_id, row.user_id, row.expires_at) for row in held] == [
        (definition.id, channel.gold_user.user.id, clock.now() + timedelta(days=365))
    ]
    assert await training_events(hub) == [("CERTIFICATION_ISSUED", held[0].id)]


async def test_expiry_notices_go_once_even_with_jobs_running_concurrently(
    any_factory: Factory, any_channel: Channel, clock: ManualClock
) -> None:
    hub, channel = any_factory.hub, any_channel
    course = await new_course(hub, channel)
    await define(hub, channel, course, validity_days=60)
    await finish(hub, channel.gold_user, course)

    clock.advance(days=29)
    await asyncio.gather(jobs.run_once(hub), jobs.run_once(hub))
    before_notice = await training_events(hub)
    clock.advance(days=2)
    await asyncio.gather(jobs.run_once(hub), jobs.run_once(hub), jobs.run_once(hub))
    await jobs.run_once(hub)
    clock.advance(days=30)
    await asyncio.gather(jobs.run_once(hub), jobs.run_once(hub), jobs.run_once(hub))
    await jobs.run_once(hub)

    expired = await certifications.list_certifications(
        hub,
        principal=channel.vendor.principal,
        filter=CertificationFilter(statuses=[CertificationStatus.EXPIRED]),
        page=PAGE,
    )
    assert [kind for kind, _ in before_notice] == ["CERTIFICATION_ISSUED"]
    assert [kind for kind, _ in await training_events(hub)] == [
        "CERTIFICATION_ISSUED",
        "CERTIFICATION_EXPIRING",
        "CERTIFICATION_EXPIRED",
    ]
    assert expired.total_count == 1


async def test_renewal_course_and_retaken_requirements_reissue(
    hub: Hub, channel: Channel, clock: ManualClock
) -> None:
    course = await new_course(hub, channel)
    refresher = await new_course(hub, channel, title="Refresher", lessons=1)
    await define(hub, channel, course, renewal_course_id=refresher.id, validity_days=100)
    await finish(hub, channel.gold_user, course)

    clock.advance(days=80)
    await jobs.run_once(hub)
    await finish(hub, channel.gold_user, refresher)
    renewed_at = clock.now()
    clock.advance(days=150)
    retake = await finish(hub, channel.gold_user, course)

    async with hub.db() as session:
        held = (await session.execute(select(Certification))).scalar_one()
    kinds = [kind for kind, _ in await training_events(hub)]
    assert retake.cycle == 2
    assert (held.renewals, held.issued_at, held.expires_at) == (
        2,
        clock.now(),
        clock.now() + timedelta(days=100),
    )
    assert renewed_at + timedelta(days=100) < clock.now()
    assert kinds == [
        "CERTIFICATION_ISSUED",
        "CERTIFICATION_EXPIRING",
        "CERTIFICATION_ISSUED",
        "CERTIFICATION_ISSUED",
    ]


async def test_revocation_is_for_vendor_staff_and_sticks_until_requirements_are_met_again(
    hub: Hub, channel: Channel, clock: ManualClock
) -> None:
    course = await new_course(hub, channel)
    refresher = await new_course(hub, channel, title="Refresher", lessons=1)
    await define(hub, channel, course, renewal_course_id=refresher.id)
    await finish(hub, channel.gold_user, course)
    async with hub.db() as session:
        held = (await session.execute(select(Certification))).scalar_one()

    with pytest.raises(Forbidden):
        await certifications.revoke(
            hub, principal=channel.gold_admin.principal, certification_id=held.id, reason="x"
        )
    with pytest.raises(BadInput) as no_reason:
        await certifications.revoke(
            hub, principal=channel.vendor.principal, certification_id=held.id, reason=" "
        )
    revoked = await certifications.revoke(
        hub, principal=channel.vendor.principal, certification_id=held.id, reason="exam fraud"
    )
    with pytest.raises(Conflict):
        await certifications.revoke(
            hub, principal=channel.vendor.principal, certification_id=held.id, reason="again"
        )
    clock.advance(days=1)
    await finish(hub, channel.gold_user, refresher)
    still = await certifications.get(
        hub, principal=channel.gold_user.principal, certification_id=held.id
    )
    status_after_refresher = still.revoked_at is not None
    clock.advance(days=1)
    await finish(hub, channel.gold_user, course)
    reissued = await certifications.get(
        hub, principal=channel.gold_user.principal, certification_id=held.id
    )

    assert no_reason.value.field == "reason"
    assert (revoked.revoked_reason, revoked.revoked_by_id) == ("exam fraud", channel.vendor.user.id)
    assert status_after_refresher
    assert (reissued.revoked_at, reissued.expires_at) == (None, clock.now() + timedelta(days=365))
    assert [kind for kind, _ in await training_events(hub)] == [
        "CERTIFICATION_ISSUED",
        "CERTIFICATION_REVOKED",
        "CERTIFICATION_ISSUED",
    ]


async def test_expiring_within_days_lists_valid_certifications_expiring_soon(
    hub: Hub, channel: Channel, clock: ManualClock
) -> None:
    course = await new_course(hub, channel)
    await define(hub, channel, course, name="Short", validity_days=20)
    await define(hub, channel, course, name="Long", validity_days=200)
    await finish(hub, channel.gold_user, course)

    def soon(days: int) -> CertificationFilter:
        return CertificationFilter(expiring_within_days=days)

    within_30 = await certifications.list_certifications(
        hub, principal=channel.vendor.principal, filter=soon(30), page=PAGE
    )
    within_365 = await certifications.list_certifications(
        hub, principal=channel.vendor.principal, filter=soon(365), page=PAGE
    )
    with pytest.raises(BadInput) as negative:
        await certifications.list_certifications(
            hub, principal=channel.vendor.principal, filter=soon(-1), page=PAGE
        )

    assert within_30.total_count == 1
    assert within_365.total_count == 2
    assert negative.value.field == "filter.expiringWithinDays"


async def test_tier_compliance_counts_certified_users_for_this_and_the_next_tier(
    hub: Hub, channel: Channel, factory: Factory
) -> None:
    vendor = channel.vendor.principal
    await compliance.set_requirement(
        hub, principal=vendor, tier=Tier.SILVER, product_line="networking", certified_users=1
    )
    await compliance.set_requirement(
        hub, principal=vendor, tier=Tier.GOLD, product_line="NETWORKING", certified_users=2
    )
    await compliance.set_requirement(
        hub, principal=vendor, tier=Tier.GOLD, product_line="SECURITY", certified_users=1
    )
    course = await new_course(hub, channel)
    await define(hub, channel, course)
    await finish(hub, channel.silver_user, course)
    second = await factory.user(channel.silver_id, Role.PARTNER_USER)

    [found, hidden] = await compliance.compliance_by_partner(
        hub,
        principal=second.principal,
        keys=[(channel.silver_id, "SILVER"), (channel.gold_id, "GOLD")],
    )

    assert found is not None and found.next is not None and hidden is None
    assert (found.current.tier, found.current.met) == (Tier.SILVER, True)
    assert [(r.product_line, r.required, r.current, r.met) for r in found.current.requirements] == [
        ("NETWORKING", 1, 1, True)
    ]
    assert (found.next.tier, found.next.met) == (Tier.GOLD, False)
    assert [(r.product_line, r.current, r.missing) for r in found.next.requirements] == [
        ("NETWORKING", 1, 1),
        ("SECURITY", 0, 1),
    ]
    with pytest.raises(Forbidden):
        await compliance.set_requirement(
            hub, principal=second.principal, tier=Tier.GOLD, product_line="X", certified_users=1
        )


async def test_a_required_tier_hides_the_course_from_lower_tiers(
    hub: Hub, channel: Channel
) -> None:
    course = await new_course(hub, channel, required_tier=Tier.GOLD)
    await new_course(hub, channel, title="Draft", published=False)

    silver = await courses.list_courses(
        hub, principal=channel.silver_user.principal, filter=CourseFilter(), page=PAGE
    )
    gold = await courses.list_courses(
        hub, principal=channel.gold_user.principal, filter=CourseFilter(), page=PAGE
    )
    staff = await courses.list_courses(
        hub, principal=channel.vendor.principal, filter=CourseFilter(), page=PAGE
    )
    with pytest.raises(NotFound) as hidden:
        await enrolments.enrol(hub, principal=channel.silver_user.principal, course_id=course.id)

    assert silver.total_count == 0
    assert [row.title for row in gold.items] == ["Switching basics"]
    assert staff.total_count == 2
    assert hidden.value.field == "courseId"


async def test_concurrent_enrolments_of_one_user_make_one_enrolment(
    any_factory: Factory, any_channel: Channel
) -> None:
    hub, channel = any_factory.hub, any_channel
    course = await new_course(hub, channel)
    user = channel.gold_user.principal

    made = await asyncio.gather(
        *(enrolments.enrol(hub, principal=user, course_id=course.id) for _ in range(4))
    )

    async with hub.db() as session:
        count = await session.scalar(select(func.count()).select_from(Enrolment))
    assert count == 1
    assert {enrolment.id for enrolment in made} == {made[0].id}


async def test_two_last_courses_completed_at_once_issue_exactly_once(
    any_factory: Factory, any_channel: Channel
) -> None:
    hub, channel = any_factory.hub, any_channel
    first = await new_course(hub, channel, title="First", lessons=1)
    second = await new_course(hub, channel, title="Second", lessons=1)
    await define(hub, channel, first, second)
    user = channel.gold_user.principal
    pending = []
    for course in (first, second):
        enrolment = await enrolments.enrol(hub, principal=user, course_id=course.id)
        lesson = (await courses.lessons_by_course(hub, [course.id]))[0][0]
        pending.append((enrolment.id, lesson.id))

    await asyncio.gather(
        *(
            enrolments.complete_lesson(hub, principal=user, enrolment_id=e, lesson_id=lesson)
            for e, lesson in pending
        )
    )

    async with hub.db() as session:
        count = await session.scalar(select(func.count()).select_from(Certification))
    assert count == 1
    assert [kind for kind, _ in await training_events(hub)] == ["CERTIFICATION_ISSUED"]


async def test_only_the_learner_takes_the_course_and_other_orgs_see_nothing(
    hub: Hub, channel: Channel
) -> None:
    course = await new_course(hub, channel)
    await define(hub, channel, course)
    enrolment = await finish(hub, channel.gold_user, course)
    lesson = (await courses.lessons_by_course(hub, [course.id]))[0][0]

    with pytest.raises(Forbidden):
        await enrolments.complete_lesson(
            hub,
            principal=channel.gold_admin.principal,
            enrolment_id=enrolment.id,
            lesson_id=lesson.id,
        )
    with pytest.raises(NotFound):
        await enrolments.get(
            hub, principal=channel.silver_user.principal, enrolment_id=enrolment.id
        )
    with pytest.raises(NotFound):
        await enrolments.complete_lesson(
            hub,
            principal=channel.silver_user.principal,
            enrolment_id=enrolment.id,
            lesson_id=lesson.id,
        )
    stranger = await certifications.list_certifications(
        hub,
        principal=channel.silver_user.principal,
        filter=CertificationFilter(partner_id=channel.gold_id),
        page=PAGE,
    )
    admin = await enrolments.list_enrolments(
        hub,
        principal=channel.gold_admin.principal,
        filter=EnrolmentFilter(),
        page=PAGE,
    )
    assert stranger.total_count == 0
    assert [row.id for row in admin.items] == [enrolment.id]


async def test_a_course_changes_freely_until_someone_enrols(hub: Hub, channel: Channel) -> None:
    course = await new_course(hub, channel, published=False)
    vendor = channel.vendor.principal
    article = await articles.create(
        hub, principal=vendor, data=ArticleInput(title="Switching basics", body="Read.")
    )
    missing = [ModuleInput("Only", (LessonInput("One", article_id="0" * 32),))]
    with pytest.raises(BadInput) as unknown:
        await courses.update(
            hub, principal=vendor, course_id=course.id, changes={"modules": missing}
        )
    new_modules = [ModuleInput("Only", (LessonInput("One", article_id=article.id),))]

    changed = await courses.update(
        hub,
        principal=vendor,
        course_id=course.id,
        changes={"title": "Switching 101", "published": True, "modules": new_modules},
    )
    lessons = (await courses.lessons_by_course(hub, [course.id]))[0]
    await enrolments.enrol(hub, principal=channel.gold_user.principal, course_id=course.id)
    with pytest.raises(Conflict):
        await courses.update(
            hub, principal=vendor, course_id=course.id, changes={"assessment": QUIZ}
        )
    with pytest.raises(BadInput) as blank:
        await courses.update(hub, principal=vendor, course_id=course.id, changes={"title": " "})
    with pytest.raises(Forbidden):
        await courses.update(
            hub, principal=channel.gold_admin.principal, course_id=course.id, changes={}
        )
    retitled = await courses.update(
        hub, principal=vendor, course_id=course.id, changes={"required_tier": Tier.PLATINUM}
    )

    assert (changed.title, changed.published) == ("Switching 101", True)
    assert [(row.kind, row.article_id) for row in lessons] == [("ARTICLE", article.id)]
    assert unknown.value.field == "input.modules[0].lessons[0].articleId"
    assert blank.value.field == "input.title"
    assert retitled.min_tier_rank == 3
