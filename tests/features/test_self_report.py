"""Self-reporting followed up through the test client: a household given self-reporting that
submits (its form arrives in the attempt, the trainee phones to review it) and one that never
does (visited from the day after the deadline), then the grade."""

from __future__ import annotations

from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.core.scenario import loader
from trainer.fieldwork import services
from trainer.fieldwork.models import Mode
from trainer.scenarios import services as scenario_services

TEXT = """\
id: self-report-feature
version: 1
title: {zh_CN: 自主填报跟进, en: Self-reporting follow-up}
summary: {zh_CN: 测试, en: Test}
difficulty: 1
minutes: 5
objectives: [{zh_CN: 测试, en: Test}]
world:
  seed: 5
  households:
    - id: sub
      address: {building: 1, unit: 101}
      persons:
        - {name: 王强, relation: 0, sex: 1, birth: 1980-02-03, education: 5}
    - id: non
      address: {building: 1, unit: 102}
      persons:
        - {name: 赵刚, relation: 0, sex: 1, birth: 1970-07-08}
assignment:
  units: [sub, non]
  first_day: 2020-11-03
  days: 6
  max_visits: 3
respondents:
  sub:
    dialogue: main
    self_report: {submits: true, on: 2020-11-04, mistakes: [{item: H6, value: 99}]}
  non: {dialogue: main, self_report: {submits: false}}
dialogues:
  main:
    start: door
    revisit: again
    nodes:
      door:
        says: {zh_CN: 谁呀？, en: "Who is it?"}
        actions:
          - {do: show_id}
          - {do: offer_self_report, end: self_reporting}
      again:
        says: {zh_CN: 没顾上填，你登记吧。, en: "We never got round to it; register us."}
        actions:
          - {do: show_id}
          - {do: ask_item, item: roster}
          - {do: read_back, end: completed}
rubric:
  criteria:
    - {criterion: outcome}
    - {criterion: self_report_followup}
    - {criterion: form_accuracy}
"""


def setup(db, make_user, trainee):
    trainer = make_user(Role.TRAINER)
    cohort = accounts.create_cohort(db, actor=trainer, name="Self-report", trainer=trainer)
    cohort.trainees = [trainee]
    version = scenario_services.publish(db, loader.parse(TEXT), actor=None)
    assert version is not None
    return services.assign(db, actor=trainer, cohort=cohort, version=version,
                           mode=Mode.PRACTICE, due_on=None)


