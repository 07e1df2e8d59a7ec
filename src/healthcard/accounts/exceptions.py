"""Errors of the accounts domain, each with a stable code and a message for people."""

from __future__ import annotations

from datetime import datetime

from healthcard.core.errors import AppError, Conflict, FieldError, NotFound, ValidationFailed


class InstitutionNotFound(NotFound):
    code = "institution_not_found"
    message = "机构不存在。"


class DepartmentNotFound(NotFound):
    code = "department_not_found"
    message = "科室不存在。"


class StaffNotFound(NotFound):
    code = "staff_not_found"
    message = "人员账户不存在。"


class RoleNotFound(NotFound):
    code = "role_not_found"
    message = "角色不存在。"


class ClientNotFound(NotFound):
    code = "client_not_found"
    message = "接入系统不存在。"


class DuplicateValue(Conflict):
    code = "duplicate"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, errors=[FieldError(field, message, "duplicate")])


class InvalidField(ValidationFailed):
    """One field is wrong; the message says what to do."""

    def __init__(self, field: str, message: str, code: str = "invalid") -> None:
        super().__init__(message, errors=[FieldError(field, message, code)], code=code)


class OutsideOwnInstitution(AppError):
    status_code = 403
    code = "outside_own_institution"
    message = "只能管理本机构的数据。"


class RoleInUse(Conflict):
    code = "role_in_use"
    message = "仍有人员持有该角色，不能删除。"


class BuiltinRoleProtected(Conflict):
    code = "builtin_role"
    message = "内置角色不能删除。"


class InvalidCredentials(AppError):
    status_code = 401
    code = "invalid_credentials"
    message = "用户名或密码错误。"

    def __init__(self, remaining: int | None = None) -> None:
        message = type(self).message
        if remaining is not None and remaining <= 2:
            message += f"再失败 {remaining} 次，账户将被锁定 15 分钟。"
        super().__init__(message)
        self.remaining = remaining


class AccountLocked(AppError):
    status_code = 423
    code = "account_locked"

    def __init__(self, until: datetime, minutes_left: int) -> None:
        super().__init__(
            f"连续登录失败次数过多，账户已锁定，请 {minutes_left} 分钟后再试"
            f"（{until.strftime('%H:%M')} UTC 解锁），或联系管理员解锁。"
        )
        self.until = until


class InvalidTotp(AppError):
    status_code = 401
    code = "invalid_totp"
    message = "动态验证码不正确或已使用，请输入认证器上当前显示的 6 位数字。"


class WeakPassword(InvalidField):
    def __init__(self, message: str) -> None:
        super().__init__("password", message, "weak_password")


class InvalidClient(AppError):
    """OAuth2 ``invalid_client``: unknown client, wrong secret or revoked."""

    status_code = 401
    code = "invalid_client"
    message = "客户端认证失败：client_id 或 client_secret 不正确，或该接入已被吊销。"


class InvalidScope(AppError):
    status_code = 400
    code = "invalid_scope"
    message = "申请的权限范围（scope）超出该接入系统被授予的范围。"


class UnsupportedGrantType(AppError):
    status_code = 400
    code = "unsupported_grant_type"
    message = "仅支持 grant_type=client_credentials。"
