"""Permissions of the ecard domain.

Apps and institution systems (APP接入管理) are the platform's API clients: a client is granted
``ecards.qrcode`` (a resident app), ``ecards.verify`` (a hospital's terminals) or
``ecards.manage``; terminals and their allowed uses come from the card registration centre.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from healthcard.core.auth import Caller, DeferredPermissionCheck, PermissionCheck
from healthcard.core.i18n import N_
from healthcard.core.permissions import Role, define
from healthcard.core.principal import Principal

_FRONT_DESK = (Role.DOCTOR, Role.NURSE, Role.CASHIER, Role.CARD_OPERATOR)

ECARDS_READ = define(
    "ecards.read",
    N_("查询电子健康卡及其用卡记录"),
    roles=(Role.CARD_OPERATOR, Role.AUDITOR),
    client_grantable=True,
)
ECARDS_MANAGE = define(
    "ecards.manage",
    N_("申领、修改、注销电子健康卡，绑定银行卡"),
    roles=(Role.CARD_OPERATOR,),
    client_grantable=True,
)
ECARDS_QRCODE = define(
    "ecards.qrcode",
    N_("生成电子健康卡二维码"),
    roles=(Role.CARD_OPERATOR,),
    client_grantable=True,
)
ECARDS_VERIFY = define(
    "ecards.verify", N_("受理终端验证电子健康卡二维码"), roles=_FRONT_DESK, client_grantable=True
)

ECardsRead = Annotated[Principal, Depends(PermissionCheck(ECARDS_READ))]
ECardsManage = Annotated[Principal, Depends(PermissionCheck(ECARDS_MANAGE))]
ECardsQrcode = Annotated[Principal, Depends(PermissionCheck(ECARDS_QRCODE))]
ECardsVerify = Annotated[Principal, Depends(PermissionCheck(ECARDS_VERIFY))]
# Resolved and checked in the batch transaction of online verification (core/batching.py).
ECardsVerifyBatched = Annotated[Caller, Depends(DeferredPermissionCheck(ECARDS_VERIFY))]
