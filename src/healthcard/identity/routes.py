"""JSON API of the master patient index for institution systems."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from healthcard.core.errors import AppError
from healthcard.core.session import DbSession
from healthcard.identity import service
from healthcard.identity.permissions import ResidentsRead, ResidentsRegister
from healthcard.identity.schemas import IdentifierOut, PersonOut, RegistrationIn, RegistrationOut

router = APIRouter(prefix="/api/v1/residents", tags=["residents"])

Purpose = Annotated[
    str, Query(max_length=50, description="why the record is read (audited): treatment, ...")
]


def person_out(found: service.PersonView) -> PersonOut:
    """The API shape of a person view."""
    person = found.person
    return PersonOut(
        id=person.id,
        active=person.status == "active",
        replaced_by=found.replaced_by,
        name=person.name,
        sex=person.sex,
        birth_date=person.birth_date,
        id_number=found.id_number,
        phone=found.phone,
        address=person.address,
        provisional=person.provisional,
        identifiers=[IdentifierOut(system=i.system, value=i.value) for i in found.identifiers],
        updated_at=person.updated_at,
    )


@router.post("", response_model=RegistrationOut)
def register(
    request: Request, session: DbSession, principal: ResidentsRegister, data: RegistrationIn
) -> RegistrationOut:
    """Register a patient with the caller's own number: created, matched or sent to review."""
    result = service.register(
        session, settings=request.app.state.settings, actor=principal, data=data
    )
    return RegistrationOut(
        outcome=result.outcome,
        person_id=result.person.id,
        match_probability=result.probability,
        review_id=result.review.id if result.review else None,
        rule_set=result.rule_set,
    )


@router.get("/{person_id}", response_model=PersonOut)
def read(
    request: Request,
    session: DbSession,
    principal: ResidentsRead,
    person_id: int,
    purpose: Purpose = "treatment",
) -> PersonOut:
    """One person; a merged person answers with ``replaced_by``. Every read is audited."""
    found = service.view(
        session,
        settings=request.app.state.settings,
        actor=principal,
        person_id=person_id,
        purpose=purpose,
    )
    return person_out(found)


@router.get("", response_model=list[PersonOut])
def search(
    request: Request,
    session: DbSession,
    principal: ResidentsRead,
    identifier: Annotated[str | None, Query(max_length=300, description="system|value")] = None,
    name: Annotated[str | None, Query(max_length=50)] = None,
    sex: Literal["1", "2"] | None = None,
    birth_date: date | None = None,
    phone: Annotated[str | None, Query(max_length=20)] = None,
    id_suffix: Annotated[str | None, Query(pattern=r"^[0-9Xx]{4}$")] = None,
    division: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    purpose: Purpose = "treatment",
) -> list[PersonOut]:
    """Find persons by any identifier (PIX) or by demographics (PDQ)."""
    settings = request.app.state.settings
    if identifier:
        system, sep, value = identifier.partition("|")
        if not sep or not system or not value:
            raise AppError("identifier 应为 system|value。", status_code=400, code="bad_identifier")
        found = service.by_identifier(
            session, settings=settings, actor=principal, system=system, value=value, purpose=purpose
        )
        return [person_out(found)] if found else []
    query = service.Query(
        name=name,
        sex=sex,
        birth_date=birth_date,
        phone=phone,
        id_suffix=id_suffix,
        division=division,
    )
    if not any(vars(query).values()):
        raise AppError("请至少提供一个查询条件。", status_code=400, code="no_criteria")
    results = service.search(
        session, settings=settings, actor=principal, query=query, purpose=purpose
    )
    return [person_out(p) for p in results]
