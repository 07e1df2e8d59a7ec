"""Console pages of the card registration centre: supervision, applications, production,
counter operations on a card, and the registers."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile as StarletteUpload

from healthcard.accounts import service as accounts_service
from healthcard.cards import service
from healthcard.cards.permissions import (
    CARDS_READ,
    REGISTRY_MANAGE,
    CardsApply,
    CardsManage,
    CardsProduce,
    CardsRead,
    CardsReview,
    RegistryManage,
)
from healthcard.core.errors import AppError
from healthcard.core.i18n import N_
from healthcard.core.session import DbSession
from healthcard.core.templating import add_nav, render

router = APIRouter(include_in_schema=False)
add_nav(N_("健康卡"), N_("制发卡管理"), "/console/cards", CARDS_READ, order=60)
add_nav(N_("健康卡"), N_("SAM 卡与终端"), "/console/registry", REGISTRY_MANAGE, order=61)


def _centre(
    request: Request, session: Session, *, status_code: int = 200, **extra: Any
) -> Response:
    institutions = {i.id: i.name for i in accounts_service.list_all_institutions(session)}
    context = {
        "supervision": service.supervision(session),
        "applications": service.pending_applications(session),
        "cards": service.recent_cards(session),
        "states": service.STATE_NAMES,
        "products": service.list_registry(session)["products"],
        "institution_names": institutions,
        **extra,
    }
    return render(request, "cards/centre.html", context, status_code=status_code)


@router.get("/console/cards")
def centre(request: Request, session: DbSession, _: CardsRead) -> Response:
    """Cards by state and month, pending applications, production, recent cards."""
    return _centre(request, session)


@router.post("/console/cards/apply")
async def apply(request: Request, session: DbSession, principal: CardsApply) -> Response:
    """Take an application for the resident given by id."""
    form = await request.form()
    try:
        service.apply(session, actor=principal, person_id=int(str(form.get("person_id") or 0)))
    except (AppError, ValueError) as error:
        message = error.message if isinstance(error, AppError) else "居民编号应为数字。"
        return _centre(request, session, status_code=422, flash=message, flash_kind="error")
    return _centre(request, session, flash="已受理申领，等待审核。")


@router.post("/console/cards/applications/{application_id}")
async def review(
    request: Request, session: DbSession, principal: CardsReview, application_id: int
) -> Response:
    """Approve or reject an application."""
    form = await request.form()
    approve = form.get("decision") == "approve"
    try:
        service.review(
            session,
            settings=request.app.state.settings,
            actor=principal,
            application_id=application_id,
            approve=approve,
            reason=str(form.get("reason") or "") or None,
        )
    except AppError as error:
        return _centre(
            request, session, status_code=error.status_code, flash=error.message, flash_kind="error"
        )
    return _centre(request, session, flash="已审核。")


@router.post("/console/cards/batches")
async def export_batch(request: Request, session: DbSession, principal: CardsProduce) -> Response:
    """Export the approved cards as a personalisation file (downloaded)."""
    form = await request.form()
    try:
        export = service.export_batch(
            session,
            settings=request.app.state.settings,
            actor=principal,
            product_id=int(str(form.get("product_id") or 0)),
        )
    except AppError as error:
        return _centre(
            request, session, status_code=error.status_code, flash=error.message, flash_kind="error"
        )
    return Response(
        export.csv_text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="batch-{export.batch.id}.csv"'},
    )


@router.post("/console/cards/batches/{batch_id}/produced")
async def import_produced(
    request: Request, session: DbSession, principal: CardsProduce, batch_id: int
) -> Response:
    """Upload the manufacturer's file (card_id,chip_serial)."""
    form = await request.form()
    upload = form.get("file")
    if isinstance(upload, StarletteUpload):
        text = (await upload.read()).decode("utf-8-sig", errors="replace")
    else:
        text = str(upload or "")
    try:
        report = service.import_produced(session, actor=principal, batch_id=batch_id, csv_text=text)
    except AppError as error:
        return _centre(
            request, session, status_code=error.status_code, flash=error.message, flash_kind="error"
        )
    problems = "；".join(f"{e.field}：{e.message}" for e in report.errors)
    return _centre(
        request,
        session,
        flash=f"已回盘 {report.produced} 张。{problems}",
        flash_kind="warn" if problems else "ok",
    )


