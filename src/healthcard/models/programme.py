"""Public-health programmes (重点人群管理): enrolments, scheduled follow-ups and checks,
immunisations, notifiable infectious-disease reports, health education, referrals and
consultations. Every computed value keeps the id of the rule version it came from."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from healthcard.core.db import Base, BigIntPK, UTCDateTime, utcnow

PROGRAMMES = (
    "hypertension",
    "diabetes",
    "children",
    "maternal",
    "elderly",
    "mental",
    "tuberculosis",
)
FOLLOWUP_STATES = ("due", "done", "missed", "cancelled")

_DUE = text("status = 'due'")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class ProgrammeEnrolment(Base):
    """A resident managed in one programme (纳入管理), kept by the record's institution and team."""

    __tablename__ = "programme_enrolments"
    __table_args__ = (
        CheckConstraint(_in("programme", PROGRAMMES), name="programme"),
        CheckConstraint("status IN ('active', 'ended')", name="status"),
        # One open enrolment per resident and programme.
        Index(
            "uq_programme_enrolments_active",
            "person_id",
            "programme",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_programme_enrolments_institution", "institution_id", "programme", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("health_records.id"), index=True)
    programme: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="active")
    # Copied from the health record; kept in step by reassign_record when the record moves.
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("doctor_teams.id"))
    responsible_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    enrolled_on: Mapped[date] = mapped_column(Date)
    # What the schedule starts from: diagnosis date, last menstrual period, treatment start ...
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rule_version: Mapped[str] = mapped_column(String(40))
    enrolled_by: Mapped[str] = mapped_column(String(200))
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FollowUp(Base):
    """One scheduled visit or check of an enrolment (随访 / 体检), with its form once done.

    The institution, team and responsible staff are denormalised from the health record so that
    task lists are one index range scan: partial indexes on due rows, covering the programme and
    team so that the counts are index-only scans on PostgreSQL."""

    __tablename__ = "programme_followups"
    __table_args__ = (
        CheckConstraint(_in("status", FOLLOWUP_STATES), name="status"),
        CheckConstraint(_in("programme", PROGRAMMES), name="programme"),
        Index(
            "ix_programme_followups_due_institution",
            "institution_id",
            "due_date",
            sqlite_where=_DUE,
            postgresql_where=_DUE,
            postgresql_include=["programme", "team_id"],
        ),
        Index(
            "ix_programme_followups_due_team",
            "team_id",
            "due_date",
            sqlite_where=_DUE,
            postgresql_where=_DUE,
            postgresql_include=["institution_id", "programme"],
        ),
        Index(
            "ix_programme_followups_due_staff",
            "responsible_staff_id",
            "due_date",
            sqlite_where=_DUE,
            postgresql_where=_DUE,
            postgresql_include=["institution_id", "programme", "team_id"],
        ),
        Index("ix_programme_followups_enrolment", "enrolment_id", "due_date"),
        Index("ix_programme_followups_person", "person_id", "due_date"),
        Index("ix_programme_followups_record", "record_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("programme_enrolments.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    record_id: Mapped[int] = mapped_column(ForeignKey("health_records.id"))
    programme: Mapped[str] = mapped_column(String(20))
    # The schedule item: "visit" for interval follow-ups, or a check code such as "m3", "anc2".
    visit_code: Mapped[str] = mapped_column(String(20))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("doctor_teams.id"))
    responsible_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="due")
    done_on: Mapped[date | None] = mapped_column(Date)
    method: Mapped[str | None] = mapped_column(String(10))  # clinic | home | phone
    form: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Measurements taken at hospitals before the visit (a BP measured at hospital counts).
    hospital_measurements: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    classification: Mapped[str | None] = mapped_column(String(20))
    # Referral advised (连续控制不满意, 并发症 ...); emergency: refer at once (SBP >= 180 ...).
    referral: Mapped[bool] = mapped_column(Boolean, default=False)
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    referral_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    rule_version: Mapped[str] = mapped_column(String(40))
    performed_by: Mapped[str | None] = mapped_column(String(200))
    performed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    note: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Immunisation(Base):
    """One vaccine dose given (预防接种记录), against the national schedule version in force."""

    __tablename__ = "immunisations"
    __table_args__ = (
        UniqueConstraint("person_id", "vaccine_code", "dose_number"),
        CheckConstraint("dose_number >= 1", name="dose_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    vaccine_code: Mapped[str] = mapped_column(String(20))
    dose_number: Mapped[int] = mapped_column(Integer)
    given_on: Mapped[date] = mapped_column(Date)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    lot_number: Mapped[str | None] = mapped_column(String(50))
    site: Mapped[str | None] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(20))  # console | api | fhir
    schedule_version: Mapped[str] = mapped_column(String(40))
    recorded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InfectiousReport(Base):
    """A notifiable infectious-disease report (传染病报告卡) with its computed deadline."""

    __tablename__ = "infectious_reports"
    __table_args__ = (
        CheckConstraint("disease_class IN ('A', 'B', 'C')", name="disease_class"),
        CheckConstraint("status IN ('submitted', 'accepted', 'returned')", name="status"),
        Index("ix_infectious_reports_institution", "institution_id", "reported_at"),
        Index("ix_infectious_reports_late", "late", "reported_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    disease_code: Mapped[str] = mapped_column(String(30))
    disease_class: Mapped[str] = mapped_column(String(1))
    managed_as_a: Mapped[bool] = mapped_column(Boolean, default=False)
    case_classification: Mapped[str] = mapped_column(String(20))
    onset_on: Mapped[date] = mapped_column(Date)
    diagnosed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime())
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    rule_version: Mapped[str] = mapped_column(String(40))
    reported_by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default="submitted")
    review_note: Mapped[str | None] = mapped_column(String(500))
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class HealthEducation(Base):
    """A health-education activity of an institution (健康教育活动)."""

    __tablename__ = "health_education_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))  # lecture | consultation | bulletin | media
    topic: Mapped[str] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(String(200))
    audience: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Referral(Base):
    """A two-way referral (双向转诊) of a resident, possibly raised by a follow-up."""

    __tablename__ = "programme_referrals"
    __table_args__ = (
        CheckConstraint("direction IN ('up', 'down')", name="direction"),
        CheckConstraint("status IN ('sent', 'received', 'closed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    from_institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    to_institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    to_department: Mapped[str | None] = mapped_column(String(100))
    direction: Mapped[str] = mapped_column(String(4))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(500))
    followup_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("programme_followups.id"))
    referred_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="sent")
    recorded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Consultation(Base):
    """A consultation (会诊) about a resident: the question and the advice given."""

    __tablename__ = "programme_consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500))
    consultants: Mapped[str] = mapped_column(String(300))
    advice: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
