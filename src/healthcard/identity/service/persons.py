"""Reading persons: by id, by any identifier (PIX), by demographics (PDQ); every read audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from healthcard.core import audit
from healthcard.core.config import Settings
from healthcard.core.errors import FieldError, ValidationFailed
from healthcard.core.principal import Principal
from healthcard.divisions import service as divisions_service
from healthcard.identity import repository
from healthcard.identity.exceptions import InvalidIdNumber, PersonNotFound
from healthcard.identity.features import name_features, normalize_phone
from healthcard.identity.idnumbers import IdNumberError, mask_id, mask_phone, parse_resident_id
from healthcard.identity.permissions import RESIDENTS_REVEAL
from healthcard.identity.schemas import RESIDENT_ID_SYSTEM
from healthcard.identity.service.protect import blind_index, unseal_value
from healthcard.identity.service.registration import identifier_index
from healthcard.models import Person


@dataclass(frozen=True)
class IdentifierView:
    system: str
    value: str


@dataclass(frozen=True)
class PersonView:
    """A person as a caller may see them: sensitive values masked unless revealed."""

    person: Person
    id_number: str | None
    phone: str | None
    identifiers: list[IdentifierView]
    revealed: bool

    @property
    def replaced_by(self) -> int | None:
        return self.person.merged_into_id if self.person.status == "merged" else None


def view(
    session: Session,
    *,
    settings: Settings,
    actor: Principal,
    person_id: int,
    purpose: str = "treatment",
    reveal: bool = False,
) -> PersonView:
    """One person (merged ones too: they answer with the id that replaced them); audited."""
    person = repository.get_person(session, person_id)
    if person is None:
        raise PersonNotFound()
    return _view(session, settings, actor, person, purpose=purpose, reveal=reveal)


def _view(
    session: Session,
    settings: Settings,
    actor: Principal,
    person: Person,
    *,
    purpose: str,
    reveal: bool,
    audited: bool = True,
) -> PersonView:
    full = reveal and actor.has(RESIDENTS_REVEAL)
    id_number = (
        unseal_value(settings, "id", person.id_number_sealed) if person.id_number_sealed else None
    )
    phone = unseal_value(settings, "phone", person.phone_sealed) if person.phone_sealed else None
    identifiers = []
    for ident in repository.identifiers_of(session, person.id):
        value = unseal_value(settings, "identifier", ident.value_sealed)
        if ident.system == RESIDENT_ID_SYSTEM and not full:
            value = mask_id(value)
        identifiers.append(IdentifierView(ident.system, value))
    if audited:
        audit.record(
            session,
            actor=actor,
            action="person.reveal" if full else "person.read",
            resource_type="Person",
            resource_id=person.id,
            purpose=purpose,
        )
    return PersonView(
        person=person,
        id_number=id_number if full or id_number is None else mask_id(id_number),
        phone=phone if full or phone is None else mask_phone(phone),
        identifiers=identifiers,
        revealed=full,
    )


def by_identifier(
    session: Session,
    *,
    settings: Settings,
    actor: Principal,
    system: str,
    value: str,
    purpose: str = "treatment",
) -> PersonView | None:
    """The person holding ``system|value`` (PIX), following merges to the surviving person."""
    if system == RESIDENT_ID_SYSTEM:
        try:
            value = parse_resident_id(value).number
        except IdNumberError as error:
            raise InvalidIdNumber(error.message, error.code, "identifier") from error
    found = repository.identifier(session, system, identifier_index(settings, system, value))
    if found is None:
        audit.record(
            session,
            actor=actor,
            action="person.lookup",
            resource_type="Person",
            outcome="failure",
            purpose=purpose,
            detail={"system": system},
        )
        return None
    person = repository.get_person(session, found.person_id)
    while person is not None and person.status == "merged" and person.merged_into_id:
        person = repository.get_person(session, person.merged_into_id)
    if person is None:
        return None
    return _view(session, settings, actor, person, purpose=purpose, reveal=False)


@dataclass(frozen=True)
class Query:
    """Demographic search: every given field must agree."""

    name: str | None = None
    sex: str | None = None
    birth_date: date | None = None
    phone: str | None = None
    id_suffix: str | None = None
    division: str | None = None  # GB/T 2260 code: the address names that county or city


def search(
    session: Session,
    *,
    settings: Settings,
    actor: Principal,
    query: Query,
    limit: int = 50,
    purpose: str = "treatment",
) -> list[PersonView]:
    """Persons by name (characters or pinyin), sex, birth date, phone, last ID digits (PDQ)."""
    name = query.name.strip() if query.name else None
    # Characters are searched by their sound too (同音字 are the commonest registration error);
    # persons whose characters agree exactly come first.
    pinyin = None
    if name:
        pinyin = name.replace(" ", "").lower() if name.isascii() else homophone_key(name)
    phone = normalize_phone(query.phone or "")
    rows = repository.search_records(
        session,
        name_pinyin=pinyin,
        sex=query.sex,
        birth_date=query.birth_date,
        phone_index=blind_index(settings, "phone", phone) if phone else None,
        id_suffix=query.id_suffix,
        place=_place(session, query.division),
        limit=limit * 3,
    )
    seen: list[int] = []
    for row in rows:
        if row.person_id not in seen:
            seen.append(row.person_id)
    people = [p for p in (repository.get_person(session, i) for i in seen[:limit]) if p is not None]
    people.sort(key=lambda p: p.name != name)
    audit.record(
        session,
        actor=actor,
        action="person.search",
        resource_type="Person",
        purpose=purpose,
        detail={
            "results": [p.id for p in people],
            "filters": sorted(k for k, v in vars(query).items() if v),
        },
    )
    return [
        _view(session, settings, actor, p, purpose=purpose, reveal=False, audited=False)
        for p in people
    ]


def _place(session: Session, code: str | None) -> str | None:
    if not code:
        return None
    division = divisions_service.get(session, code)
    if division is None:
        raise ValidationFailed(
            f"行政区划代码 {code} 不存在。",
            errors=[FieldError("division", f"行政区划代码 {code} 不存在。", "unknown_division")],
        )
    return division.name


def homophone_key(name: str) -> str:
    """The toneless pinyin of a name (what a homophone-tolerant search compares)."""
    return name_features(name).pinyin


@dataclass(frozen=True)
class Holder:
    """What a card needs of its holder: the document number in full (never shown, audited)."""

    person_id: int
    name: str
    sex: str | None
    birth_date: date | None
    document_number: str


def card_holder(
    session: Session, *, settings: Settings, actor: Principal, person_id: int
) -> Holder | None:
    """The holder details printed on a card, or None when the person has no document number."""
    person = repository.get_person(session, person_id)
    if person is None or person.status != "active":
        raise PersonNotFound()
    audit.record(
        session,
        actor=actor,
        action="person.read",
        resource_type="Person",
        resource_id=person.id,
        purpose="card-issuance",
    )
    if person.id_number_sealed is None:
        return None
    number = unseal_value(settings, "id", person.id_number_sealed)
    return Holder(person.id, person.name, person.sex, person.birth_date, number)


@dataclass(frozen=True)
class Greeting:
    """What a terminal shows to greet and check a holder: masked, nothing more."""

    person_id: int
    name: str
    sex: str | None
    birth_date: date | None
    id_number_masked: str | None


def greeting(session: Session, *, settings: Settings, person_id: int) -> Greeting:
    """A person's masked identity summary in one read, NOT audited: the caller audits the use
    it serves (an e-card verification names the person in its own audit entry)."""
    found = greetings(session, settings=settings, person_ids=[person_id])
    if person_id not in found:
        raise PersonNotFound()
    return found[person_id]


def greetings(
    session: Session, *, settings: Settings, person_ids: Sequence[int]
) -> dict[int, Greeting]:
    """:func:`greeting` for several persons in one statement, by id (unknown ids are absent)."""
    answers = {}
    for row in repository.greeting_rows(session, person_ids):
        sealed = row.id_number_sealed
        id_number = mask_id(unseal_value(settings, "id", sealed)) if sealed else None
        answers[row.id] = Greeting(row.id, row.name, row.sex, row.birth_date, id_number)
    return answers
