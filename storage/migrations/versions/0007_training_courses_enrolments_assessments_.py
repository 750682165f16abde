"""training courses enrolments assessments certifications tier requirements

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 15:44:05.345842
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tier_requirements",
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("product_line", sa.String(length=64), nullable=False),
        sa.Column("certified_users", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tier", "product_line", name=op.f("pk_tier_requirements")),
    )
    op.create_table(
        "courses",
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("product_lines", sa.JSON(), nullable=False),
        sa.Column("estimated_minutes", sa.Integer(), nullable=False),
        sa.Column("min_tier_rank", sa.Integer(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("pass_mark", sa.Integer(), nullable=True),
        sa.Column("max_attempts", sa.Integer(), nullable=True),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.String(length=32), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_courses_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courses")),
    )
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_courses_published"), ["published"], unique=False)

    op.create_table(
        "certification_definitions",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("product_line", sa.String(length=64), nullable=False),
        sa.Column("validity_days", sa.Integer(), nullable=False),
        sa.Column("renewal_course_id", sa.String(length=32), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["renewal_course_id"],
            ["courses.id"],
            name=op.f("fk_certification_definitions_renewal_course_id_courses"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certification_definitions")),
        sa.UniqueConstraint("name", name=op.f("uq_certification_definitions_name")),
    )
    with op.batch_alter_table("certification_definitions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certification_definitions_product_line"), ["product_line"], unique=False
        )

    op.create_table(
        "enrolments",
        sa.Column("course_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("passed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_enrolments_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_enrolments_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_enrolments_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolments")),
        sa.UniqueConstraint(
            "course_id", "user_id", "cycle", name=op.f("uq_enrolments_course_id_user_id_cycle")
        ),
    )
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_enrolments_organization_enrolled", ["organization_id", "enrolled_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_enrolments_user_id"), ["user_id"], unique=False)

    op.create_table(
        "lessons",
        sa.Column("course_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("module_index", sa.Integer(), nullable=False),
        sa.Column("module_title", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("asset_id", sa.String(length=32), nullable=True),
        sa.Column("url", sa.String(length=300), nullable=True),
        sa.Column("article_id", sa.String(length=32), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_lessons_article_id_articles"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_lessons_asset_id_assets"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_lessons_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lessons")),
        sa.UniqueConstraint("course_id", "position", name=op.f("uq_lessons_course_id_position")),
    )
    op.create_table(
        "assessment_attempts",
        sa.Column("enrolment_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("wrong_questions", sa.JSON(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolments.id"],
            name=op.f("fk_assessment_attempts_enrolment_id_enrolments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_attempts")),
        sa.UniqueConstraint(
            "enrolment_id", "number", name=op.f("uq_assessment_attempts_enrolment_id_number")
        ),
    )
    op.create_table(
        "certification_courses",
        sa.Column("definition_id", sa.String(length=32), nullable=False),
        sa.Column("course_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_certification_courses_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["certification_definitions.id"],
            name=op.f("fk_certification_courses_definition_id_certification_definitions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "definition_id", "course_id", name=op.f("pk_certification_courses")
        ),
    )
    with op.batch_alter_table("certification_courses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certification_courses_course_id"), ["course_id"], unique=False
        )

    op.create_table(
        "certifications",
        sa.Column("definition_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.Column("first_issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("renewals", sa.Integer(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.Column("revoked_by_id", sa.String(length=32), nullable=True),
        sa.Column("expiring_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expired_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["certification_definitions.id"],
            name=op.f("fk_certifications_definition_id_certification_definitions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_certifications_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["users.id"],
            name=op.f("fk_certifications_revoked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_certifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certifications")),
        sa.UniqueConstraint(
            "definition_id", "user_id", name=op.f("uq_certifications_definition_id_user_id")
        ),
    )
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certifications_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            "ix_certifications_organization_expires",
            ["organization_id", "expires_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_certifications_user_id"), ["user_id"], unique=False)

    op.create_table(
        "lesson_progress",
        sa.Column("enrolment_id", sa.String(length=32), nullable=False),
        sa.Column("lesson_id", sa.String(length=32), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolments.id"],
            name=op.f("fk_lesson_progress_enrolment_id_enrolments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["lessons.id"],
            name=op.f("fk_lesson_progress_lesson_id_lessons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("enrolment_id", "lesson_id", name=op.f("pk_lesson_progress")),
    )
    with op.batch_alter_table("routing_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "required_certifications", sa.JSON(), nullable=False, server_default=sa.text("'[]'")
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("routing_settings", schema=None) as batch_op:
        batch_op.drop_column("required_certifications")

    op.drop_table("lesson_progress")
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certifications_user_id"))
        batch_op.drop_index("ix_certifications_organization_expires")
        batch_op.drop_index(batch_op.f("ix_certifications_expires_at"))

    op.drop_table("certifications")
    with op.batch_alter_table("certification_courses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certification_courses_course_id"))

    op.drop_table("certification_courses")
    op.drop_table("assessment_attempts")
    op.drop_table("lessons")
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrolments_user_id"))
        batch_op.drop_index("ix_enrolments_organization_enrolled")

    op.drop_table("enrolments")
    with op.batch_alter_table("certification_definitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certification_definitions_product_line"))

    op.drop_table("certification_definitions")
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_courses_published"))

    op.drop_table("courses")
    op.drop_table("tier_requirements")
