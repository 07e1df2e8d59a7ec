"""The card lifecycle: apply, review, produce, issue, activate, report lost, recover, reissue,
replace, cancel. Every move is checked against the state machine, recorded and audited."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from healthcard.cards import repository
from healthcard.cards.exceptions import (
    ApplicationNotFound,
    CardNotFound,
    IllegalTransition,
    LiveCardExists,
    NoDocumentNumber,
    RegistryNotFound,
    TerminalRefused,
)
from healthcard.core import audit
from healthcard.core.config import Settings
from healthcard.core.crypto import derive_key, hmac_sm3, seal, unseal
from healthcard.core.db import advisory_lock, utcnow
from healthcard.core.errors import FieldError, ValidationFailed
from healthcard.core.i18n import N_
from healthcard.core.principal import Principal
from healthcard.identity import service as identity_service
from healthcard.models import CardApplication, CardEvent, HealthCard, ProductionBatch, Terminal

STATE_NAMES = {
    "approved": N_("待制卡"),
    "in_production": N_("制卡中"),
    "produced": N_("已制卡"),
    "issued": N_("已发卡"),
    "active": N_("正常"),
    "lost": N_("挂失"),
    "replaced": N_("失效（已补换）"),
    "cancelled": N_("注销"),
}

# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "produce": (frozenset({"approved"}), "in_production"),
    "produced": (frozenset({"in_production"}), "produced"),
    "issue": (frozenset({"produced"}), "issued"),
    "activate": (frozenset({"issued"}), "active"),
    "report_lost": (frozenset({"active"}), "lost"),
    "recover": (frozenset({"lost"}), "active"),
    "reissue": (frozenset({"lost"}), "replaced"),
    "replace": (frozenset({"active", "lost"}), "replaced"),
    "cancel": (
        frozenset({"approved", "in_production", "produced", "issued", "active", "lost"}),
        "cancelled",
    ),
}
ACTION_NAMES = {
    "produce": N_("制卡"),
    "produced": N_("制卡回盘"),
    "issue": N_("发卡"),
    "activate": N_("启用"),
    "report_lost": N_("挂失"),
    "recover": N_("解挂"),
    "reissue": N_("补卡"),
    "replace": N_("换卡"),
    "cancel": N_("注销"),
}


def _who(actor: Principal) -> str:
    return f"{actor.label}:{actor.name}"


def card_number_index(settings: Settings, number: str) -> str:
    """The blind index a card is found by from its number (the holder's document number)."""
    return hmac_sm3(derive_key(settings.secret_key, "index/card"), number.encode()).hex()


def card_number(settings: Settings, card: HealthCard) -> str:
    """The card number in full (for the personalisation file and the chip; never displayed)."""
    return unseal(
        derive_key(settings.secret_key, "pii/card"), card.card_number_sealed, associated=b"card"
    ).decode()


def check_terminal(
    session: Session, code: str | None, *, required: bool = False
) -> Terminal | None:
    """The terminal an operation comes from; unknown, revoked or SAM-less terminals are refused."""
    if code is None:
        if required:
            raise TerminalRefused("此操作须在受理终端上办理：请求中缺少终端号。")
        return None
    found = check_terminals(session, [code])[code]
    if isinstance(found, TerminalRefused):
        raise found
    return found


def check_terminals(
    session: Session, codes: Sequence[str]
) -> dict[str, Terminal | TerminalRefused]:
    """:func:`check_terminal` for several codes in one statement: each code's terminal, or the
    refusal it would raise (batched verification checks many terminals at once)."""
    found = repository.terminals_with_sam_status(session, codes)
    answers: dict[str, Terminal | TerminalRefused] = {}
    for code in codes:
        try:
            answers[code] = _accepted_terminal(code, found.get(code))
        except TerminalRefused as refused:
            answers[code] = refused
    return answers


def _accepted_terminal(code: str, found: tuple[Terminal, str | None] | None) -> Terminal:
    if found is None:
        raise TerminalRefused(f"终端 {code} 未在注册管理中心登记，拒绝受理。")
    terminal, sam_status = found
    if terminal.status != "active":
        raise TerminalRefused(f"终端 {code} 已被吊销，拒绝受理。")
    if sam_status != "assigned":
        raise TerminalRefused(f"终端 {code} 没有有效的 SAM 卡，拒绝受理。")
    return terminal


def _move(
    session: Session,
    card: HealthCard,
    action: str,
    *,
    actor: Principal,
    reason: str | None = None,
    terminal: Terminal | None = None,
) -> None:
    allowed, target = TRANSITIONS[action]
    if card.status not in allowed:
        raise IllegalTransition(
            f"不能对{STATE_NAMES[card.status]}状态的健康卡办理{ACTION_NAMES[action]}"
            f"（仅限：{'、'.join(STATE_NAMES[s] for s in sorted(allowed))}）。"
        )
    previous = card.status
    card.status = target
    now = utcnow()
    if target == "issued":
        card.issued_at = now
    elif target == "active" and card.activated_at is None:
        card.activated_at = now
    elif target in ("replaced", "cancelled"):
        card.ended_at = now
    session.add(
        CardEvent(
            card_id=card.id,
            action=action,
            from_status=previous,
            to_status=target,
            reason=reason,
            terminal_id=terminal.id if terminal else None,
            actor=_who(actor),
        )
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"card.{action}",
        resource_type="HealthCard",
        resource_id=card.id,
        detail={
            "from": previous,
            "to": target,
            "reason": reason,
            "terminal": terminal.code if terminal else None,
        },
    )


def _card(session: Session, card_id: int) -> HealthCard:
    card = repository.card_for_update(session, card_id)
    if card is None:
        raise CardNotFound()
    return card


# Applications ---------------------------------------------------------------------------------
def apply(
    session: Session,
    *,
    actor: Principal,
    person_id: int,
    terminal_code: str | None = None,
) -> CardApplication:
    """Take an application for a first card (申领)."""
    check_terminal(session, terminal_code)
    advisory_lock(session, f"card-person:{person_id}")
    if repository.live_card_of(session, person_id) is not None:
        raise LiveCardExists()
    if repository.pending_application_of(session, person_id) is not None:
        raise LiveCardExists("该居民已有一份待审核的申领。")
    application = CardApplication(
        person_id=person_id, kind="new", institution_id=actor.institution_id, applied_by=_who(actor)
    )
    session.add(application)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="card.apply",
        resource_type="CardApplication",
        resource_id=application.id,
        detail={"person": person_id},
    )
    return application


