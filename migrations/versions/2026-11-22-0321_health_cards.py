"""Health cards: applications, batches, cards, events, manufacturers, SAM cards, terminals.

Revision ID: 07efc9eee363
Revises: 5d4d34425e4f
Create Date: 2026-11-22 03:21:24.639623+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "07efc9eee363"
down_revision: str | None = "5d4d34425e4f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "card_manufacturers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_manufacturers")),
        sa.UniqueConstraint("name", name=op.f("uq_card_manufacturers_name")),
        sa.UniqueConstraint("uscc", name=op.f("uq_card_manufacturers_uscc")),
    )
    op.create_table(
        "card_products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manufacturer_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("chip", sa.String(length=100), nullable=True),
        sa.Column("cos_version", sa.String(length=50), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["manufacturer_id"],
            ["card_manufacturers.id"],
            name=op.f("fk_card_products_manufacturer_id_card_manufacturers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_products")),
    )
    with op.batch_alter_table("card_products", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_card_products_manufacturer_id"), ["manufacturer_id"], unique=False
        )

    op.create_table(
        "card_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=True),
        sa.Column("applied_by", sa.String(length=200), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by", sa.String(length=200), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.CheckConstraint(
            "kind IN ('new', 'reissue', 'replace')", name=op.f("ck_card_applications_kind")
        ),
        sa.CheckConstraint(
            "status IN ('submitted', 'approved', 'rejected')",
            name=op.f("ck_card_applications_status"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_card_applications_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_card_applications_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_applications")),
    )
    with op.batch_alter_table("card_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_card_applications_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_card_applications_status"), ["status"], unique=False)

    op.create_table(
        "card_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("cards", sa.Integer(), nullable=False),
        sa.Column("export_digest", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("produced_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["card_products.id"],
            name=op.f("fk_card_batches_product_id_card_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_batches")),
    )
    op.create_table(
        "sam_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('issued', 'assigned', 'revoked')", name=op.f("ck_sam_cards_status")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_sam_cards_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sam_cards")),
        sa.UniqueConstraint("serial", name=op.f("uq_sam_cards_serial")),
    )
    op.create_table(
        "card_terminals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("sam_card_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("allowed_uses", sa.String(length=300), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'revoked')", name=op.f("ck_card_terminals_status")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_card_terminals_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["sam_card_id"], ["sam_cards.id"], name=op.f("fk_card_terminals_sam_card_id_sam_cards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_terminals")),
        sa.UniqueConstraint("code", name=op.f("uq_card_terminals_code")),
        sa.UniqueConstraint("sam_card_id", name=op.f("uq_card_terminals_sam_card_id")),
    )
    with op.batch_alter_table("card_terminals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_card_terminals_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "health_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("card_number_sealed", sa.Text(), nullable=False),
        sa.Column("card_number_index", sa.String(length=64), nullable=False),
        sa.Column("chip_serial", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=14), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("previous_card_id", sa.Integer(), nullable=True),
        sa.Column("fee", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("issuing_institution_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('approved', 'in_production', 'produced', 'issued', 'active', 'lost', "
            "'replaced', 'cancelled')",
            name=op.f("ck_health_cards_status"),
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["card_applications.id"],
            name=op.f("fk_health_cards_application_id_card_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["card_batches.id"], name=op.f("fk_health_cards_batch_id_card_batches")
        ),
        sa.ForeignKeyConstraint(
            ["issuing_institution_id"],
            ["institutions.id"],
            name=op.f("fk_health_cards_issuing_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_health_cards_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["previous_card_id"],
            ["health_cards.id"],
            name=op.f("fk_health_cards_previous_card_id_health_cards"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_cards")),
        sa.UniqueConstraint("chip_serial", name=op.f("uq_health_cards_chip_serial")),
    )
    with op.batch_alter_table("health_cards", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_health_cards_card_number_index"), ["card_number_index"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_health_cards_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            "uq_health_cards_live_person",
            ["person_id"],
            unique=True,
            sqlite_where=sa.text(
                "status IN ('approved', 'in_production', 'produced', 'issued', 'active', 'lost')"
            ),
            postgresql_where=sa.text(
                "status IN ('approved', 'in_production', 'produced', 'issued', 'active', 'lost')"
            ),
        )

    op.create_table(
        "card_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=14), nullable=True),
        sa.Column("to_status", sa.String(length=14), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("terminal_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"], ["health_cards.id"], name=op.f("fk_card_events_card_id_health_cards")
        ),
        sa.ForeignKeyConstraint(
            ["terminal_id"],
            ["card_terminals.id"],
            name=op.f("fk_card_events_terminal_id_card_terminals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_events")),
    )
    with op.batch_alter_table("card_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_card_events_card_id"), ["card_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("card_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_events_card_id"))

    op.drop_table("card_events")
    with op.batch_alter_table("health_cards", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_health_cards_live_person",
            sqlite_where=sa.text(
                "status IN ('approved', 'in_production', 'produced', 'issued', 'active', 'lost')"
            ),
            postgresql_where=sa.text(
                "status IN ('approved', 'in_production', 'produced', 'issued', 'active', 'lost')"
            ),
        )
        batch_op.drop_index(batch_op.f("ix_health_cards_person_id"))
        batch_op.drop_index(batch_op.f("ix_health_cards_card_number_index"))

    op.drop_table("health_cards")
    with op.batch_alter_table("card_terminals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_terminals_institution_id"))

    op.drop_table("card_terminals")
    op.drop_table("sam_cards")
    op.drop_table("card_batches")
    with op.batch_alter_table("card_applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_applications_status"))
        batch_op.drop_index(batch_op.f("ix_card_applications_person_id"))

    op.drop_table("card_applications")
    with op.batch_alter_table("card_products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_products_manufacturer_id"))

    op.drop_table("card_products")
    op.drop_table("card_manufacturers")
