"""Who reads a resident's shared record: the keeping institution, a village doctor's own
residents, another institution when the resident is present (e-card just verified there), with
consent, or by break-glass (expires, reported to the auditor). Everything else is 404; every read
is audited."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
import time_machine
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from healthcard.core.config import Settings
from healthcard.core.principal import Principal
from healthcard.models import AuditEvent
from healthcard.records.service import access
from tests.conftest import TEST_SECRET
from tests.ecard.conftest import Desk
from tests.factories import create_institution
from tests.records.factories import AREA, Region, User


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    key_file = tmp_path / "master.key"
    key_file.write_text(secrets.token_hex(16))
    return Settings(
        environment="test",
        database_url=database_url,
        secret_key=TEST_SECRET,
        log_json=False,
        master_key_file=key_file,
        session_idle_minutes=600,  # the clock is moved a few hours on in these tests
    )


def today() -> date:
    return datetime.now(UTC).date()


def later(hours: int = 5) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)


def _reads(session: Session, person_id: int) -> list[AuditEvent]:
    return list(
        session.execute(
            select(AuditEvent).where(
                AuditEvent.action == "record.read", AuditEvent.resource_id == str(person_id)
            )
        ).scalars()
    )


def test_own_institution_reads_others_get_404(region: Region, session: Session) -> None:
    person = region.person()
    record = region.record(person).json()
    assert region.ph.get(f"/api/v1/records/{record['id']}").status_code == 200
    other = region.ph2.get(f"/api/v1/records/{record['id']}")
    assert other.status_code == 404
    assert other.json()["code"] == "record_not_found"
    assert region.ph2.get("/api/v1/records/999999").json()["code"] == "record_not_found"
    assert region.doctor.get(f"/api/v1/records/by-person/{person}").status_code == 404
    outcomes = [e.outcome for e in _reads(session, person)]
    assert outcomes.count("success") == 1
    assert outcomes.count("denied") == 2


def test_village_doctor_sees_only_own_residents(
    app: FastAPI, region: Region, session: Session
) -> None:
    vdoc = region.user(app, session, "villagedoc", "village_doctor", region.xysq)
    team = region.ph.post("/api/v1/teams", {"name": "仉村团队", "leader_id": vdoc.id})
    assert team.status_code == 201, team.text
    mine = region.record(region.person("王一")).json()
    theirs = region.record(region.person("王二")).json()
    assigned = region.ph.put(
        f"/api/v1/records/{mine['id']}/assignment",
        {"team_id": team.json()["id"], "responsible_staff_id": vdoc.id},
    )
    assert assigned.status_code == 200, assigned.text
    listed = vdoc.get("/api/v1/records").json()
    assert [r["id"] for r in listed["items"]] == [mine["id"]]
    assert vdoc.get(f"/api/v1/records/{mine['id']}").status_code == 200
    assert vdoc.get(f"/api/v1/records/{theirs['id']}").status_code == 404
    exam = vdoc.post(f"/api/v1/records/{theirs['id']}/exams", {"exam_date": str(today())})
    assert exam.status_code == 404
    assert region.ph.get("/api/v1/records").json()["total"] == 2


def test_consent_opens_the_record_to_one_institution_until_revoked(region: Region) -> None:
    person = region.person()
    record = region.record(person).json()
    url = f"/api/v1/records/by-person/{person}"
    assert region.doctor.get(url).status_code == 404
    given = region.ph.post(
        f"/api/v1/records/{record['id']}/consents",
        {"institution_id": region.yhd.id, "granted_by": "本人"},
    )
    assert given.status_code == 201, given.text
    assert region.doctor.get(url).status_code == 200
    assert region.ph2.get(url).status_code == 404  # consent names one institution
    # Only the keeping institution records consent.
    forged = region.ph2.post(
        f"/api/v1/records/{record['id']}/consents",
        {"institution_id": region.zbsq.id, "granted_by": "本人"},
    )
    assert forged.status_code == 404
    past = region.ph.post(
        f"/api/v1/records/{record['id']}/consents",
        {"institution_id": region.yhd.id, "granted_by": "本人", "expires_on": "2020-01-01"},
    )
    assert past.status_code == 422
    assert region.ph.delete(f"/api/v1/records/consents/{given.json()['id']}").status_code == 200
    assert region.doctor.get(url).status_code == 404


def test_consent_expires(region: Region, session: Session) -> None:
    person = region.person()
    record = region.record(person).json()
    end = today() + timedelta(days=2)
    region.ph.post(
        f"/api/v1/records/{record['id']}/consents",
        {"institution_id": region.yhd.id, "granted_by": "本人", "expires_on": end.isoformat()},
    )
    url = f"/api/v1/records/by-person/{person}"
    assert region.doctor.get(url).status_code == 200
    doctor = Principal(
        kind="staff",
        id=region.doctor.id,
        name="doctor",
        institution_id=region.yhd.id,
        permissions=frozenset({"records.read"}),
    )
    last_day = datetime.combine(end, time(23, 0), tzinfo=UTC)
    assert access.read_basis(session, actor=doctor, person_id=person, now=last_day) == "consent"
    after = last_day + timedelta(hours=2)
    assert access.read_basis(session, actor=doctor, person_id=person, now=after) is None


def test_break_glass_expires_and_is_reported_to_the_auditor(
    region: Region, session: Session
) -> None:
    person = region.person()
    region.record(person)
    url = f"/api/v1/records/by-person/{person}"
    short = region.doctor.post(
        "/api/v1/records/break-glass", {"person_id": person, "reason": "急诊"}
    )
    assert short.status_code == 422  # a reason of substance is required
    too_long = region.doctor.post(
        "/api/v1/records/break-glass",
        {"person_id": person, "reason": "昏迷患者急诊抢救，需了解既往史", "hours": 48},
    )
    assert too_long.status_code == 422
    assert (
        region.ph2.post(
            "/api/v1/records/break-glass",
            {"person_id": person, "reason": "昏迷患者急诊抢救，需了解既往史"},
        ).status_code
        == 403
    )  # not a permission of public-health workers
    opened = region.doctor.post(
        "/api/v1/records/break-glass",
        {"person_id": person, "reason": "昏迷患者急诊抢救，需了解既往史", "hours": 1},
    )
    assert opened.status_code == 201, opened.text
    assert region.doctor.get(url).status_code == 200
    assert region.doctor.get(url).status_code == 200
    reads = [e for e in _reads(session, person) if e.outcome == "success"]
    assert all('"basis": "break_glass"' in e.detail for e in reads)
    with time_machine.travel(later(2)):
        assert region.doctor.get(url).status_code == 404
    report = region.auditor.get("/api/v1/records/break-glass").json()
    assert report[0]["person_id"] == person
    assert report[0]["reads"] == 2
    assert report[0]["reviewed_at"] is None
    assert region.doctor.get("/api/v1/records/break-glass").status_code == 403
    reviewed = region.auditor.post(
        f"/api/v1/records/break-glass/{report[0]['id']}/review", {"note": "已核实为急诊抢救"}
    )
    assert reviewed.status_code == 200
    assert region.auditor.get("/api/v1/records/break-glass", unreviewed=True).json() == []


@pytest.fixture
def visit(
    app: FastAPI, client: TestClient, session: Session, settings: Settings
) -> Iterator[tuple[Desk, User, User]]:
    """A hospital with a QR terminal (the desk), its doctor, and a community centre's worker."""
    desk = Desk(client, session, settings)
    centre = create_institution(session, name="社区中心", kind="community_health_centre")
    worker = User(app, session, "worker", "public_health_worker", centre)
    doctor = User(app, session, "visitdoc", "doctor", desk.centre.hospital.institution)
    yield desk, worker, doctor
    worker.close()
    doctor.close()


def test_resident_present_at_the_hospital_opens_the_record(
    visit: tuple[Desk, User, User],
) -> None:
    desk, worker, doctor = visit
    person = desk.person()
    record = worker.post("/api/v1/records", {"person_id": person, "area_code": AREA})
    assert record.status_code == 201, record.text
    url = f"/api/v1/records/{record.json()['id']}"
    assert doctor.get(url).status_code == 404
    ecard = desk.ecard(person)
    refused = desk.verify(desk.code(ecard["id"]), terminal="NO-SUCH")
    assert refused.status_code != 200
    assert doctor.get(url).status_code == 404  # a refused scan is no presence
    assert desk.verify(desk.code(ecard["id"])).status_code == 200
    assert doctor.get(url).status_code == 200
    with time_machine.travel(later(5)):
        assert doctor.get(url).status_code == 404  # the visit is over (240 minutes)
