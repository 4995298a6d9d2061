"""The synthetic world: codes, geometry, households and determinism, for many seeds."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon
from shapely.ops import unary_union

from tests.core.test_world_digest import grid_digest_parts
from trainer.core.errors import InvalidInput
from trainer.core.world import bulk, idnumber, names, people, regions
from trainer.core.world.codes import (
    AGE_3_CUTOFF,
    AGE_15_CUTOFF,
    ALL_DIED_HOUSEHOLD_NUMBER,
    DwellingType,
    Form,
    HouseholdType,
    Hukou,
    ReasonAway,
    Relation,
    Residence,
    Sex,
    TimeAway,
    UnitStatus,
)
from trainer.core.world.export import grid_geojson, persons_csv
from trainer.core.world.grid import make_grid, neighbour_boundary, village_of
from trainer.core.world.regions import YUEYANG_COUNTIES
from trainer.core.world.spec import GRIDS_PER_VILLAGE, Rates, WorldSpec

SMALL = WorldSpec(households_min=300, households_max=340)
seeds = st.integers(min_value=0, max_value=2**32)
grid_indexes = st.integers(min_value=0, max_value=40)
fast = settings(max_examples=12, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def short_form_persons(grid):
    for household in grid.households():
        for person in household.persons:
            if person.form == Form.SHORT:
                yield household, person


@fast
@given(seed=seeds, index=grid_indexes)
def test_id_numbers_are_valid_and_match_sex_and_birth(seed, index):
    grid = make_grid(SMALL, seed, index)
    checked = 0
    for _household, person in short_form_persons(grid):
        if person.id_number == idnumber.NO_NUMBER:
            continue
        parsed = idnumber.parse(person.id_number)
        assert parsed is not None, person.id_number
        assert parsed.sex == person.sex and parsed.birth == person.birth
        assert person.birth < date(2020, 11, 1)
        checked += 1
    assert checked > 500


@fast
@given(seed=seeds, index=grid_indexes)
def test_every_unit_lies_in_exactly_one_area_and_numbers_run_from_one(seed, index):
    grid = make_grid(SMALL, seed, index)
    listed = [b for area in grid.areas for b in area.buildings]
    assert sorted(listed) == list(range(len(grid.buildings)))
    for area in grid.areas:
        numbers = [grid.buildings[b].number for b in area.buildings]
        assert numbers == list(range(1, len(numbers) + 1))
        units = [u.number for b in area.buildings for u in grid.buildings[b].units]
        assert units == list(range(1, len(units) + 1))
        assert len(units) == area.unit_count
        household_numbers = sorted(n for n in area.household_numbers.values() if n != 999)
        assert household_numbers == list(range(1, len(household_numbers) + 1))
    planned = {index for area in grid.areas for index in area.household_numbers}
    assert planned == set(range(len(grid.plans)))


@fast
@given(seed=seeds, index=grid_indexes)
def test_blocks_of_flats_have_stairwells_and_every_flat_a_door_of_its_floor(seed, index):
    grid = make_grid(WorldSpec(urban_share=1.0), seed, index)
    blocks = [b for b in grid.buildings if b.kind in ("multistorey", "highrise")]
    assert blocks
    for building in grid.buildings:
        flats = [unit for unit in building.units if not unit.shop]
        if building not in blocks:  # houses, collective buildings: the building is the door
            assert building.stairwells == 0
            assert all(unit.stairwell == 0 and unit.door == 0 for unit in building.units)
            continue
        assert 1 <= building.stairwells <= (3 if building.kind == "multistorey" else 1)
        assert {unit.stairwell for unit in flats} == set(range(1, building.stairwells + 1))
        for unit in flats:
            assert unit.door // 100 == unit.floor and 1 <= unit.floor <= building.floors
            assert 1 <= unit.door % 100 <= 4
        doors = [(unit.stairwell, unit.door) for unit in flats]
        assert len(set(doors)) == len(doors)  # no two flats share a door
        # Listed (and numbered) stairwell by stairwell, each from the ground floor up, with
        # the shops on the street first.
        assert doors == sorted(doors)
        numbers = [unit.number for unit in building.units]
        assert numbers == sorted(numbers)
        assert all(unit.floor == 0 and unit.door == 0 for unit in building.units if unit.shop)
        landing = {(unit.stairwell, unit.floor) for unit in flats}
        for stairwell, floor in landing:  # a landing's flats: 01, 02, ... without gaps
            places = sorted(unit.door % 100 for unit in flats
                            if (unit.stairwell, unit.floor) == (stairwell, floor))
            assert places == list(range(1, len(places) + 1))


@fast
@given(seed=seeds, index=grid_indexes)
def test_areas_are_closed_contiguous_disjoint_cover_the_grid_and_keep_buildings_whole(
        seed, index):
    grid = make_grid(SMALL, seed, index)
    polygons = [Polygon(area.outline) for area in grid.areas]
    for polygon in polygons:
        assert polygon.is_valid and polygon.geom_type == "Polygon" and polygon.area > 0
    for first in range(len(polygons)):
        for second in range(first + 1, len(polygons)):
            assert polygons[first].intersection(polygons[second]).area == pytest.approx(0)
    width, height = grid.size
    assert unary_union(polygons).area == pytest.approx(width * height)
    for building in grid.buildings:
        footprint = Polygon(building.footprint)
        assert polygons[building.area].contains(footprint)
    if sum(area.unit_count for area in grid.areas) > SMALL.area_max_units:
        for area in grid.areas:
            assert SMALL.area_min_units <= area.unit_count <= SMALL.area_max_units


BIRTH_RATES = st.sampled_from([0.0, Rates().births, 0.03])  # none, Hunan 2020's, 3x that


@fast
@given(seed=seeds, index=grid_indexes, births=BIRTH_RATES)
def test_family_structure_is_consistent(seed, index, births):
    grid = make_grid(replace(SMALL, rates=Rates(births=births)), seed, index)
    for household in grid.households():
        persons = household.persons
        if not persons:
            assert household.all_died
            continue
        relations = [p.relation for p in persons]
        assert relations[0] == Relation.HEAD and relations.count(Relation.HEAD) == 1
        if household.kind == HouseholdType.COLLECTIVE:
            assert set(relations[1:]) <= {Relation.OTHER}
            continue
        head = persons[0]
        assert relations.count(Relation.SPOUSE) <= 1
        # The head's children have the head and the spouse (if any) as parents; the
        # grandchildren have the head's child and its spouse (媳婿).
        parents = [p for p in persons if p.relation in (Relation.HEAD, Relation.SPOUSE)]
        children = [p for p in persons if p.relation == Relation.CHILD]
        children_parents = children + [p for p in persons
                                       if p.relation == Relation.CHILD_IN_LAW]
        for person in persons[1:]:
            if person.relation == Relation.CHILD:
                for parent in parents:
                    assert parent.age - person.age >= 15, (parent, person)
            if person.relation in (Relation.PARENT, Relation.PARENT_IN_LAW):
                assert person.age - head.age >= 15
            if person.relation == Relation.GRANDCHILD:
                assert children and all(child.age > person.age for child in children)
                for parent in children_parents:
                    assert parent.age - person.age >= 15, (parent, person)
            if person.relation == Relation.SPOUSE:
                assert person.sex != head.sex and person.age >= 20


def batch_births(grid):
    """(newborns, residents) of the grid's family and collective households, whose
    births follow `Rates.births` (the rare kinds are drawn apart and left out)."""
    households = [h for h, plan in zip(grid.households(), grid.plans, strict=True)
                  if plan.kind in ("family", "second", "collective")]
    present = [p for h in households for p in h.persons if p.present]
    return sum(p.born_in_year for p in present), len(present)


@fast
@given(seed=seeds, index=grid_indexes, births=st.floats(min_value=0.0, max_value=0.0125))
def test_births_follow_their_rate(seed, index, births):
    """Up to the rate the children's ages give by themselves (about 17 per 1,000), the
    grid's newborns are its residents times the rate, rounded either way."""
    born, residents = batch_births(make_grid(replace(SMALL, rates=Rates(births=births)),
                                             seed, index))
    assert abs(born - births * residents) < 1


