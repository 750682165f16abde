"""Certifications: definitions, automatic issue and renewal on completion, revocation, lists."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub import events, product_lines, validation
from hub.db import grouped_by, in_key_order, upsert
from hub.errors import BadInput, Conflict, NotFound
from hub.pagination import Page, PageRequest, keyset_page
from hub.programs import onboarding
from hub.roles import Principal, require_vendor_staff
from hub.runtime import Hub
from hub.training.rules import (
    CertificationFilter,
    CertificationStatus,
    DefinitionInput,
    TrainingEventType,
    definition_columns,
)
from storage.models import (
    Certification,
    CertificationCourse,
    CertificationDefinition,
    Course,
    Enrolment,
    User,
)
from storage.models.base import new_id

TOPIC = "training"


def visible(principal: Principal) -> ColumnElement[bool]:
    """Vendor-side accounts see every certification; partner users their organization's."""
    if principal.is_vendor:
        return true()
    return Certification.organization_id == principal.organization_id


def valid(now: datetime) -> ColumnElement[bool]:
    return and_(Certification.revoked_at.is_(None), Certification.expires_at > now)


async def create_definition(
    hub: Hub, *, principal: Principal, data: DefinitionInput
) -> CertificationDefinition:
    """Define a certification: its product line, required courses and validity (vendor staff)."""
    require_vendor_staff(principal)
    columns = definition_columns(data)
    now = hub.clock.now()
    definition = CertificationDefinition(**columns, created_at=now, updated_at=now)
    async with _unique_name(), hub.write() as session:
        await product_lines.require(session, [definition.product_line], field="input.productLine")
        await _check_courses(session, data)
        session.add(definition)
        await session.flush()
        _add_courses(session, definition.id, data.required_course_ids)
    return definition


async def update_definition(
    hub: Hub, *, principal: Principal, definition_id: str, data: DefinitionInput
) -> CertificationDefinition:
    """Replace a definition; certifications already held keep their dates (vendor staff)."""
    require_vendor_staff(principal)
    columns = definition_columns(data)
    async with _unique_name(), hub.write() as session:
        definition = await session.get(CertificationDefinition, definition_id, with_for_update=True)
        if definition is None:
            raise NotFound("no such certification definition", field="id")
        await product_lines.require(
            session,
            [columns["product_line"]],
            field="input.productLine",
            kept=[definition.product_line],
        )
        await _check_courses(session, data)
        for key, value in columns.items():
            setattr(definition, key, value)
        definition.updated_at = hub.clock.now()
        await session.execute(
            delete(CertificationCourse).where(CertificationCourse.definition_id == definition.id)
        )
        _add_courses(session, definition.id, data.required_course_ids)
    return definition


@asynccontextmanager
async def _unique_name() -> AsyncIterator[None]:
    try:
        yield
    except IntegrityError:
        raise Conflict("a certification of that name exists", field="input.name") from None


async def _check_courses(session: AsyncSession, data: DefinitionInput) -> None:
    wanted = set(data.required_course_ids) | (
        {data.renewal_course_id} if data.renewal_course_id else set()
    )
    found = set((await session.execute(select(Course.id).where(Course.id.in_(wanted)))).scalars())
    for index, course_id in enumerate(data.required_course_ids):
        if course_id not in found:
            raise BadInput(f"no course {course_id}", field=f"input.requiredCourseIds[{index}]")
    if data.renewal_course_id and data.renewal_course_id not in found:
        raise BadInput(f"no course {data.renewal_course_id}", field="input.renewalCourseId")


def _add_courses(session: AsyncSession, definition_id: str, course_ids: Sequence[str]) -> None:
    session.add_all(
        CertificationCourse(definition_id=definition_id, course_id=course_id)
        for course_id in sorted(set(course_ids))
    )


async def on_course_completed(hub: Hub, session: AsyncSession, enrolment: Enrolment) -> None:
    """Issue or renew every certification the completed course now satisfies.

    The user's row is locked first: two courses completed at once are then judged one
    after the other, and the second sees the first (else neither would see both done).
    """
    await session.execute(
        select(User.id).where(User.id == enrolment.user_id).with_for_update(key_share=True)
    )
    course_id = enrolment.course_id
    requiring = select(CertificationCourse.definition_id).where(
        CertificationCourse.course_id == course_id
    )
    definitions = (
        await session.execute(
            select(CertificationDefinition)
            .where(
                or_(
                    CertificationDefinition.id.in_(requiring),
                    CertificationDefinition.renewal_course_id == course_id,
                )
            )
            .order_by(CertificationDefinition.id)
        )
    ).scalars()
    for definition in list(definitions):
        held = (
            await session.execute(
                select(Certification)
                .where(
                    Certification.definition_id == definition.id,
                    Certification.user_id == enrolment.user_id,
                )
                .with_for_update()
            )
        ).scalar_one_or_none()
        renewal = (
            held is not None
            and held.revoked_at is None
            and definition.renewal_course_id == course_id
        )
        since = None if held is None else max(held.issued_at, held.revoked_at or held.issued_at)
        if renewal or await _requirements_met(session, definition.id, enrolment.user_id, since):
            await _issue(hub, session, definition, enrolment, held)


