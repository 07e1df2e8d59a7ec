"""Health records forms: exams, consents, break-glass, migrations with steps, populations.

Revision ID: 3c0d5ba5e0r1
Revises: 3c0d5ba5e001
Create Date: 2026-11-22 04:42:55.401956+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c0d5ba5e0r1"
down_revision: str | None = "3c0d5ba5e001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "record_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("granted_by", sa.String(length=100), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_record_consents_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_record_consents_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_consents")),
    )
    with op.batch_alter_table("record_consents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_record_consents_person_institution", ["person_id", "institution_id"], unique=False
        )

    op.create_table(
        "record_service_populations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("population > 0", name=op.f("ck_record_service_populations_positive")),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_record_service_populations_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_service_populations")),
        sa.UniqueConstraint(
            "institution_id", "year", name=op.f("uq_record_service_populations_institution_id_year")
        ),
    )
    op.create_table(
        "record_break_glass",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("staff_name", sa.String(length=100), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reads", sa.Integer(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.String(length=200), nullable=True),
        sa.Column("review_note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_record_break_glass_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_record_break_glass_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_record_break_glass_staff_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_break_glass")),
    )
    with op.batch_alter_table("record_break_glass", schema=None) as batch_op:
        batch_op.create_index(
            "ix_record_break_glass_person_staff", ["person_id", "staff_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_record_break_glass_started_at"), ["started_at"], unique=False
        )

    op.create_table(
        "health_exams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("exam_date", sa.Date(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("examiner_id", sa.Integer(), nullable=True),
        sa.Column("examiner_name", sa.String(length=100), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("bmi", sa.Float(), nullable=True),
        sa.Column("form_version", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["examiner_id"],
            ["staff_users.id"],
            name=op.f("fk_health_exams_examiner_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_health_exams_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["health_records.id"],
            name=op.f("fk_health_exams_record_id_health_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_exams")),
    )
    with op.batch_alter_table("health_exams", schema=None) as batch_op:
        batch_op.create_index(
            "ix_health_exams_record_date", ["record_id", "exam_date"], unique=False
        )

    op.create_table(
        "record_migrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=14), nullable=False),
        sa.Column("from_institution_id", sa.Integer(), nullable=False),
        sa.Column("to_institution_id", sa.Integer(), nullable=False),
        sa.Column("to_team_id", sa.Integer(), nullable=True),
        sa.Column("from_county", sa.String(length=6), nullable=False),
        sa.Column("to_county", sa.String(length=6), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("consent_by", sa.String(length=100), nullable=False),
        sa.Column("consent_on", sa.Date(), nullable=False),
        sa.Column("answer_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source_bureau_approved", sa.Boolean(), nullable=False),
        sa.Column("target_bureau_approved", sa.Boolean(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('team', 'region', 'district')", name=op.f("ck_record_migrations_kind")
        ),
        sa.CheckConstraint(
            "status IN ('requested', 'escalated', 'bureau_review', 'completed', 'refused', "
            "'cancelled')",
            name=op.f("ck_record_migrations_status"),
        ),
        sa.ForeignKeyConstraint(
            ["from_institution_id"],
            ["institutions.id"],
            name=op.f("fk_record_migrations_from_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["health_records.id"],
            name=op.f("fk_record_migrations_record_id_health_records"),
        ),
        sa.ForeignKeyConstraint(
            ["to_institution_id"],
            ["institutions.id"],
            name=op.f("fk_record_migrations_to_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["to_team_id"],
            ["doctor_teams.id"],
            name=op.f("fk_record_migrations_to_team_id_doctor_teams"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_migrations")),
    )
    with op.batch_alter_table("record_migrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_record_migrations_from_institution_id"),
            ["from_institution_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_record_migrations_record_id"), ["record_id"], unique=False
        )
        batch_op.create_index(
            "ix_record_migrations_status_due", ["status", "answer_due_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_record_migrations_to_institution_id"),
            ["to_institution_id"],
            unique=False,
        )
        batch_op.create_index(
            "uq_record_migrations_open",
            ["record_id"],
            unique=True,
            sqlite_where=sa.text("status IN ('requested', 'escalated', 'bureau_review')"),
            postgresql_where=sa.text("status IN ('requested', 'escalated', 'bureau_review')"),
        )

    op.create_table(
        "record_migration_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("migration_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=24), nullable=False),
        sa.Column("status_after", sa.String(length=14), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("institution_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_record_migration_steps_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["migration_id"],
            ["record_migrations.id"],
            name=op.f("fk_record_migration_steps_migration_id_record_migrations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_migration_steps")),
    )
    with op.batch_alter_table("record_migration_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_record_migration_steps_migration_id"), ["migration_id"], unique=False
        )

    with op.batch_alter_table("health_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("form_version", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("health_records", schema=None) as batch_op:
        batch_op.drop_column("form_version")

    with op.batch_alter_table("record_migration_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_record_migration_steps_migration_id"))

    op.drop_table("record_migration_steps")
    with op.batch_alter_table("record_migrations", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_record_migrations_open",
            sqlite_where=sa.text("status IN ('requested', 'escalated', 'bureau_review')"),
            postgresql_where=sa.text("status IN ('requested', 'escalated', 'bureau_review')"),
        )
        batch_op.drop_index(batch_op.f("ix_record_migrations_to_institution_id"))
        batch_op.drop_index("ix_record_migrations_status_due")
        batch_op.drop_index(batch_op.f("ix_record_migrations_record_id"))
        batch_op.drop_index(batch_op.f("ix_record_migrations_from_institution_id"))

    op.drop_table("record_migrations")
    with op.batch_alter_table("health_exams", schema=None) as batch_op:
        batch_op.drop_index("ix_health_exams_record_date")

    op.drop_table("health_exams")
    with op.batch_alter_table("record_break_glass", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_record_break_glass_started_at"))
        batch_op.drop_index("ix_record_break_glass_person_staff")

    op.drop_table("record_break_glass")
    op.drop_table("record_service_populations")
    with op.batch_alter_table("record_consents", schema=None) as batch_op:
        batch_op.drop_index("ix_record_consents_person_institution")

    op.drop_table("record_consents")
