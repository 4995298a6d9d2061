"""Demo worlds for `make run` (idempotent): 岳阳楼区 alone, and all of Yueyang."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from trainer.accounts.services import user_by_username
from trainer.worlds import services
from trainer.worlds.models import World

DEMO_WORLD = "岳阳楼区 demo world"
CITY_DEMO_WORLD = "岳阳市 demo world"
# (name, spec, seed): the map tasks' demo uses the first
DEMO_WORLDS = ((DEMO_WORLD, {"region": "430602", "grids": 6}, 2020),
               (CITY_DEMO_WORLD, {"region": "430600", "grids": 27}, 2020))


def seed(db: Session) -> str:
    """Create the demo worlds (6 grids of 岳阳楼区; 27 grids across Yueyang's nine counties)
    unless they exist."""
    made = []
    for name, spec, world_seed in DEMO_WORLDS:
        world = db.scalar(select(World).where(World.name == name))
        if world is None:
            world = services.create_world(db, actor=user_by_username(db, "trainer"), name=name,
                                          spec_data=spec, seed=world_seed)
        made.append(f"world {world.id}: {world.name} ({world.summary['persons']} persons)")
    return "; ".join(made)
