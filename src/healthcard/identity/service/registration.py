"""Registering patients into the master patient index: validate, lock, match, decide, record."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from healthcard.accounts import service as accounts_service
from healthcard.core import audit
from healthcard.core.config import Settings
from healthcard.core.db import advisory_lock
from healthcard.core.principal import Principal
from healthcard.identity import linkage, repository
from healthcard.identity.exceptions import InconsistentDemographics, InvalidIdNumber
from healthcard.identity.features import NormalizedRecord, name_features, normalize_phone
from healthcard.identity.idnumbers import (
    DocumentType,
    IdNumberError,
    ResidentId,
    mask_id,
    mask_phone,
    normalize_document,
    parse_resident_id,
)
from healthcard.identity.schemas import RESIDENT_ID_SYSTEM, Outcome, RegistrationIn
from healthcard.identity.service import scoring
from healthcard.identity.service.protect import blind_index, seal_value, unseal_value
from healthcard.models import MatchReview, Person, PersonIdentifier, PersonRecord

DOCUMENT_SYSTEM = "urn:healthcard:document:{}"


def identifier_index(settings: Settings, system: str, value: str) -> str:
    """The blind index an identifier is found by (documents by type and canonical number)."""
    if system == RESIDENT_ID_SYSTEM:
        return blind_index(settings, "id", f"01:{value}")
    if system.startswith(DOCUMENT_SYSTEM.format("")):
        return blind_index(settings, "id", f"{system.rsplit(':', 1)[1]}:{value}")
    return blind_index(settings, "local", f"{system}|{value}")


def document_system(id_type: str) -> str:
    """The identifier system of a document type (the resident ID has its national OID)."""
    return (
        RESIDENT_ID_SYSTEM
        if id_type == DocumentType.RESIDENT_ID
        else DOCUMENT_SYSTEM.format(id_type)
    )


def institution_system(uscc: str) -> str:
    """The default system of an institution's own patient numbers."""
    return f"urn:healthcard:institution:{uscc}:patient"


@dataclass(frozen=True)
class Registration:
    """What became of a registration, as the API answers it."""

    outcome: Outcome
    person: Person
    record: PersonRecord
    probability: float | None
    review: MatchReview | None
    rule_set: str


@dataclass
class Candidate:
    person_id: int
    record: PersonRecord
    probability: float
    weight: float
    explanation: list[dict[str, object]]
    different_valid_ids: bool


@dataclass
class Decision:
    """The matcher's verdict: for "matched", ``person_id`` is the person."""

    outcome: Outcome
    person_id: int | None = None
    probability: float | None = None
    best: Candidate | None = None
    rule: str = "probabilistic"
    candidates: list[Candidate] = field(default_factory=list)


# Validation ---------------------------------------------------------------------------------
def check_documents(data: RegistrationIn) -> tuple[str | None, str | None, ResidentId | None]:
    """(type, canonical number, parsed resident ID); refuses invalid or inconsistent numbers."""
    if not data.id_number:
        return None, None, None
    id_type = data.id_type or DocumentType.RESIDENT_ID.value
    try:
        if id_type == DocumentType.RESIDENT_ID.value:
            resident = parse_resident_id(data.id_number)
        else:
            return id_type, normalize_document(DocumentType(id_type), data.id_number), None
    except IdNumberError as error:
        raise InvalidIdNumber(error.message, error.code) from error
    if data.birth_date is not None and data.birth_date != resident.birth_date:
        raise InconsistentDemographics(
            "birth_date",
            f"出生日期 {data.birth_date.isoformat()} 与身份证号中的出生日期 "
            f"{resident.birth_date.isoformat()} 不一致。",
        )
    if data.sex in ("1", "2") and data.sex != resident.sex:
        expected = "男" if resident.sex == "1" else "女"
        raise InconsistentDemographics(
            "sex", f"性别与身份证号不一致：按身份证号第 17 位应为{expected}。"
        )
    return id_type, resident.number, resident


