"""Article reads per partner and day, for the scorecard's knowledge-base reads.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 13:20:00.000000

Reads counted before this revision are kept on the day of each article's last read.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article_read_days",
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("views", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_article_read_days_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("partner_id", "day", name=op.f("pk_article_read_days")),
    )
    reads = sa.table(
        "article_reads",
        sa.column("partner_id", sa.String),
        sa.column("views", sa.BigInteger),
        sa.column("last_viewed_at", sa.DateTime),
    )
    days = sa.table(
        "article_read_days",
        sa.column("partner_id", sa.String),
        sa.column("day", sa.Date),
        sa.column("views", sa.BigInteger),
    )
    read_day = sa.func.date(reads.c.last_viewed_at)
    op.execute(
        days.insert().from_select(
            ["partner_id", "day", "views"],
            sa.select(reads.c.partner_id, read_day, sa.func.sum(reads.c.views)).group_by(
                reads.c.partner_id, read_day
            ),
        )
    )


def downgrade() -> None:
    op.drop_table("article_read_days")
