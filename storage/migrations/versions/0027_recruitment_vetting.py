"""Recruitment vetting: stages, each application's owner and stage, notes, documents.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 10:03:33.382553
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recruitment_stages",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_recruitment_stages")),
    )
    op.create_table(
        "application_documents",
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("object_key", sa.String(length=200), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.String(length=32), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_application_documents_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_application_documents_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_documents")),
        sa.UniqueConstraint("object_key", name=op.f("uq_application_documents_object_key")),
    )
    op.create_index(
        "ix_application_documents_partner",
        "application_documents",
        ["partner_id", "uploaded_at"],
        unique=False,
    )

    op.create_table(
        "application_notes",
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_application_notes_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_application_notes_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_notes")),
    )
    op.create_index(
        "ix_application_notes_partner",
        "application_notes",
        ["partner_id", "created_at"],
        unique=False,
    )

    op.create_table(
        "partner_applications",
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=True),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_partner_applications_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_partner_applications_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("partner_id", name=op.f("pk_partner_applications")),
    )
    op.create_index(
        op.f("ix_partner_applications_owner_id"), "partner_applications", ["owner_id"], unique=False
    )
    op.create_index(
        op.f("ix_partner_applications_stage"), "partner_applications", ["stage"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_partner_applications_stage"), table_name="partner_applications")
    op.drop_index(op.f("ix_partner_applications_owner_id"), table_name="partner_applications")

    op.drop_table("partner_applications")
    op.drop_index("ix_application_notes_partner", table_name="application_notes")

    op.drop_table("application_notes")
    op.drop_index("ix_application_documents_partner", table_name="application_documents")

    op.drop_table("application_documents")
    op.drop_table("recruitment_stages")
