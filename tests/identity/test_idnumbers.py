"""Resident ID numbers and other identity documents: parsing, validation, masking."""

from __future__ import annotations

import pickle
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum.cn import ric

from healthcard.divisions.source import DivisionRecord, national_divisions
from healthcard.identity.idnumbers import (
    DocumentType,
    IdNumberError,
    ResidentId,
    make_resident_id,
    mask_id,
    mask_phone,
    normalize_document,
    parse_resident_id,
    sex_of_sequence,
    upgrade_legacy,
)

TODAY = date(2026, 11, 22)
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
DIVISIONS = national_divisions()
ERROR_CODES = {
    "bad_length",
    "bad_characters",
    "bad_checksum",
    "bad_birth_date",
    "future_birth_date",
    "unknown_address_code",
    "address_code_not_in_force",
    "bad_format",
}


def glossary_check_character(body17: str) -> str:
    """The check character exactly as GLOSSARY.md states it: an oracle independent of stdnum."""
    total = sum(int(digit) * weight for digit, weight in zip(body17, WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def _with_birth_digits(code: str, digits: str, sequence: int) -> str:
    """A number with any 8 birth digits (even impossible ones) and a correct check character."""
    body = f"{code}{digits}{sequence:03d}"
    return body + glossary_check_character(body)


def _other_check(number: str) -> str:
    """A check character different from the number's own."""
    return "1" if number[17] != "1" else "2"


ZHIFU = make_resident_id("370602", date(1990, 3, 7), 1)


def parse(value: str) -> ResidentId:
    return parse_resident_id(value, today=TODAY)


def refusal(value: str) -> IdNumberError:
    with pytest.raises(IdNumberError) as caught:
        parse(value)
    return caught.value


# --- documented examples ------------------------------------------------------------------------


def test_number_built_for_zhifu_parses_to_its_fields() -> None:
    number = ZHIFU

    parsed = parse(number)

    assert number[:17] == "37060219900307001"
    assert number[17] == glossary_check_character(number[:17])
    assert ric.is_valid(number)
    assert parsed == ResidentId(
        number=number,
        division_code="370602",
        birth_date=date(1990, 3, 7),
        sex="1",
        legacy=None,
    )


def test_even_sequence_is_female() -> None:
    assert parse(make_resident_id("370602", date(1990, 3, 7), 2)).sex == "2"
    assert sex_of_sequence(0) == "2"
    assert sex_of_sequence(999) == "1"


def test_examples_of_the_standard_are_accepted() -> None:
    beijing = parse("11010519491231002X")
    shantou = parse("440524188001010014")

    assert (beijing.division_code, beijing.birth_date, beijing.sex) == (
        "110105",
        date(1949, 12, 31),
        "2",
    )
    assert (shantou.birth_date, shantou.sex) == (date(1880, 1, 1), "1")


def test_lower_case_x_and_surrounding_whitespace_are_accepted() -> None:
    assert parse(" \t11010519491231002x\n").number == "11010519491231002X"


def test_legacy_15_digit_number_is_upgraded() -> None:
    legacy = "370602900307001"
    full = make_resident_id("370602", date(1990, 3, 7), 1)

    parsed = parse(legacy)

    assert upgrade_legacy(legacy) == full
    assert parsed.number == full
    assert parsed.legacy == legacy
    assert parsed == replace(parse(full), legacy=legacy)


def test_default_today_is_today_in_china() -> None:
    # 17:30 UTC on 22 November is already 01:30 on 23 November in China.
    with time_machine.travel(datetime(2026, 11, 22, 17, 30, tzinfo=UTC), tick=False):
        born_today_in_china = parse_resident_id(make_resident_id("370602", date(2026, 11, 23), 2))
        with pytest.raises(IdNumberError) as caught:
            parse_resident_id(make_resident_id("370602", date(2026, 11, 24), 2))

    assert born_today_in_china.birth_date == date(2026, 11, 23)
    assert caught.value.code == "future_birth_date"


# --- refusals, one per code ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("3706021990030700", "身份证号应为 18 位（旧版为 15 位），实际为 16 位。"),
        ("", "身份证号应为 18 位（旧版为 15 位），实际为 0 位。"),
        ("370602 1990030700 1", "身份证号应为 18 位（旧版为 15 位），实际为 19 位。"),
    ],
)
def test_wrong_length(value: str, message: str) -> None:
    error = refusal(value)

    assert error.code == "bad_length"
    assert error.message == message
    assert str(error) == message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("37060219900307A017", "身份证号第 15 位“A”不是数字（应为半角数字 0–9）。"),
        ("３70602199003070017", "身份证号第 1 位“３”不是数字（应为半角数字 0–9）。"),
        ("37060219900307001Y", "身份证号第 18 位（校验位）“Y”应为数字或 X。"),
        ("3706021990030700X1", "身份证号第 17 位“X”不是数字（应为半角数字 0–9）。"),
        ("37060290030700A", "旧版身份证号第 15 位“A”不是数字（应为半角数字 0–9）。"),
    ],
)
def test_wrong_characters(value: str, message: str) -> None:
    error = refusal(value)

    assert (error.code, error.message) == ("bad_characters", message)


