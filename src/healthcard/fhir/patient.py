"""FHIR R4 Patient over the master patient index: create, read, search, PIX, $match."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Body, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from healthcard.core.errors import AppError, FieldError, ValidationFailed
from healthcard.core.session import DbSession
from healthcard.fhir import capability
from healthcard.identity import service as identity_service
from healthcard.identity.permissions import ResidentsRead, ResidentsRegister
from healthcard.identity.schemas import RESIDENT_ID_SYSTEM, RegistrationIn

router = APIRouter(prefix="/fhir/Patient", tags=["fhir"])
FHIR_JSON = "application/fhir+json"
GENDER_TO_SEX = {"male": "1", "female": "2", "unknown": "0", "other": "9"}
SEX_TO_GENDER = {"1": "male", "2": "female", "0": "unknown", "9": "other"}

capability.register(
    capability.ResourceCapability(
        "Patient",
        ["create", "read", "search-type"],
        [
            (
                "identifier",
                "token",
                "system|value; the resident ID under urn:oid:2.16.156.10011.1.3",
            ),
            ("name", "string", "characters or pinyin; homophones match"),
            ("gender", "token", "male | female"),
            ("birthdate", "date", "YYYY-MM-DD"),
            ("telecom", "token", "phone number"),
        ],
        [
            ("ihe-pix", "https://profiles.ihe.net/ITI/PIXm/OperationDefinition/IHE.PIXm.pix"),
            ("match", "http://hl7.org/fhir/OperationDefinition/Patient-match"),
        ],
    )
)


def _fhir(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=FHIR_JSON, headers=headers)


def to_patient(found: identity_service.PersonView) -> dict[str, Any]:
    """The FHIR Patient of a person view (sensitive values as the view masks them)."""
    person = found.person
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(person.id),
        "meta": {"lastUpdated": person.updated_at.isoformat()},
        "active": person.status == "active",
        "identifier": [{"system": i.system, "value": i.value} for i in found.identifiers],
        "name": [_name(person.name)],
    }
    if person.sex in SEX_TO_GENDER:
        resource["gender"] = SEX_TO_GENDER[person.sex]
    if person.birth_date:
        resource["birthDate"] = person.birth_date.isoformat()
    if found.phone:
        resource["telecom"] = [{"system": "phone", "value": found.phone}]
    if person.address:
        resource["address"] = [{"text": person.address}]
    if found.replaced_by:
        resource["link"] = [
            {"other": {"reference": f"Patient/{found.replaced_by}"}, "type": "replaced-by"}
        ]
    return resource


def _name(text: str) -> dict[str, Any]:
    if text.isascii() or len(text) < 2:
        return {"text": text}
    return {"text": text, "family": text[0], "given": [text[1:]]}


def from_patient(resource: Any) -> RegistrationIn:
    """A FHIR Patient as a registration; refuses what cannot be registered, naming the element."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "Patient":
        raise ValidationFailed(
            "请求体应为 FHIR Patient 资源。",
            errors=[FieldError("resourceType", "应为 Patient。", "invalid")],
        )
    identifiers = [i for i in resource.get("identifier") or [] if isinstance(i, dict)]
    local = next((i for i in identifiers if i.get("system") != RESIDENT_ID_SYSTEM), None)
    national = next((i for i in identifiers if i.get("system") == RESIDENT_ID_SYSTEM), None)
    if local is None or not local.get("value"):
        raise ValidationFailed(
            "Patient.identifier 须包含本机构的患者标识（system 与 value）。",
            errors=[FieldError("Patient.identifier", "缺少本机构患者标识。", "required")],
        )
    names = resource.get("name") or [{}]
    name = names[0].get("text") or (names[0].get("family", "") + "".join(names[0].get("given", [])))
    phones = [t.get("value") for t in resource.get("telecom") or [] if t.get("system") == "phone"]
    addresses = resource.get("address") or []
    values = {
        "identifier": {"system": local.get("system"), "value": local.get("value")},
        "name": name,
        "sex": GENDER_TO_SEX.get(resource.get("gender", "")),
        "birth_date": resource.get("birthDate"),
        "id_number": national.get("value") if national else None,
        "phone": phones[0] if phones else None,
        "address": addresses[0].get("text") if addresses else None,
    }
    try:
        return RegistrationIn.model_validate(values)
    except ValidationError as exc:
        raise ValidationFailed(
            "Patient 资源未通过校验。",
            errors=[
                FieldError(
                    "Patient." + ".".join(str(p) for p in e["loc"]), str(e["msg"]), e["type"]
                )
                for e in exc.errors()
            ],
        ) from exc


@router.post("")
def create(
    request: Request,
    session: DbSession,
    principal: ResidentsRegister,
    resource: dict[str, Any] = Body(media_type=FHIR_JSON),
    if_none_exist: str | None = Header(default=None, alias="If-None-Exist"),
) -> JSONResponse:
    """Register a Patient; with If-None-Exist (identifier=system|value) an existing one answers."""
    settings = request.app.state.settings
    if if_none_exist:
        key, _, token = if_none_exist.partition("=")
        system, sep, value = token.partition("|")
        if key != "identifier" or not sep:
            raise AppError(
                "If-None-Exist 仅支持 identifier=system|value。",
                status_code=400,
                code="bad_condition",
            )
        existing = identity_service.by_identifier(
            session, settings=settings, actor=principal, system=system, value=value
        )
        if existing is not None:
            return _fhir(
                to_patient(existing), 200, {"Location": f"/fhir/Patient/{existing.person.id}"}
            )
    result = identity_service.register(
        session, settings=settings, actor=principal, data=from_patient(resource)
    )
    found = identity_service.view(
        session,
        settings=settings,
        actor=principal,
        person_id=result.person.id,
        purpose="registration",
    )
    return _fhir(
        to_patient(found),
        201 if result.outcome != "matched" else 200,
        {"Location": f"/fhir/Patient/{result.person.id}", "X-Match-Outcome": result.outcome},
    )


