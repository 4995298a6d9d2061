"""A grid (网格): its layout, buildings, housing units, enumeration areas and households.

`make_grid(spec, seed, index)` builds the skeleton from the grid's own stream: the village it
belongs to, the buildings and their housing units on a lattice of lots, roads, a river and
landmarks, the plan of which household lives in which unit, and the partition into
enumeration areas (普查小区). Households are drawn only when asked for (`Grid.household`,
`Grid.area_households`), each from its own stream, so an area can be produced alone.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field

from trainer.core.errors import InvalidInput
from trainer.core.i18n import N_
from trainer.core.world import bulk, people, regions
from trainer.core.world.codes import ALL_DIED_HOUSEHOLD_NUMBER, UnitStatus
from trainer.core.world.geometry import Cell, Point, cell_box, inset_box, outline, serpentine
from trainer.core.world.rng import quota_count, quota_pick, stream
from trainer.core.world.spec import (
    GRIDS_PER_VILLAGE,
    MAX_VACANCY,
    VILLAGES_PER_TOWNSHIP,
    WorldSpec,
)

URBAN_LOT = (50.0, 40.0)  # metres
RURAL_LOT = (30.0, 30.0)
URBAN_COLS = 6
RURAL_COLS = 14
FAMILY_MEAN_SIZE = 2.76


@dataclass(slots=True)
class Unit:
    """A housing unit (住房单元): a flat, a house, a shop, a dormitory."""

    building: int  # index of the building in the grid
    floor: int
    status: UnitStatus
    households: list[int] = field(default_factory=list)  # household indices in the grid
    shop: bool = False
    second_home_of: int | None = None  # the household whose other dwelling this is
    number: int = 0  # 住房单元编号 within the enumeration area


@dataclass(slots=True)
class Building:
    """A building (建筑物) on one lot."""

    index: int  # in serpentine order over the grid
    kind: str  # multistorey, highrise, house, dormitory, work_shed, care_home
    floors: int
    lot: Cell
    footprint: list[Point]
    units: list[Unit]
    area: int = 0
    number: int = 0  # 建筑物编号 within the enumeration area


@dataclass(slots=True)
class Feature:
    """A road, lane, river, bridge, pond, field or landmark, for maps and descriptions."""

    kind: str
    name: str
    geometry: list[Point]  # a line (roads, rivers) or a ring (everything else)


@dataclass(slots=True)
class Area:
    """An enumeration area (普查小区): consecutive lots, their buildings and households."""

    index: int
    code: str  # 001, 002, ...
    cells: list[Cell]
    outline: list[Point]
    buildings: list[int]
    unit_count: int
    household_numbers: dict[int, int] = field(default_factory=dict)  # household -> 户编号
    enumerators: int = 1  # several when the grid is kept whole as a census group

    @property
    def name(self) -> str:
        return f"第{_chinese_number(self.index + 1)}普查小区"


@dataclass(slots=True)
class Plan:
    """Which maker draws a household, and where it lives."""

    kind: str  # family, collective, shop, hmt_foreign, no_housing, all_died, second
    collective_kind: str | None = None
    size: int = 0
    unit: int | None = None  # index into Grid.units


@dataclass(slots=True)
class Grid:
    """One grid with everything but the households' contents."""

    seed: int
    index: int
    spec: WorldSpec
    county: regions.County
    village: regions.Village
    urban: bool
    rows: int
    cols: int
    lot_size: tuple[float, float]
    buildings: list[Building]
    units: list[Unit]
    features: list[Feature]
    areas: list[Area]
    plans: list[Plan]
    position: int  # the grid's number within its village, from 0
    second_home_owners: set[int] = field(default_factory=set)
    _households: dict[int, people.Household] = field(default_factory=dict)
    _batch: bulk.Batch | None = None

    @property
    def name(self) -> str:
        return f"{self.village.name}第{self.position + 1}网格"

    @property
    def size(self) -> tuple[float, float]:
        return self.cols * self.lot_size[0], self.rows * self.lot_size[1]

    def context(self) -> people.Context:
        return people.Context(self.seed, self.index, self.county, self.urban, self.spec.rates)

    def household(self, index: int) -> people.Household:
        """The household `index` (drawn once, then kept)."""
        return self._draw([index])[0]

    def households(self) -> list[people.Household]:
        """Every household of the grid."""
        return self._draw(range(len(self.plans)))

    def area_households(self, area: Area) -> list[tuple[int, people.Household]]:
        """(户编号, household) of one area, in number order; builds only these households."""
        numbered = sorted(area.household_numbers.items(), key=lambda pair: pair[1])
        households = self._draw([index for index, _number in numbered])
        return [(number, household)
                for (_index, number), household in zip(numbered, households, strict=True)]

    def _draw(self, indices: Iterable[int]) -> list[people.Household]:
        """The households `indices`, building those not built yet.

        Family and collective households come from the grid's columns (`bulk.draw`, drawn
        once for the whole grid since numpy pays off only over many persons); the rare kinds
        each from their own stream.
        """
        indices = list(indices)
        missing = [index for index in indices if index not in self._households]
        if missing:
            if self._batch is None:
                self._batch = _batch(self)
            batch = self._batch
            drawn = batch.households([index for index in missing if index in batch])
            drawn += [_draw_rare(self, index) for index in missing if index not in batch]
            self._households.update((household.index, household) for household in drawn)
        return [self._households[index] for index in indices]


