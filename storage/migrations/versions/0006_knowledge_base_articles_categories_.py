"""Knowledge base: articles, categories, revisions, feedback, reads, search; best practices.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 15:45:45.920566
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article_categories",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("parent_id", sa.String(length=32), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["article_categories.id"],
            name=op.f("fk_article_categories_parent_id_article_categories"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_categories")),
        sa.UniqueConstraint("parent_id", "name", name=op.f("uq_article_categories_parent_id_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_article_categories_slug")),
    )
    with op.batch_alter_table("article_categories", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_article_categories_parent_id"), ["parent_id"], unique=False
        )

    op.create_table(
        "knowledge_search_misses",
        sa.Column("query", sa.String(length=200), nullable=False),
        sa.Column("misses", sa.BigInteger(), nullable=False),
        sa.Column("last_missed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("query", name=op.f("pk_knowledge_search_misses")),
    )
    op.create_table(
        "articles",
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("search_document", sa.Text(), nullable=False),
        sa.Column("category_id", sa.String(length=32), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("product_lines", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.String(length=32), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("min_tier_rank", sa.Integer(), nullable=False),
        sa.Column("partner_types", sa.String(length=200), nullable=False),
        sa.Column("named_only", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["article_categories.id"],
            name=op.f("fk_articles_category_id_article_categories"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_articles_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_articles")),
        sa.UniqueConstraint("slug", name=op.f("uq_articles_slug")),
    )
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_articles_category_id"), ["category_id"], unique=False)
        batch_op.create_index(
            "ix_articles_status_published", ["status", "published_at"], unique=False
        )

    op.create_table(
        "best_practices",
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=True),
        sa.Column("hide_author", sa.Boolean(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("approach", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("product_lines", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("featured", sa.Boolean(), nullable=False),
        sa.Column("reject_reason", sa.String(length=1000), nullable=True),
        sa.Column("reviewed_by_id", sa.String(length=32), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("min_tier_rank", sa.Integer(), nullable=False),
        sa.Column("partner_types", sa.String(length=200), nullable=False),
        sa.Column("named_only", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_best_practices_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_best_practices_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["users.id"],
            name=op.f("fk_best_practices_reviewed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_best_practices")),
    )
    with op.batch_alter_table("best_practices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_best_practices_partner_id"), ["partner_id"], unique=False
        )
        batch_op.create_index(
            "ix_best_practices_status_published", ["status", "published_at"], unique=False
        )

    op.create_table(
        "article_assets",
        sa.Column("article_id", sa.String(length=32), nullable=False),
        sa.Column("asset_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_assets_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_article_assets_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "asset_id", name=op.f("pk_article_assets")),
    )
    op.create_table(
        "article_feedback",
        sa.Column("article_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=True),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_feedback_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_article_feedback_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_article_feedback_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "user_id", name=op.f("pk_article_feedback")),
    )
    op.create_table(
        "article_partners",
        sa.Column("article_id", sa.String(length=32), nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_partners_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_article_partners_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "partner_id", name=op.f("pk_article_partners")),
    )
    op.create_table(
        "article_reads",
        sa.Column("article_id", sa.String(length=32), nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("views", sa.BigInteger(), nullable=False),
        sa.Column("last_viewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_reads_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_article_reads_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "partner_id", name=op.f("pk_article_reads")),
    )
    op.create_table(
        "article_revisions",
        sa.Column("article_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("changed_fields", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("changed_by_id", sa.String(length=32), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_revisions_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["users.id"],
            name=op.f("fk_article_revisions_changed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_revisions")),
        sa.UniqueConstraint(
            "article_id", "number", name=op.f("uq_article_revisions_article_id_number")
        ),
    )
    op.create_table(
        "best_practice_attachments",
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.String(length=32), nullable=True),
        sa.Column("object_key", sa.String(length=200), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_best_practice_attachments_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["best_practices.id"],
            name=op.f("fk_best_practice_attachments_practice_id_best_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_best_practice_attachments")),
        sa.UniqueConstraint("object_key", name=op.f("uq_best_practice_attachments_object_key")),
    )
    with op.batch_alter_table("best_practice_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_best_practice_attachments_practice_id"), ["practice_id"], unique=False
        )

    op.create_table(
        "best_practice_comments",
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=True),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_best_practice_comments_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_best_practice_comments_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["best_practices.id"],
            name=op.f("fk_best_practice_comments_practice_id_best_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_best_practice_comments")),
    )
    with op.batch_alter_table("best_practice_comments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_best_practice_comments_practice", ["practice_id", "created_at"], unique=False
        )

    op.create_table(
        "best_practice_partners",
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_best_practice_partners_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["best_practices.id"],
            name=op.f("fk_best_practice_partners_practice_id_best_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "practice_id", "partner_id", name=op.f("pk_best_practice_partners")
        ),
    )
    op.create_table(
        "best_practice_ratings",
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["best_practices.id"],
            name=op.f("fk_best_practice_ratings_practice_id_best_practices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_best_practice_ratings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("practice_id", "user_id", name=op.f("pk_best_practice_ratings")),
    )

    _create_search_machinery()


def downgrade() -> None:
    _drop_search_machinery()
    op.drop_table("best_practice_ratings")
    op.drop_table("best_practice_partners")
    with op.batch_alter_table("best_practice_comments", schema=None) as batch_op:
        batch_op.drop_index("ix_best_practice_comments_practice")

    op.drop_table("best_practice_comments")
    with op.batch_alter_table("best_practice_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_best_practice_attachments_practice_id"))

    op.drop_table("best_practice_attachments")
    op.drop_table("article_revisions")
    op.drop_table("article_reads")
    op.drop_table("article_partners")
    op.drop_table("article_feedback")
    op.drop_table("article_assets")
    with op.batch_alter_table("best_practices", schema=None) as batch_op:
        batch_op.drop_index("ix_best_practices_status_published")
        batch_op.drop_index(batch_op.f("ix_best_practices_partner_id"))

    op.drop_table("best_practices")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index("ix_articles_status_published")
        batch_op.drop_index(batch_op.f("ix_articles_category_id"))

    op.drop_table("articles")
    op.drop_table("knowledge_search_misses")
    with op.batch_alter_table("article_categories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_categories_parent_id"))

    op.drop_table("article_categories")


def _create_search_machinery() -> None:
    """Full-text search the models do not describe: FTS5 on SQLite, a GIN index on PostgreSQL."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_articles_fulltext ON articles "
            "USING gin (to_tsvector('english'::regconfig, search_document))"
        )
    else:
        op.execute(
            "CREATE VIRTUAL TABLE articles_fts USING fts5("
            "article_id UNINDEXED, title, document, tokenize = 'porter unicode61')"
        )


def _drop_search_machinery() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_articles_fulltext")
    else:
        op.execute("DROP TABLE IF EXISTS articles_fts")
