"""Health records base: doctor teams, families, health records, record-number counters.

Revision ID: 3c0d5ba5e001
Revises: 120e6e5dde7e
Create Date: 2026-11-22 04:35:32.154554+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c0d5ba5e001"
down_revision: str | None = "120e6e5dde7e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "record_number_counters",
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("area_code", name=op.f("pk_record_number_counters")),
    )
    op.create_table(
        "families",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_number", sa.String(length=20), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("head_person_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=True),
        sa.Column("living_conditions", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["head_person_id"], ["persons.id"], name=op.f("fk_families_head_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_families_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_families")),
        sa.UniqueConstraint("family_number", name=op.f("uq_families_family_number")),
    )
    with op.batch_alter_table("families", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_families_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "family_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("relationship", sa.String(length=2), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["family_id"], ["families.id"], name=op.f("fk_family_members_family_id_families")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_family_members_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_members")),
        sa.UniqueConstraint("person_id", name=op.f("uq_family_members_person_id")),
    )
    with op.batch_alter_table("family_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_family_members_family_id"), ["family_id"], unique=False
        )

    op.create_table(
        "doctor_teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=True),
        sa.Column("area_code", sa.String(length=12), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_doctor_teams_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["leader_id"], ["staff_users.id"], name=op.f("fk_doctor_teams_leader_id_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doctor_teams")),
        sa.UniqueConstraint(
            "institution_id", "name", name=op.f("uq_doctor_teams_institution_id_name")
        ),
    )
    with op.batch_alter_table("doctor_teams", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_doctor_teams_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "doctor_team_members",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_doctor_team_members_staff_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["doctor_teams.id"],
            name=op.f("fk_doctor_team_members_team_id_doctor_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "staff_id", name=op.f("pk_doctor_team_members")),
    )
    op.create_table(
        "health_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_number", sa.String(length=17), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("responsible_staff_id", sa.Integer(), nullable=True),
        sa.Column("family_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("ethnicity", sa.String(length=2), nullable=True),
        sa.Column("abo_blood_type", sa.String(length=1), nullable=True),
        sa.Column("rh_blood_type", sa.String(length=1), nullable=True),
        sa.Column("education", sa.String(length=2), nullable=True),
        sa.Column("occupation", sa.String(length=2), nullable=True),
        sa.Column("marital_status", sa.String(length=2), nullable=True),
        sa.Column("work_unit", sa.String(length=200), nullable=True),
        sa.Column("contact_name", sa.String(length=100), nullable=True),
        sa.Column("contact_phone_sealed", sa.Text(), nullable=True),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("established_on", sa.Date(), nullable=False),
        sa.Column("established_by", sa.String(length=200), nullable=False),
        sa.Column("termination_reason", sa.String(length=10), nullable=True),
        sa.Column("terminated_on", sa.Date(), nullable=True),
        sa.Column("termination_note", sa.String(length=300), nullable=True),
        sa.Column("moved_to", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'migrating', 'terminated')", name=op.f("ck_health_records_status")
        ),
        sa.CheckConstraint(
            "termination_reason IS NULL OR termination_reason IN "
            "('death', 'moved', 'lost', 'refused', 'other')",
            name=op.f("ck_health_records_termination_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["family_id"], ["families.id"], name=op.f("fk_health_records_family_id_families")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_health_records_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_health_records_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["responsible_staff_id"],
            ["staff_users.id"],
            name=op.f("fk_health_records_responsible_staff_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["doctor_teams.id"], name=op.f("fk_health_records_team_id_doctor_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_records")),
        sa.UniqueConstraint("person_id", name=op.f("uq_health_records_person_id")),
        sa.UniqueConstraint("record_number", name=op.f("uq_health_records_record_number")),
    )
    with op.batch_alter_table("health_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_health_records_family_id"), ["family_id"], unique=False
        )
        batch_op.create_index(
            "ix_health_records_institution_status", ["institution_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_health_records_responsible_staff_id"),
            ["responsible_staff_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_health_records_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("health_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_health_records_team_id"))
        batch_op.drop_index(batch_op.f("ix_health_records_responsible_staff_id"))
        batch_op.drop_index("ix_health_records_institution_status")
        batch_op.drop_index(batch_op.f("ix_health_records_family_id"))

    op.drop_table("health_records")
    op.drop_table("doctor_team_members")
    with op.batch_alter_table("doctor_teams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_doctor_teams_institution_id"))

    op.drop_table("doctor_teams")
    with op.batch_alter_table("family_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_family_members_family_id"))

    op.drop_table("family_members")
    with op.batch_alter_table("families", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_families_institution_id"))

    op.drop_table("families")
    op.drop_table("record_number_counters")
