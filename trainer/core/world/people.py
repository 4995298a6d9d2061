"""Persons, deaths, households and respondent personas: the truth a trainee is graded against.

The data classes live here, with the per-household makers of the rare kinds (shops, no
housing, HMT residents and foreigners, whole-household deaths), each drawn from its own stream.
Family and collective households, nearly every person, are drawn a grid at a time by
`bulk.py` with the same rules. Everything is coded as the R601 short form codes it (see
`codes.py`); consistency rules the generator keeps:
- one head (D2 = 0) first in every family household; relations coded to the head; collective
  households have a head and members coded 9;
- parents at least 15 years older than their children, grandchildren younger than children;
  spouses of the other sex and of the legal age of marriage (`LEGAL_AGE`);
- ID numbers valid, with the sex digit and birth date of the person and the hukou county,
  unique within a grid's family and collective households; none for an unnamed newborn;
- D8 = 5 (户口待定) leaves D9 and D10 blank; D9 = 1 leaves D10 blank; D10 fits the person's
  age and family (`bulk._fitting_reasons`); D11 only from 3 years, a level the age has
  reached (a master's from 22), D12 only from 15 years;
- a death's relation fits the household: a newborn's mother is the head or spouse, a spouse
  who died leaves none living, a parent who died was 17 or more years older than the head;
- H2a counts the persons present on the night of 10-31, H2b the hukou members away, H3 the
  births of the year (including a newborn who died), H4 the deaths of the year.
"""

from __future__ import annotations

import functools
import random
from bisect import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from types import MappingProxyType

