"""A partner's activity figures for a scorecard, beside revenue and offers: what came of its
routed leads and registrations, its open pipeline, certifications, engagement with content,
and how fast it answers messages. Each is defined in README (Scorecards).

Every figure is read for a page of partners with a fixed number of statements.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    case,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from hub.analytics import rollups
from hub.analytics.money import Rates
from hub.analytics.periods import Period, span
from hub.analytics.service import MissingRate
from hub.forecast.rules import OpportunityStatus
from hub.knowledge.rules import PracticeStatus
from hub.leads.deals import DealStatus
from hub.messaging.rules import MessageKind
from storage.models import (
    ArticleReadDay,
    AssetDownload,
    BestPractice,
    Certification,
    CertificationDefinition,
    ConversationParticipant,
    DealRegistration,
    Message,
    Partner,
    TierRequirement,
)
from storage.models.forecast import Opportunity

# How far before the period a message may lie and still be answered in it.
RESPONSE_LOOKBACK = timedelta(days=30)
CLOSED = (OpportunityStatus.WON, OpportunityStatus.LOST)


@dataclass
class Activity:
    """One period's activity figures of a partner (None where there is nothing to measure)."""

    routed_won: int = 0
    routed_lost: int = 0
    routed_revenue_minor: int = 0
    open_opportunities: int = 0
    open_pipeline_minor: int = 0
    deals_submitted: int = 0
    deals_approved: int = 0
    deals_won: int = 0
    deals_lost: int = 0
    certified_users: int = 0
    certification_seats_met: int = 0
    certification_seats_required: int = 0
    collateral_downloads: int = 0
    articles_read: int = 0
    best_practices_published: int = 0
    response_seconds: list[float] = field(default_factory=list)
    missing: dict[str, int] = field(default_factory=dict)

    @property
    def win_rate_bp(self) -> int | None:
        return _rate(self.routed_won, self.routed_won + self.routed_lost)

    @property
    def deal_approval_rate_bp(self) -> int | None:
        return _rate(self.deals_approved, self.deals_submitted)

    @property
    def deal_conversion_bp(self) -> int | None:
        return _rate(self.deals_won, self.deals_won + self.deals_lost)

    @property
    def median_seconds_to_respond(self) -> int | None:
        return round(statistics.median(self.response_seconds)) if self.response_seconds else None

    @property
    def missing_rates(self) -> list[MissingRate]:
        return [MissingRate(currency, minor) for currency, minor in sorted(self.missing.items())]


def _rate(part: int, whole: int) -> int | None:
    return round(part * 10_000 / whole) if whole else None


async def activity(
    session: AsyncSession,
    partners: Sequence[Partner],
    periods: Sequence[Period],
    *,
    now: datetime,
    reporting: str,
    numbers: Counted,
) -> list[dict[str, Activity]]:
    """The activity of some partners in each of some periods, money in the `reporting`
    currency (one statement per figure for all the periods); `numbers` holds what `counted`
    read for ACTIVITY_COUNTS, which the caller reads in one statement with its own counts."""
    ids = [partner.id for partner in partners]
    found = [{id_: Activity() for id_ in ids} for _ in periods]
    for index, by_partner in enumerate(found):
        for id_, figures in by_partner.items():
            for name in ACTIVITY_COUNTS:
                setattr(figures, name, numbers.get((name, id_, index), 0))
    await _opportunities(session, ids, periods, found, reporting)
    await _certifications(session, partners, [min(p.ends_at, now) for p in periods], found)
    await _responses(session, ids, periods, found)
    return found


def period_of(periods: Sequence[Period], at: datetime | date | None) -> int | None:
    """The index of the period a time (or day) falls in, if any."""
    if at is None:
        return None
    for index, period in enumerate(periods):
        if isinstance(at, datetime):
            if period.starts_at <= at < period.ends_at:
                return index
        elif period.start <= at < period.end:
            return index
    return None


