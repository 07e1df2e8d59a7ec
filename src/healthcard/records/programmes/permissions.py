"""Permissions of the public-health programmes (重点人群管理, 预防接种, 传染病报告)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from healthcard.core.auth import PermissionCheck
from healthcard.core.i18n import N_
from healthcard.core.permissions import Role, define
from healthcard.core.principal import Principal

_CARE = (Role.PUBLIC_HEALTH_WORKER, Role.VILLAGE_DOCTOR, Role.DOCTOR, Role.NURSE)

PROGRAMMES_READ = define(
    "programmes.read",
    N_("查看重点人群管理、随访任务与预防接种"),
    roles=(*_CARE, Role.INSTITUTION_ADMIN),
    client_grantable=True,
)
PROGRAMMES_MANAGE = define(
    "programmes.manage",
    N_("纳入重点人群管理、填写随访与体检表"),
    roles=_CARE,
    client_grantable=True,
)
PROGRAMMES_ACTIVITIES = define(
    "programmes.activities",
    N_("登记健康教育活动、转诊与会诊"),
    roles=(Role.PUBLIC_HEALTH_WORKER, Role.VILLAGE_DOCTOR, Role.DOCTOR),
)
IMMUNISATIONS_RECORD = define(
    "immunisations.record",
    N_("登记预防接种"),
    roles=(Role.PUBLIC_HEALTH_WORKER, Role.VILLAGE_DOCTOR, Role.NURSE),
    client_grantable=True,
)
INFECTIOUS_REPORT = define(
    "infectious.report",
    N_("填报传染病报告卡"),
    roles=(Role.DOCTOR, Role.PUBLIC_HEALTH_WORKER, Role.VILLAGE_DOCTOR),
    client_grantable=True,
)
INFECTIOUS_REVIEW = define(
    "infectious.review", N_("审核传染病报告与迟报督办"), roles=(Role.CDC_OFFICER,)
)

ProgrammesRead = Annotated[Principal, Depends(PermissionCheck(PROGRAMMES_READ))]
ProgrammesManage = Annotated[Principal, Depends(PermissionCheck(PROGRAMMES_MANAGE))]
ProgrammesActivities = Annotated[Principal, Depends(PermissionCheck(PROGRAMMES_ACTIVITIES))]
ImmunisationsRecord = Annotated[Principal, Depends(PermissionCheck(IMMUNISATIONS_RECORD))]
InfectiousReport = Annotated[Principal, Depends(PermissionCheck(INFECTIOUS_REPORT))]
InfectiousReview = Annotated[Principal, Depends(PermissionCheck(INFECTIOUS_REVIEW))]
