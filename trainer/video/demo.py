"""Demo clips for `make run`: rendered with moviepy, processed like an upload, captioned,
chaptered, shared with the demo cohort and attached to the rubric criteria they teach.

Processing runs inline here (the seeder's session, no queue), so the clips are ready when
the server starts.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from trainer.accounts.demo import DEMO_COHORT
from trainer.accounts.models import Cohort
from trainer.accounts.services import user_by_username
from trainer.scenarios.models import ScenarioVersion
from trainer.video import media, render, services
from trainer.video.models import Clip
from trainer.video.storage import storage_from_config

# slug -> the (scenario, criterion) pairs whose debrief shows the clip
LINKS = {
    "introducing-yourself": (("cooperative-family", "credentials_first"),
                             ("suspicious-credentials", "credentials_first")),
    "door-stays-shut": (("nobody-home-revisit", "outcome"),),
    "members-living-away": (("cooperative-family", "disclosure"),
                            ("cooperative-family", "form_accuracy")),
}
QUESTIONS = {
    "introducing-yourself": {
        "at": 4.0, "zh": "开门后，普查员首先应该做什么？",
        "en": "The door opens: what does the enumerator do first?",
        "choices_zh": ["出示普查员证并说明来意", "直接询问家里有几口人", "请住户拍下身份证"],
        "choices_en": ["Show the enumerator card and say why you came",
                       "Ask straight away how many people live here",
                       "Ask for a photo of the ID card"],
        "answer": 0},
    "members-living-away": {
        "at": 6.0, "zh": "儿子户口在本户，在外地工作一年，应登记在哪里？",
        "en": "The son's hukou is here but he has worked elsewhere for a year. Where is he "
              "counted?",
        "choices_zh": ["H2b 户口在本户、外出半年以上", "不用登记", "登记为本户现住人口"],
        "choices_en": ["H2b: registered here, away six months or more", "Not at all",
                       "As a person living here"],
        "answer": 0},
}


def seed(db: Session) -> str:
    """Render, process and publish the demo clips that are not there yet (the same report
    either way, so that a second run prints what the first did)."""
    media_root = Path(current_app.config["MEDIA_ROOT"])
    media_root.mkdir(parents=True, exist_ok=True)
    storage = storage_from_config(current_app.config)
    cohort = db.scalar(select(Cohort).where(Cohort.name == DEMO_COHORT))
    trainer = user_by_username(db, "trainer")
    for demo in render.DEMO_CLIPS:
        if db.scalar(select(Clip.id).where(Clip.slug == demo.slug)) is not None:
            continue
        with tempfile.TemporaryDirectory(dir=media_root) as scratch:
            try:
                source = render.render_demo_clip(demo, Path(scratch) / f"{demo.slug}.mp4")
            except render.RenderError as error:  # no CJK font: the rest of the demo still works
                return f"clips: not rendered ({error})"
            info = media.probe(source)
            clip = Clip(slug=demo.slug, title_zh=demo.title_zh, title_en=demo.title_en,
                        summary_zh=demo.summary_zh, summary_en=demo.summary_en,
                        tags=list(demo.tags), filename=source.name, duration=info.duration,
                        width=info.width, height=info.height, has_audio=info.has_audio,
                        created_by=trainer)
            db.add(clip)
            db.flush()
            clip.original_key = f"clips/{clip.id}/original.mp4"
            clip.original_bytes = storage.put(clip.original_key, source)
        _process(db, clip, storage, media_root)
        _describe(db, clip, demo, cohort)
    return f"clips: {', '.join(demo.slug for demo in render.DEMO_CLIPS)} under /clips"


def _process(db: Session, clip: Clip, storage: services.Storage, media_root: Path) -> None:
    run = services.begin_run(db, clip.id)
    assert run is not None
    products = services.render_run(run, storage=storage, media_root=media_root)
    services.finish_run(db, run, storage=storage, products=products, error=None)


def _describe(db: Session, clip: Clip, demo: render.DemoClip, cohort: Cohort | None) -> None:
    for locale, language in (("zh_CN", "zh"), ("en", "en")):
        services.set_captions(db, clip, locale, services.to_vtt(
            services.Cue(cue.start, cue.end, cue.text(language)) for cue in demo.cues()))
    clip.chapters = [{"start": start, "zh": zh, "en": en}
                     for start, zh, en in demo.chapters()]
    if demo.slug in QUESTIONS:
        services.set_questions(db, clip, [QUESTIONS[demo.slug]])
    clip.published = True
    clip.cohorts = [cohort] if cohort is not None else []
    published = set(db.scalars(select(ScenarioVersion.scenario_id)))
    for scenario_id, criterion in LINKS.get(demo.slug, ()):
        if scenario_id in published:
            services.link_clip(db, clip, scenario_id=scenario_id, criterion=criterion)
    db.flush()
