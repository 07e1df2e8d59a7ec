"""FHIR clinical resources pushed by hospitals (Encounter, Condition, Observation, ...).

Every type answers create (POST; the same identifier again updates), read, update (PUT) and search
by patient, date and code. The subject must be a person of the master patient index."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from healthcard.core.errors import AppError
from healthcard.core.principal import Principal
from healthcard.core.session import DbSession
from healthcard.fhir import capability
from healthcard.fhir.permissions import ClinicalSubmit
from healthcard.fhir.service import elements as el
from healthcard.fhir.service.clinical import SubjectResolver, parse
from healthcard.identity import service as identity_service
from healthcard.identity.exceptions import PersonNotFound
from healthcard.identity.schemas import RESIDENT_ID_SYSTEM
from healthcard.records.permissions import RecordsRead
from healthcard.records.service import clinical as clinical_service

router = APIRouter(prefix="/fhir", tags=["fhir"])
FHIR_JSON = "application/fhir+json"
RESOURCE_TYPES = tuple(clinical_service.TABLES)
_PATIENT = ("patient", "reference", "the resident: Patient/<id> of this server")
_DATE = ("date", "date", "eq|ge|gt|le|lt followed by YYYY-MM-DD or a dateTime; repeatable")
_SEARCH: dict[str, list[tuple[str, str, str]]] = {
    "Encounter": [_PATIENT, _DATE],
    "Condition": [_PATIENT, _DATE, ("code", "token", "ICD-10 code, [system|]code")],
    "Observation": [_PATIENT, _DATE, ("code", "token", "LOINC or local code, [system|]code")],
    "DiagnosticReport": [_PATIENT, _DATE, ("code", "token", "LOINC 18842-5: discharge summary")],
    "MedicationRequest": [_PATIENT, _DATE, ("code", "token", "medication code")],
    "Immunization": [_PATIENT, _DATE, ("vaccine-code", "token", "national schedule code")],
}
for _type in RESOURCE_TYPES:
    capability.register(
        capability.ResourceCapability(
            _type,
            ["create", "read", "update", "search-type"],
            [(n, t, d) for n, t, d in _SEARCH[_type]],
        )
    )


def _fhir(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Any:
    return JSONResponse(body, status_code=status, media_type=FHIR_JSON, headers=headers)


def to_resource(row: clinical_service.Document) -> dict[str, Any]:
    """The stored resource as served: this server's id, version and time of the last change."""
    resource = dict(row.resource)
    resource["meta"] = {**resource.get("meta", {}), "lastUpdated": row.updated_at.isoformat()}
    return resource


def _resolver(request: Request, session: Session, actor: Principal) -> SubjectResolver:
    settings = request.app.state.settings

    def resolve(subject: dict[str, Any], path: str) -> int:
        person_id = el.reference(subject, path, "Patient")
        if person_id is not None:
            return _by_id(person_id, f"{path}.reference")
        ident = el.obj(subject, "identifier", path)
        if not ident:
            raise el.invalid(path, "须以 reference（Patient/<id>）或 identifier 指明居民。")
        system = el.uri(ident.get("system"), f"{path}.identifier.system")
        value = str(el.string(ident, "value", f"{path}.identifier", required=True, max_length=60))
        found = identity_service.by_identifier(
            session, settings=settings, actor=actor, system=system, value=value
        )
        if found is None:
            hint = "身份证号" if system == RESIDENT_ID_SYSTEM else "标识"
            raise el.invalid(
                f"{path}.identifier", f"主索引中没有持此{hint}的居民，请先登记 Patient。"
            )
        return found.person.id

    def _by_id(person_id: int, path: str) -> int:
        for _ in range(10):  # a merged person answers with the one that replaced them
            try:
                found = identity_service.view(
                    session, settings=settings, actor=actor, person_id=person_id
                )
            except PersonNotFound as exc:
                raise el.invalid(path, f"主索引中没有 Patient/{person_id}。") from exc
            if found.replaced_by is None:
                return found.person.id
            person_id = found.replaced_by
        raise el.invalid(path, "居民合并链过长，请联系数据管理员。")

    return resolve


def _store(
    request: Request,
    session: Session,
    actor: Principal,
    rtype: str,
    body: Any,
    document_id: int | None = None,
) -> Any:
    data = parse(rtype, body, resolve=_resolver(request, session, actor))
    stored = clinical_service.store(session, actor=actor, data=data, document_id=document_id)
    row = stored.document
    headers = {"Location": f"/fhir/{rtype}/{row.id}", "ETag": f'W/"{row.version}"'}
    return _fhir(to_resource(row), 201 if stored.created else 200, headers)


def _check_body_id(body: Any, document_id: int) -> None:
    if isinstance(body, dict) and "id" in body and str(body["id"]) != str(document_id):
        raise AppError(
            f"资源 id（{body['id']}）与地址中的 id（{document_id}）不一致。",
            status_code=400,
            code="id_mismatch",
        )


