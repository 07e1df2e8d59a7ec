"""The coded lists of the record forms (data/codes.json, versioned), and checks against them."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from healthcard.core.errors import FieldError

# Names of the lists, as people read them in error messages.
LIST_NAMES = {
    "ethnicity": "民族（GB 3304）",
    "relationship": "与户主关系（GB/T 4761）",
    "residence_type": "常住类型",
    "abo_blood_type": "ABO 血型",
    "rh_blood_type": "Rh 血型",
    "education": "文化程度",
    "occupation": "职业",
    "marital_status": "婚姻状况",
    "payment_method": "医疗费用支付方式",
    "drug_allergy": "药物过敏史",
    "exposure": "暴露史",
    "past_disease": "既往疾病",
    "family_disease": "家族史疾病",
    "disability": "残疾情况",
    "kitchen_exhaust": "厨房排风设施",
    "fuel": "燃料类型",
    "water": "饮水",
    "toilet": "厕所",
    "livestock": "禽畜栏",
    "symptom": "症状",
    "exercise_frequency": "锻炼频率",
    "diet": "饮食习惯",
    "smoking": "吸烟状况",
    "drinking": "饮酒频率",
    "hearing": "听力",
    "motor": "运动功能",
    "finding": "查体结果",
    "assessment": "健康评价",
    "guidance": "健康指导",
    "risk_control": "危险因素控制",
    "termination_reason": "终止原因",
}


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Any]:
    """The whole versioned file, read once."""
    text = resources.files("healthcard.records").joinpath("data/codes.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def version() -> str:
    """The version id of the coded lists; stored on every form validated against them."""
    return str(catalogue()["version"])


def options(name: str) -> dict[str, str]:
    """The codes of one list with their labels, in the order of the form."""
    result: dict[str, str] = catalogue()["lists"][name]
    return result


def label(name: str, code: str | None) -> str:
    """The label of a code (the code itself when unknown, so nothing is hidden)."""
    if code is None:
        return ""
    return options(name).get(code, code)


def check(errors: list[FieldError], name: str, field: str, code: str | None) -> None:
    """Append an error when ``code`` is given and not in the list ``name``."""
    if code is not None and code not in options(name):
        errors.append(
            FieldError(
                field,
                f"{LIST_NAMES.get(name, name)}代码“{code}”不在代码表中（{version()}）。",
                "unknown_code",
            )
        )


def check_all(errors: list[FieldError], name: str, field: str, codes: list[str]) -> None:
    """Check every code of a multiple choice; duplicates are refused as well."""
    for n, code in enumerate(codes):
        check(errors, name, f"{field}.{n}", code)
    if len(set(codes)) != len(codes):
        errors.append(FieldError(field, f"{LIST_NAMES.get(name, name)}有重复选项。", "duplicate"))


def exam_findings() -> dict[str, str]:
    """The body parts of the examination, with their names."""
    result: dict[str, str] = catalogue()["exam_findings"]
    return result


def vital_range(name: str) -> tuple[float, float]:
    """The plausible range of a vital sign (values outside are typing errors)."""
    low, high = catalogue()["vital_ranges"][name]
    return float(low), float(high)
