"""Change counters: bumped by each committed transaction that changes what a process caches
(the routing index), so every process can tell its copy is out of date.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 09:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    counters = op.create_table(
        "change_counters",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_change_counters")),
    )
    op.bulk_insert(counters, [{"name": "routing", "value": 0}])


def downgrade() -> None:
    op.drop_table("change_counters")
