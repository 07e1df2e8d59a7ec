"""Whether a resident is present at an institution: their e-card QR code was verified (accepted)
by one of its terminals recently. Other domains use it to open a visiting resident's record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from healthcard.models import ECard, ECardQrUse, Terminal


def last_verified_at(session: Session, *, person_id: int, institution_id: int) -> datetime | None:
    """When a QR code of the person's e-card was last accepted at the institution, if ever."""
    return session.execute(
        select(ECardQrUse.occurred_at)
        .join(ECard, ECard.id == ECardQrUse.ecard_id)
        .join(Terminal, Terminal.id == ECardQrUse.terminal_id)
        .where(
            ECard.person_id == person_id,
            Terminal.institution_id == institution_id,
            ECardQrUse.outcome == "accepted",
        )
        .order_by(ECardQrUse.occurred_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def present_since(
    session: Session, *, person_id: int, institution_id: int, since: datetime
) -> bool:
    """Whether the person's e-card was verified at the institution at or after ``since``."""
    last = last_verified_at(session, person_id=person_id, institution_id=institution_id)
    return last is not None and last >= since
