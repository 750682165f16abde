"""GraphQL types of partner programs: tiers' benefits and requirements, agreements, their
versions and acceptances."""

from __future__ import annotations

from datetime import datetime

import strawberry

from hub.partners import PartnerStatus, Tier
from hub.programs import service as program_service
from hub.programs import vetting
from hub.programs.service import ProgramStatus
from schema.context import Info
from schema.enums import described_enum
from schema.loading import LoaderSet, loader
from schema.nodes import Node
from schema.partners import Partner, partner_of
from schema.stored_files import StoredFileFields
from storage.models.programs import Agreement as AgreementModel
from storage.models.programs import AgreementAcceptance as AcceptanceModel
from storage.models.programs import AgreementVersion as VersionModel
from storage.models.programs import ApplicationDocument as DocumentModel
from storage.models.programs import ApplicationNote as NoteModel
from storage.models.programs import PartnerProgram as ProgramModel
from storage.models.programs import ProgramTier as TierModel

described_enum(
    ProgramStatus,
    name="PartnerProgramStatus",
    description="DRAFT until PUBLISHED to partners; RETIRED when replaced (it may be "
    "published again). Partners see published programs only.",
    values={
        "DRAFT": "Being drafted; vendor staff only.",
        "PUBLISHED": "Published to partners.",
        "RETIRED": "Replaced; it may be published again.",
    },
)


class ProgramLoaders(LoaderSet):
    """Programs and what hangs off them, as the caller may see them."""

    program_tiers_by_program = loader[str, list[TierModel]](
        lambda hub, principal, ids: program_service.tiers_by_program(hub, ids)
    )
    agreements_by_program = loader[str, list[AgreementModel]](
        lambda hub, principal, ids: program_service.agreements_by_program(hub, ids)
    )
    versions_by_agreement = loader[str, list[VersionModel]](
        lambda hub, principal, ids: program_service.versions_by_agreement(hub, ids)
    )
    acceptances_by_agreement = loader[str, list[AcceptanceModel]](
        lambda hub, principal, ids: program_service.acceptances_by_agreement(
            hub, principal=principal, ids=ids
        )
    )


@strawberry.type(description="What partners of a tier get from a program and must do.")
class ProgramTier:
    tier: Tier = strawberry.field(description="The tier the benefits and requirements are for.")
    benefits: list[str] = strawberry.field(
        description="What partners of the tier get, one line each."
    )
    requirements: list[str] = strawberry.field(
        description="What partners of the tier must do, one line each."
    )


@strawberry.type(description="One version of an agreement's terms, a PDF.")
class AgreementVersion(StoredFileFields):
    id: strawberry.ID = strawberry.field(description="The version's id.")
    number: int = strawberry.field(description="1, 2, ...: the highest is current.")
    summary: str = strawberry.field(description="What changed in it.")
    published_at: datetime = strawberry.field(description="When it was published (RFC 3339, UTC).")

    @classmethod
    def from_model(cls, model: VersionModel) -> AgreementVersion:
        return cls(
            id=strawberry.ID(model.id),
            number=model.number,
            summary=model.summary,
            file_name=model.file_name,
            size=model.size,
            content_type=model.content_type,
            sha256=model.sha256,
            published_at=model.published_at,
            object_key=model.object_key,
        )


@strawberry.type(description="A partner's acceptance of one version of an agreement.")
class AgreementAcceptance:
    id: strawberry.ID = strawberry.field(description="The acceptance's id.")
    agreement_id: strawberry.ID = strawberry.field(description="The agreement accepted.")
    version_id: strawberry.ID = strawberry.field(description="The version accepted.")
    number: int = strawberry.field(description="The number of the version accepted.")
    accepted_at: datetime = strawberry.field(description="When it was accepted (RFC 3339, UTC).")
    accepted_by_id: strawberry.ID | None = strawberry.field(
        description="The partner admin who accepted it; null when no longer known."
    )
    partner_id: strawberry.Private[str]

    @classmethod
    def from_model(cls, model: AcceptanceModel) -> AgreementAcceptance:
        return cls(
            id=strawberry.ID(model.id),
            agreement_id=strawberry.ID(model.agreement_id),
            version_id=strawberry.ID(model.version_id),
            number=model.number,
            accepted_at=model.accepted_at,
            accepted_by_id=strawberry.ID(model.accepted_by_id) if model.accepted_by_id else None,
            partner_id=model.partner_id,
        )

    @strawberry.field(description="The partner that accepted it.")
    async def partner(self, info: Info) -> Partner:
        return await partner_of(info, self.partner_id)


