"""Public-health programmes: enrolments, follow-ups, immunisations, infectious reports, education.

Revision ID: 3c0d5ba5e0p1
Revises: 3c0d5ba5e0f1
Create Date: 2026-11-22 04:40:10.678893+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c0d5ba5e0p1"
down_revision: str | None = "3c0d5ba5e0f1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "health_education_activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("audience", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_health_education_activities_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_education_activities")),
    )
    with op.batch_alter_table("health_education_activities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_health_education_activities_institution_id"),
            ["institution_id"],
            unique=False,
        )
    op.create_table(
        "immunisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("vaccine_code", sa.String(length=20), nullable=False),
        sa.Column("dose_number", sa.Integer(), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("lot_number", sa.String(length=50), nullable=True),
        sa.Column("site", sa.String(length=30), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("schedule_version", sa.String(length=40), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("dose_number >= 1", name=op.f("ck_immunisations_dose_number")),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_immunisations_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_immunisations_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_immunisations")),
        sa.UniqueConstraint(
            "person_id",
            "vaccine_code",
            "dose_number",
            name=op.f("uq_immunisations_person_id_vaccine_code_dose_number"),
        ),
    )
    op.create_table(
        "infectious_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("disease_code", sa.String(length=30), nullable=False),
        sa.Column("disease_class", sa.String(length=1), nullable=False),
        sa.Column("managed_as_a", sa.Boolean(), nullable=False),
        sa.Column("case_classification", sa.String(length=20), nullable=False),
        sa.Column("onset_on", sa.Date(), nullable=False),
        sa.Column("diagnosed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("rule_version", sa.String(length=40), nullable=False),
        sa.Column("reported_by", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("review_note", sa.String(length=500), nullable=True),
        sa.Column("reviewed_by", sa.String(length=200), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "disease_class IN ('A', 'B', 'C')", name=op.f("ck_infectious_reports_disease_class")
        ),
        sa.CheckConstraint(
            "status IN ('submitted', 'accepted', 'returned')",
            name=op.f("ck_infectious_reports_status"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_infectious_reports_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_infectious_reports_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_infectious_reports")),
    )
    with op.batch_alter_table("infectious_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_infectious_reports_institution", ["institution_id", "reported_at"], unique=False
        )
        batch_op.create_index("ix_infectious_reports_late", ["late", "reported_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_infectious_reports_person_id"), ["person_id"], unique=False
        )
    op.create_table(
        "programme_consultations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("consultants", sa.String(length=300), nullable=False),
        sa.Column("advice", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_programme_consultations_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_programme_consultations_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_consultations")),
    )
    with op.batch_alter_table("programme_consultations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_programme_consultations_institution_id"),
            ["institution_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_programme_consultations_person_id"), ["person_id"], unique=False
        )
    op.create_table(
        "programme_enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("programme", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("responsible_staff_id", sa.Integer(), nullable=True),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("rule_version", sa.String(length=40), nullable=False),
        sa.Column("enrolled_by", sa.String(length=200), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "programme IN ('hypertension', 'diabetes', 'children', 'maternal', 'elderly', "
            "'mental', 'tuberculosis')",
            name=op.f("ck_programme_enrolments_programme"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'ended')", name=op.f("ck_programme_enrolments_status")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_programme_enrolments_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_programme_enrolments_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["health_records.id"],
            name=op.f("fk_programme_enrolments_record_id_health_records"),
        ),
        sa.ForeignKeyConstraint(
            ["responsible_staff_id"],
            ["staff_users.id"],
            name=op.f("fk_programme_enrolments_responsible_staff_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["doctor_teams.id"],
            name=op.f("fk_programme_enrolments_team_id_doctor_teams"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_enrolments")),
    )
    with op.batch_alter_table("programme_enrolments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_programme_enrolments_institution",
            ["institution_id", "programme", "status"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_programme_enrolments_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_programme_enrolments_record_id"), ["record_id"], unique=False
        )
        batch_op.create_index(
            "uq_programme_enrolments_active",
            ["person_id", "programme"],
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )
    op.create_table(
        "programme_followups",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("programme", sa.String(length=20), nullable=False),
        sa.Column("visit_code", sa.String(length=20), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("responsible_staff_id", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("method", sa.String(length=10), nullable=True),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("hospital_measurements", sa.JSON(), nullable=False),
        sa.Column("classification", sa.String(length=20), nullable=True),
        sa.Column("referral", sa.Boolean(), nullable=False),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        sa.Column("referral_reasons", sa.JSON(), nullable=False),
        sa.Column("rule_version", sa.String(length=40), nullable=False),
        sa.Column("performed_by", sa.String(length=200), nullable=True),
        sa.Column("performed_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "programme IN ('hypertension', 'diabetes', 'children', 'maternal', 'elderly', "
            "'mental', 'tuberculosis')",
            name=op.f("ck_programme_followups_programme"),
        ),
        sa.CheckConstraint(
            "status IN ('due', 'done', 'missed', 'cancelled')",
            name=op.f("ck_programme_followups_status"),
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["programme_enrolments.id"],
            name=op.f("fk_programme_followups_enrolment_id_programme_enrolments"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_programme_followups_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["performed_by_id"],
            ["staff_users.id"],
            name=op.f("fk_programme_followups_performed_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_programme_followups_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["health_records.id"],
            name=op.f("fk_programme_followups_record_id_health_records"),
        ),
        sa.ForeignKeyConstraint(
            ["responsible_staff_id"],
            ["staff_users.id"],
            name=op.f("fk_programme_followups_responsible_staff_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["doctor_teams.id"],
            name=op.f("fk_programme_followups_team_id_doctor_teams"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_followups")),
    )
    with op.batch_alter_table("programme_followups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_programme_followups_due_institution",
            ["institution_id", "due_date"],
            unique=False,
            sqlite_where=sa.text("status = 'due'"),
            postgresql_where=sa.text("status = 'due'"),
            postgresql_include=["programme", "team_id"],
        )
        batch_op.create_index(
            "ix_programme_followups_due_staff",
            ["responsible_staff_id", "due_date"],
            unique=False,
            sqlite_where=sa.text("status = 'due'"),
            postgresql_where=sa.text("status = 'due'"),
            postgresql_include=["institution_id", "programme", "team_id"],
        )
        batch_op.create_index(
            "ix_programme_followups_due_team",
            ["team_id", "due_date"],
            unique=False,
            sqlite_where=sa.text("status = 'due'"),
            postgresql_where=sa.text("status = 'due'"),
            postgresql_include=["institution_id", "programme"],
        )
        batch_op.create_index(
            "ix_programme_followups_enrolment", ["enrolment_id", "due_date"], unique=False
        )
        batch_op.create_index(
            "ix_programme_followups_person", ["person_id", "due_date"], unique=False
        )
        batch_op.create_index("ix_programme_followups_record", ["record_id"], unique=False)
    op.create_table(
        "programme_referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("from_institution_id", sa.Integer(), nullable=False),
        sa.Column("to_institution_id", sa.Integer(), nullable=True),
        sa.Column("to_department", sa.String(length=100), nullable=True),
        sa.Column("direction", sa.String(length=4), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column(
            "followup_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("referred_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "direction IN ('up', 'down')", name=op.f("ck_programme_referrals_direction")
        ),
        sa.CheckConstraint(
            "status IN ('sent', 'received', 'closed')", name=op.f("ck_programme_referrals_status")
        ),
        sa.ForeignKeyConstraint(
            ["followup_id"],
            ["programme_followups.id"],
            name=op.f("fk_programme_referrals_followup_id_programme_followups"),
        ),
        sa.ForeignKeyConstraint(
            ["from_institution_id"],
            ["institutions.id"],
            name=op.f("fk_programme_referrals_from_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_programme_referrals_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["to_institution_id"],
            ["institutions.id"],
            name=op.f("fk_programme_referrals_to_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_referrals")),
    )
    with op.batch_alter_table("programme_referrals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_programme_referrals_from_institution_id"),
            ["from_institution_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_programme_referrals_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("programme_referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_referrals_person_id"))
        batch_op.drop_index(batch_op.f("ix_programme_referrals_from_institution_id"))
    op.drop_table("programme_referrals")
    with op.batch_alter_table("programme_followups", schema=None) as batch_op:
        batch_op.drop_index("ix_programme_followups_record")
        batch_op.drop_index("ix_programme_followups_person")
        batch_op.drop_index("ix_programme_followups_enrolment")
        batch_op.drop_index(
            "ix_programme_followups_due_team",
            sqlite_where=sa.text("status = 'due'"),
            postgresql_where=sa.text("status = 'due'"),
        )
        batch_op.drop_index(
            "ix_programme_followups_due_staff",
            sqlite_where=sa.text("status = 'due'"),
            postgresql_where=sa.text("status = 'due'"),
        )
        batch_op.drop_index(
            "ix_programme_followups_due_institution",
            sqlite_where=sa.text("status = 'due'"),
            postgresql_where=sa.text("status = 'due'"),
        )
    op.drop_table("programme_followups")
    with op.batch_alter_table("programme_enrolments", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_programme_enrolments_active",
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index(batch_op.f("ix_programme_enrolments_record_id"))
        batch_op.drop_index(batch_op.f("ix_programme_enrolments_person_id"))
        batch_op.drop_index("ix_programme_enrolments_institution")
    op.drop_table("programme_enrolments")
    with op.batch_alter_table("programme_consultations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_consultations_person_id"))
        batch_op.drop_index(batch_op.f("ix_programme_consultations_institution_id"))
    op.drop_table("programme_consultations")
    with op.batch_alter_table("infectious_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_infectious_reports_person_id"))
        batch_op.drop_index("ix_infectious_reports_late")
        batch_op.drop_index("ix_infectious_reports_institution")
    op.drop_table("infectious_reports")
    op.drop_table("immunisations")
    with op.batch_alter_table("health_education_activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_health_education_activities_institution_id"))
    op.drop_table("health_education_activities")
