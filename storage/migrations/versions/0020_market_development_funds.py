"""Market development funds: budgets, partners' allocations, fund requests, and claims
with their proofs of performance.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 13:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fund_budgets",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("allocated_minor", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claim_window_days", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.String(length=32), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_fund_budgets_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_budgets")),
    )
    op.create_index(
        "ix_fund_budgets_created_order", "fund_budgets", ["created_at", "id"], unique=False
    )
    op.create_table(
        "fund_allocations",
        sa.Column("budget_id", sa.String(length=32), nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("reserved_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("allocated_by_id", sa.String(length=32), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["allocated_by_id"],
            ["users.id"],
            name=op.f("fk_fund_allocations_allocated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["budget_id"],
            ["fund_budgets.id"],
            name=op.f("fk_fund_allocations_budget_id_fund_budgets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_fund_allocations_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_allocations")),
        sa.UniqueConstraint(
            "budget_id", "partner_id", name=op.f("uq_fund_allocations_budget_id_partner_id")
        ),
    )
    op.create_index(
        "ix_fund_allocations_partner", "fund_allocations", ["partner_id", "budget_id"], unique=False
    )
    op.create_table(
        "fund_requests",
        sa.Column("allocation_id", sa.String(length=32), nullable=False),
        sa.Column("budget_id", sa.String(length=32), nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("activity_type", sa.String(length=16), nullable=False),
        sa.Column("activity_starts_on", sa.Date(), nullable=False),
        sa.Column("activity_ends_on", sa.Date(), nullable=False),
        sa.Column("requested_minor", sa.BigInteger(), nullable=False),
        sa.Column("approved_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("expected_leads", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("submitted_by_id", sa.String(length=32), nullable=True),
        sa.Column("decided_by_id", sa.String(length=32), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["fund_allocations.id"],
            name=op.f("fk_fund_requests_allocation_id_fund_allocations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["budget_id"],
            ["fund_budgets.id"],
            name=op.f("fk_fund_requests_budget_id_fund_budgets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_fund_requests_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_fund_requests_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["users.id"],
            name=op.f("fk_fund_requests_submitted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_requests")),
    )
    op.create_index(
        "ix_fund_requests_allocation_status",
        "fund_requests",
        ["allocation_id", "status"],
        unique=False,
    )
    op.create_index(
        "ix_fund_requests_created_order", "fund_requests", ["created_at", "id"], unique=False
    )
    op.create_index(
        "ix_fund_requests_partner_created_order",
        "fund_requests",
        ["partner_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "fund_claims",
        sa.Column("request_id", sa.String(length=32), nullable=False),
        sa.Column("allocation_id", sa.String(length=32), nullable=False),
        sa.Column("budget_id", sa.String(length=32), nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("claimed_minor", sa.BigInteger(), nullable=False),
        sa.Column("approved_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("payment_reference", sa.String(length=100), nullable=True),
        sa.Column("submitted_by_id", sa.String(length=32), nullable=True),
        sa.Column("decided_by_id", sa.String(length=32), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["fund_allocations.id"],
            name=op.f("fk_fund_claims_allocation_id_fund_allocations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["budget_id"],
            ["fund_budgets.id"],
            name=op.f("fk_fund_claims_budget_id_fund_budgets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_fund_claims_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_fund_claims_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["fund_requests.id"],
            name=op.f("fk_fund_claims_request_id_fund_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["users.id"],
            name=op.f("fk_fund_claims_submitted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_claims")),
        sa.UniqueConstraint("request_id", name=op.f("uq_fund_claims_request_id")),
    )
    op.create_index(
        op.f("ix_fund_claims_allocation_id"), "fund_claims", ["allocation_id"], unique=False
    )
    op.create_index(
        "ix_fund_claims_created_order", "fund_claims", ["created_at", "id"], unique=False
    )
    op.create_index(
        "ix_fund_claims_partner_created_order",
        "fund_claims",
        ["partner_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "fund_claim_proofs",
        sa.Column("claim_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("object_key", sa.String(length=200), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["fund_claims.id"],
            name=op.f("fk_fund_claim_proofs_claim_id_fund_claims"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_claim_proofs")),
        sa.UniqueConstraint("object_key", name=op.f("uq_fund_claim_proofs_object_key")),
    )
    op.create_index(
        op.f("ix_fund_claim_proofs_claim_id"), "fund_claim_proofs", ["claim_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_fund_claim_proofs_claim_id"), table_name="fund_claim_proofs")
    op.drop_table("fund_claim_proofs")
    op.drop_index("ix_fund_claims_partner_created_order", table_name="fund_claims")
    op.drop_index("ix_fund_claims_created_order", table_name="fund_claims")
    op.drop_index(op.f("ix_fund_claims_allocation_id"), table_name="fund_claims")
    op.drop_table("fund_claims")
    op.drop_index("ix_fund_requests_partner_created_order", table_name="fund_requests")
    op.drop_index("ix_fund_requests_created_order", table_name="fund_requests")
    op.drop_index("ix_fund_requests_allocation_status", table_name="fund_requests")
    op.drop_table("fund_requests")
    op.drop_index("ix_fund_allocations_partner", table_name="fund_allocations")
    op.drop_table("fund_allocations")
    op.drop_index("ix_fund_budgets_created_order", table_name="fund_budgets")
    op.drop_table("fund_budgets")
