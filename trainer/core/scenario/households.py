"""The true households of a scenario: written out in the file, or picked from a generated world.

A written-out household fills in what the author left out the way the generator would (ID
numbers from the county, birth date and sex; D9/D10 from the hukou code; D11/D12 by age),
drawing from the scenario's own stream so the same file and seed give the same truth.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from trainer.core.census import long_form
from trainer.core.errors import InvalidInput
from trainer.core.i18n import N_
from trainer.core.scenario.model import HouseholdSpec, Scenario
from trainer.core.world import export, idnumber, people, regions
from trainer.core.world.codes import (
    ALL_DIED_HOUSEHOLD_NUMBER,
    HAN,
    DwellingType,
    Education,
    Form,
    HouseholdType,
    Hukou,
    ReasonAway,
    Relation,
    Residence,
    Sex,
    TimeAway,
)
from trainer.core.world.grid import make_grid, village_of
from trainer.core.world.rng import stream
from trainer.core.world.spec import WorldSpec


@dataclass(frozen=True, slots=True)
class TruthHousehold:
    """One unit to visit and who really lives there (None for a vacant unit)."""

    id: str
    kind: str  # family, collective, vacant, all_died, hmt_foreign
    household: people.Household | None
    building: int = 1
    unit: int = 1
    street: str = ""
    number: int = 1  # 户编号 in its enumeration area
    stairwell: int = 0  # a world's flat: its 单元 and 室号 (2单元502室); 0: the unit is the door
    door: int = 0


_BUILT: OrderedDict[tuple[int, int], tuple[Scenario, dict[str, TruthHousehold]]] = (
    OrderedDict())
_BUILT_LOCK = threading.Lock()
BUILT_KEPT = 256  # (scenario, seed) truths kept: an exam's fixed seed is replayed by everyone


def world_spec(scenario: Scenario) -> WorldSpec:
    """The spec of the world the scenario's households are picked from (the default world
    when the file gives none)."""
    return WorldSpec.from_dict(dict(scenario.world_spec)) if scenario.world_spec else WorldSpec()


def build(scenario: Scenario, seed: int) -> dict[str, TruthHousehold]:
    """Every household of the scenario, keyed by its id. A pure function of the scenario and
    the seed, so the last ones built are kept (the households are never changed by anyone)."""
    key = (id(scenario), seed)
    with _BUILT_LOCK:
        kept = _BUILT.get(key)
        if kept is not None and kept[0] is scenario:
            _BUILT.move_to_end(key)
            return dict(kept[1])
    spec = world_spec(scenario)
    county = _home_county(scenario, spec, seed)
    truths = {h.id: (_picked(h, spec, seed) if h.pick is not None
                     else _written(h, seed, county))
              for h in scenario.households}
    _distinct_numbers(scenario, truths)
    with _BUILT_LOCK:
        _BUILT[key] = (scenario, truths)  # the scenario is held, so its id stays its own
        while len(_BUILT) > BUILT_KEPT:
            _BUILT.popitem(last=False)
    return dict(truths)


def _distinct_numbers(scenario: Scenario, truths: Mapping[str, TruthHousehold]) -> None:
    """ID numbers each one person's across the scenario's households (the grading matches
    persons by D3): a drawn number (of a written person or death that has none of its own)
    that someone already has takes the next free sequence of the sex (`idnumber.free_number`),
    as in a world's grid. Written numbers are distinct (the static checks refuse others,
    `checks._id_numbers`) and a picked household's come from its world."""
    drawn: list[people.Person | people.Death] = []
    taken: set[str] = set()
    for spec_h in scenario.households:
        household = truths[spec_h.id].household
        if household is None:
            continue
        if spec_h.pick is not None:  # a world's household: its numbers are its own
            taken.update(p.id_number for p in household.persons)
            taken.update(d.id_number for d in household.deaths)
            continue
        written = (spec_h.explicit or {}).get("persons", ())
        for person, raw in zip(household.persons, written, strict=True):
            if "id_number" in raw or raw.get("form") == "hmt_foreign":
                taken.add(person.id_number)
            else:
                drawn.append(person)
        drawn.extend(household.deaths)
    for one in drawn:
        one.id_number = idnumber.free_number(one.id_number, taken)


