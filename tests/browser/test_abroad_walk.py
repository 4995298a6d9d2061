"""A trainee walks the Lius' daughter studying abroad (studying-abroad) in Chinese on a touch
tablet held upright (768x1024): My training, the exercise started, the knock at 巴陵中路8栋302
on a Friday evening, the card shown, confidentiality promised, the roster asked (周敏 names
the two who live there), the members away probed (the daughter 刘思雨 studying in England,
and the son 刘思远 settled in Canada, his hukou cancelled), the worry about registering her
answered, the items asked, read back; the register's row (8栋302, household 1, head 刘建华,
two living here, one away).

The R601: the trainee first makes the classic mistake, the son added as a member away too
(H2b 2; D7 = 7 国外, D8 = 1, D9 = 9, his ID number not known). The form's own checks find
no error in him but the missing ID number: a son abroad with his hukou here is what the
form expects of a member away, and H2a + H2b match the four persons; its one warning asks
whether ten years abroad means he has settled there (then he is not registered). 复查 says
the form is a draft (that ID number), and the register's one away disagrees with the
form's H2b 2. 刘思远 taken off and H2b 1, the form is complete (刘思雨:
D7 = 7 国外, D8 = 1, D9 = 4, D10 = 2, D11 = 8), the quick tally, 复查 with nothing left, the
submission and the debrief: 95.2, passed, full marks on coverage and the papers, the purpose
and legal basis never told (the card and confidentiality were enough for her).

The R601's panel of answers (住户给出的回答) holds each month of birth ("1968-03") in one
piece: inside a `span.nowrap` that lies on one line, upright (the panel above the form) and
with the tablet turned on its side for a moment (a narrow column, where a date once broke
after its hyphen). Each page is measured as in the standard-time walk (`look`): Chinese
throughout, nothing beyond the screen sideways, whole options in the selects, no word
broken, targets a finger can hit. Screenshots: test-artifacts/browser/walkabroad-*.png."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    DEMO_PASSWORDS,
    VIEWPORT,
    LiveServer,
    walk_page,
)
from tests.browser.test_fieldwork import fill
from tests.browser.test_shop_walk import PORTRAIT, add_person
from tests.browser.test_standard_time_walk import fill_person
from tests.browser.test_whole_household_death_walk import (
    assigned_practice,
    back_to_attempt,
    measure,
    saved_as_typed,
    tally_and_clean_recheck,
    tap,
    tick,
    true_record,
)

pytestmark = pytest.mark.browser
PASSWORD = "Walk-abroad-2020"
assert PASSWORD not in DEMO_PASSWORDS.values()  # an account of this test's own
SCENARIO = "studying-abroad"
UNIT = "liu"
THE_VISIT = ("show_id", "promise_confidentiality", "ask_item:roster")
# the items asked once the daughter is told of and her mother's worry answered
ITEMS = ("H1", "H2", "H5", "H6", "H7", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "D9", "D10",
         "D11", "D12")
HOUSEHOLD_ITEMS = ("H1", "H2a", "H3m", "H3f", "H4m", "H4f", "H5", "H6", "H7")  # H2b: the walk's
# the mistake: the son settled in Canada written as a member away too (his ID number not known)
SON = {"D1": "刘思远", "D2": 2, "D4": 1, "D5": "1991-08", "D6": "汉族", "D7": 7, "D8": 1,
       "D9": 9, "D10": 1, "D11": 7, "D12": 1}
# what the form's checks and 复查 say of him
SON_ERROR = "请填写D3 公民身份号码。"
AWAY_DISAGREE = "底册的户口在本户外出人数为 1；普查表的 H2b 为 2。"
# the daughter's items as the form holds them once complete (select and input values)
DAUGHTER = {"D7": "7", "D8": "1", "D9": "4", "D10": "2", "D11": "8", "D12": "1"}
FORM_CRITERIA = ("outcome", "coverage", "form_accuracy", "residence_rules", "form_completeness",
                 "register_accuracy", "tally")
# each date of the answers panel: in a span.nowrap, and that span on one line
DATES_WHOLE = """panel => {
  const date = /\\d{4}-\\d{2}(?:-\\d{2})?/;
  const loose = [];
  const walker = document.createTreeWalker(panel, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (date.test(node.data) && !node.parentElement.closest('span.nowrap')) {
      loose.push(node.data.match(date)[0]);
    }
  }
  const spans = [...panel.querySelectorAll('li span.nowrap')].map(span => {
    const line = parseFloat(getComputedStyle(span).lineHeight);
    return {text: span.textContent, rects: span.getClientRects().length,
            height: span.getBoundingClientRect().height, line};
  });
  return {loose, spans};
}"""


def own_trainee(live_server: LiveServer, tag: str) -> tuple[int, int]:
    """The studying-abroad scenario assigned to a trainee of this walk's own."""
    return assigned_practice(live_server, SCENARIO, f"walkabroad{tag}", (
        f"出国留学{tag}培训师", f"出国留学{tag}学员", f"出国留学走查{tag}班"), PASSWORD)


