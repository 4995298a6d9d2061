"""Object-level access: changing an id in a URL or a form field reaches nothing of others.

One table: each row names an object kind, the request that reaches for it (method, URL, data),
who tries (a classmate, a trainee, trainer or examiner of another cohort, another trainer)
and the status they must get. Every attempt must also leave the whole database as it was.
The owners' own access to the same URLs is the route × role matrix's
(tests/features/test_routes.py); a row naming its `owner` is also sent by that owner, who must
get in (the refusal is then the access check's, not a malformed request's). Every id-bearing
route must have a row or be on the commented NOT_OWNED list
(`test_every_route_reaching_an_object_is_in_the_table`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.security.conftest import (
    LESSON_QUESTION,
    VICTIM_MAP,
    Estate,
    changed_tables,
    snapshot,
)
from trainer.accounts.models import Cohort
from trainer.config import project_root
from trainer.core.scenario import loader

TRAINEES = ("classmate", "outsider")  # the victim's classmate, a trainee of cohort B
COHORT_A_STAFF = ("trainer_a", "examiner_a")
COHORT_B_STAFF = ("trainer_b", "examiner_b")


@dataclass(frozen=True)
class Reach:
    kind: str
    method: str
    url: str  # formatted with Estate.ids
    attackers: tuple[str, ...]
    expected: int
    data: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    bearer: bool = False  # sent with examiner B's API token instead of a log-in
    headers: dict[str, str] = field(default_factory=dict)
    # who may send this very request, and what they get (test_the_rightful_user_gets_in):
    # the row's refusal is then known to be the access check's, not a bad request's
    owner: str | None = None
    owner_status: int = 200
    owner_writes: bool = True  # the owner's POST changes a row (regrading the same: none)


STEP = {"household": "wang", "action": "knock", "day": "2020-11-01", "time": "10:00",
        "step_key": "attacker-step-0001"}
# a step in the victim's attempt once the Wangs are met (with_more)
GREET = {"household": "wang", "action": "greet", "step_key": "attacker-step-0002"}
PERSON = {"H1": "1", "persons-0-D1": "攻击者", "persons-0-D2": "1", "complete": "y"}
# the field sheets' autosaves, as the browser sends them (HX-Request: answered 200 when saved)
HX = {"HX-Request": "true"}
LISTED = {"rows-0-unit_id": "wang", "rows-0-status": "occupied", "rows-0-head": "攻击者"}
DEATH = {"rows-0-number": "999", "rows-0-name": "攻击者", "rows-0-sex": "1",
         "rows-0-birth": "1938-03", "rows-0-died": "2020-06", "rows-0-ethnicity": "汉族"}
HMT_PERSON = {"persons-0-R1": "攻击者", "persons-0-R4": "1980-01"}
MAP = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"kind": "landmark", "label": "攻击者"},
     "geometry": {"type": "Point", "coordinates": [1.0, 2.0]}}]}

REACHES = [
    # another trainee's attempt: view, step, form save, register, tally, submit; the Wangs
    # are met in it (with_more), so their form opens for the victim (`owner`)
    Reach("attempt", "GET", "/training/attempts/{attempt}", TRAINEES, 404, owner="victim"),
    Reach("attempt", "POST", "/training/attempts/{attempt}/steps", TRAINEES, 404, GREET,
          owner="victim", owner_status=302),
    Reach("attempt", "GET", "/training/attempts/{attempt}/forms/wang", TRAINEES, 404,
          owner="victim"),
    Reach("attempt", "POST", "/training/attempts/{attempt}/forms/wang", TRAINEES, 404, PERSON,
          owner="victim", owner_status=302),
    Reach("attempt", "GET", "/training/attempts/{attempt}/register", TRAINEES, 404,
          owner="victim"),
    Reach("attempt", "POST", "/training/attempts/{attempt}/register", TRAINEES, 404,
          {"rows-0-unit_id": "wang", "rows-0-head": "攻击者"}, owner="victim",
          owner_status=302),
    Reach("attempt", "GET", "/training/attempts/{attempt}/tally", TRAINEES, 404,
          owner="victim"),
    Reach("attempt", "GET", "/training/attempts/{attempt}/check", TRAINEES, 404,
          owner="victim"),
    Reach("attempt", "POST", "/training/attempts/{attempt}/tally", TRAINEES, 404,
          {"present": "999"}, owner="victim", owner_status=302),
    Reach("attempt", "POST", "/training/attempts/{attempt}/submit", TRAINEES, 404),
    Reach("attempt", "POST", "/training/attempts/{attempt}/forms/wang", COHORT_B_STAFF, 403,
          PERSON),
    Reach("attempt", "POST", "/training/attempts/{attempt}/submit", COHORT_B_STAFF, 403),
    # the field sheets of another trainee's attempt: the listing walk (户主姓名底册), the death
    # form, the HMT/foreign form and the small-area map; the victim gets each (`owner`)
    Reach("field sheet", "GET", "/training/attempts/{attempt}/listing", TRAINEES, 404,
          owner="victim"),
    Reach("field sheet", "GET", "/training/attempts/{attempt}/listing?building={wang_building}",
          TRAINEES, 404, owner="victim"),
    Reach("field sheet", "POST",
          "/training/attempts/{attempt}/listing?building={wang_building}", TRAINEES, 404,
          LISTED, headers=HX, owner="victim"),
    Reach("field sheet", "GET", "/training/attempts/{attempt}/deaths", TRAINEES, 404,
          owner="victim"),
    Reach("field sheet", "POST", "/training/attempts/{attempt}/deaths", TRAINEES, 404, DEATH,
          headers=HX, owner="victim"),
    Reach("field sheet", "GET", "/training/attempts/{hmt_attempt}/hmt/kim", TRAINEES, 404,
          owner="victim"),
    Reach("field sheet", "POST", "/training/attempts/{hmt_attempt}/hmt/kim", TRAINEES, 404,
          HMT_PERSON, headers=HX, owner="victim"),
    Reach("field sheet", "GET", "/training/attempts/{map_attempt}/map", TRAINEES, 404,
          owner="victim"),
    Reach("field sheet", "GET", "/training/attempts/{map_attempt}/map/field.json", TRAINEES,
          404, owner="victim"),
    Reach("field sheet", "GET", "/training/attempts/{map_attempt}/map/drawing", TRAINEES, 404,
          owner="victim"),
    Reach("field sheet", "GET", "/training/attempts/{map_attempt}/map/drawing.svg", TRAINEES,
          404, owner="victim"),
    Reach("field sheet", "POST", "/training/attempts/{map_attempt}/map/drawing", TRAINEES, 404,
          json=MAP, owner="victim"),
    Reach("field sheet", "POST",
          "/training/attempts/{attempt}/listing?building={wang_building}", COHORT_B_STAFF, 403,
          LISTED, headers=HX),
    Reach("field sheet", "POST", "/training/attempts/{attempt}/deaths", COHORT_B_STAFF, 403,
          DEATH, headers=HX),
    Reach("field sheet", "POST", "/training/attempts/{hmt_attempt}/hmt/kim", COHORT_B_STAFF,
          403, HMT_PERSON, headers=HX),
    Reach("field sheet", "POST", "/training/attempts/{map_attempt}/map/drawing",
          COHORT_B_STAFF, 403, json=MAP),
    # an exercise of another cohort
    Reach("exercise", "POST", "/training/exercises/{assignment_a}/attempts", ("outsider",), 404),
    Reach("exercise", "POST", "/training/exercises/{assignment_b}/attempts", ("classmate",),
          404),
    Reach("exercise", "GET", "/cohorts/{cohort_a}/exercises", ("trainer_b",), 404),
    Reach("exercise", "POST", "/cohorts/{cohort_a}/exercises", ("trainer_b",), 404,
          {"version": "1", "mode": "practice", "world": "scenario"}),
    Reach("progress", "GET", "/cohorts/{cohort_a}/exercises/{assignment_a}/progress",
          COHORT_B_STAFF, 404),
    Reach("progress", "GET", "/cohorts/{cohort_b}/exercises/{assignment_a}/progress",
          COHORT_B_STAFF, 404),
    # another trainee's map drawing (trainee side: only through a task of one's own cohort)
    Reach("map", "GET", "/training/maps/{task_a}", ("outsider",), 404),
    Reach("map", "GET", "/training/maps/{task_a}/field.json", ("outsider",), 404),
    Reach("map", "GET", "/training/maps/{task_a}/drawing", ("outsider",), 404),
    Reach("map", "GET", "/training/maps/{task_a}/drawing.svg", ("outsider",), 404),
    Reach("map", "GET", "/training/maps/{task_a}/overlay.svg", ("outsider",), 404),
    Reach("map", "POST", "/training/maps/{task_a}/drawing", ("outsider",), 404,
          json={"type": "FeatureCollection", "features": []}),
    Reach("map", "POST", "/training/maps/{task_a}/submit", ("outsider",), 404),
    Reach("map", "POST", "/training/maps/{task_a}/redraw", ("outsider",), 404,
          {"start": "last"}),
    # ... and the markers' side, with the cohort, task and drawing ids mixed
    Reach("map", "GET", "/cohorts/{cohort_a}/maps", ("trainer_b",), 404),
    Reach("map", "POST", "/cohorts/{cohort_a}/maps", ("trainer_b",), 404,
          {"kind": "area", "world": "{world}", "grid": "1", "area": "2", "rule": "serpentine"}),
    Reach("map", "GET", "/cohorts/{cohort_a}/maps/{task_a}", COHORT_B_STAFF, 404),
    Reach("map", "GET", "/cohorts/{cohort_b}/maps/{task_a}", COHORT_B_STAFF, 404),
    Reach("map", "GET", "/cohorts/{cohort_a}/maps/{task_a}/drawings/{drawing_a}",
          COHORT_B_STAFF, 404, owner="trainer_a"),
    # ... and cohort A's staff given cohort B's drawing under their own cohort and task
    Reach("map", "GET", "/cohorts/{cohort_a}/maps/{task_a}/drawings/{drawing_b}",
          COHORT_A_STAFF, 404),
    Reach("map", "GET", "/cohorts/{cohort_a}/maps/{task_a}/drawings/{drawing_b}/overlay.svg",
          COHORT_A_STAFF, 404),
    Reach("map", "POST", "/cohorts/{cohort_a}/maps/{task_a}/drawings/{drawing_b}/regrade",
          COHORT_A_STAFF, 404),
    Reach("map", "GET", "/cohorts/{cohort_a}/maps/{task_b}", COHORT_A_STAFF, 404),
    Reach("map", "GET", "/cohorts/{cohort_b}/maps/{task_b}/drawings/{drawing_b}",
          COHORT_A_STAFF, 404, owner="trainer_b"),
    Reach("map", "GET", "/cohorts/{cohort_b}/maps/{task_b}/drawings/{drawing_a}",
          COHORT_B_STAFF, 404),
    Reach("map", "GET", "/cohorts/{cohort_b}/maps/{task_b}/drawings/{drawing_a}/overlay.svg",
          COHORT_B_STAFF, 404),
    Reach("map", "POST", "/cohorts/{cohort_a}/maps/{task_a}/regrade", COHORT_B_STAFF, 404,
          owner="trainer_a", owner_status=302, owner_writes=False),
    Reach("map", "POST", "/cohorts/{cohort_b}/maps/{task_a}/regrade", COHORT_B_STAFF, 404),
    Reach("map", "POST", "/cohorts/{cohort_b}/maps/{task_b}/drawings/{drawing_a}/regrade",
          COHORT_B_STAFF, 404),
    Reach("map", "POST", "/cohorts/{cohort_a}/maps/{task_a}/drawings/{drawing_a}/regrade",
          COHORT_B_STAFF, 404, owner="examiner_a", owner_status=302, owner_writes=False),
    # another cohort's pages
    Reach("cohort", "GET", "/cohorts/{cohort_a}", ("trainer_b",), 404),
    Reach("cohort", "POST", "/cohorts/{cohort_a}/examiners", ("trainer_b",), 404,
          {"examiner_ids": "{examiner_a_id}"}),
    Reach("cohort", "GET", "/cohorts/{cohort_a}/import", ("trainer_b",), 404),
    Reach("cohort", "GET", "/cohorts/{cohort_a}/edit", ("trainer_b",), 404),
    Reach("cohort", "POST", "/cohorts/{cohort_a}/edit", ("trainer_b",), 404,
          {"name": "攻击者", "trainer_id": "{trainer_b_id}"}),
    Reach("cohort", "POST", "/cohorts/{cohort_a}/trainees", ("trainer_b",), 404,
          {"user_id": "{outsider}"}),
    Reach("cohort", "POST", "/cohorts/{cohort_a}/trainees/{victim}/remove", ("trainer_b",),
          404),
    Reach("cohort", "POST", "/cohorts/{cohort_a}/import", ("trainer_b",), 404),
    Reach("cohort", "GET", "/cohorts/{cohort_a}/dashboard", COHORT_B_STAFF, 404),
    Reach("cohort", "GET", "/cohorts/{cohort_a}/scores.csv", COHORT_B_STAFF, 404),
    Reach("cohort", "GET", "/cohorts/{cohort_a}/findings.csv", COHORT_B_STAFF, 404),
    Reach("cohort", "GET", "/cohorts/{cohort_a}/scores.xlsx", COHORT_B_STAFF, 404),
    Reach("cohort", "GET", "/cohorts/{cohort_a}/agreement", COHORT_B_STAFF, 404),
    Reach("cohort", "GET", "/cohorts/{cohort_a}/marking", ("trainer_b",), 404),
    Reach("cohort", "POST", "/cohorts/{cohort_a}/marking", ("trainer_b",), 404,
          {"double_marking": "y", "marking_threshold": "5"}),
    Reach("cohort", "GET", "/cohorts/{cohort_a}/certification", COHORT_B_STAFF, 404),
    Reach("cohort", "GET", "/cohorts/{cohort_a}/certification/rules", ("trainer_b",), 404),
    Reach("cohort", "POST", "/cohorts/{cohort_a}/certification/rules", ("trainer_b",), 404,
          {"required": "{assignment_a}", "minimum_total": "1"}),
    Reach("cohort", "POST", "/cohorts/{cohort_a}/certification/issue-all", ("trainer_b",), 404),
    Reach("cohort", "GET", "/cohorts/{cohort_a}/trainees/{victim}/progress", COHORT_B_STAFF,
          404, owner="examiner_a"),
    Reach("cohort", "GET", "/cohorts/{cohort_b}/trainees/{victim}/progress", COHORT_B_STAFF,
          404),
    # another cohort's certificate
    Reach("certificate", "GET", "/training/certificates/{certificate}", TRAINEES, 404),
    Reach("certificate", "GET", "/training/certificates/{certificate}.pdf", TRAINEES, 404),
    Reach("certificate", "POST", "/cohorts/{cohort_a}/certificates/{certificate}/revoke",
          ("trainer_b",), 404, {"reason": "taken away by someone else"}),
    Reach("certificate", "POST", "/cohorts/{cohort_b}/certificates/{certificate}/revoke",
          ("trainer_b",), 404, {"reason": "taken away by someone else"}),
    Reach("certificate", "POST", "/cohorts/{cohort_b}/certification/issue", ("trainer_b",),
          404, {"trainee_id": "{victim}"}),
    # review pages of another cohort
    Reach("review", "GET", "/review/attempts/{reviewed}", ("examiner_b",), 404),
    Reach("review", "POST", "/review/attempts/{reviewed}/claim", ("examiner_b",), 404),
    Reach("review", "POST", "/review/attempts/{reviewed}/override", ("examiner_b",), 404,
          {"criterion": "introduction", "score": "0", "reason": "someone else's attempt"}),
    Reach("review", "POST", "/review/attempts/{reviewed}/comment", ("examiner_b",), 404,
          {"text": "a comment on someone else's attempt"}),
    Reach("review", "POST", "/review/attempts/{reviewed}/return", ("examiner_b",), 404,
          {"text": "correct it"}),
    Reach("review", "POST", "/review/attempts/{reviewed}/release", ("examiner_b",), 404),
    Reach("review", "POST", "/review/attempts/{reviewed}/regrade", ("examiner_b",), 404),
    Reach("review", "POST", "/review/attempts/{reviewed}/mark", ("examiner_b",), 404),
    Reach("review", "GET", "/review/attempts/{reviewed}/map.svg", ("examiner_b",), 404,
          owner="examiner_a"),  # the reviewed attempt has a map drawn (with_more)
    Reach("review", "POST", "/review/attempts/{reviewed}/override", ("trainer_b", "victim"),
          403, {"criterion": "introduction", "score": "100", "reason": "my own score"}),
    # another trainer's scenario draft
    Reach("scenario draft", "GET", "/scenarios/{draft_b}/edit", ("trainer_a",), 403),
    Reach("scenario draft", "POST", "/scenarios/{draft_b}/draft", ("trainer_a",), 403,
          {"source": "id: trainer-b-own\n", "revision": "1"}),
    Reach("scenario draft", "POST", "/scenarios/{draft_b}/publish", ("trainer_a",), 403,
          {"changelog": "taken over", "revision": "1"}),
    Reach("scenario draft", "GET", "/scenarios/{draft_b}/nodes/main/door", ("trainer_a",),
          403),
    Reach("scenario draft", "POST", "/scenarios/{draft_b}/nodes/main/door", ("trainer_a",),
          403, {"revision": "1", "text_zh": "改了"}),
    Reach("scenario draft", "POST", "/scenarios/{draft_b}/dialogues/main/nodes",
          ("trainer_a",), 403, {"revision": "1", "node": "taken"}),
    Reach("scenario draft", "GET", "/scenarios/{draft_b}", ("trainer_a",), 404),  # unpublished
    Reach("scenario draft", "POST", "/scenarios/{draft_b}/plays", ("trainer_a",), 404,
          {"version": "0"}),
    Reach("scenario draft", "POST", "/scenarios/{draft_b}/playtest", ("trainer_a",), 403,
          {"source": "id: trainer-b-own\n"}),
    Reach("scenario draft", "POST", "/scenarios/{draft_b}/bot", ("trainer_a",), 403),
    Reach("scenario draft", "POST", "/scenarios/{draft_b}/check", ("trainer_a",), 403),
    Reach("scenario draft", "GET", "/scenarios/{draft_b}/export?version=draft",
          ("trainer_a",), 403),
    Reach("scenario draft", "GET", "/scenarios/{draft_b}/diff?a=draft&b=draft",
          ("trainer_a",), 403),
    Reach("scenario draft", "POST", "/scenarios/{draft_b}/editors", ("trainer_a",), 403,
          {"username": "trainer-a"}),
    Reach("scenario draft", "POST", "/scenarios/{draft_b}/editors/{trainer_b_id}/remove",
          ("trainer_a",), 403),
    # ... or its id given in a form field: a new scenario, a copy, or an import by that id
    Reach("scenario draft", "POST", "/scenarios/new", ("trainer_a",), 409,
          {"scenario_id": "trainer-b-own", "title_zh": "抢", "title_en": "Taken"}),
    Reach("scenario draft", "POST", "/scenarios/cooperative-family/duplicate", ("trainer_a",),
          409, {"version": "{version}", "scenario_id": "trainer-b-own"}),
    Reach("scenario draft", "GET", "/scenarios/{draft_b}/edit", ("examiner_a", "victim"), 403),
    # another trainer's play-through
    Reach("play", "GET", "/scenarios/plays/{play_b}", ("trainer_a", "admin"), 404),
    Reach("play", "POST", "/scenarios/plays/{play_b}/steps", ("trainer_a", "admin"), 404,
          STEP),
    # another cohort's clip
    Reach("clip", "GET", "/clips/{clip}", ("outsider",), 404),
    Reach("clip", "GET", "/clips/{clip}/media/720p", ("outsider",), 404),
    Reach("clip", "GET", "/clips/{clip}/offline/zh_CN.mp4", ("outsider",), 404),
    Reach("clip", "GET", "/clips/{clip}/captions/zh_CN.vtt", ("outsider",), 404),
    Reach("clip", "GET", "/clips/{clip}/chapters/en.vtt", ("outsider",), 404),
    # the clip library is one for the programme: every trainer and admin manages every clip
    # (video.services.may_manage); trainees and examiners manage none, of any cohort
    Reach("clip", "GET", "/clips/{clip}/original", ("outsider", "examiner_b"), 403),
    Reach("clip", "GET", "/clips/{clip}/status", ("outsider", "examiner_b"), 403),
    Reach("clip", "GET", "/clips/{clip}/edit", ("outsider", "examiner_b"), 403),
    Reach("clip", "GET", "/clips/{clip}/frame.jpg?at=1", ("outsider", "examiner_b"), 403),
    Reach("clip", "POST", "/clips/{clip}/offline", ("outsider", "examiner_b"), 403,
          {"locale": "zh_CN"}),
    Reach("clip", "POST", "/clips/{clip}/captions", ("outsider", "examiner_b"), 403,
          {"locale": "zh_CN", "vtt": "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n偷\n"}),
    Reach("clip", "POST", "/clips/{clip}/chapters", ("outsider", "examiner_b"), 403,
          {"chapters": "0:00 偷 | stolen"}),
    Reach("clip", "POST", "/clips/{clip}/redactions", ("outsider", "examiner_b"), 403,
          {"start": "0", "end": "1", "x": "0", "y": "0", "w": "0.5", "h": "0.5"}),
    Reach("clip", "POST", "/clips/{clip}/redactions/1/delete", ("outsider", "examiner_b"),
          403),
    Reach("clip", "POST", "/clips/{clip}/questions", ("outsider", "examiner_b"), 403,
          {"at": "1", "prompt_zh": "偷", "choices": "a\nb", "answer": "1"}),
    Reach("clip", "POST", "/clips/{clip}/questions/1/delete", ("outsider", "examiner_b"), 403),
    Reach("clip", "POST", "/clips/{clip}/links", ("outsider", "examiner_b"), 403,
          {"scenario_id": "cooperative-family", "node": "door"}),
    Reach("clip", "POST", "/clips/{clip}/links/1/delete", ("outsider", "examiner_b"), 403),
    Reach("clip", "POST", "/clips/{clip}/retry", ("outsider", "examiner_b"), 403),
    Reach("clip", "POST", "/clips/{clip}/original/delete", ("outsider", "examiner_b"), 403),
    Reach("clip", "POST", "/clips/{clip}/details", ("outsider", "examiner_b"), 403,
          {"slug": "stolen", "title_zh": "偷"}),
    Reach("clip", "POST", "/clips/{clip}/delete", ("outsider", "examiner_b"), 403),
    # ... and a clip of one's own cohort not yet published (kept from the cohort's trainees)
    Reach("clip", "GET", "/clips/{draft_clip}", ("victim",), 404, owner="trainer_a"),
    Reach("clip", "GET", "/clips/{draft_clip}/media/720p", ("victim",), 404),
    Reach("clip", "GET", "/clips/{draft_clip}/offline/zh_CN.mp4", ("victim",), 404,
          owner="trainer_a"),
    Reach("clip", "GET", "/clips/{draft_clip}/captions/zh_CN.vtt", ("victim",), 404),
    Reach("clip", "GET", "/clips/{draft_clip}/chapters/en.vtt", ("victim",), 404),
    Reach("clip", "POST", "/clips/{draft_clip}/progress", ("victim",), 404,
          json={"segments": [[0, 2]], "position": 2}),
    Reach("clip", "POST", "/clips/{draft_clip}/answers", ("victim",), 404,
          json={"question": 0, "choice": 1}),
    # ... the progress and answers of the clip shared with cohort A: its trainee gets in
    Reach("clip", "POST", "/clips/{clip}/progress", ("outsider",), 404,
          json={"segments": [[0, 1]], "position": 1}, owner="victim"),
    Reach("clip", "POST", "/clips/{clip}/answers", ("outsider",), 404,
          json={"question": 0, "choice": 1}, owner="victim"),
    # a link of one clip removed through another clip's URL
    Reach("clip", "POST", "/clips/{clip}/links/{other_link}/delete", ("trainer_a",), 404),
    Reach("clip", "POST", "/clips/{other_clip}/links/{other_link}/delete", ("outsider",), 403,
          owner="trainer_a", owner_status=302),
    # another trainer's upload in progress
    Reach("upload", "GET", "/clips/uploads/{upload_b}", ("trainer_a",), 404),
    Reach("upload", "PATCH", "/clips/uploads/{upload_b}", ("trainer_a",), 404),
    Reach("upload", "DELETE", "/clips/uploads/{upload_b}", ("trainer_a",), 404),
    # an id of another's object in a form field, sent to a page of one's own
    Reach("form field", "POST", "/review/bulk", ("examiner_b",), 302,
          {"action": "release", "attempts": "{reviewed}"}, owner="examiner_a", owner_status=302),
    Reach("form field", "POST", "/review/bulk", ("examiner_b",), 302,
          {"action": "claim", "attempts": "{reviewed}"}),
    Reach("form field", "POST", "/clips/{clip}/details", ("trainer_b",), 400,
          {"slug": "route-clip", "title_zh": "路线", "published": "y",
           "cohorts": "{cohort_a}"}),
    Reach("form field", "POST", "/clips/{clip}/links", ("trainer_a",), 400,
          {"scenario_id": "{draft_b}", "node": ""}),
    Reach("form field", "POST", "/cohorts/{cohort_a}/certification/rules", ("trainer_a",), 400,
          {"required": "{assignment_b}", "minimum_total": "1"}),
    Reach("form field", "POST", "/cohorts/{cohort_a}/certification/issue", ("trainer_a",), 404,
          {"trainee_id": "{outsider}"}),
    Reach("form field", "POST", "/cohorts/{cohort_a}/examiners", ("trainer_a",), 400,
          {"examiner_ids": "{classmate}"}),
    # API tokens of another user, and another cohort through one's own token
    Reach("api token", "POST", "/account/api-tokens/{token_a}/revoke", ("examiner_b",), 404),
    Reach("api token", "POST", "/account/api-tokens", ("examiner_b",), 400,
          {"name": "reach A", "cohort_ids": "{cohort_a}"}),
    Reach("api", "GET", "/api/v1/cohorts/{cohort_a}", (), 404, bearer=True),
    Reach("api", "GET", "/api/v1/cohorts/{cohort_a}/trainees", (), 404, bearer=True),
    Reach("api", "GET", "/api/v1/cohorts/{cohort_a}/certificates", (), 404, bearer=True),
    Reach("api", "GET", "/api/v1/attempts/{attempt}", (), 404, bearer=True),
    Reach("api", "GET", "/api/v1/attempts/{reviewed}/grade", (), 404, bearer=True),
]

KINDS = list(dict.fromkeys(reach.kind for reach in REACHES))
FOREIGN = project_root() / "scenarios" / "foreign-resident.yaml"
VILLAGE_MAP = project_root() / "scenarios" / "village-map.yaml"


@cache
def _scenario(path: Path) -> Any:
    return loader.load(path)


def with_more(estate: Estate, db: Any) -> None:
    """Two more attempts of the victim in cohort A, whose exercises have the sheets the
    baseline lacks: an HMT/foreign household already met (Mr Kim), and a small-area map; the
    Wangs met in the victim's baseline attempt (their form opens) and the listing walk's
    building of theirs; a map drawn in the reviewed attempt. Only some rows need them."""
    from trainer.fieldwork import listing
    from trainer.fieldwork import services as fieldwork_services
    from trainer.fieldwork.models import Attempt, Mode
    from trainer.scenarios import services as scenario_services

    trainer, victim = estate.users["trainer_a"], estate.users["victim"]
    cohort = db.get(Cohort, estate.ids["cohort_a"])

    def attempt_of(path: Any) -> Any:
        version = scenario_services.publish(db, _scenario(path), actor=None)
        assignment = fieldwork_services.assign(db, actor=trainer, cohort=cohort,
                                               version=version, mode=Mode.PRACTICE,
                                               due_on=None)
        return fieldwork_services.start_attempt(db, victim, assignment)

    hmt_attempt = attempt_of(FOREIGN)
    fieldwork_services.take_step(db, hmt_attempt, "kim", "knock", datetime(2020, 11, 9, 19))
    for action in ("greet", "show_id", "use_interpreter", "book_appointment"):
        fieldwork_services.take_step(db, hmt_attempt, "kim", action, None)
    map_attempt = attempt_of(VILLAGE_MAP)
    db.get(Attempt, estate.ids["reviewed"]).map_drawing = VICTIM_MAP
    attempt = db.get(Attempt, estate.ids["attempt"])
    fieldwork_services.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19))
    visit = fieldwork_services.replay_attempt(attempt)
    walk = listing._walk(attempt, visit)
    db.flush()
    estate.ids.update(hmt_attempt=hmt_attempt.id, map_attempt=map_attempt.id,
                      wang_building=next(b.number for b in walk.buildings
                                         if "wang" in b.units))


def with_clips(estate: Estate, db: Any) -> None:
    """A lesson question on cohort A's clip; a clip shared with cohort A but not published
    yet (its captions, chapters and rendition there to be reached); and another clip with a
    link to a scenario. Only the clip rows need them."""
    from trainer.video.models import Clip, ClipLink, ClipStatus

    clip = db.get(Clip, estate.ids["clip"])
    clip.questions = [dict(LESSON_QUESTION)]
    cohort = db.get(Cohort, estate.ids["cohort_a"])
    draft = Clip(slug="draft-clip", title_zh="未发布", filename="draft.mp4",
                 original_key="clips/route/original.mp4", status=ClipStatus.READY,
                 duration=2.0, width=1280, height=720, published=False, cohorts=[cohort],
                 renditions=dict(clip.renditions), captions=dict(clip.captions),
                 chapters=list(clip.chapters), questions=[dict(LESSON_QUESTION)])
    other = Clip(slug="other-clip", title_zh="另一个", filename="other.mp4",
                 status=ClipStatus.READY, duration=2.0, width=1280, height=720,
                 published=True, renditions=dict(clip.renditions))
    db.add_all([draft, other])
    db.flush()
    link = ClipLink(clip=other, scenario_id="cooperative-family", node="", criterion="")
    db.add(link)
    db.flush()
    estate.ids.update(draft_clip=draft.id, other_clip=other.id, other_link=link.id)


def _format(value: Any, estate: Estate) -> Any:
    return value.format(**estate.ids) if isinstance(value, str) else value


def send(client: Any, csrf: Any, login_as: Any, estate: Estate, reach: Reach,
         attacker: str) -> Any:
    """Send the request as the attacker, with a valid CSRF token (only access may refuse)."""
    headers: dict[str, str] = dict(reach.headers)
    if reach.bearer:
        headers["Authorization"] = f"Bearer {estate.ids['raw_token_b']}"
    else:
        login_as(user=estate.users[attacker])
    url = estate.url(reach.url)
    if reach.method == "GET":
        return client.get(url, headers=headers)
    token = csrf()
    headers["X-CSRFToken"] = token
    if reach.json is not None:
        return client.open(url, method=reach.method, json=reach.json, headers=headers)
    data = {key: _format(value, estate) for key, value in reach.data.items()}
    return client.open(url, method=reach.method, headers=headers,
                       data={**data, "csrf_token": token})


@pytest.mark.parametrize("kind", KINDS)
def test_nobody_reaches_another_users_object(kind, estate, client, csrf, login_as, db):
    """Every row of the kind, by every attacker it names: the expected refusal, and not one
    row of any table changed. The failures are listed together."""
    if kind in ("attempt", "field sheet", "review"):
        with_more(estate, db)
    if kind == "clip":
        with_clips(estate, db)
    failures = []
    for reach in (reach for reach in REACHES if reach.kind == kind):
        for attacker in reach.attackers or ("examiner B's API token",):
            before = snapshot(db)
            response = send(client, csrf, login_as, estate, reach, attacker)
            response.close()
            where = f"{reach.method} {estate.url(reach.url)} by {attacker}"
            if response.status_code != reach.expected:
                failures.append(f"{where}: {response.status_code}, not {reach.expected}")
            changed = changed_tables(before, snapshot(db))
            if changed:
                failures.append(f"{where}: changed {changed}")
    assert failures == []

def test_the_rightful_user_gets_in(estate, client, csrf, login_as, db):
    """The rows with an owner, sent by that owner: the status of success, and a POST changes
    the database (so each refusal above stops a request that would have worked)."""
    with_more(estate, db)
    with_clips(estate, db)
    failures = []
    for reach in {(r.method, r.url): r for r in REACHES if r.owner}.values():
        before = snapshot(db)
        response = send(client, csrf, login_as, estate, reach, reach.owner or "")
        response.close()
        where = f"{reach.method} {estate.url(reach.url)} by {reach.owner}"
        if response.status_code != reach.owner_status:
            failures.append(f"{where}: {response.status_code}, not {reach.owner_status}")
        if reach.method != "GET" and reach.owner_writes and not changed_tables(
                before, snapshot(db)):
            failures.append(f"{where}: changed nothing")
    assert failures == []


# URL arguments that name no object of their own: a part of the object whose id comes before
# them in the same URL (the household of an attempt, a caption's language, a rendition, a
# node of a scenario's dialogue), or a static file. Any other argument is an object's id.
NOT_IDS = {"unit", "locale", "name", "dialogue_id", "node_id", "filename"}

# Id-bearing routes deliberately not in REACHES, each with why no one's object is reached.
NOT_OWNED = {
    # public by design: anyone may check a certificate by the code printed on it
    "certification.verified": "public certificate check by its code",
    # admin only (other roles are refused by role, tests/features/test_routes.py); the
    # admin manages every user's account, so no user's account is out of an admin's reach
    "accounts.user_detail": "admin only, over every account",
    "accounts.change_role": "admin only, over every account",
    "accounts.reset_password": "admin only, over every account",
    "accounts.set_active": "admin only, over every account",
    "accounts.export_personal_data": "admin only, over every account",
    "accounts.delete_personal_data": "admin only, over every account",
    # the synthetic worlds are the programme's shared reference data: no owner, any trainer
    # or admin reads them (trainees and examiners are refused by role)
    "worlds.show": "shared reference data",
    "worlds.grid": "shared reference data",
    "worlds.grid_geojson_download": "shared reference data",
    "worlds.area": "shared reference data",
    "worlds.household": "shared reference data",
    "worlds.overview": "shared reference data",
    "worlds.count_status": "shared reference data",
    "worlds.recount": "shared reference data",
}


def _covered(app: Any) -> set[tuple[str, str]]:
    """(endpoint, method) of every row, its URL's ids filled with 1."""
    class Ones(dict):  # type: ignore[type-arg]
        def __missing__(self, key: str) -> str:
            return "1"

    adapter = app.url_map.bind("localhost")
    covered = set()
    for reach in REACHES:
        path = reach.url.format_map(Ones()).split("?")[0]
        endpoint, _args = adapter.match(path, method=reach.method)
        covered.add((endpoint, reach.method))
    return covered


