"""Demo public-health programmes: residents with a health record are enrolled by age and sex
(hypertension, type 2 diabetes, children with their vaccinations, pregnancy, elderly, a severe
mental disorder, tuberculosis), with visits done in the past, some due this week, some overdue and
a few emergency referrals; infectious-disease reports (one late); health education, a referral
and a consultation. Everything goes through the programme services, as the console would."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from healthcard.accounts import service as accounts_service
from healthcard.core.config import Settings
from healthcard.core.db import utcnow
from healthcard.core.errors import AppError
from healthcard.core.principal import Principal, system_principal
from healthcard.models import HealthRecord, Person
from healthcard.records.programmes import service as programmes
from healthcard.records.programmes.schemas import (
    ConsultationIn,
    EducationIn,
    EnrolmentIn,
    ReferralIn,
    ReportIn,
)
from healthcard.records.programmes.service.common import today
from healthcard.records.service import records as records_service


@dataclass(frozen=True)
class ProgrammesLoad:
    enrolments: Counter[str]
    visits_done: int
    overdue: int
    due_this_week: int
    emergencies: int
    doses: int
    reports: int

    def summary(self) -> str:
        kinds = "、".join(
            f"{programmes.PROGRAMME_NAMES[k]} {n}" for k, n in self.enrolments.items()
        )
        return (
            f"重点人群 {sum(self.enrolments.values())} 人（{kinds}），随访 {self.visits_done} 次，"
            f"逾期 {self.overdue}、本周到期 {self.due_this_week}、紧急转诊 {self.emergencies}；"
            f"接种 {self.doses} 剂；传染病报告 {self.reports} 张"
        )


def _worker(record: HealthRecord) -> Principal:
    return Principal(
        kind="system",
        id=0,
        name="公卫医生",
        institution_id=record.institution_id,
        platform_wide=True,
    )


def _visit_values(programme: str, n: int, on: date) -> dict[str, Any]:
    values: dict[str, Any] = {"done_on": on.isoformat(), "method": "clinic" if n % 3 else "home"}
    bp = [(132, 84), (146, 92), (128, 80), (138, 86), (152, 96)][n % 5]
    if programme in ("hypertension", "diabetes", "elderly"):
        values |= {"sbp": bp[0], "dbp": bp[1], "heart_rate": 72 + n % 9, "weight_kg": 68.5}
    if programme == "diabetes":
        values |= {"fasting_glucose": [6.4, 7.8, 6.8, 8.6][n % 4], "hba1c": 7.1}
    if programme in ("hypertension", "diabetes"):
        symptom = "headache_dizziness" if programme == "hypertension" else "polydipsia"
        values |= {
            "medication_adherence": "regular",
            "symptoms": [symptom] if n % 4 == 1 else [],
        }
    if programme == "elderly":
        values |= {"self_care_score": [0, 3, 5][n % 3], "height_cm": 162, "waist_cm": 88}
        values.pop("heart_rate")
    if programme == "children":
        values |= {"weight_kg": 4.5 + n * 1.2, "height_cm": 55 + n * 4, "development_ok": True}
    if programme == "maternal":
        values |= {
            "sbp": 112,
            "dbp": 72,
            "hemoglobin": 118,
            "weight_kg": 58 + n,
            "urine_protein": "-",
        }
    if programme == "mental":
        values |= {
            "risk_level": 0 if n % 2 else 1,
            "insight": "complete",
            "medication_adherence": "regular",
        }
    if programme == "tuberculosis":
        values |= {"supervisor": "family", "missed_doses": 0 if n % 3 else 1}
    return values


class _Loader:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.enrolled: Counter[str] = Counter()
        self.done = 0
        self.emergencies = 0
        self.doses = 0

    def enrol(
        self, record: HealthRecord, programme: str, *, days_ago: int, **detail: Any
    ) -> int | None:
        """Enrol ``days_ago`` days back; answers the enrolment id (None if not eligible)."""
        data = EnrolmentIn(
            person_id=record.person_id,
            programme=programme,
            enrolled_on=today() - timedelta(days=days_ago),
            **detail,
        )
        try:
            enrolment = programmes.enrol(self.session, actor=_worker(record), data=data)
        except AppError:
            return None
        self.enrolled[programme] += 1
        return enrolment.id

    def work(
        self, record: HealthRecord, enrolment_id: int, *, stop_before: date, emergency: bool = False
    ) -> None:
        """Do the visits falling due before ``stop_before`` on their due date."""
        actor = _worker(record)
        enrolment = programmes.get_enrolment(self.session, actor=actor, enrolment_id=enrolment_id)
        for n in range(40):
            due = [v for v in programmes.followups_of(self.session, enrolment) if v.status == "due"]
            if not due or due[0].due_date >= stop_before:
                return
            values = _visit_values(enrolment.programme, n, due[0].due_date)
            if emergency and due[0].due_date >= stop_before - timedelta(days=120):
                values |= {"sbp": 186, "dbp": 112}
                self.emergencies += 1
                emergency = False
            programmes.record_followup(
                self.session, actor=actor, followup_id=due[0].id, data=values
            )
            self.done += 1


def _records(session: Session) -> list[tuple[HealthRecord, Person]]:
    rows, _ = records_service.search(
        session, actor=system_principal("demo"), status="active", limit=200
    )
    return list(rows)


def load_programmes(session: Session, *, settings: Settings) -> ProgrammesLoad:
    """Enrol the demo residents, work their visits, vaccinate the children, file reports."""
    del settings
    loader = _Loader(session)
    day = today()
    week_start = day - timedelta(days=day.weekday())
    rows = _records(session)
    for n, (record, person) in enumerate(rows):
        age = records_service.age_on(person.birth_date, day) if person.birth_date else None
        if age is None:
            continue
        _enrol_by_age(loader, record, person, age, n, day, week_start)
    _vaccinate(loader, rows)
    _hospital_reading(session, rows)
    reports = _reports(session, rows)
    _activities(session, rows)
    counts = _task_counts(session, rows)
    return ProgrammesLoad(
        enrolments=loader.enrolled,
        visits_done=loader.done,
        overdue=counts[0],
        due_this_week=counts[1],
        emergencies=loader.emergencies,
        doses=loader.doses,
        reports=reports,
    )


def _enrol_by_age(
    loader: _Loader,
    record: HealthRecord,
    person: Person,
    age: int,
    n: int,
    day: date,
    week_start: date,
) -> None:
    # Three fates of a resident's current visit: overdue, due this week, later.
    fate = n % 3
    stop = day - timedelta(days=20) if fate == 0 else day
    if age <= 6:
        enrolment = loader.enrol(
            record,
            "children",
            days_ago=min((day - person.birth_date).days, 400) if person.birth_date else 0,
        )
        if enrolment:
            loader.work(record, enrolment, stop_before=stop)
        return
    if age >= 35:
        programme = "diabetes" if n % 4 == 1 else "hypertension"
        # Due this week: enrolled 14 days before a day of this week (the first visit's interval).
        days_ago = (
            14 - (week_start + timedelta(days=n % 7) - day).days if fate == 1 else 200 + n * 7
        )
        enrolment = loader.enrol(
            record,
            programme,
            days_ago=days_ago,
            diagnosis="原发性高血压" if programme == "hypertension" else "2型糖尿病",
        )
        if enrolment and fate != 1:
            loader.work(record, enrolment, stop_before=stop, emergency=n % 5 == 0)
    if age >= 65:
        enrolment = loader.enrol(record, "elderly", days_ago=400 + n)
        if enrolment:
            loader.work(record, enrolment, stop_before=stop)
    if person.sex == "2" and 22 <= age <= 38 and n % 2 == 0:
        lmp = day - timedelta(days=150 + n)
        enrolment = loader.enrol(record, "maternal", days_ago=100 + n, lmp=lmp)
        if enrolment:
            loader.work(record, enrolment, stop_before=stop)
    if 18 <= age < 65 and n % 11 == 3:
        enrolment = loader.enrol(record, "mental", days_ago=300, diagnosis="精神分裂症")
        if enrolment:
            loader.work(record, enrolment, stop_before=stop)
    if 18 <= age < 65 and n % 13 == 5:
        start = day - timedelta(days=50)
        enrolment = loader.enrol(
            record, "tuberculosis", days_ago=50, treatment_start=start, diagnosis="继发性肺结核"
        )
        if enrolment:
            loader.work(record, enrolment, stop_before=stop)


def _vaccinate(loader: _Loader, rows: list[tuple[HealthRecord, Person]]) -> None:
    """Doses given on time, except the latest one or two of some children (left overdue)."""
    for n, (record, person) in enumerate(rows):
        if person.birth_date is None or (today() - person.birth_date).days > 6 * 366:
            continue
        actor = _worker(record)
        schedule = programmes.child_schedule(loader.session, actor=actor, person_id=person.id)
        due = [d for d in schedule.doses if d.status in ("due", "overdue")]
        skip = 2 if n % 2 == 0 else 0
        for k, dose in enumerate(due[: len(due) - skip] if skip else due):
            programmes.record_immunisation(
                loader.session,
                actor=actor,
                person_id=person.id,
                vaccine_code=dose.vaccine_code,
                dose_number=dose.dose_number,
                given_on=min(dose.due_date + timedelta(days=k % 5), today()),
                institution_id=record.institution_id,
                lot_number=f"2024{dose.vaccine_code.replace('-', '')}{k:03d}",
                site="left_deltoid" if k % 2 else "right_thigh",
                source="console",
            )
            loader.doses += 1


def _hospital_reading(session: Session, rows: list[tuple[HealthRecord, Person]]) -> None:
    """One hypertensive resident's blood pressure measured at the hospital yesterday: high."""
    hospital = _hospital(session)
    for record, _person in rows:
        enrolments = programmes.enrolments_of(
            session, actor=_worker(record), person_id=record.person_id
        )
        if any(e.programme == "hypertension" and e.status == "active" for e in enrolments):
            programmes.measurement_from_hospital(
                session,
                person_id=record.person_id,
                measured_at=utcnow() - timedelta(days=1),
                institution_id=hospital or record.institution_id,
                source_ref="demo:outpatient-bp-1",
                sbp=184,
                dbp=106,
            )
            return


