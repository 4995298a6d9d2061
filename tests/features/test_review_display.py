"""What the examiner's pages print: localised labels in place of codes, ids and raw values."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.features.test_review import setting  # noqa: F401  (a fixture)
from trainer.core.grading.criteria import LABELS
from trainer.fieldwork import services as fieldwork


def _register_truth(page: str) -> list[str]:
    return [re.sub(r"\s+", " ", cell).strip()
            for cell in re.findall(r'<td data-test="register-truth">(.*?)</td>', page, re.S)]


def test_the_true_register_reads_like_the_trainees_register(
        client: FlaskClient, login_as: Any, setting: dict[str, Any]) -> None:  # noqa: F811
    login_as(user=setting["examiner"])
    url = f"/review/attempts/{setting['attempt'].id}"
    cells = _register_truth(client.get(url, headers={"Accept-Language": "en"})
                            .get_data(as_text=True))
    assert cells, "the register has rows"
    occupied = next(cell for cell in cells if "Occupied" in cell)
    assert "Building no.: " in occupied and "Household type: Family (家庭户)" in occupied
    assert "Registration: Enumerator visit" in occupied
    assert "Letter handed over: yes" in occupied and "Long-form sample: " in occupied
    for raw in ("status:", "kind:", "long_form", "True", "False", "building:"):
        assert raw not in " ".join(cells)


def test_an_empty_filtered_queue_says_the_filters_match_nothing(
        client: FlaskClient, login_as: Any, setting: dict[str, Any]) -> None:  # noqa: F811
    login_as(user=setting["examiner"])
    en = {"Accept-Language": "en"}
    filtered = client.get("/review?scenario=no-such-scenario", headers=en).get_data(as_text=True)
    assert "No attempt matches these filters." in filtered
    assert "No attempt is waiting for review." not in filtered
    assert "No attempt matches" not in client.get("/review", headers=en).get_data(as_text=True)
    assert "No attempt matches these filters." in client.get(
        "/review?status=released", headers=en).get_data(as_text=True)


def test_an_hmt_household_whose_form_was_never_saved_says_so(
        client: FlaskClient, login_as: Any, db: Session, exam_cohort: Any) -> None:
    made = exam_cohort("HMT cohort", "foreign-resident")
    attempt = fieldwork.submit(db, made["attempt"])
    login_as(user=made["examiner"])
    page = client.get(f"/review/attempts/{attempt.id}",
                      headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "HMT/foreign form" in page
    section = page[page.index("HMT/foreign form"):]
    assert 'data-test="no-hmt-form"' in section
    assert "No form was filled for this household." in section


def test_the_dashboard_names_criteria_and_scenarios_in_words(
        client: FlaskClient, login_as: Any, setting: dict[str, Any]) -> None:  # noqa: F811
    login_as(user=setting["examiner"])
    page = client.get(f"/cohorts/{setting['cohort'].id}/dashboard",
                      headers={"Accept-Language": "en"}).get_data(as_text=True)
    heatmap = page[page.index('data-test="heatmap"'):]
    header = heatmap[:heatmap.index("</thead>")]
    assert LABELS["coverage"][1] in header and "<code>" not in header
    captions = re.findall(r"<figcaption><strong>(.*?)</strong>", page)
    assert captions and set(captions) == {setting["version"].title_en}
    assert "cooperative-family" not in re.sub(r'title="[^"]*"', "", page.split("<main", 1)[-1])


def _row(page: str, criterion: str) -> str:
    found = re.search(rf'<tr[^>]*data-test="criterion-{criterion}">(.*?)</tr>', page, re.S)
    assert found, criterion
    return re.sub(r"\s+", " ", found.group(1))


def _cell(row: str, name: str) -> str:
    found = re.search(rf'<td data-test="{name}">(.*?)</td>', row, re.S)
    assert found, name
    return found.group(1)


def test_a_criterion_left_out_of_the_total_shows_no_figure(
        client: FlaskClient, login_as: Any, db: Session, exam_cohort: Any) -> None:
    from datetime import datetime

    made = exam_cohort("Knock and leave cohort")
    attempt = made["attempt"]
    fieldwork.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19, 0))
    fieldwork.take_step(db, attempt, "wang", "show_id", None)
    fieldwork.submit(db, attempt)
    # no question was asked: the rules about what comes before the questions never arose
    assert not attempt.score["criteria"]["purpose_and_legal_basis"]["applicable"]
    login_as(user=made["examiner"])
    url = f"/review/attempts/{attempt.id}"
    for language, words, left_out in (("en", "not applicable", "left out of the total"),
                                      ("zh-CN", "不适用", "不计入总分")):
        page = client.get(url, headers={"Accept-Language": language}).get_data(as_text=True)
        for name in ("purpose_and_legal_basis", "confidentiality_promised"):
            row = _row(page, name)
            automatic, counted = _cell(row, "automatic"), _cell(row, "counted")
            assert "—" in automatic and words in automatic and "100" not in automatic
            assert "—" in counted and left_out in counted and "<strong>" not in counted
        applies = _cell(_row(page, "coverage"), "counted")
        assert re.search(r"<strong>\d+</strong>", applies)


def test_an_override_of_a_criterion_left_out_keeps_its_automatic_not_applicable(
        client: FlaskClient, login_as: Any, db: Session, exam_cohort: Any) -> None:
    from datetime import datetime

    from trainer.review import services as review

    made = exam_cohort("Override left out cohort")
    attempt = made["attempt"]
    fieldwork.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19, 0))
    fieldwork.submit(db, attempt)
    found = review.review_of(db, attempt)
    assert found is not None
    review.claim(db, found, made["examiner"])
    review.override(db, found, made["examiner"], criterion="confidentiality_promised",
                    score=40, reason="Judged on the transcript")
    login_as(user=made["examiner"])
    page = client.get(f"/review/attempts/{attempt.id}",
                      headers={"Accept-Language": "en"}).get_data(as_text=True)
    row = _row(page, "confidentiality_promised")
    assert "not applicable" in _cell(row, "automatic")
    assert "<strong>40</strong>" in _cell(row, "counted")


def test_a_register_finding_names_its_column_in_words(
        client: FlaskClient, login_as: Any, setting: dict[str, Any]) -> None:  # noqa: F811
    login_as(user=setting["examiner"])
    url = f"/review/attempts/{setting['attempt'].id}"
    for language, register, status in (("en", "Register of household heads", "Status"),
                                       ("zh-CN", "户主姓名底册", "状态")):
        page = client.get(url, headers={"Accept-Language": language}).get_data(as_text=True)
        places = dict(re.findall(r'class="finding-where"[^>]* data-where="([^"]*)"[^>]*>'
                                 r'(?:<small>)?(.*?)</small>', page))
        statuses = [shown for where, shown in places.items() if where.endswith("/status")]
        assert statuses, places
        assert all(shown == f"{register} · {status}" for shown in statuses), statuses
        assert "register · status" not in page


def test_the_queue_offers_its_scenarios_by_title(
        client: FlaskClient, login_as: Any, setting: dict[str, Any]) -> None:  # noqa: F811
    login_as(user=setting["examiner"])
    page = client.get("/review", headers={"Accept-Language": "en"}).get_data(as_text=True)
    select = page[page.index('data-test="filter-scenario"'):]
    select = select[:select.index("</select>")]
    version = setting["version"]
    assert re.search(rf'<option value="{version.scenario_id}"\s*>{re.escape(version.title_en)}'
                     r"</option>", select)
    assert 'placeholder="cooperative-family"' not in page
    chosen = client.get(f"/review?scenario={version.scenario_id}",
                        headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert re.search(rf'<option value="{version.scenario_id}" selected>'
                     rf"{re.escape(version.title_zh)}</option>", chosen)


def test_the_heatmap_tooltips_are_the_criteria_titles(
        client: FlaskClient, login_as: Any, setting: dict[str, Any]) -> None:  # noqa: F811
    login_as(user=setting["examiner"])
    for language, index in (("en", 1), ("zh-CN", 0)):
        page = client.get(f"/cohorts/{setting['cohort'].id}/dashboard",
                          headers={"Accept-Language": language}).get_data(as_text=True)
        heatmap = page[page.index('data-test="heatmap"'):]
        titles = re.findall(r'<th scope="col" title="([^"]*)"', heatmap[:heatmap.index("</thead>")])
        assert titles and LABELS["coverage"][index] in titles
        assert not set(titles) & set(LABELS), titles


def _record_changes(page: str) -> list[str]:
    """The score changes of the review's record (or the trainee's list): "<before> → <after>"."""
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    return re.findall(r"(not applicable|不适用|\d+) → (\d+)", text)


def _left_out_exam(db: Session, exam_cohort: Any, name: str) -> tuple[Any, Any, Any]:
    """An exam whose trainee only knocked (confidentiality_promised left out of the total), in
    review by its examiner: (made, attempt, review)."""
    from datetime import datetime

    from trainer.review import services as review

    made = exam_cohort(name)
    attempt = made["attempt"]
    fieldwork.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19, 0))
    fieldwork.submit(db, attempt)
    assert not attempt.score["criteria"]["confidentiality_promised"]["applicable"]
    found = review.review_of(db, attempt)
    assert found is not None
    review.claim(db, found, made["examiner"])
    return made, attempt, found


def test_an_override_of_a_criterion_left_out_reads_not_applicable_to_its_score(
        client: FlaskClient, login_as: Any, db: Session, exam_cohort: Any) -> None:
    from trainer.api import services as api
    from trainer.review import services as review

    made, attempt, found = _left_out_exam(db, exam_cohort, "Override record cohort")
    examiner = made["examiner"]
    first = review.override(db, found, examiner, criterion="confidentiality_promised",
                            score=40, reason="Judged on the transcript")
    assert first.before is None  # it had no score: not the 1.0 the grading puts there
    review.override(db, found, examiner, criterion="confidentiality_promised", score=70,
                    reason="Read the whole transcript again")
    login_as(user=examiner)
    url = f"/review/attempts/{attempt.id}"
    for language, words in (("en", "not applicable"), ("zh-CN", "不适用")):
        page = client.get(url, headers={"Accept-Language": language}).get_data(as_text=True)
        record = page[page.index('data-test="review-record"'):]
        assert _record_changes(record)[-2:] == [(words, "40"), ("40", "70")], language
        assert "100 →" not in record
    # the trainee reads the same once the score is released
    review.release(db, found, examiner, link="/")
    login_as(user=made["trainee"])
    page = client.get(f"/training/attempts/{attempt.id}",
                      headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert ("不适用", "40") in _record_changes(page) and "100 →" not in page
    # and the API says null, the score it had
    _token, raw = api.create_token(db, owner=examiner, name="Record",
                                   cohort_ids=[made["cohort"].id])
    db.flush()
    grade = client.get(f"/api/v1/attempts/{attempt.id}/grade",
                       headers={"Authorization": f"Bearer {raw}"}).json
    assert [change["before"] for change in grade["overrides"]] == [None, 0.4]


def test_an_override_recorded_with_the_graders_placeholder_still_reads_not_applicable(
        client: FlaskClient, login_as: Any, db: Session, exam_cohort: Any) -> None:
    """Overrides stored before the fix hold the 1.0 the grading puts on a criterion it
    leaves out, as the score they replaced: shown as not applicable all the same."""
    from trainer.review import services as review
    from trainer.review.models import ReviewKind

    made, attempt, found = _left_out_exam(db, exam_cohort, "Old override record cohort")
    examiner = made["examiner"]
    for before, after in ((1.0, 0.4), (0.4, 0.7)):  # as the old code recorded them
        review.record(db, found, examiner, ReviewKind.OVERRIDE,
                      criterion="confidentiality_promised", before=before, after=after,
                      text="Judged on the transcript")
    db.flush()
    login_as(user=examiner)
    page = client.get(f"/review/attempts/{attempt.id}",
                      headers={"Accept-Language": "en"}).get_data(as_text=True)
    record = page[page.index('data-test="review-record"'):]
    assert _record_changes(record)[-2:] == [("not applicable", "40"), ("40", "70")]
    assert [review.score_before(entry) for entry in found.events
            if entry.kind == ReviewKind.OVERRIDE] == [None, 0.4]


def _regrade_leaving(db: Session, monkeypatch: Any, attempt: Any, name: str, *,
                     applicable: bool) -> None:
    """Regrade the attempt with criteria that now leave `name` out of the total (or count it,
    with `applicable`): a new grade version, everything else as before."""
    import copy

    from trainer.fieldwork import grades

    data = copy.deepcopy(attempt.score)
    data["criteria"][name].update(applicable=applicable, score=1.0 if not applicable else 0.5)
    monkeypatch.setattr(grades, "grade_data", lambda *args, **kwargs: copy.deepcopy(data))
    assert grades.regrade(db, attempt, actor=None) is not None
    assert attempt.score["criteria"][name]["applicable"] is applicable


def test_an_override_reads_the_score_it_replaced_after_a_regrade(
        client: FlaskClient, login_as: Any, db: Session, setting: dict[str, Any],  # noqa: F811
        monkeypatch: Any) -> None:
    """Overridden, regraded by criteria that leave the criterion out, overridden again: the
    first line still reads the automatic score it replaced, not "not applicable"."""
    from trainer.review import services as review

    attempt, examiner = setting["attempt"], setting["examiner"]
    automatic = attempt.score["criteria"]["coverage"]
    assert automatic["applicable"]
    found = review.review_of(db, attempt)
    assert found is not None
    review.override(db, found, examiner, criterion="coverage", score=40,
                    reason="Judged on the transcript")
    _regrade_leaving(db, monkeypatch, attempt, "coverage", applicable=False)
    review.override(db, found, examiner, criterion="coverage", score=70,
                    reason="Read the whole transcript again")
    was = f"{automatic['score'] * 100:.0f}"
    login_as(user=examiner)
    for language in ("en", "zh-CN"):
        page = client.get(f"/review/attempts/{attempt.id}",
                          headers={"Accept-Language": language}).get_data(as_text=True)
        record = page[page.index('data-test="review-record"'):]
        assert _record_changes(record) == [(was, "40"), ("40", "70")], language
    assert [review.score_before(entry) for entry in found.events
            if entry.criterion == "coverage"] == [automatic["score"], 0.4]


def test_an_old_override_of_a_criterion_left_out_reads_not_applicable_after_a_regrade(
        client: FlaskClient, login_as: Any, db: Session, exam_cohort: Any,
        monkeypatch: Any) -> None:
    """An override stored with the grading's placeholder (1.0) for a criterion left out, then
    a regrade that counts the criterion: still "not applicable → 40", not "100 → 40"."""
    from trainer.review import services as review
    from trainer.review.models import ReviewKind

    made, attempt, found = _left_out_exam(db, exam_cohort, "Regraded old record cohort")
    examiner = made["examiner"]
    review.record(db, found, examiner, ReviewKind.OVERRIDE, criterion="confidentiality_promised",
                  before=1.0, after=0.4, text="Judged on the transcript")  # as the old code did
    db.flush()
    _regrade_leaving(db, monkeypatch, attempt, "confidentiality_promised", applicable=True)
    review.override(db, found, examiner, criterion="confidentiality_promised", score=70,
                    reason="Read the whole transcript again")
    login_as(user=examiner)
    page = client.get(f"/review/attempts/{attempt.id}",
                      headers={"Accept-Language": "en"}).get_data(as_text=True)
    record = page[page.index('data-test="review-record"'):]
    assert _record_changes(record) == [("not applicable", "40"), ("40", "70")]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_review_page_writes_its_colons_as_each_language_does(
        client: FlaskClient, login_as: Any, db: Session, setting: dict[str, Any],  # noqa: F811
        ) -> None:
    """Chinese text takes the full-width colon (成绩：, 分数已修改：, 建筑物编号：3), English a
    colon and a space; the register's cells are separated likewise (；, ; )."""
    from trainer.review import services as review

    attempt, examiner = setting["attempt"], setting["examiner"]
    found = review.review_of(db, attempt)
    assert found is not None
    review.override(db, found, examiner, criterion="coverage", score=40,
                    reason="Judged on the transcript")
    login_as(user=examiner)
    label = LABELS["coverage"]
    for language, scores, changed, building, separator, wrong in (
            ("zh-CN", "成绩：", f"分数已修改：{label[0]}", "建筑物编号：3", "；", ": "),
            ("en", "Scores: ", f"Score changed: {label[1]}", "Building no.: 3", "; ", "："),
    ):
        page = client.get(f"/review/attempts/{attempt.id}",
                          headers={"Accept-Language": language}).get_data(as_text=True)
        heading = _text(re.search(r'<h2 id="scores-heading">(.*?)</h2>', page, re.S).group(1))
        assert heading.startswith(scores) and wrong not in heading, heading
        record = _text(page[page.index('data-test="review-record"'):])
        assert changed in record and f"{wrong}{label[0]}" not in record, record
        truth = _register_truth(page)
        assert truth and building in truth[0] and separator in truth[0], truth
        assert wrong.strip() not in truth[0], truth


