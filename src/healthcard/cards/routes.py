"""JSON API of the card registration centre: applications, production, counter operations,
and the registers of manufacturers, SAM cards and terminals."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Request

from healthcard.cards import service
from healthcard.cards.permissions import (
    CardsApply,
    CardsManage,
    CardsProduce,
    CardsRead,
    CardsReview,
    RegistryManage,
)
from healthcard.cards.schemas import (
    ActionIn,
    ApplicationIn,
    ApplicationOut,
    BatchIn,
    BatchOut,
    CardDetailOut,
    CardOut,
    EventOut,
    ImportOut,
    ManufacturerIn,
    ProductIn,
    RegistryItemOut,
    ReplaceIn,
    ReviewIn,
    SamIn,
    TerminalIn,
)
from healthcard.core.session import DbSession

router = APIRouter(prefix="/api/v1", tags=["cards"])

Action = Literal["issue", "activate", "report-lost", "recover", "cancel"]


@router.post("/cards/applications", response_model=ApplicationOut, status_code=201)
def apply(session: DbSession, principal: CardsApply, data: ApplicationIn) -> ApplicationOut:
    """Take an application for a resident's first health card (申领)."""
    application = service.apply(
        session, actor=principal, person_id=data.person_id, terminal_code=data.terminal
    )
    return ApplicationOut.model_validate(application)


@router.post("/cards/applications/{application_id}/review", response_model=ApplicationOut)
def review(
    request: Request,
    session: DbSession,
    principal: CardsReview,
    application_id: int,
    data: ReviewIn,
) -> ApplicationOut:
    """Approve an application (the card goes to production) or reject it with a reason."""
    application = service.review(
        session,
        settings=request.app.state.settings,
        actor=principal,
        application_id=application_id,
        approve=data.approve,
        reason=data.reason,
    )
    return ApplicationOut.model_validate(application)


@router.post("/cards/batches", response_model=BatchOut, status_code=201)
def export_batch(
    request: Request, session: DbSession, principal: CardsProduce, data: BatchIn
) -> BatchOut:
    """Batch the approved cards and return the personalisation file for the manufacturer."""
    export = service.export_batch(
        session,
        settings=request.app.state.settings,
        actor=principal,
        product_id=data.product_id,
        limit=data.limit,
    )
    return BatchOut(
        batch_id=export.batch.id, cards=export.batch.cards, personalisation_csv=export.csv_text
    )


@router.post("/cards/batches/{batch_id}/produced", response_model=ImportOut)
def import_produced(
    session: DbSession,
    principal: CardsProduce,
    batch_id: int,
    csv_text: Annotated[str, Body(media_type="text/csv", max_length=5_000_000)],
) -> ImportOut:
    """Read the manufacturer's file back (card_id,chip_serial); bad lines are reported."""
    report = service.import_produced(session, actor=principal, batch_id=batch_id, csv_text=csv_text)
    errors = [{"line": e.field, "message": e.message} for e in report.errors]
    return ImportOut(produced=report.produced, errors=errors)


@router.post("/cards/{card_id}/reissue", response_model=CardOut, status_code=201)
def reissue(
    request: Request, session: DbSession, principal: CardsManage, card_id: int, data: ReplaceIn
) -> CardOut:
    """补卡 after a loss: the old card stops working at once; answers the new card."""
    card = service.reissue_or_replace(
        session,
        settings=request.app.state.settings,
        actor=principal,
        card_id=card_id,
        replace=False,
        fee=data.fee,
        reason=data.reason,
        terminal_code=data.terminal,
    )
    return CardOut.model_validate(card)


@router.post("/cards/{card_id}/replace", response_model=CardOut, status_code=201)
def replace(
    request: Request, session: DbSession, principal: CardsManage, card_id: int, data: ReplaceIn
) -> CardOut:
    """换卡 (damaged, expired): the old card stops working at once; answers the new card."""
    card = service.reissue_or_replace(
        session,
        settings=request.app.state.settings,
        actor=principal,
        card_id=card_id,
        replace=True,
        fee=data.fee,
        reason=data.reason,
        terminal_code=data.terminal,
    )
    return CardOut.model_validate(card)


@router.post("/cards/{card_id}/{action}", response_model=CardOut)
def act(
    session: DbSession, principal: CardsManage, card_id: int, action: Action, data: ActionIn
) -> CardOut:
    """Issue, activate, report lost, recover or cancel a card; illegal moves answer 409."""
    card = service.act(
        session,
        actor=principal,
        card_id=card_id,
        action=action.replace("-", "_"),
        reason=data.reason,
        terminal_code=data.terminal,
    )
    return CardOut.model_validate(card)


@router.get("/cards/{card_id}", response_model=CardDetailOut)
def get_card(session: DbSession, _: CardsRead, card_id: int) -> CardDetailOut:
    """One card with its history."""
    card = service.get_card(session, card_id=card_id)
    events = [EventOut.model_validate(e) for e in service.history(session, card_id=card_id)]
    return CardDetailOut(**CardOut.model_validate(card).model_dump(), history=events)


@router.post("/registry/manufacturers", response_model=RegistryItemOut, status_code=201)
def add_manufacturer(
    session: DbSession, principal: RegistryManage, data: ManufacturerIn
) -> RegistryItemOut:
    """Register a card manufacturer."""
    row = service.add_manufacturer(session, actor=principal, **data.model_dump())
    return RegistryItemOut(id=row.id, kind="manufacturer")


@router.post("/registry/products", response_model=RegistryItemOut, status_code=201)
def add_product(session: DbSession, principal: RegistryManage, data: ProductIn) -> RegistryItemOut:
    """Register a card product."""
    row = service.add_product(session, actor=principal, **data.model_dump())
    return RegistryItemOut(id=row.id, kind="product")


@router.post("/registry/sam-cards", response_model=RegistryItemOut, status_code=201)
def issue_sam(session: DbSession, principal: RegistryManage, data: SamIn) -> RegistryItemOut:
    """Issue a SAM card to an institution."""
    row = service.issue_sam(
        session, actor=principal, serial=data.serial, institution_id=data.institution_id
    )
    return RegistryItemOut(id=row.id, kind="sam_card")


@router.post("/registry/sam-cards/{serial}/revoke", response_model=RegistryItemOut)
def revoke_sam(session: DbSession, principal: RegistryManage, serial: str) -> RegistryItemOut:
    """Revoke a SAM card; its terminal stops working."""
    row = service.revoke_sam(session, actor=principal, serial=serial)
    return RegistryItemOut(id=row.id, kind="sam_card")


@router.post("/registry/terminals", response_model=RegistryItemOut, status_code=201)
def register_terminal(
    session: DbSession, principal: RegistryManage, data: TerminalIn
) -> RegistryItemOut:
    """Register a terminal with its SAM card and allowed uses."""
    row = service.register_terminal(
        session,
        actor=principal,
        code=data.code,
        institution_id=data.institution_id,
        sam_serial=data.sam_serial,
        uses=list(data.uses),
        location=data.location,
    )
    return RegistryItemOut(id=row.id, kind="terminal")


@router.post("/registry/terminals/{code}/revoke", response_model=RegistryItemOut)
def revoke_terminal(session: DbSession, principal: RegistryManage, code: str) -> RegistryItemOut:
    """Revoke a terminal."""
    row = service.revoke_terminal(session, actor=principal, code=code)
    return RegistryItemOut(id=row.id, kind="terminal")
