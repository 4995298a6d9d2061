"""The clip upload and streaming routes under requests that overlap or lie: a second request
for an upload while a chunk of it is still arriving, and what is left afterwards."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.features.video_support import create, make_clip, patch, tus_headers
from trainer.accounts.models import Role
from trainer.core.errors import InvalidInput
from trainer.db import utcnow
from trainer.video import media, services
from trainer.video.models import Clip, ClipStatus, Upload, WatchProgress

LENGTH = 40  # the announced file; the chunk below is half of it, so nothing is finished


class _Interrupted(io.BytesIO):
    """A request body that arrives in two halves, with `meanwhile` run between them: another
    request made while this one is still being received (a client's retry after a timeout,
    a second tab, a cancel)."""

    def __init__(self, body: bytes, meanwhile: Callable[[], None]) -> None:
        super().__init__(body)
        self.half = len(body) // 2
        self.meanwhile: Callable[[], None] | None = meanwhile

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() == self.half and self.meanwhile is not None:
            self.meanwhile, run = None, self.meanwhile
            run()
        return super().read(self.half)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _other_request(app: Flask, client: FlaskClient, method: str, location: str,
                   csrf: str) -> Callable[[], Any]:
    """A request of its own (its own app context, so its own database session), as from a
    second worker, answered into `answers`."""
    answers: list[Any] = []

    def send() -> None:
        with app.app_context():
            if method == "PATCH":
                answers.append(patch(client, csrf, location, 0, b"B" * 20))
            else:
                answers.append(client.open(location, method=method,
                                           headers=tus_headers(csrf)))

    send.answers = answers  # type: ignore[attr-defined]
    return send


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_a_request_for_an_upload_whose_chunk_is_arriving_waits_its_turn(
        app: Flask, client: FlaskClient, csrf: Callable[[], str], login_as: Any, db: Session,
        method: str) -> None:
    """Before: a second PATCH at the same offset passed the offset check (the first had not
    committed its new offset) and wrote into the same file, so the file and the offset no
    longer agreed; a DELETE removed the row under the first, whose commit then failed with a
    500. Now the upload is held by the request receiving it: the other gets 423 Locked (tus
    clients retry it), and the first finishes as if alone."""
    login_as(Role.TRAINER)
    token = csrf()
    location = create(client, token, LENGTH).headers["Location"]
    other = _other_request(app, client, method, location, token)
    body = _Interrupted(b"A" * 20, other)
    first = client.patch(location, input_stream=body, headers=tus_headers(
        token, **{"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream",
                  "Content-Length": "20"}))
    answered = other.answers[0]  # type: ignore[attr-defined]
    assert answered.status_code == 423, answered.get_data(as_text=True)
    assert answered.headers["Tus-Resumable"] == "1.0.0"
    assert first.status_code == 204, first.get_data(as_text=True)
    assert first.headers["Upload-Offset"] == "20"
    db.expire_all()
    upload = db.scalar(select(Upload))
    assert upload is not None and upload.offset == 20
    part = Path(app.config["MEDIA_ROOT"]) / "uploads" / f"{upload.token}.part"
    assert part.read_bytes() == b"A" * 20
    resumed = client.head(location, headers=tus_headers(token))
    assert resumed.headers["Upload-Offset"] == "20"


def test_asking_for_the_offset_while_the_last_chunk_is_made_a_clip_is_told_to_wait(
        app: Flask, client: FlaskClient, csrf: Callable[[], str], login_as: Any, db: Session,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tus client whose last PATCH timed out while the server was still probing and storing
    the file asks for the offset (HEAD). Before: the HEAD, seeing the whole file, made it a
    clip too, so two requests probed and moved one file: one answered 500 (or two clips were
    made of one upload). Now the HEAD gets 423 and the PATCH makes the one clip."""
    data = make_clip(tmp_path / "visit.mp4", seconds=1.0, size="320x240",
                     audio=False).read_bytes()
    login_as(Role.TRAINER)
    token = csrf()
    location = create(client, token, len(data)).headers["Location"]
    other = _other_request(app, client, "HEAD", location, token)
    real_probe = media.probe

    def probe_meanwhile(path: Path) -> Any:
        if not other.answers:  # type: ignore[attr-defined]
            other()
        return real_probe(path)

    monkeypatch.setattr(media, "probe", probe_meanwhile)
    last = patch(client, token, location, 0, data)
    asked = other.answers[0]  # type: ignore[attr-defined]
    assert asked.status_code == 423
    assert last.status_code == 204, last.get_data(as_text=True)
    db.expire_all()
    clips = db.scalars(select(Clip)).all()
    assert [f"/clips/{clip.id}" for clip in clips] == [last.headers["Clip-Location"]]
    assert db.scalar(select(Upload)) is None


