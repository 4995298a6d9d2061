# ruff: noqa: S603, S607 - runs nginx, gunicorn and openssl on fixed arguments
"""Run the deploy/ files for real on this machine: nginx (deploy/nginx.conf, addresses and
paths swapped for local ones) in front of two gunicorn "web machines" (deploy/gunicorn.conf.py),
on a database made by the migrations (what `flask db upgrade` runs), and check what
docs/deployment.md says of them:

- the request id: nginx's own, or the caller's when well formed, reaches the application,
  comes back in the response and is in nginx's log and the application's JSON log;
- a clip is sent by nginx from the internal media location after the application's access
  check (the application answers with X-Accel-Redirect and no body; the client gets the
  bytes, with range requests, and never the internal path), and that location is not
  reachable directly;
- both web machines answer; the application sees the caller's address through
  TRAINER_PROXY_HOPS=1; /readyz and /metrics answer through nginx.

Needs nginx on the PATH (Debian: apt-get install nginx-light) and openssl. Usage:

    .venv/bin/python scripts/deploy_smoke.py

The last line printed is one JSON object; the exit status is 0 when every check passed.
tests/features/test_nginx_live.py runs the same deployment and checks (`deployment`, `check`)
in CI.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "smoke-test-Password-1"  # noqa: S105 - a throwaway account in a temporary database
CLIP_BYTES = bytes(range(256)) * 64
WAIT_ID, DIRECT_ID = "smoke-wait", "smoke-direct"  # requests made to a web machine directly


def free_port() -> int:
    """A port nothing listens on now, for nginx, which cannot be handed a socket: another
    process may take it before nginx binds it, so `start_nginx` tries again on new ports."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def local_nginx_conf(folder: Path, web_ports: list[int], http_port: int,
                     https_port: int) -> str:
    """deploy/nginx.conf with this machine's addresses, ports and folders."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    for remote, port in zip(("10.0.0.11:8000", "10.0.0.12:8000"), web_ports, strict=True):
        text = text.replace(remote, f"127.0.0.1:{port}")
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "/etc/ssl/trainer/": f"{folder}/ssl/",
        "/var/log/nginx/trainer.log": f"{folder}/nginx-access.log",
        "/srv/trainer/media/": f"{folder}/media/",
        "/srv/trainer/app/trainer/static/": f"{ROOT}/trainer/static/",
        "allow 10.0.0.0/8;": "allow 10.0.0.0/8;\n        allow 127.0.0.1;",
    }
    for old, new in replacements.items():
        assert old in text, f"deploy/nginx.conf no longer has {old!r}"
        text = text.replace(old, new)
    return text


def find_nginx() -> str | None:
    """nginx on the PATH, or Debian's /usr/sbin/nginx (not on a normal user's PATH)."""
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    return found if Path(found).exists() else None


@dataclass
class Deployment:
    """nginx in front of the web machines, all running, and what the checks need of them."""

    folder: Path
    base: str  # https://127.0.0.1:<nginx's TLS port>
    http_port: int
    web_ports: list[int]
    logs: list[Path]  # each web machine's output (JSON log lines)
    clip_id: int
    key: str  # the clip's 720p file in the media root


def main() -> int:
    nginx = find_nginx()
    if nginx is None:
        print("nginx not found (Debian: apt-get install nginx-light)", file=sys.stderr)
        return 2
    with deployment(nginx) as running:
        checks = check(running)
    for name, passed in checks.items():
        print(f"{'ok  ' if passed else 'FAIL'} {name}")
    print(json.dumps({"checks": len(checks), "failed": [n for n, ok in checks.items() if not ok]},
                     ensure_ascii=False))
    return 0 if all(checks.values()) else 1


@contextmanager
def deployment(nginx: str, workers: int = 2) -> Iterator[Deployment]:
    """Start everything in a temporary folder; stop it all and remove the folder at the end,
    whatever happened. `workers`: gunicorn workers per web machine."""
    folder = Path(tempfile.mkdtemp(prefix="trainer-deploy-"))
    folder.chmod(0o755)  # nginx's workers (not root) read the media files
    processes: list[subprocess.Popen[str]] = []
    try:
        yield start(folder, nginx, processes, workers)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(folder, ignore_errors=True)


def start(folder: Path, nginx: str, processes: list[subprocess.Popen[str]],
          workers: int) -> Deployment:
    """Each process is added to `processes` as soon as it is started (the caller stops them)."""
    (folder / "media").mkdir()
    make_certificate(folder / "ssl")
    env = {**os.environ,
           "TRAINER_DATABASE_URL": f"sqlite:///{folder / 'trainer.sqlite3'}",
           "TRAINER_INSTANCE_PATH": str(folder / "instance"),
           "TRAINER_MEDIA_ROOT": str(folder / "media"),
           "TRAINER_SECRET_KEY": "deploy-smoke-secret",
           "TRAINER_SECURE_COOKIES": "1", "TRAINER_PROXY_HOPS": "1",
           "TRAINER_MEDIA_ACCEL": "/protected-media/", "TRAINER_LOG_FORMAT": "json",
           "TRAINER_METRICS_TOKEN": "smoke-metrics", "TRAINER_DEFAULT_LOCALE": "en"}
    for name in ("TRAINER_REDIS_URL", "TRAINER_S3_BUCKET"):
        env.pop(name, None)
    # The web machines boot (imports, create_app: no database yet) while the database is
    # made and seeded here.
    web_ports: list[int] = []
    logs: list[Path] = []
    for number in (1, 2):
        logs.append(folder / f"web-{number}.log")
        with socket.create_server(("127.0.0.1", 0)) as listener:
            web_ports.append(int(listener.getsockname()[1]))
            processes.append(start_web(listener, env, logs[-1], folder / f"metrics-{number}",
                                       workers))
    migrate(env["TRAINER_DATABASE_URL"])
    clip_id, key = seed(env)
    http_port, https_port = start_nginx(nginx, folder, web_ports, processes)
    for port in web_ports:
        wait_for(f"http://127.0.0.1:{port}/healthz")
    return Deployment(folder=folder, base=f"https://127.0.0.1:{https_port}",
                      http_port=http_port, web_ports=web_ports, logs=logs, clip_id=clip_id,
                      key=key)


def make_certificate(folder: Path) -> None:
    """A self-signed certificate for localhost: fullchain.pem and privkey.pem in `folder`."""
    folder.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-keyout", str(folder / "privkey.pem"),
                    "-out", str(folder / "fullchain.pem")],
                   check=True, capture_output=True)


def start_web(listener: socket.socket, env: dict[str, str], log: Path, metrics: Path,
              workers: int) -> subprocess.Popen[str]:
    """A web machine: gunicorn with deploy/gunicorn.conf.py, serving on `listener`, a socket
    bound and listening here and handed over (`fd://`), so that no other process can take
    its port in between; the caller may close its own copy once this returns."""
    fd = listener.fileno()
    with log.open("w") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
            env={**env, "GUNICORN_BIND": f"fd://{fd}", "WEB_CONCURRENCY": str(workers),
                 "PROMETHEUS_MULTIPROC_DIR": str(metrics)},
            pass_fds=(fd,), stdout=output, stderr=subprocess.STDOUT, text=True)


def start_nginx(nginx: str, folder: Path, web_ports: list[int],
                processes: list[subprocess.Popen[str]], tries: int = 5) -> tuple[int, int]:
    """nginx in front of the web machines, listening on two ports found free (http, https),
    its process added to `processes`. nginx binds ports by number only, and another process
    may take a port between `free_port` and nginx's bind: nginx then stops with "Address
    already in use", and is started again on new ports, up to `tries` times."""
    error_log = folder / "nginx-error.log"
    for _ in range(tries):
        http_port, https_port = free_port(), free_port()
        (folder / "trainer.conf").write_text(local_nginx_conf(folder, web_ports, http_port,
                                                              https_port))
        (folder / "nginx.conf").write_text(
            f"pid {folder}/nginx.pid;\nerror_log {error_log};\nevents {{}}\nhttp {{\n"
            f"    include /etc/nginx/mime.types;\n    include {folder}/trainer.conf;\n}}\n")
        subprocess.run([nginx, "-t", "-c", str(folder / "nginx.conf")], check=True,
                       capture_output=True)
        error_log.unlink(missing_ok=True)
        process = subprocess.Popen([nginx, "-c", str(folder / "nginx.conf"), "-g",
                                    "daemon off;"], text=True)
        processes.append(process)
        if nginx_listening(process, folder / "nginx.pid", error_log):
            return http_port, https_port
        processes.remove(process)  # it has stopped
        print(f"nginx: port {http_port} or {https_port} was taken; trying new ports",
              file=sys.stderr)
    raise RuntimeError(f"nginx found its ports taken {tries} times in a row:\n"
                       f"{error_log.read_text()[-2000:]}")


