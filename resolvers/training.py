"""Root fields of training: courses, enrolments, assessments, certifications, tier requirements."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated, Any

import strawberry

from hub.partners.rules import Tier
from hub.training import certifications as certification_service
from hub.training import compliance, rules
from hub.training import courses as course_service
from hub.training import enrolments as enrolment_service
from schema.arguments import After, EventsAfter, First, Id
from schema.context import Info
from schema.events import parse_cursor, subscribe
from schema.inputs import to_hub
from schema.relay import Connection, page_request
from schema.training import (
    AnswerInput,
    AssessmentInput,
    AssessmentResult,
    Certification,
    CertificationDefinition,
    CertificationDefinitionInput,
    CertificationFilter,
    Course,
    CourseFilter,
    CourseInput,
    CourseModuleInput,
    CourseUpdateInput,
    Enrolment,
    EnrolmentFilter,
    TierRequirement,
    TrainingEvent,
)


@strawberry.type
class TrainingQuery:
    @strawberry.field(
        description="Courses the caller may see, newest first; partners see the published "
        "ones their tier reaches."
    )
    async def courses(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            CourseFilter | None,
            strawberry.argument(
                description="Which courses to list; all the caller may see when left out."
            ),
        ] = None,
    ) -> Connection[Course]:
        principal, hub = info.context.require_principal(), info.context.hub
        wanted = filter or CourseFilter()
        page = await course_service.list_courses(
            hub,
            principal=principal,
            filter=to_hub(wanted, rules.CourseFilter),
            page=page_request(info, first, after),
        )
        return Connection[Course].of(page, Course.from_model)

    @strawberry.field(description="One course the caller may see.")
    async def course(self, info: Info, id: Id) -> Course:
        model = await course_service.get(
            info.context.hub, principal=info.context.require_principal(), course_id=id
        )
        return Course.from_model(model)

    @strawberry.field(
        description="Enrolments: vendor staff all, partner admins their organization's, "
        "partner users their own; newest first."
    )
    async def enrolments(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            EnrolmentFilter | None,
            strawberry.argument(
                description="Which enrolments to list; all the caller may see when left out."
            ),
        ] = None,
    ) -> Connection[Enrolment]:
        wanted = filter or EnrolmentFilter()
        return await _enrolments(
            info,
            first,
            after,
            to_hub(wanted, rules.EnrolmentFilter),
        )

    @strawberry.field(description="The caller's own enrolments, newest first.")
    async def my_enrolments(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Enrolment]:
        principal = info.context.require_principal()
        return await _enrolments(
            info, first, after, rules.EnrolmentFilter(user_id=principal.user_id)
        )

    @strawberry.field(description="One enrolment the caller may see.")
    async def enrolment(self, info: Info, id: Id) -> Enrolment:
        model = await enrolment_service.get(
            info.context.hub, principal=info.context.require_principal(), enrolment_id=id
        )
        return Enrolment.from_model(model)

    @strawberry.field(description="Certifications on offer, by name.")
    async def certification_definitions(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        product_line: Annotated[
            str | None,
            strawberry.argument(
                description="Only certifications of this product line (its code); all "
                "when left out."
            ),
        ] = None,
    ) -> Connection[CertificationDefinition]:
        info.context.require_principal()
        hub = info.context.hub
        page = await certification_service.list_definitions(
            hub,
            product_line=product_line,
            page=page_request(info, first, after),
        )
        return Connection[CertificationDefinition].of(page, CertificationDefinition.from_model)

    @strawberry.field(
        description="One certification definition: what it takes and how long it lasts."
    )
    async def certification_definition(self, info: Info, id: Id) -> CertificationDefinition:
        info.context.require_principal()
        model = await certification_service.get_definition(info.context.hub, definition_id=id)
        return CertificationDefinition.from_model(model)

    @strawberry.field(
        description="Who holds what, soonest expiry first; partner users see their "
        "organization's only."
    )
    async def certifications(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            CertificationFilter | None,
            strawberry.argument(
                description="Which certifications to list; all the caller may see when left out."
            ),
        ] = None,
    ) -> Connection[Certification]:
        principal, hub = info.context.require_principal(), info.context.hub
        wanted = filter or CertificationFilter()
        page = await certification_service.list_certifications(
            hub,
            principal=principal,
            filter=to_hub(wanted, rules.CertificationFilter),
            page=page_request(info, first, after),
        )
        now = hub.clock.now()
        return Connection[Certification].of(
            page, lambda model: Certification.from_model(model, now)
        )

    @strawberry.field(description="One held certification the caller may see.")
    async def certification(self, info: Info, id: Id) -> Certification:
        hub = info.context.hub
        model = await certification_service.get(
            hub, principal=info.context.require_principal(), certification_id=id
        )
        return Certification.from_model(model, hub.clock.now())

    @strawberry.field(description="Certified users per product line each tier requires.")
    async def tier_requirements(self, info: Info) -> list[TierRequirement]:
        info.context.require_principal()
        rows = await compliance.requirements(info.context.hub)
        return [TierRequirement.from_model(row) for row in rows]


async def _enrolments(
    info: Info, first: int | None, after: str | None, wanted: rules.EnrolmentFilter
) -> Connection[Enrolment]:
    principal, hub = info.context.require_principal(), info.context.hub
    page = await enrolment_service.list_enrolments(
        hub,
        principal=principal,
        filter=wanted,
        page=page_request(info, first, after),
    )
    return Connection[Enrolment].of(page, Enrolment.from_model)


@strawberry.type
class TrainingMutation:
    @strawberry.mutation(description="Create a course (vendor staff).")
    async def create_course(
        self,
        info: Info,
        input: Annotated[
            CourseInput,
            strawberry.argument(
                description="The new course with its modules, lessons and assessment."
            ),
        ],
    ) -> Course:
        model = await course_service.create(
            info.context.hub,
            principal=info.context.require_principal(),
            data=to_hub(input, rules.CourseInput),
        )
        return Course.from_model(model)

    @strawberry.mutation(
        description="Change a course (vendor staff); modules and assessment only while "
        "nobody is enrolled."
    )
    async def update_course(
        self,
        info: Info,
        id: Id,
        input: Annotated[
            CourseUpdateInput,
            strawberry.argument(description="The fields to change; omitted ones stay as they are."),
        ],
    ) -> Course:
        model = await course_service.update(
            info.context.hub,
            principal=info.context.require_principal(),
            course_id=id,
            changes=_course_changes(input),
        )
        return Course.from_model(model)

    @strawberry.mutation(
        description="Enrol in a course; returns the open enrolment if there is one, or starts "
        "a re-take after completion."
    )
    async def enrol(
        self,
        info: Info,
        course_id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description="The course to enrol in; one the caller's tier may take."
            ),
        ],
    ) -> Enrolment:
        model = await enrolment_service.enrol(
            info.context.hub, principal=info.context.require_principal(), course_id=course_id
        )
        return Enrolment.from_model(model)

    @strawberry.mutation(description="Mark a lesson of your enrolment done (idempotent).")
    async def complete_lesson(
        self,
        info: Info,
        enrolment_id: Annotated[
            strawberry.ID, strawberry.argument(description="The caller's enrolment.")
        ],
        lesson_id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The lesson of the enrolment's course done."),
        ],
    ) -> Enrolment:
        model = await enrolment_service.complete_lesson(
            info.context.hub,
            principal=info.context.require_principal(),
            enrolment_id=enrolment_id,
            lesson_id=lesson_id,
        )
        return Enrolment.from_model(model)

    @strawberry.mutation(
        description="Submit assessment answers; graded on the server, the attempt is recorded."
    )
    async def submit_assessment(
        self,
        info: Info,
        enrolment_id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The caller's enrolment whose assessment to take."),
        ],
        answers: Annotated[
            list[AnswerInput],
            strawberry.argument(description="One answer per question of the assessment."),
        ],
    ) -> AssessmentResult:
        result = await enrolment_service.submit_assessment(
            info.context.hub,
            principal=info.context.require_principal(),
            enrolment_id=enrolment_id,
            answers=[(str(answer.question_id), answer.selected_options) for answer in answers],
        )
        return AssessmentResult.from_hub(result)

    @strawberry.mutation(description="Define a certification (vendor staff).")
    async def create_certification_definition(
        self,
        info: Info,
        input: Annotated[
            CertificationDefinitionInput,
            strawberry.argument(
                description="The new certification: product line, validity and required courses."
            ),
        ],
    ) -> CertificationDefinition:
        model = await certification_service.create_definition(
            info.context.hub, principal=info.context.require_principal(), data=_definition(input)
        )
        return CertificationDefinition.from_model(model)

    @strawberry.mutation(description="Replace a certification definition (vendor staff).")
    async def update_certification_definition(
        self,
        info: Info,
        id: Id,
        input: Annotated[
            CertificationDefinitionInput,
            strawberry.argument(description="The whole definition, replacing the current one."),
        ],
    ) -> CertificationDefinition:
        model = await certification_service.update_definition(
            info.context.hub,
            principal=info.context.require_principal(),
            definition_id=id,
            data=_definition(input),
        )
        return CertificationDefinition.from_model(model)

    @strawberry.mutation(description="Revoke a held certification, with a reason (vendor staff).")
    async def revoke_certification(
        self,
        info: Info,
        id: Id,
        reason: Annotated[
            str, strawberry.argument(description="Why it is revoked, shown to the holder.")
        ],
    ) -> Certification:
        hub = info.context.hub
        model = await certification_service.revoke(
            hub, principal=info.context.require_principal(), certification_id=id, reason=reason
        )
        return Certification.from_model(model, hub.clock.now())

    @strawberry.mutation(
        description="Require certified users per product line for a tier; 0 removes the "
        "requirement (vendor staff). Returns every requirement."
    )
    async def set_tier_requirement(
        self,
        info: Info,
        tier: Annotated[
            Tier, strawberry.argument(description="The tier the requirement applies to.")
        ],
        product_line: Annotated[
            str, strawberry.argument(description="The product line whose certification counts.")
        ],
        certified_users: Annotated[
            int,
            strawberry.argument(
                description="How many of the partner's active users must hold it; 0 "
                "removes the requirement."
            ),
        ],
    ) -> list[TierRequirement]:
        rows = await compliance.set_requirement(
            info.context.hub,
            principal=info.context.require_principal(),
            tier=tier,
            product_line=product_line,
            certified_users=certified_users,
        )
        return [TierRequirement.from_model(row) for row in rows]


@strawberry.type
class TrainingSubscription:
    @strawberry.subscription(
        description="CERTIFICATION_ISSUED, _EXPIRING, _EXPIRED and _REVOKED for the holder's "
        "organization and vendor staff; `after` replays what was missed."
    )
    async def training_events(
        self, info: Info, after: EventsAfter = None
    ) -> AsyncGenerator[TrainingEvent, None]:
        topics = {certification_service.TOPIC}
        async with subscribe(info, topics, after=parse_cursor(after)) as stream:
            async for event in stream:
                yield TrainingEvent.from_event(event)


def _modules(modules: list[CourseModuleInput]) -> list[rules.ModuleInput]:
    return [to_hub(module, rules.ModuleInput) for module in modules]


def _assessment(assessment: AssessmentInput | None) -> rules.AssessmentInput | None:
    if assessment is None:
        return None
    return to_hub(assessment, rules.AssessmentInput)


def _course_changes(input: CourseUpdateInput) -> dict[str, Any]:
    sent = {key: value for key, value in vars(input).items() if value is not strawberry.UNSET}
    nullable = {"summary", "required_tier", "assessment"}
    changes = {key: value for key, value in sent.items() if value is not None or key in nullable}
    if "modules" in changes:
        changes["modules"] = _modules(changes["modules"])
    if "assessment" in changes:
        changes["assessment"] = _assessment(changes["assessment"])
    return changes


def _definition(input: CertificationDefinitionInput) -> rules.DefinitionInput:
    return to_hub(input, rules.DefinitionInput)
