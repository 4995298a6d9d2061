"""The area's death form and the long form through the trainee's pages: saved as they change,
checked, refused when wrong (4xx, nothing lost), read-only once submitted, and graded."""

from __future__ import annotations

from datetime import datetime

from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.config import project_root
from trainer.core.census import long_form
from trainer.core.scenario import loader
from trainer.fieldwork import services
from trainer.fieldwork.models import Mode
from trainer.scenarios import services as scenario_services

TRUE_DEATH = {"number": "999", "name": "刘德明", "sex": "1", "birth": "1938-03",
              "died": "2020-06", "age": "82", "ethnicity": "汉族", "education": ""}


def start(db, make_user, trainee, scenario: str):
    trainer = make_user(Role.TRAINER)
    cohort = accounts.create_cohort(db, actor=trainer, name=f"Cohort {scenario} {trainee.username}",
                                    trainer=trainer)
    cohort.trainees = [trainee]
    path = project_root() / "scenarios" / f"{scenario}.yaml"
    version = (scenario_services.publish(db, loader.load(path), actor=None)
               or scenario_services.get_version(db, scenario))
    assignment = services.assign(db, actor=trainer, cohort=cohort, version=version,
                                 mode=Mode.PRACTICE, due_on=None)
    return services.start_attempt(db, trainee, assignment)


def rows_body(csrf, rows, **flags):
    data = {"csrf_token": csrf(), **{k: "y" for k, v in flags.items() if v}}
    for index, row in enumerate(rows):
        data.update({f"rows-{index}-{key}": value for key, value in row.items()})
    return data


