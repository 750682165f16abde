"""Channel analytics: the reporting currency, exchange rates, and daily revenue rollups per
partner (and per partner and product line), kept in the order write transactions.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 17:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _sums() -> list[sa.Column[int]]:
    return [
        sa.Column(name, sa.BigInteger(), nullable=False)
        for name in ("revenue_minor", "reporting_minor", "unconverted_minor")
    ]


def upgrade() -> None:
    op.create_table(
        "analytics_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reporting_currency", sa.String(length=3), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_settings")),
    )
    op.create_table(
        "exchange_rates",
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("rate", sa.String(length=32), nullable=False),
        sa.Column("set_by_id", sa.String(length=32), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_by_id"],
            ["users.id"],
            name=op.f("fk_exchange_rates_set_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("currency", "valid_from", name=op.f("pk_exchange_rates")),
    )
    op.create_table(
        "partner_revenue_days",
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("delivered_orders", sa.Integer(), nullable=False),
        sa.Column("returned_orders", sa.Integer(), nullable=False),
        *_sums(),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_partner_revenue_days_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "partner_id", "day", "currency", name=op.f("pk_partner_revenue_days")
        ),
    )
    op.create_index("ix_partner_revenue_days_day", "partner_revenue_days", ["day", "partner_id"])
    op.create_table(
        "line_revenue_days",
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("product_line", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        *_sums(),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_line_revenue_days_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "partner_id", "day", "product_line", "currency", name=op.f("pk_line_revenue_days")
        ),
    )
    op.create_index("ix_line_revenue_days_day", "line_revenue_days", ["day", "product_line"])


def downgrade() -> None:
    op.drop_table("line_revenue_days")
    op.drop_table("partner_revenue_days")
    op.drop_table("exchange_rates")
    op.drop_table("analytics_settings")
