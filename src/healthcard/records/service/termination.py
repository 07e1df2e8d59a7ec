"""Termination of a record (档案终止): death, moved away, lost to follow-up, refused, other, with
the date (and the destination of a move). A terminated record is kept, read-only."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy.orm import Session

from healthcard.core import audit
from healthcard.core.db import utcnow
from healthcard.core.errors import FieldError
from healthcard.core.principal import Principal
from healthcard.models import HealthRecord
from healthcard.records.exceptions import RecordInvalid
from healthcard.records.programmes import service as programmes_service
from healthcard.records.schemas import TerminationIn
from healthcard.records.service import timeline
from healthcard.records.service.records import TERMINATION_NAMES, writable_record


def terminate(
    session: Session, *, actor: Principal, record_id: int, data: TerminationIn
) -> HealthRecord:
    """End a record (death, moved away, lost, refused, other); it is kept, read-only."""
    record = writable_record(session, actor=actor, record_id=record_id)
    errors: list[FieldError] = []
    if data.on > utcnow().date():
        errors.append(FieldError("body.on", "终止日期不能晚于今天。", "future"))
    if data.on < record.established_on:
        errors.append(FieldError("body.on", "终止日期不能早于建档日期。", "before_established"))
    if data.reason == "moved" and not data.moved_to:
        errors.append(FieldError("body.moved_to", "迁出须填写迁往地。", "missing"))
    if data.reason == "other" and not data.note:
        errors.append(FieldError("body.note", "原因为“其他”时须说明。", "missing"))
    if errors:
        raise RecordInvalid(errors=errors)
    record.status = "terminated"
    record.termination_reason = data.reason
    record.terminated_on = data.on
    record.termination_note = data.note
    record.moved_to = data.moved_to if data.reason == "moved" else None
    session.flush()
    # Its programme enrolments end with it, and its due visits leave the task lists.
    reason = f"档案终止：{TERMINATION_NAMES[data.reason]}"
    programmes_service.close_record(session, record_id=record.id, ended_on=data.on, reason=reason)
    audit.record(
        session,
        actor=actor,
        action="record.terminate",
        resource_type="HealthRecord",
        resource_id=record.id,
        detail={"reason": data.reason, "on": data.on.isoformat()},
    )
    timeline.add_event(
        session,
        person_id=record.person_id,
        kind="termination",
        occurred_at=datetime.combine(data.on, time(12), tzinfo=UTC),
        title=f"健康档案终止：{TERMINATION_NAMES[data.reason]}",
        institution_id=record.institution_id,
        source="records",
        ref=f"HealthRecord/{record.id}",
        detail={"reason": data.reason, "moved_to": record.moved_to},
    )
    return record