def test_the_death_form_is_saved_checked_and_graded(client, csrf, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee, "whole-household-death")
    url = f"/training/attempts/{attempt.id}/deaths"
    assert 'data-test="deaths"' in client.get(f"/training/attempts/{attempt.id}").get_data(
        as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert 'data-test="deaths-form"' in page and 'data-test="no-deaths"' in page

    added = client.post(url, data=rows_body(csrf, [], add_row="1"))
    assert added.status_code == 302 and added.location.endswith("/deaths?add=1")
    assert 'data-test="death-0"' in client.get(added.location).get_data(as_text=True)

    late = {**TRUE_DEATH, "died": "2020-11"}  # after the standard time: a living person
    assert client.post(url, data=rows_body(csrf, [late], complete=True)).status_code == 302
    db.refresh(attempt)
    assert attempt.deaths == {"rows": [{**late, "number": 999, "sex": 1, "age": 82,
                                        "education": None}], "complete": False}
    assert "Only deaths from 2019-11 to 2020-10 belong on this form." in client.get(
        url).get_data(as_text=True)

    for bad in ({"sex": "7"}, {"number": "1000"}, {"birth": "1938-03-21"}):
        refused = client.post(url, data=rows_body(csrf, [{**TRUE_DEATH, **bad}]))
        assert refused.status_code == 400, bad
        autosave = client.post(url, data=rows_body(csrf, [{**TRUE_DEATH, **bad}]),
                               headers={"HX-Request": "true"})
        assert "Not saved" in autosave.get_data(as_text=True), bad
    db.refresh(attempt)
    assert attempt.deaths["rows"][0]["died"] == "2020-11"  # nothing lost by the refusals

    # 82 at death: education is asked of him, so the form is not complete without it
    assert client.post(url, data=rows_body(csrf, [TRUE_DEATH], complete=True)).status_code == 302
    db.refresh(attempt)
    assert attempt.deaths["complete"] is False
    assert "Education (aged 6 and over at death) is required." in client.get(url).get_data(
        as_text=True)  # the item named as the form's column names it

    died = services.replay_attempt(attempt).households["liu"].truth.household.deaths[0]
    right = {**TRUE_DEATH, "education": str(int(died.education))}
    # a year off the completed years, and the ethnic group short of its full name: saved,
    # said beside their fields, and the form not complete
    assert 'name="rows-0-remove"' in client.get(url).get_data(as_text=True)
    wrong = {**right, "age": "83", "ethnicity": "汉"}
    assert client.post(url, data=rows_body(csrf, [wrong], complete=True)).status_code == 302
    db.refresh(attempt)
    assert attempt.deaths["complete"] is False and attempt.deaths["rows"][0]["age"] == 83
    page = client.get(url).get_data(as_text=True)
    assert "The age at death does not agree with the months of birth and death" in page
    assert "Write the full name of the ethnic group: 汉族." in page
    assert 'list="ethnic-groups"' in page and '<option value="土家族">' in page
    saved = client.post(url, data=rows_body(csrf, [right], complete=True),
                        headers={"HX-Request": "true"})
    assert "Saved at" in saved.get_data(as_text=True)
    db.refresh(attempt)
    assert attempt.deaths["complete"] is True

    services.submit(db, attempt)
    result = attempt.score["criteria"]["death_form"]
    assert result["applicable"] and result["score"] == 1.0
    assert client.post(url, data=rows_body(csrf, [TRUE_DEATH])).status_code == 409
    page = client.get(url).get_data(as_text=True)
    assert 'disabled' in page and 'name="rows-0-name"' in page
    assert 'name="rows-0-remove"' not in page  # nothing to remove once handed in


def test_the_rows_are_checked_against_h4_of_my_forms(client, csrf, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee, "cooperative-family")
    visit = services.replay_attempt(attempt)
    truth = long_form.record_of(visit.households["wang"].truth.household)
    services.save_form(db, attempt, "wang", truth, complete=True, confirmed=True)
    services.save_register(db, attempt, services.register_truth(visit))
    row = {**TRUE_DEATH, "number": "1", "name": "王老汉", "education": "3"}
    url = f"/training/attempts/{attempt.id}/deaths"
    assert client.post(url, data=rows_body(csrf, [row])).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert 'data-test="death-checks"' in page
    assert "Household 1 reports 0 deaths (男) in H4 but has 1 rows on the death form." in page

    # the R601 form's H4 is checked against the household's rows of the death form
    form_url = f"/training/attempts/{attempt.id}/forms/wang"
    client.post(form_url, data=form_data(csrf, truth, complete=True, confirmed=True))
    assert "H4 Deaths, male is 0 but 1 deaths are on the death form." in client.get(
        form_url).get_data(as_text=True)
    db.refresh(attempt)
    assert attempt.forms["wang"]["complete"] is False
    client.post(form_url, data=form_data(csrf, {**truth, "H4m": 1}, complete=True,
                                         confirmed=True))
    db.refresh(attempt)
    assert attempt.forms["wang"]["complete"] is True
    assert attempt.forms["wang"]["record"]["deaths"] == [
        {"sex": 1, "birth": "1938-03", "died": "2020-06"}]
    assert "death-checks" not in client.get(url).get_data(as_text=True)


def test_another_trainees_death_form_does_not_exist(client, csrf, login_as, make_user, db):
    owner = make_user(Role.TRAINEE)
    attempt = start(db, make_user, owner, "whole-household-death")
    login_as(Role.TRAINEE)
    url = f"/training/attempts/{attempt.id}/deaths"
    assert client.get(url).status_code == 404
    assert client.post(url, data=rows_body(csrf, [TRUE_DEATH])).status_code == 404


def form_data(csrf, record, **flags):
    """The POST body of the R601 page for a record."""
    data = {"csrf_token": csrf(), **{k: "" if v is None else str(v) for k, v in record.items()
                                     if k not in ("persons", "deaths")}}
    for index, person in enumerate(record["persons"]):
        for key, value in person.items():
            data[f"persons-{index}-{key}"] = "" if value is None else str(value)
    data.update({k: "y" for k, v in flags.items() if v})
    return data


def meet(db, attempt, unit, at):
    """Knock where someone is in: a household's form opens once it has been met."""
    services.take_step(db, attempt, unit, "knock", at)
    db.commit()


def visit_and_ask_housing(db, attempt):
    """Go on with the visit to Liu and ask the long form's housing items (H8-H18)."""
    for action in ("show_id", "ask_item:roster", "ask_item:D3", "ask_item:housing"):
        services.take_step(db, attempt, "liu", action, None)
    db.commit()


def test_a_sampled_household_fills_the_long_form_on_its_r601_page(client, csrf, login_as,
                                                                   make_user, db):
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee, "hukou-elsewhere")
    meet(db, attempt, "liu", datetime(2020, 11, 6, 19))
    url = f"/training/attempts/{attempt.id}/forms/liu"
    page = client.get(url).get_data(as_text=True)
    assert 'data-test="long-form"' in page and 'name="H18"' in page
    assert 'data-test="long-form-answers"' not in page  # nothing asked yet
    visit_and_ask_housing(db, attempt)
    page = client.get(url).get_data(as_text=True)
    assert 'data-test="long-form-answers"' in page and "1100" in page  # the rent they told
    truth = long_form.record_of(services.replay_attempt(attempt).households["liu"]
                                .truth.household)

    no_rent = {**truth, "H18": None}
    assert client.post(url, data=form_data(csrf, no_rent, complete=True,
                                           confirmed=True)).status_code == 302
    db.refresh(attempt)
    assert attempt.forms["liu"]["complete"] is False
    assert "H18 Monthly rent (yuan, renters only) is required." in client.get(url).get_data(
        as_text=True)
    assert client.post(url, data={**form_data(csrf, truth), "H12": "9"}).status_code == 400

    assert client.post(url, data=form_data(csrf, truth, complete=True,
                                           confirmed=True)).status_code == 302
    db.refresh(attempt)
    assert attempt.forms["liu"]["complete"] is True
    assert attempt.forms["liu"]["record"]["H18"] == 1100
    services.submit(db, attempt)
    assert attempt.score["criteria"]["long_form"]["score"] == 1.0


