"""Product lines: the vendor-managed list of codes, filled from the codes already in use.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 13:40:00.000000
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Every column that holds one product-line code, and every JSON list of them.
SINGLE = (
    ("products", "product_line"),
    ("leads", "product_line"),
    ("deal_registrations", "product_line"),
    ("partner_specializations", "product_line"),
    ("certification_definitions", "product_line"),
    ("tier_requirements", "product_line"),
)
LISTS = (
    ("courses", "product_lines"),
    ("assets", "product_lines"),
    ("articles", "product_lines"),
    ("best_practices", "product_lines"),
    ("routing_settings", "required_certifications"),
)


def upgrade() -> None:
    product_lines = op.create_table(
        "product_lines",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_product_lines")),
    )
    bind = op.get_bind()
    codes: set[str] = set()
    for table, column in SINGLE:
        codes.update(
            code for (code,) in bind.execute(sa.text(f"SELECT DISTINCT {column} FROM {table}"))
        )
    for table, column in LISTS:
        for (value,) in bind.execute(sa.text(f"SELECT {column} FROM {table}")):
            listed = json.loads(value) if isinstance(value, str) else value
            codes.update(listed or ())
    now = datetime.now(UTC)
    rows = [
        {
            "code": code,
            "name": code.replace("_", " ").capitalize(),
            "description": None,
            "active": True,
            "created_at": now,
            "updated_at": now,
        }
        for code in sorted(code for code in codes if code)
    ]
    if rows:
        op.bulk_insert(product_lines, rows)


def downgrade() -> None:
    op.drop_table("product_lines")
