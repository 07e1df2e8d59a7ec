"""Bad clinical resources are refused with an OperationOutcome naming the element at fault, and
nothing is stored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from healthcard.core.config import Settings
from healthcard.models import RecordEvent
from tests.fhir.clinical_factories import (
    ICD10_CN,
    Builder,
    Hospital,
    bp,
    condition,
    encounter,
    prescription,
    report,
    vaccination,
    valid,
)
from tests.identity.factories import resident_id


@pytest.fixture
def hospital(client: TestClient, session: Session, settings: Settings) -> Hospital:
    return Hospital(client, session, settings, "烟台测试医院")


@pytest.fixture
def patient(hospital: Hospital) -> str:
    return hospital.patient("M-1", resident_id(date(1958, 4, 12), 31))


def _bad_cases() -> list[tuple[str, Builder, Callable[[dict[str, Any]], None], str]]:
    return [
        ("no identifier", encounter, lambda r: r.pop("identifier"), "Encounter.identifier"),
        ("no status", encounter, lambda r: r.pop("status"), "Encounter.status"),
        ("bad class", encounter, lambda r: r["class"].update(code="XYZ"), "Encounter.class.code"),
        (
            "end before start",
            encounter,
            lambda r: r["period"].update(end="2026-03-01T08:00:00+08:00"),
            "Encounter.period.end",
        ),
        (
            "time without zone",
            encounter,
            lambda r: r["period"].update(start="2026-03-02T09:30:00"),
            "Encounter.period.start",
        ),
        (
            "in the future",
            condition,
            lambda r: r.update(recordedDate=(datetime.now(UTC) + timedelta(days=2)).isoformat()),
            "Condition.recordedDate",
        ),
        (
            "no ICD-10",
            condition,
            lambda r: r.update(
                code={"coding": [{"system": "http://snomed.info/sct", "code": "1"}]}
            ),
            "Condition.code.coding",
        ),
        (
            "bad ICD-10",
            condition,
            lambda r: r["code"]["coding"][0].update(code="I1O"),
            "Condition.code.coding[0].code",
        ),
        (
            "WHO system, Chinese extension",
            condition,
            lambda r: r["code"]["coding"][0].update(code="I10.x00x002"),
            "Condition.code.coding[0].code",
        ),
        (
            "LOINC check digit",
            bp,
            lambda r: r["code"]["coding"][0].update(code="85354-8"),
            "Observation.code.coding[0].code",
        ),
        ("BP without diastolic", bp, lambda r: r["component"].pop(), "Observation.component"),
        (
            "BP unit",
            bp,
            lambda r: r["component"][0]["valueQuantity"].update(code="kPa", unit="kPa"),
            "Observation.component.valueQuantity.code",
        ),
        (
            "discharge without summary",
            report,
            lambda r: r.pop("conclusion"),
            "DiagnosticReport.conclusion",
        ),
        ("no intent", prescription, lambda r: r.pop("intent"), "MedicationRequest.intent"),
        (
            "medication reference",
            prescription,
            lambda r: r.update(medicationReference={"reference": "Medication/1"}),
            "MedicationRequest.medicationReference",
        ),
        (
            "vaccine not on schedule",
            vaccination,
            lambda r: r["vaccineCode"]["coding"][0].update(code="FLU"),
            "Immunization.vaccineCode.coding",
        ),
        (
            "dose zero",
            vaccination,
            lambda r: r["protocolApplied"][0].update(doseNumberPositiveInt=0),
            "Immunization.protocolApplied[0].doseNumberPositiveInt",
        ),
    ]


@pytest.mark.parametrize(
    ("build", "spoil", "where"), [c[1:] for c in _bad_cases()], ids=[c[0] for c in _bad_cases()]
)
def test_bad_input_is_an_operation_outcome_naming_the_element(
    hospital: Hospital,
    patient: str,
    session: Session,
    build: Builder,
    spoil: Callable[[dict[str, Any]], None],
    where: str,
) -> None:
    resource = build(hospital, patient)
    spoil(resource)
    answer = hospital.post(resource)
    assert answer.status_code == 422, answer.text
    outcome = valid(answer.json())
    assert outcome["issue"][0]["code"] == "invalid"
    assert outcome["issue"][1]["expression"] == [where]
    session.expire_all()
    assert (
        session.execute(select(RecordEvent).where(RecordEvent.person_id == int(patient))).first()
        is None
    )


def test_chinese_icd10_edition_and_wrong_resource_type(hospital: Hospital, patient: str) -> None:
    resource = condition(hospital, patient)
    resource["code"] = {"coding": [{"system": ICD10_CN, "code": "E11.900", "display": "2型糖尿病"}]}
    assert hospital.post(resource).status_code == 201
    wrong = hospital.client.post(
        "/fhir/Condition", json=encounter(hospital, patient), headers=hospital.headers
    )
    assert wrong.status_code == 422
    assert valid(wrong.json())["issue"][1]["expression"] == ["resourceType"]
    garbled = hospital.client.post(
        "/fhir/Condition", content=b"{not json", headers=hospital.headers
    )
    assert garbled.status_code == 400
    assert valid(garbled.json())["resourceType"] == "OperationOutcome"
