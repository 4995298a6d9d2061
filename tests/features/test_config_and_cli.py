"""Settings from the environment, the generated secret key, and the CLI commands."""

from __future__ import annotations

import os
import re
from pathlib import Path

from sqlalchemy import func, inspect, select

from trainer import create_app
from trainer.accounts import services
from trainer.accounts.demo import DEMO_USERS
from trainer.accounts.models import Cohort, Role
from trainer.config import SETTINGS

ROOT = Path(__file__).resolve().parents[2]


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("TRAINER_SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    first = create_app({"INSTANCE_PATH": str(instance)}).config["SECRET_KEY"]
    second = create_app({"INSTANCE_PATH": str(instance)}).config["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (instance / "secret_key").stat().st_mode & 0o077 == 0
    other = create_app({"INSTANCE_PATH": str(tmp_path / "elsewhere")}).config["SECRET_KEY"]
    assert other != first


def test_environment_settings_are_read(tmp_path, monkeypatch):
    monkeypatch.setenv("TRAINER_DATABASE_URL", "sqlite:///" + str(tmp_path / "x.db"))
    monkeypatch.setenv("TRAINER_SECRET_KEY", "from-env")
    monkeypatch.setenv("TRAINER_SECURE_COOKIES", "1")
    monkeypatch.setenv("TRAINER_MEDIA_ROOT", str(tmp_path / "clips"))
    monkeypatch.setenv("TRAINER_DEFAULT_LOCALE", "klingon")
    config = create_app({"INSTANCE_PATH": str(tmp_path)}).config
    assert config["DATABASE_URL"].endswith("x.db")
    assert config["SECRET_KEY"] == "from-env"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["MEDIA_ROOT"] == str(tmp_path / "clips")
    assert config["BABEL_DEFAULT_LOCALE"] == "zh_CN"  # unknown locales fall back


def test_defaults_need_no_configuration(tmp_path, monkeypatch):
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    config = create_app({"INSTANCE_PATH": str(tmp_path)}).config
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'trainer.sqlite3'}"
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["SESSION_COOKIE_HTTPONLY"] and config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_redis_url_moves_rate_limits_to_redis(tmp_path):
    config = create_app({"INSTANCE_PATH": str(tmp_path),
                         "REDIS_URL": "redis://127.0.0.1:6379/15"}).config
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/15"


def test_readme_lists_every_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`(TRAINER_[A-Z0-9_]+)`", readme))
    assert set(SETTINGS) <= documented


def test_users_create_command(runner, db):
    result = runner.invoke(args=["users", "create", "--username", "cli-trainer",
                                 "--full-name", "CLI Trainer", "--role", "trainer"])
    assert result.exit_code == 0, result.output
    assert "temporary password" in result.output
    user = services.user_by_username(db, "cli-trainer")
    assert user is not None and user.role == Role.TRAINER and user.must_change_password


def test_users_create_command_reports_errors(runner, make_user):
    make_user(Role.TRAINEE, username="exists")
    result = runner.invoke(args=["users", "create", "--username", "exists",
                                 "--full-name", "X", "--role", "trainee"])
    assert result.exit_code != 0
    assert "already taken" in result.output


def test_demo_seed_is_idempotent_and_prints_working_logins(runner, db):
    first = runner.invoke(args=["demo", "seed"])
    second = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == second.exit_code == 0
    assert first.output == second.output
    for username, _name, role, password in DEMO_USERS:
        assert f"{username}" in first.output and password in first.output
        user = services.authenticate(db, username, password, ip=None)
        assert user is not None and user.role == role
    assert db.scalar(select(func.count(Cohort.id))) == 1


def test_db_upgrade_command_builds_the_schema(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": url})
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = app.extensions["trainer.engine"]
    assert {"users", "cohorts", "audit_events"} <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_wsgi_module_exposes_the_app(monkeypatch, tmp_path):
    monkeypatch.setenv("TRAINER_INSTANCE_PATH", str(tmp_path))
    import importlib

    import wsgi

    module = importlib.reload(wsgi)
    assert module.app.name == "trainer"
    assert os.fspath(tmp_path) in module.app.config["DATABASE_URL"]
