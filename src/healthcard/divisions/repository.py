"""All SQL of the divisions domain."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from healthcard.models import Division


def get(session: Session, code: str) -> Division | None:
    return session.get(Division, code)


def children(
    session: Session, parent_code: str | None, *, current_only: bool
) -> Sequence[Division]:
    stmt = select(Division).order_by(Division.code)
    stmt = stmt.where(
        Division.parent_code.is_(None)
        if parent_code is None
        else Division.parent_code == parent_code
    )
    if current_only:
        stmt = stmt.where(Division.valid_to.is_(None))
    return session.execute(stmt).scalars().all()


def search(session: Session, text: str, *, limit: int) -> Sequence[Division]:
    stmt = (
        select(Division)
        .where(Division.valid_to.is_(None))
        .where(Division.name.contains(text, autoescape=True) | Division.code.startswith(text))
        .order_by(Division.code)
        .limit(limit)
    )
    return session.execute(stmt).scalars().all()
