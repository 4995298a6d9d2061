"""Double marking: two blind, independent marks; a third when they differ too much; release
only when the marking is complete; agreement statistics per pair of examiners."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.features.test_review import setting  # noqa: F401 - the fixture
from trainer.accounts.models import Role
from trainer.core.errors import Conflict, InvalidInput
from trainer.review import services
from trainer.review.models import ReviewKind, ReviewStatus


@pytest.fixture
def marked(setting: dict[str, Any], db: Session, make_user: Any) -> dict[str, Any]:  # noqa: F811
    """The review setting with the cohort double-marked and three examiners."""
    cohort = setting["cohort"]
    services.set_marking(db, cohort, setting["trainer"], double=True, threshold=10)
    second, third = make_user(Role.EXAMINER), make_user(Role.EXAMINER)
    cohort.examiners = [setting["examiner"], second, third]
    review = services.review_of(db, setting["attempt"])
    criteria = services.markable(setting["attempt"].score)
    return {**setting, "second": second, "third": third, "review": review,
            "criteria": criteria}


def mark(db: Session, m: dict[str, Any], who: str, value: float,
         **special: float) -> services.Marking:
    scores = {name: special.get(name, value) for name in m["criteria"]}
    return services.submit_mark(db, m["review"], m[who], scores)


def test_two_agreeing_marks_count_their_mean(marked: dict[str, Any], db: Session) -> None:
    first = mark(db, marked, "examiner", 80)
    assert not first.complete and first.needed == 2
    with pytest.raises(Conflict, match="needs 2 independent marks"):
        services.release(db, marked["review"], marked["examiner"], link="")
    with pytest.raises(Conflict, match="already marked"):
        mark(db, marked, "examiner", 70)
    with pytest.raises(Conflict, match="give your independent mark"):
        services.override(db, marked["review"], marked["examiner"], criterion="privacy",
                          score=0, reason="Not allowed here.")
    done = mark(db, marked, "second", 90)
    assert done.complete and done.needed == 2
    assert set(done.counted.values()) == {0.85}
    score = services.effective_score(marked["review"])
    assert {score["criteria"][name]["score"] for name in marked["criteria"]} == {0.85}
    skipped = set(score["criteria"]) - set(marked["criteria"])  # nothing to judge: not marked
    assert skipped and not any(score["criteria"][name]["applicable"] for name in skipped)
    services.release(db, marked["review"], marked["second"], link="")
    assert marked["review"].status == ReviewStatus.RELEASED
    assert marked["review"].released_score["total"] == 85.0


def test_marks_too_far_apart_call_a_third_and_the_median_counts(marked: dict[str, Any],
                                                                 db: Session) -> None:
    mark(db, marked, "examiner", 40)
    state = mark(db, marked, "second", 90)
    assert not state.complete and state.needed == 3  # 50 points apart, the threshold is 10
    with pytest.raises(Conflict, match="needs 3 independent marks"):
        services.release(db, marked["review"], marked["examiner"], link="")
    state = mark(db, marked, "third", 70)
    assert state.complete and set(state.counted.values()) == {0.7}
    with pytest.raises(Conflict, match="all the marks it needs"):
        services.submit_mark(db, marked["review"], marked["trainer"],
                             dict.fromkeys(marked["criteria"], 50))


def test_a_mark_must_cover_every_criterion_in_range(marked: dict[str, Any],
                                                    db: Session) -> None:
    with pytest.raises(InvalidInput, match="Mark every criterion"):
        services.submit_mark(db, marked["review"], marked["examiner"], {"privacy": 50})
    with pytest.raises(InvalidInput, match="runs from 0 to 100"):
        mark(db, marked, "examiner", 101)
    assert [e.kind for e in marked["review"].events] == [ReviewKind.SUBMITTED]  # nothing kept


def test_the_second_examiner_marks_blind(client: FlaskClient, login_as: Any, csrf: Any,
                                        marked: dict[str, Any], db: Session) -> None:
    attempt = marked["attempt"]
    login_as(user=marked["examiner"])
    url = f"/review/attempts/{attempt.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'data-test="mark-form"' in page and 'data-test="override-form"' not in page
    form = {f"score-{name}": "37" for name in marked["criteria"]}
    response = client.post(f"{url}/mark", data={**form, "csrf_token": csrf()})
    assert response.status_code == 302
    mine = client.get(url).get_data(as_text=True)
    assert 'data-test="my-mark"' in mine and 'data-test="mark-form"' not in mine
    login_as(user=marked["second"])
    blind = client.get(url).get_data(as_text=True)
    assert 'data-test="mark-form"' in blind and 'data-test="marks"' not in blind
    assert "Independent mark" not in blind  # the first examiner's record is hidden
    bad = client.post(f"{url}/mark", data={**form, f"score-{marked['criteria'][0]}": "x",
                                          "csrf_token": csrf()})
    assert bad.status_code == 400 and "Give a score from 0 to 100" in bad.get_data(as_text=True)
    client.post(f"{url}/mark", data={**dict.fromkeys(form, "39"), "csrf_token": csrf()})
    both = client.get(url).get_data(as_text=True)
    assert 'data-test="marks"' in both
    totals = re.findall(r"<td>(\d+\.\d)</td>", both.split('data-test="marks"')[1][:600])
    assert sorted(totals) == ["37.0", "39.0"]


def test_agreement_page_shows_percentage_and_kappa(client: FlaskClient, login_as: Any,
                                                   marked: dict[str, Any],
                                                   db: Session) -> None:
    mark(db, marked, "examiner", 80, privacy=20)
    mark(db, marked, "second", 75, privacy=90)
    figures = {f.criterion: f for f in services.agreement(db, marked["cohort"].id)}
    assert figures["privacy"].agreement == 0.0 and figures["coverage"].agreement == 1.0
    assert figures["coverage"].marked == 1
    login_as(user=marked["trainer"])
    page = client.get(f"/cohorts/{marked['cohort'].id}/agreement").get_data(as_text=True)
    assert 'data-test="agreement"' in page and marked["second"].full_name in page


def test_trainer_sets_the_marking_rules(client: FlaskClient, login_as: Any, csrf: Any,
                                        setting: dict[str, Any], db: Session) -> None:  # noqa: F811
    cohort = setting["cohort"]
    login_as(user=setting["trainer"])
    url = f"/cohorts/{cohort.id}/marking"
    refused = client.post(url, data={"double_marking": "y", "marking_threshold": "500",
                                     "csrf_token": csrf()})
    assert refused.status_code == 400
    db.refresh(cohort)
    assert cohort.double_marking is False  # nothing saved
    saved = client.post(url, data={"double_marking": "y", "marking_threshold": "15",
                                   "csrf_token": csrf()})
    assert saved.status_code == 302
    db.refresh(cohort)
    assert cohort.double_marking is True and cohort.marking_threshold == 15
    login_as(user=setting["examiner"])
    assert client.get(url).status_code == 403


def test_no_figure_gives_away_a_mark_in_progress(marked: dict[str, Any], db: Session) -> None:
    mark(db, marked, "examiner", 40)
    mark(db, marked, "second", 90)  # too far apart: a third examiner marks blind
    assert services.agreement(db, marked["cohort"].id) == ()
    mark(db, marked, "third", 70)
    assert services.agreement(db, marked["cohort"].id)


def test_double_marking_cannot_be_switched_while_marks_are_in(marked: dict[str, Any],
                                                             db: Session) -> None:
    mark(db, marked, "examiner", 60)
    with pytest.raises(Conflict, match="being marked"):
        services.set_marking(db, marked["cohort"], marked["trainer"], double=False,
                             threshold=10)
    services.set_marking(db, marked["cohort"], marked["trainer"], double=True, threshold=20)
    assert marked["cohort"].marking_threshold == 20  # the threshold may still change


def waiting(db: Session, m: dict[str, Any], who: str) -> list[int]:
    """The attempts the queue shows as waiting for `who`'s mark."""
    return [row.attempt.id for row in services.queue(db, m[who]) if row.my_mark_awaited]


