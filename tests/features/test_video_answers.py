"""Lesson questions are marked on the server: a learner's clip page holds no answer key, and
POST /clips/<id>/answers records a choice and says whether it was right."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.features.test_video import share
from trainer.accounts.models import Role, User
from trainer.video import services
from trainer.video.models import Clip, ClipStatus, WatchProgress

QUESTIONS = [
    {"at": 1.0, "zh": "普查员首先应该做什么？", "en": "What should the enumerator do first?",
     "choices_zh": ["直接进门", "出示证件", "离开"],
     "choices_en": ["Walk in", "Show the ID", "Leave"], "answer": 1},
    {"at": 3.0, "zh": "户主不在家怎么办？", "en": "The head is out: what now?",
     "choices_zh": ["约定再访", "放弃"], "choices_en": ["Agree a return visit", "Give up"],
     "answer": 0},
]
JSON = {"Accept": "application/json"}


@pytest.fixture
def lesson(db: Session, make_user: Any) -> tuple[Clip, User, User]:
    """A ready, published clip with two questions, shared with a trainee by their trainer."""
    trainer, trainee = make_user(Role.TRAINER), make_user(Role.TRAINEE)
    clip = Clip(slug="lesson", title_zh="入户", title_en="At the door", filename="door.mp4",
                status=ClipStatus.READY, duration=5.0, width=640, height=360, published=True,
                renditions={"360p": {"key": "clips/lesson/360p.mp4", "width": 640,
                                     "height": 360, "bytes": 4}},
                questions=[dict(question) for question in QUESTIONS])
    db.add(clip)
    db.flush()
    share(db, clip, trainee, trainer)
    return clip, trainer, trainee


def player_questions(page: str) -> list[dict[str, Any]]:
    found = re.search(r'data-questions="([^"]*)"', page)
    assert found is not None, "the player carries the questions"
    return list(json.loads(html.unescape(found.group(1))))


def answer(client: FlaskClient, csrf: Any, clip: Clip, body: Any, **kwargs: Any) -> Any:
    return client.post(f"/clips/{clip.id}/answers", json=body,
                       headers={"X-CSRFToken": csrf(), **JSON}, **kwargs)


def test_a_trainees_page_holds_no_answer_key(client: FlaskClient, login_as: Any,
                                             lesson: tuple[Clip, User, User]) -> None:
    clip, trainer, trainee = lesson
    login_as(user=trainee)
    page = client.get(f"/clips/{clip.id}").get_data(as_text=True)
    questions = player_questions(page)
    assert [question["choices_zh"] for question in questions] == [
        question["choices_zh"] for question in QUESTIONS]  # the questions are still asked
    assert all("answer" not in question for question in questions)
    assert "&#34;answer&#34;" not in page and '"answer"' not in html.unescape(page)
    login_as(user=trainer)  # the clip's manager still gets the editor's data, key included
    managed = player_questions(client.get(f"/clips/{clip.id}").get_data(as_text=True))
    assert managed == QUESTIONS


def test_an_answered_question_stays_without_its_key_on_the_page(
        client: FlaskClient, login_as: Any, csrf: Any,
        lesson: tuple[Clip, User, User]) -> None:
    clip, _trainer, trainee = lesson
    login_as(user=trainee)
    assert answer(client, csrf, clip, {"question": 0, "choice": 2}).status_code == 200
    page = client.get(f"/clips/{clip.id}").get_data(as_text=True)
    assert all("answer" not in question for question in player_questions(page))
    assert re.search(r'data-answers="[^"]*&#34;0&#34;: 2', page)  # not asked again


def test_the_server_records_and_marks_a_choice(client: FlaskClient, login_as: Any, csrf: Any,
                                               db: Session,
                                               lesson: tuple[Clip, User, User]) -> None:
    clip, trainer, trainee = lesson
    login_as(user=trainee)
    wrong = answer(client, csrf, clip, {"question": 0, "choice": 2})
    assert wrong.status_code == 200
    assert wrong.get_json() == {"right": False, "answer": 1, "choice": 2}
    right = answer(client, csrf, clip, {"question": 1, "choice": 0})
    assert right.get_json() == {"right": True, "answer": 0, "choice": 0}
    # The first answer counts: knowing the key now, answering again changes nothing.
    again = answer(client, csrf, clip, {"question": 0, "choice": 1})
    assert again.status_code == 200 and again.get_json() == {"right": False, "answer": 1,
                                                             "choice": 2}
    # A progress report (an old player's `answers` included) does not touch the answers.
    report = client.post(f"/clips/{clip.id}/progress", headers={"X-CSRFToken": csrf(), **JSON},
                         json={"segments": [[0, 1]], "position": 1, "answers": {"0": 1}})
    assert report.status_code == 200
    progress = db.scalar(select(WatchProgress).where(WatchProgress.user_id == trainee.id))
    assert progress is not None and progress.answers == {"0": 2, "1": 0}
    assert services.right_answers(clip, progress) == 1
    login_as(user=trainer)
    watchers = client.get(f"/clips/{clip.id}").get_data(as_text=True)
    assert trainee.username in watchers and "1 / 2" in watchers


@pytest.mark.parametrize(("body", "kwargs"), [
    ({"question": 2, "choice": 0}, {}),  # no third question
    ({"question": -1, "choice": 0}, {}),
    ({"question": "0", "choice": 0}, {}),
    ({"question": True, "choice": 0}, {}),
    ({"question": 0.0, "choice": 0}, {}),
    ({"question": 1, "choice": 2}, {}),  # the second question has two choices
    ({"question": 0, "choice": -1}, {}),
    ({"question": 0, "choice": 10 ** 400}, {}),
    ({"question": 0, "choice": None}, {}),
    ({"question": 0}, {}),
    ([0, 1], {}),
    (None, {"data": "question=0&choice=1",
            "content_type": "application/x-www-form-urlencoded"}),  # not JSON
    (None, {"data": "{\"question\": 0, \"choice\": ", "content_type": "application/json"}),
    (None, {"data": "[" * 10_000, "content_type": "application/json"}),  # too long
])
def test_a_bad_answer_is_refused_with_a_json_error(body: Any, kwargs: dict[str, Any],
                                                   client: FlaskClient, login_as: Any,
                                                   csrf: Any, db: Session,
                                                   lesson: tuple[Clip, User, User]) -> None:
    clip, _trainer, trainee = lesson
    login_as(user=trainee)
    if body is None:
        response = client.post(f"/clips/{clip.id}/answers",
                               headers={"X-CSRFToken": csrf(), **JSON}, **kwargs)
    else:
        response = answer(client, csrf, clip, body)
    assert 400 <= response.status_code < 500
    error = response.get_json()
    assert error is not None and error["status"] == response.status_code and error["message"]
    progress = db.scalar(select(WatchProgress).where(WatchProgress.user_id == trainee.id))
    assert progress is None or progress.answers == {}


def test_a_clip_the_user_may_not_see_is_not_found(client: FlaskClient, login_as: Any,
                                                  csrf: Any, db: Session, make_user: Any,
                                                  lesson: tuple[Clip, User, User]) -> None:
    clip, _trainer, _trainee = lesson
    login_as(user=make_user(Role.TRAINEE))  # in no cohort the clip is shared with
    refused = answer(client, csrf, clip, {"question": 0, "choice": 1})
    assert refused.status_code == 404 and refused.get_json()["status"] == 404
    assert answer(client, csrf, clip, {"question": 0, "choice": 1}).get_json().get(
        "answer") is None
    missing = client.post("/clips/999999/answers", json={"question": 0, "choice": 1},
                          headers={"X-CSRFToken": csrf(), **JSON})
    assert missing.status_code == 404
    assert db.scalar(select(WatchProgress)) is None


def test_another_trainees_answer_does_not_change_this_ones(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session, make_user: Any,
        lesson: tuple[Clip, User, User]) -> None:
    clip, _trainer, trainee = lesson
    other = make_user(Role.TRAINEE)
    clip.cohorts[0].trainees.append(other)
    db.flush()
    login_as(user=trainee)
    assert answer(client, csrf, clip, {"question": 0, "choice": 0}).get_json()["right"] is False
    login_as(user=other)
    assert answer(client, csrf, clip, {"question": 0, "choice": 1}).get_json() == {
        "right": True, "answer": 1, "choice": 1}  # not the first trainee's choice
    mine = db.scalar(select(WatchProgress).where(WatchProgress.user_id == trainee.id))
    theirs = db.scalar(select(WatchProgress).where(WatchProgress.user_id == other.id))
    assert mine is not None and mine.answers == {"0": 0}
    assert theirs is not None and theirs.answers == {"0": 1}
