"""Electronic health cards: e-cards, issuer signing keys, QR nonces and the use log.

Revision ID: 120e6e5dde7e
Revises: 07efc9eee363
Create Date: 2026-11-22 03:30:35.947975+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "120e6e5dde7e"
down_revision: str | None = "07efc9eee363"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ecard_signing_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=8), nullable=False),
        sa.Column("public_key", sa.String(length=130), nullable=False),
        sa.Column("private_key_sealed", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verify_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'retired', 'revoked')", name=op.f("ck_ecard_signing_keys_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecard_signing_keys")),
        sa.UniqueConstraint("kid", name=op.f("uq_ecard_signing_keys_kid")),
    )
    with op.batch_alter_table("ecard_signing_keys", schema=None) as batch_op:
        batch_op.create_index(
            "uq_ecard_signing_keys_one_active",
            ["status"],
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )

    op.create_table(
        "ecards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=True),
        sa.Column("pin_hash", sa.String(length=200), nullable=True),
        sa.Column("static_nonce", sa.String(length=24), nullable=True),
        sa.Column("bank_token", sa.String(length=64), nullable=True),
        sa.Column("bank_masked", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=300), nullable=True),
        sa.CheckConstraint("status IN ('active', 'cancelled')", name=op.f("ck_ecards_status")),
        sa.ForeignKeyConstraint(
            ["card_id"], ["health_cards.id"], name=op.f("fk_ecards_card_id_health_cards")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_ecards_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_ecards_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecards")),
        sa.UniqueConstraint("token", name=op.f("uq_ecards_token")),
    )
    with op.batch_alter_table("ecards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ecards_bank_token"), ["bank_token"], unique=False)
        batch_op.create_index(batch_op.f("ix_ecards_card_id"), ["card_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ecards_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            "uq_ecards_active_person",
            ["person_id"],
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )

    op.create_table(
        "ecard_nonces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=24), nullable=False),
        sa.Column("ecard_id", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ecard_id"], ["ecards.id"], name=op.f("fk_ecard_nonces_ecard_id_ecards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecard_nonces")),
        sa.UniqueConstraint("nonce", name=op.f("uq_ecard_nonces_nonce")),
    )
    with op.batch_alter_table("ecard_nonces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ecard_nonces_ecard_id"), ["ecard_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ecard_nonces_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "ecard_qr_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ecard_id", sa.Integer(), nullable=True),
        sa.Column("terminal_code", sa.String(length=40), nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=True),
        sa.Column("use", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=True),
        sa.Column("kid", sa.String(length=8), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint("mode IN ('online', 'offline')", name=op.f("ck_ecard_qr_uses_mode")),
        sa.CheckConstraint(
            "outcome IN ('accepted', 'refused')", name=op.f("ck_ecard_qr_uses_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["ecard_id"], ["ecards.id"], name=op.f("fk_ecard_qr_uses_ecard_id_ecards")
        ),
        sa.ForeignKeyConstraint(
            ["terminal_id"],
            ["card_terminals.id"],
            name=op.f("fk_ecard_qr_uses_terminal_id_card_terminals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecard_qr_uses")),
    )
    with op.batch_alter_table("ecard_qr_uses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ecard_qr_uses_ecard_time", ["ecard_id", "occurred_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ecard_qr_uses", schema=None) as batch_op:
        batch_op.drop_index("ix_ecard_qr_uses_ecard_time")

    op.drop_table("ecard_qr_uses")
    with op.batch_alter_table("ecard_nonces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ecard_nonces_expires_at"))
        batch_op.drop_index(batch_op.f("ix_ecard_nonces_ecard_id"))

    op.drop_table("ecard_nonces")
    with op.batch_alter_table("ecards", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_ecards_active_person",
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index(batch_op.f("ix_ecards_person_id"))
        batch_op.drop_index(batch_op.f("ix_ecards_card_id"))
        batch_op.drop_index(batch_op.f("ix_ecards_bank_token"))

    op.drop_table("ecards")
    with op.batch_alter_table("ecard_signing_keys", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_ecard_signing_keys_one_active",
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )

    op.drop_table("ecard_signing_keys")
