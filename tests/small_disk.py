"""A small disk for the disk-full tests: a folder with a tmpfs of a few pages mounted on it,
which the kernel fills (ENOSPC) like any full disk. Mounting needs root (CI's machine runs
as root); elsewhere the tests that use it skip, and CI (TRAINER_NO_SKIP=1) fails a skip."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

PAGE = 4096


@dataclass
class SmallDisk:
    """A folder on a tmpfs of a given size."""

    path: Path

    def resize(self, size: int) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(self.path)], check=True)

    def used(self) -> int:
        return shutil.disk_usage(self.path).used

    def files(self) -> list[str]:
        """The files on the disk, as paths relative to it."""
        return sorted(path.relative_to(self.path).as_posix()
                      for path in self.path.rglob("*") if path.is_file())


@contextmanager
def small_disk_at(path: Path, size: int = 64 * PAGE) -> Iterator[SmallDisk]:
    """`path` (made if missing) with a tmpfs of `size` bytes mounted on it, unmounted after."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs",
                              str(path)], capture_output=True, text=True, check=False)
    if mounted.returncode:
        pytest.skip(f"this machine cannot mount a tmpfs: {mounted.stderr.strip()}")
    try:
        yield SmallDisk(path)
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)
