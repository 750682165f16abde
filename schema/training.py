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
from schema.enums import described_enum
from schema.events import shared
from schema.identity import IdentityLoaders, User
from schema.knowledge import Article, KnowledgeLoaders
from schema.loading import LoaderSet, loader
from schema.nodes import Node
from schema.partners import Partner
from storage.models import AssessmentAttempt as AttemptModel
from storage.models import Certification as CertificationModel
from storage.models import CertificationDefinition as DefinitionModel
from storage.models import Course as CourseModel
from storage.models import Enrolment as EnrolmentModel
from storage.models import Lesson as LessonModel
from storage.models import LessonProgress as LessonProgressModel
from storage.models import TierRequirement as TierRequirementModel

described_enum(
    LessonKind,
    name="LessonKind",
    description="What a lesson points at.",
    values={
        "ASSET": "An asset of the brand library (a video, a deck).",
        "URL": "An external web page.",
        "ARTICLE": "A knowledge-base article.",
    },
)
described_enum(
    CertificationStatus,
    name="CertificationStatus",
    description="Whether a held certification counts.",
    values={
        "VALID": "Issued and not expired: it counts for tiers and lead eligibility.",
        "EXPIRED": "Past its expiry without renewal.",
        "REVOKED": "Revoked by the vendor.",
    },
)
described_enum(
    TrainingEventType,
    name="TrainingEventType",
    description="What happened to a held certification.",
    values={
        "CERTIFICATION_ISSUED": "It was issued or renewed.",
        "CERTIFICATION_EXPIRING": "It expires within 30 days.",
        "CERTIFICATION_EXPIRED": "It expired.",
        "CERTIFICATION_REVOKED": "The vendor revoked it.",
    },
)


@strawberry.type(description="One lesson: an asset, an external URL or a knowledge-base article.")
class Lesson:
    id: strawberry.ID = strawberry.field(description="The lesson's id.")
    position: int = strawberry.field(description="The lesson's place within its course, from 1.")
    title: str = strawberry.field(description="The lesson's title within its module.")
    kind: LessonKind = strawberry.field(
        description="What the lesson is: an asset, a URL or an article."
    )
    url: str | None = strawberry.field(description="The http or https URL of a URL lesson.")
    article_id: strawberry.ID | None = strawberry.field(
        description="The article of an ARTICLE lesson."
    )
    asset_id: strawberry.ID | None = strawberry.field(description="The asset of an ASSET lesson.")

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
    title: str = strawberry.field(description="The module's title within the course.")
    lessons: list[Lesson] = strawberry.field(description="The module's lessons, in order.")


@strawberry.type(description="A multiple-choice question; one or more options are correct.")
class AssessmentQuestion:
    id: strawberry.ID = strawberry.field(description="The question's id, to answer it by.")
    prompt: str = strawberry.field(description="The question's text, as put to the user.")
    options: list[str] = strawberry.field(description="The options to choose from, indexed from 0.")
    correct: strawberry.Private[list[int]]

    @strawberry.field(description="The answer key: vendor-side accounts only, null for partners.")
    def correct_options(self, info: Info) -> list[int] | None:
        return list(self.correct) if info.context.require_principal().is_vendor else None


@strawberry.type(description="The course's assessment, graded on the server.")
class Assessment:
    pass_mark: int = strawberry.field(description="Percent of questions to get right.")
    max_attempts: int = strawberry.field(description="How many attempts an enrolment gets.")
    questions: list[AssessmentQuestion] = strawberry.field(description="The questions, in order.")


@strawberry.type(description="A course of modules and lessons, with an optional assessment.")
class Course(Node):
    id: strawberry.ID = strawberry.field(description="The course's id.")
    title: str = strawberry.field(description="The course's title, shown in the catalog.")
    summary: str | None = strawberry.field(
        description="What the course teaches, in a few sentences."
    )
    product_lines: list[str] = strawberry.field(
        description="Codes of the product lines the course is about."
    )
    estimated_minutes: int = strawberry.field(description="How long the course takes, in minutes.")
    required_tier: Tier | None = strawberry.field(
        description="The lowest tier whose partners see and take it; null for every tier."
    )
    published: bool = strawberry.field(description="False while a draft: only vendor staff see it.")
    created_at: datetime = strawberry.field(
        description="When the course was created (RFC 3339, UTC)."
    )
    updated_at: datetime = strawberry.field(
        description="When the course last changed (RFC 3339, UTC)."
    )
    assessment: Assessment | None = strawberry.field(
        description="The assessment to pass to complete the course; null when there is none."
    )

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


