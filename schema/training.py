"""GraphQL types of training: courses, enrolments, assessments, certifications, tier compliance."""

from __future__ import annotations

from datetime import datetime
from itertools import groupby
from typing import Any

import strawberry

from hub import audience
from hub.events import DomainEvent
from hub.partners.rules import Tier
from hub.training import certifications as certification_service
from hub.training import compliance
from hub.training import courses as course_service
from hub.training import enrolments as enrolment_service
from hub.training.enrolments import Submitted
from hub.training.rules import CertificationStatus, LessonKind, TrainingEventType, status_of
from schema.assets import Asset, AssetLoaders
from schema.context import Info
from schema.events import shared
from schema.identity import IdentityLoaders, User
from schema.knowledge import Article, KnowledgeLoaders
from schema.loading import LoaderSet, loader
from schema.partners import Partner
from storage.models import AssessmentAttempt as AttemptModel
from storage.models import Certification as CertificationModel
from storage.models import CertificationDefinition as DefinitionModel
from storage.models import Course as CourseModel
from storage.models import Enrolment as EnrolmentModel
from storage.models import Lesson as LessonModel
from storage.models import LessonProgress as LessonProgressModel
from storage.models import TierRequirement as TierRequirementModel

strawberry.enum(LessonKind, name="LessonKind")
strawberry.enum(CertificationStatus, name="CertificationStatus")
strawberry.enum(TrainingEventType, name="TrainingEventType")


@strawberry.type(description="One lesson: an asset, an external URL or a knowledge-base article.")
class Lesson:
    id: strawberry.ID
    position: int
    title: str
    kind: LessonKind
    url: str | None
    article_id: strawberry.ID | None
    asset_id: strawberry.ID | None

    @classmethod
    def from_model(cls, model: LessonModel) -> Lesson:
        return cls(
            id=strawberry.ID(model.id),
            position=model.position,
            title=model.title,
            kind=LessonKind(model.kind),
            url=model.url,
            article_id=strawberry.ID(model.article_id) if model.article_id else None,
            asset_id=strawberry.ID(model.asset_id) if model.asset_id else None,
        )

    @strawberry.field(
        description="The article of an ARTICLE lesson; null when you may not read it (yet)."
    )
    async def article(self, info: Info) -> Article | None:
        if self.article_id is None:
            return None
        model = await KnowledgeLoaders.of(info).article_by_id.load(str(self.article_id))
        return Article.from_model(model) if model else None

    @strawberry.field(description="The asset of an ASSET lesson; null when you are not entitled.")
    async def asset(self, info: Info) -> Asset | None:
        if self.asset_id is None:
            return None
        model = await AssetLoaders.of(info).asset_by_id.load(str(self.asset_id))
        return Asset.from_model(model) if model else None


@strawberry.type(description="An ordered group of lessons.")
class CourseModule:
    title: str
    lessons: list[Lesson]


@strawberry.type(description="A multiple-choice question; one or more options are correct.")
class AssessmentQuestion:
    id: strawberry.ID
    prompt: str
    options: list[str]
    correct: strawberry.Private[list[int]]

    @strawberry.field(description="The answer key: vendor-side accounts only, null for partners.")
    def correct_options(self, info: Info) -> list[int] | None:
        return list(self.correct) if info.context.require_principal().is_vendor else None


@strawberry.type(description="The course's assessment, graded on the server.")
class Assessment:
    pass_mark: int = strawberry.field(description="Percent of questions to get right.")
    max_attempts: int
    questions: list[AssessmentQuestion]


@strawberry.type(description="A course of modules and lessons, with an optional assessment.")
class Course:
    id: strawberry.ID
    title: str
    summary: str | None
    product_lines: list[str]
    estimated_minutes: int
    required_tier: Tier | None
    published: bool
    created_at: datetime
    updated_at: datetime
    assessment: Assessment | None

    @classmethod
    def from_model(cls, model: CourseModel) -> Course:
        assessment = None
        if model.pass_mark is not None and model.max_attempts is not None:
            assessment = Assessment(
                pass_mark=model.pass_mark,
                max_attempts=model.max_attempts,
                questions=[
                    AssessmentQuestion(
                        id=strawberry.ID(item["id"]),
                        prompt=item["prompt"],
                        options=list(item["options"]),
                        correct=list(item["correct"]),
                    )
                    for item in model.questions
                ],
            )
        return cls(
            id=strawberry.ID(model.id),
            title=model.title,
            summary=model.summary,
            product_lines=list(model.product_lines),
            estimated_minutes=model.estimated_minutes,
            required_tier=audience.min_tier_of(model),
            published=model.published,
            created_at=model.created_at,
            updated_at=model.updated_at,
            assessment=assessment,
        )

    @strawberry.field(description="Modules in order, each with its lessons in order.")
    async def modules(self, info: Info) -> list[CourseModule]:
        rows = await TrainingLoaders.of(info).lessons_by_course.load(self.id)
        return [
            CourseModule(
                title=group[0].module_title, lessons=[Lesson.from_model(row) for row in group]
            )
            for group in (
                list(items) for _, items in groupby(rows, key=lambda row: row.module_index)
            )
        ]


