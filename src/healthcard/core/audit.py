"""The audit trail: append-only, hash-chained with SM3, written in the caller's transaction.

Every entry stores the SM3 hash of its predecessor and its own hash over a canonical encoding of
its fields. A single head row (locked ``FOR UPDATE``) serialises writers so the chain never forks;
``verify`` walks the chain and reports any edited, inserted or deleted entry. Database triggers
(see the migration) refuse UPDATE and DELETE on the table as a second line of defence.

:func:`record` only queues the entry on the session; the queue is chained and inserted when the
transaction commits (or when :func:`flush` is called), after the transaction's other changes.
The head row is therefore locked for the last few statements of a transaction instead of from
its first audited step to its end, which is what let concurrent requests serialise on it. An
entry queued inside a savepoint that rolls back, or in a transaction that rolls back, is dropped
with it: the trail records what happened, in commit order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Index, String, Text, bindparam, func, insert, select, update
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column

from healthcard.core.context import client_address_var, request_id_var
from healthcard.core.crypto import sm3_hex
from healthcard.core.db import Base, BigIntPK, UTCDateTime, table_of, utcnow
from healthcard.core.principal import Principal

GENESIS_HASH = "0" * 64
Outcome = Literal["success", "failure", "denied"]


class AuditEvent(Base):
    """One entry of the audit trail."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_occurred_at", "occurred_at"),
        Index("ix_audit_events_resource", "resource_type", "resource_id"),
        Index("ix_audit_events_actor", "actor_kind", "actor_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(String(200))
    institution_id: Mapped[int | None]
    roles: Mapped[str] = mapped_column(String(500), default="")
    action: Mapped[str] = mapped_column(String(100), index=True)
    resource_type: Mapped[str] = mapped_column(String(100))
    resource_id: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16))
    client_address: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(200))
    request_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditChainHead(Base):
    """The last entry of the chain: one row, locked by every writer."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int] = mapped_column(BigIntPK, default=0)
    # No foreign key to audit_events on purpose: a deleted tail must be detectable, not refused.
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)


HASHED_FIELDS = (
    "id",
    "occurred_at",
    "actor_kind",
    "actor_id",
    "actor_name",
    "institution_id",
    "roles",
    "action",
    "resource_type",
    "resource_id",
    "outcome",
    "client_address",
    "purpose",
    "request_id",
    "detail",
    "prev_hash",
)


def entry_hash(event: AuditEvent) -> str:
    """SM3 over the canonical JSON of the hashed fields (sorted keys, UTC ISO instants)."""
    content: dict[str, Any] = {}
    for name in HASHED_FIELDS:
        value = getattr(event, name)
        content[name] = value.isoformat() if isinstance(value, datetime) else value
    encoded = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return sm3_hex(encoded.encode("utf-8"))


def record(
    session: Session,
    *,
    actor: Principal | None,
    action: str,
    resource_type: str,
    resource_id: str | int | None = None,
    outcome: Outcome = "success",
    purpose: str | None = None,
    detail: dict[str, Any] | None = None,
    actor_name: str | None = None,
    request_id: str | None = None,
    client_address: str | None = None,
) -> AuditEvent:
    """Queue one entry in the caller's transaction; it commits or rolls back with the change.

    The entry gets its ``id`` and hashes when the transaction commits (or at :func:`flush`).
    ``request_id`` and ``client_address`` default to the current request's; work done for
    several requests in one transaction (batched verification) passes each entry's own.
    """
    entry = AuditEvent(
        occurred_at=utcnow(),
        actor_kind=actor.kind if actor else "anonymous",
        actor_id=actor.id if actor else None,
        actor_name=(actor.name if actor else actor_name) or "",
        institution_id=actor.institution_id if actor else None,
        roles=",".join(sorted(actor.roles)) if actor else "",
        action=action,
        resource_type=resource_type,
        resource_id=None if resource_id is None else str(resource_id),
        outcome=outcome,
        client_address=client_address or client_address_var.get(),
        purpose=purpose,
        request_id=request_id or request_id_var.get(),
        detail=json.dumps(detail or {}, sort_keys=True, ensure_ascii=False),
    )
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info.setdefault(_PENDING, []).append((transaction, entry))
    return entry


_PENDING = "healthcard.audit.pending"


def flush(session: Session) -> None:
    """Chain and insert the queued entries now (commit does this by itself)."""
    pending: list[tuple[SessionTransaction | None, AuditEvent]] = session.info.pop(_PENDING, [])
    if not pending:
        return
    session.flush()  # the transaction's own changes first: the head lock is taken last
    connection = session.connection()
    last_id, last_hash = connection.execute(_LOCK_HEAD).one()
    rows = []
    for _, entry in pending:
        entry.id, entry.prev_hash = last_id + 1, last_hash
        entry.hash = entry_hash(entry)
        last_id, last_hash = entry.id, entry.hash
        rows.append({name: getattr(entry, name) for name in (*HASHED_FIELDS, "hash")})
    connection.execute(_INSERT, rows)
    connection.execute(_MOVE_HEAD, {"last_id": last_id, "last_hash": last_hash})


# Built once (every audited transaction runs them); plain Core on the session's connection.
_HEAD = table_of(AuditChainHead)
_LOCK_HEAD = select(_HEAD.c.last_id, _HEAD.c.last_hash).where(_HEAD.c.id == 1).with_for_update()
_INSERT = insert(table_of(AuditEvent))
_MOVE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(last_id=bindparam("last_id"), last_hash=bindparam("last_hash"))
)


@orm_event.listens_for(Session, "before_commit")
def _chain_on_commit(session: Session) -> None:
    flush(session)


@orm_event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending: list[tuple[SessionTransaction | None, AuditEvent]] | None = session.info.get(_PENDING)
    if not pending:
        return
    kept = [item for item in pending if not _within(item[0], previous_transaction)]
    if kept:
        session.info[_PENDING] = kept
    else:
        session.info.pop(_PENDING, None)


@orm_event.listens_for(Session, "after_transaction_end")
def _drop_unwritten(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the session's transaction ended without committing them
        session.info.pop(_PENDING, None)


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


@dataclass
class VerifyResult:
    checked: int = 0
    head_id: int = 0
    head_hash: str = GENESIS_HASH
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(
    session: Session, *, progress: Callable[[int], None] | None = None, batch: int = 2000
) -> VerifyResult:
    """Walk the whole chain; report every break (edited, inserted or deleted entries)."""
    flush(session)
    head = session.get(AuditChainHead, 1)
    result = VerifyResult()
    if head is None:
        result.problems.append("审计链头记录缺失 (audit_chain_head row 1 is missing)")
        return result
    result.head_id, result.head_hash = head.last_id, head.last_hash
    expected_id, expected_prev = 1, GENESIS_HASH
    for event in _stream(session, batch):
        if event.id != expected_id:
            result.problems.append(
                f"entry {expected_id}..{event.id - 1} missing (deleted): "
                f"sequence jumps to {event.id}"
            )
        if event.prev_hash != expected_prev:
            result.problems.append(f"entry {event.id}: previous-hash link broken")
        if entry_hash(event) != event.hash:
            result.problems.append(f"entry {event.id}: content does not match its hash (edited)")
        expected_id, expected_prev = event.id + 1, event.hash
        result.checked += 1
        if progress is not None:
            progress(1)
    if expected_id - 1 != head.last_id or expected_prev != head.last_hash:
        result.problems.append(
            f"chain ends at entry {expected_id - 1} but the head records entry {head.last_id}: "
            "entries at the end were deleted or the head was altered"
        )
    return result


def _stream(session: Session, batch: int) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = (
            session.execute(
                select(AuditEvent).where(AuditEvent.id > last).order_by(AuditEvent.id).limit(batch)
            )
            .scalars()
            .all()
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        session.expunge_all()


@dataclass
class AuditQuery:
    """Filters for searching the trail; all optional."""

    actor: str | None = None
    action: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    outcome: str | None = None
    institution_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(query: AuditQuery) -> Any:
    stmt = select(AuditEvent)
    if query.actor:
        stmt = stmt.where(AuditEvent.actor_name.contains(query.actor, autoescape=True))
    if query.action:
        stmt = stmt.where(AuditEvent.action.startswith(query.action, autoescape=True))
    if query.resource_type:
        stmt = stmt.where(AuditEvent.resource_type == query.resource_type)
    if query.resource_id:
        stmt = stmt.where(AuditEvent.resource_id == query.resource_id)
    if query.outcome:
        stmt = stmt.where(AuditEvent.outcome == query.outcome)
    if query.institution_id is not None:
        stmt = stmt.where(AuditEvent.institution_id == query.institution_id)
    if query.since:
        stmt = stmt.where(AuditEvent.occurred_at >= query.since)
    if query.until:
        stmt = stmt.where(AuditEvent.occurred_at < query.until)
    return stmt


def search(
    session: Session, query: AuditQuery, *, offset: int = 0, limit: int = 50
) -> tuple[list[AuditEvent], int]:
    """One page of matching entries, newest first, and the total count."""
    flush(session)
    stmt = _filtered(query)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(stmt.order_by(AuditEvent.id.desc()).offset(offset).limit(limit))
    return list(rows.scalars()), int(total)


def iterate(session: Session, query: AuditQuery, *, batch: int = 1000) -> Iterator[AuditEvent]:
    """All matching entries in chain order, fetched in batches (for export)."""
    last = 0
    base = _filtered(query)
    while True:
        rows = list(
            session.execute(
                base.where(AuditEvent.id > last).order_by(AuditEvent.id).limit(batch)
            ).scalars()
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].id
