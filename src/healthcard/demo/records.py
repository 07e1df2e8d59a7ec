"""Demo health records: doctor teams at the community centre, the township centre and the village
clinic (the village doctor responsible for the clinic's residents), households from the demo
population (people sharing an address), records for most residents (not all: coverage stays
below 100 %), a few examinations, one record terminated, one migration awaiting the keeping
institution's answer and one across districts awaiting the bureaus."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from healthcard.accounts import service as accounts_service
from healthcard.core.config import Settings
from healthcard.core.db import utcnow
from healthcard.core.errors import AppError
from healthcard.core.permissions import Role, all_permissions
from healthcard.core.principal import Principal, system_principal
from healthcard.demo.service import INSTITUTIONS
from healthcard.identity import service as identity_service
from healthcard.models import HealthRecord, Person
from healthcard.records.schemas import (
    ExamIn,
    FamilyIn,
    MemberIn,
    MigrationIn,
    PopulationIn,
    RecordIn,
    TeamIn,
    TerminationIn,
)
from healthcard.records.service import coverage, exams, families, migration, records, teams
from healthcard.records.service import termination as termination_service

SEED = 2026
# 12-digit areas: county + township (street) + village (neighbourhood committee).
AREAS = {
    "xysq": ["370602001001", "370602001002", "370602001003"],  # 向阳街道 三个社区居委会
    "mlwsy": ["370611101001", "370611101002"],  # 门楼镇 两个村
    "ctwss": ["370611101005"],  # 门楼镇仉村
}
COVERED = 0.85  # share of the demo residents who have a record


@dataclass(frozen=True)
class RecordsLoad:
    families: int
    records: int
    exams: int
    residents: int


def _principal(session: Session, username: str, role: Role, institution_id: int) -> Principal:
    found, _ = accounts_service.search_staff(
        session, actor=system_principal("demo-loader"), text=username, limit=5
    )
    user = next(v.user for v in found if v.user.username == username)
    permissions = frozenset(p.code for p in all_permissions() if role in p.default_roles)
    return Principal(
        kind="staff",
        id=user.id,
        name=user.display_name,
        institution_id=institution_id,
        roles=frozenset({role.value}),
        permissions=permissions,
    )


def _persons(session: Session, settings: Settings) -> list[Person]:
    """The active persons of the demo population, by id."""
    actor = system_principal("demo-loader")
    found = []
    for person_id in range(1, 1000):
        try:
            view = identity_service.view(
                session, settings=settings, actor=actor, person_id=person_id, purpose="demo"
            )
        except AppError:
            if person_id > 400:
                break
            continue
        if view.replaced_by is None:
            found.append(view.person)
    return found


def _keeper(person: Person) -> str:
    address = person.address or ""
    if "福山" in address:
        return "ctwss" if person.id % 3 == 0 else "mlwsy"
    return "xysq"


def _relationship(head: Person, other: Person) -> str:
    if head.birth_date is None or other.birth_date is None:
        return "97"
    gap = (other.birth_date - head.birth_date).days / 365.25
    if abs(gap) < 15 and other.sex != head.sex:
        return "10"  # spouse
    if gap >= 15:
        return "20" if other.sex == "1" else "30"  # son / daughter
    if gap <= -15:
        return "51" if other.sex == "1" else "52"  # father / mother
    return "71" if other.sex == "1" else "75"  # brother / sister (roughly)


def _form(rng: random.Random, person: Person, area: str, team_id: int | None) -> RecordIn:
    old = person.birth_date is not None and person.birth_date.year < 1965
    return RecordIn(
        person_id=person.id,
        area_code=area,
        team_id=team_id,
        established_on=utcnow().date() - timedelta(days=rng.randint(400, 2000)),
        address=person.address,
        residence_type="1",
        ethnicity=rng.choice(["01"] * 12 + ["03", "10"]),
        abo_blood_type=rng.choice(["1", "2", "3", "4", "5"]),
        rh_blood_type=rng.choice(["2"] * 8 + ["3"]),
        education=rng.choice(["3", "6", "7", "8"]),
        occupation=rng.choice(["1", "3", "4", "5", "8"]),
        marital_status=rng.choice(["2"] * 5 + ["1", "3"]),
        payment_methods=[rng.choice(["1", "2", "3"])],
        drug_allergies=rng.choice([["1"], ["1"], ["1"], ["2"]]),
        exposures=["1"],
        past_diseases=[{"code": "2", "on": date(2016, 5, 1)}] if old and rng.random() < 0.5 else [],
        family_history={"father": ["2"]} if rng.random() < 0.3 else {},
        disabilities=["1"],
        living_conditions={"kitchen_exhaust": "2", "fuel": "3", "water": "1", "toilet": "1"},
    )


def _exam(rng: random.Random, day: date) -> ExamIn:
    sbp = rng.randint(118, 165)
    return ExamIn.model_validate(
        {
            "exam_date": day,
            "symptoms": ["1"] if sbp < 140 else ["3"],
            "vitals": {
                "temperature": 36.5,
                "pulse": rng.randint(62, 88),
                "bp_left": {"sbp": sbp, "dbp": rng.randint(70, 95)},
                "bp_right": {"sbp": sbp - rng.randint(0, 6), "dbp": rng.randint(70, 92)},
                "height_cm": rng.randint(152, 178),
                "weight_kg": rng.randint(50, 86),
                "waist_cm": rng.randint(72, 98),
            },
            "lifestyle": {"exercise_frequency": "2", "smoking": "1", "drinking": "2"},
            "assessment": "1" if sbp < 140 else "2",
            "abnormalities": [] if sbp < 140 else ["血压偏高"],
            "guidance": [] if sbp < 140 else ["1"],
        }
    )


def load_records(session: Session, *, settings: Settings) -> RecordsLoad:
    """Teams, families, records, exams, a terminated record and migrations in progress."""
    rng = random.Random(SEED)  # noqa: S311 - reproducible demo data, not a secret
    institutions = {i.name: i.id for i in accounts_service.list_all_institutions(session)}
    ids = {d.key: institutions[d.name] for d in INSTITUTIONS if d.name in institutions}
    staff = {
        "xysq": _principal(session, "phworker", Role.PUBLIC_HEALTH_WORKER, ids["xysq"]),
        "mlwsy": _principal(session, "phworker2", Role.PUBLIC_HEALTH_WORKER, ids["mlwsy"]),
        "ctwss": _principal(session, "villagedoc", Role.VILLAGE_DOCTOR, ids["ctwss"]),
    }
    team_ids = {
        "xysq": teams.create_team(
            session,
            actor=staff["xysq"],
            data=TeamIn(name="向阳全科一团队", leader_id=staff["xysq"].id),
        ).id,
        "mlwsy": teams.create_team(
            session,
            actor=staff["mlwsy"],
            data=TeamIn(name="门楼镇公卫团队", leader_id=staff["mlwsy"].id),
        ).id,
        "ctwss": teams.create_team(
            session,
            actor=staff["ctwss"],
            data=TeamIn(
                name="仉村卫生室", area_code=AREAS["ctwss"][0], leader_id=staff["ctwss"].id
            ),
        ).id,
    }
    persons = _persons(session, settings)
    by_keeper: dict[str, list[Person]] = defaultdict(list)
    for person in persons:
        by_keeper[_keeper(person)].append(person)
    family_count = _families(session, settings, staff, by_keeper)
    made: list[tuple[str, HealthRecord]] = []
    for key, people in by_keeper.items():
        for n, person in enumerate(people):
            if rng.random() > COVERED:
                continue
            area = AREAS[key][n % len(AREAS[key])]
            family = families.family_of_person(session, person.id)
            if family is not None and family.area_code:
                area = family.area_code
            record = records.create_record(
                session,
                settings=settings,
                actor=staff[key],
                data=_form(rng, person, area, team_ids[key]),
            )
            made.append((key, record))
    exam_count = _exams(session, rng, staff, made)
    _populations(session, staff, by_keeper)
    _terminate_and_migrate(session, staff, made)
    return RecordsLoad(family_count, len(made), exam_count, len(persons))


def _families(
    session: Session,
    settings: Settings,
    staff: dict[str, Principal],
    by_keeper: dict[str, list[Person]],
) -> int:
    """Households: residents sharing an address (up to 15)."""
    made = 0
    for key, people in by_keeper.items():
        homes: dict[str, list[Person]] = defaultdict(list)
        for person in people:
            if person.address:
                homes[person.address].append(person)
        for n, (address, members) in enumerate(sorted(homes.items())):
            if len(members) < 2 or made >= 15:
                continue
            members.sort(key=lambda p: (p.birth_date or date.max, p.sex != "1"))
            head, rest = members[0], members[1:6]
            data = FamilyIn(
                address=address,
                area_code=AREAS[key][n % len(AREAS[key])],
                head_person_id=head.id,
                members=[
                    MemberIn(person_id=p.id, relationship=_relationship(head, p)) for p in rest
                ],
                living_conditions={
                    "kitchen_exhaust": "2",
                    "fuel": "3",
                    "water": "1",
                    "toilet": "1",
                },
            )
            try:
                families.create_family(session, settings=settings, actor=staff[key], data=data)
            except AppError:
                continue  # e.g. a member already in another household
            made += 1
    return made


def _exams(
    session: Session,
    rng: random.Random,
    staff: dict[str, Principal],
    made: list[tuple[str, HealthRecord]],
) -> int:
    count = 0
    today = utcnow().date()
    for n, (key, record) in enumerate(made[:: max(1, len(made) // 12)]):
        day = today - timedelta(days=20 + 37 * n)
        exams.add_exam(session, actor=staff[key], record_id=record.id, data=_exam(rng, day))
        count += 1
    return count


def _populations(
    session: Session, staff: dict[str, Principal], by_keeper: dict[str, list[Person]]
) -> None:
    """The served population: the demo residents living in each institution's area."""
    year = utcnow().year
    for key, people in by_keeper.items():
        coverage.set_population(
            session,
            actor=staff[key],
            data=PopulationIn(
                institution_id=staff[key].institution_id or 0,
                year=year,
                population=max(len(people), 1),
                source="演示人口中住址在本辖区的居民数",
            ),
        )


