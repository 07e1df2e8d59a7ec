"""A small region for records tests: institutions, logged-in staff, residents."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from functools import cached_property
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from healthcard.core.config import Settings
from healthcard.models import Institution
from tests.factories import create_institution, create_staff, login
from tests.identity.factories import Hospital, resident_id

JSON = {"Accept": "application/json"}
AREA = "370602001002"  # 芝罘区, township 001, neighbourhood committee 002
AREA_FUSHAN = "370611003004"


class User:
    """A staff member logged into the console from their own browser."""

    def __init__(self, app: FastAPI, session: Session, username: str, role: str, inst: Institution):
        self.view = create_staff(session, username=username, roles=[role], institution=inst)
        self.id = self.view.user.id
        self.institution = inst
        self.client = TestClient(app, base_url="http://testserver")
        self.client.__enter__()
        assert login(self.client, username).status_code in (302, 303)

    def get(self, url: str, **params: Any) -> Any:
        return self.client.get(url, params=params, headers=JSON)

    def post(self, url: str, body: Any = None) -> Any:
        return self.client.post(url, json=body if body is not None else {}, headers=JSON)

    def put(self, url: str, body: Any = None) -> Any:
        return self.client.put(url, json=body if body is not None else {}, headers=JSON)

    def delete(self, url: str) -> Any:
        return self.client.delete(url, headers=JSON)

    def close(self) -> None:
        self.client.__exit__(None, None, None)


class Region:
    """Yantai in miniature: two community centres and a hospital in 芝罘区, a township centre in
    福山区, the city health bureau; a public-health worker at each centre."""

    def __init__(self, app: FastAPI, client: TestClient, session: Session, settings: Settings):
        self.session = session
        self.hospital = Hospital(client, session, settings, "档案测试医院")
        make = create_institution
        self.xysq = make(session, name="向阳社区中心", kind="community_health_centre")
        self.zbsq = make(session, name="只楚社区中心", kind="community_health_centre")
        self.mlwsy = make(
            session, name="门楼镇卫生院", kind="township_health_centre", division_code="370611"
        )
        self.yhd = self.hospital.institution
        self.wjw = make(session, name="市卫健委", kind="health_commission", division_code="370600")
        self.users: list[User] = []
        self._app = app
        self._seq = 100

    # Staff are created and logged in when a test first needs them (password hashing is slow).
    @cached_property
    def ph(self) -> User:
        return self.user(self._app, self.session, "phone", "public_health_worker", self.xysq)

    @cached_property
    def ph2(self) -> User:
        return self.user(self._app, self.session, "phtwo", "public_health_worker", self.zbsq)

    @cached_property
    def ph3(self) -> User:
        return self.user(self._app, self.session, "phthree", "public_health_worker", self.mlwsy)

    @cached_property
    def doctor(self) -> User:
        return self.user(self._app, self.session, "doctor", "doctor", self.yhd)

    @cached_property
    def bureau(self) -> User:
        return self.user(self._app, self.session, "bureau", "health_bureau", self.wjw)

    @cached_property
    def auditor(self) -> User:
        return self.user(self._app, self.session, "auditor", "auditor", self.wjw)

    def user(self, app: FastAPI, session: Session, name: str, role: str, inst: Institution) -> User:
        made = User(app, session, name, role, inst)
        self.users.append(made)
        return made

    def person(self, name: str = "林小红", born: date = date(1975, 3, 9)) -> int:
        self._seq += 2
        answer = self.hospital.register(
            f"MRN-{self._seq}", name=name, id_number=resident_id(born, self._seq)
        )
        assert answer.status_code == 200, answer.text
        return int(answer.json()["person_id"])

    def record(self, person_id: int, by: User | None = None, **fields: Any) -> Any:
        body = {"person_id": person_id, "area_code": AREA, **fields}
        return (by or self.ph).post("/api/v1/records", body)

    def close(self) -> None:
        for user in self.users:
            user.close()


def region_fixture(
    app: FastAPI, client: TestClient, session: Session, settings: Settings
) -> Iterator[Region]:
    region = Region(app, client, session, settings)
    try:
        yield region
    finally:
        region.close()
