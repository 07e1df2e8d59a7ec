"""A synthetic regional population, seen through hospital extracts, for record-linkage work.

The card centre links the records one person left in several hospitals. To measure that linkage
we need data whose truth is known: this module invents persons (names, sex, birth dates, resident
ID numbers, phones, addresses in Shandong, mostly Yantai), groups some of them into households
(shared address and phone; twins), lets each person appear in one or more hospital sources and
damages every record independently with the errors registration clerks make (missing or mistyped
ID digits, legacy 15-digit IDs, homophone characters in names, swapped birth month and day,
changed phones, moved addresses ...). The rates are :class:`ErrorRates`; ``docs/population.md``
describes the model.

Pure and deterministic: one ``random.Random(seed)`` drives everything, so the same arguments
give the same records and byte-identical CSV. No database, no global random state.
"""

from __future__ import annotations

import csv
import functools
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import date
from itertools import accumulate
from pathlib import Path
from types import MappingProxyType

from pypinyin import lazy_pinyin
from stdnum.cn.ric import calc_check_digit

from healthcard.divisions.source import national_divisions

__all__ = [
    "CSV_HEADER",
    "ERROR_NAMES",
    "ERROR_RATES",
    "INPUT_HEADER",
    "ErrorRates",
    "PopulationRecord",
    "PopulationStats",
    "generate_population",
    "homophones",
    "write_population_csv",
]

INPUT_HEADER: tuple[str, ...] = (
    "record_id",
    "source",
    "id_type",
    "id_number",
    "name",
    "sex",
    "birth_date",
    "phone",
    "address",
)
"""Columns of the linkage input, in order."""

CSV_HEADER: tuple[str, ...] = (*INPUT_HEADER, "truth_person")
"""Columns written by :func:`write_population_csv`: the input plus the true person id."""

RESIDENT_ID_TYPE = "01"
"""``id_type`` of the resident ID number (sources that leave the type empty mean the same)."""


@dataclass(frozen=True)
class ErrorRates:
    """Probability of each error, drawn independently for every record.

    A rate applies to the records where the error is possible: ``legacy_id`` to records that carry
    an ID of someone born before 2000, ``id_wrong_digit`` and ``id_transposed`` to records that
    carry an ID at all, ``changed_phone`` to records that still carry a phone, ``moved_address`` to
    records that still carry an address, ``birth_swapped`` to birth dates whose day is 1..12 and
    differs from the month, ``name_homophone`` to names with a character that has a homophone in
    the character lists. :class:`PopulationStats` reports both the eligible and the applied counts.
    """

    missing_id: float = 0.15
    id_wrong_digit: float = 0.02
    id_transposed: float = 0.01
    legacy_id: float = 0.03
    name_homophone: float = 0.05
    name_typo: float = 0.01
    birth_swapped: float = 0.02
    birth_typo: float = 0.01
    missing_phone: float = 0.20
    changed_phone: float = 0.05
    moved_address: float = 0.10
    missing_sex: float = 0.02
    missing_address: float = 0.10

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"error rate {f.name} must be within 0..1, got {value!r}")


ERROR_RATES = ErrorRates()
"""The documented default rates (see ``docs/population.md``)."""

ERROR_NAMES: tuple[str, ...] = tuple(f.name for f in fields(ErrorRates))
"""Error names, as used in :attr:`PopulationRecord.errors` and :class:`PopulationStats`."""

# --- population model constants ---------------------------------------------------------------

REFERENCE_DATE = date(2025, 1, 1)
"""Ages (who has a mobile phone) are computed at this date; never at today's date."""
FIRST_BIRTH_YEAR = 1930
LAST_BIRTH_YEAR = 2024
HOUSEHOLD_PERSON_SHARE = 0.30
"""Share of persons living in households of 2..5 members (the rest are single records)."""
HOUSEHOLD_SIZE_WEIGHTS: tuple[tuple[int, float], ...] = ((2, 0.40), (3, 0.35), (4, 0.15), (5, 0.10))
TWIN_SHARE = 0.20
"""Share of households with two or more children whose two eldest children are twins."""
SOURCE_DECAY = 0.5
"""P(person in k sources) is proportional to SOURCE_DECAY ** (k - 1), k = 1..sources."""
ID_TYPE_FILLED_SHARE = 0.8
"""Share of hospital sources that fill ``id_type`` (the others leave it empty)."""
YANTAI_RESIDENT_SHARE = 0.85
BORN_IN_RESIDENCE_COUNTY = 0.70
SHUFFLE_PERSONS = 2000
"""Records are shuffled in blocks of this many persons, so one person's records are not adjacent."""

_mean_household = sum(s * w for s, w in HOUSEHOLD_SIZE_WEIGHTS) / sum(
    w for _, w in HOUSEHOLD_SIZE_WEIGHTS
)
# share of generated units that are households, so that HOUSEHOLD_PERSON_SHARE of persons are in one
_HOUSEHOLD_UNIT_SHARE = HOUSEHOLD_PERSON_SHARE / (
    _mean_household - HOUSEHOLD_PERSON_SHARE * (_mean_household - 1)
)

