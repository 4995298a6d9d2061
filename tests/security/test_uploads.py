"""Upload attacks beyond tests/features/test_video.py (path names, bad files, oversize):
decompression bombs in media, a polyglot file, a hostile file name."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.features.video_support import create, make_clip, patch, upload
from tests.security.conftest import active_content
from trainer.accounts.models import Role
from trainer.core.errors import InvalidInput
from trainer.video.media import MAX_HOURS, MAX_SIDE, parse_probe
from trainer.video.models import Clip, ClipStatus, Upload

HEADER = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'visit.mp4':
  Duration: {duration}, start: 0.000000, bitrate: 20 kb/s
  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), \
{size}, 10 kb/s, 25 fps, 25 tbr, 12800 tbn (default)
"""


def test_a_normal_video_passes_the_limits():
    info = parse_probe(HEADER.format(duration="00:12:00.00", size="3840x2160"))
    assert (info.width, info.height, info.duration) == (3840, 2160, 720.0)


@pytest.mark.parametrize(("duration", "size", "says"), [
    ("00:00:02.00", f"{MAX_SIDE + 2}x{MAX_SIDE + 2}", "pixels a side"),
    ("00:00:02.00", "32000x16", "pixels a side"),
    ("00:00:02.00", "8000x8", "pixels a side"),  # a one-digit side was once not read
    (f"{MAX_HOURS:02d}:00:01.00", "320x240", "longer than"),
    ("99:59:59.00", "16x16", "longer than"),
])
def test_a_decompression_bomb_is_refused_before_processing(duration, size, says):
    """A tiny file may declare enormous frames or hours of still picture; decoding it all
    would take the worker's memory and time. It is refused at the probe."""
    with pytest.raises(InvalidInput) as refused:
        parse_probe(HEADER.format(duration=duration, size=size))
    assert says in refused.value.message


@pytest.mark.parametrize(("size", "width", "height"), [("8000x8", 8000, 8),
                                                     ("8x8000", 8, 8000)])
def test_a_frame_size_bomb_sent_through_the_upload_route_is_refused(
        client, csrf, login_as, db, tmp_path, size, width, height):
    """A real, playable 1-second video of a few kilobytes whose frames are 8000 pixels long
    (each decoded frame far larger than the file, the shape of a decompression bomb): the
    tus upload's last chunk is answered with a 400 naming the limit in the trainee's language,
    and nothing of it is kept: no clip (so no job and nothing to serve), no upload, no file."""
    bomb = make_clip(tmp_path / "bomb.mp4", seconds=1.0, size=size, audio=False).read_bytes()
    assert len(bomb) < 64 * 1024
    login_as(Role.TRAINER)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    created = create(client, csrf(), len(bomb), filename="bomb.mp4")
    assert created.status_code == 201
    refused = patch(client, csrf(), created.headers["Location"], 0, bomb)
    assert refused.status_code == 400, refused.get_data(as_text=True)
    answer = refused.get_json()
    assert answer["field"] == "file"
    assert answer["message"] == (f"此视频为 {width} × {height} 像素；每边最多接受 {MAX_SIDE} "
                                 "像素。")
    assert db.scalar(select(func.count()).select_from(Clip)) == 0
    assert db.scalar(select(func.count()).select_from(Upload)) == 0
    gone = client.head(created.headers["Location"], headers={"Tus-Resumable": "1.0.0"})
    assert gone.status_code == 404  # the upload cannot be resumed into a clip either
    media_root = Path(client.application.config["MEDIA_ROOT"])
    assert [path for folder in ("uploads", "clips") if (media_root / folder).exists()
            for path in (media_root / folder).rglob("*") if path.is_file()] == []


@pytest.fixture(scope="module")
def small_clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return make_clip(tmp_path_factory.mktemp("clips") / "visit.mp4", seconds=1.0,
                     size="320x240", audio=False).read_bytes()


def test_a_polyglot_file_is_never_served_as_anything_but_a_video(client, csrf, login_as, db,
                                                                  small_clip: bytes):
    """An MP4 that is also an HTML page and a ZIP archive (trailing bytes ffmpeg ignores): the
    renditions are made anew by ffmpeg, and the original is only ever downloaded, as a video,
    never sniffed."""
    login_as(Role.TRAINER)
    payload = b"<html><script>alert(document.cookie)</script></html>"
    polyglot = small_clip + payload + b"PK\x05\x06" + b"\x00" * 18
    response = upload(client, csrf(), polyglot, filename="<img src=x onerror=alert(1)>.mp4")
    assert response.status_code == 204, response.get_data(as_text=True)
    clip = db.scalar(select(Clip).order_by(Clip.id.desc()))
    db.refresh(clip)
    original = client.get(f"/clips/{clip.id}/original")
    original.close()
    assert original.status_code == 200
    assert original.mimetype.startswith("video/")
    assert original.headers["X-Content-Type-Options"] == "nosniff"
    assert original.headers["Content-Disposition"].startswith("attachment")
    assert "\n" not in original.headers["Content-Disposition"]
    assert "default-src 'self'" in original.headers["Content-Security-Policy"]
    media_root = Path(client.application.config["MEDIA_ROOT"])
    assert clip.status == ClipStatus.READY and clip.renditions
    for name, rendition in clip.renditions.items():
        assert payload not in (media_root / rendition["key"]).read_bytes(), name
    for page in (f"/clips/{clip.id}", f"/clips/{clip.id}/edit", "/clips"):
        assert active_content(client.get(page).get_data(as_text=True)) == [], page


def test_an_html_file_named_mp4_is_refused(client, csrf, login_as, db):
    login_as(Role.TRAINER)
    page = b"<html><script>alert(1)</script></html>\n" * 20
    response = upload(client, csrf(), page, filename="lesson.mp4")
    assert response.status_code == 400
    assert db.scalar(select(func.count()).select_from(Clip)) == 0
