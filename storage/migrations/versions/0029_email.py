"""email

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 12:48:08.560116
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "email_feed",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column(
            "fed_through", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_feed")),
    )
    op.create_table(
        "email_digest_items",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=False),
        sa.Column("line", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("digest_id", sa.String(length=32), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_email_digest_items_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_digest_items")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_email_digest_items_dedupe_key")),
    )
    op.create_index(
        "ix_email_digest_items_user_pending",
        "email_digest_items",
        ["user_id", "digest_id"],
        unique=False,
    )

    op.create_table(
        "email_messages",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("organization_id", sa.String(length=32), nullable=True),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_token", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("unless", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_email_messages_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_email_messages_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_messages")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_email_messages_dedupe_key")),
    )
    op.create_index(
        "ix_email_messages_status_due",
        "email_messages",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_index(
        "ix_email_messages_user_created",
        "email_messages",
        ["user_id", "created_at", "id"],
        unique=False,
    )

    op.create_table(
        "email_preferences",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_email_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_email_preferences")),
    )
    op.add_column(
        "leads", sa.Column("offer_reminded_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "organizations",
        sa.Column("language", sa.String(length=8), server_default="en", nullable=False),
    )

    # Email starts with the events after this upgrade: none of the past is sent.
    op.execute(
        "INSERT INTO email_feed (id, fed_through) SELECT 'email', COALESCE(MAX(id), 0) FROM events"
    )


def downgrade() -> None:
    with op.batch_alter_table("organizations") as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("leads") as batch_op:
        batch_op.drop_column("offer_reminded_at")

    op.drop_table("email_preferences")
    op.drop_index("ix_email_messages_user_created", table_name="email_messages")
    op.drop_index("ix_email_messages_status_due", table_name="email_messages")

    op.drop_table("email_messages")
    op.drop_index("ix_email_digest_items_user_pending", table_name="email_digest_items")

    op.drop_table("email_digest_items")
    op.drop_table("email_feed")