@strawberry.type(description="A lesson of the enrolment's course the user has done.")
class LessonProgress:
    lesson_id: strawberry.ID = strawberry.field(description="The lesson done.")
    completed_at: datetime = strawberry.field(description="When it was done (RFC 3339, UTC).")


@strawberry.type(description="One graded attempt: the score and which questions were wrong.")
class AssessmentAttempt:
    number: int = strawberry.field(description="Which attempt this is, from 1.")
    score: int = strawberry.field(description="Percent of questions answered right.")
    passed: bool = strawberry.field(description="True when the score reached the pass mark.")
    wrong_question_ids: list[strawberry.ID] = strawberry.field(
        description="The questions answered wrong."
    )
    submitted_at: datetime = strawberry.field(description="When it was submitted (RFC 3339, UTC).")

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
class Enrolment(Node):
    id: strawberry.ID = strawberry.field(description="The enrolment's id.")
    cycle: int = strawberry.field(description="Which time the user takes the course, from 1.")
    enrolled_at: datetime = strawberry.field(description="When the user enrolled (RFC 3339, UTC).")
    passed_at: datetime | None = strawberry.field(
        description="When the user passed the assessment (RFC 3339, UTC)."
    )
    completed_at: datetime | None = strawberry.field(
        description="When every lesson was done and the assessment passed (RFC 3339, UTC)."
    )
    course_id: strawberry.ID = strawberry.field(description="The course's id.")
    user_id: strawberry.ID = strawberry.field(description="The enrolled user's id.")

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

    @strawberry.field(description="True once the course is completed.")
    def completed(self) -> bool:
        return self.completed_at is not None

    @strawberry.field(description="The course; null once the caller may no longer see it.")
    async def course(self, info: Info) -> Course | None:
        model = await TrainingLoaders.of(info).course_by_id.load(str(self.course_id))
        return Course.from_model(model) if model else None

    @strawberry.field(description="The enrolled user, if the caller may see them.")
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


@strawberry.type(description="The graded attempt and where the enrolment stands after it.")
class AssessmentResult:
    attempt: AssessmentAttempt = strawberry.field(description="The attempt just graded.")
    attempts_left: int = strawberry.field(description="Attempts the enrolment has left.")
    enrolment: Enrolment = strawberry.field(description="The enrolment after the attempt.")

    @classmethod
    def from_hub(cls, result: Submitted) -> AssessmentResult:
        return cls(
            attempt=AssessmentAttempt.from_model(result.attempt),
            attempts_left=result.attempts_left,
            enrolment=Enrolment.from_model(result.enrolment),
        )


@strawberry.type(description="What a certification takes and proves, and how long it lasts.")
class CertificationDefinition(Node):
    id: strawberry.ID = strawberry.field(description="The definition's id.")
    name: str = strawberry.field(
        description='The certification\'s name, e.g. "Certified Network Engineer".'
    )
    description: str | None = strawberry.field(description="What the certification proves.")
    product_line: str = strawberry.field(description="The product line it certifies for.")
    validity_days: int = strawberry.field(
        description="Days a certification stays valid from its issue or renewal."
    )
    renewal_course_id: strawberry.ID | None = strawberry.field(
        description="The course whose completion renews a held certification."
    )
    updated_at: datetime = strawberry.field(
        description="When the definition last changed (RFC 3339, UTC)."
    )

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
class Certification(Node):
    id: strawberry.ID = strawberry.field(description="The certification's id.")
    status: CertificationStatus = strawberry.field(
        description="Whether it is valid, expired or revoked."
    )
    first_issued_at: datetime = strawberry.field(
        description="When it was first issued (RFC 3339, UTC)."
    )
    issued_at: datetime = strawberry.field(
        description="When it was last issued or renewed (RFC 3339, UTC)."
    )
    expires_at: datetime = strawberry.field(
        description="When it expires unless renewed (RFC 3339, UTC)."
    )
    renewals: int = strawberry.field(description="How many times it was renewed.")
    revoked_at: datetime | None = strawberry.field(
        description="When it was revoked (RFC 3339, UTC)."
    )
    revoked_reason: str | None = strawberry.field(description="Why it was revoked.")
    user_id: strawberry.ID = strawberry.field(description="The holder's id.")
    partner_id: strawberry.ID = strawberry.field(description="The holder's partner's id.")
    definition_id: strawberry.ID = strawberry.field(
        description="The certification definition's id."
    )

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

    @strawberry.field(description="What the certification is.")
    async def definition(self, info: Info) -> CertificationDefinition:
        model = await TrainingLoaders.of(info).definition_by_id.load(str(self.definition_id))
        assert model is not None, "a held certification's definition exists (cascade)"
        return CertificationDefinition.from_model(model)

    @strawberry.field(description="The holder, if the caller may see them.")
    async def user(self, info: Info) -> User | None:
        model = await IdentityLoaders.of(info).user_by_id.load(str(self.user_id))
        return User.from_model(model) if model else None

    @strawberry.field(description="The holder's partner, if the caller may see it.")
    async def partner(self, info: Info) -> Partner | None:
        model = await IdentityLoaders.of(info).partner_by_id.load(str(self.partner_id))
        return Partner.from_model(model) if model else None


