"""Console pages of the resident's record timeline (其他医疗卫生服务记录 with everything else the
record holds): the timeline with kind filters and paging, and the clinical documents it links to."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from healthcard.accounts import service as accounts_service
from healthcard.core.errors import AppError
from healthcard.core.i18n import N_
from healthcard.core.principal import Principal
from healthcard.core.session import DbSession
from healthcard.core.templating import add_nav, add_panel, render
from healthcard.identity import service as identity_service
from healthcard.identity.schemas import RESIDENT_ID_SYSTEM
from healthcard.models import RecordEvent
from healthcard.records.permissions import RECORDS_READ, RecordsRead
from healthcard.records.service import access, clinical, timeline

router = APIRouter(include_in_schema=False)
add_nav(N_("健康档案"), N_("档案时间轴"), "/console/timeline", RECORDS_READ, order=79)
PAGE_SIZE = 30
# The kinds offered as filters, in the order people think of them.
KIND_GROUPS = (
    (
        N_("医院诊疗"),
        ("encounter", "condition", "observation", "report", "medication", "discharge"),
    ),
    (N_("公共卫生"), ("exam", "followup", "enrolment", "immunization", "education")),
    (N_("档案与协作"), ("referral", "consultation", "migration", "termination")),
)
TYPE_NAMES = {
    "Encounter": N_("就诊记录"),
    "Condition": N_("诊断"),
    "Observation": N_("检查检验结果"),
    "DiagnosticReport": N_("检查检验报告 / 出院小结"),
    "MedicationRequest": N_("处方"),
    "Immunization": N_("预防接种"),
}
# Where an entry written by another part of the records domain is shown, by (source, ref type):
# ``{id}`` is the id in the entry's ref, ``{person}`` the resident.
SOURCE_PAGES: dict[tuple[str, str], str] = {
    ("records", "HealthRecord"): "/console/records/{id}",
    ("records", "RecordMigration"): "/console/migrations/{id}",
    ("programmes", "followup"): "/console/programmes/followups/{id}",
    ("programmes", "enrolment"): "/console/programmes/residents/{person}",
    ("programmes", "immunisation"): "/console/immunisations/{person}",
    ("fhir", "immunisation"): "/console/immunisations/{person}",
    ("programmes", "referral"): "/console/programmes/activities",
    ("programmes", "consultation"): "/console/programmes/activities",
}


def _person_panel(request: Request, session: Any, person_id: int) -> dict[str, Any] | None:
    """The link to the resident's record timeline, on the resident's page, for those who may."""
    principal = getattr(request.state, "principal", None)
    if principal is None or not principal.has(RECORDS_READ):
        return None
    if access.read_basis(session, actor=principal, person_id=person_id) is None:
        return None
    return {"timeline_person_id": person_id}


add_panel("person", "records/timeline_panel.html", _person_panel)


def source_url(event: RecordEvent) -> str | None:
    """The console page of the thing a timeline entry records, when there is one."""
    match = re.fullmatch(r"([A-Za-z_]+)[/:](\d+)", event.ref or "")
    if match is None:
        return None
    kind, ident = match.groups()
    if event.source == clinical.SOURCE and kind in clinical.TABLES:
        return f"/console/clinical/{kind}/{ident}"
    pattern = SOURCE_PAGES.get((event.source, kind))
    return pattern.format(id=ident, person=event.person_id) if pattern else None


@router.get("/console/timeline")
def find(
    request: Request,
    session: DbSession,
    principal: RecordsRead,
    id_number: str | None = Query(default=None, max_length=30),
) -> Response:
    """Find a resident by ID number and open their record timeline."""
    context: dict[str, Any] = {"id_number": id_number or ""}
    if id_number:
        try:
            found = identity_service.by_identifier(
                session,
                settings=request.app.state.settings,
                actor=principal,
                system=RESIDENT_ID_SYSTEM,
                value=id_number.strip(),
                purpose="record_timeline",
            )
        except AppError as error:
            context["error"] = error.message
        else:
            if found is not None:
                url = f"/console/timeline/{found.person.id}"
                return RedirectResponse(url, status_code=303)
            context["error"] = "主索引中没有持此身份证号的居民。"
    status = 422 if "error" in context else 200
    return render(request, "records/timeline_find.html", context, status_code=status)


@router.get("/console/timeline/{person_id}")
def resident_timeline(
    request: Request,
    session: DbSession,
    principal: RecordsRead,
    person_id: int,
    kind: list[str] = Query(default=[], max_length=20),
    before: str | None = Query(default=None, max_length=60),
) -> Response:
    """A resident's record timeline, newest first, filtered by kind, a page at a time."""
    cursor = timeline.Cursor.decode(before) if before else None
    page = timeline.timeline(
        session,
        actor=principal,
        person_id=person_id,
        kinds=kind or None,
        before=cursor,
        limit=PAGE_SIZE,
    )
    person = identity_service.view(
        session,
        settings=request.app.state.settings,
        actor=principal,
        person_id=person_id,
        purpose="record_timeline",
    )
    context = {
        "person": person,
        "page": page,
        "entries": [(e, source_url(e)) for e in page.events],
        "kinds": kind,
        "kind_groups": KIND_GROUPS,
        "kind_names": timeline.KIND_NAMES,
        "institutions": _institution_names(session),
        "first_page": before is None,
        "next_url": _next_url(person_id, kind, page.next_cursor),
    }
    return render(request, "records/timeline.html", context)


def _institution_names(session: Session) -> dict[int, str]:
    return {i.id: i.name for i in accounts_service.list_all_institutions(session)}


def _next_url(person_id: int, kinds: list[str], cursor: timeline.Cursor | None) -> str | None:
    if cursor is None:
        return None
    query = "".join(f"kind={k}&" for k in kinds)
    return f"/console/timeline/{person_id}?{query}before={cursor.encode()}"


@router.get("/console/clinical/{resource_type}/{document_id}")
def clinical_document(
    request: Request,
    session: DbSession,
    principal: RecordsRead,
    resource_type: str,
    document_id: int,
) -> Response:
    """A clinical document a hospital sent: its main facts and the FHIR resource as stored."""
    if resource_type not in clinical.TABLES:
        raise clinical.DocumentNotFound()
    row = clinical.get(
        session, actor=principal, resource_type=resource_type, document_id=document_id
    )
    context = {
        "row": row,
        "resource_type": resource_type,
        "type_name": TYPE_NAMES[resource_type],
        "institution": _institution_names(session).get(row.institution_id, ""),
        "resource_json": json.dumps(row.resource, ensure_ascii=False, indent=2),
        "may_see_timeline": _may_read(session, principal, row.person_id),
    }
    return render(request, "records/timeline_document.html", context)


def _may_read(session: Session, principal: Principal, person_id: int) -> bool:
    return access.read_basis(session, actor=principal, person_id=person_id) is not None