def test_wrong_check_character_names_the_expected_one() -> None:
    number = make_resident_id("370602", date(1990, 3, 7), 1)
    wrong = "5" if number[17] != "5" else "6"

    error = refusal(number[:17] + wrong)

    assert error.code == "bad_checksum"
    assert error.message == (
        f"身份证号校验位不正确：按前 17 位计算应为 {number[17]}，实际为 {wrong}。"
    )


def test_impossible_date() -> None:
    error = refusal(_with_birth_digits("370602", "19990230", 1))

    assert (error.code, error.message) == ("bad_birth_date", "出生日期 19990230 不是真实日期。")


@pytest.mark.parametrize("digits", ["19991301", "19990000", "00000101", "20230229"])
def test_other_impossible_dates(digits: str) -> None:
    error = refusal(_with_birth_digits("370602", digits, 1))

    assert (error.code, error.message) == ("bad_birth_date", f"出生日期 {digits} 不是真实日期。")


def test_date_before_1880() -> None:
    error = refusal(make_resident_id("110105", date(1879, 12, 31), 1))

    assert error.code == "bad_birth_date"
    assert error.message == "出生日期 18791231 早于 1880 年，不可能是身份证持有人的出生日期。"


def test_future_date_relative_to_today() -> None:
    tomorrow = TODAY + timedelta(days=1)

    error = refusal(make_resident_id("370602", tomorrow, 2))

    assert error.code == "future_birth_date"
    assert error.message == "出生日期 20261123 晚于今天（20261122），不可能是真实的出生日期。"
    assert parse(make_resident_id("370602", TODAY, 2)).birth_date == TODAY


def test_unknown_address_code() -> None:
    error = refusal(make_resident_id("999999", date(1990, 3, 7), 1))

    assert error.code == "unknown_address_code"
    assert error.message == (
        "地址码（前 6 位）999999 不是 GB/T 2260 行政区划代码（含已撤销的历史代码）。"
    )


def test_code_abolished_before_the_birth_year_is_refused() -> None:
    # 370634 长岛县 was in force 1983-2020.
    error = refusal(make_resident_id("370634", date(2021, 6, 1), 2))

    assert error.code == "address_code_not_in_force"
    assert error.message == (
        "地址码 370634 只使用到 2020 年，不可能出现在 2021 年出生的人的身份证号中。"
    )
    assert parse(make_resident_id("370634", date(2020, 12, 31), 2)).division_code == "370634"
    assert parse(make_resident_id("370634", date(1990, 6, 1), 2)).division_code == "370634"


def test_code_younger_than_the_person_is_accepted() -> None:
    # 370614 蓬莱区 exists from 2020; an elderly resident re-registered there has it. stdnum
    # refuses such numbers, which is the pitfall the glossary warns about.
    number = make_resident_id("370614", date(1950, 5, 4), 3)

    assert parse(number).birth_date == date(1950, 5, 4)
    assert not ric.is_valid(number)


def test_checks_run_in_order_length_characters_checksum_date_address() -> None:
    bad_everything = _with_birth_digits("999999", "19990230", 1)
    assert refusal(bad_everything).code == "bad_birth_date"
    assert refusal(bad_everything[:17] + _other_check(bad_everything)).code == "bad_checksum"
    assert refusal(bad_everything[:16] + "A" + bad_everything[17]).code == "bad_characters"
    assert refusal(bad_everything + "1").code == "bad_length"


def test_upgrade_legacy_refuses_what_is_not_15_digits() -> None:
    with pytest.raises(IdNumberError) as too_short:
        upgrade_legacy("37060290030700")
    with pytest.raises(IdNumberError) as letters:
        upgrade_legacy("37060290030700X")

    assert too_short.value.code == "bad_length"
    assert letters.value.code == "bad_characters"


def test_error_is_a_value_error_and_survives_pickling() -> None:
    error = refusal("123")
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object

    assert isinstance(error, ValueError)
    assert (copy.code, copy.message) == (error.code, error.message)


def test_make_resident_id_refuses_bad_parts() -> None:
    with pytest.raises(ValueError, match="division_code"):
        make_resident_id("37060", date(1990, 1, 1), 1)
    with pytest.raises(ValueError, match="sequence"):
        make_resident_id("370602", date(1990, 1, 1), 1000)


