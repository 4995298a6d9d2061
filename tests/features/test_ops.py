"""Operations: health and readiness probes, request ids and structured logs, Prometheus
metrics (also under gunicorn with several workers), and the deploy/ files."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from flask import Flask
from huey import RedisHuey
from moto import mock_aws
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import BACKEND, PASSWORD, app_config
from tests.features.live_database import listening_socket, load_smoke
from trainer import create_app, tasks
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.config import project_root
from trainer.core.scenario import loader
from trainer.db import make_engine, make_sessionmaker
from trainer.extensions import use_sessionmaker
from trainer.fieldwork import services as fieldwork
from trainer.fieldwork.models import Mode
from trainer.models import Base
from trainer.ops import services as ops_services
from trainer.ops.metrics import LiveCollector
from trainer.scenarios import services as scenario_services
from trainer.video.models import Clip, ClipStatus

ROOT = project_root()
TOKEN = "metrics-token-for-tests"
HEX_ID = re.compile(r"[0-9a-f]{32}")


def broken_database_url(tmp_path: Path) -> str:
    """A database that cannot be reached, for the backend under test."""
    if BACKEND == "postgresql":
        return "postgresql+psycopg://nobody@127.0.0.1:1/nothing?connect_timeout=2"
    return f"sqlite:///{tmp_path / 'no-such-folder' / 'trainer.sqlite3'}"


def access_lines(err: str) -> list[dict[str, Any]]:
    """The JSON access lines in captured stderr."""
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return [line for line in lines if line["logger"] == "trainer.access"]


def metric_samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def healthz_count(text: str) -> float:
    labels = frozenset({"endpoint": "ops.healthz", "method": "GET", "status": "2xx"}.items())
    return metric_samples(text).get(("trainer_request_duration_seconds_count", labels), 0.0)


def scrape(client: Any) -> str:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


# Health and readiness ----------------------------------------------------------------

def test_healthz_answers_even_when_the_database_is_down(tmp_path):
    app = create_app(app_config(tmp_path, broken_database_url(tmp_path)))
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_readyz_reports_every_check(client, app):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "ok" and body["failed"] == []
    assert set(body["checks"]) == {"database", "queue", "storage"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["queue"]["depth"] == 0
    assert body["checks"]["storage"]["kind"] == "local"
    # the write probe leaves nothing behind in the media root
    assert list(Path(app.config["MEDIA_ROOT"]).iterdir()) == []


def test_readyz_with_the_database_down_is_503_naming_it(tmp_path):
    app = create_app(app_config(tmp_path, broken_database_url(tmp_path)))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.json
    assert body["status"] == "fail" and body["failed"] == ["database"]
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError",
                                          "ms": body["checks"]["database"]["ms"]}
    assert body["checks"]["queue"]["ok"] and body["checks"]["storage"]["ok"]
    text = response.get_data(as_text=True)
    assert "no-such-folder" not in text and "nobody" not in text and "Traceback" not in text


@pytest.fixture
def make_app(tmp_path, connection, database_url):
    """An app with these settings, its sessions joined to the test's transaction."""

    def make(**settings: Any) -> Flask:
        app = create_app(app_config(tmp_path, database_url, **settings))
        use_sessionmaker(app, make_sessionmaker(connection,
                                                join_transaction_mode="create_savepoint"))
        return app

    return make


