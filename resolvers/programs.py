"""Root fields of partner programs and agreements."""

from __future__ import annotations

import strawberry

from hub.programs import service as programs
from schema.context import Info
from schema.inputs import to_hub
from schema.programs import (
    Agreement,
    AgreementAcceptance,
    AgreementInput,
    AgreementVersion,
    PartnerProgram,
    PartnerProgramChangesInput,
    PartnerProgramFilter,
    PartnerProgramInput,
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
        first: int | None = None,
        after: str | None = None,
        filter: PartnerProgramFilter | None = None,
    ) -> Connection[PartnerProgram]:
        page = await programs.list_programs(
            info.context.hub,
            principal=info.context.require_principal(),
            filter=to_hub(filter or PartnerProgramFilter(), programs.ProgramFilter),
            page=page_request(info, first, after),
        )
        return Connection[PartnerProgram].of(page, PartnerProgram.from_model)

    @strawberry.field
    async def partner_program(self, info: Info, id: strawberry.ID) -> PartnerProgram:
        model = await programs.get(
            info.context.hub, principal=info.context.require_principal(), program_id=id
        )
        return PartnerProgram.from_model(model)


@strawberry.type
class ProgramsMutation:
    @strawberry.mutation(description="Draft a partner program with its tiers (vendor staff).")
    async def create_partner_program(
        self, info: Info, input: PartnerProgramInput
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
        id: strawberry.ID,
        input: PartnerProgramChangesInput,
        expected_version: int | None = None,
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
    async def create_agreement(self, info: Info, input: AgreementInput) -> Agreement:
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
        self, info: Info, agreement_id: strawberry.ID, file: Upload, summary: str = ""
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
    async def accept_agreement(self, info: Info, version_id: strawberry.ID) -> AgreementAcceptance:
        model = await programs.accept(
            info.context.hub, principal=info.context.require_principal(), version_id=version_id
        )
        return AgreementAcceptance.from_model(model)
