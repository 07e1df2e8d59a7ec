"""Normalized features of a person record, shared by batch linkage and the online matcher.

Pure Python, no database. A raw record (one CSV row of a hospital extract) becomes a
``NormalizedRecord``: the resident ID in its canonical 18-character form when it is valid, the raw
digits when it is not (for "one digit off" comparisons), the name as characters and as pinyin
(homophones: 同音字, see ``GLOSSARY.md`` "Matching Chinese names"), sex, birth date, phone digits,
the address and the county named in it. Values that cannot be right raise ``RecordError``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from pypinyin import lazy_pinyin

from healthcard.divisions.source import national_divisions
from healthcard.identity.idnumbers import (
    EARLIEST_BIRTH_DATE,
    DocumentType,
    IdNumberError,
    china_today,
    parse_resident_id,
    upgrade_legacy,
)

MAX_FIELD_LENGTH = 200
MIDDLE_DOT = "·"
"""U+00B7, the separator of transcribed minority and foreign names (阿依古丽·买买提)."""

_COMPOUND_SURNAME_TEXT = (
    "欧阳 司马 诸葛 上官 司徒 东方 皇甫 夏侯 尉迟 公孙 慕容 长孙 宇文 轩辕 令狐 钟离 澹台 呼延 "
    "端木 独孤 万俟 闻人 南宫 西门 百里 东郭 太史 申屠 公羊 赫连 拓跋 濮阳 淳于 单于 太叔 仲孙 "
    "司空 司寇 亓官 鲜于 闾丘 子车 谷梁 宰父 夹谷 巫马 公西 漆雕 乐正 壤驷 公良 梁丘 左丘 东门 "
    "第五 羊舌 微生 公冶 段干 南门 宗政 即墨 归海 颛孙 东里 北宫"
)
COMPOUND_SURNAMES = frozenset(_COMPOUND_SURNAME_TEXT.split())
"""复姓: a name starting with one of these has a two-character surname."""

SURNAME_READINGS = {
    "单": "shan", "曾": "zeng", "解": "xie", "区": "ou", "朴": "piao", "仇": "qiu", "查": "zha",
    "翟": "zhai", "乐": "yue", "盖": "ge", "缪": "miao", "覃": "qin", "种": "chong", "繁": "po",
    "秘": "bi", "员": "yun", "召": "shao", "句": "gou", "折": "she", "宿": "su", "柏": "bai",
    "薄": "bo", "谌": "chen", "隗": "wei", "郇": "huan", "訾": "zi", "尉迟": "yuchi",
    "万俟": "moqi", "长孙": "zhangsun", "单于": "chanyu", "乐正": "yuezheng",
}  # fmt: skip
"""Surnames read differently from the same character elsewhere (单 is shan as a surname)."""

_DOTS = str.maketrans({"•": MIDDLE_DOT, "・": MIDDLE_DOT, "．": MIDDLE_DOT, "‧": MIDDLE_DOT,
                       "∙": MIDDLE_DOT, "⋅": MIDDLE_DOT, ".": MIDDLE_DOT})  # fmt: skip
_SPACES = re.compile(r"\s+")
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_ASCII_DIGIT = re.compile(r"[0-9]")
_LATIN_NAME = re.compile(r"[A-Za-z]+(?:[ '\-·][A-Za-z]+)*")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_ID_CHARS = re.compile(r"[0-9X]+")
_ADDRESS_NOISE = re.compile(r"[\s,，、;；:：\"'“”‘’()（）\[\]【】]+")
_COUNTY_ENDINGS = frozenset("区县市旗")
_SEX_CODES = {"": None, "0": None, "9": None, "1": "1", "2": "2"}
_RESIDENT_ID_TYPES = {"", DocumentType.RESIDENT_ID.value}
_KNOWN_ID_TYPES = {t.value for t in DocumentType} | {""}


class RecordError(ValueError):
    """A value in a record that cannot be right; ``field`` names the column."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message, field)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True, slots=True)
class NameFeatures:
    """A name as characters and as toneless, space-free, lower-case pinyin, split into parts."""

    chars: str
    pinyin: str
    surname: str
    given: str
    surname_pinyin: str
    given_pinyin: str


@dataclass(frozen=True, slots=True)
class NormalizedRecord:
    """One record of a person, cleaned and ready to compare; ``None`` means missing."""

    record_id: str
    source: str
    id_number: str | None
    """Canonical 18-character resident ID, only when the number is valid."""
    id_raw: str | None
    """The resident ID digits (and X) as given, valid or not."""
    id_valid: bool
    other_document: str | None
    """``type:value`` of a document other than the resident ID, compared as an exact string."""
    name: str | None
    name_features: NameFeatures | None
    sex: str | None
    birth_date: date | None
    phone: str | None
    address: str | None
    county: str | None

    @property
    def id_body(self) -> str | None:
        """The first 17 characters of the 18-character form of ``id_raw`` (15 digits upgraded)."""
        return id_body(self.id_raw)


