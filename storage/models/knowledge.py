"""Knowledge: articles with categories and revisions, feedback and reads; best practices."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import AttachedFile, Base, IdMixin, TimestampMixin

# Made by the migration and kept out of the models (and of schema comparison): the SQLite
# FTS5 table of article search (with its shadow tables), and the PostgreSQL GIN index of
# to_tsvector('english', articles.search_document).
ARTICLES_FTS = "articles_fts"
ARTICLES_FULLTEXT_INDEX = "ix_articles_fulltext"


def is_search_machinery(name: str | None) -> bool:
    """Tables and indexes of full-text search that the models do not describe."""
    return name is not None and (name == ARTICLES_FULLTEXT_INDEX or name.startswith(ARTICLES_FTS))


class AudienceMixin:
    """Who among the partners may see a record: minimum tier, partner types, named partners."""

    min_tier_rank: Mapped[int] = mapped_column(Integer, default=0)
    # ",RESELLER,MSP," or "" for every type
    partner_types: Mapped[str] = mapped_column(String(200), default="")
    named_only: Mapped[bool] = mapped_column(Boolean, default=False)


class ArticleCategory(IdMixin, Base):
    """A node of the knowledge base's category tree."""

    __tablename__ = "article_categories"
    __table_args__ = (UniqueConstraint("parent_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("article_categories.id", ondelete="RESTRICT"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)


class Article(IdMixin, TimestampMixin, AudienceMixin, Base):
    __tablename__ = "articles"
    __table_args__ = (Index("ix_articles_status_published", "status", "published_at"),)

    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # title, tags and body: what full-text search looks at
    search_document: Mapped[str] = mapped_column(Text)
    category_id: Mapped[str | None] = mapped_column(
        ForeignKey("article_categories.id", ondelete="SET NULL"), index=True
    )
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    product_lines: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    published_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ArticlePartner(Base):
    """A partner named in an article's visibility."""

    __tablename__ = "article_partners"

    article_id: Mapped[str] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True
    )


class ArticleAsset(Base):
    """An asset related to an article, in the order given."""

    __tablename__ = "article_assets"

    article_id: Mapped[str] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    asset_id: Mapped[str] = mapped_column(
        ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)


class ArticleRevision(IdMixin, Base):
    """The article as it was after one change: who, when, which fields."""

    __tablename__ = "article_revisions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    changed_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(String(500))
    changed_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column()


class ArticleFeedback(Base):
    """One user's "was this helpful?" answer; answering again changes it."""

    __tablename__ = "article_feedback"

    article_id: Mapped[str] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    partner_id: Mapped[str | None] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    helpful: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(String(1000))
    answered_at: Mapped[datetime] = mapped_column()


class ArticleRead(Base):
    """How often a partner's users opened an article."""

    __tablename__ = "article_reads"

    article_id: Mapped[str] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True
    )
    views: Mapped[int] = mapped_column(BigInteger, default=0)
    last_viewed_at: Mapped[datetime] = mapped_column()


class ArticleReadDay(Base):
    """How many articles a partner's users opened on a day (its scorecard's reads)."""

    __tablename__ = "article_read_days"

    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    views: Mapped[int] = mapped_column(BigInteger, default=0)


class SearchMiss(Base):
    """A knowledge base search by a partner that found nothing: what is missing."""

    __tablename__ = "knowledge_search_misses"

    query: Mapped[str] = mapped_column(String(200), primary_key=True)
    misses: Mapped[int] = mapped_column(BigInteger, default=0)
    last_missed_at: Mapped[datetime] = mapped_column()


class BestPractice(IdMixin, TimestampMixin, AudienceMixin, Base):
    """A partner's contribution: problem, approach and outcome, reviewed by the vendor."""

    __tablename__ = "best_practices"
    __table_args__ = (Index("ix_best_practices_status_published", "status", "published_at"),)

    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    hide_author: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(Text)
    approach: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    product_lines: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16))
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    reject_reason: Mapped[str | None] = mapped_column(String(1000))
    reviewed_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    published_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)


class BestPracticePartner(Base):
    """A partner named in a best practice's visibility."""

    __tablename__ = "best_practice_partners"

    practice_id: Mapped[str] = mapped_column(
        ForeignKey("best_practices.id", ondelete="CASCADE"), primary_key=True
    )
    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True
    )


class BestPracticeAttachment(IdMixin, AttachedFile, Base):
    """A file attached to a best practice: uploaded with it, or an existing asset."""

    file_prefix = "practices"
    __tablename__ = "best_practice_attachments"

    practice_id: Mapped[str] = mapped_column(
        ForeignKey("best_practices.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    asset_id: Mapped[str | None] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))


class BestPracticeRating(Base):
    """One user's 1-5 rating of a best practice; rating again changes it."""

    __tablename__ = "best_practice_ratings"

    practice_id: Mapped[str] = mapped_column(
        ForeignKey("best_practices.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    stars: Mapped[int] = mapped_column(Integer)
    rated_at: Mapped[datetime] = mapped_column()


class BestPracticeComment(IdMixin, Base):
    __tablename__ = "best_practice_comments"
    __table_args__ = (Index("ix_best_practice_comments_practice", "practice_id", "created_at"),)

    practice_id: Mapped[str] = mapped_column(ForeignKey("best_practices.id", ondelete="CASCADE"))
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column()