@fast
@given(seed=seeds, index=grid_indexes)
def test_a_rate_above_what_the_ages_give_makes_young_children_newborns(seed, index):
    def born(rate):
        return batch_births(make_grid(replace(SMALL, rates=Rates(births=rate)), seed,
                                      index))[0]
    natural, many = born(1.0), born(0.03)  # 1.0: every young child that may be a newborn
    assert born(0.0125) < many <= natural
    assert many >= 0.025 * batch_births(make_grid(SMALL, seed, index))[1]


@settings(max_examples=60, deadline=None)
@given(seed=seeds, rate=st.floats(min_value=0.0, max_value=0.05), urban=st.booleans())
def test_births_change_only_childrens_ages_and_keep_them_within_their_parents_bounds(
        seed, rate, urban):
    """`bulk._births` on drafted families: the children it moves stay within the bounds
    `_child_ages` draws from (the parent 23-34 at the birth, the younger parent at least 18),
    and nothing else changes."""
    rates = Rates(births=rate)
    context = people.Context(seed, 0, regions.county("430602"), urban, rates)
    drafts = bulk._Drafts()
    count = 300
    bulk._families(np.random.default_rng(seed), bulk._Places(context), rates, count, urban,
                   drafts)
    d = drafts.stack()
    before = {name: column.copy() for name, column in d.items()}
    bulk._births(np.random.default_rng(seed + 1), d, count, rate)
    assert all(np.array_equal(d[name], before[name]) for name in d if name != "age")
    hh, rank, age = before["hh"], before["rank"], before["age"]

    def of_rank(number):
        rows = zip(hh.tolist(), rank.tolist(), age.tolist(), strict=True)
        return {h: a for h, r, a in rows if r == number}

    head, spouse, middle, in_law = of_rank(0), of_rank(1), of_rank(2), of_rank(3)
    moved = np.flatnonzero(d["age"] != age)
    for i in moved.tolist():
        h = int(hh[i])
        assert rank[i] in (2, 4) and d["relation"][i] in (Relation.CHILD, Relation.GRANDCHILD)
        parent = middle[h] if rank[i] == 4 else head[h]
        other = in_law.get(h) if rank[i] == 4 else spouse.get(h)
        younger = min(parent, other) if other is not None else parent
        high = min(max(0, parent - 23), max(0, younger - 18))
        low = min(max(0, parent - 34), high)
        assert low <= d["age"][i] <= high, (parent, younger, age[i], d["age"][i])
    present = int(np.count_nonzero(d["present"]))
    born = int(np.count_nonzero((d["age"] == 0) & (rank != 7) & (rank != 8)))
    if moved.size and (d["age"][moved] == 0).all():  # raised: up to the rate, not past it
        assert born < rate * present + 1
    elif moved.size:  # lowered to the rate
        assert abs(born - rate * present) < 1


ages = st.integers(min_value=0, max_value=110)


@settings(max_examples=200, deadline=None)
@given(parents=st.lists(st.tuples(ages, ages), max_size=30), seed=seeds)
def test_child_ages_are_drawn_uniformly_within_both_parents_bounds(parents, seed):
    """A child's age is one uniform draw within the range both rules leave: the parent 23-34
    at the birth, the younger parent at least 18 (low = parent - 34, high = the smaller of
    parent - 23 and younger - 18, none below 0; high alone where low > high). The age is
    not drawn from the parent's range and then capped, which piled the children of a family
    with a much younger spouse up at one age."""
    parent_age = np.array([p for p, _ in parents], dtype=np.int64)
    younger = np.array([y for _, y in parents], dtype=np.int64)
    generator = np.random.default_rng(seed)
    twin = np.random.default_rng(seed)
    age = bulk._child_ages(generator, parent_age, younger)
    high = np.minimum(np.maximum(0, parent_age - 23), np.maximum(0, younger - 18))
    low = np.minimum(np.maximum(0, parent_age - 34), high)
    assert ((low <= age) & (age <= high)).all()
    # Parents of 18 or more are at least 18 years older than the child.
    assert (age[younger >= 18] <= younger[younger >= 18] - 18).all()
    # Exactly one draw per child, mapped onto [low, high] in equal parts: the generator ends
    # where one `random(size)` leaves it, so the draws after it are the same as before.
    rolls = twin.random(len(parents))
    assert age.tolist() == (low + (rolls * (high - low + 1)).astype(np.int64)).tolist()
    assert generator.random() == twin.random()


