"""Small helpers shared by the programme services: the local date, form validation in Chinese."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from healthcard.core.db import utcnow
from healthcard.core.errors import FieldError, ValidationFailed
from healthcard.core.principal import Principal

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
M = TypeVar("M", bound=BaseModel)

_MESSAGES = {
    "missing": "必填。",
    "extra_forbidden": "不认识的字段。",
    "int_parsing": "应为整数。",
    "int_from_float": "应为整数。",
    "float_parsing": "应为数字。",
    "bool_parsing": "应为是或否。",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD。",
    "date_parsing": "日期格式应为 YYYY-MM-DD。",
    "literal_error": "请从列表中选择。",
    "string_too_long": "内容过长。",
    "string_too_short": "内容过短。",
    "too_long": "项目过多。",
}


def today() -> date:
    """Today in China Standard Time: the date staff write on forms."""
    return utcnow().astimezone(LOCAL_ZONE).date()


def who(actor: Principal) -> str:
    return f"{actor.label}:{actor.name}"


def _message(err: Any) -> str:
    kind = str(err.get("type"))
    context = err.get("ctx") or {}
    if kind in ("greater_than_equal", "greater_than"):
        return f"不能小于 {context.get('ge', context.get('gt'))}。"
    if kind in ("less_than_equal", "less_than"):
        return f"不能大于 {context.get('le', context.get('lt'))}。"
    return _MESSAGES.get(kind, "取值无效。")


def validate_form(model: type[M], data: dict[str, Any], *, prefix: str = "body") -> M:
    """``data`` as ``model``, or a 422 naming each field at fault (``body.sbp``)."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        fields = [
            FieldError(".".join([prefix, *(str(p) for p in e["loc"])]), _message(e), str(e["type"]))
            for e in error.errors()
        ]
        raise ValidationFailed(
            "表单有误：" + "；".join(f"{f.field} {f.message}" for f in fields), errors=fields
        ) from error


def invalid(field: str, message: str, code: str = "invalid") -> ValidationFailed:
    """A 422 about one field."""
    return ValidationFailed(message, errors=[FieldError(field, message, code)])


def age_on(birth: date | None, on: date) -> int | None:
    """Whole years of age on ``on``."""
    if birth is None:
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
