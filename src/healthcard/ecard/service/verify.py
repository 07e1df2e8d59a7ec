"""Verifying QR codes at terminals (online), offline reports, and the use log.

Online verification applies exactly the offline rules of ``qrtoken.check`` (the same published
keys), then what only the platform knows: the e-card and physical card states, the terminal's
registration and allowed uses, the nonce's use count, the static code's PIN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from healthcard.cards import service as cards_service
from healthcard.cards.exceptions import TerminalRefused
from healthcard.core import audit
from healthcard.core.auth import Caller, authorise_many
from healthcard.core.config import Settings
from healthcard.core.db import utcnow
from healthcard.core.errors import AppError
from healthcard.core.principal import Principal
from healthcard.ecard import qrtoken, repository
from healthcard.ecard.exceptions import (
    ClientUseNotAllowed,
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
from healthcard.identity.exceptions import PersonNotFound
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


@dataclass(frozen=True)
class VerifyRequest:
    """One scanned code to verify: who asks, at which terminal, for which use."""

    actor: Principal
    payload: str
    terminal_code: str
    use: str
    pin: str | None = None
    request_id: str | None = None  # of the HTTP request, for its audit entry
    client_address: str | None = None


@dataclass(eq=False)
class _Item:
    """One verification on its way through the checks; ``error`` stops it."""

    request: VerifyRequest
    token: qrtoken.Token | None = None
    terminal: Terminal | None = None
    ecard: ECard | None = None
    card_status: str | None = None
    summary: Summary | None = None
    error: AppError | None = None

    @property
    def code(self) -> qrtoken.Token:
        """The token of an item still on its way (read, else it was refused)."""
        if self.token is None:
            raise RuntimeError("no token: the item was refused before")
        return self.token

    @property
    def card(self) -> ECard:
        """The e-card of an item still on its way past the e-card check."""
        if self.ecard is None:
            raise RuntimeError("no e-card: the item was refused before")
        return self.ecard


def _live(items: list[_Item]) -> list[_Item]:
    return [item for item in items if item.error is None]


def _read_tokens(items: list[_Item]) -> None:
    for item in items:
        try:
            item.token = qrtoken.read(item.request.payload)
        except QrRefused as refused:
            item.error = refused


def _check_signatures(session: Session, settings: Settings, items: list[_Item]) -> None:
    live = _live(items)
    if not live:
        return
    keys = published_keys(session)
    now = int(utcnow().timestamp())
    for item in live:
        try:
            qrtoken.check(
                item.code, keys, issuer=settings.ecard_issuer_code, now=now, public_key=public_key
            )
        except QrRefused as refused:
            item.error = refused


def _check_terminals(session: Session, items: list[_Item]) -> None:
    live = _live(items)
    terminals = cards_service.check_terminals(
        session, sorted({item.request.terminal_code for item in live})
    )
    for item in live:
        code, use = item.request.terminal_code, item.request.use
        found = terminals[code]
        if isinstance(found, TerminalRefused):
            item.error = found
        elif not item.request.actor.may_act_in(found.institution_id):
            item.error = TerminalRefused(f"终端 {code} 不属于本机构，拒绝受理。")
        elif use not in found.allowed_uses.split():
            item.error = TerminalUseNotAllowed(f"终端 {code} 未被授权办理“{use}”业务。")
        elif item.request.actor.uses is not None and use not in item.request.actor.uses:
            item.error = ClientUseNotAllowed(
                f"接入系统“{item.request.actor.name}”未被授权办理“{use}”业务。"
            )
        else:
            item.terminal = found


_UNSIGNED = frozenset({"qr_malformed", "qr_unknown_key", "qr_key_revoked", "qr_bad_signature"})


def _load_ecards(session: Session, items: list[_Item]) -> None:
    """The e-cards the codes name; only a code whose signature checked is logged against the
    e-card it names, refused or not."""
    signed = [
        item
        for item in items
        if item.token is not None and (item.error is None or item.error.code not in _UNSIGNED)
    ]
    ecards = repository.ecards_by_tokens(
        session, [item.code.claims.ecard_id.hex() for item in signed]
    )
    for item in signed:
        item.ecard = ecards.get(item.code.claims.ecard_id.hex())
        if item.error is None and item.ecard is None:
            item.error = QrUnknownCode()
        elif item.error is None and item.ecard is not None and item.ecard.status != "active":
            item.error = QrECardCancelled()


def _check_cards(session: Session, items: list[_Item]) -> None:
    """The physical card's state; lost or cancelled cards stop the e-card."""
    live = _live(items)
    cards = cards_service.cards_by_ids(
        session, [item.card.card_id for item in live if item.card.card_id]
    )
    # The e-card follows the holder's newest card (a replaced card has a successor); an e-card
    # without a card (or with a replaced one) looks for the holder's live card.
    unbound = {
        item
        for item in live
        if item.card.card_id is None
        or item.card.card_id not in cards
        or cards[item.card.card_id].status == "replaced"
    }
    newest = cards_service.live_cards(session, [item.card.person_id for item in unbound])
    for item in live:
        ecard = item.card
        card = newest.get(ecard.person_id) if item in unbound else cards[ecard.card_id or 0]
        if item in unbound and card is not None:
            ecard.card_id = card.id
        if card is None:
            continue
        if card.status == "lost":
            item.error = QrCardLost()
        elif card.status == "cancelled":
            item.error = QrCardCancelled()
        else:
            item.card_status = card.status