def unreached(app: Any) -> tuple[list[str], set[str]]:
    """The methods of id-bearing URL rules neither in REACHES nor in NOT_OWNED, and the
    endpoints of every id-bearing rule."""
    covered = _covered(app)
    missing, rules = [], set()
    for rule in app.url_map.iter_rules():
        if not set(rule.arguments) - NOT_IDS:
            continue
        rules.add(rule.endpoint)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (rule.endpoint, method) not in covered and rule.endpoint not in NOT_OWNED:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    return missing, rules


def test_every_route_reaching_an_object_is_in_the_table(app):
    """Each method of each URL rule with an object's id in it (an <int:...> or any argument
    not in NOT_IDS) has a row in REACHES, or its endpoint is in NOT_OWNED with the reason:
    a new id-bearing route fails here until it is one or the other."""
    missing, rules = unreached(app)
    assert missing == [], "id-bearing routes neither in REACHES nor in NOT_OWNED:\n" + "\n".join(
        missing)
    covered = _covered(app)
    stale = [name for name in NOT_OWNED
             if name not in rules or any(endpoint == name for endpoint, _ in covered)]
    assert stale == [], "NOT_OWNED names routes without ids, or ones REACHES covers"


def test_a_new_route_reaching_an_object_is_caught(app):
    """The check above is not vacuous: a new id-bearing route, or a new method of a covered
    one, shows up until it has a row; a route with only a part's name in its URL does not."""

    def new_view(**_kwargs: Any) -> str:
        return "reached"

    app.add_url_rule("/things/<int:thing_id>", "video.a_new_thing", new_view)
    app.add_url_rule("/clips/<int:clip_id>/notes/<token>", "video.a_new_note", new_view,
                     methods=["PUT"])
    app.add_url_rule("/help/<locale>", "video.a_new_help", new_view)
    missing, _rules = unreached(app)
    assert missing == ["GET /things/<int:thing_id> (video.a_new_thing)",
                       "PUT /clips/<int:clip_id>/notes/<token> (video.a_new_note)"]