def test_children_of_a_much_younger_spouse_do_not_pile_up_at_one_age():
    """When the spouse is 6 or more years younger than the head, the children's range is
    narrowed at its top to 18 years below the spouse: the share of children at that top is
    what a uniform draw gives (1 / the range's width), not about twice that (a capped draw
    put every draw above the top on it: 117 children at the top where 53.1 were expected on
    these grids; 55 drawn within the range)."""
    at_top = 0
    expected = 0.0
    for seed in (0, 1, 2, 3):
        for index in range(12):
            for household in make_grid(SMALL, seed, index).households():
                persons = household.persons
                relations = {p.relation for p in persons}
                # Two-generation families on the short form (a three-generation family's
                # child and the HMT form's children are drawn by other rules).
                if (Relation.SPOUSE not in relations or Relation.CHILD_IN_LAW in relations
                        or persons[0].form != Form.SHORT):
                    continue
                head = persons[0]
                spouse = next(p for p in persons if p.relation == Relation.SPOUSE)
                if head.age - spouse.age < 6:
                    continue
                high = min(max(0, head.age - 23), max(0, spouse.age - 18))
                low = min(max(0, head.age - 34), high)
                for child in persons:
                    if child.relation == Relation.CHILD and child.present:
                        at_top += child.age == high
                        expected += 1 / (high - low + 1)
    assert expected > 40  # enough such children in these grids to tell
    assert at_top / expected < 1.5, (at_top, expected)


@fast
@given(seed=seeds, index=grid_indexes)
def test_household_totals_equal_the_person_records(seed, index):
    grid = make_grid(SMALL, seed, index)
    for household in grid.households():
        present = [p for p in household.persons if p.present]
        away = [p for p in household.persons if not p.present]
        assert household.h2a == len(present) and household.h2b == len(away)
        for sex in Sex:
            births = [p for p in household.persons if p.sex == sex and p.born_in_year]
            newborn_deaths = [d for d in household.deaths if d.sex == sex and d.born_in_year]
            assert household.births(sex) == len(births) + len(newborn_deaths)
            assert household.deaths_of(sex) == len([d for d in household.deaths
                                                    if d.sex == sex])
        for death in household.deaths:
            assert date(2019, 11, 1) <= death.died <= date(2020, 10, 31)
            assert death.birth <= death.died
        for person in away:
            assert person.hukou == Hukou.THIS_VILLAGE and person.residence != 1


@fast
@given(seed=seeds, index=grid_indexes)
def test_skip_and_eligibility_rules_hold(seed, index):
    grid = make_grid(SMALL, seed, index)
    for _household, person in short_form_persons(grid):
        if person.hukou == Hukou.PENDING:
            assert person.time_away is None and person.reason_away is None
        elif person.time_away == TimeAway.NOT_AWAY:
            assert person.reason_away is None
            assert person.hukou == Hukou.THIS_VILLAGE
        else:
            assert person.time_away is not None and person.reason_away is not None
        assert (person.education is None) == (person.birth > AGE_3_CUTOFF)
        assert (person.literate is None) == (person.birth > AGE_15_CUTOFF)
        if person.hukou == Hukou.OTHER_COUNTY:
            assert person.hukou_place
        else:
            assert person.hukou_place is None


def export(grid):
    return grid_geojson(grid), persons_csv([grid])


@settings(max_examples=5, deadline=None)
@given(seed=seeds)
def test_same_seed_same_world_and_different_seeds_differ(seed):
    first = [export(make_grid(SMALL, seed, index)) for index in range(2)]
    again = [export(make_grid(SMALL, seed, index)) for index in range(2)]
    other = [export(make_grid(SMALL, seed + 1, index)) for index in range(2)]
    assert first == again
    assert first != other


@settings(max_examples=5, deadline=None)
@given(seed=seeds, index=st.integers(min_value=0, max_value=8))
def test_a_grid_alone_equals_the_grid_in_its_world(seed, index):
    small_world = WorldSpec(grids=10, households_min=300, households_max=340)
    bigger_world = WorldSpec(grids=60, households_min=300, households_max=340)
    in_world = [make_grid(small_world, seed, i) for i in range(10)][index]
    alone = make_grid(bigger_world, seed, index)
    assert export(alone) == export(in_world)


@settings(max_examples=5, deadline=None)
@given(seed=seeds, index=grid_indexes)
def test_an_area_alone_equals_the_area_of_the_whole_grid(seed, index):
    whole = make_grid(SMALL, seed, index)
    whole.households()
    area = whole.areas[-1]
    alone = make_grid(SMALL, seed, index)
    assert persons_csv([]) != ""  # header only
    assert [(n, h.persons, h.deaths) for n, h in alone.area_households(alone.areas[-1])] == [
        (n, h.persons, h.deaths) for n, h in whole.area_households(area)]
    assert len(alone._households) == len(area.household_numbers)


def test_group_partition_keeps_the_grid_whole_with_several_enumerators():
    spec = WorldSpec(partition="group")
    grid = make_grid(spec, 5, 0)
    assert len(grid.areas) == 1
    assert grid.areas[0].enumerators == round(grid.areas[0].unit_count / 80)


@pytest.mark.parametrize(("data", "field"), [
    ({"region": "999999"}, "region"),
    ({"region": "430000"}, "region"),
    ({"grids": 0}, "grids"),
    ({"grids": "many"}, "grids"),
    ({"rates": {"vacant_units": -0.1}}, "rates.vacant_units"),
    ({"rates": {"hukou_other_township": 0.6, "hukou_other_province": 0.5}},
     "rates.hukou_other_township"),
    ({"rates": {"hmt_foreign": 0.7, "no_housing": 0.4}}, "rates.hmt_foreign"),
    ({"area_min_units": 100, "area_max_units": 110, "area_target_units": 105},
     "area_min_units"),
    ({"area_min_units": 90, "area_target_units": 80}, "area_target_units"),
    ({"colour": "red"}, "colour"),
    ({"rates": {"unknown_rate": 0.1}}, "rates.unknown_rate"),
])
def test_bad_specs_name_the_field(data, field):
    with pytest.raises(InvalidInput) as caught:
        WorldSpec.from_dict(data)
    assert caught.value.field == field


def test_spec_round_trips_through_a_dict():
    spec = WorldSpec.from_dict({"region": "430621", "grids": 3, "rates": {"vacant_units": 0.2}})
    assert WorldSpec.from_dict(spec.to_dict()) == spec
    assert spec.rates.vacant_units == 0.2


