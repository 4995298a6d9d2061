"""The trainee's debrief shows evidence for every finding (issue 7): each finding links to a turn
of the replayed transcript, a place in the trainee's work or the map overlay, and a turn's link
lands on that turn itself (the one the page highlights), the last one too; a map never drawn
points at the area on the overlay."""

from __future__ import annotations

import re

from tests.features.test_attempt_map import start
from tests.features.test_grades import submitted
from trainer.accounts.models import Role
from trainer.core.grading.maps import RUBRIC_NAMES

DEBRIEF = re.compile(r'<section class="debrief" data-test="debrief">(.*?)</section>', re.S)
FINDING = re.compile(r'<li class="(?:good)?">(.*?)</li>', re.S)


def debrief_of(page: str) -> str:
    found = DEBRIEF.search(page)
    assert found, "the debrief is shown"
    return found.group(1)


def test_every_finding_in_the_debrief_opens_its_evidence(client, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    _t, _c, attempt = submitted(db, make_user, trainee)
    page = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    findings = FINDING.findall(debrief_of(page))
    assert findings
    assert [text for text in findings if "<a " not in text] == []


def test_a_finding_s_turn_is_the_transcript_entry_the_page_highlights(client, login_as,
                                                                       make_user, db):
    trainee = login_as(Role.TRAINEE)
    _t, _c, attempt = submitted(db, make_user, trainee)
    page = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    turns = set(re.findall(r'href="#event-(\d+)" data-test="finding-event"', debrief_of(page)))
    last = max(int(seq) for seq in re.findall(r'id="event-(\d+)"', page))
    assert str(last) in turns, "the household's outcome points at the end of its visit"
    for seq in turns:  # the `li.event` itself carries the id: `.event:target` outlines it
        assert re.search(rf'<li class="event[^"]*" id="event-{seq}"', page), seq
    assert page.count('id="latest"') == 1  # where a step returns to, still there


def test_a_map_never_drawn_is_marked_once_on_the_overlay_and_every_finding_opens_it(
        client, csrf, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee)
    db.commit()
    assert client.post(f"/training/attempts/{attempt.id}/submit",
                       data={"csrf_token": csrf()}).status_code == 302
    debrief = debrief_of(client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True))
    assert 'data-test="map-overlay"' in debrief
    assert debrief.count('data-test="map-marker"') == 1  # one marker, not five on one spot
    rows = re.findall(r'<tr data-test="debrief-(map_\w+)">(.*?)</tr>', debrief, re.S)
    assert sorted(name for name, _row in rows) == sorted(RUBRIC_NAMES)
    for name, row in rows:  # each map criterion's finding opens the overlay
        [finding] = FINDING.findall(row)
        assert 'href="#map-overlay"' in finding, name
    assert [text for text in FINDING.findall(debrief) if "<a " not in text] == []
