"""Offline copies that fail: the job's last try records the reason on the clip, the clip's page
shows it (both languages, no server path, never to trainees) with a button to ask again, and
a new request clears it. The render is replaced by one that raises, so no video is made."""

from __future__ import annotations

import errno
import logging
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy.orm import Session

from tests.features.test_video import share
from trainer import tasks
from trainer.accounts.models import Role, User
from trainer.db import utcnow
from trainer.video import media, render, services
from trainer.video.models import Clip, ClipStatus
from trainer.video.storage import storage_from_config

VTT = "WEBVTT\n\n00:00.000 --> 00:01.000\n请出示普查员证\n"
SERVER_PATH = "/srv/trainer/media/work/7/offline-zh_cn/source.mp4"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
FIRST_TRY, LAST_TRY = SimpleNamespace(retries=1), SimpleNamespace(retries=0)  # huey's task


@pytest.fixture
def ready_clip(db: Session, app: Flask, tmp_path: Path) -> Clip:
    """A processed clip with Chinese captions whose small rendition is in the media storage."""
    clip = Clip(slug="offline", title_zh="离线", title_en="Offline", filename="visit.mp4",
                duration=1.0, width=640, height=360, status=ClipStatus.READY, runs=1,
                captions={"zh_CN": VTT}, published=True)
    db.add(clip)
    db.flush()
    source = tmp_path / "360p.mp4"
    source.write_bytes(b"not really a video: the render is replaced")
    key = f"clips/{clip.id}/r1/360p.mp4"
    clip.renditions = {"360p": {"key": key, "bytes": storage_from_config(app.config).put(
        key, source), "width": 640, "height": 360}}
    db.flush()
    return clip