@strawberry.type(description="Certified users per product line a tier requires.")
class TierRequirement:
    tier: Tier = strawberry.field(description="The tier that requires it.")
    product_line: str = strawberry.field(description="The product line whose certification counts.")
    certified_users: int = strawberry.field(
        description="How many active users must hold a valid certification of the line."
    )
    updated_at: datetime = strawberry.field(
        description="When the requirement last changed (RFC 3339, UTC)."
    )

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
    product_line: str = strawberry.field(description="The product line whose certification counts.")
    required: int = strawberry.field(description="Certified users the tier requires.")
    current: int = strawberry.field(description="Active users with a valid certification.")
    met: bool = strawberry.field(description="True when current reaches required.")
    missing: int = strawberry.field(description="Certified users still needed.")
    message: str | None = strawberry.field(description="What is missing, when not met.")


@strawberry.type(description="A partner against one tier's certification requirements.")
class TierStatus:
    tier: Tier = strawberry.field(
        description="The tier the requirements are of: the partner's own, or the next one up."
    )
    met: bool = strawberry.field(description="True when every requirement of the tier is met.")
    requirements: list[TierRequirementStatus] = strawberry.field(
        description="Each requirement of the tier, by product line."
    )

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
    current: TierStatus = strawberry.field(
        description="The partner against its current tier's requirements."
    )
    next: TierStatus | None = strawberry.field(description="Null at the top tier.")

    @classmethod
    def from_hub(cls, found: compliance.Compliance) -> TierCompliance:
        return cls(
            current=TierStatus.from_hub(found.current),
            next=TierStatus.from_hub(found.next) if found.next else None,
        )


@strawberry.type(description="A certification issued, expiring, expired or revoked.")
class TrainingEvent:
    cursor: str = strawberry.field(
        description="The event's position; pass it as `after` to resume after it."
    )
    type: TrainingEventType = strawberry.field(description="What happened to the certification.")
    occurred_at: datetime = strawberry.field(description="When it happened (RFC 3339, UTC).")
    certification_id: strawberry.ID = strawberry.field(
        description="The certification the event is about."
    )
    definition_id: strawberry.ID = strawberry.field(description="The certification's definition.")
    user_id: strawberry.ID = strawberry.field(description="The user who holds the certification.")
    expires_at: datetime | None = strawberry.field(
        description="When the certification expires (RFC 3339, UTC), for issued and expiring ones."
    )
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
    title: str = strawberry.field(description="The lesson's title.")
    asset_id: strawberry.ID | None = strawberry.field(
        default=None, description="The asset to study, for an ASSET lesson."
    )
    url: str | None = strawberry.field(
        default=None, description="The http or https URL to visit, for a URL lesson."
    )
    article_id: strawberry.ID | None = strawberry.field(
        default=None, description="The knowledge-base article to read, for an ARTICLE lesson."
    )


@strawberry.input(description="A module of a course.")
class CourseModuleInput:
    title: str = strawberry.field(description="The module's title.")
    lessons: list[LessonInput] = strawberry.field(description="The module's lessons, in order.")


@strawberry.input(description="A multiple-choice question.")
class QuestionInput:
    prompt: str = strawberry.field(description="The question's text.")
    options: list[str] = strawberry.field(description="The options to choose from.")
    correct_options: list[int] = strawberry.field(description="Indexes into options, from 0.")


