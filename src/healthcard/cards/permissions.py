"""Permissions of the cards domain."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from healthcard.core.auth import PermissionCheck
from healthcard.core.i18n import N_
from healthcard.core.permissions import Role, define
from healthcard.core.principal import Principal

CARDS_READ = define(
    "cards.read", N_("查询健康卡"), roles=(Role.CARD_OPERATOR, Role.AUDITOR), client_grantable=True
)
CARDS_APPLY = define(
    "cards.apply", N_("受理健康卡申领"), roles=(Role.CARD_OPERATOR,), client_grantable=True
)
CARDS_REVIEW = define("cards.review", N_("审核健康卡申领"), roles=(Role.CARD_OPERATOR,))
CARDS_PRODUCE = define("cards.produce", N_("制卡批次导出与回盘"), roles=(Role.CARD_OPERATOR,))
CARDS_MANAGE = define(
    "cards.manage", N_("发卡、启用、挂失、解挂、补换卡、注销"), roles=(Role.CARD_OPERATOR,)
)
REGISTRY_MANAGE = define(
    "registry.manage", N_("管理制卡厂商、SAM 卡与受理终端"), roles=(Role.CARD_OPERATOR,)
)

CardsRead = Annotated[Principal, Depends(PermissionCheck(CARDS_READ))]
CardsApply = Annotated[Principal, Depends(PermissionCheck(CARDS_APPLY))]
CardsReview = Annotated[Principal, Depends(PermissionCheck(CARDS_REVIEW))]
CardsProduce = Annotated[Principal, Depends(PermissionCheck(CARDS_PRODUCE))]
CardsManage = Annotated[Principal, Depends(PermissionCheck(CARDS_MANAGE))]
RegistryManage = Annotated[Principal, Depends(PermissionCheck(REGISTRY_MANAGE))]
