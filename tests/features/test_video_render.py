"""Video composition (trainer/video/render.py): demo clips, burned captions, joined segments.

Clips are rendered small (320x180) so the whole module stays fast; one module-scoped render
of a real demo clip is shared by the tests that only read it. No database is needed.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from moviepy.video.io.ffmpeg_writer import FFMPEG_VideoWriter
from PIL import ImageFont

from trainer.video import render
from trainer.video.render import (
    DEMO_CLIPS,
    TITLE_SECONDS,
    Cue,
    DemoClip,
    RenderError,
    Scene,
    burn_captions,
    cjk_face_index,
    cjk_font,
    join_segments,
    render_demo_clip,
)

SIZE = (320, 180)
FPS = 25
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
CJK = re.compile(r"[\u4e00-\u9fff]")


# ---------------------------------------------------------------------------------------------
# Helpers: probe, frames and sound with the ffmpeg binary of imageio-ffmpeg


def probe(path: Path) -> dict:
    """Container facts from ``ffmpeg -i``: duration, and the video and audio stream lines."""
    info = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)],
                          capture_output=True, text=True, check=False).stderr
    hours, minutes, seconds = re.search(r"Duration: (\d+):(\d+):([\d.]+)", info).groups()
    streams = re.findall(r"Stream #\d+:\d+.*?: (Video|Audio): (.*)", info)
    return {
        "duration": int(hours) * 3600 + int(minutes) * 60 + float(seconds),
        "video": [line for kind, line in streams if kind == "Video"],
        "audio": [line for kind, line in streams if kind == "Audio"],
    }


def frames(path: Path) -> list[np.ndarray]:
    """Every decoded frame (RGB, height x width x 3).

    Decoded with subprocess.run rather than imageio_ffmpeg.read_frames: once ffmpeg has
    exited at the end of the file, read_frames leaves its pipes to the garbage collector, and
    the ResourceWarning that follows would fail the test run (warnings are errors).
    """
    width, height = map(int, re.search(r", (\d+)x(\d+)", probe(path)["video"][0]).groups())
    raw = subprocess.run([FFMPEG, "-v", "error", "-i", str(path), "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return list(np.frombuffer(raw, dtype=np.uint8).reshape(-1, height, width, 3))


def frame_at(decoded: list[np.ndarray], seconds: float, fps: float = FPS) -> np.ndarray:
    return decoded[round(seconds * fps)].astype(np.int16)


def sound(path: Path, start: float, seconds: float, rate: int = 8000) -> np.ndarray:
    """Mono samples (-1..1) of ``seconds`` from ``start``, decoded by ffmpeg."""
    pcm = subprocess.run(
        [FFMPEG, "-v", "error", "-ss", str(start), "-t", str(seconds), "-i", str(path),
         "-vn", "-ac", "1", "-ar", str(rate), "-f", "s16le", "-"],
        capture_output=True, check=True,
    ).stdout
    return np.frombuffer(pcm, dtype=np.int16) / 32768


def tiny_clip(slug: str = "tiny", colours=((200, 40, 40), (40, 40, 200))) -> DemoClip:
    """A short two-scene clip for tests that render their own."""
    scenes = tuple(
        Scene(0.6, f"第{n}幕", f"Scene {n}", "请出示普查员证。", "Please show your ID.", colour)
        for n, colour in enumerate(colours, start=1)
    )
    return DemoClip(slug, "测试", "Test", "摘要", "Summary", ("test",), scenes,
                    title_seconds=0.4)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[DemoClip, Path]:
    """The first real demo clip, rendered once at 320x180."""
    clip = DEMO_CLIPS[0]
    path = tmp_path_factory.mktemp("demo") / f"{clip.slug}.mp4"
    assert render_demo_clip(clip, path, size=SIZE, fps=FPS) == path
    return clip, path


@pytest.fixture(scope="module")
def demo_frames(demo) -> list[np.ndarray]:
    return frames(demo[1])


# ---------------------------------------------------------------------------------------------
# Demo content


def test_demo_clips_are_short_bilingual_and_tagged():
    assert len(DEMO_CLIPS) == 3
    assert len({clip.slug for clip in DEMO_CLIPS}) == 3
    assert {"introduction", "refusal", "residence"} <= {t for c in DEMO_CLIPS for t in c.tags}
    for clip in DEMO_CLIPS:
        assert 8 <= clip.duration <= 12
        for scene in clip.scenes:
            assert CJK.search(scene.heading_zh) and CJK.search(scene.caption_zh)
            assert not CJK.search(scene.heading_en)
            # The English may gloss a Chinese term in brackets, e.g. "grid worker (网格员)".
            assert not CJK.search(re.sub(r"\([^)]*\)", "", scene.caption_en))


@pytest.mark.parametrize("clip", DEMO_CLIPS, ids=lambda clip: clip.slug)
def test_cues_and_chapters_are_consecutive_and_cover_the_clip(clip):
    cues = clip.cues()
    assert len(cues) == len(clip.scenes)
    assert cues[0].start == clip.title_seconds
    assert all(a.end == b.start for a, b in itertools.pairwise(cues))
    assert cues[-1].end == pytest.approx(clip.duration)
    assert [(c.zh, c.en) for c in cues] == [(s.caption_zh, s.caption_en) for s in clip.scenes]

    chapters = clip.chapters()
    assert chapters[0] == (0.0, clip.title_zh, clip.title_en)
    assert [start for start, _, _ in chapters[1:]] == [cue.start for cue in cues]
    assert [(zh, en) for _, zh, en in chapters[1:]] == [
        (s.heading_zh, s.heading_en) for s in clip.scenes
    ]


def test_content_is_validated():
    scene = DEMO_CLIPS[0].scenes[0]
    with pytest.raises(ValueError, match="slug"):
        dataclasses.replace(DEMO_CLIPS[0], slug="Not A Slug")
    with pytest.raises(ValueError, match="scene"):
        dataclasses.replace(DEMO_CLIPS[0], scenes=())
    with pytest.raises(ValueError, match="colour"):
        dataclasses.replace(scene, colour=(0, 0, 300))
    with pytest.raises(ValueError, match="start < end"):
        Cue(2.0, 2.0, "空", "empty")
    with pytest.raises(ValueError, match="language"):
        Cue(0, 1, "好", "good").text("fr")


# ---------------------------------------------------------------------------------------------
# Fonts


def test_cjk_font_prefers_the_simplified_chinese_face_and_draws_real_glyphs():
    path = cjk_font()
    assert Path(path).is_file()
    font = ImageFont.truetype(path, 40, index=cjk_face_index(path))
    if "Noto" in font.getname()[0]:
        assert font.getname()[0].endswith("CJK SC")  # not face 0, the Japanese one

    def mask(text: str) -> bytes:
        return bytes(font.getmask(text))

    # Missing glyphs all come out as the same .notdef box ("tofu"); real ones differ.
    assert mask("普") != mask("查") != mask("员")
    assert mask("普") != mask("\U000f0000")  # a private-use code point no font draws
    assert sum(mask("普查员")) > 0


def test_cjk_font_names_the_debian_package_when_no_font_is_installed(monkeypatch, tmp_path):
    monkeypatch.setattr(render, "FONT_CANDIDATES", (tmp_path / "missing.ttc",))
    monkeypatch.setattr(render, "_fc_match", lambda pattern: None)
    with pytest.raises(RenderError, match="fonts-noto-cjk"):
        cjk_font()


def test_cjk_font_asks_fontconfig_but_rejects_a_font_without_chinese(monkeypatch, tmp_path):
    font_file = tmp_path / "Latin.ttf"
    font_file.write_bytes(b"not really a font")
    fake = tmp_path / "bin" / "fc-match"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\nprintf '%s\\t%s' '{font_file}' \"$LANGS\"\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    monkeypatch.setattr(render, "FONT_CANDIDATES", (tmp_path / "missing.ttc",))

    monkeypatch.setenv("LANGS", "en|fr|zh-cn|zh-tw")
    assert cjk_font() == str(font_file)
    monkeypatch.setenv("LANGS", "en|fr|de")  # fc-match always answers, even without Chinese
    with pytest.raises(RenderError, match="fonts-noto-cjk"):
        cjk_font()


# ---------------------------------------------------------------------------------------------
# Rendering a demo clip


def test_demo_clip_is_an_h264_aac_mp4_as_long_as_its_parts(demo, demo_frames):
    clip, path = demo
    facts = probe(path)
    assert facts["duration"] == pytest.approx(clip.title_seconds + sum(
        scene.seconds for scene in clip.scenes), abs=0.05)
    assert len(facts["video"]) == 1 and facts["video"][0].startswith("h264")
    assert "yuv420p" in facts["video"][0] and "320x180" in facts["video"][0]
    assert len(facts["audio"]) == 1 and facts["audio"][0].startswith("aac")

    assert f" {FPS} fps" in facts["video"][0]
    assert len(demo_frames) == round(clip.duration * FPS)

    head = path.read_bytes()[:65536]
    assert 0 <= head.find(b"moov") < head.find(b"mdat")  # +faststart: index first


def test_each_scene_shows_its_own_card(demo, demo_frames):
    clip, _ = demo
    decoded = demo_frames
    shown = []
    for cue, scene in zip(clip.cues(), clip.scenes, strict=True):
        frame = frame_at(decoded, (cue.start + cue.end) / 2)
        ground = np.median(frame.reshape(-1, 3), axis=0)
        assert np.abs(ground - scene.colour).max() < 12  # the scene's colour is the ground
        assert frame.std() > 10  # and text is drawn on it: not a blank card
        shown.append(frame)
    title = frame_at(decoded, clip.title_seconds / 2)
    assert np.abs(np.median(title.reshape(-1, 3), axis=0) - render.TITLE_BACKGROUND).max() < 12
    for a, b in itertools.pairwise([title, *shown]):  # neighbouring cards differ
        assert np.abs(a - b).mean() > 10


def test_demo_clip_has_a_soft_tone(demo):
    clip, path = demo
    samples = sound(path, clip.title_seconds + 0.5, 1.0)
    spectrum = np.abs(np.fft.rfft(samples))
    peak_hz = np.argmax(spectrum) * 8000 / len(samples)
    assert peak_hz == pytest.approx(render.TONE_HZ, abs=5)
    assert np.sqrt(np.mean(samples**2)) > 0.02  # audible
    assert np.abs(samples).max() < 0.15  # but soft


# ---------------------------------------------------------------------------------------------
# Burned captions and joined segments


def test_burn_captions_marks_the_bottom_of_the_frame_only(demo, demo_frames, tmp_path):
    clip, src = demo
    before = demo_frames
    zh = burn_captions(src, clip.cues(), tmp_path / "zh.mp4", language="zh")
    en = burn_captions(src, clip.cues()[:1], tmp_path / "en.mp4", language="en")
    assert probe(zh)["duration"] == pytest.approx(clip.duration, abs=0.05)
    assert probe(zh)["audio"][0].startswith("aac")
    after_zh, after_en = frames(zh), frames(en)

    cue = clip.cues()[0]
    t = (cue.start + cue.end) / 2
    original, with_zh, with_en = (frame_at(f, t) for f in (before, after_zh, after_en))
    height = original.shape[0]
    top, bottom = slice(0, height // 2), slice(height - height // 6, height)
    assert np.abs(with_zh[top] - original[top]).mean() < 3  # only re-encoding noise
    assert np.abs(with_zh[bottom] - original[bottom]).mean() > 15  # the caption box
    assert np.abs(with_zh[bottom] - with_en[bottom]).mean() > 5  # another language, other text
    # Before the first cue (the title card) nothing is burned in.
    assert np.abs(frame_at(after_zh, 0.5)[bottom] - frame_at(before, 0.5)[bottom]).mean() < 3
    with pytest.raises(ValueError, match="language"):
        burn_captions(src, clip.cues(), tmp_path / "fr.mp4", language="fr")


def test_join_segments_adds_up_durations_and_fits_other_sizes(demo, tmp_path):
    clip, first = demo
    other = render_demo_clip(tiny_clip(), tmp_path / "other.mp4", size=(160, 120), fps=FPS)
    joined = join_segments([first, other], tmp_path / "joined.mp4", title=("合集", "Reel"))
    facts = probe(joined)
    assert facts["duration"] == pytest.approx(
        TITLE_SECONDS + clip.duration + tiny_clip().duration, abs=0.05)
    assert "320x180" in facts["video"][0] and facts["audio"][0].startswith("aac")

    decoded = frames(joined)
    fitted = frame_at(decoded, TITLE_SECONDS + clip.duration + 0.6)  # the tiny clip's 1st scene
    # 160x120 scaled to 240x180 and centred: black bars left and right, red in the middle.
    assert fitted[:, :30].max() < 20 and fitted[:, -30:].max() < 20
    assert np.abs(np.median(fitted[:, 60:260].reshape(-1, 3), axis=0) - (200, 40, 40)).max() < 15

    plain = join_segments([other, other], tmp_path / "plain.mp4")
    assert probe(plain)["duration"] == pytest.approx(2 * tiny_clip().duration, abs=0.05)
    with pytest.raises(ValueError):
        join_segments([], tmp_path / "none.mp4")


# ---------------------------------------------------------------------------------------------
# Atomic output


def test_a_failed_render_never_leaves_a_half_written_file(monkeypatch, tmp_path):
    out = tmp_path / "clip.mp4"
    out.write_bytes(b"the previous, complete file")
    written = []
    real_write_frame = FFMPEG_VideoWriter.write_frame

    def failing_write_frame(self, frame):
        if len(written) == 5:  # ffmpeg is running and has started the file
            assert any(p.name.startswith(".clip.") for p in tmp_path.iterdir())
            raise OSError("disk full")
        written.append(frame)
        return real_write_frame(self, frame)

    monkeypatch.setattr(FFMPEG_VideoWriter, "write_frame", failing_write_frame)
    with pytest.raises(OSError, match="disk full"):
        render_demo_clip(tiny_clip(), out, size=SIZE, fps=FPS)
    assert out.read_bytes() == b"the previous, complete file"
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]  # no temporary file left

    monkeypatch.undo()
    fresh = tmp_path / "new" / "clip.mp4"
    assert render_demo_clip(tiny_clip(), fresh, size=SIZE, fps=FPS) == fresh
    assert [p.name for p in fresh.parent.iterdir()] == ["clip.mp4"]


def test_render_demo_clips_keeps_what_is_already_rendered(monkeypatch, tmp_path):
    monkeypatch.setattr(render, "DEMO_CLIPS", (tiny_clip("one"), tiny_clip("two")))
    paths = render.render_demo_clips(tmp_path, size=SIZE)
    assert [p.name for p in paths] == ["one.mp4", "two.mp4"] and all(p.is_file() for p in paths)

    def must_not_render(*args, **kwargs):
        raise AssertionError("rendered again")

    monkeypatch.setattr(render, "render_demo_clip", must_not_render)
    assert render.render_demo_clips(tmp_path, size=SIZE) == paths
