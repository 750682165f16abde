"""Incentive programs: rules, balances, the ledger of accruals and clawbacks, payouts.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 09:25:27.716199
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incentive_programs",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.String(length=32), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_incentive_programs_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incentive_programs")),
    )
    op.create_index(
        "ix_incentive_programs_created_order",
        "incentive_programs",
        ["created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_incentive_programs_status"), "incentive_programs", ["status"], unique=False
    )

    op.create_table(
        "incentive_balances",
        sa.Column("program_id", sa.String(length=32), nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("earned_minor", sa.BigInteger(), nullable=False),
        sa.Column("paid_minor", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_incentive_balances_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["incentive_programs.id"],
            name=op.f("fk_incentive_balances_program_id_incentive_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("program_id", "partner_id", name=op.f("pk_incentive_balances")),
    )
    op.create_index(
        op.f("ix_incentive_balances_partner_id"), "incentive_balances", ["partner_id"], unique=False
    )

    op.create_table(
        "incentive_payouts",
        sa.Column("program_id", sa.String(length=32), nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.String(length=32), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_incentive_payouts_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["incentive_programs.id"],
            name=op.f("fk_incentive_payouts_program_id_incentive_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_incentive_payouts_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incentive_payouts")),
        sa.UniqueConstraint(
            "program_id",
            "partner_id",
            "reference",
            name=op.f("uq_incentive_payouts_program_id_partner_id_reference"),
        ),
    )
    op.create_index(
        "ix_incentive_payouts_program_partner",
        "incentive_payouts",
        ["program_id", "partner_id"],
        unique=False,
    )

    op.create_table(
        "incentive_rules",
        sa.Column("program_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("product_line", sa.String(length=64), nullable=True),
        sa.Column("tier", sa.String(length=16), nullable=True),
        sa.Column("rate", sa.BigInteger(), nullable=False),
        sa.Column("threshold", sa.BigInteger(), nullable=False),
        sa.Column("accelerator_from", sa.BigInteger(), nullable=True),
        sa.Column("accelerated_rate", sa.BigInteger(), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["incentive_programs.id"],
            name=op.f("fk_incentive_rules_program_id_incentive_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incentive_rules")),
    )
    op.create_index(
        op.f("ix_incentive_rules_program_id"), "incentive_rules", ["program_id"], unique=False
    )

    op.create_table(
        "incentive_accruals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("program_id", sa.String(length=32), nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("rule_id", sa.String(length=32), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("basis", sa.BigInteger(), nullable=False),
        sa.Column("cause", sa.String(length=20), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=True),
        sa.Column("opportunity_id", sa.String(length=32), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_incentive_accruals_opportunity_id_opportunities"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_incentive_accruals_order_id_orders"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_incentive_accruals_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["incentive_programs.id"],
            name=op.f("fk_incentive_accruals_program_id_incentive_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["incentive_rules.id"],
            name=op.f("fk_incentive_accruals_rule_id_incentive_rules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incentive_accruals")),
    )
    op.create_index(
        "ix_incentive_accruals_program_partner",
        "incentive_accruals",
        ["program_id", "partner_id", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_incentive_accruals_program_partner", table_name="incentive_accruals")

    op.drop_table("incentive_accruals")
    op.drop_index(op.f("ix_incentive_rules_program_id"), table_name="incentive_rules")

    op.drop_table("incentive_rules")
    op.drop_index("ix_incentive_payouts_program_partner", table_name="incentive_payouts")

    op.drop_table("incentive_payouts")
    op.drop_index(op.f("ix_incentive_balances_partner_id"), table_name="incentive_balances")

    op.drop_table("incentive_balances")
    op.drop_index(op.f("ix_incentive_programs_status"), table_name="incentive_programs")
    op.drop_index("ix_incentive_programs_created_order", table_name="incentive_programs")

    op.drop_table("incentive_programs")
