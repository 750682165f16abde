"""Forecasting: opportunities (accepted leads and approved deal registrations moving through
the vendor's stages), their history, and partner commits per period and product line."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, IdMixin, TimestampMixin


class OpportunityStage(Base):
    """A stage of the vendor's sales process, in order, with its default probability."""

    __tablename__ = "opportunity_stages"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    probability_percent: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column()


class Opportunity(IdMixin, TimestampMixin, Base):
    """A lead a partner accepted, or a deal registration the vendor approved, on its way to
    being won or lost: what it is worth, when it should close and how likely it is."""

    __tablename__ = "opportunities"
    __table_args__ = (
        Index("ix_opportunities_partner_status", "partner_id", "status"),
        Index("ix_opportunities_status_expected_close", "status", "expected_close"),
        Index("ix_opportunities_created_order", "created_at", "id"),
        Index("ix_opportunities_partner_created_order", "partner_id", "created_at", "id"),
        # Closed in a period: win rates for routing and scorecards.
        Index("ix_opportunities_closed_partner", "closed_at", "partner_id"),
        Index("ix_opportunities_partner_closed", "partner_id", "closed_at"),
    )

    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    lead_id: Mapped[str | None] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), index=True
    )
    deal_registration_id: Mapped[str | None] = mapped_column(
        ForeignKey("deal_registrations.id", ondelete="CASCADE"), index=True
    )
    customer_company: Mapped[str] = mapped_column(String(200))
    product_line: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(32))
    # The partner's own probability; None: the stage's default.
    probability_percent: Mapped[int | None] = mapped_column(Integer)
    amount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    expected_close: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    closed_at: Mapped[datetime | None] = mapped_column()
    close_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)


class OpportunityChange(Base):
    """One change of an opportunity, with what it was after the change (in order of `id`)."""

    __tablename__ = "opportunity_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)

    opportunity_id: Mapped[str] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    from_stage: Mapped[str | None] = mapped_column(String(32))
    stage: Mapped[str] = mapped_column(String(32))
    probability_percent: Mapped[int | None] = mapped_column(Integer)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    expected_close: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    changed_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column()


class ForecastCommit(IdMixin, Base):
    """What a partner commits to (and its best case) for a month or quarter and product line."""

    __tablename__ = "forecast_commits"
    __table_args__ = (
        UniqueConstraint("partner_id", "period_start", "period_end", "product_line"),
        Index("ix_forecast_commits_period", "period_start", "period_end"),
    )

    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    period_label: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[date] = mapped_column(Date)
    # The first day after the period.
    period_end: Mapped[date] = mapped_column(Date)
    product_line: Mapped[str] = mapped_column(String(64))
    commit_minor: Mapped[int] = mapped_column(BigInteger)
    best_case_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    submitted_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)
