"""FHIR clinical resources pushed by hospitals: create, read, search, idempotent update (also
under concurrency), ownership and access, every answer valid R4 (``fhir.resources``), the timeline
entry of each, the CapabilityStatement."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from healthcard.accounts import service as accounts_service
from healthcard.app import create_app
from healthcard.core.config import Settings
from healthcard.core.db import make_engine
from healthcard.models import (
    ClinicalEncounter,
    RecordEvent,
)
from tests.conftest import TEST_SECRET
from tests.fhir.clinical_factories import (
    ICD10,
    RESIDENT,
    Builder,
    Hospital,
    bp,
    condition,
    encounter,
    events_of,
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


BUILDERS: list[tuple[Builder, str, Callable[[dict[str, Any]], None]]] = [
    (encounter, "encounter", lambda r: r.update(status="cancelled")),
    (
        condition,
        "condition",
        lambda r: r.update(code={"coding": [{"system": ICD10, "code": "I11.9"}]}),
    ),
    (bp, "observation", lambda r: r["component"][0]["valueQuantity"].update(value=148)),
    (report, "discharge", lambda r: r.update(conclusion="复查：血压稳定。")),
    (prescription, "medication", lambda r: r.update(status="completed")),
    (vaccination, "immunization", lambda r: r.update(lotNumber="B202602")),
]


@pytest.mark.parametrize(("build", "kind", "change"), BUILDERS, ids=[b[1] for b in BUILDERS])
def test_create_read_search_and_update_are_idempotent(
    hospital: Hospital,
    patient: str,
    session: Session,
    build: Builder,
    kind: str,
    change: Callable[[dict[str, Any]], None],
) -> None:
    resource = build(hospital, patient)
    rtype = resource["resourceType"]
    created = hospital.post(resource)
    assert created.status_code == 201, created.text
    body = valid(created.json())
    assert created.headers["location"] == f"/fhir/{rtype}/{body['id']}"
    assert body["meta"]["versionId"] == "1"
    read = hospital.get(created.headers["location"])
    assert read.status_code == 200
    assert valid(read.json()) == body
    [event] = events_of(session, f"{rtype}/{body['id']}")
    assert (event.kind, event.person_id, event.institution_id) == (
        kind,
        int(patient),
        hospital.institution.id,
    )
    again = copy.deepcopy(resource)
    change(again)
    resent = hospital.post(again)
    assert resent.status_code == 200, resent.text
    assert valid(resent.json())["id"] == body["id"]
    assert resent.json()["meta"]["versionId"] == "2"
    again["id"] = body["id"]
    put = hospital.put(f"/fhir/{rtype}/{body['id']}", again)
    assert put.status_code == 200, put.text
    assert valid(put.json())["meta"]["versionId"] == "3"
    bundle = valid(hospital.get(f"/fhir/{rtype}", patient=f"Patient/{patient}").json())
    assert bundle["total"] == 1
    assert bundle["entry"][0]["resource"]["meta"]["versionId"] == "3"
    [event] = events_of(session, f"{rtype}/{body['id']}")
    assert event.kind == kind


def test_subject_by_resident_id_number(hospital: Hospital, patient: str) -> None:
    number = resident_id(date(1958, 4, 12), 31)
    resource = condition(hospital, patient)
    resource["subject"] = {"identifier": {"system": RESIDENT, "value": number}}
    answer = hospital.post(resource)
    assert answer.status_code == 201, answer.text
    assert valid(answer.json())["subject"] == {"reference": f"Patient/{patient}"}


@pytest.mark.parametrize(
    "subject",
    [
        {"reference": "Patient/99999999"},
        {"identifier": {"system": RESIDENT, "value": resident_id(date(1990, 1, 1), 77)}},
        {"reference": "Practitioner/1"},
        {"display": "某人"},
    ],
)
def test_unknown_subject_is_422(hospital: Hospital, patient: str, subject: dict[str, Any]) -> None:
    resource = encounter(hospital, patient)
    resource["subject"] = subject
    answer = hospital.post(resource)
    assert answer.status_code == 422, answer.text
    outcome = valid(answer.json())
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][1]["expression"][0].startswith("Encounter.subject")


def test_put_checks_id_and_ownership(
    client: TestClient, hospital: Hospital, patient: str, session: Session, settings: Settings
) -> None:
    made = hospital.post(encounter(hospital, patient)).json()
    other = encounter(hospital, patient, "E-2")
    other["id"] = "12345"
    mismatch = hospital.put(f"/fhir/Encounter/{made['id']}", other)
    assert mismatch.status_code == 400
    taken = hospital.put(f"/fhir/Encounter/{made['id']}", encounter(hospital, patient, "E-2"))
    assert taken.status_code == 200  # a PUT may give the resource a new identifier
    hospital.post(encounter(hospital, patient, "E-3"))
    clash = hospital.put(f"/fhir/Encounter/{made['id']}", encounter(hospital, patient, "E-3"))
    assert clash.status_code == 409
    stranger = Hospital(client, session, settings, "烟台另一医院")
    foreign = stranger.put(f"/fhir/Encounter/{made['id']}", encounter(stranger, patient))
    assert foreign.status_code == 404
    assert (
        hospital.put("/fhir/Encounter/999999", encounter(hospital, patient, "E-9")).status_code
        == 404
    )


def test_search_by_date_and_code(hospital: Hospital, patient: str) -> None:
    hospital.post(condition(hospital, patient, "C-1"))
    later = condition(hospital, patient, "C-2", recordedDate="2026-05-10")
    later["code"]["coding"][0]["code"] = "E11.9"
    hospital.post(later)

    def ids(**params: Any) -> list[str]:
        bundle = valid(hospital.get("/fhir/Condition", patient=patient, **params).json())
        return [e["resource"]["identifier"][0]["value"] for e in bundle.get("entry", [])]

    assert ids() == ["C-2", "C-1"]
    assert ids(date="ge2026-04-01") == ["C-2"]
    assert ids(date="2026-03-02") == ["C-1"]
    assert ids(date=["ge2026-03-01", "lt2026-03-02"]) == []
    assert ids(code=f"{ICD10}|E11.9") == ["C-2"]
    assert ids(code="I10") == ["C-1"]
    bad = hospital.get("/fhir/Condition", patient=patient, date="xx2026")
    assert bad.status_code == 400
    assert valid(bad.json())["resourceType"] == "OperationOutcome"
    assert hospital.get("/fhir/Condition").status_code == 422


def test_entered_in_error_leaves_the_timeline(
    hospital: Hospital, patient: str, session: Session
) -> None:
    made = hospital.post(prescription(hospital, patient)).json()
    assert len(events_of(session, f"MedicationRequest/{made['id']}")) == 1
    hospital.post(prescription(hospital, patient, status="entered-in-error"))
    assert events_of(session, f"MedicationRequest/{made['id']}") == []
    assert (
        hospital.get(f"/fhir/MedicationRequest/{made['id']}").json()["status"] == "entered-in-error"
    )


def test_moving_a_resource_to_another_patient_is_refused(hospital: Hospital, patient: str) -> None:
    hospital.post(encounter(hospital, patient))
    second = hospital.patient("M-2", resident_id(date(1960, 1, 1), 41), "周玉兰")
    answer = hospital.post(encounter(hospital, second))
    assert answer.status_code == 409
    assert valid(answer.json())["issue"][0]["code"] == "conflict"


def test_permissions(
    client: TestClient, hospital: Hospital, patient: str, session: Session, settings: Settings
) -> None:
    reader = Hospital(client, session, settings, "只读医院", scopes=["records.read"])
    refused = reader.post(encounter(reader, patient))
    assert refused.status_code == 403
    assert valid(refused.json())["issue"][0]["code"] == "forbidden"
    assert client.post("/fhir/Encounter", json=encounter(hospital, patient)).status_code == 401


def test_another_hospital_reads_only_with_access(
    client: TestClient, hospital: Hospital, patient: str, session: Session, settings: Settings
) -> None:
    made = hospital.post(condition(hospital, patient)).json()
    other = Hospital(client, session, settings, "烟台第二医院")
    assert other.get(f"/fhir/Condition/{made['id']}").status_code == 404
    assert other.get("/fhir/Condition", patient=patient).json()["total"] == 0
    own = other.post(condition(other, patient, "X-1"))
    assert own.status_code == 201
    seen = valid(other.get("/fhir/Condition", patient=patient).json())
    assert [e["resource"]["id"] for e in seen["entry"]] == [own.json()["id"]]
    assert hospital.get("/fhir/Condition", patient=patient).json()["total"] == 1


def test_capability_statement_lists_the_clinical_resources(client: TestClient) -> None:
    statement = valid(client.get("/fhir/metadata").json())
    served = {r["type"]: r for r in statement["rest"][0]["resource"]}
    for rtype in (
        "Encounter",
        "Condition",
        "Observation",
        "DiagnosticReport",
        "MedicationRequest",
        "Immunization",
    ):
        assert {i["code"] for i in served[rtype]["interaction"]} == {
            "create",
            "read",
            "update",
            "search-type",
        }
        assert "patient" in {p["name"] for p in served[rtype]["searchParam"]}


def test_racing_sends_of_one_resource_make_one_row(scratch_database_url: str) -> None:
    engine = make_engine(scratch_database_url)
    with Session(engine) as setup, setup.begin():
        accounts_service.sync_permissions(setup)
    settings = Settings(
        environment="test",
        database_url=scratch_database_url,
        secret_key=TEST_SECRET,
        log_json=False,
    )
    app = create_app(settings)
    with TestClient(app) as client:
        with Session(engine, expire_on_commit=False) as setup:
            hospital = Hospital(client, setup, settings, "并发测试医院")
        patient = hospital.patient("M-R", resident_id(date(1958, 4, 12), 31))
        start = threading.Barrier(6)

        def send(n: int) -> int:
            resource = encounter(hospital, patient, "E-RACE")
            resource["type"] = [{"text": f"第 {n} 次发送"}]
            with TestClient(app) as own:
                start.wait()
                answer = own.post("/fhir/Encounter", json=resource, headers=hospital.headers)
            return int(answer.status_code)

        with ThreadPoolExecutor(max_workers=6) as pool:
            codes = sorted(pool.map(send, range(6)))
    assert codes == [200, 200, 200, 200, 200, 201]
    with Session(engine) as session:
        rows = session.execute(select(ClinicalEncounter)).scalars().all()
        assert len(rows) == 1
        assert rows[0].version == 6
        events = session.execute(select(RecordEvent)).scalars().all()
        assert [e.ref for e in events] == [f"Encounter/{rows[0].id}"]
    engine.dispose()