# Registration -------------------------------------------------------------------------------
def register(
    session: Session, *, settings: Settings, actor: Principal, data: RegistrationIn
) -> Registration:
    """Register a patient under the caller's local number: created, matched, or sent to review."""
    system = _source_system(session, actor, data.identifier.system)
    id_type, number, resident = check_documents(data)
    birth = resident.birth_date if resident else data.birth_date
    sex = resident.sex if resident else (data.sex if data.sex in ("1", "2") else None)
    names = name_features(data.name)
    id_index = blind_index(settings, "id", f"{id_type}:{number}") if number else None
    phone = normalize_phone(data.phone or "")
    # Registrations of one person queue behind each other; unrelated ones don't (a key is only
    # taken when its value is known, or every registration without an ID would share one lock).
    keys = [f"local:{system}|{data.identifier.value}"]
    if id_index:
        keys.append(f"id:{id_index}")
    if birth:
        keys.append(f"name:{names.pinyin}|{birth}")
    advisory_lock(session, *keys)
    record = repository.record_by_local(session, system, data.identifier.value)
    is_new = record is None
    if record is None:
        record = PersonRecord(source_system=system, local_id=data.identifier.value)
    changed = _fill_record(
        settings,
        record,
        data=data,
        institution_id=actor.institution_id,
        id_type=id_type,
        number=number,
        id_index=id_index,
        phone=phone,
        birth=birth,
        sex=sex,
        names_pinyin=names.pinyin,
        surname_pinyin=names.surname_pinyin,
    )
    if not is_new and not changed:
        person = _follow(session, record.person_id)
        return _answer(session, actor, "matched", person, record, 1.0, None, record.rule_set or "")
    scorer = scoring.current(session)
    if is_new or not record.manual:
        exclude = set() if is_new else {record.person_id}
        decision = decide(session, settings=settings, scorer=scorer, record=record, exclude=exclude)
    else:
        decision = Decision("matched", record.person_id, 1.0, rule="manual")
    return _apply(session, settings, actor, record, decision, scorer.version, is_new=is_new)


def _source_system(session: Session, actor: Principal, given: str | None) -> str:
    if given:
        return given
    if actor.institution_id is None:
        return "urn:healthcard:platform:patient"
    institution = accounts_service.get_institution(
        session, actor=actor, institution_id=actor.institution_id
    )
    return institution_system(institution.uscc)


def _fill_record(
    settings: Settings,
    record: PersonRecord,
    *,
    data: RegistrationIn,
    institution_id: int | None,
    id_type: str | None,
    number: str | None,
    id_index: str | None,
    phone: str | None,
    birth: date | None,
    sex: str | None,
    names_pinyin: str,
    surname_pinyin: str,
) -> bool:
    """Copy the registration into the record; True if any demographic changed."""
    values = {
        "name": data.name,
        "name_pinyin": names_pinyin,
        "surname_pinyin": surname_pinyin,
        "sex": sex,
        "birth_date": birth,
        "birth_year": birth.year if birth else None,
        "id_type": id_type,
        "id_number_index": id_index,
        "id_valid": number is not None,
        "id_last4": number[-4:] if number else None,
        "phone_index": blind_index(settings, "phone", phone) if phone else None,
        "address": data.address,
        "mother_id_number_index": _mother_index(settings, data.mother_id_number),
    }
    changed = any(getattr(record, key, None) != value for key, value in values.items())
    for key, value in values.items():
        setattr(record, key, value)
    if changed or record.id_number_sealed is None:
        record.id_number_sealed = seal_value(settings, "id", number) if number else None
        record.phone_sealed = seal_value(settings, "phone", phone) if phone else None
    record.institution_id = institution_id
    return changed


def _mother_index(settings: Settings, mother_id: str | None) -> str | None:
    if not mother_id:
        return None
    try:
        number = parse_resident_id(mother_id).number
    except IdNumberError as error:
        raise InvalidIdNumber(
            "母亲身份证号：" + error.message, error.code, "mother_id_number"
        ) from error
    return blind_index(settings, "id", f"01:{number}")


# Matching -----------------------------------------------------------------------------------
def decide(
    session: Session,
    *,
    settings: Settings,
    scorer: scoring.Scorer,
    record: PersonRecord,
    exclude: set[int],
) -> Decision:
    """Which person ``record`` is: the same valid ID decides; otherwise the trained model scores."""
    if record.id_valid and record.id_number_index:
        owner = repository.identifier(
            session, document_system(record.id_type or "01"), record.id_number_index
        )
        if owner is not None:
            person = _follow(session, owner.person_id)
            if person.id not in exclude:
                return Decision("matched", person.id, 1.0, rule="same-id")
    candidates = score_candidates(
        session, settings=settings, scorer=scorer, record=record, exclude=exclude
    )
    if not candidates:
        return Decision("created")
    best = candidates[0]
    if best.probability >= settings.empi_auto_link_threshold and not best.different_valid_ids:
        return Decision("matched", best.person_id, best.probability, best, candidates=candidates)
    if best.probability >= settings.empi_review_threshold:
        # Two different valid ID numbers are never linked by the machine, however alike.
        return Decision("review", None, best.probability, best, candidates=candidates)
    return Decision("created", None, best.probability, None, candidates=candidates)


