"""Permissions of the records domain (居民健康档案)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from healthcard.core.auth import PermissionCheck
from healthcard.core.i18n import N_
from healthcard.core.permissions import Role, define
from healthcard.core.principal import Principal

_CLINICAL = (Role.PUBLIC_HEALTH_WORKER, Role.VILLAGE_DOCTOR, Role.DOCTOR, Role.NURSE)

RECORDS_READ = define(
    "records.read",
    N_("查阅健康档案"),
    roles=(*_CLINICAL, Role.INSTITUTION_ADMIN),
    client_grantable=True,
)
RECORDS_WRITE = define(
    "records.write", N_("建立与维护家庭档案、健康档案和健康体检"), roles=_CLINICAL
)
RECORDS_CONSENT = define(
    "records.consent",
    N_("登记居民授权其他机构查阅档案"),
    roles=(Role.PUBLIC_HEALTH_WORKER, Role.VILLAGE_DOCTOR, Role.DOCTOR),
)
RECORDS_TEAMS = define(
    "records.teams",
    N_("管理家庭医生团队与档案责任人"),
    roles=(Role.PUBLIC_HEALTH_WORKER, Role.INSTITUTION_ADMIN),
)
RECORDS_MIGRATE = define(
    "records.migrate",
    N_("申请、确认或拒绝档案迁移"),
    roles=(Role.PUBLIC_HEALTH_WORKER, Role.INSTITUTION_ADMIN),
)
RECORDS_MIGRATE_DECIDE = define(
    "records.migrate_decide", N_("卫生健康行政部门裁决与协调档案迁移"), roles=(Role.HEALTH_BUREAU,)
)
RECORDS_TERMINATE = define(
    "records.terminate",
    N_("终止健康档案（死亡、迁出、失访、拒绝等）"),
    roles=(Role.PUBLIC_HEALTH_WORKER, Role.INSTITUTION_ADMIN),
)
RECORDS_BREAK_GLASS = define(
    "records.break_glass", N_("紧急情况下查阅他院居民档案（破窗）"), roles=(Role.DOCTOR,)
)
RECORDS_BREAK_GLASS_REVIEW = define(
    "records.break_glass_review", N_("审查紧急查阅（破窗）记录"), roles=(Role.AUDITOR,)
)
RECORDS_COVERAGE = define(
    "records.coverage",
    N_("查看建档率与档案动态使用率"),
    roles=(Role.INSTITUTION_ADMIN, Role.PUBLIC_HEALTH_WORKER, Role.HEALTH_BUREAU),
)

RecordsRead = Annotated[Principal, Depends(PermissionCheck(RECORDS_READ))]
RecordsWrite = Annotated[Principal, Depends(PermissionCheck(RECORDS_WRITE))]
RecordsConsent = Annotated[Principal, Depends(PermissionCheck(RECORDS_CONSENT))]
RecordsTeams = Annotated[Principal, Depends(PermissionCheck(RECORDS_TEAMS))]
RecordsMigrate = Annotated[Principal, Depends(PermissionCheck(RECORDS_MIGRATE))]
RecordsMigrateDecide = Annotated[Principal, Depends(PermissionCheck(RECORDS_MIGRATE_DECIDE))]
RecordsTerminate = Annotated[Principal, Depends(PermissionCheck(RECORDS_TERMINATE))]
RecordsBreakGlass = Annotated[Principal, Depends(PermissionCheck(RECORDS_BREAK_GLASS))]
RecordsBreakGlassReview = Annotated[Principal, Depends(PermissionCheck(RECORDS_BREAK_GLASS_REVIEW))]
RecordsCoverage = Annotated[Principal, Depends(PermissionCheck(RECORDS_COVERAGE))]
