"""The vendor's product lines: the one list of codes leads, products, partners and content use.

A code that is not on the list is refused wherever a record is written, naming the known
ones, so a typo ("NETWRKING") cannot make a lead unassignable. A retired line stays on the
records that have it (and may be kept when they change) but no new record may use it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub import validation
from hub.errors import BadInput, Conflict, NotFound
from hub.pagination import Page, PageRequest, keyset_page
from hub.roles import Principal, require_vendor_staff
from hub.runtime import Hub
from storage.models import ProductLine

MAX_LINES = 500
# An error names at most this many known lines (productLines lists them all).
NAMED_IN_ERRORS = 40


@dataclass(frozen=True)
class ProductLineInput:
    code: str
    name: str
    description: str | None = None


@dataclass(frozen=True)
class ProductLineChanges:
    name: str | None = None
    description: str | None = None
    active: bool | None = None
    # Fields the caller named: a description set to None clears it.
    given: frozenset[str] = frozenset()


async def require(
    session: AsyncSession,
    codes: Iterable[str],
    *,
    field: str,
    kept: Collection[str] = (),
) -> None:
    """Refuse codes that are not active product lines (those in `kept` may be retired)."""
    wanted = set(codes)
    if not wanted:
        return
    rows = await session.execute(
        select(ProductLine.code, ProductLine.active).where(ProductLine.code.in_(wanted))
    )
    found = {row.code: row.active for row in rows}
    unknown = sorted(wanted - set(found))
    retired = sorted(code for code, active in found.items() if not active and code not in set(kept))
    if not unknown and not retired:
        return
    known = await _active_codes(session)
    listed = ", ".join(known[:NAMED_IN_ERRORS]) or "none yet"
    if len(known) > NAMED_IN_ERRORS:
        listed += f" and {len(known) - NAMED_IN_ERRORS} more (see productLines)"
    if unknown:
        problem = _named("unknown product line", "unknown product lines", unknown, "")
        action = "vendor staff add product lines with createProductLine"
    else:
        problem = _named("the product line", "the product lines", retired, " retired")
        action = "vendor staff can reactivate one with updateProductLine"
    raise BadInput(f"{problem}; the product lines are: {listed} ({action})", field=field)


def _named(one: str, many: str, codes: list[str], state: str) -> str:
    names = ", ".join(repr(code) for code in codes)
    if len(codes) == 1:
        return f"{one} {names}{' is' + state if state else ''}"
    return f"{many} {names}{' are' + state if state else ''}"


async def _active_codes(session: AsyncSession) -> list[str]:
    statement = select(ProductLine.code).where(ProductLine.active).order_by(ProductLine.code)
    return list((await session.scalars(statement)).all())


async def list_lines(
    hub: Hub, *, include_retired: bool, search: str | None, page: PageRequest
) -> Page[ProductLine]:
    """The product lines by code (any signed-in user: partners pick them for deals)."""
    statement = select(ProductLine)
    if not include_retired:
        statement = statement.where(ProductLine.active)
    text = validation.filter_text(search, field="filter.search")
    if text:
        term = text.lower()
        statement = statement.where(
            or_(
                func.lower(ProductLine.code).contains(term, autoescape=True),
                func.lower(ProductLine.name).contains(term, autoescape=True),
            )
        )
    async with hub.read() as session:
        return await keyset_page(session, statement, page, key=(ProductLine.code,))


async def get(hub: Hub, code: str) -> ProductLine:
    line = validation.product_line(code, field="code")
    async with hub.read() as session:
        found = await session.get(ProductLine, line)
    if found is None:
        raise NotFound(f"no product line {line!r}", field="code")
    return found


async def create(hub: Hub, *, principal: Principal, data: ProductLineInput) -> ProductLine:
    """Add a product line (vendor staff)."""
    require_vendor_staff(principal)
    code = validation.product_line(data.code, field="code")
    name = validation.text(data.name, field="name", max_length=120)
    description = validation.optional_text(data.description, field="description", max_length=1000)
    now = hub.clock.now()
    line = ProductLine(
        code=code, name=name, description=description, active=True, created_at=now, updated_at=now
    )
    try:
        async with hub.write() as session:
            count = await session.scalar(select(func.count()).select_from(ProductLine))
            if (count or 0) >= MAX_LINES:
                raise BadInput(
                    f"at most {MAX_LINES} product lines; retire or rename one instead",
                    field="code",
                )
            if await session.get(ProductLine, code) is not None:
                raise Conflict(f"the product line {code!r} exists already", field="code")
            session.add(line)
    except IntegrityError:  # created by a concurrent request
        raise Conflict(f"the product line {code!r} exists already", field="code") from None
    return line


async def update(
    hub: Hub, *, principal: Principal, code: str, changes: ProductLineChanges
) -> ProductLine:
    """Rename, describe, retire or reactivate a product line (vendor staff); codes stay."""
    require_vendor_staff(principal)
    key = validation.product_line(code, field="code")
    async with hub.write() as session:
        line = await session.get(ProductLine, key, with_for_update=True)
        if line is None:
            raise NotFound(f"no product line {key!r}", field="code")
        if changes.name is not None:
            line.name = validation.text(changes.name, field="name", max_length=120)
        if "description" in changes.given:
            line.description = validation.optional_text(
                changes.description, field="description", max_length=1000
            )
        if changes.active is not None:
            line.active = changes.active
        line.updated_at = hub.clock.now()
    return line
