"""API shapes of the cards domain."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field

from healthcard.core.schemas import Out, Schema
from healthcard.core.uses import CodeUse

TerminalCode = Field(default=None, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")


class ApplicationIn(Schema):
    person_id: int
    terminal: str | None = TerminalCode


class ReviewIn(Schema):
    approve: bool
    reason: str | None = Field(default=None, max_length=300)


class ActionIn(Schema):
    reason: str | None = Field(default=None, max_length=300)
    terminal: str | None = TerminalCode


class ReplaceIn(Schema):
    fee: Decimal = Field(ge=0, le=1000, decimal_places=2, description="工本费 (yuan)")
    reason: str | None = Field(default=None, max_length=300)
    terminal: str | None = TerminalCode


class BatchIn(Schema):
    product_id: int
    limit: int = Field(default=1000, ge=1, le=10000)


class ApplicationOut(Out):
    id: int
    person_id: int
    kind: str
    status: str
    applied_at: datetime
    reviewed_at: datetime | None
    reason: str | None


class EventOut(Out):
    action: str
    from_status: str | None
    to_status: str
    reason: str | None
    actor: str
    occurred_at: datetime


class CardOut(Out):
    id: int
    person_id: int
    status: str
    chip_serial: str | None
    previous_card_id: int | None
    fee: Decimal | None
    issued_at: datetime | None
    activated_at: datetime | None
    ended_at: datetime | None


class CardDetailOut(CardOut):
    history: list[EventOut]


class BatchOut(Schema):
    batch_id: int
    cards: int
    personalisation_csv: str


class ImportOut(Schema):
    produced: int
    errors: list[dict[str, str]]


class ManufacturerIn(Schema):
    name: str = Field(min_length=2, max_length=200)
    uscc: str | None = Field(default=None, min_length=18, max_length=18)
    contact: str | None = Field(default=None, max_length=200)


class ProductIn(Schema):
    manufacturer_id: int
    model: str = Field(min_length=1, max_length=100)
    chip: str | None = Field(default=None, max_length=100)
    cos_version: str | None = Field(default=None, max_length=50)


class SamIn(Schema):
    serial: str = Field(min_length=4, max_length=40, pattern=r"^[A-Za-z0-9]+$")
    institution_id: int


class TerminalIn(Schema):
    code: str = Field(min_length=2, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")
    institution_id: int
    sam_serial: str = Field(min_length=4, max_length=40)
    uses: list[CodeUse] = Field(min_length=1)
    location: str | None = Field(default=None, max_length=200)


class RegistryItemOut(Schema):
    id: int
    kind: str
