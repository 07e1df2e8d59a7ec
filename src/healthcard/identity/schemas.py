"""API shapes of the identity domain."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal

from pydantic import Field, field_validator

from healthcard.core.schemas import Out, Schema

RESIDENT_ID_SYSTEM = "urn:oid:2.16.156.10011.1.3"
_NAME = re.compile(r"^[\u3400-\u9fff\uf900-\ufaff·•A-Za-z .'-]{1,50}$")
_URI = re.compile(r"^(urn:[a-z0-9][a-z0-9-]{0,31}:\S+|https?://\S+)$", re.IGNORECASE)

Outcome = Literal["created", "matched", "review"]


def check_name(value: str) -> str:
    """A person's name: Chinese characters (with · for minority names) or Latin letters."""
    value = re.sub(r"\s+", " ", value.strip())
    if not value:
        raise ValueError("姓名不能为空。")
    if any(ch.isdigit() for ch in value):
        raise ValueError("姓名中不能含有数字。")
    if not _NAME.match(value):
        raise ValueError("姓名只能包含汉字、间隔号“·”或拉丁字母，且不超过 50 个字符。")
    return value


class IdentifierIn(Schema):
    system: str | None = Field(
        default=None,
        max_length=200,
        description="URI of the local numbering system; omitted: the caller institution's own",
    )
    value: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:/-]+$")

    @field_validator("system")
    @classmethod
    def _uri(cls, value: str | None) -> str | None:
        if value is not None and not _URI.match(value):
            raise ValueError("标识体系应为 URI，例如 urn:oid:… 或 https://…")
        return value


class RegistrationIn(Schema):
    """A patient as an institution knows them: its own number and whatever demographics it has."""

    identifier: IdentifierIn
    name: str = Field(max_length=50)
    sex: Literal["0", "1", "2", "9"] | None = Field(
        default=None, description="GB/T 2261.1: 0 unknown, 1 male, 2 female, 9 unspecified"
    )
    birth_date: date | None = None
    id_type: Literal["01", "03", "06", "07", "08", "99"] | None = Field(
        default=None, description="document type; 01 = resident ID card (default with id_number)"
    )
    id_number: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=20, pattern=r"^[0-9+\- ]{5,20}$")
    address: str | None = Field(default=None, max_length=300)
    mother_id_number: str | None = Field(
        default=None, max_length=18, description="for a newborn without an ID: the mother's"
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_name(value)


class RegistrationOut(Schema):
    outcome: Outcome
    person_id: int
    match_probability: float | None = None
    review_id: int | None = None
    rule_set: str | None = None


class IdentifierOut(Schema):
    system: str
    value: str


class PersonOut(Schema):
    id: int
    active: bool
    replaced_by: int | None = None
    name: str
    sex: str | None
    birth_date: date | None
    id_number: str | None = Field(description="masked unless the caller may see it in full")
    phone: str | None
    address: str | None
    provisional: bool
    identifiers: list[IdentifierOut]
    updated_at: datetime


class CandidateOut(Out):
    person: PersonOut
    match_probability: float
    match_weight: float
    grade: Literal["certain", "probable", "possible"]
