"""Root fields of partner programs and agreements."""

from __future__ import annotations

from typing import Annotated

import strawberry

from hub.programs import service as programs
from hub.programs import vetting
from schema.arguments import After, ExpectedVersion, First, Id
from schema.context import Info
from schema.inputs import to_hub
from schema.programs import (
    Agreement,
    AgreementAcceptance,
    AgreementInput,
    AgreementVersion,
    ApplicationDocument,
    ApplicationNote,
    PartnerApplication,
    PartnerApplicationFilter,
    PartnerProgram,
    PartnerProgramChangesInput,
    PartnerProgramFilter,
    PartnerProgramInput,
    RecruitmentStage,
    RecruitmentStageInput,
)
from schema.relay import Connection, page_request
from schema.uploads import Upload, bytes_of, file_of


@strawberry.type
class ProgramsQuery:
    @strawberry.field(
        description="Partner programs, newest first: vendor-side accounts all, partners the "
        "published ones."
    )
    async def partner_programs(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            PartnerProgramFilter | None,
            strawberry.argument(
                description="Which programs to list; all the caller may see when left out."
            ),
        ] = None,
    ) -> Connection[PartnerProgram]:
        page = await programs.list_programs(
            info.context.hub,
            principal=info.context.require_principal(),
            filter=to_hub(filter or PartnerProgramFilter(), programs.ProgramFilter),
            page=page_request(info, first, after),
        )
        return Connection[PartnerProgram].of(page, PartnerProgram.from_model)

    @strawberry.field(description="One partner program the caller may see.")
    async def partner_program(self, info: Info, id: Id) -> PartnerProgram:
        model = await programs.get(
            info.context.hub, principal=info.context.require_principal(), program_id=id
        )
        return PartnerProgram.from_model(model)

    @strawberry.field(description="The stages applications are vetted through (vendor staff).")
    async def recruitment_stages(self, info: Info) -> list[RecruitmentStage]:
        found = await vetting.stages(info.context.hub, principal=info.context.require_principal())
        return [RecruitmentStage(code=code, name=name) for code, name in found]

    @strawberry.field(
        description="Partner applications, newest first, with their vetting (vendor staff)."
    )
    async def partner_applications(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            PartnerApplicationFilter | None,
            strawberry.argument(
                description="Which applications to list; APPLICANT partners when left out."
            ),
        ] = None,
    ) -> Connection[PartnerApplication]:
        page = await vetting.list_applications(
            info.context.hub,
            principal=info.context.require_principal(),
            filter=to_hub(filter or PartnerApplicationFilter(), vetting.ApplicationFilter),
            page=page_request(info, first, after),
        )
        return Connection[PartnerApplication].of(page, PartnerApplication.of)

    @strawberry.field(description="One partner's application and its vetting (vendor staff).")
    async def partner_application(
        self,
        info: Info,
        partner_id: Annotated[
            strawberry.ID, strawberry.argument(description="The applicant partner.")
        ],
    ) -> PartnerApplication:
        found = await vetting.get(
            info.context.hub, principal=info.context.require_principal(), partner_id=partner_id
        )
        return PartnerApplication.of(found)