# --- properties ---------------------------------------------------------------------------------


@st.composite
def people(
    draw: st.DrawFn, first: date = date(1880, 1, 1), last: date = TODAY
) -> tuple[DivisionRecord, date, int]:
    """A division, a birth date in [first, last] at which its code may appear, and a sequence."""
    division = draw(st.sampled_from(DIVISIONS))
    if division.valid_to is not None:
        last = min(last, date(division.valid_to, 12, 31))
    return division, draw(st.dates(first, last)), draw(st.integers(0, 999))


@given(people())
def test_valid_parts_round_trip(person: tuple[DivisionRecord, date, int]) -> None:
    division, born, sequence = person
    number = make_resident_id(division.code, born, sequence)

    parsed = parse(number)

    assert number[17] == glossary_check_character(number[:17])
    assert parsed == ResidentId(number, division.code, born, sex_of_sequence(sequence), None)
    assert parse(number.lower()) == parsed


@given(people(), st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_change_is_caught(
    person: tuple[DivisionRecord, date, int], position: int, shift: int
) -> None:
    number = make_resident_id(person[0].code, person[1], person[2])
    digit = str((int(number[position]) + shift) % 10)

    error = refusal(number[:position] + digit + number[position + 1 :])

    assert error.code == "bad_checksum"


@given(people(), st.integers(0, 16))
def test_any_adjacent_transposition_is_caught(
    person: tuple[DivisionRecord, date, int], position: int
) -> None:
    number = make_resident_id(person[0].code, person[1], person[2])
    a, b = number[position], number[position + 1]
    assume(a != b)
    swapped = number[:position] + b + a + number[position + 2 :]

    error = refusal(swapped)

    # Only a swap with a check character X can put a letter among the first 17.
    assert error.code == ("bad_characters" if "X" in swapped[:17] else "bad_checksum")


@given(people(first=date(1900, 1, 1), last=date(1999, 12, 31)))
def test_legacy_form_is_the_same_person(person: tuple[DivisionRecord, date, int]) -> None:
    division, born, sequence = person
    number = make_resident_id(division.code, born, sequence)
    legacy = number[:6] + number[8:17]

    assert parse(legacy) == replace(parse(number), legacy=legacy)
    assert upgrade_legacy(legacy) == number


@given(
    st.one_of(
        st.text(),
        st.text(alphabet="0123456789Xx ０１", max_size=20),
        st.from_regex(r"\s*[0-9]{14,17}[0-9Xx]\s*", fullmatch=True),
    )
)
def test_parse_raises_only_id_number_errors(value: str) -> None:
    try:
        result: ResidentId | IdNumberError = parse(value)
    except IdNumberError as error:
        result = error

    if isinstance(result, IdNumberError):
        assert result.code in ERROR_CODES
        assert result.message
    else:
        assert len(result.number) == 18


@given(st.sampled_from(DocumentType), st.text())
def test_normalize_raises_only_id_number_errors(doc_type: DocumentType, value: str) -> None:
    try:
        result: str | IdNumberError = normalize_document(doc_type, value, today=TODAY)
    except IdNumberError as error:
        result = error

    if isinstance(result, IdNumberError):
        assert result.code in ERROR_CODES
        assert result.message
    else:
        assert result
        assert result == result.strip()


# --- masking ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("370602199003070017", "370602********0017"),
        (" 11010519491231002X ", "110105********002X"),
        ("370602900307001", "37***********01"),
        ("E12345678", "E1*****78"),
        ("12345", "12*45"),
        ("1234", "1**4"),
        ("12", "**"),
        ("", "*"),
    ],
)
def test_mask_id(number: str, masked: str) -> None:
    assert mask_id(number) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812341234", "138****1234"),
        ("0535-6651234", "********1234"),
        ("66512345", "****2345"),
        ("+8613812341234", "**********1234"),
        ("120", "**0"),
        ("", "*"),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


# --- other documents ----------------------------------------------------------------------------

NEW_PERMANENT_RESIDENCE = "93184019900307001"
NEW_PERMANENT_RESIDENCE += glossary_check_character(NEW_PERMANENT_RESIDENCE)