def _terminate_and_migrate(
    session: Session, staff: dict[str, Principal], made: list[tuple[str, HealthRecord]]
) -> None:
    today = utcnow().date()
    xysq = [r for key, r in made if key == "xysq"]
    mlwsy = [r for key, r in made if key == "mlwsy"]
    if xysq:
        termination_service.terminate(
            session,
            actor=staff["xysq"],
            record_id=xysq[-1].id,
            data=TerminationIn(reason="death", on=today - timedelta(days=12), note="因病去世"),
        )
    if len(xysq) > 2:
        # Moved from 芝罘区 to 福山区: across districts, the two bureaus coordinate.
        migration.request(
            session,
            actor=staff["mlwsy"],
            data=MigrationIn(
                record_number=xysq[-2].record_number,
                reason="居民搬迁至门楼镇居住",
                consent_by="本人",
                consent_on=today - timedelta(days=2),
            ),
        )
    if mlwsy:
        # Within 福山区: the village clinic asks the township centre, which has not answered yet.
        migration.request(
            session,
            actor=staff["ctwss"],
            data=MigrationIn(
                record_number=mlwsy[0].record_number,
                reason="居民与仉村卫生室签约家庭医生服务",
                consent_by="本人",
                consent_on=today - timedelta(days=1),
            ),
        )
