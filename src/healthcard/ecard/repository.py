"""All SQL of the ecard domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from healthcard.models import ECard, ECardNonce, ECardQrUse, ECardSigningKey


def get_ecard(session: Session, ecard_id: int) -> ECard | None:
    return session.get(ECard, ecard_id)


def ecard_for_update(session: Session, ecard_id: int) -> ECard | None:
    return session.execute(
        select(ECard).where(ECard.id == ecard_id).with_for_update()
    ).scalar_one_or_none()


def ecard_by_token(session: Session, token: str) -> ECard | None:
    return session.execute(select(ECard).where(ECard.token == token)).scalar_one_or_none()


def active_ecard_of(session: Session, person_id: int) -> ECard | None:
    return session.execute(
        select(ECard).where(ECard.person_id == person_id, ECard.status == "active")
    ).scalar_one_or_none()


def keys(session: Session) -> Sequence[ECardSigningKey]:
    return session.execute(select(ECardSigningKey).order_by(ECardSigningKey.id)).scalars().all()


def verification_keys(session: Session) -> Sequence[Any]:
    """What verification needs of every key (not the sealed private keys)."""
    return session.execute(
        select(
            ECardSigningKey.kid,
            ECardSigningKey.public_key,
            ECardSigningKey.status,
            ECardSigningKey.created_at,
            ECardSigningKey.verify_until,
        ).order_by(ECardSigningKey.id)
    ).all()


def key_by_kid(session: Session, kid: str) -> ECardSigningKey | None:
    return session.execute(
        select(ECardSigningKey).where(ECardSigningKey.kid == kid)
    ).scalar_one_or_none()


def active_key(session: Session, *, for_update: bool = False) -> ECardSigningKey | None:
    stmt = select(ECardSigningKey).where(ECardSigningKey.status == "active")
    if for_update:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def add_nonce(session: Session, *, nonce: str, ecard_id: int, expires_at: datetime) -> None:
    session.add(ECardNonce(nonce=nonce, ecard_id=ecard_id, uses=0, expires_at=expires_at))
    session.flush()


def purge_nonces(session: Session, *, expired_before: datetime) -> int:
    result = session.execute(
        delete(ECardNonce)
        .where(ECardNonce.expires_at < expired_before)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def nonce_exists(session: Session, nonce: str, ecard_id: int) -> bool:
    found = session.execute(
        select(ECardNonce.id).where(ECardNonce.nonce == nonce, ECardNonce.ecard_id == ecard_id)
    ).scalar_one_or_none()
    return found is not None


def count_nonce_use(
    session: Session, nonce: str, *, max_uses: int | None, ecard_id: int | None = None
) -> bool:
    """Count one use of ``nonce`` atomically; False when it is already used ``max_uses`` times
    (or, given ``ecard_id``, when it is not a nonce issued for that e-card)."""
    stmt = update(ECardNonce).where(ECardNonce.nonce == nonce)
    if ecard_id is not None:
        stmt = stmt.where(ECardNonce.ecard_id == ecard_id)
    if max_uses is not None:
        stmt = stmt.where(ECardNonce.uses < max_uses)
    result = session.execute(
        stmt.values(uses=ECardNonce.uses + 1).execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def add_use(session: Session, values: dict[str, Any]) -> int:
    """Insert one use-log row (a plain insert: nothing else in the request reads it back)."""
    return int(session.execute(insert(ECardQrUse).returning(ECardQrUse.id), [values]).scalar_one())


def uses_by_ids(session: Session, ids: Sequence[int]) -> Sequence[ECardQrUse]:
    return (
        session.execute(select(ECardQrUse).where(ECardQrUse.id.in_(ids)).order_by(ECardQrUse.id))
        .scalars()
        .all()
    )


def uses_of(session: Session, ecard_id: int, *, limit: int) -> Sequence[ECardQrUse]:
    return (
        session.execute(
            select(ECardQrUse)
            .where(ECardQrUse.ecard_id == ecard_id)
            .order_by(ECardQrUse.occurred_at.desc(), ECardQrUse.id.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )
