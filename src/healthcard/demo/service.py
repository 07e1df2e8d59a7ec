"""Demo data for a first start: institutions of Yantai (烟台), their departments, one login per
role and one hospital system. Names are of real kinds of institutions; credit codes are
synthetic but valid (check digit computed with python-stdnum)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.orm import Session
from stdnum.cn import uscc

from healthcard.accounts import service as accounts_service
from healthcard.accounts.schemas import ClientIn, DepartmentIn, InstitutionIn, StaffIn
from healthcard.core.config import Settings
from healthcard.core.errors import AppError
from healthcard.core.principal import Principal, system_principal
from healthcard.identity import service as identity_service
from healthcard.identity.schemas import IdentifierIn, RegistrationIn

DEMO_PASSWORD = "Healthcard@2026"  # noqa: S105 - published demo credential, development only
DEMO_CLIENT_NAME = "烟台毓璜顶医院 HIS"

_SYSTEM = system_principal("demo-loader")


def demo_uscc(division: str, serial: int) -> str:
    """A valid credit code of a public institution (事业单位, prefix 12) in ``division``."""
    body = f"12{division}{serial:09d}"
    return body + uscc.calc_check_digit(body)


@dataclass(frozen=True)
class DemoInstitution:
    key: str
    name: str
    kind: str
    division: str
    level: str | None = None
    parent: str | None = None
    departments: tuple[tuple[str, str], ...] = ()


INSTITUTIONS = (
    DemoInstitution("wjw", "烟台市卫生健康委员会", "health_commission", "370600"),
    DemoInstitution("kzx", "烟台市居民健康卡注册管理中心", "card_centre", "370600", parent="wjw"),
    DemoInstitution("cdc", "烟台市疾病预防控制中心", "cdc", "370600", parent="wjw"),
    DemoInstitution(
        "yhd",
        "烟台毓璜顶医院",
        "hospital",
        "370602",
        level="3A",
        parent="wjw",
        departments=(
            ("NK", "内科"),
            ("WK", "外科"),
            ("EK", "儿科"),
            ("JYK", "检验科"),
            ("SFC", "收费处"),
        ),
    ),
    DemoInstitution(
        "ytsyy",
        "烟台山医院",
        "hospital",
        "370613",
        level="3A",
        parent="wjw",
        departments=(("NK", "内科"), ("FCK", "妇产科")),
    ),
    DemoInstitution(
        "xysq",
        "烟台市芝罘区向阳街道社区卫生服务中心",
        "community_health_centre",
        "370602",
        parent="wjw",
        departments=(("QK", "全科"), ("GW", "公共卫生科"), ("YFJZ", "预防接种门诊")),
    ),
    DemoInstitution(
        "mlwsy",
        "烟台市福山区门楼镇卫生院",
        "township_health_centre",
        "370611",
        parent="wjw",
        departments=(("QK", "全科"), ("GW", "公共卫生科")),
    ),
    DemoInstitution("ctwss", "福山区门楼镇仉村卫生室", "village_clinic", "370611", parent="mlwsy"),
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    name: str
    role: str
    institution: str
    department: str | None = None


LOGINS = (
    DemoLogin("admin", "系统管理员", "system_admin", "wjw"),
    DemoLogin("cardop", "注册中心操作员", "card_operator", "kzx"),
    DemoLogin("hospadmin", "毓璜顶医院管理员", "institution_admin", "yhd"),
    DemoLogin("doctor", "王建国", "doctor", "yhd", "NK"),
    DemoLogin("nurse", "李秀英", "nurse", "yhd", "NK"),
    DemoLogin("phworker", "张丽华", "public_health_worker", "xysq", "GW"),
    DemoLogin("cashier", "赵敏", "cashier", "yhd", "SFC"),
    DemoLogin("auditor", "审计员", "auditor", "wjw"),
    DemoLogin("steward", "数据管理员", "data_steward", "kzx"),
)


def is_loaded(session: Session) -> bool:
    """Whether the demo data is already there (the admin login exists)."""
    rows, _ = accounts_service.search_staff(session, actor=_SYSTEM, text="admin", limit=1)
    return any(view.user.username == "admin" for view in rows)


def load(session: Session, *, settings: Settings) -> str | None:
    """Create the demo institutions, logins and hospital system; returns the system's secret."""
    if settings.environment == "production":
        raise RuntimeError("demo data is for development and evaluation, not production")
    accounts_service.sync_permissions(session)
    ids: dict[str, int] = {}
    for serial, demo in enumerate(INSTITUTIONS, start=1):
        institution = accounts_service.create_institution(
            session,
            actor=_SYSTEM,
            data=InstitutionIn(
                uscc=demo_uscc(demo.division, 49_400_000 + serial),
                name=demo.name,
                kind=demo.kind,
                hospital_level=demo.level,
                division_code=demo.division,
                parent_id=ids.get(demo.parent) if demo.parent else None,
            ),
        )
        ids[demo.key] = institution.id
        for code, name in demo.departments:
            accounts_service.create_department(
                session,
                actor=_SYSTEM,
                institution_id=institution.id,
                data=DepartmentIn(code=code, name=name),
            )
    departments = {
        (key, d.code): d.id
        for key, iid in ids.items()
        for d in accounts_service.list_departments(session, actor=_SYSTEM, institution_id=iid)
    }
    for login in LOGINS:
        accounts_service.create_staff(
            session,
            actor=_SYSTEM,
            data=StaffIn(
                username=login.username,
                display_name=login.name,
                institution_id=ids[login.institution],
                department_id=departments.get((login.institution, login.department or "")),
                roles=[login.role],
                password=DEMO_PASSWORD,
            ),
        )
    issued = accounts_service.create_client(
        session,
        settings=settings,
        actor=_SYSTEM,
        data=ClientIn(
            name=DEMO_CLIENT_NAME,
            institution_id=ids["yhd"],
            scopes=[p.code for p in accounts_service.grantable_scopes()],
        ),
    )
    return f"{issued.client.client_id}:{issued.secret}"


