"""Vendor campaigns: who they are for, their kit of assets, the partners that opted in and
the leads and deal registrations that came from them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import AttributionMixin, Base, IdMixin, TimestampMixin
from storage.models.knowledge import AudienceMixin


class Campaign(IdMixin, TimestampMixin, AudienceMixin, Base):
    """A vendor campaign (e.g. "Spring security push") that partners may join."""

    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_created_order", "created_at", "id"),)

    name: Mapped[str] = mapped_column(String(200))
    landing_text: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class CampaignPartner(Base):
    """A partner named in a campaign's audience."""

    __tablename__ = "campaign_partners"

    campaign_id: Mapped[str] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True
    )


class CampaignAsset(Base):
    """An asset of a campaign's kit, in the order given."""

    __tablename__ = "campaign_assets"

    campaign_id: Mapped[str] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    asset_id: Mapped[str] = mapped_column(
        ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)


class CampaignParticipant(Base):
    """A partner that opted in to a campaign: who did and when."""

    __tablename__ = "campaign_participants"

    campaign_id: Mapped[str] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    opted_in_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opted_in_at: Mapped[datetime] = mapped_column()


class CampaignAttribution(IdMixin, AttributionMixin, Base):
    """A lead or a deal registration that came from a campaign (one campaign each)."""

    __tablename__ = "campaign_attributions"
    __table_args__ = (
        CheckConstraint(
            "(lead_id IS NULL) <> (deal_registration_id IS NULL)",
            name="lead_or_deal_registration",
        ),
    )

    campaign_id: Mapped[str] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
