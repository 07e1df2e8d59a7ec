"""All SQL of the identity domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from healthcard.core.db import table_of
from healthcard.models import (
    LinkModelVersion,
    MatchReview,
    NonMatch,
    Person,
    PersonIdentifier,
    PersonMerge,
    PersonRecord,
)


def get_person(session: Session, person_id: int) -> Person | None:
    return session.get(Person, person_id)


def greeting_rows(session: Session, person_ids: Sequence[int]) -> Sequence[Any]:
    """What a greeting needs of several persons, in one statement (not the whole rows)."""
    if not person_ids:
        return []
    ids = sorted(set(person_ids))
    return session.connection().execute(_GREETING_ROWS, {"ids": ids}).all()


_PERSONS = table_of(Person)
_GREETING_ROWS = select(
    _PERSONS.c.id,
    _PERSONS.c.name,
    _PERSONS.c.sex,
    _PERSONS.c.birth_date,
    _PERSONS.c.id_number_sealed,
).where(_PERSONS.c.id.in_(bindparam("ids", expanding=True)))


def record_by_local(session: Session, system: str, local_id: str) -> PersonRecord | None:
    return session.execute(
        select(PersonRecord).where(
            PersonRecord.source_system == system, PersonRecord.local_id == local_id
        )
    ).scalar_one_or_none()


def get_record(session: Session, record_id: int) -> PersonRecord | None:
    return session.get(PersonRecord, record_id)


def records_of(session: Session, person_id: int) -> Sequence[PersonRecord]:
    return (
        session.execute(
            select(PersonRecord)
            .where(PersonRecord.person_id == person_id)
            .order_by(PersonRecord.updated_at.desc(), PersonRecord.id.desc())
        )
        .scalars()
        .all()
    )


def identifiers_of(session: Session, person_id: int) -> Sequence[PersonIdentifier]:
    return (
        session.execute(
            select(PersonIdentifier)
            .where(PersonIdentifier.person_id == person_id)
            .order_by(PersonIdentifier.id)
        )
        .scalars()
        .all()
    )


def identifier(session: Session, system: str, value_index: str) -> PersonIdentifier | None:
    return session.execute(
        select(PersonIdentifier).where(
            PersonIdentifier.system == system, PersonIdentifier.value_index == value_index
        )
    ).scalar_one_or_none()


def identifiers_by_index(session: Session, value_index: str) -> Sequence[PersonIdentifier]:
    return (
        session.execute(select(PersonIdentifier).where(PersonIdentifier.value_index == value_index))
        .scalars()
        .all()
    )


def candidate_records(
    session: Session,
    *,
    id_index: str | None,
    phone_index: str | None,
    name_pinyin: str | None,
    surname_pinyin: str | None,
    birth_date: date | None,
    limit: int = 200,
) -> Sequence[PersonRecord]:
    """Records sharing a blocking key with the new one (indexed look-ups only)."""
    keys = []
    if id_index:
        keys.append(PersonRecord.id_number_index == id_index)
    if phone_index:
        keys.append(PersonRecord.phone_index == phone_index)
    if name_pinyin and birth_date:
        keys.append(
            (PersonRecord.name_pinyin == name_pinyin) & (PersonRecord.birth_date == birth_date)
        )
        keys.append(
            (PersonRecord.name_pinyin == name_pinyin) & (PersonRecord.birth_year == birth_date.year)
        )
    if surname_pinyin and birth_date:
        keys.append(
            (PersonRecord.surname_pinyin == surname_pinyin)
            & (PersonRecord.birth_date == birth_date)
        )
    if not keys:
        return []
    stmt = (
        select(PersonRecord)
        .join(Person, Person.id == PersonRecord.person_id)
        .where(Person.status == "active", or_(*keys))
        .limit(limit)
    )
    return session.execute(stmt).scalars().all()


def search_records(
    session: Session,
    *,
    name_pinyin: str | None,
    sex: str | None,
    birth_date: date | None,
    phone_index: str | None,
    id_suffix: str | None,
    place: str | None,
    limit: int,
) -> Sequence[PersonRecord]:
    """Demographic search (PDQ) over active persons' records; every given filter must hold."""
    stmt = select(PersonRecord).join(Person, Person.id == PersonRecord.person_id)
    stmt = stmt.where(Person.status == "active")
    if name_pinyin:
        stmt = stmt.where(PersonRecord.name_pinyin == name_pinyin)
    if sex:
        stmt = stmt.where(PersonRecord.sex == sex)
    if birth_date:
        stmt = stmt.where(PersonRecord.birth_date == birth_date)
    if phone_index:
        stmt = stmt.where(PersonRecord.phone_index == phone_index)
    if id_suffix:
        stmt = stmt.where(PersonRecord.id_last4 == id_suffix[-4:].upper())
    if place:
        stmt = stmt.where(PersonRecord.address.contains(place, autoescape=True))
    return session.execute(stmt.order_by(PersonRecord.person_id).limit(limit)).scalars().all()


