"""Master patient index: persons, source records, identifiers, reviews, non-matches, merges.

Revision ID: 5d4d34425e4f
Revises: de7a526134f9
Create Date: 2026-11-22 02:49:23.031103+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d4d34425e4f"
down_revision: str | None = "de7a526134f9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "link_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("model_json", sa.Text(), nullable=False),
        sa.Column("trained_on", sa.String(length=300), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_models")),
        sa.UniqueConstraint("version", name=op.f("uq_link_models_version")),
    )
    op.create_table(
        "persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("id_number_sealed", sa.Text(), nullable=True),
        sa.Column("phone_sealed", sa.Text(), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("mother_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["persons.id"], name=op.f("fk_persons_merged_into_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["mother_id"], ["persons.id"], name=op.f("fk_persons_mother_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
    )
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_persons_merged_into_id"), ["merged_into_id"], unique=False
        )

    op.create_table(
        "person_non_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("low_person_id", sa.Integer(), nullable=False),
        sa.Column("high_person_id", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "low_person_id < high_person_id", name=op.f("ck_person_non_matches_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["high_person_id"],
            ["persons.id"],
            name=op.f("fk_person_non_matches_high_person_id_persons"),
        ),
        sa.ForeignKeyConstraint(
            ["low_person_id"],
            ["persons.id"],
            name=op.f("fk_person_non_matches_low_person_id_persons"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_non_matches")),
        sa.UniqueConstraint(
            "low_person_id",
            "high_person_id",
            name=op.f("uq_person_non_matches_low_person_id_high_person_id"),
        ),
    )
    op.create_table(
        "person_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=True),
        sa.Column("source_system", sa.String(length=200), nullable=False),
        sa.Column("local_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_pinyin", sa.String(length=200), nullable=False),
        sa.Column("surname_pinyin", sa.String(length=60), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("birth_year", sa.SmallInteger(), nullable=True),
        sa.Column("id_type", sa.String(length=2), nullable=True),
        sa.Column("id_number_sealed", sa.Text(), nullable=True),
        sa.Column("id_number_index", sa.String(length=64), nullable=True),
        sa.Column("id_valid", sa.Boolean(), nullable=False),
        sa.Column("id_last4", sa.String(length=4), nullable=True),
        sa.Column("phone_sealed", sa.Text(), nullable=True),
        sa.Column("phone_index", sa.String(length=64), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("mother_id_number_index", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("match_probability", sa.Float(), nullable=True),
        sa.Column("rule_set", sa.String(length=64), nullable=True),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_person_records_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_person_records_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_records")),
        sa.UniqueConstraint(
            "source_system", "local_id", name=op.f("uq_person_records_source_system_local_id")
        ),
    )
    with op.batch_alter_table("person_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_records_id_last4"), ["id_last4"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_person_records_id_number_index"), ["id_number_index"], unique=False
        )
        batch_op.create_index(
            "ix_person_records_name_birth", ["name_pinyin", "birth_date"], unique=False
        )
        batch_op.create_index(
            "ix_person_records_name_year", ["name_pinyin", "birth_year"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_person_records_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_person_records_phone_index"), ["phone_index"], unique=False
        )
        batch_op.create_index(
            "ix_person_records_surname_birth", ["surname_pinyin", "birth_date"], unique=False
        )

    op.create_table(
        "match_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("candidate_person_id", sa.Integer(), nullable=False),
        sa.Column("candidate_record_id", sa.Integer(), nullable=False),
        sa.Column("match_probability", sa.Float(), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("rule_set", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'same', 'different', 'superseded')",
            name=op.f("ck_match_reviews_status"),
        ),
        sa.ForeignKeyConstraint(
            ["candidate_person_id"],
            ["persons.id"],
            name=op.f("fk_match_reviews_candidate_person_id_persons"),
        ),
        sa.ForeignKeyConstraint(
            ["candidate_record_id"],
            ["person_records.id"],
            name=op.f("fk_match_reviews_candidate_record_id_person_records"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_match_reviews_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["person_records.id"],
            name=op.f("fk_match_reviews_record_id_person_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_reviews")),
    )
    with op.batch_alter_table("match_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_reviews_record_id"), ["record_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_match_reviews_status"), ["status"], unique=False)

    op.create_table(
        "person_identifiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(length=200), nullable=False),
        sa.Column("value_sealed", sa.Text(), nullable=False),
        sa.Column("value_index", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_person_identifiers_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["person_records.id"],
            name=op.f("fk_person_identifiers_record_id_person_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_identifiers")),
        sa.UniqueConstraint(
            "system", "value_index", name=op.f("uq_person_identifiers_system_value_index")
        ),
    )
    with op.batch_alter_table("person_identifiers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_person_identifiers_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "person_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survivor_id", sa.Integer(), nullable=False),
        sa.Column("merged_id", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("merged_by", sa.String(length=200), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_by", sa.String(length=200), nullable=True),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["merged_id"], ["persons.id"], name=op.f("fk_person_merges_merged_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["match_reviews.id"],
            name=op.f("fk_person_merges_review_id_match_reviews"),
        ),
        sa.ForeignKeyConstraint(
            ["survivor_id"], ["persons.id"], name=op.f("fk_person_merges_survivor_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_merges")),
    )
    with op.batch_alter_table("person_merges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_merges_merged_id"), ["merged_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_person_merges_survivor_id"), ["survivor_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("person_merges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_merges_survivor_id"))
        batch_op.drop_index(batch_op.f("ix_person_merges_merged_id"))

    op.drop_table("person_merges")
    with op.batch_alter_table("person_identifiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_identifiers_person_id"))

    op.drop_table("person_identifiers")
    with op.batch_alter_table("match_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_reviews_status"))
        batch_op.drop_index(batch_op.f("ix_match_reviews_record_id"))

    op.drop_table("match_reviews")
    with op.batch_alter_table("person_records", schema=None) as batch_op:
        batch_op.drop_index("ix_person_records_surname_birth")
        batch_op.drop_index(batch_op.f("ix_person_records_phone_index"))
        batch_op.drop_index(batch_op.f("ix_person_records_person_id"))
        batch_op.drop_index("ix_person_records_name_year")
        batch_op.drop_index("ix_person_records_name_birth")
        batch_op.drop_index(batch_op.f("ix_person_records_id_number_index"))
        batch_op.drop_index(batch_op.f("ix_person_records_id_last4"))

    op.drop_table("person_records")
    op.drop_table("person_non_matches")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_persons_merged_into_id"))

    op.drop_table("persons")
    op.drop_table("link_models")