@lru_cache(maxsize=65536)
def name_features(name: str) -> NameFeatures:
    """Characters, pinyin, surname and given name of a name (tidied first, never raises)."""
    name = _tidy_name(name)
    if _ASCII_LETTER.search(name) and not any(_is_han(c) for c in name):
        return _latin_name_features(name)
    if MIDDLE_DOT in name:
        given, _, surname = name.rpartition(MIDDLE_DOT)
    else:
        surname_length = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
        surname, given = name[:surname_length], name[surname_length:]
    surname_pinyin = _surname_pinyin(surname)
    given_pinyin = _pinyin(given)
    whole = given_pinyin + surname_pinyin if MIDDLE_DOT in name else surname_pinyin + given_pinyin
    return NameFeatures(name, whole, surname, given, surname_pinyin, given_pinyin)


def clean_name(value: str) -> str | None:
    """NFKC, no spaces between Chinese characters, one kind of middle dot; None when empty."""
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in value.strip()):
        raise RecordError("姓名不能含有换行、制表或其他控制字符。", "name")
    text = _tidy_name(value)
    if not text:
        return None
    if any(_is_han(c) for c in text):
        if _ASCII_DIGIT.search(text) or _ASCII_LETTER.search(text):
            raise RecordError("姓名中的汉字不能与数字或英文字母混写。", "name")
        bad = [c for c in text if not (_is_han(c) or c == MIDDLE_DOT)]
        if bad:
            raise RecordError(f"姓名含有不允许的字符“{bad[0]}”。", "name")
        if text.startswith(MIDDLE_DOT) or text.endswith(MIDDLE_DOT) or "··" in text:
            raise RecordError("姓名中的间隔号“·”只能用在两部分之间。", "name")
        return text
    if not _LATIN_NAME.fullmatch(text):
        raise RecordError("姓名只能是汉字（少数民族姓名可用“·”），或英文字母。", "name")
    return text


def normalize_record(raw: Mapping[str, str]) -> NormalizedRecord:
    """Clean one raw record (CSV row); raise ``RecordError`` for a value that cannot be right."""
    for field_name, value in raw.items():
        if value is not None and len(value) > MAX_FIELD_LENGTH:
            raise RecordError(f"字段长度超过 {MAX_FIELD_LENGTH} 个字符。", str(field_name))
    record_id = _field(raw, "record_id")
    if not record_id:
        raise RecordError("记录号不能为空。", "record_id")
    id_number, id_raw, other = _identity_document(_field(raw, "id_type"), _field(raw, "id_number"))
    name = clean_name(_field(raw, "name"))
    address = normalize_address(_field(raw, "address"))
    return NormalizedRecord(
        record_id=record_id,
        source=_field(raw, "source"),
        id_number=id_number,
        id_raw=id_raw,
        id_valid=id_number is not None,
        other_document=other,
        name=name,
        name_features=name_features(name) if name else None,
        sex=_sex(_field(raw, "sex")),
        birth_date=parse_birth_date(_field(raw, "birth_date")),
        phone=normalize_phone(_field(raw, "phone")),
        address=address,
        county=county_of(address) if address else None,
    )


def parse_birth_date(value: str, *, today: date | None = None) -> date | None:
    """A YYYY-MM-DD birth date that is a real day, not in the future and not before 1880."""
    if not value:
        return None
    match = _DATE.fullmatch(value)
    if match is None:
        raise RecordError(f"出生日期“{value}”应为 YYYY-MM-DD 格式。", "birth_date")
    try:
        born = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise RecordError(f"出生日期“{value}”不是真实日期。", "birth_date") from None
    if born > (today or china_today()):
        raise RecordError(f"出生日期“{value}”晚于今天。", "birth_date")
    if born < EARLIEST_BIRTH_DATE:
        raise RecordError(f"出生日期“{value}”早于 1880 年。", "birth_date")
    return born


def normalize_phone(value: str) -> str | None:
    """Digits only, without a +86/0086 country prefix on a mobile number; None when empty."""
    digits = "".join(c for c in unicodedata.normalize("NFKC", value) if "0" <= c <= "9")
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
    return digits or None


def normalize_address(value: str) -> str | None:
    """NFKC, without spaces and separating punctuation; None when empty."""
    text = _ADDRESS_NOISE.sub("", unicodedata.normalize("NFKC", value))
    return text or None