# A synthetic population registered by the demo hospitals through the online matcher, so a
# newcomer sees matching, the review queue and merges at once.
POPULATION_SOURCES = {"H01": "yhd", "H02": "ytsyy", "H03": "xysq", "H04": "mlwsy"}
POPULATION_PERSONS = 150
POPULATION_SEED = 2026
AMBIGUOUS = 6


@dataclass(frozen=True)
class PopulationLoad:
    registered: int
    refused: int
    outcomes: dict[str, int]


def load_population(
    session: Session, *, settings: Settings, persons: int = POPULATION_PERSONS
) -> PopulationLoad:
    """Register a synthetic population across the demo hospitals (errors and all)."""
    institutions = {i.name: i for i in accounts_service.list_all_institutions(session)}
    by_key = {d.key: institutions[d.name] for d in INSTITUTIONS if d.name in institutions}
    outcomes: dict[str, int] = {}
    refused = 0
    records = identity_service.generate_population(
        persons=persons, sources=len(POPULATION_SOURCES), seed=POPULATION_SEED
    )
    first_records: list[identity_service.PopulationRecord] = []
    for record in records:
        if record.source == "H01" and record.birth_date and len(first_records) < AMBIGUOUS:
            first_records.append(record)
        institution = by_key[POPULATION_SOURCES[record.source]]
        actor = Principal(
            kind="client",
            id=0,
            name=f"{institution.name} HIS",
            institution_id=institution.id,
        )
        try:
            data = _registration(record)
            result = identity_service.register(session, settings=settings, actor=actor, data=data)
        except (AppError, PydanticValidationError):
            refused += 1  # e.g. a mistyped ID number: the hospital's clerk would be told so
            continue
        outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
    # A village clinic registers a few of them again from memory: no ID card at hand, a mistyped
    # birth day, another address. The matcher is unsure: these become the review queue.
    clinic = by_key["ctwss"]
    actor = Principal(kind="client", id=0, name=f"{clinic.name} HIS", institution_id=clinic.id)
    for n, record in enumerate(first_records, start=1):
        born = date.fromisoformat(record.birth_date)
        day = born.day + 1 if born.day % 10 not in (8, 9) and born.day < 28 else born.day - 1
        data = RegistrationIn(
            identifier=IdentifierIn(value=f"CT-{n:04d}"),
            name=record.name,
            sex=record.sex or None,
            birth_date=born.replace(day=day),
            address="山东省烟台市福山区门楼镇仉村12号",
        )
        try:
            result = identity_service.register(session, settings=settings, actor=actor, data=data)
        except AppError:
            continue
        outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
    return PopulationLoad(sum(outcomes.values()), refused, outcomes)


def _registration(record: identity_service.PopulationRecord) -> RegistrationIn:
    id_number = record.id_number or None
    if id_number:
        try:
            identity_service.parse_resident_id(id_number)
        except identity_service.IdNumberError:
            id_number = None  # refused at the desk; registered without the number
    return RegistrationIn(
        identifier=IdentifierIn(value=record.record_id),
        name=record.name,
        sex=record.sex or None,
        birth_date=date.fromisoformat(record.birth_date) if record.birth_date else None,
        id_number=id_number,
        phone=record.phone or None,
        address=record.address or None,
    )
