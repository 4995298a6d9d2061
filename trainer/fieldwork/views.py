"""The trainee's pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from trainer.access import current_actor, roles
from trainer.accounts.models import Role
from trainer.accounts.services import cohorts_visible_to
from trainer.extensions import db_session

bp = Blueprint("fieldwork", __name__, template_folder="templates")


@bp.get("/training")
@roles(Role.TRAINEE)
def my_training() -> Any:
    """My training: my cohorts and the exercises assigned to me."""
    db = db_session()
    user = current_actor()
    return render_template("fieldwork/my_training.html", cohorts=cohorts_visible_to(db, user))