def _check_codes(session: Session, settings: Settings, items: list[_Item]) -> None:
    """Static codes: still the printed one, and the PIN. Dynamic codes: the nonce's use is
    counted (one statement for the whole batch; a nonce twice in a batch counts in order)."""
    first: dict[tuple[str, int], _Item] = {}
    again: list[_Item] = []
    for item in _live(items):
        nonce = item.code.claims.nonce.hex()
        if item.code.claims.kind == qrtoken.Kind.STATIC:
            try:
                _check_static(session, settings, item.card, nonce, item.request.pin)
            except QrRefused as static_refusal:
                item.error = static_refusal
        elif (nonce, item.card.id) in first:
            again.append(item)
        else:
            first[(nonce, item.card.id)] = item
    max_uses = settings.ecard_dynamic_max_uses
    counted = repository.count_nonce_uses(session, list(first), max_uses=max_uses)
    refused = [(pair, item) for pair, item in first.items() if pair[0] not in counted]
    for item in again:  # rare: the same code scanned twice at once
        pair = (item.code.claims.nonce.hex(), item.card.id)
        if not repository.count_nonce_use(session, pair[0], max_uses=max_uses, ecard_id=pair[1]):
            refused.append((pair, item))
    # A refusal tells apart a nonce never issued for this e-card from one used up.
    issued = repository.existing_nonces(session, [pair for pair, _ in refused])
    for (nonce, _), item in refused:
        item.error = QrReplayed() if nonce in issued else QrUnknownCode()


def _check_static(
    session: Session, settings: Settings, ecard: ECard, nonce: str, pin: str | None
) -> None:
    if ecard.static_nonce != nonce:
        raise QrStaticRevoked()
    if not pin:
        raise QrPinRequired()
    _check_static_pin(session, settings, ecard, pin)


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