# Form fields that name an object by its id (or a scenario by its name): found in every form
# class of the application (`id_fields`), so a field added later fails
# `test_every_form_field_naming_an_object_is_in_the_table` until it is one or the other below.
def _names_an_object(name: str, field: Any) -> bool:
    return (name.endswith(("_id", "_ids")) or field.kwargs.get("coerce") is int
            or name in {"version", "world", "cohorts", "attempts", "required"})


# field -> the endpoint of a REACHES row that sends it holding another's object
ID_FIELDS_REACHED = {
    "BulkForm.attempts": "review.bulk",
    "DetailsForm.cohorts": "video.save_details",
    "LinkForm.scenario_id": "video.add_link",
    "RulesForm.required": "certification.rules",
    "IssueForm.trainee_id": "certification.issue",
    "ExaminersForm.examiner_ids": "accounts.cohort_examiners",
    "TokenForm.cohort_ids": "api.create_token",
    "NewScenarioForm.scenario_id": "scenarios.new",
    "DuplicateForm.scenario_id": "scenarios.duplicate",
}
# field -> why no one's object is reached through it
ID_FIELDS_NOT_OWNED = {
    "CohortForm.trainer_id": "a trainer's new cohort is their own whatever the form names "
                             "(tests/features/test_admin.py); an admin names any trainer",
    "CohortForm.examiner_ids": "the choices are the examiners; a new cohort is the actor's",
    "CohortEditForm.trainer_id": "a trainer's choice is themselves only (SelectField choices); "
                                 "an admin names any trainer",
    "AddTraineeForm.user_id": "any trainer may put an existing trainee in their own cohort, "
                              "as the CSV import does (the cohort's id is the URL's, checked)",
    "AssignForm.version": "published versions are the programme's library: any trainer "
                          "assigns any",
    "StartPlayForm.version": "a published version of the scenario in the URL (the library's)",
    "DuplicateForm.version": "a published version of the scenario in the URL (the library's)",
    "TaskForm.world": "worlds are shared reference data (NOT_OWNED)",
    "AssignForm.world": "no id: whose world the trainees meet, one of four policies",
    "ComposeForm.segment_1": "every clip is every trainer's to use (video.services.may_manage)",
    "ComposeForm.segment_2": "every clip is every trainer's to use (video.services.may_manage)",
    "ComposeForm.segment_3": "every clip is every trainer's to use (video.services.may_manage)",
    "ComposeForm.segment_4": "every clip is every trainer's to use (video.services.may_manage)",
    "ComposeForm.segment_5": "every clip is every trainer's to use (video.services.may_manage)",
    "RegisterRowForm.unit_id": "a dwelling unit of the attempt's own scenario (the attempt's "
                               "id is the URL's, checked); another unit is refused",
}