def review(
    session: Session,
    *,
    settings: Settings,
    actor: Principal,
    application_id: int,
    approve: bool,
    reason: str | None = None,
) -> CardApplication:
    """Approve (the card goes to production) or reject with a reason (审核)."""
    application = repository.get_application(session, application_id)
    if application is None:
        raise ApplicationNotFound()
    if application.status != "submitted":
        raise IllegalTransition("该申领已经审核过。")
    if not approve and not (reason or "").strip():
        raise ValidationFailed(
            "驳回申领须说明原因。", errors=[FieldError("reason", "请填写驳回原因。", "required")]
        )
    application.status = "approved" if approve else "rejected"
    application.reviewed_by = _who(actor)
    application.reviewed_at = utcnow()
    application.reason = reason
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="card.review",
        resource_type="CardApplication",
        resource_id=application.id,
        detail={"approved": approve, "reason": reason},
    )
    if approve:
        _new_card(session, settings=settings, actor=actor, application=application)
    return application


def _new_card(
    session: Session,
    *,
    settings: Settings,
    actor: Principal,
    application: CardApplication,
    previous: HealthCard | None = None,
    fee: Decimal | None = None,
) -> HealthCard:
    holder = identity_service.card_holder(
        session, settings=settings, actor=actor, person_id=application.person_id
    )
    if holder is None:
        raise NoDocumentNumber()
    key = derive_key(settings.secret_key, "pii/card")
    card = HealthCard(
        person_id=application.person_id,
        application_id=application.id,
        card_number_sealed=seal(key, holder.document_number.encode(), associated=b"card"),
        card_number_index=card_number_index(settings, holder.document_number),
        status="approved",
        previous_card_id=previous.id if previous else None,
        fee=fee,
        issuing_institution_id=actor.institution_id,
    )
    session.add(card)
    session.flush()
    session.add(
        CardEvent(
            card_id=card.id,
            action="approve",
            from_status=None,
            to_status="approved",
            actor=_who(actor),
        )
    )
    session.flush()
    return card


