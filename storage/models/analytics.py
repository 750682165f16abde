"""Channel analytics: exchange rates, the reporting currency, and revenue rollups kept in the
order write transactions (rebuilt from raw orders by `channelhub analytics rebuild`)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class AnalyticsSettings(Base):
    """The vendor's reporting settings (one row)."""

    __tablename__ = "analytics_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reporting_currency: Mapped[str] = mapped_column(String(3))
    updated_at: Mapped[datetime] = mapped_column()


class ExchangeRate(Base):
    """Units of the reporting currency one unit of `currency` is worth, from a day on."""

    __tablename__ = "exchange_rates"

    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    valid_from: Mapped[date] = mapped_column(Date, primary_key=True)
    # A decimal string: exact, the same on both databases.
    rate: Mapped[str] = mapped_column(String(32))
    set_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column()


class RevenueSums:
    """Revenue in the row's currency; of it, what had a rate in reporting minor units, and
    what had none (still in the row's currency)."""

    revenue_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    reporting_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    unconverted_minor: Mapped[int] = mapped_column(BigInteger, default=0)


class PartnerRevenueDay(RevenueSums, Base):
    """A partner's revenue recognised on a day in one currency: orders delivered that day,
    less what came back that day. Converted per order at the rate of its order date."""

    __tablename__ = "partner_revenue_days"
    __table_args__ = (Index("ix_partner_revenue_days_day", "day", "partner_id"),)

    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    delivered_orders: Mapped[int] = mapped_column(Integer, default=0)
    returned_orders: Mapped[int] = mapped_column(Integer, default=0)


class LineRevenueDay(RevenueSums, Base):
    """The same revenue by product line (an order's lines may span several)."""

    __tablename__ = "line_revenue_days"
    __table_args__ = (Index("ix_line_revenue_days_day", "day", "product_line"),)

    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    product_line: Mapped[str] = mapped_column(String(64), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)


class PartnerRevenueMonth(RevenueSums, Base):
    """The partner's daily rows of a month summed (month: its first day), so a long period
    reads whole months here and only the days at either end from partner_revenue_days."""

    __tablename__ = "partner_revenue_months"
    __table_args__ = (
        Index(
            "ix_partner_revenue_months_month",
            "month",
            "partner_id",
            "currency",
            "reporting_minor",
            "unconverted_minor",
        ),
    )

    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    delivered_orders: Mapped[int] = mapped_column(Integer, default=0)
    returned_orders: Mapped[int] = mapped_column(Integer, default=0)


class LineRevenueMonth(RevenueSums, Base):
    """line_revenue_days summed per month, as PartnerRevenueMonth."""

    __tablename__ = "line_revenue_months"
    __table_args__ = (
        Index(
            "ix_line_revenue_months_month",
            "month",
            "product_line",
            "currency",
            "reporting_minor",
            "unconverted_minor",
        ),
    )

    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    product_line: Mapped[str] = mapped_column(String(64), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)


class TierRule(Base):
    """What a tier asks of a partner's performance over a report's period (beside the
    certified users of training's tier requirements): tier recommendations check it."""

    __tablename__ = "tier_rules"

    tier: Mapped[str] = mapped_column(String(16), primary_key=True)
    min_revenue_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    # Won of the leads it closed (WON or LOST) in the period, in basis points; None: no rule.
    min_win_rate_bp: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column()
