"""HTML forms to validated schemas, with errors per field for re-rendering the form."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from healthcard.core.errors import AppError

M = TypeVar("M", bound=BaseModel)

_MESSAGES = {
    "missing": "必填。",
    "string_too_short": "内容过短。",
    "string_too_long": "内容过长。",
    "string_pattern_mismatch": "格式不正确。",
    "int_parsing": "应为整数。",
    "enum": "请从列表中选择。",
    "too_short": "至少选择一项。",
}

FormErrors = dict[str, str]


def form_values(form: FormData, *, lists: tuple[str, ...] = ()) -> dict[str, Any]:
    """A form as a dict: empty fields become None, ``lists`` fields collect every value."""
    values: dict[str, Any] = {}
    for key in form:
        if key in lists:
            values[key] = [v for v in form.getlist(key) if isinstance(v, str) and v]
        else:
            raw = form.get(key)
            values[key] = raw.strip() or None if isinstance(raw, str) else raw
    for key in lists:
        values.setdefault(key, [])
    return values


def validate(schema: type[M], values: dict[str, Any]) -> tuple[M | None, FormErrors]:
    """The validated model, or None with a message per field."""
    data = {k: v for k, v in values.items() if v is not None and k in schema.model_fields}
    try:
        return schema.model_validate(data), {}
    except ValidationError as exc:
        errors: FormErrors = {}
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "__all__"
            if err["type"] == "value_error":
                message = str(err["msg"]).removeprefix("Value error, ")
            else:
                message = _MESSAGES.get(err["type"], err["msg"])
            errors.setdefault(field, message)
        return None, errors


def errors_of(error: AppError) -> FormErrors:
    """Field errors carried by a domain error, or the message under ``__all__``."""
    if error.errors:
        return {e.field: e.message for e in error.errors}
    return {"__all__": error.message}
