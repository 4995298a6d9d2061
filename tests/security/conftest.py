"""An estate of two cohorts with one of every object, and a whole-database snapshot.

Cohort A (trainer `trainer_a`, examiner `examiner_a`) holds the victim trainee and a second
trainee; cohort B (trainer `trainer_b`, examiner `examiner_b`) holds a third trainee. The
objects of A are what the others try to reach by changing an id; the security tests compare
a snapshot of every table before and after each attempt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.features.test_routes import (
    LIBRARY,
    assign_baseline,
    demo_world,
    issued_certificate,
    shared_clip,
    submitted_exam,
)
from trainer.accounts import services as account_services
from trainer.accounts.models import Role, User
from trainer.api import services as api_services
from trainer.core.scenario import loader
from trainer.fieldwork import services as fieldwork_services
from trainer.maps import services as map_services
from trainer.models import Base
from trainer.scenarios import services as scenario_services
from trainer.scenarios.models import ScenarioDraft, ScenarioEditor
from trainer.video import services as video_services

EMPTY_MAP = {"type": "FeatureCollection", "features": []}
VICTIM_MAP = {"type": "FeatureCollection", "properties": {"title": "victim's map"},
              "features": [{"type": "Feature", "properties": {"kind": "landmark",
                                                              "label": "well"},
                            "geometry": {"type": "Point", "coordinates": [10.0, 20.0]}}]}


# A clip lesson's question (two choices, the second right), as a trainer writes one.
LESSON_QUESTION = {"at": 1.0, "zh": "普查员首先应该做什么？", "en": "What comes first?",
                   "choices_zh": ["直接进门", "出示证件"], "choices_en": ["Walk in", "Show the ID"],
                   "answer": 1}

@dataclass
class Estate:
    """Everyone and everything the security tests reach for, by name."""

    users: dict[str, User]
    ids: dict[str, Any]  # the values the URL templates are formatted with

    def url(self, template: str) -> str:
        return template.format(**self.ids)


def ask_on_clip(db: Session, estate: Estate) -> None:
    """Give the estate's clip (cohort A's, published) the lesson question, flushed."""
    from trainer.video.models import Clip

    db.get_one(Clip, estate.ids["clip"]).questions = [dict(LESSON_QUESTION)]
    db.flush()

@cache
def baseline_scenario() -> Any:
    """The library's baseline scenario, parsed once per run (it is never changed)."""
    return loader.load(LIBRARY / "cooperative-family.yaml")


