"""Clinical documents pushed by hospitals (其他医疗卫生服务记录): stored once per identifier the
hospital gave them (sending one again updates it), entered in the resident's record timeline, and
fed to the public-health programmes (a blood pressure measured at hospital counts)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from healthcard.core import audit
from healthcard.core.db import advisory_lock
from healthcard.core.errors import AppError, Conflict, FieldError, NotFound, ValidationFailed
from healthcard.core.principal import Principal
from healthcard.models import (
    ClinicalCondition,
    ClinicalDocument,
    ClinicalEncounter,
    ClinicalImmunization,
    ClinicalMedicationRequest,
    ClinicalObservation,
    ClinicalReport,
    Person,
    RecordEvent,
)
from healthcard.records.programmes import service as programmes
from healthcard.records.programmes.service import rules as programme_rules
from healthcard.records.service import access, timeline

Document = ClinicalDocument
TABLES: dict[str, type[Document]] = {
    "Encounter": ClinicalEncounter,
    "Condition": ClinicalCondition,
    "Observation": ClinicalObservation,
    "DiagnosticReport": ClinicalReport,
    "MedicationRequest": ClinicalMedicationRequest,
    "Immunization": ClinicalImmunization,
}
# The column each type is dated by (FHIR search parameter ``date``), and its code column.
TIME_COLUMNS = {
    "Encounter": "period_start",
    "Condition": "recorded_at",
    "Observation": "effective_at",
    "DiagnosticReport": "effective_at",
    "MedicationRequest": "authored_at",
    "Immunization": "given_on",
}
CODE_COLUMNS = {
    "Condition": "code",
    "Observation": "code",
    "DiagnosticReport": "code",
    "MedicationRequest": "code",
    "Immunization": "vaccine_code",
}
SOURCE = "fhir"


class DocumentNotFound(NotFound):
    code = "resource_not_found"
    message = "资源不存在，或您无权查阅。"


class NotAnInstitution(AppError):
    status_code = 403
    code = "institution_required"
    message = "只有医疗卫生机构的接入系统或人员可以提交诊疗记录。"


@dataclass(frozen=True)
class Measurement:
    """Values a public-health programme counts: blood pressure (mmHg), fasting glucose (mmol/L)."""

    sbp: int | None = None
    dbp: int | None = None
    fasting_glucose: float | None = None


@dataclass(frozen=True)
class Vaccination:
    """A dose given, as the immunisation programme records it."""

    vaccine_code: str
    dose_number: int
    given_on: date
    lot_number: str | None = None


@dataclass(frozen=True)
class DocumentIn:
    """A validated FHIR resource of a hospital, with the columns and timeline entry it makes."""

    resource_type: str
    person_id: int
    source_system: str
    source_id: str
    status: str
    resource: dict[str, Any]
    columns: dict[str, Any]
    kind: str
    occurred_at: datetime
    title: str
    detail: dict[str, Any] | None = None
    measurement: Measurement | None = None
    vaccination: Vaccination | None = None


@dataclass
class Stored:
    """What ``store`` did: the row, and whether it was new."""

    document: Document
    created: bool


def store(
    session: Session, *, actor: Principal, data: DocumentIn, document_id: int | None = None
) -> Stored:
    """Create or update a hospital's clinical document (same identifier: same document)."""
    institution_id = _institution_of(actor)
    table = TABLES[data.resource_type]
    advisory_lock(session, f"clinical:{table.__tablename__}:{institution_id}:{data.source_id}")
    existing = _by_source(session, table, institution_id, data.source_system, data.source_id)
    if document_id is not None:
        existing = _for_update(session, table, institution_id, document_id, existing, data)
    if existing is None:
        return _create(session, actor, institution_id, table, data)
    return _update(session, actor, existing, data)


def _institution_of(actor: Principal) -> int:
    if actor.institution_id is None:
        raise NotAnInstitution()
    return actor.institution_id


def _by_source(
    session: Session, table: type[Document], institution_id: int, system: str, value: str
) -> Document | None:
    query = select(table).where(
        table.institution_id == institution_id,
        table.source_system == system,
        table.source_id == value,
    )
    return session.execute(query.with_for_update()).scalar_one_or_none()


def _for_update(
    session: Session,
    table: type[Document],
    institution_id: int,
    document_id: int,
    by_source: Document | None,
    data: DocumentIn,
) -> Document:
    """The document a PUT names: it must be the sender's, and keep its identifier."""
    row = session.get(table, document_id, with_for_update=True)
    if row is None or row.institution_id != institution_id:
        raise DocumentNotFound()
    if by_source is not None and by_source.id != row.id:
        raise Conflict(
            f"标识 {data.source_system}|{data.source_id} 已属于 {data.resource_type}/"
            f"{by_source.id}，不能再用于 {data.resource_type}/{row.id}。",
            code="identifier_taken",
        )
    return row