async def _opportunities(
    session: AsyncSession,
    ids: list[str],
    periods: Sequence[Period],
    found: list[dict[str, Activity]],
    reporting: str,
) -> None:
    """Routed leads' and registrations' opportunities closed in a period (won revenue at the
    rate of the closing day), and open ones expected to close in it (at that day's rate)."""
    whole = span(periods)
    closed = (Opportunity.closed_at >= whole.starts_at) & (Opportunity.closed_at < whole.ends_at)
    expected = (
        (Opportunity.status == OpportunityStatus.OPEN)
        & (Opportunity.expected_close >= whole.start)
        & (Opportunity.expected_close < whole.end)
    )
    rows = (
        await session.execute(
            select(
                Opportunity.partner_id,
                Opportunity.lead_id.is_not(None),
                Opportunity.status,
                Opportunity.amount_minor,
                Opportunity.currency,
                Opportunity.closed_at,
                Opportunity.expected_close,
            ).where(
                Opportunity.partner_id.in_(ids),
                (closed & Opportunity.status.in_(CLOSED)) | expected,
            )
        )
    ).all()
    rates = await rollups.rates(session, {row.currency for row in rows}, reporting=reporting)
    for partner_id, routed, status, amount, currency, closed_at, close_day in rows:
        is_open = status == OpportunityStatus.OPEN
        index = period_of(periods, close_day if is_open else closed_at)
        if index is None:
            continue
        figures = found[index][partner_id]
        if is_open:
            figures.open_opportunities += 1
            _add_money(figures, "open_pipeline_minor", amount, currency, close_day, rates)
        elif routed:
            if status == OpportunityStatus.WON:
                figures.routed_won += 1
                _add_money(
                    figures, "routed_revenue_minor", amount, currency, closed_at.date(), rates
                )
            else:
                figures.routed_lost += 1
        elif status == OpportunityStatus.WON:
            figures.deals_won += 1
        else:
            figures.deals_lost += 1


def _add_money(
    figures: Activity,
    name: str,
    amount: int,
    currency: str,
    day: date,
    rates: Rates,
) -> None:
    converted = rates.converted(amount, currency, day)
    if converted is None:
        figures.missing[currency] = figures.missing.get(currency, 0) + amount
    else:
        setattr(figures, name, getattr(figures, name) + converted)


async def _certifications(
    session: AsyncSession,
    partners: Sequence[Partner],
    instants: Sequence[datetime],
    found: list[dict[str, Activity]],
) -> None:
    """Users holding a valid certification at each period's end (or now, for a period still
    running), and how many of the seats its tier requires per product line they fill."""
    rows = (
        await session.execute(
            select(
                Certification.organization_id,
                Certification.user_id,
                CertificationDefinition.product_line,
                Certification.first_issued_at,
                Certification.expires_at,
                Certification.revoked_at,
            )
            .join(CertificationDefinition)
            .where(
                Certification.organization_id.in_([partner.id for partner in partners]),
                Certification.first_issued_at <= max(instants),
                Certification.expires_at > min(instants),
                Certification.revoked_at.is_(None) | (Certification.revoked_at > min(instants)),
            )
        )
    ).all()
    tiers = {partner.tier for partner in partners}
    required: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for tier, product_line, seats in await session.execute(
        select(
            TierRequirement.tier, TierRequirement.product_line, TierRequirement.certified_users
        ).where(TierRequirement.tier.in_(sorted(tiers)))
    ):
        required[tier].append((product_line, int(seats)))
    for at, by_partner in zip(instants, found, strict=True):
        users: dict[str, set[str]] = defaultdict(set)
        by_line: dict[tuple[str, str], set[str]] = defaultdict(set)
        for partner_id, user_id, product_line, issued, expires, revoked in rows:
            if issued <= at < expires and (revoked is None or revoked > at):
                users[partner_id].add(user_id)
                by_line[partner_id, product_line].add(user_id)
        for partner in partners:
            figures = by_partner[partner.id]
            figures.certified_users = len(users[partner.id])
            for product_line, seats in required[partner.tier]:
                figures.certification_seats_required += seats
                met = len(by_line[partner.id, product_line])
                figures.certification_seats_met += min(seats, met)


async def _responses(
    session: AsyncSession,
    ids: list[str],
    periods: Sequence[Period],
    found: list[dict[str, Activity]],
) -> None:
    """How long the partner's users took to answer: for each of their messages sent in a
    period that follows, in its conversation, messages from another organization, the time
    since the first of those sent at most RESPONSE_LOOKBACK before the period began."""
    joined = (
        await session.execute(
            select(ConversationParticipant.conversation_id, ConversationParticipant.organization_id)
            .where(ConversationParticipant.organization_id.in_(ids))
            .distinct()
        )
    ).all()
    members: dict[str, set[str]] = defaultdict(set)
    for conversation_id, organization_id in joined:
        members[conversation_id].add(organization_id)
    if not members:
        return
    whole = span(periods)
    messages = await session.execute(
        select(Message.conversation_id, Message.organization_id, Message.created_at)
        .where(
            Message.conversation_id.in_(sorted(members)),
            Message.kind == MessageKind.USER,
            Message.created_at >= whole.starts_at - RESPONSE_LOOKBACK,
            Message.created_at < whole.ends_at,
        )
        .order_by(Message.conversation_id, Message.seq)
    )
    # Per conversation and partner: the times of the others' messages since its last answer.
    waiting: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for conversation_id, author, sent_at in messages:
        for partner_id in members[conversation_id]:
            unanswered = waiting[conversation_id, partner_id]
            if author != partner_id:
                unanswered.append(sent_at)
                continue
            index = period_of(periods, sent_at)
            if index is not None:
                since = periods[index].starts_at - RESPONSE_LOOKBACK
                first = next((at for at in unanswered if at >= since), None)
                if first is not None:
                    seconds = (sent_at - first).total_seconds()
                    found[index][partner_id].response_seconds.append(seconds)
            unanswered.clear()