def score_candidates(
    session: Session,
    *,
    settings: Settings,
    scorer: scoring.Scorer,
    record: PersonRecord,
    exclude: set[int],
) -> list[Candidate]:
    """Persons sharing a blocking key with ``record``, best first (their best record counts)."""
    mine = scoring.of_record(settings, record)
    rows = repository.candidate_records(
        session,
        id_index=record.id_number_index,
        phone_index=record.phone_index,
        name_pinyin=record.name_pinyin,
        surname_pinyin=record.surname_pinyin,
        birth_date=record.birth_date,
    )
    best: dict[int, Candidate] = {}
    own_person = record.person_id
    for row in rows:
        if (record.id is not None and row.id == record.id) or row.person_id in exclude:
            continue
        if own_person is not None and repository.is_non_match(session, own_person, row.person_id):
            continue
        theirs = scoring.of_record(settings, row)
        score = scorer.score(mine, theirs)
        candidate = Candidate(
            person_id=row.person_id,
            record=row,
            probability=score.match_probability,
            weight=score.match_weight,
            explanation=[_field_json(f) for f in score.fields],
            different_valid_ids=_different_valid_ids(mine, theirs),
        )
        current = best.get(row.person_id)
        if current is None or candidate.probability > current.probability:
            best[row.person_id] = candidate
    if mine.id_valid and record.id_number_index:
        # A person is "another valid ID" if ANY of their identifiers is a different resident ID,
        # not only the record that scored best (which may have carried no ID at all).
        for candidate in best.values():
            candidate.different_valid_ids = candidate.different_valid_ids or any(
                ident.system == RESIDENT_ID_SYSTEM and ident.value_index != record.id_number_index
                for ident in repository.identifiers_of(session, candidate.person_id)
            )
    return sorted(best.values(), key=lambda c: (-c.probability, c.person_id))


def _different_valid_ids(a: NormalizedRecord, b: NormalizedRecord) -> bool:
    return bool(a.id_valid and b.id_valid and a.id_number != b.id_number)


def _field_json(field_score: linkage.FieldScore) -> dict[str, object]:
    """One field of a score, for the review screen; ID numbers and phones stored masked."""
    name = field_score.name
    values = [field_score.value_a or None, field_score.value_b or None]
    if name in ("id_number", "phone"):
        mask = mask_phone if name == "phone" else mask_id
        values = [mask(v) if v else None for v in values]
    return {
        "field": name,
        "level": field_score.level_label,
        "weight": round(field_score.match_weight, 3),
        "a": values[0],
        "b": values[1],
    }


# Applying a decision ------------------------------------------------------------------------
def _apply(
    session: Session,
    settings: Settings,
    actor: Principal,
    record: PersonRecord,
    decision: Decision,
    rule_set: str,
    *,
    is_new: bool,
) -> Registration:
    previous_person = None if is_new else record.person_id
    probability = decision.probability
    if decision.outcome == "matched" and decision.person_id is not None:
        person = _follow(session, decision.person_id)
    elif previous_person is not None:
        person = _follow(session, previous_person)  # a changed record stays with its person
    else:
        person = Person(name=record.name)
        session.add(person)
        session.flush()
    record.person_id = person.id
    record.outcome = decision.outcome
    record.match_probability = probability
    record.rule_set = rule_set if decision.rule == "probabilistic" else decision.rule
    session.add(record)
    session.flush()
    _claim_identifiers(session, settings, person, record)
    refresh_person(session, person)
    review = None
    if decision.outcome == "review" and decision.best is not None:
        review = MatchReview(
            record_id=record.id,
            person_id=person.id,
            candidate_person_id=decision.best.person_id,
            candidate_record_id=decision.best.record.id,
            match_probability=decision.best.probability,
            match_weight=decision.best.weight,
            explanation=json.dumps(decision.best.explanation, ensure_ascii=False),
            rule_set=rule_set,
        )
        session.add(review)
        session.flush()
    if previous_person is not None and previous_person != person.id:
        _retire_if_empty(session, previous_person, person.id)
    return _answer(
        session, actor, decision.outcome, person, record, probability, review, record.rule_set or ""
    )