def test_a_household_not_sampled_keeps_a_short_form(client, csrf, login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee, "cooperative-family")
    meet(db, attempt, "wang", datetime(2020, 11, 2, 19))
    url = f"/training/attempts/{attempt.id}/forms/wang"
    assert 'data-test="long-form"' not in client.get(url).get_data(as_text=True)
    truth = long_form.record_of(services.replay_attempt(attempt).households["wang"]
                                .truth.household)
    assert client.post(url, data={**form_data(csrf, truth), "H8": "2", "H18": "500"}
                       ).status_code == 302
    db.refresh(attempt)
    assert not set(long_form.ITEMS) & attempt.forms["wang"]["record"].keys()


def test_a_finding_on_the_death_form_links_to_its_field(app) -> None:
    from trainer.fieldwork.views import finding_url

    class Attempt:
        id = 5
        hmt_forms = None

    with app.test_request_context():
        assert finding_url(Attempt(), "deaths/rows[1]/died") == (
            "/training/attempts/5/deaths#rows-1-died")
        assert finding_url(Attempt(), "deaths") == "/training/attempts/5/deaths"


def test_a_full_death_form_is_told_so_when_a_row_is_added(client, csrf, login_as, make_user,
                                                          db):
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee, "whole-household-death")
    url = f"/training/attempts/{attempt.id}/deaths"
    added = client.post(url, data=rows_body(csrf, [TRUE_DEATH] * 100, add_row="1"))
    assert added.status_code == 302
    page = client.get(added.location)  # 100 rows saved: no room for another (was a 500)
    assert page.status_code == 200
    assert "The form holds at most 100 rows." in page.get_data(as_text=True)
    db.refresh(attempt)
    assert len(attempt.deaths["rows"]) == 100


def test_the_death_form_columns_are_headed_in_the_page_language(client, login_as, make_user,
                                                                 db):
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee, "whole-household-death")
    page = client.get(f"/training/attempts/{attempt.id}/deaths",
                      headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    head = page.split("<thead>")[1].split("</thead>")[0]
    for label in ("户编号", "性别", "死亡年月", "民族", "删除此行"):
        assert label in head
    for english in (">number<", ">sex<", ">died<", ">remove<"):
        assert english not in head


def test_the_death_form_asks_a_persons_name(client, login_as, make_user, db):
    """The column of the deceased's name reads 姓名 (a person's), not 名称 (a thing's)."""
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee, "whole-household-death")
    url = f"/training/attempts/{attempt.id}/deaths?add=1"
    zh = client.get(url, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<th scope="col">姓名</th>' in zh and "名称" not in zh
    assert 'aria-label="姓名"' in zh
    en = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<th scope="col">Full name</th>' in en


def register_999(db, attempt, *units):
    """The trainee's register with `units` recorded as whole-household deaths (999)."""
    services.save_register(db, attempt, {unit: {"building": 6, "unit": 201 + index,
                                                "number": 999, "status": "all_died"}
                                         for index, unit in enumerate(units)})
    db.commit()


def test_a_whole_household_death_fills_h4_only_on_its_999_form(client, csrf, login_as,
                                                                make_user, db):
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee, "whole-household-death")
    url = f"/training/attempts/{attempt.id}/forms/liu"
    assert client.get(url).status_code == 404  # nobody ever opens: nothing says 999 yet
    assert "data-test=\"form-liu\"" not in client.get(
        f"/training/attempts/{attempt.id}").get_data(as_text=True)

    register_999(db, attempt, "liu")
    listed = client.get(f"/training/attempts/{attempt.id}").get_data(as_text=True)
    assert ('data-test="form-liu">R601 · 东茅岭路 building 6, unit 201 · household number 999'
            '</a>') in listed
    page = client.get(url).get_data(as_text=True)
    assert 'data-test="all-died-note"' in page and 'id="H4m"' in page and 'id="H4f"' in page
    assert 'id="H1"' not in page and 'id="H2a"' not in page and "persons-0-D1" not in page
    assert "Add a person" not in page

    # whatever else is posted, a 999 form keeps H4 only; no death row yet: H4 disagrees
    posted = form_data(csrf, {"H1": 1, "H2a": 2, "H4m": 1, "H4f": 0,
                              "persons": [{"D1": "刘德明", "D2": 0}]}, complete=True)
    assert client.post(url, data=posted).status_code == 302
    db.refresh(attempt)
    assert attempt.forms["liu"] == {"record": {"all_died": True, "H4m": 1, "H4f": 0,
                                               "persons": [], "deaths": []},
                                    "complete": False, "confirmed": False}
    assert "H4 Deaths, male is 1 but 0 deaths are on the death form." in client.get(
        url).get_data(as_text=True)

    died = services.replay_attempt(attempt).households["liu"].truth.household.deaths[0]
    row = {**TRUE_DEATH, "education": str(int(died.education))}
    deaths_url = f"/training/attempts/{attempt.id}/deaths"
    assert client.post(deaths_url, data=rows_body(csrf, [row], complete=True)).status_code == 302
    assert "death-checks" not in client.get(deaths_url).get_data(as_text=True)
    assert client.post(url, data=posted).status_code == 302
    db.refresh(attempt)
    assert attempt.forms["liu"]["complete"] is True

    services.submit(db, attempt)
    criteria = attempt.score["criteria"]
    assert criteria["coverage"]["score"] == 1.0, criteria["coverage"]
    # its register row (persons living here and away left blank: nobody lives there) is right
    assert criteria["register_accuracy"]["score"] == 1.0, criteria["register_accuracy"]
    assert criteria["form_accuracy"]["score"] == 1.0, criteria["form_accuracy"]
    assert criteria["form_completeness"]["score"] == 1.0


