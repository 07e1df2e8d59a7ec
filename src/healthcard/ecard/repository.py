"""All SQL of the ecard domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, tuple_, update
from sqlalchemy.orm import Session

from healthcard.core.db import table_of
from healthcard.models import ECard, ECardNonce, ECardQrUse, ECardSigningKey


def get_ecard(session: Session, ecard_id: int) -> ECard | None:
    return session.get(ECard, ecard_id)


def ecard_for_update(session: Session, ecard_id: int) -> ECard | None:
    return session.execute(
        select(ECard).where(ECard.id == ecard_id).with_for_update()
    ).scalar_one_or_none()


def ecard_by_token(session: Session, token: str) -> ECard | None:
    return session.execute(select(ECard).where(ECard.token == token)).scalar_one_or_none()


def ecards_by_tokens(session: Session, tokens: Sequence[str]) -> dict[str, ECard]:
    """Several e-cards by their QR tokens, in one statement."""
    if not tokens:
        return {}
    found = session.execute(_ECARDS_BY_TOKENS, {"tokens": sorted(set(tokens))}).scalars()
    return {ecard.token: ecard for ecard in found}


_ECARDS_BY_TOKENS = select(ECard).where(ECard.token.in_(bindparam("tokens", expanding=True)))


def active_ecard_of(session: Session, person_id: int) -> ECard | None:
    return session.execute(
        select(ECard).where(ECard.person_id == person_id, ECard.status == "active")
    ).scalar_one_or_none()


def keys(session: Session) -> Sequence[ECardSigningKey]:
    return session.execute(select(ECardSigningKey).order_by(ECardSigningKey.id)).scalars().all()


def verification_keys(session: Session) -> Sequence[Any]:
    """What verification needs of every key (not the sealed private keys)."""
    return session.connection().execute(_VERIFICATION_KEYS).all()


_KEYS = table_of(ECardSigningKey)
_VERIFICATION_KEYS = select(
    _KEYS.c.kid, _KEYS.c.public_key, _KEYS.c.status, _KEYS.c.created_at, _KEYS.c.verify_until
).order_by(_KEYS.c.id)


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


def count_nonce_uses(
    session: Session, pairs: Sequence[tuple[str, int]], *, max_uses: int
) -> set[str]:
    """:func:`count_nonce_use` for several distinct (nonce, e-card id) pairs in one statement:
    the nonces counted (the others are used up, or not issued for that e-card)."""
    if not pairs:
        return set()
    params = {"pairs": sorted(pairs), "max_uses": max_uses}
    return set(session.connection().execute(_COUNT_NONCE_USES, params).scalars())


def existing_nonces(session: Session, pairs: Sequence[tuple[str, int]]) -> set[str]:
    """Which of these (nonce, e-card id) pairs were issued."""
    if not pairs:
        return set()
    found = session.execute(
        select(ECardNonce.nonce).where(
            tuple_(ECardNonce.nonce, ECardNonce.ecard_id).in_(sorted(set(pairs)))
        )
    ).scalars()
    return set(found)


def add_uses(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert use-log rows in one statement; their ids, in the order given."""
    if not rows:
        return []
    return [int(i) for i in session.connection().execute(_ADD_USES, list(rows)).scalars()]


# Built once: every online verification runs them.
_NONCES, _USES = table_of(ECardNonce), table_of(ECardQrUse)
_COUNT_NONCE_USES = (
    update(_NONCES)
    .where(tuple_(_NONCES.c.nonce, _NONCES.c.ecard_id).in_(bindparam("pairs", expanding=True)))
    .where(_NONCES.c.uses < bindparam("max_uses"))
    .values(uses=_NONCES.c.uses + 1)
    .returning(_NONCES.c.nonce)
)
_ADD_USES = insert(_USES).returning(_USES.c.id, sort_by_parameter_order=True)


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