def look(page: Any, name: str) -> str:
    """Screenshot and measure the page as walkabroad-<name>.png (`measure`)."""
    return measure(page, f"walkabroad-{name}")


def act(page: Any, action: str) -> None:
    """Tap an action on the card of 302 (巴陵中路 8栋302室)."""
    tap(page, f"[data-test=household-{UNIT}] button[data-action='{action}']")


def assert_dates_whole(page: Any, dates: list[str]) -> None:
    """Each date of the answers panel is in a `span.nowrap` on one line; `dates` among them."""
    found = page.locator("aside.answers").evaluate(DATES_WHOLE)
    assert found["loose"] == [], found
    assert set(dates) <= {span["text"] for span in found["spans"]}, found
    for span in found["spans"]:
        assert span["rects"] == 1, span
        assert span["height"] < 1.5 * span["line"], span


def test_a_trainee_registers_a_daughter_studying_abroad_upright(
        browser: Any, live_server: LiveServer) -> None:
    record = true_record(SCENARIO, UNIT)
    persons = {person["D1"]: person for person in record["persons"]}
    assert list(persons) == ["刘建华", "周敏", "刘思雨"]
    assignment_id, _trainee = own_trainee(live_server, "walk")
    with walk_page(browser, live_server, "walkabroadwalktrainee", PASSWORD, "zh-CN",
                   dialogs=True, viewport=PORTRAIT, has_touch=True) as page:
        # My training: the exercise, started with a tap
        page.goto("/training")
        expect(page.locator("main h1")).to_have_text("我的培训")
        expect(page.locator(f"[data-test=exercise-{assignment_id}]")).to_contain_text(
            "出国留学的女儿")
        look(page, "01-my-training")
        tap(page, f"[data-test=start-{assignment_id}]")
        expect(page.locator("main h1")).to_have_text("出国留学的女儿")
        attempt_url = page.url.split("#")[0]
        assert re.search(r"/training/attempts/\d+$", attempt_url)
        look(page, "02-attempt")

        # Friday evening at 302: the door opens a crack
        page.locator(f"#day-{UNIT}").select_option("2020-11-06")
        page.locator(f"#time-{UNIT}").select_option("19:00")
        act(page, "knock")
        transcript = page.locator("[data-test=event]")
        expect(transcript.first).to_contain_text("巴陵中路8栋302室")
        look(page, "03-door")

        # the card, confidentiality; the roster: the two who live here
        for action in THE_VISIT:
            act(page, action)
        expect(transcript.last).to_contain_text("刘建华、周敏")
        expect(transcript.last).not_to_contain_text("刘思雨")
        look(page, "04-roster-of-two")
        # the members away: the daughter in England, the son settled in Canada
        act(page, "probe:members_away")
        for told in ("刘思雨", "英国", "刘思远", "加拿大", "注销"):
            expect(transcript.last).to_contain_text(told)
        act(page, "answer_concern:privacy")
        expect(transcript.last).to_contain_text("她的情况我都晓得")
        look(page, "05-daughter-abroad")
        for item in ITEMS:
            act(page, f"ask_item:{item}")
        expect(page.locator("[data-test=event]", has_text="刘思雨 7")).to_have_count(1)  # D7
        act(page, "read_back")
        card = page.locator(f"[data-test=household-{UNIT}]")
        expect(card).to_contain_text("完成登记")
        expect(page.locator("[data-test=event]", has_text="思雨在英国也登记上了")
               ).to_have_count(1)
        look(page, "06-read-back")

        # the register: 8栋302 occupied, household 1, head 刘建华, two here and one away
        tap(page, "[data-test=register]")
        expect(page.locator("main h1")).to_contain_text("户主姓名底册")
        for item, value in (("building", "8"), ("unit", "302"), ("number", "1"),
                            ("head", "刘建华"), ("present", "2"), ("away", "1")):
            page.locator(f"#rows-0-{item}").fill(value)
        page.locator("#rows-0-status").select_option("occupied")
        page.locator("#rows-0-kind").select_option("family")
        page.locator("#rows-0-mode").select_option("visit")
        page.locator("#rows-0-letter").locator("xpath=..").tap()  # 致住户的一封信, handed over
        expect(page.locator("#rows-0-letter")).to_be_checked()
        saved_as_typed(page)
        page.locator(".table-wrap").evaluate("wrap => { wrap.scrollLeft = 0; }")  # the row's start
        look(page, "07-register")
        tap(page, "[data-test=save-register]")
        expect(page.locator(".flash-success")).to_have_text("底册已保存。")
        expect(page.locator(".field-error")).to_have_count(0)

        # the R601: the answers panel, each month of birth in one piece
        back_to_attempt(page)
        tap(page, f"[data-test=form-{UNIT}]")
        expect(page.locator("main h1")).to_contain_text("R601")
        answers = page.locator("aside.answers")
        expect(answers.locator("h2")).to_have_text("住户给出的回答")
        births = [person["D5"] for person in persons.values()]
        expect(answers).to_contain_text("刘建华 1968-03；周敏 1970-07；刘思雨 1997-05")
        assert_dates_whole(page, births)
        look(page, "08-form-empty")
        # the tablet turned on its side for a moment: the panel is then a narrow column
        # beside the form (where a date once broke after its hyphen), still one line each
        page.set_viewport_size(VIEWPORT)  # 1024x768
        assert page.evaluate("document.querySelector('aside.answers').offsetWidth") < 300
        assert_dates_whole(page, births)
        look(page, "08b-form-landscape")
        page.set_viewport_size(PORTRAIT)

        # the classic mistake: the son in Canada added as a member away too, H2b 2
        while page.locator("fieldset.person").count() < 4:
            add_person(page)
        for item in HOUSEHOLD_ITEMS:
            fill(page, item, record[item])
        fill(page, "H2b", 2)
        for index, name in enumerate(persons):
            fill_person(page, index, persons[name])
        fill_person(page, 3, SON)
        saved_as_typed(page)
        look(page, "09-form-with-son")
        tick(page, "complete")
        tick(page, "confirmed")
        tap(page, "[data-test=save-form]")
        # the form's checks find nothing wrong with him but his ID number (not known): a son
        # abroad with his hukou here, D7 = 7 and D8 = 1, is what the form expects of a member
        # away; H2a + H2b = 4 persons, and 2 of them away, as H2b says. Ten years abroad
        # (D9 = 9) is warned of: has he settled there (then he is on no form)?
        expect(page.locator(".flash-error")).to_have_text("未完成：请先改正错误（1 处）。")
        expect(page.locator("[data-test=form-status]")).to_have_text("草稿")
        errors = page.locator(".field-error")
        expect(errors).to_have_count(1)
        expect(errors.first).to_have_text(SON_ERROR)
        expect(page.locator("#persons-3-D3")).to_have_attribute("aria-invalid", "true")
        warnings = page.locator("[data-test=warnings]")
        expect(warnings).to_have_count(1)
        expect(warnings).to_contain_text("第 4 人")
        expect(warnings).to_contain_text("请核实此人没有在国外定居；已在国外定居的人不登记")
        expect(page.locator("#persons-3-D1")).to_have_value("刘思远")  # nothing typed is lost
        look(page, "10-form-son-checked")

        # 复查: the form a draft (his ID number), and the register (one away, as told) and
        # the form's H2b disagree: the only word that he should not be there
        back_to_attempt(page)
        tap(page, "[data-test=recheck]")
        expect(page.locator("main h1")).to_have_text("复查")
        expect(page.locator("[data-test=finding]")).to_have_count(4)  # + the tally not begun
        forms = page.locator("[data-test=group-forms]")
        expect(forms).to_contain_text("普查表仍是草稿")
        expect(forms).to_contain_text(f"第 4 人：{SON_ERROR}")
        expect(page.locator("[data-test=group-register]")).to_contain_text(AWAY_DISAGREE)
        look(page, "11-recheck-son")

        # 刘思远 taken off (settled in Canada, his hukou cancelled: on no form), H2b 1
        back_to_attempt(page)
        tap(page, f"[data-test=form-{UNIT}]")
        tick(page, "persons-3-remove")
        # ticked, he fades before anything is saved: the tick alone was easy to miss
        expect(page.locator("[data-test=person-3]")).to_have_css("opacity", "0.55")
        expect(page.locator("[data-test=person-2]")).to_have_css("opacity", "1")
        fill(page, "H2b", record["H2b"])
        saved_as_typed(page)
        look(page, "12-form-son-removed")
        if not page.locator("#complete").is_checked():
            tick(page, "complete")
        if not page.locator("#confirmed").is_checked():
            tick(page, "confirmed")
        tap(page, "[data-test=save-form]")
        expect(page.locator(".flash-success")).to_have_text("普查表已填写完整。")
        expect(page.locator("[data-test=form-status]")).to_have_text("完整")
        expect(page.locator(".field-error")).to_have_count(0)
        expect(page.locator("[data-test=warnings]")).to_have_count(0)
        expect(page.locator("fieldset.person")).to_have_count(3)  # 刘思远 gone
        for index, name in enumerate(persons):
            expect(page.locator(f"#persons-{index}-D1")).to_have_value(name)
        for item, value in DAUGHTER.items():  # 7 国外, hukou here, 1-2 years, study, master's
            expect(page.locator(f"#persons-2-{item}")).to_have_value(value)
        expect(page.locator("#H2a")).to_have_value("2")
        expect(page.locator("#H2b")).to_have_value("1")
        look(page, "13-form-complete")

        # the quick tally: one household, two living here, one away; 复查 with nothing left
        tally_and_clean_recheck(page, look, (1, 2, 1, 3, 0, 0),
                                ("14-tally", "15-recheck-clean"))

        # submit: the form complete, so the plain confirmation
        back_to_attempt(page)
        expect(page.locator(f"[data-test=form-{UNIT}]").locator("xpath=..")).to_contain_text(
            "完整")
        look(page, "16-before-submit")
        tap(page, "[data-test=submit]")
        assert page.dialogs == ["现在提交吗？提交后不能再修改。"]
        expect(page.locator(".flash-success")).to_have_text("你的作答已提交。")

        # the debrief: a pass, full marks on coverage, the papers and the residence rules
        # the debrief: a pass; the purpose and the legal basis were never told (the card and
        # confidentiality were enough for her), full marks on coverage and the papers
        debrief = page.locator("[data-test=debrief]")
        expect(debrief.locator("h2")).to_have_text("得分：95.2 · 通过")
        missed = page.locator("[data-test=debrief-purpose_and_legal_basis]")
        expect(missed.locator("td").nth(2)).to_have_text("0")
        expect(missed).to_contain_text("提问前没有说明普查目的，也没有说明法律依据。")
        for criterion in (*FORM_CRITERIA, "disclosure", "privacy", "confidentiality_promised"):
            row = page.locator(f"[data-test=debrief-{criterion}]")
            expect(row).to_have_count(1)
            expect(row.locator("td").nth(2)).to_have_text("100")
        expect(page.locator("[data-test=debrief-outcome]")).to_contain_text(
            "巴陵中路 8栋302室：完成登记")
        expect(debrief.locator("[data-test=feedback]")).to_have_count(0)  # none written for it
        look(page, "17-debrief")

        # the form handed in: the three, the daughter abroad among them, read-only
        tap(page, f"[data-test=form-{UNIT}]")
        expect(page.locator("fieldset.person")).to_have_count(3)
        expect(page.locator("#persons-2-D1")).to_have_value("刘思雨")
        expect(page.locator("#persons-2-D1")).to_be_disabled()
        expect(page.locator("#persons-2-D7")).to_have_value("7")
        assert_dates_whole(page, [person["D5"] for person in persons.values()])
        look(page, "18-form-handed-in")