prefectures = st.sampled_from([regions.YUEYANG, "410100", "110100", "430100"])


@settings(max_examples=25, deadline=None)
@given(region=prefectures, share=st.floats(min_value=0.0, max_value=1.0),
       grids=st.integers(min_value=1, max_value=400))
def test_a_prefecture_shares_its_grids_among_its_counties_by_their_residents(region, share,
                                                                            grids):
    """Every grid of a prefecture's world lies in one of its counties; each county has its
    share of the town grids and of the country grids within one grid; a 普查区 holds at most
    three grids, each its own number; the town share of the whole is as for one county."""
    spec = WorldSpec(region=region, grids=grids, urban_share=share)
    placed = [village_of(spec, 7, index) for index in range(grids)]
    shares = regions.urban_shares(region, share)
    for urban in (True, False):
        kind = [village.code[:6] for village, _position in placed if village.urban == urban]
        weights = {code: weight * (shares[code] if urban else 1 - shares[code])
                   for code, weight in regions.counties_of(region)}
        total = sum(weights.values())
        if total == 0:  # nobody lives in town (or in the country)
            assert not kind
            continue
        for code, weight in weights.items():
            assert abs(kind.count(code) - len(kind) * weight / total) < 1 + 1e-9
    assert {village.code[:6] for village, _p in placed} <= dict(regions.counties_of(region)).keys()
    urban = sum(village.urban for village, _position in placed)
    assert urban == round(grids * share + 1e-12) or abs(urban - grids * share) <= 0.5 + 1e-9
    positions = [(village.code, position) for village, position in placed]
    assert len(set(positions)) == grids
    assert all(0 <= position < GRIDS_PER_VILLAGE for _code, position in positions)


@given(region=prefectures, share=st.floats(min_value=0.0, max_value=1.0))
def test_the_counties_town_shares_add_up_to_the_prefectures(region, share):
    """Weighted by residents the counties' town shares give the prefecture's; a 市辖区 is more
    urban than a county unless everyone or no one lives in town."""
    shares = regions.urban_shares(region, share)
    weights = dict(regions.counties_of(region))
    assert abs(sum(weights.values()) - 1) < 1e-9
    assert abs(sum(weights[code] * shares[code] for code in weights) - share) < 1e-9
    districts = [shares[c] for c in weights if regions.county(c).urban_district]
    counties = [shares[c] for c in weights if not regions.county(c).urban_district]
    assert all(0 <= value <= 1 for value in shares.values())
    if 1e-6 < share < 1 - 1e-6:
        assert min(districts) > max(counties)


def test_yueyang_as_a_whole_is_its_nine_counties_by_their_residents():
    """All of Yueyang: the most populous district 岳阳楼区 has the most grids, 云溪区 the
    fewest; the districts are mostly town and the counties about half; a grid made alone
    (nothing shared out yet in this process) is the grid made after all before it."""
    spec = WorldSpec(region=regions.YUEYANG, grids=900)
    counts = Counter(village_of(spec, 1, index)[0].code[:6] for index in range(900))
    assert set(counts) == set(YUEYANG_COUNTIES)
    assert counts.most_common(1)[0][0] == "430602" and min(counts, key=counts.get) == "430603"
    shares = regions.urban_shares(regions.YUEYANG, spec.urban_share)
    assert shares["430602"] > 0.8 and 0.4 < shares["430626"] < 0.6
    assert regions.region_name(regions.YUEYANG) == "湖南省岳阳市"
    regions._apportionment.cache_clear()
    alone = make_grid(spec, 5, 611)
    regions._apportionment.cache_clear()
    for index in range(611):
        village_of(spec, 5, index)
    assert grid_digest_parts(alone) == grid_digest_parts(make_grid(spec, 5, 611))
    # hukou in another county of the city: one of the other eight
    siblings = {p.id_number[:6] for _h, p in short_form_persons(alone)
                if p.hukou == Hukou.OTHER_COUNTY and p.id_number[:6] in YUEYANG_COUNTIES}
    assert siblings and alone.county.code not in siblings


@settings(max_examples=20, deadline=None)
@given(prefecture=st.sampled_from(["410100", "110100", "430100", "520300"]),
       seed=seeds, index=st.integers(min_value=0, max_value=30))
def test_a_generic_prefectures_counties_have_names_of_their_own_and_are_each_others_elsewhere(
        prefecture, seed, index):
    """The listed counties of a generic prefecture have different names, and a county that is
    not listed a name none of them has; a resident whose hukou is in another county of the
    city has it in another of the prefecture's counties, named as that county is."""
    listed = [code for code, _weight in regions.counties_of(prefecture)]
    names_ = [regions.county(code).name for code in listed]
    assert len(set(names_)) == len(names_)
    for outsider_code in (prefecture[:4] + "05", prefecture[:4] + "81"):
        outsider = regions.county(outsider_code)
        assert outsider.name[:-1] not in {name[:-1] for name in names_}
    assert {regions.county(code).prefecture_name for code in listed} == {
        outsider.prefecture_name}
    grid = make_grid(WorldSpec(region=prefecture, grids=31), seed, index)
    elsewhere = [p for _h, p in short_form_persons(grid) if p.hukou == Hukou.OTHER_COUNTY
                 and p.id_number[:4] == prefecture[:4]]
    assert elsewhere  # 7 % of residents have their hukou in another county of the city
    for person in elsewhere:
        if person.id_number != idnumber.NO_NUMBER:
            code = person.id_number[:6]
            assert code in listed and code != grid.county.code
            assert person.hukou_place == regions.county(code).full_name


def test_counties_and_places_outside_hunan_and_in_municipalities_are_named_as_they_are():
    """An unlisted Yueyang code never takes a real county's name; a municipality's counties
    have no prefecture city between (北京市…区); a hukou in another county of the province is
    in that province, and in a municipality another county of the city."""
    real = {name[:-1] for name, _urban in YUEYANG_COUNTIES.values()}
    for code in (f"4306{number}" for number in range(40, 99)):
        if code not in YUEYANG_COUNTIES:
            assert regions.county(code).name[:-1] not in real
    beijing = regions.county("110105")
    assert beijing.full_name == "北京市" + beijing.name
    assert regions.region_name("110100") == "北京市"
    for code in ("110105", "500103", "410102", "430602"):
        county = regions.county(code)
        for option in range(people.place_options(county, "hukou_other_county_in_province")):
            place = people.place_option(code, "hukou_other_county_in_province", option)
            assert place.area_code[:2] == code[:2] and place.area_code != code
            assert place.text.startswith(regions.PROVINCES[code[:2]])
            if code[:2] in regions.MUNICIPALITIES:
                assert place.area_code in dict(regions.counties_of(code[:4] + "00"))
            else:
                assert place.area_code[:4] != code[:4]