@strawberry.type(description="A completed lesson.")
class LessonProgress:
    lesson_id: strawberry.ID
    completed_at: datetime


@strawberry.type(description="One graded attempt: the score and which questions were wrong.")
class AssessmentAttempt:
    number: int
    score: int = strawberry.field(description="Percent of questions answered right.")
    passed: bool
    wrong_question_ids: list[strawberry.ID]
    submitted_at: datetime

    @classmethod
    def from_model(cls, model: AttemptModel) -> AssessmentAttempt:
        return cls(
            number=model.number,
            score=model.score,
            passed=model.passed,
            wrong_question_ids=[strawberry.ID(item) for item in model.wrong_questions],
            submitted_at=model.submitted_at,
        )


@strawberry.type(description="A user taking a course; a re-take after completion is a new cycle.")
class Enrolment:
    id: strawberry.ID
    cycle: int
    enrolled_at: datetime
    passed_at: datetime | None
    completed_at: datetime | None
    course_id: strawberry.ID
    user_id: strawberry.ID

    @classmethod
    def from_model(cls, model: EnrolmentModel) -> Enrolment:
        return cls(
            id=strawberry.ID(model.id),
            cycle=model.cycle,
            enrolled_at=model.enrolled_at,
            passed_at=model.passed_at,
            completed_at=model.completed_at,
            course_id=strawberry.ID(model.course_id),
            user_id=strawberry.ID(model.user_id),
        )

    @strawberry.field
    def completed(self) -> bool:
        return self.completed_at is not None

    @strawberry.field(description="The course; null once the caller may no longer see it.")
    async def course(self, info: Info) -> Course | None:
        model = await TrainingLoaders.of(info).course_by_id.load(str(self.course_id))
        return Course.from_model(model) if model else None

    @strawberry.field
    async def user(self, info: Info) -> User | None:
        model = await IdentityLoaders.of(info).user_by_id.load(str(self.user_id))
        return User.from_model(model) if model else None

    @strawberry.field(description="Lessons done, in the order they were done.")
    async def completed_lessons(self, info: Info) -> list[LessonProgress]:
        rows = await TrainingLoaders.of(info).progress_by_enrolment.load(str(self.id))
        return [
            LessonProgress(lesson_id=strawberry.ID(row.lesson_id), completed_at=row.completed_at)
            for row in rows
        ]

    @strawberry.field(description="Assessment attempts, oldest first.")
    async def attempts(self, info: Info) -> list[AssessmentAttempt]:
        rows = await TrainingLoaders.of(info).attempts_by_enrolment.load(str(self.id))
        return [AssessmentAttempt.from_model(row) for row in rows]


@strawberry.type
class AssessmentResult:
    attempt: AssessmentAttempt
    attempts_left: int
    enrolment: Enrolment

    @classmethod
    def from_hub(cls, result: Submitted) -> AssessmentResult:
        return cls(
            attempt=AssessmentAttempt.from_model(result.attempt),
            attempts_left=result.attempts_left,
            enrolment=Enrolment.from_model(result.enrolment),
        )


@strawberry.type(description="What a certification takes and proves, and how long it lasts.")
class CertificationDefinition:
    id: strawberry.ID
    name: str
    description: str | None
    product_line: str
    validity_days: int
    renewal_course_id: strawberry.ID | None
    updated_at: datetime

    @classmethod
    def from_model(cls, model: DefinitionModel) -> CertificationDefinition:
        return cls(
            id=strawberry.ID(model.id),
            name=model.name,
            description=model.description,
            product_line=model.product_line,
            validity_days=model.validity_days,
            renewal_course_id=strawberry.ID(model.renewal_course_id)
            if model.renewal_course_id
            else None,
            updated_at=model.updated_at,
        )

    @strawberry.field(description="Courses to complete; those the caller may not see are left out.")
    async def required_courses(self, info: Info) -> list[Course]:
        loaders = TrainingLoaders.of(info)
        ids = await loaders.courses_by_definition.load(str(self.id))
        models = await loaders.course_by_id.load_many(ids)
        return [Course.from_model(model) for model in models if model]