# --- names --------------------------------------------------------------------------------------

# Surnames with frequencies (per 10,000) after the national ranking, adjusted for Jiaodong (Yantai):
# 孙, 于, 姜 are more frequent there, and 曲, 衣, 鞠, 隋, 宫, 初, 栾 are typical local surnames.
_SURNAME_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("王", 900), ("李", 750), ("张", 750), ("刘", 650), ("陈", 400), ("杨", 320), ("黄", 180),
    ("赵", 220), ("吴", 180), ("周", 170), ("徐", 160), ("孙", 260), ("马", 130), ("朱", 120),
    ("胡", 110), ("郭", 120), ("何", 90), ("高", 120), ("林", 100), ("罗", 70), ("郑", 80),
    ("梁", 80), ("谢", 60), ("宋", 90), ("唐", 60), ("许", 70), ("韩", 80), ("冯", 70), ("邓", 50),
    ("曹", 70), ("彭", 50), ("曾", 40), ("肖", 50), ("田", 60), ("董", 70), ("袁", 50), ("潘", 40),
    ("于", 180), ("蒋", 40), ("蔡", 40), ("余", 40), ("杜", 50), ("叶", 40), ("程", 50), ("苏", 40),
    ("魏", 50), ("吕", 50), ("丁", 50), ("任", 40), ("沈", 30), ("姚", 30), ("卢", 30), ("姜", 150),
    ("崔", 50), ("钟", 20), ("谭", 20), ("陆", 20), ("汪", 20), ("范", 30), ("金", 30), ("石", 30),
    ("廖", 20), ("贾", 30), ("夏", 20), ("韦", 20), ("付", 30), ("方", 20), ("白", 30), ("邹", 20),
    ("孟", 40), ("熊", 20), ("秦", 30), ("邱", 20), ("江", 20), ("尹", 30), ("薛", 30), ("闫", 30),
    ("段", 20), ("雷", 20), ("侯", 30), ("龙", 10), ("史", 20), ("陶", 20), ("黎", 10), ("贺", 20),
    ("顾", 20), ("毛", 20), ("郝", 20), ("龚", 10), ("邵", 20), ("万", 20), ("钱", 10), ("严", 10),
    ("武", 20), ("戴", 10), ("孔", 20), ("汤", 10), ("曲", 40), ("衣", 15), ("鞠", 15), ("隋", 15),
    ("宫", 15), ("辛", 10), ("初", 10), ("栾", 10), ("慕", 5), ("战", 5),
    ("欧阳", 3), ("司马", 1), ("诸葛", 1), ("上官", 1),
)  # fmt: skip

# Given-name characters by birth cohort and sex (tendencies, not rules: a tenth of the characters
# are drawn from the neutral list).
_GIVEN_CHARS: dict[tuple[str, str], str] = {
    ("old", "1"): (
        "国建军华明平志德福海成文林山春生学宝庆祥忠胜贵富杰民兴清永喜"
        "俊新利树东家义广金长振宏友卫洪江贤良仁荣来吉顺发财安凤仲孝全君茂松柏森"
    ),
    ("old", "2"): (
        "秀英兰桂芳珍玉凤华梅淑琴云霞荣翠芬香莲爱美素菊玲娥花月红敏芝"
        "兰萍凤琼彩银娟巧贞洁清环丽惠萍艳菊冬"
    ),
    ("mid", "1"): (
        "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波峰亮龙林健东海帅宁凯浩晓"
        "志新兵锋旭阳文建洋俊彬宇晨鹤江涛毅刚坤欣振庆雷"
    ),
    ("mid", "2"): (
        "丽静敏燕艳娟霞婷雪芳颖琳娜洁晶慧倩萍玲红丹莉蕾璐晓佳月薇露妍琪琼媛婕瑾菲琳莹娇蓉宁欣晴梅"
    ),
    ("new", "1"): (
        "子浩宇轩梓睿泽博一俊皓文诚宸铭然煜辰嘉奕航晨昊哲楷毅瑞翔逸凡宁晟熙瀚祺润锦卓骏天鸣恒远鹏"
    ),
    ("new", "2"): (
        "欣怡梓涵雨诗思佳可馨一依若语梦紫萱彤琪悦嘉晨妍钰瑶菲茹雅心晗沐婉桐蕊希语冉艺琳颖瑾淼"
    ),
}
_NEUTRAL_CHARS = "文明华晓佳嘉一子思安宁春秋雨晨新云海林阳光立英"
# Characters clerks pick from the input method's candidate list: homophones of the ones above.
_EXTRA_CHARS = (
    "铭鸣名茗力立利理礼俐励莉黎丽玮炜维薇巍卫为韬滔焘洁婕捷节婧靖"
    "菁敬境君钧峻骏浚竣鹃涓方舫桦骅花萍苹屏风峰锋丰枫宏鸿虹泓洪朋"
    "彭芃侠瑕雁彦岩颜研霖麟铃龄凌灵羚珊姗杉彬斌滨冰兵炳秉昊浩皓灏"
    "颢豪毫瑜渝雨语宇禹羽玉钰育煜昱誉郁婷庭廷亭霆挺"
)
# Readings in names where pypinyin's default reading of the lone character is another one.
_NAME_READINGS = {"长": "chang", "曾": "zeng"}
_GIVEN_ONE_CHAR_SHARE = {"old": 0.30, "mid": 0.35, "new": 0.10}
_REDUPLICATED_FEMALE_SHARE = 0.05  # 婷婷, 丽丽
_SIBLING_GENERATION_CHAR_SHARE = 0.30  # siblings share the first given character (字辈)