def village_of(spec: WorldSpec, seed: int, grid: int) -> tuple[regions.Village, int]:
    """The 普查区 a grid belongs to, and the grid's number within it.

    Grids are urban by quota (of the first n grids, n × urban_share are urban, give or take
    one), so the urban share holds closely even for small worlds. Urban grids are grouped three
    to a residents' committee (居委会), six of those to a 街道; rural grids likewise into
    villages (村委会) and 镇/乡. Everything follows from the grid's index alone.
    """
    salt = 0.5  # rounds: of the first n grids, round(n × share) are urban
    urban = quota_pick(grid, spec.urban_share, salt)
    urban_before = quota_count(grid, spec.urban_share, salt)
    rank = urban_before if urban else grid - urban_before  # among grids of its kind
    village_index, position = divmod(rank, GRIDS_PER_VILLAGE)
    township, index = divmod(village_index, VILLAGES_PER_TOWNSHIP)
    township_number = 2 * township + (0 if urban else 1)  # 街道 and 镇 interleave
    return regions.village(seed, spec.region, township_number, index, urban), position


def make_grid(spec: WorldSpec, seed: int, index: int) -> Grid:
    """The skeleton of grid `index`: layout, units, household plan and enumeration areas."""
    rng = stream(seed, "grid", index)
    county = regions.county(spec.region)
    village, position = village_of(spec, seed, index)
    urban = village.urban
    plans, residential = _plan_households(rng, spec, urban)
    buildings, units = _buildings(rng, spec, urban, plans, residential)
    lot_size = URBAN_LOT if urban else RURAL_LOT
    cols = URBAN_COLS if urban else RURAL_COLS
    rows, features = _layout(rng, buildings, urban, cols, lot_size)
    grid = Grid(seed, index, spec, county, village, urban, rows, cols, lot_size, buildings,
                units, features, [], plans, position)
    grid.second_home_owners = {u.second_home_of for u in units if u.second_home_of is not None}
    grid.areas = _partition(grid)
    _number(grid)
    return grid


# Planning ----------------------------------------------------------------------------


def _plan_households(rng: random.Random, spec: WorldSpec,
                     urban: bool) -> tuple[list[Plan], int]:
    """The households of the grid and the number of residential units they need."""
    rates = spec.rates
    total = rng.randint(spec.households_min, spec.households_max)
    plans: list[Plan] = []
    share = rates.collective_persons
    collective_persons = round(share / (1 - share) * FAMILY_MEAN_SIZE * total) if share < 1 else 0
    kinds = ("dormitory", "dormitory", "care_home") if urban else ("work_shed", "care_home")
    while collective_persons > 0:
        size = min(collective_persons, rng.randint(25, 60))
        plans.append(Plan("collective", rng.choice(kinds), size))
        collective_persons -= size
    family = max(total - len(plans), 1)
    for _ in range(family):
        roll = rng.random()
        if roll < rates.hmt_foreign:
            plans.append(Plan("hmt_foreign"))
        elif roll < rates.hmt_foreign + rates.no_housing:
            plans.append(Plan("no_housing"))
        else:
            plans.append(Plan("family"))
    occupied = sum(1 for plan in plans if plan.kind in ("family", "hmt_foreign"))
    all_died = sum(1 for _ in range(occupied) if rng.random() < rates.whole_household_death)
    plans.extend(Plan("all_died") for _ in range(all_died))
    second = sum(1 for _ in range(occupied) if rng.random() < rates.second_household)
    plans.extend(Plan("second") for _ in range(second))
    residential = occupied + all_died
    return plans, residential


