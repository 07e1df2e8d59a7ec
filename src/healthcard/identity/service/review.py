"""The data steward's work: the review queue, merges and their exact undo."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, inspect
from sqlalchemy.orm import Session

from healthcard.core import audit
from healthcard.core.config import Settings
from healthcard.core.db import UTCDateTime, utcnow
from healthcard.core.principal import Principal
from healthcard.identity import repository
from healthcard.identity.exceptions import (
    MergeAlreadyUndone,
    MergeNotFound,
    MergeNotLatest,
    PersonNotFound,
    ReviewAlreadyDecided,
    ReviewNotFound,
)
from healthcard.identity.service.persons import PersonView, view
from healthcard.identity.service.registration import refresh_person
from healthcard.models import MatchReview, Person, PersonIdentifier, PersonMerge, PersonRecord


@dataclass(frozen=True)
class FieldComparison:
    field: str
    level: str
    weight: float
    a: object
    b: object

    @property
    def agrees(self) -> bool:
        return self.weight > 0


@dataclass(frozen=True)
class ReviewPair:
    """A pending pair with both persons (masked) and the score explained per field."""

    review: MatchReview
    left: PersonView
    right: PersonView
    fields: list[FieldComparison]


def queue(session: Session, *, offset: int = 0, limit: int = 50) -> tuple[list[MatchReview], int]:
    """Pending pairs, most probable first."""
    return repository.pending_reviews(session, offset=offset, limit=limit)


def pair(session: Session, *, settings: Settings, actor: Principal, review_id: int) -> ReviewPair:
    """One pair side by side (reading both persons is audited)."""
    review = repository.get_review(session, review_id)
    if review is None:
        raise ReviewNotFound()
    left = view(
        session, settings=settings, actor=actor, person_id=review.person_id, purpose="data-quality"
    )
    right = view(
        session,
        settings=settings,
        actor=actor,
        person_id=review.candidate_person_id,
        purpose="data-quality",
    )
    fields = [
        FieldComparison(
            field=str(item.get("field", "")),
            level=str(item.get("level", "")),
            weight=float(item.get("weight", 0.0)),
            a=item.get("a"),
            b=item.get("b"),
        )
        for item in json.loads(review.explanation)
    ]
    return ReviewPair(review, left, right, fields)


def decide(session: Session, *, actor: Principal, review_id: int, same: bool) -> MatchReview:
    """Same person: merge the newer into the older. Different: remember, never propose again."""
    review = repository.get_review(session, review_id)
    if review is None:
        raise ReviewNotFound()
    if review.status != "pending":
        raise ReviewAlreadyDecided()
    review.status = "same" if same else "different"
    review.decided_by = actor.label + ":" + actor.name
    review.decided_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="empi.review.same" if same else "empi.review.different",
        resource_type="MatchReview",
        resource_id=review.id,
        purpose="data-quality",
        detail={
            "person": review.person_id,
            "candidate": review.candidate_person_id,
            "probability": review.match_probability,
            "rule_set": review.rule_set,
        },
    )
    record = repository.get_record(session, review.record_id)
    if record is not None:
        record.manual = True  # a steward's decision is never overwritten by the machine
    if same:
        survivor, merged = sorted((review.person_id, review.candidate_person_id))
        merge(
            session,
            actor=actor,
            survivor_id=survivor,
            merged_id=merged,
            reason="steward",
            review=review,
        )
    else:
        repository.add_non_match(
            session, review.person_id, review.candidate_person_id, review.decided_by
        )
    session.flush()
    return review


# Merge and undo -----------------------------------------------------------------------------
def _columns(row: Any) -> dict[str, Any]:
    values = {}
    for column in inspect(row).mapper.column_attrs:
        value = getattr(row, column.key)
        values[column.key] = value.isoformat() if isinstance(value, date | datetime) else value
    return values


def _restore(row: Any, values: dict[str, Any]) -> None:
    for column in inspect(row).mapper.column_attrs:
        if column.key == "id" or column.key not in values:
            continue
        value = values[column.key]
        column_type = column.columns[0].type
        if value is not None and isinstance(column_type, UTCDateTime | DateTime):
            value = datetime.fromisoformat(value)
        elif value is not None and isinstance(column_type, Date):
            value = date.fromisoformat(value)
        setattr(row, column.key, value)


def merge(
    session: Session,
    *,
    actor: Principal,
    survivor_id: int,
    merged_id: int,
    reason: str = "steward",
    review: MatchReview | None = None,
) -> PersonMerge:
    """Merge ``merged_id`` into ``survivor_id``, which keeps its id; the other points to it."""
    survivor = repository.get_person(session, survivor_id)
    merged = repository.get_person(session, merged_id)
    if (
        survivor is None
        or merged is None
        or survivor.status != "active"
        or merged.status != "active"
    ):
        raise PersonNotFound("要合并的居民不存在或已被合并。")
    records = list(repository.records_of(session, merged.id)) + list(
        repository.records_of(session, survivor.id)
    )
    identifiers = list(repository.identifiers_of(session, merged.id))
    snapshot = {
        "survivor": _columns(survivor),
        "merged": _columns(merged),
        "records": [_columns(r) for r in records],
        "identifiers": [_columns(i) for i in identifiers],
    }
    for record in repository.records_of(session, merged.id):
        record.person_id = survivor.id
        if reason == "steward":
            record.manual = True
    for ident in identifiers:
        ident.person_id = survivor.id
    merged.status = "merged"
    merged.merged_into_id = survivor.id
    session.flush()
    refresh_person(session, survivor)
    row = PersonMerge(
        survivor_id=survivor.id,
        merged_id=merged.id,
        snapshot=json.dumps(snapshot, ensure_ascii=False),
        reason=reason,
        review_id=review.id if review else None,
        merged_by=actor.label + ":" + actor.name,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="person.merge",
        resource_type="Person",
        resource_id=survivor.id,
        purpose="data-quality",
        detail={
            "merged": merged.id,
            "reason": reason,
            "merge": row.id,
            "rule_set": review.rule_set if review else None,
        },
    )
    return row


def unmerge(session: Session, *, actor: Principal, merge_id: int) -> PersonMerge:
    """Undo a merge, restoring both persons, their records and identifiers exactly."""
    row = repository.get_merge(session, merge_id)
    if row is None:
        raise MergeNotFound()
    if row.undone_at is not None:
        raise MergeAlreadyUndone()
    if repository.later_merges(session, row):
        raise MergeNotLatest()
    snapshot = json.loads(row.snapshot)
    for key, person_id in (("survivor", row.survivor_id), ("merged", row.merged_id)):
        person = repository.get_person(session, person_id)
        if person is not None:
            _restore(person, snapshot[key])
    for values in snapshot["records"]:
        record = session.get(PersonRecord, values["id"])
        if record is not None:
            _restore(record, values)
    for values in snapshot["identifiers"]:
        ident = session.get(PersonIdentifier, values["id"])
        if ident is not None:
            _restore(ident, values)
    row.undone_at = utcnow()
    row.undone_by = actor.label + ":" + actor.name
    if row.review_id is not None:
        review = repository.get_review(session, row.review_id)
        if review is not None:
            review.status = "pending"
            review.decided_by = None
            review.decided_at = None
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="person.unmerge",
        resource_type="Person",
        resource_id=row.survivor_id,
        purpose="data-quality",
        detail={"merged": row.merged_id, "merge": row.id},
    )
    return row


def merges_of(session: Session, person_id: int) -> list[PersonMerge]:
    """Merges involving a person, newest first."""
    return list(repository.merges_of(session, person_id))


def get_person_row(session: Session, person_id: int) -> Person:
    """The raw person row (for tests and administrative tools)."""
    person = repository.get_person(session, person_id)
    if person is None:
        raise PersonNotFound()
    return person
