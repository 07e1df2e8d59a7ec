"""Builders of hospitals' FHIR clinical resources and a hospital system with a token, for the
clinical FHIR tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from fhir.resources.R4B import get_fhir_model_class
from sqlalchemy import select
from sqlalchemy.orm import Session

from healthcard.core.config import Settings
from healthcard.models import (
    Institution,
    RecordEvent,
)
from healthcard.records.service import clinical as clinical_service
from tests.factories import bearer, create_client, create_institution

RESIDENT = "urn:oid:2.16.156.10011.1.3"
LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD10_CN = "urn:oid:2.16.156.10011.2.3.3.11"
FHIR = {"Content-Type": "application/fhir+json"}
SCOPES = ["clinical.submit", "records.read", "residents.register", "residents.read"]
WHEN = "2026-03-02T09:30:00+08:00"


def valid(resource: dict[str, Any]) -> dict[str, Any]:
    """``resource`` after checking it against the R4 model of its type (fhir.resources R4B)."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


class Hospital:
    """A hospital system with a token: registers patients and pushes clinical resources."""

    def __init__(
        self,
        client: TestClient,
        session: Session,
        settings: Settings,
        name: str,
        scopes: list[str] = SCOPES,
    ) -> None:
        self.institution: Institution = create_institution(session, name=name)
        issued = create_client(session, settings, institution=self.institution, scopes=scopes)
        self.client = client
        self.headers = {**bearer(client, issued.client.client_id, issued.secret), **FHIR}
        self.system = f"urn:healthcard:institution:{self.institution.uscc}"

    def patient(self, mrn: str, number: str, name: str = "孙立新") -> str:
        body = {
            "resourceType": "Patient",
            "identifier": [
                {"system": f"{self.system}:patient", "value": mrn},
                {"system": RESIDENT, "value": number},
            ],
            "name": [{"text": name}],
            "gender": "male" if int(number[16]) % 2 else "female",
            "birthDate": f"{number[6:10]}-{number[10:12]}-{number[12:14]}",
        }
        answer = self.client.post("/fhir/Patient", json=body, headers=self.headers)
        assert answer.status_code in (200, 201), answer.text
        return str(answer.json()["id"])

    def post(self, resource: dict[str, Any]) -> Any:
        return self.client.post(
            f"/fhir/{resource['resourceType']}", json=resource, headers=self.headers
        )

    def put(self, path: str, resource: dict[str, Any]) -> Any:
        return self.client.put(path, json=resource, headers=self.headers)

    def get(self, url: str, **params: Any) -> Any:
        return self.client.get(url, params=params, headers=self.headers)


def ident(hospital: Hospital, kind: str, value: str) -> list[dict[str, str]]:
    return [{"system": f"{hospital.system}:{kind}", "value": value}]


def encounter(h: Hospital, pid: str, key: str = "E-1", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "identifier": ident(h, "encounter", key),
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "type": [{"text": "心内科门诊"}],
        "subject": {"reference": f"Patient/{pid}"},
        "period": {"start": WHEN, "end": "2026-03-02T10:00:00+08:00"},
        **extra,
    }


def condition(h: Hospital, pid: str, key: str = "C-1", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "identifier": ident(h, "condition", key),
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "code": {"coding": [{"system": ICD10, "code": "I10", "display": "特发性（原发性）高血压"}]},
        "subject": {"reference": f"Patient/{pid}"},
        "recordedDate": WHEN,
        **extra,
    }


def bp(h: Hospital, pid: str, key: str = "O-1", sbp: int = 152, dbp: int = 96) -> dict[str, Any]:
    def part(code: str, value: int) -> dict[str, Any]:
        return {
            "code": {"coding": [{"system": LOINC, "code": code}]},
            "valueQuantity": {
                "value": value,
                "unit": "mmHg",
                "system": "http://unitsofmeasure.org",
                "code": "mm[Hg]",
            },
        }

    return {
        "resourceType": "Observation",
        "identifier": ident(h, "observation", key),
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "85354-9"}], "text": "血压"},
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": WHEN,
        "component": [part("8480-6", sbp), part("8462-4", dbp)],
    }


def report(h: Hospital, pid: str, key: str = "R-1", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "DiagnosticReport",
        "identifier": ident(h, "report", key),
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "18842-5"}], "text": "出院小结"},
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": WHEN,
        "conclusion": "高血压 2 级，住院 5 天，血压控制平稳出院，继续氨氯地平 5mg 每日一次。",
        **extra,
    }


def prescription(h: Hospital, pid: str, key: str = "P-1", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "identifier": ident(h, "rx", key),
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {"text": "苯磺酸氨氯地平片 5mg"},
        "subject": {"reference": f"Patient/{pid}"},
        "authoredOn": WHEN,
        "dosageInstruction": [{"text": "每日一次，每次 5mg，口服"}],
        **extra,
    }


def vaccination(h: Hospital, pid: str, key: str = "V-1", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Immunization",
        "identifier": ident(h, "vaccination", key),
        "status": "completed",
        "vaccineCode": {"coding": [{"system": "urn:healthcard:vaccine", "code": "HepB"}]},
        "patient": {"reference": f"Patient/{pid}"},
        "occurrenceDateTime": WHEN,
        "lotNumber": "B202601",
        "protocolApplied": [{"doseNumberPositiveInt": 1}],
        **extra,
    }


Builder = Callable[..., dict[str, Any]]


def events_of(session: Session, ref: str) -> list[RecordEvent]:
    """The timeline entries of a stored resource (``Type/id``) and nothing else about it."""
    session.expire_all()
    rtype, _, ident = ref.partition("/")
    row = session.get(clinical_service.TABLES[rtype], int(ident))
    assert row is not None
    events = session.execute(
        select(RecordEvent).where(RecordEvent.person_id == row.person_id)
    ).scalars()
    linked = [e for e in events if e.ref == ref or e.id == row.event_id]
    assert all(e.id == row.event_id for e in linked)
    return linked