async def _requirements_met(
    session: AsyncSession, definition_id: str, user_id: str, since: datetime | None
) -> bool:
    """Every required course completed (after `since`, when renewing or after a revocation)."""
    required = select(CertificationCourse.course_id).where(
        CertificationCourse.definition_id == definition_id
    )
    completed = [
        Enrolment.user_id == user_id,
        Enrolment.course_id.in_(required),
        Enrolment.completed_at.is_not(None) if since is None else Enrolment.completed_at > since,
    ]
    done = (
        select(func.count(func.distinct(Enrolment.course_id))).where(*completed).scalar_subquery()
    )
    needed = select(func.count()).select_from(required.subquery()).scalar_subquery()
    row = (await session.execute(select(done, needed))).one()
    return bool(row[1]) and row[0] >= row[1]


async def _issue(
    hub: Hub,
    session: AsyncSession,
    definition: CertificationDefinition,
    enrolment: Enrolment,
    held: Certification | None,
) -> None:
    now = hub.clock.now()
    expires = now + timedelta(days=definition.validity_days)
    if held is None:
        # Two completions at once insert once; the loser sees the row and issues nothing.
        issued_id = await session.scalar(
            upsert(session, Certification)
            .values(
                id=new_id(),
                definition_id=definition.id,
                user_id=enrolment.user_id,
                organization_id=enrolment.organization_id,
                first_issued_at=now,
                issued_at=now,
                expires_at=expires,
                renewals=0,
            )
            .on_conflict_do_nothing(index_elements=["definition_id", "user_id"])
            .returning(Certification.id)
        )
        if issued_id is None:
            return
        subject, renewed = issued_id, False
    else:
        held.issued_at, held.expires_at = now, expires
        held.renewals += 1
        held.revoked_at = held.revoked_reason = held.revoked_by_id = None
        held.expiring_notified_at = held.expired_notified_at = None
        subject, renewed = held.id, True
    await emit(
        hub,
        session,
        TrainingEventType.CERTIFICATION_ISSUED,
        subject=subject,
        definition_id=definition.id,
        user_id=enrolment.user_id,
        organization_id=enrolment.organization_id,
        extra={"expiresAt": expires.isoformat(), "renewed": renewed},
    )
    # A first certified user may be the onboarding checklist's last item.
    await onboarding.advance(hub, session, enrolment.organization_id, by=None)


async def emit(
    hub: Hub,
    session: AsyncSession,
    type: TrainingEventType,
    *,
    subject: str,
    definition_id: str,
    user_id: str,
    organization_id: str,
    extra: dict[str, Any] | None = None,
) -> None:
    """Append a training event for the holder's organization (vendor staff see all events)."""
    await events.append(
        session,
        topic=TOPIC,
        type=type,
        subject_id=subject,
        audience=[organization_id],
        payload={
            "certificationId": subject,
            "definitionId": definition_id,
            "userId": user_id,
            **(extra or {}),
        },
        now=hub.clock.now(),
    )


async def revoke(
    hub: Hub, *, principal: Principal, certification_id: str, reason: str
) -> Certification:
    """Revoke a held certification with a reason (vendor staff)."""
    require_vendor_staff(principal)
    text = validation.text(reason, field="reason", max_length=2000)
    async with hub.write() as session:
        held = await session.get(Certification, certification_id, with_for_update=True)
        if held is None:
            raise NotFound("no such certification", field="id")
        if held.revoked_at is not None:
            raise Conflict("this certification is already revoked", field="id")
        held.revoked_at = hub.clock.now()
        held.revoked_reason = text
        held.revoked_by_id = principal.user_id
        await emit(
            hub,
            session,
            TrainingEventType.CERTIFICATION_REVOKED,
            subject=held.id,
            definition_id=held.definition_id,
            user_id=held.user_id,
            organization_id=held.organization_id,
            extra={"reason": text},
        )
    return held


async def get(hub: Hub, *, principal: Principal, certification_id: str) -> Certification:
    async with hub.read() as session:
        held = await session.scalar(
            select(Certification).where(Certification.id == certification_id, visible(principal))
        )
    if held is None:
        raise NotFound("no such certification", field="id")
    return held


