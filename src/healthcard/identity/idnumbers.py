"""Identity document numbers: GB 11643-1999 resident IDs and the other documents residents show.

Pure functions, no database: parse and validate a number, give its canonical form, mask it for
display. Every refusal is an ``IdNumberError`` with a stable ``code`` and a Chinese message that
says exactly what is wrong.

The check character comes from python-stdnum; the address code is checked against the dated
GB/T 2260 list ourselves, because stdnum's own check is too strict for real people (see
``GLOSSARY.md``, "Identity numbers").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from stdnum.cn.ric import calc_check_digit

from healthcard.divisions import service as divisions_service

CHINA_TZ = ZoneInfo("Asia/Shanghai")
EARLIEST_BIRTH_DATE = date(1880, 1, 1)
"""The standard's own example (440524188001010014) is born on this day; nobody earlier is alive."""

_DIGIT = re.compile(r"[0-9]")  # [0-9], not \d: \d also matches full-width and other scripts' digits
_PASSPORT = re.compile(r"[A-Z0-9]{5,17}")
_HOME_RETURN_PERMIT = re.compile(r"[HM][0-9]{8}(?:[0-9]{2})?")
_TAIWAN_PERMIT = re.compile(r"[0-9]{8}(?:[0-9]{2})?")
_PERMANENT_RESIDENCE_OLD = re.compile(r"[A-Z]{3}[0-9]{12}")
_PERMANENT_RESIDENCE_2023 = re.compile(r"9[0-9]{16}[0-9X]")
_OTHER_MAX_LENGTH = 64


class IdNumberError(ValueError):
    """A document number that cannot be right: a stable machine ``code``, a message for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ResidentId:
    """A valid resident ID number and what it says about its holder."""

    number: str
    """Canonical 18 characters, check character ``X`` upper-case."""
    division_code: str
    """GB/T 2260 address code: the first 6 digits."""
    birth_date: date
    sex: str
    """GB/T 2261.1: ``"1"`` male (odd sequence), ``"2"`` female (even sequence)."""
    legacy: str | None = None
    """The 15-digit number it was upgraded from, when one was given."""


class DocumentType(StrEnum):
    """ID document type (身份证件类别, data element DE02.01.031.00).

    Codes per WS 364 CV02.01.101 as commonly used (the glossary gives none): 01 居民身份证,
    03 护照, 06 港澳居民来往内地通行证, 07 台湾居民来往大陆通行证, 99 其他法定有效证件; 08 for the
    外国人永久居留身份证 is the value many systems add and is not confirmed in the standard's text.
    """

    RESIDENT_ID = "01"
    PASSPORT = "03"
    HOME_RETURN_PERMIT = "06"
    TAIWAN_PERMIT = "07"
    FOREIGN_PERMANENT_RESIDENCE = "08"
    OTHER = "99"


def china_today() -> date:
    """Today's date in China (Asia/Shanghai)."""
    return datetime.now(CHINA_TZ).date()


def sex_of_sequence(sequence: int) -> str:
    """GB/T 2261.1 sex code of a sequence number: "1" male when odd, "2" female when even."""
    return "1" if sequence % 2 else "2"


def make_resident_id(division_code: str, birth_date: date, sequence: int) -> str:
    """Build a checksum-valid 18-digit number (address code and date are not checked)."""
    if not (len(division_code) == 6 and _all_digits(division_code)):
        raise ValueError(f"division_code must be 6 digits, got {division_code!r}")
    if not 0 <= sequence <= 999:
        raise ValueError(f"sequence must be 0-999, got {sequence}")
    body = f"{division_code}{birth_date.isoformat().replace('-', '')}{sequence:03d}"
    return body + _check_character(body)


def upgrade_legacy(number15: str) -> str:
    """The 18-digit form of a 15-digit legacy number (format only: parse the result to validate)."""
    if len(number15) != 15:
        raise IdNumberError(
            "bad_length", f"旧版身份证号应为 15 位数字，实际为 {len(number15)} 位。"
        )
    _require_digits(number15, "旧版身份证号")
    body = number15[:6] + "19" + number15[6:]
    return body + _check_character(body)


def parse_resident_id(value: str, *, today: date | None = None) -> ResidentId:
    """Validate a resident ID number (18 characters or legacy 15 digits) and read its fields."""
    text = value.strip()
    legacy = text if len(text) == 15 else None
    number = upgrade_legacy(text) if legacy else _checked_18(text)
    birth_date = _birth_date(number, today=china_today() if today is None else today)
    _check_address_code(number[:6], birth_date.year)
    return ResidentId(
        number=number,
        division_code=number[:6],
        birth_date=birth_date,
        sex=sex_of_sequence(int(number[14:17])),
        legacy=legacy,
    )


def normalize_document(doc_type: DocumentType, value: str, *, today: date | None = None) -> str:
    """Validate a document number of the given type and return its canonical form."""
    if doc_type is DocumentType.RESIDENT_ID:
        return parse_resident_id(value, today=today).number
    text = value.strip()
    if doc_type is DocumentType.OTHER:
        return _other_document(text)
    text = text.upper() if text.isascii() else text  # "ß".upper() == "SS": only ASCII is folded
    if doc_type is DocumentType.FOREIGN_PERMANENT_RESIDENCE:
        return _permanent_residence_id(text)
    pattern, expected = _DOCUMENT_FORMATS[doc_type]
    if not pattern.fullmatch(text):
        raise IdNumberError("bad_format", expected)
    return text


def mask_id(number: str) -> str:
    """Mask a document number for display: 370602********0017 (other lengths: first 2, last 2)."""
    text = number.strip()
    head, tail = (6, 4) if len(text) == 18 else (_kept(len(text), 2), _kept(len(text), 2))
    return _mask(text, head, tail)