@strawberry.input(description="A course's assessment.")
class AssessmentInput:
    pass_mark: int = strawberry.field(
        description="Percent of questions to get right to pass: 1 to 100."
    )
    max_attempts: int = strawberry.field(
        description="How many attempts an enrolment gets: 1 to 100."
    )
    questions: list[QuestionInput] = strawberry.field(description="The questions, in order.")


@strawberry.input(description="A new course.")
class CourseInput:
    title: str = strawberry.field(description="The course's title.")
    estimated_minutes: int = strawberry.field(description="How long the course takes, in minutes.")
    modules: list[CourseModuleInput] = strawberry.field(
        description="The modules in order, each with its lessons."
    )
    summary: str | None = strawberry.field(default=None, description="What the course teaches.")
    product_lines: list[str] = strawberry.field(
        default_factory=list, description="Codes of the product lines the course is about."
    )
    required_tier: Tier | None = strawberry.field(
        default=None, description="Partners below this tier neither see nor enrol."
    )
    published: bool = strawberry.field(
        default=False, description="True to publish it at once; a draft otherwise."
    )
    assessment: AssessmentInput | None = strawberry.field(
        default=None, description="The assessment to pass, if any."
    )


@strawberry.input(description="Fields to change; modules and assessment only before enrolments.")
class CourseUpdateInput:
    title: str | None = strawberry.field(default=strawberry.UNSET, description="The new title.")
    summary: str | None = strawberry.field(
        default=strawberry.UNSET, description="The new summary; null clears it."
    )
    estimated_minutes: int | None = strawberry.field(
        default=strawberry.UNSET, description="The new duration, in minutes."
    )
    product_lines: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description="The product line codes to replace the current ones with.",
    )
    required_tier: Tier | None = strawberry.field(
        default=strawberry.UNSET,
        description="The new lowest tier that may take it; null opens it to every tier.",
    )
    published: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="True publishes the course, false takes it back to draft.",
    )
    modules: list[CourseModuleInput] | None = strawberry.field(
        default=strawberry.UNSET, description="The modules to replace the current ones with."
    )
    assessment: AssessmentInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="The assessment to replace the current one with; null removes it.",
    )


@strawberry.input(description="Which courses to list; the conditions given must all hold.")
class CourseFilter:
    product_line: str | None = strawberry.field(
        default=None, description="Only courses about this product line (its code)."
    )
    search: str | None = strawberry.field(
        default=None,
        description="Only courses whose title contains each of these words, in any case.",
    )
    include_unpublished: bool = strawberry.field(
        default=True, description="False to leave drafts out (partners never see them)."
    )


@strawberry.input(description="Which enrolments to list; the conditions given must all hold.")
class EnrolmentFilter:
    course_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only enrolments in this course."
    )
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this user's enrolments."
    )
    partner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only enrolments of this partner's users."
    )
    completed: bool | None = strawberry.field(
        default=None, description="Only completed (true) or only open (false) enrolments."
    )


@strawberry.input(description="The options chosen for one question.")
class AnswerInput:
    question_id: strawberry.ID = strawberry.field(description="The question answered.")
    selected_options: list[int] = strawberry.field(
        description="Indexes of the options chosen, from 0."
    )


@strawberry.input(description="A certification definition.")
class CertificationDefinitionInput:
    name: str = strawberry.field(description="The certification's name.")
    product_line: str = strawberry.field(
        description="The product line it certifies for (its code)."
    )
    validity_days: int = strawberry.field(
        description="Days a certification stays valid from its issue or renewal."
    )
    required_course_ids: list[strawberry.ID] = strawberry.field(
        description="The courses to complete to earn it."
    )
    description: str | None = strawberry.field(
        default=None, description="What the certification proves."
    )
    renewal_course_id: strawberry.ID | None = strawberry.field(
        default=None, description="Completing it renews a held certification."
    )


@strawberry.input(description="Which certifications to list; the conditions given must all hold.")
class CertificationFilter:
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this user's certifications."
    )
    partner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only certifications of this partner's users."
    )
    definition_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only certifications of this definition."
    )
    statuses: list[CertificationStatus] | None = strawberry.field(
        default=None, description="Only certifications with one of these statuses."
    )
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
