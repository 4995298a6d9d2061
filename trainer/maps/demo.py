"""Demo content for `make run`: the map of the demo world's first area and the division of
a city grid of the demo world into areas of about 80 housing units, set for the demo cohort
(idempotent)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from trainer.accounts.demo import DEMO_COHORT
from trainer.accounts.models import Cohort
from trainer.maps import services
from trainer.maps.models import MapTask
from trainer.worlds.demo import DEMO_WORLD
from trainer.worlds.models import World

DUE_IN_DAYS = 14
DIVISION_GRID = 2  # the demo world's third grid: a city grid of 29 buildings, 556 units


def seed(db: Session) -> str:
    """Set the map of the demo world's first grid, first area, and the division of its
    third grid into areas of about 80 housing units, for the demo cohort."""
    cohort = db.scalar(select(Cohort).where(Cohort.name == DEMO_COHORT))
    world = db.scalar(select(World).where(World.name == DEMO_WORLD))
    if cohort is None or world is None:
        return "maps: no demo cohort or world"
    task = db.scalar(select(MapTask).where(MapTask.cohort_id == cohort.id,
                                           MapTask.world_id == world.id,
                                           MapTask.grid == 0, MapTask.area == 0))
    today = date.today()
    if task is None:
        task = services.set_task(db, actor=cohort.trainer, cohort=cohort, world=world, grid=0,
                                 area=0, due_on=today + timedelta(days=DUE_IN_DAYS), today=today)
    division = db.scalar(select(MapTask).where(MapTask.cohort_id == cohort.id,
                                               MapTask.world_id == world.id,
                                               MapTask.grid == DIVISION_GRID,
                                               MapTask.area == services.DIVISION_AREA))
    if division is None and world.grids > DIVISION_GRID:
        services.set_task(db, actor=cohort.trainer, cohort=cohort, world=world,
                          grid=DIVISION_GRID, area=services.DIVISION_AREA,
                          kind=services.DIVISION, target_units=80,
                          due_on=today + timedelta(days=DUE_IN_DAYS), today=today)
    return f"maps: {len(services.tasks_of(db, cohort))} for {cohort.name}"