async def by_ids(
    hub: Hub, *, principal: Principal, ids: Sequence[str]
) -> list[Certification | None]:
    async with hub.read() as session:
        rows = (
            await session.execute(
                select(Certification).where(Certification.id.in_(ids), visible(principal))
            )
        ).scalars()
        return in_key_order(rows, ids)


async def list_certifications(
    hub: Hub, *, principal: Principal, filter: CertificationFilter, page: PageRequest
) -> Page[Certification]:
    """Who holds what, soonest expiry first; partner users see their organization's only."""
    now = hub.clock.now()
    conditions = [visible(principal)]
    if filter.user_id:
        conditions.append(Certification.user_id == filter.user_id)
    if filter.partner_id:
        conditions.append(Certification.organization_id == filter.partner_id)
    if filter.definition_id:
        conditions.append(Certification.definition_id == filter.definition_id)
    if filter.statuses:
        conditions.append(or_(*(_status(status, now) for status in set(filter.statuses))))
    if filter.expiring_within_days is not None:
        days = filter.expiring_within_days
        if not 0 <= days <= 3650:
            raise BadInput(
                "expiringWithinDays must be between 0 and 3650",
                field="filter.expiringWithinDays",
            )
        conditions += [valid(now), Certification.expires_at <= now + timedelta(days=days)]
    statement = select(Certification).where(and_(*conditions))
    async with hub.read() as session:
        return await keyset_page(
            session, statement, page, key=(Certification.expires_at, Certification.id)
        )


def _status(status: CertificationStatus, now: datetime) -> ColumnElement[bool]:
    if status is CertificationStatus.REVOKED:
        return Certification.revoked_at.is_not(None)
    if status is CertificationStatus.VALID:
        return valid(now)
    return and_(Certification.revoked_at.is_(None), Certification.expires_at <= now)


async def get_definition(hub: Hub, *, definition_id: str) -> CertificationDefinition:
    async with hub.read() as session:
        definition = await session.get(CertificationDefinition, definition_id)
    if definition is None:
        raise NotFound("no such certification definition", field="id")
    return definition


async def definitions_by_ids(hub: Hub, ids: Sequence[str]) -> list[CertificationDefinition | None]:
    async with hub.read() as session:
        rows = (
            await session.execute(
                select(CertificationDefinition).where(CertificationDefinition.id.in_(ids))
            )
        ).scalars()
        return in_key_order(rows, ids)


async def list_definitions(
    hub: Hub, *, product_line: str | None, page: PageRequest
) -> Page[CertificationDefinition]:
    """Every certification on offer, by name."""
    statement = select(CertificationDefinition)
    if product_line:
        line = validation.product_line(product_line, field="productLine")
        statement = statement.where(CertificationDefinition.product_line == line)
    async with hub.read() as session:
        return await keyset_page(
            session,
            statement,
            page,
            key=(CertificationDefinition.name, CertificationDefinition.id),
        )


async def courses_by_definition(hub: Hub, ids: Sequence[str]) -> list[list[str]]:
    statement = (
        select(CertificationCourse)
        .where(CertificationCourse.definition_id.in_(ids))
        .order_by(CertificationCourse.course_id)
    )
    async with hub.read() as session:
        rows = (await session.execute(statement)).scalars()
        grouped = grouped_by(rows, ids, lambda row: row.definition_id)
    return [[row.course_id for row in group] for group in grouped]


async def certified_lines(session: AsyncSession, now: datetime) -> dict[str, set[str]]:
    """Product lines each partner has at least one active user validly certified for."""
    rows = await session.execute(
        select(Certification.organization_id, CertificationDefinition.product_line)
        .join(CertificationDefinition, CertificationDefinition.id == Certification.definition_id)
        .join(User, User.id == Certification.user_id)
        .where(valid(now), User.active.is_(True))
        .distinct()
    )
    lines: dict[str, set[str]] = defaultdict(set)
    for organization_id, line in rows.all():
        lines[organization_id].add(line)
    return lines


async def certified_counts(
    session: AsyncSession, partner_ids: Sequence[str], now: datetime
) -> dict[tuple[str, str], int]:
    """Active users validly certified per (partner, product line)."""
    rows = await session.execute(
        select(
            Certification.organization_id,
            CertificationDefinition.product_line,
            func.count(func.distinct(Certification.user_id)),
        )
        .join(CertificationDefinition, CertificationDefinition.id == Certification.definition_id)
        .join(User, User.id == Certification.user_id)
        .where(Certification.organization_id.in_(partner_ids), valid(now), User.active.is_(True))
        .group_by(Certification.organization_id, CertificationDefinition.product_line)
    )
    return {(partner, line): count for partner, line, count in rows.all()}
