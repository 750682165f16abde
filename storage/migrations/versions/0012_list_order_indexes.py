"""Indexes in the order of the lead, order and deal registration lists: (created_at, id), and
(partner_id, created_at, id), which also serves every lookup by partner_id alone (it replaces
the single-column partner_id indexes).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 17:45:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLES = ("leads", "orders", "deal_registrations")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}_created_order", ["created_at", "id"], unique=False)
            batch_op.create_index(
                f"ix_{table}_partner_created_order",
                ["partner_id", "created_at", "id"],
                unique=False,
            )
            batch_op.drop_index(f"ix_{table}_partner_id")


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}_partner_id", ["partner_id"], unique=False)
            batch_op.drop_index(f"ix_{table}_partner_created_order")
            batch_op.drop_index(f"ix_{table}_created_order")
