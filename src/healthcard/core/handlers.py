"""One place that turns every error into the answer its caller understands:
RFC 9457 problem JSON for the API, FHIR OperationOutcome under /fhir, an error partial for htmx,
a page (or a redirect to the login page) for browsers.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from healthcard.core.context import request_id_var
from healthcard.core.errors import AppError, FieldError, NotAuthenticated, Problem
from healthcard.core.i18n import N_
from healthcard.core.templating import render

log = logging.getLogger("healthcard.errors")

# Pydantic error types we explain in Chinese; anything else falls back to pydantic's own text.
_PYDANTIC_MESSAGES = {
    "missing": "缺少必填字段。",
    "extra_forbidden": "不允许的字段：请删除它。",
    "string_type": "应为字符串。",
    "int_type": "应为整数。",
    "int_parsing": "应为整数。",
    "float_parsing": "应为数字。",
    "bool_parsing": "应为布尔值（true/false）。",
    "bool_type": "应为布尔值（true/false）。",
    "string_too_short": "内容过短。",
    "string_too_long": "内容过长。",
    "string_pattern_mismatch": "格式不正确。",
    "date_parsing": "日期格式应为 YYYY-MM-DD。",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD。",
    "datetime_parsing": "时间格式应为 ISO 8601。",
    "datetime_from_date_parsing": "时间格式应为 ISO 8601。",
    "enum": "取值不在允许范围内。",
    "literal_error": "取值不在允许范围内。",
    "list_type": "应为数组。",
    "dict_type": "应为对象。",
    "model_attributes_type": "应为 JSON 对象。",
    "greater_than_equal": "数值过小。",
    "less_than_equal": "数值过大。",
    "too_long": "条目过多。",
    "value_error": "取值无效。",
}

_FHIR_ISSUE = {
    400: "structure",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    413: "too-long",
    422: "invalid",
}

_STATUS_TITLES = {
    400: N_("请求格式错误"),
    401: N_("需要登录"),
    403: N_("权限不足"),
    404: N_("未找到"),
    405: N_("不支持的请求方法"),
    409: N_("状态冲突"),
    413: N_("请求体过大"),
    415: N_("不支持的内容类型"),
    422: N_("数据校验失败"),
    429: N_("请求过于频繁"),
    500: N_("服务器内部错误"),
}


def _field_errors(exc: RequestValidationError) -> list[FieldError]:
    errors = []
    for err in exc.errors():
        location = ".".join(str(part) for part in err.get("loc", ()))
        kind = str(err.get("type", "invalid"))
        message = _PYDANTIC_MESSAGES.get(kind, str(err.get("msg", "取值无效。")))
        if kind == "value_error":
            # Our own validators raise ValueError with a Chinese explanation: keep it.
            message = str(err.get("msg", "")).removeprefix("Value error, ")
        errors.append(FieldError(field=location, message=message, code=kind))
    return errors


def _wants_api(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/oauth/", "/metrics", "/healthz", "/readyz")):
        return True
    accept = request.headers.get("accept", "")
    return "text/html" not in accept and "json" in accept


def respond(request: Request, problem: Problem, headers: dict[str, str] | None = None) -> Response:
    """Answer ``problem`` in the form the caller speaks."""
    headers = dict(headers or {})
    path = request.url.path
    if path.startswith("/fhir"):
        return JSONResponse(
            _operation_outcome(problem),
            status_code=problem.status,
            media_type="application/fhir+json",
            headers=headers,
        )
    if request.headers.get("hx-request") == "true":
        if problem.status == 401:
            return Response(status_code=204, headers={"HX-Redirect": _login_url(request)})
        headers.update({"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"})
        return render(
            request,
            "errors/_partial.html",
            {"problem": problem},
            status_code=problem.status,
            headers=headers,
        )
    if _wants_api(request):
        return JSONResponse(
            problem.as_json(),
            status_code=problem.status,
            media_type="application/problem+json",
            headers=headers,
        )
    if problem.status == 401:
        return RedirectResponse(_login_url(request), status_code=303)
    return render(
        request,
        "errors/page.html",
        {"problem": problem},
        status_code=problem.status,
        headers=headers,
    )


def _login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    expired = getattr(request.state, "session_status", None) == "idle"
    return f"/login?next={quote(target, safe='')}" + ("&expired=1" if expired else "")


def _operation_outcome(problem: Problem) -> dict[str, Any]:
    issue_code = _FHIR_ISSUE.get(problem.status, "exception")
    details = {
        "coding": [{"system": "https://healthcard.local/problems", "code": problem.code}],
        "text": problem.detail,
    }
    issues: list[dict[str, Any]] = [
        {"severity": "error", "code": issue_code, "details": details, "diagnostics": problem.detail}
    ]
    for error in problem.errors:
        issues.append(
            {
                "severity": "error",
                "code": "invalid",
                "details": {"text": error.message},
                "expression": [error.field],
            }
        )
    return {"resourceType": "OperationOutcome", "issue": issues}


def _problem(
    request: Request, status: int, code: str, detail: str, errors: list[FieldError]
) -> Problem:
    return Problem(
        status=status,
        code=code,
        title=_STATUS_TITLES.get(status, N_("请求失败")),
        detail=detail,
        instance=request.url.path,
        errors=errors,
        request_id=request_id_var.get(),
    )


async def _app_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, AppError):
        raise TypeError(exc)
    problem = _problem(request, exc.status_code, exc.code, exc.message, exc.errors)
    headers = dict(exc.headers)
    if isinstance(exc, NotAuthenticated) and _wants_api(request):
        headers.setdefault("WWW-Authenticate", 'Bearer realm="healthcard"')
    return respond(request, problem, headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, RequestValidationError):
        raise TypeError(exc)
    errors = _field_errors(exc)
    if any(e.code == "json_invalid" for e in errors):
        problem = _problem(
            request, 400, "malformed_json", "请求体不是合法的 JSON，请检查括号、引号和逗号。", []
        )
        return respond(request, problem)
    return respond(
        request, _problem(request, 422, "validation_failed", "提交的数据未通过校验。", errors)
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, StarletteHTTPException):
        raise TypeError(exc)
    codes = {
        404: "not_found",
        405: "method_not_allowed",
        400: "bad_request",
        413: "payload_too_large",
    }
    details = {
        404: "所请求的地址不存在。",
        405: "此地址不支持该请求方法。",
    }
    detail = details.get(exc.status_code, str(exc.detail))
    problem = _problem(
        request, exc.status_code, codes.get(exc.status_code, "http_error"), detail, []
    )
    return respond(request, problem, dict(exc.headers or {}))


async def _integrity_error(request: Request, exc: Exception) -> Response:
    # A uniqueness rule enforced by the database (the services check first; this is the case
    # of two requests racing each other). The transaction was rolled back: nothing half-written.
    log.info("integrity error answered with 409", exc_info=exc)
    problem = _problem(
        request,
        409,
        "conflict",
        "数据与已有记录冲突（可能是同时提交的重复数据），请刷新后重试。",
        [],
    )
    return respond(request, problem)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    problem = _problem(
        request, 500, "internal_error", "服务器内部错误，已记录。请稍后重试或联系管理员。", []
    )
    return respond(request, problem)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(Exception, _unexpected)