def is_non_match(session: Session, a: int, b: int) -> bool:
    low, high = min(a, b), max(a, b)
    return (
        session.execute(
            select(NonMatch.id).where(
                NonMatch.low_person_id == low, NonMatch.high_person_id == high
            )
        ).first()
        is not None
    )


def add_non_match(session: Session, a: int, b: int, decided_by: str) -> None:
    if not is_non_match(session, a, b):
        session.add(
            NonMatch(low_person_id=min(a, b), high_person_id=max(a, b), decided_by=decided_by)
        )
        session.flush()


def remove_non_match(session: Session, a: int, b: int) -> None:
    row = session.execute(
        select(NonMatch).where(
            NonMatch.low_person_id == min(a, b), NonMatch.high_person_id == max(a, b)
        )
    ).scalar_one_or_none()
    if row is not None:
        session.delete(row)
        session.flush()


def pending_reviews(session: Session, *, offset: int, limit: int) -> tuple[list[MatchReview], int]:
    stmt = select(MatchReview).where(MatchReview.status == "pending")
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(
        stmt.order_by(MatchReview.match_probability.desc(), MatchReview.id)
        .offset(offset)
        .limit(limit)
    ).scalars()
    return list(rows), int(total)


def get_review(session: Session, review_id: int) -> MatchReview | None:
    return session.get(MatchReview, review_id)


def pending_reviews_of(session: Session, person_id: int) -> Sequence[MatchReview]:
    return (
        session.execute(
            select(MatchReview).where(
                MatchReview.status == "pending",
                or_(
                    MatchReview.person_id == person_id, MatchReview.candidate_person_id == person_id
                ),
            )
        )
        .scalars()
        .all()
    )


def get_merge(session: Session, merge_id: int) -> PersonMerge | None:
    return session.get(PersonMerge, merge_id)


def merges_of(session: Session, person_id: int) -> Sequence[PersonMerge]:
    return (
        session.execute(
            select(PersonMerge)
            .where(or_(PersonMerge.survivor_id == person_id, PersonMerge.merged_id == person_id))
            .order_by(PersonMerge.id.desc())
        )
        .scalars()
        .all()
    )


def later_merges(session: Session, merge: PersonMerge) -> int:
    """Active merges after ``merge`` that involve either of its persons."""
    ids = (merge.survivor_id, merge.merged_id)
    return int(
        session.execute(
            select(func.count())
            .select_from(PersonMerge)
            .where(
                PersonMerge.id > merge.id,
                PersonMerge.undone_at.is_(None),
                or_(PersonMerge.survivor_id.in_(ids), PersonMerge.merged_id.in_(ids)),
            )
        ).scalar_one()
    )


def active_model(session: Session) -> LinkModelVersion | None:
    return session.execute(
        select(LinkModelVersion).where(LinkModelVersion.active.is_(True))
    ).scalar_one_or_none()


def active_model_version(session: Session) -> str | None:
    return session.execute(
        select(LinkModelVersion.version).where(LinkModelVersion.active.is_(True))
    ).scalar_one_or_none()


def model_by_version(session: Session, version: str) -> LinkModelVersion | None:
    return session.execute(
        select(LinkModelVersion).where(LinkModelVersion.version == version)
    ).scalar_one_or_none()


def deactivate_models(session: Session) -> None:
    for row in session.execute(
        select(LinkModelVersion).where(LinkModelVersion.active.is_(True))
    ).scalars():
        row.active = False
    session.flush()


def count_persons(session: Session) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(Person).where(Person.status == "active")
        ).scalar_one()
    )
