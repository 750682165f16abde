"""Vetting partner applications (vendor staff only): the stages the vendor defines, an owner
among vendor staff for each application, its stage, notes and documents.

Until the vendor sets its own, the stages are SUBMITTED, QUALIFYING and CONTRACTING. An
application starts at the first stage; it moves to any stage (with `expectedVersion`,
CONFLICT when someone moved it first). A stage an application is at cannot be removed.
Approving or rejecting an application stays `approvePartnerApplication` and
`rejectPartnerApplication`; the vetting record stays readable after.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Select, delete, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from hub import files, validation
from hub.db import distinct, grouped_by
from hub.errors import BadInput, Conflict, NotFound
from hub.pagination import Page, PageRequest, keyset_page
from hub.partners.rules import PartnerStatus
from hub.roles import VENDOR_STAFF, Principal, require_vendor_staff
from hub.runtime import Hub
from storage.models.identity import User
from storage.models.partners import Partner
from storage.models.programs import (
    ApplicationDocument,
    ApplicationNote,
    PartnerApplication,
    RecruitmentStage,
)

DEFAULT_STAGES = (
    ("SUBMITTED", "Submitted"),
    ("QUALIFYING", "Qualifying"),
    ("CONTRACTING", "Contracting"),
)
MAX_STAGES = 20
CODE = re.compile(r"[A-Z][A-Z0-9_]{0,31}")


@dataclass(frozen=True)
class StageInput:
    code: str
    name: str


@dataclass(frozen=True)
class ApplicationFilter:
    stages: Sequence[str] = field(default_factory=tuple)
    owner_id: str | None = None
    statuses: Sequence[PartnerStatus] = (PartnerStatus.APPLICANT,)


@dataclass(frozen=True)
class Application:
    """An applicant and its vetting (the first stage and no owner until someone acts)."""

    partner: Partner
    owner_id: str | None
    stage: str
    version: int
    updated_at: datetime


async def stages(hub: Hub, *, principal: Principal) -> list[tuple[str, str]]:
    require_vendor_staff(principal)
    async with hub.read() as session:
        return await _stages(session)


async def _lock_stages(session: AsyncSession, mode: str) -> None:
    """On PostgreSQL, replacing the stages (EXCLUSIVE) waits for the moves under way and
    they for it (SHARE): a move never lands on a stage being removed, and two replacements
    run one after the other. SQLite runs one write transaction at a time already."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(text(f"LOCK TABLE recruitment_stages IN {mode} MODE"))


async def _stages(session: AsyncSession) -> list[tuple[str, str]]:
    rows = await session.execute(
        select(RecruitmentStage.code, RecruitmentStage.name).order_by(RecruitmentStage.position)
    )
    found = [(code, name) for code, name in rows]
    return found or list(DEFAULT_STAGES)


async def set_stages(
    hub: Hub, *, principal: Principal, wanted: Sequence[StageInput]
) -> list[tuple[str, str]]:
    """Replace the stages, in order; a stage an application is at must stay."""
    require_vendor_staff(principal)
    if not wanted:
        raise BadInput("there is at least one stage", field="stages")
    validation.at_most(wanted, MAX_STAGES, field="stages", what="stages")
    checked = []
    for index, stage in enumerate(wanted):
        code = stage.code.strip()
        if not CODE.fullmatch(code):
            raise BadInput(
                "a stage code is 1-32 capital letters, digits or _, starting with a letter",
                field=f"stages.{index}.code",
            )
        checked.append(
            (code, validation.text(stage.name, field=f"stages.{index}.name", max_length=100))
        )
    if len({code for code, _ in checked}) != len(checked):
        raise BadInput("each stage code is given once", field="stages")
    async with hub.write() as session:
        await _lock_stages(session, "EXCLUSIVE")
        used = set(await session.scalars(select(PartnerApplication.stage).distinct()))
        dropped = sorted(used - {code for code, _ in checked})
        if dropped:
            raise Conflict(
                f"applications are at {', '.join(dropped)}: move them before removing it",
                field="stages",
            )
        await session.execute(delete(RecruitmentStage))
        for position, (code, name) in enumerate(checked):
            session.add(RecruitmentStage(code=code, name=name, position=position))
    return checked


async def assign(hub: Hub, *, principal: Principal, partner_id: str, owner_id: str) -> Application:
    """Give an application an owner among vendor staff."""
    require_vendor_staff(principal)
    async with hub.write() as session:
        owner = await session.get(User, owner_id)
        if owner is None or owner.organization_id != principal.organization_id:
            raise NotFound("no such user", field="ownerId")
        if owner.role not in VENDOR_STAFF or not owner.active:
            raise BadInput("an application's owner is active vendor staff", field="ownerId")
        vetting = await _vetting(hub, session, partner_id)
        vetting.owner_id = owner.id
        return await _changed(hub, session, vetting)


async def move(
    hub: Hub,
    *,
    principal: Principal,
    partner_id: str,
    stage: str,
    expected_version: int | None = None,
) -> Application:
    """Move an application to a stage."""
    require_vendor_staff(principal)
    async with hub.write() as session:
        await _lock_stages(session, "SHARE")
        known = [code for code, _ in await _stages(session)]
        if stage not in known:
            raise BadInput(f"a stage is one of {', '.join(known)}", field="stage")
        vetting = await _vetting(hub, session, partner_id)
        if expected_version is not None and vetting.version != expected_version:
            raise Conflict(
                f"the application is at version {vetting.version}, not {expected_version}; "
                "read it again",
                field="expectedVersion",
            )
        vetting.stage = stage
        return await _changed(hub, session, vetting)


