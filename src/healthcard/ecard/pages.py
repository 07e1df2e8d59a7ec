"""Console pages of electronic health cards: a resident's e-card with a QR code to show them,
and the scan-and-verify page of a counter (扫码核验)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from healthcard.cards import service as cards_service
from healthcard.core.db import utcnow
from healthcard.core.i18n import N_
from healthcard.core.principal import Principal
from healthcard.core.session import DbSession
from healthcard.core.templating import add_nav, add_panel, render
from healthcard.core.uses import USE_NAMES
from healthcard.ecard import images, service
from healthcard.ecard.exceptions import ECardNotFound
from healthcard.ecard.permissions import (
    ECARDS_MANAGE,
    ECARDS_QRCODE,
    ECARDS_READ,
    ECARDS_VERIFY,
    ECardsManage,
    ECardsQrcode,
    ECardsRead,
    ECardsVerify,
)
from healthcard.identity import service as identity_service

router = APIRouter(include_in_schema=False)
add_nav(N_("健康卡"), N_("扫码核验"), "/console/ecards/verify", ECARDS_VERIFY, order=62)

KIND_NAMES = {"dynamic": N_("动态码"), "static": N_("静态码")}
SEX_NAMES = {"1": N_("男"), "2": N_("女")}


def _person_panel(request: Request, session: Any, person_id: int) -> dict[str, Any] | None:
    """The link to the resident's e-card, on the resident's page (for those who may read it)."""
    principal = getattr(request.state, "principal", None)
    if principal is None or not principal.has(ECARDS_READ):
        return None
    ecard = service.ecard_of(session, person_id=person_id)
    return {"ecard": ecard} if ecard is not None else None


add_panel("person", "ecard/_person_panel.html", _person_panel)


@router.get("/console/residents/{person_id}/ecard")
def ecard_page(
    request: Request, session: DbSession, principal: ECardsRead, person_id: int
) -> Response:
    """A resident's e-health card: its status, a QR code to show them, the last uses."""
    return _ecard_page(request, session, principal, person_id)


def _ecard_page(
    request: Request, session: Session, principal: Principal, person_id: int, **extra: Any
) -> Response:
    found = identity_service.view(
        session,
        settings=request.app.state.settings,
        actor=principal,
        person_id=person_id,
        purpose="ecard",
    )
    ecard = service.ecard_of(session, person_id=person_id)
    card = cards_service.live_card(session, person_id=person_id)
    context = {
        "found": found,
        "ecard": ecard,
        "card": card,
        "card_states": cards_service.STATE_NAMES,
        "uses": service.uses_of(session, ecard_id=ecard.id, limit=20) if ecard else [],
        "use_names": USE_NAMES,
        "kind_names": KIND_NAMES,
        "can_qrcode": principal.has(ECARDS_QRCODE),
        "can_manage": principal.has(ECARDS_MANAGE),
        **extra,
    }
    return render(request, "ecard/ecard.html", context)


@router.post("/console/residents/{person_id}/ecard")
def open_ecard(
    request: Request, session: DbSession, principal: ECardsManage, person_id: int
) -> Response:
    """Open the resident's e-card (bound to their live physical card, if any)."""
    service.create(
        session, settings=request.app.state.settings, actor=principal, person_id=person_id
    )
    return RedirectResponse(f"/console/residents/{person_id}/ecard", status_code=303)


@router.post("/console/residents/{person_id}/ecard/qrcode")
def qrcode(
    request: Request, session: DbSession, principal: ECardsQrcode, person_id: int
) -> Response:
    """Sign a dynamic QR code for the resident to show at a terminal (htmx partial)."""
    ecard = service.ecard_of(session, person_id=person_id)
    if ecard is None:
        raise ECardNotFound()
    code = service.issue_code(
        session,
        settings=request.app.state.settings,
        actor=principal,
        ecard_id=ecard.id,
        static=False,
    )
    shown = {
        "code": code,
        "svg": images.svg(code.text, scale=5),
        "expires_in": max(0, int((code.expires_at - utcnow()).total_seconds())),
    }
    if not request.headers.get("HX-Request"):
        return _ecard_page(request, session, principal, person_id, **shown)
    return render(request, "ecard/_qrcode.html", {**shown, "kind_names": KIND_NAMES})


def _terminals(session: Session, principal: Principal) -> list[Any]:
    """The active terminals of the caller's institution (where a counter may verify)."""
    terminals: list[Any] = cards_service.list_registry(session)["terminals"]
    return [t for t in terminals if t.status == "active" and principal.may_act_in(t.institution_id)]


@router.get("/console/ecards/verify")
def verify_page(request: Request, session: DbSession, principal: ECardsVerify) -> Response:
    """Paste or scan a code, pick the terminal and use, and see whom it identifies."""
    context = {"terminals": _terminals(session, principal), "use_names": USE_NAMES}
    return render(request, "ecard/verify.html", context)


@router.post("/console/ecards/verify")
async def verify(request: Request, session: DbSession, principal: ECardsVerify) -> Response:
    """Verify the code as the terminal would; shows the holder summary or the refusal."""
    form = await request.form()
    use = str(form.get("use") or "")
    result = service.verify(
        session,
        settings=request.app.state.settings,
        actor=principal,
        payload=str(form.get("payload") or "").strip(),
        terminal_code=str(form.get("terminal") or ""),
        use=use,
        pin=str(form.get("pin") or "") or None,
    )
    # A refusal is an answer, not a failure of the request: it renders with 200 so the use-log
    # row and audit entry commit with it.
    context = {
        "result": result,
        "use_names": USE_NAMES,
        "kind_names": KIND_NAMES,
        "sex_names": SEX_NAMES,
        "card_states": cards_service.STATE_NAMES,
    }
    if not request.headers.get("HX-Request"):
        context.update(terminals=_terminals(session, principal), form=dict(form.items()))
        return render(request, "ecard/verify.html", context)
    return render(request, "ecard/_verify_result.html", context)