@strawberry.type(description="Terms of a program; a required one is accepted before ACTIVE.")
class Agreement:
    id: strawberry.ID = strawberry.field(description="The agreement's id.")
    title: str = strawberry.field(description='The agreement\'s title, e.g. "Reseller terms".')
    required: bool = strawberry.field(
        description="True when partners accept it before they become ACTIVE."
    )
    current_number: int = strawberry.field(description="0 until a version is published.")

    @strawberry.field(description="Every version, newest first.")
    async def versions(self, info: Info) -> list[AgreementVersion]:
        rows = await ProgramLoaders.of(info).versions_by_agreement.load(str(self.id))
        return [AgreementVersion.from_model(row) for row in rows]

    @strawberry.field(description="The version to accept; null until one is published.")
    async def current_version(self, info: Info) -> AgreementVersion | None:
        rows = await ProgramLoaders.of(info).versions_by_agreement.load(str(self.id))
        return AgreementVersion.from_model(rows[0]) if rows else None

    @strawberry.field(
        description="Acceptances, oldest first: vendor-side accounts all, a partner its channel's."
    )
    async def acceptances(self, info: Info) -> list[AgreementAcceptance]:
        rows = await ProgramLoaders.of(info).acceptances_by_agreement.load(str(self.id))
        return [AgreementAcceptance.from_model(row) for row in rows]

    @strawberry.field(
        description="Partners: whether your organization accepted the current version."
    )
    async def accepted(self, info: Info) -> bool | None:
        principal = info.context.require_principal()
        if not principal.is_partner:
            return None
        rows = await ProgramLoaders.of(info).acceptances_by_agreement.load(str(self.id))
        return any(
            row.partner_id == principal.organization_id and row.number == self.current_number
            for row in rows
        )

    @classmethod
    def from_model(cls, model: AgreementModel) -> Agreement:
        return cls(
            id=strawberry.ID(model.id),
            title=model.title,
            required=model.required,
            current_number=model.current_number,
        )


@strawberry.type(description='A partner program, e.g. "Reseller program 2027".')
class PartnerProgram(Node):
    id: strawberry.ID = strawberry.field(description="The program's id.")
    name: str = strawberry.field(description='The program\'s name, e.g. "Reseller program 2027".')
    description: str = strawberry.field(description="What the program offers partners.")
    status: ProgramStatus = strawberry.field(
        description="Whether it is a draft, published or retired."
    )
    version: int = strawberry.field(description="1, and one more on every change.")
    created_at: datetime = strawberry.field(
        description="When the program was drafted (RFC 3339, UTC)."
    )
    updated_at: datetime = strawberry.field(description="When it last changed (RFC 3339, UTC).")

    @classmethod
    def from_model(cls, model: ProgramModel) -> PartnerProgram:
        return cls(
            id=strawberry.ID(model.id),
            name=model.name,
            description=model.description,
            status=ProgramStatus(model.status),
            version=model.version,
            created_at=model.created_at,
            updated_at=model.updated_at,
        )

    @strawberry.field(description="Each tier's benefits and requirements, in order.")
    async def tiers(self, info: Info) -> list[ProgramTier]:
        rows = await ProgramLoaders.of(info).program_tiers_by_program.load(str(self.id))
        return [
            ProgramTier(
                tier=Tier(row.tier),
                benefits=list(row.benefits),
                requirements=list(row.requirements),
            )
            for row in rows
        ]

    @strawberry.field(description="Its agreements, by title.")
    async def agreements(self, info: Info) -> list[Agreement]:
        rows = await ProgramLoaders.of(info).agreements_by_program.load(str(self.id))
        return [Agreement.from_model(row) for row in rows]


@strawberry.input(description="What partners of one tier get from a program and must do.")
class ProgramTierInput:
    tier: Tier = strawberry.field(description="The tier the benefits and requirements are for.")
    benefits: list[str] = strawberry.field(
        default_factory=list, description="What partners of the tier get, one line each."
    )
    requirements: list[str] = strawberry.field(
        default_factory=list, description="What partners of the tier must do, one line each."
    )


@strawberry.input(description="A new program; it starts as a DRAFT.")
class PartnerProgramInput:
    name: str = strawberry.field(description="The program's name.")
    description: str = strawberry.field(default="", description="What the program offers partners.")
    tiers: list[ProgramTierInput] = strawberry.field(
        default_factory=list, description="Each tier's benefits and requirements, in order."
    )


@strawberry.input(description="Only the fields given change; tiers are replaced.")
class PartnerProgramChangesInput:
    name: str | None = strawberry.field(default=None, description="The new name.")
    description: str | None = strawberry.field(default=None, description="The new description.")
    tiers: list[ProgramTierInput] | None = strawberry.field(
        default=None, description="The tiers to replace the current ones with."
    )
    status: ProgramStatus | None = strawberry.field(
        default=None, description="DRAFT -> PUBLISHED <-> RETIRED."
    )