@router.get("/console/cards/{card_id}")
def card_page(request: Request, session: DbSession, principal: CardsRead, card_id: int) -> Response:
    """One card: its state, history and the counter operations allowed now."""
    return _card(request, session, principal, card_id)


def _card(
    request: Request,
    session: Session,
    principal: Any,
    card_id: int,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    card = service.get_card(session, card_id=card_id)
    allowed = [
        a
        for a, (starts, _) in service.TRANSITIONS.items()
        if card.status in starts and a not in ("produce", "produced")
    ]
    context = {
        "card": card,
        "history": service.history(session, card_id=card_id),
        "states": service.STATE_NAMES,
        "actions": service.ACTION_NAMES,
        "allowed": allowed,
        "can_manage": principal.has("cards.manage"),
        **extra,
    }
    return render(request, "cards/card.html", context, status_code=status_code)


@router.post("/console/cards/{card_id}/act")
async def act(
    request: Request, session: DbSession, principal: CardsManage, card_id: int
) -> Response:
    """Do a counter operation on a card; reissue and replace record the fee."""
    form = await request.form()
    action = str(form.get("action") or "")
    reason = str(form.get("reason") or "") or None
    terminal = str(form.get("terminal") or "") or None
    try:
        if action in ("reissue", "replace"):
            try:
                fee = Decimal(str(form.get("fee") or "0"))
            except InvalidOperation:
                fee = Decimal(-1)
            new = service.reissue_or_replace(
                session,
                settings=request.app.state.settings,
                actor=principal,
                card_id=card_id,
                replace=action == "replace",
                fee=fee,
                reason=reason,
                terminal_code=terminal,
            )
            return RedirectResponse(f"/console/cards/{new.id}", status_code=303)
        service.act(
            session,
            actor=principal,
            card_id=card_id,
            action=action,
            reason=reason,
            terminal_code=terminal,
        )
    except AppError as error:
        return _card(
            request,
            session,
            principal,
            card_id,
            status_code=error.status_code,
            flash=error.message,
            flash_kind="error",
        )
    return _card(
        request,
        session,
        principal,
        card_id,
        flash=f"已办理：{service.ACTION_NAMES.get(action, action)}",
    )


@router.get("/console/registry")
def registry_page(request: Request, session: DbSession, _: RegistryManage) -> Response:
    """Manufacturers, products, SAM cards and terminals."""
    return _registry(request, session)


def _registry(
    request: Request, session: Session, *, status_code: int = 200, **extra: Any
) -> Response:
    context = {
        **service.list_registry(session),
        "institutions": accounts_service.list_all_institutions(session),
        "uses": service.TERMINAL_USES,
        **extra,
    }
    return render(request, "cards/registry.html", context, status_code=status_code)


@router.post("/console/registry/{kind}")
async def registry_add(
    request: Request, session: DbSession, principal: RegistryManage, kind: str
) -> Response:
    """Add a manufacturer, product, SAM card or terminal, or revoke a SAM card or terminal."""
    form = await request.form()
    value = {k: str(v).strip() for k, v in form.items() if k != "uses"}
    try:
        if kind == "manufacturer":
            service.add_manufacturer(session, actor=principal, name=value["name"])
        elif kind == "product":
            service.add_product(
                session,
                actor=principal,
                manufacturer_id=int(value["manufacturer_id"]),
                model=value["model"],
            )
        elif kind == "sam":
            service.issue_sam(
                session,
                actor=principal,
                serial=value["serial"],
                institution_id=int(value["institution_id"]),
            )
        elif kind == "terminal":
            service.register_terminal(
                session,
                actor=principal,
                code=value["code"],
                institution_id=int(value["institution_id"]),
                sam_serial=value["sam_serial"],
                uses=[str(u) for u in form.getlist("uses")],
            )
        elif kind == "terminal-revoke":
            service.revoke_terminal(session, actor=principal, code=value["code"])
        elif kind == "sam-revoke":
            service.revoke_sam(session, actor=principal, serial=value["serial"])
        else:
            return _registry(
                request, session, status_code=404, flash="未知的登记类型。", flash_kind="error"
            )
    except (AppError, KeyError, ValueError) as error:
        message = error.message if isinstance(error, AppError) else "请完整填写表单。"
        return _registry(request, session, status_code=422, flash=message, flash_kind="error")
    return _registry(request, session, flash="已保存。")
