"""Reading FHIR R4 JSON elements by hand: each getter names the element at fault when it is
missing or malformed (``Observation.code.coding[0].system``), so a hospital knows what to fix."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from healthcard.core.errors import FieldError, ValidationFailed

# Dates without a time are days in China Standard Time.
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")
_URI = re.compile(r"^(https?://\S+|urn:(oid|uuid|[a-z][a-z0-9-]*):\S+)$", re.IGNORECASE)


def invalid(path: str, message: str, code: str = "invalid") -> ValidationFailed:
    """A 422 naming one element: the message says what is wrong and what is expected."""
    return ValidationFailed(f"{path}：{message}", errors=[FieldError(path, message, code)])


def obj(resource: dict[str, Any], key: str, path: str, *, required: bool = False) -> dict[str, Any]:
    value = resource.get(key)
    if value is None:
        if required:
            raise invalid(f"{path}.{key}", "缺少此元素。", "required")
        return {}
    if not isinstance(value, dict):
        raise invalid(f"{path}.{key}", "应为 JSON 对象。")
    return value


def array(resource: dict[str, Any], key: str, path: str, *, required: bool = False) -> list[Any]:
    value = resource.get(key)
    if value is None or value == []:
        if required:
            raise invalid(f"{path}.{key}", "缺少此元素（至少一项）。", "required")
        return []
    if not isinstance(value, list):
        raise invalid(f"{path}.{key}", "应为数组。")
    return value


def string(
    resource: dict[str, Any], key: str, path: str, *, required: bool = False, max_length: int = 200
) -> str | None:
    value = resource.get(key)
    if value is None:
        if required:
            raise invalid(f"{path}.{key}", "缺少此元素。", "required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"{path}.{key}", "应为非空字符串。")
    if len(value) > max_length:
        raise invalid(f"{path}.{key}", f"过长（至多 {max_length} 个字符）。")
    return value.strip()


def code(resource: dict[str, Any], key: str, path: str, allowed: tuple[str, ...]) -> str:
    """A required FHIR code from a fixed value set."""
    value = string(resource, key, path, required=True, max_length=40)
    if value not in allowed:
        raise invalid(f"{path}.{key}", f"取值应为 {' | '.join(allowed)} 之一。")
    return str(value)


def uri(value: Any, path: str) -> str:
    if not isinstance(value, str) or not _URI.match(value) or len(value) > 200:
        raise invalid(path, "应为绝对 URI（http(s)://… 或 urn:…）。")
    return value


def positive_int(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise invalid(path, "应为正整数。")
    return value


def number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(path, "应为数值。")
    return float(value)


def instant(value: Any, path: str) -> datetime:
    """A FHIR date or dateTime as an aware instant (a bare date: its start in China time)."""
    if isinstance(value, str) and _DATETIME.match(value):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            pass
    elif isinstance(value, str) and _DATE.match(value):
        try:
            day = _partial_date(value)
        except ValueError:
            pass
        else:
            return datetime.combine(day, time(), LOCAL_ZONE).astimezone(UTC)
    raise invalid(path, "应为 FHIR 日期（YYYY-MM-DD）或带时区的时间（YYYY-MM-DDThh:mm:ss+08:00）。")


def day(value: Any, path: str) -> date:
    """The calendar day (China time) of a FHIR date or dateTime."""
    return instant(value, path).astimezone(LOCAL_ZONE).date()


def _partial_date(text: str) -> date:
    parts = [int(p) for p in text.split("-")]
    return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def not_in_future(when: datetime, path: str, *, now: datetime) -> datetime:
    # A clock a little ahead at the hospital is tolerated; tomorrow is a typing error.
    if when > now + timedelta(minutes=10):
        raise invalid(path, "时间不能晚于当前时间。")
    return when


def identifier(resource: dict[str, Any], path: str) -> tuple[str, str]:
    """The sender's identifier of the resource (system and value), which makes it idempotent."""
    for n, item in enumerate(array(resource, "identifier", path, required=True)):
        if not isinstance(item, dict):
            raise invalid(f"{path}.identifier[{n}]", "应为 JSON 对象。")
        if item.get("system") is None and item.get("value") is None:
            continue
        system = uri(item.get("system"), f"{path}.identifier[{n}].system")
        value = string(item, "value", f"{path}.identifier[{n}]", required=True, max_length=100)
        return system, str(value)
    raise invalid(
        f"{path}.identifier", "须包含本机构给该资源的标识（system 与 value）。", "required"
    )


def codings(concept: dict[str, Any], path: str) -> list[tuple[str | None, str, str | None]]:
    """The (system, code, display) of each coding of a CodeableConcept."""
    result = []
    for n, item in enumerate(array(concept, "coding", path)):
        where = f"{path}.coding[{n}]"
        if not isinstance(item, dict):
            raise invalid(where, "应为 JSON 对象。")
        system = uri(item["system"], f"{where}.system") if "system" in item else None
        value = string(item, "code", where, required=True, max_length=40)
        display = string(item, "display", where, max_length=200)
        result.append((system, str(value), display))
    return result


def concept_text(concept: dict[str, Any], path: str) -> str | None:
    """The text of a CodeableConcept, else the display of its first coding."""
    text = string(concept, "text", path, max_length=200)
    if text:
        return text
    return next((d for _, _, d in codings(concept, path) if d), None)


def reference(value: dict[str, Any], path: str, resource_type: str) -> int | None:
    """The id of a literal reference ``Type/id`` to this server, or None without ``reference``."""
    ref = value.get("reference")
    if ref is None:
        return None
    if not isinstance(ref, str):
        raise invalid(f"{path}.reference", "应为字符串。")
    match = re.fullmatch(rf"{resource_type}/(\d{{1,18}})", ref)
    if match is None:
        raise invalid(f"{path}.reference", f"应为 {resource_type}/<id>。")
    return int(match.group(1))
