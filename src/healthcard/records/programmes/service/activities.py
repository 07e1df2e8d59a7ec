"""Health-education activities, referrals (双向转诊) and consultations (会诊)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from healthcard.accounts import service as accounts_service
from healthcard.core import audit
from healthcard.core.principal import Principal
from healthcard.models import Consultation, HealthEducation, Referral
from healthcard.records.programmes import repository
from healthcard.records.programmes.schemas import ConsultationIn, EducationIn, ReferralIn
from healthcard.records.programmes.service.common import invalid, today, who
from healthcard.records.programmes.service.enrolments import noon, person, visible
from healthcard.records.service import timeline


def _institution(actor: Principal) -> int:
    if actor.institution_id is None:
        raise invalid("institution", "须以医疗卫生机构的名义登记。", "no_institution")
    return actor.institution_id


def _not_future(field: str, day: object) -> None:
    if day > today():  # type: ignore[operator]
        raise invalid(field, "日期不能晚于今天。", "in_future")


def add_education(session: Session, *, actor: Principal, data: EducationIn) -> HealthEducation:
    """Record a health-education activity of the actor's institution."""
    _not_future("body.held_on", data.held_on)
    activity = HealthEducation(
        institution_id=_institution(actor), recorded_by=who(actor), **data.model_dump()
    )
    session.add(activity)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="education.record",
        resource_type="HealthEducation",
        resource_id=activity.id,
    )
    return activity


def add_referral(session: Session, *, actor: Principal, data: ReferralIn) -> Referral:
    """Refer a resident up to a hospital or down to the community; noted on the timeline."""
    institution_id = _institution(actor)
    person(session, data.person_id)
    _not_future("body.referred_on", data.referred_on)
    if data.to_institution_id is not None:
        target = accounts_service.list_all_institutions(session)
        if data.to_institution_id not in {i.id for i in target}:
            raise invalid("body.to_institution_id", "转入机构不存在。", "unknown_institution")
        if data.to_institution_id == institution_id:
            raise invalid("body.to_institution_id", "不能转诊到本机构。", "same_institution")
    if data.followup_id is not None:
        visit = repository.get_followup(session, data.followup_id)
        if (
            visit is None
            or visit.person_id != data.person_id
            or not visible(
                actor, institution_id=visit.institution_id, staff_id=visit.responsible_staff_id
            )
        ):
            raise invalid("body.followup_id", "该随访不属于此居民。", "unknown_followup")
    referral = Referral(
        from_institution_id=institution_id,
        status="sent",
        recorded_by=who(actor),
        **data.model_dump(),
    )
    session.add(referral)
    session.flush()
    timeline.add_event(
        session,
        person_id=data.person_id,
        kind="referral",
        occurred_at=noon(data.referred_on),
        title=("上转" if data.direction == "up" else "下转") + ("（紧急）" if data.urgent else ""),
        institution_id=institution_id,
        source="programmes",
        ref=f"referral:{referral.id}",
        detail={"reason": data.reason[:200], "to_institution_id": data.to_institution_id},
    )
    audit.record(
        session,
        actor=actor,
        action="referral.record",
        resource_type="Referral",
        resource_id=referral.id,
    )
    return referral


def add_consultation(session: Session, *, actor: Principal, data: ConsultationIn) -> Consultation:
    """Record a consultation about a resident; noted on the timeline."""
    institution_id = _institution(actor)
    person(session, data.person_id)
    _not_future("body.held_on", data.held_on)
    consultation = Consultation(
        institution_id=institution_id, recorded_by=who(actor), **data.model_dump()
    )
    session.add(consultation)
    session.flush()
    timeline.add_event(
        session,
        person_id=data.person_id,
        kind="consultation",
        occurred_at=noon(data.held_on),
        title=f"会诊：{data.reason[:60]}",
        institution_id=institution_id,
        source="programmes",
        ref=f"consultation:{consultation.id}",
    )
    audit.record(
        session,
        actor=actor,
        action="consultation.record",
        resource_type="Consultation",
        resource_id=consultation.id,
    )
    return consultation


def education_list(
    session: Session, *, actor: Principal, limit: int = 100
) -> Sequence[HealthEducation]:
    """The institution's recent activities."""
    return repository.education(session, _institution(actor), limit)


def referral_list(session: Session, *, actor: Principal, limit: int = 100) -> Sequence[Referral]:
    """Referrals from or to the institution, recent first."""
    return repository.referrals(session, _institution(actor), limit)


def consultation_list(
    session: Session, *, actor: Principal, limit: int = 100
) -> Sequence[Consultation]:
    """The institution's recent consultations."""
    return repository.consultations(session, _institution(actor), limit)
