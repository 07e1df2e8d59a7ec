"""FHIR Patient: conditional create, read, search by identifier (PIX), $ihe-pix, $match."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from healthcard.core.config import Settings
from healthcard.identity.idnumbers import mask_id
from tests.identity.factories import Hospital, resident_id

RESIDENT = "urn:oid:2.16.156.10011.1.3"
FHIR = {"Content-Type": "application/fhir+json"}


@pytest.fixture
def hospital(client: TestClient, session: Session, settings: Settings) -> Hospital:
    return Hospital(client, session, settings, "FHIR 测试医院")


def _patient(system: str, mrn: str, number: str | None = None, **extra: Any) -> dict[str, Any]:
    identifiers = [{"system": system, "value": mrn}]
    if number:
        identifiers.append({"system": RESIDENT, "value": number})
    return {
        "resourceType": "Patient",
        "identifier": identifiers,
        "name": [{"text": "黄晓明"}],
        "gender": "male",
        "birthDate": "1980-05-17",
        "telecom": [{"system": "phone", "value": "13805359999"}],
        **extra,
    }


def test_create_read_and_conditional_create(hospital: Hospital) -> None:
    number = resident_id()
    headers = {**hospital.headers, **FHIR}
    created = hospital.client.post(
        "/fhir/Patient", json=_patient(hospital.system, "F-1", number), headers=headers
    )
    assert created.status_code == 201, created.text
    assert created.headers["x-match-outcome"] == "created"
    patient = created.json()
    assert patient["resourceType"] == "Patient"
    assert {"system": RESIDENT, "value": mask_id(number)} in patient["identifier"]
    assert patient["telecom"][0]["value"] == "138****9999"
    read = hospital.client.get(created.headers["location"], headers=hospital.headers)
    assert read.json()["id"] == patient["id"]
    conditional = hospital.client.post(
        "/fhir/Patient",
        json=_patient(hospital.system, "F-2", number),
        headers={**headers, "If-None-Exist": f"identifier={RESIDENT}|{number}"},
    )
    assert conditional.status_code == 200
    assert conditional.json()["id"] == patient["id"]


def test_search_by_identifier_and_demographics(hospital: Hospital) -> None:
    number = resident_id(date(1971, 2, 3), 57)
    headers = {**hospital.headers, **FHIR}
    made = hospital.client.post(
        "/fhir/Patient",
        json=_patient(hospital.system, "F-9", number, birthDate="1971-02-03"),
        headers=headers,
    ).json()
    bundle = hospital.get("/fhir/Patient", identifier=f"{RESIDENT}|{number}").json()
    assert bundle["resourceType"] == "Bundle"
    assert [e["resource"]["id"] for e in bundle["entry"]] == [made["id"]]
    by_mrn = hospital.get("/fhir/Patient", identifier=f"{hospital.system}|F-9").json()
    assert by_mrn["total"] == 1
    by_name = hospital.get("/fhir/Patient", name="huangxiaoming", birthdate="1971-02-03").json()
    assert by_name["total"] == 1
    pix = hospital.get("/fhir/Patient/$ihe-pix", sourceIdentifier=f"{hospital.system}|F-9").json()
    assert pix["resourceType"] == "Parameters"
    names = [p["name"] for p in pix["parameter"]]
    assert names.count("targetIdentifier") == 2
    assert {"name": "targetId", "valueReference": {"reference": f"Patient/{made['id']}"}} in pix[
        "parameter"
    ]


def test_match_operation(hospital: Hospital) -> None:
    number = resident_id(date(1988, 8, 8), 15)
    headers = {**hospital.headers, **FHIR}
    made = hospital.client.post(
        "/fhir/Patient",
        json=_patient(hospital.system, "F-3", number, birthDate="1988-08-08"),
        headers=headers,
    ).json()
    query = {
        "resourceType": "Patient",
        "name": [{"text": "黄晓明"}],
        "birthDate": "1988-08-08",
        "gender": "male",
        "telecom": [{"system": "phone", "value": "13805359999"}],
    }
    body = {"resourceType": "Parameters", "parameter": [{"name": "resource", "resource": query}]}
    result = hospital.client.post("/fhir/Patient/$match", json=body, headers=headers).json()
    assert result["type"] == "searchset"
    assert result["entry"][0]["resource"]["id"] == made["id"]
    assert 0 < result["entry"][0]["search"]["score"] <= 1
    certain = {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "resource",
                "resource": {**query, "identifier": [{"system": RESIDENT, "value": number}]},
            },
            {"name": "onlyCertainMatches", "valueBoolean": True},
        ],
    }
    only = hospital.client.post("/fhir/Patient/$match", json=certain, headers=headers).json()
    assert only["total"] == 1
    assert only["entry"][0]["search"]["extension"][0]["valueCode"] == "certain"


def test_bad_patient_is_an_operation_outcome(hospital: Hospital) -> None:
    headers = {**hospital.headers, **FHIR}
    missing = hospital.client.post(
        "/fhir/Patient",
        json={"resourceType": "Patient", "name": [{"text": "某人"}]},
        headers=headers,
    )
    assert missing.status_code == 422
    assert missing.json()["resourceType"] == "OperationOutcome"
    wrong = hospital.client.post(
        "/fhir/Patient", json=_patient(hospital.system, "X", "370602198005171230"), headers=headers
    )
    assert wrong.status_code == 422
    outcome = wrong.json()
    assert outcome["issue"][0]["details"]["coding"][0]["code"] == "invalid_id_number"
    assert "Patient/abc" not in str(hospital.get("/fhir/Patient/abc").json())


def test_capability_statement_lists_patient(client: TestClient) -> None:
    statement = client.get("/fhir/metadata").json()
    patient = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Patient")
    assert {
        "name": "match",
        "definition": "http://hl7.org/fhir/OperationDefinition/Patient-match",
    } in patient["operation"]
