"""Where leads and deal registrations came from: a fund request's activity, a campaign.

Each kind of source has its own attribution table (a lead or a registration names at most
one source of each kind); this module holds what they share: naming or clearing a target's
source, and what came of sources (attributed leads, registrations, the won opportunities
they became and their amounts), as one account may see it. A partner sees only its
channel's leads, registrations and opportunities, so a lead the vendor routed elsewhere
never shows through a source another partner also sees.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from hub.analytics.money import Rates, convert
from hub.db import distinct
from hub.forecast.rules import OpportunityStatus
from hub.partners.directory import InChannel
from hub.roles import Principal
from hub.runtime import Hub
from storage.models import DealRegistration, Lead
from storage.models.forecast import Opportunity


@dataclass(frozen=True)
class Kind:
    """A kind of source: its attribution table, that table's column naming the source, the
    source's model and which of its rows an account may see."""

    table: Any
    source: QueryableAttribute[str]
    model: Any
    visible: Callable[[Principal], ColumnElement[bool]]


@dataclass(frozen=True)
class Target:
    """A lead or a deal registration (exactly one of the ids)."""

    lead_id: str | None = None
    deal_registration_id: str | None = None

    def __post_init__(self) -> None:
        assert (self.lead_id is None) != (self.deal_registration_id is None)

    def of(self, kind: Kind) -> ColumnElement[bool]:
        if self.lead_id is not None:
            return kind.table.lead_id == self.lead_id  # type: ignore[no-any-return]
        return kind.table.deal_registration_id == self.deal_registration_id  # type: ignore[no-any-return]


async def replace(
    session: AsyncSession,
    kind: Kind,
    target: Target,
    source_id: str | None,
    *,
    by: str,
    now: datetime,
) -> None:
    """Make ``source_id`` (None: no source of this kind) the target's, in its transaction."""
    await session.execute(delete(kind.table).where(target.of(kind)))
    if source_id is not None:
        session.add(
            kind.table(
                **{kind.source.key: source_id},
                lead_id=target.lead_id,
                deal_registration_id=target.deal_registration_id,
                attributed_by_id=by,
                attributed_at=now,
            )
        )


async def of_leads(
    hub: Hub, kind: Kind, *, principal: Principal, ids: Sequence[str]
) -> list[str | None]:
    """The source of this kind each lead names, in order; None when none the caller sees."""
    return await _named(hub, kind, kind.table.lead_id, principal, ids)


async def of_deals(
    hub: Hub, kind: Kind, *, principal: Principal, ids: Sequence[str]
) -> list[str | None]:
    """The same for deal registrations."""
    return await _named(hub, kind, kind.table.deal_registration_id, principal, ids)


async def _named(
    hub: Hub, kind: Kind, key: Any, principal: Principal, ids: Sequence[str]
) -> list[str | None]:
    async with hub.read() as session:
        rows = await session.execute(
            select(key, kind.source)
            .join(kind.model, kind.model.id == kind.source)
            .where(key.in_(distinct(ids)), kind.visible(principal))
        )
        found = {row[0]: row[1] for row in rows.all()}
    return [found.get(one) for one in ids]


@dataclass
class Outcome:
    """What came of one source: counts, and each won opportunity's (amount, currency, day)."""

    leads: int = 0
    deal_registrations: int = 0
    won: list[tuple[int, str, datetime]] = field(default_factory=list)

    def currencies(self) -> set[str]:
        return {currency for _, currency, _ in self.won}

    def won_in(self, rates: Rates, into: str) -> tuple[int, tuple[str, ...]]:
        """The won amounts in ``into`` at the rates of the day each closed (through the
        reporting currency), and the currencies left out for want of a rate."""
        total, missing = 0, set()
        for amount, currency, closed_at in self.won:
            exchanged = _exchanged(rates, amount, currency, into, closed_at)
            if exchanged is None:
                missing.add(currency)
            else:
                total += exchanged
        return total, tuple(sorted(missing))


async def outcomes(
    session: AsyncSession, principal: Principal, kind: Kind, source_ids: Sequence[str]
) -> dict[str, Outcome]:
    """What came of each source, as the principal may see it."""
    found: dict[str, Outcome] = defaultdict(Outcome)
    for model, key, partner in (
        (Lead, kind.table.lead_id, Lead.partner_id),
        (DealRegistration, kind.table.deal_registration_id, DealRegistration.partner_id),
    ):
        rows = await session.execute(
            select(kind.source, func.count())
            .join(model, model.id == key)
            .where(kind.source.in_(source_ids), _in_channel(principal, partner))
            .group_by(kind.source)
        )
        for source_id, count in rows:
            if model is Lead:
                found[source_id].leads = int(count)
            else:
                found[source_id].deal_registrations = int(count)
    won = await session.execute(
        select(kind.source, Opportunity.amount_minor, Opportunity.currency, Opportunity.closed_at)
        .join(
            Opportunity,
            or_(
                Opportunity.lead_id == kind.table.lead_id,
                Opportunity.deal_registration_id == kind.table.deal_registration_id,
            ),
        )
        .where(
            kind.source.in_(source_ids),
            Opportunity.status == OpportunityStatus.WON,
            Opportunity.closed_at.is_not(None),
            _in_channel(principal, Opportunity.partner_id),
        )
    )
    for source_id, amount, currency, closed_at in won:
        found[source_id].won.append((amount, currency, closed_at))
    return found


def _in_channel(principal: Principal, column: QueryableAttribute[Any]) -> ColumnElement[bool]:
    if principal.is_vendor:
        return true()
    return InChannel(column, principal.organization_id)


def _exchanged(
    rates: Rates, amount: int, currency: str, into: str, closed_at: datetime
) -> int | None:
    if currency == into:
        return amount
    day = closed_at.date()
    source, target = rates.on(currency, day), rates.on(into, day)
    if source is None or target is None:
        return None
    return convert(amount, currency, source / target, into)