def render_fails(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    def burn_captions(*_args: Any, **_kwargs: Any) -> Path:
        raise error

    monkeypatch.setattr(render, "burn_captions", burn_captions)


def render_works(monkeypatch: pytest.MonkeyPatch) -> None:
    def burn_captions(src: Path, _cues: Any, out: Path, **_kwargs: Any) -> Path:
        shutil.copyfile(src, out)
        return out

    monkeypatch.setattr(render, "burn_captions", burn_captions)


def run_job(app: Flask, clip: Clip, task: SimpleNamespace, ticket: str | None = None) -> None:
    """The job function itself, as huey's worker runs it (in the app: the test's database);
    without a ticket, as a job queued before requests had tickets."""
    with app.app_context():
        tasks.offline_copy_job(clip.id, "zh_CN", ticket, task=task)


def ask(client: FlaskClient, csrf: Any, clip: Clip, **extra: str) -> Any:
    return client.post(f"/clips/{clip.id}/offline",
                       data={"csrf_token": csrf(), "locale": "zh_CN", **extra})


def job_of(db: Session, clip: Clip) -> dict[str, Any]:
    db.expire_all()
    return dict(clip.renditions.get("offline-zh_CN", {}).get("job") or {})


def page(client: FlaskClient, clip: Clip, **headers: str) -> str:
    return client.get(f"/clips/{clip.id}", headers=headers).get_data(as_text=True)


def test_a_render_failing_twice_is_recorded_on_the_last_try_and_shown_in_both_languages(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session, ready_clip: Clip,
        app: Flask, make_user: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    trainer = login_as(Role.TRAINER)
    render_fails(monkeypatch, media.MediaError(f"{SERVER_PATH}: Invalid data found"))
    # The first try runs as the request queues it (immediate mode): it fails, huey is to try
    # once more, so the copy is still being made.
    assert ask(client, csrf, ready_clip).status_code == 302
    first = job_of(db, ready_clip)
    assert first["state"] == services.OFFLINE_PENDING and "error" not in first
    assert "is being made; asked for at" in page(client, ready_clip)
    with pytest.raises(media.MediaError):  # the job itself, on its first try: raised to huey
        run_job(app, ready_clip, FIRST_TRY, first["ticket"])
    assert job_of(db, ready_clip)["state"] == services.OFFLINE_PENDING
    run_job(app, ready_clip, LAST_TRY, first["ticket"])  # the retry: no raise
    job = job_of(db, ready_clip)
    assert job["state"] == services.OFFLINE_FAILED
    assert job["error"] == services.OFFLINE_RENDER_FAILED
    assert job["detail"] == "source.mp4: Invalid data found"  # the tool's words, no path
    assert job["asked_at"] == first["asked_at"]

    english = page(client, ready_clip)
    assert "The offline copy (中文) could not be made:" in english
    assert "The video tool stopped with an error while burning in the captions." in english
    assert "source.mp4: Invalid data found" in english and "/srv/" not in english
    assert 'data-test="offline-retry-zh_CN"' in english and "Try again" in english
    assert "is being made" not in english
    chinese = page(client, ready_clip, **ZH)
    assert "离线版（中文）未能生成：视频工具在压制字幕时出错中止。" in chinese
    assert "视频工具在压制字幕时出错中止。" in chinese and "/srv/" not in chinese
    assert 'data-test="offline-retry-zh_CN"' in chinese and "重试" in chinese
    edit = client.get(f"/clips/{ready_clip.id}/edit").get_data(as_text=True)
    assert 'data-test="offline-failed-zh_CN"' in edit

    trainee: User = make_user(Role.TRAINEE)
    share(db, ready_clip, trainee, trainer)
    login_as(user=trainee)
    for text in (page(client, ready_clip), page(client, ready_clip, **ZH)):
        assert "offline-failed" not in text and "offline-retry" not in text
        assert "could not be made" not in text and "未能生成" not in text


def test_asking_again_clears_the_failure_and_a_finished_copy_replaces_the_request(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session, ready_clip: Clip,
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    login_as(Role.TRAINER)
    render_fails(monkeypatch, media.MediaError("Conversion failed!"))
    ask(client, csrf, ready_clip)
    run_job(app, ready_clip, LAST_TRY, job_of(db, ready_clip)["ticket"])
    assert job_of(db, ready_clip)["state"] == services.OFFLINE_FAILED

    # Try again from the clip's page (the first try of the new request fails again, quietly)
    again = ask(client, csrf, ready_clip, back="show")
    assert again.status_code == 302 and again.headers["Location"].endswith(
        f"/clips/{ready_clip.id}")
    job = job_of(db, ready_clip)
    assert job["state"] == services.OFFLINE_PENDING
    assert "error" not in job and "detail" not in job
    text = page(client, ready_clip)
    assert "could not be made" not in text and "Conversion failed!" not in text
    assert 'data-test="offline-pending-zh_CN"' in text
    assert "离线版（中文）正在生成；申请时间：" in page(client, ready_clip, **ZH)

    render_works(monkeypatch)
    run_job(app, ready_clip, LAST_TRY, job_of(db, ready_clip)["ticket"])
    db.expire_all()
    product = ready_clip.renditions["offline-zh_CN"]
    assert "job" not in product and product["key"].endswith("offline-zh_cn.mp4")
    text = page(client, ready_clip)
    assert 'data-test="offline-zh_CN"' in text and "offline-pending" not in text


@pytest.mark.parametrize(("error", "reason", "hidden"), [
    (OSError(errno.ENOSPC, "No space left on device", SERVER_PATH), services.OFFLINE_DISK_FULL,
     SERVER_PATH),
    (media.MediaError(f"{SERVER_PATH}/offline.mp4: No space left on device", disk_full=True),
     services.OFFLINE_DISK_FULL, "No space left"),
    (OSError(errno.EIO, f"MoviePy error: failed to read the first frame of {SERVER_PATH}"),
     services.UNEXPECTED, "MoviePy error"),
    (ValueError(f"Traceback (most recent call last): {SERVER_PATH}"), services.UNEXPECTED,
     "Traceback"),
])
def test_other_failures_show_a_reason_without_the_servers_words(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session, ready_clip: Clip,
        app: Flask, monkeypatch: pytest.MonkeyPatch, error: Exception, reason: str,
        hidden: str) -> None:
    login_as(Role.TRAINER)
    render_fails(monkeypatch, error)
    ask(client, csrf, ready_clip)
    run_job(app, ready_clip, LAST_TRY, job_of(db, ready_clip)["ticket"])
    job = job_of(db, ready_clip)
    assert (job["state"], job["error"], job["detail"]) == (services.OFFLINE_FAILED, reason, "")
    text = page(client, ready_clip)
    assert str(escape(reason)) in text and hidden not in text and "/srv/" not in text


def test_a_missing_source_fails_at_once_without_a_retry(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session, ready_clip: Clip,
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    login_as(Role.TRAINER)
    render_works(monkeypatch)
    storage_from_config(app.config).delete(ready_clip.renditions["360p"]["key"])
    ask(client, csrf, ready_clip)  # its first try: a refusal would only be refused again
    job = job_of(db, ready_clip)
    assert (job["state"], job["error"]) == (services.OFFLINE_FAILED, services.OFFLINE_NO_SOURCE)
    assert "媒体存储中找不到这个视频的文件" in page(client, ready_clip, **ZH)


def test_a_request_the_queue_could_not_take_is_shown_as_failed(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session, ready_clip: Clip,
        monkeypatch: pytest.MonkeyPatch) -> None:
    login_as(Role.TRAINER)
    monkeypatch.setattr(tasks, "enqueue", lambda *_args: False)
    ask(client, csrf, ready_clip)
    job = job_of(db, ready_clip)
    assert (job["state"], job["error"]) == (services.OFFLINE_FAILED, services.OFFLINE_UNQUEUED)
    assert "ask for the offline copy again in a few minutes" in page(client, ready_clip)


def test_a_request_goes_with_the_captions_or_a_new_run_and_a_late_failure_is_not_recorded(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session, ready_clip: Clip,
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    login_as(Role.TRAINER)
    monkeypatch.setattr(tasks, "enqueue", lambda *_args: True)  # asked for, not yet run
    ask(client, csrf, ready_clip)
    assert job_of(db, ready_clip)["state"] == services.OFFLINE_PENDING
    # A new processing run replaces the products: the request (which has no file) goes too.
    ready_clip.original_key = ready_clip.renditions["360p"]["key"]
    services.requeue(db, ready_clip)
    run = services.begin_run(db, ready_clip.id)
    assert run is not None
    services.finish_run(db, run, storage=storage_from_config(app.config),
                        products={"360p": dict(ready_clip.renditions["360p"])}, error=None)
    assert "offline-zh_CN" not in ready_clip.renditions
    render_fails(monkeypatch, media.MediaError("late"))
    run_job(app, ready_clip, LAST_TRY)
    assert job_of(db, ready_clip) == {}
    # Captions saved anew drop a pending request as they drop a made copy.
    ask(client, csrf, ready_clip)
    client.post(f"/clips/{ready_clip.id}/captions", data={
        "csrf_token": csrf(), "locale": "zh_CN", "text": "00:00.000 --> 00:01.000\n新字幕"})
    assert job_of(db, ready_clip) == {}


def backdate(db: Session, clip: Clip, by: timedelta) -> None:
    """The request's clock (`since`, else `asked_at`) moved `by` into the past."""
    db.refresh(clip)
    entry = clip.renditions["offline-zh_CN"]
    key = "since" if "since" in entry["job"] else "asked_at"
    when = datetime.fromisoformat(entry["job"][key]) - by
    clip.renditions = {**clip.renditions, "offline-zh_CN": {
        **entry, "job": {**entry["job"], key: when.isoformat()}}}
    db.flush()


def test_a_copy_whose_worker_died_is_asked_for_again_once_then_shown_failed(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session, ready_clip: Clip,
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker killed while making the copy leaves the request "being made" (huey does not
    run a killed job again): the periodic check asks for it again once it is overdue, and the
    job then completes; a request whose job died twice is shown failed, with Try again."""
    login_as(Role.TRAINER)
    render_works(monkeypatch)
    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks, "enqueue", lambda *args: queued.append(args) or True)
    ask(client, csrf, ready_clip)  # queued, and its worker dies: the job never ends
    overdue = services.offline_stale_after(ready_clip.duration)
    assert services.stale_offline(db) == []  # within its time: still being made
    backdate(db, ready_clip, overdue - timedelta(minutes=2))
    assert services.stale_offline(db) == []
    backdate(db, ready_clip, timedelta(minutes=3))
    assert services.stale_offline(db) == [(ready_clip.id, "zh_CN")]
    queued.clear()
    with app.app_context():
        tasks.resume_interrupted.call_local()
    job = job_of(db, ready_clip)
    assert queued == [(tasks.offline_copy, ready_clip.id, "zh_CN", job["ticket"])]
    assert job["state"] == services.OFFLINE_PENDING and job["resumed"]
    assert services.stale_offline(db) == []  # its clock starts again
    run_job(app, ready_clip, LAST_TRY, job["ticket"])  # the job asked again runs to the end
    db.expire_all()
    assert "key" in ready_clip.renditions["offline-zh_CN"]
    assert "offline-pending-zh_CN" not in page(client, ready_clip)

    ask(client, csrf, ready_clip)  # a new request, whose job dies twice
    for _death in range(2):
        backdate(db, ready_clip, overdue + timedelta(minutes=1))
        with app.app_context():
            tasks.resume_interrupted.call_local()
    job = job_of(db, ready_clip)
    assert (job["state"], job["error"]) == (services.OFFLINE_FAILED,
                                            services.OFFLINE_INTERRUPTED)
    assert "stopped twice before it finished" in page(client, ready_clip)
    assert "生成离线版的后台任务两次在完成前中断" in page(client, ready_clip, **ZH)
    assert 'data-test="offline-retry-zh_CN"' in page(client, ready_clip)


def test_resuming_a_copy_that_changed_meanwhile_does_nothing_and_stops_no_other(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session, ready_clip: Clip,
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The periodic check reads the overdue requests, then resumes each afresh: one whose job
    finished (or failed) in between is left as it is, and an error resuming one is logged
    without stopping the others or the clean-up."""
    login_as(Role.TRAINER)
    render_works(monkeypatch)
    monkeypatch.setattr(tasks, "enqueue", lambda *args: True)  # the job is not run yet
    ask(client, csrf, ready_clip)
    backdate(db, ready_clip, services.offline_stale_after(ready_clip.duration)
             + timedelta(minutes=1))
    assert services.stale_offline(db) == [(ready_clip.id, "zh_CN")]
    run_job(app, ready_clip, LAST_TRY)  # the job ends after the read
    db.expire_all()  # a new session reads afresh, as each of the periodic check's does
    assert services.resume_offline(db, ready_clip.id, "zh_CN") is None
    db.expire_all()
    assert "key" in ready_clip.renditions["offline-zh_CN"]  # the copy stays, made
    assert services.resume_offline(db, 10**9, "zh_CN") is None  # a clip gone meanwhile

    ask(client, csrf, ready_clip)  # a new request, overdue, that failed meanwhile
    backdate(db, ready_clip, services.offline_stale_after(ready_clip.duration)
             + timedelta(minutes=1))
    services.fail_offline(db, ready_clip.id, "zh_CN", services.OFFLINE_DISK_FULL)
    db.expire_all()
    assert services.resume_offline(db, ready_clip.id, "zh_CN") is None
    assert job_of(db, ready_clip)["error"] == services.OFFLINE_DISK_FULL

    cleaned = []
    monkeypatch.setattr(services, "stale_offline",
                        lambda _db: [(ready_clip.id, "en"), (ready_clip.id, "zh_CN")])
    monkeypatch.setattr(services, "expire_uploads", lambda *_args: cleaned.append(True))
    real_resume = services.resume_offline

    def broken_for_english(db_: Session, clip_id: int, locale: str) -> str | None:
        if locale == "en":
            raise RuntimeError("a bad entry")
        return real_resume(db_, clip_id, locale)

    monkeypatch.setattr(services, "resume_offline", broken_for_english)
    with app.app_context():
        tasks.resume_interrupted.call_local()
    assert cleaned == [True]


def test_a_try_that_begins_starts_the_clock_again(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session, ready_clip: Clip,
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """A request that waited long in the queue is not taken for dead once its job begins:
    the clock counts from the try's start."""
    login_as(Role.TRAINER)
    monkeypatch.setattr(tasks, "enqueue", lambda *args: True)
    ask(client, csrf, ready_clip)
    backdate(db, ready_clip, services.offline_stale_after(ready_clip.duration)
             + timedelta(minutes=1))
    assert services.stale_offline(db) == [(ready_clip.id, "zh_CN")]
    assert services.started_offline(db, ready_clip.id, "zh_CN",  # what the job does first
                                    job_of(db, ready_clip)["ticket"])
    assert services.stale_offline(db) == []
    assert job_of(db, ready_clip)["state"] == services.OFFLINE_PENDING


def count_renders(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Renders that work, each noted (by its clip) in the list returned."""
    renders: list[int] = []
    real = services.render_offline

    def counted(plan: services.OfflinePlan, **kwargs: Any) -> dict[str, Any]:
        renders.append(plan.clip_id)
        return real(plan, **kwargs)

    render_works(monkeypatch)
    monkeypatch.setattr(services, "render_offline", counted)
    return renders


def test_a_job_asked_again_while_it_waited_in_the_queue_is_dropped_and_the_copy_made_once(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session, ready_clip: Clip,
        app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """A job that waits behind a long queue is taken for dead and asked for again: the
    request gets a new ticket and a second job. The first, when it leaves the queue at last,
    is superseded and does nothing (no render, no failure); the second makes the copy."""
    login_as(Role.TRAINER)
    renders = count_renders(monkeypatch)
    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks, "enqueue", lambda *args: queued.append(args) or True)
    ask(client, csrf, ready_clip)  # queued; no try begins: the queue is long
    first = job_of(db, ready_clip)
    assert queued == [(tasks.offline_copy, ready_clip.id, "zh_CN", first["ticket"])]
    backdate(db, ready_clip, services.offline_stale_after(ready_clip.duration)
             + timedelta(minutes=1))
    with app.app_context():
        tasks.resume_interrupted.call_local()
    asked_again = job_of(db, ready_clip)
    assert asked_again["resumed"] and asked_again["ticket"] != first["ticket"]
    assert queued[1:] == [(tasks.offline_copy, ready_clip.id, "zh_CN", asked_again["ticket"])]

    with caplog.at_level(logging.INFO, logger="trainer.tasks"):
        run_job(app, ready_clip, LAST_TRY, first["ticket"])  # the first job leaves the queue
    assert renders == []
    assert job_of(db, ready_clip) == asked_again  # still being made, by the second job
    assert "offline-pending-zh_CN" in page(client, ready_clip)
    dropped = [r for r in caplog.records if "asked again or withdrawn" in r.getMessage()]
    assert [r.levelno for r in dropped] == [logging.INFO]

    run_job(app, ready_clip, LAST_TRY, asked_again["ticket"])  # the second job
    assert renders == [ready_clip.id]
    db.expire_all()
    product = ready_clip.renditions["offline-zh_CN"]
    assert "job" not in product and product["key"].endswith("offline-zh_cn.mp4")
    run_job(app, ready_clip, LAST_TRY, first["ticket"])  # any late job finds no request of its
    run_job(app, ready_clip, LAST_TRY, asked_again["ticket"])
    assert renders == [ready_clip.id]
    db.expire_all()
    assert ready_clip.renditions["offline-zh_CN"] == product


def test_a_superseded_job_that_fails_leaves_the_newer_request_alone(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session, ready_clip: Clip,
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """A job whose try began before its request was asked again, and which then fails,
    records nothing: the newer request's own job is still to come."""
    login_as(Role.TRAINER)
    monkeypatch.setattr(tasks, "enqueue", lambda *args: True)
    ask(client, csrf, ready_clip)
    old = job_of(db, ready_clip)["ticket"]
    ask(client, csrf, ready_clip)  # asked again while the old job was at work
    new = job_of(db, ready_clip)["ticket"]
    assert new != old
    assert services.fail_offline(db, ready_clip.id, "zh_CN", services.OFFLINE_DISK_FULL,
                                 ticket=old) is False
    assert job_of(db, ready_clip)["state"] == services.OFFLINE_PENDING
    assert services.fail_offline(db, ready_clip.id, "zh_CN", services.OFFLINE_DISK_FULL,
                                 ticket=new) is True
    assert job_of(db, ready_clip)["error"] == services.OFFLINE_DISK_FULL


def test_a_job_queued_before_requests_had_tickets_still_makes_its_copy(
        db: Session, ready_clip: Clip, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """A request written, and its job queued, by the code before tickets: huey runs the job
    with the arguments it was queued with (no ticket), and the copy is made."""
    renders = count_renders(monkeypatch)
    ready_clip.renditions = {**ready_clip.renditions, "offline-zh_CN": {"job": {
        "state": services.OFFLINE_PENDING, "asked_at": utcnow().isoformat()}}}
    db.flush()
    with app.app_context():
        tasks.offline_copy(ready_clip.id, "zh_CN")  # huey's task, as queued then (immediate)
    assert renders == [ready_clip.id]
    db.expire_all()
    product = ready_clip.renditions["offline-zh_CN"]
    assert "job" not in product and product["key"].endswith("offline-zh_cn.mp4")


def test_a_copy_asked_again_that_the_queue_cannot_take_is_shown_failed(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session, ready_clip: Clip,
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the periodic check asks again for a copy taken for dead but cannot queue the new
    job, the request says so (for a trainer to ask again), rather than staying "being made"
    with a ticket no job carries, and being called interrupted twice at the next check."""
    login_as(Role.TRAINER)
    monkeypatch.setattr(tasks, "enqueue", lambda *args: True)
    ask(client, csrf, ready_clip)
    first = job_of(db, ready_clip)
    backdate(db, ready_clip, services.offline_stale_after(ready_clip.duration)
             + timedelta(minutes=1))
    monkeypatch.setattr(tasks, "enqueue", lambda *args: False)  # the queue is down
    with app.app_context():
        tasks.resume_interrupted.call_local()
    job = job_of(db, ready_clip)
    assert job["state"] == services.OFFLINE_FAILED
    assert job["error"] == services.OFFLINE_UNQUEUED
    assert job["ticket"] != first["ticket"]


def test_the_view_records_a_queue_failure_on_its_own_request_only(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session, ready_clip: Clip,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A trainer's request that the queue refused is recorded as failed only while it is
    still the clip's request: one asked meanwhile (its job queued) is left being made."""
    login_as(Role.TRAINER)
    newer: dict[str, str] = {}

    def refused_after_another_ask(*_args: Any) -> bool:
        # another trainer asks meanwhile, and that job is queued
        clip = db.get(Clip, ready_clip.id)
        assert clip is not None
        newer["ticket"] = services.ask_offline(db, clip, "zh_CN")
        db.commit()
        return False

    monkeypatch.setattr(tasks, "enqueue", refused_after_another_ask)
    ask(client, csrf, ready_clip)
    db.expire_all()
    job = job_of(db, ready_clip)
    assert job["ticket"] == newer["ticket"]
    assert job["state"] == services.OFFLINE_PENDING
