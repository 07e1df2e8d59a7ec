"""The e-card lifecycle: create, update (PIN, card binding), cancel, bank card, QR codes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from healthcard.cards import service as cards_service
from healthcard.core import audit
from healthcard.core.config import Settings
from healthcard.core.crypto import derive_key, hmac_sm3
from healthcard.core.db import advisory_lock, utcnow
from healthcard.core.principal import Principal
from healthcard.ecard import qrtoken, repository
from healthcard.ecard.exceptions import (
    ECardExists,
    ECardNotActive,
    ECardNotFound,
    InvalidBankCard,
    PinNotSet,
)
from healthcard.ecard.service.keys import signing_key
from healthcard.identity import service as identity_service
from healthcard.identity.exceptions import PersonNotFound
from healthcard.models import ECard

_pins = PasswordHasher()  # argon2id


def _audit(session: Session, actor: Principal, action: str, ecard: ECard, **detail: object) -> None:
    audit.record(
        session,
        actor=actor,
        action=f"ecard.{action}",
        resource_type="ECard",
        resource_id=ecard.id,
        detail={"person_id": ecard.person_id, **detail},
    )


def get_ecard(session: Session, *, ecard_id: int) -> ECard:
    """One e-card, or 404."""
    ecard = repository.get_ecard(session, ecard_id)
    if ecard is None:
        raise ECardNotFound()
    return ecard


def ecard_of(session: Session, *, person_id: int) -> ECard | None:
    """The person's active e-card, if any."""
    return repository.active_ecard_of(session, person_id)


def _active(session: Session, ecard_id: int) -> ECard:
    ecard = repository.ecard_for_update(session, ecard_id)
    if ecard is None:
        raise ECardNotFound()
    if ecard.status != "active":
        raise ECardNotActive()
    return ecard


def create(session: Session, *, settings: Settings, actor: Principal, person_id: int) -> ECard:
    """Open a person's e-card, bound to their live physical card if they have one."""
    person = identity_service.view(
        session, settings=settings, actor=actor, person_id=person_id, purpose="ecard-issuance"
    ).person
    if person.status != "active":
        raise PersonNotFound(f"该居民已合并到居民 {person.merged_into_id}，请为该居民办理。")
    advisory_lock(session, f"ecard/person/{person_id}")
    if repository.active_ecard_of(session, person_id) is not None:
        raise ECardExists()
    card = cards_service.live_card(session, person_id=person_id)
    ecard = ECard(
        token=secrets.token_bytes(qrtoken.ECARD_ID_BYTES).hex(),
        person_id=person_id,
        card_id=card.id if card else None,
        status="active",
        institution_id=actor.institution_id,
    )
    session.add(ecard)
    session.flush()
    _audit(session, actor, "create", ecard, card_id=ecard.card_id)
    return ecard


def update(
    session: Session,
    *,
    actor: Principal,
    ecard_id: int,
    pin: str | None = None,
    refresh_card: bool = False,
) -> ECard:
    """Set the PIN static codes need, or re-bind to the person's current physical card."""
    ecard = _active(session, ecard_id)
    changed = []
    if pin is not None:
        ecard.pin_hash = _pins.hash(pin)
        changed.append("pin")
    if refresh_card:
        card = cards_service.live_card(session, person_id=ecard.person_id)
        ecard.card_id = card.id if card else None
        changed.append("card")
    session.flush()
    _audit(session, actor, "update", ecard, changed=changed, card_id=ecard.card_id)
    return ecard


def cancel(session: Session, *, actor: Principal, ecard_id: int, reason: str) -> ECard:
    """Cancel an e-card: every code it ever had stops verifying."""
    ecard = _active(session, ecard_id)
    ecard.status = "cancelled"
    ecard.cancelled_at = utcnow()
    ecard.cancel_reason = reason
    ecard.static_nonce = None
    session.flush()
    _audit(session, actor, "cancel", ecard, reason=reason)
    return ecard


