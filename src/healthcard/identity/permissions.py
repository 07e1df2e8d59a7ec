"""Permissions of the identity domain (master patient index)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from healthcard.core.auth import PermissionCheck
from healthcard.core.i18n import N_
from healthcard.core.permissions import Role, define
from healthcard.core.principal import Principal

_CLINICAL = (Role.DOCTOR, Role.NURSE, Role.PUBLIC_HEALTH_WORKER, Role.CARD_OPERATOR)

RESIDENTS_REGISTER = define(
    "residents.register",
    N_("登记居民（主索引注册）"),
    roles=(*_CLINICAL, Role.CASHIER),
    client_grantable=True,
)
RESIDENTS_READ = define(
    "residents.read",
    N_("查询居民身份信息"),
    roles=(*_CLINICAL, Role.CASHIER, Role.SYSTEM_ADMIN, Role.DATA_STEWARD),
    client_grantable=True,
)
RESIDENTS_REVEAL = define(
    "residents.reveal",
    N_("查看完整身份证号与电话（留痕）"),
    roles=(Role.CARD_OPERATOR, Role.DATA_STEWARD),
)
EMPI_REVIEW = define(
    "empi.review", N_("处理主索引待审核配对、合并与撤销合并"), roles=(Role.DATA_STEWARD,)
)

ResidentsRegister = Annotated[Principal, Depends(PermissionCheck(RESIDENTS_REGISTER))]
ResidentsRead = Annotated[Principal, Depends(PermissionCheck(RESIDENTS_READ))]
ResidentsReveal = Annotated[Principal, Depends(PermissionCheck(RESIDENTS_REVEAL))]
EmpiReview = Annotated[Principal, Depends(PermissionCheck(EMPI_REVIEW))]
