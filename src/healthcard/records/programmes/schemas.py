"""API shapes of the public-health programmes, and the follow-up form of each programme (the
fields of the 2017 specification's forms; what is judged from them lives in the rule files)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from healthcard.core.schemas import Out, Schema

Programme = Literal[
    "hypertension", "diabetes", "children", "maternal", "elderly", "mental", "tuberculosis"
]
Level = Literal["good", "fair", "poor"]
Adherence = Literal["regular", "intermittent", "none"]
Note = Field(default=None, max_length=300)


class Medication(Schema):
    name: str = Field(min_length=1, max_length=60)
    dosage: str = Field(default="", max_length=60)


# --- follow-up forms ----------------------------------------------------------------------------


class VisitForm(Schema):
    """What every visit records: when, how (门诊/家庭/电话), a note."""

    done_on: date
    method: Literal["clinic", "home", "phone"] = "clinic"
    note: str | None = Note


class Lifestyle(Schema):
    smoking_per_day: int = Field(default=0, ge=0, le=100)
    drinking_per_day: float = Field(default=0, ge=0, le=50, description="两/日")
    exercise_per_week: int = Field(default=0, ge=0, le=21)
    exercise_minutes: int = Field(default=0, ge=0, le=600)


class HypertensionForm(VisitForm, Lifestyle):
    """高血压患者随访服务记录表."""

    sbp: int | None = Field(default=None, ge=40, le=300)
    dbp: int | None = Field(default=None, ge=20, le=200)
    heart_rate: int | None = Field(default=None, ge=20, le=250)
    weight_kg: float | None = Field(default=None, ge=2, le=300)
    height_cm: float | None = Field(default=None, ge=40, le=250)
    symptoms: list[str] = Field(default=[], max_length=20)
    salt_intake: Literal["light", "moderate", "heavy"] | None = None
    psychological: Level | None = None
    compliance: Level | None = None
    medication_adherence: Adherence = "regular"
    adverse_reaction: bool = False
    adverse_reaction_note: str | None = Note
    new_complication: bool = False
    complication_note: str | None = Note
    medications: list[Medication] = Field(default=[], max_length=10)


class DiabetesForm(HypertensionForm):
    """2型糖尿病患者随访服务记录表."""

    fasting_glucose: float | None = Field(default=None, ge=0.5, le=50, description="mmol/L")
    random_glucose: float | None = Field(default=None, ge=0.5, le=50)
    hba1c: float | None = Field(default=None, ge=2, le=20, description="%")
    foot_pulse: Literal["normal", "weakened", "absent"] | None = None
    staple_food_g: int | None = Field(default=None, ge=0, le=2000)
    hypoglycaemia: Literal["none", "occasional", "frequent"] | None = None
    temperature: float | None = Field(default=None, ge=30, le=45)


class ChildForm(VisitForm):
    """儿童健康检查记录表."""

    weight_kg: float = Field(ge=0.5, le=60)
    height_cm: float = Field(ge=30, le=150)
    head_circumference_cm: float | None = Field(default=None, ge=25, le=60)
    hemoglobin: int | None = Field(default=None, ge=30, le=220, description="g/L")
    development_ok: bool = True
    feeding: Literal["breast", "mixed", "formula", "normal_diet"] | None = None
    illness_since_last: str | None = Note
    guidance: str | None = Note


class MaternalForm(VisitForm):
    """产前随访 / 产后访视记录表."""

    gestational_weeks: int | None = Field(default=None, ge=0, le=45)
    weight_kg: float | None = Field(default=None, ge=30, le=200)
    sbp: int | None = Field(default=None, ge=40, le=300)
    dbp: int | None = Field(default=None, ge=20, le=200)
    hemoglobin: int | None = Field(default=None, ge=30, le=220)
    urine_protein: Literal["-", "+-", "+", "++", "+++"] | None = None
    fundal_height_cm: float | None = Field(default=None, ge=5, le=50)
    fetal_heart_rate: int | None = Field(default=None, ge=60, le=240)
    delivered_on: date | None = None
    guidance: str | None = Note


class ElderlyForm(VisitForm, Lifestyle):
    """老年人健康管理服务（年度）: measurements and the self-care assessment (0–37 points)."""

    sbp: int | None = Field(default=None, ge=40, le=300)
    dbp: int | None = Field(default=None, ge=20, le=200)
    weight_kg: float | None = Field(default=None, ge=20, le=250)
    height_cm: float | None = Field(default=None, ge=100, le=230)
    waist_cm: float | None = Field(default=None, ge=40, le=200)
    fasting_glucose: float | None = Field(default=None, ge=0.5, le=50)
    self_care_score: int = Field(ge=0, le=37)
    cognition_positive: bool = False
    depression_positive: bool = False


class MentalForm(VisitForm):
    """严重精神障碍患者随访服务记录表."""

    risk_level: int = Field(ge=0, le=5)
    insight: Literal["complete", "partial", "none"]
    symptoms: list[str] = Field(default=[], max_length=20)
    sleep: Level | None = None
    social_function_poor: bool = False
    medication_adherence: Adherence | None = None
    adverse_reaction: bool = False
    adverse_reaction_severe: bool = False
    serious_physical_illness: bool = False
    hospitalised_since_last: bool = False
    locked_up: bool = False


class TuberculosisForm(VisitForm):
    """肺结核患者随访服务记录表."""

    supervisor: Literal["doctor", "family", "volunteer", "self"]
    missed_doses: int = Field(ge=0, le=200)
    symptoms: list[str] = Field(default=[], max_length=20)
    adverse_reaction: bool = False
    adverse_reaction_severe: bool = False
    sputum_result: Literal["negative", "positive", "not_done"] | None = None


FORMS: dict[str, type[VisitForm]] = {
    "hypertension": HypertensionForm,
    "diabetes": DiabetesForm,
    "children": ChildForm,
    "maternal": MaternalForm,
    "elderly": ElderlyForm,
    "mental": MentalForm,
    "tuberculosis": TuberculosisForm,
}


# --- API ----------------------------------------------------------------------------------------


class EnrolmentIn(Schema):
    person_id: int
    programme: Programme
    enrolled_on: date | None = None
    diagnosis: str | None = Field(default=None, max_length=200)
    diagnosed_on: date | None = None
    lmp: date | None = Field(default=None, description="末次月经 (maternal)")
    delivered_on: date | None = None
    treatment_start: date | None = Field(default=None, description="开始治疗 (tuberculosis)")


class EndEnrolmentIn(Schema):
    reason: str = Field(min_length=1, max_length=200)
    ended_on: date | None = None


class EnrolmentOut(Out):
    id: int
    person_id: int
    record_id: int
    programme: str
    status: str
    institution_id: int
    team_id: int | None
    responsible_staff_id: int | None
    enrolled_on: date
    detail: dict[str, Any]
    rule_version: str
    ended_on: date | None
    end_reason: str | None


class FollowUpOut(Out):
    id: int
    enrolment_id: int
    person_id: int
    programme: str
    visit_code: str
    institution_id: int
    team_id: int | None
    responsible_staff_id: int | None
    due_date: date
    status: str
    done_on: date | None
    method: str | None
    form: dict[str, Any]
    hospital_measurements: list[dict[str, Any]]
    classification: str | None
    referral: bool
    emergency: bool
    referral_reasons: list[str]
    rule_version: str
    performed_by: str | None


class RecordedOut(Schema):
    """A recorded visit and the one it scheduled next (None when the schedule ends)."""

    followup: FollowUpOut
    next: FollowUpOut | None


class MissedIn(Schema):
    reason: str = Field(min_length=1, max_length=300)


class TaskOut(Schema):
    followup_id: int
    person_id: int
    name: str
    sex: str | None
    birth_date: date | None
    programme: str
    visit_code: str
    due_date: date
    days_overdue: int
    team_id: int | None
    responsible_staff_id: int | None
    emergency: bool


class TaskCountsOut(Schema):
    overdue: int
    this_week: int
    by_programme: dict[str, dict[str, int]]
    by_team: list[dict[str, Any]]


class TaskListOut(Schema):
    items: list[TaskOut]
    total: int
    offset: int
    limit: int
    counts: TaskCountsOut


class ImmunisationIn(Schema):
    person_id: int
    vaccine_code: str = Field(min_length=1, max_length=20)
    dose_number: int = Field(ge=1, le=10)
    given_on: date
    lot_number: str | None = Field(default=None, max_length=50)
    site: str | None = Field(default=None, max_length=30)


class ImmunisationOut(Out):
    id: int
    person_id: int
    vaccine_code: str
    dose_number: int
    given_on: date
    institution_id: int
    lot_number: str | None
    site: str | None
    source: str
    schedule_version: str


class DoseOut(Schema):
    vaccine_code: str
    vaccine_name: str
    dose_number: int
    due_date: date
    due_by: date
    status: Literal["given", "overdue", "due", "upcoming"]
    given_on: date | None


class ScheduleOut(Schema):
    person_id: int
    birth_date: date
    schedule_version: str
    as_of: date
    doses: list[DoseOut]


class ReportIn(Schema):
    person_id: int
    disease_code: str = Field(min_length=1, max_length=30)
    case_classification: str = Field(min_length=1, max_length=20)
    onset_on: date
    diagnosed_at: datetime
    note: str | None = Field(default=None, max_length=500)


class ReportOut(Out):
    id: int
    person_id: int
    institution_id: int
    disease_code: str
    disease_class: str
    managed_as_a: bool
    case_classification: str
    onset_on: date
    diagnosed_at: datetime
    reported_at: datetime
    deadline_at: datetime
    late: bool
    rule_version: str
    reported_by: str
    status: str
    review_note: str | None


class ReviewIn(Schema):
    accept: bool
    note: str | None = Field(default=None, max_length=500)


class EducationIn(Schema):
    held_on: date
    kind: Literal["lecture", "consultation", "bulletin", "media", "other"]
    topic: str = Field(min_length=1, max_length=200)
    location: str | None = Field(default=None, max_length=200)
    audience: int = Field(default=0, ge=0, le=100_000)
    summary: str | None = Field(default=None, max_length=2000)


class EducationOut(Out):
    id: int
    institution_id: int
    held_on: date
    kind: str
    topic: str
    location: str | None
    audience: int
    summary: str | None
    recorded_by: str


class ReferralIn(Schema):
    person_id: int
    direction: Literal["up", "down"]
    to_institution_id: int | None = None
    to_department: str | None = Field(default=None, max_length=100)
    urgent: bool = False
    reason: str = Field(min_length=1, max_length=500)
    referred_on: date
    followup_id: int | None = None


class ReferralOut(Out):
    id: int
    person_id: int
    from_institution_id: int
    to_institution_id: int | None
    to_department: str | None
    direction: str
    urgent: bool
    reason: str
    followup_id: int | None
    referred_on: date
    status: str


class ConsultationIn(Schema):
    person_id: int
    held_on: date
    reason: str = Field(min_length=1, max_length=500)
    consultants: str = Field(min_length=1, max_length=300)
    advice: str = Field(min_length=1, max_length=4000)


class ConsultationOut(Out):
    id: int
    person_id: int
    institution_id: int
    held_on: date
    reason: str
    consultants: str
    advice: str