def _luhn_ok(number: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def mask_bank_card(number: str) -> str:
    """``6222 **** **** 1234``: the first and last four digits only."""
    return f"{number[:4]} **** **** {number[-4:]}"


def bank_token(settings: Settings, number: str) -> str:
    """The blind index of a card number (HMAC-SM3 under a key derived for this purpose)."""
    return hmac_sm3(derive_key(settings.secret_key, "index/bank-card"), number.encode()).hex()


def bind_bank_card(
    session: Session, *, settings: Settings, actor: Principal, ecard_id: int, number: str
) -> ECard:
    """Bind a bank card: only its token and masked number are stored, never the number."""
    digits = number.replace(" ", "").replace("-", "")
    if not (digits.isdigit() and 12 <= len(digits) <= 19 and _luhn_ok(digits)):
        raise InvalidBankCard()
    ecard = _active(session, ecard_id)
    ecard.bank_token = bank_token(settings, digits)
    ecard.bank_masked = mask_bank_card(digits)
    session.flush()
    _audit(session, actor, "bank.bind", ecard, masked=ecard.bank_masked)
    return ecard


def unbind_bank_card(session: Session, *, actor: Principal, ecard_id: int) -> ECard:
    """Remove the bound bank card."""
    ecard = _active(session, ecard_id)
    ecard.bank_token = None
    ecard.bank_masked = None
    session.flush()
    _audit(session, actor, "bank.unbind", ecard)
    return ecard


def check_pin(ecard: ECard, pin: str) -> bool:
    """Whether ``pin`` is the e-card's PIN (argon2id)."""
    if ecard.pin_hash is None:
        return False
    try:
        return _pins.verify(ecard.pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class IssuedCode:
    text: str
    kind: qrtoken.Kind
    kid: str
    issued_at: datetime
    expires_at: datetime


def issue_code(
    session: Session, *, settings: Settings, actor: Principal, ecard_id: int, static: bool
) -> IssuedCode:
    """Sign a QR code: dynamic (short-lived, counted uses) or static (printed, needs the PIN)."""
    ecard = _active(session, ecard_id)
    if static and ecard.pin_hash is None:
        raise PinNotSet()
    kid, key = signing_key(session, settings=settings)
    now = utcnow().replace(microsecond=0)
    lifetime = (
        timedelta(days=settings.ecard_static_lifetime_days)
        if static
        else timedelta(seconds=settings.ecard_qr_lifetime_seconds)
    )
    claims = qrtoken.Claims(
        kind=qrtoken.Kind.STATIC if static else qrtoken.Kind.DYNAMIC,
        ecard_id=bytes.fromhex(ecard.token),
        issuer=settings.ecard_issuer_code,
        kid=kid,
        issued_at=int(now.timestamp()),
        expires_at=int((now + lifetime).timestamp()),
        nonce=secrets.token_bytes(qrtoken.NONCE_BYTES),
    )
    if static:
        ecard.static_nonce = claims.nonce.hex()  # the previous printed code stops working
        session.flush()
        _audit(session, actor, "static_code.issue", ecard, kid=kid)
    else:
        repository.add_nonce(
            session, nonce=claims.nonce.hex(), ecard_id=ecard.id, expires_at=now + lifetime
        )
    text = qrtoken.encode(qrtoken.sign(claims, key))
    return IssuedCode(text, claims.kind, kid, now, now + lifetime)


def revoke_static_code(session: Session, *, actor: Principal, ecard_id: int) -> ECard:
    """Revoke the printed static code (lost paper): it stops verifying at once."""
    ecard = _active(session, ecard_id)
    ecard.static_nonce = None
    session.flush()
    _audit(session, actor, "static_code.revoke", ecard)
    return ecard


def purge_nonces(session: Session, *, settings: Settings, actor: Principal) -> int:
    """Delete the nonces of dynamic codes expired longer ago than the retention period.

    A purged nonce cannot be replayed: its code has expired and fails the time check first."""
    before = utcnow() - timedelta(days=settings.ecard_nonce_retention_days)
    count = repository.purge_nonces(session, expired_before=before)
    audit.record(
        session,
        actor=actor,
        action="ecard.nonces.purge",
        resource_type="ECardNonce",
        detail={"deleted": count, "expired_before": before.isoformat()},
    )
    return count