@settings(max_examples=10, deadline=None)
@given(region=st.sampled_from(["430602", "430600", "430100", "410105", "110105", "520302"]),
       seed=seeds, index=st.integers(min_value=0, max_value=40))
def test_a_hukou_place_has_one_name_for_its_code(region, seed, index):
    """Every place a hukou elsewhere may be drawn from is named as its county is, so one code
    never takes two names (in a grid, in a world, across worlds); the places in other Hunan
    prefectures and in other provinces are real counties with their real names."""
    county = regions.county(regions.home_county(region))
    named: dict[str, str] = {}
    for field in ("hukou_other_county_in_city", "hukou_other_county_in_province",
                  "hukou_other_province"):
        for option in range(people.place_options(county, field)):
            place = people.place_option(county.code, field, option)
            assert place.text == regions.county(place.area_code).full_name
            assert named.setdefault(place.area_code, place.text) == place.text
    names_ = list(named.values())
    assert len(set(names_)) == len(names_)  # and no two codes share a name
    grid = make_grid(WorldSpec(region=region, grids=41), seed, index)
    for _household, person in short_form_persons(grid):
        if person.hukou == Hukou.OTHER_COUNTY and person.id_number != idnumber.NO_NUMBER:
            assert person.hukou_place == regions.county(person.id_number[:6]).full_name


def test_real_places_keep_their_real_names():
    assert people.place_option("430602", "hukou_other_county_in_province", 30) == people.Place(
        Hukou.OTHER_COUNTY, "431222", "湖南省怀化市沅陵县")
    assert regions.county("420102").full_name == "湖北省武汉市江岸区"
    assert regions.county("500103").full_name == "重庆市渝中区"
    # every county code of a generic prefecture has a name of its own (a 区 and a 县 of one
    # stem would be two names, but no stem is used twice either), every prefecture of a
    # province too
    for prefecture in ("4102", "5203", "4306"):
        stems = [regions.county(f"{prefecture}{number:02d}").name[:-1] for number in range(1, 100)]
        assert len(set(stems)) == 99
    assert len({regions.prefecture_name(f"52{number:02d}00") for number in range(1, 100)}) == 99


@settings(max_examples=20, deadline=None)
@given(code=st.sampled_from(sorted(regions.PROVINCES)).flatmap(
    lambda province: st.integers(min_value=1, max_value=99).flatmap(
        lambda prefecture: st.integers(min_value=1, max_value=99).map(
            lambda county: f"{province}{prefecture:02d}{county:02d}"))))
def test_a_made_up_place_never_takes_a_real_places_name(code):
    """A county or prefecture city with a generic name never has the name of one named here
    as real (岳阳区 outside Yueyang, 云溪县 in Henan), and a region outside Yueyang names
    its townships, villages, streets and landmarks with generic words, not Yueyang's."""
    real = {name for name, _urban in YUEYANG_COUNTIES.values()} | set(
        regions.KNOWN_COUNTIES.values())
    county = regions.county(code)
    if code not in YUEYANG_COUNTIES and code not in regions.KNOWN_COUNTIES:
        assert county.name[:-1] in regions.GENERIC_STEMS
        assert not any(county.name[:-1] == name[:-1] for name in real)
    if code[:4] not in regions.KNOWN_PREFECTURES and code[:4] != regions.YUEYANG[:4]:
        assert county.prefecture_name in ("", *(stem + "市" for stem in regions.GENERIC_STEMS))
    parts = regions.NAME_PARTS if code[:4] == regions.YUEYANG[:4] else (
        regions.GENERIC_LOCAL_PARTS)
    grid = make_grid(WorldSpec(region=code), 1, 0)
    assert grid.village.name.removesuffix("社区居委会").removesuffix("村委会") in parts
    assert grid.village.township_name.removesuffix("街道").rstrip("镇乡") in parts
    for feature in grid.features:
        if feature.kind in ("road", "lane", "river", "bridge", "school"):
            assert feature.name[:2] in parts, feature


def test_other_county_codes_get_generic_names():
    grid = make_grid(WorldSpec(region="110105"), 3, 0)
    assert grid.county.province_name == "北京市"
    assert grid.village.code.startswith("110105") and len(grid.village.code) == 12
    ids = [p.id_number for _h, p in short_form_persons(grid)
           if p.hukou == Hukou.THIS_VILLAGE and p.id_number != idnumber.NO_NUMBER]
    assert ids and all(number.startswith("110105") for number in ids)


@fast
@given(seed=seeds, index=grid_indexes)
def test_long_form_households_carry_housing_items_that_fit_their_building(seed, index):
    grid = make_grid(SMALL, seed, index)
    sampled = [h for h in grid.households() if h.long_form]
    family = [h for h in grid.households() if h.kind == HouseholdType.FAMILY and h.persons]
    assert 0.04 < len(sampled) / len(family) < 0.18
    for household in sampled:
        items = household.long_form_items
        assert items is not None and {"H8", "H9", "H10", "H11", "H15", "H17"} <= items.keys()
        unit = grid.units[grid.plans[household.index].unit]
        floors = grid.buildings[unit.building].floors
        assert items["H8"] == (1 if floors <= 1 else 2 if floors <= 7 else 3)
        assert items["H11"] == (1 if floors >= 7 else 2)
        assert ("H18" in items) == (items["H17"] in (1, 2))


@fast
@given(seed=seeds, index=grid_indexes, pick=st.integers(min_value=0, max_value=10_000))
def test_a_household_built_alone_equals_it_built_with_the_whole_grid(seed, index, pick):
    whole = make_grid(SMALL, seed, index).households()
    alone = make_grid(SMALL, seed, index)
    household = alone.household(pick % len(alone.plans))
    assert len(alone._households) == 1
    assert household == whole[household.index]