def test_the_clean_up_leaves_an_upload_whose_chunk_is_arriving(
        db: Session, make_user: Callable[..., Any], tmp_path: Path) -> None:
    """An upload untouched for a day is deleted by the periodic clean-up, but not while a
    request is receiving a chunk of it (its row would vanish under the request: a 500, and
    the bytes it took lost); an expired one whose file is already gone loses its row."""
    trainer = make_user(Role.TRAINER)
    receiving, forgotten, orphan = (
        services.create_upload(db, trainer, length=10, filename=f"{name}.mp4", title="",
                               media_root=tmp_path, max_bytes=100)
        for name in ("receiving", "forgotten", "orphan"))
    services.upload_path(tmp_path, orphan).unlink()
    later = utcnow() + timedelta(days=2)
    with services.holding(tmp_path, receiving):
        assert services.expire_uploads(db, tmp_path, now=later) == 2
    assert db.scalars(select(Upload.filename)).all() == ["receiving.mp4"]
    assert services.upload_path(tmp_path, receiving).exists()
    assert not services.upload_path(tmp_path, forgotten).exists()
    assert services.expire_uploads(db, tmp_path, now=later) == 1
    assert db.scalar(select(Upload)) is None


def test_a_huge_progress_report_is_refused_before_it_is_parsed(
        estate: Any, client: FlaskClient, csrf: Callable[[], str], login_as: Any,
        db: Session) -> None:
    """Any trainee who may watch a clip reports progress. Before: a 16 MiB report of tiny
    ranges (the request limit) was parsed whole: about 600 MiB and 3 s of a web worker per
    request, a few at once enough to exhaust its memory. Now a report over 64 KiB (what a
    browser sends with keepalive at most) is answered 413 unread; a real one still counts."""
    login_as(user=estate.users["victim"])
    url = estate.url("/clips/{clip}/progress")
    headers = {"X-CSRFToken": csrf(), "Accept": "application/json"}
    many = {"segments": [[0, 1]] * 20_000, "position": 1}
    refused = client.post(url, json=many, headers=headers)
    assert refused.status_code == 413
    assert refused.get_json()["status"] == 413
    assert db.scalar(select(WatchProgress)) is None
    normal = {"segments": [[0.0, 1.5]] + [[start + 0.25, start + 0.5]
                                          for start in range(2, 1000)], "position": 1.5}
    counted = client.post(url, json=normal, headers=headers)
    assert counted.status_code == 200, counted.get_data(as_text=True)
    assert counted.get_json()["watched"] == 1.5  # the clip is 2 s long


def test_joining_clips_longer_than_a_clip_may_be_is_refused_at_once(
        db: Session, make_user: Callable[..., Any]) -> None:
    """Joining is moviepy's frame-by-frame work. Before: five ready clips of up to four hours
    each (or one clip five times) were joined, twenty hours of video rendered by a worker,
    and only then refused by the probe as longer than four hours. Now the request is."""
    trainer = make_user(Role.TRAINER)
    long_clip = Clip(slug="long", title_zh="长", filename="long.mp4", status=ClipStatus.READY,
                     duration=media.MAX_HOURS * 3600 * 0.6, created_by=trainer)
    db.add(long_clip)
    db.flush()
    with pytest.raises(InvalidInput) as refused:
        services.start_composition(db, trainer, title_zh="合集", title_en="",
                                   segments=[long_clip.id, long_clip.id])
    assert refused.value.field == "segment_1"
    assert db.scalars(select(Clip.slug)).all() == ["long"]


def test_ffmpeg_s_words_on_a_clip_s_page_name_files_without_their_folders(tmp_path: Path
                                                                          ) -> None:
    """ffmpeg's last words become a failed clip's error, shown on its page: the server's
    folders are cut from them (the real ffmpeg, on an input that is not there)."""
    missing = tmp_path / "server" / "media" / "uploads" / "missing-original.mp4"
    with pytest.raises(media.MediaError) as failed:
        media.run_ffmpeg([media.ffmpeg_exe(), "-v", "error", "-nostdin", "-i", str(missing),
                          "-f", "null", "-"], 1.0)
    assert "missing-original.mp4" in str(failed.value)
    assert str(tmp_path) not in str(failed.value) and "/uploads/" not in str(failed.value)
    assert media.without_paths("/a/b/c.part: Invalid data; see /x/y.log") == (
        "c.part: Invalid data; see y.log")


def test_an_unexpected_processing_error_is_logged_and_the_page_says_so_plainly(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from tests.features.test_video import uploaded_clip

    clip_bytes = make_clip(tmp_path / "visit.mp4").read_bytes()
    login_as(Role.TRAINER)

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("cannot open /srv/trainer/media/work/secret-folder/x.mp4")

    monkeypatch.setattr(services, "render_run", broken)
    clip = uploaded_clip(client, csrf, db, clip_bytes)
    assert clip.status == ClipStatus.FAILED and clip.error == services.UNEXPECTED
    page = client.get(f"/clips/{clip.id}", headers={"Accept-Language": "zh-CN"})
    text = page.get_data(as_text=True)
    assert "secret-folder" not in text and "RuntimeError" not in text
    assert "服务器日志" in text  # the message, in the page's language
    assert "secret-folder" in caplog.text  # the details are in the log