# Visually similar characters (形近字) for the name-typo error, both directions.
_VISUAL_PAIRS: tuple[str, ...] = (
    "王玉", "田由", "甲申", "己已", "末未", "土士", "人入", "大太", "天夭", "木本", "日曰",
    "千干", "午牛", "贝见", "乌鸟", "免兔", "休体", "折拆", "候侯", "戊戌", "洒酒", "辨辩",
    "拨拔", "历厉", "晴睛", "清情", "明朋", "军车", "国围", "秀季", "兰兴", "红江", "梅海",
    "珍诊", "桂柱", "敏繁", "霞暇", "杰术", "英苗", "芳苦", "建健", "平乎", "华毕", "林材",
    "东乐", "海悔", "涛俦", "斌赋", "超起", "刚列", "辉挥", "鹏棚", "飞习", "鑫森", "波坡",
    "峰蜂", "亮高", "龙尤", "健律", "宁丁", "凯岂", "浩皓", "志忠", "新亲", "旭九", "阳阴",
    "文丈", "洋样", "俊浚", "彬彤", "宇字", "晨晟", "娜哪", "静净", "燕熊", "艳滟", "娟绢",
    "婷停", "雪雷", "颖颍", "琳淋", "洁结", "晶品", "慧彗", "倩债", "萍苹", "丹舟", "莉利",
    "蕾雷", "璐路", "佳住", "月目", "薇微", "妍研", "琪棋", "子孑", "梓样", "睿壑", "泽译",
    "博搏", "诚城", "铭名", "煜昱", "辰晨", "奕弈", "航舫", "涵函", "昊吴", "哲折", "怡冶",
    "雨两", "诗侍", "思恩", "馨磬", "依衣", "若苦", "梦楚", "紫柴", "萱宣", "彤形", "悦说",
    "钰玉", "瑶摇", "菲非", "茹如", "雅鸦", "心必",
)  # fmt: skip

# --- addresses ----------------------------------------------------------------------------------

_STREETS: tuple[str, ...] = (
    "解放路", "建设路", "人民路", "胜利路", "幸福街", "青年路", "文化路", "长江路", "黄河路",
    "红旗路", "新华街", "工人路", "东风路", "富民路", "振华街", "和平路", "兴华街", "前进路",
    "团结路", "朝阳街", "光明路", "泰山路", "黄山路", "华山路", "衡山路", "嵩山路", "天山路",
    "珠江路", "松花江路",
)  # fmt: skip
# Streets of Yantai's city districts, used only for addresses in Yantai.
_YANTAI_STREETS: tuple[str, ...] = (
    "海港路", "迎春大街", "港城大街", "观海路", "滨海路", "南大街", "北马路", "环山路", "秀林路",
    "芝罘屯路", "只楚路", "青华路", "凤凰台路", "大海阳路", "西南河路", "上夼西路", "通世路",
    "莱山大道", "府后街",
)  # fmt: skip
_TOWNS: tuple[str, ...] = (
    "城关", "新城", "龙泉", "河口", "凤凰", "大柳", "石门", "桃源", "东庄", "西城", "南山",
    "北河", "青山", "柳林", "杨家", "高家", "大辛", "古现", "观里", "亭口", "桃村", "徐家店",
    "姜疃", "照旺庄", "冶头", "郭城", "庙后", "臧家庄",
)  # fmt: skip
_VILLAGE_SUFFIXES = ("庄", "村", "疃", "沟", "家", "屯", "埠", "夼")

# Area codes of Shandong's prefecture-level cities, for landlines.
_AREA_CODES = {
    "3701": "0531", "3702": "0532", "3703": "0533", "3704": "0632", "3705": "0546",
    "3706": "0535", "3707": "0536", "3708": "0537", "3709": "0538", "3710": "0631",
    "3711": "0633", "3713": "0539", "3714": "0534", "3715": "0635", "3716": "0543",
    "3717": "0530",
}  # fmt: skip
_MOBILE_PREFIXES = tuple(
    [f"13{d}" for d in range(10)]
    + ["150", "151", "152", "153", "155", "156", "157", "158", "159"]
    + [f"18{d}" for d in range(10)]
    + ["191", "195", "198", "199"]
)

