"""The demo hospital's clinical documents: pushed through the FHIR validation and the service for
residents with a health record, shown on their timelines, valid FHIR R4."""

from __future__ import annotations

from datetime import date

from fhir.resources.R4B import get_fhir_model_class
from sqlalchemy import select
from sqlalchemy.orm import Session

from healthcard.accounts import service as accounts_service
from healthcard.core.config import Settings
from healthcard.core.principal import Principal
from healthcard.demo import service as demo_service
from healthcard.demo.clinical import ADULTS, load_clinical
from healthcard.identity import service as identity_service
from healthcard.identity.schemas import IdentifierIn, RegistrationIn
from healthcard.models import ClinicalEncounter, ClinicalReport, RecordEvent
from healthcard.records.schemas import RecordIn
from healthcard.records.service import records
from tests.identity.factories import resident_id


def _with_records(session: Session, settings: Settings) -> list[int]:
    """The demo institutions, and residents with a record at the community centre."""
    demo_service.load(session, settings=settings)
    centre = next(
        i
        for i in accounts_service.list_all_institutions(session)
        if i.name == next(d.name for d in demo_service.INSTITUTIONS if d.key == "xysq")
    )
    client = Principal(kind="client", id=0, name="HIS", institution_id=centre.id)
    worker = Principal(
        kind="staff",
        id=0,
        name="演示公卫",
        institution_id=centre.id,
        permissions=frozenset({"records.read", "records.write"}),
    )
    people = []
    births = [date(1950 + n * 3, 3, 1 + n) for n in range(ADULTS)] + [date(2024, 1, 15)]
    for n, born in enumerate(births):
        data = RegistrationIn(
            identifier=IdentifierIn(value=f"DEMO-{n}"),
            name=f"演示居民{'甲乙丙丁戊己庚辛壬'[n]}",
            birth_date=born,
            id_number=resident_id(born, 101 + 2 * n),
        )
        person = identity_service.register(session, settings=settings, actor=client, data=data)
        area = f"{centre.division_code}001001"
        records.create_record(
            session,
            settings=settings,
            actor=worker,
            data=RecordIn(person_id=person.person.id, area_code=area),
        )
        people.append(person.person.id)
    return people


def test_demo_hospital_pushes_documents_for_residents_with_records(
    session: Session, settings: Settings
) -> None:
    people = _with_records(session, settings)
    loaded = load_clinical(session, settings=settings)
    assert loaded.residents == ADULTS + 1
    assert loaded.resources["Encounter"] == ADULTS
    assert loaded.resources["Condition"] == ADULTS
    assert loaded.resources["Immunization"] == 1
    assert session.execute(select(ClinicalReport).where(ClinicalReport.kind == "discharge")).all()
    for row in session.execute(select(ClinicalEncounter)).scalars():
        get_fhir_model_class("Encounter").model_validate(row.resource)
    kinds = set(
        session.execute(select(RecordEvent.kind).where(RecordEvent.person_id.in_(people))).scalars()
    )
    assert {"encounter", "condition", "observation", "medication", "discharge"} <= kinds
    assert "immunization" in kinds
