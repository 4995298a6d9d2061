"""Clip processing and streaming, each against a plain baseline measured in the same run.

    python -m benchmarks.video

For one 20-second 1280x720 H.264/AAC input:
- ffmpeg_seconds: one plain ffmpeg command, written out here, making the same products
  (720p and 360p H.264/AAC renditions, poster, thumbnail strip) with the same settings;
- pipeline_seconds: the application's processing job (`trainer.tasks.process_clip_job`:
  database rows, the ffmpeg run with progress reports, storing the products);
- ratio = pipeline / ffmpeg (target at most 1.3), the median of the runs.
Then serving the 720p rendition in 1 MiB range requests over HTTP on 127.0.0.1:
- range_mib_per_s: through the application (log-in check, clip lookup, access rule);
- static_mib_per_s: the same file from a plain static file server (werkzeug's send_file
  with no application around it, on the same kind of threaded server);
- range_ratio = range / static (target at least 0.5).
The last line printed is one JSON object.
"""

from __future__ import annotations

import http.client
import json
import logging
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import make_server
from werkzeug.utils import send_file
from werkzeug.wrappers import Request

from trainer import create_app
from trainer.accounts.models import Role, User
from trainer.extensions import DB_KEY
from trainer.models import Base
from trainer.tasks import process_clip_job
from trainer.video import media
from trainer.video.media import pattern_clip
from trainer.video.models import Clip, ClipStatus

SECONDS = 20.0
CHUNK = 1024 * 1024
RUNS = 3


def plain_ffmpeg(source: Path, out: Path) -> float:
    """Seconds for the same products made by a hand-written ffmpeg command."""
    graph = ("[0:v:0]split=4[a][b][c][d];"
             "[a]scale=1280:720,format=yuv420p[v720];[b]scale=640:360,format=yuv420p[v360];"
             "[c]trim=start=2,setpts=PTS-STARTPTS,scale=1280:720[poster];"
             "[d]fps=10/20,scale=160:-2,tile=10x1[strip]")
    x264 = ["-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-c:a", "aac",
            "-ac", "2", "-movflags", "+faststart"]
    args = [media.ffmpeg_exe(), "-v", "error", "-y", "-i", str(source), "-filter_complex", graph,
            "-map", "[v720]", "-map", "0:a:0", *x264, "-crf", "23", "-b:a", "128k",
            str(out / "720p.mp4"),
            "-map", "[v360]", "-map", "0:a:0", *x264, "-crf", "26", "-b:a", "96k",
            str(out / "360p.mp4"),
            "-map", "[poster]", "-frames:v", "1", "-q:v", "3", str(out / "poster.jpg"),
            "-map", "[strip]", "-frames:v", "1", "-q:v", "4", str(out / "strip.jpg")]
    started = time.perf_counter()
    subprocess.run(args, check=True)
    return time.perf_counter() - started


def make_app(folder: Path) -> Flask:
    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
                      "INSTANCE_PATH": str(folder / "instance"),
                      "MEDIA_ROOT": str(folder / "media"), "SECRET_KEY": "benchmark"})
    with app.app_context():
        Base.metadata.create_all(app.extensions["trainer.engine"])
    return app


def pipeline(app: Flask, source: Path, run: int) -> tuple[float, int]:
    """Seconds for the application's job on a clip of `source`; the clip's id."""
    with app.app_context(), app.extensions[DB_KEY]() as db:
        clip = Clip(slug=f"bench-{run}", title_zh="基准", filename=source.name,
                    duration=SECONDS, width=1280, height=720, has_audio=True,
                    status=ClipStatus.QUEUED)
        db.add(clip)
        db.flush()
        clip.original_key = f"clips/{clip.id}/original.mp4"
        media_root = Path(app.config["MEDIA_ROOT"])
        (media_root / f"clips/{clip.id}").mkdir(parents=True, exist_ok=True)
        (media_root / clip.original_key).write_bytes(source.read_bytes())
        db.commit()
        clip_id = clip.id
    started = time.perf_counter()
    with app.app_context():
        process_clip_job(clip_id)
    elapsed = time.perf_counter() - started
    with app.app_context(), app.extensions[DB_KEY]() as db:
        done = db.get(Clip, clip_id)
        assert done is not None and done.status == ClipStatus.READY, done and done.error
    return elapsed, clip_id


