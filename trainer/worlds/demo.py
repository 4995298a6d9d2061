"""A small demo world for `make run` (idempotent)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from trainer.accounts.services import user_by_username
from trainer.worlds import services
from trainer.worlds.models import World

DEMO_WORLD = "岳阳楼区 demo world"


def seed(db: Session) -> str:
    """Create the demo world (6 grids of 岳阳楼区, seed 2020) unless it exists."""
    world = db.scalar(select(World).where(World.name == DEMO_WORLD))
    if world is None:
        world = services.create_world(db, actor=user_by_username(db, "trainer"),
                                      name=DEMO_WORLD,
                                      spec_data={"region": "430602", "grids": 6}, seed=2020)
    return f"world {world.id}: {world.name} ({world.summary['persons']} persons)"