# Production -----------------------------------------------------------------------------------
PERSONALISATION_HEADER = ("card_id", "card_number", "name", "sex", "birth_date", "issued_by")
PRODUCED_HEADER = ("card_id", "chip_serial")


@dataclass(frozen=True)
class Export:
    batch: ProductionBatch
    csv_text: str


def export_batch(
    session: Session, *, settings: Settings, actor: Principal, product_id: int, limit: int = 1000
) -> Export:
    """Batch the approved cards for the manufacturer: the personalisation file (制卡数据)."""
    if repository.get_product(session, product_id) is None:
        raise RegistryNotFound("制卡产品不存在。")
    cards = list(repository.cards_in_state(session, "approved", limit=limit))
    if not cards:
        raise IllegalTransition("没有待制卡的健康卡。")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(PERSONALISATION_HEADER)
    for card in cards:
        holder = identity_service.card_holder(
            session, settings=settings, actor=actor, person_id=card.person_id
        )
        writer.writerow(
            [
                card.id,
                card_number(settings, card),
                holder.name if holder else "",
                holder.sex if holder else "",
                holder.birth_date.isoformat() if holder and holder.birth_date else "",
                card.issuing_institution_id or "",
            ]
        )
    text = buffer.getvalue()
    batch = ProductionBatch(
        product_id=product_id,
        cards=len(cards),
        export_digest=hashlib.sha256(text.encode()).hexdigest(),
        created_by=_who(actor),
    )
    session.add(batch)
    session.flush()
    for card in cards:
        card.batch_id = batch.id
        _move(session, card, "produce", actor=actor, reason=f"batch {batch.id}")
    return Export(batch, text)


@dataclass(frozen=True)
class ImportReport:
    produced: int
    errors: list[FieldError]


def import_produced(
    session: Session, *, actor: Principal, batch_id: int, csv_text: str
) -> ImportReport:
    """Read the manufacturer's file back: each card gets its unique chip serial (回盘)."""
    batch = repository.get_batch(session, batch_id)
    if batch is None:
        raise RegistryNotFound("制卡批次不存在。")
    reader = csv.reader(io.StringIO(csv_text))
    header = next(reader, [])
    if tuple(h.strip() for h in header) != PRODUCED_HEADER:
        raise ValidationFailed(f"回盘文件表头应为 {','.join(PRODUCED_HEADER)}。")
    in_batch = {c.id: c for c in repository.cards_of_batch(session, batch.id)}
    errors: list[FieldError] = []
    produced = 0
    for line, row in enumerate(reader, start=2):
        problem = _produced_row_problem(session, row, in_batch)
        if problem:
            errors.append(FieldError(f"line {line}", problem, "bad_row"))
            continue
        card = in_batch[int(row[0])]
        card.chip_serial = row[1].strip()
        session.flush()
        _move(session, card, "produced", actor=actor, reason=f"chip {card.chip_serial}")
        produced += 1
    if all(c.status != "in_production" for c in in_batch.values()):
        batch.status = "produced"
        batch.produced_at = utcnow()
    return ImportReport(produced, errors)


def _produced_row_problem(
    session: Session, row: list[str], in_batch: dict[int, HealthCard]
) -> str | None:
    if len(row) != len(PRODUCED_HEADER):
        return f"应有 {len(PRODUCED_HEADER)} 列。"
    if not row[0].strip().isdigit() or int(row[0]) not in in_batch:
        return f"卡 {row[0]} 不属于本批次。"
    serial = row[1].strip()
    if not serial or len(serial) > 40 or not serial.isalnum():
        return "芯片序列号应为 1–40 位字母或数字。"
    if repository.card_by_chip(session, serial) is not None:
        return f"芯片序列号 {serial} 已被其他卡使用。"
    if in_batch[int(row[0])].status != "in_production":
        return f"卡 {row[0]} 不在制卡中状态。"
    return None


