"""FHIR R4 clinical resources from hospitals, checked element by element and turned into what the
records service stores: Encounter, Condition, Observation, DiagnosticReport, MedicationRequest,
Immunization. Validation is our own light code (``fhir.resources`` is only used by the tests)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from stdnum import luhn

from healthcard.core.db import utcnow
from healthcard.fhir.service import elements as el
from healthcard.fhir.service.elements import invalid
from healthcard.records.service import clinical as clinical_service
from healthcard.records.service.clinical import DocumentIn, Measurement, Vaccination

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICD10_WHO = "http://hl7.org/fhir/sid/icd-10"
# ICD-10 as published in China (GB/T 14396, the national clinical edition's extended codes), under
# the OID Chinese CDA documents (WS/T 500) give it.
ICD10_CN = "urn:oid:2.16.156.10011.2.3.3.11"
ICD10_SYSTEMS = {
    ICD10_WHO: re.compile(r"^[A-Z][0-9]{2}(\.[0-9]{1,2})?$"),
    ICD10_CN: re.compile(r"^[A-Z][0-9]{2}(\.[0-9x][0-9]{0,2}(x[0-9]{3})?)?$"),
}
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ENCOUNTER_CLASSES = {
    "AMB": "门诊",
    "EMER": "急诊",
    "IMP": "住院",
    "ACUTE": "住院",
    "OBSENC": "留观",
}
DISCHARGE_SUMMARY = "18842-5"
BP_PANEL, SYSTOLIC, DIASTOLIC = "85354-9", "8480-6", "8462-4"
# Fasting glucose: 1558-6 is mass per volume (mg/dL), 14771-0 moles per volume (mmol/L).
GLUCOSE_MASS, GLUCOSE_MOLAR = "1558-6", "14771-0"
MG_DL_PER_MMOL_L = 18.016

STATUSES = {
    "Encounter": (
        "planned",
        "arrived",
        "triaged",
        "in-progress",
        "onleave",
        "finished",
        "cancelled",
        "entered-in-error",
        "unknown",
    ),
    "Observation": (
        "registered",
        "preliminary",
        "final",
        "amended",
        "corrected",
        "cancelled",
        "entered-in-error",
        "unknown",
    ),
    "DiagnosticReport": (
        "registered",
        "partial",
        "preliminary",
        "final",
        "amended",
        "corrected",
        "appended",
        "cancelled",
        "entered-in-error",
        "unknown",
    ),
    "MedicationRequest": (
        "active",
        "on-hold",
        "cancelled",
        "completed",
        "entered-in-error",
        "stopped",
        "draft",
        "unknown",
    ),
    "Immunization": ("completed", "entered-in-error", "not-done"),
}
CONDITION_CLINICAL = (
    "active",
    "recurrence",
    "relapse",
    "inactive",
    "remission",
    "resolved",
)
INTENTS = (
    "proposal",
    "plan",
    "order",
    "original-order",
    "reflex-order",
    "filler-order",
    "instance-order",
    "option",
)

# Resolves a subject (Reference) to the person id of the master patient index, or refuses.
SubjectResolver = Callable[[dict[str, Any], str], int]


def parse(resource_type: str, body: Any, *, resolve: SubjectResolver) -> DocumentIn:
    """A hospital's resource as the records service stores it; 422 naming what is wrong."""
    if not isinstance(body, dict) or body.get("resourceType") != resource_type:
        raise invalid("resourceType", f"请求体应为 FHIR {resource_type} 资源。")
    return _PARSERS[resource_type](body, resolve)


def _common(body: dict[str, Any], rtype: str, resolve: SubjectResolver) -> dict[str, Any]:
    system, value = el.identifier(body, rtype)
    key = "patient" if rtype == "Immunization" else "subject"
    subject = el.obj(body, key, rtype, required=True)
    return {
        "resource_type": rtype,
        "person_id": resolve(subject, f"{rtype}.{key}"),
        "source_system": system,
        "source_id": value,
        "resource": body,
    }