def nginx_listening(process: subprocess.Popen[str], pid_file: Path, error_log: Path,
                    seconds: float = 30) -> bool:
    """True once nginx listens on all its ports (it writes its pid file after binding them);
    False when it stopped because a port was taken (after its own retries, 2.5 s)."""
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            text = error_log.read_text() if error_log.exists() else ""
            if "Address already in use" in text:
                return False
            raise RuntimeError(f"nginx stopped (status {process.returncode}):\n{text[-2000:]}")
        # `nginx -t` leaves the file empty; the running nginx writes its pid there.
        if pid_file.exists() and pid_file.read_text().strip() == str(process.pid):
            return True
        if time.monotonic() > deadline:
            raise RuntimeError(f"nginx did not start in {seconds:.0f} s")
        time.sleep(0.05)


def check(running: Deployment) -> dict[str, bool]:
    """Every check by name: True when it passed."""
    base, clip_id, key = running.base, running.clip_id, running.key
    checks: dict[str, bool] = {}
    client = Client()
    status, headers, body = client.get(base + "/healthz", {"X-Request-ID": "smoke-given-1"})
    checks["healthz through nginx"] = status == 200 and json.loads(body) == {"status": "ok"}
    checks["caller's request id kept"] = headers.get("X-Request-ID") == "smoke-given-1"
    _, headers, _ = client.get(base + "/healthz")
    nginx_id = headers.get("X-Request-ID", "")
    checks["nginx's request id used"] = re.fullmatch(r"[0-9a-f]{32}", nginx_id) is not None
    # A malformed id (the application would make its own) is replaced by nginx's, so that
    # both logs name the request by one id.
    _, headers, _ = client.get(base + "/healthz", {"X-Request-ID": "smoke bad id"})
    replaced_id = headers.get("X-Request-ID", "")
    checks["a malformed request id replaced"] = (
        re.fullmatch(r"[0-9a-f]{32}", replaced_id) is not None)
    status, _, body = client.get(base + "/readyz")
    checks["readyz through nginx"] = status == 200 and json.loads(body)["status"] == "ok"
    status, _, _ = client.get(f"http://127.0.0.1:{running.http_port}/login")
    checks["http redirects to https"] = status == 301

    status, _, page = client.get(base + "/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.decode())
    checks["log-in page through nginx"] = status == 200 and token is not None
    status, headers, _ = client.post(base + "/login", {
        "username": "smoke-trainer", "password": PASSWORD,
        "csrf_token": token.group(1) if token else ""})
    checks["log-in over https"] = status == 302
    page_url = base + "/login"
    for _ in range(3):  # the log-in's redirect, then the one to the role's first page
        page_url = urllib.parse.urljoin(page_url, headers.get("Location", "/"))
        status, headers, page = client.get(page_url)
        if status != 302:
            break
    checks["a logged-in page through nginx"] = status == 200 and b"Smoke Trainer" in page
    # The web machine itself answers with the header and no body (asked directly, with the
    # session cookie nginx's client got): nginx is what sends the bytes.
    direct = urllib.request.Request(
        f"http://127.0.0.1:{running.web_ports[0]}/clips/{clip_id}/media/720p",
        headers={"Cookie": client.cookie_header(), "X-Request-ID": DIRECT_ID})
    status, headers, body = Client().open(direct)
    checks["application answers with X-Accel-Redirect"] = (
        status == 200 and headers.get("X-Accel-Redirect") == f"/protected-media/{key}"
        and body == b"")
    status, headers, body = client.get(f"{base}/clips/{clip_id}/media/720p")
    checks["clip sent by nginx (X-Accel-Redirect)"] = status == 200 and body == CLIP_BYTES
    checks["internal path not shown to the client"] = status == 200 and not any(
        "protected-media" in f"{name}: {value}" or key in value
        for name, value in headers.items())
    status, headers, body = client.get(f"{base}/clips/{clip_id}/media/720p",
                                       {"Range": "bytes=10-19"})
    checks["range request through nginx"] = status == 206 and body == CLIP_BYTES[10:20]
    status, _, body = client.get(f"{base}/protected-media/{key}")
    checks["internal media location closed"] = status == 404 and CLIP_BYTES not in body
    anonymous = Client()
    status, _, _ = anonymous.get(f"{base}/clips/{clip_id}/media/720p")
    checks["clip refused without log-in"] = status == 302

    status, _, body = client.get(base + "/metrics", {"Authorization": "Bearer smoke-metrics"})
    checks["metrics through nginx"] = (status == 200 and
                                       b"trainer_request_duration_seconds_bucket" in body)
    for _ in range(20):
        client.get(base + "/healthz")
    # From another loopback address, with a forged X-Forwarded-For: the application must
    # see the caller nginx saw, not the forged value and not nginx's own address.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = http.client.HTTPSConnection("127.0.0.1", int(base.rsplit(":", 1)[1]),
                                             context=context,
                                             source_address=("127.0.0.3", 0), timeout=10)
    connection.request("GET", "/healthz", headers={"X-Forwarded-For": "203.0.113.7",
                                                   "X-Request-ID": "smoke-address"})
    checks["healthz from another address"] = connection.getresponse().status == 200
    connection.close()

    # The logs are written as the requests finish: read them until the last requests'
    # lines are there (or 10 s have passed, and the checks below say what is missing).
    logs = running.logs
    deadline = time.monotonic() + 10
    while True:
        access_by_log = {log.name: [entry for entry in map(json.loads, (
            line for line in log.read_text().splitlines() if line.startswith("{")))
            if entry.get("logger") == "trainer.access"] for log in logs}
        access = [entry for entries in access_by_log.values() for entry in entries]
        ids = {entry["request_id"] for entry in access}
        nginx_log = (running.folder / "nginx-access.log").read_text()
        if (({nginx_id, replaced_id, "smoke-address"} <= ids
                and f"rid={nginx_id}" in nginx_log and f"rid={replaced_id}" in nginx_log)
                or time.monotonic() > deadline):
            break
        time.sleep(0.1)
    # Requests nginx sent: not the start-up waits nor the direct request, made to each.
    served_by = {name for name, entries in access_by_log.items()
                 if any(entry["request_id"] not in (WAIT_ID, DIRECT_ID) for entry in entries)}
    checks["both web machines answered through nginx"] = len(served_by) == 2
    checks["request id in the application's log"] = any(
        line["request_id"] == nginx_id for line in access)
    checks["request id in nginx's log"] = f"rid={nginx_id}" in nginx_log
    checks["a replaced request id in both logs"] = (
        f"rid={replaced_id}" in nginx_log and "rid=smoke bad id" not in nginx_log
        and any(line["request_id"] == replaced_id for line in access))
    checks["caller's address seen through the proxy"] = [
        line["remote_addr"] for line in access if line["request_id"] == "smoke-address"
    ] == ["127.0.0.3"]
    checks["no password in any log"] = PASSWORD not in nginx_log + "".join(
        log.read_text() for log in logs)
    return checks