# Birth-year weights for persons not placed by a household (an age pyramid, older hospital users).
_YEAR_WEIGHTS: tuple[tuple[int, int, float], ...] = (
    (1930, 1939, 0.25),
    (1940, 1949, 0.6),
    (1950, 1959, 1.0),
    (1960, 1969, 1.2),
    (1970, 1979, 1.2),
    (1980, 1989, 1.1),
    (1990, 1999, 1.0),
    (2000, 2009, 0.9),
    (2010, 2017, 0.9),
    (2018, 2024, 0.6),
)


# --- public records -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PopulationRecord:
    """One hospital record: the linkage input columns, the true person id, and what was damaged.

    ``errors`` names the :class:`ErrorRates` fields applied to this record (empty = clean). It is
    not written to the CSV; it lets tests and reports separate clean values from damaged ones.
    """

    record_id: str
    source: str
    id_type: str
    id_number: str
    name: str
    sex: str
    birth_date: str
    phone: str
    address: str
    truth_person: str
    errors: tuple[str, ...] = ()

    def csv_row(self) -> tuple[str, ...]:
        """The values in :data:`CSV_HEADER` order."""
        return (
            self.record_id,
            self.source,
            self.id_type,
            self.id_number,
            self.name,
            self.sex,
            self.birth_date,
            self.phone,
            self.address,
            self.truth_person,
        )


@dataclass(frozen=True)
class PopulationStats:
    """What a generation produced.

    ``errors[name]`` counts records that received error ``name``; ``eligible[name]`` counts records
    where it was possible (so ``errors / eligible`` estimates the configured rate).
    ``true_pairs`` is the number of record pairs that belong to the same person (sum of C(k, 2)).
    """

    persons: int
    records: int
    sources: int
    households: int
    persons_in_households: int
    twin_pairs: int
    true_pairs: int
    errors: Mapping[str, int]
    eligible: Mapping[str, int]


# --- reference data (built once) ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _County:
    code: str
    prefix: str  # "山东省烟台市芝罘区"
    urban: bool
    area_code: str


@functools.cache
def _counties() -> tuple[tuple[_County, ...], tuple[_County, ...]]:
    """Current county-level divisions of Shandong: (Yantai, the rest of Shandong)."""
    divisions = national_divisions()
    names = {d.code: d.name for d in divisions}
    yantai: list[_County] = []
    other: list[_County] = []
    for d in divisions:
        if d.level != "county" or not d.code.startswith("37") or d.valid_to is not None:
            continue
        if d.name == "市辖区" or d.parent_code is None or d.parent_code == "370000":
            continue
        county = _County(
            code=d.code,
            prefix=names["370000"] + names[d.parent_code] + d.name,
            urban=d.name.endswith("区"),
            area_code=_AREA_CODES.get(d.code[:4], "0531"),
        )
        (yantai if d.code.startswith("3706") else other).append(county)
    yantai.sort(key=lambda c: c.code)
    other.sort(key=lambda c: c.code)
    return tuple(yantai), tuple(other)


def _unique(chars: str) -> str:
    return "".join(dict.fromkeys(ch for ch in chars if not ch.isspace()))


@functools.cache
def homophones() -> Mapping[str, tuple[str, ...]]:
    """Character -> other characters of the name lists with the same toneless pinyin.

    Built with pypinyin (default reading of each character) over the surnames, the given-name
    characters and the extra candidate characters, e.g. 明 -> 名 铭 鸣 ..., 丽 -> 力 立 利 莉 ...
    """
    pool = _unique(
        "".join(s for s, _ in _SURNAME_WEIGHTS)
        + "".join(_GIVEN_CHARS.values())
        + _NEUTRAL_CHARS
        + _EXTRA_CHARS
    )
    groups: dict[str, list[str]] = {}
    for ch in pool:
        groups.setdefault(_NAME_READINGS.get(ch) or lazy_pinyin(ch)[0], []).append(ch)
    table: dict[str, tuple[str, ...]] = {}
    for group in groups.values():
        for ch in group:
            others = tuple(o for o in group if o != ch)
            if others:
                table[ch] = others
    return MappingProxyType(table)


@functools.cache
def _visual_table() -> Mapping[str, tuple[str, ...]]:
    """Character -> visually similar characters that sound different (else: homophones)."""
    table: dict[str, list[str]] = {}
    for pair in _VISUAL_PAIRS:
        a, b = pair[0], pair[1]
        if lazy_pinyin(a) == lazy_pinyin(b):
            continue
        table.setdefault(a, []).append(b)
        table.setdefault(b, []).append(a)
    return MappingProxyType({ch: tuple(dict.fromkeys(v)) for ch, v in table.items()})


def _cum(weights: list[float]) -> list[float]:
    return list(accumulate(weights))


# --- the generator ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Person:
    pid: str
    surname: str
    name: str
    sex: str  # "1" male, "2" female
    birth: date
    id18: str
    address: str
    residence: _County
    phone: str = ""
    own_mobile: str = ""


# id_type, id_number, name, sex, birth_date, phone, address, truth_person
_Values = tuple[str, str, str, str, str, str, str, str]
# source index, values, applied error names
_Draft = tuple[int, _Values, list[str]]


def _ymd(d: date) -> str:
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"


