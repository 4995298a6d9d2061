"""docs/deployment.md names only what exists: its settings, the gunicorn config's variables,
the files it points to, and the commands of its systemd units (issue 11: "the deployment
guide is true"). What the guide says of the running deployment is checked by
tests/features/test_ops.py and test_nginx_live.py."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from trainer.config import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")


def test_every_setting_the_guide_names_exists() -> None:
    named = set(re.findall(r"\bTRAINER_[A-Z0-9_]+", GUIDE))
    assert named and sorted(named - set(SETTINGS)) == []


def test_the_gunicorn_table_lists_what_the_config_reads() -> None:
    config = (ROOT / "deploy" / "gunicorn.conf.py").read_text(encoding="utf-8")
    read = set(re.findall(r"os\.environ\.get\(\"([A-Z_]+)\"", config))
    table = GUIDE.split("`deploy/gunicorn.conf.py` reads:", 1)[1].split("\n\n", 2)[1]
    listed = set(re.findall(r"^\| `([A-Z_]+)` \|", table, re.M))
    assert read == listed, (read, listed)


def test_every_file_the_guide_points_to_exists() -> None:
    paths = set(re.findall(r"`([A-Za-z_.][\w.-]*/[\w./-]+)`", GUIDE))
    assert "deploy/nginx.conf" in paths
    assert sorted(path for path in paths if not (ROOT / path).exists()) == []


def test_the_systemd_units_run_commands_of_the_checkout() -> None:
    units = re.findall(r"```ini\n(.*?)```", GUIDE, re.S)
    assert len(units) == 2  # the web machines' and the job workers'
    for unit in units:
        folder = re.search(r"^WorkingDirectory=(\S+)$", unit, re.M).group(1)
        command = shlex.split(re.search(r"^ExecStart=(.+)$", unit, re.M).group(1))
        # the checkout's own program, given as the guide installs it
        assert command[0].startswith(folder + "/.venv/bin/"), command
        assert (ROOT / ".venv" / "bin" / Path(command[0]).name).exists(), command
        for argument in command[1:]:
            if argument.startswith("deploy/"):
                assert (ROOT / argument).is_file(), argument
        # systemd takes no comment after a value: the value would include it
        assert not re.search(r"^\w+=.*[ \t]#", unit, re.M), unit
    worker = next(unit for unit in units if "huey_consumer" in unit)
    # huey's graceful stop is SIGINT: SIGTERM, systemd's default, loses the running jobs
    assert re.search(r"^KillSignal=SIGINT$", worker, re.M)
