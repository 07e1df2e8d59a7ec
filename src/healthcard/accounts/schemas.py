"""API and form shapes of the accounts domain."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, field_validator
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError

from healthcard.core.i18n import N_
from healthcard.core.schemas import Out, Schema
from healthcard.core.uses import CodeUse


class InstitutionKind(StrEnum):
    HOSPITAL = "hospital"
    COMMUNITY_HEALTH_CENTRE = "community_health_centre"
    TOWNSHIP_HEALTH_CENTRE = "township_health_centre"
    VILLAGE_CLINIC = "village_clinic"
    CDC = "cdc"
    HEALTH_COMMISSION = "health_commission"
    CARD_CENTRE = "card_centre"


INSTITUTION_KIND_LABELS = {
    InstitutionKind.HOSPITAL: N_("医院"),
    InstitutionKind.COMMUNITY_HEALTH_CENTRE: N_("社区卫生服务中心"),
    InstitutionKind.TOWNSHIP_HEALTH_CENTRE: N_("乡镇卫生院"),
    InstitutionKind.VILLAGE_CLINIC: N_("村卫生室"),
    InstitutionKind.CDC: N_("疾病预防控制中心"),
    InstitutionKind.HEALTH_COMMISSION: N_("卫生健康委员会"),
    InstitutionKind.CARD_CENTRE: N_("居民健康卡注册管理中心"),
}


class HospitalLevel(StrEnum):
    """Hospital grading (医院等级): level 1-3, grade 甲乙丙, and 三级特等."""

    L3S = "3S"
    L3A = "3A"
    L3B = "3B"
    L3C = "3C"
    L2A = "2A"
    L2B = "2B"
    L2C = "2C"
    L1A = "1A"
    L1B = "1B"
    L1C = "1C"
    UNRATED = "0"


HOSPITAL_LEVEL_LABELS = {
    "3S": N_("三级特等"),
    "3A": N_("三级甲等"),
    "3B": N_("三级乙等"),
    "3C": N_("三级丙等"),
    "2A": N_("二级甲等"),
    "2B": N_("二级乙等"),
    "2C": N_("二级丙等"),
    "1A": N_("一级甲等"),
    "1B": N_("一级乙等"),
    "1C": N_("一级丙等"),
    "0": N_("未定级"),
}

Name = Annotated[str, Field(min_length=2, max_length=200)]
USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{2,49}$")
CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def check_uscc(value: str) -> str:
    """Validate a unified social credit code with python-stdnum; explain failures in Chinese."""
    try:
        return uscc.validate(value)
    except InvalidLength as exc:
        raise ValueError("统一社会信用代码应为 18 位。") from exc
    except InvalidChecksum as exc:
        raise ValueError("统一社会信用代码校验位不正确，请核对最后一位。") from exc
    except InvalidFormat as exc:
        raise ValueError("统一社会信用代码含有不允许的字符（不使用 I、O、Z、S、V）。") from exc
    except ValidationError as exc:
        raise ValueError("统一社会信用代码无效。") from exc


class InstitutionIn(Schema):
    uscc: str = Field(description="统一社会信用代码 (18 characters, check digit verified)")
    name: Name
    short_name: str | None = Field(default=None, max_length=50)
    kind: InstitutionKind
    hospital_level: HospitalLevel | None = None
    division_code: str = Field(pattern=r"^\d{6}$", description="GB/T 2260 division code")
    parent_id: int | None = None
    address: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, max_length=30, pattern=r"^[0-9+\-() ]{5,30}$")

    @field_validator("uscc")
    @classmethod
    def _uscc(cls, value: str) -> str:
        return check_uscc(value.upper())


class InstitutionPatch(Schema):
    name: Name | None = None
    short_name: str | None = Field(default=None, max_length=50)
    kind: InstitutionKind | None = None
    hospital_level: HospitalLevel | None = None
    division_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    parent_id: int | None = None
    address: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, max_length=30, pattern=r"^[0-9+\-() ]{5,30}$")
    active: bool | None = None


class InstitutionOut(Out):
    id: int
    uscc: str
    name: str
    short_name: str | None
    kind: str
    hospital_level: str | None
    division_code: str
    parent_id: int | None
    address: str | None
    phone: str | None
    active: bool
    created_at: datetime


class DepartmentIn(Schema):
    code: str = Field(pattern=CODE.pattern, description="unique within the institution")
    name: Annotated[str, Field(min_length=1, max_length=100)]


class DepartmentOut(Out):
    id: int
    institution_id: int
    code: str
    name: str
    active: bool


class StaffIn(Schema):
    username: str = Field(pattern=USERNAME.pattern, description="lower-case login name")
    display_name: Annotated[str, Field(min_length=1, max_length=100)]
    institution_id: int
    department_id: int | None = None
    phone: str | None = Field(default=None, max_length=30, pattern=r"^[0-9+\-() ]{5,30}$")
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")
    roles: list[str] = Field(min_length=1)
    password: str = Field(max_length=128)


class StaffPatch(Schema):
    display_name: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    department_id: int | None = None
    phone: str | None = Field(default=None, max_length=30, pattern=r"^[0-9+\-() ]{5,30}$")
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")
    roles: list[str] | None = None
    active: bool | None = None


class StaffOut(Out):
    id: int
    username: str
    display_name: str
    institution_id: int
    department_id: int | None
    active: bool
    totp_enabled: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    roles: list[str] = Field(default_factory=list)


class RoleIn(Schema):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{2,49}$")
    name: Annotated[str, Field(min_length=1, max_length=100)]
    description: str = Field(default="", max_length=300)
    platform_wide: bool = False
    permissions: list[str] = Field(default_factory=list)


class ClientIn(Schema):
    name: Annotated[str, Field(min_length=2, max_length=200)]
    institution_id: int
    scopes: list[str] = Field(min_length=1)
    uses: list[CodeUse] = Field(default_factory=list)  # empty: any use


class ClientOut(Out):
    id: int
    client_id: str
    name: str
    institution_id: int
    scopes: str
    uses: str
    active: bool
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenOut(Schema):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int
    scope: str


class MeOut(Schema):
    kind: str
    id: int
    name: str
    institution_id: int | None
    roles: list[str]
    permissions: list[str]