def migrate(database_url: str) -> None:
    """What `flask db upgrade` runs (trainer/cli.py), in this process: an interpreter less to
    start, and alembic.ini's logging left out of the caller's (a test's) logging."""
    from alembic import command

    from trainer.cli import alembic_config

    config = alembic_config(database_url)
    config.attributes["skip_logging"] = True
    command.upgrade(config, "head")


def seed(env: dict[str, str]) -> tuple[int, str]:
    """A trainer and a ready clip of theirs whose 720p file is in the media root (made in
    this process, on the web machines' database, without an application: building one
    imports every blueprint; the environment is left as it was)."""
    import trainer.models  # noqa: F401 - every model, for the relationships
    from trainer.accounts import services
    from trainer.accounts.models import Role
    from trainer.db import make_engine, make_sessionmaker
    from trainer.video.models import Clip, ClipStatus

    engine = make_engine(env["TRAINER_DATABASE_URL"])
    key = "clips/smoke/r1/720p.mp4"
    with make_sessionmaker(engine)() as db:
        user, _ = services.create_user(db, actor=None, username="smoke-trainer",
                                       full_name="Smoke Trainer", role=Role.TRAINER,
                                       password=PASSWORD)
        clip = Clip(slug="smoke", title_zh="冒烟", filename="smoke.mp4", status=ClipStatus.READY,
                    original_key="clips/smoke/original.mp4", duration=1.0, width=1280,
                    height=720, created_by_id=user.id,
                    renditions={"720p": {"key": key, "width": 1280, "height": 720,
                                         "bytes": len(CLIP_BYTES)}})
        db.add(clip)
        db.commit()
        clip_id = clip.id
    engine.dispose()
    path = Path(env["TRAINER_MEDIA_ROOT"]) / key
    path.parent.mkdir(parents=True)
    path.write_bytes(CLIP_BYTES)
    for folder in (path.parent, path.parent.parent, path.parent.parent.parent):
        folder.chmod(0o755)
    path.chmod(0o644)
    return clip_id, key


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            request = urllib.request.Request(  # noqa: S310 - a local http URL
                url, headers={"X-Request-ID": WAIT_ID})
            with urllib.request.urlopen(request, timeout=2):  # noqa: S310
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Client:
    """Cookies, a self-signed certificate accepted, redirects not followed unless asked."""

    def __init__(self) -> None:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies),
            urllib.request.HTTPSHandler(context=context), _NoRedirect())

    def get(self, url: str,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        return self.open(urllib.request.Request(url, headers=headers or {}))  # noqa: S310

    def post(self, url: str, data: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        # Over HTTPS, Flask-WTF wants a same-site Referer, as a browser sends it.
        return self.open(urllib.request.Request(  # noqa: S310 - a local URL
            url, data=urllib.parse.urlencode(data).encode(), method="POST",
            headers={"Referer": url}))

    def cookie_header(self) -> str:
        """The cookies this client holds, as a Cookie header (for another address)."""
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.cookies)

    def open(self, request: urllib.request.Request) -> tuple[int, dict[str, str], bytes]:
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()


if __name__ == "__main__":
    sys.exit(main())
