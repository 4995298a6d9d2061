"""Comments anchored to the evidence (a turn, a form field, a map feature, a moment of a
clip), the attempt view's tally, HMT/foreign forms and map, and a trainee's progress as
their examiners and trainer see it."""

from __future__ import annotations

import re
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.core.errors import InvalidInput
from trainer.fieldwork import services as fieldwork
from trainer.fieldwork.views import shown_anchor
from trainer.review import anchors, services
from trainer.review.models import ReviewKind

BEST = ["greet", "show_id", "explain_purpose", "explain_legal_basis",
        "promise_confidentiality", "ask_item:roster", "read_back"]
DRAWING = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"kind": "boundary"},
     "geometry": {"type": "Polygon",
                  "coordinates": [[[0, 0], [100, 0], [100, 100], [0, 100], [0, 0]]]}},
    {"type": "Feature", "properties": {"kind": "building", "number": 7},
     "geometry": {"type": "Point", "coordinates": [10, 10]}}]}
EVIDENCE = anchors.Evidence(frozenset({1, 2, 3}), frozenset({"wang", "li"}),
                            {0: "boundary", 1: "building 7"}, {5: 90.0})


@pytest.fixture
def setting(db: Session, exam_cohort: Any) -> dict[str, Any]:
    """A cohort with an examiner, a trainee and a submitted exam (one visit to the Wangs)."""
    made = exam_cohort("Anchor cohort")
    attempt = made["attempt"]
    fieldwork.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19, 0))
    for action in BEST:
        fieldwork.take_step(db, attempt, "wang", action, None)
    fieldwork.submit(db, attempt)
    return made


# Anchors alone ---------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "stored"), [
    ("#2", "event:2"), ("event:3", "event:3"), (" # 1 ", "event:1"),
    ("wang/persons[2]/D7", "form:wang/persons[2]/D7"), ("form:li", "form:li"),
    ("form:register/wang", "form:register/wang"), ("tally/births", "form:tally/births"),
    ("map:1", "map:1"), ("clip:5@1:05", "clip:5@65"), ("clip:5@12.5", "clip:5@12.5"),
    ("", None), ("   ", None)])
def test_typed_anchors_are_stored_in_one_shape(typed: str, stored: str | None) -> None:
    assert anchors.normalise(typed, EVIDENCE) == stored


@pytest.mark.parametrize(("typed", "says"), [
    ("#9", "no turn #9"), ("form:zhao/H1", "no form for zhao"), ("map:4", "no feature 4"),
    ("clip:6@1", "has not watched clip 6"), ("clip:5@2:00", "only 90 seconds long"),
    ("hello world", "Point the comment"), ("event:", "Point the comment"),
    ("map:x", "Point the comment"), ("<script>", "Point the comment"),
    ("wang/../../etc", "Point the comment"), ("#١٢", "Point the comment")])
def test_anchors_naming_no_place_of_the_attempt_are_refused(typed: str, says: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        anchors.normalise(typed, EVIDENCE)
    assert refused.value.field == "anchor"
    assert says in refused.value.message % refused.value.params


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60) | st.from_regex(
    r"(#|event:|map:|clip:\d{1,3}@|form:)?[\w\[\]/:@.\-]{0,20}", fullmatch=True))
def test_any_text_is_a_stored_anchor_or_a_localised_refusal(text: str) -> None:
    """Whatever is typed, the result is either refused with a message or a stored anchor
    that reads back as itself and leads to a place on the page."""
    try:
        stored = anchors.normalise(text, EVIDENCE)
    except InvalidInput as refused:
        assert refused.field == "anchor"
        return
    if stored is None:
        assert not text.strip()
        return
    assert anchors.normalise(stored, EVIDENCE) == stored
    place = anchors.place_of(stored)
    assert place is not None and place.text == stored
    assert re.fullmatch(r"(event-\d+|form-[\w\-]+|paper-\w+|attempt-map|clip-\d+)",
                        anchors.section_of(place))


