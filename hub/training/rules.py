"""Training rules: vocabulary, course and assessment input checks, grading, certificate status."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from hub import validation
from hub.errors import BadInput
from hub.partners.rules import Tier

EXPIRING_NOTICE = timedelta(days=30)
MAX_MODULES = 30
MAX_LESSONS = 200
MAX_QUESTIONS = 100
MAX_OPTIONS = 10
MAX_REQUIRED_COURSES = 50
TITLE_MAX = 200


class LessonKind(StrEnum):
    ASSET = "ASSET"
    URL = "URL"
    ARTICLE = "ARTICLE"


class CertificationStatus(StrEnum):
    VALID = "VALID"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


class TrainingEventType(StrEnum):
    CERTIFICATION_ISSUED = "CERTIFICATION_ISSUED"
    CERTIFICATION_EXPIRING = "CERTIFICATION_EXPIRING"
    CERTIFICATION_EXPIRED = "CERTIFICATION_EXPIRED"
    CERTIFICATION_REVOKED = "CERTIFICATION_REVOKED"


@dataclass(frozen=True)
class LessonInput:
    title: str
    asset_id: str | None = None
    url: str | None = None
    article_id: str | None = None


@dataclass(frozen=True)
class ModuleInput:
    title: str
    lessons: Sequence[LessonInput] = ()


@dataclass(frozen=True)
class QuestionInput:
    prompt: str
    options: Sequence[str]
    correct_options: Sequence[int]


@dataclass(frozen=True)
class AssessmentInput:
    pass_mark: int
    max_attempts: int
    questions: Sequence[QuestionInput]


@dataclass(frozen=True)
class CourseInput:
    title: str
    estimated_minutes: int
    modules: Sequence[ModuleInput]
    summary: str | None = None
    product_lines: Sequence[str] = ()
    required_tier: Tier | None = None
    published: bool = False
    assessment: AssessmentInput | None = None


@dataclass(frozen=True)
class LessonRow:
    """A checked lesson, ready to store; `path` names it in error messages."""

    module_index: int
    module_title: str
    title: str
    kind: LessonKind
    path: str
    asset_id: str | None = None
    url: str | None = None
    article_id: str | None = None


@dataclass(frozen=True)
class CourseFilter:
    product_line: str | None = None
    search: str | None = None
    include_unpublished: bool = True


@dataclass(frozen=True)
class EnrolmentFilter:
    course_id: str | None = None
    user_id: str | None = None
    partner_id: str | None = None
    completed: bool | None = None


@dataclass(frozen=True)
class DefinitionInput:
    name: str
    product_line: str
    validity_days: int
    required_course_ids: Sequence[str]
    description: str | None = None
    renewal_course_id: str | None = None


@dataclass(frozen=True)
class CertificationFilter:
    user_id: str | None = None
    partner_id: str | None = None
    definition_id: str | None = None
    statuses: Sequence[CertificationStatus] = ()
    expiring_within_days: int | None = None


@dataclass(frozen=True)
class Graded:
    score: int
    passed: bool
    wrong: list[str] = field(default_factory=list)


def course_columns(data: CourseInput, *, path: str = "input") -> dict[str, Any]:
    """Check a course's own fields and return them as columns (lessons and assessment apart)."""
    if not 1 <= data.estimated_minutes <= 100_000:
        raise BadInput(
            "estimatedMinutes must be between 1 and 100000", field=f"{path}.estimatedMinutes"
        )
    return {
        "title": validation.text(data.title, field=f"{path}.title", max_length=TITLE_MAX),
        "summary": validation.optional_text(
            data.summary, field=f"{path}.summary", max_length=10_000
        ),
        "product_lines": product_lines(data.product_lines, field=f"{path}.productLines"),
        "estimated_minutes": data.estimated_minutes,
        "published": data.published,
    }


def product_lines(values: Sequence[str], *, field: str) -> list[str]:
    return validation.product_lines(values, field=field)


def lesson_rows(modules: Sequence[ModuleInput], *, path: str = "input.modules") -> list[LessonRow]:
    """Check the modules and flatten their lessons in order."""
    if not 1 <= len(modules) <= MAX_MODULES:
        raise BadInput(f"a course needs between 1 and {MAX_MODULES} modules", field=path)
    rows: list[LessonRow] = []
    for index, module in enumerate(modules):
        here = f"{path}[{index}]"
        title = validation.text(module.title, field=f"{here}.title", max_length=TITLE_MAX)
        if not module.lessons:
            raise BadInput("a module needs at least one lesson", field=f"{here}.lessons")
        for number, lesson in enumerate(module.lessons):
            rows.append(_lesson(index, title, lesson, f"{here}.lessons[{number}]"))
    if len(rows) > MAX_LESSONS:
        raise BadInput(f"a course has at most {MAX_LESSONS} lessons", field=path)
    return rows


