"""ffmpeg (the binary imageio-ffmpeg ships): probing uploads, and the one command that makes
a clip's renditions, poster and thumbnail strip.

Transcoding and scaling use ffmpeg's own filters, in a single run that decodes the source
once and feeds every output through `split`; moviepy (slow frame by frame in Python) is kept
for composition in `render.py`.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import imageio_ffmpeg

from trainer.core.errors import InvalidInput
from trainer.core.i18n import N_

# Containers a camera or phone writes; anything else (an image, a GIF, audio) is refused.
CONTAINERS = ("mov", "mp4", "matroska", "webm", "avi", "mpegts")
MIN_SECONDS = 0.5
# A small file can declare huge frames or hours of still picture (a decompression bomb):
# processing would decode all of it. A visit is minutes long and a phone films at most 4K.
MAX_SIDE = 4096  # pixels, either side
MAX_HOURS = 4
PROBE_TIMEOUT = 120


class MediaError(Exception):
    """ffmpeg failed on a file that had passed the probe; the message says why, and
    `disk_full` whether it could not write for want of room."""

    def __init__(self, message: str, *, disk_full: bool = False) -> None:
        super().__init__(message)
        self.disk_full = disk_full


# How ffmpeg reports ENOSPC (strerror's words: ffmpeg does not translate them).
NO_SPACE = "No space left on device"


@dataclass(frozen=True, slots=True)
class Rendition:
    """A published MP4 rendition: H.264/AAC at most `height` lines (never upscaled)."""

    name: str
    height: int
    crf: int
    audio_bitrate: str


# The registry of renditions, largest first; the player offers them in this order.
RENDITIONS: dict[str, Rendition] = {
    rendition.name: rendition
    for rendition in (Rendition("720p", 720, 23, "128k"), Rendition("360p", 360, 26, "96k"))
}
STRIP_FRAMES = 10
STRIP_WIDTH = 160


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What the probe found in a file."""

    container: str
    duration: float
    width: int
    height: int
    video_codec: str
    has_audio: bool


def ffmpeg_exe() -> str:
    """The ffmpeg binary shipped by imageio-ffmpeg."""
    return str(imageio_ffmpeg.get_ffmpeg_exe())


_INPUT = re.compile(r"^Input #0, ([^ ]+), from", re.MULTILINE)
_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #0:\d+.*?: Video: (\w+)[^\n]*?, (\d{1,5})x(\d{1,5})\b")
_AUDIO = re.compile(r"Stream #0:\d+.*?: Audio: ")


def parse_probe(text: str) -> MediaInfo:
    """Read `ffmpeg -i` output; raise InvalidInput when it is not a video we can use."""
    source = _INPUT.search(text)
    if source is None:
        raise InvalidInput(N_("This file is not a video ffmpeg can read."), field="file")
    formats = source.group(1).rstrip(",").split(",")
    video = next((match for match in _VIDEO.finditer(text)
                  if "attached pic" not in text[match.start():text.find("\n", match.end())]),
                 None)
    if video is None:
        raise InvalidInput(N_("This file has no video stream."), field="file")
    if not any(name in CONTAINERS for name in formats):
        raise InvalidInput(N_("This file is a %(format)s, not a video file (MP4, MOV, MKV, "
                              "WebM, AVI or MPEG-TS)."), field="file", format=formats[0])
    duration = _DURATION.search(text)
    seconds = (int(duration.group(1)) * 3600 + int(duration.group(2)) * 60
               + float(duration.group(3))) if duration else 0.0
    if seconds < MIN_SECONDS:
        raise InvalidInput(N_("This video is too short or its length is unknown."),
                           field="file")
    width, height = int(video.group(2)), int(video.group(3))
    if max(width, height) > MAX_SIDE:
        raise InvalidInput(N_("This video is %(width)s × %(height)s pixels; at most %(limit)s "
                              "pixels a side are accepted."), field="file", width=width,
                           height=height, limit=MAX_SIDE)
    if seconds > MAX_HOURS * 3600:
        raise InvalidInput(N_("This video is longer than %(hours)s hours."), field="file",
                           hours=MAX_HOURS)
    return MediaInfo(container=formats[0], duration=seconds, width=int(video.group(2)),
                     height=int(video.group(3)), video_codec=video.group(1),
                     has_audio=_AUDIO.search(text) is not None)


