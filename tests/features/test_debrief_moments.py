"""The debrief links a finding of a failed criterion to the second of the rubric's clip that
shows it (issue 7), and the player opens there."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from trainer.accounts.models import Role
from trainer.config import project_root
from trainer.core.scenario import loader
from trainer.scenarios import services as scenarios
from trainer.video import services
from trainer.video.models import Clip, ClipStatus

SCENARIO = project_root() / "scenarios" / "suspicious-credentials.yaml"
# A question before the card (the mistake), then the visit done by the book.
STEPS = ("ask_item:D3", "show_id", "answer_concern:distrust", "answer_concern:privacy",
         "ask_item:roster", "probe:members_away", "read_back")


def lesson(db: Session) -> Clip:
    clip = Clip(slug="introducing-yourself", title_zh="入户自我介绍",
                title_en="Introducing yourself at the door", filename="intro.mp4",
                status=ClipStatus.READY, published=True, duration=9.5, width=640, height=360,
                renditions={"360p": {"key": "clips/1/r1/360p.mp4", "bytes": 1,
                                     "width": 640, "height": 360}})
    db.add(clip)
    db.flush()
    return clip


def finished_play(db: Session, user: Any) -> Any:
    version: Any = scenarios.publish(db, loader.load(SCENARIO), actor=None)
    play = scenarios.start_play(db, user, version)
    scenarios.play_step(db, play, "he", "knock", datetime(2020, 11, 9, 19, 0))
    for action in STEPS:
        scenarios.play_step(db, play, "he", action, None)
    return play


def test_a_failed_criterion_links_its_finding_to_the_clip_second(
        client: FlaskClient, login_as: Any, db: Session) -> None:
    user = login_as(Role.TRAINER)
    clip = lesson(db)
    play = finished_play(db, user)
    page = client.get(f"/scenarios/plays/{play.id}").get_data(as_text=True)
    row = re.search(r'<tr data-test="debrief-credentials_first">.*?</tr>', page, re.S)
    assert row is not None
    links = re.findall(r'<a href="([^"]+)" data-test="finding-moment">([^<]+)</a>', row.group(0))
    assert links == [(f"/clips/{clip.id}?t=2.0", "▶ 0:02 Show the card before any question")]
    # the criteria met by the book link no moment, and each failed one its own second
    met = re.search(r'<tr data-test="debrief-tailoring">.*?</tr>', page, re.S)
    assert met is not None and "finding-moment" not in met.group(0)
    assert f"/clips/{clip.id}?t=7.0" in page and f"/clips/{clip.id}?t=4.5" in page
    player = client.get(f"/clips/{clip.id}?t=2.0").get_data(as_text=True)
    assert 'data-start="2.0"' in player and 'data-resume="2.0"' in player


def test_no_moment_links_to_a_clip_the_viewer_may_not_watch(
        client: FlaskClient, login_as: Any, db: Session) -> None:
    user = login_as(Role.TRAINER)
    clip = lesson(db)
    clip.status = ClipStatus.FAILED  # not ready: the debrief offers nothing of it
    play = finished_play(db, user)
    page = client.get(f"/scenarios/plays/{play.id}").get_data(as_text=True)
    assert 'data-test="debrief"' in page and "finding-moment" not in page
    rubric = loader.load(SCENARIO).rubric
    graded = {"criteria": {"credentials_first": {"score": 0, "findings": [{"event": 2}]}}}
    assert services.moment_links(rubric, graded, {}, []) == {}


def test_the_player_start_is_checked(client: FlaskClient, login_as: Any, db: Session) -> None:
    login_as(Role.TRAINER)
    clip = lesson(db)
    assert 'data-start="9.5"' in client.get(f"/clips/{clip.id}?t=600").get_data(as_text=True)
    assert 'data-start="0.0"' in client.get(f"/clips/{clip.id}?t=-3").get_data(as_text=True)
    for bad in ("abc", "nan", "inf", ""):
        response = client.get(f"/clips/{clip.id}?t={bad}")
        assert response.status_code == 400, bad
        assert "number of seconds" in response.get_data(as_text=True)
    plain = client.get(f"/clips/{clip.id}").get_data(as_text=True)
    assert "data-start" not in plain


def test_a_trainee_gets_moments_only_of_clips_shared_with_them(
        db: Session, make_user: Any, login_as: Any) -> None:
    trainer = login_as(Role.TRAINER)
    clip = lesson(db)
    play = finished_play(db, trainer)
    scenario = scenarios.scenario_of(play.version)
    events = scenarios.replay_play(play).events
    graded = {"criteria": {"credentials_first": {"score": 0.0, "applicable": True,
                                                 "findings": [{"event": 2}]}}}
    trainee = make_user(Role.TRAINEE)
    hidden = services.debrief_clips(db, trainee, scenario.id, scenario.rubric, graded)
    assert hidden == {}  # not shared with any cohort of theirs
    seen = services.debrief_clips(db, trainer, scenario.id, scenario.rubric, graded)
    assert seen == {"credentials_first": [clip]}
    links = services.moment_links(scenario.rubric, graded, seen, events)
    assert [(c.id, m.at) for c, m in links[("credentials_first", 0)]] == [(clip.id, 2.0)]
    assert services.moment_links(scenario.rubric, graded, hidden, events) == {}