def _override_form(page: str) -> str:
    start = page.index('data-test="override-form"')
    return page[start:page.index("</form>", start)]


def test_a_criterion_to_change_is_chosen_by_its_full_name_or_from_its_row(
        client: FlaskClient, login_as: Any, setting: dict[str, Any]) -> None:  # noqa: F811
    """The override's criteria are radio rows by their whole names (no select cutting them
    off), and "Change" beside each score opens the form with that criterion chosen first,
    the others folded away."""
    login_as(user=setting["examiner"])
    url = f"/review/attempts/{setting['attempt'].id}"
    for language, index, change in (("en", 1, "Change"), ("zh-CN", 0, "修改")):
        page = client.get(url, headers={"Accept-Language": language}).get_data(as_text=True)
        form = _override_form(page)
        assert '<select id="criterion"' not in form and 'name="criterion"' in form
        names = re.findall(r'<input[^>]*type="radio" value="([^"]+)"', form)
        assert "coverage" in names and len(names) == len(set(names)) > 5
        assert f"<span>{LABELS['outcome'][index]}</span>" in form
        assert "checked" not in form and 'data-test="other-criteria"' not in form
        row = _row(page, "outcome")
        link = re.search(r'<a class="override-here" href="([^"]+)"[^>]*>([^<]+)</a>', row)
        assert link and link.groups() == ("?criterion=outcome#override-form", change)
        assert f'aria-label="{change}' in row  # the link's name says which criterion too
        chosen = client.get(f"{url}?criterion=outcome",
                            headers={"Accept-Language": language}).get_data(as_text=True)
        form = _override_form(chosen)
        first, others = form.split('data-test="other-criteria"')
        assert re.search(r'<input checked[^>]*value="outcome"', first)
        assert re.findall(r'type="radio" value="([^"]+)"', first) == ["outcome"]
        assert "coverage" in re.findall(r'type="radio" value="([^"]+)"', others)
    unknown = client.get(f"{url}?criterion=nothing").get_data(as_text=True)
    assert "checked" not in _override_form(unknown)


