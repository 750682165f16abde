"""Collateral: assets, their versions, who may see them, downloads issued, pending uploads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, FileOwner, IdMixin, TimestampMixin


class Asset(IdMixin, TimestampMixin, Base):
    __tablename__ = "assets"

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    search_text: Mapped[str] = mapped_column(Text)
    product_lines: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(8))
    min_tier_rank: Mapped[int] = mapped_column(Integer, default=0)
    partner_types: Mapped[str] = mapped_column(String(200), default="")
    named_only: Mapped[bool] = mapped_column(Boolean, default=False)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Where partners' logos and contact blocks go on their co-branded copies: {"page", "x",
    # "y", "width", "height"} (fractions of the page from its top-left); null: not co-brandable.
    cobrand: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AssetPartner(Base):
    """A partner named in an asset's visibility."""

    __tablename__ = "asset_partners"

    asset_id: Mapped[str] = mapped_column(
        ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True
    )
    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True
    )


class AssetVersion(IdMixin, FileOwner, Base):
    """One uploaded file of an asset; the newest is what partners download."""

    file_prefix = "assets"
    __tablename__ = "asset_versions"
    __table_args__ = (UniqueConstraint("asset_id", "number"),)

    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    object_key: Mapped[str] = mapped_column(String(200), unique=True)
    file_name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column()


class AssetDownload(Base):
    """A download URL issued to someone: the usage analytics."""

    __tablename__ = "asset_downloads"
    __table_args__ = (
        Index("ix_asset_downloads_asset_issued", "asset_id", "issued_at"),
        Index("ix_asset_downloads_partner_issued", "partner_id", "issued_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    version_id: Mapped[str] = mapped_column(ForeignKey("asset_versions.id", ondelete="CASCADE"))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    partner_id: Mapped[str | None] = mapped_column(ForeignKey("partners.id", ondelete="SET NULL"))
    tier: Mapped[str | None] = mapped_column(String(16))
    issued_at: Mapped[datetime] = mapped_column(index=True)


class AssetUpload(IdMixin, FileOwner, Base):
    """A direct-to-storage upload that becomes a version once completed and checked."""

    file_prefix = "assets"

    __tablename__ = "asset_uploads"

    asset_id: Mapped[str | None] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    asset_input: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    object_key: Mapped[str] = mapped_column(String(200), unique=True)
    file_name: Mapped[str] = mapped_column(String(255))
    declared_size: Mapped[int] = mapped_column(BigInteger)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column(index=True)
    completed_at: Mapped[datetime | None] = mapped_column()

    @classmethod
    def keeps(cls, now: datetime) -> ColumnElement[bool]:
        # An open upload holds its key; a completed one's object belongs to its version.
        return and_(cls.completed_at.is_(None), cls.expires_at > now)

    @classmethod
    def expired(cls, cutoff: datetime) -> ColumnElement[bool] | None:
        return or_(cls.expires_at < cutoff, cls.completed_at < cutoff)


class CobrandedCopy(IdMixin, FileOwner, Base):
    """A partner's co-branded copy of one asset version, kept for the logo and placement it
    was made with: the same ones give the same copy."""

    file_prefix = "cobranded"
    __tablename__ = "cobranded_copies"
    __table_args__ = (UniqueConstraint("version_id", "partner_id", "made_from"),)

    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[str] = mapped_column(ForeignKey("asset_versions.id", ondelete="CASCADE"))
    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    # sha256 of the logo's sha256 and the placement: what the copy was made from.
    made_from: Mapped[str] = mapped_column(String(64))
    object_key: Mapped[str] = mapped_column(String(200), unique=True)
    file_name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column()