def _mobile_share(birth: date) -> float:
    """Probability that a person born on ``birth`` has a mobile phone of their own."""
    age = REFERENCE_DATE.year - birth.year
    if age < 12:
        return 0.0
    if age < 18:
        return 0.4
    if age < 70:
        return 0.95
    if age < 80:
        return 0.75
    return 0.45


def _check_char(body17: str) -> str:
    return str(calc_check_digit(body17 + "0"))


class _Builder:
    """Holds the random source and the counters of one generation."""

    def __init__(self, persons: int, sources: int, seed: int, rates: ErrorRates) -> None:
        if persons < 0:
            raise ValueError(f"persons must be >= 0, got {persons}")
        if sources < 1:
            raise ValueError(f"sources must be >= 1, got {sources}")
        self.persons = persons
        self.sources = sources
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
        self.rate = {name: float(getattr(rates, name)) for name in ERROR_NAMES}
        self.errors = dict.fromkeys(ERROR_NAMES, 0)
        self.eligible = dict.fromkeys(ERROR_NAMES, 0)
        self.records = 0
        self.households = 0
        self.persons_in_households = 0
        self.twin_pairs = 0
        self.true_pairs = 0
        self.used_ids: set[str] = set()
        self.next_pid = 0
        self.pid_width = max(7, len(str(persons)))

        self.yantai, self.other = _counties()
        self.homophones = homophones()
        self.visual = _visual_table()
        self.surnames = tuple(s for s, _ in _SURNAME_WEIGHTS)
        self.surname_cum = _cum([float(w) for _, w in _SURNAME_WEIGHTS])
        self.given = {key: _unique(chars) for key, chars in _GIVEN_CHARS.items()}
        self.neutral = _unique(_NEUTRAL_CHARS)
        self.yantai_streets = _STREETS + _YANTAI_STREETS
        years: list[int] = []
        weights: list[float] = []
        for first, last, weight in _YEAR_WEIGHTS:
            for year in range(first, last + 1):
                years.append(year)
                weights.append(weight)
        self.years = tuple(years)
        self.year_cum = _cum(weights)
        self.size_values = tuple(s for s, _ in HOUSEHOLD_SIZE_WEIGHTS)
        self.size_cum = _cum([w for _, w in HOUSEHOLD_SIZE_WEIGHTS])
        self.k_cum = _cum([SOURCE_DECAY**i for i in range(sources)])
        width = max(2, len(str(sources)))
        self.source_labels = tuple(f"H{i + 1:0{width}d}" for i in range(sources))
        # Hospitals differ in size: the first sources are the big ones.
        self.source_cum = _cum([1.0 / (1.0 + 0.25 * i) for i in range(sources)])
        self.source_fills_type = tuple(
            self.rng.random() < ID_TYPE_FILLED_SHARE for _ in range(sources)
        )

    # -- small draws --

    def _surname(self) -> str:
        return self.rng.choices(self.surnames, cum_weights=self.surname_cum)[0]

    def _birth_year(self) -> int:
        return self.rng.choices(self.years, cum_weights=self.year_cum)[0]

    def _birth_in(self, year: int) -> date:
        year = min(max(year, FIRST_BIRTH_YEAR), LAST_BIRTH_YEAR)
        start = date(year, 1, 1).toordinal()
        return date.fromordinal(
            start + self.rng.randrange(date(year, 12, 31).toordinal() - start + 1)
        )

    def _county(self, yantai_share: float = YANTAI_RESIDENT_SHARE) -> _County:
        pool = self.yantai if self.rng.random() < yantai_share else self.other
        return pool[self.rng.randrange(len(pool))]

    def _address(self, county: _County) -> str:
        rng = self.rng
        if county.urban or rng.random() < 0.5:
            streets = self.yantai_streets if county.code.startswith("3706") else _STREETS
            street = streets[rng.randrange(len(streets))]
            room = f"{rng.randint(1, 18)}{rng.randint(1, 4):02d}"
            return f"{county.prefix}{street}{rng.randint(1, 300)}号{rng.randint(1, 6)}单元{room}"
        town = _TOWNS[rng.randrange(len(_TOWNS))]
        village = (
            self._surname()[0] + "家" + _VILLAGE_SUFFIXES[rng.randrange(len(_VILLAGE_SUFFIXES))]
        )
        if village.endswith("家家"):
            village = village[:-1] + "村"
        return f"{county.prefix}{town}镇{village}{rng.randint(1, 200)}号"

    def _mobile(self) -> str:
        prefix = _MOBILE_PREFIXES[self.rng.randrange(len(_MOBILE_PREFIXES))]
        return f"{prefix}{self.rng.randrange(100_000_000):08d}"

    def _landline(self, county: _County) -> str:
        return f"{county.area_code}{self.rng.randint(2, 8)}{self.rng.randrange(1_000_000):06d}"

    def _given_name(self, sex: str, year: int, first: str | None = None) -> str:
        rng = self.rng
        cohort = "old" if year < 1970 else "mid" if year < 2000 else "new"
        pool = self.given[(cohort, sex)]

        def pick() -> str:
            chars = self.neutral if rng.random() < 0.1 else pool
            return chars[rng.randrange(len(chars))]

        if first is not None:
            return first + pick()
        if rng.random() < _GIVEN_ONE_CHAR_SHARE[cohort]:
            return pick()
        a = pick()
        if sex == "2" and rng.random() < _REDUPLICATED_FEMALE_SHARE:
            return a + a
        return a + pick()

    def _resident_id(self, code: str, birth: date, male: bool, near: str | None = None) -> str:
        """A new unique 18-character ID; ``near`` (a twin's ID) asks for a close sequence number."""
        ymd = _ymd(birth)
        candidates: list[int] = []
        if near is not None:
            base = int(near[14:17])
            candidates = [s for s in range(base - 3, base + 4) if 0 < s < 1000 and s != base]
        while True:
            if candidates:
                seq = candidates.pop(0)
                if (seq % 2 == 1) != male:
                    continue
            else:
                seq = self.rng.randrange(500) * 2 + 1 if male else self.rng.randrange(1, 500) * 2
            body = f"{code}{ymd}{seq:03d}"
            if body not in self.used_ids:
                self.used_ids.add(body)
                return body + _check_char(body)

    def _person(
        self,
        surname: str,
        sex: str,
        birth: date,
        residence: _County,
        address: str,
        *,
        given: str | None = None,
        twin_of: _Person | None = None,
    ) -> _Person:
        rng = self.rng
        self.next_pid += 1
        if twin_of is not None:
            birth_code = twin_of.id18[:6]
        elif rng.random() < BORN_IN_RESIDENCE_COUNTY or birth.year >= 2015:
            birth_code = residence.code
        else:
            birth_code = self._county(0.5).code
        id18 = self._resident_id(
            birth_code, birth, sex == "1", twin_of.id18 if twin_of is not None else None
        )
        if given is None:
            given = self._given_name(sex, birth.year)
        own = self._mobile() if rng.random() < _mobile_share(birth) else ""
        return _Person(
            pid=f"P{self.next_pid:0{self.pid_width}d}",
            surname=surname,
            name=surname + given,
            sex=sex,
            birth=birth,
            id18=id18,
            address=address,
            residence=residence,
            phone=own,
            own_mobile=own,
        )

    # -- units: single persons and households --

    def _single(self) -> _Person:
        rng = self.rng
        county = self._county()
        birth = self._birth_in(self._birth_year())
        sex = "1" if rng.random() < 0.5 else "2"
        person = self._person(self._surname(), sex, birth, county, self._address(county))
        if not person.phone:
            age = REFERENCE_DATE.year - birth.year
            if age < 18:
                # a child's record carries a guardian's phone
                person.phone = self._mobile() if rng.random() < 0.85 else ""
            elif rng.random() < 0.5:
                person.phone = self._landline(county)
        return person

    def _children(
        self,
        count: int,
        surname: str,
        mother_year: int,
        county: _County,
        address: str,
    ) -> list[_Person]:
        rng = self.rng
        kids: list[_Person] = []
        twins = count >= 2 and rng.random() < TWIN_SHARE
        year = min(mother_year + rng.randint(22, 34), LAST_BIRTH_YEAR)
        first_char: str | None = None
        sexes = ["1" if rng.random() < 0.51 else "2" for _ in range(count)]
        if rng.random() < _SIBLING_GENERATION_CHAR_SHARE:
            first_char = self._given_name(sexes[0], year)[0]
        names: set[str] = set()
        for i in range(count):
            if i == 1 and twins:
                birth = kids[0].birth
            else:
                if i > 0:
                    year = min(year + rng.randint(2, 8), LAST_BIRTH_YEAR)
                birth = self._birth_in(year)
            given = self._given_name(sexes[i], birth.year, first_char)
            while surname + given in names:
                given = self._given_name(sexes[i], birth.year, first_char)
            names.add(surname + given)
            kid = self._person(
                surname,
                sexes[i],
                birth,
                county,
                address,
                given=given,
                twin_of=kids[0] if (i == 1 and twins) else None,
            )
            kids.append(kid)
        if twins:
            self.twin_pairs += 1
        return kids

    def _household(self, size: int) -> list[_Person]:
        rng = self.rng
        county = self._county()
        address = self._address(county)
        father_surname = self._surname()
        mother_surname = self._surname()
        members: list[_Person] = []

        def couple(first: int, last: int) -> tuple[_Person, _Person]:
            year = rng.randint(first, last)
            husband = self._person(father_surname, "1", self._birth_in(year), county, address)
            wife_year = min(year + rng.randint(-1, 4), LAST_BIRTH_YEAR - 18)
            wife = self._person(mother_surname, "2", self._birth_in(wife_year), county, address)
            return husband, wife

        def kid_surname() -> str:
            return father_surname if rng.random() < 0.92 else mother_surname

        def grandparents(count: int, father_year: int) -> list[_Person]:
            year = max(father_year - rng.randint(22, 34), FIRST_BIRTH_YEAR)
            with_grandpa = count == 2 or rng.random() < 0.5
            with_grandma = count == 2 or not with_grandpa
            result: list[_Person] = []
            if with_grandpa:
                result.append(
                    self._person(father_surname, "1", self._birth_in(year), county, address)
                )
            if not with_grandma:
                return result
            grandma_year = min(max(year + rng.randint(-1, 4), FIRST_BIRTH_YEAR), father_year - 18)
            result.append(
                self._person(self._surname(), "2", self._birth_in(grandma_year), county, address)
            )
            return result

        roll = rng.random()
        if size == 2 and roll < 0.6:
            members.extend(couple(1935, 2000))
        elif size == 2 or (size == 3 and roll >= 0.8):
            # one parent with one or two children
            sex = "1" if rng.random() < 0.4 else "2"
            surname = father_surname if sex == "1" else mother_surname
            year = rng.randint(1955, 1995)
            parent = self._person(surname, sex, self._birth_in(year), county, address)
            kids_surname = surname if sex == "1" or rng.random() < 0.3 else father_surname
            members.append(parent)
            members.extend(self._children(size - 1, kids_surname, year, county, address))
        elif size == 3 or (size == 4 and roll >= 0.65) or (size == 5 and roll >= 0.45):
            # couple, one child, and 0..2 grandparents
            husband, wife = couple(1955, 1995)
            members.extend((husband, wife))
            members.extend(self._children(1, kid_surname(), wife.birth.year, county, address))
            if size > 3:
                members.extend(grandparents(size - 3, husband.birth.year))
        else:
            # couple with two (size 4) or three (size 5) children
            husband, wife = couple(1955, 1992)
            members.extend((husband, wife))
            members.extend(
                self._children(size - 2, kid_surname(), wife.birth.year, county, address)
            )

        # Phones: a landline for some households; adults often give it (or each other's mobile),
        # children give the landline or a parent's mobile.
        landline = self._landline(county) if rng.random() < 0.35 else ""
        mobiles = [
            m.own_mobile
            for m in members
            if m.own_mobile and REFERENCE_DATE.year - m.birth.year >= 18
        ]
        shared = landline or (mobiles[0] if mobiles else "")
        for member in members:
            age = REFERENCE_DATE.year - member.birth.year
            if age < 18 and not member.own_mobile:
                if mobiles and not (landline and rng.random() < 0.4):
                    member.phone = mobiles[rng.randrange(len(mobiles))]
                else:
                    member.phone = landline
            elif member.own_mobile and rng.random() < 0.6:
                member.phone = member.own_mobile
            else:
                member.phone = shared or member.own_mobile
        self.households += 1
        self.persons_in_households += len(members)
        return members

    # -- records --

    def _roll(self, name: str, applied: list[str]) -> bool:
        """Count an eligible record for ``name`` and decide whether the error strikes."""
        self.eligible[name] += 1
        if self.rng.random() < self.rate[name]:
            self.errors[name] += 1
            applied.append(name)
            return True
        return False

    def _wrong_digit(self, number: str) -> str:
        i = self.rng.randrange(len(number))
        alphabet = "0123456789X" if i == 17 else "0123456789"
        new = self.rng.choice([c for c in alphabet if c != number[i]])
        return number[:i] + new + number[i + 1 :]

    def _birth_typo(self, d: date) -> date | None:
        rng = self.rng
        for _ in range(10):
            kind = rng.randrange(4)
            y, m, day = d.year, d.month, d.day
            if kind == 0:
                y += rng.choice((-1, 1))
            elif kind == 1:
                y += rng.choice((-10, 10))
            elif kind == 2:
                m += rng.choice((-1, 1))
            else:
                day += rng.choice((-1, 1, -10, 10))
            try:
                new = date(y, m, day)
            except ValueError:
                continue
            if new != d and date(1900, 1, 1) <= new <= date(LAST_BIRTH_YEAR, 12, 31):
                return new
        return None

    def _name_typo(self, person: _Person, name: str) -> str | None:
        rng = self.rng
        options: list[tuple[int, str]] = [
            (i, alt) for i, ch in enumerate(name) for alt in self.visual.get(ch, ())
        ]
        can_drop = len(name) - len(person.surname) >= 2
        if not options and not can_drop:
            return None
        if options and (not can_drop or rng.random() < 0.6):
            i, alt = options[rng.randrange(len(options))]
            return name[:i] + alt + name[i + 1 :]
        i = rng.randrange(len(person.surname), len(name))
        return name[:i] + name[i + 1 :]

    def _record(self, person: _Person, source: int) -> _Draft:
        rng = self.rng
        applied: list[str] = []

        # identity number
        id_number = person.id18
        if self._roll("missing_id", applied):
            id_number = ""
        else:
            if person.birth.year < 2000 and self._roll("legacy_id", applied):
                id_number = id_number[:6] + id_number[8:17]
            if self._roll("id_wrong_digit", applied):
                id_number = self._wrong_digit(id_number)
            swaps = [
                i for i in range(min(len(id_number), 17) - 1) if id_number[i] != id_number[i + 1]
            ]
            if swaps and self._roll("id_transposed", applied):
                i = swaps[rng.randrange(len(swaps))]
                id_number = id_number[:i] + id_number[i + 1] + id_number[i] + id_number[i + 2 :]
        id_type = RESIDENT_ID_TYPE if id_number and self.source_fills_type[source] else ""

        # name
        name = person.name
        positions = [i for i, ch in enumerate(name) if ch in self.homophones]
        if positions and self._roll("name_homophone", applied):
            i = positions[rng.randrange(len(positions))]
            alternatives = self.homophones[name[i]]
            name = name[:i] + alternatives[rng.randrange(len(alternatives))] + name[i + 1 :]
        typo = self._name_typo(person, name)
        if typo is not None and self._roll("name_typo", applied):
            name = typo

        # sex
        sex = person.sex
        if self._roll("missing_sex", applied):
            roll = rng.random()
            sex = "" if roll < 0.7 else "9" if roll < 0.9 else "0"

        # birth date
        birth = person.birth
        if birth.day <= 12 and birth.day != birth.month and self._roll("birth_swapped", applied):
            birth = date(birth.year, birth.day, birth.month)
        other = self._birth_typo(birth)
        if other is not None and self._roll("birth_typo", applied):
            birth = other

        # phone
        phone = person.phone
        if phone and self._roll("missing_phone", applied):
            phone = ""
        if phone and self._roll("changed_phone", applied):
            new = self._mobile()
            while new == phone:
                new = self._mobile()
            phone = new

        # address
        address = person.address
        if self._roll("missing_address", applied):
            address = ""
        else:
            if self._roll("moved_address", applied):
                county = self._county()
                while county.code == person.residence.code:
                    county = self._county()
                address = self._address(county)

        values: _Values = (
            id_type,
            id_number,
            name,
            sex,
            birth.isoformat(),
            phone,
            address,
            person.pid,
        )
        return source, values, applied

    def _pick_sources(self) -> list[int]:
        rng = self.rng
        k = rng.choices(range(1, self.sources + 1), cum_weights=self.k_cum)[0]
        if k == self.sources:
            return list(range(self.sources))
        chosen: set[int] = set()
        while len(chosen) < k:
            chosen.add(rng.choices(range(self.sources), cum_weights=self.source_cum)[0])
        return sorted(chosen)

    def run(self, progress: Callable[[int], None] | None) -> Iterator[PopulationRecord]:
        rng = self.rng
        counters = [0] * self.sources
        buffer: list[_Draft] = []
        done = 0
        while done < self.persons:
            block_end = min(done + SHUFFLE_PERSONS, self.persons)
            while done < block_end:
                remaining = self.persons - done
                if remaining >= 2 and rng.random() < _HOUSEHOLD_UNIT_SHARE:
                    size = rng.choices(self.size_values, cum_weights=self.size_cum)[0]
                    members = self._household(min(size, remaining))
                else:
                    members = [self._single()]
                done += len(members)
                for person in members:
                    picked = self._pick_sources()
                    self.true_pairs += len(picked) * (len(picked) - 1) // 2
                    buffer.extend(self._record(person, s) for s in picked)
            rng.shuffle(buffer)
            for source, values, applied in buffer:
                counters[source] += 1
                self.records += 1
                label = self.source_labels[source]
                yield PopulationRecord(
                    f"{label}-{counters[source]:06d}", label, *values, errors=tuple(applied)
                )
            buffer.clear()
            if progress is not None:
                progress(done)
        if progress is not None and self.persons == 0:
            progress(0)

    def stats(self) -> PopulationStats:
        return PopulationStats(
            persons=self.next_pid,
            records=self.records,
            sources=self.sources,
            households=self.households,
            persons_in_households=self.persons_in_households,
            twin_pairs=self.twin_pairs,
            true_pairs=self.true_pairs,
            errors=MappingProxyType(dict(self.errors)),
            eligible=MappingProxyType(dict(self.eligible)),
        )


# --- public API ---------------------------------------------------------------------------------


def generate_population(
    *, persons: int, sources: int, seed: int, rates: ErrorRates = ERROR_RATES
) -> Iterator[PopulationRecord]:
    """Yield the records of ``persons`` synthetic persons spread over ``sources`` hospitals.

    Deterministic for given arguments. Records come in blocks of shuffled order; ``record_id`` is
    ``<source>-<n>`` numbered per source in output order.
    """
    return _Builder(persons, sources, seed, rates).run(None)


def write_population_csv(
    path: str | Path,
    *,
    persons: int,
    sources: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
    rates: ErrorRates = ERROR_RATES,
) -> PopulationStats:
    """Write the population as UTF-8 CSV (:data:`CSV_HEADER`, ``\\n`` line ends) and count it.

    ``progress`` is called with the number of persons written so far, after every block of
    :data:`SHUFFLE_PERSONS` persons and once at the end. Same arguments, same bytes.
    """
    builder = _Builder(persons, sources, seed, rates)
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        for record in builder.run(progress):
            writer.writerow(record.csv_row())
    return builder.stats()
