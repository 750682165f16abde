"""An index in the partner directory's order: lower(name), then id.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 14:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.create_index(
            "ix_partners_name_order", [sa.text("lower(name)"), "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.drop_index("ix_partners_name_order")
