"""The card centre's console pages: apply, review, produce, counter operations, registers."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from healthcard.core.config import Settings
from tests.cards.test_lifecycle import Centre


def test_card_centre_console_end_to_end(
    client: TestClient, session: Session, settings: Settings
) -> None:
    centre = Centre(client, session, settings)
    person = centre.person("PG-1")
    page = client.get("/console/cards")
    assert page.status_code == 200
    assert 'data-testid="card-states"' in page.text
    applied = client.post("/console/cards/apply", data={"person_id": str(person)})
    assert "已受理申领" in applied.text
    again = client.post("/console/cards/apply", data={"person_id": str(person)})
    assert again.status_code == 422
    application_id = applied.text.split('data-testid="approve-', 1)[1].split('"', 1)[0]
    client.post(f"/console/cards/applications/{application_id}", data={"decision": "approve"})
    exported = client.post("/console/cards/batches", data={"product_id": str(centre.product)})
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    card_id = rows[0]["card_id"]
    batch_id = exported.headers["content-disposition"].split("batch-")[1].split(".")[0]
    produced = f"card_id,chip_serial\n{card_id},CHIPP0001\n".encode()
    done = client.post(
        f"/console/cards/batches/{batch_id}/produced",
        files={"file": ("back.csv", produced, "text/csv")},
    )
    assert "已回盘 1 张" in done.text
    for action in ("issue", "activate", "report_lost"):
        answer = client.post(
            f"/console/cards/{card_id}/act", data={"action": action, "terminal": "T-001"}
        )
        assert answer.status_code == 200, answer.text
    card = client.get(f"/console/cards/{card_id}")
    assert 'data-status="lost"' in card.text
    illegal = client.post(f"/console/cards/{card_id}/act", data={"action": "activate"})
    assert illegal.status_code == 409
    assert "不能对挂失状态的健康卡办理启用" in illegal.text
    reissued = client.post(
        f"/console/cards/{card_id}/act",
        data={"action": "reissue", "fee": "25"},
        follow_redirects=True,
    )
    assert 'data-status="approved"' in reissued.text
    assert "25.00" in reissued.text


def test_registers_page(client: TestClient, session: Session, settings: Settings) -> None:
    Centre(client, session, settings)
    page = client.get("/console/registry")
    assert "T-001" in page.text
    assert "SAM0001" in page.text
    revoked = client.post("/console/registry/terminal-revoke", data={"code": "T-001"})
    assert "已吊销" in revoked.text
    bad = client.post("/console/registry/terminal", data={"code": "T-002"})
    assert bad.status_code == 422
