"""Permissions of the admin console (audit trail)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from healthcard.core.auth import PermissionCheck
from healthcard.core.i18n import N_
from healthcard.core.permissions import Role, define
from healthcard.core.principal import Principal

AUDIT_READ = define("audit.read", N_("查询审计日志"), roles=(Role.AUDITOR, Role.SYSTEM_ADMIN))
AUDIT_EXPORT = define("audit.export", N_("导出审计日志"), roles=(Role.AUDITOR,))
AUDIT_VERIFY = define(
    "audit.verify", N_("校验审计日志完整性"), roles=(Role.AUDITOR, Role.SYSTEM_ADMIN)
)

AuditRead = Annotated[Principal, Depends(PermissionCheck(AUDIT_READ))]
AuditExport = Annotated[Principal, Depends(PermissionCheck(AUDIT_EXPORT))]
AuditVerify = Annotated[Principal, Depends(PermissionCheck(AUDIT_VERIFY))]