@contextmanager
def serving(wsgi: Any) -> Iterator[int]:
    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def ranged_mib_per_s(port: int, path: str, size: int, rounds: int,
                     headers: dict[str, str]) -> float:
    """Fetch the file `rounds` times in 1 MiB ranges over one kept-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    received = 0
    started = time.perf_counter()
    for _ in range(rounds):
        for offset in range(0, size, CHUNK):
            end = min(offset + CHUNK, size) - 1
            connection.request("GET", path, headers={**headers,
                                                     "Range": f"bytes={offset}-{end}"})
            response = connection.getresponse()
            body = response.read()
            assert response.status == 206, response.status
            received += len(body)
    elapsed = time.perf_counter() - started
    connection.close()
    return received / CHUNK / elapsed


def session_cookie(app: Flask) -> str:
    """A logged-in trainer's session cookie, signed as Flask signs it."""
    with app.app_context(), app.extensions[DB_KEY]() as db:
        user = User(username="bench", full_name="Bench", role=Role.TRAINER,
                    password_hash="!", session_token="bench-token")  # noqa: S106 - no log-in
        db.add(user)
        db.commit()
        user_id = user.get_id()
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    value = serializer.dumps({"_user_id": user_id, "_fresh": True})
    return f"{app.config.get('SESSION_COOKIE_NAME', 'session')}={value}"


def streaming(app: Flask, clip_id: int) -> tuple[float, float]:
    with app.app_context(), app.extensions[DB_KEY]() as db:
        clip = db.get(Clip, clip_id)
        assert clip is not None
        path = Path(app.config["MEDIA_ROOT"]) / clip.renditions["720p"]["key"]
    size = path.stat().st_size
    rounds = max(1, (200 * CHUNK) // size)

    def static(environ: Any, start_response: Any) -> Any:
        return send_file(str(path), Request(environ).environ, conditional=True,
                         mimetype="video/mp4")(environ, start_response)

    cookie = session_cookie(app)
    app_rates, static_rates = [], []
    with serving(app) as app_port, serving(static) as static_port:
        for _ in range(3):  # alternate so that machine noise hits both sides alike
            app_rates.append(ranged_mib_per_s(app_port, f"/clips/{clip_id}/media/720p", size,
                                              rounds, {"Cookie": cookie}))
            static_rates.append(ranged_mib_per_s(static_port, "/720p.mp4", size, rounds, {}))
    return statistics.median(app_rates), statistics.median(static_rates)


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        source = pattern_clip(folder / "input.mp4", seconds=SECONDS, size="1280x720")
        app = make_app(folder)
        plain_times, pipeline_times = [], []
        clip_id = 0
        for run in range(RUNS):
            out = folder / f"plain{run}"
            out.mkdir()
            plain_times.append(plain_ffmpeg(source, out))
            seconds, clip_id = pipeline(app, source, run)
            pipeline_times.append(seconds)
            print(f"run {run}: ffmpeg {plain_times[-1]:.2f} s, pipeline {seconds:.2f} s")
        ffmpeg_seconds = statistics.median(plain_times)
        pipeline_seconds = statistics.median(pipeline_times)
        ratios = [p / f for p, f in zip(pipeline_times, plain_times, strict=True)]
        range_rate, static_rate = streaming(app, clip_id)
        print(json.dumps({
            "input": "20 s 1280x720 H.264/AAC",
            "ffmpeg_seconds": round(ffmpeg_seconds, 2),
            "pipeline_seconds": round(pipeline_seconds, 2),
            "ratio": round(statistics.median(ratios), 3),
            "range_mib_per_s": round(range_rate, 1),
            "static_mib_per_s": round(static_rate, 1),
            "range_ratio": round(range_rate / static_rate, 3),
        }))


if __name__ == "__main__":
    main()
