"""A grid (网格): its layout, buildings, housing units, enumeration areas and households.

`make_grid(spec, seed, index)` builds the skeleton from the grid's own stream: the village it
belongs to, the buildings and their housing units on a lattice of lots, roads, a river and
landmarks, the plan of which household lives in which unit, and the partition into
enumeration areas (普查小区). Households are made only when asked for (`Grid.household`,
`Grid.area_households`): the family and collective households from columns drawn for the
whole grid at once (`bulk.py`; cheap, and the same however the grid is reached), the rare
kinds each from its own stream, so an area's households are built without its neighbours'
(the few rare households before a rare one are drawn, not kept, to settle their ID numbers,
which it must not repeat: `Grid._build_rare`).
Geometry that drawing people never needs (area outlines, building footprints) is made when
read.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from trainer.core.collector import collector_paused
from trainer.core.errors import InvalidInput
from trainer.core.i18n import N_
from trainer.core.world import bulk, idnumber, people, regions
from trainer.core.world.codes import ALL_DIED_HOUSEHOLD_NUMBER, Form, UnitStatus
from trainer.core.world.geometry import Cell, Point, cell_box, inset_box, outline, serpentine
from trainer.core.world.rng import quota_count, quota_pick, stream, stream_seed
from trainer.core.world.spec import (
    GRIDS_PER_VILLAGE,
    MAX_GRIDS,
    MAX_VACANCY,
    VILLAGES_PER_TOWNSHIP,
    WorldSpec,
)

# Unit statuses as plain names: reading a member off its enum class costs ten times as much
# (it matters for hundreds of units a grid).
_VACANT, _OCCUPIED, _ALL_DIED = UnitStatus.VACANT, UnitStatus.OCCUPIED, UnitStatus.ALL_DIED

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
    stairwell: int = 0  # 单元 (entrance and stairwell) of a block of flats, from 1; 0: none
    door: int = 0  # 室号 of a flat: floor × 100 + its place on the landing (502); 0: none


@dataclass(slots=True)
class Building:
    """A building (建筑物) on one lot."""

    index: int  # in serpentine order over the grid
    kind: str  # multistorey, highrise, house, dormitory, work_shed, care_home
    floors: int
    lot: Cell
    units: list[Unit]
    stairwells: int = 0  # 单元 of a block of flats, each with its own entrance; 0: none
    area: int = 0
    number: int = 0  # 建筑物编号 within the enumeration area
    lot_size: tuple[float, float] = (0.0, 0.0)
    margin: tuple[float, float] = (0.0, 0.0)  # between the lot's edges and the walls

    @property
    def footprint(self) -> list[Point]:
        """The building's ring on its lot (made when asked: drawing people never needs it)."""
        return inset_box(cell_box(self.lot, *self.lot_size), *self.margin)


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
    lot_size: tuple[float, float]
    buildings: list[int]
    unit_count: int
    household_numbers: dict[int, int] = field(default_factory=dict)  # household -> 户编号
    enumerators: int = 1  # several when the grid is kept whole as a census group
    features: list[Feature] = field(default_factory=list)  # the grid's, for boundary_text
    owners: dict[Cell, int] = field(default_factory=dict)  # the grid's lots' areas, likewise
    _outline: list[Point] | None = None

    @property
    def outline(self) -> list[Point]:
        """The area's boundary ring, traced on first use (drawing people never needs it)."""
        if self._outline is None:
            self._outline = outline(self.cells, *self.lot_size)
        return self._outline

    @property
    def name(self) -> str:
        return f"第{_chinese_number(self.index + 1)}普查小区"

    def boundary_text(self, english: bool = False) -> str:
        """The area's boundary in words (四至), as written beside the area map: for each side
        from the north, the road or lane along it, else a landmark just beyond it, else the
        neighbouring area's boundary, else the nearest road or lane beyond it, else the grid's
        edge ("北起洞庭路，东至南湖小学围墙，南沿…，西至第二普查小区界")."""
        words = _SIDE_WORDS[english]
        sides = [_side_name(self, side, english) for side in ("north", "east", "south", "west")]
        if english:
            return ", ".join(f"{word} {name}" for word, name in zip(words, sides, strict=True))
        return "，".join(word + name for word, name in zip(words, sides, strict=True)) + "。"


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
    # The ID numbers of the rare households settled so far, in index order (`_build_rare`).
    _rare_numbers: dict[int, list[str]] = field(default_factory=dict)

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
        built = self._households
        missing = [index for index in indices if index not in built] if built else indices
        if missing:
            with collector_paused(promote=True):
                self._build(missing)
        return list(map(built.__getitem__, indices))

    def _build(self, missing: list[int]) -> None:
        if self._batch is None:
            self._batch = _batch(self)
        batch = self._batch
        wanted = [index for index in missing if index in batch.position]
        if len(wanted) == len(batch.indices):  # the whole batch: built in its own order
            self._households.update(zip(batch.indices, batch.everything(), strict=True))
        else:
            self._households.update(zip(wanted, batch.households(wanted), strict=True))
        rare = [index for index in missing if index not in batch.position]
        if rare:
            self._build_rare(batch, rare)
        if len(self._households) == len(self.plans):
            self._batch = None  # every household is built: free the columns
            self._rare_numbers = {}

    def _build_rare(self, batch: bulk.Batch, rare: list[int]) -> None:
        """The rare households `rare`, each from its own stream. A rare household's ID
        number that someone has (a person or death of the batch, or of a rare household
        before it: the rare households' members and the deaths of a grid take two slots,
        `people.world_sequence`) takes the next free sequence of the sex (an HMT or foreign
        resident's document number is not one). So the numbers of the rare households before
        the last one asked for are settled first, in index order, and kept (not those
        households: an area is still built without its neighbours'), and a household has
        the same numbers however the grid is reached."""
        settled = self._rare_numbers
        wanted = set(rare)
        for index in range(max(rare) + 1):
            if index in batch.position or (index in settled and index not in wanted):
                continue
            household = _draw_rare(self, index)
            numbered: list[people.Person | people.Death] = [
                *(p for p in household.persons if p.form != Form.HMT_FOREIGN),
                *household.deaths]
            if index not in settled:  # every rare household before it is settled
                settled[index] = [idnumber.free_number(one.id_number, batch.numbers)
                                  for one in numbered]
            for one, number in zip(numbered, settled[index], strict=True):
                one.id_number = number
            if index in wanted:
                self._households[index] = household


