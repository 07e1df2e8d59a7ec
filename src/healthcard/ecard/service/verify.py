"""Verifying QR codes at terminals (online), offline reports, and the use log.

Online verification applies exactly the offline rules of ``qrtoken.check`` (the same published
keys), then what only the platform knows: the e-card and physical card states, the terminal's
registration and allowed uses, the nonce's use count, the static code's PIN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from healthcard.cards import service as cards_service
from healthcard.cards.exceptions import TerminalRefused
from healthcard.core import audit
from healthcard.core.config import Settings
from healthcard.core.db import utcnow
from healthcard.core.errors import AppError
from healthcard.core.principal import Principal
from healthcard.ecard import qrtoken, repository
from healthcard.ecard.exceptions import (
    ECardNotFound,
    QrCardCancelled,
    QrCardLost,
    QrECardCancelled,
    QrPinLocked,
    QrPinRequired,
    QrPinWrong,
    QrRefused,
    QrReplayed,
    QrStaticRevoked,
    QrUnknownCode,
    TerminalUseNotAllowed,
)
from healthcard.ecard.service.ecards import check_pin
from healthcard.ecard.service.keys import public_key, published_keys
from healthcard.identity import service as identity_service
from healthcard.models import ECard, ECardQrUse, Terminal


@dataclass(frozen=True)
class Summary:
    """What a terminal sees of the holder: enough to greet and check them, nothing more."""

    person_id: int
    name_masked: str
    sex: str | None
    birth_year: int | None
    id_number_masked: str | None
    ecard_status: str
    card_status: str | None
    code_kind: str
    use: str


@dataclass
class Verification:
    """The answer to one verification: a summary, or the refusal (logged either way)."""

    summary: Summary | None
    error: AppError | None


def mask_name(name: str) -> str:
    """张*伟 (3+ characters), 张* (2), kept as is (1)."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def _terminal(session: Session, actor: Principal, code: str, use: str) -> Terminal:
    terminal = cards_service.check_terminal(session, code, required=True)
    assert terminal is not None  # required=True refuses a missing one  # noqa: S101
    if not actor.may_act_in(terminal.institution_id):
        raise TerminalRefused(f"终端 {code} 不属于本机构，拒绝受理。")
    if use not in terminal.allowed_uses.split():
        raise TerminalUseNotAllowed(f"终端 {code} 未被授权办理“{use}”业务。")
    return terminal


def _check_card(session: Session, ecard: ECard) -> str | None:
    """The physical card's state; lost or cancelled cards stop the e-card."""
    card = cards_service.get_card(session, card_id=ecard.card_id) if ecard.card_id else None
    if card is None or card.status == "replaced":
        # The e-card follows the holder's newest card (a replaced card has a successor).
        card = cards_service.live_card(session, person_id=ecard.person_id)
        ecard.card_id = card.id if card else ecard.card_id
    if card is None:
        return None
    if card.status == "lost":
        raise QrCardLost()
    if card.status == "cancelled":
        raise QrCardCancelled()
    return card.status


def _check_code(
    session: Session, settings: Settings, ecard: ECard, token: qrtoken.Token, pin: str | None
) -> None:
    nonce = token.claims.nonce.hex()
    if token.claims.kind == qrtoken.Kind.STATIC:
        if ecard.static_nonce != nonce:
            raise QrStaticRevoked()
        if not pin:
            raise QrPinRequired()
        _check_static_pin(session, settings, ecard, pin)
        return
    # The use is counted first (one statement, the common case); a refusal then tells apart a
    # nonce never issued for this e-card from one used up.
    max_uses = settings.ecard_dynamic_max_uses
    if not repository.count_nonce_use(session, nonce, max_uses=max_uses, ecard_id=ecard.id):
        if not repository.nonce_exists(session, nonce, ecard.id):
            raise QrUnknownCode()
        raise QrReplayed()


