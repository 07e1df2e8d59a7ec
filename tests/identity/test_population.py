"""The synthetic population for record linkage: determinism, CSV shape, truth and error rates."""

from __future__ import annotations

import csv
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from pypinyin import lazy_pinyin
from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent

from healthcard.divisions.source import national_divisions
from healthcard.identity.population import (
    CSV_HEADER,
    ERROR_NAMES,
    ERROR_RATES,
    INPUT_HEADER,
    ErrorRates,
    PopulationRecord,
    PopulationStats,
    generate_population,
    homophones,
    write_population_csv,
)

PERSONS = 5_000
SOURCES = 5
SEED = 20_240_611
ID_ERRORS = {"missing_id", "legacy_id", "id_wrong_digit", "id_transposed"}
NAME_ERRORS = {"name_homophone", "name_typo"}
BIRTH_ERRORS = {"birth_swapped", "birth_typo"}
MOBILE_PREFIXES = ("13", "15", "18", "19")
COUNTIES = {
    d.code: d
    for d in national_divisions()
    if d.level == "county" and d.code.startswith("37") and d.valid_to is None
}


@dataclass(frozen=True)
class Generated:
    path: Path
    stats: PopulationStats
    records: list[PopulationRecord]
    rows: list[dict[str, str]]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    path = tmp_path_factory.mktemp("population") / "population.csv"
    stats = write_population_csv(path, persons=PERSONS, sources=SOURCES, seed=SEED)
    records = list(generate_population(persons=PERSONS, sources=SOURCES, seed=SEED))
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return Generated(path, stats, records, rows)


def by_person(records: list[PopulationRecord]) -> dict[str, list[PopulationRecord]]:
    groups: dict[str, list[PopulationRecord]] = defaultdict(list)
    for record in records:
        groups[record.truth_person].append(record)
    return groups


def true_id(records: list[PopulationRecord]) -> str | None:
    clean = {r.id_number for r in records if not ID_ERRORS & set(r.errors)}
    assert len(clean) <= 1
    return clean.pop() if clean else None


# --- determinism and shape ----------------------------------------------------------------------


def test_same_seed_gives_the_same_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    stats_a = write_population_csv(a, persons=400, sources=4, seed=7)
    stats_b = write_population_csv(b, persons=400, sources=4, seed=7)
    write_population_csv(c, persons=400, sources=4, seed=8)
    assert a.read_bytes() == b.read_bytes()
    assert stats_a == stats_b
    assert a.read_bytes() != c.read_bytes()


def test_iterator_and_file_agree(generated: Generated) -> None:
    assert [tuple(row.values()) for row in generated.rows] == [
        r.csv_row() for r in generated.records
    ]


def test_header_is_the_input_header_plus_truth(generated: Generated) -> None:
    first_line = generated.path.read_bytes().split(b"\n", 1)[0]
    assert first_line.decode("utf-8") == (
        "record_id,source,id_type,id_number,name,sex,birth_date,phone,address,truth_person"
    )
    assert (*INPUT_HEADER, "truth_person") == CSV_HEADER
    assert not generated.path.read_bytes().startswith(b"\xef\xbb\xbf")  # no BOM


