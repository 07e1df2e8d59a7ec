"""The resident's record timeline and the clinical documents hospitals push over FHIR
(其他医疗卫生服务记录): encounters, diagnoses, observations, reports, prescriptions, immunisations.

Each clinical table keeps the validated FHIR resource as sent (``resource``) plus the columns that
are searched. A resource is known by the identifier the hospital gave it (``source_system`` +
``source_id``, unique per institution), so sending it again updates the row instead of adding one.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from healthcard.core.db import Base, BigIntPK, UTCDateTime, utcnow

EVENT_KINDS = (
    "encounter",
    "condition",
    "observation",
    "report",
    "medication",
    "discharge",
    "immunization",
    "exam",
    "followup",
    "enrolment",
    "migration",
    "termination",
    "referral",
    "consultation",
    "education",
)


class RecordEvent(Base):
    """One entry of a resident's record timeline, written by whichever part did the thing."""

    __tablename__ = "record_events"
    __table_args__ = (
        # The timeline is one index range scan: a person's rows, newest first, id breaking ties.
        Index("ix_record_events_person_time", "person_id", "occurred_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    kind: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    title: Mapped[str] = mapped_column(String(200))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    # Which part wrote it (fhir, records, programmes ...) and what it points at there
    # ("Encounter/12", "followup/40"), so the entry can link to its source.
    source: Mapped[str] = mapped_column(String(40))
    ref: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ClinicalDocument(Base):
    """Columns every pushed FHIR resource has: who it is about, who sent it, under which id."""

    __abstract__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    source_system: Mapped[str] = mapped_column(String(200))
    source_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    # The resource as validated and stored (ids and references rewritten to this server's).
    resource: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("record_events.id"))
    submitted_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


def _source_unique(table: str) -> UniqueConstraint:
    return UniqueConstraint(
        "institution_id", "source_system", "source_id", name=f"uq_{table}_source"
    )


class ClinicalEncounter(ClinicalDocument):
    """A visit: outpatient (AMB), emergency (EMER) or inpatient stay (IMP) at a hospital."""

    __tablename__ = "clinical_encounters"
    __table_args__ = (_source_unique("clinical_encounters"),)

    class_code: Mapped[str] = mapped_column(String(10))
    type_text: Mapped[str | None] = mapped_column(String(200))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ClinicalCondition(ClinicalDocument):
    """A diagnosis coded in ICD-10 (international or the Chinese GB/T 14396 edition)."""

    __tablename__ = "clinical_conditions"
    __table_args__ = (
        _source_unique("clinical_conditions"),
        Index("ix_clinical_conditions_person_code", "person_id", "code"),
    )

    code_system: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(20))
    display: Mapped[str | None] = mapped_column(String(200))
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("clinical_encounters.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ClinicalObservation(ClinicalDocument):
    """A measurement or lab result (LOINC or a local code), with its components for panels."""

    __tablename__ = "clinical_observations"
    __table_args__ = (
        _source_unique("clinical_observations"),
        Index("ix_clinical_observations_person_code", "person_id", "code"),
    )

    code_system: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(40))
    display: Mapped[str | None] = mapped_column(String(200))
    value: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    unit: Mapped[str | None] = mapped_column(String(40))
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("clinical_encounters.id"))
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ClinicalReport(ClinicalDocument):
    """A diagnostic report; a discharge summary (LOINC 18842-5) is kept as kind ``discharge``."""

    __tablename__ = "clinical_reports"
    __table_args__ = (
        _source_unique("clinical_reports"),
        CheckConstraint("kind IN ('report', 'discharge')", name="kind"),
    )

    kind: Mapped[str] = mapped_column(String(10))
    code_system: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(40))
    display: Mapped[str | None] = mapped_column(String(200))
    conclusion: Mapped[str | None] = mapped_column(Text)
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("clinical_encounters.id"))
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ClinicalMedicationRequest(ClinicalDocument):
    """A prescription."""

    __tablename__ = "clinical_medication_requests"
    __table_args__ = (_source_unique("clinical_medication_requests"),)

    code_system: Mapped[str | None] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(40))
    display: Mapped[str] = mapped_column(String(200))
    dosage_text: Mapped[str | None] = mapped_column(String(300))
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("clinical_encounters.id"))
    authored_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ClinicalImmunization(ClinicalDocument):
    """A vaccination reported by an institution; the programme's own row is ``immunisation_id``."""

    __tablename__ = "clinical_immunizations"
    __table_args__ = (_source_unique("clinical_immunizations"),)

    vaccine_code: Mapped[str] = mapped_column(String(40))
    dose_number: Mapped[int] = mapped_column(Integer)
    given_on: Mapped[date] = mapped_column(Date)
    lot_number: Mapped[str | None] = mapped_column(String(40))
    # The immunisation row of the programmes part (no foreign key: that table lives in a
    # sibling migration branch; the service writes both in one transaction).
    immunisation_id: Mapped[int | None] = mapped_column(Integer)