def _lesson(index: int, module: str, lesson: LessonInput, path: str) -> LessonRow:
    title = validation.text(lesson.title, field=f"{path}.title", max_length=TITLE_MAX)
    given = [
        name
        for name, value in (
            ("assetId", lesson.asset_id),
            ("url", lesson.url),
            ("articleId", lesson.article_id),
        )
        if value is not None and value.strip()
    ]
    if len(given) != 1:
        raise BadInput("a lesson needs exactly one of assetId, url or articleId", field=path)
    if given == ["url"]:
        url = validation.url(lesson.url, field=f"{path}.url")
        return LessonRow(index, module, title, LessonKind.URL, path, url=url)
    if given == ["articleId"]:
        article = validation.text(lesson.article_id or "", field=f"{path}.articleId", max_length=32)
        return LessonRow(index, module, title, LessonKind.ARTICLE, path, article_id=article)
    asset = (lesson.asset_id or "").strip()
    return LessonRow(index, module, title, LessonKind.ASSET, path, asset_id=asset)


def assessment_columns(
    data: AssessmentInput | None, *, path: str = "input.assessment"
) -> dict[str, Any]:
    """Check an assessment and return its columns; each question gets a stable id."""
    if data is None:
        return {"pass_mark": None, "max_attempts": None, "questions": []}
    if not 1 <= data.pass_mark <= 100:
        raise BadInput("passMark must be between 1 and 100", field=f"{path}.passMark")
    if not 1 <= data.max_attempts <= 100:
        raise BadInput("maxAttempts must be between 1 and 100", field=f"{path}.maxAttempts")
    if not 1 <= len(data.questions) <= MAX_QUESTIONS:
        raise BadInput(
            f"an assessment needs between 1 and {MAX_QUESTIONS} questions",
            field=f"{path}.questions",
        )
    questions = [
        _question(question, f"{path}.questions[{index}]")
        for index, question in enumerate(data.questions)
    ]
    return {"pass_mark": data.pass_mark, "max_attempts": data.max_attempts, "questions": questions}


def _question(question: QuestionInput, path: str) -> dict[str, Any]:
    prompt = validation.text(question.prompt, field=f"{path}.prompt", max_length=2000)
    if not 2 <= len(question.options) <= MAX_OPTIONS:
        raise BadInput(
            f"a question needs between 2 and {MAX_OPTIONS} options", field=f"{path}.options"
        )
    options = [
        validation.text(option, field=f"{path}.options[{number}]", max_length=500)
        for number, option in enumerate(question.options)
    ]
    correct = sorted(set(question.correct_options))
    if not correct or any(not 0 <= value < len(options) for value in correct):
        raise BadInput(
            "correctOptions must name at least one option by its index (from 0)",
            field=f"{path}.correctOptions",
        )
    return {"id": uuid.uuid4().hex, "prompt": prompt, "options": options, "correct": correct}


def grade(
    questions: Sequence[Mapping[str, Any]],
    answers: Sequence[tuple[str, Sequence[int]]],
    pass_mark: int,
) -> tuple[Graded, dict[str, list[int]]]:
    """Grade answers: a question counts when exactly its correct options are chosen.

    Errors name the question or option the caller sent, never what is correct.
    """
    by_id = {question["id"]: question for question in questions}
    chosen: dict[str, list[int]] = {}
    for index, (question_id, selected) in enumerate(answers):
        question = by_id.get(question_id)
        if question is None:
            raise BadInput("no such question", field=f"answers[{index}].questionId")
        if question_id in chosen:
            raise BadInput("question answered twice", field=f"answers[{index}].questionId")
        if any(not 0 <= value < len(question["options"]) for value in selected):
            raise BadInput(
                f"options are numbered 0 to {len(question['options']) - 1}",
                field=f"answers[{index}].selectedOptions",
            )
        chosen[question_id] = sorted(set(selected))
    wrong = [
        question["id"]
        for question in questions
        if chosen.get(question["id"]) != question["correct"]
    ]
    score = round(100 * (len(questions) - len(wrong)) / len(questions)) if questions else 0
    return Graded(score, score >= pass_mark, wrong), chosen


def definition_columns(data: DefinitionInput, *, path: str = "input") -> dict[str, Any]:
    if not 1 <= data.validity_days <= 3650:
        raise BadInput("validityDays must be between 1 and 3650", field=f"{path}.validityDays")
    if not data.required_course_ids:
        raise BadInput("name at least one required course", field=f"{path}.requiredCourseIds")
    validation.at_most(
        data.required_course_ids,
        MAX_REQUIRED_COURSES,
        field=f"{path}.requiredCourseIds",
        what="required courses",
    )
    return {
        "name": validation.text(data.name, field=f"{path}.name", max_length=TITLE_MAX),
        "description": validation.optional_text(
            data.description, field=f"{path}.description", max_length=10_000
        ),
        "product_line": validation.product_line(data.product_line, field=f"{path}.productLine"),
        "validity_days": data.validity_days,
        "renewal_course_id": data.renewal_course_id or None,
    }


def status_of(revoked_at: datetime | None, expires_at: datetime, now: datetime) -> str:
    if revoked_at is not None:
        return CertificationStatus.REVOKED
    return CertificationStatus.VALID if expires_at > now else CertificationStatus.EXPIRED