# Through the pages -----------------------------------------------------------------------

def test_a_comment_on_a_turn_is_shown_at_the_turn_and_links_there(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session,
        setting: dict[str, Any]) -> None:
    login_as(user=setting["examiner"])
    url = f"/review/attempts/{setting['attempt'].id}"
    page = client.get(url + "?anchor=event:2").get_data(as_text=True)
    assert 'value="event:2"' in page  # "Comment here" filled the field
    assert '<option value="form:wang">' in page and '<option value="event:1">' in page
    done = client.post(url + "/comment", data={"csrf_token": csrf(), "anchor": "#2",
                                               "text": "Greet before anything else."})
    assert done.status_code == 302
    review = services.review_of(db, setting["attempt"])
    assert review is not None
    (entry,) = [e for e in review.events if e.kind == ReviewKind.COMMENT]
    assert entry.anchor == "event:2"
    page = client.get(url).get_data(as_text=True)
    turn = page[page.index('id="event-2"'):]
    turn = turn[:turn.index("</li>")]
    assert "Greet before anything else." in turn and 'data-test="anchored-comment"' in turn
    assert ('<a href="#event-2" data-test="anchor-link"><span class="anchor" '
            'data-anchor="event:2">#2</span></a>') in page
    login_as(user=setting["trainee"])
    mine = client.get(f"/training/attempts/{setting['attempt'].id}").get_data(as_text=True)
    assert "Greet before anything else." in mine
    # the trainee's own page links the anchor to the turn of their transcript
    assert '<a href="#event-2" data-test="trainee-anchor-link">' in mine and 'id="event-2"' in mine


def test_a_comment_on_a_form_item_is_shown_at_the_form(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session,
        setting: dict[str, Any]) -> None:
    login_as(user=setting["examiner"])
    url = f"/review/attempts/{setting['attempt'].id}"
    done = client.post(url + "/comment", data={"csrf_token": csrf(),
                                               "anchor": "wang/persons[1]/D7",
                                               "text": "Ask where the hukou is registered."})
    assert done.status_code == 302
    page = client.get(url).get_data(as_text=True)
    form = page[page.index('id="form-wang"'):page.index('id="paper-tally"')]
    assert "Ask where the hukou is registered." in form
    assert 'href="#form-wang"' in page
    login_as(user=setting["trainee"])  # on the trainee's page it opens their form
    attempt_id = setting["attempt"].id
    mine = client.get(f"/training/attempts/{attempt_id}").get_data(as_text=True)
    assert (f'<a href="/training/attempts/{attempt_id}/forms/wang" '
            'data-test="trainee-anchor-link">') in mine


@pytest.mark.parametrize(("language", "person", "item", "residence"), [
    ("en", "Person 2", "D4 Sex", "Person 1 · D7 Residence on 11-01"),
    ("zh-CN", "第 2 人", "D4 性别", "第 1 人 · D7 普查时点居住地")])
def test_form_places_read_in_words_with_their_code_sent(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session, setting: dict[str, Any],
        language: str, person: str, item: str, residence: str) -> None:
    setting["attempt"].forms = {"wang": {"record": {"H1": 1, "persons": [{"D1": "王建国"}]},
                                         "complete": False}}
    db.flush()
    login_as(user=setting["examiner"])
    url = f"/review/attempts/{setting['attempt'].id}"
    assert client.post(url + "/comment", data={
        "csrf_token": csrf(), "anchor": "wang/persons[0]/D7",
        "text": "Where did she sleep on 10-31?"}).status_code == 302
    page = client.get(url, headers={"Accept-Language": language}).get_data(as_text=True)
    places = page[page.index('<datalist id="anchor-places">'):]
    options = dict(re.findall(r'<option value="([^"]*)">([^<]*)</option>',
                              places[:places.index("</datalist>")]))
    household = options["form:wang"]  # the Wangs' address, as the page names households
    # the suggestion reads as a person would; the code stays what the form sends
    assert options["form:wang/persons[1]/D4"] == f"{household} · {person} · {item}"
    assert not [label for label in options.values() if "persons[" in label], options
    # the differences table names the same item in words, and its "Comment here" sends the
    # same code: persons are counted from 0 in a place, as in the findings
    row = re.search(r'<span class="item" data-where="persons\[1\]/D4">([^<]*)</span> '
                    r'<a class="comment-here" href="\?anchor=([^"#]*)#', page)
    assert row is not None and row.group(1) == f"{person} · {item}"
    assert row.group(2) == "form%3Awang/persons%5B1%5D/D4"
    # a comment's stored anchor is shown in words too, in the record and at the form
    shown = f'<span class="anchor" data-anchor="form:wang/persons[0]/D7">{household} · {residence}'
    assert page.count(shown) == 2


