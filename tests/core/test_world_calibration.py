"""A world of more than 100,000 persons matches the 2020 figures within stated tolerances."""

from __future__ import annotations

import pytest

from trainer.core.world.grid import make_grid
from trainer.core.world.spec import WorldSpec
from trainer.core.world.stats import TARGETS, Tally, compare

# Urban status is decided per grid, so its share moves in steps of one grid's persons; 200
# grids (about 240,000 persons) keep that step well inside the 1-point tolerance.
GRIDS = 200


@pytest.fixture(scope="module")
def rows():
    spec = WorldSpec(grids=GRIDS)
    tally = Tally()
    for index in range(GRIDS):
        grid = make_grid(spec, 2020, index)
        tally.add(grid.households(), grid.urban)
    assert tally.persons >= 100_000
    return {row["key"]: row for row in compare(tally)}


@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.key)
def test_figure_within_tolerance(rows, target):
    row = rows[target.key]
    assert abs(row["generated"] - target.value) <= target.tolerance, row


def test_tolerances_are_those_the_issue_states():
    by_unit = {target.key: target.tolerance for target in TARGETS}
    assert by_unit["family_household_size"] == 0.05
    assert by_unit["sex_ratio"] == 1.5
    # Shares within 1 point; the ethnic shares (minorities are 0.18 %) within 0.1 point.
    ethnic = {"han_share", "minority_share"}
    assert all(target.tolerance == 1.0 for target in TARGETS
               if target.unit == "%" and target.key not in ethnic)
    assert [by_unit[key] for key in sorted(ethnic)] == [0.1, 0.1]


def test_the_default_urban_share_is_the_calibration_figure():
    """The urban share follows the spec; its default is the domain file's figure."""
    target = next(target for target in TARGETS if target.key == "urban_share")
    assert WorldSpec().urban_share * 100 == pytest.approx(target.value)