def _create(
    session: Session,
    actor: Principal,
    institution_id: int,
    table: type[Document],
    data: DocumentIn,
) -> Stored:
    if session.get(Person, data.person_id) is None:
        raise ValidationFailed(
            "subject 指向的居民不存在。",
            errors=[FieldError(f"{data.resource_type}.subject", "居民不存在。", "not_found")],
        )
    row = table(
        person_id=data.person_id,
        institution_id=institution_id,
        source_system=data.source_system,
        source_id=data.source_id,
        status=data.status,
        resource={},
        version=1,
        submitted_by=actor.label,
        **data.columns,
    )
    session.add(row)
    session.flush()
    row.resource = _served(data, row.id, 1)
    _feed_programmes(session, actor, row, data)
    if row.event_id is None and data.status != "entered-in-error":
        row.event_id = _add_event(session, row, data).id
    session.flush()
    _audit(session, actor, "clinical.create", row, data)
    return Stored(row, created=True)


def _add_event(session: Session, row: Document, data: DocumentIn) -> RecordEvent:
    return timeline.add_event(
        session,
        person_id=row.person_id,
        kind=data.kind,
        occurred_at=data.occurred_at,
        title=data.title,
        institution_id=row.institution_id,
        source=SOURCE,
        ref=f"{data.resource_type}/{row.id}",
        detail=data.detail,
    )


def _update(session: Session, actor: Principal, row: Document, data: DocumentIn) -> Stored:
    if row.person_id != data.person_id:
        raise Conflict(
            "资源已登记在另一位居民名下：如属张冠李戴，请先将原资源状态改为 entered-in-error，"
            "再以新标识提交。",
            code="subject_changed",
        )
    if isinstance(row, ClinicalImmunization) and row.immunisation_id is not None:
        _check_dose_unchanged(row, data)
    for name, value in data.columns.items():
        setattr(row, name, value)
    row.status = data.status
    row.version += 1
    row.resource = _served(data, row.id, row.version)
    row.submitted_by = actor.label
    _feed_programmes(session, actor, row, data)
    _update_event(session, row, data)
    session.flush()
    _audit(session, actor, "clinical.update", row, data)
    return Stored(row, created=False)


def _check_dose_unchanged(row: ClinicalImmunization, data: DocumentIn) -> None:
    """A dose in the immunisation programme is corrected there, not by a hospital's resend."""
    given = data.vaccination
    same = given is not None and (given.vaccine_code, given.dose_number, given.given_on) == (
        row.vaccine_code,
        row.dose_number,
        row.given_on,
    )
    if not same:
        raise Conflict(
            "该剂次已记入预防接种档案：疫苗、剂次、接种日期或状态的更正请由接种单位在预防接种"
            "页面办理。",
            code="dose_recorded",
        )


def _update_event(session: Session, row: Document, data: DocumentIn) -> None:
    """Keep the timeline entry in step; a document entered in error leaves the timeline."""
    event = timeline.get_event(session, row.event_id) if row.event_id else None
    if data.status == "entered-in-error":
        _drop_event(session, row)
        return
    if event is None:
        row.event_id = _add_event(session, row, data).id
        return
    event.kind = data.kind
    timeline.update_event(
        session, event, occurred_at=data.occurred_at, title=data.title, detail=data.detail
    )


def _drop_event(session: Session, row: Document) -> None:
    event = timeline.get_event(session, row.event_id) if row.event_id else None
    row.event_id = None
    session.flush()
    if event is not None:
        session.delete(event)
        session.flush()


def _served(data: DocumentIn, row_id: int, version: int) -> dict[str, Any]:
    """The resource as this server serves it: its id, version and a Patient/{id} subject."""
    resource = copy.deepcopy(data.resource)
    resource["id"] = str(row_id)
    meta = dict(resource.get("meta") or {})
    meta["versionId"] = str(version)
    meta.pop("lastUpdated", None)
    resource["meta"] = meta
    key = "patient" if data.resource_type == "Immunization" else "subject"
    resource[key] = {"reference": f"Patient/{data.person_id}"}
    return resource


def _feed_programmes(session: Session, actor: Principal, row: Document, data: DocumentIn) -> None:
    """Hand programme-relevant values to the public-health programmes."""
    try:
        if data.measurement is not None:
            m = data.measurement
            programmes.measurement_from_hospital(
                session,
                person_id=row.person_id,
                measured_at=data.occurred_at,
                institution_id=row.institution_id,
                source_ref=f"{data.resource_type}/{row.id}",
                sbp=m.sbp,
                dbp=m.dbp,
                fasting_glucose=m.fasting_glucose,
            )
        if (
            data.vaccination is not None
            and isinstance(row, ClinicalImmunization)
            and row.immunisation_id is None
        ):
            _drop_event(session, row)
            _vaccinate(session, actor, row, data.vaccination)
    except ValidationFailed as error:
        raise _in_fhir_terms(error, data.resource_type) from error


