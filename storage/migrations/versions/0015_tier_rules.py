"""Tier rules: the revenue and win rate each tier asks for, checked by tier recommendations.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 17:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tier_rules",
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("min_revenue_minor", sa.BigInteger(), nullable=False),
        sa.Column("min_win_rate_bp", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tier", name=op.f("pk_tier_rules")),
    )


def downgrade() -> None:
    op.drop_table("tier_rules")
