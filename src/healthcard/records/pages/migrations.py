"""Console pages of record migration: the inbox (requests to answer, our requests, a bureau's
decisions), the request form and each step's buttons."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from healthcard.accounts import service as accounts_service
from healthcard.core.auth import Authenticated
from healthcard.core.errors import AppError, FieldError
from healthcard.core.i18n import N_
from healthcard.core.principal import Principal
from healthcard.core.session import DbSession
from healthcard.core.templating import add_nav, render
from healthcard.records.exceptions import MigrationNotFound, RecordInvalid
from healthcard.records.pages.common import field_errors, number, pydantic_errors, text
from healthcard.records.permissions import (
    RECORDS_MIGRATE,
    RECORDS_MIGRATE_DECIDE,
    RecordsMigrate,
    RecordsMigrateDecide,
)
from healthcard.records.schemas import MigrationIn
from healthcard.records.service import migration, teams

router = APIRouter()
add_nav(N_("健康档案"), N_("档案迁移"), "/console/migrations", RECORDS_MIGRATE, order=72)
add_nav(
    N_("健康档案"),
    N_("档案迁移裁决"),
    "/console/migration-decisions",
    RECORDS_MIGRATE_DECIDE,
    order=73,
)


def _inbox(
    request: Request,
    session: Session,
    principal: Principal,
    template: str,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    box = migration.inbox(session, actor=principal)
    names = {i.id: i.name for i in accounts_service.list_all_institutions(session)}
    context = {
        "box": box,
        "names": names,
        "status_names": migration.STATUS_NAMES,
        "kind_names": migration.KIND_NAMES,
        "teams": [v.team for v in teams.list_teams(session, actor=principal)],
        "values": {},
        "errors": {},
        **extra,
    }
    return render(request, template, context, status_code=status_code)


@router.get("/console/migrations")
def inbox(request: Request, session: DbSession, principal: RecordsMigrate) -> Response:
    """Requests for our records to answer, and the requests we made."""
    return _inbox(request, session, principal, "records/migrations.html")


@router.get("/console/migration-decisions")
def decisions(request: Request, session: DbSession, principal: RecordsMigrateDecide) -> Response:
    """A health bureau's queue: escalated requests and cross-district migrations."""
    return _inbox(request, session, principal, "records/migration_decisions.html")


@router.post("/console/migrations")
async def request_migration(
    request: Request, session: DbSession, principal: RecordsMigrate
) -> Response:
    """Ask for a record to move here (by its number), with the resident's consent."""
    form = await request.form()
    values = {k: text(form, k) for k in ("record_number", "reason", "consent_by", "consent_on")}
    raw: dict[str, Any] = {k: v for k, v in values.items() if v}
    if number(form, "to_team_id") is not None:
        raw["to_team_id"] = number(form, "to_team_id")
    try:
        found = migration.request(session, actor=principal, data=MigrationIn.model_validate(raw))
    except ValidationError as exc:
        errors = pydantic_errors(exc)
    except AppError as error:
        errors = field_errors(error)
    else:
        return RedirectResponse(f"/console/migrations/{found.id}", status_code=303)
    return _inbox(
        request,
        session,
        principal,
        "records/migrations.html",
        status_code=422,
        values=values,
        errors=errors,
    )


@router.get("/console/migrations/{migration_id}")
def migration_page(
    request: Request, session: DbSession, principal: Authenticated, migration_id: int
) -> Response:
    """One migration with its steps and what ``principal`` may do next."""
    return _page(request, session, principal, migration_id)


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    migration_id: int,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    view = migration.get_migration(session, actor=principal, migration_id=migration_id)
    m = view.migration
    names = {i.id: i.name for i in accounts_service.list_all_institutions(session)}
    context = {
        "view": view,
        "m": m,
        "names": names,
        "status_names": migration.STATUS_NAMES,
        "step_names": migration.STEP_NAMES,
        "kind_names": migration.KIND_NAMES,
        "can_answer": m.status == "requested"
        and principal.has(RECORDS_MIGRATE)
        and principal.institution_id == m.from_institution_id,
        "can_cancel": m.status in migration.OPEN
        and principal.has(RECORDS_MIGRATE)
        and principal.institution_id == m.to_institution_id,
        "can_decide": m.status in ("escalated", "bureau_review")
        and principal.has(RECORDS_MIGRATE_DECIDE),
        **extra,
    }
    return render(request, "records/migration.html", context, status_code=status_code)


@router.post("/console/migrations/{migration_id}/{action}")
async def act(
    request: Request, session: DbSession, principal: Authenticated, migration_id: int, action: str
) -> Response:
    """Confirm, refuse, withdraw, or (a bureau) decide."""
    form = await request.form()
    note = text(form, "note")
    try:
        _act(session, principal, migration_id, action, note, text(form, "side"))
    except AppError as error:
        return _page(
            request,
            session,
            principal,
            migration_id,
            status_code=error.status_code,
            flash=error.message,
            flash_kind="error",
        )
    return RedirectResponse(f"/console/migrations/{migration_id}?done={action}", status_code=303)


def _act(
    session: Session,
    principal: Principal,
    migration_id: int,
    action: str,
    note: str | None,
    side: str | None,
) -> None:
    if action in ("confirm", "refuse", "cancel") and not principal.has(RECORDS_MIGRATE):
        raise MigrationNotFound()
    if action == "confirm":
        migration.confirm(session, actor=principal, migration_id=migration_id, note=note)
    elif action == "refuse":
        if not note:
            raise RecordInvalid(errors=[FieldError("note", "拒绝时请说明理由。", "missing")])
        migration.refuse(session, actor=principal, migration_id=migration_id, note=note)
    elif action == "cancel":
        migration.cancel(session, actor=principal, migration_id=migration_id, note=note)
    elif action in ("approve", "disapprove"):
        migration.bureau_decide(
            session,
            actor=principal,
            migration_id=migration_id,
            approve=action == "approve",
            side=side,
            note=note,
        )
    else:
        raise MigrationNotFound()
