"""Monthly revenue rollups beside the daily ones, and the indexes the scorecards read by.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 22:00:00.000000

The monthly tables are filled from the daily ones: the same figures, summed per month.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

SUMS = ("revenue_minor", "reporting_minor", "unconverted_minor")
INDEXES = [
    ("ix_lead_assignments_partner_offered", "lead_assignments", ["partner_id", "offered_at"]),
    ("ix_lead_assignments_partner_outcome", "lead_assignments", ["partner_id", "outcome_at"]),
    ("ix_deal_registrations_partner_decided", "deal_registrations", ["partner_id", "decided_at"]),
    ("ix_opportunities_closed_partner", "opportunities", ["closed_at", "partner_id"]),
    ("ix_asset_downloads_partner_issued", "asset_downloads", ["partner_id", "issued_at"]),
]


def _month_table(name: str, *, by_line: bool) -> None:
    keys = ["partner_id", "month", *(["product_line"] if by_line else []), "currency"]
    op.create_table(
        name,
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        *([sa.Column("product_line", sa.String(length=64), nullable=False)] if by_line else []),
        sa.Column("currency", sa.String(length=3), nullable=False),
        *(
            []
            if by_line
            else [
                sa.Column("delivered_orders", sa.Integer(), nullable=False),
                sa.Column("returned_orders", sa.Integer(), nullable=False),
            ]
        ),
        *[sa.Column(column, sa.BigInteger(), nullable=False) for column in SUMS],
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f(f"fk_{name}_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(*keys, name=op.f(f"pk_{name}")),
    )
    op.create_index(
        f"ix_{name}_month", name, ["month", "product_line" if by_line else "partner_id"]
    )
    days = name.replace("_months", "_days")
    month = (
        "CAST(date_trunc('month', day) AS DATE)"
        if op.get_bind().dialect.name == "postgresql"
        else "date(day, 'start of month')"
    )
    grouped = ", ".join(key for key in keys if key != "month")
    counts = [] if by_line else ["delivered_orders", "returned_orders"]
    summed = ", ".join(f"SUM({column})" for column in [*counts, *SUMS])
    op.execute(
        f"INSERT INTO {name} ({grouped}, month, {', '.join([*counts, *SUMS])}) "
        f"SELECT {grouped}, {month}, {summed} FROM {days} GROUP BY {grouped}, {month}"
    )


def upgrade() -> None:
    _month_table("partner_revenue_months", by_line=False)
    _month_table("line_revenue_months", by_line=True)
    op.drop_index("ix_lead_assignments_partner_id", table_name="lead_assignments")
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
    op.create_index("ix_lead_assignments_partner_id", "lead_assignments", ["partner_id"])
    op.drop_table("line_revenue_months")
    op.drop_table("partner_revenue_months")