@fast
@given(seed=seeds, index=grid_indexes)
def test_personas_and_long_form_answers_fit_the_household(seed, index):
    grid = make_grid(SMALL, seed, index)
    for household in grid.households():
        if household.persona is None:
            assert household.all_died
            continue
        persons = {person.key: person for person in household.persons}
        assert [p.key for p in household.persons] == list(range(len(household.persons)))
        for secret in household.persona.secrets:
            if secret.kind == "concealed_infant":
                assert [persons[key].age for key in secret.person_keys] in ([0], [1])
            if secret.kind == "member_away":
                assert secret.person_keys and all(
                    not persons[key].present for key in secret.person_keys)
            if secret.kind == "second_home":
                assert household.holds_second_unit
            if secret.kind == "tenants":
                assert household.kind == HouseholdType.FAMILY and secret.person_keys
                assert all(persons[key].relation == Relation.OTHER and persons[key].present
                           for key in secret.person_keys)
        assert 0 <= household.persona.cooperativeness <= 1
        assert set(household.persona.availability) == set(range(7))
        for person in household.persons:
            if not household.long_form or person.age < 15:
                assert person.marital is None
            else:
                assert person.marital in (1, 2, 3, 4, 5)
        head = household.persons[0]
        if household.dwelling == DwellingType.ORDINARY and head.form == Form.SHORT:
            assert head.phone and len(head.phone) == 11 and head.phone.isdigit()


def test_some_town_households_keep_their_lodgers_quiet():
    spec = WorldSpec(grids=12)
    family = with_lodgers = hidden = 0
    for index in range(12):
        grid = make_grid(spec, 3, index)
        for household in grid.households():
            if household.kind != HouseholdType.FAMILY or not household.persons:
                continue
            family += 1
            lodgers = [p for p in household.persons if p.relation == Relation.OTHER]
            if lodgers:
                with_lodgers += 1
                assert grid.urban
                assert all(p.hukou != Hukou.THIS_VILLAGE and 18 <= p.age <= 40 for p in lodgers)
                assert household.persona is not None
                hidden += any(s.kind == "tenants" for s in household.persona.secrets)
    assert 0.005 < with_lodgers / family < 0.04
    assert 0.3 < hidden / with_lodgers < 0.7


@fast
@given(seed=seeds, index=grid_indexes)
def test_boundary_descriptions_name_what_lies_around_each_area(seed, index):
    grid = make_grid(SMALL, seed, index)
    again = make_grid(SMALL, seed, index)
    names = {f.name for f in grid.features} | {
        f"{f.name}围墙" for f in grid.features if f.kind in ("school", "market", "clinic")}
    roads = {f.name for f in grid.features if f.kind == "road"}
    for area, same in zip(grid.areas, again.areas, strict=True):
        chinese = area.boundary_text()
        assert chinese == same.boundary_text()
        assert chinese.endswith("。")
        parts = chinese[:-1].split("，")
        assert [part[:2] for part in parts] == ["北起", "东至", "南沿", "西至"]
        neighbours = {neighbour_boundary(other.index, False) for other in grid.areas
                      if other is not area}
        assert all(part[2:] in names | neighbours | {"网格边界"} for part in parts)
        if grid.urban:  # a road runs along every row of lots in town
            assert parts[0][2:] in roads and parts[2][2:] in roads
        english = area.boundary_text(english=True).split(", ")
        assert [part.split(" ")[0] for part in english] == ["north", "east", "south", "west"]


def test_a_side_that_borders_another_area_names_that_area_not_a_road_beyond_it():
    """The 四至 must not reach past a neighbouring area's lots to the next road: a trainee
    drawing to that road would take in the neighbour's buildings."""
    checked = 0
    for index in range(6):
        grid = make_grid(WorldSpec(), 7, index)
        owners = {cell: area.index for area in grid.areas for cell in area.cells}
        for area in grid.areas:
            east = max(col for _row, col in area.cells)
            beyond = {owners.get((row, col + 1)) for row, col in area.cells if col == east}
            text = area.boundary_text().rstrip("。").split("，")[1][2:]
            roads_on_edge = [f for f in grid.features if f.kind == "lane"
                             and abs(f.geometry[0][0] - (east + 1) * area.lot_size[0]) < 1e-6]
            others = beyond - {None, area.index}
            if others and not roads_on_edge and not text.endswith("围墙"):
                assert text in {neighbour_boundary(other, False) for other in others}, text
                assert area.boundary_text(english=True).split(", ")[1].startswith(
                    "east to the boundary of enumeration area")
                checked += 1
    assert checked  # the case occurs in these grids


def test_the_tables_of_the_bulk_draws_equal_the_rules_they_stand_for():
    """The generator reads per-day and per-cohort tables instead of computing: each table
    equals its rule everywhere, including rolls that fall exactly on a cumulative share."""
    # Every day of birth: its YYYYMMDD characters and their share of the MOD 11-2 check.
    days = [date.fromordinal(bulk.FIRST_DAY + n) for n in range(len(bulk._DAY_ROWS))]
    ymd = np.array([[ord(c) for c in day.strftime("%Y%m%d")] for day in days])
    assert (bulk._DAY_ROWS[:, :8] == ymd).all()
    date_sums = [sum(int(c) * w for c, w in zip(day.strftime("%Y%m%d"), idnumber.WEIGHTS[6:14],
                                                strict=True)) % 11 for day in days]
    assert bulk._DAY_ROWS[:, 8].tolist() == date_sums
    # An adult's D11: 1 + how many of the cohort's cumulative shares the roll reaches.
    rolls = np.concatenate((np.random.default_rng(1).random(20_000), bulk._COHORT_STEPS,
                            np.nextafter(bulk._COHORT_STEPS, 0), [0.0]))
    for cohort, shares in enumerate(bulk._COHORT_CUMULATIVE):
        looked_up = bulk._COHORT_COUNT[cohort, bulk._COHORT_STEPS.searchsorted(rolls, "right")]
        assert (looked_up == (rolls[:, None] >= shares).sum(axis=1)).all()


# Raised rates of the hard cases, so that each occurs in every pair of grids.
HARD = WorldSpec.from_dict({
    "households_min": 500, "households_max": 500,
    "rates": {"hmt_foreign": 0.03, "no_housing": 0.03, "whole_household_death": 0.03,
              "shop_units": 0.2, "shop_dwellers": 0.8, "second_household": 0.03,
              "multiple_dwellings": 0.05, "abroad": 0.05, "newborn_died": 0.5,
              "unnamed_newborn": 1.0}})


