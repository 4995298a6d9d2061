"""Video composition with moviepy: title cards, burned-in captions, joined segments, demo clips.

This is the only module of the application that imports moviepy. Plain transcoding and scaling
are done elsewhere with ffmpeg's own filters; moviepy is used here only where frames have to be
composed: cards with Chinese and English text, captions burned into the offline version of a
clip, a title card in front of joined segments, and the short demo clips that `make run` renders
so that a fresh installation has something to show.

Text is drawn with Pillow onto plain images (then shown as moviepy ``ImageClip``s) rather than
with moviepy's ``TextClip``: ``TextClip`` opens a font file with face index 0, which for Debian's
``NotoSansCJK-*.ttc`` is the Japanese face, whereas Pillow lets us pick the Simplified Chinese
face of the same collection (see :func:`cjk_font` and :func:`cjk_face_index`). It also gives us
line wrapping that works for Chinese (no spaces between words) as well as English.

Every writer is atomic: the file is encoded under a hidden temporary name in the destination
folder and renamed onto ``out`` only when ffmpeg has finished, so a crash or an exception never
leaves a half-written file at ``out`` (and an older file there stays intact).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from moviepy import (
    AudioArrayClip,
    ColorClip,
    CompositeVideoClip,
    ImageClip,
    VideoFileClip,
    concatenate_videoclips,
)
from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "DEMO_CLIPS",
    "FONT_CANDIDATES",
    "TITLE_SECONDS",
    "Cue",
    "DemoClip",
    "RenderError",
    "Scene",
    "burn_captions",
    "cjk_face_index",
    "cjk_font",
    "join_segments",
    "render_demo_clip",
    "render_demo_clips",
]

RGB = tuple[int, int, int]

#: Seconds a title card stays on screen (demo clips and joined segments).
TITLE_SECONDS = 2.0

#: CJK-capable fonts from Debian packages, in order of preference. Noto Sans CJK comes first
#: (package ``fonts-noto-cjk``); the others are older Debian packages that also cover Chinese.
FONT_CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),  # fonts-noto-cjk
    Path("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf"),  # older split packaging
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),  # fonts-noto-cjk
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),  # fonts-wqy-microhei
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),  # fonts-wqy-zenhei
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),  # fonts-arphic-uming
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),  # fonts-droid-fallback
)

#: Pattern given to fontconfig when none of the known paths exists.
FC_PATTERN = "Noto Sans CJK SC:lang=zh-cn"

AUDIO_FPS = 44_100
TONE_HZ = 440.0
TONE_VOLUME = 0.08  # a soft tone: about -22 dBFS
TONE_FADE_SECONDS = 0.08

TITLE_BACKGROUND: RGB = (22, 42, 72)
BANNER_ZH = "第七次全国人口普查 · 普查员培训"
BANNER_EN = "Seventh National Population Census · Enumerator training"

# x264 settings: yuv420p is the only chroma layout every browser decodes; a keyframe every two
# seconds keeps seeking in an HTML5 player cheap; +faststart puts the index in front so playback
# starts before the whole file has arrived.
_PRESET = "veryfast"


class RenderError(RuntimeError):
    """Rendering cannot proceed (for example: no CJK font is installed)."""


# --------------------------------------------------------------------------------------------
# Fonts


def cjk_font() -> str:
    """Return the path of a font file that can draw Simplified Chinese.

    The known Debian locations in :data:`FONT_CANDIDATES` are tried first (Noto Sans CJK from
    ``fonts-noto-cjk`` is preferred). If none exists, fontconfig is asked
    (``fc-match 'Noto Sans CJK SC:lang=zh-cn'``) and its answer is accepted only when fontconfig
    says the font covers ``zh-cn``: ``fc-match`` always names *some* font, often one without a
    single Chinese glyph. Fonts are never downloaded.

    A ``.ttc`` collection holds several faces; use :func:`cjk_face_index` to pick the Simplified
    Chinese one.

    Raises:
        RenderError: no CJK font is installed.
    """
    for candidate in FONT_CANDIDATES:
        if candidate.is_file():
            return str(candidate)
    found = _fc_match(FC_PATTERN)
    if found:
        return found
    raise RenderError(
        "No CJK font found for the Chinese captions. Install the Debian package "
        "fonts-noto-cjk (apt-get install fonts-noto-cjk); looked in "
        + ", ".join(str(path) for path in FONT_CANDIDATES)
        + " and asked fc-match."
    )


def _fc_match(pattern: str) -> str | None:
    """Ask fontconfig for a font matching ``pattern`` that supports Simplified Chinese."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    try:
        answer = subprocess.run(  # noqa: S603 - fixed program and arguments, no shell
            [fc_match, "-f", "%{file}\t%{lang}", pattern],
            capture_output=True, text=True, timeout=10, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    path, _, langs = answer.stdout.partition("\t")
    if answer.returncode != 0 or not path or "zh-cn" not in langs.split("|"):
        return None
    return path if Path(path).is_file() else None


@lru_cache(maxsize=16)
def cjk_face_index(path: str) -> int:
    """Return the index of the Simplified Chinese face in a font collection (0 if none).

    In Debian's ``NotoSansCJK-Regular.ttc`` face 0 is "Noto Sans CJK JP" (which has the
    simplified glyphs too, but Japanese glyph shapes); face 2 is "Noto Sans CJK SC".
    """
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    best = 0
    for index in range(32):
        try:
            family = ImageFont.truetype(path, 12, index=index).getname()[0] or ""
        except OSError:  # past the last face
            break
        if re.search(r"\bSC\b|GB|Simplified", family):
            return index
        if best == 0 and re.search(r"\bCN\b|\bHans\b", family):
            best = index
    return best


@lru_cache(maxsize=64)
def _font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    """The CJK font at ``size`` pixels, bold when a bold sibling file is installed."""
    path = cjk_font()
    if bold:
        sibling = Path(path.replace("-Regular.", "-Bold."))
        if sibling != Path(path) and sibling.is_file():
            path = str(sibling)
    return ImageFont.truetype(path, max(size, 6), index=cjk_face_index(path))


# --------------------------------------------------------------------------------------------
# Content


@dataclass(frozen=True)
class Cue:
    """One caption: shown from ``start`` to ``end`` seconds, in Chinese and English."""

    start: float
    end: float
    zh: str
    en: str

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"a cue needs 0 <= start < end, got {self.start}..{self.end}")

    def text(self, language: str) -> str:
        """The caption in ``language`` ("zh" or "en")."""
        if language not in ("zh", "en"):
            raise ValueError(f"language must be 'zh' or 'en', not {language!r}")
        return self.zh if language == "zh" else self.en


