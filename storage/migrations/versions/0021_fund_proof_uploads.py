"""Proofs of performance sent straight to storage before the claim that attaches them.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 20:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fund_proof_uploads",
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("object_key", sa.String(length=200), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("declared_size", sa.BigInteger(), nullable=False),
        sa.Column("created_by_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_fund_proof_uploads_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_fund_proof_uploads_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_proof_uploads")),
        sa.UniqueConstraint("object_key", name=op.f("uq_fund_proof_uploads_object_key")),
    )
    op.create_index(
        op.f("ix_fund_proof_uploads_partner_id"),
        "fund_proof_uploads",
        ["partner_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_fund_proof_uploads_expires_at"),
        "fund_proof_uploads",
        ["expires_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_fund_proof_uploads_expires_at"), table_name="fund_proof_uploads")
    op.drop_index(op.f("ix_fund_proof_uploads_partner_id"), table_name="fund_proof_uploads")
    op.drop_table("fund_proof_uploads")