@strawberry.type
class ProgramsMutation:
    @strawberry.mutation(
        description="Replace the stages applications are vetted through, in order (vendor "
        "staff); CONFLICT to remove one an application is at."
    )
    async def set_recruitment_stages(
        self,
        info: Info,
        stages: Annotated[
            list[RecruitmentStageInput],
            strawberry.argument(
                description="Every stage, in the order applications go through them."
            ),
        ],
    ) -> list[RecruitmentStage]:
        found = await vetting.set_stages(
            info.context.hub,
            principal=info.context.require_principal(),
            wanted=[to_hub(stage, vetting.StageInput) for stage in stages],
        )
        return [RecruitmentStage(code=code, name=name) for code, name in found]

    @strawberry.mutation(description="Give an application an owner among vendor staff.")
    async def assign_partner_application(
        self,
        info: Info,
        partner_id: Annotated[
            strawberry.ID, strawberry.argument(description="The applicant partner.")
        ],
        owner_id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description="The vendor staff user who owns the application from now on."
            ),
        ],
    ) -> PartnerApplication:
        found = await vetting.assign(
            info.context.hub,
            principal=info.context.require_principal(),
            partner_id=partner_id,
            owner_id=owner_id,
        )
        return PartnerApplication.of(found)

    @strawberry.mutation(
        description="Move an application to a stage (vendor staff); with `expectedVersion`, "
        "CONFLICT when someone moved it first."
    )
    async def move_partner_application(
        self,
        info: Info,
        partner_id: Annotated[
            strawberry.ID, strawberry.argument(description="The applicant partner.")
        ],
        stage: Annotated[str, strawberry.argument(description="The code of the stage to move to.")],
        expected_version: ExpectedVersion = None,
    ) -> PartnerApplication:
        found = await vetting.move(
            info.context.hub,
            principal=info.context.require_principal(),
            partner_id=partner_id,
            stage=stage,
            expected_version=expected_version,
        )
        return PartnerApplication.of(found)

    @strawberry.mutation(description="Add a note to an application (vendor staff).")
    async def add_application_note(
        self,
        info: Info,
        partner_id: Annotated[
            strawberry.ID, strawberry.argument(description="The applicant partner.")
        ],
        body: Annotated[
            str, strawberry.argument(description="The note's text, seen by vendor staff only.")
        ],
    ) -> ApplicationNote:
        note = await vetting.add_note(
            info.context.hub,
            principal=info.context.require_principal(),
            partner_id=partner_id,
            body=body,
        )
        return ApplicationNote.from_model(note)

    @strawberry.mutation(
        description="Keep a document with an application, typed from its bytes (multipart "
        "request; vendor staff)."
    )
    async def upload_application_document(
        self,
        info: Info,
        partner_id: Annotated[
            strawberry.ID, strawberry.argument(description="The applicant partner.")
        ],
        title: Annotated[
            str,
            strawberry.argument(description='What the document is, e.g. "Trade register extract".'),
        ],
        file: Annotated[
            Upload,
            strawberry.argument(description="The document, as a part of the multipart request."),
        ],
    ) -> ApplicationDocument:
        upload = await file_of(file)
        document = await vetting.add_document(
            info.context.hub,
            principal=info.context.require_principal(),
            partner_id=partner_id,
            title=title,
            file_name=upload.filename,
            chunks=bytes_of(upload),
        )
        return ApplicationDocument.from_model(document)

    @strawberry.mutation(description="Draft a partner program with its tiers (vendor staff).")
    async def create_partner_program(
        self,
        info: Info,
        input: Annotated[
            PartnerProgramInput, strawberry.argument(description="The new program and its tiers.")
        ],
    ) -> PartnerProgram:
        model = await programs.create(
            info.context.hub,
            principal=info.context.require_principal(),
            data=to_hub(input, programs.ProgramInput),
        )
        return PartnerProgram.from_model(model)

    @strawberry.mutation(
        description="Change a program, publish or retire it (vendor staff); with "
        "`expectedVersion`, CONFLICT when someone changed it first."
    )
    async def update_partner_program(
        self,
        info: Info,
        id: Id,
        input: Annotated[
            PartnerProgramChangesInput,
            strawberry.argument(description="The fields to change; only those given change."),
        ],
        expected_version: ExpectedVersion = None,
    ) -> PartnerProgram:
        model = await programs.update(
            info.context.hub,
            principal=info.context.require_principal(),
            program_id=id,
            changes=to_hub(input, programs.ProgramChanges),
            expected_version=expected_version,
        )
        return PartnerProgram.from_model(model)

    @strawberry.mutation(description="Add an agreement to a program (vendor staff).")
    async def create_agreement(
        self,
        info: Info,
        input: Annotated[AgreementInput, strawberry.argument(description="The new agreement.")],
    ) -> Agreement:
        model = await programs.create_agreement(
            info.context.hub,
            principal=info.context.require_principal(),
            data=to_hub(input, programs.AgreementInput),
        )
        return Agreement.from_model(model)

    @strawberry.mutation(
        description="Publish a new version of an agreement's terms, a PDF typed from its "
        "bytes (multipart request; vendor staff): partners accept it anew."
    )
    async def publish_agreement_version(
        self,
        info: Info,
        agreement_id: Annotated[
            strawberry.ID, strawberry.argument(description="The agreement the version belongs to.")
        ],
        file: Annotated[
            Upload,
            strawberry.argument(
                description="The terms as a PDF, as a part of the multipart request."
            ),
        ],
        summary: Annotated[
            str, strawberry.argument(description="What changed in this version, shown to partners.")
        ] = "",
    ) -> AgreementVersion:
        upload = await file_of(file)
        model = await programs.publish_version(
            info.context.hub,
            principal=info.context.require_principal(),
            agreement_id=agreement_id,
            file_name=upload.filename,
            chunks=bytes_of(upload),
            summary=summary,
        )
        return AgreementVersion.from_model(model)

    @strawberry.mutation(
        description="Accept the current version of an agreement for your organization "
        "(partner admins): records who, when and which version, once; CONFLICT for a "
        "replaced version. The last item of an ONBOARDING partner's checklist makes it ACTIVE."
    )
    async def accept_agreement(
        self,
        info: Info,
        version_id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The current version of the agreement to accept."),
        ],
    ) -> AgreementAcceptance:
        model = await programs.accept(
            info.context.hub, principal=info.context.require_principal(), version_id=version_id
        )
        return AgreementAcceptance.from_model(model)
