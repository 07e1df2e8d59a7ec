"""The master patient index: persons, the source records institutions registered, identifiers,
review pairs, remembered non-matches and merges (with what is needed to undo them)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from healthcard.core.db import Base, UTCDateTime, utcnow


class Person(Base):
    """One real person (人员主索引). Demographics are those of their most recent record."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | merged
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    sex: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[date | None] = mapped_column(Date)
    id_number_sealed: Mapped[str | None] = mapped_column(Text)
    phone_sealed: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(300))
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    mother_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class PersonRecord(Base):
    """What one institution registered under its own local number; matching compares these."""

    __tablename__ = "person_records"
    __table_args__ = (
        UniqueConstraint("source_system", "local_id"),
        Index("ix_person_records_name_birth", "name_pinyin", "birth_date"),
        Index("ix_person_records_surname_birth", "surname_pinyin", "birth_date"),
        Index("ix_person_records_name_year", "name_pinyin", "birth_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    source_system: Mapped[str] = mapped_column(String(200))
    local_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    name_pinyin: Mapped[str] = mapped_column(String(200))
    surname_pinyin: Mapped[str] = mapped_column(String(60))
    sex: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[date | None] = mapped_column(Date)
    birth_year: Mapped[int | None] = mapped_column(SmallInteger)
    id_type: Mapped[str | None] = mapped_column(String(2))
    id_number_sealed: Mapped[str | None] = mapped_column(Text)
    id_number_index: Mapped[str | None] = mapped_column(String(64), index=True)
    id_valid: Mapped[bool] = mapped_column(Boolean, default=False)
    # The last four characters are shown on every masked display anyway; kept for PDQ search.
    id_last4: Mapped[str | None] = mapped_column(String(4), index=True)
    phone_sealed: Mapped[str | None] = mapped_column(Text)
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    mother_id_number_index: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(10))  # created | matched | review | manual
    match_probability: Mapped[float | None] = mapped_column(Float)
    rule_set: Mapped[str | None] = mapped_column(String(64))
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class PersonIdentifier(Base):
    """An identifier of a person under its system; one value belongs to at most one person."""

    __tablename__ = "person_identifiers"
    __table_args__ = (UniqueConstraint("system", "value_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    system: Mapped[str] = mapped_column(String(200))
    value_sealed: Mapped[str] = mapped_column(Text)
    value_index: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("person_records.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MatchReview(Base):
    """A pair the matcher was unsure about, waiting for a data steward."""

    __tablename__ = "match_reviews"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'same', 'different', 'superseded')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("person_records.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    candidate_person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    candidate_record_id: Mapped[int] = mapped_column(ForeignKey("person_records.id"))
    match_probability: Mapped[float] = mapped_column(Float)
    match_weight: Mapped[float] = mapped_column(Float)
    explanation: Mapped[str] = mapped_column(Text)  # JSON: per-field levels and weights
    rule_set: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class NonMatch(Base):
    """Two persons a steward declared different: never proposed again."""

    __tablename__ = "person_non_matches"
    __table_args__ = (
        UniqueConstraint("low_person_id", "high_person_id"),
        CheckConstraint("low_person_id < high_person_id", name="ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    low_person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    high_person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PersonMerge(Base):
    """A merge of one person into another, with a snapshot that lets it be undone exactly."""

    __tablename__ = "person_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    merged_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    snapshot: Mapped[str] = mapped_column(Text)  # JSON
    reason: Mapped[str] = mapped_column(String(40))  # steward | machine | newborn
    review_id: Mapped[int | None] = mapped_column(ForeignKey("match_reviews.id"))
    merged_by: Mapped[str] = mapped_column(String(200))
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    undone_by: Mapped[str | None] = mapped_column(String(200))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LinkModelVersion(Base):
    """A trained matching model (Splink settings with m/u estimates); one is active."""

    __tablename__ = "link_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(64), unique=True)
    model_json: Mapped[str] = mapped_column(Text)
    trained_on: Mapped[str] = mapped_column(String(300))
    records: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
