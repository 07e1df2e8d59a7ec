"""Who may read a resident's shared record, and the audit of every read.

The institution keeping the record reads it (a village doctor: only the residents they are
responsible for). Clinicians of another institution read it while the resident is present there
(their e-card QR code was verified by one of its terminals within ``presence_minutes``), with the
resident's recorded consent to that institution, or in an emergency by break-glass: a reason, an
expiry, and a report the auditor reviews. Everything else is answered as "not found".
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy.orm import Session

from healthcard.accounts import service as accounts_service
from healthcard.core import audit
from healthcard.core.db import utcnow
from healthcard.core.errors import FieldError
from healthcard.core.principal import Principal
from healthcard.ecard import service as ecard_service
from healthcard.models import BreakGlassAccess, HealthRecord, RecordConsent
from healthcard.records import repository
from healthcard.records.config import get_records_settings
from healthcard.records.exceptions import RecordInvalid, RecordNotFound
from healthcard.records.permissions import RECORDS_READ
from healthcard.records.schemas import ConsentIn
from healthcard.records.service.records import may_keep

BASIS_NAMES = {
    "own": "本机构管理",
    "presence": "居民在场（电子健康卡已核验）",
    "consent": "居民授权",
    "break_glass": "紧急查阅（破窗）",
    "system": "系统",
}


def read_basis(
    session: Session, *, actor: Principal, person_id: int, now: datetime | None = None
) -> str | None:
    """Why ``actor`` may read the resident's shared record now, or None when they may not."""
    now = now or utcnow()
    if actor.kind == "system":
        return "system"
    if not actor.has(RECORDS_READ):
        return None
    record = repository.record_of_person(session, person_id)
    if record is not None and may_keep(actor, record):
        return "own"
    if actor.institution_id is not None:
        since = now - timedelta(minutes=get_records_settings().presence_minutes)
        if ecard_service.present_since(
            session, person_id=person_id, institution_id=actor.institution_id, since=since
        ):
            return "presence"
        if repository.live_consent(session, person_id, actor.institution_id, now) is not None:
            return "consent"
    if actor.kind == "staff" and repository.live_break_glass(session, person_id, actor.id, now):
        return "break_glass"
    return None


def check_read(session: Session, *, actor: Principal, person_id: int, purpose: str) -> str:
    """Allow a read of the resident's shared record or answer 404; either way it is audited.

    Returns the basis of the read (own, presence, consent, break_glass, system).
    """
    now = utcnow()
    basis = read_basis(session, actor=actor, person_id=person_id, now=now)
    if basis is None:
        error = RecordNotFound()
        error.pending_audit.append(
            {
                "actor": actor,
                "action": "record.read",
                "resource_type": "Person",
                "resource_id": person_id,
                "outcome": "denied",
                "purpose": purpose,
            }
        )
        raise error
    if basis == "break_glass":
        access = repository.live_break_glass(session, person_id, actor.id, now)
        if access is not None:
            access.reads += 1
    audit.record(
        session,
        actor=actor,
        action="record.read",
        resource_type="Person",
        resource_id=person_id,
        purpose=purpose,
        detail={"basis": basis},
    )
    return basis


# --- consent -----------------------------------------------------------------------------------


def record_consent(
    session: Session, *, actor: Principal, person_id: int, data: ConsentIn
) -> RecordConsent:
    """Record that the resident lets another institution read their record (at the keeping one)."""
    record = repository.record_of_person(session, person_id)
    if record is None or not may_keep(actor, record):
        raise RecordNotFound()
    settings = get_records_settings()
    today = utcnow().date()
    last = today + timedelta(days=settings.consent_max_days)
    expires_on = data.expires_on or last
    errors: list[FieldError] = []
    if expires_on <= today:
        errors.append(FieldError("body.expires_on", "授权截止日期须晚于今天。", "past"))
    if expires_on > last:
        errors.append(
            FieldError("body.expires_on", f"授权最长 {settings.consent_max_days} 天（至 {last}）。")
        )
    if data.institution_id == record.institution_id:
        errors.append(FieldError("body.institution_id", "本机构无需授权。", "own"))
    if errors:
        raise RecordInvalid(errors=errors)
    accounts_service.get_institution(
        session, actor=_anyone(actor), institution_id=data.institution_id
    )
    consent = RecordConsent(
        person_id=person_id,
        institution_id=data.institution_id,
        granted_by=data.granted_by,
        scope="read",
        expires_at=datetime.combine(expires_on, time(23, 59, 59), tzinfo=UTC),
        recorded_by=f"{actor.label}:{actor.name}"[:200],
    )
    repository.add(session, consent)
    audit.record(
        session,
        actor=actor,
        action="record.consent",
        resource_type="Person",
        resource_id=person_id,
        detail={"institution_id": data.institution_id, "consent_id": consent.id},
    )
    return consent


