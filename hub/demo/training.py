"""Demo training: courses with lessons and assessments, enrolments, certifications (valid,
expiring soon, expired, revoked) and the certified users each tier requires."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, NamedTuple

from hub.demo.world import Demo, Part, Story
from hub.pagination import PageRequest
from hub.partners import Tier
from hub.training import certifications, compliance, courses, enrolments
from hub.training.rules import (
    AssessmentInput,
    CertificationFilter,
    CourseInput,
    DefinitionInput,
    LessonInput,
    ModuleInput,
    QuestionInput,
)

Q = QuestionInput


class CoursePlan(NamedTuple):
    name: str
    course: CourseInput
    # lessons as (module title, lesson title, "asset:<name>" | "article:<name>" | URL)
    lessons: tuple[tuple[str, str, str], ...]
    certification: tuple[str, int] | None = None  # (name, validity in days)


class Enrolment(NamedTuple):
    who: str
    course: str
    enrolled: float
    attempts: tuple[tuple[float, bool], ...] = ()  # (days ago, passed)
    lessons_done: int | None = None  # None: every lesson
    revoked: tuple[float, str] | None = None  # (days ago, reason)


def _course(
    title: str,
    line: str,
    minutes: int,
    summary: str,
    questions: Sequence[QuestionInput] = (),
    **extra: Any,
) -> CourseInput:
    assessment = AssessmentInput(70, 3, questions) if questions else None
    return CourseInput(
        title=title,
        estimated_minutes=minutes,
        modules=(),
        summary=summary,
        product_lines=(line,),
        published=True,
        assessment=assessment,
        **extra,
    )


COURSES = (
    CoursePlan(
        "networking",
        _course(
            "Networking Fundamentals",
            "NETWORKING",
            90,
            "The switch family, sizing, and how to sell a branch refresh.",
            (
                Q("How many SW-48 units stack together?", ("2", "4", "8"), (2,)),
                Q("What PoE budget does an access point need?", ("7 W", "up to 30 W"), (1,)),
                Q("Which growth margin should port counts include?", ("10%", "30%"), (1,)),
            ),
        ),
        (
            ("The switch family", "Read the datasheet", "asset:switch-datasheet"),
            ("The switch family", "Sizing a branch office", "article:switch-sizing"),
            ("Selling", "Branch refresh pitch", "https://training.example/networking/pitch"),
        ),
        ("Certified Network Associate", 730),
    ),
    CoursePlan(
        "security",
        _course(
            "Security Specialist",
            "SECURITY",
            180,
            "Positioning, sizing and running a proof of concept for the Firewall 100.",
            (
                Q("Lead with which throughput figure?", ("Maximum", "With inspection on"), (1,)),
                Q("A PoC should have how many success criteria?", ("Three", "Ten"), (0,)),
                Q(
                    "Which documents help at the first meeting?",
                    ("Sizing sheet", "Brochure"),
                    (0, 1),
                ),
            ),
            required_tier=Tier.SILVER,
        ),
        (
            ("Positioning", "Against pricier appliances", "article:firewall"),
            ("Positioning", "The brochure", "asset:firewall-brochure"),
            ("Proof of concept", "Lab walkthrough", "https://training.example/security/lab"),
        ),
        ("Certified Security Specialist", 365),
    ),
    CoursePlan(
        "cloud",
        _course(
            "Cloud Practitioner",
            "CLOUD",
            120,
            "Managed cloud offers, migration assessments and renewals.",
            (Q("A migration assessment is sold at...", ("a fixed price", "day rates"), (0,)),),
        ),
        (
            ("Offers", "Managed cloud in ten minutes", "https://training.example/cloud/intro"),
            ("Offers", "Migration assessments", "https://training.example/cloud/assess"),
        ),
        ("Certified Cloud Practitioner", 180),
    ),
    CoursePlan(
        "storage",
        _course("Storage Essentials", "STORAGE", 45, "The 8-bay array and how to size it."),
        (
            ("Basics", "Array overview", "https://training.example/storage/overview"),
            ("Basics", "Clinic bundles", "https://training.example/storage/clinics"),
        ),
    ),
    CoursePlan(
        "portal",
        _course("Partner portal basics", "NETWORKING", 20, "Leads, deals and collateral."),
        (
            ("Start here", "Welcome", "article:welcome"),
            ("Start here", "Registering deals", "article:register"),
        ),
    ),
)
ENROLMENTS = (
    Enrolment("admin@maple.example", "cloud", 201, ((200, True),)),
    Enrolment("admin@lakeside.example", "networking", 190, ((189, False), (188, True))),
    Enrolment("admin@northwind.example", "networking", 186, ((185, True),)),
    Enrolment("admin@seine.example", "cloud", 176, ((175, True),)),
    Enrolment("admin@bayern.example", "cloud", 171, ((170, True),)),
    Enrolment("admin@goldengate.example", "security", 161, ((160, True),)),
    Enrolment("admin@bayern.example", "security", 151, ((150, True),)),
    Enrolment("admin@rhein.example", "networking", 150, ((149, True),)),
    Enrolment("admin@prairie.example", "security", 141, ((140, False), (139, True))),
    Enrolment("admin@northwind.example", "security", 131, ((130, True),)),
    Enrolment(
        "sales@goldengate.example",
        "security",
        121,
        ((120, True),),
        revoked=(30, "Left the security practice; withdrawn at the partner's request."),
    ),
    Enrolment("admin@goldengate.example", "cloud", 101, ((100, True),)),
    Enrolment("sales@northwind.example", "networking", 100, ((99, True),)),
    Enrolment("admin@prairie.example", "storage", 90),
    Enrolment("admin@thames.example", "storage", 80),
    Enrolment("admin@thames.example", "cloud", 61, ((60, True),)),
    Enrolment("admin@lakeside.example", "portal", 200),
    Enrolment("admin@highland.example", "portal", 30),
    Enrolment("admin@sakura.example", "security", 10, ((9, False),)),
    Enrolment("admin@seine.example", "storage", 6, lessons_done=1),
    Enrolment("admin@highland.example", "networking", 5, lessons_done=1),
)
# (tier, product line, certified users required)
REQUIREMENTS = (
    (Tier.SILVER, "NETWORKING", 1),
    (Tier.GOLD, "SECURITY", 1),
    (Tier.PLATINUM, "SECURITY", 2),
    (Tier.PLATINUM, "CLOUD", 1),
)


def stories(demo: Demo) -> list[Story]:
    return [_catalog(demo)] + [_enrolment(demo, plan) for plan in ENROLMENTS]


PART = Part(order=30, stories=stories)


async def _catalog(demo: Demo) -> Story:
    yield 202
    for plan in COURSES:
        modules: dict[str, list[LessonInput]] = {}
        for module, title, source in plan.lessons:
            modules.setdefault(module, []).append(_lesson(demo, title, source))
        data = dataclasses.replace(
            plan.course, modules=[ModuleInput(title, lessons) for title, lessons in modules.items()]
        )
        course = await courses.create(demo.hub, principal=demo.manager, data=data)
        demo.records[f"course:{plan.name}"] = course.id
        if plan.certification:
            name, days = plan.certification
            await certifications.create_definition(
                demo.hub,
                principal=demo.manager,
                data=DefinitionInput(
                    name=name,
                    product_line=plan.course.product_lines[0],
                    validity_days=days,
                    required_course_ids=(course.id,),
                    renewal_course_id=course.id,
                ),
            )
    for tier, line, users in REQUIREMENTS:
        await compliance.set_requirement(
            demo.hub, principal=demo.vendor, tier=tier, product_line=line, certified_users=users
        )


def _lesson(demo: Demo, title: str, source: str) -> LessonInput:
    kind = source.split(":", 1)[0]
    if kind == "asset":
        return LessonInput(title=title, asset_id=demo.records[source])
    if kind == "article":
        return LessonInput(title=title, article_id=demo.records[source])
    return LessonInput(title=title, url=source)


async def _enrolment(demo: Demo, plan: Enrolment) -> Story:
    yield plan.enrolled
    hub, who = demo.hub, demo.person(plan.who)
    course_id = demo.records[f"course:{plan.course}"]
    enrolment = await enrolments.enrol(hub, principal=who, course_id=course_id)
    [lessons] = await courses.lessons_by_course(hub, [course_id])
    for lesson in lessons[: plan.lessons_done]:
        await enrolments.complete_lesson(
            hub, principal=who, enrolment_id=enrolment.id, lesson_id=lesson.id
        )
    course = await courses.get(hub, principal=demo.vendor, course_id=course_id)
    for days, passed in plan.attempts:
        yield days
        await enrolments.submit_assessment(
            hub,
            principal=who,
            enrolment_id=enrolment.id,
            answers=_answers(course.questions, right=passed),
        )
    if plan.revoked is not None:
        days, reason = plan.revoked
        yield days
        await _revoke(demo, who.user_id, reason)


def _answers(questions: Sequence[dict[str, Any]], *, right: bool) -> list[tuple[str, list[int]]]:
    """The right options of every question, or a wrong one for each."""
    if right:
        return [(question["id"], list(question["correct"])) for question in questions]
    return [(question["id"], [1] if question["correct"] == [0] else [0]) for question in questions]


async def _revoke(demo: Demo, user_id: str, reason: str) -> None:
    page = await certifications.list_certifications(
        demo.hub,
        principal=demo.manager,
        filter=CertificationFilter(user_id=user_id),
        page=PageRequest(first=10),
    )
    for held in page.items:
        await certifications.revoke(
            demo.hub, principal=demo.manager, certification_id=held.id, reason=reason
        )
