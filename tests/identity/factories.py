"""Helpers for identity tests: valid ID numbers and registrations through the API."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from healthcard.core.config import Settings
from healthcard.identity.idnumbers import make_resident_id
from healthcard.models import Institution
from tests.factories import bearer, create_client, create_institution

SCOPES = ["residents.register", "residents.read"]


def resident_id(
    born: date = date(1980, 5, 17), sequence: int = 123, division: str = "370602"
) -> str:
    return make_resident_id(division, born, sequence)


class Hospital:
    """An institution system with a token, registering patients over the API."""

    def __init__(self, client: TestClient, session: Session, settings: Settings, name: str) -> None:
        self.institution: Institution = create_institution(session, name=name)
        issued = create_client(session, settings, institution=self.institution, scopes=SCOPES)
        self.client = client
        self.headers = bearer(client, issued.client.client_id, issued.secret)
        self.system = f"urn:healthcard:institution:{self.institution.uscc}:patient"

    def register(self, mrn: str, **fields: Any) -> Any:
        body = {"identifier": {"value": mrn}, **fields}
        return self.client.post("/api/v1/residents", json=body, headers=self.headers)

    def get(self, url: str, **params: Any) -> Any:
        return self.client.get(url, params=params, headers=self.headers)