def _claim_identifiers(
    session: Session, settings: Settings, person: Person, record: PersonRecord
) -> None:
    """The record's local number and its document number now point at ``person``."""
    local = (record.source_system, record.local_id)
    wanted = [(*local, identifier_index(settings, *local))]
    if record.id_number_index and record.id_number_sealed:
        number = unseal_value(settings, "id", record.id_number_sealed)
        wanted.append((document_system(record.id_type or "01"), number, record.id_number_index))
    for system, value, index in wanted:
        existing = repository.identifier(session, system, index)
        if existing is None:
            session.add(
                PersonIdentifier(
                    person_id=person.id,
                    system=system,
                    value_sealed=seal_value(settings, "identifier", value),
                    value_index=index,
                    record_id=record.id,
                )
            )
        elif existing.record_id == record.id or existing.person_id != person.id:
            existing.person_id = person.id
    session.flush()


def refresh_person(session: Session, person: Person) -> None:
    """Derive the person's demographics from their records (the newest non-empty value wins)."""
    records = list(repository.records_of(session, person.id))
    if not records:
        return
    newest = records[0]
    person.name = newest.name
    person.sex = next((r.sex for r in records if r.sex), None)
    person.birth_date = next((r.birth_date for r in records if r.birth_date), None)
    person.address = next((r.address for r in records if r.address), None)
    with_id = next((r for r in records if r.id_valid and r.id_number_sealed), None)
    person.id_number_sealed = with_id.id_number_sealed if with_id else None
    with_phone = next((r for r in records if r.phone_sealed), None)
    person.phone_sealed = with_phone.phone_sealed if with_phone else None
    mother = next((r.mother_id_number_index for r in records if r.mother_id_number_index), None)
    person.provisional = with_id is None and mother is not None
    if mother is not None:
        owner = repository.identifier(session, RESIDENT_ID_SYSTEM, mother)
        person.mother_id = owner.person_id if owner else None
    session.flush()


def _retire_if_empty(session: Session, person_id: int, into: int) -> None:
    if repository.records_of(session, person_id):
        return
    person = repository.get_person(session, person_id)
    if person is not None and person.status == "active":
        person.status = "merged"
        person.merged_into_id = into
        session.flush()


def _follow(session: Session, person_id: int) -> Person:
    """The active person at the end of a chain of merges."""
    person = repository.get_person(session, person_id)
    seen = 0
    while person is not None and person.status == "merged" and person.merged_into_id and seen < 32:
        person = repository.get_person(session, person.merged_into_id)
        seen += 1
    if person is None:
        raise LookupError(f"person {person_id} vanished")
    return person


def _answer(
    session: Session,
    actor: Principal,
    outcome: Outcome,
    person: Person,
    record: PersonRecord,
    probability: float | None,
    review: MatchReview | None,
    rule_set: str,
) -> Registration:
    audit.record(
        session,
        actor=actor,
        action="identity.register",
        resource_type="Person",
        resource_id=person.id,
        purpose="registration",
        detail={
            "outcome": outcome,
            "record": record.id,
            "probability": probability,
            "review": review.id if review else None,
            "rule_set": rule_set,
        },
    )
    return Registration(outcome, person, record, probability, review, rule_set)


# Matching without registering ($match) -------------------------------------------------------
@dataclass(frozen=True)
class MatchCandidate:
    person_id: int
    probability: float
    weight: float
    certain: bool


def match(
    session: Session, *, settings: Settings, data: RegistrationIn, limit: int = 10
) -> list[MatchCandidate]:
    """Score the persons a set of demographics could be, without registering anything."""
    id_type, number, resident = check_documents(data)
    birth = resident.birth_date if resident else data.birth_date
    names = name_features(data.name)
    phone = normalize_phone(data.phone or "")
    record = PersonRecord(source_system="urn:healthcard:match", local_id="-")
    _fill_record(
        settings,
        record,
        data=data,
        institution_id=None,
        id_type=id_type,
        number=number,
        id_index=blind_index(settings, "id", f"{id_type}:{number}") if number else None,
        phone=phone,
        birth=birth,
        sex=resident.sex if resident else data.sex,
        names_pinyin=names.pinyin,
        surname_pinyin=names.surname_pinyin,
    )
    results: list[MatchCandidate] = []
    if record.id_valid and record.id_number_index:
        owner = repository.identifier(
            session, document_system(id_type or "01"), record.id_number_index
        )
        if owner is not None:
            results.append(MatchCandidate(_follow(session, owner.person_id).id, 1.0, 99.0, True))
    scorer = scoring.current(session)
    for candidate in score_candidates(
        session, settings=settings, scorer=scorer, record=record, exclude=set()
    ):
        if any(r.person_id == candidate.person_id for r in results):
            continue
        certain = (
            candidate.probability >= settings.empi_auto_link_threshold
            and not candidate.different_valid_ids
        )
        results.append(
            MatchCandidate(candidate.person_id, candidate.probability, candidate.weight, certain)
        )
    return results[:limit]