def probe(path: Path) -> MediaInfo:
    """Probe the streams, then read every packet: a truncated or corrupt file is refused here,
    not halfway through processing."""
    header = _run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)])
    info = parse_probe(header.stderr)
    check = _run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-i", str(path),
                  "-map", "0:v:0", "-c", "copy", "-f", "null", "-"])
    if check.returncode != 0 or check.stderr.strip():
        raise InvalidInput(N_("This video is damaged or incomplete (was the upload cut "
                              "short?)."), field="file")
    return info


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(args, capture_output=True, text=True, errors="replace",  # noqa: S603
                              timeout=PROBE_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise InvalidInput(N_("This file took too long to read; it may be damaged."),
                           field="file") from exc


def rendition_sizes(info: MediaInfo) -> dict[str, tuple[int, int]]:
    """(width, height) of each rendition: scaled down to its height, never up, even sizes;
    a rendition that would repeat a smaller one's size is left out."""
    sizes: dict[str, tuple[int, int]] = {}
    for rendition in sorted(RENDITIONS.values(), key=lambda item: item.height):
        height = min(rendition.height, info.height) // 2 * 2
        width = round(info.width * height / info.height / 2) * 2
        if (width, height) not in sizes.values():
            sizes[rendition.name] = (width, height)
    return {name: sizes[name] for name in RENDITIONS if name in sizes}


def redaction_filters(redactions: list[dict[str, Any]], info: MediaInfo) -> str:
    """A filter chain from [src] to [clean] that blurs each rectangle during its time span."""
    chain, label = [], "src"
    for index, box in enumerate(redactions):
        x, y = round(box["x"] * info.width), round(box["y"] * info.height)
        w = max(8, round(box["w"] * info.width)) // 2 * 2
        h = max(8, round(box["h"] * info.height)) // 2 * 2
        x, y = min(x, info.width - w), min(y, info.height - h)
        chain.append(
            f"[{label}]split[base{index}][cut{index}];"
            f"[cut{index}]crop={w}:{h}:{x}:{y},"
            f"boxblur=luma_radius='min(w,h)/5':luma_power=3:"
            f"chroma_radius='min(cw,ch)/5':chroma_power=3[blur{index}];"
            f"[base{index}][blur{index}]overlay={x}:{y}:"
            f"enable='between(t,{float(box['start']):.3f},{float(box['end']):.3f})'[r{index}]")
        label = f"r{index}"
    chain.append(f"[{label}]null[clean]")
    return ";".join(chain)


def processing_command(source: Path, out: Path, info: MediaInfo,
                       redactions: list[dict[str, Any]]) -> tuple[list[str], dict[str, Path]]:
    """The ffmpeg arguments that make every product in one decode, and the products' paths
    (rendition name, "poster", "strip")."""
    sizes = rendition_sizes(info)
    branches = [*sizes, "poster", "strip"]
    graph = ["[0:v:0]setsar=1[src]", redaction_filters(redactions, info),
             f"[clean]split={len(branches)}" + "".join(f"[in_{name}]" for name in branches)]
    products: dict[str, Path] = {}
    outputs: list[str] = []
    for name, (width, height) in sizes.items():
        rendition = RENDITIONS[name]
        graph.append(f"[in_{name}]scale={width}:{height},format=yuv420p[out_{name}]")
        products[name] = out / f"{name}.mp4"
        outputs += ["-map", f"[out_{name}]", "-map", "0:a:0?",
                    "-c:v", "libx264", "-preset", "veryfast", "-crf", str(rendition.crf),
                    "-profile:v", "main", "-c:a", "aac", "-b:a", rendition.audio_bitrate,
                    "-ac", "2", "-movflags", "+faststart", str(products[name])]
    poster_at = min(2.0, info.duration / 10)
    poster_width, poster_height = next(iter(sizes.values()))
    graph.append(f"[in_poster]trim=start={poster_at:.3f},setpts=PTS-STARTPTS,"
                 f"scale={poster_width}:{poster_height}[out_poster]")
    graph.append(f"[in_strip]fps={STRIP_FRAMES}/{info.duration:.3f},"
                 f"scale={STRIP_WIDTH}:-2,tile={STRIP_FRAMES}x1[out_strip]")
    products["poster"] = out / "poster.jpg"
    products["strip"] = out / "strip.jpg"
    outputs += ["-map", "[out_poster]", "-frames:v", "1", "-q:v", "3", str(products["poster"]),
                "-map", "[out_strip]", "-frames:v", "1", "-q:v", "4", str(products["strip"])]
    args = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-v", "error", "-nostats",
            "-progress", "pipe:1", "-i", str(source),
            "-filter_complex", ";".join(graph), *outputs]
    return args, products