@router.get("/$ihe-pix")
def pix(
    request: Request,
    session: DbSession,
    principal: ResidentsRead,
    source_identifier: str = Query(alias="sourceIdentifier", max_length=300),
    target_system: list[str] | None = Query(default=None, alias="targetSystem"),
) -> JSONResponse:
    """IHE PIXm: every other identifier of the person holding ``sourceIdentifier``."""
    system, sep, value = source_identifier.partition("|")
    if not sep:
        raise AppError(
            "sourceIdentifier 应为 system|value。", status_code=400, code="bad_identifier"
        )
    found = identity_service.by_identifier(
        session, settings=request.app.state.settings, actor=principal, system=system, value=value
    )
    parameters: list[dict[str, Any]] = []
    if found is not None:
        for ident in found.identifiers:
            if target_system and ident.system not in target_system:
                continue
            parameters.append(
                {
                    "name": "targetIdentifier",
                    "valueIdentifier": {"system": ident.system, "value": ident.value},
                }
            )
        parameters.append(
            {"name": "targetId", "valueReference": {"reference": f"Patient/{found.person.id}"}}
        )
    return _fhir({"resourceType": "Parameters", "parameter": parameters})


@router.post("/$match")
def match(
    request: Request,
    session: DbSession,
    principal: ResidentsRead,
    body: dict[str, Any] = Body(media_type=FHIR_JSON),
) -> JSONResponse:
    """Scored candidates for a Patient (nothing registered); onlyCertainMatches and count."""
    params = {p.get("name"): p for p in body.get("parameter", []) if isinstance(p, dict)}
    if body.get("resourceType") != "Parameters" or "resource" not in params:
        raise ValidationFailed(
            "请求体应为含 resource 参数的 FHIR Parameters。",
            errors=[FieldError("Parameters.parameter", "缺少 resource（Patient）。", "required")],
        )
    patient = dict(params["resource"].get("resource") or {})
    patient.setdefault("identifier", [])
    patient["identifier"] = [
        *patient["identifier"],
        {"system": "urn:healthcard:match", "value": "query"},
    ]
    only_certain = bool(params.get("onlyCertainMatches", {}).get("valueBoolean", False))
    count = int(params.get("count", {}).get("valueInteger", 10))
    settings = request.app.state.settings
    candidates = identity_service.match(
        session, settings=settings, data=from_patient(patient), limit=max(1, min(count, 50))
    )
    if only_certain:
        candidates = [c for c in candidates if c.certain][:1]
    entries = []
    for candidate in candidates:
        found = identity_service.view(
            session,
            settings=settings,
            actor=principal,
            person_id=candidate.person_id,
            purpose="matching",
        )
        grade = (
            "certain"
            if candidate.certain
            else "probable"
            if candidate.probability >= settings.empi_review_threshold
            else "possible"
        )
        entries.append(
            {
                "fullUrl": f"Patient/{candidate.person_id}",
                "resource": to_patient(found),
                "search": {
                    "mode": "match",
                    "score": round(candidate.probability, 4),
                    "extension": [
                        {
                            "url": "http://hl7.org/fhir/StructureDefinition/match-grade",
                            "valueCode": grade,
                        }
                    ],
                },
            }
        )
    return _fhir(
        {"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries}
    )


@router.get("/{person_id}")
def read(
    request: Request, session: DbSession, principal: ResidentsRead, person_id: int
) -> JSONResponse:
    """One Patient; a merged one carries link.type = replaced-by."""
    found = identity_service.view(
        session, settings=request.app.state.settings, actor=principal, person_id=person_id
    )
    return _fhir(to_patient(found))


@router.get("")
def search(
    request: Request,
    session: DbSession,
    principal: ResidentsRead,
    identifier: str | None = Query(default=None, max_length=300),
    name: str | None = Query(default=None, max_length=50),
    gender: str | None = Query(default=None, pattern="^(male|female)$"),
    birthdate: date | None = None,
    telecom: str | None = Query(default=None, max_length=30),
) -> JSONResponse:
    """Search by identifier (PIX) or demographics (PDQ); answers a searchset Bundle."""
    settings = request.app.state.settings
    if identifier:
        system, sep, value = identifier.partition("|")
        if not sep:
            raise AppError("identifier 应为 system|value。", status_code=400, code="bad_identifier")
        one = identity_service.by_identifier(
            session, settings=settings, actor=principal, system=system, value=value
        )
        results = [one] if one else []
    else:
        query = identity_service.Query(
            name=name, sex=GENDER_TO_SEX.get(gender or ""), birth_date=birthdate, phone=telecom
        )
        if not any(vars(query).values()):
            raise AppError("请至少提供一个查询参数。", status_code=400, code="no_criteria")
        results = identity_service.search(session, settings=settings, actor=principal, query=query)
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(results),
        "entry": [
            {
                "fullUrl": f"Patient/{r.person.id}",
                "resource": to_patient(r),
                "search": {"mode": "match"},
            }
            for r in results
        ],
    }
    return _fhir(bundle)
