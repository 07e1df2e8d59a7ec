"""Per-request context shared by logging and audit: request id and client address."""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
client_address_var: ContextVar[str | None] = ContextVar("client_address", default=None)
locale_var: ContextVar[str] = ContextVar("locale", default="zh_Hans")