async def add_note(
    hub: Hub, *, principal: Principal, partner_id: str, body: str
) -> ApplicationNote:
    require_vendor_staff(principal)
    text = validation.text(body, field="body", max_length=10_000)
    async with hub.write() as session:
        await _vetting(hub, session, partner_id)
        note = ApplicationNote(
            partner_id=partner_id,
            author_id=principal.user_id,
            body=text,
            created_at=hub.clock.now(),
        )
        session.add(note)
    return note


async def add_document(
    hub: Hub,
    *,
    principal: Principal,
    partner_id: str,
    title: str,
    file_name: str,
    chunks: AsyncIterator[bytes],
) -> ApplicationDocument:
    """Keep a document with an application: typed from its bytes, in the object store."""
    require_vendor_staff(principal)
    name = validation.text(title, field="title", max_length=200)
    async with hub.read() as session:
        if await session.get(Partner, partner_id) is None:
            raise NotFound("no such partner", field="partnerId")
    stored = await files.store(hub, file_name, chunks, prefix=ApplicationDocument.file_prefix)
    try:
        async with hub.write() as session:
            await _vetting(hub, session, partner_id)
            document = ApplicationDocument(
                partner_id=partner_id,
                title=name,
                uploaded_by_id=principal.user_id,
                uploaded_at=hub.clock.now(),
                **stored.columns(),
            )
            session.add(document)
    except BaseException:
        await files.forget(hub, [stored.key])
        raise
    return document


async def get(hub: Hub, *, principal: Principal, partner_id: str) -> Application:
    require_vendor_staff(principal)
    async with hub.read() as session:
        partner = await session.get(Partner, partner_id)
        if partner is None:
            raise NotFound("no such partner", field="partnerId")
        vetting = await session.get(PartnerApplication, partner_id)
        first = (await _stages(session))[0][0]
    return _of(partner, vetting, first)


async def list_applications(
    hub: Hub, *, principal: Principal, filter: ApplicationFilter, page: PageRequest
) -> Page[Application]:
    """Applications, newest first: partners of the given statuses (APPLICANT by default)."""
    require_vendor_staff(principal)
    statement: Select[tuple[Partner]] = select(Partner)
    if filter.statuses:
        statement = statement.where(
            Partner.status.in_(distinct(status.value for status in filter.statuses))
        )
    async with hub.read() as session:
        first = (await _stages(session))[0][0]
        if filter.owner_id is not None:
            statement = statement.where(
                Partner.id.in_(
                    select(PartnerApplication.partner_id).where(
                        PartnerApplication.owner_id == filter.owner_id
                    )
                )
            )
        if filter.stages:
            wanted = distinct(filter.stages)
            staged = select(PartnerApplication.partner_id).where(
                PartnerApplication.stage.in_(wanted)
            )
            unstaged = select(PartnerApplication.partner_id)
            condition: ColumnElement[bool] = Partner.id.in_(staged)
            if first in wanted:  # no record yet: at the first stage
                condition = or_(condition, Partner.id.not_in(unstaged))
            statement = statement.where(condition)
        found = await keyset_page(
            session, statement, page, key=(Partner.created_at, Partner.id), descending=True
        )
        ids = [partner.id for partner in found.items]
        vettings = {
            row.partner_id: row
            for row in await session.scalars(
                select(PartnerApplication).where(PartnerApplication.partner_id.in_(ids))
            )
        }
    return Page(
        items=[_of(partner, vettings.get(partner.id), first) for partner in found.items],
        cursors=found.cursors,
        has_next_page=found.has_next_page,
        has_previous_page=found.has_previous_page,
        total_count=found.total_count,
    )


async def notes_by_partner(hub: Hub, ids: Sequence[str]) -> list[list[ApplicationNote]]:
    async with hub.read() as session:
        rows = await session.scalars(
            select(ApplicationNote)
            .where(ApplicationNote.partner_id.in_(distinct(ids)))
            .order_by(ApplicationNote.created_at, ApplicationNote.id)
        )
        return grouped_by(rows, ids, lambda row: row.partner_id)


async def documents_by_partner(hub: Hub, ids: Sequence[str]) -> list[list[ApplicationDocument]]:
    async with hub.read() as session:
        rows = await session.scalars(
            select(ApplicationDocument)
            .where(ApplicationDocument.partner_id.in_(distinct(ids)))
            .order_by(ApplicationDocument.uploaded_at, ApplicationDocument.id)
        )
        return grouped_by(rows, ids, lambda row: row.partner_id)


def _of(partner: Partner, vetting: PartnerApplication | None, first: str) -> Application:
    if vetting is None:
        return Application(partner, None, first, 0, partner.created_at)
    return Application(
        partner, vetting.owner_id, vetting.stage, vetting.version, vetting.updated_at
    )


async def _vetting(hub: Hub, session: AsyncSession, partner_id: str) -> PartnerApplication:
    """An application's vetting record, locked; made at the first stage on first use."""
    partner = await session.scalar(
        select(Partner).where(Partner.id == partner_id).with_for_update()
    )
    if partner is None:
        raise NotFound("no such partner", field="partnerId")
    vetting = await session.get(PartnerApplication, partner_id, with_for_update=True)
    if vetting is None:
        await _lock_stages(session, "SHARE")
        vetting = PartnerApplication(
            partner_id=partner_id,
            stage=(await _stages(session))[0][0],
            version=0,
            updated_at=hub.clock.now(),
        )
        session.add(vetting)
    return vetting


async def _changed(hub: Hub, session: AsyncSession, vetting: PartnerApplication) -> Application:
    vetting.version += 1
    vetting.updated_at = hub.clock.now()
    await session.flush()
    partner = await session.get_one(Partner, vetting.partner_id)
    return _of(partner, vetting, vetting.stage)