def test_counts(generated: Generated) -> None:
    stats, rows = generated.stats, generated.rows
    assert stats.persons == PERSONS
    assert stats.records == len(rows)
    assert stats.sources == SOURCES
    sizes = Counter(row["truth_person"] for row in rows)
    assert len(sizes) == PERSONS
    assert stats.true_pairs == sum(k * (k - 1) // 2 for k in sizes.values())
    assert 1.5 < len(rows) / PERSONS < 2.5
    spread = Counter(sizes.values())
    assert max(spread) <= SOURCES
    assert spread[1] + spread[2] + spread[3] > 0.8 * PERSONS  # most people in 1..3 sources
    assert spread[1] > spread[2] > spread[3]


def test_record_ids_are_unique_and_belong_to_their_source(generated: Generated) -> None:
    ids = [row["record_id"] for row in generated.rows]
    assert len(set(ids)) == len(ids)
    sources = {f"H{i:02d}" for i in range(1, SOURCES + 1)}
    for row in generated.rows:
        assert row["source"] in sources
        prefix, number = row["record_id"].split("-")
        assert prefix == row["source"]
        assert len(number) == 6
        assert number.isdigit()


def test_each_person_is_in_a_source_at_most_once(generated: Generated) -> None:
    for records in by_person(generated.records).values():
        sources = [r.source for r in records]
        assert len(sources) == len(set(sources))


def test_every_value_is_well_formed(generated: Generated) -> None:
    for row in generated.rows:
        assert set(row) == set(CSV_HEADER)
        assert row["sex"] in {"", "0", "1", "2", "9"}
        born = date.fromisoformat(row["birth_date"])
        assert date(1900, 1, 1) <= born <= date(2024, 12, 31)
        assert row["id_type"] in {"", "01"}
        if not row["id_number"]:
            assert row["id_type"] == ""
        assert len(row["id_number"]) in {0, 15, 18}
        phone = row["phone"]
        if phone:
            assert len(phone) == 11
            assert phone.isdigit()
            assert phone.startswith(MOBILE_PREFIXES) or phone.startswith("0")
        if row["address"]:
            assert row["address"].startswith("山东省")
        assert row["name"]
        assert "," not in row["name"] + row["address"]


def test_persons_are_mostly_in_yantai_with_real_county_names(generated: Generated) -> None:
    clean = [r for r in generated.records if "moved_address" not in r.errors and r.address]
    yantai = sum(r.address.startswith("山东省烟台市") for r in clean)
    assert yantai > 0.75 * len(clean)
    assert any("芝罘区" in r.address for r in clean)
    assert not any("莱山大道" in r.address for r in clean if "烟台市" not in r.address)


# --- truth --------------------------------------------------------------------------------------


def test_records_of_one_person_share_the_true_identity(generated: Generated) -> None:
    for records in by_person(generated.records).values():
        names = {r.name for r in records if not NAME_ERRORS & set(r.errors)}
        births = {r.birth_date for r in records if not BIRTH_ERRORS & set(r.errors)}
        sexes = {r.sex for r in records if "missing_sex" not in r.errors}
        assert len(names) <= 1
        assert len(births) <= 1
        assert len(sexes) <= 1
        assert sexes <= {"1", "2"}
        identity = true_id(records)
        if identity is None:
            continue
        assert len(identity) == 18
        for r in records:
            if set(r.errors) & ID_ERRORS == {"legacy_id"}:
                assert r.id_number == identity[:6] + identity[8:17]
        if births:
            assert ric.get_birth_date(identity).isoformat() == next(iter(births))
        if sexes:
            assert int(identity[16]) % 2 == (1 if sexes == {"1"} else 0)


def test_a_name_error_keeps_the_sound_or_the_shape(generated: Generated) -> None:
    table = homophones()
    for records in by_person(generated.records).values():
        clean = [r.name for r in records if not NAME_ERRORS & set(r.errors)]
        if not clean:
            continue
        for r in records:
            if set(r.errors) & NAME_ERRORS == {"name_homophone"}:
                assert len(r.name) == len(clean[0])
                changed = [(a, b) for a, b in zip(clean[0], r.name, strict=True) if a != b]
                assert len(changed) == 1
                original, replacement = changed[0]
                assert replacement in table[original]
            if set(r.errors) & NAME_ERRORS == {"name_typo"}:
                assert r.name != clean[0]
                assert len(r.name) in {len(clean[0]), len(clean[0]) - 1}
                if len(r.name) == len(clean[0]):  # a look-alike, not a sound-alike
                    assert lazy_pinyin(r.name) != lazy_pinyin(clean[0])


def test_clean_ids_are_valid_resident_ids(generated: Generated) -> None:
    """Uncorrupted IDs pass stdnum, except that stdnum wants the address code in force in the birth
    year: the generator uses today's county codes (IDs were issued from 1984 with the code current
    then), so for someone born before the county code existed only the checksum, the date and the
    code are checked (the glossary's rule)."""
    checked_strictly = relaxed = 0
    for records in by_person(generated.records).values():
        identity = true_id(records)
        if identity is None:
            continue
        county = COUNTIES[identity[:6]]
        assert ric.calc_check_digit(identity) == identity[-1]
        born = ric.get_birth_date(identity)
        if county.valid_from is None or born.year >= county.valid_from:
            assert ric.is_valid(identity), identity
            checked_strictly += 1
        else:
            # stdnum's only objection is the birth place
            with pytest.raises(InvalidComponent):
                ric.get_birth_place(identity)
            relaxed += 1
    # about a third of the persons were born after their county code came into force
    assert checked_strictly > 0.2 * PERSONS
    assert relaxed > 0.2 * PERSONS


def test_damaged_18_digit_ids_fail_the_checksum(generated: Generated) -> None:
    damaged = [
        r
        for r in generated.records
        if len(r.id_number) == 18 and len({"id_wrong_digit", "id_transposed"} & set(r.errors)) == 1
    ]
    assert damaged
    # GB 11643's check character catches every single wrong digit and adjacent swap (two errors
    # on one record can cancel out, so those are left aside)
    for r in damaged:
        assert ric.calc_check_digit(r.id_number) != r.id_number[-1]
    intact = [
        r for r in generated.records if len(r.id_number) == 18 and not ID_ERRORS & set(r.errors)
    ]
    assert all(ric.calc_check_digit(r.id_number) == r.id_number[-1] for r in intact)


def test_legacy_15_digit_ids_are_present_only_for_the_20th_century(generated: Generated) -> None:
    legacy = [r for r in generated.rows if len(r["id_number"]) == 15]
    assert len(legacy) > 50
    for r in generated.records:
        if "legacy_id" in r.errors:
            assert len(r.id_number) == 15
            assert r.id_number.isdigit()
    for records in by_person(generated.records).values():
        identity = true_id(records)
        if identity is not None and identity[6:10] >= "2000":
            assert not any("legacy_id" in r.errors for r in records)


def test_twins_are_present(generated: Generated) -> None:
    damaging = ID_ERRORS | NAME_ERRORS | BIRTH_ERRORS | {"moved_address", "missing_address"}
    profiles = {}
    for person, records in by_person(generated.records).items():
        clean = [r for r in records if not damaging & set(r.errors)]
        if clean:
            profiles[person] = clean[0]
    by_home: dict[tuple[str, str], list[PopulationRecord]] = defaultdict(list)
    for r in profiles.values():
        by_home[(r.address, r.birth_date)].append(r)
    twins = [
        (a, b)
        for group in by_home.values()
        for i, a in enumerate(group)
        for b in group[i + 1 :]
        if a.name[0] == b.name[0] and a.name != b.name and a.id_number != b.id_number
    ]
    assert generated.stats.twin_pairs > 5
    # both twins need an undamaged record to be seen here
    assert len(twins) >= max(2, generated.stats.twin_pairs // 4)


def test_households_share_addresses_and_phones(generated: Generated) -> None:
    stats = generated.stats
    assert 0.25 < stats.persons_in_households / stats.persons < 0.35
    assert stats.households > 0
    phone_owners: dict[str, set[str]] = defaultdict(set)
    address_owners: dict[str, set[str]] = defaultdict(set)
    for r in generated.records:
        if not r.errors:
            if r.phone:
                phone_owners[r.phone].add(r.truth_person)
            address_owners[r.address].add(r.truth_person)
    assert sum(len(p) > 1 for p in phone_owners.values()) > 100
    assert sum(len(p) > 1 for p in address_owners.values()) > 200


# --- error rates --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ERROR_NAMES)
def test_observed_error_rates_match_the_configured_ones(generated: Generated, name: str) -> None:
    stats = generated.stats
    rate = getattr(ERROR_RATES, name)
    eligible = stats.eligible[name]
    observed = stats.errors[name] / eligible
    tolerance = 4 * math.sqrt(rate * (1 - rate) / eligible) + 0.002
    assert abs(observed - rate) < tolerance, (name, observed, rate)
    assert sum(name in r.errors for r in generated.records) == stats.errors[name]


def test_errors_are_possible_on_most_records(generated: Generated) -> None:
    stats = generated.stats
    records = stats.records
    for name in ("missing_id", "missing_sex", "missing_address"):
        assert stats.eligible[name] == records
    assert stats.eligible["birth_typo"] > 0.99 * records
    assert stats.eligible["name_homophone"] > 0.9 * records
    assert stats.eligible["name_typo"] > 0.8 * records
    assert stats.eligible["birth_swapped"] > 0.3 * records  # day 1..12 and not equal to the month


def test_the_csv_shows_the_configured_missing_rates(generated: Generated) -> None:
    rows = generated.rows
    missing_id = sum(not r["id_number"] for r in rows) / len(rows)
    missing_address = sum(not r["address"] for r in rows) / len(rows)
    missing_sex = sum(r["sex"] in {"", "0", "9"} for r in rows) / len(rows)
    assert abs(missing_id - ERROR_RATES.missing_id) < 0.02
    assert abs(missing_address - ERROR_RATES.missing_address) < 0.02
    assert abs(missing_sex - ERROR_RATES.missing_sex) < 0.008


def test_zero_rates_give_clean_records() -> None:
    clean = ErrorRates(**dict.fromkeys(ERROR_NAMES, 0.0))
    records = list(generate_population(persons=500, sources=3, seed=1, rates=clean))
    assert all(not r.errors for r in records)
    assert all(len(r.id_number) == 18 for r in records)
    assert all(ric.calc_check_digit(r.id_number) == r.id_number[-1] for r in records)


def test_rates_are_checked() -> None:
    with pytest.raises(ValueError, match="missing_id"):
        ErrorRates(missing_id=1.5)


def test_homophone_table_is_built_from_pinyin() -> None:
    table = homophones()
    assert {"铭", "鸣"} <= set(table["明"])
    assert {"莉", "力"} <= set(table["丽"])
    assert "长" not in table.get("张", ())  # 长 reads chang in names
    for char, others in table.items():
        for other in others:
            assert lazy_pinyin(other) == lazy_pinyin(char)


def test_surnames_follow_their_frequency(generated: Generated) -> None:
    first = Counter(r.name[0] for r in generated.records if not r.errors)
    top = [name for name, _ in first.most_common(4)]
    assert set(top) == {"王", "李", "张", "刘"}


# --- arguments and progress ---------------------------------------------------------------------


def test_progress_reports_persons_up_to_the_total(tmp_path: Path) -> None:
    seen: list[int] = []
    write_population_csv(tmp_path / "p.csv", persons=4_500, sources=2, seed=3, progress=seen.append)
    assert seen == sorted(seen)
    assert seen[-1] == 4_500
    assert len(seen) >= 3


def test_one_source_and_no_persons(tmp_path: Path) -> None:
    records = list(generate_population(persons=50, sources=1, seed=2))
    assert len(records) == 50
    assert {r.source for r in records} == {"H01"}
    stats = write_population_csv(tmp_path / "empty.csv", persons=0, sources=3, seed=2)
    assert stats.records == 0
    assert (tmp_path / "empty.csv").read_text(encoding="utf-8") == ",".join(CSV_HEADER) + "\n"


@pytest.mark.parametrize(("persons", "sources"), [(-1, 2), (10, 0)])
def test_bad_arguments_are_refused(persons: int, sources: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        generate_population(persons=persons, sources=sources, seed=1)
