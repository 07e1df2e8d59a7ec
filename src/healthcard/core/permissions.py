"""The catalogue of permissions and built-in roles.

Each domain defines its permissions in its own ``permissions.py`` with :func:`define`; a
permission names the built-in roles that get it by default. Role grants live in the database
(administrators may change them); ``sync`` adds new permissions and their default grants.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from healthcard.core.i18n import N_


class Role(StrEnum):
    """Built-in roles. Administrators may add more in the console."""

    SYSTEM_ADMIN = "system_admin"
    CARD_OPERATOR = "card_operator"
    INSTITUTION_ADMIN = "institution_admin"
    DOCTOR = "doctor"
    NURSE = "nurse"
    PUBLIC_HEALTH_WORKER = "public_health_worker"
    CASHIER = "cashier"
    AUDITOR = "auditor"
    DATA_STEWARD = "data_steward"
    VILLAGE_DOCTOR = "village_doctor"
    CDC_OFFICER = "cdc_officer"
    HEALTH_BUREAU = "health_bureau"


@dataclass(frozen=True)
class BuiltinRole:
    code: Role
    name: str
    description: str
    platform_wide: bool
    is_admin: bool


BUILTIN_ROLES: tuple[BuiltinRole, ...] = (
    BuiltinRole(
        Role.SYSTEM_ADMIN, N_("系统管理员"), N_("管理全平台的机构、人员、角色与接入"), True, True
    ),
    BuiltinRole(
        Role.CARD_OPERATOR,
        N_("注册中心操作员"),
        N_("办理健康卡申领、制卡、发卡、挂失与注销"),
        True,
        False,
    ),
    BuiltinRole(
        Role.INSTITUTION_ADMIN, N_("机构管理员"), N_("管理本机构的科室与人员"), False, True
    ),
    BuiltinRole(Role.DOCTOR, N_("医生"), N_("诊疗、查阅授权范围内的健康档案"), False, False),
    BuiltinRole(Role.NURSE, N_("护士"), N_("护理与随访"), False, False),
    BuiltinRole(
        Role.PUBLIC_HEALTH_WORKER, N_("公卫人员"), N_("健康档案与重点人群管理"), False, False
    ),
    BuiltinRole(Role.CASHIER, N_("收费员"), N_("收费与结算"), False, False),
    BuiltinRole(Role.AUDITOR, N_("审计员"), N_("查询与导出审计日志"), True, False),
    BuiltinRole(
        Role.DATA_STEWARD, N_("数据管理员"), N_("处理主索引待审核配对、合并与撤销"), True, False
    ),
    BuiltinRole(
        Role.VILLAGE_DOCTOR, N_("乡村医生"), N_("管理本人签约居民的档案与随访"), False, False
    ),
    BuiltinRole(Role.CDC_OFFICER, N_("疾控人员"), N_("传染病报告审核与迟报督办"), True, False),
    BuiltinRole(
        Role.HEALTH_BUREAU, N_("卫生健康行政人员"), N_("协调跨机构档案迁移与统计"), True, False
    ),
)


@dataclass(frozen=True)
class PermissionDef:
    """One permission: a stable code, a label for people, the roles that hold it by default."""

    code: str
    label: str
    default_roles: frozenset[Role]
    client_grantable: bool


_REGISTRY: dict[str, PermissionDef] = {}


def define(
    code: str, label: str, *, roles: tuple[Role, ...] = (), client_grantable: bool = False
) -> str:
    """Register a permission and return its code (so a module can keep it as a constant)."""
    existing = _REGISTRY.get(code)
    definition = PermissionDef(code, label, frozenset(roles), client_grantable)
    if existing is not None and existing != definition:
        raise ValueError(f"permission {code!r} defined twice with different meanings")
    _REGISTRY[code] = definition
    return code


def all_permissions() -> list[PermissionDef]:
    """Every registered permission, sorted by code."""
    return sorted(_REGISTRY.values(), key=lambda p: p.code)


def get(code: str) -> PermissionDef | None:
    """The definition of ``code``, if registered."""
    return _REGISTRY.get(code)