# Counter operations ---------------------------------------------------------------------------
def act(
    session: Session,
    *,
    actor: Principal,
    card_id: int,
    action: str,
    reason: str | None = None,
    terminal_code: str | None = None,
) -> HealthCard:
    """Issue, activate, report lost, recover or cancel a card (from a terminal, if given)."""
    if action not in ("issue", "activate", "report_lost", "recover", "cancel"):
        raise ValidationFailed(f"未知的操作 {action}。")
    terminal = check_terminal(session, terminal_code)
    card = _card(session, card_id)
    _move(session, card, action, actor=actor, reason=reason, terminal=terminal)
    return card


def reissue_or_replace(
    session: Session,
    *,
    settings: Settings,
    actor: Principal,
    card_id: int,
    replace: bool,
    fee: Decimal,
    reason: str | None = None,
    terminal_code: str | None = None,
) -> HealthCard:
    """补卡 (after a loss) or 换卡 (damaged, expired): the old card stops working at once."""
    if fee < 0:
        raise ValidationFailed("工本费不能为负数。", errors=[FieldError("fee", "应为非负金额。")])
    terminal = check_terminal(session, terminal_code)
    old = _card(session, card_id)
    _move(
        session,
        old,
        "replace" if replace else "reissue",
        actor=actor,
        reason=reason,
        terminal=terminal,
    )
    application = CardApplication(
        person_id=old.person_id,
        kind="replace" if replace else "reissue",
        status="approved",
        institution_id=actor.institution_id,
        applied_by=_who(actor),
        reviewed_by=_who(actor),
        reviewed_at=utcnow(),
        reason=reason,
    )
    session.add(application)
    session.flush()
    return _new_card(
        session, settings=settings, actor=actor, application=application, previous=old, fee=fee
    )


def get_card(session: Session, *, card_id: int) -> HealthCard:
    """One card (no personal data in it but the sealed number)."""
    card = repository.get_card(session, card_id)
    if card is None:
        raise CardNotFound()
    return card


def find_by_number(session: Session, *, settings: Settings, number: str) -> HealthCard | None:
    """The live card with this number (the holder's document number)."""
    return repository.card_by_number_index(session, card_number_index(settings, number.upper()))


def history(session: Session, *, card_id: int) -> list[CardEvent]:
    """Every step of a card's life."""
    return list(repository.events_of(session, card_id))


def cards_of(session: Session, *, person_id: int) -> list[HealthCard]:
    """All cards a person ever had."""
    return list(repository.cards_of(session, person_id))


def cards_by_ids(session: Session, card_ids: Sequence[int]) -> dict[int, HealthCard]:
    """Several cards in one statement, by id (missing ids are absent)."""
    return {card.id: card for card in repository.cards_by_ids(session, card_ids)}


def live_cards(session: Session, person_ids: Sequence[int]) -> dict[int, HealthCard]:
    """Several persons' live cards in one statement, by person (those without one are absent)."""
    return {card.person_id: card for card in repository.live_cards_of(session, person_ids)}


def live_card(session: Session, *, person_id: int) -> HealthCard | None:
    """The person's one live card, if any."""
    return repository.live_card_of(session, person_id)


def state_counts(session: Session) -> dict[str, int]:
    """Cards by state (supervision)."""
    return repository.count_by_state(session)


def supervision(session: Session) -> dict[str, object]:
    """Cards by state, and issued by institution and month (the centre's supervision page)."""
    return {
        "by_state": repository.count_by_state(session),
        "by_month": repository.issued_by_institution_month(session),
    }


def pending_applications(session: Session) -> list[CardApplication]:
    """Applications waiting for review, newest first."""
    return list(repository.applications(session, "submitted"))


def recent_cards(session: Session) -> list[HealthCard]:
    """The cards changed most recently."""
    return list(repository.recent_cards(session))
