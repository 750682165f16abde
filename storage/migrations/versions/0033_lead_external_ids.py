"""Lead external ids: the vendor CRM's id of a lead, unique where set (upsertLeads finds the
lead by it).

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07 16:30:03.960951
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("leads", sa.Column("external_id", sa.String(length=100), nullable=True))
    op.create_index("ix_leads_external_id", "leads", ["external_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_leads_external_id", table_name="leads")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("external_id")
