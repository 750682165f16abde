"""Market development funds: the vendor's budgets for a period, what each partner is
allocated from them, and the partners' requests to spend it on marketing activities."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ColumnElement,
    Date,
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

from storage.models.base import (
    AttachedFile,
    AttributionMixin,
    Base,
    FileOwner,
    IdMixin,
    TimestampMixin,
)


class FundBudget(IdMixin, TimestampMixin, Base):
    """An amount of marketing money for a period (e.g. "MDF 2027 H1"), in one currency."""

    __tablename__ = "fund_budgets"
    __table_args__ = (Index("ix_fund_budgets_created_order", "created_at", "id"),)

    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    # The last day activities paid from it may take place.
    ends_on: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    # The sum of its allocations, kept in the allocating transaction under the budget's lock.
    allocated_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16))
    # How many days after an activity ends its claim may come in.
    claim_window_days: Mapped[int] = mapped_column(Integer, default=60)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1)


class FundAllocation(IdMixin, TimestampMixin, Base):
    """What one partner may spend from a budget; approved requests reserve part of it."""

    __tablename__ = "fund_allocations"
    __table_args__ = (
        UniqueConstraint("budget_id", "partner_id"),
        Index("ix_fund_allocations_partner", "partner_id", "budget_id"),
    )

    budget_id: Mapped[str] = mapped_column(ForeignKey("fund_budgets.id", ondelete="CASCADE"))
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    # The sum of its approved requests, kept in the approving transaction under its lock.
    reserved_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    allocated_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class FundRequest(IdMixin, TimestampMixin, Base):
    """A partner's request to spend part of its allocation on a marketing activity."""

    __tablename__ = "fund_requests"
    __table_args__ = (
        Index("ix_fund_requests_created_order", "created_at", "id"),
        Index("ix_fund_requests_partner_created_order", "partner_id", "created_at", "id"),
        Index("ix_fund_requests_allocation_status", "allocation_id", "status"),
    )

    allocation_id: Mapped[str] = mapped_column(
        ForeignKey("fund_allocations.id", ondelete="CASCADE")
    )
    budget_id: Mapped[str] = mapped_column(ForeignKey("fund_budgets.id", ondelete="CASCADE"))
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    activity_type: Mapped[str] = mapped_column(String(16))
    activity_starts_on: Mapped[date] = mapped_column(Date)
    activity_ends_on: Mapped[date] = mapped_column(Date)
    requested_minor: Mapped[int] = mapped_column(BigInteger)
    # What the vendor approved (at most what was asked); None until approved.
    approved_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    expected_leads: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    decision_note: Mapped[str | None] = mapped_column(Text)
    submitted_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)


class FundClaim(IdMixin, TimestampMixin, Base):
    """What a partner claims back for an approved request once the activity took place, with
    proof of performance; approved claims are payable, then paid with the ERP's reference."""

    __tablename__ = "fund_claims"
    __table_args__ = (
        Index("ix_fund_claims_created_order", "created_at", "id"),
        Index("ix_fund_claims_partner_created_order", "partner_id", "created_at", "id"),
    )

    request_id: Mapped[str] = mapped_column(
        ForeignKey("fund_requests.id", ondelete="CASCADE"), unique=True
    )
    allocation_id: Mapped[str] = mapped_column(
        ForeignKey("fund_allocations.id", ondelete="CASCADE"), index=True
    )
    budget_id: Mapped[str] = mapped_column(ForeignKey("fund_budgets.id", ondelete="CASCADE"))
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    claimed_minor: Mapped[int] = mapped_column(BigInteger)
    approved_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    decision_note: Mapped[str | None] = mapped_column(Text)
    payment_reference: Mapped[str | None] = mapped_column(String(100))
    submitted_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column()
    paid_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)


class FundClaimProof(IdMixin, AttachedFile, Base):
    """A file proving a claimed activity took place: an invoice, a photo, an attendee list."""

    file_prefix = "claims"
    __tablename__ = "fund_claim_proofs"

    claim_id: Mapped[str] = mapped_column(
        ForeignKey("fund_claims.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    uploaded_at: Mapped[datetime] = mapped_column()


class FundProofUpload(IdMixin, FileOwner, Base):
    """A proof a partner sends straight to storage (a signed PUT) before claiming with it;
    used by the claim that attaches it, or collected once expired."""

    file_prefix = "claims"
    __tablename__ = "fund_proof_uploads"

    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    object_key: Mapped[str] = mapped_column(String(200), unique=True)
    file_name: Mapped[str] = mapped_column(String(255))
    declared_size: Mapped[int] = mapped_column(BigInteger)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column(index=True)
    # Set in the transaction that attaches it to a claim: its object is the proof's from then.
    used_at: Mapped[datetime | None] = mapped_column()

    @classmethod
    def keeps(cls, now: datetime) -> ColumnElement[bool]:
        return and_(cls.used_at.is_(None), cls.expires_at > now)

    @classmethod
    def expired(cls, cutoff: datetime) -> ColumnElement[bool] | None:
        return or_(cls.expires_at < cutoff, cls.used_at < cutoff)


class FundAttribution(IdMixin, AttributionMixin, Base):
    """A lead or a deal registration that came from a funded activity: the request it names
    as its source (one each), with who said so and when."""

    __tablename__ = "fund_attributions"
    __table_args__ = (
        CheckConstraint(
            "(lead_id IS NULL) <> (deal_registration_id IS NULL)",
            name="lead_or_deal_registration",
        ),
    )

    request_id: Mapped[str] = mapped_column(
        ForeignKey("fund_requests.id", ondelete="CASCADE"), index=True
    )
