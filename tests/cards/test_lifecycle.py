"""The card lifecycle through the API: every transition, every refusal, the one-live-card rule."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from healthcard.core.config import Settings
from healthcard.models import HealthCard
from tests.factories import create_institution, create_staff, login
from tests.identity.factories import Hospital, resident_id

JSON = {"Accept": "application/json"}


class Centre:
    """The card centre's operator, logged into the console session."""

    def __init__(self, client: TestClient, session: Session, settings: Settings) -> None:
        self.client = client
        self.hospital = Hospital(client, session, settings, "发卡测试医院")
        centre = create_institution(
            session, name="测试注册管理中心", kind="card_centre", division_code="370600"
        )
        create_staff(session, username="operator", roles=["card_operator"], institution=centre)
        login(client, "operator")
        self.institution = centre
        m = self.post("/api/v1/registry/manufacturers", {"name": "测试卡厂"}).json()
        self.product = self.post(
            "/api/v1/registry/products", {"manufacturer_id": m["id"], "model": "HC-CPU-2026"}
        ).json()["id"]
        self.post("/api/v1/registry/sam-cards", {"serial": "SAM0001", "institution_id": centre.id})
        self.post(
            "/api/v1/registry/terminals",
            {
                "code": "T-001",
                "institution_id": centre.id,
                "sam_serial": "SAM0001",
                "uses": ["card_service"],
            },
        )

    def post(self, url: str, body: Any = None, **kw: Any) -> Any:
        return self.client.post(url, json=body if body is not None else {}, headers=JSON, **kw)

    def person(self, mrn: str, born: date = date(1980, 5, 17), seq: int = 123) -> int:
        answer = self.hospital.register(mrn, name="孙悟空", id_number=resident_id(born, seq))
        return int(answer.json()["person_id"])

    def active_card(self, person_id: int) -> int:
        application = self.post(
            "/api/v1/cards/applications", {"person_id": person_id, "terminal": "T-001"}
        ).json()
        self.post(f"/api/v1/cards/applications/{application['id']}/review", {"approve": True})
        batch = self.post("/api/v1/cards/batches", {"product_id": self.product}).json()
        rows = list(csv.DictReader(io.StringIO(batch["personalisation_csv"])))
        produced = "card_id,chip_serial\n" + "".join(
            f"{r['card_id']},CHIP{r['card_id']:0>8}\n" for r in rows
        )
        self.client.post(
            f"/api/v1/cards/batches/{batch['batch_id']}/produced",
            content=produced.encode(),
            headers={**JSON, "Content-Type": "text/csv"},
        )
        card_id = int(rows[0]["card_id"])
        assert (
            self.post(f"/api/v1/cards/{card_id}/issue", {"terminal": "T-001"}).json()["status"]
            == "issued"
        )
        assert (
            self.post(f"/api/v1/cards/{card_id}/activate", {"terminal": "T-001"}).json()["status"]
            == "active"
        )
        return card_id


@pytest.fixture
def centre(client: TestClient, session: Session, settings: Settings) -> Centre:
    return Centre(client, session, settings)