def test_an_override_without_a_criterion_says_to_choose_one(
        client: FlaskClient, login_as: Any, csrf: Any, setting: dict[str, Any],  # noqa: F811
        ) -> None:
    login_as(user=setting["examiner"])
    url = f"/review/attempts/{setting['attempt'].id}/override"
    for language, message in (("en", "Choose the criterion."), ("zh-CN", "请选择评分项。")):
        sent = client.post(url, data={"csrf_token": csrf(), "score": "40",
                                      "reason": "Judged on the transcript"},
                           headers={"Accept-Language": language})
        assert sent.status_code == 400
        form = _override_form(sent.get_data(as_text=True))
        assert f'id="criterion-error" class="field-error" role="alert">{message}<' in form
    bogus = client.post(url, data={"csrf_token": csrf(), "criterion": "nothing", "score": "40",
                                   "reason": "Judged on the transcript"})
    assert bogus.status_code == 400


def test_the_forms_against_the_truth_show_coded_answers_in_words(
        client: FlaskClient, login_as: Any, db: Session, exam_cohort: Any) -> None:
    """A census answer is a code (D7 = 3): shown by its words, as the trainee's form offers
    it, with the code in a small tag beside them; names, dates and counts as they are."""
    import copy
    from datetime import datetime

    from trainer.core.census import r601
    from trainer.core.world.codes import LABELS as CODES

    made = exam_cohort("Coded answers cohort")
    attempt = made["attempt"]
    fieldwork.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19, 0))
    visit = fieldwork.replay_attempt(attempt)
    truth = r601.record_of(visit.households["wang"].truth.household)
    record = copy.deepcopy(truth)
    true_residence = truth["persons"][0]["D7"]
    record["persons"][0]["D7"] = 3 if true_residence != 3 else 4
    fieldwork.save_form(db, attempt, "wang", record, complete=False, confirmed=False)
    fieldwork.submit(db, attempt)
    login_as(user=made["examiner"])
    for language, index in (("en", 1), ("zh-CN", 0)):
        page = client.get(f"/review/attempts/{attempt.id}",
                          headers={"Accept-Language": language}).get_data(as_text=True)
        row = re.search(r'<tr><td><span class="item" data-where="persons\[0\]/D7">.*?</tr>',
                        page, re.S)
        assert row, "the differing residence is listed"
        given = re.search(r'<td class="given">(.*?)</td><td class="true">(.*?)</td>', row.group(0))
        assert given
        shown, true = given.groups()
        code = record["persons"][0]["D7"]
        assert shown == (f'{CODES["D7"][code][index]} <small class="answer-code" '
                         f'title="D7 = {code}">{code}</small>'), shown
        assert true.startswith(CODES["D7"][true_residence][index]), true
        assert f'<td class="given">{code}</td>' not in page