def id_fields() -> set[str]:
    """"Form.field" of every field of the application's forms that names an object."""
    from wtforms import Form
    from wtforms.fields.core import UnboundField

    import trainer

    found, classes = set(), list(Form.__subclasses__())
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        if not cls.__module__.startswith(trainer.__name__ + "."):
            continue
        for name in dir(cls):
            field = getattr(cls, name, None)
            if isinstance(field, UnboundField) and _names_an_object(name, field):
                found.add(f"{cls.__name__}.{name}")
    return found


def test_every_form_field_naming_an_object_is_in_the_table(app):
    """Each form field holding an object's id is sent in a REACHES row with another's object
    (a row of the endpoint named, with the field in its data), or is listed as reaching no
    one's object, with why."""
    fields = id_fields()
    assert {"BulkForm.attempts", "IssueForm.trainee_id"} <= fields  # the forms were read
    assert fields - set(ID_FIELDS_REACHED) - set(ID_FIELDS_NOT_OWNED) == set(), \
        "form fields naming an object, in neither table"
    assert set(ID_FIELDS_REACHED) | set(ID_FIELDS_NOT_OWNED) <= fields, "names of no field"
    assert not set(ID_FIELDS_REACHED) & set(ID_FIELDS_NOT_OWNED)
    adapter = app.url_map.bind("localhost")

    class Ones(dict):  # type: ignore[type-arg]
        def __missing__(self, key: str) -> str:
            return "1"

    sent = {(adapter.match(reach.url.format_map(Ones()).split("?")[0],
                           method=reach.method)[0], name)
            for reach in REACHES for name in {**reach.data, **(reach.json or {})}
            if isinstance(reach.json, dict | None)}
    missing = [f"{field} ({endpoint})" for field, endpoint in ID_FIELDS_REACHED.items()
               if (endpoint, field.split(".")[1]) not in sent]
    assert missing == [], "no REACHES row sends these fields"