def _anyone(actor: Principal) -> Principal:
    """The actor allowed to name any institution (a consent names another institution)."""
    return Principal(kind=actor.kind, id=actor.id, name=actor.name, platform_wide=True)


def revoke_consent(session: Session, *, actor: Principal, consent_id: int) -> RecordConsent:
    """Withdraw a consent (at the resident's wish) from now on."""
    consent = repository.get_consent(session, consent_id)
    record = repository.record_of_person(session, consent.person_id) if consent else None
    if consent is None or record is None or not may_keep(actor, record):
        raise RecordNotFound()
    if consent.revoked_at is None:
        consent.revoked_at = utcnow()
        consent.revoked_by = f"{actor.label}:{actor.name}"[:200]
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="record.consent.revoke",
            resource_type="Person",
            resource_id=consent.person_id,
            detail={"consent_id": consent.id},
        )
    return consent


def consents_of(session: Session, *, actor: Principal, person_id: int) -> list[RecordConsent]:
    """The consents a resident gave (for the keeping institution's record page)."""
    record = repository.record_of_person(session, person_id)
    if record is None or not may_keep(actor, record):
        raise RecordNotFound()
    return list(repository.consents_of(session, person_id))


# --- break-glass -------------------------------------------------------------------------------


def break_glass(
    session: Session, *, actor: Principal, person_id: int, reason: str, hours: int
) -> BreakGlassAccess:
    """Open emergency access to one resident's record for a few hours, reported to the auditor."""
    limit = get_records_settings().break_glass_max_hours
    if actor.kind != "staff":
        raise RecordInvalid("紧急查阅只能由医务人员本人申请。")
    if hours > limit:
        raise RecordInvalid(
            errors=[FieldError("body.hours", f"紧急查阅最长 {limit} 小时。", "too_long")]
        )
    if repository.person(session, person_id) is None:
        raise RecordNotFound()
    now = utcnow()
    access = BreakGlassAccess(
        person_id=person_id,
        staff_id=actor.id,
        staff_name=actor.name[:100],
        institution_id=actor.institution_id,
        reason=reason,
        started_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    repository.add(session, access)
    audit.record(
        session,
        actor=actor,
        action="record.break_glass",
        resource_type="Person",
        resource_id=person_id,
        purpose="emergency",
        detail={"access_id": access.id, "reason": reason, "hours": hours},
    )
    return access


def break_glass_report(
    session: Session, *, unreviewed_only: bool = False, limit: int = 200
) -> list[BreakGlassAccess]:
    """Break-glass accesses, newest first, for the auditor."""
    return list(repository.break_glass_list(session, unreviewed_only=unreviewed_only, limit=limit))


def review_break_glass(
    session: Session, *, actor: Principal, access_id: int, note: str
) -> BreakGlassAccess:
    """The auditor's finding on one break-glass access."""
    access = repository.get_break_glass(session, access_id)
    if access is None:
        raise RecordNotFound("紧急查阅记录不存在。")
    access.reviewed_at = utcnow()
    access.reviewed_by = f"{actor.label}:{actor.name}"[:200]
    access.review_note = note
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="record.break_glass.review",
        resource_type="BreakGlassAccess",
        resource_id=access.id,
        detail={"note": note},
    )
    return access


def readable_record(
    session: Session, *, actor: Principal, record_id: int, purpose: str
) -> tuple[HealthRecord, str]:
    """A record ``actor`` may read now (404 otherwise), with the basis; the read is audited."""
    record = repository.get_record(session, record_id)
    if record is None:
        raise RecordNotFound()
    return record, check_read(session, actor=actor, person_id=record.person_id, purpose=purpose)