# A path in ffmpeg's words (its input, a temporary file): shown as its file name alone, since
# a clip's error is shown on its page and the server's folders are none of its readers' business
_PATH = re.compile(r"(?:/[^\s/:;,'\"]+)+/([^\s/:;,'\"]+)")


def without_paths(text: str) -> str:
    """ffmpeg's message with every absolute path cut to its file name."""
    return _PATH.sub(r"\1", text)


def run_ffmpeg(args: list[str], duration: float,
               on_progress: Callable[[float], None] | None = None) -> None:
    """Run ffmpeg, reporting the fraction done from its `-progress` lines; raise MediaError
    with ffmpeg's own last words when it fails, or when it runs past a generous time limit
    (a stuck ffmpeg is killed rather than holding the worker forever).

    ffmpeg's messages go to a temporary file, not a pipe, so that however much it writes it
    can never block while the progress lines are being read.
    """
    limit = max(600.0, 30 * duration)
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as errors, \
            subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errors,  # noqa: S603
                             text=True, errors="replace") as process:
        watchdog = threading.Timer(limit, process.kill)
        watchdog.start()
        try:
            assert process.stdout is not None
            for line in process.stdout:
                key, _, value = line.strip().partition("=")
                if (key == "out_time_us" and value.isdigit() and on_progress is not None
                        and duration):
                    on_progress(min(1.0, int(value) / 1e6 / duration))
            code = process.wait()
        finally:
            timed_out = not watchdog.is_alive() and process.returncode not in (0, None)
            watchdog.cancel()
        errors.seek(0)
        said = errors.read()
        last = [line for line in said.strip().splitlines() if line.strip()][-3:]
    if timed_out and code != 0:
        raise MediaError(f"ffmpeg took longer than {limit:.0f} s and was stopped")
    if code != 0:
        raise MediaError(without_paths("; ".join(last)) or f"ffmpeg exited with {code}",
                         disk_full=NO_SPACE in said)


def frame_jpeg(path: Path, seconds: float, *, width: int = 640) -> bytes:
    """One frame of a video at `seconds`, as a JPEG `width` pixels wide."""
    result = subprocess.run(  # noqa: S603
        [ffmpeg_exe(), "-v", "error", "-nostdin", "-ss", f"{max(0.0, seconds):.3f}", "-i",
         str(path), "-frames:v", "1", "-vf", f"scale={width}:-2", "-f", "image2pipe",
         "-c:v", "mjpeg", "-q:v", "4", "-"], capture_output=True, timeout=60, check=False)
    if result.returncode != 0 or not result.stdout:
        raise MediaError(without_paths(result.stderr.decode("utf-8", "replace").strip())
                         or "no frame there")
    return result.stdout


def pattern_clip(path: Path, *, seconds: float = 2.0, size: str = "1280x720",
              audio: bool = True, noise: bool = False) -> Path:
    """A test pattern with a 440 Hz tone, H.264/AAC in MP4 with the index first (like a
    phone's upload), for tests and benchmarks; `noise` adds fine detail everywhere, which a
    blur visibly removes."""
    pattern = f"testsrc2=size={size}:rate=25:duration={seconds}"
    args = [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi",
            "-i", pattern + (",noise=alls=60:allf=t" if noise else "")]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        args += ["-c:a", "aac", "-shortest"]
    args += ["-movflags", "+faststart", str(path)]
    subprocess.run(args, check=True)  # noqa: S603
    return path
