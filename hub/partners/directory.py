"""Reading partners: tenancy scope, lookups, the filtered list and the locator."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Select,
    String,
    and_,
    any_,
    exists,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from hub import geo, validation
from hub.db import distinct, in_key_order
from hub.errors import BadInput, NotFound
from hub.pagination import Page, PageRequest, decode_cursor, encode_cursor, keyset_page
from hub.partners.rules import PartnerStatus, PartnerType, Tier
from hub.roles import Principal
from hub.runtime import Hub
from storage.models import Partner, PartnerChange, PartnerSpecialization, Territory

NEAR_SORT = "partners.near"


@dataclass(frozen=True)
class Near:
    latitude: float
    longitude: float
    radius_km: float


@dataclass(frozen=True)
class PartnerFilter:
    tiers: Sequence[Tier] = ()
    types: Sequence[PartnerType] = ()
    statuses: Sequence[PartnerStatus] = ()
    country: str | None = None
    specialization: str | None = None
    search: str | None = None
    parent_id: str | None = None
    near: Near | None = None


@dataclass(frozen=True)
class Located:
    partner: Partner
    distance_km: float | None


def visible(principal: Principal) -> ColumnElement[bool]:
    """Partners the principal may read: vendor all; a partner itself, its parent and children."""
    if principal.is_vendor:
        return true()
    own = principal.organization_id
    parent_of_own = select(Partner.parent_id).where(Partner.id == own).scalar_subquery()
    return or_(Partner.id == own, Partner.parent_id == own, Partner.id == parent_of_own)


def channel_of(organization_id: str) -> Select[tuple[str]]:
    """The ids of a partner and its sub-resellers: whose records a distributor reads."""
    return select(Partner.id).where(
        or_(Partner.id == organization_id, Partner.parent_id == organization_id)
    )


class InChannel(ColumnElement[bool]):
    """`column` holds the id of the partner or one of its sub-resellers.

    On PostgreSQL this is `column = ANY(ARRAY(channel))`: the planner then reads the few
    matching rows through the column's index, where `IN (channel)` makes it hash-join a
    sequential scan of the whole table. Elsewhere it is `column IN (channel)`.
    """

    __visit_name__ = "in_channel"
    inherit_cache = True
    type = Boolean()
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("channel", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: QueryableAttribute[Any], organization_id: str) -> None:
        self.column: ColumnElement[Any] = column.__clause_element__()
        self.channel = channel_of(organization_id)


@compiles(InChannel)
def _in_channel(element: InChannel, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column.in_(element.channel), **kw)


@compiles(InChannel, "postgresql")
def _any_in_channel(element: InChannel, compiler: SQLCompiler, **kw: Any) -> str:
    ids = func.array(element.channel.scalar_subquery())
    return compiler.process(element.column == any_(ids), **kw)


async def with_distributors(session: AsyncSession, partner_ids: Sequence[str]) -> list[str]:
    """The given partners and the distributors above them (who see their leads and deals)."""
    if not partner_ids:
        return []
    parents = await session.scalars(
        select(Partner.parent_id).where(Partner.id.in_(partner_ids), Partner.parent_id.is_not(None))
    )
    return list(dict.fromkeys([*partner_ids, *(parent for parent in parents if parent)]))


async def load_visible(
    session: AsyncSession,
    principal: Principal,
    partner_id: str,
    *,
    for_update: bool = False,
) -> Partner:
    """Load one partner the principal may see, or raise NotFound."""
    statement = select(Partner).where(Partner.id == partner_id, visible(principal))
    if for_update:
        statement = statement.with_for_update()
    partner = (await session.execute(statement)).scalar_one_or_none()
    if partner is None:
        raise NotFound("no such partner", field="id")
    return partner


async def get(hub: Hub, *, principal: Principal, partner_id: str) -> Partner:
    """Return one partner the caller may see."""
    async with hub.read() as session:
        return await load_visible(session, principal, partner_id)


async def by_ids(hub: Hub, *, principal: Principal, ids: Sequence[str]) -> list[Partner | None]:
    """Load partners in key order; ones the caller may not see come back as None."""
    async with hub.read() as session:
        statement = select(Partner).where(Partner.id.in_(ids), visible(principal))
        return in_key_order((await session.execute(statement)).scalars(), ids)


async def children_by_parent(
    hub: Hub, *, principal: Principal, ids: Sequence[str]
) -> list[list[Partner]]:
    """Sub-partners of each distributor, by name."""
    statement = (
        select(Partner)
        .where(Partner.parent_id.in_(ids), visible(principal))
        .order_by(func.lower(Partner.name), Partner.id)
    )
    grouped: dict[str, list[Partner]] = defaultdict(list)
    async with hub.read() as session:
        for partner in (await session.execute(statement)).scalars():
            grouped[partner.parent_id or ""].append(partner)
    return [grouped[key] for key in ids]


async def specializations_by_partner(hub: Hub, ids: Sequence[str]) -> list[list[str]]:
    """Product lines of each partner, in alphabetical order."""
    statement = (
        select(PartnerSpecialization.partner_id, PartnerSpecialization.product_line)
        .where(PartnerSpecialization.partner_id.in_(ids))
        .order_by(PartnerSpecialization.product_line)
    )
    grouped: dict[str, list[str]] = defaultdict(list)
    async with hub.read() as session:
        for partner_id, product_line in (await session.execute(statement)).all():
            grouped[partner_id].append(product_line)
    return [grouped[key] for key in ids]


async def territories_by_partner(hub: Hub, ids: Sequence[str]) -> list[list[Territory]]:
    """Territories of each partner, in the order they were given."""
    statement = (
        select(Territory)
        .where(Territory.partner_id.in_(ids))
        .order_by(Territory.position, Territory.id)
    )
    grouped: dict[str, list[Territory]] = defaultdict(list)
    async with hub.read() as session:
        for territory in (await session.execute(statement)).scalars():
            grouped[territory.partner_id].append(territory)
    return [grouped[key] for key in ids]


async def changes_by_partner(
    hub: Hub, keys: Sequence[tuple[str, str]]
) -> list[list[PartnerChange]]:
    """Tier or status history of each (partner id, field) key, oldest first."""
    ids = sorted({partner_id for partner_id, _ in keys})
    statement = (
        select(PartnerChange)
        .where(PartnerChange.partner_id.in_(ids))
        .order_by(PartnerChange.changed_at, PartnerChange.id)
    )
    grouped: dict[tuple[str, str], list[PartnerChange]] = defaultdict(list)
    async with hub.read() as session:
        for change in (await session.execute(statement)).scalars():
            grouped[(change.partner_id, change.field)].append(change)
    return [grouped[key] for key in keys]


async def list_partners(
    hub: Hub, *, principal: Principal, filter: PartnerFilter, page: PageRequest
) -> Page[Located]:
    """List the partners the caller may see: by name, or by distance with `near`."""
    statement = _filtered(principal, filter)
    async with hub.read() as session:
        if filter.near is not None:
            return await _near_page(session, statement, filter.near, page)
        result = await keyset_page(
            session, statement, page, key=(func.lower(Partner.name, type_=String), Partner.id)
        )
    return Page(
        items=[Located(partner, None) for partner in result.items],
        cursors=result.cursors,
        has_next_page=result.has_next_page,
        has_previous_page=result.has_previous_page,
        total_count=result.total_count,
    )


def _filtered(principal: Principal, filter: PartnerFilter) -> Select[tuple[Partner]]:
    statement = select(Partner).where(visible(principal))
    if filter.tiers:
        statement = statement.where(Partner.tier.in_(distinct(tier.value for tier in filter.tiers)))
    if filter.types:
        statement = statement.where(Partner.type.in_(distinct(kind.value for kind in filter.types)))
    if filter.statuses:
        statement = statement.where(
            Partner.status.in_(distinct(status.value for status in filter.statuses))
        )
    if filter.country:
        country = validation.country(filter.country, field="filter.country")
        statement = statement.where(Partner.country == country)
    if filter.parent_id:
        statement = statement.where(Partner.parent_id == filter.parent_id)
    if filter.specialization:
        line = validation.product_line(filter.specialization, field="filter.specialization")
        statement = statement.where(
            exists().where(
                PartnerSpecialization.partner_id == Partner.id,
                PartnerSpecialization.product_line == line,
            )
        )
    search = validation.filter_text(filter.search, field="filter.search")
    if search:
        term = search.lower()
        statement = statement.where(
            or_(
                func.lower(Partner.name).contains(term, autoescape=True),
                func.lower(func.coalesce(Partner.legal_name, "")).contains(term, autoescape=True),
            )
        )
    return statement


async def _near_page(
    session: AsyncSession,
    statement: Select[tuple[Partner]],
    near: Near,
    page: PageRequest,
) -> Page[Located]:
    validation.coordinates(near.latitude, near.longitude, prefix="filter.near.")
    if not 0 < near.radius_km <= 20_000:
        raise BadInput("radiusKm must be between 0 and 20000", field="filter.near.radiusKm")
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(
        near.latitude, near.longitude, near.radius_km
    )
    boxed = statement.with_only_columns(Partner.id, Partner.latitude, Partner.longitude).where(
        and_(
            Partner.latitude.between(min_lat, max_lat),
            Partner.longitude.between(min_lon, max_lon),
        )
    )
    measured = [
        (geo.distance_km(near.latitude, near.longitude, lat, lon), partner_id)
        for partner_id, lat, lon in (await session.execute(boxed)).all()
    ]
    ranked = sorted((round(km, 3), key) for km, key in measured if km <= near.radius_km)
    start = 0
    if page.after is not None:
        distance, partner_id = decode_cursor(page.after, NEAR_SORT, (float, str))
        start = sum(1 for key in ranked if key <= (distance, partner_id))
    window = ranked[start : start + page.first + 1]
    shown = window[: page.first]
    rows = await session.execute(select(Partner).where(Partner.id.in_([key[1] for key in shown])))
    by_id = {partner.id: partner for partner in rows.scalars()}
    return Page(
        items=[Located(by_id[partner_id], distance) for distance, partner_id in shown],
        cursors=[
            encode_cursor(NEAR_SORT, [distance, partner_id]) for distance, partner_id in shown
        ],
        has_next_page=len(window) > page.first,
        has_previous_page=start > 0,
        total_count=len(ranked),
    )
