"""The examiner's pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from trainer.access import current_actor, roles
from trainer.accounts.models import Role
from trainer.accounts.services import cohorts_visible_to
from trainer.extensions import db_session

bp = Blueprint("review", __name__, template_folder="templates")


@bp.get("/review")
@roles(Role.EXAMINER, Role.ADMIN)
def queue() -> Any:
    """The review queue: the cohorts I mark and their attempts awaiting review."""
    db = db_session()
    user = current_actor()
    return render_template("review/queue.html", cohorts=cohorts_visible_to(db, user))