def _hospital(session: Session) -> int | None:
    hospitals = [i for i in accounts_service.list_all_institutions(session) if i.kind == "hospital"]
    return hospitals[0].id if hospitals else None


def _reports(session: Session, rows: list[tuple[HealthRecord, Person]]) -> int:
    hospital = _hospital(session)
    if hospital is None or len(rows) < 3:
        return 0
    doctor = Principal(
        kind="system", id=0, name="王建国", institution_id=hospital, platform_wide=True
    )
    now = utcnow()
    cases = (
        ("influenza", "clinical", timedelta(hours=5)),
        ("hfmd", "confirmed", timedelta(hours=20)),
        ("tuberculosis", "confirmed", timedelta(hours=9)),
        ("measles", "clinical", timedelta(hours=30)),  # late: more than 24 hours
    )
    for (disease, kind, ago), (_record, person) in zip(cases, rows, strict=False):
        diagnosed: datetime = now - ago
        data = ReportIn(
            person_id=person.id,
            disease_code=disease,
            case_classification=kind,
            onset_on=diagnosed.date() - timedelta(days=2),
            diagnosed_at=diagnosed,
        )
        programmes.file_report(session, actor=doctor, data=data)
    return min(len(cases), len(rows))


def _activities(session: Session, rows: list[tuple[HealthRecord, Person]]) -> None:
    if not rows:
        return
    record, person = rows[0]
    actor = _worker(record)
    day = today()
    programmes.add_education(
        session,
        actor=actor,
        data=EducationIn(
            held_on=day - timedelta(days=6),
            kind="lecture",
            topic="高血压的自我管理与合理用药",
            location="社区活动室",
            audience=46,
        ),
    )
    programmes.add_education(
        session,
        actor=actor,
        data=EducationIn(
            held_on=day - timedelta(days=20),
            kind="bulletin",
            topic="秋冬季流感预防",
            location="中心宣传栏",
            audience=0,
        ),
    )
    hospital = _hospital(session)
    programmes.add_referral(
        session,
        actor=actor,
        data=ReferralIn(
            person_id=person.id,
            direction="up",
            to_institution_id=hospital,
            to_department="心内科",
            urgent=False,
            reason="连续两次血压控制不满意",
            referred_on=day - timedelta(days=3),
        ),
    )
    programmes.add_consultation(
        session,
        actor=actor,
        data=ConsultationIn(
            person_id=person.id,
            held_on=day - timedelta(days=2),
            reason="降压方案调整",
            consultants="王建国（烟台毓璜顶医院心内科）",
            advice="加用缬沙坦 80mg 每日一次，两周后复测血压",
        ),
    )


def _task_counts(session: Session, rows: list[tuple[HealthRecord, Person]]) -> tuple[int, int]:
    overdue = week = 0
    for institution in {r.institution_id for r, _ in rows}:
        actor = Principal(kind="system", id=0, name="demo", institution_id=institution)
        found = programmes.task_list(session, actor=actor, window="week", limit=1)
        overdue += found.counts.overdue
        week += found.counts.this_week
    return overdue, week
