"""The listing walk (摸底) through the test client: the area's buildings, a building's rows saved
in place (and by autosave) into the register, bad input refused with a 400, the self-reporting
code, another trainee kept out, and nothing changing after submission."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.core.census import register
from trainer.core.scenario import loader
from trainer.fieldwork import services
from trainer.fieldwork.models import Mode
from trainer.scenarios import services as scenario_services

# Two buildings on one street: a family and a vacant flat in building 1, a dormitory and a
# family in building 2.
STREET = """\
id: listing-street
version: 1
title: {zh_CN: 摸底练习, en: Listing practice}
summary: {zh_CN: 走访两栋楼, en: Walk two buildings}
difficulty: 1
minutes: 10
objectives: [{zh_CN: 摸底, en: List the units}]
world:
  seed: 5
  households:
    - id: wu
      address: {building: 1, unit: 101, street: 洞庭路}
      persons:
        - {name: 吴刚, relation: 0, sex: 1, birth: 1970-01-01}
        - {name: 陈静, relation: 1, sex: 2, birth: 1972-02-02}
    - id: empty
      kind: vacant
      address: {building: 1, unit: 102, street: 洞庭路}
    - id: dorm
      kind: collective
      address: {building: 2, unit: 1, street: 洞庭路}
      persons:
        - {name: 王磊, relation: 0, sex: 1, birth: 1990-02-02}
        - {name: 赵军, relation: 9, sex: 1, birth: 1992-04-04}
    - id: xu
      address: {building: 2, unit: 2, street: 洞庭路}
      persons:
        - {name: 许可, relation: 0, sex: 2, birth: 1985-05-05}
assignment:
  units: [wu, empty, dorm, xu]
  first_day: 2020-11-02
  days: 3
  max_visits: 2
respondents:
  wu: {dialogue: main}
  empty: {dialogue: main}
  dorm: {dialogue: main}
  xu: {dialogue: main}
dialogues:
  main:
    start: door
    nodes:
      door:
        says: {zh_CN: 你好, en: Hello}
        actions:
          - {do: show_id, goto: done}
      done:
        end: completed
rubric:
  criteria:
    - {criterion: outcome}
    - {criterion: register_accuracy}
    - {criterion: listing}
"""

# One household picked from a generated world: the walk shows the world's area around it.
PICKED = """\
id: listing-world
version: 1
title: {zh_CN: 摸底（世界）, en: Listing in a world}
summary: {zh_CN: 摸底, en: Listing}
difficulty: 1
minutes: 10
objectives: [{zh_CN: 摸底, en: List the units}]
world:
  seed: 5
  households:
    - id: picked
      pick: {grid: 0, kind: family}
assignment:
  units: [picked]
respondents:
  picked: {dialogue: main}
dialogues:
  main:
    start: door
    nodes:
      door:
        says: {zh_CN: 你好, en: Hello}
        actions:
          - {do: show_id, goto: done}
      done:
        end: completed
rubric:
  criteria:
    - {criterion: outcome}
    - {criterion: listing}