@dataclass(frozen=True)
class Scene:
    """A card of a demo clip: a heading and a caption, both bilingual, on a coloured ground."""

    seconds: float
    heading_zh: str
    heading_en: str
    caption_zh: str
    caption_en: str
    colour: RGB

    def __post_init__(self) -> None:
        if self.seconds <= 0:
            raise ValueError("a scene must last more than 0 seconds")
        if len(self.colour) != 3 or not all(0 <= c <= 255 for c in self.colour):
            raise ValueError(f"colour must be three values 0..255, got {self.colour}")


@dataclass(frozen=True)
class DemoClip:
    """A short demo clip: a title card followed by its scenes."""

    slug: str
    title_zh: str
    title_en: str
    summary_zh: str
    summary_en: str
    tags: tuple[str, ...]
    scenes: tuple[Scene, ...]
    title_seconds: float = TITLE_SECONDS

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", self.slug):
            raise ValueError(f"slug must be lower-case words joined by '-', got {self.slug!r}")
        if not self.scenes:
            raise ValueError("a demo clip needs at least one scene")
        if self.title_seconds <= 0:
            raise ValueError("the title card must last more than 0 seconds")

    @property
    def duration(self) -> float:
        """Total length in seconds: the title card plus every scene."""
        return self.title_seconds + sum(scene.seconds for scene in self.scenes)

    def _scene_starts(self) -> list[float]:
        starts, t = [], self.title_seconds
        for scene in self.scenes:
            starts.append(t)
            t += scene.seconds
        return starts

    def cues(self) -> list[Cue]:
        """One caption cue per scene, back to back, starting when the title card ends."""
        return [
            Cue(start, start + scene.seconds, scene.caption_zh, scene.caption_en)
            for start, scene in zip(self._scene_starts(), self.scenes, strict=True)
        ]

    def chapters(self) -> list[tuple[float, str, str]]:
        """``(start_seconds, title_zh, title_en)``: the title card, then one per scene."""
        return [(0.0, self.title_zh, self.title_en)] + [
            (start, scene.heading_zh, scene.heading_en)
            for start, scene in zip(self._scene_starts(), self.scenes, strict=True)
        ]


