"""Training: courses and lessons, enrolments with progress and attempts, certifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, IdMixin, TimestampMixin


class Course(IdMixin, TimestampMixin, Base):
    __tablename__ = "courses"

    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    product_lines: Mapped[list[str]] = mapped_column(JSON, default=list)
    estimated_minutes: Mapped[int] = mapped_column(Integer)
    min_tier_rank: Mapped[int] = mapped_column(Integer, default=0)
    published: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # The assessment, when the course has one: the questions hold the answer key.
    pass_mark: Mapped[int | None] = mapped_column(Integer)
    max_attempts: Mapped[int | None] = mapped_column(Integer)
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Lesson(IdMixin, Base):
    """One lesson of a course: an asset, an external URL or a knowledge-base article."""

    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("course_id", "position"),)

    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    module_index: Mapped[int] = mapped_column(Integer)
    module_title: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    asset_id: Mapped[str | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    url: Mapped[str | None] = mapped_column(String(300))
    article_id: Mapped[str | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))


class Enrolment(IdMixin, Base):
    """A user taking a course; taking it again after completing it is a new cycle."""

    __tablename__ = "enrolments"
    __table_args__ = (
        UniqueConstraint("course_id", "user_id", "cycle"),
        Index("ix_enrolments_organization_enrolled", "organization_id", "enrolled_at"),
    )

    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    cycle: Mapped[int] = mapped_column(Integer, default=1)
    enrolled_at: Mapped[datetime] = mapped_column()
    passed_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()


class LessonProgress(Base):
    __tablename__ = "lesson_progress"

    enrolment_id: Mapped[str] = mapped_column(
        ForeignKey("enrolments.id", ondelete="CASCADE"), primary_key=True
    )
    lesson_id: Mapped[str] = mapped_column(
        ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True
    )
    completed_at: Mapped[datetime] = mapped_column()


class AssessmentAttempt(IdMixin, Base):
    __tablename__ = "assessment_attempts"
    __table_args__ = (UniqueConstraint("enrolment_id", "number"),)

    enrolment_id: Mapped[str] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, list[int]]] = mapped_column(JSON)
    score: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    wrong_questions: Mapped[list[str]] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column()


class CertificationDefinition(IdMixin, TimestampMixin, Base):
    """What a certification takes (courses) and proves (a product line), and for how long."""

    __tablename__ = "certification_definitions"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    product_line: Mapped[str] = mapped_column(String(64), index=True)
    validity_days: Mapped[int] = mapped_column(Integer)
    renewal_course_id: Mapped[str | None] = mapped_column(
        ForeignKey("courses.id", ondelete="SET NULL")
    )


class CertificationCourse(Base):
    """A course required by a certification."""

    __tablename__ = "certification_courses"

    definition_id: Mapped[str] = mapped_column(
        ForeignKey("certification_definitions.id", ondelete="CASCADE"), primary_key=True
    )
    course_id: Mapped[str] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Certification(IdMixin, Base):
    """A certification held by a user: one row per user and definition, renewed in place."""

    __tablename__ = "certifications"
    __table_args__ = (
        UniqueConstraint("definition_id", "user_id"),
        Index("ix_certifications_organization_expires", "organization_id", "expires_at"),
    )

    definition_id: Mapped[str] = mapped_column(
        ForeignKey("certification_definitions.id", ondelete="CASCADE")
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    first_issued_at: Mapped[datetime] = mapped_column()
    issued_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column(index=True)
    renewals: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expiring_notified_at: Mapped[datetime | None] = mapped_column()
    expired_notified_at: Mapped[datetime | None] = mapped_column()


class TierRequirement(Base):
    """How many users certified for a product line a partner needs to hold a tier."""

    __tablename__ = "tier_requirements"

    tier: Mapped[str] = mapped_column(String(16), primary_key=True)
    product_line: Mapped[str] = mapped_column(String(64), primary_key=True)
    certified_users: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column()