def village_of(spec: WorldSpec, seed: int, grid: int) -> tuple[regions.Village, int]:
    """The 普查区 a grid belongs to, and the grid's number within it.

    Grids are urban by quota (of the first n grids, n × urban_share are urban, give or take
    one), so the urban share holds closely even for small worlds. In a prefecture's world each
    grid then goes to one of its counties (`regions.place_in_region`, town and country grids
    by the counties' town and country residents). Within its county, urban grids are grouped
    three to a residents' committee (居委会), six of those to a 街道; rural grids likewise into
    villages (村委会) and 镇/乡. Everything follows from the grid's index alone.

    InvalidInput for a number no world's grid has (grids are numbered from 0 to
    MAX_GRIDS - 1; the pages and the scenario loader hold grids to their world's own number):
    a prefecture's grids are placed in turn, so a number in the billions would take minutes.
    """
    if not 0 <= grid < MAX_GRIDS:
        raise InvalidInput(N_("No world has a grid %(grid)s: grids are numbered from 0 to "
                              "%(last)s."), field="grid", grid=grid, last=MAX_GRIDS - 1)
    salt = 0.5  # rounds: of the first n grids, round(n × share) are urban
    urban = quota_pick(grid, spec.urban_share, salt)
    urban_before = quota_count(grid, spec.urban_share, salt)
    rank = urban_before if urban else grid - urban_before  # among grids of its kind
    county_code, rank = regions.place_in_region(spec.region, spec.urban_share, urban, rank)
    village_index, position = divmod(rank, GRIDS_PER_VILLAGE)
    township, index = divmod(village_index, VILLAGES_PER_TOWNSHIP)
    township_number = 2 * township + (0 if urban else 1)  # 街道 and 镇 interleave
    return regions.village(seed, county_code, township_number, index, urban), position


