"""API shapes of the ecard domain."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from healthcard.core.uses import CodeUse

Use = CodeUse


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ECardIn(_In):
    person_id: int


class ECardUpdateIn(_In):
    pin: str | None = Field(default=None, pattern=r"^\d{6}$", description="六位数字密码")
    refresh_card: bool = False


class CancelIn(_In):
    reason: str = Field(min_length=1, max_length=300)


class BankCardIn(_In):
    number: str = Field(min_length=12, max_length=23)


class ECardOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    person_id: int
    card_id: int | None
    status: str
    has_pin: bool
    static_code: bool
    bank_masked: str | None
    created_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None


class QrCodeIn(_In):
    static: bool = False


class QrCodeOut(BaseModel):
    payload: str
    kind: str
    kid: str
    issued_at: datetime
    expires_at: datetime
    expires_in: int
    png: str = Field(description="PNG image, base64")
    svg: str


class VerifyIn(_In):
    payload: str = Field(min_length=1, max_length=1000)
    terminal: str = Field(min_length=1, max_length=40)
    use: Use
    pin: str | None = Field(default=None, max_length=12)


class SummaryOut(BaseModel):
    person_id: int
    name_masked: str
    sex: str | None
    birth_year: int | None
    id_number_masked: str | None
    ecard_status: str
    card_status: str | None
    code_kind: str
    use: str


class OfflineUseIn(_In):
    payload: str = Field(min_length=1, max_length=1000)
    use: Use
    verified_at: datetime
    outcome: Literal["accepted", "refused"]
    error_code: str | None = Field(default=None, max_length=40)


class OfflineReportIn(_In):
    terminal: str = Field(min_length=1, max_length=40)
    uses: list[OfflineUseIn] = Field(min_length=1, max_length=1000)


class OfflineReportOut(BaseModel):
    recorded: int


class UseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    terminal_code: str
    use: str
    kind: str | None
    outcome: str
    error_code: str | None
    mode: str
    occurred_at: datetime
