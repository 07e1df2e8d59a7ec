"""All SQL of the cards domain."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from healthcard.models import (
    CardApplication,
    CardEvent,
    CardManufacturer,
    CardProduct,
    HealthCard,
    ProductionBatch,
    SamCard,
    Terminal,
)
from healthcard.models.card import LIVE_STATES


def get_card(session: Session, card_id: int) -> HealthCard | None:
    return session.get(HealthCard, card_id)


def cards_by_ids(session: Session, card_ids: Sequence[int]) -> Sequence[HealthCard]:
    if not card_ids:
        return []
    return session.execute(_CARDS_BY_IDS, {"ids": sorted(set(card_ids))}).scalars().all()


_CARDS_BY_IDS = select(HealthCard).where(HealthCard.id.in_(bindparam("ids", expanding=True)))


def card_for_update(session: Session, card_id: int) -> HealthCard | None:
    return session.execute(
        select(HealthCard).where(HealthCard.id == card_id).with_for_update()
    ).scalar_one_or_none()


def live_card_of(session: Session, person_id: int) -> HealthCard | None:
    found = live_cards_of(session, [person_id])  # one live card per person: a constraint
    return found[0] if found else None


def live_cards_of(session: Session, person_ids: Sequence[int]) -> Sequence[HealthCard]:
    if not person_ids:
        return []
    return session.execute(_LIVE_CARDS, {"ids": sorted(set(person_ids))}).scalars().all()


_LIVE_CARDS = select(HealthCard).where(
    HealthCard.person_id.in_(bindparam("ids", expanding=True)),
    HealthCard.status.in_(LIVE_STATES),
)


def cards_of(session: Session, person_id: int) -> Sequence[HealthCard]:
    return (
        session.execute(
            select(HealthCard).where(HealthCard.person_id == person_id).order_by(HealthCard.id)
        )
        .scalars()
        .all()
    )


def card_by_number_index(session: Session, index: str) -> HealthCard | None:
    return session.execute(
        select(HealthCard).where(
            HealthCard.card_number_index == index, HealthCard.status.in_(LIVE_STATES)
        )
    ).scalar_one_or_none()


def card_by_chip(session: Session, chip_serial: str) -> HealthCard | None:
    return session.execute(
        select(HealthCard).where(HealthCard.chip_serial == chip_serial)
    ).scalar_one_or_none()


def cards_in_state(session: Session, status: str, *, limit: int = 1000) -> Sequence[HealthCard]:
    return (
        session.execute(
            select(HealthCard)
            .where(HealthCard.status == status)
            .order_by(HealthCard.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )


def cards_of_batch(session: Session, batch_id: int) -> Sequence[HealthCard]:
    return (
        session.execute(select(HealthCard).where(HealthCard.batch_id == batch_id)).scalars().all()
    )


def count_by_state(session: Session) -> dict[str, int]:
    rows = session.execute(select(HealthCard.status, func.count()).group_by(HealthCard.status))
    return {status: int(n) for status, n in rows}


def events_of(session: Session, card_id: int) -> Sequence[CardEvent]:
    return (
        session.execute(
            select(CardEvent).where(CardEvent.card_id == card_id).order_by(CardEvent.id)
        )
        .scalars()
        .all()
    )


def get_application(session: Session, application_id: int) -> CardApplication | None:
    return session.get(CardApplication, application_id)


def pending_application_of(session: Session, person_id: int) -> CardApplication | None:
    return session.execute(
        select(CardApplication).where(
            CardApplication.person_id == person_id, CardApplication.status == "submitted"
        )
    ).scalar_one_or_none()


def applications(
    session: Session, status: str | None, limit: int = 200
) -> Sequence[CardApplication]:
    stmt = select(CardApplication).order_by(CardApplication.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(CardApplication.status == status)
    return session.execute(stmt).scalars().all()


def get_batch(session: Session, batch_id: int) -> ProductionBatch | None:
    return session.get(ProductionBatch, batch_id)


def get_product(session: Session, product_id: int) -> CardProduct | None:
    return session.get(CardProduct, product_id)


def manufacturer_by_name(session: Session, name: str) -> CardManufacturer | None:
    return session.execute(
        select(CardManufacturer).where(CardManufacturer.name == name)
    ).scalar_one_or_none()


def manufacturers(session: Session) -> Sequence[CardManufacturer]:
    return session.execute(select(CardManufacturer).order_by(CardManufacturer.id)).scalars().all()


def products(session: Session) -> Sequence[CardProduct]:
    return session.execute(select(CardProduct).order_by(CardProduct.id)).scalars().all()


def get_manufacturer(session: Session, manufacturer_id: int) -> CardManufacturer | None:
    return session.get(CardManufacturer, manufacturer_id)


def sam_by_serial(session: Session, serial: str) -> SamCard | None:
    return session.execute(select(SamCard).where(SamCard.serial == serial)).scalar_one_or_none()


def get_sam(session: Session, sam_id: int) -> SamCard | None:
    return session.get(SamCard, sam_id)


def sam_cards(session: Session) -> Sequence[SamCard]:
    return session.execute(select(SamCard).order_by(SamCard.id)).scalars().all()


def terminal_by_code(session: Session, code: str) -> Terminal | None:
    return session.execute(select(Terminal).where(Terminal.code == code)).scalar_one_or_none()


def terminals_with_sam_status(
    session: Session, codes: Sequence[str]
) -> dict[str, tuple[Terminal, str | None]]:
    """Terminals and the status of their SAM card (None: no SAM card), in one statement, by
    code (unknown codes are absent)."""
    if not codes:
        return {}
    rows = session.execute(_TERMINALS_WITH_SAM, {"codes": sorted(set(codes))}).all()
    return {row[0].code: (row[0], row[1]) for row in rows}


_TERMINALS_WITH_SAM = (
    select(Terminal, SamCard.status)
    .outerjoin(SamCard, SamCard.id == Terminal.sam_card_id)
    .where(Terminal.code.in_(bindparam("codes", expanding=True)))
)


def terminals(session: Session) -> Sequence[Terminal]:
    return session.execute(select(Terminal).order_by(Terminal.id)).scalars().all()


def terminal_of_sam(session: Session, sam_id: int) -> Terminal | None:
    return session.execute(
        select(Terminal).where(Terminal.sam_card_id == sam_id)
    ).scalar_one_or_none()


def issued_by_institution_month(session: Session) -> list[tuple[int | None, str, int]]:
    """(issuing institution, YYYY-MM, cards issued) for supervision."""
    rows = session.execute(
        select(HealthCard.issuing_institution_id, HealthCard.issued_at).where(
            HealthCard.issued_at.is_not(None)
        )
    )
    counts: dict[tuple[int | None, str], int] = {}
    for institution_id, issued_at in rows:
        if issued_at is None:
            continue
        key = (institution_id, issued_at.strftime("%Y-%m"))
        counts[key] = counts.get(key, 0) + 1
    return sorted(((i, m, n) for (i, m), n in counts.items()), key=lambda r: (r[1], r[0] or 0))


def recent_cards(session: Session, limit: int = 50) -> Sequence[HealthCard]:
    return (
        session.execute(select(HealthCard).order_by(HealthCard.updated_at.desc()).limit(limit))
        .scalars()
        .all()
    )
