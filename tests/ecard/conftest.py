"""E-card test set-up: a master key file of the test's own, a signing key, a hospital system
with e-card scopes, and terminals registered by the card centre."""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from healthcard.core.config import Settings
from healthcard.ecard import service as ecard_service
from healthcard.models import ECardSigningKey
from tests.cards.test_lifecycle import Centre
from tests.conftest import TEST_SECRET
from tests.factories import SYSTEM, bearer, create_client
from tests.identity.factories import resident_id

SCOPES = [
    "residents.register",
    "residents.read",
    "ecards.manage",
    "ecards.read",
    "ecards.qrcode",
    "ecards.verify",
]


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
    )


def rotate(session: Session, settings: Settings) -> ECardSigningKey:
    key = ecard_service.rotate(session, settings=settings, actor=SYSTEM)
    session.commit()
    return key


class Desk:
    """A hospital system (resident app and terminals in one client) and the card centre."""

    def __init__(self, client: TestClient, session: Session, settings: Settings) -> None:
        self.client = client
        self.session = session
        self.settings = settings
        self.centre = Centre(client, session, settings)
        hospital = self.centre.hospital.institution
        issued = create_client(session, settings, institution=hospital, scopes=SCOPES)
        self.headers = bearer(client, issued.client.client_id, issued.secret)
        sam = self.centre.post(
            "/api/v1/registry/sam-cards", {"serial": "SAMH0001", "institution_id": hospital.id}
        )
        assert sam.status_code == 201, sam.text
        terminal = self.centre.post(
            "/api/v1/registry/terminals",
            {
                "code": "T-H1",
                "institution_id": hospital.id,
                "sam_serial": "SAMH0001",
                "uses": ["registration", "payment"],
            },
        )
        assert terminal.status_code == 201, terminal.text
        self.key = rotate(session, settings)
        self._seq = 100

    def post(self, url: str, body: Any = None) -> Any:
        return self.client.post(url, json=body if body is not None else {}, headers=self.headers)

    def get(self, url: str) -> Any:
        return self.client.get(url, headers=self.headers)

    def person(self, name: str = "张大伟") -> int:
        self._seq += 1
        answer = self.centre.hospital.register(
            f"MRN-{self._seq}", name=name, id_number=resident_id(date(1985, 3, 9), self._seq)
        )
        assert answer.status_code in (200, 201), answer.text
        return int(answer.json()["person_id"])

    def ecard(self, person_id: int | None = None) -> dict[str, Any]:
        answer = self.post("/api/v1/ecards", {"person_id": person_id or self.person()})
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def code(self, ecard_id: int, *, static: bool = False) -> str:
        answer = self.post(f"/api/v1/ecards/{ecard_id}/qrcode", {"static": static})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["payload"])

    def verify(
        self,
        payload: str,
        *,
        use: str = "registration",
        terminal: str = "T-H1",
        pin: str | None = None,
    ) -> Any:
        body: dict[str, Any] = {"payload": payload, "terminal": terminal, "use": use}
        if pin is not None:
            body["pin"] = pin
        return self.post("/api/v1/ecards/verify", body)


@pytest.fixture
def desk(client: TestClient, session: Session, settings: Settings) -> Desk:
    return Desk(client, session, settings)
