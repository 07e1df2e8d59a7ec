"""The audit trail is append-only and hash-chained; verification finds edits and deletions."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from healthcard.core import audit
from healthcard.core.audit import AuditEvent
from healthcard.core.principal import Principal

DOCTOR = Principal(kind="staff", id=7, name="王医生", institution_id=3, roles=frozenset({"doctor"}))


def _write(session: Session, n: int) -> list[AuditEvent]:
    events = [
        audit.record(
            session,
            actor=DOCTOR,
            action="record.read",
            resource_type="Resident",
            resource_id=i,
            purpose="treatment",
            detail={"i": i},
        )
        for i in range(n)
    ]
    audit.flush(session)
    return events


def _drop_guards(session: Session) -> None:
    """What an attacker with database access would do first (rolled back after the test)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("DROP TRIGGER audit_events_no_update ON audit_events"))
    else:
        session.execute(text("DROP TRIGGER audit_events_no_update"))
        session.execute(text("DROP TRIGGER audit_events_no_delete"))


def test_entries_chain_and_carry_who_what_when(session: Session) -> None:
    first, second = _write(session, 2)
    assert second.prev_hash == first.hash
    assert second.id == first.id + 1
    assert first.actor_name == "王医生"
    assert first.roles == "doctor"
    assert first.institution_id == 3
    assert first.purpose == "treatment"
    assert audit.verify(session).ok


def test_update_and_delete_are_refused_by_the_database(session: Session) -> None:
    event = _write(session, 1)[0]
    with pytest.raises((IntegrityError, DBAPIError)), session.begin_nested():
        session.execute(
            text("UPDATE audit_events SET action = 'x' WHERE id = :id"), {"id": event.id}
        )
    with pytest.raises((IntegrityError, DBAPIError)), session.begin_nested():
        session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": event.id})


def test_verify_detects_an_edited_entry(session: Session) -> None:
    events = _write(session, 5)
    _drop_guards(session)
    session.execute(
        text("UPDATE audit_events SET outcome = 'failure' WHERE id = :id"), {"id": events[2].id}
    )
    session.expire_all()
    result = audit.verify(session)
    assert not result.ok
    assert any(f"entry {events[2].id}: content does not match" in p for p in result.problems)


def test_verify_detects_a_deleted_entry(session: Session) -> None:
    events = _write(session, 5)
    _drop_guards(session)
    session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": events[1].id})
    session.expire_all()
    result = audit.verify(session)
    assert not result.ok
    assert any("missing (deleted)" in p for p in result.problems)
    assert any(f"entry {events[2].id}: previous-hash link broken" in p for p in result.problems)


def test_verify_detects_deleted_tail(session: Session) -> None:
    events = _write(session, 3)
    _drop_guards(session)
    session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": events[-1].id})
    session.expire_all()
    result = audit.verify(session)
    assert not result.ok
    assert any("head records entry" in p for p in result.problems)


def test_verify_detects_a_rewritten_chain_suffix(session: Session) -> None:
    """Recomputing one entry's hash does not help: the next entry's link breaks."""
    events = _write(session, 4)
    _drop_guards(session)
    victim = session.get(AuditEvent, events[1].id)
    assert victim is not None
    victim.outcome = "denied"
    victim.hash = audit.entry_hash(victim)
    session.flush()
    session.expire_all()
    result = audit.verify(session)
    assert any(f"entry {events[2].id}: previous-hash link broken" in p for p in result.problems)