def test_census_answers_in_words_for_every_paper_and_as_they_are_otherwise(app: Any) -> None:
    from trainer.review.views import census_answer

    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert str(census_answer("deaths/sex", 2)).startswith("女 <small")
        assert str(census_answer("deaths[0]/education", "3")).startswith("小学 <small")
        assert str(census_answer("persons[1]/R5", 4)).startswith("外籍人员 <small")
        assert str(census_answer("H9", 1)).startswith("钢及钢筋混凝土结构 <small")
        assert census_answer("persons[0]/D1", "王建国") == "王建国"
        assert census_answer("H2a", 3) == 3 and census_answer("H6", None) == "—"
        assert census_answer("persons[0]/D7", 99) == 99  # not on the list: as it is
        for typed in ("①", "²", "⁵5", "٣", "1" * 40):  # free text, not a code the form sends
            assert census_answer("deaths[0]/name", typed) == typed
            assert census_answer("persons[0]/D7", typed) == typed
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert str(census_answer("persons[0]/D4", 1)).startswith("Male <small")


def test_the_dashboard_names_dialogue_nodes_by_the_respondents_words(
        client: FlaskClient, login_as: Any, setting: dict[str, Any]) -> None:  # noqa: F811
    login_as(user=setting["examiner"])
    for language, door in (("en", "“Who is it?”"), ("zh-CN", "“谁呀？”")):
        page = client.get(f"/cohorts/{setting['cohort'].id}/dashboard",
                          headers={"Accept-Language": language}).get_data(as_text=True)
        nodes = page[page.index('data-test="nodes"'):]
        nodes = nodes[:nodes.index("</table>")]
        cells = re.findall(r'<td data-test="node">(.*?)</td>', nodes)
        assert cells and all("“" in cell for cell in cells), cells
        door_cell = next(cell for cell in cells if "main/door" in cell)
        assert door in door_cell
        # the node's id is still there for the scenario's author, in a small tag
        assert '<small class="raw-id"><code>main/door</code></small>' in door_cell
        assert "<td><code>" not in nodes


