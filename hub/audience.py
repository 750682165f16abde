"""Who among the partners may see a record: a minimum tier, partner types, or named partners.

Records keep it in AudienceMixin columns plus a table of named partners; naming partners
means only those partners see the record, whatever their tier or type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.errors import BadInput, NotFound
from hub.partners import directory
from hub.partners.rules import PartnerType, Tier
from hub.roles import Principal
from storage.models import Partner

TIER_RANK = {Tier.REGISTERED: 0, Tier.SILVER: 1, Tier.GOLD: 2, Tier.PLATINUM: 3}
MAX_NAMED_PARTNERS = 500
_TIER_OF_RANK = {rank: tier for tier, rank in TIER_RANK.items()}


@dataclass(frozen=True)
class Audience:
    min_tier: Tier | None = None
    partner_types: Sequence[PartnerType] = ()
    partner_ids: Sequence[str] = ()

    def checked(self, *, field: str = "input.visibility.partnerIds") -> Audience:
        return Audience(
            min_tier=self.min_tier,
            partner_types=sorted(set(self.partner_types)),
            partner_ids=named_partners(self.partner_ids, field=field),
        )

    def columns(self) -> dict[str, Any]:
        """Values of the AudienceMixin columns."""
        return {
            "min_tier_rank": TIER_RANK[self.min_tier] if self.min_tier else 0,
            "partner_types": f",{','.join(self.partner_types)}," if self.partner_types else "",
            "named_only": bool(self.partner_ids),
        }


def named_partners(partner_ids: Sequence[str], *, field: str) -> list[str]:
    """The partners a record is limited to, without repeats, at most MAX_NAMED_PARTNERS."""
    named = sorted(set(partner_ids))
    if len(named) > MAX_NAMED_PARTNERS:
        raise BadInput(f"at most {MAX_NAMED_PARTNERS} named partners", field=field)
    return named


def min_tier_of(record: Any) -> Tier | None:
    rank: int = record.min_tier_rank
    return _TIER_OF_RANK[rank] if rank > 0 else None


def partner_types_of(record: Any) -> list[PartnerType]:
    types: str = record.partner_types
    return [PartnerType(kind) for kind in types.strip(",").split(",") if kind]


def entitles(model: Any, named: Any, partner_id: str) -> ColumnElement[bool]:
    """SQL: the partner may see rows of ``model``; ``named`` is the named-partner table."""
    me = select(Partner).where(Partner.id == partner_id).subquery()
    rank = func.coalesce(select(rank_of(me.c.tier)).scalar_subquery(), -1)
    kind = select(me.c.type).scalar_subquery()
    is_named = exists().where(named.record == model.id, named.partner == partner_id)
    # "||" rather than concat(): SQLite before 3.44 has no concat().
    typed = or_(
        model.partner_types == "",
        model.partner_types.contains(literal(",", String) + kind + literal(",", String)),
    )
    by_rules = and_(model.named_only.is_(False), model.min_tier_rank <= rank, typed)
    return or_(is_named, by_rules)


def partners_entitled_to(record: Any, named: Any) -> ColumnElement[bool]:
    """SQL over Partner: which partners may see this one record."""
    if record.named_only:
        return exists().where(named.record == record.id, named.partner == Partner.id)
    typed: ColumnElement[bool] = Partner.id.is_not(None)
    if record.partner_types:
        typed = Partner.type.in_(partner_types_of(record))
    return and_(rank_of(Partner.tier) >= record.min_tier_rank, typed)


async def known_partners(
    session: AsyncSession, principal: Principal, partner_ids: Sequence[str], *, field: str
) -> None:
    """Refuse a named partner the caller may not see exactly as one that does not exist.

    Checking existence alone would tell a partner which ids belong to other partners.
    """
    if not partner_ids:
        return
    statement = select(Partner.id).where(Partner.id.in_(partner_ids), directory.visible(principal))
    found = set((await session.scalars(statement)).all())
    missing = [partner for partner in partner_ids if partner not in found]
    if missing:
        raise NotFound(f"no partner you can see has the id {missing[0]!r}", field=field)


@dataclass(frozen=True)
class NamedPartners:
    """The named-partner table of a record type: its record and partner columns."""

    record: Any
    partner: Any


def rank_of(column: Any) -> Any:
    """SQL: the rank of a tier column (REGISTERED 0 ... PLATINUM 3; -1 for none)."""
    return case({tier.value: rank for tier, rank in TIER_RANK.items()}, value=column, else_=-1)