def test_a_self_reporting_household_is_reviewed_and_another_visited_after_the_deadline(
        client, csrf, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    assignment = setup(db, make_user, trainee)
    client.post(f"/training/exercises/{assignment.id}/attempts", data={"csrf_token": csrf()})
    attempt = services.attempts_for(db, trainee)[assignment.id][0]
    url = f"/training/attempts/{attempt.id}"

    def step(household, action, **extra):
        return client.post(f"{url}/steps", data={"household": household, "action": action,
                                                 "csrf_token": csrf(), **extra})

    for unit, time in (("sub", "19:00"), ("non", "20:00")):
        assert step(unit, "knock", day="2020-11-03", time=time).status_code == 302
        assert step(unit, "show_id").status_code == 302
        assert step(unit, "offer_self_report").status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert 'data-test="self-report-sub"' in page and "awaited until 24:00 on 2020-11-05" in page
    assert 'data-action="phone_check"' in page
    db.refresh(attempt)
    assert "sub" not in attempt.forms  # nothing has arrived yet

    assert step("sub", "phone_check").status_code == 400  # a call needs its day and time
    db.refresh(attempt)
    assert attempt.forms == {}

    assert step("sub", "phone_check", day="2020-11-04", time="19:00").status_code == 302
    db.refresh(attempt)
    entry = attempt.forms["sub"]
    assert entry["source"] == "self" and entry["received_on"] == "2020-11-04"
    assert entry["record"]["H6"] == 99 and entry["complete"]
    form_page = client.get(f"{url}/forms/sub").get_data(as_text=True)
    assert 'data-test="self-report-banner"' in form_page
    assert "received on 2020-11-04" in form_page and 'data-test="self-report-call"' in form_page
    called = step("sub", "phone_check", day="2020-11-04", time="20:00")
    assert called.status_code == 409  # reviewed once already
    knocked = step("sub", "knock", day="2020-11-06", time="10:00")
    assert knocked.status_code == 409  # received: no visit is needed

    assert step("non", "knock", day="2020-11-06", time="10:00").status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "The self-report did not come by the deadline" in page
    for action in ("show_id", "ask_item:roster", "read_back"):
        assert step("non", action).status_code == 302
    assert step("non", "phone_check", day="2020-11-06", time="19:00").status_code == 409

    db.refresh(attempt)
    truth = services.replay_attempt(attempt).households["sub"].truth.household
    record = dict(entry["record"], H6=truth.floor_area)  # corrected after the call
    services.save_form(db, attempt, "sub", record, complete=True, confirmed=True)
    assert attempt.forms["sub"]["source"] == "self"  # the trainee's save keeps its origin
    assert client.post(f"{url}/submit", data={"csrf_token": csrf()}).status_code == 302
    db.refresh(attempt)
    criteria = attempt.score["criteria"]
    assert criteria["self_report_followup"]["score"] == 1
    assert criteria["outcome"]["score"] == 1
    findings = criteria["form_accuracy"]["findings"]
    assert not [f for f in findings if f["where"] == "sub/H6"]


def test_a_knock_on_the_day_the_form_arrives_receives_it(client, csrf, login_as, make_user,
                                                          db):
    trainee = login_as(Role.TRAINEE)
    attempt = services.start_attempt(db, trainee, setup(db, make_user, trainee))
    url = f"/training/attempts/{attempt.id}"

    def step(household, action, **extra):
        return client.post(f"{url}/steps", data={"household": household, "action": action,
                                                 "csrf_token": csrf(), **extra})

    assert step("sub", "knock", day="2020-11-03", time="19:00").status_code == 302
    assert step("sub", "show_id").status_code == 302
    assert step("sub", "offer_self_report").status_code == 302
    assert step("sub", "knock", day="2020-11-04", time="10:00").status_code == 302
    db.refresh(attempt)
    assert attempt.forms["sub"]["source"] == "self"
    assert attempt.forms["sub"]["received_on"] == "2020-11-04"
    assert [o.key for o in services.replay_attempt(attempt).offers("sub")] == ["phone_check"]


def test_another_trainee_cannot_phone_or_see_the_self_report(client, csrf, login_as,
                                                             make_user, db):
    owner = make_user(Role.TRAINEE)
    assignment = setup(db, make_user, owner)
    attempt = services.start_attempt(db, owner, assignment)
    login_as(Role.TRAINEE)
    response = client.post(f"/training/attempts/{attempt.id}/steps",
                           data={"household": "sub", "action": "phone_check",
                                 "day": "2020-11-04", "time": "19:00", "csrf_token": csrf()})
    assert response.status_code == 404
    assert client.get(f"/training/attempts/{attempt.id}/forms/sub").status_code == 404


def test_the_demo_trainee_has_a_self_report_to_review(app, db):
    from trainer.accounts import demo as accounts_demo
    from trainer.accounts.services import user_by_username
    from trainer.fieldwork import demo as fieldwork_demo
    from trainer.scenarios import demo as scenarios_demo

    with app.app_context():
        accounts_demo.seed(db)
        scenarios_demo.seed(db)
        fieldwork_demo.seed(db)
    trainee = user_by_username(db, "trainee")
    [attempt] = [a for mine in services.attempts_for(db, trainee).values() for a in mine
                 if a.version.scenario_id == "privacy-self-report"]
    entry = attempt.forms["zhang"]
    assert entry["source"] == "self" and entry["record"]["H6"] == 100
    state = services.replay_attempt(attempt).households["zhang"]
    assert state.report == "received"  # waiting for the trainee's review