def _check_static_pin(session: Session, settings: Settings, ecard: ECard, pin: str) -> None:
    """A wrong PIN counts; too many in a row lock the static code (guessing a 6-digit PIN at a
    terminal would otherwise take at most a million tries). A right PIN resets the count."""
    # Concurrent tries on one card are serialised, so none goes uncounted.
    session.refresh(ecard, with_for_update=True)
    now = utcnow()
    if ecard.pin_locked_until is not None and ecard.pin_locked_until > now:
        raise QrPinLocked()
    if check_pin(ecard, pin):
        if ecard.pin_failures:
            ecard.pin_failures, ecard.pin_locked_until = 0, None
        return
    ecard.pin_failures = (ecard.pin_failures or 0) + 1
    if ecard.pin_failures >= settings.ecard_pin_max_failures:
        ecard.pin_failures = 0
        ecard.pin_locked_until = now + timedelta(minutes=settings.ecard_pin_lock_minutes)
        raise QrPinLocked()
    raise QrPinWrong()


_UNSIGNED = frozenset({"qr_malformed", "qr_unknown_key", "qr_key_revoked", "qr_bad_signature"})


def _check_signature(session: Session, settings: Settings, token: qrtoken.Token) -> None:
    qrtoken.check(
        token,
        published_keys(session),
        issuer=settings.ecard_issuer_code,
        now=int(utcnow().timestamp()),
        public_key=public_key,
    )


def _verify(
    session: Session,
    settings: Settings,
    token: qrtoken.Token,
    *,
    use: str,
    pin: str | None,
) -> tuple[ECard, Summary]:
    ecard = repository.ecard_by_token(session, token.claims.ecard_id.hex())
    if ecard is None:
        raise QrUnknownCode()
    if ecard.status != "active":
        raise QrECardCancelled()
    card_status = _check_card(session, ecard)
    _check_code(session, settings, ecard, token, pin)
    # Not audited as a person read of its own: the ecard.verify entry names the person.
    person = identity_service.greeting(session, settings=settings, person_id=ecard.person_id)
    return ecard, Summary(
        person_id=person.person_id,
        name_masked=mask_name(person.name),
        sex=person.sex,
        birth_year=person.birth_date.year if person.birth_date else None,
        id_number_masked=person.id_number_masked,
        ecard_status=ecard.status,
        card_status=card_status,
        code_kind=token.claims.kind.name.lower(),
        use=use,
    )


def verify(
    session: Session,
    *,
    settings: Settings,
    actor: Principal,
    payload: str,
    terminal_code: str,
    use: str,
    pin: str | None = None,
) -> Verification:
    """Verify a scanned code for ``use`` at a terminal; every outcome is logged and audited.

    A refusal is returned, not raised, so that its log entry commits with the request.
    """
    token: qrtoken.Token | None = None
    ecard: ECard | None = None
    terminal: Terminal | None = None
    summary: Summary | None = None
    error: AppError | None = None
    try:
        token = qrtoken.read(payload)
        _check_signature(session, settings, token)
        terminal = _terminal(session, actor, terminal_code, use)
        ecard, summary = _verify(session, settings, token, use=use, pin=pin)
    except (QrRefused, TerminalRefused) as refused:
        error = refused
        if ecard is None and token is not None and refused.code not in _UNSIGNED:
            # Only a code whose signature checked is logged against the e-card it names.
            ecard = repository.ecard_by_token(session, token.claims.ecard_id.hex())
    _log(
        session,
        actor,
        ecard=ecard,
        terminal_code=terminal_code,
        terminal=terminal,
        use=use,
        token=token,
        error=error,
        mode="online",
        occurred_at=utcnow(),
        person_id=summary.person_id if summary else None,
    )
    return Verification(summary=summary, error=error)