from trainer.core.world import idnumber, names, regions
from trainer.core.world.codes import (
    AGE_3_CUTOFF,
    AGE_15_CUTOFF,
    HAN,
    MINORITIES,
    STANDARD_TIME,
    YEAR_START,
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
from trainer.core.world.regions import (
    HUNAN_PLACES,
    OTHER_PROVINCE_PLACES,
    County,
)
from trainer.core.world.rng import stream_seed
from trainer.core.world.spec import Rates

LAST_DAY = STANDARD_TIME - timedelta(days=1)  # 2020-10-31, the census night
_YEAR_START_DAY, _LAST_DAY_DAY = YEAR_START.toordinal(), LAST_DAY.toordinal()
_NAMING_FROM = date(2020, 8, 1)  # born since: maybe not named yet (未取名)
# The rare households' people and the deaths take ID-sequence slots down from here
# (`world_sequence`).
RARE_TOP = 249

# Present family members per household, lodgers aside (2020 shifted towards 1-2 person
# households; with lodgers the mean is 2.76).
FAMILY_SIZE_WEIGHTS = (0.226, 0.285, 0.209, 0.15, 0.075, 0.035, 0.02)

THEMES = ("no_time", "privacy", "distrust", "fear_consequences", "not_interested",
          "someone_else_decides")
SLOTS = ("morning", "afternoon", "evening")
HMT_NATIONALITIES = (("香港", 0.26), ("澳门", 0.04), ("台湾", 0.11), ("韩国", 0.14),
                     ("美国", 0.12), ("日本", 0.08), ("越南", 0.12), ("缅甸", 0.05),
                     ("英国", 0.04), ("德国", 0.04))
HMT_PURPOSES = ("商务", "就业", "学习", "定居", "探亲", "其他")
HMT_DURATIONS = ("不满3个月", "3个月至半年", "半年至1年", "1至2年", "2至5年", "5年以上")
# The longest stay (an index of HMT_DURATIONS) of a child by age 0-5: under a year at 0,
# under two at 1, under five at 2-4; any from 5.
HMT_LONGEST_STAY = (2, 3, 4, 4, 4, 5)


@dataclass(slots=True)
class Person:
    """One person on a household's forms, with every R601 item's true answer."""

    key: int  # position in the household: 0 is the head
    name: str  # D1
    relation: Relation  # D2
    id_number: str  # D3 (18 zeros: no number)
    sex: Sex  # D4
    birth: date  # D5 (the form asks year and month)
    ethnicity: str  # D6
    residence: Residence  # D7
    residence_place: str | None  # D7 = 5: the county where they live
    hukou: Hukou  # D8
    hukou_place: str | None  # D8 = 4: 省/市/县 of the hukou
    time_away: TimeAway | None  # D9
    reason_away: ReasonAway | None  # D10
    education: Education | None  # D11 (3 years and older)
    literate: Literate | None  # D12 (15 years and older)
    present: bool  # lived here on the night of 2020-10-31 (H2a); else a hukou member away (H2b)
    form: Form = Form.SHORT
    nationality: str | None = None  # HMT/foreign form: 香港, 台湾, 韩国 ...
    entry_purpose: str | None = None
    stay_duration: str | None = None
    phone: str | None = None
    marital: int | None = None  # long form: 1 未婚 2 初婚有配偶 3 再婚有配偶 4 离婚 5 丧偶

    @property
    def age(self) -> int:
        """Completed years at the standard time."""
        return age_at(self.birth, STANDARD_TIME)

    @property
    def born_in_year(self) -> bool:
        return born_in_census_year(self.birth)


@dataclass(slots=True)
class Death:
    """A death between 2019-11-01 and 2020-10-31: a row of the 死亡人口调查表."""

    name: str
    sex: Sex
    birth: date
    died: date
    ethnicity: str
    education: Education | None
    relation: Relation
    id_number: str

    @property
    def born_in_year(self) -> bool:
        return born_in_census_year(self.birth)


@dataclass(frozen=True, slots=True)
class Secret:
    """A fact the respondent withholds unless trust reaches `trust` and the trainee probes."""

    kind: str  # concealed_infant, tenants, member_away, second_home, unregistered_worker
    person_keys: tuple[int, ...]
    trust: float


@dataclass(slots=True)
class Persona:
    """How the household's respondent behaves at the door."""

    cooperativeness: float  # 0 hostile .. 1 eager
    privacy_concern: float  # 0 none .. 1 very high
    themes: tuple[str, ...]  # concern themes, most pressing first
    availability: Mapping[int, tuple[str, ...]]  # weekday (0 = Monday) -> slots someone is home
    preferred_mode: str  # "self" (自主填报) or "visit"
    language: str  # 普通话, 岳阳话, or a foreign language
    secrets: tuple[Secret, ...]


@dataclass(slots=True)
class Household:
    """A household (户) with its persons, the deaths of the year and its persona."""

    index: int  # position in the grid; its stream is (seed, grid, "hh", index)
    kind: HouseholdType  # H1
    dwelling: DwellingType  # H5
    persons: list[Person]
    deaths: list[Death] = field(default_factory=list)
    floor_area: int | None = None  # H6 (m², ordinary dwellings only)
    rooms: int | None = None  # H7
    collective_kind: str | None = None  # dormitory, work_shed, care_home
    long_form: bool = False
    long_form_items: dict[str, int] | None = None  # H8-H18 for the 10 % sample
    holds_second_unit: bool = False  # another unit in the grid is its 空房
    found_at_registration: bool = False  # a second household in a unit, unknown at listing
    persona: Persona | None = None

    @property
    def all_died(self) -> bool:
        """A whole-household death (全户死亡户, 户编号 999): no persons, only deaths."""
        return not self.persons and bool(self.deaths)

    @property
    def h2a(self) -> int:
        return sum(1 for person in self.persons if person.present)

    @property
    def h2b(self) -> int:
        return sum(1 for person in self.persons if not person.present)

    def births(self, sex: Sex) -> int:
        """H3 for one sex: persons born in the year, and newborns of the year who died."""
        living = sum(1 for p in self.persons if p.sex == sex and p.born_in_year)
        return living + sum(1 for d in self.deaths if d.sex == sex and d.born_in_year)

    def deaths_of(self, sex: Sex) -> int:
        """H4 for one sex."""
        return sum(1 for death in self.deaths if death.sex == sex)


def born_in_census_year(birth: date) -> bool:
    """Born between 2019-11-01 and 2020-10-31: a birth counted in H3."""
    return YEAR_START <= birth <= LAST_DAY


def age_at(birth: date, when: date) -> int:
    """Completed years on `when`."""
    return when.year - birth.year - ((when.month, when.day) < (birth.month, birth.day))


def birth_for_age(rng: random.Random, age: int) -> date:
    """A birth date that makes the person `age` years old at the standard time."""
    low = date(2019 - age, 11, 1).toordinal()
    high = date(2020 - age, 10, 31).toordinal()
    return date.fromordinal(rng.randint(low, high))


@dataclass(frozen=True, slots=True)
class Place:
    """Where a household's hukou is, as D8 codes it."""

    hukou: Hukou
    area_code: str  # county code for ID numbers
    text: str | None  # 省/市/县 for D8 = 4


@dataclass(slots=True)
class Context:
    """What households of one grid share: the county, the village's urban status, the rates."""

    seed: int
    grid: int
    county: County
    urban: bool
    rates: Rates


def _weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    # The same draw as rng.choices(names, weights), which cumulates the weights just so.
    names, cumulative = _cumulated(options)
    return rng.choices(names, cum_weights=cumulative)[0]


@functools.cache
def _cumulated(options: tuple[tuple[str, float], ...]) -> tuple[tuple[str, ...],
                                                                 tuple[float, ...]]:
    """The names of weighted options and their cumulated weights (made once per table)."""
    return tuple(name for name, _w in options), tuple(accumulate(w for _n, w in options))


# Share of ethnic minorities among residents: Yueyang, 2010 census (0.18 %; the domain file
# has no 2020 figure and no breakdown by group, so `MINORITIES`' weights are assumptions).
MINORITY_SHARE = 0.0018


def ethnicity(rng: random.Random) -> str:
    """汉族 for 99.82 %; otherwise a minority of Hunan."""
    return HAN if rng.random() < 1 - MINORITY_SHARE else _weighted(rng, MINORITIES)


# The legal age of marriage (民法典 art. 1047): men 22, women 20. Spouses are no younger.
LEGAL_AGE: Mapping[Sex, int] = MappingProxyType({Sex.MALE: 22, Sex.FEMALE: 20})
# A master's degree (D11 = 8) is studied for from 22, after four years at university: the
# cohort weights' masters younger than that are at university (D11 = 7).
MASTER_FROM = 22

# D11 weights (codes 1-9) of adults by birth cohort: (last birth year, weights).
EDUCATION_BY_COHORT: tuple[tuple[int, tuple[float, ...]], ...] = (
    (1950, (10, 0, 57, 23, 7, 2, 1, 0, 0)),
    (1965, (3, 0, 39, 41, 13, 2.5, 2, 0, 0)),
    (1980, (1, 0, 20.5, 50, 17, 6, 4.5, 0.5, 0)),
    (1995, (0.2, 0, 8.5, 40, 20.5, 15.5, 14, 1.6, 0.2)),
    (9999, (0.2, 0, 3.5, 26.5, 27.5, 21.5, 19, 2.3, 0)),
)
_EDUCATIONS = tuple(Education)
_EDUCATION_CUMULATIVE = tuple((last, tuple(accumulate(weights)))
                              for last, weights in EDUCATION_BY_COHORT)


def education_for(rng: random.Random, birth: date) -> Education | None:
    """D11 by age and birth cohort; None under 3 (not asked)."""
    if birth > AGE_3_CUTOFF:
        return None
    age = age_at(birth, STANDARD_TIME)
    if age < 6:
        return Education.PRESCHOOL if rng.random() < 0.9 else Education.NONE
    if age < 12:
        return Education.PRIMARY
    if age < 15:
        return Education.JUNIOR
    if age < 18:
        return Education.SENIOR if rng.random() < 0.72 else Education.JUNIOR
    cumulative = next(c for last, c in _EDUCATION_CUMULATIVE if birth.year <= last)
    # rng.choices(_EDUCATIONS, cum_weights=cumulative)[0], spelt out: the same one draw
    # (random() scaled by the float total, bisected below the last index), without its checks.
    level = _EDUCATIONS[bisect(cumulative, rng.random() * (cumulative[-1] + 0.0), 0,
                               len(cumulative) - 1)]
    return min(level, Education.BACHELOR) if age < MASTER_FROM else level


def literate_for(rng: random.Random, birth: date, education: Education | None) -> Literate | None:
    """D12 from 15 years; most who never went to school cannot read."""
    if birth > AGE_15_CUTOFF:
        return None
    if education == Education.NONE:
        return Literate.NO if rng.random() < 0.8 else Literate.YES
    if education == Education.PRIMARY and birth.year < 1960:
        return Literate.NO if rng.random() < 0.03 else Literate.YES
    return Literate.YES


def time_away_for(years: float) -> TimeAway:
    """D9 for a time away in years."""
    limits = ((0.5, TimeAway.UNDER_HALF_YEAR), (1, TimeAway.HALF_TO_ONE_YEAR),
              (2, TimeAway.ONE_TO_TWO_YEARS), (3, TimeAway.TWO_TO_THREE_YEARS),
              (4, TimeAway.THREE_TO_FOUR_YEARS), (5, TimeAway.FOUR_TO_FIVE_YEARS),
              (10, TimeAway.FIVE_TO_TEN_YEARS))
    for limit, code in limits:
        if years < limit:
            return code
    return TimeAway.TEN_YEARS_OR_MORE


def hukou_place(rng: random.Random, context: Context) -> Place:
    """Draw where a family's hukou is, with the rates of the spec."""
    rates, county = context.rates, context.county
    roll = rng.random()
    for name in Rates.RESIDENCE_FIELDS:
        roll -= getattr(rates, name)
        if roll < 0:
            return place_option(county.code, name, rng.randrange(place_options(county, name)))
    return Place(Hukou.THIS_VILLAGE, county.code, None)


_OTHER_PLACE_HUKOU = {"hukou_other_village": Hukou.OTHER_VILLAGE_SAME_TOWNSHIP,
                      "hukou_other_township": Hukou.OTHER_TOWNSHIP_SAME_COUNTY,
                      "hukou_pending": Hukou.PENDING}
_COUNTY_NUMBERS = range(21, 30)  # generic county codes xxxx21-xxxx29
_PREFECTURE_NUMBERS = range(1, 11)  # generic prefecture codes xx01-xx10 outside Hunan


@functools.cache
def _elsewhere(county: County) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The county codes a hukou elsewhere may lie in, as seen from `county`: the other counties
    of its prefecture (those a world of the whole prefecture has: Yueyang's nine, or a generic
    prefecture's listed ones), the counties of the other prefectures of its province (in Hunan
    the real `HUNAN_PLACES`, else generic xx01-xx10 with counties 21-29; none in a
    municipality, whose other counties are then its siblings) and the real places of other
    provinces (`OTHER_PROVINCE_PLACES`)."""
    siblings = tuple(code for code, _weight in regions.counties_of(county.prefecture_code)
                     if code != county.code)
    province = county.code[:2]
    if province == "43":
        in_province = tuple(code for code in HUNAN_PLACES if code[:4] != county.code[:4])
    elif province in regions.MUNICIPALITIES:
        in_province = ()
    else:
        in_province = tuple(f"{province}{n:02d}{m:02d}" for n in _PREFECTURE_NUMBERS
                            for m in _COUNTY_NUMBERS if f"{province}{n:02d}" != county.code[:4])
    provinces = tuple(code for code in OTHER_PROVINCE_PLACES if code[:2] != province)
    return siblings, in_province, provinces


def place_options(county: County, name: str) -> int:
    """How many places one of `Rates.RESIDENCE_FIELDS` offers (all equally likely)."""
    siblings, in_province, provinces = _elsewhere(county)
    if name in _OTHER_PLACE_HUKOU:
        return 1
    if name == "hukou_other_county_in_city":
        return len(siblings)
    if name == "hukou_other_county_in_province":
        return len(in_province) or len(siblings)
    return len(provinces)


@functools.cache
def place_option(county_code: str, name: str, option: int) -> Place:
    """Place number `option` (0 <= option < place_options) for one of the residence fields.

    Numbering the places lets a whole grid draw them as integers at once; a place's county
    follows from the number and its text is the county's full name (one code, one name).
    Cached by the county's code, which hashes faster than the county.
    """
    county = regions.county(county_code)
    if name in _OTHER_PLACE_HUKOU:
        return Place(_OTHER_PLACE_HUKOU[name], county.code, None)
    siblings, in_province, provinces = _elsewhere(county)
    # in a municipality the other counties of the province are those of the city
    if name == "hukou_other_county_in_city" or (
            name == "hukou_other_county_in_province" and not in_province):
        code = siblings[option]
    elif name == "hukou_other_county_in_province":
        code = in_province[option]
    else:
        code = provinces[option]
    return Place(Hukou.OTHER_COUNTY, code, regions.county(code).full_name)


class _Builder:
    """Collects the persons of one household as it is drawn."""

    def __init__(self, rng: random.Random, context: Context, place: Place,
                 years_away: float, reason: ReasonAway) -> None:
        self.rng = rng
        self.context = context
        self.place = place
        self.years_away = years_away
        self.reason = reason
        self.persons: list[Person] = []
        self.family_name = names.surname(rng)

    def add(self, relation: Relation, sex: Sex, age: int, *, surname: str | None = None,
            present: bool = True, residence: Residence = Residence.THIS_AREA,
            place: Place | None = None, reason: ReasonAway | None = None,
            years_away: float | None = None) -> Person:
        rng = self.rng
        birth = birth_for_age(rng, max(age, 0))
        place = place or self.place
        given = names.given_name(rng, sex == Sex.MALE, birth.year)
        name = (surname or self.family_name) + given
        if birth >= _NAMING_FROM and rng.random() < self.context.rates.unnamed_newborn:
            name = names.UNNAMED
            place = Place(Hukou.PENDING, self.context.county.code, None)  # not registered
        no_id = rng.random() < (0.8 if place.hukou == Hukou.PENDING
                                else self.context.rates.no_id_number)
        no_id = no_id or name == names.UNNAMED  # registering the birth takes a name
        number = idnumber.NO_NUMBER
        if not no_id:
            rng.randrange(10**6)  # drew the sequence before `world_sequence`: still drawn
            number = idnumber.make_id(place.area_code, birth, world_sequence(
                self.context, len(self.persons), place, birth, sex))
        if place.hukou == Hukou.PENDING:
            time_away, why = None, None
        elif place.hukou == Hukou.THIS_VILLAGE and residence == Residence.THIS_AREA:
            time_away, why = TimeAway.NOT_AWAY, None
        else:
            away = min(years_away if years_away is not None else self.years_away,
                       age_at(birth, STANDARD_TIME) + 0.4)
            time_away = time_away_for(away)
            why = reason or self.reason
        education = education_for(rng, birth)
        person = Person(
            key=len(self.persons), name=name, relation=relation, id_number=number, sex=sex,
            birth=birth, ethnicity=ethnicity(rng), residence=residence,
            residence_place=None, hukou=place.hukou, hukou_place=place.text,
            time_away=time_away, reason_away=why, education=education,
            literate=literate_for(rng, birth, education), present=present,
        )
        self.persons.append(person)
        return person


def _spouse(rng: random.Random, builder: _Builder, head_sex: Sex, head_age: int) -> None:
    sex = Sex.FEMALE if head_sex == Sex.MALE else Sex.MALE
    gap = round(rng.gauss(2.0, 2.5))
    age = head_age - gap if sex == Sex.FEMALE else head_age + gap
    builder.add(Relation.SPOUSE, sex, max(age, LEGAL_AGE[sex]), surname=names.surname(rng))


def world_sequence(context: Context, nth: int, place: Place, birth: date, sex: Sex) -> int:
    """The ID sequence (`idnumber.world_sequences`) of the `nth` member of a household drawn
    on its own (1 for a death): its slot is 249 - grid for an even `nth`, 499 - grid for an
    odd one, where the grids' own count up from the grid's index (`bulk._sequences`), so the
    two meet only in worlds of more than 125 grids, and then only for people of one area
    code, birth date and sex. Within a grid the rare households' members and the deaths of
    one area code, birth date and sex share these two slots: the later of two takes the next
    free sequence (`bulk._distinct_deaths`, `grid.Grid._build_rare`)."""
    slot = (RARE_TOP - context.grid + 250 * nth) % idnumber.SLOTS
    return idnumber.world_sequence(sequence_key(context.seed), slot, place.area_code, birth,
                                   sex == Sex.MALE)


def death(rng: random.Random, context: Context, place: Place, age: int, relation: Relation,
          newborn: bool = False, sex: Sex | None = None) -> Death:
    """A death of the year at `age` of a member whose hukou was at `place`; of `sex` when
    the relation says it (a spouse), else drawn (the draw is made either way)."""
    died = date.fromordinal(rng.randint(_YEAR_START_DAY, _LAST_DAY_DAY))
    if newborn:
        birth = died - timedelta(days=rng.randint(0, min(20, (died - YEAR_START).days)))
    else:
        birth = date.fromordinal(rng.randint(date(died.year - age - 1, died.month, 1).toordinal(),
                                             date(died.year - age, died.month, 1).toordinal()))
    drawn = Sex.MALE if rng.random() < 0.55 else Sex.FEMALE
    sex = sex or drawn
    name = names.UNNAMED if newborn else names.surname(rng) + names.given_name(
        rng, sex == Sex.MALE, birth.year)
    race = ethnicity(rng)
    education = None if newborn else education_for(rng, birth)
    number = idnumber.NO_NUMBER
    if not newborn:
        rng.randrange(10**6)  # drew the sequence before `world_sequence`: still drawn
        number = idnumber.make_id(place.area_code, birth,
                                  world_sequence(context, 1, place, birth, sex))
    return Death(name=name, sex=sex, birth=birth, died=died, ethnicity=race,
                 education=education, relation=relation, id_number=number)


def _housing(rng: random.Random, household: Household, urban: bool) -> None:
    size = max(household.h2a, 1)
    per_person = rng.uniform(28, 45) if urban else rng.uniform(40, 70)
    household.floor_area = round(size * per_person + rng.uniform(10, 30))
    household.rooms = max(1, min(size + rng.randint(0, 2), 9))


def make_all_died_household(context: Context, index: int) -> Household:
    """A whole-household death: the elderly people who lived here all died in the year."""
    rng = random.Random(_household_seed(context, index))
    builder = _Builder(rng, context, Place(Hukou.THIS_VILLAGE, context.county.code, None),
                       0, ReasonAway.OTHER)
    count = 1 if rng.random() < 0.8 else 2
    head = death(rng, context, builder.place, rng.randint(72, 98), Relation.HEAD)
    deaths = [head]
    if count == 2:  # a couple: the spouse of the other sex, within 8 years of the head
        age = min(age_at(head.birth, head.died) + rng.randint(-8, 8), 100)
        deaths.append(death(rng, context, builder.place, age, Relation.SPOUSE,
                            sex=Sex.FEMALE if head.sex == Sex.MALE else Sex.MALE))
    return Household(index=index, kind=HouseholdType.FAMILY, dwelling=DwellingType.ORDINARY,
                     persons=[], deaths=deaths)


COLLECTIVE_KINDS = {
    # kind: (age range, share male, hukou draw: probability the members are from elsewhere)
    "dormitory": ((18, 45), 0.55, 0.85),
    "work_shed": ((19, 60), 0.85, 0.95),
    "care_home": ((65, 98), 0.42, 0.10),
}


def make_shop_household(context: Context, index: int) -> Household:
    """People living in the shop where they work (工作地住所): often from elsewhere."""
    rng = random.Random(_household_seed(context, index))
    place = hukou_place(rng, context)
    builder = _Builder(rng, context, place, rng.uniform(0.3, 8), ReasonAway.WORK)
    age = rng.randint(22, 55)
    head_sex = Sex.MALE if rng.random() < 0.6 else Sex.FEMALE
    builder.add(Relation.HEAD, head_sex, age)
    if rng.random() < 0.5:
        _spouse(rng, builder, head_sex, age)
    household = Household(index=index, kind=HouseholdType.FAMILY,
                          dwelling=DwellingType.WORKPLACE, persons=builder.persons)
    household.persons[0].phone = names.phone(rng)
    household.persona = make_persona(rng, household, context)
    return household


def make_no_housing_household(context: Context, index: int) -> Household:
    """A person with no housing (无住房), enumerated where found on the census night."""
    rng = random.Random(_household_seed(context, index))
    builder = _Builder(rng, context, hukou_place(rng, context), rng.uniform(0.5, 10),
                       ReasonAway.OTHER)
    builder.add(Relation.HEAD, Sex.MALE if rng.random() < 0.8 else Sex.FEMALE,
                rng.randint(30, 75))
    household = Household(index=index, kind=HouseholdType.FAMILY, dwelling=DwellingType.NONE,
                          persons=builder.persons)
    household.persona = make_persona(rng, household, context)
    return household


def make_hmt_foreign_household(context: Context, index: int) -> Household:
    """Hong Kong, Macao or Taiwan residents or foreigners: enumerated on their own form."""
    rng = random.Random(_household_seed(context, index))
    nationality = _weighted(rng, HMT_NATIONALITIES)
    purpose = rng.choices(HMT_PURPOSES, (30, 35, 15, 8, 7, 5))[0]
    duration = rng.choices(HMT_DURATIONS, (5, 8, 17, 25, 28, 17))[0]
    persons: list[Person] = []
    father = ""  # the family name the child takes (none for a Burmese name)
    for key in range(1 if rng.random() < 0.6 else rng.randint(2, 3)):
        sex = Sex.MALE if rng.random() < 0.55 else Sex.FEMALE
        if key == 0:
            age = rng.randint(24, 60)
        elif key == 1:  # the spouse: of the other sex, within 8 years, of the legal age
            sex = Sex.FEMALE if persons[0].sex == Sex.MALE else Sex.MALE
            age = max(persons[0].age + rng.randint(-8, 8), LEGAL_AGE[sex])
        else:  # their child, 20 or more years younger than both
            age = rng.randint(0, max(0, min(17, min(p.age for p in persons) - 20)))
        birth = birth_for_age(rng, age)
        prefix = {"香港": "H", "澳门": "M", "台湾": "T"}.get(nationality, "E")
        family = father if key >= 2 else None
        if nationality in ("香港", "澳门", "台湾"):
            family = family or names.surname(rng)
            name = family + names.given_name(rng, sex == Sex.MALE, birth.year)
        else:
            name, family = names.foreign_name(rng, nationality, sex == Sex.MALE, family)
        if key < 2 and sex == Sex.MALE:
            father = family
        # A child came with the family: to go to school here, or for no purpose of its own;
        # and has lived here no longer than it has lived (born here, or come with them).
        came_for = purpose if key < 2 or purpose not in ("商务", "就业") else (
            "学习" if age >= 6 else "其他")
        stay = duration if key < 2 else HMT_DURATIONS[min(
            HMT_DURATIONS.index(duration), HMT_LONGEST_STAY[min(age, 5)])]
        persons.append(Person(
            key=key, name=name,
            relation=(Relation.HEAD, Relation.SPOUSE, Relation.CHILD)[min(key, 2)],
            id_number=f"{prefix}{rng.randrange(10**8):08d}", sex=sex, birth=birth,
            ethnicity="", residence=Residence.THIS_AREA, residence_place=None,
            hukou=Hukou.PENDING, hukou_place=None, time_away=None, reason_away=None,
            education=None, literate=None, present=True, form=Form.HMT_FOREIGN,
            nationality=nationality, entry_purpose=came_for, stay_duration=stay,
        ))
    household = Household(index=index, kind=HouseholdType.FAMILY,
                          dwelling=DwellingType.ORDINARY, persons=persons)
    _housing(rng, household, context.urban)
    household.persona = make_persona(rng, household, context)
    household.persona.language = {"香港": "粤语", "澳门": "粤语", "台湾": "普通话",
                                  "韩国": "한국어", "日本": "日本語", "越南": "Tiếng Việt"}.get(
        nationality, "English")
    return household


def make_persona(rng: random.Random, household: Household, context: Context) -> Persona:
    """The respondent's manner, concerns, availability and secrets, from the household."""
    head = household.persons[0] if household.persons else None
    old = head is not None and head.age >= 60
    migrant = head is not None and head.hukou in (Hukou.OTHER_COUNTY, Hukou.PENDING)
    secrets: list[Secret] = []
    themes: list[str] = []
    infants = [p.key for p in household.persons if p.age <= 1]
    if infants and rng.random() < 0.3:
        secrets.append(Secret("concealed_infant", tuple(infants[:1]), 0.7))
        themes.append("fear_consequences")
    away = [p.key for p in household.persons if not p.present]
    if away and rng.random() < 0.4:
        secrets.append(Secret("member_away", tuple(away), 0.5))
    if household.holds_second_unit:
        secrets.append(Secret("second_home", (), 0.6))
        themes.append("fear_consequences")
    if migrant:
        themes.append(rng.choice(("no_time", "distrust")))
    if old:
        themes.append(rng.choice(("someone_else_decides", "distrust", "not_interested")))
    themes.append(rng.choice(THEMES))
    ordered = tuple(dict.fromkeys(themes))
    workers = head is not None and 20 <= head.age < 60
    availability = available(workers, old, workers and rng.random() < 0.2)
    young_urban = context.urban and head is not None and head.age < 50
    return Persona(
        cooperativeness=round(min(1.0, max(0.0, rng.betavariate(5, 2.2))), 3),
        privacy_concern=round(min(1.0, max(0.0, rng.betavariate(2, 3 if old else 2))), 3),
        themes=ordered,
        availability=availability,
        preferred_mode="self" if young_urban and rng.random() < 0.45 else "visit",
        language="岳阳话" if old and not migrant and rng.random() < 0.6 else "普通话",
        secrets=tuple(secrets),
    )


@functools.cache
def available(workers: bool, old: bool, weekends_only: bool) -> Mapping[int, tuple[str, ...]]:
    """Weekday (0 = Monday) -> the slots someone is home: workers in the evening, the old all
    day, some workers only at weekends. Read-only, so that households share the few patterns."""
    if weekends_only:
        return MappingProxyType({day: (("afternoon", "evening") if day >= 5 else ())
                                 for day in range(7)})
    return MappingProxyType({day: (("evening",) if workers and day < 5 else SLOTS
                                   if day >= 5 or old else ("morning", "evening"))
                             for day in range(7)})


@functools.lru_cache(maxsize=64)
def sequence_key(seed: int) -> int:
    """The key of a world's ID sequences (`idnumber.world_sequences`)."""
    return stream_seed(seed, "id-sequences")


def _household_seed(context: Context, index: int) -> int:
    return stream_seed(context.seed, "grid", context.grid, "hh", index)
