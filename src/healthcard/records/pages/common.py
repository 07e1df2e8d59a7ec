"""Helpers shared by the records pages: forms to schemas, errors back to fields."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import BaseModel
from starlette.datastructures import FormData

from healthcard.core.errors import AppError
from healthcard.core.forms import FormErrors
from healthcard.records.service import codes

SEX_NAMES = {"1": "男", "2": "女", "0": "未知", "9": "未说明"}
STATUS_NAMES = {"active": "在管", "migrating": "迁移中", "terminated": "已终止"}


def field_errors(error: AppError) -> FormErrors:
    """A domain error as messages per form field (``body.`` dropped, nested names dotted)."""
    if not error.errors:
        return {"__all__": error.message}
    found: FormErrors = {}
    for e in error.errors:
        found.setdefault(e.field.removeprefix("body."), e.message)
    return found


def pydantic_errors(exc: Any) -> FormErrors:
    """A pydantic ValidationError as messages per form field."""
    found: FormErrors = {}
    for err in exc.errors():
        name = ".".join(str(p) for p in err["loc"])
        found.setdefault(name, "格式不正确或超出范围。" if err["type"] != "missing" else "必填。")
    return found


def text(form: FormData, name: str) -> str | None:
    raw = form.get(name)
    return raw.strip() or None if isinstance(raw, str) else None


def number(form: FormData, name: str) -> int | None:
    raw = text(form, name)
    return int(raw) if raw and raw.isdigit() else None


def real(form: FormData, name: str) -> float | None:
    raw = text(form, name)
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


def many(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str) and v]


def options(name: str) -> list[tuple[str, str]]:
    """A coded list as (code, label) pairs for a select or checkboxes."""
    return list(codes.options(name).items())


def flat(model: BaseModel | None) -> dict[str, Any]:
    """A model's values with nested ones dotted (family_history.father), for re-filling forms."""
    if model is None:
        return {}
    values: dict[str, Any] = {}
    for key, value in model.model_dump(mode="json").items():
        if isinstance(value, dict):
            for inner, v in value.items():
                values[f"{key}.{inner}"] = v
        else:
            values[key] = value
    return values


def settings_of(request: Request) -> Any:
    return request.app.state.settings
