"""The listing walk (摸底): the buildings of the enumeration area, drawn to be walked one by one.

When every unit of the assignment was picked from one area of a generated world, the walk
shows that area as the world has it: its outline and every building's footprint, numbered.
Otherwise (households written out in the scenario) it is a schematic street: the buildings
in number order, side by side. Either way each building lists the assignment's units in it,
in unit-number order. Coordinates are metres with y pointing north; the view flips them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from trainer.core.scenario.households import TruthHousehold, world_spec
from trainer.core.scenario.model import Scenario
from trainer.core.world.geometry import Point
from trainer.core.world.grid import make_grid

SCHEMATIC_SIZE = (40.0, 30.0)  # one schematic building, metres
SCHEMATIC_GAP = 14.0


@dataclass(frozen=True, slots=True)
class WalkBuilding:
    """One building: its 建筑物编号, its footprint and the assignment's units in it."""

    number: int
    footprint: tuple[Point, ...]
    units: tuple[str, ...]
    street: str = ""


@dataclass(frozen=True, slots=True)
class Walk:
    """The area to walk: its buildings in number order, the outline when from a world."""

    buildings: tuple[WalkBuilding, ...]
    outline: tuple[Point, ...] = ()
    from_world: bool = False

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) of everything drawn."""
        points = [*self.outline, *(p for b in self.buildings for p in b.footprint)]
        if not points:
            return 0.0, 0.0, 100.0, 50.0
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        return min(xs), min(ys), max(xs), max(ys)

    def building(self, number: int) -> WalkBuilding | None:
        """The building with that number, if the walk has it."""
        return next((b for b in self.buildings if b.number == number), None)


def walk_of(scenario: Scenario, seed: int, truths: Mapping[str, TruthHousehold],
            units: Sequence[str]) -> Walk:
    """The walk of the assignment's `units`: from the world when they all come from one of
    its areas, else schematic."""
    return _from_world(scenario, seed, truths, units) or _schematic(truths, units)


def _schematic(truths: Mapping[str, TruthHousehold], units: Sequence[str]) -> Walk:
    by_building: dict[int, list[str]] = {}
    for unit in units:
        by_building.setdefault(truths[unit].building, []).append(unit)
    width, height = SCHEMATIC_SIZE
    buildings = []
    for position, number in enumerate(sorted(by_building)):
        left = position * (width + SCHEMATIC_GAP)
        inside = sorted(by_building[number], key=lambda u: truths[u].unit)
        buildings.append(WalkBuilding(
            number, ((left, 0.0), (left + width, 0.0), (left + width, height), (left, height)),
            tuple(inside), truths[inside[0]].street))
    return Walk(tuple(buildings))


def _from_world(scenario: Scenario, seed: int, truths: Mapping[str, TruthHousehold],
                units: Sequence[str]) -> Walk | None:
    picks = {h.id: h.pick for h in scenario.households}
    grids = {int((picks.get(unit) or {}).get("grid", 0)) for unit in units}
    if not units or any(picks.get(unit) is None for unit in units) or len(grids) != 1:
        return None
    grid = make_grid(world_spec(scenario), seed, grids.pop())
    placed: dict[int, list[str]] = {}  # building index in the grid -> units
    for unit in units:
        household = truths[unit].household
        plan = grid.plans[household.index] if household is not None else None
        if plan is None or plan.unit is None:
            return None  # a household with no dwelling of its own: nothing to place
        placed.setdefault(grid.units[plan.unit].building, []).append(unit)
    areas = {grid.buildings[index].area for index in placed}
    if len(areas) != 1:
        return None
    area = grid.areas[areas.pop()]
    buildings = []
    for index in area.buildings:
        building = grid.buildings[index]
        inside = sorted(placed.get(index, []), key=lambda u: truths[u].unit)
        buildings.append(WalkBuilding(building.number, tuple(building.footprint),
                                      tuple(inside)))
    return Walk(tuple(sorted(buildings, key=lambda b: b.number)), tuple(area.outline), True)
