"""API shapes of the records domain. Codes are checked against the versioned coded lists in the
service (so a wrong code is a 422 naming the field and the list)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from healthcard.core.schemas import Out, Schema

Code = Field(default=None, max_length=2, pattern=r"^[0-9]{1,2}$")
Codes: list[str] = Field(default_factory=list, max_length=30)
Text = Field(default=None, max_length=200)


class DatedItem(Schema):
    """One line of the past history: a disease (coded), an operation, a trauma, a transfusion."""

    code: str | None = Code
    name: str | None = Field(default=None, max_length=100)
    on: date | None = None


class FamilyHistory(Schema):
    father: list[str] = Codes
    mother: list[str] = Codes
    siblings: list[str] = Codes
    children: list[str] = Codes


class LivingConditions(Schema):
    kitchen_exhaust: str | None = Code
    fuel: str | None = Code
    water: str | None = Code
    toilet: str | None = Code
    livestock: str | None = Code


class RecordFields(Schema):
    """The basic-information form (个人基本信息表) beyond identity, which the MPI holds."""

    address: str | None = Field(default=None, max_length=300)
    residence_type: str | None = Code
    ethnicity: str | None = Code
    abo_blood_type: str | None = Code
    rh_blood_type: str | None = Code
    education: str | None = Code
    occupation: str | None = Code
    marital_status: str | None = Code
    work_unit: str | None = Text
    contact_name: str | None = Field(default=None, max_length=100)
    contact_phone: str | None = Field(default=None, max_length=20, pattern=r"^[0-9+\- ]{5,20}$")
    payment_methods: list[str] = Codes
    drug_allergies: list[str] = Codes
    exposures: list[str] = Codes
    past_diseases: list[DatedItem] = Field(default_factory=list, max_length=30)
    operations: list[DatedItem] = Field(default_factory=list, max_length=30)
    traumas: list[DatedItem] = Field(default_factory=list, max_length=30)
    transfusions: list[DatedItem] = Field(default_factory=list, max_length=30)
    family_history: FamilyHistory = Field(default_factory=FamilyHistory)
    genetic_disease: str | None = Field(default=None, max_length=100)
    disabilities: list[str] = Codes
    living_conditions: LivingConditions = Field(default_factory=LivingConditions)


class RecordIn(RecordFields):
    """A new record. The 12-digit area (county 6 + township 3 + village 3) names the number."""

    person_id: int
    area_code: str | None = Field(default=None, pattern=r"^[0-9]{12}$")
    family_id: int | None = None
    team_id: int | None = None
    responsible_staff_id: int | None = None
    established_on: date | None = None


class RecordOut(Out):
    id: int
    record_number: str
    person_id: int
    institution_id: int
    team_id: int | None
    responsible_staff_id: int | None
    family_id: int | None
    status: str
    area_code: str
    address: str | None
    ethnicity: str | None
    abo_blood_type: str | None
    rh_blood_type: str | None
    education: str | None
    occupation: str | None
    marital_status: str | None
    work_unit: str | None
    contact_name: str | None
    form: dict[str, Any]
    form_version: str | None
    established_on: date
    established_by: str
    termination_reason: str | None
    terminated_on: date | None
    termination_note: str | None
    moved_to: str | None
    created_at: datetime
    updated_at: datetime


class RecordListItem(Schema):
    id: int
    record_number: str
    person_id: int
    name: str
    sex: str | None
    birth_date: date | None
    status: str
    team_id: int | None
    responsible_staff_id: int | None


class AssignIn(Schema):
    team_id: int | None = None
    responsible_staff_id: int | None = None


class TerminationIn(Schema):
    reason: Literal["death", "moved", "lost", "refused", "other"]
    on: date
    note: str | None = Field(default=None, max_length=300)
    moved_to: str | None = Field(default=None, max_length=300)


# --- families ----------------------------------------------------------------------------------


class RelationshipIn(Schema):
    relationship: str = Field(pattern=r"^[0-9]{2}$", description="GB/T 4761 code")


class MemberIn(Schema):
    person_id: int
    relationship: str = Field(pattern=r"^[0-9]{2}$", description="GB/T 4761 code")


class FamilyIn(Schema):
    address: str = Field(min_length=2, max_length=300)
    area_code: str | None = Field(default=None, pattern=r"^[0-9]{12}$")
    head_person_id: int
    members: list[MemberIn] = Field(default_factory=list, max_length=30)
    living_conditions: LivingConditions = Field(default_factory=LivingConditions)


class FamilyUpdate(Schema):
    address: str | None = Field(default=None, min_length=2, max_length=300)
    head_person_id: int | None = None
    former_head_relationship: str | None = Field(default=None, pattern=r"^[0-9]{2}$")
    living_conditions: LivingConditions | None = None


class MemberOut(Schema):
    person_id: int
    name: str
    sex: str | None
    birth_date: date | None
    relationship: str
    relationship_label: str
    record_id: int | None
    record_number: str | None


class FamilyOut(Schema):
    id: int
    family_number: str
    institution_id: int
    head_person_id: int | None
    address: str
    area_code: str | None
    living_conditions: dict[str, Any]
    members: list[MemberOut]


# --- examinations ------------------------------------------------------------------------------


class BloodPressure(Schema):
    sbp: int
    dbp: int


class Vitals(Schema):
    temperature: float | None = None
    pulse: int | None = None
    respiration: int | None = None
    bp_left: BloodPressure | None = None
    bp_right: BloodPressure | None = None
    height_cm: float | None = None
    weight_kg: float | None = None
    waist_cm: float | None = None


class Lifestyle(Schema):
    exercise_frequency: str | None = Code
    exercise_minutes: int | None = Field(default=None, ge=0, le=600)
    diet: list[str] = Codes
    smoking: str | None = Code
    cigarettes_per_day: int | None = Field(default=None, ge=0, le=200)
    drinking: str | None = Code


class OrganFunction(Schema):
    vision_left: float | None = Field(default=None, ge=0, le=5.3)
    vision_right: float | None = Field(default=None, ge=0, le=5.3)
    hearing: str | None = Code
    motor: str | None = Code


class Finding(Schema):
    result: str = Field(pattern=r"^[12]$", description="1 未见异常 2 异常")
    note: str | None = Field(default=None, max_length=200)


class ExamIn(Schema):
    exam_date: date
    symptoms: list[str] = Codes
    vitals: Vitals = Field(default_factory=Vitals)
    lifestyle: Lifestyle = Field(default_factory=Lifestyle)
    organ_function: OrganFunction = Field(default_factory=OrganFunction)
    findings: dict[str, Finding] = Field(default_factory=dict)
    assessment: str | None = Code
    abnormalities: list[str] = Field(default_factory=list, max_length=10)
    guidance: list[str] = Codes
    risk_control: list[str] = Codes
    note: str | None = Field(default=None, max_length=500)


class ExamOut(Out):
    id: int
    record_id: int
    exam_date: date
    institution_id: int
    examiner_name: str
    form: dict[str, Any]
    bmi: float | None
    form_version: str
    created_at: datetime


# --- teams -------------------------------------------------------------------------------------


class TeamIn(Schema):
    name: str = Field(min_length=2, max_length=100)
    area_code: str | None = Field(default=None, pattern=r"^[0-9]{12}$")
    leader_id: int | None = None


class TeamMemberIn(Schema):
    staff_id: int
    role: Literal["leader", "doctor", "nurse", "public_health", "member"] = "member"


class TeamOut(Out):
    id: int
    institution_id: int
    name: str
    leader_id: int | None
    area_code: str | None
    active: bool


# --- access ------------------------------------------------------------------------------------


class ConsentIn(Schema):
    institution_id: int
    granted_by: str = Field(min_length=1, max_length=100)
    expires_on: date | None = None


class ConsentOut(Out):
    id: int
    person_id: int
    institution_id: int
    granted_by: str
    scope: str
    expires_at: datetime
    recorded_by: str
    recorded_at: datetime
    revoked_at: datetime | None


class BreakGlassIn(Schema):
    person_id: int
    reason: str = Field(min_length=10, max_length=500)
    hours: int = Field(default=4, ge=1, le=72)


class BreakGlassOut(Out):
    id: int
    person_id: int
    staff_id: int
    staff_name: str
    institution_id: int | None
    reason: str
    started_at: datetime
    expires_at: datetime
    reads: int
    reviewed_at: datetime | None
    reviewed_by: str | None
    review_note: str | None


class ReviewIn(Schema):
    note: str = Field(min_length=1, max_length=500)


# --- migration ---------------------------------------------------------------------------------


class MigrationIn(Schema):
    """A request to move a record here (another institution) or to a team of this institution."""

    record_number: str = Field(pattern=r"^[0-9]{17}$")
    to_team_id: int | None = None
    reason: str = Field(min_length=2, max_length=300)
    consent_by: str = Field(min_length=1, max_length=100)
    consent_on: date


class AnswerIn(Schema):
    note: str | None = Field(default=None, max_length=300)


class RefuseIn(Schema):
    note: str = Field(min_length=2, max_length=300)


class StepOut(Out):
    step: str
    status_after: str
    actor_name: str
    institution_id: int | None
    note: str | None
    occurred_at: datetime


class MigrationOut(Out):
    id: int
    record_id: int
    kind: str
    status: str
    from_institution_id: int
    to_institution_id: int
    to_team_id: int | None
    from_county: str
    to_county: str
    reason: str
    consent_by: str
    consent_on: date
    answer_due_at: datetime | None
    source_bureau_approved: bool
    target_bureau_approved: bool
    requested_at: datetime
    closed_at: datetime | None


class MigrationDetail(MigrationOut):
    steps: list[StepOut]


# --- coverage ----------------------------------------------------------------------------------


class PopulationIn(Schema):
    institution_id: int
    year: int = Field(ge=2000, le=2100)
    population: int = Field(gt=0, le=10_000_000)
    source: str = Field(min_length=2, max_length=200)
