"""Demo data for a first start: institutions of Yantai (烟台), their departments, one login per
role and one hospital system. Names are of real kinds of institutions; credit codes are
synthetic but valid (check digit computed with python-stdnum)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.orm import Session
from stdnum.cn import uscc

from healthcard.accounts import service as accounts_service
from healthcard.accounts.schemas import ClientIn, DepartmentIn, InstitutionIn, StaffIn
from healthcard.cards import service as cards_service
from healthcard.core.config import Settings
from healthcard.core.errors import AppError
from healthcard.core.principal import Principal, system_principal
from healthcard.ecard import service as ecard_service
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
    DemoLogin("villagedoc", "仉春生", "village_doctor", "ctwss"),
    DemoLogin("phworker2", "刘玉梅", "public_health_worker", "mlwsy", "GW"),
    DemoLogin("cdc", "疾控中心值班员", "cdc_officer", "cdc"),
    DemoLogin("bureau", "卫健委基层卫生科", "health_bureau", "wjw"),
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
    # A self-service payment kiosk's system, limited to verifying codes for payment (APP接入管理).
    accounts_service.create_client(
        session,
        settings=settings,
        actor=_SYSTEM,
        data=ClientIn(
            name="毓璜顶医院自助缴费机",
            institution_id=ids["yhd"],
            scopes=["ecards.verify"],
            uses=["payment"],
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


# Health cards: a manufacturer, SAM cards and terminals, a signing key, and cards of a dozen
# residents driven through the real lifecycle so that every state occurs, with e-cards for the
# holders of active cards: a newcomer can show a QR code and verify it in the console at once.
CARD_RESIDENTS = 12
DEMO_PIN = "246810"
# (terminal code, institution key, SAM serial, uses, location)
TERMINALS = (
    ("YHD-REG-01", "yhd", "SAM-YHD-0001", ("registration", "payment"), "门诊大厅挂号收费窗口"),
    ("YHD-PHA-01", "yhd", "SAM-YHD-0002", ("report", "dispensing"), "门诊药房与报告自助机"),
    (
        "YTSYY-REG-01",
        "ytsyy",
        "SAM-YTSYY-0001",
        ("registration", "payment", "report", "dispensing"),
        "门诊一楼服务台",
    ),
    ("XYSQ-REG-01", "xysq", "SAM-XYSQ-0001", ("registration", "payment"), "全科诊室前台"),
    ("KZX-CARD-01", "kzx", "SAM-KZX-0001", ("card_service",), "注册管理中心服务窗口"),
)
CENTRE_TERMINAL = "KZX-CARD-01"


def _card_holders(session: Session, settings: Settings, actor: Principal) -> list[int]:
    """The first residents (by id) who have a document number a card can carry."""
    persons: list[int] = []
    for person_id in range(1, 1000):
        try:
            holder = identity_service.card_holder(
                session, settings=settings, actor=actor, person_id=person_id
            )
        except AppError:  # merged into another person, or no person with this id
            continue
        if holder is not None:
            persons.append(person_id)
        if len(persons) == CARD_RESIDENTS:
            break
    return persons


def _card_registry(session: Session, actor: Principal, ids: dict[str, int]) -> int:
    """Manufacturer, product, SAM cards and terminals; returns the product's id."""
    maker = cards_service.add_manufacturer(
        session, actor=actor, name="演示智能卡制造有限公司", contact="0535-0000000"
    )
    product = cards_service.add_product(
        session, actor=actor, manufacturer_id=maker.id, model="HC-CPU-2026", chip="CPU 64K"
    )
    for code, key, sam, uses, location in TERMINALS:
        cards_service.issue_sam(session, actor=actor, serial=sam, institution_id=ids[key])
        cards_service.register_terminal(
            session,
            actor=actor,
            code=code,
            institution_id=ids[key],
            sam_serial=sam,
            uses=list(uses),
            location=location,
        )
    return product.id


def _approve(session: Session, settings: Settings, actor: Principal, person_id: int) -> None:
    application = cards_service.apply(
        session, actor=actor, person_id=person_id, terminal_code=CENTRE_TERMINAL
    )
    cards_service.review(
        session, settings=settings, actor=actor, application_id=application.id, approve=True
    )


def load_cards(session: Session, *, settings: Settings) -> dict[str, int]:
    """Cards in every lifecycle state, e-cards, terminals and a signing key; cards by state."""
    institutions = {i.name: i.id for i in accounts_service.list_all_institutions(session)}
    ids = {d.key: institutions[d.name] for d in INSTITUTIONS if d.name in institutions}
    actor = Principal(
        kind="system", id=0, name="demo-loader", institution_id=ids["kzx"], platform_wide=True
    )
    product_id = _card_registry(session, actor, ids)
    ecard_service.rotate(session, settings=settings, actor=actor)
    persons = _card_holders(session, settings, actor)
    if len(persons) < 2:
        return cards_service.state_counts(session)
    waiting, produced_ones = persons[0], persons[1:]
    for person_id in produced_ones:
        _approve(session, settings, actor, person_id)
    export = cards_service.export_batch(
        session, settings=settings, actor=actor, product_id=product_id
    )
    rows = list(csv.DictReader(io.StringIO(export.csv_text)))
    # The manufacturer sends back all but the first card (still in production).
    back = "card_id,chip_serial\n" + "".join(
        f"{row['card_id']},YT2026{int(row['card_id']):08d}\n" for row in rows[1:]
    )
    cards_service.import_produced(session, actor=actor, batch_id=export.batch.id, csv_text=back)
    # Counter work on the produced cards: 0 stays produced, 1 issued, the rest active; then
    # one lost, one reissued after a loss (with the fee), one cancelled.
    card_ids = [int(row["card_id"]) for row in rows[1:]]
    for n, card_id in enumerate(card_ids):
        steps = [] if n == 0 else ["issue"] if n == 1 else ["issue", "activate"]
        steps += {2: ["report_lost"], 3: ["report_lost"], 4: ["cancel"]}.get(n, [])
        for action in steps:
            cards_service.act(
                session,
                actor=actor,
                card_id=card_id,
                action=action,
                reason="居民死亡" if action == "cancel" else None,
                terminal_code=CENTRE_TERMINAL,
            )
        if n == 3:
            cards_service.reissue_or_replace(
                session,
                settings=settings,
                actor=actor,
                card_id=card_id,
                replace=False,
                fee=Decimal("25.00"),
                reason="丢失后补办",
                terminal_code=CENTRE_TERMINAL,
            )
    _approve(session, settings, actor, waiting)  # applied after the batch left: approved
    _demo_ecards(session, settings, actor, card_ids[5:])
    return cards_service.state_counts(session)


def _demo_ecards(
    session: Session, settings: Settings, actor: Principal, card_ids: list[int]
) -> None:
    """E-cards for the holders of active cards; the first can print a static code (PIN)."""
    for n, card_id in enumerate(card_ids):
        card = cards_service.get_card(session, card_id=card_id)
        ecard = ecard_service.create(
            session, settings=settings, actor=actor, person_id=card.person_id
        )
        if n == 0:
            ecard_service.update(session, actor=actor, ecard_id=ecard.id, pin=DEMO_PIN)