def test_a_classmate_sees_and_changes_only_their_own_drawing(estate, client, csrf, login_as,
                                                            db):
    from trainer.maps.models import MapDrawing

    login_as(user=estate.users["classmate"])
    shown = client.get(estate.url("/training/maps/{task_a}/drawing")).get_json()
    assert shown["drawing"] is None  # not the victim's
    assert "victim" not in client.get(estate.url("/training/maps/{task_a}/drawing.svg")).text
    saved = client.post(estate.url("/training/maps/{task_a}/drawing"), headers={
        "X-CSRFToken": csrf()}, json={"type": "FeatureCollection", "features": []})
    assert saved.status_code == 200
    victims = db.get(MapDrawing, estate.ids["drawing_a"])
    db.refresh(victims)
    assert victims.geojson["properties"]["title"] == VICTIM_MAP["properties"]["title"]
    assert victims.trainee_id == estate.ids["victim"]


def test_lists_of_another_cohort_stay_empty(estate, client, login_as):
    login_as(user=estate.users["examiner_b"])
    queue = client.get(estate.url("/review?cohort={cohort_a}&status=all")).text
    assert estate.users["victim"].full_name not in queue
    assert "examiner A&#39;s token" not in client.get("/account/api-tokens").text
    login_as(user=estate.users["outsider"])
    assert "route-clip" not in client.get("/clips").text and "路线" not in client.get(
        "/clips").text
    training = client.get("/training").text
    assert estate.users["victim"].full_name not in training


def test_a_token_filter_outside_its_scope_matches_nothing(estate, client):
    headers = {"Authorization": f"Bearer {estate.ids['raw_token_b']}"}
    for query in (f"cohort={estate.ids['cohort_a']}", f"trainee={estate.ids['victim']}"):
        answer = client.get(f"/api/v1/attempts?{query}", headers=headers)
        assert answer.status_code == 200
        assert answer.get_json()["items"] == [] and answer.get_json()["total"] == 0


def test_an_examiner_removed_from_a_cohort_loses_it_at_once(estate, client, login_as, db):
    """Access follows the cohort's examiners now, not when the page was first opened."""
    from trainer.accounts.models import Cohort

    login_as(user=estate.users["examiner_a"])
    url = estate.url("/review/attempts/{reviewed}")
    assert client.get(url).status_code == 200
    db.get(Cohort, estate.ids["cohort_a"]).examiners = []
    db.flush()
    assert client.get(url).status_code == 404