def _encounter_of(body: dict[str, Any], rtype: str) -> int | None:
    return el.reference(el.obj(body, "encounter", rtype), f"{rtype}.encounter", "Encounter")


def _when(value: Any, path: str) -> datetime:
    return el.not_in_future(el.instant(value, path), path, now=utcnow())


def _encounter(body: dict[str, Any], resolve: SubjectResolver) -> DocumentIn:
    status = el.code(body, "status", "Encounter", STATUSES["Encounter"])
    klass = el.obj(body, "class", "Encounter", required=True)
    class_code = el.code(klass, "code", "Encounter.class", tuple(ENCOUNTER_CLASSES))
    period = el.obj(body, "period", "Encounter", required=True)
    if "start" not in period:
        raise invalid("Encounter.period.start", "缺少就诊开始时间。", "required")
    start = _when(period["start"], "Encounter.period.start")
    end = _when(period["end"], "Encounter.period.end") if "end" in period else None
    if end is not None and end < start:
        raise invalid("Encounter.period.end", "结束时间早于开始时间。")
    types = el.array(body, "type", "Encounter")
    type_text = el.concept_text(types[0], "Encounter.type[0]") if types else None
    title = f"{ENCOUNTER_CLASSES[class_code]}就诊" + (f" · {type_text}" if type_text else "")
    return DocumentIn(
        **_common(body, "Encounter", resolve),
        status=status,
        columns={
            "class_code": class_code,
            "type_text": type_text,
            "period_start": start,
            "period_end": end,
        },
        kind="encounter",
        occurred_at=start,
        title=title,
        detail={"class": class_code, "end": end.isoformat() if end else None},
    )


def _condition(body: dict[str, Any], resolve: SubjectResolver) -> DocumentIn:
    clinical = _status_concept(body, "clinicalStatus", CONDITION_CLINICAL)
    verification = el.obj(body, "verificationStatus", "Condition")
    refuted = any(
        c in ("entered-in-error", "refuted")
        for _, c, _ in el.codings(verification, "Condition.verificationStatus")
    )
    concept = el.obj(body, "code", "Condition", required=True)
    system, code, display = _icd10(concept)
    recorded = body.get("recordedDate") or body.get("onsetDateTime")
    if recorded is None:
        raise invalid("Condition.recordedDate", "缺少诊断时间（recordedDate）。", "required")
    when = _when(recorded, "Condition.recordedDate")
    label = el.concept_text(concept, "Condition.code") or display or code
    return DocumentIn(
        **_common(body, "Condition", resolve),
        status="entered-in-error" if refuted else clinical or "active",
        columns={
            "code_system": system,
            "code": code,
            "display": label,
            "encounter_id": _encounter_of(body, "Condition"),
            "recorded_at": when,
        },
        kind="condition",
        occurred_at=when,
        title=f"诊断：{label}（{code}）",
        detail={"code": code, "system": system},
    )