"""


def start(db, make_user, trainee, text=STREET, mode=Mode.PRACTICE, **options):
    trainer = make_user(Role.TRAINER)
    cohort = accounts.create_cohort(db, actor=trainer, name=f"Listing {mode}", trainer=trainer)
    cohort.trainees = [trainee]
    version = scenario_services.publish(db, loader.parse(text), actor=None)
    assignment = services.assign(db, actor=trainer, cohort=cohort, version=version, mode=mode,
                                 due_on=None, **options)
    return services.start_attempt(db, trainee, assignment)


def rows_body(csrf, rows: dict[str, dict[str, Any]], **extra: str) -> dict[str, str]:
    data = {"csrf_token": csrf(), **extra}
    for index, (unit, row) in enumerate(rows.items()):
        data[f"rows-{index}-unit_id"] = unit
        for key, value in row.items():
            if value is True:
                data[f"rows-{index}-{key}"] = "y"
            elif value is not None and value is not False:
                data[f"rows-{index}-{key}"] = str(value)
    return data


WU = {"building": 1, "unit": 101, "number": 1, "head": "吴刚", "status": "occupied",
      "present": 2, "away": 0, "mode": "visit", "kind": "family", "letter": True,
      "phone": "13912345678", "remarks": "晚上在家"}
EMPTY = {"building": 1, "unit": 102, "status": "vacant"}


def test_the_walk_saves_a_building_in_place_and_keeps_the_rest(client, csrf, login_as,
                                                                 make_user, db):
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee)
    url = f"/training/attempts/{attempt.id}/listing"
    page = client.get(url).get_data(as_text=True)
    assert 'data-test="building-1"' in page and 'data-test="building-2"' in page
    assert page.count('data-state="none"') == 4  # two buildings, on the map and in the list
    assert 'data-test="choose-building"' in page
    # building 2 already has a row, saved through the whole register
    client.post(f"/training/attempts/{attempt.id}/register",
                data=rows_body(csrf, {"xu": {"building": 2, "unit": 2, "status": "occupied"}}))
    building = client.get(f"{url}?building=1").get_data(as_text=True)
    assert 'data-test="row-wu"' in building and 'data-test="row-empty"' in building
    assert 'data-test="row-dorm"' not in building
    saved = client.post(f"{url}?building=1", data=rows_body(csrf, {"wu": WU, "empty": EMPTY}))
    assert saved.status_code == 302 and saved.headers["Location"].endswith("?building=1")
    db.refresh(attempt)
    assert set(attempt.register) == {"wu", "empty", "xu"}  # building 2's row kept
    assert attempt.register["wu"]["letter"] is True
    assert attempt.register["wu"]["kind"] == "family"
    assert attempt.register["wu"]["phone"] == "13912345678"
    assert attempt.register["empty"]["letter"] is False
    page = client.get(url).get_data(as_text=True)
    assert re.search(r'data-test="building-1" data-state="all"', page)
    assert re.search(r'data-test="building-2" data-state="some"', page)
    autosaved = client.post(f"{url}?building=1", headers={"HX-Request": "true"},
                            data=rows_body(csrf, {"wu": {**WU, "remarks": "周末在家"},
                                                  "empty": EMPTY}))
    assert autosaved.status_code == 200 and "Saved at" in autosaved.get_data(as_text=True)
    db.refresh(attempt)
    assert attempt.register["wu"]["remarks"] == "周末在家"
    # the register page shows the new columns, and links back to the walk
    sheet = client.get(f"/training/attempts/{attempt.id}/register").get_data(as_text=True)
    assert 'data-test="to-listing"' in sheet and "周末在家" in sheet
    assert f'href="/training/attempts/{attempt.id}/listing"' in client.get(
        f"/training/attempts/{attempt.id}").get_data(as_text=True)


def test_bad_input_is_refused_with_a_400_and_keeps_what_was_saved(client, csrf, login_as,
                                                                  make_user, db):
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee)
    url = f"/training/attempts/{attempt.id}/listing?building=1"
    assert client.post(url, data=rows_body(csrf, {"wu": WU})).status_code == 302
    hx = {"HX-Request": "true"}
    for bad, words in ((dict(WU, phone="12345"), "mainland mobile number"),
                       (dict(WU, status="bogus"), "Not saved"),
                       (dict(WU, present="many"), "Not saved")):
        answer = client.post(url, data=rows_body(csrf, {"wu": bad}), headers=hx)
        assert answer.status_code == 400 and words in answer.get_data(as_text=True), bad
        page = client.post(url, data=rows_body(csrf, {"wu": bad}))
        assert page.status_code == 400 and words.replace("Not saved", "") in page.get_data(
            as_text=True)
    stranger = client.post(url, data=rows_body(csrf, {"dorm": {"status": "occupied"}}),
                           headers=hx)
    assert stranger.status_code == 400 and "not in it" in stranger.get_data(as_text=True)
    db.refresh(attempt)
    assert attempt.register["wu"] == {**dict.fromkeys(register.COLUMNS),
                                      **WU, "long_form": False}
    assert client.get(f"/training/attempts/{attempt.id}/listing?building=9").status_code == 404
    assert client.get(f"/training/attempts/{attempt.id}/listing?building=x").status_code == 200


def test_a_self_reporting_household_gets_its_code_once_and_only_if_allowed(
        client, csrf, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee)
    url = f"/training/attempts/{attempt.id}/listing?building=2"
    xu = {"building": 2, "unit": 2, "number": 2, "head": "许可", "status": "occupied",
          "present": 1, "away": 0, "kind": "family", "letter": True}
    dorm = {"building": 2, "unit": 1, "number": 1, "head": "王磊", "status": "occupied",
            "present": 2, "away": 0, "kind": "collective", "letter": True}
    # the row's mode is chosen and the button pressed at once: the rows are saved first
    made = client.post(url, data=rows_body(csrf, {"dorm": dorm, "xu": dict(xu, mode="self")},
                                           issue_code="xu"))
    assert made.status_code == 302
    db.refresh(attempt)
    code = register.self_code(services.code_key(attempt), "xu")
    assert attempt.register["xu"]["code"] == code and attempt.register["xu"]["mode"] == "self"
    page = client.get(url).get_data(as_text=True)
    assert f'data-test="code-xu">{code}<' in page and 'data-test="issue-code-xu"' not in page
    # a code sent from the browser is never taken: the generated one stays
    client.post(url, data=rows_body(csrf, {"dorm": dorm, "xu": dict(xu, mode="self",
                                                                     code="ABCDEFGHJK")}))
    db.refresh(attempt)
    assert attempt.register["xu"]["code"] == code
    refused = client.post(url, data=rows_body(csrf, {"dorm": dorm, "xu": dict(xu, mode="self")},
                                              issue_code="dorm"))
    assert refused.status_code == 400
    assert "may not report itself" in refused.get_data(as_text=True)
    db.refresh(attempt)
    assert attempt.register["dorm"].get("code") is None
    assert attempt.register["dorm"]["kind"] == "collective"  # the rows were saved all the same
    assert client.post(url, data=rows_body(csrf, {"xu": xu}, issue_code="wu")).status_code == 404


def test_another_trainee_never_sees_the_walk_and_a_submitted_one_is_read_only(
        client, csrf, login_as, make_user, db):
    owner = make_user(Role.TRAINEE)
    attempt = start(db, make_user, owner)
    login_as(Role.TRAINEE)
    url = f"/training/attempts/{attempt.id}/listing?building=1"
    assert client.get(url).status_code == 404
    assert client.post(url, data=rows_body(csrf, {"wu": WU})).status_code == 404
    login_as(user=owner)
    assert client.post(url, data=rows_body(csrf, {"wu": WU})).status_code == 302
    db.refresh(attempt)
    services.submit(db, attempt)
    assert attempt.score["criteria"]["listing"]["applicable"]
    page = client.get(url).get_data(as_text=True)
    assert "<fieldset disabled" in page and 'data-test="save-building"' not in page
    late = client.post(url, data=rows_body(csrf, {"wu": dict(WU, head="改了")}))
    assert late.status_code == 409
    late = client.post(url, data=rows_body(csrf, {"wu": dict(WU, head="改了")}),
                       headers={"HX-Request": "true"})
    assert late.status_code == 409
    db.refresh(attempt)
    assert attempt.register["wu"]["head"] == "吴刚"


def test_a_perfect_listing_scores_full_marks(client, csrf, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee)
    truth = services.register_truth(services.replay_attempt(attempt))
    base = f"/training/attempts/{attempt.id}/listing?building="
    for number, units in ((1, ("wu", "empty")), (2, ("dorm", "xu"))):
        assert client.post(base + str(number), data=rows_body(
            csrf, {unit: truth[unit] for unit in units})).status_code == 302
    db.refresh(attempt)
    services.submit(db, attempt)
    assert attempt.score["criteria"]["listing"]["score"] == 1.0
    assert attempt.score["criteria"]["register_accuracy"]["score"] == 1.0


def test_units_from_a_world_are_walked_on_the_worlds_area(client, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee, PICKED)
    truth = services.replay_attempt(attempt).households["picked"].truth
    page = client.get(f"/training/attempts/{attempt.id}/listing").get_data(as_text=True)
    assert 'class="walk-outline"' in page and 'class="world"' in page
    assert f'data-test="building-{truth.building}"' in page
    assert 'class="walk-building state-empty"' in page  # the area's other buildings
    building = client.get(f"/training/attempts/{attempt.id}/listing?building="
                          f"{truth.building}").get_data(as_text=True)
    assert 'data-test="row-picked"' in building


def test_when_the_time_is_up_the_walk_is_refused_and_kept(client, csrf, login_as, make_user,
                                                          db, monkeypatch):
    begin = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    monkeypatch.setattr(services, "utc_now", lambda: begin)
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee, mode=Mode.EXAM, time_limit_minutes=30,
                    world="shared", today=begin.date())
    url = f"/training/attempts/{attempt.id}/listing?building=1"
    hx = {"HX-Request": "true"}
    assert client.post(url, data=rows_body(csrf, {"wu": WU}), headers=hx).status_code == 200
    monkeypatch.setattr(services, "utc_now", lambda: begin + timedelta(minutes=31))
    late = client.post(url, data=rows_body(csrf, {"wu": dict(WU, head="改了")}), headers=hx)
    assert late.status_code == 409 and late.headers["HX-Refresh"] == "true"
    assert "Time is up" in late.get_data(as_text=True)
    db.refresh(attempt)
    assert attempt.register["wu"]["head"] == "吴刚"
