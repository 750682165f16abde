"""Partner programs and their agreements.

Vendor staff make a program as a DRAFT with what each tier gets (benefits) and must do
(requirements), PUBLISH it and RETIRE it (a retired one may be published again). A program
has agreements; each agreement's terms are versioned PDFs in the object store, numbered
from 1, the newest being current. A partner admin accepts the current version of an
agreement for its organization: the acceptance records who, when and which version, once
however many accept at once; accepting an older version is a CONFLICT. Partners see the
published programs, every version of their agreements, and their channel's acceptances.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from hub import files, validation
from hub.db import distinct, grouped_by, upsert
from hub.errors import BadInput, Conflict, Forbidden, NotFound
from hub.funds.rules import by_key
from hub.pagination import Page, PageRequest, keyset_page
from hub.partners.directory import InChannel
from hub.partners.rules import Tier
from hub.programs import onboarding
from hub.roles import Principal, Role, require_vendor_staff
from hub.runtime import Hub
from storage.models.base import new_id
from storage.models.programs import (
    Agreement,
    AgreementAcceptance,
    AgreementVersion,
    PartnerProgram,
    ProgramTier,
)

MAX_ITEMS = 30
Row = TypeVar("Row")
AGREEMENT_TYPES = frozenset({"application/pdf"})


class ProgramStatus(StrEnum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    RETIRED = "RETIRED"


MOVES = {
    ProgramStatus.DRAFT: {ProgramStatus.PUBLISHED},
    ProgramStatus.PUBLISHED: {ProgramStatus.RETIRED},
    ProgramStatus.RETIRED: {ProgramStatus.PUBLISHED},
}


@dataclass(frozen=True)
class TierInput:
    tier: Tier
    benefits: Sequence[str] = ()
    requirements: Sequence[str] = ()


@dataclass(frozen=True)
class ProgramInput:
    name: str
    description: str = ""
    tiers: Sequence[TierInput] = ()


@dataclass(frozen=True)
class ProgramChanges:
    name: str | None = None
    description: str | None = None
    tiers: Sequence[TierInput] | None = None
    status: ProgramStatus | None = None


@dataclass(frozen=True)
class ProgramFilter:
    statuses: Sequence[ProgramStatus] = field(default_factory=tuple)


@dataclass(frozen=True)
class AgreementInput:
    program_id: str
    title: str
    required: bool = True


def program_visible(principal: Principal) -> ColumnElement[bool]:
    """Vendor-side accounts see every program; partners the published ones."""
    if principal.is_vendor:
        return true()
    return PartnerProgram.status == ProgramStatus.PUBLISHED


def acceptance_visible(principal: Principal) -> ColumnElement[bool]:
    if principal.is_vendor:
        return true()
    return InChannel(AgreementAcceptance.partner_id, principal.organization_id)


async def create(hub: Hub, *, principal: Principal, data: ProgramInput) -> PartnerProgram:
    require_vendor_staff(principal)
    tiers = _tiers(data.tiers)
    now = hub.clock.now()
    program = PartnerProgram(
        name=validation.text(data.name, field="input.name", max_length=200),
        description=_description(data.description),
        status=ProgramStatus.DRAFT,
        version=1,
        created_by_id=principal.user_id,
        created_at=now,
        updated_at=now,
    )
    async with hub.write() as session:
        session.add(program)
        await session.flush()
        _add_tiers(session, program.id, tiers)
    return program


async def update(
    hub: Hub,
    *,
    principal: Principal,
    program_id: str,
    changes: ProgramChanges,
    expected_version: int | None = None,
) -> PartnerProgram:
    require_vendor_staff(principal)
    async with hub.write() as session:
        program = await session.scalar(
            select(PartnerProgram).where(PartnerProgram.id == program_id).with_for_update()
        )
        if program is None:
            raise NotFound("no such partner program", field="id")
        if expected_version is not None and program.version != expected_version:
            raise Conflict(
                f"the program is at version {program.version}, not {expected_version}; "
                "read it again",
                field="expectedVersion",
            )
        if changes.name is not None:
            program.name = validation.text(changes.name, field="input.name", max_length=200)
        if changes.description is not None:
            program.description = _description(changes.description)
        if changes.tiers is not None:
            tiers = _tiers(changes.tiers)
            for row in await session.scalars(
                select(ProgramTier).where(ProgramTier.program_id == program.id)
            ):
                await session.delete(row)
            await session.flush()
            _add_tiers(session, program.id, tiers)
        if changes.status is not None and changes.status != program.status:
            current = ProgramStatus(program.status)
            if changes.status not in MOVES[current]:
                raise Conflict(
                    f"a {current} program cannot become {changes.status}", field="input.status"
                )
            program.status = changes.status
        program.version += 1
        program.updated_at = hub.clock.now()
    return program


async def create_agreement(hub: Hub, *, principal: Principal, data: AgreementInput) -> Agreement:
    """An agreement of a program, without a version until one is published (vendor staff)."""
    require_vendor_staff(principal)
    title = validation.text(data.title, field="input.title", max_length=200)
    async with hub.write() as session:
        if await session.get(PartnerProgram, data.program_id) is None:
            raise NotFound("no such partner program", field="input.programId")
        now = hub.clock.now()
        agreement = Agreement(
            program_id=data.program_id,
            title=title,
            required=data.required,
            current_number=0,
            created_at=now,
            updated_at=now,
        )
        session.add(agreement)
    return agreement


async def publish_version(
    hub: Hub,
    *,
    principal: Principal,
    agreement_id: str,
    file_name: str,
    chunks: AsyncIterator[bytes],
    summary: str = "",
) -> AgreementVersion:
    """A new current version of an agreement's terms: a PDF, typed from its bytes; partners
    accept it anew (vendor staff)."""
    require_vendor_staff(principal)
    text = validation.text(summary, field="summary", max_length=5000, required=False)
    async with hub.read() as session:
        if await session.get(Agreement, agreement_id) is None:
            raise NotFound("no such agreement", field="agreementId")
    stored = await files.store(
        hub, file_name, chunks, prefix=AgreementVersion.file_prefix, types=AGREEMENT_TYPES
    )
    try:
        async with hub.write() as session:
            agreement = await session.scalar(
                select(Agreement).where(Agreement.id == agreement_id).with_for_update()
            )
            if agreement is None:
                raise NotFound("no such agreement", field="agreementId")
            agreement.current_number += 1
            agreement.updated_at = hub.clock.now()
            version = AgreementVersion(
                agreement_id=agreement.id,
                number=agreement.current_number,
                summary=text,
                published_by_id=principal.user_id,
                published_at=hub.clock.now(),
                **stored.columns(),
            )
            session.add(version)
    except BaseException:
        await files.forget(hub, [stored.key])
        raise
    return version


async def accept(hub: Hub, *, principal: Principal, version_id: str) -> AgreementAcceptance:
    """Accept the current version of an agreement for the caller's organization (partner
    admins); accepting again, or at once, records one acceptance."""
    if not principal.is_partner:
        raise Forbidden("partner admins accept agreements for their organizations")
    async with hub.write() as session:
        found = (
            await session.execute(
                select(AgreementVersion, Agreement)
                .join(Agreement, Agreement.id == AgreementVersion.agreement_id)
                .join(PartnerProgram, PartnerProgram.id == Agreement.program_id)
                .where(AgreementVersion.id == version_id, program_visible(principal))
                # A version published meanwhile (it holds the agreement FOR UPDATE) commits
                # first: the comparison below then sees it.
                .with_for_update(read=True, of=Agreement)
            )
        ).one_or_none()
        if found is None:
            raise NotFound("no such agreement version", field="versionId")
        version, agreement = found
        if principal.role is not Role.PARTNER_ADMIN:
            raise Forbidden("only a partner admin accepts agreements for its organization")
        if version.number != agreement.current_number:
            raise Conflict(
                f"version {version.number} of {agreement.title!r} was replaced by version "
                f"{agreement.current_number}; accept that one",
                field="versionId",
            )
        await session.execute(
            upsert(session, AgreementAcceptance)
            .values(
                id=new_id(),
                version_id=version.id,
                agreement_id=agreement.id,
                number=version.number,
                partner_id=principal.organization_id,
                accepted_by_id=principal.user_id,
                accepted_at=hub.clock.now(),
            )
            .on_conflict_do_nothing(index_elements=["version_id", "partner_id"])
        )
        acceptance = await session.scalar(
            select(AgreementAcceptance).where(
                AgreementAcceptance.version_id == version.id,
                AgreementAcceptance.partner_id == principal.organization_id,
            )
        )
        assert acceptance is not None
        await onboarding.advance(hub, session, principal.organization_id, by=principal.user_id)
    return acceptance


async def get(hub: Hub, *, principal: Principal, program_id: str) -> PartnerProgram:
    async with hub.read() as session:
        program = await session.scalar(
            select(PartnerProgram).where(
                PartnerProgram.id == program_id, program_visible(principal)
            )
        )
    if program is None:
        raise NotFound("no such partner program", field="id")
    return program


async def list_programs(
    hub: Hub, *, principal: Principal, filter: ProgramFilter, page: PageRequest
) -> Page[PartnerProgram]:
    statement: Select[tuple[PartnerProgram]] = select(PartnerProgram).where(
        program_visible(principal)
    )
    if filter.statuses:
        statement = statement.where(
            PartnerProgram.status.in_(distinct(status.value for status in filter.statuses))
        )
    async with hub.read() as session:
        return await keyset_page(
            session,
            statement,
            page,
            key=(PartnerProgram.created_at, PartnerProgram.id),
            descending=True,
        )


async def by_ids(
    hub: Hub, *, principal: Principal, ids: Sequence[str]
) -> list[PartnerProgram | None]:
    return await by_key(hub, PartnerProgram, PartnerProgram.id, program_visible(principal), ids)


async def tiers_by_program(hub: Hub, ids: Sequence[str]) -> list[list[ProgramTier]]:
    return await _grouped(
        hub,
        select(ProgramTier)
        .where(ProgramTier.program_id.in_(distinct(ids)))
        .order_by(ProgramTier.position),
        ids,
        lambda row: row.program_id,
    )


async def agreements_by_program(hub: Hub, ids: Sequence[str]) -> list[list[Agreement]]:
    return await _grouped(
        hub,
        select(Agreement)
        .where(Agreement.program_id.in_(distinct(ids)))
        .order_by(Agreement.title, Agreement.id),
        ids,
        lambda row: row.program_id,
    )


async def versions_by_agreement(hub: Hub, ids: Sequence[str]) -> list[list[AgreementVersion]]:
    return await _grouped(
        hub,
        select(AgreementVersion)
        .where(AgreementVersion.agreement_id.in_(distinct(ids)))
        .order_by(AgreementVersion.number.desc()),
        ids,
        lambda row: row.agreement_id,
    )


async def acceptances_by_agreement(
    hub: Hub, *, principal: Principal, ids: Sequence[str]
) -> list[list[AgreementAcceptance]]:
    return await _grouped(
        hub,
        select(AgreementAcceptance)
        .where(AgreementAcceptance.agreement_id.in_(distinct(ids)), acceptance_visible(principal))
        .order_by(
            AgreementAcceptance.number, AgreementAcceptance.accepted_at, AgreementAcceptance.id
        ),
        ids,
        lambda row: row.agreement_id,
    )


async def _grouped(
    hub: Hub, statement: Select[tuple[Row]], ids: Sequence[str], key: Callable[[Row], str]
) -> list[list[Row]]:
    async with hub.read() as session:
        return grouped_by(await session.scalars(statement), ids, key)


def _description(value: str) -> str:
    return validation.text(value, field="input.description", max_length=20_000, required=False)


def _tiers(tiers: Sequence[TierInput]) -> list[TierInput]:
    if len({tier.tier for tier in tiers}) != len(tiers):
        raise BadInput("each tier is described once", field="input.tiers")
    checked = []
    for index, tier in enumerate(tiers):
        lists = {}
        for name, values in (("benefits", tier.benefits), ("requirements", tier.requirements)):
            at = f"input.tiers.{index}.{name}"
            validation.at_most(values, MAX_ITEMS, field=at, what=name)
            lists[name] = [
                validation.text(value, field=f"{at}.{n}", max_length=500)
                for n, value in enumerate(values)
            ]
        checked.append(TierInput(tier.tier, lists["benefits"], lists["requirements"]))
    return checked


def _add_tiers(session: AsyncSession, program_id: str, tiers: Sequence[TierInput]) -> None:
    for position, tier in enumerate(tiers):
        session.add(
            ProgramTier(
                program_id=program_id,
                tier=tier.tier,
                position=position,
                benefits=list(tier.benefits),
                requirements=list(tier.requirements),
            )
        )
