"""The trainee's pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user

from trainer.access import roles
from trainer.accounts.models import Role, User
from trainer.accounts.services import cohorts_visible_to
from trainer.extensions import db_session

bp = Blueprint("fieldwork", __name__, template_folder="templates")


@bp.get("/training")
@roles(Role.TRAINEE)
def my_training() -> Any:
    """My training: my cohorts and the exercises assigned to me."""
    db = db_session()
    user = db.get(User, current_user.id)
    assert user is not None
    return render_template("fieldwork/my_training.html", cohorts=cohorts_visible_to(db, user))