def test_the_queue_flags_attempts_waiting_for_my_mark(marked: dict[str, Any],
                                                      db: Session) -> None:
    attempt = marked["attempt"].id
    assert [waiting(db, marked, who) for who in ("examiner", "second", "third")] == [
        [attempt], [attempt], [attempt]]
    mark(db, marked, "examiner", 40)
    assert waiting(db, marked, "examiner") == [] and waiting(db, marked, "second") == [attempt]
    assert services.queue(db, marked["examiner"], my_mark=True) == []
    assert [row.attempt.id for row in services.queue(db, marked["second"], my_mark=True)] == [
        attempt]
    mark(db, marked, "second", 90)  # too far apart: the third examiner's mark is awaited
    assert [waiting(db, marked, who) for who in ("examiner", "second", "third")] == [
        [], [], [attempt]]
    mark(db, marked, "third", 70)
    assert [waiting(db, marked, who) for who in ("examiner", "second", "third")] == [[], [], []]
    assert services.queue(db, marked["third"], my_mark=True) == []
    assert [row.attempt.id for row in services.queue(db, marked["third"])] == [attempt]


def test_single_marking_awaits_nobody_s_mark(setting: dict[str, Any],  # noqa: F811
                                            db: Session) -> None:
    rows = services.queue(db, setting["examiner"])
    assert rows and not any(row.my_mark_awaited for row in rows)
    assert services.queue(db, setting["examiner"], my_mark=True) == []


def test_the_queue_page_shows_and_filters_waiting_for_your_mark(client: FlaskClient,
                                                                login_as: Any,
                                                                marked: dict[str, Any],
                                                                db: Session) -> None:
    mark(db, marked, "examiner", 40)
    login_as(user=marked["second"])
    page = client.get("/review").get_data(as_text=True)
    assert 'data-test="filter-my-mark"' in page
    assert page.count('data-test="my-mark-awaited"') == 1 and "Waiting for your mark" in page
    only = client.get("/review?mine=1").get_data(as_text=True)
    assert marked["trainee"].full_name in only and "checked" in only
    login_as(user=marked["examiner"])
    mine = client.get("/review?mine=1").get_data(as_text=True)
    assert marked["trainee"].full_name not in mine and "No attempt matches these filters." in mine
    assert 'data-test="my-mark-awaited"' not in client.get("/review").get_data(as_text=True)