def fingerprint(scenario: Scenario, seed: int) -> str:
    """A digest of the scenario's truth for `seed`: every field of every true household that
    does not hold its default (so that adding a field with a default to a truth class leaves
    the digests as they were) and, when the trainee draws a small-area map, the world's grid
    it is drawn of (`export.fingerprint`: its layers and persons, which the map is graded
    against). An attempt keeps the digest it began with, and each grade the one it was
    graded on (`Attempt.truth_fingerprint`, `Grade.truth_fingerprint`): a later version of
    the generator (or of a library it draws with) that draws the truth otherwise gives
    another digest, and the attempt's pages say so (`fieldwork.truth`).
    tests/core/test_scenario_files.py pins the library's digests."""
    truths = build(scenario, seed)
    parts: list[Any] = [_plain(truths[key]) for key in sorted(truths)]
    drawn = scenario.assignment.map
    if drawn is not None:
        parts.append({"map_grid": export.fingerprint(
            make_grid(world_spec(scenario), seed, drawn.grid))})
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _plain(value: Any) -> Any:
    """A JSON-ready form of a household's truth that is the same for equal truths (names of
    classes left out, fields at their defaults left out)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if not _at_default(f, getattr(value, f.name))}
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return float.__repr__(value)  # a subclass's repr (numpy's) would name its type
    if isinstance(value, Mapping):
        return sorted([_plain(k), _plain(v)] for k, v in value.items())
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted(json.dumps(_plain(item), sort_keys=True) for item in value)
    return value


def _at_default(field: dataclasses.Field[Any], value: Any) -> bool:
    if field.default is not dataclasses.MISSING:
        return bool(value == field.default)
    if field.default_factory is not dataclasses.MISSING:
        return bool(value == field.default_factory())
    return False


def written_address(spec_h: HouseholdSpec) -> tuple[str, int, int]:
    """A written-out household's street, building and unit (building 1, unit 1 unless said)."""
    address = (spec_h.explicit or {}).get("address", {})
    return (str(address.get("street", "")), int(address.get("building", 1)),
            int(address.get("unit", 1)))


def _home_county(scenario: Scenario, spec: WorldSpec, seed: int) -> str:
    """The county whose area code written-out residents' ID numbers carry: the region's own,
    or in a prefecture's world the county of the first household picked from a grid (else
    the prefecture's first county, `regions.home_county`)."""
    if not regions.is_prefecture_code(spec.region):
        return spec.region
    for spec_h in scenario.households:
        if spec_h.pick is not None:
            return village_of(spec, seed, int(spec_h.pick.get("grid", 0)))[0].code[:6]
    return regions.home_county(spec.region)


def _written(spec_h: HouseholdSpec, seed: int, county: str) -> TruthHousehold:
    raw: Mapping[str, Any] = spec_h.explicit or {}
    kind = raw.get("kind", "family")
    street, building, unit = written_address(spec_h)
    if kind == "vacant":
        return TruthHousehold(spec_h.id, kind, None, building, unit, street)
    rng = stream(seed, "scenario-household", spec_h.id)
    persons = [_person(rng, index, p, county) for index, p in enumerate(raw.get("persons", ()))]
    deaths = [_death(rng, d, county) for d in raw.get("deaths", ())]
    household_kind = HouseholdType.COLLECTIVE if kind == "collective" else HouseholdType.FAMILY
    dwelling = DwellingType(raw.get("dwelling", 2 if kind == "collective" else 1))
    household = people.Household(index=0, kind=household_kind, dwelling=dwelling,
                                 persons=persons, deaths=deaths)
    if dwelling == DwellingType.ORDINARY and persons:
        household.floor_area = 40 + 25 * len(persons)
        household.rooms = max(1, min(6, len(persons)))
    if raw.get("long_form") and persons and dwelling == DwellingType.ORDINARY:
        # sampled for the long form: true, or the housing items that differ from a typical flat
        household.long_form = True
        household.long_form_items = long_form.written(
            raw["long_form"] if isinstance(raw["long_form"], Mapping) else None)
    if any(p.form == Form.HMT_FOREIGN for p in persons):
        kind = "hmt_foreign"
    number = ALL_DIED_HOUSEHOLD_NUMBER if household.all_died else 1
    return TruthHousehold(spec_h.id, kind, household, building, unit, street, number)


