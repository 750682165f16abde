"""Indexes that answer the scorecards and the 80/20 view without reading the tables.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 13:30:00.000000

The monthly rollups' month index carries the currency and the reporting sums, so a period's
revenue per partner (the rank) or per product line is read from the index alone; a partner's
ended offers carry how and when they began; a page of partners' closed opportunities is read
per partner rather than over every partner's closing days.
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

SUMS = ["currency", "reporting_minor", "unconverted_minor"]
# (name, table, columns before, columns after); None: the index is new.
CHANGES: list[tuple[str, str, list[str] | None, list[str]]] = [
    (
        "ix_partner_revenue_months_month",
        "partner_revenue_months",
        ["month", "partner_id"],
        ["month", "partner_id", *SUMS],
    ),
    (
        "ix_line_revenue_months_month",
        "line_revenue_months",
        ["month", "product_line"],
        ["month", "product_line", *SUMS],
    ),
    (
        "ix_lead_assignments_partner_outcome",
        "lead_assignments",
        ["partner_id", "outcome_at"],
        ["partner_id", "outcome_at", "outcome", "offered_at"],
    ),
    ("ix_opportunities_partner_closed", "opportunities", None, ["partner_id", "closed_at"]),
]


def upgrade() -> None:
    for name, table, before, after in CHANGES:
        if before is not None:
            op.drop_index(name, table_name=table)
        op.create_index(name, table, after)


def downgrade() -> None:
    for name, table, before, _ in CHANGES:
        op.drop_index(name, table_name=table)
        if before is not None:
            op.create_index(name, table, before)
