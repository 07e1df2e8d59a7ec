"""The review queue, merges and their exact undo; "not the same" is remembered."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from healthcard.core.config import Settings
from healthcard.identity import service
from healthcard.models import MatchReview, Person, PersonIdentifier, PersonRecord
from tests.factories import SYSTEM, create_staff, login
from tests.identity.factories import Hospital


def _pair(h1: Hospital, h2: Hospital, settings: Settings) -> tuple[int, int]:
    """Two registrations close enough to land in review (thresholds pinned for the test)."""
    settings.empi_auto_link_threshold = 0.999999
    settings.empi_review_threshold = 0.01
    a = h1.register(
        "A1",
        name="刘明",
        sex="1",
        birth_date="1975-08-02",
        phone="13953501234",
        address="山东省烟台市芝罘区幸福路8号",
    ).json()
    b = h2.register(
        "B1", name="刘铭", sex="1", birth_date="1975-08-02", address="山东省烟台市莱山区观海路3号"
    ).json()
    assert b["outcome"] == "review", b
    return a["person_id"], b["review_id"]


def _state(session: Session, person_ids: list[int]) -> dict[str, Any]:
    session.expire_all()

    def row(obj: Any) -> dict[str, Any]:
        return {
            c.key: getattr(obj, c.key)
            for c in inspect(obj).mapper.column_attrs
            if c.key != "updated_at"
        }

    people = [row(session.get(Person, i)) for i in person_ids]
    records = [
        row(r) for r in session.execute(select(PersonRecord).order_by(PersonRecord.id)).scalars()
    ]
    idents = [
        row(i)
        for i in session.execute(select(PersonIdentifier).order_by(PersonIdentifier.id)).scalars()
    ]
    return {"people": people, "records": records, "identifiers": idents}


@pytest.fixture
def hospitals(
    client: TestClient, session: Session, settings: Settings
) -> tuple[Hospital, Hospital]:
    return Hospital(client, session, settings, "甲医院"), Hospital(
        client, session, settings, "乙医院"
    )


def test_same_person_merges_and_undo_restores_exactly(
    hospitals: tuple[Hospital, Hospital], session: Session, settings: Settings
) -> None:
    h1, h2 = hospitals
    older, review_id = _pair(h1, h2, settings)
    review = session.get(MatchReview, review_id)
    assert review is not None
    newer = review.person_id
    before = _state(session, [older, newer])
    service.decide(session, actor=SYSTEM, review_id=review_id, same=True)
    session.flush()
    merged = service.view(session, settings=settings, actor=SYSTEM, person_id=newer)
    assert merged.replaced_by == older  # the surviving id is kept; the other points to it
    assert {
        r.local_id
        for r in session.execute(
            select(PersonRecord).where(PersonRecord.person_id == older)
        ).scalars()
    } == {"A1", "B1"}
    fhir = h1.get(f"/fhir/Patient/{newer}").json()
    assert fhir["link"] == [{"other": {"reference": f"Patient/{older}"}, "type": "replaced-by"}]
    assert fhir["active"] is False
    merge = service.merges_of(session, older)[0]
    service.unmerge(session, actor=SYSTEM, merge_id=merge.id)
    after = _state(session, [older, newer])
    for kind in ("people", "identifiers"):
        assert after[kind] == before[kind], kind
    strip = [{k: v for k, v in r.items() if k != "manual"} for r in after["records"]]
    assert strip == [{k: v for k, v in r.items() if k != "manual"} for r in before["records"]]
    assert session.get(MatchReview, review_id).status == "pending"  # type: ignore[union-attr]


def test_not_the_same_is_never_proposed_again(
    hospitals: tuple[Hospital, Hospital], session: Session, settings: Settings
) -> None:
    h1, h2 = hospitals
    older, review_id = _pair(h1, h2, settings)
    service.decide(session, actor=SYSTEM, review_id=review_id, same=False)
    session.flush()
    again = h2.register(
        "B1",
        name="刘铭",
        sex="1",
        birth_date="1975-08-02",
        phone="13953501234",
        address="山东省烟台市莱山区观海路5号",
    ).json()
    assert again["person_id"] != older  # stays its own person: the steward said so
    pending = (
        session.execute(select(MatchReview).where(MatchReview.status == "pending")).scalars().all()
    )
    assert pending == []


def test_steward_works_the_queue_in_the_console(
    hospitals: tuple[Hospital, Hospital], client: TestClient, session: Session, settings: Settings
) -> None:
    h1, h2 = hospitals
    _older, review_id = _pair(h1, h2, settings)
    create_staff(session, username="steward", roles=["data_steward"])
    client.headers.pop("Authorization", None)
    login(client, "steward")
    queue = client.get("/console/empi/reviews")
    assert f'data-testid="review-{review_id}"' in queue.text
    page = client.get(f"/console/empi/reviews/{review_id}")
    assert page.status_code == 200
    assert 'data-agrees="yes"' in page.text
    assert 'data-agrees="no"' in page.text or 'data-agrees="neutral"' in page.text
    assert "13953501234" not in page.text  # phones masked in the explanation
    done = client.post(
        f"/console/empi/reviews/{review_id}", data={"decision": "same"}, follow_redirects=True
    )
    assert 'data-testid="merged-ok"' in done.text
    assert 'data-testid="undo-merge"' in done.text
    decided = session.execute(select(MatchReview).where(MatchReview.id == review_id)).scalar_one()
    session.refresh(decided)
    assert decided.status == "same"
    assert decided.rule_set


def test_a_decided_review_cannot_be_decided_twice(
    hospitals: tuple[Hospital, Hospital], session: Session, settings: Settings
) -> None:
    from healthcard.core.errors import AppError

    h1, h2 = hospitals
    _, review_id = _pair(h1, h2, settings)
    service.decide(session, actor=SYSTEM, review_id=review_id, same=False)
    with pytest.raises(AppError) as info:
        service.decide(session, actor=SYSTEM, review_id=review_id, same=True)
    assert info.value.status_code == 409
