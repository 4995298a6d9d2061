"""Where clip files live: the local media root by default (S3-compatible storage can stand
behind the same interface).

Keys are made by the application (`clips/<id>/720p.mp4`), never from a user's file name, and
are checked again here so that no key can name a file outside the root.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from werkzeug.security import safe_join

KEY = re.compile(r"^[a-z0-9_-]+(/[a-z0-9_-]+)*(\.[a-z0-9]+)?$")


class Storage(Protocol):
    """What the video feature needs from a store of files."""

    def put(self, key: str, source: Path) -> int:
        """Move the local file `source` in under `key`; return its size in bytes."""

    def local_path(self, key: str) -> Path | None:
        """The file on this machine's disk, when the store has one (for sending and ffmpeg)."""

    def fetch(self, key: str, destination: Path) -> None:
        """Copy the object to a local file."""

    def delete_prefix(self, prefix: str) -> None:
        """Delete every object under `prefix` (a folder of keys)."""

    def delete(self, key: str) -> None:
        """Delete one object (absent is fine)."""

    def size(self, key: str) -> int | None:
        """The object's size in bytes, or None when it does not exist."""


def checked(key: str) -> str:
    """`key` if it is a well-formed key, else ValueError (a bug, never user input)."""
    if not KEY.match(key) or ".." in key:
        raise ValueError(f"bad storage key {key!r}")
    return key


class LocalStorage:
    """Files under a folder on the local disk (the media root)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        joined = safe_join(str(self.root), checked(key))
        if joined is None:  # pragma: no cover - `checked` already refuses such keys
            raise ValueError(f"key {key!r} escapes the media root")
        return Path(joined)

    def put(self, key: str, source: Path) -> int:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(source, target)
        return target.stat().st_size

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None

    def fetch(self, key: str, destination: Path) -> None:
        shutil.copyfile(self._path(key), destination)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        shutil.rmtree(self._path(prefix), ignore_errors=True)

    def size(self, key: str) -> int | None:
        path = self._path(key)
        return path.stat().st_size if path.is_file() else None


def uploads_folder(media_root: Path) -> Path:
    """Where uploads are received before they become clips (always on the local disk)."""
    folder = media_root / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def work_folder(media_root: Path, clip_id: int) -> Path:
    """A scratch folder for one processing run (emptied first)."""
    folder = media_root / "work" / str(clip_id)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def remove_quietly(path: Path) -> None:
    """Remove a file or folder if it is there."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        path.unlink()


def storage_from_config(config: Mapping[str, Any]) -> Storage:
    """The store the settings name (the media root on the local disk by default)."""
    return LocalStorage(Path(config["MEDIA_ROOT"]))