def _status_concept(body: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str | None:
    concept = el.obj(body, key, "Condition")
    found = el.codings(concept, f"Condition.{key}")
    if concept and not found:
        raise invalid(f"Condition.{key}.coding", "缺少编码。", "required")
    for _, value, _ in found:
        if value not in allowed:
            raise invalid(f"Condition.{key}.coding[0].code", f"取值应为 {' | '.join(allowed)}。")
        return value
    return None


def _icd10(concept: dict[str, Any]) -> tuple[str, str, str | None]:
    found = el.codings(concept, "Condition.code")
    for n, (system, code, display) in enumerate(found):
        if system in ICD10_SYSTEMS:
            if not ICD10_SYSTEMS[system].match(code):
                raise invalid(
                    f"Condition.code.coding[{n}].code",
                    f"“{code}”不是有效的 ICD-10 编码（如 I10、E11.9，国家临床版如 E11.900）。",
                )
            return system, code, display
    raise invalid(
        "Condition.code.coding",
        f"诊断须含 ICD-10 编码（system 为 {ICD10_WHO} 或 {ICD10_CN}）。",
        "required",
    )


def _code(concept: dict[str, Any], path: str) -> tuple[str, str, str | None]:
    """The first coding of a LOINC or local code system; a LOINC code must be well formed."""
    found = el.codings(concept, path)
    for n, (system, code, display) in enumerate(found):
        if system is None:
            continue
        if system == LOINC and not (re.fullmatch(r"\d{1,7}-\d", code) and _loinc_ok(code)):
            raise invalid(
                f"{path}.coding[{n}].code", f"“{code}”不是有效的 LOINC 编码（如 8480-6）。"
            )
        return system, code, display
    raise invalid(f"{path}.coding", "须含带 system 的编码（LOINC 或本机构编码）。", "required")


def _loinc_ok(code: str) -> bool:
    return bool(luhn.is_valid(code.replace("-", "")))


def _observation(body: dict[str, Any], resolve: SubjectResolver) -> DocumentIn:
    status = el.code(body, "status", "Observation", STATUSES["Observation"])
    concept = el.obj(body, "code", "Observation", required=True)
    system, code, display = _code(concept, "Observation.code")
    if "effectiveDateTime" not in body:
        raise invalid("Observation.effectiveDateTime", "缺少检查/测量时间。", "required")
    when = _when(body["effectiveDateTime"], "Observation.effectiveDateTime")
    label = el.concept_text(concept, "Observation.code") or display or code
    value, unit = _quantity(body, "Observation")
    measurement = _measurement(body, system, code, value, unit)
    shown = _shown(measurement, value, unit)
    return DocumentIn(
        **_common(body, "Observation", resolve),
        status=status,
        columns={
            "code_system": system,
            "code": code,
            "display": label,
            "value": value,
            "unit": unit,
            "encounter_id": _encounter_of(body, "Observation"),
            "effective_at": when,
        },
        kind="observation",
        occurred_at=when,
        title=f"{label}：{shown}" if shown else str(label),
        detail={"code": code, "system": system, "value": shown or None},
        measurement=measurement if status in ("final", "amended", "corrected") else None,
    )


def _quantity(body: dict[str, Any], path: str) -> tuple[float | None, str | None]:
    quantity = el.obj(body, "valueQuantity", path)
    if not quantity:
        return None, None
    value = el.number(quantity.get("value"), f"{path}.valueQuantity.value")
    unit = el.string(quantity, "code", f"{path}.valueQuantity", max_length=40) or el.string(
        quantity, "unit", f"{path}.valueQuantity", max_length=40
    )
    return value, unit


def _components(body: dict[str, Any]) -> dict[str, tuple[float, str | None]]:
    values = {}
    for n, item in enumerate(el.array(body, "component", "Observation")):
        path = f"Observation.component[{n}]"
        if not isinstance(item, dict):
            raise invalid(path, "应为 JSON 对象。")
        _, code, _ = _code(el.obj(item, "code", path, required=True), f"{path}.code")
        value, unit = _quantity(item, path)
        if value is not None:
            values[code] = (value, unit)
    return values


def _measurement(
    body: dict[str, Any], system: str, code: str, value: float | None, unit: str | None
) -> Measurement | None:
    if system != LOINC:
        return None
    if code == BP_PANEL:
        return _blood_pressure(_components(body))
    if code in (GLUCOSE_MASS, GLUCOSE_MOLAR):
        return _glucose(value, unit)
    return None


def _blood_pressure(values: dict[str, tuple[float, str | None]]) -> Measurement:
    for code, name in ((SYSTOLIC, "收缩压"), (DIASTOLIC, "舒张压")):
        if code not in values:
            raise invalid("Observation.component", f"血压组合须含{name}（LOINC {code}）。")
        if values[code][1] not in ("mm[Hg]", "mmHg"):
            raise invalid("Observation.component.valueQuantity.code", f"{name}单位应为 mm[Hg]。")
    sbp, dbp = round(values[SYSTOLIC][0]), round(values[DIASTOLIC][0])
    if not (40 <= sbp <= 300 and 20 <= dbp <= 200 and sbp > dbp):
        raise invalid("Observation.component", f"血压 {sbp}/{dbp} mmHg 不合常理，请核对。")
    return Measurement(sbp=sbp, dbp=dbp)


def _glucose(value: float | None, unit: str | None) -> Measurement:
    if value is None:
        raise invalid("Observation.valueQuantity", "空腹血糖须有数值。", "required")
    if unit == "mg/dL":
        value = value / MG_DL_PER_MMOL_L
    elif unit != "mmol/L":
        raise invalid("Observation.valueQuantity.code", "空腹血糖单位应为 mmol/L 或 mg/dL。")
    if not 0.5 <= value <= 50:
        raise invalid("Observation.valueQuantity.value", "空腹血糖数值不合常理，请核对。")
    return Measurement(fasting_glucose=round(value, 2))


def _shown(measurement: Measurement | None, value: float | None, unit: str | None) -> str:
    if measurement is not None and measurement.sbp is not None:
        return f"{measurement.sbp}/{measurement.dbp} mmHg"
    if measurement is not None and measurement.fasting_glucose is not None:
        return f"{measurement.fasting_glucose:g} mmol/L"
    if value is not None:
        return f"{value:g} {unit or ''}".strip()
    return ""


def _report(body: dict[str, Any], resolve: SubjectResolver) -> DocumentIn:
    status = el.code(body, "status", "DiagnosticReport", STATUSES["DiagnosticReport"])
    concept = el.obj(body, "code", "DiagnosticReport", required=True)
    system, code, display = _code(concept, "DiagnosticReport.code")
    when_raw = body.get("effectiveDateTime") or body.get("issued")
    if when_raw is None:
        raise invalid("DiagnosticReport.effectiveDateTime", "缺少报告时间。", "required")
    when = _when(when_raw, "DiagnosticReport.effectiveDateTime")
    conclusion = el.string(body, "conclusion", "DiagnosticReport", max_length=10_000)
    discharge = system == LOINC and code == DISCHARGE_SUMMARY
    if discharge and not conclusion:
        raise invalid("DiagnosticReport.conclusion", "出院小结须有小结内容。", "required")
    for n, item in enumerate(el.array(body, "result", "DiagnosticReport")):
        if not isinstance(item, dict):
            raise invalid(f"DiagnosticReport.result[{n}]", "应为 JSON 对象。")
        el.reference(item, f"DiagnosticReport.result[{n}]", "Observation")
    label = el.concept_text(concept, "DiagnosticReport.code") or display or code
    summary = (conclusion or "")[:60]
    return DocumentIn(
        **_common(body, "DiagnosticReport", resolve),
        status=status,
        columns={
            "kind": "discharge" if discharge else "report",
            "code_system": system,
            "code": code,
            "display": label,
            "conclusion": conclusion,
            "encounter_id": _encounter_of(body, "DiagnosticReport"),
            "effective_at": when,
        },
        kind="discharge" if discharge else "report",
        occurred_at=when,
        title=f"出院小结：{summary}"
        if discharge
        else f"{label}" + (f"：{summary}" if summary else ""),
        detail={"code": code, "system": system},
    )


def _titled(label: str, summary: str) -> str:
    return f"{label}：{summary}" if summary else label


def _medication(body: dict[str, Any], resolve: SubjectResolver) -> DocumentIn:
    status = el.code(body, "status", "MedicationRequest", STATUSES["MedicationRequest"])
    el.code(body, "intent", "MedicationRequest", INTENTS)
    if "medicationReference" in body:
        raise invalid(
            "MedicationRequest.medicationReference", "请用 medicationCodeableConcept 描述药品。"
        )
    concept = el.obj(body, "medicationCodeableConcept", "MedicationRequest", required=True)
    coded = el.codings(concept, "MedicationRequest.medicationCodeableConcept")
    display = el.concept_text(concept, "MedicationRequest.medicationCodeableConcept")
    if display is None:
        raise invalid(
            "MedicationRequest.medicationCodeableConcept.text", "缺少药品名称。", "required"
        )
    if "authoredOn" not in body:
        raise invalid("MedicationRequest.authoredOn", "缺少开方时间。", "required")
    when = _when(body["authoredOn"], "MedicationRequest.authoredOn")
    dosage = el.array(body, "dosageInstruction", "MedicationRequest")
    dosage_text = (
        el.string(dosage[0], "text", "MedicationRequest.dosageInstruction[0]", max_length=300)
        if dosage and isinstance(dosage[0], dict)
        else None
    )
    first = next(((s, c) for s, c, _ in coded if s), (None, None))
    return DocumentIn(
        **_common(body, "MedicationRequest", resolve),
        status=status,
        columns={
            "code_system": first[0],
            "code": first[1],
            "display": display,
            "dosage_text": dosage_text,
            "encounter_id": _encounter_of(body, "MedicationRequest"),
            "authored_at": when,
        },
        kind="medication",
        occurred_at=when,
        title=f"处方：{display}" + (f"，{dosage_text}" if dosage_text else ""),
        detail={"code": first[1], "dosage": dosage_text},
    )


def _immunization(body: dict[str, Any], resolve: SubjectResolver) -> DocumentIn:
    status = el.code(body, "status", "Immunization", STATUSES["Immunization"])
    concept = el.obj(body, "vaccineCode", "Immunization", required=True)
    vaccine, name = _vaccine(concept)
    if "occurrenceDateTime" not in body:
        raise invalid("Immunization.occurrenceDateTime", "缺少接种时间。", "required")
    when = _when(body["occurrenceDateTime"], "Immunization.occurrenceDateTime")
    protocol = el.array(body, "protocolApplied", "Immunization", required=True)
    if not isinstance(protocol[0], dict):
        raise invalid("Immunization.protocolApplied[0]", "应为 JSON 对象。")
    dose = el.positive_int(
        protocol[0].get("doseNumberPositiveInt"),
        "Immunization.protocolApplied[0].doseNumberPositiveInt",
    )
    lot = el.string(body, "lotNumber", "Immunization", max_length=40)
    given_on = el.day(body["occurrenceDateTime"], "Immunization.occurrenceDateTime")
    vaccination = Vaccination(vaccine, dose, given_on, lot)
    return DocumentIn(
        **_common(body, "Immunization", resolve),
        status=status,
        columns={
            "vaccine_code": vaccine,
            "dose_number": dose,
            "given_on": given_on,
            "lot_number": lot,
        },
        kind="immunization",
        occurred_at=when,
        title=("预防接种" if status != "not-done" else "未接种") + f"：{name} 第 {dose} 剂",
        detail={"vaccine": vaccine, "dose": dose, "lot": lot},
        vaccination=vaccination if status == "completed" else None,
    )


def _vaccine(concept: dict[str, Any]) -> tuple[str, str]:
    """The vaccine's code on the national schedule (and its name), else a 422 listing them."""
    known = clinical_service.vaccine_names()
    found = el.codings(concept, "Immunization.vaccineCode")
    for _, code, display in found:
        if code in known:
            return code, display or known[code]
    raise invalid(
        "Immunization.vaccineCode.coding",
        "疫苗编码应为国家免疫规划疫苗之一：" + "、".join(sorted(known)) + "。",
        "required" if not found else "invalid",
    )


_PARSERS: dict[str, Callable[[dict[str, Any], SubjectResolver], DocumentIn]] = {
    "Encounter": _encounter,
    "Condition": _condition,
    "Observation": _observation,
    "DiagnosticReport": _report,
    "MedicationRequest": _medication,
    "Immunization": _immunization,
}
