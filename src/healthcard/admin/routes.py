"""JSON API over the audit trail (for security tooling)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from healthcard.admin import service
from healthcard.admin.permissions import AuditRead
from healthcard.core.audit import AuditQuery
from healthcard.core.schemas import Out, Page
from healthcard.core.session import DbSession

router = APIRouter(prefix="/api/v1/audit-events", tags=["audit"])


class AuditEventOut(Out):
    id: int
    occurred_at: datetime
    actor_kind: str
    actor_id: int | None
    actor_name: str
    institution_id: int | None
    roles: str
    action: str
    resource_type: str
    resource_id: str | None
    outcome: str
    client_address: str | None
    purpose: str | None
    request_id: str | None
    detail: str
    prev_hash: str
    hash: str


@router.get("", response_model=Page[AuditEventOut])
def search_events(
    session: DbSession,
    principal: AuditRead,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    resource_type: Annotated[str | None, Query(max_length=100)] = None,
    resource_id: Annotated[str | None, Query(max_length=200)] = None,
    outcome: Annotated[str | None, Query(pattern="^(success|failure|denied)$")] = None,
    since: date | None = None,
    until: date | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Page[AuditEventOut]:
    """Audit entries, newest first, filtered by actor, action prefix, resource, outcome, days."""
    start, end = service.day_range(since, until)
    query = AuditQuery(actor, action, resource_type, resource_id, outcome, None, start, end)
    rows, total = service.search(session, actor=principal, query=query, offset=offset, limit=limit)
    return Page(
        items=[AuditEventOut.model_validate(r) for r in rows],
        total=total,
        offset=offset,
        limit=limit,
    )