DEMO_CLIPS: tuple[DemoClip, ...] = (
    DemoClip(
        slug="introducing-yourself",
        title_zh="入户自我介绍",
        title_en="Introducing yourself at the door",
        summary_zh="亮明身份、说明来意、承诺保密：开门后的第一分钟决定这次登记能否顺利。",
        summary_en=(
            "Show who you are, say why you came and promise confidentiality: the first minute "
            "at the door decides how the visit goes."
        ),
        tags=("introduction", "doorstep", "confidentiality"),
        scenes=(
            Scene(
                2.5, "出示普查员证", "Show your enumerator ID",
                "先问好，再出示普查员证，说明自己是负责本小区的普查员。",
                "Greet first, then show your enumerator ID and say you are the census "
                "enumerator for this area.",
                (28, 94, 140),
            ),
            Scene(
                2.5, "说明来意", "Say why you are here",
                "说明正在开展第七次全国人口普查，标准时点是2020年11月1日零时。",
                "Explain that the Seventh National Population Census is under way; its "
                "reference time is 00:00 on 1 November 2020.",
                (34, 110, 84),
            ),
            Scene(
                3.0, "承诺保密", "Promise confidentiality",
                "依照《统计法》，普查资料严格保密，只用于统计，不作为任何具体行政行为的依据。",
                "Under the Statistics Law the answers are confidential, used only for "
                "statistics and never as grounds for any action against the household.",
                (120, 60, 96),
            ),
        ),
    ),
    DemoClip(
        slug="door-stays-shut",
        title_zh="被拒之门外：何时离开、何时再访",
        title_en="The door that stays shut: when to leave, when to return",
        summary_zh="遇到拒访不争辩：礼貌离开，留下告知书，约好再访，必要时请网格员协助。",
        summary_en=(
            "Never argue at a closed door: leave politely, leave a notice, arrange a revisit "
            "and ask the grid worker for help when needed."
        ),
        tags=("refusal", "revisit", "doorstep"),
        scenes=(
            Scene(
                2.5, "保持礼貌", "Stay polite",
                "对方不开门或明确拒绝时，不争辩、不强求，礼貌道别后离开。",
                "If nobody opens or the household refuses, do not argue or insist: say "
                "goodbye politely and leave.",
                (140, 72, 40),
            ),
            Scene(
                2.5, "留下告知书", "Leave a notice",
                "把入户告知书留在门上，写明普查员姓名、联系电话和下次来访时间。",
                "Leave the census notice at the door with your name, phone number and when "
                "you will come back.",
                (40, 96, 128),
            ),
            Scene(
                3.0, "约定再访，请网格员协助", "Revisit, and ask the grid worker",
                "换个时间再来，如晚上或周末；仍无法登记时，请网格员或社区干部一起上门。",
                "Come back at another time, such as an evening or a weekend; if that fails "
                "too, visit together with the grid worker (网格员) or community staff.",
                (86, 70, 130),
            ),
        ),
    ),
    DemoClip(
        slug="members-living-away",
        title_zh="人户分离的询问",
        title_en="Asking about members living away",
        summary_zh="户口在本户的人不一定住在本户：逐人问清现住地和离开户口登记地的时间。",
        summary_en=(
            "People registered in a household do not always live there: ask, person by "
            "person, where they live now and how long they have been away."
        ),
        tags=("residence", "household-members"),
        scenes=(
            Scene(
                2.5, "逐人核对", "Go through the register",
                "按户口登记逐一询问：户口在本户的每个人，普查时点是否住在这里？",
                "Go through everyone registered (hukou) in this household: did each of them "
                "live here at the census moment?",
                (30, 100, 110),
            ),
            Scene(
                2.5, "户口在本户但人不在", "Registered here, living elsewhere",
                "户口在本户但人不在的，问清去了哪里、离开多久、为什么离开。",
                "For people registered here but living elsewhere, ask where they are, how "
                "long they have been away and why they left.",
                (110, 84, 36),
            ),
            Scene(
                3.0, "半年是界线", "Six months is the line",
                "离开户口登记地不满半年的，仍算本地常住人口；半年以上的，计入现住地。",
                "Away from the place of registration for less than six months: still a usual "
                "resident here. Six months or more: counted where they live now.",
                (60, 70, 120),
            ),
        ),
    ),
)


