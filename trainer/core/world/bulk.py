"""Family and collective households of one grid, drawn together as numpy columns.

Drawing person by person in Python cost about 40 µs a person; here every random choice of a
grid's family and collective households (over 98 % of its persons) is one array operation,
and Python only turns finished columns into `Person` and `Household` objects. The columns come
from the grid's own stream (seed, "grid", index, "households"), so they are the same whether
the grid is drawn alone or within its world; objects are built only for the households that
are asked for (`Batch.households`), so an enumeration area is materialised without its
neighbours. The rare kinds (shops, no housing, HMT and foreigners, whole-household deaths)
keep their own per-household streams in `people.py`.

How a family is made up follows the templates below; ages then give every other field by
vectorised rules equal to `people.py`'s: birth date, name, ID number, D9-D12, ethnicity.
"""

from __future__ import annotations

import collections
import functools
import itertools
import random
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from trainer.core.world import idnumber, names, regions
from trainer.core.world.codes import (
    HAN,
    MINORITIES,
    DwellingType,
    Education,
    Form,
    HouseholdType,
    Hukou,
    Literate,
    ReasonAway,
    Relation,
    Residence,
    Sex,
    TimeAway,
)
from trainer.core.world.people import (
    COLLECTIVE_KINDS,
    EDUCATION_BY_COHORT,
    FAMILY_SIZE_WEIGHTS,
    LEGAL_AGE,
    MASTER_FROM,
    MINORITY_SHARE,
    THEMES,
    Context,
    Death,
    Household,
    Person,
    Persona,
    Place,
    Secret,
    available,
    death,
    place_option,
    place_options,
    sequence_key,
)
from trainer.core.world.rng import stream_seed
from trainer.core.world.spec import Rates

_Instance = TypeVar("_Instance")
Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Objects = npt.NDArray[np.object_]

# Calendar tables from 1900-01-01 to 2020-12-31, indexed by (ordinal - FIRST_DAY): the ID
# number's YYYYMMDD and its share of the MOD 11-2 sum, so no date is formatted per person.
FIRST_DAY = date(1900, 1, 1).toordinal()
_EPOCH = date(1970, 1, 1).toordinal()
_DAYS = (np.arange(date(2021, 1, 1).toordinal() - FIRST_DAY) + (FIRST_DAY - _EPOCH)).astype(
    "datetime64[D]")
_YEAR: Ints = _DAYS.astype("datetime64[Y]").astype(np.int64) + 1970
_MONTH: Ints = (_DAYS.astype("datetime64[M]").astype(np.int64) % 12) + 1
_YMD: Ints = _YEAR * 10_000 + _MONTH * 100 + (
    _DAYS - _DAYS.astype("datetime64[M]")).astype(np.int64) + 1
