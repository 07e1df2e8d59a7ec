"""Resident health records (居民健康档案): doctor teams, families and their members, the one record
per resident with its basic-information form, and the counters that number records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from healthcard.core.db import Base, UTCDateTime, utcnow

RECORD_STATES = ("active", "migrating", "terminated")


class DoctorTeam(Base):
    """A family-doctor team of an institution (家庭医生团队); village doctors are teams of one."""

    __tablename__ = "doctor_teams"
    __table_args__ = (UniqueConstraint("institution_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    # Village or neighbourhood committee served (the 12-digit division code), when there is one.
    area_code: Mapped[str | None] = mapped_column(String(12))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DoctorTeamMember(Base):
    """A staff member of a doctor team."""

    __tablename__ = "doctor_team_members"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("doctor_teams.id", ondelete="CASCADE"), primary_key=True
    )
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), default="member")  # leader | doctor | nurse ...


class Family(Base):
    """A household (家庭档案), kept by the institution where it lives."""

    __tablename__ = "families"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_number: Mapped[str] = mapped_column(String(20), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    head_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    address: Mapped[str] = mapped_column(String(300))
    area_code: Mapped[str | None] = mapped_column(String(12))  # 12-digit division code
    # Housing and living conditions of the household (type, kitchen exhaust, fuel, water, toilet,
    # livestock), as coded on the form.
    living_conditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class FamilyMember(Base):
    """A person in a household with the relationship to its head (GB/T 4761)."""

    __tablename__ = "family_members"
    # A person lives in one household at a time.
    __table_args__ = (UniqueConstraint("person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    relationship: Mapped[str] = mapped_column(String(2))  # GB/T 4761 code, "02" spouse ...
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RecordNumberCounter(Base):
    """The next 5-digit personal sequence under a 12-digit area prefix (county+township+village)."""

    __tablename__ = "record_number_counters"

    area_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    last_sequence: Mapped[int] = mapped_column(Integer, default=0)


class HealthRecord(Base):
    """The one lifelong health record of a resident (居民健康档案) with its basic-information form
    (个人基本信息表). Name, sex, birth date and ID number stay in the master patient index."""

    __tablename__ = "health_records"
    __table_args__ = (
        # One record per resident, enforced by the database.
        UniqueConstraint("person_id"),
        CheckConstraint("status IN ('active', 'migrating', 'terminated')", name="status"),
        CheckConstraint(
            "termination_reason IS NULL OR termination_reason IN "
            "('death', 'moved', 'lost', 'refused', 'other')",
            name="termination_reason",
        ),
        Index("ix_health_records_institution_status", "institution_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_number: Mapped[str] = mapped_column(String(17), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("doctor_teams.id"), index=True)
    responsible_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id"), index=True
    )
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="active")
    area_code: Mapped[str] = mapped_column(String(12))
    address: Mapped[str | None] = mapped_column(String(300))
    # Coded fields of the basic-information form (WS 365 / 2017 specification codes).
    ethnicity: Mapped[str | None] = mapped_column(String(2))  # GB 3304
    abo_blood_type: Mapped[str | None] = mapped_column(String(1))  # 1 A 2 B 3 O 4 AB 5 unknown
    rh_blood_type: Mapped[str | None] = mapped_column(String(1))  # 1 negative 2 positive 3 unknown
    education: Mapped[str | None] = mapped_column(String(2))
    occupation: Mapped[str | None] = mapped_column(String(2))
    marital_status: Mapped[str | None] = mapped_column(String(2))
    work_unit: Mapped[str | None] = mapped_column(String(200))
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone_sealed: Mapped[str | None] = mapped_column(Text)
    # Lists of the form: payment methods, drug allergies, exposures, past history (diseases,
    # operations, trauma, transfusions), family history, genetic disease, disabilities.
    form: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    established_on: Mapped[date] = mapped_column(Date)
    established_by: Mapped[str] = mapped_column(String(200))
    termination_reason: Mapped[str | None] = mapped_column(String(10))
    terminated_on: Mapped[date | None] = mapped_column(Date)
    termination_note: Mapped[str | None] = mapped_column(String(300))
    moved_to: Mapped[str | None] = mapped_column(String(300))
    # Version of the coded lists (records/data/codes.json) the form was validated against.
    form_version: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class HealthExam(Base):
    """A health examination (健康体检表) of a record: the form, with the BMI computed."""

    __tablename__ = "health_exams"
    __table_args__ = (Index("ix_health_exams_record_date", "record_id", "exam_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("health_records.id"))
    exam_date: Mapped[date] = mapped_column(Date)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    examiner_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    examiner_name: Mapped[str] = mapped_column(String(100))
    # Symptoms, vitals, lifestyle, organ function, findings, assessment and guidance.
    form: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    bmi: Mapped[float | None] = mapped_column(Float)
    form_version: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RecordConsent(Base):
    """A resident's consent that another institution may read their shared record."""

    __tablename__ = "record_consents"
    __table_args__ = (
        Index("ix_record_consents_person_institution", "person_id", "institution_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    granted_by: Mapped[str] = mapped_column(String(100))  # the resident or their guardian
    scope: Mapped[str] = mapped_column(String(20), default="read")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(200))


class BreakGlassAccess(Base):
    """An emergency read of a resident's record without presence or consent (破窗), reviewed by
    the auditor."""

    __tablename__ = "record_break_glass"
    __table_args__ = (Index("ix_record_break_glass_person_staff", "person_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    staff_name: Mapped[str] = mapped_column(String(100))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    reason: Mapped[str] = mapped_column(String(500))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reads: Mapped[int] = mapped_column(Integer, default=0)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    review_note: Mapped[str | None] = mapped_column(String(500))


MIGRATION_STATES = (
    "requested",  # waiting for the institution holding the record
    "escalated",  # not answered in time: the district health bureau decides
    "bureau_review",  # across districts: both bureaus approve
    "completed",
    "refused",
    "cancelled",
)


class RecordMigration(Base):
    """Moving a record to another team or institution (档随人走); each step is a row below."""

    __tablename__ = "record_migrations"
    __table_args__ = (
        CheckConstraint("kind IN ('team', 'region', 'district')", name="kind"),
        CheckConstraint(
            "status IN ('requested', 'escalated', 'bureau_review', 'completed', 'refused', "
            "'cancelled')",
            name="status",
        ),
        # At most one open migration per record.
        Index(
            "uq_record_migrations_open",
            "record_id",
            unique=True,
            sqlite_where=text("status IN ('requested', 'escalated', 'bureau_review')"),
            postgresql_where=text("status IN ('requested', 'escalated', 'bureau_review')"),
        ),
        Index("ix_record_migrations_status_due", "status", "answer_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("health_records.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(14))
    from_institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    to_institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    to_team_id: Mapped[int | None] = mapped_column(ForeignKey("doctor_teams.id"))
    from_county: Mapped[str] = mapped_column(String(6))
    to_county: Mapped[str] = mapped_column(String(6))
    reason: Mapped[str] = mapped_column(String(300))
    consent_by: Mapped[str] = mapped_column(String(100))  # who consented: resident or guardian
    consent_on: Mapped[date] = mapped_column(Date)
    answer_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    source_bureau_approved: Mapped[bool] = mapped_column(Boolean, default=False)
    target_bureau_approved: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MigrationStep(Base):
    """One step of a migration with its actor and time."""

    __tablename__ = "record_migration_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    migration_id: Mapped[int] = mapped_column(ForeignKey("record_migrations.id"), index=True)
    step: Mapped[str] = mapped_column(String(24))
    status_after: Mapped[str] = mapped_column(String(14))
    actor_name: Mapped[str] = mapped_column(String(200))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    note: Mapped[str | None] = mapped_column(String(300))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ServicePopulation(Base):
    """The resident population an institution serves in a year (辖区常住人口, from statistics):
    the denominator of the record coverage rate (建档率)."""

    __tablename__ = "record_service_populations"
    __table_args__ = (
        UniqueConstraint("institution_id", "year"),
        CheckConstraint("population > 0", name="positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    year: Mapped[int] = mapped_column(Integer)
    population: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