# --------------------------------------------------------------------------------------------
# Drawing cards with Pillow

# A run of non-CJK, non-space characters (an English word with its trailing spaces) is one
# token; every CJK character or full-width punctuation mark is a token of its own.
_TOKEN = re.compile(r"[^\s\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+\s*|\s+|.")
_NO_LINE_START = set("，。、；：！？）》」』”’,.;:!?)")


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` pixels (Chinese or English)."""
    lines: list[str] = []
    line = ""
    for token in _TOKEN.findall(text):
        candidate = line + token
        if not line or font.getlength(candidate.rstrip()) <= width or token in _NO_LINE_START:
            line = candidate
            continue
        lines.append(line.rstrip())
        line = token.lstrip()
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _wrap_balanced(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Like :func:`_wrap`, but narrows the measure while the line count allows, so that the
    last line is not a lone word or character."""
    lines = _wrap(text, font, width)
    if len(lines) < 2:
        return lines
    best = lines
    for step in range(1, 10):
        narrower = _wrap(text, font, round(width * (1 - 0.05 * step)))
        if len(narrower) > len(lines):
            break
        best = narrower
    return best


def _text_colour(background: RGB) -> tuple[RGB, RGB]:
    """A strong and a soft text colour readable on ``background``."""
    r, g, b = background
    if 0.2126 * r + 0.7152 * g + 0.0722 * b > 150:
        return (20, 20, 20), (60, 60, 60)
    return (255, 255, 255), (222, 228, 236)


class _Card:
    """A frame-sized Pillow canvas on which text is set in centred, wrapped blocks."""

    def __init__(self, size: tuple[int, int], colour: RGB) -> None:
        self.width, self.height = size
        self.image = Image.new("RGB", size, colour)
        self.draw = ImageDraw.Draw(self.image)
        self.strong, self.soft = _text_colour(colour)
        self.margin = round(self.width * 0.08)

    def px(self, fraction: float) -> int:
        """A length given as a fraction of the frame height, in pixels."""
        return max(1, round(self.height * fraction))

    def block_height(self, text: str, size: float, *, bold: bool = False) -> int:
        font = _font(self.px(size), bold=bold)
        lines = _wrap_balanced(text, font, self.width - 2 * self.margin)
        return round(len(lines) * font.size * 1.35)

    def text(self, y: int, text: str, size: float, *, bold: bool = False,
             soft: bool = False) -> int:
        """Draw ``text`` centred from ``y`` down; return the y below it."""
        font = _font(self.px(size), bold=bold)
        line_height = round(font.size * 1.35)
        for line in _wrap_balanced(text, font, self.width - 2 * self.margin):
            # Placed by the baseline: CJK fonts have a tall ascender that would otherwise
            # leave a gap above the glyphs and let descenders spill into the next block.
            self.draw.text((self.width / 2, y + round(font.size * 0.9)), line, font=font,
                           anchor="ms", fill=self.soft if soft else self.strong)
            y += line_height
        return y

    def rule(self, y: int) -> int:
        """A short horizontal rule at ``y``; return the y below it."""
        half = round(self.width * 0.06)
        thickness = self.px(0.004)
        self.draw.rectangle((self.width / 2 - half, y, self.width / 2 + half, y + thickness),
                            fill=self.soft)
        return y + thickness + self.px(0.04)

    def array(self) -> np.ndarray:
        return np.asarray(self.image, dtype=np.uint8)


def _title_card(size: tuple[int, int], title_zh: str, title_en: str,
                summary_zh: str = "", summary_en: str = "") -> np.ndarray:
    """A title card: the programme banner, the bilingual title and an optional summary."""
    card = _Card(size, TITLE_BACKGROUND)
    card.text(card.px(0.06), f"{BANNER_ZH}  |  {BANNER_EN}", 0.032, soft=True)
    body = [(title_zh, 0.095, True, False), (title_en, 0.055, False, False)]
    if summary_zh or summary_en:
        body += [(summary_zh, 0.042, False, True), (summary_en, 0.036, False, True)]
    gap = card.px(0.04)
    total = sum(card.block_height(t, s, bold=b) for t, s, b, _ in body) + gap * (len(body) - 1)
    y = max(card.px(0.16), (card.height - total) // 2)
    for index, (text, size_, bold, soft) in enumerate(body):
        y = card.text(y, text, size_, bold=bold, soft=soft)
        if index == 1 and len(body) > 2:
            y = card.rule(y + gap // 2)
        else:
            y += gap
    return card.array()


def _scene_card(size: tuple[int, int], clip: DemoClip, number: int) -> np.ndarray:
    """The card of scene ``number`` (0-based): heading at the top, zh caption above en.

    The bottom sixth of the card stays empty so that captions burned in later (the offline
    version, :func:`burn_captions`) never cover the card's own text.
    """
    scene = clip.scenes[number]
    card = _Card(size, scene.colour)
    card.text(card.px(0.04), f"{clip.title_zh} · {clip.title_en}   {number + 1}/"
              f"{len(clip.scenes)}", 0.03, soft=True)
    y = card.text(card.px(0.14), scene.heading_zh, 0.085, bold=True)
    y = card.text(y, scene.heading_en, 0.05, soft=True)
    y = card.rule(y + card.px(0.02))
    y = card.text(y, scene.caption_zh, 0.056)
    card.text(y + card.px(0.025), scene.caption_en, 0.044, soft=True)
    return card.array()


def _caption_band(width: int, height: int, text: str) -> np.ndarray:
    """An RGBA strip ``height`` pixels high: white text on a translucent dark box."""
    font = _font(max(8, round(height * 0.3)))
    margin = round(width * 0.05)
    lines = _wrap_balanced(text, font, width - 2 * margin)[:2]
    line_height = round(font.size * 1.3)
    box_w = min(width, round(max(font.getlength(line) for line in lines)) + 2 * font.size)
    box_h = min(height, line_height * len(lines) + round(font.size * 0.45))
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    top = (height - box_h) // 2
    draw.rounded_rectangle(((width - box_w) // 2, top, (width + box_w) // 2, top + box_h),
                           radius=max(2, font.size // 3), fill=(0, 0, 0, 190))
    baseline = top + round(font.size * 1.18)
    for line in lines:
        draw.text((width / 2, baseline), line, font=font, anchor="ms", fill=(255, 255, 255, 255))
        baseline += line_height
    return np.asarray(image, dtype=np.uint8)


# --------------------------------------------------------------------------------------------
# Sound


def _tone(seconds: float, *, hz: float = TONE_HZ, volume: float = TONE_VOLUME,
          fade: float = TONE_FADE_SECONDS) -> np.ndarray:
    """A soft stereo sine of ``seconds`` with short linear fades at both ends.

    Returns a float array of shape (samples, 2) in -1..1 at :data:`AUDIO_FPS`.
    """
    samples = round(seconds * AUDIO_FPS)
    t = np.arange(samples) / AUDIO_FPS
    wave = volume * np.sin(2 * np.pi * hz * t)
    ramp = min(round(fade * AUDIO_FPS), samples // 2)
    if ramp:
        envelope = np.linspace(0.0, 1.0, ramp)
        wave[:ramp] *= envelope
        wave[samples - ramp:] *= envelope[::-1]
    return np.column_stack([wave, wave])


def _silence(seconds: float) -> np.ndarray:
    return np.zeros((round(seconds * AUDIO_FPS), 2))


# --------------------------------------------------------------------------------------------
# Writing


@contextlib.contextmanager
def _atomic_output(out: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``out``; rename it onto ``out`` only on success.

    The temporary name is hidden (leading dot) and keeps the suffix, from which ffmpeg picks
    the container. On any exception the temporary file is removed and ``out`` is untouched.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.stem}.{uuid.uuid4().hex[:12]}.part{out.suffix}")
    try:
        yield partial
        if not partial.is_file() or partial.stat().st_size == 0:
            raise RenderError(f"ffmpeg wrote no output for {out}")
        with partial.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def _write(clip: Any, out: Path, *, fps: float) -> Path:
    """Encode ``clip`` as H.264 (yuv420p) + AAC MP4 with +faststart, atomically, silently."""
    out = Path(out)
    gop = max(1, round(fps * 2))
    with _atomic_output(out) as partial, tempfile.TemporaryDirectory(prefix="render-") as tmp:
        clip.write_videofile(
            str(partial),
            fps=fps,
            # "h264" names ffmpeg's default H.264 encoder (libx264). Spelling it "libx264"
            # would make moviepy 2.2 append "-pix_fmt yuva420p", which x264 cannot encode.
            codec="h264",
            audio_codec="aac",
            audio_fps=AUDIO_FPS,
            audio_bitrate="128k",
            temp_audiofile=str(Path(tmp) / "audio.m4a"),
            preset=_PRESET,
            ffmpeg_params=["-pix_fmt", "yuv420p", "-g", str(gop), "-movflags", "+faststart"],
            logger=None,
        )
    return out


def _close(*clips: Any) -> None:
    """Close clips, releasing the ffmpeg processes of file clips.

    moviepy 2.2's readers close their pipes only when the ffmpeg process is still running;
    once ffmpeg has reached the end of the file and exited, its stdout and stderr pipes would
    stay open until garbage collection (a ResourceWarning). They are closed here first.
    """
    for clip in clips:
        audio = getattr(clip, "audio", None)
        for reader in (getattr(clip, "reader", None), getattr(audio, "reader", None)):
            process = getattr(reader, "proc", None)
            if process is not None and process.poll() is not None:
                for pipe in (process.stdout, process.stderr):
                    if pipe is not None:
                        pipe.close()
        with contextlib.suppress(Exception):
            clip.close()


# --------------------------------------------------------------------------------------------
# Public renderers


def render_demo_clip(clip: DemoClip, out: Path, *, size: tuple[int, int] = (1280, 720),
                     fps: int = 25) -> Path:
    """Render ``clip`` to an MP4 at ``out`` and return ``out``.

    The video is the title card followed by one coloured card per scene (heading, Chinese
    caption above the English one); the sound is a soft sine (660 Hz under the title card,
    440 Hz under the scenes) that fades in and out on every card, so that the file has an AAC
    track like a real recording. The duration is
    exactly ``clip.duration`` seconds (to the frame).
    """
    width, height = size
    if width % 2 or height % 2:
        raise ValueError(f"width and height must be even for yuv420p, got {size}")
    cards = [ImageClip(_title_card(size, clip.title_zh, clip.title_en,
                                   clip.summary_zh, clip.summary_en),
                       duration=clip.title_seconds)]
    cards += [ImageClip(_scene_card(size, clip, number), duration=scene.seconds)
              for number, scene in enumerate(clip.scenes)]
    sound = np.concatenate([_tone(clip.title_seconds, hz=TONE_HZ * 1.5)]
                           + [_tone(scene.seconds) for scene in clip.scenes])
    video = concatenate_videoclips(cards, method="chain")
    video = video.with_audio(AudioArrayClip(sound, fps=AUDIO_FPS))
    try:
        return _write(video, out, fps=fps)
    finally:
        _close(video, *cards)


def render_demo_clips(folder: Path, *, size: tuple[int, int] = (1280, 720), fps: int = 25,
                      overwrite: bool = False) -> list[Path]:
    """Render every clip of :data:`DEMO_CLIPS` to ``folder/<slug>.mp4``; return the paths.

    Clips already rendered are kept unless ``overwrite`` is true, so repeated calls are cheap.
    """
    paths = []
    for clip in DEMO_CLIPS:
        path = Path(folder) / f"{clip.slug}.mp4"
        if overwrite or not path.is_file():
            render_demo_clip(clip, path, size=size, fps=fps)
        paths.append(path)
    return paths


def burn_captions(src: Path, cues: Sequence[Cue], out: Path, *, language: str = "zh") -> Path:
    """Write ``src`` to ``out`` with the ``language`` captions of ``cues`` burned in.

    This is the offline version of a clip: each cue is drawn at the bottom of the frame (white
    text on a translucent dark box, at most two lines) while it is current. The rest of the
    picture and the sound are kept; the frame rate and size are those of ``src``.
    """
    if language not in ("zh", "en"):
        raise ValueError(f"language must be 'zh' or 'en', not {language!r}")
    source = VideoFileClip(str(src))
    overlays: list[Any] = []
    composite = None
    try:
        width, height = source.size
        band = max(16, round(height * 0.15))
        lift = round(height * 0.025)  # keep the box clear of the frame's lower edge
        for cue in cues:
            end = min(cue.end, source.duration)
            if cue.start >= end:
                continue  # the cue lies beyond the end of the video
            overlays.append(
                ImageClip(_caption_band(width, band, cue.text(language)), transparent=True)
                .with_start(cue.start)
                .with_duration(end - cue.start)
                .with_position((0, height - band - lift))
            )
        if not overlays:  # nothing to burn in: a plain re-encode
            return _write(source, out, fps=source.fps)
        # The source is the background as it is (no blit onto a black canvas: twice as fast);
        # moviepy then takes length and sound from the overlays only, so both are set here.
        composite = (
            CompositeVideoClip([source, *overlays], size=(width, height), use_bgclip=True)
            .with_duration(source.duration)
            .with_audio(source.audio)
        )
        return _write(composite, out, fps=source.fps)
    finally:
        _close(*(c for c in (composite, *overlays) if c is not None), source)


def _whole_frames(source: Any) -> Any:
    """The clip cut to its last whole video frame: a container whose audio runs a little
    longer than its pictures (AAC padding) would otherwise ask for frames that do not exist."""
    frames = getattr(source.reader, "n_frames", 0)
    if frames and source.fps and frames / source.fps < source.duration:
        return source.with_duration(frames / source.fps)
    return source


def join_segments(paths: Sequence[Path], out: Path, *,
                  title: tuple[str, str] | None = None) -> Path:
    """Join the video files ``paths``, in order, into one MP4 at ``out``.

    ``title`` is an optional ``(zh, en)`` pair shown on a title card of
    :data:`TITLE_SECONDS` before the first segment. The output takes the size and frame rate
    of the first segment; a segment of another size is scaled to fit and centred on black.
    Segments without sound are silent in the output.
    """
    if not paths:
        raise ValueError("join_segments needs at least one segment")
    sources = [_whole_frames(VideoFileClip(str(path))) for path in paths]
    parts: list[Any] = []
    video = None
    try:
        size = tuple(sources[0].size)
        fps = sources[0].fps
        if title is not None:
            card = ImageClip(_title_card(size, *title), duration=TITLE_SECONDS)
            parts.append(card.with_audio(AudioArrayClip(_tone(TITLE_SECONDS, hz=TONE_HZ * 1.5),
                                                        fps=AUDIO_FPS)))
        for source in sources:
            if tuple(source.size) == size:
                parts.append(source)
                continue
            scale = min(size[0] / source.w, size[1] / source.h)
            fitted = source.resized(scale).with_position("center")
            background = ColorClip(size, color=(0, 0, 0), duration=source.duration)
            parts.append(CompositeVideoClip([background, fitted], size=size)
                         .with_duration(source.duration))
        if all(part.audio is None for part in parts):
            total = sum(part.duration for part in parts)
            video = concatenate_videoclips(parts, method="chain")
            video = video.with_audio(AudioArrayClip(_silence(total), fps=AUDIO_FPS))
        else:
            video = concatenate_videoclips(parts, method="chain")
        return _write(video, out, fps=fps)
    finally:
        _close(*(c for c in (video, *parts) if c is not None), *sources)
