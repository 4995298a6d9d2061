"""`grid_svg(label=)`: a grid map's building tooltips in words the caller chooses (the core
knows no interface language), escaped, and the stored kind when no label is given."""

from __future__ import annotations

import re

from trainer.core.world.export import grid_svg
from trainer.core.world.grid import make_grid
from trainer.core.world.spec import WorldSpec

BUILDING_TITLE = re.compile(r'data-area="\d+"><title>([^<]*) · (\d+)</title>')


def test_building_tooltips_go_through_the_label_and_are_escaped():
    grid = make_grid(WorldSpec(grids=2, urban_share=0.5), 5, 1)
    asked: list[str] = []

    def label(code: str) -> str:
        asked.append(code)
        return f"<{code.upper()}> & co"

    svg = grid_svg(grid, label=label)
    kinds = [building.kind for building in grid.buildings]
    assert asked == kinds
    titles = BUILDING_TITLE.findall(svg)
    assert titles == [(f"&lt;{kind.upper()}&gt; &amp; co", str(len(building.units)))
                      for kind, building in zip(kinds, grid.buildings, strict=True)]
    assert "<MULTISTOREY>" not in svg and "<HOUSE>" not in svg


def test_without_a_label_the_tooltips_show_the_stored_kind():
    grid = make_grid(WorldSpec(grids=2, urban_share=0.5), 5, 0)
    titles = BUILDING_TITLE.findall(grid_svg(grid))
    assert [kind for kind, _units in titles] == [b.kind for b in grid.buildings]