def _buildings(rng: random.Random, spec: WorldSpec, urban: bool, plans: list[Plan],
               occupied_units: int) -> tuple[list[Building], list[Unit]]:
    """Buildings and units enough for the plan, with vacancies, second homes and shops."""
    rates = spec.rates
    second_homes = sum(1 for plan in plans if plan.kind == "family"
                       and rng.random() < rates.multiple_dwellings)
    vacancy = min(rates.vacant_units, MAX_VACANCY)
    vacant = round((occupied_units + second_homes) * vacancy / (1 - vacancy))
    needed = occupied_units + second_homes + vacant
    # A building (with up to 3 shops) holds at most half the width of the area bounds, so a
    # run of lots can be cut into areas within the bounds. Taller towers, which the census
    # cuts vertically between areas, are not generated yet.
    largest = max(1, min((spec.area_max_units - spec.area_min_units) // 2 - 3, 72))
    buildings: list[Building] = []
    residential: list[Unit] = []
    while len(residential) < needed:
        remaining = needed - len(residential)
        kind, floors, per_floor = _building_type(rng, urban, remaining, largest)
        building = Building(len(buildings), kind, floors, (0, 0), [], [])
        for floor in range(1, floors + 1):
            for _ in range(per_floor):
                if len(residential) == needed:
                    break
                unit = Unit(building.index, floor, UnitStatus.VACANT)
                building.units.append(unit)
                residential.append(unit)
        if urban and kind == "multistorey" and rng.random() < rates.shop_units * 8:
            for _ in range(rng.randint(1, 3)):
                building.units.insert(0, Unit(building.index, 0, UnitStatus.SHOP, shop=True))
        buildings.append(building)
    # Which residential unit holds what: shuffled over the grid.
    statuses = ["occupied"] * (occupied_units) + ["second"] * second_homes + ["vacant"] * vacant
    rng.shuffle(statuses)
    occupied_slots = [unit for unit, status in zip(residential, statuses, strict=True)
                      if status == "occupied"]
    second_slots = [unit for unit, status in zip(residential, statuses, strict=True)
                    if status == "second"]
    owners = [index for index, plan in enumerate(plans) if plan.kind == "family"]
    rng.shuffle(owners)
    for unit, owner in zip(second_slots, owners, strict=False):
        unit.second_home_of = owner
    slot = iter(occupied_slots)
    for index, plan in enumerate(plans):
        if plan.kind in ("family", "hmt_foreign", "all_died"):
            unit = next(slot)
            unit.households.append(index)
            unit.status = UnitStatus.ALL_DIED if plan.kind == "all_died" else UnitStatus.OCCUPIED
    occupied_list = [unit for unit in residential if unit.status == UnitStatus.OCCUPIED]
    for index, plan in enumerate(plans):
        if plan.kind == "second":
            rng.choice(occupied_list).households.append(index)
    # Collective households each get a building of their own; shops may house their keepers.
    for index, plan in enumerate(plans):
        if plan.kind == "collective":
            building = Building(len(buildings), plan.collective_kind or "dormitory",
                                1 if plan.collective_kind == "work_shed" else rng.randint(2, 5),
                                (0, 0), [], [])
            building.units.append(Unit(building.index, 1, UnitStatus.OCCUPIED, [index]))
            buildings.append(building)
    shops = [unit for building in buildings for unit in building.units if unit.shop]
    if not urban:
        shop_count = max(0, round(len(residential) * rates.shop_units))
        houses = [building for building in buildings if building.kind == "house"]
        for _ in range(shop_count if houses else 0):
            house = rng.choice(houses)
            house.units.insert(0, Unit(house.index, 1, UnitStatus.SHOP, shop=True))
        shops = [unit for building in buildings for unit in building.units if unit.shop]
    for unit in shops:
        if rng.random() < rates.shop_dwellers:
            plans.append(Plan("shop"))
            unit.households.append(len(plans) - 1)
            unit.status = UnitStatus.OCCUPIED
    # Shuffle building order so collective buildings and shops sit among the others.
    rng.shuffle(buildings)
    for position, building in enumerate(buildings):
        building.index = position
        for unit in building.units:
            unit.building = position
    units = [unit for building in buildings for unit in building.units]
    for position, unit in enumerate(units):
        for household in unit.households:
            plans[household].unit = position
    return buildings, units


def _building_type(rng: random.Random, urban: bool, remaining: int,
                   largest: int) -> tuple[str, int, int]:
    if not urban:
        return "house", rng.choices((1, 2, 3), (25, 55, 20))[0], 1
    if rng.random() < 0.65:
        floors, per_floor = rng.randint(5, 7), 2 * rng.randint(1, 3)
        kind = "multistorey"
    else:
        floors, per_floor = rng.randint(11, 18), rng.choice((2, 3, 4))
        kind = "highrise"
    while floors * per_floor > largest and floors > 1:
        floors -= 1
    return kind, floors, per_floor


# Layout ------------------------------------------------------------------------------


def _layout(rng: random.Random, buildings: list[Building], urban: bool, cols: int,
            lot: tuple[float, float]) -> tuple[int, list[Feature]]:
    """Put buildings and landmarks on lots in serpentine order; draw roads and water."""
    landmarks = (["school", "market", "clinic"] if urban
                 else ["school", "clinic", "pond", "field", "field", "field"])
    cells_needed = len(buildings) + len(landmarks)
    rows = max(2, math.ceil(cells_needed / cols))
    order = serpentine(rows, cols)
    kinds: list[str | None] = [None] * len(order)
    for landmark in landmarks:
        free = [pos for pos, kind in enumerate(kinds) if kind is None]
        kinds[rng.choice(free)] = landmark
    width, height = lot
    features: list[Feature] = []
    position = 0
    for cell_position, cell in enumerate(order):
        box = cell_box(cell, width, height)
        kind = kinds[cell_position]
        if kind is None and position < len(buildings):
            building = buildings[position]
            building.lot = cell
            margin = (6.0, 5.0) if urban else (7.0, 7.0)
            building.footprint = inset_box(box, *margin)
            position += 1
        else:
            features.append(Feature(kind or "field", _landmark_name(rng, kind or "field"),
                                    inset_box(box, 2.0, 2.0)))
    grid_width, grid_height = cols * width, rows * height
    step = 1 if urban else 2
    for row in range(0, rows + 1, step):
        features.append(Feature("road", _road_name(rng, "路" if row % (2 * step) == 0 else "街"),
                                [(0.0, row * height), (grid_width, row * height)]))
    for col in range(0, cols + 1, 3 if urban else 5):
        features.append(Feature("lane", _road_name(rng, "巷"),
                                [(col * width, 0.0), (col * width, grid_height)]))
    if not urban:
        y = grid_height + height / 2
        features.append(Feature("river", rng.choice(regions.NAME_PARTS) + "河",
                                [(0.0, y), (grid_width, y)]))
        x = (cols // 2) * width
        features.append(Feature("bridge", rng.choice(regions.NAME_PARTS) + "桥",
                                [(x - 4, grid_height), (x + 4, grid_height),
                                 (x + 4, grid_height + height), (x - 4, grid_height + height)]))
    return rows, features


def _road_name(rng: random.Random, suffix: str) -> str:
    return rng.choice(regions.NAME_PARTS) + suffix


def _landmark_name(rng: random.Random, kind: str) -> str:
    part = rng.choice(regions.NAME_PARTS)
    return {"school": f"{part}小学", "market": f"{part}农贸市场", "clinic": f"{part}卫生服务站",
            "pond": f"{part}塘", "field": "农田"}.get(kind, part)


# Partition ---------------------------------------------------------------------------


def _partition(grid: Grid) -> list[Area]:
    """Cut the serpentine run of lots into areas of area_min..area_max units near the target."""
    spec = grid.spec
    order = serpentine(grid.rows, grid.cols)
    units_at = {building.lot: len(building.units) for building in grid.buildings}
    counts = [units_at.get(cell, 0) for cell in order]
    if spec.partition == "group":
        total = sum(counts)
        area = Area(0, "001", order, outline(order, *grid.lot_size),
                    [b.index for b in grid.buildings], total)
        area.enumerators = max(1, round(total / spec.area_target_units))
        return [area]
    cuts = _best_cuts(counts, spec.area_min_units, spec.area_max_units, spec.area_target_units)
    areas = []
    for number, (start, end) in enumerate(itertools.pairwise(cuts)):
        cells = order[start:end]
        cell_set = set(cells)
        areas.append(Area(number, f"{number + 1:03d}", cells, outline(cells, *grid.lot_size),
                          [b.index for b in grid.buildings if b.lot in cell_set],
                          sum(counts[start:end])))
    return areas


def _best_cuts(counts: list[int], low: int, high: int, target: int) -> list[int]:
    """Cut positions 0 = c0 < ... < ck = n with every part's sum in [low, high], minimising
    the squared distance of the parts from `target` (a shortest path over prefix sums)."""
    n = len(counts)
    prefix = [0]
    for count in counts:
        prefix.append(prefix[-1] + count)
    if prefix[-1] <= high:
        return [0, n]
    infinity = float("inf")
    cost = [infinity] * (n + 1)
    back = [0] * (n + 1)
    cost[0] = 0.0
    start_window = 0
    for end in range(1, n + 1):
        if counts[end - 1] == 0 and end < n:
            continue  # cut only after a lot with units (empty lots join the area before)
        while prefix[end] - prefix[start_window] > high:
            start_window += 1
        for start in range(start_window, end):
            size = prefix[end] - prefix[start]
            if size < low:
                break
            if cost[start] == infinity:
                continue
            candidate = cost[start] + (size - target) ** 2
            if candidate < cost[end]:
                cost[end], back[end] = candidate, start
    if cost[n] == infinity:
        raise InvalidInput(
            N_("A grid of %(units)s housing units cannot be split into areas of "
               "%(low)s-%(high)s units."),
            field="area_min_units", units=prefix[-1], low=low, high=high)
    cuts = [n]
    while cuts[-1] != 0:
        cuts.append(back[cuts[-1]])
    return cuts[::-1]


def _number(grid: Grid) -> None:
    """Number buildings, units and households within each area in serpentine order."""
    for area in grid.areas:
        unit_number = 0
        household_number = 0
        found_later: list[int] = []
        for building_number, building_index in enumerate(area.buildings, start=1):
            building = grid.buildings[building_index]
            building.area, building.number = area.index, building_number
            for unit in building.units:
                unit_number += 1
                unit.number = unit_number
                for household in unit.households:
                    kind = grid.plans[household].kind
                    if kind == "all_died":
                        area.household_numbers[household] = ALL_DIED_HOUSEHOLD_NUMBER
                    elif kind == "second":
                        found_later.append(household)
                    else:
                        household_number += 1
                        area.household_numbers[household] = household_number
        for household in found_later:  # found at registration: max + 1
            household_number += 1
            area.household_numbers[household] = household_number
    homeless = [index for index, plan in enumerate(grid.plans) if plan.kind == "no_housing"]
    for index in homeless:
        area = grid.areas[index % len(grid.areas)]
        area.household_numbers[index] = max(
            (n for n in area.household_numbers.values() if n != ALL_DIED_HOUSEHOLD_NUMBER),
            default=0) + 1


def _batch(grid: Grid) -> bulk.Batch:
    """Draw the columns of the grid's family and collective households."""
    plans, units, buildings = grid.plans, grid.units, grid.buildings
    family = [index for index, plan in enumerate(plans) if plan.kind in ("family", "second")]
    families = bulk.Families(
        family, [plans[index].kind == "second" for index in family],
        [index in grid.second_home_owners for index in family],
        [buildings[units[plans[index].unit or 0].building].floors for index in family])
    collectives = [bulk.CollectiveSlot(index, plan.collective_kind or "dormitory", plan.size)
                   for index, plan in enumerate(plans) if plan.kind == "collective"]
    return bulk.draw(grid.context(), families, collectives)


def _draw_rare(grid: Grid, index: int) -> people.Household:
    """A household of a rare kind, from its own stream."""
    kind = grid.plans[index].kind
    context = grid.context()
    if kind == "all_died":
        return people.make_all_died_household(context, index)
    if kind == "shop":
        return people.make_shop_household(context, index)
    if kind == "hmt_foreign":
        return people.make_hmt_foreign_household(context, index)
    return people.make_no_housing_household(context, index)


def _chinese_number(number: int) -> str:
    digits = "零一二三四五六七八九"
    if number < 10:
        return digits[number]
    if number < 20:
        return "十" + (digits[number % 10] if number % 10 else "")
    if number < 100:
        return digits[number // 10] + "十" + (digits[number % 10] if number % 10 else "")
    return str(number)
