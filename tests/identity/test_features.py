"""Record features shared by batch linkage and the online matcher: names, IDs, dates, phones."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthcard.identity.features import (
    MAX_FIELD_LENGTH,
    NormalizedRecord,
    RecordError,
    adjacent_transposition,
    clean_name,
    county_of,
    id_body,
    id_near,
    name_features,
    normalize_address,
    normalize_phone,
    normalize_record,
    one_digit_off,
    parse_birth_date,
    swapped_month_day,
)
from healthcard.identity.idnumbers import china_today, make_resident_id, upgrade_legacy

ID18 = make_resident_id("370602", date(1956, 3, 4), 123)
"""A valid number of 芝罘区, born 1956 (so it also has a legacy 15-digit form)."""
ID15 = ID18[:6] + ID18[8:17]


def record(**values: str) -> dict[str, str]:
    base = {
        "record_id": "R1",
        "source": "H01",
        "id_type": "01",
        "id_number": "",
        "name": "张三",
        "sex": "1",
        "birth_date": "1956-03-04",
        "phone": "",
        "address": "",
    }
    base.update(values)
    return base


# -- names --------------------------------------------------------------------------------------


def test_single_character_surname_and_pinyin() -> None:
    features = name_features("王小明")
    assert (features.chars, features.pinyin) == ("王小明", "wangxiaoming")
    assert (features.surname, features.given) == ("王", "小明")
    assert (features.surname_pinyin, features.given_pinyin) == ("wang", "xiaoming")


@pytest.mark.parametrize(
    ("name", "surname", "given", "pinyin"),
    [
        ("欧阳修", "欧阳", "修", "ouyangxiu"),
        ("司马光", "司马", "光", "simaguang"),
        ("诸葛亮", "诸葛", "亮", "zhugeliang"),
        ("上官婉儿", "上官", "婉儿", "shangguanwaner"),
        ("尉迟恭", "尉迟", "恭", "yuchigong"),
        ("长孙无忌", "长孙", "无忌", "zhangsunwuji"),
        ("令狐冲", "令狐", "冲", "linghuchong"),
    ],
)
def test_compound_surnames(name: str, surname: str, given: str, pinyin: str) -> None:
    features = name_features(name)
    assert (features.surname, features.given, features.pinyin) == (surname, given, pinyin)


def test_a_two_character_name_starting_like_a_compound_surname_keeps_one_character() -> None:
    assert name_features("欧阳").surname == "欧"


def test_surnames_read_as_surnames() -> None:
    assert name_features("单雄信").surname_pinyin == "shan"
    assert name_features("曾国藩").pinyin == "zengguofan"


def test_homophones_share_pinyin_not_characters() -> None:
    a, b = name_features("王明"), name_features("王铭")
    assert a.chars != b.chars
    assert a.pinyin == b.pinyin == "wangming"


def test_minority_name_with_middle_dot() -> None:
    features = name_features("阿依古丽•买买提")
    assert features.chars == "阿依古丽·买买提"
    assert (features.given, features.surname) == ("阿依古丽", "买买提")
    assert features.pinyin.isascii()
    assert "·" not in features.pinyin


def test_latin_name() -> None:
    features = name_features("  john   smith ")
    assert features.chars == "JOHN SMITH"
    assert features.pinyin == "johnsmith"


def test_clean_name_drops_spaces_and_full_width_forms() -> None:
    assert clean_name(" 张　三 ") == "张三"
    assert clean_name("") is None


@pytest.mark.parametrize("name", ["张3", "张三2", "张San", "李ming", "张*", "·张三", "张··三"])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(RecordError) as caught:
        clean_name(name)
    assert caught.value.field == "name"


# -- identity documents -------------------------------------------------------------------------


def test_valid_resident_id_is_canonical() -> None:
    rec = normalize_record(record(id_number=f" {ID18[:6]} {ID18[6:]} "))
    assert (rec.id_number, rec.id_raw, rec.id_valid) == (ID18, ID18, True)


def test_legacy_15_digit_id_is_its_18_digit_upgrade() -> None:
    rec = normalize_record(record(id_number=ID15, id_type=""))
    assert rec.id_number == ID18 == upgrade_legacy(ID15)
    assert rec.id_raw == ID15
    assert rec.id_body == ID18[:17]


def test_lower_case_x_is_upper_case_x() -> None:
    with_x = next(
        make_resident_id("370602", date(1980, 1, 1), n)
        for n in range(1000)
        if make_resident_id("370602", date(1980, 1, 1), n).endswith("X")
    )
    rec = normalize_record(record(id_number=with_x.lower(), birth_date="1980-01-01"))
    assert rec.id_number == with_x


def test_invalid_id_keeps_its_digits() -> None:
    typo = ID18[:10] + str((int(ID18[10]) + 1) % 10) + ID18[11:]
    rec = normalize_record(record(id_number=typo))
    assert (rec.id_number, rec.id_raw, rec.id_valid) == (None, typo, False)
    assert id_near(rec.id_body, ID18[:17])


def test_other_documents_are_kept_as_type_and_value() -> None:
    rec = normalize_record(record(id_type="03", id_number="e12345678"))
    assert rec.other_document == "03:E12345678"
    assert rec.id_number is None
    assert rec.id_raw is None


def test_unknown_document_type_is_refused() -> None:
    with pytest.raises(RecordError) as caught:
        normalize_record(record(id_type="42", id_number="123"))
    assert caught.value.field == "id_type"


# -- sex, dates, phones, addresses --------------------------------------------------------------


@pytest.mark.parametrize(("code", "sex"), [("1", "1"), ("2", "2"), ("0", None), ("9", None)])
def test_sex_codes(code: str, sex: str | None) -> None:
    assert normalize_record(record(sex=code)).sex == sex


def test_bad_sex_code_is_refused() -> None:
    with pytest.raises(RecordError) as caught:
        normalize_record(record(sex="M"))
    assert caught.value.field == "sex"


@pytest.mark.parametrize("value", ["1990-02-30", "1990/01/01", "19900101", "1879-12-31"])
def test_bad_birth_dates_are_refused(value: str) -> None:
    with pytest.raises(RecordError) as caught:
        normalize_record(record(birth_date=value))
    assert caught.value.field == "birth_date"


def test_future_birth_date_is_refused() -> None:
    tomorrow = china_today() + timedelta(days=1)
    with pytest.raises(RecordError):
        parse_birth_date(tomorrow.isoformat())
    assert parse_birth_date("") is None


def test_oversize_field_is_refused() -> None:
    with pytest.raises(RecordError) as caught:
        normalize_record(record(address="路" * (MAX_FIELD_LENGTH + 1)))
    assert caught.value.field == "address"


def test_phone_digits() -> None:
    assert normalize_phone("+86 138-0013-8000") == "13800138000"
    assert normalize_phone("0535-6601234") == "05356601234"
    assert normalize_phone("  ") is None


def test_address_and_county() -> None:
    address = normalize_address("山东省 烟台市，芝罘区 解放路１２号")
    assert address == "山东省烟台市芝罘区解放路12号"
    assert county_of(address) == "芝罘区"
    assert county_of("山东省烟台市招远市振华街267号") == "招远市"
    assert county_of("山东省烟台市") is None


def test_missing_values_are_none() -> None:
    rec = normalize_record(record(id_type="", name="", sex="", birth_date="", phone="", address=""))
    assert (rec.id_number, rec.name, rec.name_features, rec.sex) == (None, None, None, None)
    assert (rec.birth_date, rec.phone, rec.address, rec.county) == (None, None, None, None)


# -- near misses --------------------------------------------------------------------------------


def test_one_digit_off_and_transpositions() -> None:
    assert one_digit_off("12345", "12305")
    assert not one_digit_off("12345", "12345")
    assert not one_digit_off("12345", "1234")
    assert adjacent_transposition("12345", "12435")
    assert not adjacent_transposition("12345", "14325")
    assert id_near("12345", "21345")
    assert id_near("12345", "12346")
    assert not id_near("12345", "54321")
    assert not id_near(None, "1")


def test_id_body_of_15_and_18_digits() -> None:
    assert id_body(ID15) == id_body(ID18) == ID18[:17]
    assert id_body("12345") is None
    assert id_body(None) is None


def test_swapped_month_day() -> None:
    assert swapped_month_day(date(1990, 3, 4), date(1990, 4, 3))
    assert not swapped_month_day(date(1990, 3, 3), date(1990, 3, 3))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(list(record())), st.text(max_size=30)))
def test_any_text_is_normalized_or_refused_with_a_record_error(values: dict[str, str]) -> None:
    raw = record(**values)
    outcome = _normalized_or_refused_field(raw)
    if isinstance(outcome, str):
        assert outcome in raw
    else:
        assert outcome.record_id == raw["record_id"].strip()
        assert outcome.id_number is None or len(outcome.id_number) == 18


def _normalized_or_refused_field(raw: dict[str, str]) -> NormalizedRecord | str:
    try:
        return normalize_record(raw)
    except RecordError as exc:
        return exc.field
