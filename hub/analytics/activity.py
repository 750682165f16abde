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

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from hub.analytics import rollups
from hub.analytics.money import Rates
from hub.analytics.periods import Period
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
    session: AsyncSession, partners: Sequence[Partner], period: Period, *, now: datetime
) -> dict[str, Activity]:
    """The activity of some partners in a period."""
    ids = [partner.id for partner in partners]
    found = {id_: Activity() for id_ in ids}
    await _opportunities(session, ids, period, found)
    await _deals(session, ids, period, found)
    await _certifications(session, partners, min(period.ends_at, now), found)
    await _engagement(session, ids, period, found)
    await _responses(session, ids, period, found)
    return found


async def _opportunities(
    session: AsyncSession, ids: list[str], period: Period, found: dict[str, Activity]
) -> None:
    """Routed leads' and registrations' opportunities closed in the period (won revenue at the
    rate of the closing day), and open ones expected to close in it (at that day's rate)."""
    closed = (Opportunity.closed_at >= period.starts_at) & (Opportunity.closed_at < period.ends_at)
    expected = (
        (Opportunity.status == OpportunityStatus.OPEN)
        & (Opportunity.expected_close >= period.start)
        & (Opportunity.expected_close < period.end)
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
    rates = await rollups.rates(session, {row.currency for row in rows})
    for partner_id, routed, status, amount, currency, closed_at, close_day in rows:
        figures = found[partner_id]
        if status == OpportunityStatus.OPEN:
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


async def _deals(
    session: AsyncSession, ids: list[str], period: Period, found: dict[str, Activity]
) -> None:
    """Registrations submitted in the period, and those approved in it (an approved one whose
    protection lapsed since counts too)."""
    submitted = await _per_partner(
        session, DealRegistration.partner_id, ids, DealRegistration.created_at, period
    )
    approved = await _per_partner(
        session,
        DealRegistration.partner_id,
        ids,
        DealRegistration.decided_at,
        period,
        DealRegistration.status.in_([DealStatus.APPROVED, DealStatus.EXPIRED]),
    )
    for id_, figures in found.items():
        figures.deals_submitted = submitted.get(id_, 0)
        figures.deals_approved = approved.get(id_, 0)


async def _certifications(
    session: AsyncSession, partners: Sequence[Partner], at: datetime, found: dict[str, Activity]
) -> None:
    """Users holding a valid certification at the period's end (or now, for a period still
    running), and how many of the seats its tier requires per product line they fill."""
    rows = (
        await session.execute(
            select(
                Certification.organization_id,
                Certification.user_id,
                CertificationDefinition.product_line,
            )
            .join(CertificationDefinition)
            .where(
                Certification.organization_id.in_([partner.id for partner in partners]),
                Certification.first_issued_at <= at,
                Certification.expires_at > at,
                Certification.revoked_at.is_(None) | (Certification.revoked_at > at),
            )
        )
    ).all()
    users: dict[str, set[str]] = defaultdict(set)
    by_line: dict[tuple[str, str], set[str]] = defaultdict(set)
    for partner_id, user_id, product_line in rows:
        users[partner_id].add(user_id)
        by_line[partner_id, product_line].add(user_id)
    tiers = {partner.tier for partner in partners}
    required: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for tier, product_line, seats in await session.execute(
        select(
            TierRequirement.tier, TierRequirement.product_line, TierRequirement.certified_users
        ).where(TierRequirement.tier.in_(sorted(tiers)))
    ):
        required[tier].append((product_line, int(seats)))
    for partner in partners:
        figures = found[partner.id]
        figures.certified_users = len(users[partner.id])
        for product_line, seats in required[partner.tier]:
            figures.certification_seats_required += seats
            figures.certification_seats_met += min(seats, len(by_line[partner.id, product_line]))


async def _engagement(
    session: AsyncSession, ids: list[str], period: Period, found: dict[str, Activity]
) -> None:
    """Collateral downloads, article reads and best practices published in the period."""
    downloads = await _per_partner(
        session, AssetDownload.partner_id, ids, AssetDownload.issued_at, period
    )
    reads = await _per_partner(
        session,
        ArticleReadDay.partner_id,
        ids,
        ArticleReadDay.day,
        period,
        total=func.sum(ArticleReadDay.views),
        by_day=True,
    )
    practices = await _per_partner(
        session,
        BestPractice.partner_id,
        ids,
        BestPractice.published_at,
        period,
        BestPractice.status == PracticeStatus.PUBLISHED,
    )
    for id_, figures in found.items():
        figures.collateral_downloads = downloads.get(id_, 0)
        figures.articles_read = reads.get(id_, 0)
        figures.best_practices_published = practices.get(id_, 0)


async def _responses(
    session: AsyncSession, ids: list[str], period: Period, found: dict[str, Activity]
) -> None:
    """How long the partner's users took to answer: for each of their messages sent in the
    period that follows, in its conversation, a message from another organization, the time
    since the first of those unanswered messages (looking back RESPONSE_LOOKBACK at most)."""
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
    messages = await session.execute(
        select(Message.conversation_id, Message.organization_id, Message.created_at)
        .where(
            Message.conversation_id.in_(sorted(members)),
            Message.kind == MessageKind.USER,
            Message.created_at >= period.starts_at - RESPONSE_LOOKBACK,
            Message.created_at < period.ends_at,
        )
        .order_by(Message.conversation_id, Message.seq)
    )
    waiting: dict[tuple[str, str], datetime] = {}
    for conversation_id, author, sent_at in messages:
        for partner_id in members[conversation_id]:
            key = (conversation_id, partner_id)
            if author != partner_id:
                waiting.setdefault(key, sent_at)
                continue
            since = waiting.pop(key, None)
            if since is not None and sent_at >= period.starts_at:
                found[partner_id].response_seconds.append((sent_at - since).total_seconds())


async def _per_partner(
    session: AsyncSession,
    partner: QueryableAttribute[Any],
    ids: list[str],
    at: QueryableAttribute[Any],
    period: Period,
    *where: ColumnElement[bool],
    total: ColumnElement[Any] | None = None,
    by_day: bool = False,
) -> dict[str, int]:
    """Per partner of `ids`: how many rows (or the `total`) fall in the period by `at`, a
    time (or a day when `by_day`), and meet `where`."""
    starts, ends = (period.start, period.end) if by_day else (period.starts_at, period.ends_at)
    rows = await session.execute(
        select(partner, func.count() if total is None else total)
        .where(partner.in_(ids), at >= starts, at < ends, *where)
        .group_by(partner)
    )
    return {str(key): int(count or 0) for key, count in rows}