def _vaccinate(
    session: Session, actor: Principal, row: ClinicalImmunization, given: Vaccination
) -> None:
    """Record the dose in the immunisation programme, whose timeline entry this row then keeps."""
    dose = programmes.record_immunisation(
        session,
        actor=actor,
        person_id=row.person_id,
        vaccine_code=given.vaccine_code,
        dose_number=given.dose_number,
        given_on=given.given_on,
        institution_id=row.institution_id,
        lot_number=given.lot_number,
        source=SOURCE,
    )
    row.immunisation_id = dose.id
    row.event_id = timeline.event_for(
        session, person_id=row.person_id, source=SOURCE, ref=f"immunisation:{dose.id}"
    )


# The programmes' own field names, as the elements of the FHIR resource they came from.
_FHIR_PATHS = {
    "vaccine_code": "vaccineCode",
    "dose_number": "protocolApplied[0].doseNumberPositiveInt",
    "given_on": "occurrenceDateTime",
    "site": "site",
    "measured_at": "effectiveDateTime",
    "sbp": "component",
    "dbp": "component",
    "fasting_glucose": "valueQuantity.value",
}


def _in_fhir_terms(error: ValidationFailed, resource_type: str) -> ValidationFailed:
    errors = [
        FieldError(f"{resource_type}.{_FHIR_PATHS.get(e.field, e.field)}", e.message, e.code)
        for e in error.errors
    ]
    return ValidationFailed(error.message, errors=errors, code=error.code)


def _audit(
    session: Session, actor: Principal, action: str, row: Document, data: DocumentIn
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        resource_type=data.resource_type,
        resource_id=row.id,
        purpose="treatment",
        detail={"person_id": row.person_id, "version": row.version},
    )


def get(session: Session, *, actor: Principal, resource_type: str, document_id: int) -> Document:
    """One clinical document; the sender reads its own, others need access to the resident."""
    row = session.get(TABLES[resource_type], document_id)
    if row is None:
        raise DocumentNotFound()
    if row.institution_id != actor.institution_id:
        access.check_read(session, actor=actor, person_id=row.person_id, purpose="treatment")
    audit.record(
        session,
        actor=actor,
        action="clinical.read",
        resource_type=resource_type,
        resource_id=row.id,
        purpose="treatment",
        detail={"person_id": row.person_id},
    )
    return row


@dataclass(frozen=True)
class Search:
    """FHIR search: a patient, a period on the type's date, a code (with or without system)."""

    person_id: int
    since: datetime | date | None = None
    until: datetime | date | None = None
    code: str | None = None
    code_system: str | None = None
    limit: int = 100


def search(
    session: Session, *, actor: Principal, resource_type: str, query: Search
) -> Sequence[Document]:
    """A resident's clinical documents of one type, newest first: all institutions' under the
    shared-record access rules, else only the caller's own institution's."""
    table = TABLES[resource_type]
    stmt: Select[Any] = select(table).where(table.person_id == query.person_id)
    if access.read_basis(session, actor=actor, person_id=query.person_id) is not None:
        access.check_read(session, actor=actor, person_id=query.person_id, purpose="treatment")
    else:
        stmt = stmt.where(table.institution_id == actor.institution_id)
    when = getattr(table, TIME_COLUMNS[resource_type])
    if query.since is not None:
        stmt = stmt.where(when >= query.since)
    if query.until is not None:
        stmt = stmt.where(when < query.until)
    if query.code is not None and resource_type in CODE_COLUMNS:
        stmt = stmt.where(getattr(table, CODE_COLUMNS[resource_type]) == query.code)
        system_column = getattr(table, "code_system", None)
        if query.code_system is not None and system_column is not None:
            stmt = stmt.where(system_column == query.code_system)
    stmt = stmt.order_by(when.desc(), table.id.desc()).limit(query.limit)
    rows = session.execute(stmt).scalars().all()
    audit.record(
        session,
        actor=actor,
        action="clinical.search",
        resource_type=resource_type,
        purpose="treatment",
        detail={"person_id": query.person_id, "results": [r.id for r in rows]},
    )
    return rows


def vaccine_names() -> dict[str, str]:
    """The vaccines of the immunisation schedule in force, code to name."""
    return {v.code: v.name for v in programme_rules.immunisation_schedule().vaccines}