def make_grid(spec: WorldSpec, seed: int, index: int) -> Grid:
    """The skeleton of grid `index`: layout, units, household plan and enumeration areas."""
    with collector_paused(promote=True):
        return _make_grid(spec, seed, index)


def _make_grid(spec: WorldSpec, seed: int, index: int) -> Grid:
    rng = stream(seed, "grid", index)
    # Numpy draws what is drawn per unit or per lot, the Python stream the few choices left.
    g = np.random.Generator(np.random.PCG64(stream_seed(seed, "grid", index, "skeleton")))
    village, position = village_of(spec, seed, index)
    county = regions.county(village.code[:6])
    urban = village.urban
    plans, residential = _plan_households(rng, g, spec, urban)
    buildings, units = _buildings(rng, g, spec, urban, plans, residential)
    lot_size = URBAN_LOT if urban else RURAL_LOT
    cols = URBAN_COLS if urban else RURAL_COLS
    rows, features = _layout(rng, g, buildings, urban, cols, lot_size,
                             regions.local_parts(county.code))
    grid = Grid(seed, index, spec, county, village, urban, rows, cols, lot_size, buildings,
                units, features, [], plans, position)
    grid.second_home_owners = {u.second_home_of for u in units if u.second_home_of is not None}
    grid.areas = _partition(grid)
    _number(grid)
    return grid


# Planning ----------------------------------------------------------------------------