_DATE_SUM: Ints = sum((_YMD // 10 ** (7 - k) % 10) * idnumber.WEIGHTS[6 + k] for k in range(8))
_SEQ_SUM: Ints = sum((np.arange(1000) // 10 ** (2 - k) % 10) * idnumber.WEIGHTS[14 + k]
                     for k in range(3))


def _digits(numbers: Ints, width: int) -> npt.NDArray[np.uint32]:
    """Each number as `width` decimal digits' character codes, one row per number."""
    places = 10 ** np.arange(width - 1, -1, -1)
    digits: npt.NDArray[np.uint32] = (numbers[:, None] // places % 10 + ord("0")).astype(
        np.uint32)
    return digits


# The ID number's characters as code points (the date's and the sequence's from tables), so
# that a grid's numbers are put together as one array and made into strings in one call.
_YMD_CHARS = _digits(_YMD, 8)
_SEQ_CHARS = _digits(np.arange(1000), 3)
_CHECK_CHARS = np.array([ord(char) for char in idnumber.CHECK_CHARS], dtype=np.uint32)
# The days as `date` objects, shared by everyone born on them: indexing beats converting.
_DATES: Objects = _DAYS.astype(object)
_NEWBORN_NAMING = date(2020, 8, 1).toordinal() - FIRST_DAY  # born since: maybe 未取名

# Born from 11-01 of year 2019 - a to 10-31 of year 2020 - a: a years old by the census's
# reckoning (its cut-offs, such as AGE_3_CUTOFF, are these dates). Ages 0-119.
_AGES = np.arange(120)
_BORN_FROM: Ints = np.array([date(2019 - a, 11, 1).toordinal() - FIRST_DAY for a in _AGES])
_BORN_SPAN: Ints = np.array([date(2020 - a, 10, 31).toordinal() + 1 for a in _AGES]) - (
    _BORN_FROM + FIRST_DAY)

_SURNAME_CUMULATIVE = np.array(names._SURNAME_CUMULATIVE)
# Names as fixed-width unicode arrays: numpy joins a surname and a given name in C, and
# `tolist` makes each joined name a str once (object arrays would add str objects one by one).
_SURNAMES = np.array(names.SURNAMES, dtype=str)
# Given names: four pools (older male, older female, modern male, modern female) end to end.
_POOLS = (names.OLDER_MALE, names.OLDER_FEMALE, names.MODERN_MALE, names.MODERN_FEMALE)
_GIVEN = np.array([name for pool in _POOLS for name in pool], dtype=str)
# Wide enough that a joined name can be overwritten with 未取名 (a joined name's width is
# the sum of the two widths).
_GIVEN = _GIVEN.astype(f"U{max(_GIVEN.itemsize // 4, len(names.UNNAMED))}")
_POOL_START: Ints = np.cumsum([0, *(len(pool) for pool in _POOLS[:-1])])
_POOL_SIZE: Ints = np.array([len(pool) for pool in _POOLS])
# Phone numbers' characters: each prefix's 3 digits (by the prefix's position) and every
# group of 4 digits.
_PHONE_PREFIX_CHARS = _digits(np.array(names.PHONE_PREFIXES), 3)
_FOUR_DIGITS = _digits(np.arange(10_000), 4)

_HAN_SHARE = 1 - MINORITY_SHARE
_MINORITY_CUMULATIVE = np.cumsum([weight for _n, weight in MINORITIES])
_MINORITY_NAMES = np.array([HAN, *(name for name, _w in MINORITIES)], dtype=object)
_COHORT_LAST = np.array([last for last, _w in EDUCATION_BY_COHORT[:-1]])
_COHORT_CUMULATIVE = np.array([np.cumsum(w) / sum(w) for _l, w in EDUCATION_BY_COHORT])
# A cumulative share that rounds to 1 is never passed (else a weight-0 code could be drawn).
_COHORT_CUMULATIVE[_COHORT_CUMULATIVE > 1 - 1e-9] = 2.0
# The cohort of each day of birth (the index of its row above).
_COHORT_OF_DAY: Ints = np.searchsorted(_COHORT_LAST, _YEAR, side="left")
# An adult's D11 is 1 + how many of the cohort's cumulative shares the roll reaches. A roll
# reaches the same shares as the highest of all the rows' shares at or below it, so one
# search in those shares (`_COHORT_STEPS`) and a table lookup give the count, exactly:
# _COHORT_COUNT[cohort, k] = how many of the cohort's shares are at or below the k-th step
# (k = 0: below every step).
_COHORT_STEPS: Floats = np.unique(_COHORT_CUMULATIVE)
_COHORT_COUNT: Ints = (_COHORT_CUMULATIVE[:, None, :] <= np.concatenate(
    ([-1.0], _COHORT_STEPS))[None, :, None]).sum(axis=2)
# What a person's day of birth gives, one row of 16 bytes per day (1900-2020), so that a
# person's is one read from one table (its own cache line) rather than one from each of
# several tables as large: the ID number's YYYYMMDD characters (0-7), that part's MOD 11-2
# sum mod 11 (8), the D11 cohort (9), 2 when born in 2005 or later, whose given names are
# the modern pools' (10), 1 when born before 1960 (11).
_DAY_ROWS = np.zeros((len(_DAYS), 16), dtype=np.uint8)
_DAY_ROWS[:, :8] = _YMD_CHARS
_DAY_ROWS[:, 8] = _DATE_SUM % 11
_DAY_ROWS[:, 9] = _COHORT_OF_DAY
_DAY_ROWS[:, 10] = np.where(_YEAR >= 2005, 2, 0)
_DAY_ROWS[:, 11] = _YEAR < 1960
# D11 under 18 by age (index 18 unused): the code when the roll is below the threshold, else
# the other code. 0-2 not asked; 3-5 preschool (90 %) or none; 6-11 primary; 12-14 junior;
# 15-17 senior (72 %) or junior.
_YOUNG_ROLL = np.array([2.0] * 3 + [0.9] * 3 + [2.0] * 9 + [0.72] * 3 + [2.0])
_YOUNG_BELOW = np.array([0] * 3 + [int(Education.PRESCHOOL)] * 3 + [int(Education.PRIMARY)] * 6
                        + [int(Education.JUNIOR)] * 3 + [int(Education.SENIOR)] * 3 + [0])
_YOUNG_ABOVE = np.array([0] * 3 + [int(Education.NONE)] * 3 + [int(Education.PRIMARY)] * 6
                        + [int(Education.JUNIOR)] * 6 + [0])
_TIME_AWAY_LIMITS = np.array([0.5, 1, 2, 3, 4, 5, 10])
_REASON_WEIGHTS = np.cumsum([45, 6, 14, 12, 2, 6, 4, 4, 2, 5]) / 100
_YEARS_AWAY = np.array([0.3, 0.8, 1.5, 2.5, 3.5, 4.5, 7.0, 12.0])
_SIZE_CUMULATIVE = np.cumsum(FAMILY_SIZE_WEIGHTS) / sum(FAMILY_SIZE_WEIGHTS)
_CITIES = np.array([None, "广东省深圳市宝安区", "广东省广州市天河区", "湖南省长沙市岳麓区",
                    "浙江省杭州市西湖区", "上海市浦东新区", "湖北省武汉市洪山区"], dtype=object)


def _codes(enum: Any) -> Any:
    """The members of an IntEnum as plain ints (numpy takes an IntEnum operand slowly)."""
    return SimpleNamespace(**{member.name: int(member) for member in enum})


_REL, _RES, _WHY, _HK = (_codes(e) for e in (Relation, Residence, ReasonAway, Hukou))
_AWAY, _EDU, _LIT, _SEX_CODE = (_codes(e) for e in (TimeAway, Education, Literate, Sex))


def _members(enum: Any) -> Objects:
    """Code -> enum member (None where no member has the code), for fancy indexing."""
    table = np.full(max(enum) + 1, None, dtype=object)
    for member in enum:
        table[int(member)] = member
    return table


_RELATION, _SEX, _RESIDENCE, _HUKOU = (_members(e) for e in (Relation, Sex, Residence, Hukou))
_TIME_AWAY, _REASON = _members(TimeAway), _members(ReasonAway)
_EDUCATION, _LITERATE = _members(Education), _members(Literate)

# Family templates, chosen by size and a roll (`_families`). Per template: head age range,
# share of male heads, spouse (0/1), a parent (the share of mothers; 0: none) and children
# (-1: size - 2 of them). Three-generation households add the child's spouse and children.
#   low high male spouse parent children
_TEMPLATES = (
    (20, 44, 0.62, 0, 0.0, 0),  # 0 young single
    (45, 59, 0.74, 0, 0.0, 0),  # 1 middle-aged single
    (60, 99, 0.40, 0, 0.0, 0),  # 2 old single (age 60 + exponential)
    (60, 86, 0.74, 1, 0.0, 0),  # 3 old couple
    (22, 59, 0.74, 1, 0.0, 0),  # 4 couple
    (26, 50, 0.30, 0, 0.0, 1),  # 5 single parent and child
    (35, 62, 0.55, 0, 0.65, 0),  # 6 head and a parent
    (26, 48, 0.74, 1, 0.0, -1),  # 7 couple and children
    (33, 60, 0.74, 1, 0.65, 0),  # 8 couple and a parent
    (33, 60, 0.74, 0, 0.0, 2),  # 9 head and two children
    (28, 50, 0.74, 1, 0.6, 1),  # 10 couple, child and a parent
    (50, 76, 0.74, 1, 0.0, 1),  # 11 three generations: couple, child, its spouse, grandchildren
)
# The templates' columns, each looked up by template once per grid.
_T_LOW, _T_HIGH, _T_SPOUSE, _T_CHILDREN = (
    np.array([t[column] for t in _TEMPLATES], dtype=np.int64) for column in (0, 1, 3, 5))
_T_MALE, _T_MOTHER = (np.array([float(t[column]) for t in _TEMPLATES]) for column in (2, 4))
_T_PARENT = (_T_MOTHER > 0).astype(np.int64)
_OLD_SINGLE, _THREE_GENERATIONS = 2, 11
# By family size: the roll thresholds and the templates between them (padded).
_ROLL_LIMITS = np.array([[2, 2, 2], [0.5, 0.65, 2], [0.31, 0.55, 0.86], [0.85, 0.9, 2],
                         [0.62, 0.82, 2], [0.15, 2, 2], [2, 2, 2], [2, 2, 2]])
_ROLL_TEMPLATES = np.array([[0, 0, 0, 0], [0, 1, 2, 2], [3, 4, 5, 6], [7, 8, 9, 9],
                            [7, 10, 11, 11], [7, 11, 11, 11], [11] * 4, [11] * 4])


@dataclass(frozen=True, slots=True)
class Families:
    """The family households to draw, and what the grid knows about them."""

    index: list[int]
    found_at_registration: set[int]  # a second household in a unit ("second" plan)
    holds_second_unit: set[int]
    floors: Callable[[int], int]  # floors of the building of the n-th household in `index`


@dataclass(frozen=True, slots=True)
class CollectiveSlot:
    """A collective household to draw."""

    index: int
    kind: str  # dormitory, work_shed, care_home
    size: int


class _Drafts:
    """Persons before their fields are drawn: who they are in which household."""

    FIELDS = ("hh", "rank", "relation", "age", "male", "surname", "present", "residence",
              "place", "reason", "years", "city")

    def __init__(self) -> None:
        self.parts: dict[str, list[Any]] = {name: [] for name in self.FIELDS}
        self.lengths: list[int] = []

    def add(self, hh: Ints, **values: Any) -> None:
        """Append one block; scalars are repeated over the block."""
        self.parts["hh"].append(hh)
        self.lengths.append(len(hh))
        for name in self.FIELDS[1:]:
            self.parts[name].append(values.get(name, 0))

    def stack(self) -> dict[str, npt.NDArray[Any]]:
        """Each field as one column; a field given as scalars only is one `np.repeat`."""
        lengths = self.lengths
        return {name: np.concatenate([part if isinstance(part, np.ndarray)
                                      else _filled(part, length)
                                      for part, length in zip(parts, lengths, strict=True)])
                if any(isinstance(part, np.ndarray) for part in parts)
                else np.repeat(np.array(parts), lengths)
                for name, parts in self.parts.items()}


# Constant columns by (type, value), sliced to the length wanted: np.full costs ten slices.
_FILLED: dict[tuple[type, Any], npt.NDArray[Any]] = {}


def _filled(value: Any, length: int) -> npt.NDArray[Any]:
    """A read-only column of `length` times `value`, as `np.full(length, value)` gives it."""
    key = (type(value), value)  # True and 1 are equal keys but not the same column
    column = _FILLED.get(key)
    if column is None or len(column) < length:
        column = _FILLED[key] = np.full(max(length, 4096), value)
        column.flags.writeable = False
    return column[:length]


class _PlaceTable:
    """Every place a county's households may have their hukou in, numbered, with the columns
    the persons' fields are looked up in.

    Place 0 is this village; then each of `Rates.RESIDENCE_FIELDS` in turn has its
    `place_options` places (so 1 is another village and 2 another township of this county).
    The numbering covers a county's every place (some 13,000), so drawing a grid's places is
    array arithmetic; a place's row is filled the first time it is drawn (`fill`), and kept:
    it depends on the county alone. Which number a place has is internal: the numbers are
    only looked up here.
    """

    def __init__(self, county_code: str) -> None:
        self.county_code = county_code
        county = regions.county(county_code)
        options = [place_options(county, name) for name in Rates.RESIDENCE_FIELDS]
        self.options: Ints = np.array(options)
        self.first: Ints = np.cumsum([1, *options[:-1]])  # each field's place 0
        size = 1 + sum(options)
        self.filled = np.zeros(size, dtype=bool)
        self.places: Objects = np.full(size, None, dtype=object)
        self.text: Objects = np.full(size, None, dtype=object)
        # A place's numbers side by side (one cache line for a person's look-ups): hukou code,
        # the area code's share of the MOD 11-2 sum, row of the area code's characters, the
        # area code as a number.
        numbers = np.zeros((size, 4), dtype=np.int64)
        self.hukou: Ints = numbers[:, 0]
        self.area_sum: Ints = numbers[:, 1]
        self.code: Ints = numbers[:, 2]
        self.area: Ints = numbers[:, 3]
        self.codes: dict[str, int] = {}
        self.code_chars = np.zeros((0, 6), dtype=np.uint32)
        self.lock = threading.Lock()  # one filler at a time (worlds may be made in threads)
        # 户口待定, given to unnamed newborns (`_fields`)
        self.pending = int(self.first[Rates.RESIDENCE_FIELDS.index("hukou_pending")])
        # This village, another township and no hukou yet: the places given without a draw.
        self.fill(np.array([0, _OTHER_TOWNSHIP, self.pending]))

    def fill(self, ids: Ints) -> None:
        """Make sure the places `ids` have their rows."""
        if self.filled[ids].all():
            return
        with self.lock:
            new = np.unique(ids[~self.filled[ids]])
            fields = (self.first.searchsorted(new, side="right") - 1).tolist()  # -1: place 0
            options = (new - self.first[fields]).tolist()
            code, names = self.county_code, Rates.RESIDENCE_FIELDS
            places = [place_option(code, names[field], option) if field >= 0
                      else Place(Hukou.THIS_VILLAGE, code, None)
                      for field, option in zip(fields, options, strict=True)]
            for place in places:
                if place.area_code not in self.codes:
                    self.codes[place.area_code] = len(self.codes)
                    number, _check = _area_numbers(place.area_code)
                    self.code_chars = np.concatenate(
                        (self.code_chars, _digits(np.array([number]), 6)))
            count = len(places)
            self.places[new] = np.fromiter(places, dtype=object, count=count)
            self.text[new] = np.fromiter((p.text for p in places), dtype=object, count=count)
            self.hukou[new] = [int(p.hukou) for p in places]
            self.area_sum[new] = [_area_numbers(p.area_code)[1] for p in places]
            self.code[new] = [self.codes[p.area_code] for p in places]
            self.area[new] = [int(p.area_code) for p in places]
            self.filled[new] = True


_OTHER_TOWNSHIP = 2  # place id of "another township of this county" (see _PlaceTable)


@functools.cache
def _place_table(county_code: str) -> _PlaceTable:
    return _PlaceTable(county_code)


@functools.cache
def _place_rates(rates: Rates) -> Floats:
    """The residence fields' rates, cumulated."""
    return np.cumsum([getattr(rates, name) for name in Rates.RESIDENCE_FIELDS])


class _Places:
    """Drawing hukou places as `people.hukou_place` draws them, as ids in the county's
    `_PlaceTable`, whose columns (hukou, text, area_sum, code, area, code_chars,
    places) it shows."""

    def __init__(self, context: Context) -> None:
        self.table = table = _place_table(context.county.code)
        self.rates = _place_rates(context.rates)
        self.hukou, self.text, self.places = table.hukou, table.text, table.places
        self.area_sum, self.code, self.area = table.area_sum, table.code, table.area

    @property
    def code_chars(self) -> npt.NDArray[np.uint32]:
        """The area codes' characters, by row (read after every place is drawn)."""
        return self.table.code_chars

    def draw(self, g: np.random.Generator, count: int) -> Ints:
        """Place ids as `people.hukou_place` draws them; 0 is this village."""
        if not count:
            return np.zeros(0, dtype=np.int64)
        table = self.table
        field = self.rates.searchsorted(g.random(count), side="right")
        here = field == len(self.rates)
        field[here] = 0
        option = (g.random(count) * table.options[field]).astype(np.int64)
        placed: Ints = np.where(here, 0, table.first[field] + option)
        table.fill(placed)
        return placed


@functools.cache
def _area_numbers(code: str) -> tuple[int, int]:
    """An area code as a number, and its share of the ID number's MOD 11-2 sum."""
    return int(code), sum(int(digit) * weight for digit, weight in zip(
        code, idnumber.WEIGHTS, strict=False))


def _uniform_int(generator: np.random.Generator, low: npt.NDArray[Any] | int,
                 high: npt.NDArray[Any] | int, size: int) -> Ints:
    """Integers in [low, high] (inclusive), element-wise."""
    return np.asarray(low + (generator.random(size) * (np.asarray(high) - low + 1)).astype(
        np.int64))


def _child_ages(generator: np.random.Generator, parent_age: Ints, younger: Ints) -> Ints:
    """A child's age: the parent was 23-34 at the birth (0 for parents under 23), and the
    younger parent (`younger`, the other parent's age if younger) at least 18.

    The age is drawn uniformly within the range both rules leave (one draw per child), not
    drawn from the parent's range and then capped: a cap would pile the children of a family
    whose spouse is much younger than the head up at one age. Where the rules leave no age
    (low > high), the age is the younger parent's bound."""
    high = np.minimum(np.maximum(0, parent_age - 23), np.maximum(0, younger - 18))
    low = np.minimum(np.maximum(0, parent_age - 34), high)
    return _uniform_int(generator, low, high, len(parent_age))


def _child_male(generator: np.random.Generator, age: Ints) -> Bools:
    return generator.random(len(age)) < np.where(age < 30, 0.53, 0.51)


def _surnames(generator: np.random.Generator, count: int) -> Ints:
    rolls = generator.random(count) * _SURNAME_CUMULATIVE[-1]
    surnames: Ints = _SURNAME_CUMULATIVE.searchsorted(rolls, side="right")
    return surnames


def _families(generator: np.random.Generator, places: _Places, rates: Rates, count: int,
              urban: bool, drafts: _Drafts) -> None:
    """Draft the members of `count` family households (positions 0..count-1)."""
    g = generator
    hh = np.arange(count)
    place = places.draw(g, count)
    reason = 1 + _REASON_WEIGHTS.searchsorted(g.random(count), side="right")
    years = _YEARS_AWAY[(g.random(count) * len(_YEARS_AWAY)).astype(np.int64)]
    size = 1 + _SIZE_CUMULATIVE.searchsorted(g.random(count), side="right")
    size = np.minimum(size, len(FAMILY_SIZE_WEIGHTS))
    roll = g.random(count)
    template = _ROLL_TEMPLATES[size, (roll[:, None] >= _ROLL_LIMITS[size]).sum(axis=1)]
    low, high = _T_LOW[template], _T_HIGH[template]
    head_age = _uniform_int(g, low, high, count)
    old_single = np.minimum(60 + g.exponential(11, count).astype(np.int64), 99)
    head_age = np.where(template == _OLD_SINGLE, old_single, head_age)
    head_male = g.random(count) < _T_MALE[template]
    family_name = _surnames(g, count)
    follow = np.where(reason == _WHY.WORK, _WHY.FOLLOW_FAMILY, reason)
    common = {"present": True, "residence": _RES.THIS_AREA}

    def members(counts: Ints) -> Ints:
        return hh.repeat(counts)

    drafts.add(hh, rank=0, relation=_REL.HEAD, age=head_age, male=head_male,
               surname=family_name, place=place, reason=reason, years=years, **common)
    # Spouse: of the other sex, about two years younger than a male head, and of the legal
    # age of marriage (a wife 20, a husband 22: `LEGAL_AGE`).
    has = members(_T_SPOUSE[template])
    # (at most 8 years older or 10 younger: a three-generation family's child, at least 24,
    # then stays 15 years younger than the spouse too)
    gap = np.clip(np.rint(g.normal(2.0, 2.5, len(has))), -8, 10).astype(np.int64)
    age = np.maximum(np.where(head_male[has], head_age[has] - gap, head_age[has] + gap),
                     np.where(head_male[has], LEGAL_AGE[Sex.FEMALE], LEGAL_AGE[Sex.MALE]))
    drafts.add(has, rank=1, relation=_REL.SPOUSE, age=age, male=~head_male[has],
               surname=_surnames(g, len(has)), place=place[has], reason=reason[has],
               years=years[has], **common)
    # The younger of head and spouse: the children's ages (drawn from the head's) are kept
    # below it by 18 years, so that every child is at least 15 years younger than both
    # parents, also when the spouse is much younger than the head.
    parent_age = head_age.copy()
    parent_age[has] = np.minimum(head_age[has], age)
    # Children of the head; in three-generation households the one child has a spouse and
    # children of its own (grandchildren carry the father's surname).
    three = template == _THREE_GENERATIONS
    middle_age = _uniform_int(g, 24, np.maximum(24, np.minimum(
        np.minimum(head_age - 22, parent_age - 18), 50)), count)
    middle_male = _child_male(g, middle_age)
    in_law_name = _surnames(g, count)
    children = _T_CHILDREN[template]
    children = np.where(children < 0, size - 2, children)
    has = members(children)
    age = np.where(three[has], middle_age[has], _child_ages(g, head_age[has], parent_age[has]))
    male = np.where(three[has], middle_male[has], _child_male(g, age))
    drafts.add(has, rank=2, relation=_REL.CHILD, age=age, male=male,
               surname=family_name[has], place=place[has], reason=follow[has],
               years=years[has], **common)
    has = members(three.astype(np.int64))
    age = np.maximum(middle_age[has] + _uniform_int(g, -3, 3, len(has)),
                     np.where(middle_male[has], LEGAL_AGE[Sex.FEMALE], LEGAL_AGE[Sex.MALE]))
    drafts.add(has, rank=3, relation=_REL.CHILD_IN_LAW, age=age, male=~middle_male[has],
               surname=in_law_name[has], place=place[has], reason=reason[has],
               years=years[has], **common)
    # Grandchildren: likewise below the younger of their parents (the child, its spouse).
    younger_age = middle_age.copy()
    younger_age[has] = np.minimum(middle_age[has], age)
    has = members(np.where(three, size - 4, 0))
    age = _child_ages(g, middle_age[has], younger_age[has])
    drafts.add(has, rank=4, relation=_REL.GRANDCHILD, age=age, male=_child_male(g, age),
               surname=np.where(middle_male[has], family_name[has], in_law_name[has]),
               place=place[has], reason=follow[has], years=years[has], **common)
    has = members(_T_PARENT[template])
    age = np.minimum(head_age[has] + _uniform_int(g, 22, 34, len(has)), 99)
    drafts.add(has, rank=5, relation=_REL.PARENT, age=age,
               male=g.random(len(has)) >= _T_MOTHER[template[has]], surname=family_name[has],
               place=place[has], reason=reason[has], years=years[has], **common)
    _lodgers(g, places, hh, head_age, urban, drafts)
    _away(g, rates, hh, head_age, parent_age, place == 0, three, family_name, drafts)


# Town households letting a room to lodgers (租客, D2 = 9 其他): the share of households and
# the share of those with two lodgers.
LODGER_SHARE = 0.03
TWO_LODGERS = 0.3


def _lodgers(g: np.random.Generator, places: _Places, hh: Ints, head_age: Ints, urban: bool,
             drafts: _Drafts) -> None:
    """Lodgers of some town households: young people from elsewhere renting a room, who live
    here and are enumerated with the household (relation 9), unrelated to the head."""
    count = len(hh)
    letting = (head_age >= 30) & (g.random(count) < (LODGER_SHARE if urban else 0.0))
    has = hh.repeat(np.where(letting, 1 + (g.random(count) < TWO_LODGERS), 0))
    place = places.draw(g, len(has))
    drafts.add(has, rank=6, relation=_REL.OTHER, age=_uniform_int(g, 18, 40, len(has)),
               male=g.random(len(has)) < 0.55, surname=_surnames(g, len(has)), present=True,
               residence=_RES.THIS_AREA, place=np.where(place == 0, _OTHER_TOWNSHIP, place),
               reason=_WHY.WORK, years=0.3 + g.random(len(has)) * 5)


def _away(g: np.random.Generator, rates: Rates, hh: Ints, head_age: Ints, parent_age: Ints,
          local: Bools, three: Bools, family_name: Ints, drafts: _Drafts) -> None:
    """Hukou members away on 10-31 (H2b): children working or studying elsewhere, abroad.

    Only households with local hukou, a head of 38 or more and a spouse (if any) of 34 or
    more have them, so the rates are divided by the grid's share of such households (a rate
    is a share of all family households); three-generation households are left out so that
    every child stays older than the grandchildren. `parent_age`: the younger of head and
    spouse.
    """
    count = len(hh)
    eligible = local & (head_age >= 38) & (parent_age >= 34) & ~three
    share = max(int(np.count_nonzero(eligible)), 1) / max(count, 1)
    away = eligible & (g.random(count) < rates.members_away / share)
    has = hh.repeat(np.where(away, np.where(g.random(count) < 0.8, 1, 2), 0))
    age = np.maximum(16, _child_ages(g, head_age[has], parent_age[has]))
    student = (age <= 22) & (g.random(len(has)) < 0.6)
    elsewhere = g.random(len(has)) < 2 / 3
    residence = np.where(elsewhere, _RES.OTHER_COUNTY,
                         _RES.OTHER_TOWNSHIP_SAME_COUNTY)
    city = np.where(elsewhere, 1 + (g.random(len(has)) * (len(_CITIES) - 1)).astype(np.int64),
                    0)
    years = 0.2 + g.random(len(has)) * (np.minimum(age - 15, 12) - 0.2)
    drafts.add(has, rank=7, relation=_REL.CHILD, age=age, male=_child_male(g, age),
               surname=family_name[has], present=False, residence=residence, place=0,
               reason=np.where(student, _WHY.STUDY, _WHY.WORK), years=years,
               city=city)
    has = hh[eligible & (g.random(count) < rates.abroad / share)]
    age = np.maximum(18, _child_ages(g, head_age[has], parent_age[has]))
    drafts.add(has, rank=8, relation=_REL.CHILD, age=age, male=_child_male(g, age),
               surname=family_name[has], present=False, residence=_RES.ABROAD, place=0,
               reason=np.where(g.random(len(has)) < 0.5, _WHY.WORK, _WHY.STUDY),
               years=0.5 + g.random(len(has)) * 5.5)


def _collectives(g: np.random.Generator, places: _Places, slots: Sequence[CollectiveSlot],
                 first: int, drafts: _Drafts) -> None:
    """Draft the members of collective households (positions first, first + 1, ...)."""
    kinds = [COLLECTIVE_KINDS[slot.kind] for slot in slots]
    sizes = np.array([slot.size for slot in slots], dtype=np.int64)
    hh = np.arange(first, first + len(slots)).repeat(sizes)
    local = np.arange(len(slots)).repeat(sizes)
    count = len(hh)
    low = np.array([k[0][0] for k in kinds], dtype=np.int64)[local]
    high = np.array([k[0][1] for k in kinds], dtype=np.int64)[local]
    male_share = np.array([k[1] for k in kinds])[local]
    elsewhere = np.array([k[2] for k in kinds])[local]
    care = np.array([slot.kind == "care_home" for slot in slots])[local]
    place = np.zeros(count, dtype=np.int64)
    from_elsewhere = g.random(count) < elsewhere
    place[from_elsewhere] = places.draw(g, int(from_elsewhere.sum()))
    place = np.where((g.random(count) < elsewhere) & (place == 0), _OTHER_TOWNSHIP, place)
    age = np.where(care, np.minimum(low + g.exponential(10, count).astype(np.int64), high),
                   _uniform_int(g, low, high, count))
    head = np.concatenate(([True], hh[1:] != hh[:-1])) if count else np.zeros(0, dtype=bool)
    drafts.add(hh, rank=np.where(head, 0, 1),
               relation=np.where(head, _REL.HEAD, _REL.OTHER), age=age,
               male=g.random(count) < male_share, surname=_surnames(g, count), present=True,
               residence=_RES.THIS_AREA, place=place,
               reason=np.where(care, _WHY.RETIREMENT, _WHY.WORK),
               years=0.2 + g.random(count) * 5.8)


def _fields(g: np.random.Generator, d: dict[str, npt.NDArray[Any]], places: _Places,
            context: Context) -> dict[str, Any]:
    """Every truth field of the drafted persons, as lists in draft order."""
    count = len(d["hh"])
    age, male, place = d["age"], d["male"], d["place"]
    rates = context.rates
    # The eight uniform draws below, in their order, as one block: the same numbers. (Row 4
    # drew the ID numbers' sequences before `_sequences`; it is still drawn, so that every
    # other field is what it was.)
    rolls = g.random(8 * count).reshape(8, count)
    day = _BORN_FROM[age] + (rolls[0] * _BORN_SPAN[age]).astype(np.int64)
    born = _DAY_ROWS.take(day, axis=0)  # what the day of birth gives (see _DAY_ROWS)
    # Ages as `Person.age` counts them: one more for those born on 11-01, whose birthday is
    # the standard time itself.
    completed = age + (day == _BORN_FROM[age])
    pool = born[:, 10] + ~male  # older or modern names, then male or female
    given = _POOL_START[pool] + (rolls[1] * _POOL_SIZE[pool]).astype(np.int64)
    name = np.strings.add(_SURNAMES[d["surname"]], _GIVEN[given])
    unnamed = (day >= _NEWBORN_NAMING) & (rolls[2] < rates.unnamed_newborn)
    name[unnamed] = names.UNNAMED
    # Nor is an unnamed newborn's birth registered: no hukou yet (户口待定, D8 = 5).
    place = d["place"] = np.where(unnamed, places.table.pending, place)
    hukou = places.hukou[place]
    pending = hukou == _HK.PENDING
    # A number is given when the birth is registered, which takes a name: 未取名 has none.
    no_id = (rolls[3] < np.where(pending, 0.8, rates.no_id_number)) | unnamed
    sequence = _distinct_sequences(places.code[place], day, _sequences(
        context, places.area[place], day, male), no_id)
    # Rows of the character tables by `take` (several times faster than fancy indexing
    # a 2-D array by rows), side by side.
    check = _CHECK_CHARS[(places.area_sum[place] + born[:, 8] + _SEQ_SUM[sequence]) % 11]
    chars = np.concatenate((places.code_chars.take(places.code[place], axis=0), born[:, :8],
                            _SEQ_CHARS.take(sequence, axis=0), check[:, None]), axis=1)
    chars[no_id] = ord("0")  # idnumber.NO_NUMBER
    ids = chars.view("U18").ravel().tolist()  # one str per row
    # D9/D10: blank when pending; "not away" for locals living here; else by time away.
    staying = (hukou == _HK.THIS_VILLAGE) & (d["residence"] == _RES.THIS_AREA)
    away = np.minimum(d["years"], age + 0.4)
    time_away = np.where(pending, 0, np.where(
        staying, _AWAY.NOT_AWAY, 2 + _TIME_AWAY_LIMITS.searchsorted(away, side="right")))
    reason = np.where(pending | staying, 0, _fitting_reasons(d, completed))
    # D11 by age and cohort, D12 from 15 years.
    roll = rolls[5]
    step = _COHORT_STEPS.searchsorted(roll, side="right")
    adult = 1 + _COHORT_COUNT[born[:, 9], step]
    young = np.minimum(age, 18)  # under 18: by age, with a roll for 3-5 and 15-17 years
    # (a master's degree is studied for from 22: younger graduates are at university)
    adult = np.minimum(adult, np.where(completed < MASTER_FROM, _EDU.BACHELOR, _EDU.DOCTOR))
    education = np.where(age >= 18, adult, np.where(
        roll < _YOUNG_ROLL[young], _YOUNG_BELOW[young], _YOUNG_ABOVE[young]))
    roll = rolls[6]
    illiterate = ((education == _EDU.NONE) & (roll < 0.8)) | (
        (education == _EDU.PRIMARY) & born[:, 11].view(np.bool_) & (roll < 0.03))
    literate = np.where(age < 15, 0, np.where(illiterate, _LIT.NO, _LIT.YES))
    roll = rolls[7]
    minority = 1 + _MINORITY_CUMULATIVE.searchsorted(
        (roll - _HAN_SHARE) / MINORITY_SHARE * _MINORITY_CUMULATIVE[-1], side="right")
    ethnicity = _MINORITY_NAMES[np.where(roll < _HAN_SHARE, 0,
                                         np.minimum(minority, len(MINORITIES)))]
    # Born in the census year (H3): age 0 as drawn.
    d["born_in_year"] = age == 0
    d["age"] = completed  # from here on ages as `Person.age` counts them
    return {
        "name": name.tolist(), "relation": _RELATION[d["relation"]].tolist(), "id_number": ids,
        "sex": _SEX[np.where(male, _SEX_CODE.MALE, _SEX_CODE.FEMALE)].tolist(),
        "birth": _DATES[day].tolist(),
        "ethnicity": ethnicity.tolist(), "residence": _RESIDENCE[d["residence"]].tolist(),
        "residence_place": _CITIES[d["city"]].tolist(),
        "hukou": _HUKOU[hukou].tolist(), "hukou_place": places.text[place].tolist(),
        "time_away": _TIME_AWAY[time_away].tolist(), "reason_away": _REASON[reason].tolist(),
        "education": _EDUCATION[education].tolist(), "literate": _LITERATE[literate].tolist(),
        "present": d["present"].tolist(),
    }


_GRID_BAND = 250  # the second person of a kind in a grid takes the slot of grid + 250


def _sequences(context: Context, area: Ints, day: Ints, male: Bools) -> Ints:
    """ID sequences (0-999, odd for men) that the grids of a world do not share
    (`idnumber.world_sequences`): the j-th person of the grid with an (area code, birth date,
    sex) takes the slot (grid + 250 j) mod 500. Two of a world's first 250 grids never share
    a number for their first two persons of a kind; a third of a kind in a grid (about one
    grid in a hundred) takes the first one's slot and `_distinct_sequences` moves it on; the
    rare households' members and the deaths take slots counted down from 249 - grid
    (`people.world_sequence`), which meet these only in worlds of more than 125 grids; in a
    world of more than 250 grids, grids 250 apart may share a number, about as often as
    random sequences would. No random draw: the same persons give the same numbers."""
    key = (area * len(_DAYS) + day) * 2 + male
    order = key.argsort(kind="stable")
    ordered = key[order]
    position = np.arange(len(key))
    first = np.ones(len(key), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    nth = np.empty_like(position)
    nth[order] = position - np.maximum.accumulate(np.where(first, position, 0))
    return idnumber.world_sequences(sequence_key(context.seed),
                                    (context.grid + _GRID_BAND * nth) % idnumber.SLOTS,
                                    area, day + FIRST_DAY, male)


def _distinct_sequences(code: Ints, day: Ints, sequence: Ints, no_id: Bools) -> Ints:
    """The ID numbers' sequences, each number used once in the grid: a person given the
    area code, birth date and sequence of someone before them (`_sequences`: a third person
    of a kind) takes the next free sequence of the sex (+2, so its parity stays). Rare (about
    a grid in a hundred), so the clashes are resolved in Python."""
    key = (code * len(_DAYS) + day) * 1000 + sequence
    with_id = np.flatnonzero(~no_id)
    keys = key[with_id]
    order = keys.argsort(kind="stable")
    clash = order[1:][keys[order[1:]] == keys[order[:-1]]]
    if not clash.size:
        return sequence
    sequence = sequence.copy()
    taken = set(keys.tolist())
    for person in with_id[np.sort(clash)].tolist():
        base, number = int(key[person] - sequence[person]), int(sequence[person])
        while base + number in taken:
            number = (number + 2) % 1000
        taken.add(base + number)
        sequence[person] = number
    return sequence


# D10 codes by whether they fit a person (`_fitting_reasons`).
_FOLLOW, _WORK, _STUDY = _WHY.FOLLOW_FAMILY, _WHY.WORK, _WHY.STUDY


def _fitting_reasons(d: dict[str, npt.NDArray[Any]], age: Ints) -> Ints:
    """D10 as drawn for the household (children following, `_families`), made to fit each
    person's age and family: work from 16 to 74, study from 6 to 39, marriage from the legal
    age, caring for grandchildren from 45, retirement from 50, children's schooling only for
    a parent of a child of 3-18 living here (the head or spouse of a child, the head's child
    or its spouse of a grandchild); the head's parent in a family that moved for work came
    with it. A reason that does not fit becomes following the family (under 18; studying
    for a pupil whose family moved for its schooling), work (18-59, and members away from 18
    to 74: a child abroad of 40 is there to work, not to study) or retirement (60 and
    over). No random draw: the same columns give the same reasons."""
    hh, relation, reason = d["hh"], d["relation"], d["reason"]
    if not len(hh):
        return reason
    total = int(hh.max()) + 1

    def household_has(mask: Bools) -> Bools:
        has: Bools = (np.bincount(hh, weights=mask, minlength=total) > 0)[hh]
        return has

    pupil = d["present"] & (age >= 3) & (age <= 18)
    child_at_school = household_has(pupil & (relation == _REL.CHILD))
    grandchild_at_school = household_has(pupil & (relation == _REL.GRANDCHILD))
    three = household_has(relation == _REL.CHILD_IN_LAW)
    reason = np.where((relation == _REL.PARENT) & (reason == _WHY.WORK), _FOLLOW, reason)
    parent_of_pupil = np.where(
        (relation == _REL.HEAD) | (relation == _REL.SPOUSE), child_at_school,
        ((relation == _REL.CHILD_IN_LAW) | ((relation == _REL.CHILD) & three))
        & grandchild_at_school)
    legal = np.where(d["male"], LEGAL_AGE[Sex.MALE], LEGAL_AGE[Sex.FEMALE])
    fits = np.select(
        [reason == _WHY.WORK, reason == _WHY.STUDY, reason == _WHY.MARRIAGE,
         reason == _WHY.GRANDCHILD_CARE, reason == _WHY.RETIREMENT,
         reason == _WHY.CHILD_SCHOOLING],
        [(age >= 16) & (age <= 74), (age >= 6) & (age <= 39), age >= legal, age >= 45,
         age >= 50, parent_of_pupil], default=True)
    working = (age < 60) | (~d["present"] & (age < 75))  # members away are there to work
    fallback = np.where(age < 18, np.where((reason == _WHY.CHILD_SCHOOLING) & (age >= 6),
                                           _STUDY, _FOLLOW),
                        np.where(working, _WORK, _WHY.RETIREMENT))
    fitted: Ints = np.where(fits, reason, fallback)
    return fitted


class Batch:
    """The drawn columns of a grid's family and collective households."""

    def __init__(self, indices: list[int], position: dict[int, int], starts: list[int],
                 persons: list[list[Any]], households: dict[str, list[Any]],
                 numbers: set[str]) -> None:
        self.indices = indices
        self.position = position  # index -> n
        self.starts = starts  # household n has persons starts[n] to starts[n + 1] - 1
        self.persons = persons  # Person's fields in order, one list per field
        self.columns = households  # Household's fields but index and persons, by name
        # The ID numbers given so far in the grid: the batch's persons' and deaths', then
        # those of the rare households built since (`grid.Grid._build_rare`).
        self.numbers = numbers

    def households(self, indices: Sequence[int]) -> list[Household]:
        """The households `indices` (all drawn here), built from the columns."""
        starts = self.starts
        if len(indices) == len(self.indices):  # everything: one pass over the columns
            by_index = dict(zip(self.indices, self.everything(), strict=True))
            return [by_index[index] for index in indices]
        positions = [self.position[index] for index in indices]
        return _households_of(
            list(indices), [self._persons(starts[n], starts[n + 1]) for n in positions],
            {name: [column[n] for n in positions] for name, column in self.columns.items()})

    def everything(self) -> list[Household]:
        """Every household of the batch, in the order of `indices`: one pass over the
        columns."""
        starts = self.starts
        everyone = self._persons(0, starts[-1])
        # Each household's persons as a slice of everyone, made in C (map, not a loop).
        members = list(map(everyone.__getitem__, map(slice, starts, starts[1:])))
        return _households_of(self.indices, members, self.columns)

    def _persons(self, start: int, end: int) -> list[Person]:
        columns = self.persons if start == 0 and end == self.starts[-1] else [
            column[start:end] for column in self.persons]
        return _instances(Person, end - start, columns)


def _households_of(indices: list[int], persons: list[list[Person]],
                   columns: dict[str, list[Any]]) -> list[Household]:
    fields = {**columns, "index": indices, "persons": persons}
    return _instances(Household, len(indices),
                      [fields[name] for name in Household.__dataclass_fields__])


def _instances(cls: type[_Instance], count: int,
               columns: Sequence[Iterable[Any]]) -> list[_Instance]:
    """`list(map(cls, *columns))`, for a dataclass of ours (no __new__ of its own), in about
    five sixths of the time: the instances are allocated, then their `__init__` is mapped
    over them and the columns. Calling the class per row goes through its type's call slots
    (new, then a look-up of __init__ and a copy of the arguments), which costs more than the
    __init__ itself. The arguments are positional, so no row makes a Python frame of ours."""
    instances: list[_Instance] = list(map(object.__new__, itertools.repeat(cls, count)))
    collections.deque(map(cls.__init__, instances, *columns), maxlen=0)  # runs them all
    return instances


def draw(context: Context, families: Families,
         collectives: Sequence[CollectiveSlot]) -> Batch:
    """Draw the grid's family and collective households from the grid's household stream."""
    seed = stream_seed(context.seed, "grid", context.grid, "households")
    g = np.random.Generator(np.random.PCG64(seed))
    rng = random.Random(seed)  # the few scalar draws: deaths
    rates = context.rates
    places = _Places(context)
    drafts = _Drafts()
    n_family = len(families.index)
    _families(g, places, rates, n_family, context.urban, drafts)
    _collectives(g, places, collectives, n_family, drafts)
    d = drafts.stack()
    _births(np.random.Generator(np.random.PCG64(stream_seed(
        context.seed, "grid", context.grid, "births"))), d, n_family + len(collectives),
        rates.births)
    # By household, rank, then age from the oldest: one stable sort of a packed key (ranks
    # are below 16 and ages within +-2047), the order np.lexsort gives, in a tenth of its time.
    order = ((d["hh"] * 16 + d["rank"]) * 4096 + (2047 - d["age"])).argsort(kind="stable")
    d = {name: column[order] for name, column in d.items()}
    counts = np.bincount(d["hh"], minlength=n_family + len(collectives))
    starts: Ints = np.concatenate(([0], counts.cumsum()))
    fields = _fields(g, d, places, context)
    count = len(d["hh"])
    fields["key"] = (np.arange(count) - starts[d["hh"]]).tolist()
    fields["form"] = [Form.SHORT] * count
    fields["nationality"] = fields["entry_purpose"] = fields["stay_duration"] = [None] * count
    indices = families.index + [slot.index for slot in collectives]
    position = dict(zip(indices, range(len(indices)), strict=True))  # index -> n
    households = _households(g, rng, context, families, collectives, d, starts, fields, places,
                             position)
    persons = [fields[name] for name in Person.__dataclass_fields__]
    return Batch(indices, position, starts.tolist(), persons, households,
                 _distinct_deaths(fields["id_number"], households["deaths"]))


def _distinct_deaths(numbers: list[str], deaths: list[list[Death]]) -> set[str]:
    """Every ID number of the batch, each one person's: a death given the number of a
    person or of a death before it (the deaths of a grid all take one slot,
    `people.world_sequence`, so two of one area code, birth date and sex would share it)
    takes the next free sequence of the sex (`idnumber.free_number`). No random draw."""
    taken = set(numbers)
    taken.discard(idnumber.NO_NUMBER)
    for died in deaths:
        for one in died:
            one.id_number = idnumber.free_number(one.id_number, taken)
    return taken


_UNSET = 1000  # an age no household member has: "no such member"


def _births(b: np.random.Generator, d: dict[str, npt.NDArray[Any]], total: int,
            rate: float) -> None:
    """Bring the grid's births in the year (children aged 0) to `rate` of its residents.

    Children's ages are drawn uniformly within what their parents' ages allow, which gives
    young couples' children age 0 about twice as often as 2020's births (17.6 per 1,000
    persons against Hunan's 8.53). So after drafting, the excess newborns become older
    children (uniformly from 1 to the oldest their parents allow), or, for a rate above what
    the draws give, children of 1 or 2 whose parent is 34 or younger now (so would be at a
    birth now) become newborns. Both keep every child within `_child_ages`' bounds (the
    parent 23-34 at the birth, the younger parent at least 18). The changes draw from
    the grid's own births stream `b`, so the household stream, and every other draw, is as it
    was; only the ages moved (and what follows from an age) change.
    """
    hh, rank, age = d["hh"], d["rank"], d["age"]
    if not len(hh):
        return

    def of_rank(number: int) -> Ints:  # each household's member of that rank (the youngest)
        ages = np.full(total, _UNSET, dtype=np.int64)
        np.minimum.at(ages, hh[rank == number], age[rank == number])
        return ages

    head, spouse, middle, in_law = of_rank(0), of_rank(1), of_rank(2), of_rank(3)
    # A child's parent and younger parent: the head and the younger of head and spouse; a
    # grandchild's, the head's child (three generations: the one child) and its spouse.
    grandchild = rank == 4
    parent = np.where(grandchild, middle[hh], head[hh])
    younger = np.minimum(parent, np.where(grandchild, in_law[hh], spouse[hh]))
    oldest = np.minimum(np.maximum(0, parent - 23), np.maximum(0, younger - 18))
    child = (d["relation"] == _REL.CHILD) | grandchild
    target = rate * int(np.count_nonzero(d["present"]))
    newborn = np.flatnonzero(child & (age == 0))
    excess = len(newborn) - target
    whole = int(np.floor(abs(excess) + b.random()))  # rounded at random: right on average
    if excess > 0:  # too many newborns: some are older children
        movable = newborn[oldest[newborn] >= 1]
        moved = b.permutation(movable)[:whole]
        age[moved] = 1 + (b.random(len(moved)) * oldest[moved]).astype(np.int64)
    elif excess < 0:  # too few: some young children are newborns
        movable = np.flatnonzero(child & (age >= 1) & (age <= 2) & (parent <= 34))
        age[b.permutation(movable)[:whole]] = 0


class _Choice:
    """Values with relative weights, drawn by inverse CDF."""

    def __init__(self, values: Sequence[int], weights: Sequence[float]) -> None:
        self.values = np.asarray(values)
        self.cumulative = np.cumsum(weights) / sum(weights)
        self.cumulative[-1] = 2.0  # never passed, whatever the rounding

    def draw(self, g: np.random.Generator, count: int) -> Ints:
        """`count` draws."""
        drawn: Ints = self.values[self.cumulative.searchsorted(g.random(count), side="right")]
        return drawn


def _households(g: np.random.Generator, rng: random.Random, context: Context,
                families: Families, collectives: Sequence[CollectiveSlot],
                d: dict[str, npt.NDArray[Any]], starts: Ints,
                fields: dict[str, Any], places: _Places,
                positions: dict[int, int]) -> dict[str, list[Any]]:
    """Per household: kind, dwelling, deaths, housing, long form and persona; adds the
    head's phone and the long-form marital status to `fields`. `positions`: household
    index -> n, the families first."""
    rates = context.rates
    n_family = len(families.index)
    total = n_family + len(collectives)
    heads = starts[:-1]
    age, hh = d["age"], d["hh"]
    present = np.bincount(hh, weights=d["present"], minlength=total).astype(np.int64)
    deaths = _deaths(g, rng, d, heads, n_family, collectives, places, context)
    # Housing (H6, H7), the head's phone and the long-form sample, of family households.
    size = np.maximum(present[:n_family], 1)
    per_person = (28 + g.random(n_family) * 17) if context.urban else (
        40 + g.random(n_family) * 30)
    floor_area = np.rint(size * per_person + 10 + g.random(n_family) * 20).astype(np.int64)
    rooms = np.minimum(size + (g.random(n_family) * 3).astype(np.int64), 9)
    prefix = (g.random(n_family) * len(_PHONE_PREFIX_CHARS)).astype(np.int64)
    phone = np.full(len(hh), None, dtype=object)  # 11 digits: prefix, then 8 digits
    rest = (g.random(n_family) * 10**8).astype(np.int64)
    # As characters from tables, like the ID numbers: the prefix's 3, then the 8 digits as
    # two groups of 4 (cheaper than str() each, or than dividing by each power of ten).
    chars = np.concatenate((_PHONE_PREFIX_CHARS.take(prefix, axis=0),
                            _FOUR_DIGITS.take(rest // 10_000, axis=0),
                            _FOUR_DIGITS.take(rest % 10_000, axis=0)), axis=1)
    phone[heads[:n_family]] = chars.view("U11").ravel()  # each a str, made in the cast
    fields["phone"] = phone.tolist()
    sampled = np.flatnonzero(g.random(n_family) < rates.long_form)
    long_form = np.zeros(total, dtype=bool)
    long_form[sampled] = True
    widowed = np.zeros(total, dtype=bool)  # heads whose spouse died in the year
    widowed[[n for n, died in enumerate(deaths) if died and any(
        death.relation == Relation.SPOUSE for death in died)]] = True
    fields["marital"] = _marital(g, d, long_form[hh], widowed[hh])
    items: list[dict[str, int] | None] = [None] * total
    floors = np.array([families.floors(position) for position in sampled.tolist()],
                      dtype=np.int64)
    for position, answers in zip(sampled.tolist(), _long_form_housing(g, floors, context.urban),
                                 strict=True):
        items[position] = answers
    second = np.zeros(total, dtype=bool)
    second[[positions[index] for index in families.holds_second_unit]] = True
    personas = _personas(g, context, n_family, second, age[heads],
                         places.hukou[d["place"][heads]], d, starts)
    n_collective = len(collectives)
    return {
        "kind": [HouseholdType.FAMILY] * n_family + [HouseholdType.COLLECTIVE] * n_collective,
        "dwelling": [DwellingType.ORDINARY] * n_family + [
            DwellingType.COLLECTIVE] * n_collective,
        "deaths": deaths, "floor_area": floor_area.tolist() + [None] * n_collective,
        "rooms": rooms.tolist() + [None] * n_collective,
        "collective_kind": [None] * n_family + [slot.kind for slot in collectives],
        "long_form": long_form.tolist(), "long_form_items": items,
        "holds_second_unit": second.tolist(),
        "found_at_registration": list(map(families.found_at_registration.__contains__,
                                          families.index)) + [False] * n_collective,
        "persona": personas,
    }


def _deaths(g: np.random.Generator, rng: random.Random, d: dict[str, npt.NDArray[Any]],
            heads: Ints, n_family: int, collectives: Sequence[CollectiveSlot], places: _Places,
            context: Context) -> list[list[Death]]:
    """Deaths of the year: mostly an elderly member, rarely a newborn; care homes lose
    residents. Few households have one, so each is drawn in Python.

    `rates.newborn_died` is the share of the year's births (H3) who died before 11-01: a
    grid with B living births has B × r / (1 - r) newborn deaths expected, among its
    families whose head or spouse is a woman of 20-40, the newborn's mother. The relation
    of an elderly member who died fits the household (`_elder_death`)."""
    rates = context.rates
    total = n_family + len(collectives)
    age, hh = d["age"], d["hh"]
    oldest = np.maximum.reduceat(age, heads) if total else age
    mother = (d["rank"] <= 1) & ~d["male"] & (age >= 20) & (age <= 40)
    young_parent = np.bincount(hh, weights=mother, minlength=total)[:n_family] > 0
    married = np.bincount(hh, weights=d["relation"] == _REL.SPOUSE, minlength=total) > 0
    care = np.array([slot.kind == "care_home" for slot in collectives], dtype=bool)
    elder = np.concatenate([
        (oldest[:n_family] >= 55) & (g.random(n_family) < rates.deaths * 7.5),
        care & (g.random(len(care)) < min(1.0, rates.deaths * 20))])
    births = int(np.count_nonzero(d["born_in_year"][hh < n_family]))
    died = rates.newborn_died
    if died < 1:
        chance = births * died / (1 - died) / max(int(np.count_nonzero(young_parent)), 1)
    else:  # every birth died: every family with a young parent lost a newborn
        chance = 1.0
    newborn = np.concatenate([
        young_parent & (g.random(n_family) < chance),
        np.zeros(len(care), dtype=bool)])
    deaths: list[list[Death]] = [[] for _ in range(total)]
    for position in np.flatnonzero(elder | newborn).tolist():
        # A family's hukou place is its head's; a care home's residents died local.
        place = places.places[int(d["place"][heads[position]]) if position < n_family else 0]
        if elder[position] and position >= n_family:
            deaths[position].append(death(rng, context, place, rng.randint(75, 99), Relation.OTHER))
        elif elder[position]:
            dying = min(int(oldest[position]) + rng.randint(-4, 12), 102)
            head = int(heads[position])
            relation, sex = _elder_death(rng.random() < 0.6, dying, int(age[head]),
                                         bool(d["male"][head]), bool(married[position]))
            deaths[position].append(death(rng, context, place, dying, relation, sex=sex))
        if newborn[position]:
            deaths[position].append(death(rng, context, place, 0, Relation.CHILD, newborn=True))
    return deaths


def _elder_death(spouse: bool, dying: int, head_age: int, head_male: bool,
                 married: bool) -> tuple[Relation, Sex | None]:
    """The relation to the head (and the sex, when it follows) of a family's elderly member
    who died at `dying`: the spouse when drawn so (`spouse`), the head has none living now
    and the ages are within 12 years, then of the other sex; a parent when 17 or more years
    older than the head; else a brother or sister within 15 years, or another relative."""
    if spouse and not married and abs(dying - head_age) <= 12:
        return Relation.SPOUSE, Sex.FEMALE if head_male else Sex.MALE
    if dying - head_age >= 17:
        return Relation.PARENT, None
    return (Relation.SIBLING if abs(dying - head_age) < 15 else Relation.OTHER), None


_MARITAL = np.array([None, 1, 2, 3, 4, 5], dtype=object)
_MARITAL_28_64 = _Choice((1, 2, 4), (20, 60, 20))


def _marital(g: np.random.Generator, d: dict[str, npt.NDArray[Any]], sampled: Bools,
             widowed: Bools) -> list[int | None]:
    """Long-form marital status (1 未婚 2 初婚有配偶 3 再婚有配偶 4 离婚 5 丧偶) of the
    persons in `sampled` households, from 15 years. The couples of the household are
    married: head and spouse, and in three generations the head's child and its spouse; a
    head whose spouse died in the year (`widowed`, by person) is widowed."""
    hh = d["hh"]
    married = (np.bincount(hh, weights=d["relation"] == _REL.SPOUSE) > 0)[hh[sampled]]
    in_law = (np.bincount(hh, weights=d["relation"] == _REL.CHILD_IN_LAW) > 0)[hh[sampled]]
    age, relation = d["age"][sampled], d["relation"][sampled]
    couple = (((relation <= _REL.SPOUSE) & married) | (relation == _REL.CHILD_IN_LAW)
              | ((relation == _REL.CHILD) & in_law))
    roll = g.random(len(age))
    status = np.where(age < 15, 0, np.where(
        couple, np.where(roll < 0.93, 2, 3), np.where(
            age >= 65, np.where(roll < 0.7, 5, 2), np.where(
                age >= 28, _MARITAL_28_64.draw(g, len(age)), 1))))
    status = np.where(widowed[sampled] & (relation == _REL.HEAD), 5, status)
    column = np.zeros(len(hh), dtype=np.int64)
    column[sampled] = status
    return list(_MARITAL[column].tolist())


_URBAN_HOUSING = (_Choice((1, 2, 3), (70, 27, 3)), _Choice((5, 6, 7, 8, 9), (8, 22, 35, 20, 15)),
                  _Choice((7, 8, 9), (30, 40, 30)), _Choice((1, 2), (85, 15)),
                  _Choice((1, 2, 3, 4, 5), (5, 20, 45, 20, 10)))
_RURAL_HOUSING = (_Choice((1, 2, 3, 4), (10, 60, 27, 3)),
                  _Choice((3, 4, 5, 6, 7, 8, 9), (3, 7, 18, 25, 25, 12, 10)),
                  _Choice((1, 2, 3, 4), (45, 30, 5, 20)), _Choice((2, 6), (10, 90)),
                  _Choice((1, 2, 3, 4), (60, 5, 20, 15)))
_MANAGED = _Choice((1, 2, 3, 4), (5, 80, 10, 5))


def _long_form_housing(g: np.random.Generator, floors: Ints,
                       urban: bool) -> list[dict[str, int]]:
    """Long-form housing items H8-H18 for dwellings in buildings of `floors` floors.

    H17 code 6 (自建住房) and the H10 code 5 (1980-1989) are design assumptions: those codes
    were not legible in the reproduced form (see the domain file §1.5).
    """
    n = len(floors)
    height = np.where(floors <= 1, 1, np.where(floors <= 7, 2, np.where(floors <= 33, 3, 4)))
    if urban:
        structure, low_era, high_era, fuels, sources = _URBAN_HOUSING
        era = np.where(floors <= 7, low_era.draw(g, n), high_era.draw(g, n))
        toilet = tap = np.ones(n, dtype=np.int64)
        rent = 300 + (g.random(n) * 2201).astype(np.int64)
    else:
        structure, eras, fuels, sources, toilets = _RURAL_HOUSING
        era, toilet = eras.draw(g, n), toilets.draw(g, n)
        tap = np.where(g.random(n) < 0.9, 1, 2)
        rent = 150 + (g.random(n) * 651).astype(np.int64)
    source = sources.draw(g, n)
    columns = {"H8": height, "H9": structure.draw(g, n), "H10": era,
               "H11": np.where(floors >= 7, 1, 2), "H12": fuels.draw(g, n), "H13": tap,
               "H14": np.where(g.random(n) < 0.95, 1, 2), "H15": toilet,
               "H16": _MANAGED.draw(g, n), "H17": source}
    return list(map(_housing_row, *(column.tolist() for column in columns.values()),
                    rent.tolist()))  # `columns` in _housing_row's order


def _housing_row(h8: int, h9: int, h10: int, h11: int, h12: int, h13: int, h14: int, h15: int,
                 h16: int, h17: int, rent: int) -> dict[str, int]:
    """One dwelling's H8-H18 (a dict display: twice as fast as dict(zip(keys, values)))."""
    row = {"H8": h8, "H9": h9, "H10": h10, "H11": h11, "H12": h12, "H13": h13, "H14": h14,
           "H15": h15, "H16": h16, "H17": h17}
    if h17 in (1, 2):  # H18 (monthly rent) only for rented dwellings
        row["H18"] = rent
    return row


_MIGRANT_THEMES = ("no_time", "distrust")
_OLD_THEMES = ("someone_else_decides", "distrust", "not_interested")
_MODES = np.array(["visit", "self"], dtype=object)
_LANGUAGES = np.array(["普通话", "岳阳话"], dtype=object)
# Availability by (workers, old, weekends only) as 4 * workers + 2 * old + weekends only.
_AVAILABILITY = [available(bool(k & 4), bool(k & 2), bool(k & 1)) for k in range(8)]
# Concern themes by the key `_personas` packs them into (at most 2 * 3 * 4 * 6 of them).
_THEMES_OF: dict[int, tuple[str, ...]] = {}


def _personas(g: np.random.Generator, context: Context, n_family: int, second: Bools,
              head_age: Ints,
              head_hukou: Ints, d: dict[str, npt.NDArray[Any]],
              starts: Ints) -> list[Persona]:
    """Personas as `people.make_persona` draws them, for every household of the batch."""
    total = len(head_age)
    hh, age, present = d["hh"], d["age"], d["present"]
    old = head_age >= 60
    migrant = head_hukou >= _HK.OTHER_COUNTY  # another county or pending
    workers = (head_age >= 20) & (head_age < 60)
    weekends_only = workers & (g.random(total) < 0.2)
    cooperativeness = np.minimum(g.beta(5, 2.2, total), 1).round(3).tolist()
    privacy = np.minimum(g.beta(2, np.where(old, 3, 2)), 1).round(3).tolist()
    rolls = g.random(8 * total).reshape(8, total)  # the eight uniform draws below, in order
    modes = _MODES[(context.urban & (head_age < 50) & (rolls[0] < 0.45)).view(np.int8)]
    languages = _LANGUAGES[(old & ~migrant & (rolls[1] < 0.6)).view(np.int8)]
    conceal = (np.bincount(hh, weights=age <= 1, minlength=total) > 0) & (rolls[2] < 0.3)
    tell_away = (np.bincount(hh, weights=~present, minlength=total) > 0) & (rolls[3] < 0.4)
    # Half the households letting rooms keep their lodgers quiet (unregistered letting).
    lodger = d["relation"] == _REL.OTHER
    hide_lodgers = (np.bincount(hh, weights=lodger, minlength=total) > 0) & (
        np.arange(total) < n_family) & (rolls[4] < 0.5)
    # Themes as one number per household, each distinct tuple made once (and kept).
    theme_key = ((conceal | second | hide_lodgers) * 1000
                 + np.where(migrant, 1 + (rolls[5] * 2).astype(np.int64), 0) * 100
                 + np.where(old, 1 + (rolls[6] * 3).astype(np.int64), 0) * 10
                 + (rolls[7] * len(THEMES)).astype(np.int64)).tolist()
    themes_of = _THEMES_OF
    for key in set(theme_key).difference(themes_of):
        fear, migrant_theme, old_theme, any_theme = (key // 1000, key // 100 % 10,
                                                     key // 10 % 10, key % 10)
        themes = ["fear_consequences"] * fear
        themes += [_MIGRANT_THEMES[migrant_theme - 1]] * (migrant_theme > 0)
        themes += [_OLD_THEMES[old_theme - 1]] * (old_theme > 0)
        themes_of[key] = tuple(dict.fromkeys([*themes, THEMES[any_theme]]))
    secrets: list[tuple[Secret, ...]] = [()] * total
    keeping = np.flatnonzero(conceal | tell_away | second | hide_lodgers).tolist()
    if keeping:  # the few households with secrets, in plain Python (lists, not arrays)
        bounds, ages = starts.tolist(), age.tolist()
        presence, lodging = present.tolist(), lodger.tolist()
        flags = zip(conceal[keeping].tolist(), tell_away[keeping].tolist(),
                    second[keeping].tolist(), hide_lodgers[keeping].tolist(), strict=True)
        for position, (infant, away, second_home, lodgers) in zip(keeping, flags, strict=True):
            start, end = bounds[position], bounds[position + 1]
            keys = range(end - start)
            found: list[Secret] = []
            if infant:
                first_infant = next(k for k in keys if ages[start + k] <= 1)
                found.append(Secret("concealed_infant", (first_infant,), 0.7))
            if away:
                found.append(Secret("member_away", tuple(
                    k for k in keys if not presence[start + k]), 0.5))
            if second_home:
                found.append(Secret("second_home", (), 0.6))
            if lodgers:
                found.append(Secret("tenants", tuple(k for k in keys if lodging[start + k]),
                                    0.6))
            secrets[position] = tuple(found)
    pattern = (workers * 4 + old * 2 + weekends_only).tolist()
    return _instances(Persona, total, [
        cooperativeness, privacy, map(themes_of.__getitem__, theme_key),
        map(_AVAILABILITY.__getitem__, pattern), modes.tolist(), languages.tolist(), secrets])
