"""What the generator's speed rests on, pinned so that a change of numpy or of the collector
code fails here rather than silently altering worlds or the heap.

- One uniform block of n + m draws gives the same numbers as n draws then m draws: `bulk.py`
  takes several consecutive draws as one block (fewer numpy calls, the same stream).
- A grid's objects leave the collector's young generations when the grid is made, so the
  collector does not trace them again; objects someone else froze stay frozen.
"""

from __future__ import annotations

import gc

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.core.world import idnumber
from trainer.core.world.grid import make_grid
from trainer.core.world.spec import Rates, WorldSpec

SMALL = WorldSpec(households_min=300, households_max=340)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**64 - 1),
       sizes=st.lists(st.integers(min_value=0, max_value=300), min_size=1, max_size=10))
def test_one_block_of_uniform_draws_equals_consecutive_draws(seed: int, sizes: list[int]) -> None:
    one = np.random.Generator(np.random.PCG64(seed))
    several = np.random.Generator(np.random.PCG64(seed))
    block = one.random(sum(sizes))
    parts = np.concatenate([several.random(size) for size in sizes])
    assert block.tobytes() == parts.tobytes()
    # Both generators stand at the same place afterwards.
    assert one.random() == several.random()


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), index=st.integers(0, 40))
def test_id_numbers_put_together_as_arrays_are_well_formed(seed: int, index: int) -> None:
    # Many persons without a number and many pending hukou: the rows that are overwritten.
    spec = WorldSpec(households_min=300, households_max=340,
                     rates=Rates(no_id_number=0.2, hukou_pending=0.1))
    grid = make_grid(spec, seed, index)
    numbers = [person.id_number for household in grid.households()
               for person in household.persons if person.nationality is None]
    assert idnumber.NO_NUMBER in numbers
    for number in numbers:
        assert type(number) is str and len(number) == 18
        assert number == idnumber.NO_NUMBER or idnumber.is_valid(number), number


def test_a_grids_objects_leave_the_young_generations() -> None:
    collections: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    assert gc.isenabled()
    gc.collect()
    gc.callbacks.append(count)
    try:
        grid = make_grid(SMALL, 5, 3)
        households = grid.households()
        young = gc.get_count()[0]
    finally:
        gc.callbacks.remove(count)
    assert sum(len(household.persons) for household in households) > 500
    # Thousands of objects were made, and none of them was traced: no collection ran, and
    # the young generation holds almost nothing.
    assert collections == []
    assert young < 100
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_objects_frozen_by_someone_else_stay_frozen() -> None:
    gc.collect()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        make_grid(SMALL, 5, 4).households()
        # Frozen objects that die leave the count (a few do); an unfreeze would empty it.
        assert gc.get_freeze_count() > frozen // 2
        assert gc.isenabled()
    finally:
        gc.unfreeze()


def test_the_collector_stays_paused_when_it_was_paused() -> None:
    gc.disable()
    try:
        make_grid(SMALL, 5, 5).households()
        assert not gc.isenabled()
        assert gc.get_freeze_count() == 0
    finally:
        gc.enable()