def _greet(session: Session, settings: Settings, items: list[_Item]) -> None:
    """The summary the terminal receives. Not audited as person reads of their own: each
    ``ecard.verify`` entry names the person."""
    live = _live(items)
    persons = identity_service.greetings(
        session, settings=settings, person_ids=[item.card.person_id for item in live]
    )
    for item in live:
        person = persons.get(item.card.person_id)
        if person is None:
            raise PersonNotFound()
        item.summary = Summary(
            person_id=person.person_id,
            name_masked=mask_name(person.name),
            sex=person.sex,
            birth_year=person.birth_date.year if person.birth_date else None,
            id_number_masked=person.id_number_masked,
            ecard_status=item.card.status,
            card_status=item.card_status,
            code_kind=item.code.claims.kind.name.lower(),
            use=item.request.use,
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
    request = VerifyRequest(actor, payload, terminal_code, use, pin)
    return verify_many(session, settings=settings, requests=[request])[0]


@dataclass(frozen=True)
class OnlineJob:
    """One call of the online verification endpoint, its caller not yet resolved."""

    caller: Caller
    payload: str
    terminal_code: str
    use: str
    pin: str | None = None


def verify_batch(
    factory: sessionmaker[Session], settings: Settings, jobs: Sequence[OnlineJob]
) -> list[Verification]:
    """Resolve the callers of several online verifications and verify their codes, all in one
    transaction that commits before any answer goes out (core/batching.py)."""
    with factory() as session:
        # Not ``with session.begin()``: resolving a console session that went idle commits its
        # end at once (accounts.resolver); what follows must still commit, so the end commits
        # whatever transaction is current.
        session.begin()
        principals = authorise_many(session, [job.caller for job in jobs])
        requests = [
            VerifyRequest(
                principal,
                job.payload,
                job.terminal_code,
                job.use,
                job.pin,
                job.caller.request_id,
                job.caller.client_address,
            )
            for job, principal in zip(jobs, principals, strict=True)
            if isinstance(principal, Principal)
        ]
        verified = iter(verify_many(session, settings=settings, requests=requests))
        answers = [
            Verification(summary=None, error=principal)
            if isinstance(principal, AppError)
            else next(verified)
            for principal in principals
        ]
        session.commit()
        return answers


def verify_many(
    session: Session, *, settings: Settings, requests: list[VerifyRequest]
) -> list[Verification]:
    """Verify several scanned codes in the caller's transaction, with the same checks and the
    same answers as one at a time, in a fixed number of statements whatever their number.

    In this order, each check refusing what it must (the first refusal stands): the code
    (Base45, layout, key, signature, validity window: the offline rules), the terminal (known,
    active, with its SAM card, of the caller's institution, allowed the use), the e-card (known,
    active), the physical card (not lost or cancelled), the code's use (a static code's PIN; a
    dynamic code's nonce not used up). Every outcome gets a use-log row and an audit entry.
    """
    items = [_Item(request) for request in requests]
    _read_tokens(items)
    _check_signatures(session, settings, items)
    _check_terminals(session, items)
    _load_ecards(session, items)
    _check_cards(session, items)
    _check_codes(session, settings, items)
    _greet(session, settings, items)
    now = utcnow()
    rows = [
        _use_row(
            item.request.actor,
            ecard=item.ecard,
            terminal_code=item.request.terminal_code,
            terminal=item.terminal,
            use=item.request.use,
            token=item.token,
            error_code=item.error.code if item.error else None,
            mode="online",
            occurred_at=now,
        )
        for item in items
    ]
    for item, row, use_id in zip(items, rows, repository.add_uses(session, rows), strict=True):
        _audit_use(
            session,
            item.request.actor,
            row=row,
            use_id=use_id,
            person_id=item.summary.person_id if item.summary else None,
            request=item.request,
        )
    return [Verification(summary=item.summary, error=item.error) for item in items]


def _use_row(
    actor: Principal,
    *,
    ecard: ECard | None,
    terminal_code: str,
    terminal: Terminal | None,
    use: str,
    token: qrtoken.Token | None,
    error_code: str | None,
    mode: str,
    occurred_at: datetime,
) -> dict[str, object]:
    return {
        "ecard_id": ecard.id if ecard else None,
        "terminal_code": terminal_code[:40],
        "terminal_id": terminal.id if terminal else None,
        "use": use,
        "kind": token.claims.kind.name.lower() if token else None,
        "kid": token.claims.kid if token else None,
        "outcome": "refused" if error_code else "accepted",
        "error_code": error_code,
        "mode": mode,
        "occurred_at": occurred_at,
        "recorded_at": utcnow(),
        "recorded_by": f"{actor.label}:{actor.name}"[:200],
    }


def _audit_use(
    session: Session,
    actor: Principal,
    *,
    row: dict[str, object],
    use_id: int,
    person_id: int | None = None,
    request: VerifyRequest | None = None,
) -> None:
    """The audit entry of one logged use."""
    code = row["error_code"]
    detail: dict[str, object] = {"terminal": row["terminal_code"], "error": code}
    detail["kid"] = row["kid"]
    detail["use_id"] = use_id
    if person_id is not None:
        detail["person"] = person_id  # the holder whose summary the terminal received
    audit.record(
        session,
        actor=actor,
        action="ecard.verify" if row["mode"] == "online" else "ecard.verify.offline",
        resource_type="ECard",
        resource_id=row["ecard_id"],  # type: ignore[arg-type]
        outcome="denied" if code else "success",
        purpose=str(row["use"]),
        detail=detail,
        request_id=request.request_id if request else None,
        client_address=request.client_address if request else None,
    )


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
        row = _use_row(
            actor,
            ecard=ecard,
            terminal_code=terminal_code,
            terminal=terminal,
            use=item.use,
            token=token,
            error_code=error_code,
            mode="offline",
            occurred_at=item.verified_at.astimezone(UTC),
        )
        use_id = repository.add_use(session, row)
        _audit_use(session, actor, row=row, use_id=use_id)
        rows.append(use_id)
    return list(repository.uses_by_ids(session, rows))


def uses_of(session: Session, *, ecard_id: int, limit: int = 100) -> list[ECardQrUse]:
    """The e-card's uses, newest first (what the resident sees)."""
    if repository.get_ecard(session, ecard_id) is None:
        raise ECardNotFound()
    return list(repository.uses_of(session, ecard_id, limit=limit))
