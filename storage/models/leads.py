"""Leads, their assignment history, notes and follow-ups; deal registrations; routing settings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, IdMixin, TimestampMixin


class Lead(IdMixin, TimestampMixin, Base):
    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_status_offer_expires_at", "status", "offer_expires_at"),
        Index("ix_leads_customer_key", "customer_key"),
        Index("ix_leads_email_domain", "email_domain"),
        # The list's order (newest first), for everyone and within one partner's leads.
        Index("ix_leads_created_order", "created_at", "id"),
        Index("ix_leads_partner_created_order", "partner_id", "created_at", "id"),
        Index("ix_leads_external_id", "external_id", unique=True),
    )

    customer_company: Mapped[str] = mapped_column(String(200))
    customer_key: Mapped[str] = mapped_column(String(220))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    email_domain: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(10))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    product_line: Mapped[str] = mapped_column(String(64))
    value_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    expected_close: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    partner_id: Mapped[str | None] = mapped_column(ForeignKey("partners.id", ondelete="SET NULL"))
    offered_at: Mapped[datetime | None] = mapped_column()
    offer_expires_at: Mapped[datetime | None] = mapped_column()
    # When its open offer's partner was reminded of the deadline (email).
    offer_reminded_at: Mapped[datetime | None] = mapped_column()
    lost_reason: Mapped[str | None] = mapped_column(Text)
    routing: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The vendor CRM's id of the lead, unique where set: upserts find the lead by it.
    external_id: Mapped[str | None] = mapped_column(String(100))


class LeadAssignment(Base):
    """One offer of a lead to a partner and how it ended."""

    __tablename__ = "lead_assignments"
    __table_args__ = (
        # A partner's offers made, and ended, in a period (its scorecard).
        Index("ix_lead_assignments_partner_offered", "partner_id", "offered_at"),
        # Covering: how and when the offer began, without reading the table.
        Index(
            "ix_lead_assignments_partner_outcome",
            "partner_id",
            "outcome_at",
            "outcome",
            "offered_at",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(32))
    offered_at: Mapped[datetime] = mapped_column()
    offered_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    outcome: Mapped[str] = mapped_column(String(16))
    outcome_at: Mapped[datetime | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)


class LeadNote(IdMixin, Base):
    __tablename__ = "lead_notes"

    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column()


class LeadActivity(IdMixin, Base):
    """A follow-up to do on a lead, with a due date."""

    __tablename__ = "lead_activities"

    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    due_at: Mapped[datetime] = mapped_column()
    done_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()


class DealRegistration(IdMixin, TimestampMixin, Base):
    __tablename__ = "deal_registrations"
    __table_args__ = (
        Index("ix_deal_registrations_customer_key", "customer_key"),
        Index("ix_deal_registrations_email_domain", "email_domain"),
        Index("ix_deal_registrations_status_expires_at", "status", "expires_at"),
        Index("ix_deal_registrations_created_order", "created_at", "id"),
        Index("ix_deal_registrations_partner_created_order", "partner_id", "created_at", "id"),
        Index("ix_deal_registrations_partner_decided", "partner_id", "decided_at"),
    )

    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    registered_by_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    customer_company: Mapped[str] = mapped_column(String(200))
    customer_key: Mapped[str] = mapped_column(String(220))
    email_domain: Mapped[str | None] = mapped_column(String(254))
    country: Mapped[str] = mapped_column(String(2))
    product_line: Mapped[str] = mapped_column(String(64))
    value_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    expected_close: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), index=True)
    conflict: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()
    extension_days_requested: Mapped[int | None] = mapped_column(Integer)
    extension_reason: Mapped[str | None] = mapped_column(Text)


class RoutingSettings(Base):
    """The vendor's lead routing and deal registration settings (a single row)."""

    __tablename__ = "routing_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    strategy: Mapped[str] = mapped_column(String(16))
    weights: Mapped[dict[str, float]] = mapped_column(JSON)
    radius_km: Mapped[float] = mapped_column(Float)
    acceptance_hours: Mapped[int] = mapped_column(Integer)
    protection_days: Mapped[int] = mapped_column(Integer)
    auto_approve_tiers: Mapped[list[str]] = mapped_column(JSON)
    conflict_policy: Mapped[str] = mapped_column(String(16))
    round_robin: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    required_certifications: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column()
