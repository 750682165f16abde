"""Persisted queries: documents by SHA-256 (APQ registrations and imported manifests).

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-08 03:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "persisted_queries",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("document_id", sa.String(length=200), nullable=True),
        sa.Column("operation_name", sa.String(length=200), nullable=True),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("registered_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_persisted_queries")),
        sa.UniqueConstraint("document_id", name=op.f("uq_persisted_queries_document_id")),
    )
    op.create_index(
        "ix_persisted_queries_registered_by_created_at",
        "persisted_queries",
        ["registered_by", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_persisted_queries_registered_by_created_at", table_name="persisted_queries")
    op.drop_table("persisted_queries")
