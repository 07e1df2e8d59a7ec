"""Institution systems (APP接入管理) may be limited to some uses of QR codes.

Revision ID: 3c0d5ba5e0c1
Revises: 3c0d5ba5e0e1
Create Date: 2026-11-22 06:59:48+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c0d5ba5e0c1"
down_revision: str | None = "3c0d5ba5e0e1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uses", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.drop_column("uses")