def test_the_transcript_writes_its_colons_and_names_what_was_told(
        client: FlaskClient, login_as: Any, db: Session, exam_cohort: Any) -> None:
    """The visit's transcript on the review page: "你：出示普查员证" / "You: Show ID", and a
    disclosed fact by what it is about (外出的户籍成员), its id beside it for the author."""
    from datetime import datetime

    made = exam_cohort("Transcript cohort")
    attempt, examiner = made["attempt"], made["examiner"]
    fieldwork.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19, 0))
    for action in ("greet", "show_id", "explain_purpose", "explain_legal_basis",
                   "promise_confidentiality", "ask_item:roster", "probe:members_away"):
        fieldwork.take_step(db, attempt, "wang", action, None)
    fieldwork.submit(db, attempt)
    login_as(user=examiner)
    for language, you, told, wrong in (
            ("zh-CN", "你：", "说出了：外出的户籍成员 son_away", "你: "),
            ("en", "You: ", "Told: Members away son_away", "You："),
    ):
        page = client.get(f"/review/attempts/{attempt.id}",
                          headers={"Accept-Language": language}).get_data(as_text=True)
        transcript = _text(page[page.index('class="transcript"'):page.index("</ol>")])
        assert you in transcript and wrong not in transcript, transcript
        assert told in transcript, transcript
        assert "<code>son_away</code>" in page
    # the trainee's copy of the record, once released: 考官意见：…, Comment: …
    from trainer.review import services as review

    found = review.review_of(db, attempt)
    assert found is not None
    review.comment(db, found, examiner, text="Well probed")
    review.release(db, found, examiner, link="")
    login_as(user=made["trainee"])
    for language, wrong in (("zh-CN", ": Well probed"), ("en", "：Well probed")):
        page = client.get(f"/training/attempts/{attempt.id}",
                          headers={"Accept-Language": language}).get_data(as_text=True)
        comments = _text(page[page.index('data-test="review-comments"'):])
        assert "Well probed" in comments and wrong not in comments, comments