def hard_cases(grid):
    """What each hard case of `grid` shows, checking its coding on the way."""
    seen = dict.fromkeys(("all_died", "shop", "no_housing", "abroad", "hmt_foreign", "second",
                          "second_home", "unnamed", "birth", "newborn_died"), 0)
    late_births = 0  # born since 2020-08-01: may be 未取名
    households = grid.households()
    number_of = {index: (area, number) for area in grid.areas
                 for index, number in area.household_numbers.items()}
    for index, (plan, household) in enumerate(zip(grid.plans, households, strict=True)):
        unit = grid.units[plan.unit] if plan.unit is not None else None
        area, number = number_of[index]
        if plan.kind == "all_died":  # 全户死亡: 户编号 999, no persons, only H4 and deaths
            seen["all_died"] += 1
            assert number == ALL_DIED_HOUSEHOLD_NUMBER and unit is not None
            assert unit.status == UnitStatus.ALL_DIED and unit.households == [index]
            assert household.all_died and not household.persons and household.deaths
            assert household.persona is None
            assert sum(household.deaths_of(sex) for sex in Sex) == len(household.deaths)
            continue
        assert number != ALL_DIED_HOUSEHOLD_NUMBER
        if plan.kind == "shop":  # people living in a shop: H5 = 3 工作地住所
            seen["shop"] += 1
            assert unit is not None and unit.shop and unit.status == UnitStatus.OCCUPIED
            assert household.dwelling == DwellingType.WORKPLACE and household.persons
        else:
            assert household.dwelling != DwellingType.WORKPLACE
        if plan.kind == "no_housing":  # H5 = 5, no unit, numbered after the area's others
            seen["no_housing"] += 1
            assert unit is None and household.dwelling == DwellingType.NONE
            assert household.kind == HouseholdType.FAMILY and len(household.persons) == 1
        else:
            assert unit is not None and household.dwelling != DwellingType.NONE
        if plan.kind == "hmt_foreign":  # their own form, not the short form
            seen["hmt_foreign"] += 1
            assert household.persons and all(
                p.form == Form.HMT_FOREIGN and p.nationality and p.entry_purpose
                and p.stay_duration and idnumber.parse(p.id_number) is None
                for p in household.persons)
        else:
            assert all(p.form == Form.SHORT and p.nationality is None
                       for p in household.persons)
        if plan.kind == "second":  # found at registration in an occupied unit: max + 1
            seen["second"] += 1
            assert household.found_at_registration and unit is not None
            assert unit.households[0] != index and len(unit.households) >= 2
            first = grid.plans[unit.households[0]].kind
            assert first not in ("second", "all_died") and grid.units[
                grid.plans[unit.households[0]].unit].status == UnitStatus.OCCUPIED
            listed = [n for i, n in area.household_numbers.items()
                      if grid.plans[i].kind not in ("second", "no_housing", "all_died")]
            later = sorted(n for i, n in area.household_numbers.items()
                           if grid.plans[i].kind == "second")
            assert later == list(range(max(listed) + 1, max(listed) + 1 + len(later)))
        else:
            assert not household.found_at_registration
        for person in household.persons:
            if person.residence == Residence.ABROAD:  # D7 = 7: a hukou member away, H2b
                seen["abroad"] += 1
                assert not person.present and person.hukou == Hukou.THIS_VILLAGE
                assert person.relation == Relation.CHILD and person.age >= 18
                # to work or study; from 75 (a child of a head in the late 90s) retired
                assert person.reason_away in (ReasonAway.WORK, ReasonAway.STUDY) or (
                    person.age >= 75 and person.reason_away == ReasonAway.RETIREMENT)
            if person.born_in_year:  # counted in H3
                seen["birth"] += 1
                assert household.births(person.sex) >= 1
            if person.name == names.UNNAMED:  # 未取名: born in the last three months
                seen["unnamed"] += 1
                assert person.birth >= date(2020, 8, 1) and person.born_in_year
            if person.birth >= date(2020, 8, 1) and person.form == Form.SHORT:
                late_births += 1  # (the HMT and foreigners' form has its own names)
        for death in household.deaths:
            if death.born_in_year:  # a newborn who died: in both H3 and H4
                seen["newborn_died"] += 1
                assert death.name == names.UNNAMED and death.id_number == idnumber.NO_NUMBER
                assert death.birth <= death.died <= date(2020, 10, 31)
                assert household.persons and household.kind == HouseholdType.FAMILY
                assert household.births(death.sex) >= 1 and household.deaths_of(death.sex) >= 1
        for sex in Sex:
            assert household.births(sex) == sum(
                p.sex == sex and p.born_in_year for p in household.persons) + sum(
                d.sex == sex and d.born_in_year for d in household.deaths)
    owners = {unit.second_home_of for unit in grid.units if unit.second_home_of is not None}
    for unit in grid.units:
        if unit.second_home_of is not None:  # the other dwelling of a household: 空房
            seen["second_home"] += 1
            assert unit.status == UnitStatus.VACANT and not unit.households and not unit.shop
    for index, household in enumerate(households):
        assert household.holds_second_unit == (index in owners)
        if household.holds_second_unit:
            assert grid.plans[index].kind == "family" and household.persons
            assert household.persona is not None and any(
                secret.kind == "second_home" for secret in household.persona.secrets)
    if grid.spec.rates.unnamed_newborn == 1.0:  # then every one of them is 未取名
        assert seen["unnamed"] == late_births
    return seen


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=seeds, index=st.integers(min_value=0, max_value=40))
def test_every_hard_case_occurs_and_is_coded_as_the_census_codes_it(seed, index):
    """Every hard case occurs in two grids of raised rates; 未取名 newborns are every child
    born since 08-01 there (`hard_cases` checks it), of whom two grids' some 25 births may
    hold none (0.75^25: hypothesis found seed 373, grids 22-23, with none)."""
    seen: dict[str, int] = {}
    for grid_index in (index, index + 1):
        for case, count in hard_cases(make_grid(HARD, seed, grid_index)).items():
            seen[case] = seen.get(case, 0) + count
    assert all(count for case, count in seen.items() if case != "unnamed"), seen


