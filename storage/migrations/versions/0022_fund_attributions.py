"""Leads and deal registrations naming the funded activity they came from.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 20:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fund_attributions",
        sa.Column("request_id", sa.String(length=32), nullable=False),
        sa.Column("lead_id", sa.String(length=32), nullable=True),
        sa.Column("deal_registration_id", sa.String(length=32), nullable=True),
        sa.Column("attributed_by_id", sa.String(length=32), nullable=True),
        sa.Column("attributed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.CheckConstraint(
            "(lead_id IS NULL) <> (deal_registration_id IS NULL)",
            name=op.f("ck_fund_attributions_lead_or_deal_registration"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["fund_requests.id"],
            name=op.f("fk_fund_attributions_request_id_fund_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_fund_attributions_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deal_registration_id"],
            ["deal_registrations.id"],
            name=op.f("fk_fund_attributions_deal_registration_id_deal_registrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["attributed_by_id"],
            ["users.id"],
            name=op.f("fk_fund_attributions_attributed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_attributions")),
        sa.UniqueConstraint("lead_id", name=op.f("uq_fund_attributions_lead_id")),
        sa.UniqueConstraint(
            "deal_registration_id", name=op.f("uq_fund_attributions_deal_registration_id")
        ),
    )
    op.create_index(
        op.f("ix_fund_attributions_request_id"), "fund_attributions", ["request_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_fund_attributions_request_id"), table_name="fund_attributions")
    op.drop_table("fund_attributions")