def _log(
    session: Session,
    actor: Principal,
    *,
    ecard: ECard | None,
    terminal_code: str,
    terminal: Terminal | None,
    use: str,
    token: qrtoken.Token | None,
    error: AppError | None,
    mode: str,
    occurred_at: datetime,
    error_code: str | None = None,
    person_id: int | None = None,
) -> int:
    """Write the use-log row and the audit entry of one verification; the row's id."""
    code = error.code if error else error_code
    kid = token.claims.kid if token else None
    use_id = repository.add_use(
        session,
        {
            "ecard_id": ecard.id if ecard else None,
            "terminal_code": terminal_code[:40],
            "terminal_id": terminal.id if terminal else None,
            "use": use,
            "kind": token.claims.kind.name.lower() if token else None,
            "kid": kid,
            "outcome": "refused" if code else "accepted",
            "error_code": code,
            "mode": mode,
            "occurred_at": occurred_at,
            "recorded_at": utcnow(),
            "recorded_by": f"{actor.label}:{actor.name}"[:200],
        },
    )
    detail: dict[str, object] = {"terminal": terminal_code, "error": code, "kid": kid}
    detail["use_id"] = use_id
    if person_id is not None:
        detail["person"] = person_id  # the holder whose summary the terminal received
    audit.record(
        session,
        actor=actor,
        action="ecard.verify" if mode == "online" else "ecard.verify.offline",
        resource_type="ECard",
        resource_id=ecard.id if ecard else None,
        outcome="denied" if code else "success",
        purpose=use,
        detail=detail,
    )
    return use_id


@dataclass(frozen=True)
class OfflineUse:
    """One verification a terminal made offline and reports later."""

    payload: str
    use: str
    verified_at: datetime
    outcome: str  # accepted | refused
    error_code: str | None = None


def _signed_token(
    session: Session, settings: Settings, payload: str, at: datetime
) -> qrtoken.Token | None:
    """The token if its signature checks (at the time it was used offline), else None."""
    try:
        token = qrtoken.read(payload)
    except QrRefused:
        return None
    try:
        qrtoken.check(
            token,
            published_keys(session),
            issuer=settings.ecard_issuer_code,
            now=int(at.timestamp()),
            public_key=public_key,
        )
    except QrRefused as refused:
        if refused.code in _UNSIGNED:
            return None
    return token


def report_offline(
    session: Session,
    *,
    settings: Settings,
    actor: Principal,
    terminal_code: str,
    uses: list[OfflineUse],
) -> list[ECardQrUse]:
    """Log verifications a terminal made offline; a dynamic code's use counts against replay.

    Answers the use-log rows written, in the order reported."""
    terminal = cards_service.check_terminal(session, terminal_code, required=True)
    assert terminal is not None  # noqa: S101
    if not actor.may_act_in(terminal.institution_id):
        raise TerminalRefused(f"终端 {terminal_code} 不属于本机构，拒绝受理。")
    rows = []
    for item in uses:
        token = _signed_token(session, settings, item.payload, item.verified_at)
        ecard = repository.ecard_by_token(session, token.claims.ecard_id.hex()) if token else None
        if token is not None and ecard is not None and token.claims.kind == qrtoken.Kind.DYNAMIC:
            repository.count_nonce_use(session, token.claims.nonce.hex(), max_uses=None)
        error_code = item.error_code or (None if item.outcome == "accepted" else "qr_refused")
        if token is None and item.outcome == "accepted":
            error_code = "qr_bad_signature"  # the platform cannot trust what the terminal accepted
        rows.append(
            _log(
                session,
                actor,
                ecard=ecard,
                terminal_code=terminal_code,
                terminal=terminal,
                use=item.use,
                token=token,
                error=None,
                error_code=error_code,
                mode="offline",
                occurred_at=item.verified_at.astimezone(UTC),
            )
        )
    return list(repository.uses_by_ids(session, rows))


def uses_of(session: Session, *, ecard_id: int, limit: int = 100) -> list[ECardQrUse]:
    """The e-card's uses, newest first (what the resident sees)."""
    if repository.get_ecard(session, ecard_id) is None:
        raise ECardNotFound()
    return list(repository.uses_of(session, ecard_id, limit=limit))