@lru_cache(maxsize=65536)
def county_of(address: str) -> str | None:
    """The first county-level name (区/县/县级市/旗) found in an address, e.g. 芝罘区."""
    names, longest = _county_names()
    for end, char in enumerate(address, start=1):
        if char not in _COUNTY_ENDINGS:
            continue
        for length in range(min(longest, end), 1, -1):
            if address[end - length : end] in names:
                return address[end - length : end]
    return None


def clean_id_digits(value: str) -> str | None:
    """Digits and upper-case X of an ID number as typed (spaces, dashes dropped); None if empty."""
    text = unicodedata.normalize("NFKC", value).upper()
    kept = "".join(_ID_CHARS.findall(text))
    return kept or None


def id_body(id_raw: str | None) -> str | None:
    """First 17 characters of the 18-character form: a 15-digit number is upgraded first."""
    if id_raw is None:
        return None
    if len(id_raw) == 15 and id_raw.isdigit():
        return upgrade_legacy(id_raw)[:17]
    if len(id_raw) == 18:
        return id_raw[:17]
    return None


def one_digit_off(a: str, b: str) -> bool:
    """Same length, exactly one position differs."""
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def adjacent_transposition(a: str, b: str) -> bool:
    """Same length, two neighbouring characters swapped and nothing else changed."""
    if len(a) != len(b) or a == b:
        return False
    diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return (
        len(diffs) == 2
        and diffs[1] == diffs[0] + 1
        and a[diffs[0]] == b[diffs[1]]
        and a[diffs[1]] == b[diffs[0]]
    )


def id_near(a: str | None, b: str | None) -> bool:
    """One substituted character or one adjacent transposition apart (not equal)."""
    return a is not None and b is not None and (one_digit_off(a, b) or adjacent_transposition(a, b))


def swapped_month_day(a: date, b: date) -> bool:
    """The same date with month and day exchanged (1990-03-04 / 1990-04-03)."""
    return a != b and a.year == b.year and a.month == b.day and a.day == b.month


def _field(raw: Mapping[str, str], name: str) -> str:
    value = raw.get(name)
    return "" if value is None else value.strip()


def _sex(value: str) -> str | None:
    if value not in _SEX_CODES:
        raise RecordError(f"性别代码“{value}”应为 0、1、2 或 9（GB/T 2261.1）或留空。", "sex")
    return _SEX_CODES[value]


def _identity_document(id_type: str, value: str) -> tuple[str | None, str | None, str | None]:
    """(valid canonical resident ID, raw resident ID digits, other document) of one record."""
    if id_type not in _KNOWN_ID_TYPES:
        known = "、".join(sorted(t for t in _KNOWN_ID_TYPES if t))
        raise RecordError(f"证件类型“{id_type}”不是已知代码（{known}）。", "id_type")
    if not value:
        return None, None, None
    if id_type not in _RESIDENT_ID_TYPES:
        text = value.upper() if value.isascii() else value
        return None, None, f"{id_type}:{text}"
    raw = clean_id_digits(value)
    if raw is None:
        return None, None, None
    try:
        return parse_resident_id(raw).number, raw, None
    except IdNumberError:
        return None, raw, None


def _tidy_name(value: str) -> str:
    """NFKC, one kind of middle dot; no spaces in a Chinese name, single spaces and upper case
    in a Latin one."""
    text = unicodedata.normalize("NFKC", value).translate(_DOTS).strip()
    if any(_is_han(c) for c in text):
        return _SPACES.sub("", text)
    return _SPACES.sub(" ", text).upper()


@lru_cache(maxsize=65536)
def _pinyin(text: str) -> str:
    return "".join(s for s in lazy_pinyin(text) if s.isascii() and s.isalpha()).lower()


def _surname_pinyin(surname: str) -> str:
    return SURNAME_READINGS.get(surname) or _pinyin(surname)


def _latin_name_features(name: str) -> NameFeatures:
    parts = name.replace(MIDDLE_DOT, " ").replace("-", " ").replace("'", "").split()
    surname, given = parts[0], "".join(parts[1:])
    return NameFeatures(
        name, "".join(parts).lower(), surname, given, surname.lower(), given.lower()
    )


def _is_han(char: str) -> bool:
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x3134F
        or char == "〇"
    )


@lru_cache(maxsize=1)
def _county_names() -> tuple[frozenset[str], int]:
    divisions = national_divisions()
    cities = {d.name for d in divisions if d.level != "county"}
    names = frozenset(
        d.name
        for d in divisions
        if d.level == "county" and d.valid_to is None and d.name not in cities
        and d.name != "市辖区" and len(d.name) >= 2
    )  # fmt: skip
    return names, max(len(n) for n in names)
