"""Permissions of the accounts domain and the route dependencies that demand them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from healthcard.core.auth import PermissionCheck
from healthcard.core.i18n import N_
from healthcard.core.permissions import Role, define
from healthcard.core.principal import Principal

_ALL = tuple(Role)
_ADMINS = (Role.SYSTEM_ADMIN, Role.INSTITUTION_ADMIN)

ACCOUNT_SELF = define("account.self", N_("查看与修改本人账户（密码、双因素认证）"), roles=_ALL)
INSTITUTIONS_READ = define(
    "institutions.read",
    N_("查看机构与科室"),
    roles=(Role.SYSTEM_ADMIN, Role.INSTITUTION_ADMIN, Role.CARD_OPERATOR, Role.AUDITOR),
    client_grantable=True,
)
INSTITUTIONS_MANAGE = define(
    "institutions.manage", N_("新增与修改机构"), roles=(Role.SYSTEM_ADMIN,)
)
DEPARTMENTS_MANAGE = define("departments.manage", N_("管理科室"), roles=_ADMINS)
STAFF_READ = define("staff.read", N_("查看人员账户"), roles=_ADMINS)
STAFF_MANAGE = define("staff.manage", N_("新增、停用人员与重置密码"), roles=_ADMINS)
ROLES_MANAGE = define("roles.manage", N_("管理角色与权限"), roles=(Role.SYSTEM_ADMIN,))
CLIENTS_MANAGE = define(
    "clients.manage", N_("管理接入系统（API 客户端）"), roles=(Role.SYSTEM_ADMIN,)
)

AccountSelf = Annotated[Principal, Depends(PermissionCheck(ACCOUNT_SELF))]
InstitutionsRead = Annotated[Principal, Depends(PermissionCheck(INSTITUTIONS_READ))]
InstitutionsManage = Annotated[Principal, Depends(PermissionCheck(INSTITUTIONS_MANAGE))]
DepartmentsManage = Annotated[Principal, Depends(PermissionCheck(DEPARTMENTS_MANAGE))]
StaffRead = Annotated[Principal, Depends(PermissionCheck(STAFF_READ))]
StaffManage = Annotated[Principal, Depends(PermissionCheck(STAFF_MANAGE))]
RolesManage = Annotated[Principal, Depends(PermissionCheck(ROLES_MANAGE))]
ClientsManage = Annotated[Principal, Depends(PermissionCheck(CLIENTS_MANAGE))]