def _person(rng: Any, key: int, raw: Mapping[str, Any], region: str) -> people.Person:
    birth = date.fromisoformat(raw["birth"])
    sex = Sex(raw["sex"])
    hukou = Hukou(raw.get("hukou", 1))
    foreign = raw.get("form") == "hmt_foreign"
    number = raw.get("id_number")
    if number is None:
        number = ("0" * 18 if foreign else
                  idnumber.make_id(region, birth, idnumber.sequence_for(int(sex),
                                                                        rng.randrange(500))))
    time_away = reason = None
    if hukou == Hukou.THIS_VILLAGE:
        time_away = TimeAway(raw.get("time_away", 1))
    elif hukou != Hukou.PENDING:
        time_away = TimeAway(raw.get("time_away", 4))
    if time_away is not None and time_away != TimeAway.NOT_AWAY:
        reason = ReasonAway(raw.get("reason_away", 1))
    education = people.education_for(rng, birth)
    if "education" in raw and education is not None:
        education = Education(raw["education"])
    return people.Person(
        key=key, name=raw["name"], relation=Relation(raw["relation"]), id_number=number,
        sex=sex, birth=birth, ethnicity=raw.get("ethnicity", HAN),
        residence=Residence(raw.get("residence", 1 if raw.get("present", True) else 5)),
        residence_place=raw.get("residence_place"), hukou=hukou,
        hukou_place=raw.get("hukou_place"), time_away=time_away, reason_away=reason,
        education=education, literate=people.literate_for(rng, birth, education),
        present=raw.get("present", True),
        form=Form.HMT_FOREIGN if foreign else Form.SHORT,
        nationality=raw.get("nationality"), entry_purpose=raw.get("entry_purpose"),
        stay_duration=raw.get("stay_duration"))


def _death(rng: Any, raw: Mapping[str, Any], region: str) -> people.Death:
    """A written death; its ethnicity (汉族 unless written) and education (drawn unless
    written: the draw is made either way, so writing it changes no other draw)."""
    birth = date.fromisoformat(raw["birth"])
    sex = Sex(raw["sex"])
    education = people.education_for(rng, birth)
    if "education" in raw and education is not None:
        education = Education(raw["education"])
    return people.Death(
        name=raw["name"], sex=sex, birth=birth, died=date.fromisoformat(raw["died"]),
        ethnicity=raw.get("ethnicity", HAN), education=education,
        relation=Relation(raw["relation"]),
        id_number=idnumber.make_id(region, birth, idnumber.sequence_for(int(sex),
                                                                        rng.randrange(500))))


def _picked(spec_h: HouseholdSpec, world: WorldSpec, seed: int) -> TruthHousehold:
    """The first household of the grid that matches the pick, in the grid's own order (only
    in the pick's `area`, and only the one with the pick's 户编号 `number`, when given)."""
    pick = spec_h.pick or {}
    grid = make_grid(world, seed, int(pick.get("grid", 0)))
    areas = (grid.areas if pick.get("area") is None
             else grid.areas[int(pick["area"]):int(pick["area"]) + 1])
    for area in areas:
        for number, household in grid.area_households(area):
            if _matches(household, pick) and pick.get("number") in (None, number):
                kind = ("all_died" if household.all_died else
                        "hmt_foreign" if any(p.form == Form.HMT_FOREIGN
                                             for p in household.persons) else
                        "collective" if household.kind == HouseholdType.COLLECTIVE else "family")
                plan = grid.plans[household.index]  # its unit and building in the world
                if plan.unit is None:  # no housing: listed in its area, no unit of its own
                    return TruthHousehold(spec_h.id, kind, household, number=number)
                unit = grid.units[plan.unit]
                return TruthHousehold(spec_h.id, kind, household,
                                      grid.buildings[unit.building].number, unit.number,
                                      number=number, stairwell=unit.stairwell, door=unit.door)
    raise InvalidInput(N_("No household of grid %(grid)s matches the pick of '%(id)s'."),
                       field="world", grid=pick.get("grid", 0), id=spec_h.id)


def _matches(household: people.Household, pick: Mapping[str, Any]) -> bool:
    if len(household.persons) < int(pick.get("min_persons", 0)):
        return False
    secret = pick.get("secret")
    if secret and not (household.persona and any(s.kind == secret
                                                  for s in household.persona.secrets)):
        return False
    kind = pick.get("kind")
    if kind == "all_died":
        return household.all_died
    if kind == "hmt_foreign":
        return any(p.form == Form.HMT_FOREIGN for p in household.persons)
    if kind == "collective":
        return household.kind == HouseholdType.COLLECTIVE
    if kind == "family":
        return household.kind == HouseholdType.FAMILY and bool(household.persons)
    return True