@strawberry.input(description="Which programs to list.")
class PartnerProgramFilter:
    statuses: list[ProgramStatus] = strawberry.field(
        default_factory=list,
        description="Only programs with one of these statuses; all when empty.",
    )


@strawberry.input(description="A new agreement of a program.")
class AgreementInput:
    program_id: strawberry.ID = strawberry.field(description="The program it belongs to.")
    title: str = strawberry.field(description="The agreement's title.")
    required: bool = strawberry.field(
        default=True, description="Accepted before a partner becomes ACTIVE."
    )


class VettingLoaders(LoaderSet):
    """Applications' notes and documents (vendor staff only reach them)."""

    application_notes_by_partner = loader[str, list[NoteModel]](
        lambda hub, principal, ids: vetting.notes_by_partner(hub, ids)
    )
    application_documents_by_partner = loader[str, list[DocumentModel]](
        lambda hub, principal, ids: vetting.documents_by_partner(hub, ids)
    )


@strawberry.type(description="A stage the vendor vets applications through.")
class RecruitmentStage:
    code: str = strawberry.field(description="The stage's code, e.g. QUALIFYING.")
    name: str = strawberry.field(description="The stage's name as shown to vendor staff.")


@strawberry.type(description="A vendor staff note on an application.")
class ApplicationNote:
    id: strawberry.ID = strawberry.field(description="The note's id.")
    body: str = strawberry.field(description="The note's text, seen by vendor staff only.")
    author_id: strawberry.ID | None = strawberry.field(
        description="The vendor staff user who wrote it."
    )
    created_at: datetime = strawberry.field(description="When it was written (RFC 3339, UTC).")

    @classmethod
    def from_model(cls, model: NoteModel) -> ApplicationNote:
        return cls(
            id=strawberry.ID(model.id),
            body=model.body,
            author_id=strawberry.ID(model.author_id) if model.author_id else None,
            created_at=model.created_at,
        )


@strawberry.type(description="A document kept with an application.")
class ApplicationDocument(StoredFileFields):
    id: strawberry.ID = strawberry.field(description="The document's id.")
    title: str = strawberry.field(description="What the document is.")
    uploaded_at: datetime = strawberry.field(description="When it was uploaded (RFC 3339, UTC).")

    @classmethod
    def from_model(cls, model: DocumentModel) -> ApplicationDocument:
        return cls(
            id=strawberry.ID(model.id),
            title=model.title,
            file_name=model.file_name,
            size=model.size,
            content_type=model.content_type,
            sha256=model.sha256,
            uploaded_at=model.uploaded_at,
            object_key=model.object_key,
        )


@strawberry.type(description="An application being vetted (vendor staff).")
class PartnerApplication:
    stage: str = strawberry.field(description="A code of recruitmentStages.")
    owner_id: strawberry.ID | None = strawberry.field(description="Its owner among vendor staff.")
    version: int = strawberry.field(description="0 until vetted, one more on every change.")
    updated_at: datetime = strawberry.field(
        description="When the vetting last changed (RFC 3339, UTC)."
    )
    partner: Partner = strawberry.field(description="The applicant partner and its profile.")

    @classmethod
    def of(cls, found: vetting.Application) -> PartnerApplication:
        return cls(
            stage=found.stage,
            owner_id=strawberry.ID(found.owner_id) if found.owner_id else None,
            version=found.version,
            updated_at=found.updated_at,
            partner=Partner.from_model(found.partner),
        )

    @strawberry.field(description="Notes, oldest first.")
    async def notes(self, info: Info) -> list[ApplicationNote]:
        rows = await VettingLoaders.of(info).application_notes_by_partner.load(str(self.partner.id))
        return [ApplicationNote.from_model(row) for row in rows]

    @strawberry.field(description="Documents, oldest first.")
    async def documents(self, info: Info) -> list[ApplicationDocument]:
        rows = await VettingLoaders.of(info).application_documents_by_partner.load(
            str(self.partner.id)
        )
        return [ApplicationDocument.from_model(row) for row in rows]


@strawberry.input(description="A stage applications are vetted through.")
class RecruitmentStageInput:
    code: str = strawberry.field(description="Capital letters, digits and _, e.g. QUALIFYING.")
    name: str = strawberry.field(description="The stage's name as shown to vendor staff.")


@strawberry.input(description="Which applications to list; the conditions given must all hold.")
class PartnerApplicationFilter:
    stages: list[str] = strawberry.field(
        default_factory=list,
        description="Only applications at one of these stage codes; all when empty.",
    )
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only applications this vendor staff user owns."
    )
    statuses: list[PartnerStatus] = strawberry.field(
        default_factory=lambda: [PartnerStatus.APPLICANT],
        description="Partners of these statuses; APPLICANT by default.",
    )
