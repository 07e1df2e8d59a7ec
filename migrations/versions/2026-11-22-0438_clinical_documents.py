"""Clinical documents: the record timeline and what hospitals push over FHIR.

Revision ID: 3c0d5ba5e0f1
Revises: 3c0d5ba5e0r1
Create Date: 2026-11-22 04:38:52.177489+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c0d5ba5e0f1"
down_revision: str | None = "3c0d5ba5e0r1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "record_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_record_events_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_record_events_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_events")),
    )
    with op.batch_alter_table("record_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_record_events_person_time", ["person_id", "occurred_at", "id"], unique=False
        )

    op.create_table(
        "clinical_encounters",
        sa.Column("class_code", sa.String(length=10), nullable=False),
        sa.Column("type_text", sa.String(length=200), nullable=True),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("source_system", sa.String(length=200), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resource", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["record_events.id"],
            name=op.f("fk_clinical_encounters_event_id_record_events"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_clinical_encounters_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_clinical_encounters_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinical_encounters")),
        sa.UniqueConstraint(
            "institution_id", "source_system", "source_id", name="uq_clinical_encounters_source"
        ),
    )
    with op.batch_alter_table("clinical_encounters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_clinical_encounters_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "clinical_immunizations",
        sa.Column("vaccine_code", sa.String(length=40), nullable=False),
        sa.Column("dose_number", sa.Integer(), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("lot_number", sa.String(length=40), nullable=True),
        sa.Column("immunisation_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("source_system", sa.String(length=200), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resource", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["record_events.id"],
            name=op.f("fk_clinical_immunizations_event_id_record_events"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_clinical_immunizations_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_clinical_immunizations_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinical_immunizations")),
        sa.UniqueConstraint(
            "institution_id", "source_system", "source_id", name="uq_clinical_immunizations_source"
        ),
    )
    with op.batch_alter_table("clinical_immunizations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_clinical_immunizations_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "clinical_conditions",
        sa.Column("code_system", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("display", sa.String(length=200), nullable=True),
        sa.Column("encounter_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("source_system", sa.String(length=200), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resource", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["encounter_id"],
            ["clinical_encounters.id"],
            name=op.f("fk_clinical_conditions_encounter_id_clinical_encounters"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["record_events.id"],
            name=op.f("fk_clinical_conditions_event_id_record_events"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_clinical_conditions_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_clinical_conditions_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinical_conditions")),
        sa.UniqueConstraint(
            "institution_id", "source_system", "source_id", name="uq_clinical_conditions_source"
        ),
    )
    with op.batch_alter_table("clinical_conditions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_clinical_conditions_person_code", ["person_id", "code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_clinical_conditions_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "clinical_medication_requests",
        sa.Column("code_system", sa.String(length=200), nullable=True),
        sa.Column("code", sa.String(length=40), nullable=True),
        sa.Column("display", sa.String(length=200), nullable=False),
        sa.Column("dosage_text", sa.String(length=300), nullable=True),
        sa.Column("encounter_id", sa.Integer(), nullable=True),
        sa.Column("authored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("source_system", sa.String(length=200), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resource", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["encounter_id"],
            ["clinical_encounters.id"],
            name=op.f("fk_clinical_medication_requests_encounter_id_clinical_encounters"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["record_events.id"],
            name=op.f("fk_clinical_medication_requests_event_id_record_events"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_clinical_medication_requests_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_clinical_medication_requests_person_id_persons"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinical_medication_requests")),
        sa.UniqueConstraint(
            "institution_id",
            "source_system",
            "source_id",
            name="uq_clinical_medication_requests_source",
        ),
    )
    with op.batch_alter_table("clinical_medication_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_clinical_medication_requests_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "clinical_observations",
        sa.Column("code_system", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("display", sa.String(length=200), nullable=True),
        sa.Column("value", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("unit", sa.String(length=40), nullable=True),
        sa.Column("encounter_id", sa.Integer(), nullable=True),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("source_system", sa.String(length=200), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resource", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["encounter_id"],
            ["clinical_encounters.id"],
            name=op.f("fk_clinical_observations_encounter_id_clinical_encounters"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["record_events.id"],
            name=op.f("fk_clinical_observations_event_id_record_events"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_clinical_observations_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_clinical_observations_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinical_observations")),
        sa.UniqueConstraint(
            "institution_id", "source_system", "source_id", name="uq_clinical_observations_source"
        ),
    )
    with op.batch_alter_table("clinical_observations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_clinical_observations_person_code", ["person_id", "code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_clinical_observations_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "clinical_reports",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("code_system", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("display", sa.String(length=200), nullable=True),
        sa.Column("conclusion", sa.Text(), nullable=True),
        sa.Column("encounter_id", sa.Integer(), nullable=True),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("source_system", sa.String(length=200), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resource", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('report', 'discharge')", name=op.f("ck_clinical_reports_kind")
        ),
        sa.ForeignKeyConstraint(
            ["encounter_id"],
            ["clinical_encounters.id"],
            name=op.f("fk_clinical_reports_encounter_id_clinical_encounters"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["record_events.id"],
            name=op.f("fk_clinical_reports_event_id_record_events"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_clinical_reports_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_clinical_reports_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinical_reports")),
        sa.UniqueConstraint(
            "institution_id", "source_system", "source_id", name="uq_clinical_reports_source"
        ),
    )
    with op.batch_alter_table("clinical_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_clinical_reports_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("clinical_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clinical_reports_person_id"))

    op.drop_table("clinical_reports")
    with op.batch_alter_table("clinical_observations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clinical_observations_person_id"))
        batch_op.drop_index("ix_clinical_observations_person_code")

    op.drop_table("clinical_observations")
    with op.batch_alter_table("clinical_medication_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clinical_medication_requests_person_id"))

    op.drop_table("clinical_medication_requests")
    with op.batch_alter_table("clinical_conditions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clinical_conditions_person_id"))
        batch_op.drop_index("ix_clinical_conditions_person_code")

    op.drop_table("clinical_conditions")
    with op.batch_alter_table("clinical_immunizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clinical_immunizations_person_id"))

    op.drop_table("clinical_immunizations")
    with op.batch_alter_table("clinical_encounters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clinical_encounters_person_id"))

    op.drop_table("clinical_encounters")
    with op.batch_alter_table("record_events", schema=None) as batch_op:
        batch_op.drop_index("ix_record_events_person_time")

    op.drop_table("record_events")
