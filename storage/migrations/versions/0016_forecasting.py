"""Forecasting: opportunity stages, opportunities with their history, and partner commits.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 19:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "opportunity_stages",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("probability_percent", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_opportunity_stages")),
    )
    op.create_table(
        "opportunities",
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("lead_id", sa.String(length=32), nullable=True),
        sa.Column("deal_registration_id", sa.String(length=32), nullable=True),
        sa.Column("customer_company", sa.String(length=200), nullable=False),
        sa.Column("product_line", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("probability_percent", sa.Integer(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("expected_close", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("opportunities", "partner_id", "partners", "CASCADE"),
        _fk("opportunities", "lead_id", "leads", "CASCADE"),
        sa.ForeignKeyConstraint(
            ["deal_registration_id"],
            ["deal_registrations.id"],
            name=op.f("fk_opportunities_deal_registration_id_deal_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunities")),
    )
    with op.batch_alter_table("opportunities") as batch:
        batch.create_index("ix_opportunities_created_order", ["created_at", "id"])
        batch.create_index(
            "ix_opportunities_partner_created_order", ["partner_id", "created_at", "id"]
        )
        batch.create_index("ix_opportunities_partner_status", ["partner_id", "status"])
        batch.create_index("ix_opportunities_status_expected_close", ["status", "expected_close"])
        batch.create_index(batch.f("ix_opportunities_lead_id"), ["lead_id"])
        batch.create_index(
            batch.f("ix_opportunities_deal_registration_id"), ["deal_registration_id"]
        )
    op.create_table(
        "opportunity_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("opportunity_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("from_stage", sa.String(length=32), nullable=True),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("probability_percent", sa.Integer(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("expected_close", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("changed_by_id", sa.String(length=32), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        _fk("opportunity_changes", "opportunity_id", "opportunities", "CASCADE"),
        _fk("opportunity_changes", "changed_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_changes")),
    )
    op.create_index(
        op.f("ix_opportunity_changes_opportunity_id"), "opportunity_changes", ["opportunity_id"]
    )
    op.create_table(
        "forecast_commits",
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("period_label", sa.String(length=16), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("product_line", sa.String(length=64), nullable=False),
        sa.Column("commit_minor", sa.BigInteger(), nullable=False),
        sa.Column("best_case_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("submitted_by_id", sa.String(length=32), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        _fk("forecast_commits", "partner_id", "partners", "CASCADE"),
        _fk("forecast_commits", "submitted_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_commits")),
        sa.UniqueConstraint(
            "partner_id",
            "period_start",
            "period_end",
            "product_line",
            name=op.f("uq_forecast_commits_partner_id_period_start_period_end_product_line"),
        ),
    )
    op.create_index(
        "ix_forecast_commits_period", "forecast_commits", ["period_start", "period_end"]
    )


def downgrade() -> None:
    op.drop_table("forecast_commits")
    op.drop_table("opportunity_changes")
    op.drop_table("opportunities")
    op.drop_table("opportunity_stages")