@pytest.mark.parametrize(
    ("doc_type", "value", "canonical"),
    [
        (
            DocumentType.RESIDENT_ID,
            "370602900307001",
            make_resident_id("370602", date(1990, 3, 7), 1),
        ),
        (DocumentType.RESIDENT_ID, "11010519491231002x", "11010519491231002X"),
        (DocumentType.PASSPORT, "E12345678", "E12345678"),
        (DocumentType.PASSPORT, " g1234567a ", "G1234567A"),
        (DocumentType.PASSPORT, "X1234", "X1234"),
        (DocumentType.PASSPORT, "C01X00T47", "C01X00T47"),
        (DocumentType.PASSPORT, "A" * 17, "A" * 17),
        (DocumentType.HOME_RETURN_PERMIT, "H12345678", "H12345678"),
        (DocumentType.HOME_RETURN_PERMIT, "m1234567801", "M1234567801"),
        (DocumentType.TAIWAN_PERMIT, "12345678", "12345678"),
        (DocumentType.TAIWAN_PERMIT, "1234567801", "1234567801"),
        (DocumentType.FOREIGN_PERMANENT_RESIDENCE, "usa310090010101", "USA310090010101"),
        (
            DocumentType.FOREIGN_PERMANENT_RESIDENCE,
            NEW_PERMANENT_RESIDENCE,
            NEW_PERMANENT_RESIDENCE,
        ),
        (DocumentType.OTHER, " 军官证第 1234 号 ", "军官证第 1234 号"),
    ],
)
def test_documents_accepted(doc_type: DocumentType, value: str, canonical: str) -> None:
    assert normalize_document(doc_type, value, today=TODAY) == canonical


@pytest.mark.parametrize(
    ("doc_type", "value", "code"),
    [
        (DocumentType.RESIDENT_ID, ZHIFU[:17] + _other_check(ZHIFU), "bad_checksum"),
        (
            DocumentType.RESIDENT_ID,
            make_resident_id("999999", date(1990, 3, 7), 1),
            "unknown_address_code",
        ),
        (DocumentType.PASSPORT, "E123", "bad_format"),
        (DocumentType.PASSPORT, "A" * 18, "bad_format"),
        (DocumentType.PASSPORT, "E 12345678", "bad_format"),
        (DocumentType.PASSPORT, "E-1234567", "bad_format"),
        (DocumentType.PASSPORT, "E1234567８", "bad_format"),
        (DocumentType.PASSPORT, "ßE1234567", "bad_format"),
        (DocumentType.PASSPORT, "", "bad_format"),
        (DocumentType.HOME_RETURN_PERMIT, "H1234567", "bad_format"),
        (DocumentType.HOME_RETURN_PERMIT, "H123456789", "bad_format"),
        (DocumentType.HOME_RETURN_PERMIT, "H12345678901", "bad_format"),
        (DocumentType.HOME_RETURN_PERMIT, "A12345678", "bad_format"),
        (DocumentType.TAIWAN_PERMIT, "1234567", "bad_format"),
        (DocumentType.TAIWAN_PERMIT, "123456789", "bad_format"),
        (DocumentType.TAIWAN_PERMIT, "T12345678", "bad_format"),
        (DocumentType.FOREIGN_PERMANENT_RESIDENCE, "US3100900101010", "bad_format"),
        (DocumentType.FOREIGN_PERMANENT_RESIDENCE, "USA31009001010", "bad_format"),
        (DocumentType.FOREIGN_PERMANENT_RESIDENCE, "370602199003070017", "bad_format"),
        (DocumentType.FOREIGN_PERMANENT_RESIDENCE, "", "bad_format"),
        (DocumentType.FOREIGN_PERMANENT_RESIDENCE, "93184019900307001Y", "bad_format"),
        (DocumentType.OTHER, "   ", "bad_format"),
        (DocumentType.OTHER, "x" * 65, "bad_format"),
        (DocumentType.OTHER, "12\x0034", "bad_format"),
    ],
)
def test_documents_refused(doc_type: DocumentType, value: str, code: str) -> None:
    with pytest.raises(IdNumberError) as caught:
        normalize_document(doc_type, value, today=TODAY)

    assert caught.value.code == code
    assert caught.value.message


def test_new_permanent_residence_id_with_wrong_check_character() -> None:
    wrong = NEW_PERMANENT_RESIDENCE[:17] + _other_check(NEW_PERMANENT_RESIDENCE)

    with pytest.raises(IdNumberError) as caught:
        normalize_document(DocumentType.FOREIGN_PERMANENT_RESIDENCE, wrong)

    assert caught.value.code == "bad_checksum"
    assert f"应为 {NEW_PERMANENT_RESIDENCE[17]}" in caught.value.message


def test_document_format_messages_say_what_is_expected() -> None:
    with pytest.raises(IdNumberError) as caught:
        normalize_document(DocumentType.HOME_RETURN_PERMIT, "12345678")

    assert str(caught.value) == (
        "港澳居民来往内地通行证号码应为 H（香港）或 M（澳门）加 8 位数字，"
        "或加 10 位数字（含 2 位换证次数）。"
    )
