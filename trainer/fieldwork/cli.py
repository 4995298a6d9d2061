"""`flask grades regrade`: grade submitted attempts again after a rubric or criteria change."""

from __future__ import annotations

import click
from flask.cli import AppGroup

grades_cli = AppGroup("grades", help="Grade versions of submitted attempts.")


@grades_cli.command("regrade")
@click.option("--scenario", "scenario_id", default=None,
              help="Only the attempts at this scenario (its id).")
@click.option("--own-version", is_flag=True,
              help="Grade each attempt by its own version's rubric (after a criteria change), "
                   "not by the newest published one.")
@click.option("--include-changed", is_flag=True,
              help="Also regrade attempts whose last grade was given on households this "
                   "version of the application draws otherwise (left as graded by default).")
def regrade(scenario_id: str | None, own_version: bool, include_changed: bool) -> None:
    """Regrade submitted attempts; a new grade version is kept only where the result
    differs."""
    from trainer.extensions import db_session
    from trainer.fieldwork import grades

    db = db_session()
    done = grades.regrade_many(db, grades.submitted_attempts(db, scenario_id), actor=None,
                               to_latest=not own_version, include_changed=include_changed)
    db.commit()
    click.echo(f"Regraded {done.checked - done.kept} attempts: {done.changed} with a new grade "
               "version.")
    if done.kept:
        click.echo(f"Left {done.kept} as graded: their last grades were given on households "
                   "drawn otherwise now (--include-changed regrades them too).")