@pytest.mark.parametrize("anchor", ["#99", "map:0", "clip:1@3", "form:zhao", "a b c",
                                    "x" * 201, "event:\x00"])
def test_a_bad_anchor_is_a_localised_400_and_nothing_is_recorded(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session,
        setting: dict[str, Any], anchor: str) -> None:
    login_as(user=setting["examiner"])
    url = f"/review/attempts/{setting['attempt'].id}"
    refused = client.post(url + "/comment", data={"csrf_token": csrf(), "anchor": anchor,
                                                  "text": "A comment that must not stay."})
    assert refused.status_code == 400
    if "\x00" not in anchor:  # a NUL anywhere is refused before any view (the same 400)
        assert 'aria-invalid="true"' in refused.get_data(as_text=True)
    if anchor == "#99":
        assert "This attempt has no turn #99." in refused.get_data(as_text=True)
    review = services.review_of(db, setting["attempt"])
    assert review is not None
    db.refresh(review)
    assert [e.kind for e in review.events] == [ReviewKind.SUBMITTED]


def test_the_map_is_shown_and_its_features_can_be_commented(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session,
        setting: dict[str, Any]) -> None:
    attempt = setting["attempt"]
    login_as(user=setting["examiner"])
    url = f"/review/attempts/{attempt.id}"
    assert "No map was drawn in this attempt." in client.get(url).get_data(as_text=True)
    assert client.get(url + "/map.svg").status_code == 404
    attempt.map_drawing = DRAWING
    db.flush()
    svg = client.get(url + "/map.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.headers["Cache-Control"] == "no-store" and b"<svg" in svg.data
    page = client.get(url).get_data(as_text=True)
    assert f'src="/review/attempts/{attempt.id}/map.svg"' in page
    assert "Building 7" in page and '<option value="map:1">' in page
    done = client.post(url + "/comment", data={"csrf_token": csrf(), "anchor": "map:1",
                                               "text": "Number the buildings clockwise."})
    assert done.status_code == 302
    assert client.post(url + "/comment", data={"csrf_token": csrf(), "anchor": "map:2",
                                               "text": "No such feature."}).status_code == 400
    page = client.get(url).get_data(as_text=True)
    section = page[page.index('id="attempt-map"'):]
    assert "Number the buildings clockwise." in section[:section.index("</section>")]
    # the comment's anchor reads as the feature, in the page's language
    assert '<span class="anchor" data-anchor="map:1">Map: Building 7</span>' in page
    zh = client.get(url, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<span class="anchor" data-anchor="map:1">小区图：建筑物 7</span>' in zh


def test_an_anchor_reads_in_words_where_the_page_knows_them(app: Flask) -> None:
    source = SimpleNamespace(households={})  # a visit with no household
    known = {"clip:3@0": "Refusal at the door", "map:2": "Road 解放路"}
    with app.test_request_context(headers={"Accept-Language": "en"}):
        shown = {anchor: str(shown_anchor(anchor, source, known)) for anchor in (
            "event:12", "clip:3@65", "clip:3@0", "map:2", "map:5", "clip:4@1", "form:tally")}
    assert shown == {
        "event:12": '<span class="anchor" data-anchor="event:12">#12</span>',
        "clip:3@65": ('<span class="anchor" data-anchor="clip:3@65">'
                      "Refusal at the door ▶ 1:05</span>"),
        "clip:3@0": ('<span class="anchor" data-anchor="clip:3@0">'
                     "Refusal at the door ▶ 0:00</span>"),
        "map:2": '<span class="anchor" data-anchor="map:2">Map: Road 解放路</span>',
        "map:5": "<code>map:5</code>", "clip:4@1": "<code>clip:4@1</code>",  # unknown here
        "form:tally": '<span class="anchor" data-anchor="form:tally">Quick tally</span>'}


def test_a_clip_moment_needs_a_clip_the_trainee_watched(db: Session,
                                                         setting: dict[str, Any]) -> None:
    review = services.review_of(db, setting["attempt"])
    assert review is not None
    with pytest.raises(InvalidInput, match="not watched"):
        services.comment(db, review, setting["examiner"], text="See 0:42.", anchor="clip:1@42")
    evidence = services.evidence_of(db, review)
    assert evidence.clips == {} and "wang" in evidence.units and 1 in evidence.events
    watched = anchors.Evidence(evidence.events, evidence.units, {}, {1: 120.0})
    entry = services.comment(db, review, setting["examiner"], text="See 0:42.",
                             anchor="clip:1@0:42", evidence=watched)
    assert entry.anchor == "clip:1@42"


def test_other_examiners_and_trainees_cannot_reach_the_map(
        client: FlaskClient, login_as: Any, make_user: Any, db: Session,
        setting: dict[str, Any]) -> None:
    setting["attempt"].map_drawing = DRAWING
    db.flush()
    url = f"/review/attempts/{setting['attempt'].id}/map.svg"
    login_as(user=make_user(Role.EXAMINER))
    assert client.get(url).status_code == 404
    login_as(user=setting["trainee"])
    assert client.get(url).status_code == 403


def test_the_attempt_view_shows_the_tally_and_hmt_forms(
        client: FlaskClient, login_as: Any, db: Session, setting: dict[str, Any]) -> None:
    attempt = setting["attempt"]
    login_as(user=setting["examiner"])
    url = f"/review/attempts/{attempt.id}"
    assert "The quick tally was not done." in client.get(url).get_data(as_text=True)
    attempt.tally = {"households": 3, "present": 2, "away": 0, "total": 2, "births": 0,
                     "deaths": 0}
    attempt.hmt_forms = {"wang": {"record": {"F1": 1, "persons": []}, "complete": False}}
    db.flush()
    page = client.get(url).get_data(as_text=True)
    tally = page[page.index('data-test="tally"'):]
    tally = tally[:tally.index("</section>")]
    # handed in 3 households; no form was filled, so the forms add up to 0
    assert re.search(r'<td class="differs">3</td><td>0</td><td>1</td>', tally)
    # an item of the HMT/foreign form reads as the form heads it, its code kept
    assert 'data-test="hmt-diffs"' in page
    assert '<span class="item" data-where="F2">F2 Type of dwelling</span>' in page
    assert "The death form was not begun." in page
    attempt.deaths = {"rows": [{"number": 1, "name": "刘德明", "sex": 3, "birth": "1941-03",
                                "died": "2018-06", "ethnicity": "汉族"}], "complete": False}
    db.flush()
    page = client.get(url).get_data(as_text=True)
    deaths = page[page.index('data-test="deaths"'):]
    deaths = deaths[:deaths.index("</section>")]
    assert "刘德明" in deaths and "2018-06" in deaths
    # its columns are headed in words, not by the record's keys
    assert '<th scope="col">Died</th>' in deaths and "<code>died</code>" not in deaths
    zh = client.get(url, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<th scope="col">死亡年月</th>' in zh[zh.index('data-test="deaths"'):]
    assert "Only deaths from 2019-11 to 2020-10 belong on this form." in deaths


# Progress --------------------------------------------------------------------------------

def test_examiners_and_trainers_see_a_trainees_progress(
        client: FlaskClient, login_as: Any, csrf: Any, make_user: Any, db: Session,
        setting: dict[str, Any]) -> None:
    cohort, trainee = setting["cohort"], setting["trainee"]
    url = f"/cohorts/{cohort.id}/trainees/{trainee.id}/progress"
    login_as(user=setting["examiner"])
    page = client.get(url).get_data(as_text=True)
    assert "No score has been released to this trainee yet." in page
    dashboard = client.get(f"/cohorts/{cohort.id}/dashboard").get_data(as_text=True)
    assert f'href="{url}"' in dashboard and 'data-test="time-chart"' in dashboard
    released = client.post(f"/review/attempts/{setting['attempt'].id}/release",
                           data={"csrf_token": csrf()})
    assert released.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert 'data-test="progress-chart"' in page and 'data-test="progress-history"' in page
    assert "<circle" in page
    login_as(user=setting["trainer"])
    assert client.get(url).status_code == 200
    stranger = make_user(Role.TRAINEE)
    assert client.get(f"/cohorts/{cohort.id}/trainees/{stranger.id}/progress"
                      ).status_code == 404
    assert client.get(f"/cohorts/{cohort.id}/trainees/99999999999/progress"
                      ).status_code == 404
    login_as(user=make_user(Role.EXAMINER))
    assert client.get(url).status_code == 404
    login_as(user=trainee)
    assert client.get(url).status_code == 403


def test_a_trainees_progress_shows_only_the_cohorts_own_work(
        client: FlaskClient, login_as: Any, csrf: Any, make_user: Any, db: Session,
        setting: dict[str, Any]) -> None:
    """A trainee in two cohorts: the trainer of the other cohort sees nothing of the work
    done in the first (its released scores, its exercises)."""
    trainee = setting["trainee"]
    login_as(user=setting["examiner"])
    assert client.post(f"/review/attempts/{setting['attempt'].id}/release",
                       data={"csrf_token": csrf()}).status_code == 302
    other_trainer = make_user(Role.TRAINER)
    other = accounts.create_cohort(db, actor=other_trainer, name="Other cohort",
                                   trainer=other_trainer)
    other.trainees = [trainee]
    db.commit()
    login_as(user=other_trainer)
    page = client.get(f"/cohorts/{other.id}/trainees/{trainee.id}/progress"
                      ).get_data(as_text=True)
    assert "No score has been released to this trainee yet." in page
    assert 'data-test="progress-history"' not in page
    assert 'data-test="weak"' not in page


@settings(max_examples=200)
@example(path="wang/" + "x" * 64 + "/" + "y" * 64 + "/" + "z" * 64)
@given(path=st.from_regex(r"wang/[a-zA-Z0-9_\-]{1,64}(/[a-zA-Z0-9_\-]{1,64}){0,2}",
                          fullmatch=True))
def test_an_anchor_the_form_takes_is_stored_whole_or_refused(path: str) -> None:
    """The form takes an anchor of up to 200 characters and the column holds 200: what is
    stored ("form:" added to a bare path) must fit, or the anchor is refused (a 400, never
    PostgreSQL's "value too long" as a 500)."""
    from trainer.review.models import ReviewEvent

    limit = ReviewEvent.__table__.c.anchor.type.length
    typed = path[:200]
    try:
        stored = anchors.normalise(typed, EVIDENCE)
    except InvalidInput:
        return
    assert stored is not None and len(stored) <= limit


def test_a_bare_path_of_200_characters_is_refused() -> None:
    with pytest.raises(InvalidInput):
        anchors.normalise("wang/" + "x" * 195, EVIDENCE)
