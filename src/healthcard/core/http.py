"""ASGI middleware: request ids, client address, locale, body-size limit, origin check, access
log and Prometheus metrics. Pure ASGI (no BaseHTTPMiddleware) so streaming bodies stay streams.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from http.cookies import SimpleCookie
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from healthcard.core.context import client_address_var, locale_var, request_id_var
from healthcard.core.i18n import negotiate

log = logging.getLogger("healthcard.access")

REQUESTS = Counter(
    "healthcard_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "healthcard_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
)

SESSION_COOKIE = "hc_session"
LOCALE_COOKIE = "hc_lang"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _problem(status: int, code: str, detail: str, request_id: str) -> tuple[bytes, list[Any]]:
    body = json.dumps(
        {
            "type": f"https://healthcard.local/problems/{code}",
            "title": detail,
            "status": status,
            "detail": detail,
            "code": code,
            "request_id": request_id,
        },
        ensure_ascii=False,
    ).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", request_id.encode()),
    ]
    return body, headers


class _BodyTooLarge(HTTPException):
    """Raised while reading a body past the limit. An HTTPException, so FastAPI's body parser
    lets it through to the error handlers instead of turning it into a generic 400."""

    def __init__(self, detail: str) -> None:
        super().__init__(status_code=413, detail=detail)


class RequestContextMiddleware:
    """Everything that wraps a request before routing and after the answer."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, default_locale: str) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.default_locale = default_locale

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        incoming = headers.get("x-request-id", "")
        # 128 random bits in hex, like uuid4().hex without building a UUID on every request.
        request_id = incoming if _REQUEST_ID.match(incoming) else os.urandom(16).hex()
        client = scope.get("client")
        cookies = SimpleCookie(headers.get("cookie", ""))
        lang = cookies[LOCALE_COOKIE].value if LOCALE_COOKIE in cookies else None
        tokens = (
            request_id_var.set(request_id),
            client_address_var.set(client[0] if client else None),
            locale_var.set(negotiate(lang, headers.get("accept-language"), self.default_locale)),
        )
        start = time.perf_counter()
        status_holder = {"status": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                ]
            await send(message)

        try:
            refusal = self._refuse(scope, headers, SESSION_COOKIE in cookies)
            if refusal is not None:
                status, code, detail = refusal
                body, response_headers = _problem(status, code, detail, request_id)
                await send_wrapper(
                    {"type": "http.response.start", "status": status, "headers": response_headers}
                )
                await send_wrapper({"type": "http.response.body", "body": body})
                return
            await self.app(scope, self._limited(receive), send_wrapper)
        except _BodyTooLarge:
            body, response_headers = _problem(
                413, "payload_too_large", self._too_large(), request_id
            )
            await send_wrapper(
                {"type": "http.response.start", "status": 413, "headers": response_headers}
            )
            await send_wrapper({"type": "http.response.body", "body": body})
        finally:
            self._observe(scope, status_holder["status"], time.perf_counter() - start, request_id)
            for var, token in zip(
                (request_id_var, client_address_var, locale_var), tokens, strict=True
            ):
                var.reset(token)  # type: ignore[attr-defined]

    def _too_large(self) -> str:
        return f"请求体超过 {self.max_body_bytes // 1024} KiB 的上限，请拆分后重试。"

    def _refuse(
        self, scope: Scope, headers: Headers, has_session_cookie: bool
    ) -> tuple[int, str, str] | None:
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                return 400, "bad_content_length", "Content-Length 头无效。"
            if int(length) > self.max_body_bytes:
                return 413, "payload_too_large", self._too_large()
        if scope["method"] in _UNSAFE and has_session_cookie and not self._same_origin(headers):
            return 403, "cross_origin", "跨站请求被拒绝：请从本平台的页面提交。"
        return None

    @staticmethod
    def _same_origin(headers: Headers) -> bool:
        # A browser sends Origin on every unsafe request; with the session cookie present we
        # accept it only from our own host (CSRF defence together with SameSite=Lax cookies).
        origin = headers.get("origin") or headers.get("referer")
        if origin is None:
            return True  # not a browser (API clients, curl): no ambient cookie risk
        host = headers.get("host", "")
        return re.sub(r"^https?://", "", origin).split("/")[0] == host

    def _limited(self, receive: Receive) -> Receive:
        received = 0
        limit = self.max_body_bytes
        too_large = self._too_large()

        async def wrapped() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge(too_large)
            return message

        return wrapped

    @staticmethod
    def _observe(scope: Scope, status: int, seconds: float, request_id: str) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        REQUESTS.labels(scope["method"], template, str(status)).inc()
        LATENCY.labels(scope["method"], template).observe(seconds)
        log.info(
            "request",
            extra={
                "request_id": request_id,
                "method": scope["method"],
                "path": scope["path"],
                "route": template,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
            },
        )
