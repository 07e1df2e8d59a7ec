"""Hospital documents feed the public-health programmes: a blood pressure counts for the
hypertension follow-up, a vaccination is recorded in the immunisation programme once."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from healthcard.core.config import Settings
from healthcard.core.principal import Principal
from healthcard.models import (
    ClinicalImmunization,
    FollowUp,
    Immunisation,
    RecordEvent,
)
from healthcard.records.programmes import service as programmes
from healthcard.records.programmes.schemas import EnrolmentIn
from healthcard.records.schemas import RecordIn
from healthcard.records.service import clinical as clinical_service
from healthcard.records.service import records
from tests.factories import create_institution, create_staff
from tests.fhir.clinical_factories import (
    LOINC,
    WHEN,
    Hospital,
    bp,
    ident,
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


def _enrolled(session: Session, settings: Settings, person_id: int) -> None:
    """The resident has a record at a community centre and is enrolled for hypertension."""
    centre = create_institution(
        session, name="测试社区卫生服务中心", kind="community_health_centre"
    )
    view = create_staff(
        session, username="ph-clin", roles=["public_health_worker"], institution=centre
    )
    worker = Principal(
        kind="staff",
        id=view.user.id,
        name=view.user.display_name,
        institution_id=centre.id,
        permissions=frozenset({"records.read", "records.write"}),
    )
    records.create_record(
        session,
        settings=settings,
        actor=worker,
        data=RecordIn(person_id=person_id, area_code="370602001001"),
    )
    programmes.enrol(
        session, actor=worker, data=EnrolmentIn(person_id=person_id, programme="hypertension")
    )
    session.commit()


def test_blood_pressure_at_hospital_counts_for_the_programme(
    hospital: Hospital, patient: str, session: Session, settings: Settings
) -> None:
    _enrolled(session, settings, int(patient))
    made = hospital.post(bp(hospital, patient, sbp=186, dbp=112))
    assert made.status_code == 201, made.text
    session.expire_all()
    [visit] = session.execute(
        select(FollowUp).where(FollowUp.person_id == int(patient), FollowUp.status == "due")
    ).scalars()
    [measured] = visit.hospital_measurements
    assert (measured["sbp"], measured["dbp"]) == (186, 112)
    assert measured["source_ref"] == f"Observation/{made.json()['id']}"
    assert visit.emergency
    # Sent again: the programme does not count it twice.
    assert hospital.post(bp(hospital, patient, sbp=186, dbp=112)).status_code == 200
    session.expire_all()
    assert len(session.get(FollowUp, visit.id).hospital_measurements) == 1  # type: ignore[union-attr]


def test_a_preliminary_or_unrelated_observation_does_not_count(
    hospital: Hospital, patient: str, session: Session, settings: Settings
) -> None:
    _enrolled(session, settings, int(patient))
    preliminary = bp(hospital, patient, "O-2")
    preliminary["status"] = "preliminary"
    assert hospital.post(preliminary).status_code == 201
    glucose = {
        "resourceType": "Observation",
        "identifier": ident(hospital, "observation", "G-1"),
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "1558-6"}], "text": "空腹血糖"},
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": WHEN,
        "valueQuantity": {
            "value": 126,
            "unit": "mg/dL",
            "system": "http://unitsofmeasure.org",
            "code": "mg/dL",
        },
    }
    stored = hospital.post(glucose)
    assert stored.status_code == 201, stored.text
    assert stored.json()["valueQuantity"]["value"] == 126
    session.expire_all()
    [visit] = session.execute(
        select(FollowUp).where(FollowUp.person_id == int(patient), FollowUp.status == "due")
    ).scalars()
    # Hypertension does not take glucose values; a preliminary BP is not a measurement yet.
    assert [m["fasting_glucose"] for m in visit.hospital_measurements] in ([], [6.99])


def test_immunization_is_recorded_in_the_programme_once(
    hospital: Hospital, session: Session
) -> None:
    child = hospital.patient("M-9", resident_id(date(2026, 1, 15), 22), "王小雨")
    first = hospital.post(vaccination(hospital, child, occurrenceDateTime="2026-02-15"))
    assert first.status_code == 201, first.text
    session.expire_all()
    [dose] = session.execute(
        select(Immunisation).where(Immunisation.person_id == int(child))
    ).scalars()
    assert (dose.vaccine_code, dose.dose_number, dose.given_on, dose.source) == (
        "HepB",
        1,
        date(2026, 2, 15),
        "fhir",
    )
    row = session.get(clinical_service.TABLES["Immunization"], int(first.json()["id"]))
    assert isinstance(row, ClinicalImmunization)
    assert row.immunisation_id == dose.id
    events = (
        session.execute(select(RecordEvent).where(RecordEvent.person_id == int(child)))
        .scalars()
        .all()
    )
    assert [e.kind for e in events] == ["immunization"]
    moved = hospital.post(vaccination(hospital, child, occurrenceDateTime="2026-02-16"))
    assert moved.status_code == 409
    twice = hospital.post(vaccination(hospital, child, "V-2", occurrenceDateTime="2026-02-15"))
    assert twice.status_code == 409
    early = hospital.post(vaccination(hospital, child, "V-3", occurrenceDateTime="2025-12-01"))
    assert early.status_code == 422
    assert valid(early.json())["issue"][1]["expression"] == ["Immunization.occurrenceDateTime"]