def _plan_households(rng: random.Random, g: np.random.Generator, spec: WorldSpec,
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
    roll = g.random(family)
    kind = np.where(roll < rates.hmt_foreign, 1,
                    np.where(roll < rates.hmt_foreign + rates.no_housing, 2, 0))
    names = ("family", "hmt_foreign", "no_housing")
    plans.extend(map(Plan, map(names.__getitem__, kind.tolist())))
    occupied = int(np.count_nonzero(kind < 2))  # in family dwellings: family and hmt_foreign
    all_died = int(g.binomial(occupied, rates.whole_household_death))
    plans.extend(Plan("all_died") for _ in range(all_died))
    second = int(g.binomial(occupied, rates.second_household))
    plans.extend(Plan("second") for _ in range(second))
    return plans, occupied + all_died


def _buildings(rng: random.Random, g: np.random.Generator, spec: WorldSpec, urban: bool,
               plans: list[Plan], occupied_units: int) -> tuple[list[Building], list[Unit]]:
    """Buildings and units enough for the plan, with vacancies, second homes and shops."""
    rates = spec.rates
    kinds = [plan.kind for plan in plans]
    families = [index for index, kind in enumerate(kinds) if kind == "family"]
    second_homes = int(g.binomial(len(families), rates.multiple_dwellings))
    vacancy = min(rates.vacant_units, MAX_VACANCY)
    vacant = round((occupied_units + second_homes) * vacancy / (1 - vacancy))
    needed = occupied_units + second_homes + vacant
    # A building (with up to 3 shops) holds at most half the width of the area bounds, so a
    # run of lots can be cut into areas within the bounds. Taller towers, which the census
    # cuts vertically between areas, are not generated yet.
    largest = max(1, min((spec.area_max_units - spec.area_min_units) // 2 - 3, 72))
    buildings = (_urban_buildings(rng, needed, largest, rates.shop_units) if urban
                 else _houses(g, needed))
    residential = [unit for building in buildings for unit in building.units if not unit.shop]
    # Which residential unit holds what: shuffled over the grid.
    status = g.permutation(np.repeat([0, 1, 2], [occupied_units, second_homes, vacant]))
    occupied_slots = list(map(residential.__getitem__, np.flatnonzero(status == 0).tolist()))
    second_slots = list(map(residential.__getitem__, np.flatnonzero(status == 1).tolist()))
    owners = g.permutation(families).tolist() if families else []
    for unit, owner in zip(second_slots, owners, strict=False):
        unit.second_home_of = owner
    dwellers = [index for index, kind in enumerate(kinds)
                if kind == "family" or kind == "hmt_foreign" or kind == "all_died"]
    occupied, all_died = _OCCUPIED, _ALL_DIED
    for unit, index in zip(occupied_slots, dwellers, strict=True):
        unit.households.append(index)
        unit.status = all_died if kinds[index] == "all_died" else occupied
    occupied_list = [unit for unit in occupied_slots if unit.status is occupied]
    for index in [index for index, kind in enumerate(kinds) if kind == "second"]:
        rng.choice(occupied_list).households.append(index)
    # Collective households each get a building of their own; shops may house their keepers.
    for index in [index for index, kind in enumerate(kinds) if kind == "collective"]:
        kind = plans[index].collective_kind
        building = Building(len(buildings), kind or "dormitory",
                            1 if kind == "work_shed" else rng.randint(2, 5), (0, 0), [])
        building.units.append(Unit(building.index, 1, UnitStatus.OCCUPIED, [index]))
        buildings.append(building)
    if not urban:
        houses = [building for building in buildings if building.kind == "house"]
        for _ in range(max(0, round(len(residential) * rates.shop_units)) if houses else 0):
            house = rng.choice(houses)
            house.units.insert(0, Unit(house.index, 1, UnitStatus.SHOP, shop=True))
    shops = [unit for building in buildings for unit in building.units if unit.shop]
    for unit, dweller in zip(shops, (g.random(len(shops)) < rates.shop_dwellers).tolist(),
                             strict=True):
        if dweller:
            plans.append(Plan("shop"))
            unit.households.append(len(plans) - 1)
            unit.status = UnitStatus.OCCUPIED
    # Shuffle building order so collective buildings and shops sit among the others.
    buildings = [buildings[i] for i in g.permutation(len(buildings)).tolist()]
    units: list[Unit] = []
    for position, building in enumerate(buildings):
        building.index = position
        for unit in building.units:
            unit.building = position
            for household in unit.households:
                plans[household].unit = len(units)
            units.append(unit)
    return buildings, units


def _houses(g: np.random.Generator, needed: int) -> list[Building]:
    """Village houses of 1-3 floors, one dwelling each."""
    floors = np.searchsorted([0.25, 0.80], g.random(needed), side="right") + 1
    vacant = _VACANT
    return [Building(index, "house", height, (0, 0), [Unit(index, 1, vacant)])
            for index, height in enumerate(floors.tolist())]


def _urban_buildings(rng: random.Random, needed: int, largest: int,
                     shop_share: float) -> list[Building]:
    """Multistorey and high-rise blocks with `needed` dwellings; some with street shops.

    A multistorey block has one stairwell (单元) for every two flats a floor (一梯两户), a
    high-rise one stairwell for its 2-4 flats a floor (一梯多户). The flats are listed
    stairwell by stairwell, each from the ground floor up, as an enumerator walks and
    numbers them (住房单元编号); a block that the grid's last dwellings only partly fill has
    its last stairwell's upper floors left out.
    """
    buildings: list[Building] = []
    count = 0
    vacant = _VACANT
    while count < needed:
        if rng.random() < 0.65:
            floors, per_floor = rng.randint(5, 7), 2 * rng.randint(1, 3)
            kind, stairwells = "multistorey", per_floor // 2
        else:
            floors, per_floor = rng.randint(11, 18), rng.choice((2, 3, 4))
            kind, stairwells = "highrise", 1
        while floors * per_floor > largest and floors > 1:
            floors -= 1
        size = min(floors * per_floor, needed - count)
        index = len(buildings)
        landing = per_floor // stairwells  # flats a floor in one stairwell
        # (Unit's fields given in order: with keywords a unit took twice as long to make)
        units = [Unit(index, floor, vacant, [], False, None, 0, stairwell, floor * 100 + place)
                 for stairwell in range(1, stairwells + 1) for floor in range(1, floors + 1)
                 for place in range(1, landing + 1)][:size]
        if kind == "multistorey" and rng.random() < shop_share * 8:
            units[:0] = [Unit(index, 0, UnitStatus.SHOP, shop=True)
                         for _ in range(rng.randint(1, 3))]
        buildings.append(Building(index, kind, floors, (0, 0), units,
                                  stairwells=-(-size // (floors * landing))))
        count += size
    return buildings


# Layout ------------------------------------------------------------------------------


def _layout(rng: random.Random, g: np.random.Generator, buildings: list[Building], urban: bool,
            cols: int, lot: tuple[float, float], parts: tuple[str, ...]
            ) -> tuple[int, list[Feature]]:
    """Put buildings and landmarks on lots in serpentine order; draw roads and water, named
    from `parts` (the county's `regions.local_parts`)."""
    landmarks = (["school", "market", "clinic"] if urban
                 else ["school", "clinic", "pond", "field", "field", "field"])
    cells_needed = len(buildings) + len(landmarks)
    rows = max(2, math.ceil(cells_needed / cols))
    order = serpentine(rows, cols)
    kinds: list[str | None] = [None] * len(order)
    for landmark, position in zip(landmarks, g.choice(len(order), len(landmarks),
                                                      replace=False).tolist(), strict=True):
        kinds[position] = landmark
    width, height = lot
    margin = (6.0, 5.0) if urban else (7.0, 7.0)
    features: list[Feature] = []
    remaining = iter(buildings)
    for cell, kind in zip(order, kinds, strict=True):
        building = next(remaining, None) if kind is None else None
        if building is not None:
            building.lot, building.lot_size, building.margin = cell, lot, margin
        else:
            features.append(Feature(kind or "field",
                                    _landmark_name(rng, kind or "field", parts),
                                    inset_box(cell_box(cell, width, height), 2.0, 2.0)))
    grid_width, grid_height = cols * width, rows * height
    step = 1 if urban else 2
    for row in range(0, rows + 1, step):
        suffix = "路" if row % (2 * step) == 0 else "街"
        features.append(Feature("road", _road_name(rng, suffix, parts),
                                [(0.0, row * height), (grid_width, row * height)]))
    for col in range(0, cols + 1, 3 if urban else 5):
        features.append(Feature("lane", _road_name(rng, "巷", parts),
                                [(col * width, 0.0), (col * width, grid_height)]))
    if not urban:
        y = grid_height + height / 2
        features.append(Feature("river", rng.choice(parts) + "河",
                                [(0.0, y), (grid_width, y)]))
        x = (cols // 2) * width
        features.append(Feature("bridge", rng.choice(parts) + "桥",
                                [(x - 4, grid_height), (x + 4, grid_height),
                                 (x + 4, grid_height + height), (x - 4, grid_height + height)]))
    return rows, features


def _road_name(rng: random.Random, suffix: str, parts: tuple[str, ...]) -> str:
    return rng.choice(parts) + suffix


def _landmark_name(rng: random.Random, kind: str, parts: tuple[str, ...]) -> str:
    part = rng.choice(parts)
    return {"school": f"{part}小学", "market": f"{part}农贸市场", "clinic": f"{part}卫生服务站",
            "pond": f"{part}塘", "field": "农田"}.get(kind, part)


# Partition ---------------------------------------------------------------------------


def _partition(grid: Grid) -> list[Area]:
    """Cut the serpentine run of lots into areas of area_min..area_max units near the target."""
    spec = grid.spec
    order = serpentine(grid.rows, grid.cols)
    at = {building.lot: building for building in grid.buildings}
    counts = [len(at[cell].units) if cell in at else 0 for cell in order]
    if spec.partition == "group":
        total = sum(counts)
        area = Area(0, "001", order, grid.lot_size, [b.index for b in grid.buildings], total,
                    features=grid.features)
        area.enumerators = max(1, round(total / spec.area_target_units))
        return [area]
    cuts = _cuts(counts, spec.area_min_units, spec.area_max_units, spec.area_target_units)
    areas = []
    for number, (start, end) in enumerate(itertools.pairwise(cuts)):
        cells = order[start:end]
        areas.append(Area(number, f"{number + 1:03d}", cells, grid.lot_size,
                          sorted(at[cell].index for cell in cells if cell in at),
                          sum(counts[start:end]), features=grid.features))
    owners = {cell: area.index for area in areas for cell in area.cells}
    for area in areas:
        area.owners = owners
    return areas


def _cuts(counts: list[int], low: int, high: int, target: int) -> list[int]:
    """Cut positions 0 = c0 < ... < ck = n with every part's sum in [low, high].

    Mostly the k equal parts nearest the target, each cut at the lot boundary nearest its
    share (cheap); where that misses the bounds, the exact search of `_best_cuts`.
    """
    n = len(counts)
    prefix = list(itertools.accumulate(counts, initial=0))
    total = prefix[-1]
    if total <= high:
        return [0, n]
    fewest, most = -(-total // high), total // low
    parts = min(max(round(total / target), fewest), max(most, fewest))
    # Cut only after a lot with units (empty lots join the area before).
    allowed = [end for end in range(1, n) if counts[end - 1]]
    sums = [prefix[end] for end in allowed]
    cuts = [0]
    for part in range(1, parts):
        share = total * part / parts
        at = bisect.bisect_left(sums, share)
        options = [i for i in (at - 1, at) if 0 <= i < len(allowed) and allowed[i] > cuts[-1]]
        if not options:
            break
        best = min(options, key=lambda i: abs(sums[i] - share))
        cuts.append(allowed[best])
    cuts.append(n)
    if len(cuts) == parts + 1 and all(
            low <= prefix[end] - prefix[start] <= high for start, end in itertools.pairwise(cuts)):
        return cuts
    return _best_cuts(counts, low, high, target)


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
    buildings, plans = grid.buildings, grid.plans
    for area in grid.areas:
        unit_number = 0
        household_number = 0
        found_later: list[int] = []
        numbers = area.household_numbers
        for building_number, building_index in enumerate(area.buildings, start=1):
            building = buildings[building_index]
            building.area, building.number = area.index, building_number
            for unit in building.units:
                unit_number += 1
                unit.number = unit_number
                for household in unit.households:
                    kind = plans[household].kind
                    if kind == "all_died":
                        numbers[household] = ALL_DIED_HOUSEHOLD_NUMBER
                    elif kind == "second":
                        found_later.append(household)
                    else:
                        household_number += 1
                        numbers[household] = household_number
        for household in found_later:  # found at registration: max + 1
            household_number += 1
            numbers[household] = household_number
    homeless = [index for index, plan in enumerate(grid.plans) if plan.kind == "no_housing"]
    for index in homeless:
        area = grid.areas[index % len(grid.areas)]
        area.household_numbers[index] = max(
            (n for n in area.household_numbers.values() if n != ALL_DIED_HOUSEHOLD_NUMBER),
            default=0) + 1


def _batch(grid: Grid) -> bulk.Batch:
    """Draw the columns of the grid's family and collective households."""
    plans = grid.plans
    index = [n for n, plan in enumerate(plans) if plan.kind == "family" or plan.kind == "second"]

    def floors(position: int) -> int:
        unit = plans[index[position]].unit
        return grid.buildings[grid.units[unit or 0].building].floors

    families = bulk.Families(index, {n for n in index if plans[n].kind == "second"},
                             grid.second_home_owners, floors)
    collectives = [bulk.CollectiveSlot(n, plan.collective_kind or "dormitory", plan.size)
                   for n, plan in enumerate(plans) if plan.kind == "collective"]
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


# Boundary descriptions ------------------------------------------------------------------

_SIDE_WORDS = {False: ("北起", "东至", "南沿", "西至"),
               True: ("north from", "east to", "south along", "west to")}
_STEP = {"north": (1, 0), "east": (0, 1), "south": (-1, 0), "west": (0, -1)}
_WALLED = ("school", "market", "clinic")


def _side_name(area: Area, side: str, english: bool) -> str:
    """What bounds one side of the area: a road or lane on its edge, a landmark beyond it, the
    river north of a village, the nearest road or lane beyond it, or the grid's edge."""
    width, height = area.lot_size
    rows = [row for row, _col in area.cells]
    cols = [col for _row, col in area.cells]
    horizontal = side in ("north", "south")
    edge = {"north": (max(rows) + 1) * height, "south": min(rows) * height,
            "east": (max(cols) + 1) * width, "west": min(cols) * width}[side]
    outward = 1 if side in ("north", "east") else -1
    # Roads (east-west) or lanes (north-south) on the edge or beyond it, nearest first.
    lines = sorted((outward * ((f.geometry[0][1] if horizontal else f.geometry[0][0]) - edge),
                    f.name) for f in area.features if f.kind == ("road" if horizontal else "lane"))
    lines = [(distance, name) for distance, name in lines if distance > -1e-6]
    if lines and lines[0][0] < 1e-6:
        return lines[0][1]
    inside = set(area.cells)
    d_row, d_col = _STEP[side]
    beyond = {(row + d_row, col + d_col) for row, col in area.cells} - inside
    for feature in area.features:
        if feature.kind in (*_WALLED, "pond", "field"):
            x, y = feature.geometry[0]
            if (int(y // height), int(x // width)) in beyond:
                return _landmark_words(feature, english)
    if side == "north":
        river = next((f for f in area.features if f.kind == "river"), None)
        if river is not None and edge >= river.geometry[0][1] - height:
            return river.name
    # Another area's lots just beyond the side's outermost line of lots: the boundary between
    # them, not a road past those lots (which would take the neighbour's buildings in).
    outermost = {"north": max(rows), "south": min(rows), "east": max(cols), "west": min(cols)}
    line = [(row + d_row, col + d_col) for row, col in area.cells
            if (row if horizontal else col) == outermost[side]]
    others = sorted(area.owners[cell] for cell in line
                    if area.owners.get(cell, area.index) != area.index)
    if others:
        neighbour = max(set(others), key=lambda index: (others.count(index), -index))
        return neighbour_boundary(neighbour, english)
    if lines:
        return lines[0][1]
    return "the grid boundary" if english else "网格边界"


def neighbour_boundary(index: int, english: bool) -> str:
    """The words for the boundary with the grid's `index`-th enumeration area."""
    if english:
        return f"the boundary of enumeration area {index + 1:03d}"
    return f"第{_chinese_number(index + 1)}普查小区界"


def _landmark_words(feature: Feature, english: bool) -> str:
    if feature.kind in _WALLED:
        return f"the wall of {feature.name}" if english else f"{feature.name}围墙"
    if feature.kind == "field":
        return "the fields" if english else feature.name
    return feature.name


def _chinese_number(number: int) -> str:
    digits = "零一二三四五六七八九"
    if number < 10:
        return digits[number]
    if number < 20:
        return "十" + (digits[number % 10] if number % 10 else "")
    if number < 100:
        return digits[number // 10] + "十" + (digits[number % 10] if number % 10 else "")
    return str(number)
