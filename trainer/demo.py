"""Demo content for `make run`: every feature adds its seeder to DEMO_SEEDERS, in order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from trainer.accounts import demo as accounts_demo
from trainer.certification import demo as certification_demo
from trainer.fieldwork import demo as fieldwork_demo
from trainer.maps import demo as maps_demo
from trainer.scenarios import demo as scenarios_demo
from trainer.video import demo as video_demo
from trainer.worlds import demo as worlds_demo

DEMO_SEEDERS: list[tuple[str, Callable[[Session], Any]]] = [
    ("accounts", accounts_demo.seed),
    ("worlds", worlds_demo.seed),
    ("scenarios", scenarios_demo.seed),
    ("exercises", fieldwork_demo.seed),
    ("clips", video_demo.seed),
    ("maps", maps_demo.seed),
    ("certification", certification_demo.seed),
]


def seed_all(db: Session) -> dict[str, Any]:
    """Run every seeder (each is idempotent); return what each reported."""
    return {name: seeder(db) for name, seeder in DEMO_SEEDERS}
