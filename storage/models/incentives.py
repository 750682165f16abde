"""Incentive programs: their rules, what each partner earned (a ledger of accruals and
clawbacks), its balance and the payouts made against it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, IdMixin, TimestampMixin


class IncentiveProgram(IdMixin, TimestampMixin, Base):
    """A period (e.g. "FY2027 rebates") over which partners earn by its rules."""

    __tablename__ = "incentive_programs"
    __table_args__ = (Index("ix_incentive_programs_created_order", "created_at", "id"),)

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class IncentiveRule(IdMixin, Base):
    """What a program pays for: a share of revenue, an amount per unit or per won deal, for a
    product line and a tier (or any), past a threshold, faster past an accelerator."""

    __tablename__ = "incentive_rules"

    program_id: Mapped[str] = mapped_column(
        ForeignKey("incentive_programs.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    product_line: Mapped[str | None] = mapped_column(String(64))
    tier: Mapped[str | None] = mapped_column(String(16))
    rate: Mapped[int] = mapped_column(BigInteger)
    threshold: Mapped[int] = mapped_column(BigInteger, default=0)
    accelerator_from: Mapped[int | None] = mapped_column(BigInteger)
    accelerated_rate: Mapped[int | None] = mapped_column(BigInteger)


class IncentiveBalance(Base):
    """What a partner earned and was paid in a program: the row its accruals and payouts
    lock, so that neither counts twice nor pays more than earned."""

    __tablename__ = "incentive_balances"

    program_id: Mapped[str] = mapped_column(
        ForeignKey("incentive_programs.id", ondelete="CASCADE"), primary_key=True
    )
    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    earned_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column()


class IncentiveAccrual(Base):
    """One change to what a partner earned by a rule: positive accrues, negative claws back;
    `basis` is the rule's measure (revenue, units or deals) after it."""

    __tablename__ = "incentive_accruals"
    __table_args__ = (
        Index("ix_incentive_accruals_program_partner", "program_id", "partner_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("incentive_programs.id", ondelete="CASCADE"))
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    rule_id: Mapped[str] = mapped_column(ForeignKey("incentive_rules.id", ondelete="CASCADE"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    basis: Mapped[int] = mapped_column(BigInteger)
    cause: Mapped[str] = mapped_column(String(20))
    order_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    opportunity_id: Mapped[str | None] = mapped_column(
        ForeignKey("opportunities.id", ondelete="SET NULL")
    )
    recorded_at: Mapped[datetime] = mapped_column()


class IncentivePayout(IdMixin, Base):
    """Money paid to a partner against its balance, with the ERP's reference."""

    __tablename__ = "incentive_payouts"
    __table_args__ = (
        UniqueConstraint("program_id", "partner_id", "reference"),
        Index("ix_incentive_payouts_program_partner", "program_id", "partner_id"),
    )

    program_id: Mapped[str] = mapped_column(ForeignKey("incentive_programs.id", ondelete="CASCADE"))
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    paid_at: Mapped[datetime] = mapped_column()
    recorded_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
