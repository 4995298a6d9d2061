"""Demo content for `make run`: the map of the demo world's first area, set for the demo
cohort (idempotent)."""

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


def seed(db: Session) -> str:
    """Set the map of the demo world's first grid, first area, for the demo cohort."""
    cohort = db.scalar(select(Cohort).where(Cohort.name == DEMO_COHORT))
    world = db.scalar(select(World).where(World.name == DEMO_WORLD))
    if cohort is None or world is None:
        return "maps: no demo cohort or world"
    task = db.scalar(select(MapTask).where(MapTask.cohort_id == cohort.id,
                                           MapTask.world_id == world.id,
                                           MapTask.grid == 0, MapTask.area == 0))
    if task is None:
        today = date.today()
        task = services.set_task(db, actor=cohort.trainer, cohort=cohort, world=world, grid=0,
                                 area=0, due_on=today + timedelta(days=DUE_IN_DAYS), today=today)
    return f"maps: {len(services.tasks_of(db, cohort))} for {cohort.name}"