def test_readyz_with_the_media_root_unwritable_is_503(tmp_path, make_app):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    app = make_app(MEDIA_ROOT=str(blocker / "media"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["failed"] == ["storage"]
    assert response.json["checks"]["storage"]["error"] in ("NotADirectoryError",
                                                           "FileExistsError")
    assert "a-file" not in response.get_data(as_text=True)


@pytest.fixture
def aws(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.client("s3", region_name="us-east-1")


def test_readyz_checks_the_bucket(app, client, aws):
    app.config["S3_BUCKET"] = "trainer-clips"
    missing = client.get("/readyz")
    assert missing.status_code == 503 and missing.json["failed"] == ["storage"]
    assert missing.json["checks"]["storage"]["error"] == "ClientError"
    aws.create_bucket(Bucket="trainer-clips")
    present = client.get("/readyz")
    assert present.status_code == 200
    assert present.json["checks"]["storage"]["kind"] == "s3"


def test_readyz_with_redis_unreachable_is_503(client, monkeypatch):
    monkeypatch.setattr(tasks, "huey", RedisHuey("trainer", url="redis://127.0.0.1:1/0"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["failed"] == ["queue"]
    assert response.json["checks"]["queue"]["error"] == "ConnectionError"


def test_a_hanging_queue_check_times_out(client, monkeypatch):
    monkeypatch.setattr(ops_services, "CHECK_TIMEOUT", 0.3)
    monkeypatch.setattr(tasks.huey, "pending_count", lambda: time.sleep(1.5) or 0)
    response = client.get("/readyz")  # answered at the time limit, not after the hang
    assert response.status_code == 503
    assert response.json["checks"]["queue"]["error"] == "timeout"
    time.sleep(1.3)  # let the hung check finish before the next test


# Request ids and logs -----------------------------------------------------------------

def test_request_id_is_made_or_taken_when_sane(client):
    made = client.get("/healthz").headers["X-Request-ID"]
    assert HEX_ID.fullmatch(made)
    assert client.get("/healthz").headers["X-Request-ID"] != made
    given = "edge-7f3a.b_9"
    assert client.get("/healthz", headers={"X-Request-ID": given}).headers[
        "X-Request-ID"] == given
    for bad in ("has space", "<script>", "x" * 129, "semi;colon", ""):
        echoed = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert HEX_ID.fullmatch(echoed), bad
    # refused before the view runs (access check), still numbered
    assert HEX_ID.fullmatch(client.get("/admin/users").headers["X-Request-ID"])


@pytest.fixture
def json_app(make_app):
    return make_app(LOG_FORMAT="json", PROXY_HOPS="1")


def test_json_access_line_has_the_request_id_and_no_password(json_app, make_user, capsys):
    from tests.conftest import csrf_token

    user = make_user(Role.TRAINEE, username="logger")
    client = json_app.test_client()
    capsys.readouterr()
    failed = client.post("/login?next=/secret-next-target",
                         data={"username": "logger", "password": "wrong-Secret-77",
                               "csrf_token": csrf_token(client, json_app)},
                         headers={"X-Forwarded-For": "203.0.113.9"})
    assert failed.status_code == 401
    ok = client.post("/login", data={"username": "logger", "password": PASSWORD,
                                     "csrf_token": csrf_token(client, json_app)})
    assert ok.status_code == 302
    err = capsys.readouterr().err
    assert "wrong-Secret-77" not in err and PASSWORD not in err
    assert "secret-next-target" not in err
    lines = {line["request_id"]: line for line in access_lines(err)}
    first = lines[failed.headers["X-Request-ID"]]
    assert first["method"] == "POST" and first["path"] == "/login"
    assert first["status"] == 401 and first["user_id"] is None
    assert first["level"] == "INFO" and isinstance(first["duration_ms"], float)
    assert first["remote_addr"] == "203.0.113.9"  # TRAINER_PROXY_HOPS=1
    second = lines[ok.headers["X-Request-ID"]]
    assert second["status"] == 302 and second["user_id"] == user.id


def test_every_line_of_a_request_carries_its_id(json_app, monkeypatch, capsys):
    monkeypatch.setattr(tasks, "huey", RedisHuey("trainer", url="redis://127.0.0.1:1/0"))
    capsys.readouterr()
    response = json_app.test_client().get("/readyz", headers={"X-Request-ID": "probe-42"})
    assert response.status_code == 503
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()
             if line.startswith("{")]
    warning = [line for line in lines if line["logger"] == "trainer.ops.services"]
    assert warning and warning[0]["level"] == "WARNING"
    assert "ConnectionError" in warning[0]["exc_info"]  # the detail is in the log only
    assert {line["request_id"] for line in lines} == {"probe-42"}


def test_text_log_is_the_default(client, capsys):
    capsys.readouterr()
    rid = client.get("/healthz").headers["X-Request-ID"]
    err = capsys.readouterr().err
    assert f"INFO trainer.access [{rid}] GET /healthz 200" in err
    assert not err.lstrip().startswith("{")


def test_without_proxy_hops_forwarded_for_is_ignored(app, capsys):
    app.config["LOG_FORMAT"] = "json"
    from trainer.ops.logs import configure_logging

    configure_logging(app)
    capsys.readouterr()
    app.test_client().get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"})
    (line,) = access_lines(capsys.readouterr().err)
    assert line["remote_addr"] == "127.0.0.1"


# Metrics ------------------------------------------------------------------------------

def test_metrics_are_hidden_without_the_token(app, client, login_as):
    app.config["METRICS_TOKEN"] = TOKEN
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert client.get("/metrics", headers={"Authorization": TOKEN}).status_code == 404
    login_as(Role.TRAINER)
    assert client.get("/metrics").status_code == 404


def test_metrics_are_closed_when_no_token_is_set(app, client):
    app.config.pop("METRICS_TOKEN", None)
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def in_progress_attempts(db, make_user, count: int, submitted: int) -> None:
    owner = make_user(Role.TRAINER)
    trainees = [make_user(Role.TRAINEE) for _ in range(count + submitted)]
    cohort = accounts.create_cohort(db, actor=owner, name="Metrics cohort", trainer=owner)
    cohort.trainees = trainees
    scenario = loader.load(ROOT / "scenarios" / "cooperative-family.yaml")
    version = scenario_services.publish(db, scenario, actor=None)
    assignment = fieldwork.assign(db, actor=owner, cohort=cohort, version=version,
                                  mode=Mode.PRACTICE, due_on=None)
    for index, trainee in enumerate(trainees):
        attempt = fieldwork.start_attempt(db, trainee, assignment)
        if index >= count:
            fieldwork.submit(db, attempt)
    db.flush()


def test_metrics_with_the_token(app, client, db, make_user):
    app.config["METRICS_TOKEN"] = TOKEN
    in_progress_attempts(db, make_user, count=3, submitted=1)
    before = healthz_count(scrape(client))
    client.get("/healthz")
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    assert "# TYPE trainer_request_duration_seconds histogram" in text
    assert healthz_count(text) == before + 1
    samples = metric_samples(text)
    assert samples[("trainer_attempts_in_progress", frozenset())] == 3
    assert samples[("trainer_job_queue_depth", frozenset())] == tasks.huey.pending_count()
    # labelled by endpoint name and status class, never by the raw path
    unmatched = ("trainer_request_duration_seconds_count",
                 frozenset({"endpoint": "unmatched", "method": "GET", "status": "4xx"}.items()))
    before = samples.get(unmatched, 0.0)
    assert client.get("/no/such/page/zz-raw-path").status_code == 404
    text = scrape(client)
    assert metric_samples(text)[unmatched] == before + 1
    assert "zz-raw-path" not in text  # digits could appear in a float sum


def test_admins_may_read_the_metrics(client, login_as):
    login_as(Role.ADMIN)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert "trainer_attempts_in_progress" in response.get_data(as_text=True)


def test_a_figure_that_cannot_be_read_is_left_out():
    def broken() -> int:
        raise ConnectionError("redis is gone")

    families = list(LiveCollector(queue_depth=broken, attempts_in_progress=lambda: 4).collect())
    assert [family.name for family in families] == ["trainer_attempts_in_progress"]
    assert families[0].samples[0].value == 4


# gunicorn, with several workers and multiprocess metrics ----------------------------

def get(url: str, **headers: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - a local http URL
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - local URL
        return response.status, response.read().decode()


def test_gunicorn_workers_add_up_their_metrics(tmp_path):
    database = f"sqlite:///{tmp_path / 'gunicorn.sqlite3'}"
    engine = make_engine(database)
    Base.metadata.create_all(engine)
    engine.dispose()
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    (metrics_dir / "histogram_99999.db").write_bytes(b"stale file of an earlier run")
    listener = listening_socket()
    port, fd = listener.getsockname()[1], listener.fileno()
    env = {**os.environ, "TRAINER_DATABASE_URL": database,
           "TRAINER_INSTANCE_PATH": str(tmp_path / "instance"),
           "TRAINER_MEDIA_ROOT": str(tmp_path / "media"), "TRAINER_SECRET_KEY": "x",
           "TRAINER_METRICS_TOKEN": TOKEN, "TRAINER_LOG_FORMAT": "json",
           "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "WEB_CONCURRENCY": "3",
           "GUNICORN_THREADS": "1", "GUNICORN_BIND": f"fd://{fd}"}
    env.pop("TRAINER_REDIS_URL", None)
    # The log goes to a file: a pipe read only at the end fills up (64 KiB, about 200 access
    # lines when one worker keeps winning the race to accept) and blocks the workers' writes.
    log = tmp_path / "gunicorn.log"
    with listener, log.open("w") as output:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py",
             "wsgi:app"], cwd=ROOT, env=env, pass_fds=(fd,), stdout=output, stderr=output,
            text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        # (the socket takes connections before a worker is up: the first request may wait
        # in its queue while three workers boot on a busy machine)
        deadline = time.monotonic() + 90
        while True:  # wait for the workers (on /readyz, so that /healthz is counted exactly)
            try:
                status, ready = get(base + "/readyz")
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, (
                    "gunicorn did not answer: " + log.read_text()[-2000:])
                time.sleep(0.2)
        assert status == 200 and json.loads(ready)["status"] == "ok"
        # Concurrent requests to single-threaded workers, until at least two workers have
        # answered some: the scrape must then add up processes. /readyz answered means one
        # worker is up; on a busy machine the others may still be booting (CI's run once
        # had one worker take all 320 requests of 20 quick rounds), so rounds go on, a little
        # apart, until a second worker has answered or the deadline passes.
        served = 0
        deadline = time.monotonic() + 60
        with ThreadPoolExecutor(max_workers=8) as pool:
            while time.monotonic() < deadline:
                statuses = list(pool.map(lambda _n: get(base + "/healthz",
                                                        Connection="close")[0], range(16)))
                assert statuses == [200] * 16
                served += 16
                if len(list(metrics_dir.glob("histogram_*.db"))) >= 2:
                    break
                time.sleep(0.2)
        assert len(list(metrics_dir.glob("histogram_*.db"))) >= 2
        # every scrape, whichever worker answers it, sees the sum over all workers
        for _ in range(6):
            status, text = get(base + "/metrics", Authorization=f"Bearer {TOKEN}")
            assert status == 200
            assert healthz_count(text) == served
            assert metric_samples(text)[("trainer_attempts_in_progress", frozenset())] == 0
        assert not (metrics_dir / "histogram_99999.db").exists()  # wiped at start
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    err = log.read_text()
    lines = access_lines(err)
    assert len([line for line in lines if line["path"] == "/healthz"]) == served
    assert all(HEX_ID.fullmatch(line["request_id"]) for line in lines)
    assert '"GET /healthz HTTP/1.1"' not in err  # gunicorn's own access log stays off


# deploy/ -----------------------------------------------------------------------------

def load_gunicorn_config(monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_TIMEOUT", "GUNICORN_BIND",
                 "GUNICORN_MAX_REQUESTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("gunicorn_conf",
                                                  ROOT / "deploy" / "gunicorn.conf.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gunicorn_config_loads_and_follows_the_environment(monkeypatch, tmp_path):
    default = load_gunicorn_config(monkeypatch)
    assert default.workers == min(2 * (os.cpu_count() or 1) + 1, 12)
    assert default.threads == 2 and default.worker_class == "gthread"
    assert default.max_requests == 100_000 and default.max_requests_jitter == 10_000
    assert default.accesslog is None and default.preload_app is False
    assert default.graceful_timeout < default.timeout
    tuned = load_gunicorn_config(monkeypatch, WEB_CONCURRENCY="3", GUNICORN_THREADS="8",
                                 GUNICORN_TIMEOUT="90", GUNICORN_BIND="10.0.0.11:8000",
                                 GUNICORN_MAX_REQUESTS="2000",
                                 PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    assert (tuned.max_requests, tuned.max_requests_jitter) == (2000, 200)
    assert (tuned.workers, tuned.threads, tuned.timeout, tuned.bind) == (3, 8, 90,
                                                                         "10.0.0.11:8000")
    (tmp_path / "gauge_livesum_4242.db").write_bytes(b"")
    (tmp_path / "gauge_livesum_4343.db").write_bytes(b"")
    (tmp_path / "histogram_4242.db").write_bytes(b"")
    tuned.child_exit(None, type("Worker", (), {"pid": 4242})())
    assert sorted(path.name for path in tmp_path.iterdir()) == ["gauge_livesum_4343.db",
                                                                "histogram_4242.db"]
    tuned.on_starting(None)
    assert list(tmp_path.iterdir()) == []


def test_gunicorn_accepts_the_config(tmp_path):
    env = {**os.environ, "TRAINER_INSTANCE_PATH": str(tmp_path), "TRAINER_SECRET_KEY": "x"}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "gunicorn"), "--check-config", "-c",
         "deploy/gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr


def nginx_blocks(text: str) -> dict[str, str]:
    """`location`/`upstream` heads -> their bodies (the example has no nested blocks there)."""
    return {head.strip(): body for head, body in
            re.findall(r"((?:location|upstream)[^{;]*)\{([^{}]*)\}", text)}


def test_nginx_media_location_matches_what_the_app_sends(app, client, db, login_as):
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    guide = (ROOT / "docs" / "deployment.md").read_text()
    blocks = nginx_blocks(conf)
    internal = [head for head, body in blocks.items() if re.search(r"^\s*internal;", body, re.M)]
    assert len(internal) == 1
    prefix = internal[0].split()[-1]
    alias = re.search(r"alias\s+(\S+);", blocks[internal[0]]).group(1)
    # both end in "/": a prefix without it next to an alias with it would let ../ through
    assert prefix.endswith("/") and alias.endswith("/")
    assert f"TRAINER_MEDIA_ACCEL={prefix}" in guide
    assert f"TRAINER_MEDIA_ROOT={alias.rstrip('/')}" in guide

    trainer = login_as(Role.TRAINER)
    key = "clips/ops/r1/720p.mp4"
    clip = Clip(slug="ops-clip", title_zh="运维", filename="ops.mp4", status=ClipStatus.READY,
                original_key="clips/ops/original.mp4", duration=1.0, width=1280, height=720,
                created_by_id=trainer.id,
                renditions={"720p": {"key": key, "width": 1280, "height": 720, "bytes": 4}})
    db.add(clip)
    db.flush()
    media_root = Path(app.config["MEDIA_ROOT"])
    (media_root / key).parent.mkdir(parents=True)
    (media_root / key).write_bytes(b"mp4!")
    app.config["MEDIA_ACCEL"] = prefix
    response = client.get(f"/clips/{clip.id}/media/720p")
    assert response.status_code == 200, response.get_data(as_text=True)[-300:]
    redirect = response.headers["X-Accel-Redirect"]
    assert redirect.startswith(prefix)
    # nginx replaces the prefix by the alias: the file it opens is the one in the media root
    served = Path(alias + redirect[len(prefix):])
    assert served.relative_to(alias) == (media_root / key).relative_to(media_root)


def test_nginx_passes_the_request_id_and_forwards_to_every_web_machine():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert re.search(r"proxy_set_header X-Request-ID \$\w+;", conf)
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in conf
    blocks = nginx_blocks(conf)
    servers = {name: set(re.findall(r"^\s*server\s+(\S+?)[\s;]", body, re.M))
               for name, body in blocks.items() if name.startswith("upstream")}
    assert len(servers) == 2 and len(set(map(frozenset, servers.values()))) == 1


def test_the_deploy_smoke_script_still_fits_the_nginx_example(tmp_path):
    """scripts/deploy_smoke.py (run where nginx is installed) rewrites the example for local
    ports and folders; a change to the example that it no longer understands fails here."""
    smoke = load_smoke()
    text = smoke.local_nginx_conf(tmp_path, [18001, 18002], 18080, 18443)
    assert "10.0.0.1" not in text and "/srv/trainer" not in text and "/etc/ssl" not in text
    blocks = nginx_blocks(text)
    assert {head for head in blocks if head.startswith("upstream")} == {
        "upstream trainer_web", "upstream trainer_uploads"}
    for head, body in blocks.items():
        if head.startswith("upstream"):
            assert set(re.findall(r"server\s+(\S+?)[\s;]", body)) == {"127.0.0.1:18001",
                                                                       "127.0.0.1:18002"}
    assert blocks["location /protected-media/"].count(f"alias {tmp_path}/media/;") == 1
