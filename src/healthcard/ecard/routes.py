"""JSON API of electronic health cards: e-cards, QR codes, verification, uses, published keys."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response

from healthcard.core.auth import Public
from healthcard.core.batching import MicroBatcher
from healthcard.core.db import utcnow
from healthcard.core.session import DbSession
from healthcard.ecard import images, service
from healthcard.ecard.permissions import (
    ECardsManage,
    ECardsQrcode,
    ECardsRead,
    ECardsVerify,
    ECardsVerifyBatched,
)
from healthcard.ecard.schemas import (
    BankCardIn,
    CancelIn,
    ECardIn,
    ECardOut,
    ECardUpdateIn,
    OfflineReportIn,
    OfflineReportOut,
    QrCodeIn,
    QrCodeOut,
    SummaryOut,
    UseOut,
    VerifyIn,
)
from healthcard.models import ECard

router = APIRouter(prefix="/api/v1/ecards", tags=["ecards"])


def _out(ecard: ECard) -> ECardOut:
    return ECardOut(
        id=ecard.id,
        person_id=ecard.person_id,
        card_id=ecard.card_id,
        status=ecard.status,
        has_pin=ecard.pin_hash is not None,
        static_code=ecard.static_nonce is not None,
        bank_masked=ecard.bank_masked,
        created_at=ecard.created_at,
        updated_at=ecard.updated_at,
        cancelled_at=ecard.cancelled_at,
    )


@router.get("/keys")
def published_keys(request: Request, session: DbSession, _: Public, response: Response) -> Any:
    """The issuer public keys for offline verification (docs/ecard-qr.md); open to anyone."""
    response.headers["Cache-Control"] = "public, max-age=300"
    return service.published(session, settings=request.app.state.settings)


def _verifier(app: FastAPI) -> MicroBatcher[service.OnlineJob, service.Verification]:
    """The application's batcher of online verifications (one per process, made on first use)."""
    verifier: MicroBatcher[service.OnlineJob, service.Verification] | None = getattr(
        app.state, "ecard_verifier", None
    )
    if verifier is None:
        settings = app.state.settings
        verifier = MicroBatcher(
            partial(service.verify_batch, app.state.session_factory, settings),
            max_batch=settings.ecard_verify_max_batch,
        )
        app.state.ecard_verifier = verifier
    return verifier


@router.post("/verify", response_model=SummaryOut)
async def verify(request: Request, caller: ECardsVerifyBatched, data: VerifyIn) -> Response:
    """Verify a scanned code at a terminal; answers the holder summary or the refusal's code.

    Verifications arriving together share one transaction (core/batching.py); each answer goes
    out after its use-log row and audit entry committed, refusals included.
    """
    job = service.OnlineJob(caller, data.payload, data.terminal, data.use, data.pin)
    verifier = _verifier(request.app)
    # A static code with its PIN checks a deliberately slow hash: alone, not holding up others.
    result = await (verifier.alone(job) if data.pin else verifier.submit(job))
    if result.error is not None:
        raise result.error
    assert result.summary is not None  # noqa: S101 - no error means a summary
    # Built and serialised once (a returned Response is not validated again against the model).
    return Response(SummaryOut(**vars(result.summary)).model_dump_json(), media_type=_JSON)


_JSON = "application/json"


@router.post("/uses", response_model=OfflineReportOut, status_code=201)
def report_uses(
    request: Request, session: DbSession, principal: ECardsVerify, data: OfflineReportIn
) -> OfflineReportOut:
    """A terminal reports the verifications it made offline."""
    rows = service.report_offline(
        session,
        settings=request.app.state.settings,
        actor=principal,
        terminal_code=data.terminal,
        uses=[service.OfflineUse(**item.model_dump()) for item in data.uses],
    )
    return OfflineReportOut(recorded=len(rows))


@router.post("", response_model=ECardOut, status_code=201)
def create(
    request: Request, session: DbSession, principal: ECardsManage, data: ECardIn
) -> ECardOut:
    """Open a resident's e-card (bound to their live physical card, if any)."""
    ecard = service.create(
        session, settings=request.app.state.settings, actor=principal, person_id=data.person_id
    )
    return _out(ecard)


@router.get("/{ecard_id}", response_model=ECardOut)
def get(session: DbSession, _: ECardsRead, ecard_id: int) -> ECardOut:
    """One e-card."""
    return _out(service.get_ecard(session, ecard_id=ecard_id))


@router.patch("/{ecard_id}", response_model=ECardOut)
def update(
    session: DbSession, principal: ECardsManage, ecard_id: int, data: ECardUpdateIn
) -> ECardOut:
    """Set the PIN (needed by static codes) or re-bind to the current physical card."""
    ecard = service.update(
        session, actor=principal, ecard_id=ecard_id, pin=data.pin, refresh_card=data.refresh_card
    )
    return _out(ecard)


@router.post("/{ecard_id}/cancel", response_model=ECardOut)
def cancel(session: DbSession, principal: ECardsManage, ecard_id: int, data: CancelIn) -> ECardOut:
    """Cancel an e-card; its codes stop verifying at once."""
    return _out(service.cancel(session, actor=principal, ecard_id=ecard_id, reason=data.reason))


@router.put("/{ecard_id}/bank-card", response_model=ECardOut)
def bind_bank_card(
    request: Request, session: DbSession, principal: ECardsManage, ecard_id: int, data: BankCardIn
) -> ECardOut:
    """Bind a bank card (stored as a blind index and a masked number only)."""
    ecard = service.bind_bank_card(
        session,
        settings=request.app.state.settings,
        actor=principal,
        ecard_id=ecard_id,
        number=data.number,
    )
    return _out(ecard)


@router.delete("/{ecard_id}/bank-card", response_model=ECardOut)
def unbind_bank_card(session: DbSession, principal: ECardsManage, ecard_id: int) -> ECardOut:
    """Unbind the bank card."""
    return _out(service.unbind_bank_card(session, actor=principal, ecard_id=ecard_id))


@router.post("/{ecard_id}/qrcode", response_model=QrCodeOut)
def qrcode(
    request: Request, session: DbSession, principal: ECardsQrcode, ecard_id: int, data: QrCodeIn
) -> QrCodeOut:
    """A signed QR code: dynamic (expires quickly) or static (printed; needs the PIN)."""
    code = service.issue_code(
        session,
        settings=request.app.state.settings,
        actor=principal,
        ecard_id=ecard_id,
        static=data.static,
    )
    return QrCodeOut(
        payload=code.text,
        kind=code.kind.name.lower(),
        kid=code.kid,
        issued_at=code.issued_at,
        expires_at=code.expires_at,
        expires_in=max(0, int((code.expires_at - utcnow()).total_seconds())),
        png=images.png_base64(code.text),
        svg=images.svg(code.text),
    )


@router.delete("/{ecard_id}/static-code", response_model=ECardOut)
def revoke_static_code(session: DbSession, principal: ECardsManage, ecard_id: int) -> ECardOut:
    """Revoke the printed static code (e.g. the paper was lost)."""
    return _out(service.revoke_static_code(session, actor=principal, ecard_id=ecard_id))


@router.get("/{ecard_id}/uses", response_model=list[UseOut])
def uses(session: DbSession, _: ECardsRead, ecard_id: int) -> list[UseOut]:
    """Every verification of the e-card's codes, online and offline, newest first."""
    return [UseOut.model_validate(u) for u in service.uses_of(session, ecard_id=ecard_id)]
