"""The registration centre's registers: card manufacturers and products, SAM cards, terminals."""

from __future__ import annotations

from sqlalchemy.orm import Session

from healthcard.cards import repository
from healthcard.cards.exceptions import DuplicateRegistry, IllegalTransition, RegistryNotFound
from healthcard.core import audit
from healthcard.core.db import utcnow
from healthcard.core.principal import Principal
from healthcard.core.uses import CODE_USES
from healthcard.models import CardManufacturer, CardProduct, SamCard, Terminal

TERMINAL_USES = CODE_USES


def add_manufacturer(
    session: Session,
    *,
    actor: Principal,
    name: str,
    uscc: str | None = None,
    contact: str | None = None,
) -> CardManufacturer:
    """Register a card manufacturer."""
    if repository.manufacturer_by_name(session, name) is not None:
        raise DuplicateRegistry(f"厂商“{name}”已登记。")
    row = CardManufacturer(name=name, uscc=uscc, contact=contact)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="registry.manufacturer.add",
        resource_type="CardManufacturer",
        resource_id=row.id,
    )
    return row


def add_product(
    session: Session,
    *,
    actor: Principal,
    manufacturer_id: int,
    model: str,
    chip: str | None = None,
    cos_version: str | None = None,
) -> CardProduct:
    """Register a card product of a manufacturer."""
    if repository.get_manufacturer(session, manufacturer_id) is None:
        raise RegistryNotFound("制卡厂商不存在。")
    row = CardProduct(
        manufacturer_id=manufacturer_id, model=model, chip=chip, cos_version=cos_version
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="registry.product.add",
        resource_type="CardProduct",
        resource_id=row.id,
    )
    return row


def issue_sam(session: Session, *, actor: Principal, serial: str, institution_id: int) -> SamCard:
    """Issue a SAM card to an institution."""
    if repository.sam_by_serial(session, serial) is not None:
        raise DuplicateRegistry(f"SAM 卡 {serial} 已登记。")
    row = SamCard(serial=serial, institution_id=institution_id, status="issued")
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="registry.sam.issue",
        resource_type="SamCard",
        resource_id=serial,
    )
    return row


def register_terminal(
    session: Session,
    *,
    actor: Principal,
    code: str,
    institution_id: int,
    sam_serial: str,
    uses: list[str],
    location: str | None = None,
) -> Terminal:
    """Register a terminal with its SAM card (which must be issued to the same institution)."""
    if repository.terminal_by_code(session, code) is not None:
        raise DuplicateRegistry(f"终端号 {code} 已登记。")
    sam = repository.sam_by_serial(session, sam_serial)
    if sam is None:
        raise RegistryNotFound(f"SAM 卡 {sam_serial} 未登记。")
    if sam.status != "issued" or sam.institution_id != institution_id:
        raise IllegalTransition(f"SAM 卡 {sam_serial} 已被使用、已吊销，或不属于该机构。")
    unknown = sorted(set(uses) - set(TERMINAL_USES))
    if unknown:
        raise IllegalTransition(f"未知的受理用途：{', '.join(unknown)}。")
    terminal = Terminal(
        code=code,
        institution_id=institution_id,
        sam_card_id=sam.id,
        allowed_uses=" ".join(sorted(set(uses))),
        location=location,
    )
    sam.status = "assigned"
    session.add(terminal)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="registry.terminal.add",
        resource_type="Terminal",
        resource_id=code,
        detail={"sam": sam_serial},
    )
    return terminal


def revoke_terminal(session: Session, *, actor: Principal, code: str) -> Terminal:
    """Revoke a terminal: every card operation and QR verification from it is refused."""
    terminal = repository.terminal_by_code(session, code)
    if terminal is None:
        raise RegistryNotFound(f"终端 {code} 未登记。")
    terminal.status = "revoked"
    terminal.revoked_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="registry.terminal.revoke",
        resource_type="Terminal",
        resource_id=code,
    )
    return terminal


def revoke_sam(session: Session, *, actor: Principal, serial: str) -> SamCard:
    """Revoke a SAM card (lost or compromised); its terminal stops working."""
    sam = repository.sam_by_serial(session, serial)
    if sam is None:
        raise RegistryNotFound(f"SAM 卡 {serial} 未登记。")
    sam.status = "revoked"
    sam.revoked_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="registry.sam.revoke",
        resource_type="SamCard",
        resource_id=serial,
    )
    return sam


def list_registry(session: Session) -> dict[str, list[object]]:
    """Everything on the registers, for the registration centre's pages."""
    return {
        "manufacturers": list(repository.manufacturers(session)),
        "products": list(repository.products(session)),
        "sam_cards": list(repository.sam_cards(session)),
        "terminals": list(repository.terminals(session)),
    }
