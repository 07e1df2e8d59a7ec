"""The resident's record timeline: newest first, kinds, paging, access under the shared-record
rules, and the console page with links to the source documents."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from healthcard.core.config import Settings
from healthcard.core.errors import ValidationFailed
from healthcard.core.principal import Principal
from healthcard.identity import service as identity_service
from healthcard.identity.schemas import IdentifierIn, RegistrationIn
from healthcard.models import Institution, RecordEvent
from healthcard.records import timeline_pages
from healthcard.records.exceptions import RecordNotFound
from healthcard.records.schemas import ConsentIn, RecordIn
from healthcard.records.service import access, records, timeline
from tests.factories import create_institution, create_staff, login
from tests.identity.factories import resident_id

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _staff(session: Session, institution: Institution, username: str, role: str) -> Principal:
    view = create_staff(session, username=username, roles=[role], institution=institution)
    return Principal(
        kind="staff",
        id=view.user.id,
        name=view.user.display_name,
        institution_id=institution.id,
        permissions=frozenset({"records.read", "records.write", "records.consent"}),
    )


class World:
    """A community centre keeping a resident's record, a hospital elsewhere, their staff."""

    def __init__(self, session: Session, settings: Settings) -> None:
        self.centre = create_institution(
            session, name="测试社区中心", kind="community_health_centre"
        )
        self.hospital = create_institution(session, name="测试医院甲")
        self.worker = _staff(session, self.centre, "tl-worker", "public_health_worker")
        self.doctor = _staff(session, self.hospital, "tl-doctor", "doctor")
        actor = Principal(kind="client", id=0, name="HIS", institution_id=self.centre.id)
        number = resident_id(date(1956, 7, 9), 56)
        data = RegistrationIn(
            identifier=IdentifierIn(value="TL-1"),
            name="郑桂芳",
            sex="2",
            birth_date=date(1956, 7, 9),
            id_number=number,
        )
        self.person_id = identity_service.register(
            session, settings=settings, actor=actor, data=data
        ).person.id
        records.create_record(
            session,
            settings=settings,
            actor=self.worker,
            data=RecordIn(person_id=self.person_id, area_code="370602001001"),
        )
        session.commit()


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    return World(session, settings)


def _add(session: Session, person_id: int, kind: str, at: datetime, title: str) -> None:
    timeline.add_event(
        session, person_id=person_id, kind=kind, occurred_at=at, title=title, source="test"
    )


def test_newest_first_kinds_and_paging(session: Session, world: World) -> None:
    pid = world.person_id
    for n in range(7):
        _add(session, pid, "followup" if n % 2 else "encounter", T0 + timedelta(days=n), f"#{n}")
    _add(session, pid, "exam", T0 + timedelta(days=6), "tie")  # same time as #6: id breaks it
    page = timeline.timeline(session, actor=world.worker, person_id=pid, limit=3)
    assert [e.title for e in page.events] == ["tie", "#6", "#5"]
    assert page.next_cursor is not None
    rest = timeline.timeline(
        session, actor=world.worker, person_id=pid, before=page.next_cursor, limit=10
    )
    assert [e.title for e in rest.events] == ["#4", "#3", "#2", "#1", "#0"]
    assert rest.next_cursor is None
    only = timeline.timeline(session, actor=world.worker, person_id=pid, kinds=["followup"])
    assert [e.title for e in only.events] == ["#5", "#3", "#1"]
    decoded = timeline.Cursor.decode(page.next_cursor.encode())
    assert decoded == page.next_cursor


def test_bad_kind_cursor_and_naive_time_are_refused(session: Session, world: World) -> None:
    with pytest.raises(ValidationFailed):
        timeline.timeline(session, actor=world.worker, person_id=world.person_id, kinds=["gossip"])
    with pytest.raises(ValidationFailed):
        timeline.Cursor.decode("yesterday~1")
    with pytest.raises(ValueError, match="timezone"):
        _add(session, world.person_id, "exam", datetime(2026, 1, 1), "naive")  # noqa: DTZ001


def test_another_institution_reads_only_with_access(session: Session, world: World) -> None:
    _add(session, world.person_id, "exam", T0, "体检")
    with pytest.raises(RecordNotFound):
        timeline.timeline(session, actor=world.doctor, person_id=world.person_id)
    access.record_consent(
        session,
        actor=world.worker,
        person_id=world.person_id,
        data=ConsentIn(institution_id=world.hospital.id, granted_by="郑桂芳本人"),
    )
    page = timeline.timeline(session, actor=world.doctor, person_id=world.person_id)
    assert [e.title for e in page.events] == ["体检"]


@pytest.fixture
def console(client: TestClient) -> TestClient:
    return client


def test_timeline_page_filters_pages_and_links(
    console: TestClient, session: Session, world: World
) -> None:
    for n in range(timeline_pages.PAGE_SIZE + 2):
        _add(session, world.person_id, "followup", T0 - timedelta(days=n), f"随访 {n}")
    _add(session, world.person_id, "exam", T0 + timedelta(days=1), "年度健康体检")
    session.commit()
    assert login(console, "tl-worker").status_code == 303
    page = console.get(f"/console/timeline/{world.person_id}")
    assert page.status_code == 200
    assert page.text.index("年度健康体检") < page.text.index("随访 0")
    assert page.text.count('data-testid="timeline-entry"') == timeline_pages.PAGE_SIZE
    assert 'data-testid="timeline-older"' in page.text
    exams = console.get(f"/console/timeline/{world.person_id}", params={"kind": "exam"})
    assert exams.text.count('data-testid="timeline-entry"') == 1
    found = console.get(
        "/console/timeline",
        params={"id_number": resident_id(date(1956, 7, 9), 56)},
        follow_redirects=False,
    )
    assert found.status_code == 303, found.text[-1500:]
    assert found.headers["location"] == f"/console/timeline/{world.person_id}"
    bad = console.get(f"/console/timeline/{world.person_id}", params={"before": "x"})
    assert bad.status_code == 422


def test_timeline_page_is_404_for_another_institution(
    console: TestClient, session: Session, world: World
) -> None:
    assert login(console, "tl-doctor").status_code == 303
    assert console.get(f"/console/timeline/{world.person_id}").status_code == 404


@pytest.mark.parametrize(
    ("source", "ref", "url"),
    [
        ("fhir", "Encounter/7", "/console/clinical/Encounter/7"),
        ("programmes", "followup:9", "/console/programmes/followups/9"),
        ("programmes", "immunisation:3", "/console/immunisations/42"),
        ("records", "RecordMigration/5", "/console/migrations/5"),
        ("records", "HealthExam/2", None),
        ("fhir", "Gossip/1", None),
        ("test", None, None),
    ],
)
def test_entries_link_to_their_source(source: str, ref: str | None, url: str | None) -> None:
    event = RecordEvent(person_id=42, kind="exam", source=source, ref=ref)
    assert timeline_pages.source_url(event) == url
