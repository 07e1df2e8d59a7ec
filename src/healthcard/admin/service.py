"""Audit-trail search, export and verification for auditors (over core.audit)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from healthcard.core import audit
from healthcard.core.audit import AuditEvent, AuditQuery
from healthcard.core.principal import Principal
from healthcard.core.templating import DISPLAY_ZONE

# Every hashed field and the hash itself: an export can be re-verified outside the platform.
EXPORT_COLUMNS = (*audit.HASHED_FIELDS, "hash")


def day_range(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """Calendar days in China Standard Time to a half-open range of instants."""
    start = datetime.combine(since, time.min, DISPLAY_ZONE) if since else None
    end = datetime.combine(until + timedelta(days=1), time.min, DISPLAY_ZONE) if until else None
    return start, end


def search(
    session: Session, *, actor: Principal, query: AuditQuery, offset: int, limit: int
) -> tuple[list[AuditEvent], int]:
    """One page of the trail, newest first; the search itself is audited."""
    rows, total = audit.search(session, query, offset=offset, limit=limit)
    audit.record(
        session,
        actor=actor,
        action="audit.search",
        resource_type="AuditEvent",
        detail={k: str(v) for k, v in vars(query).items() if v is not None},
    )
    return rows, total


def export_csv(session: Session, *, actor: Principal, query: AuditQuery) -> Iterator[str]:
    """The matching entries as CSV (UTF-8 with BOM so spreadsheet programs read Chinese)."""
    audit.record(
        session,
        actor=actor,
        action="audit.export",
        resource_type="AuditEvent",
        detail={k: str(v) for k, v in vars(query).items() if v is not None},
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(EXPORT_COLUMNS)
    for event in audit.iterate(session, query):
        writer.writerow(
            [
                event.occurred_at.isoformat() if name == "occurred_at" else getattr(event, name)
                for name in EXPORT_COLUMNS
            ]
        )
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def verify(session: Session, *, actor: Principal) -> audit.VerifyResult:
    """Check the whole chain and record that it was checked (with the outcome)."""
    result = audit.verify(session)
    audit.record(
        session,
        actor=actor,
        action="audit.verify",
        resource_type="AuditEvent",
        outcome="success" if result.ok else "failure",
        detail={"checked": result.checked, "problems": result.problems[:20]},
    )
    return result