def test_the_999_form_is_graded_when_left_out_or_wrong(login_as, make_user, db):
    trainee = login_as(Role.TRAINEE)
    left_out = start(db, make_user, trainee, "whole-household-death")
    register_999(db, left_out, "liu")
    services.submit(db, left_out)
    coverage = left_out.score["criteria"]["coverage"]
    assert coverage["score"] < 1.0
    assert [f["where"] for f in coverage["findings"]] == ["liu"]

    wrong = start(db, make_user, make_user(Role.TRAINEE), "whole-household-death")
    register_999(db, wrong, "liu")
    services.save_form(db, wrong, "liu", {"H4m": 0, "H4f": 1}, complete=False,
                       confirmed=False)
    services.submit(db, wrong)
    accuracy = wrong.score["criteria"]["form_accuracy"]
    assert accuracy["score"] == 0.0
    assert [f["where"] for f in accuracy["findings"]] == ["liu/H4m", "liu/H4f"]


def test_any_unit_the_register_calls_999_opens_a_999_form(client, csrf, login_as, make_user,
                                                          db):
    """Whatever lives there (here a vacant flat and a family never met): the form opening
    tells the trainee nothing the register did not say."""
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee, "vacant-second-home")
    for unit in ("zhang", "tan"):
        assert client.get(f"/training/attempts/{attempt.id}/forms/{unit}").status_code == 404
    register_999(db, attempt, "zhang", "tan")
    for unit in ("zhang", "tan"):
        page = client.get(f"/training/attempts/{attempt.id}/forms/{unit}")
        assert page.status_code == 200 and 'data-test="all-died-note"' in page.get_data(
            as_text=True)
    # two 999 households share the number on the death form: H4 is not checked per form
    body = form_data(csrf, {"H4m": 0, "H4f": 2, "persons": []}, complete=True)
    assert client.post(f"/training/attempts/{attempt.id}/forms/tan", data=body).status_code == 302
    db.refresh(attempt)
    assert attempt.forms["tan"]["complete"] is True
    assert "deaths" not in attempt.forms["tan"]["record"]


def test_a_form_with_persons_stays_one_when_the_register_says_999(client, csrf, login_as,
                                                                  make_user, db):
    trainee = login_as(Role.TRAINEE)
    attempt = start(db, make_user, trainee, "cooperative-family")
    meet(db, attempt, "wang", datetime(2020, 11, 2, 19))
    truth = long_form.record_of(services.replay_attempt(attempt).households["wang"]
                                .truth.household)
    url = f"/training/attempts/{attempt.id}/forms/wang"
    assert client.post(url, data=form_data(csrf, truth)).status_code == 302
    register_999(db, attempt, "wang")
    page = client.get(url).get_data(as_text=True)
    assert 'data-test="all-died-note"' not in page and 'id="H1"' in page
    assert client.post(url, data=form_data(csrf, truth)).status_code == 302
    db.refresh(attempt)
    assert len(attempt.forms["wang"]["record"]["persons"]) == len(truth["persons"])
