"""Demo content for `make run`: the built-in library published, and a play-through begun."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from trainer.accounts.models import User
from trainer.accounts.services import user_by_username
from trainer.scenarios import drafts, services
from trainer.scenarios.models import ScenarioPlay

AUTHORED = "evening-tenants"  # the demo trainer's own scenario, written in the editor

DEMO_STEPS = (("knock", datetime(2020, 11, 2, 19, 0)), ("greet", None), ("show_id", None),
              ("explain_purpose", None))


def seed(db: Session) -> str:
    """Publish the library's new versions; give the demo trainer a play-through in progress."""
    services.sync_library(db, Path(current_app.config["SCENARIO_DIR"]))
    total = len(services.catalogue(db))
    trainer = user_by_username(db, "trainer")
    if trainer is None:
        return f"scenarios: {total} in the catalogue"
    play = db.scalar(select(ScenarioPlay).where(ScenarioPlay.user_id == trainer.id)
                     .order_by(ScenarioPlay.id).limit(1))
    if play is None:
        play = services.start_play(db, trainer,
                                   services.get_version(db, "cooperative-family"))
        for action, at in DEMO_STEPS:
            services.play_step(db, play, "wang", action, at)
    authored = _authored(db, trainer)
    total = len(services.catalogue(db))
    return (f"scenarios: {total} in the catalogue; the trainer's play-through in progress: "
            f"/scenarios/plays/{play.id}; the trainer's own scenario in the editor: {authored}")


def _authored(db: Session, trainer: User) -> str:
    """The demo trainer's own scenario: made from the template, published as version 1 with a
    changelog line, and a draft with one change since (so the editor, the diff and the
    versions have something to show)."""
    if not drafts.exists(db, AUTHORED):
        draft = drafts.create(db, trainer, AUTHORED, "晚归的租户", "Tenants home late")
        drafts.publish_draft(db, trainer, AUTHORED, "First version from the template",
                             draft.revision)
        draft = db.get(drafts.ScenarioDraft, AUTHORED)
        assert draft is not None
        drafts.save(db, trainer, AUTHORED, draft.source.replace(
            "minutes: 10", "minutes: 12", 1), draft.revision)
    return f"/scenarios/{AUTHORED}/edit"
