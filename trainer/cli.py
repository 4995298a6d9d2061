"""Flask CLI commands: `flask db ...`, `flask users create`, `flask demo seed`,
`flask backup` and `flask restore` (trainer/backup.py)."""

from __future__ import annotations

from typing import Any

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app
from flask.cli import AppGroup

from trainer.config import project_root

db_cli = AppGroup("db", help="Database migrations (Alembic).")
users_cli = AppGroup("users", help="User accounts.")
demo_cli = AppGroup("demo", help="Demo content.")


def alembic_config(database_url: str | None = None) -> Config:
    """Alembic's configuration for this project, pointed at the app's database."""
    cfg = Config(str(project_root() / "alembic.ini"))
    cfg.set_main_option("script_location", str(project_root() / "migrations"))
    cfg.attributes["database_url"] = database_url or current_app.config["DATABASE_URL"]
    return cfg


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default head)."""
    command.upgrade(alembic_config(), revision)


@db_cli.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (default one step)."""
    command.downgrade(alembic_config(), revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="Short description (becomes the slug).")
@click.option("--autogenerate/--empty", default=True, help="Compare models with the database.")
def db_revision(message: str, autogenerate: bool) -> None:
    """Write a new migration file under migrations/versions/."""
    command.revision(alembic_config(), message=message, autogenerate=autogenerate)


@db_cli.command("current")
def db_current() -> None:
    """Show the database's current revision."""
    command.current(alembic_config(), verbose=True)


@db_cli.command("history")
def db_history() -> None:
    """List all migrations."""
    command.history(alembic_config())


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--full-name", required=True)
@click.option("--role", type=click.Choice(["trainee", "trainer", "examiner", "admin"]),
              required=True)
@click.option("--email", default=None)
@click.option("--password", default=None,
              help="Initial password; if omitted a temporary one is generated and printed.")
def users_create(username: str, full_name: str, role: str, email: str | None,
                 password: str | None) -> None:
    """Create a user account."""
    from trainer.accounts import services
    from trainer.accounts.models import Role
    from trainer.core.errors import DomainError
    from trainer.extensions import db_session

    db = db_session()
    try:
        user, generated = services.create_user(db, actor=None, username=username,
                                               full_name=full_name, role=Role(role),
                                               password=password, email=email)
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    db.commit()
    click.echo(f"created {user.role.value} {user.username} (id {user.id})")
    if generated:
        click.echo(f"temporary password (must be changed at first log-in): {generated}")


@demo_cli.command("seed")
def demo_seed() -> None:
    """Create the demo accounts and content (safe to run again) and print the logins."""
    from trainer.demo import seed_all
    from trainer.extensions import db_session

    db = db_session()
    report: dict[str, Any] = seed_all(db)
    db.commit()
    click.echo("Demo logins (user name / password):")
    for role, username, password in report["accounts"]:
        click.echo(f"  {role:<9} {username:<9} {password}")
    for name, line in report.items():
        if name != "accounts":
            click.echo(f"Demo {line}")


def register(app: Flask) -> None:
    """Attach the command groups to the app."""
    from trainer.backup import backup_command, restore_command
    from trainer.fieldwork.cli import grades_cli
    from trainer.scenarios.cli import scenarios_cli
    from trainer.worlds.cli import world_cli

    for group in (db_cli, users_cli, demo_cli, world_cli, scenarios_cli, grades_cli,
                  backup_command, restore_command):
        app.cli.add_command(group)
