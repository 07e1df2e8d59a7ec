"""Residents with records in the records test region, ready for the programmes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from healthcard.records.programmes.service.common import today as local_today
from tests.identity.factories import resident_id
from tests.records.factories import Region, User


class Residents:
    """Registers residents of a chosen sex and birth date and opens their health records."""

    def __init__(self, region: Region) -> None:
        self.region = region
        self._seq = 500

    def person(self, *, born: date, sex: str = "1", name: str = "王秀兰") -> int:
        # The ID number's sequence is odd for men, even for women (GB 11643).
        self._seq += 1
        if (self._seq % 2 == 1) != (sex == "1"):
            self._seq += 1
        answer = self.region.hospital.register(
            f"MRN-P{self._seq}", name=name, id_number=resident_id(born, self._seq)
        )
        assert answer.status_code == 200, answer.text
        return int(answer.json()["person_id"])

    def with_record(
        self, *, born: date, sex: str = "1", by: User | None = None, **record: Any
    ) -> int:
        person_id = self.person(born=born, sex=sex)
        answer = self.region.record(person_id, by=by, **record)
        assert answer.status_code == 201, answer.text
        return person_id


def years_ago(years: int, days: int = 0) -> date:
    today = local_today()
    return today.replace(year=today.year - years) - timedelta(days=days)


def enrol(user: User, person_id: int, programme: str, **fields: Any) -> Any:
    return user.post(
        "/api/v1/programmes/enrolments", {"person_id": person_id, "programme": programme, **fields}
    )


def due_visit(user: User, enrolment_id: int) -> dict[str, Any]:
    visits = user.get(f"/api/v1/programmes/enrolments/{enrolment_id}/followups").json()
    return next(v for v in visits if v["status"] == "due")