@st.composite
def specs(draw):
    """Valid specs: a Yueyang county, one other county, all of Yueyang or another prefecture,
    either partition, area bounds, urban share and a few grids."""
    low = draw(st.integers(min_value=40, max_value=70))
    high = draw(st.integers(min_value=2 * low, max_value=2 * low + 40))
    households_min = draw(st.integers(min_value=200, max_value=360))
    spec = WorldSpec(
        region=draw(st.sampled_from([*YUEYANG_COUNTIES, "110105", regions.YUEYANG, "410100"])),
        grids=draw(st.integers(min_value=1, max_value=4)),
        households_min=households_min,
        households_max=draw(st.integers(min_value=households_min, max_value=400)),
        area_min_units=low, area_max_units=high,
        area_target_units=draw(st.integers(min_value=low, max_value=high)),
        partition=draw(st.sampled_from(["areas", "group"])),
        urban_share=draw(st.floats(min_value=0.0, max_value=1.0)))
    spec.validate()  # every spec drawn here is valid: a failure is a bug of the strategy
    return spec


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs(), seed=seeds, pick=st.integers(min_value=0, max_value=3))
def test_core_properties_hold_for_any_spec(spec, seed, pick):
    grid = make_grid(spec, seed, pick % spec.grids)
    county = grid.county.code
    assert grid.village.code.startswith(county)
    if regions.is_prefecture_code(spec.region):
        assert county in dict(regions.counties_of(spec.region))
        assert grid.county.prefecture_code == spec.region
    else:
        assert county == spec.region
    # Every unit in exactly one area; areas within the bounds when the grid is split.
    in_areas = [id(unit) for area in grid.areas for b in area.buildings
                for unit in grid.buildings[b].units]
    assert sorted(in_areas) == sorted(id(unit) for unit in grid.units)
    assert len(set(in_areas)) == len(grid.units)
    if spec.partition == "group":
        assert len(grid.areas) == 1
    elif len(grid.areas) > 1:
        assert all(spec.area_min_units <= area.unit_count <= spec.area_max_units
                   for area in grid.areas)
    planned = sorted(index for area in grid.areas for index in area.household_numbers)
    assert planned == list(range(len(grid.plans)))
    for household in grid.households():
        # H2-H4 equal the person and death records.
        assert household.h2a + household.h2b == len(household.persons)
        assert household.h2a == sum(p.present for p in household.persons)
        for sex in Sex:
            assert household.births(sex) == sum(
                p.sex == sex and p.born_in_year for p in household.persons) + sum(
                d.sex == sex and d.born_in_year for d in household.deaths)
            assert household.deaths_of(sex) == sum(d.sex == sex for d in household.deaths)
        for person in household.persons:
            if person.form != Form.SHORT or person.id_number == idnumber.NO_NUMBER:
                continue
            parsed = idnumber.parse(person.id_number)
            assert parsed is not None and parsed.sex == person.sex
            assert parsed.birth == person.birth < date(2020, 11, 1)
            if person.hukou == Hukou.THIS_VILLAGE:
                assert person.id_number.startswith(county)


def _name_fits(name, male, birth_year):
    """The name is a surname followed by a given name of the sex's and generation's pool."""
    if birth_year >= 2005:
        pool = names.MODERN_MALE if male else names.MODERN_FEMALE
    else:
        pool = names.OLDER_MALE if male else names.OLDER_FEMALE
    return any(name[:cut] in SURNAME_SET and name[cut:] in pool for cut in (1, 2))


SURNAME_SET = frozenset(names.SURNAMES)


@fast
@given(seed=seeds, index=grid_indexes)
def test_names_fit_sex_and_generation(seed, index):
    """Every named person's given name comes from the pool of their sex and generation (born
    since 2005: the modern names); unnamed newborns are written 未取名."""
    people = [person for _household, person in short_form_persons(make_grid(SMALL, seed, index))]
    named = [person for person in people if person.name != names.UNNAMED]
    assert len(named) > 500
    for person in named:
        assert _name_fits(person.name, person.sex == Sex.MALE, person.birth.year), (
            person.name, person.sex, person.birth)
    # The check can fail: with the sexes swapped, most names do not fit.
    swapped = sum(_name_fits(person.name, person.sex != Sex.MALE, person.birth.year)
                  for person in named)
    assert swapped < len(named) / 2
    assert all(person.birth >= date(2020, 8, 1) for person in people
               if person.name == names.UNNAMED)


@settings(max_examples=15, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), urban=st.booleans(), pick=st.integers(0, 50))
def test_an_area_map_shows_its_area_and_leaves_out_buildings_out_of_view(seed, urban, pick):
    """The area page's map (`grid_svg(focus=)`): its view holds the whole area with room
    around it, and draws only the buildings that reach into that view; the grid's map draws
    every building."""
    import re

    from trainer.core.world.export import FOCUS_PADDING, grid_svg

    spec = WorldSpec(grids=2, urban_share=1.0 if urban else 0.0)
    grid = make_grid(spec, seed, 0)
    area = grid.areas[pick % len(grid.areas)]
    whole, focused = grid_svg(grid), grid_svg(grid, highlight=area, focus=area)
    left, top, width, height = map(float, re.search(r'viewBox="([^"]+)"', focused)[1].split())
    full = list(map(float, re.search(r'viewBox="([^"]+)"', whole)[1].split()))
    shape = re.search(rf'<polygon points="([^"]+)" [^>]*fill-opacity="0.15"[^>]*'
                      rf'data-area="{area.code}"', focused)[1]
    xs = [float(point.split(",")[0]) for point in shape.split()]
    ys = [float(point.split(",")[1]) for point in shape.split()]
    assert left <= min(xs) and max(xs) <= left + width + 1  # rounded to whole units
    assert top <= min(ys) and max(ys) <= top + height + 1
    assert width <= full[2] and height <= full[3]
    assert width <= max(xs) - min(xs) + 2 * FOCUS_PADDING + 1
    drawn = focused.count('stroke="#374151" data-area=') + focused.count(
        'stroke="#5b21b6" data-area=')
    assert whole.count('stroke="#374151" data-area=') + whole.count(
        'stroke="#5b21b6" data-area=') == len(grid.buildings)
    in_area = sum(1 for building in grid.buildings if building.area == area.index)
    assert in_area <= drawn <= len(grid.buildings)
