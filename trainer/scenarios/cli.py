"""`flask scenarios check [PATH...]` and `flask scenarios sync`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

scenarios_cli = AppGroup("scenarios", help="The scenario library.")


@scenarios_cli.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--no-bot", is_flag=True, help="Skip the path bot (faster).")
def check(paths: tuple[Path, ...], no_bot: bool) -> None:
    """Validate scenario files, run the static checks and the path bot."""
    from trainer.scenarios.services import check_file, library_files

    files = library_files(paths or (Path(current_app.config["SCENARIO_DIR"]),))
    failed = 0
    for path in files:
        report = check_file(path, run_bot=not no_bot)
        for error in report.errors:
            click.echo(error.text(), err=True)
        if report.errors:
            failed += 1
            click.echo(f"FAIL {path}")
            continue
        line = f"ok   {path}"
        if report.bot is not None:
            bot = report.bot
            assert bot.best is not None and bot.worst is not None
            line += (f"  best {bot.best.score:.1f}  worst {bot.worst.score:.1f}  outcomes "
                     f"{','.join(sorted(bot.outcomes))}  states {bot.states}"
                     f"{'' if bot.complete else ' (budget reached)'}")
        click.echo(line)
    click.echo(f"{len(files) - failed} of {len(files)} scenario files pass")
    if failed or not files:
        sys.exit(1)


@scenarios_cli.command("sync")
def sync() -> None:
    """Load the built-in library into the database as published versions."""
    from trainer.core.errors import DomainError
    from trainer.core.scenario.loader import ScenarioInvalid
    from trainer.extensions import db_session
    from trainer.scenarios.services import sync_library

    db = db_session()
    try:
        added = sync_library(db, Path(current_app.config["SCENARIO_DIR"]))
    except ScenarioInvalid as invalid:
        raise click.ClickException("\n".join(e.text() for e in invalid.errors)) from invalid
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    db.commit()
    for version in added:
        click.echo(f"published {version.scenario_id} v{version.version}")
    click.echo(f"{len(added)} new versions")
