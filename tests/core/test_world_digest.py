"""The generator's output is pinned: the same (spec, seed) gives byte-identical worlds.

The digests below were recorded from the generator before it was optimised; a change that
alters them changes every stored world (which is stored as spec + seed), so it must not happen
by accident. A change meant to alter the output records new digests here, and says why.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from collections.abc import Mapping
from datetime import date
from typing import Any

import pytest

from trainer.core.world.export import grid_geojson, persons_csv
from trainer.core.world.grid import Grid, make_grid
from trainer.core.world.spec import Rates, WorldSpec

# Raised rates of the rare kinds, so that every maker and branch is pinned too.
RARE = Rates(hmt_foreign=0.05, no_housing=0.03, whole_household_death=0.03, shop_units=0.15,
             shop_dwellers=0.8, second_household=0.05, multiple_dwellings=0.06,
             hukou_pending=0.05, no_id_number=0.05, deaths=0.05, newborn_died=0.05,
             abroad=0.05, long_form=0.3)

CASES = {
    "default": (WorldSpec(), 7, (0, 1, 2, 3)),
    "large": (WorldSpec(households_min=500, households_max=500), 11, (0, 5)),
    "rare": (WorldSpec(rates=RARE), 2020, (0, 1, 2)),
    "rural_county": (WorldSpec(region="430626", urban_share=0.0), 3, (0, 1)),
    "generic_county": (WorldSpec(region="110105"), 99, (4,)),
    "group": (WorldSpec(partition="group", households_min=300, households_max=320), 5, (1,)),
}

DIGESTS = {
    "default":
        "346c72d8e32f5226feca23fac2aec6acbc6af1774b4388592d15afcc485477d0",
    "large":
        "3b059552ebec4433f3d1a9472be9408d38c74244770835cab86a2181b1fdffe1",
    "rare":
        "68b28eac7cd90bcdc2ecfb6cc70380bff1e730f135239590a0de03e13728711c",
    "rural_county":
        "159dfe4372e99628b7cf2a275acd946fa65cb8b80bd9eb24017c586bc54b67ce",
    "generic_county":
        "5cf1a2051f1f3cb1f12a779580cece184b37710ba6cc3d12213775af5d2f4dbc",
    "group":
        "3bda7ec45c592ce8b0f9f40dfc4877ada3dec8c3ccf894e38c9ce964bf690773",
}


def plain(value: Any) -> Any:
    """A JSON-ready copy with a stable form for every type the world uses."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.name not in ("_households", "_batch", "_outline", "spec", "features")}
    if isinstance(value, enum.Enum):
        return [type(value).__name__, value.value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Mapping):
        return [[plain(k), plain(v)] for k, v in value.items()]
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, set):
        return sorted(plain(item) for item in value)
    return value


def grid_digest_parts(grid: Grid) -> list[Any]:
    """Everything a grid holds: skeleton, households (in index order), areas' households
    and descriptions, exports."""
    households = grid.households()
    return [
        plain(grid),  # skeleton: buildings, units, plans, areas and their numbering
        plain(grid.features),
        [plain(household) for household in households],
        [[area.code, area.boundary_text(), area.boundary_text(english=True),
          [number for number, _h in grid.area_households(area)]] for area in grid.areas],
        grid_geojson(grid),
        persons_csv([grid]),
    ]


def digest(spec: WorldSpec, seed: int, indices: tuple[int, ...]) -> str:
    """sha256 of the canonical JSON of the grids, plus each grid's first area drawn alone
    and one household drawn alone (which take other paths through the generator)."""
    parts: list[Any] = []
    for index in indices:
        parts.append(grid_digest_parts(make_grid(spec, seed, index)))
        alone = make_grid(spec, seed, index)
        parts.append([[number, plain(household)]
                      for number, household in alone.area_households(alone.areas[0])])
        single = make_grid(spec, seed, index)
        parts.append(plain(single.household(len(single.plans) // 2)))
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize("case", sorted(CASES))
def test_output_is_what_it_was(case):
    spec, seed, indices = CASES[case]
    assert digest(spec, seed, indices) == DIGESTS[case]
