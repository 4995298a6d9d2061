"""The real nginx with deploy/nginx.conf (local ports and folders swapped in) in front of two
gunicorn web machines started with deploy/gunicorn.conf.py: scripts/deploy_smoke.py's
deployment and checks, run as a test so that CI runs them (.ci/run installs nginx-light).

Without nginx the test is skipped, as the browser tests are without Chromium; in CI
(TRAINER_NO_SKIP=1) that skip is a failure.

Also how the script starts its servers without a port being taken in between: a web machine
serves on a socket bound here and handed over, and nginx, which binds ports by number, is
started again on new ports when one was taken."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.features.live_database import load_smoke

# What the issue asks of the proxy, by the names the script gives its checks: each must be
# there (a check renamed or dropped from the script fails here) and pass.
REQUIRED = {
    # pages proxied to the web machines, both of them
    "healthz through nginx", "log-in page through nginx", "log-in over https",
    "a logged-in page through nginx", "both web machines answered through nginx",
    # the request id: the caller's kept, else nginx's, seen by the application and logged
    "caller's request id kept", "nginx's request id used",
    "request id in the application's log", "request id in nginx's log",
    "a malformed request id replaced", "a replaced request id in both logs",
    # media: the application answers with the header only, nginx sends the bytes, the
    # internal path never reaches the client and cannot be asked for directly
    "application answers with X-Accel-Redirect", "clip sent by nginx (X-Accel-Redirect)",
    "internal path not shown to the client", "range request through nginx",
    "internal media location closed", "clip refused without log-in",
}


def test_nginx_proxies_the_web_machines_and_sends_media_by_x_accel_redirect() -> None:
    smoke = load_smoke()
    nginx = smoke.find_nginx()
    if nginx is None:
        pytest.skip("no nginx found: install Debian's nginx-light (.ci/run does)")
    # One gunicorn worker per web machine: two machines are what the checks need, and the
    # test stays well under 20 s.
    with smoke.deployment(nginx, workers=1) as running:
        checks = smoke.check(running)
    assert sorted(REQUIRED - checks.keys()) == []
    assert [name for name, passed in checks.items() if not passed] == []


def test_a_web_machine_serves_on_the_socket_it_is_handed(tmp_path: Path) -> None:
    """gunicorn gets a socket bound and listening in this process (fd://), not a port number
    to bind: it serves while this process still holds the socket, where a bind of the same
    port by number would fail with "Address already in use"."""
    smoke = load_smoke()
    env = {name: value for name, value in os.environ.items()
           if name not in ("TRAINER_REDIS_URL", "TRAINER_S3_BUCKET")}
    env.update({"TRAINER_DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite3'}",
                "TRAINER_INSTANCE_PATH": str(tmp_path / "instance"),
                "TRAINER_MEDIA_ROOT": str(tmp_path / "media"), "TRAINER_SECRET_KEY": "x"})
    log = tmp_path / "web.log"
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        process = smoke.start_web(listener, env, log, tmp_path / "metrics", workers=1)
        try:
            # One request: it waits in the socket's queue until the worker has booted.
            url = f"http://127.0.0.1:{port}/healthz"
            with urllib.request.urlopen(url, timeout=60) as answer:
                assert answer.status == 200
            assert f"Listening at: http://127.0.0.1:{port} " in log.read_text()
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def nginx_folder(tmp_path: Path) -> tuple[Any, str]:
    """The script as a module and nginx's path, with the media folder and the certificate
    `start_nginx` expects in `tmp_path`."""
    smoke = load_smoke()
    nginx = smoke.find_nginx()
    if nginx is None:
        pytest.skip("no nginx found: install Debian's nginx-light (.ci/run does)")
    (tmp_path / "media").mkdir()
    smoke.make_certificate(tmp_path / "ssl")
    return smoke, nginx


def test_nginx_is_started_again_on_new_ports_when_its_port_was_taken(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nginx_folder: tuple[Any, str]) -> None:
    smoke, nginx = nginx_folder
    processes: list[subprocess.Popen[str]] = []
    # Another process took the first port found free before nginx could bind it.
    with socket.create_server(("127.0.0.1", 0)) as squatter:
        taken = squatter.getsockname()[1]
        found = [taken]
        free_port = smoke.free_port
        monkeypatch.setattr(smoke, "free_port", lambda: found.pop() if found else free_port())
        try:
            http_port, https_port = smoke.start_nginx(nginx, tmp_path, [free_port()] * 2,
                                                      processes)
            assert taken not in (http_port, https_port)
            assert len(processes) == 1 and processes[0].poll() is None
            for port in (http_port, https_port):  # nginx's own ports answer
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)


def test_nginx_gives_up_with_a_message_when_its_ports_keep_being_taken(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nginx_folder: tuple[Any, str]) -> None:
    smoke, nginx = nginx_folder
    processes: list[subprocess.Popen[str]] = []
    squatters = [socket.create_server(("127.0.0.1", 0)) for _ in range(2)]
    taken = itertools.cycle([squatter.getsockname()[1] for squatter in squatters])
    monkeypatch.setattr(smoke, "free_port", lambda: next(taken))
    try:
        with pytest.raises(RuntimeError, match="ports taken 2 times in a row"):
            smoke.start_nginx(nginx, tmp_path, [1, 2], processes, tries=2)
    finally:
        for squatter in squatters:
            squatter.close()
    assert processes == []  # the stopped ones are not left for the caller to stop