@strawberry.type(description="A certification held by a user.")
class Certification:
    id: strawberry.ID
    status: CertificationStatus
    first_issued_at: datetime
    issued_at: datetime
    expires_at: datetime
    renewals: int
    revoked_at: datetime | None
    revoked_reason: str | None
    user_id: strawberry.ID
    partner_id: strawberry.ID
    definition_id: strawberry.ID

    @classmethod
    def from_model(cls, model: CertificationModel, now: datetime) -> Certification:
        return cls(
            id=strawberry.ID(model.id),
            status=CertificationStatus(status_of(model.revoked_at, model.expires_at, now)),
            first_issued_at=model.first_issued_at,
            issued_at=model.issued_at,
            expires_at=model.expires_at,
            renewals=model.renewals,
            revoked_at=model.revoked_at,
            revoked_reason=model.revoked_reason,
            user_id=strawberry.ID(model.user_id),
            partner_id=strawberry.ID(model.organization_id),
            definition_id=strawberry.ID(model.definition_id),
        )

    @strawberry.field
    async def definition(self, info: Info) -> CertificationDefinition:
        model = await TrainingLoaders.of(info).definition_by_id.load(str(self.definition_id))
        assert model is not None, "a held certification's definition exists (cascade)"
        return CertificationDefinition.from_model(model)

    @strawberry.field
    async def user(self, info: Info) -> User | None:
        model = await IdentityLoaders.of(info).user_by_id.load(str(self.user_id))
        return User.from_model(model) if model else None

    @strawberry.field
    async def partner(self, info: Info) -> Partner | None:
        model = await IdentityLoaders.of(info).partner_by_id.load(str(self.partner_id))
        return Partner.from_model(model) if model else None


@strawberry.type(description="Certified users per product line a tier requires.")
class TierRequirement:
    tier: Tier
    product_line: str
    certified_users: int
    updated_at: datetime

    @classmethod
    def from_model(cls, model: TierRequirementModel) -> TierRequirement:
        return cls(
            tier=Tier(model.tier),
            product_line=model.product_line,
            certified_users=model.certified_users,
            updated_at=model.updated_at,
        )


@strawberry.type(description="One requirement of a tier against the partner's certified users.")
class TierRequirementStatus:
    product_line: str
    required: int
    current: int = strawberry.field(description="Active users with a valid certification.")
    met: bool
    missing: int = strawberry.field(description="Certified users still needed.")
    message: str | None = strawberry.field(description="What is missing, when not met.")


@strawberry.type
class TierStatus:
    tier: Tier
    met: bool
    requirements: list[TierRequirementStatus]

    @classmethod
    def from_hub(cls, status: compliance.TierStatus) -> TierStatus:
        return cls(
            tier=status.tier,
            met=status.met,
            requirements=[
                TierRequirementStatus(
                    product_line=item.product_line,
                    required=item.required,
                    current=item.current,
                    met=item.met,
                    missing=item.missing,
                    message=None
                    if item.met
                    else f"{item.missing} more user(s) certified for {item.product_line}",
                )
                for item in status.requirements
            ],
        )


@strawberry.type(description="The partner against its current tier and the next one.")
class TierCompliance:
    current: TierStatus
    next: TierStatus | None = strawberry.field(description="Null at the top tier.")

    @classmethod
    def from_hub(cls, found: compliance.Compliance) -> TierCompliance:
        return cls(
            current=TierStatus.from_hub(found.current),
            next=TierStatus.from_hub(found.next) if found.next else None,
        )


@strawberry.type(description="A certification issued, expiring, expired or revoked.")
class TrainingEvent:
    cursor: str
    type: TrainingEventType
    occurred_at: datetime
    certification_id: strawberry.ID
    definition_id: strawberry.ID
    user_id: strawberry.ID
    expires_at: datetime | None
    event: strawberry.Private[DomainEvent]

    @classmethod
    def from_event(cls, event: DomainEvent) -> TrainingEvent:
        payload: dict[str, Any] = event.payload
        expires = payload.get("expiresAt")
        return cls(
            cursor=str(event.id),
            type=TrainingEventType(event.type),
            occurred_at=event.occurred_at,
            certification_id=strawberry.ID(payload["certificationId"]),
            definition_id=strawberry.ID(payload["definitionId"]),
            user_id=strawberry.ID(payload["userId"]),
            expires_at=datetime.fromisoformat(expires) if expires else None,
            event=event,
        )

    @strawberry.field(description="The certification as the subscriber may see it now.")
    async def certification(self, info: Info) -> Certification | None:
        principal, hub, held = (
            info.context.require_principal(),
            info.context.hub,
            str(self.certification_id),
        )
        found = await shared(
            self.event,
            principal,
            "certification",
            lambda: certification_service.by_ids(hub, principal=principal, ids=[held]),
        )
        return Certification.from_model(found[0], hub.clock.now()) if found[0] else None