def test_full_life_of_a_card(centre: Centre) -> None:
    person = centre.person("P-1")
    application = centre.post("/api/v1/cards/applications", {"person_id": person}).json()
    assert application["status"] == "submitted"
    approved = centre.post(
        f"/api/v1/cards/applications/{application['id']}/review", {"approve": True}
    ).json()
    assert approved["status"] == "approved"
    batch = centre.post("/api/v1/cards/batches", {"product_id": centre.product})
    assert batch.status_code == 201, batch.text
    rows = list(csv.DictReader(io.StringIO(batch.json()["personalisation_csv"])))
    assert rows[0]["card_number"] == resident_id()  # the card number is the holder's ID number
    card_id = int(rows[0]["card_id"])
    produced = f"card_id,chip_serial\n{card_id},CHIPA0001\n999999,CHIPX\n"
    report = centre.client.post(
        f"/api/v1/cards/batches/{batch.json()['batch_id']}/produced",
        content=produced.encode(),
        headers={**JSON, "Content-Type": "text/csv"},
    ).json()
    assert report["produced"] == 1
    assert report["errors"][0]["line"] == "line 3"
    for action, status in [
        ("issue", "issued"),
        ("activate", "active"),
        ("report-lost", "lost"),
        ("recover", "active"),
    ]:
        answer = centre.post(
            f"/api/v1/cards/{card_id}/{action}", {"terminal": "T-001", "reason": "测试"}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == status
    detail = centre.client.get(f"/api/v1/cards/{card_id}", headers=JSON).json()
    assert [e["to_status"] for e in detail["history"]] == [
        "approved",
        "in_production",
        "produced",
        "issued",
        "active",
        "lost",
        "active",
    ]
    assert detail["chip_serial"] == "CHIPA0001"


def test_reissue_after_loss_stops_the_old_card_and_records_the_fee(centre: Centre) -> None:
    card_id = centre.active_card(centre.person("P-2"))
    centre.post(f"/api/v1/cards/{card_id}/report-lost", {"reason": "丢失"})
    new = centre.post(f"/api/v1/cards/{card_id}/reissue", {"fee": "20.00", "reason": "补卡"})
    assert new.status_code == 201, new.text
    assert new.json()["status"] == "approved"
    assert new.json()["previous_card_id"] == card_id
    assert new.json()["fee"] == "20.00"
    old = centre.client.get(f"/api/v1/cards/{card_id}", headers=JSON).json()
    assert old["status"] == "replaced"
    refused = centre.post(f"/api/v1/cards/{card_id}/recover", {})
    assert refused.status_code == 409


def test_replace_from_active(centre: Centre) -> None:
    card_id = centre.active_card(centre.person("P-3"))
    new = centre.post(f"/api/v1/cards/{card_id}/replace", {"fee": "0", "reason": "芯片损坏"})
    assert new.status_code == 201
    assert (
        centre.client.get(f"/api/v1/cards/{card_id}", headers=JSON).json()["status"] == "replaced"
    )


@pytest.mark.parametrize(
    ("steps", "illegal"),
    [
        ([], "issue"),  # approved, not produced
        ([], "recover"),  # nothing to recover
        (["report-lost"], "issue"),  # lost card cannot be issued
        (["cancel"], "recover"),  # cancelled card cannot come back
        (["cancel"], "activate"),
        ([], "activate"),  # active already
    ],
)
def test_illegal_moves_are_409_with_the_reason(
    centre: Centre, steps: list[str], illegal: str
) -> None:
    card_id = centre.active_card(centre.person(f"P-{illegal}-{len(steps)}"))
    for step in steps:
        assert centre.post(f"/api/v1/cards/{card_id}/{step}", {}).status_code == 200
    answer = centre.post(f"/api/v1/cards/{card_id}/{illegal}", {})
    assert answer.status_code == 409
    body = answer.json()
    assert body["code"] == "illegal_transition"
    assert "不能对" in body["detail"]


def test_rejected_application_never_becomes_a_card(centre: Centre, session: Session) -> None:
    person = centre.person("P-5")
    application = centre.post("/api/v1/cards/applications", {"person_id": person}).json()
    no_reason = centre.post(
        f"/api/v1/cards/applications/{application['id']}/review", {"approve": False}
    )
    assert no_reason.status_code == 422
    rejected = centre.post(
        f"/api/v1/cards/applications/{application['id']}/review",
        {"approve": False, "reason": "照片不清晰"},
    )
    assert rejected.json()["status"] == "rejected"
    again = centre.post(f"/api/v1/cards/applications/{application['id']}/review", {"approve": True})
    assert again.status_code == 409
    assert session.execute(select(HealthCard).where(HealthCard.person_id == person)).first() is None


def test_a_second_card_application_is_refused(centre: Centre) -> None:
    person = centre.person("P-6")
    centre.active_card(person)
    answer = centre.post("/api/v1/cards/applications", {"person_id": person})
    assert answer.status_code == 409
    assert answer.json()["code"] == "live_card_exists"


def test_one_live_card_per_person_is_a_database_constraint(
    centre: Centre, session: Session
) -> None:
    card_id = centre.active_card(centre.person("P-7"))
    card = session.get(HealthCard, card_id)
    assert card is not None
    twin = HealthCard(
        person_id=card.person_id,
        application_id=card.application_id,
        card_number_sealed=card.card_number_sealed,
        card_number_index=card.card_number_index,
        status="approved",
    )
    session.add(twin)
    with pytest.raises(IntegrityError), session.begin_nested():
        session.flush()


def test_unknown_or_revoked_terminals_are_refused(centre: Centre) -> None:
    card_id = centre.active_card(centre.person("P-8"))
    unknown = centre.post(f"/api/v1/cards/{card_id}/report-lost", {"terminal": "T-404"})
    assert unknown.status_code == 403
    assert unknown.json()["code"] == "terminal_refused"
    centre.post("/api/v1/registry/terminals/T-001/revoke")
    revoked = centre.post(f"/api/v1/cards/{card_id}/report-lost", {"terminal": "T-001"})
    assert revoked.status_code == 403
    assert "吊销" in revoked.json()["detail"]


def test_revoked_sam_stops_its_terminal(centre: Centre) -> None:
    card_id = centre.active_card(centre.person("P-9"))
    centre.post("/api/v1/registry/sam-cards/SAM0001/revoke")
    answer = centre.post(f"/api/v1/cards/{card_id}/report-lost", {"terminal": "T-001"})
    assert answer.status_code == 403
    assert "SAM" in answer.json()["detail"]


def test_person_without_document_number_cannot_get_a_card(centre: Centre) -> None:
    person = centre.hospital.register("NOID", name="无证者").json()["person_id"]
    application = centre.post("/api/v1/cards/applications", {"person_id": person}).json()
    answer = centre.post(
        f"/api/v1/cards/applications/{application['id']}/review", {"approve": True}
    )
    assert answer.status_code == 409
    assert answer.json()["code"] == "no_document_number"


def test_duplicate_chip_serial_is_refused(centre: Centre) -> None:
    first = centre.active_card(centre.person("P-10", seq=125))
    person = centre.person("P-11", born=date(1985, 1, 1), seq=33)
    application = centre.post("/api/v1/cards/applications", {"person_id": person}).json()
    centre.post(f"/api/v1/cards/applications/{application['id']}/review", {"approve": True})
    batch = centre.post("/api/v1/cards/batches", {"product_id": centre.product}).json()
    rows = list(csv.DictReader(io.StringIO(batch["personalisation_csv"])))
    produced = f"card_id,chip_serial\n{rows[0]['card_id']},CHIP{first:0>8}\n"
    report = centre.client.post(
        f"/api/v1/cards/batches/{batch['batch_id']}/produced",
        content=produced.encode(),
        headers={**JSON, "Content-Type": "text/csv"},
    ).json()
    assert report["produced"] == 0
    assert "已被其他卡使用" in report["errors"][0]["message"]