def test_the_trainees_debrief_marks_the_score_the_examiner_changed(
        client: FlaskClient, login_as: Any, db: Session, exam_cohort: Any) -> None:
    """Released, a changed criterion says so in the trainee's score table (as on the review
    page), not only under "From your examiner"; the others do not."""
    from datetime import datetime

    from trainer.review import services as review

    made = exam_cohort("Changed score cohort")
    attempt, examiner = made["attempt"], made["examiner"]
    fieldwork.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19, 0))
    fieldwork.submit(db, attempt)
    found = review.review_of(db, attempt)
    assert found is not None
    review.override(db, found, examiner, criterion="credentials_first", score=80,
                    reason="The card was shown at once")
    login_as(user=made["trainee"])
    page = client.get(f"/training/attempts/{attempt.id}", headers={"Accept-Language": "en"})
    assert 'data-test="changed-by-examiner"' not in page.get_data(as_text=True)  # not released
    review.release(db, found, examiner, link="")
    for language, words in (("zh-CN", "考官已修改"), ("en", "changed by the examiner")):
        page = client.get(f"/training/attempts/{attempt.id}",
                          headers={"Accept-Language": language}).get_data(as_text=True)
        row = re.search(r'<tr data-test="debrief-credentials_first">.*?</tr>', page, re.S)
        assert row is not None and words in row.group(0)
        assert page.count('data-test="changed-by-examiner"') == 1
