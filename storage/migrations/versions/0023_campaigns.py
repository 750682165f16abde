"""Vendor campaigns: audience, kit, opted-in partners, and leads and registrations from them.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 04:47:31.461141
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("landing_text", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.String(length=32), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("min_tier_rank", sa.Integer(), nullable=False),
        sa.Column("partner_types", sa.String(length=200), nullable=False),
        sa.Column("named_only", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_campaigns_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_index("ix_campaigns_created_order", "campaigns", ["created_at", "id"], unique=False)
    op.create_index(op.f("ix_campaigns_status"), "campaigns", ["status"], unique=False)

    op.create_table(
        "campaign_assets",
        sa.Column("campaign_id", sa.String(length=32), nullable=False),
        sa.Column("asset_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_campaign_assets_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_assets_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "asset_id", name=op.f("pk_campaign_assets")),
    )
    op.create_table(
        "campaign_attributions",
        sa.Column("campaign_id", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("lead_id", sa.String(length=32), nullable=True),
        sa.Column("deal_registration_id", sa.String(length=32), nullable=True),
        sa.Column("attributed_by_id", sa.String(length=32), nullable=True),
        sa.Column("attributed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(lead_id IS NULL) <> (deal_registration_id IS NULL)",
            name=op.f("ck_campaign_attributions_lead_or_deal_registration"),
        ),
        sa.ForeignKeyConstraint(
            ["attributed_by_id"],
            ["users.id"],
            name=op.f("fk_campaign_attributions_attributed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_attributions_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deal_registration_id"],
            ["deal_registrations.id"],
            name=op.f("fk_campaign_attributions_deal_registration_id_deal_registrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_campaign_attributions_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_attributions")),
        sa.UniqueConstraint(
            "deal_registration_id", name=op.f("uq_campaign_attributions_deal_registration_id")
        ),
        sa.UniqueConstraint("lead_id", name=op.f("uq_campaign_attributions_lead_id")),
    )
    op.create_index(
        op.f("ix_campaign_attributions_campaign_id"),
        "campaign_attributions",
        ["campaign_id"],
        unique=False,
    )

    op.create_table(
        "campaign_participants",
        sa.Column("campaign_id", sa.String(length=32), nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("opted_in_by_id", sa.String(length=32), nullable=True),
        sa.Column("opted_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_participants_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["opted_in_by_id"],
            ["users.id"],
            name=op.f("fk_campaign_participants_opted_in_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_campaign_participants_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "partner_id", name=op.f("pk_campaign_participants")),
    )
    op.create_index(
        op.f("ix_campaign_participants_partner_id"),
        "campaign_participants",
        ["partner_id"],
        unique=False,
    )

    op.create_table(
        "campaign_partners",
        sa.Column("campaign_id", sa.String(length=32), nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_partners_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_campaign_partners_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "partner_id", name=op.f("pk_campaign_partners")),
    )


def downgrade() -> None:
    op.drop_table("campaign_partners")
    op.drop_table("campaign_participants")
    op.drop_table("campaign_attributions")
    op.drop_table("campaign_assets")
    op.drop_table("campaigns")