def snapshot(db: Session, tables: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Every row of every table (or of those named), as text, in a stable order: what
    "nothing changed" means."""
    db.expire_all()
    out: dict[str, list[str]] = {}
    for table in Base.metadata.sorted_tables:
        if tables and table.name not in tables:
            continue
        rows = db.execute(select(table)).all()
        out[table.name] = sorted(repr(tuple(row)) for row in rows)
    return out


def changed_tables(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    """The names of the tables whose rows differ."""
    return [name for name in before if before[name] != after.get(name)]


class _ActiveContent(HTMLParser):
    """Collects what would run in a browser: scripts without src (a JSON data island is
    inert), event-handler attributes, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "script" and not named.get("src") and named.get("type") != "application/json":
            self.found.append(f"<script> without src: {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action", "formaction", "xlink:href") and (
                    value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")


def active_content(markup: str) -> list[str]:
    """What in an HTML page or SVG image would run script (empty: nothing)."""
    parser = _ActiveContent()
    parser.feed(markup)
    parser.close()
    return parser.found


@pytest.fixture
def estate(db: Session, make_user: Callable[..., User], client: FlaskClient) -> Estate:
    """Two cohorts, each with its people, and one of every object in cohort A."""
    media_root = Path(client.application.config["MEDIA_ROOT"])
    users = {name: make_user(role, username=name.replace("_", "-")) for name, role in (
        ("admin", Role.ADMIN), ("trainer_a", Role.TRAINER), ("trainer_b", Role.TRAINER),
        ("examiner_a", Role.EXAMINER), ("examiner_b", Role.EXAMINER),
        ("victim", Role.TRAINEE), ("classmate", Role.TRAINEE), ("outsider", Role.TRAINEE))}
    cohort_a = account_services.create_cohort(
        db, actor=users["admin"], name="Cohort A", trainer=users["trainer_a"],
        examiners=[users["examiner_a"]])
    cohort_a.trainees = [users["victim"], users["classmate"]]
    cohort_b = account_services.create_cohort(
        db, actor=users["admin"], name="Cohort B", trainer=users["trainer_b"],
        examiners=[users["examiner_b"]])
    cohort_b.trainees = [users["outsider"]]

    version = scenario_services.publish(db, baseline_scenario(), actor=None)
    play_b = scenario_services.start_play(db, users["trainer_b"], version)  # trainer B's own
    assignment_a = assign_baseline(db, users["trainer_a"], cohort_a, version)
    assignment_b = assign_baseline(db, users["trainer_b"], cohort_b, version)
    attempt = fieldwork_services.start_attempt(db, users["victim"], assignment_a)
    attempt.tally = {"present": 3}
    attempt.register = {"wang": {"head": "王秀英"}}
    db.flush()
    fieldwork_services.start_attempt(db, users["classmate"], assignment_a)
    attempt_b = fieldwork_services.start_attempt(db, users["outsider"], assignment_b)
    reviewed = submitted_exam(db, users["trainer_a"], cohort_a, version, users["victim"])

    clip = shared_clip(db, cohort_a, media_root)
    upload_b = video_services.create_upload(
        db, users["trainer_b"], length=10, filename="visit.mp4", title="", max_bytes=100,
        media_root=media_root)

    world = demo_world(db)
    task_a = map_services.set_task(db, actor=users["trainer_a"], cohort=cohort_a, world=world,
                                   grid=0, area=0)
    task_b = map_services.set_task(db, actor=users["trainer_b"], cohort=cohort_b, world=world,
                                   grid=0, area=0)
    map_services.save_drawing(db, users["victim"], task_a, VICTIM_MAP)
    drawing_a = map_services.submit(db, users["victim"], task_a)
    map_services.save_drawing(db, users["outsider"], task_b, EMPTY_MAP)
    drawing_b = map_services.drawing_of(db, users["outsider"], task_b)

    certificate = issued_certificate(db, cohort_a, users["victim"])
    db.add_all([ScenarioDraft(scenario_id="trainer-b-own", source="id: trainer-b-own\n",
                              revision=1, updated_by=users["trainer_b"]),
                ScenarioEditor(scenario_id="trainer-b-own", user=users["trainer_b"],
                               owner=True)])
    token_a, raw_a = api_services.create_token(db, owner=users["examiner_a"],
                                              name="examiner A's token",
                                              cohort_ids=[cohort_a.id])
    _token_b, raw_b = api_services.create_token(db, owner=users["examiner_b"],
                                                name="examiner B's token",
                                                cohort_ids=[cohort_b.id])
    db.flush()
    ids = {
        "cohort_a": cohort_a.id, "cohort_b": cohort_b.id,
        "assignment_a": assignment_a.id, "assignment_b": assignment_b.id,
        "attempt": attempt.id, "attempt_b": attempt_b.id, "reviewed": reviewed.id,
        "clip": clip.id, "upload_b": upload_b.token, "play_b": play_b.id,
        "task_a": task_a.id, "task_b": task_b.id, "drawing_a": drawing_a.id,
        "drawing_b": drawing_b.id if drawing_b else 0, "certificate": certificate.id,
        "code": certificate.code, "draft_b": "trainer-b-own", "token_a": token_a.id,
        "raw_token_a": raw_a, "raw_token_b": raw_b, "version": version.version, "world": world.id,
        "victim": users["victim"].id, "classmate": users["classmate"].id,
        "outsider": users["outsider"].id,
        "trainer_b_id": users["trainer_b"].id, "examiner_a_id": users["examiner_a"].id,
    }
    return Estate(users, ids)