def _patient_id(value: str) -> int:
    match = re.fullmatch(r"(?:Patient/)?(\d{1,18})", value)
    if match is None:
        raise AppError("patient 应为 Patient/<id>。", status_code=400, code="bad_patient")
    return int(match.group(1))


def _bounds(values: list[str]) -> tuple[datetime | None, datetime | None]:
    """The period a list of FHIR date search values describes (since inclusive, until not)."""
    since: datetime | None = None
    until: datetime | None = None
    for value in values:
        prefix, text = (value[:2], value[2:]) if value[:2].isalpha() else ("eq", value)
        if prefix not in ("eq", "ge", "gt", "le", "lt"):
            raise AppError(f"date 前缀“{prefix}”不受支持。", status_code=400, code="bad_date")
        try:
            start = el.instant(text, "date")
        except AppError as exc:
            raise AppError(exc.message, status_code=400, code="bad_date") from exc
        end = _period_end(text, start)
        if prefix in ("eq", "ge", "gt"):
            bound = start if prefix != "gt" else end
            since = bound if since is None else max(since, bound)
        if prefix in ("eq", "le", "lt"):
            bound = end if prefix != "lt" else start
            until = bound if until is None else min(until, bound)
    return since, until


def _period_end(text: str, start: datetime) -> datetime:
    if "T" in text:
        return start + timedelta(microseconds=1)
    local = start.astimezone(el.LOCAL_ZONE)
    if len(text) == 4:
        return local.replace(year=local.year + 1).astimezone(start.tzinfo)
    if len(text) == 7:
        month = local.replace(day=28) + timedelta(days=4)
        return month.replace(day=1).astimezone(start.tzinfo)
    return start + timedelta(days=1)


def _as_days(when: datetime | None) -> date | None:
    """A bound on a date column: the China-time day that the instant falls in or starts."""
    if when is None:
        return None
    local = when.astimezone(el.LOCAL_ZONE)
    midnight = local.hour == local.minute == local.second == local.microsecond == 0
    return local.date() if midnight else local.date() + timedelta(days=1)


def _search(
    session: Session,
    actor: Principal,
    rtype: str,
    patient: str,
    dates: list[str],
    code: str | None,
    count: int,
) -> Any:
    if code and rtype not in clinical_service.CODE_COLUMNS:
        raise AppError(f"{rtype} 不支持按 code 查询。", status_code=400, code="bad_search")
    since, until = _bounds(dates)
    system, _, value = code.rpartition("|") if code else (None, None, None)
    query = clinical_service.Search(
        person_id=_patient_id(patient),
        since=_as_days(since) if rtype == "Immunization" else since,
        until=_as_days(until) if rtype == "Immunization" else until,
        code=value or None,
        code_system=system or None,
        limit=count,
    )
    rows = clinical_service.search(session, actor=actor, resource_type=rtype, query=query)
    entries = [
        {"fullUrl": f"{rtype}/{r.id}", "resource": to_resource(r), "search": {"mode": "match"}}
        for r in rows
    ]
    bundle = {"resourceType": "Bundle", "type": "searchset", "total": len(entries)}
    return _fhir({**bundle, "entry": entries} if entries else bundle)


def _add_routes(rtype: str) -> None:
    @router.post(f"/{rtype}", name=f"fhir_{rtype}_create")
    def create(
        request: Request,
        session: DbSession,
        principal: ClinicalSubmit,
        body: Any = Body(media_type=FHIR_JSON),
    ) -> Any:
        """Create the resource; sent again with the same identifier, it updates (idempotent)."""
        return _store(request, session, principal, rtype, body)

    @router.put(f"/{rtype}/{{document_id}}", name=f"fhir_{rtype}_update")
    def update(
        request: Request,
        session: DbSession,
        principal: ClinicalSubmit,
        document_id: int,
        body: Any = Body(media_type=FHIR_JSON),
    ) -> Any:
        """Replace one of the sender's own resources (its identifier stays the same)."""
        _check_body_id(body, document_id)
        return _store(request, session, principal, rtype, body, document_id)

    @router.get(f"/{rtype}/{{document_id}}", name=f"fhir_{rtype}_read")
    def read(session: DbSession, principal: RecordsRead, document_id: int) -> Any:
        """One resource (another institution's only under the shared-record access rules)."""
        row = clinical_service.get(
            session, actor=principal, resource_type=rtype, document_id=document_id
        )
        return _fhir(to_resource(row), headers={"ETag": f'W/"{row.version}"'})

    code_param = "vaccine-code" if rtype == "Immunization" else "code"

    @router.get(f"/{rtype}", name=f"fhir_{rtype}_search")
    def search(
        session: DbSession,
        principal: RecordsRead,
        patient: str = Query(max_length=40),
        date: list[str] = Query(default=[], max_length=4),
        code: str | None = Query(default=None, alias=code_param, max_length=240),
        count: int = Query(default=100, alias="_count", ge=1, le=200),
    ) -> Any:
        """A resident's resources of this type, newest first; by date and code."""
        return _search(session, principal, rtype, patient, date, code, count)


for _type in RESOURCE_TYPES:
    _add_routes(_type)
