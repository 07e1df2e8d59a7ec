"""Application errors. Each domain names its own in ``exceptions.py`` by subclassing these."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FieldError:
    """One field at fault: where it is (``body.name``) and what is wrong with it."""

    field: str
    message: str
    code: str = "invalid"


class AppError(Exception):
    """An error a caller can act on: a stable ``code``, a message for people, an HTTP status."""

    status_code: int = 400
    code: str = "bad_request"
    message: str = "请求有误。"

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int | None = None,
        code: str | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or type(self).message
        self.status_code = status_code or type(self).status_code
        self.code = code or type(self).code
        self.errors = errors or []
        self.headers = headers or {}
        self.pending_audit: list[dict[str, Any]] = []
        super().__init__(self.message)


class NotAuthenticated(AppError):
    status_code = 401
    code = "not_authenticated"
    message = "请先登录或提供有效的访问令牌。"


class PermissionDenied(AppError):
    status_code = 403
    code = "permission_denied"
    message = "您没有执行此操作的权限。"


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    message = "所请求的资源不存在。"


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    message = "操作与资源的当前状态冲突。"


class ValidationFailed(AppError):
    status_code = 422
    code = "validation_failed"
    message = "提交的数据未通过校验。"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"
    message = "请求体过大。"


@dataclass
class Problem:
    """RFC 9457 problem details, as the API answers every error."""

    status: int
    code: str
    title: str
    detail: str
    instance: str
    errors: list[FieldError] = field(default_factory=list)
    request_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://healthcard.local/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
            "instance": self.instance,
        }
        if self.errors:
            body["errors"] = [
                {"field": e.field, "message": e.message, "code": e.code} for e in self.errors
            ]
        if self.request_id:
            body["request_id"] = self.request_id
        return body
