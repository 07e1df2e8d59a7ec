"""Console home and the audit-trail pages."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from healthcard.accounts import service as accounts_service
from healthcard.admin import service
from healthcard.admin.permissions import (
    AUDIT_EXPORT,
    AUDIT_READ,
    AUDIT_VERIFY,
    AuditExport,
    AuditRead,
    AuditVerify,
)
from healthcard.core.audit import AuditQuery
from healthcard.core.auth import Authenticated
from healthcard.core.i18n import N_
from healthcard.core.session import DbSession
from healthcard.core.templating import add_nav, render

router = APIRouter(include_in_schema=False)
add_nav(N_("审计"), N_("审计日志"), "/console/audit", AUDIT_READ, order=80)

PAGE_SIZE = 50
OUTCOMES = {"success": N_("成功"), "failure": N_("失败"), "denied": N_("拒绝")}


@router.get("/console")
def home(request: Request, session: DbSession, principal: Authenticated) -> Response:
    """The console home: who you are and where to go."""
    names = accounts_service.role_names(session)
    roles = sorted(names.get(code, code) for code in principal.roles)
    return render(request, "admin/home.html", {"roles": roles})


def _query(
    actor: str | None,
    action: str | None,
    resource_type: str | None,
    resource_id: str | None,
    outcome: str | None,
    since: date | None,
    until: date | None,
) -> AuditQuery:
    start, end = service.day_range(since, until)
    return AuditQuery(
        actor=actor or None,
        action=action or None,
        resource_type=resource_type or None,
        resource_id=resource_id or None,
        outcome=outcome or None,
        since=start,
        until=end,
    )


Text = Annotated[str | None, Query(max_length=100)]


@router.get("/console/audit")
def audit_page(
    request: Request,
    session: DbSession,
    principal: AuditRead,
    actor: Text = None,
    action: Text = None,
    resource_type: Text = None,
    resource_id: Text = None,
    outcome: Annotated[str | None, Query(pattern="^(success|failure|denied)?$")] = None,
    since: date | None = None,
    until: date | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Search the audit trail by who, what, which resource, outcome and day."""
    query = _query(actor, action, resource_type, resource_id, outcome, since, until)
    rows, total = service.search(
        session, actor=principal, query=query, offset=offset, limit=PAGE_SIZE
    )
    filters = {
        "actor": actor or "",
        "action": action or "",
        "resource_type": resource_type or "",
        "resource_id": resource_id or "",
        "outcome": outcome or "",
        "since": since.isoformat() if since else "",
        "until": until.isoformat() if until else "",
    }
    context = {
        "rows": rows,
        "total": total,
        "offset": offset,
        "limit": PAGE_SIZE,
        "filters": filters,
        "outcomes": OUTCOMES,
        "can_export": principal.has(AUDIT_EXPORT),
        "can_verify": principal.has(AUDIT_VERIFY),
        "export_query": "&".join(f"{k}={v}" for k, v in filters.items() if v),
    }
    template = "admin/_audit_rows.html" if request.headers.get("hx-request") else "admin/audit.html"
    return render(request, template, context)


@router.get("/console/audit/export.csv")
def audit_export(
    session: DbSession,
    principal: AuditExport,
    actor: Text = None,
    action: Text = None,
    resource_type: Text = None,
    resource_id: Text = None,
    outcome: Annotated[str | None, Query(pattern="^(success|failure|denied)?$")] = None,
    since: date | None = None,
    until: date | None = None,
) -> Response:
    """Download the matching entries as CSV."""
    query = _query(actor, action, resource_type, resource_id, outcome, since, until)
    # Built inside the request's transaction so the export and its audit entry agree.
    body = "".join(service.export_csv(session, actor=principal, query=query))
    return Response(
        body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-trail.csv"'},
    )


@router.post("/console/audit/verify")
def audit_verify(request: Request, session: DbSession, principal: AuditVerify) -> Response:
    """Walk the hash chain now and show the outcome."""
    result = service.verify(session, actor=principal)
    return render(request, "admin/_verify_result.html", {"result": result})
