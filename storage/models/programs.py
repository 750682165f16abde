"""Partner programs: what each tier gets and must do, the agreements partners accept (terms
as versioned PDFs in the object store) and who accepted which version when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, FileOwner, IdMixin, TimestampMixin


class PartnerProgram(IdMixin, TimestampMixin, Base):
    """A program partners belong to (e.g. "Reseller program 2027")."""

    __tablename__ = "partner_programs"
    __table_args__ = (Index("ix_partner_programs_created_order", "created_at", "id"),)

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ProgramTier(Base):
    """What partners of one tier get from a program and what they must do to hold it."""

    __tablename__ = "program_tiers"

    program_id: Mapped[str] = mapped_column(
        ForeignKey("partner_programs.id", ondelete="CASCADE"), primary_key=True
    )
    tier: Mapped[str] = mapped_column(String(16), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    benefits: Mapped[list[Any]] = mapped_column(JSON, default=list)
    requirements: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Agreement(IdMixin, TimestampMixin, Base):
    """Terms of a program; a required one must be accepted before a partner is ACTIVE."""

    __tablename__ = "agreements"

    program_id: Mapped[str] = mapped_column(
        ForeignKey("partner_programs.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    # The newest published version's number (0 until one is published).
    current_number: Mapped[int] = mapped_column(Integer, default=0)


class AgreementVersion(IdMixin, FileOwner, Base):
    """One version of an agreement's terms: a PDF, numbered from 1."""

    file_prefix = "agreements"
    __tablename__ = "agreement_versions"
    __table_args__ = (UniqueConstraint("agreement_id", "number"),)

    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text, default="")
    object_key: Mapped[str] = mapped_column(String(200), unique=True)
    file_name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    published_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column()


class AgreementAcceptance(IdMixin, Base):
    """A partner's acceptance of one version: who accepted it and when."""

    __tablename__ = "agreement_acceptances"
    __table_args__ = (
        UniqueConstraint("version_id", "partner_id"),
        Index("ix_agreement_acceptances_partner", "partner_id", "agreement_id"),
    )

    version_id: Mapped[str] = mapped_column(ForeignKey("agreement_versions.id", ondelete="CASCADE"))
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    accepted_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    accepted_at: Mapped[datetime] = mapped_column()


class RecruitmentStage(Base):
    """A stage the vendor vets applications through, in order (e.g. QUALIFYING)."""

    __tablename__ = "recruitment_stages"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)


class PartnerApplication(Base):
    """The vetting of an applicant: its owner among vendor staff and its stage."""

    __tablename__ = "partner_applications"

    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True
    )
    owner_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    stage: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column()


class ApplicationNote(IdMixin, Base):
    """A vendor staff note on an application."""

    __tablename__ = "application_notes"
    __table_args__ = (Index("ix_application_notes_partner", "partner_id", "created_at"),)

    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column()


class ApplicationDocument(IdMixin, FileOwner, Base):
    """A document kept with an application (a reseller certificate, a credit report...)."""

    file_prefix = "applications"
    __tablename__ = "application_documents"
    __table_args__ = (Index("ix_application_documents_partner", "partner_id", "uploaded_at"),)

    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    object_key: Mapped[str] = mapped_column(String(200), unique=True)
    file_name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column()
