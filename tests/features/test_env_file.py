"""Settings from the project's .env file (docs/deployment.md, *Settings*: "read from the
environment, or from a `.env` file in the checkout").

The instance folder is looked up before the other settings are read: TRAINER_INSTANCE_PATH set
only in .env used to be missed by the application (its SQLite database and secret key went to
instance/) while the job queue, looking it up later, found it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from dotenv import load_dotenv

from trainer import config, create_app

NAMES = ("TRAINER_INSTANCE_PATH", "TRAINER_DATABASE_URL", "TRAINER_SECRET_KEY")


def read_instead(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Have `path` read instead of the project's .env; every variable it may set is removed
    from the environment now and given back its value (or its absence) afterwards."""
    monkeypatch.setattr(config, "load_dotenv",
                        lambda _project_file, override: load_dotenv(path, override=override))
    for name in NAMES:
        # setenv first: delenv alone records nothing for a variable that is not set, so one
        # the .env file sets during the test would outlive it
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


@pytest.fixture
def env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A .env file of the test's own, read instead of the project's (`read_instead`)."""
    path = tmp_path / ".env"
    read_instead(path, monkeypatch)
    return path


def test_what_the_env_file_sets_is_gone_after_the_test(tmp_path: Path) -> None:
    """A later test's `create_app()` would otherwise find this one's instance folder and key."""
    path = tmp_path / ".env"
    path.write_text("".join(f"{name}=from-env-file\n" for name in NAMES))
    before = {name: os.environ.get(name) for name in NAMES}
    with pytest.MonkeyPatch.context() as monkeypatch:
        read_instead(path, monkeypatch)
        config.load_env_file()
        assert [os.environ.get(name) for name in NAMES] == ["from-env-file"] * len(NAMES)
    assert {name: os.environ.get(name) for name in NAMES} == before


def test_the_instance_folder_may_be_set_in_the_env_file(env_file: Path) -> None:
    instance = env_file.parent / "from-env-file"
    env_file.write_text(f"TRAINER_INSTANCE_PATH={instance}\n")
    app = create_app()
    assert Path(app.instance_path) == instance
    assert app.config["DATABASE_URL"] == f"sqlite:///{instance / 'trainer.sqlite3'}"
    assert (instance / "secret_key").is_file()  # the generated key is kept there too
    # where trainer/tasks.py keeps the SQLite job queue: the same folder
    assert config.instance_path() == instance


def test_the_environment_wins_over_the_env_file(env_file: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = env_file.parent / "from-environment"
    monkeypatch.setenv("TRAINER_INSTANCE_PATH", str(chosen))
    env_file.write_text(f"TRAINER_INSTANCE_PATH={env_file.parent / 'from-env-file'}\n"
                        "TRAINER_SECRET_KEY=from-env-file\n")
    app = create_app()
    assert Path(app.instance_path) == chosen
    assert app.config["SECRET_KEY"] == "from-env-file"  # not in the environment: .env's