@strawberry.input(description="Exactly one of assetId, url (http/https) or articleId.")
class LessonInput:
    title: str
    asset_id: strawberry.ID | None = None
    url: str | None = None
    article_id: strawberry.ID | None = None


@strawberry.input
class CourseModuleInput:
    title: str
    lessons: list[LessonInput]


@strawberry.input
class QuestionInput:
    prompt: str
    options: list[str]
    correct_options: list[int] = strawberry.field(description="Indexes into options, from 0.")


@strawberry.input
class AssessmentInput:
    pass_mark: int
    max_attempts: int
    questions: list[QuestionInput]


@strawberry.input
class CourseInput:
    title: str
    estimated_minutes: int
    modules: list[CourseModuleInput]
    summary: str | None = None
    product_lines: list[str] = strawberry.field(default_factory=list)
    required_tier: Tier | None = strawberry.field(
        default=None, description="Partners below this tier neither see nor enrol."
    )
    published: bool = False
    assessment: AssessmentInput | None = None


@strawberry.input(description="Fields to change; modules and assessment only before enrolments.")
class CourseUpdateInput:
    title: str | None = strawberry.UNSET
    summary: str | None = strawberry.UNSET
    estimated_minutes: int | None = strawberry.UNSET
    product_lines: list[str] | None = strawberry.UNSET
    required_tier: Tier | None = strawberry.UNSET
    published: bool | None = strawberry.UNSET
    modules: list[CourseModuleInput] | None = strawberry.UNSET
    assessment: AssessmentInput | None = strawberry.UNSET


@strawberry.input
class CourseFilter:
    product_line: str | None = None
    search: str | None = None
    include_unpublished: bool = True


@strawberry.input
class EnrolmentFilter:
    course_id: strawberry.ID | None = None
    user_id: strawberry.ID | None = None
    partner_id: strawberry.ID | None = None
    completed: bool | None = None


@strawberry.input
class AnswerInput:
    question_id: strawberry.ID
    selected_options: list[int]


@strawberry.input
class CertificationDefinitionInput:
    name: str
    product_line: str
    validity_days: int
    required_course_ids: list[strawberry.ID]
    description: str | None = None
    renewal_course_id: strawberry.ID | None = strawberry.field(
        default=None, description="Completing it renews a held certification."
    )


@strawberry.input
class CertificationFilter:
    user_id: strawberry.ID | None = None
    partner_id: strawberry.ID | None = None
    definition_id: strawberry.ID | None = None
    statuses: list[CertificationStatus] | None = None
    expiring_within_days: int | None = strawberry.field(
        default=None, description="Valid certifications expiring within this many days."
    )


class TrainingLoaders(LoaderSet):
    """Courses and lessons, enrolments' progress and attempts, certification definitions and
    tier compliance."""

    course_by_id = loader[str, CourseModel | None](
        lambda hub, principal, ids: course_service.by_ids(hub, principal=principal, ids=ids)
    )
    lessons_by_course = loader[str, list[LessonModel]](
        lambda hub, principal, ids: course_service.lessons_by_course(hub, ids)
    )
    progress_by_enrolment = loader[str, list[LessonProgressModel]](
        lambda hub, principal, ids: enrolment_service.progress_by_enrolment(hub, ids)
    )
    attempts_by_enrolment = loader[str, list[AttemptModel]](
        lambda hub, principal, ids: enrolment_service.attempts_by_enrolment(hub, ids)
    )
    definition_by_id = loader[str, DefinitionModel | None](
        lambda hub, principal, ids: certification_service.definitions_by_ids(hub, ids)
    )
    courses_by_definition = loader[str, list[str]](
        lambda hub, principal, ids: certification_service.courses_by_definition(hub, ids)
    )
    compliance_by_partner_tier = loader[tuple[str, str], compliance.Compliance | None](
        lambda hub, principal, ids: compliance.compliance_by_partner(
            hub, principal=principal, keys=ids
        )
    )