def mask_phone(phone: str) -> str:
    """Mask a phone number for display: 138****1234 for mobiles, otherwise keep the last 4."""
    text = phone.strip()
    if len(text) == 11 and text.startswith("1") and _all_digits(text):
        return _mask(text, 3, 4)
    return _mask(text, 0, min(4, len(text) // 2))


_DOCUMENT_FORMATS: dict[DocumentType, tuple[re.Pattern[str], str]] = {
    DocumentType.PASSPORT: (
        _PASSPORT,
        "护照号码应为 5–17 位英文字母或数字（中国普通护照为 E 或 G 加 8 位）。",
    ),
    DocumentType.HOME_RETURN_PERMIT: (
        _HOME_RETURN_PERMIT,
        "港澳居民来往内地通行证号码应为 H（香港）或 M（澳门）加 8 位数字，"
        "或加 10 位数字（含 2 位换证次数）。",
    ),
    DocumentType.TAIWAN_PERMIT: (
        _TAIWAN_PERMIT,
        "台湾居民来往大陆通行证号码应为 8 位数字，或 8 位数字加 2 位换证次数（共 10 位）。",
    ),
}


def _division_years() -> dict[str, tuple[int | None, int | None]]:
    """GB/T 2260 code -> (first year, last year) in force; None = open-ended."""
    return divisions_service.years_in_force()


def _check_character(body17: str) -> str:
    # stdnum's calc_check_digit takes the full number and ignores its last character.
    return calc_check_digit(body17 + "0")


def _all_digits(text: str) -> bool:
    return all(_DIGIT.fullmatch(c) for c in text)


def _require_digits(text: str, what: str) -> None:
    for position, char in enumerate(text, start=1):
        if not _DIGIT.fullmatch(char):
            raise IdNumberError(
                "bad_characters", f"{what}第 {position} 位“{char}”不是数字（应为半角数字 0–9）。"
            )


def _checked_18(text: str) -> str:
    """Length, characters and check character of an 18-character number; upper-cases x."""
    if len(text) != 18:
        raise IdNumberError(
            "bad_length", f"身份证号应为 18 位（旧版为 15 位），实际为 {len(text)} 位。"
        )
    _require_digits(text[:17], "身份证号")
    last = text[17]
    if not (_DIGIT.fullmatch(last) or last in "Xx"):
        raise IdNumberError("bad_characters", f"身份证号第 18 位（校验位）“{last}”应为数字或 X。")
    number = text[:17] + last.upper()
    expected = _check_character(number[:17])
    if number[17] != expected:
        raise IdNumberError(
            "bad_checksum",
            f"身份证号校验位不正确：按前 17 位计算应为 {expected}，实际为 {number[17]}。",
        )
    return number


def _birth_date(number: str, *, today: date) -> date:
    digits = number[6:14]
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise IdNumberError("bad_birth_date", f"出生日期 {digits} 不是真实日期。") from None
    if born < EARLIEST_BIRTH_DATE:
        raise IdNumberError(
            "bad_birth_date", f"出生日期 {digits} 早于 1880 年，不可能是身份证持有人的出生日期。"
        )
    if born > today:
        raise IdNumberError(
            "future_birth_date",
            f"出生日期 {digits} 晚于今天（{today:%Y%m%d}），不可能是真实的出生日期。",
        )
    return born


def _check_address_code(code: str, birth_year: int) -> None:
    # A code younger than the person is fine: IDs were first issued in 1984 with the codes of
    # then, so only a code abolished before the birth year is impossible (GLOSSARY.md).
    years = _division_years().get(code)
    if years is None:
        raise IdNumberError(
            "unknown_address_code",
            f"地址码（前 6 位）{code} 不是 GB/T 2260 行政区划代码（含已撤销的历史代码）。",
        )
    valid_to = years[1]
    if valid_to is not None and valid_to < birth_year:
        raise IdNumberError(
            "address_code_not_in_force",
            f"地址码 {code} 只使用到 {valid_to} 年，"
            f"不可能出现在 {birth_year} 年出生的人的身份证号中。",
        )


def _permanent_residence_id(text: str) -> str:
    if _PERMANENT_RESIDENCE_OLD.fullmatch(text):
        return text
    if not _PERMANENT_RESIDENCE_2023.fullmatch(text):
        raise IdNumberError(
            "bad_format",
            "外国人永久居留身份证号码应为 3 位英文字母加 12 位数字（旧版，共 15 位），"
            "或以 9 开头的 18 位（2023 版：17 位数字加校验位，校验位为数字或 X）。",
        )
    expected = _check_character(text[:17])
    if text[17] != expected:
        raise IdNumberError(
            "bad_checksum",
            f"外国人永久居留身份证号码校验位不正确：按前 17 位计算应为 {expected}，"
            f"实际为 {text[17]}。",
        )
    return text


def _other_document(text: str) -> str:
    if not text or len(text) > _OTHER_MAX_LENGTH or not text.isprintable():
        raise IdNumberError(
            "bad_format",
            f"证件号码不能为空，不超过 {_OTHER_MAX_LENGTH} 个字符，且不含控制字符。",
        )
    return text


def _kept(length: int, wanted: int) -> int:
    """How many characters to show at each end so that at least one is masked."""
    return max(0, min(wanted, (length - 1) // 2))


def _mask(text: str, head: int, tail: int) -> str:
    stars = max(1, len(text) - head - tail)
    return text[:head] + "*" * stars + (text[len(text) - tail :] if tail else "")