@dataclass(frozen=True)
class Count:
    """A figure counted per partner and period: the rows whose `partner` column holds the
    partner, whose `at` (a time, or a day when `by_day`) falls in the period and that meet
    `where`; or the sum of `summed` over them."""

    partner: QueryableAttribute[Any]
    at: QueryableAttribute[Any]
    where: tuple[ColumnElement[bool], ...] = ()
    summed: QueryableAttribute[Any] | None = None
    by_day: bool = False

    def rows(self, name: str, periods: int) -> Select[Any]:
        """Its rows for `periods` periods, with the partners (ids) and the bounds (Counts.read
        names them) as parameters."""
        at, kind = self.at, "d" if self.by_day else "t"

        def bound(name: str) -> Any:
            return bindparam(f"{kind}{name}", type_=at.type)

        which = case(
            *(
                ((at >= bound(f"{index}_from")) & (at < bound(f"{index}_to")), index)
                for index in range(periods)
            )
        )
        return select(
            literal(name).label("figure"),
            self.partner.label("partner_id"),
            which.label("period"),
            (literal(1) if self.summed is None else self.summed).label("value"),
        ).where(
            self.partner.in_(bindparam("ids", expanding=True)),
            at >= bound("_from"),
            at < bound("_to"),
            *self.where,
        )


# The counts a scorecard's activity figures take, by the Activity field each one fills.
ACTIVITY_COUNTS = {
    "deals_submitted": Count(DealRegistration.partner_id, DealRegistration.created_at),
    "deals_approved": Count(  # an approved one whose protection lapsed since counts too
        DealRegistration.partner_id,
        DealRegistration.decided_at,
        (DealRegistration.status.in_([DealStatus.APPROVED, DealStatus.EXPIRED]),),
    ),
    "collateral_downloads": Count(AssetDownload.partner_id, AssetDownload.issued_at),
    "articles_read": Count(
        ArticleReadDay.partner_id, ArticleReadDay.day, summed=ArticleReadDay.views, by_day=True
    ),
    "best_practices_published": Count(
        BestPractice.partner_id,
        BestPractice.published_at,
        (BestPractice.status == PracticeStatus.PUBLISHED,),
    ),
}

Counted = dict[tuple[str, str, int], int]


class Counts:
    """Several counts per partner and period, read in one statement that is built once per
    number of periods (the partners and the bounds are its parameters)."""

    def __init__(self, counts: dict[str, Count]) -> None:
        self.counts = counts
        self._built: dict[int, Select[Any]] = {}

    async def read(
        self, session: AsyncSession, ids: list[str], periods: Sequence[Period]
    ) -> Counted:
        """(name, partner, period index) -> value, for the partners of `ids` (absent when 0)."""
        statement = self._built.get(len(periods))
        if statement is None:
            statement = self._built[len(periods)] = self._statement(len(periods))
        whole = span(periods)
        bounds: dict[str, Any] = {"t_from": whole.starts_at, "t_to": whole.ends_at}
        bounds |= {"d_from": whole.start, "d_to": whole.end}
        for index, period in enumerate(periods):
            bounds |= {f"t{index}_from": period.starts_at, f"t{index}_to": period.ends_at}
            bounds |= {f"d{index}_from": period.start, f"d{index}_to": period.end}
        result = await session.execute(statement, {"ids": ids, **bounds})
        return {(name, str(key), int(index)): int(value or 0) for name, key, index, value in result}

    def _statement(self, periods: int) -> Select[Any]:
        rows = union_all(*(count.rows(name, periods) for name, count in self.counts.items()))
        found = rows.subquery()
        return (
            select(found.c.figure, found.c.partner_id, found.c.period, func.sum(found.c.value))
            .where(found.c.period.is_not(None))
            .group_by(found.c.figure, found.c.partner_id, found.c.period)
        )
