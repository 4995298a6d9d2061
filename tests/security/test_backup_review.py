"""What `flask backup` and `flask restore` leave on disk: every user's data and password hash,
so readable by the owner of the process alone, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.features.test_backup import live  # noqa: F401 - the fixture, used by name
from trainer.backup import backup_database, restore_database


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The common umask, under which a file made with the default mode is world-readable."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def _others_may_read(path: Path) -> bool:
    return bool(stat.S_IMODE(path.stat().st_mode) & 0o077)


@pytest.mark.usefixtures("open_umask")
def test_a_backup_and_what_a_restore_keeps_are_private(live: Flask,  # noqa: F811
                                                       tmp_path: Path) -> None:
    """Before: the backup file (and the copy of the replaced database a SQLite restore keeps)
    was made with the process's default mode, 0644 under the usual umask: anyone with an
    account on the machine could read every trainee's work and every password hash. Now they
    are made 0600 from the start (never readable, even while being written)."""
    url = live.config["DATABASE_URL"]
    info = backup_database(url, tmp_path / "backups" / "trainer.backup")
    assert not _others_may_read(info.path)
    again = backup_database(url, info.path)  # replacing an older backup: private too
    assert not _others_may_read(again.path)
    _info, kept = restore_database(url, info.path, overwrite=True)
    if kept is not None:  # SQLite keeps what it replaced beside the database
        assert not _others_may_read(kept)
