"""A trainee walks the Zhous' home in mourning (around-the-standard-time) in Chinese on a touch
tablet held in landscape (1024x768), as they would in the field: My training, the exercise
started, the knock at 五里牌路 2栋301, the card shown, the purpose, legal basis and
confidentiality told, the roster asked (four names: only who is at home today), deaths and
births probed (the grandmother 刘桂英 died on 4 November, the grandfather 周德福 in March, a
grandson was born on 6 November), the items asked, read back; the register's row, the R601.

The trainee first makes the classic mistake: 刘桂英 left off the form, counted in H4 and
written on the death form. The death form's own check (only deaths from 2019-11 to 2020-10)
refuses her row; her row taken off, the death form checked against H4 says the form's H4 has
a woman too many; 复查 says the same. The R601 is put right (five persons, 刘桂英 among them as
a living person, H3 0/0, H4 1/0), the death form holds 周德福 alone (户编号 1, 89 at death),
the quick tally, 复查 with nothing left, the submission and the debrief with a passing score.

Each page is measured as in the whole-household death walk (`look`): Chinese throughout,
nothing beyond the screen sideways, whole options in the selects, no word broken, targets a
finger can hit. Screenshots: test-artifacts/browser/walkstd-*.png."""

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
from tests.browser.test_extra_forms import assert_table_fits
from tests.browser.test_fieldwork import fill
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
PASSWORD = "Walk-std-time-2020"
assert PASSWORD not in DEMO_PASSWORDS.values()  # an account of this test's own
SCENARIO = "around-the-standard-time"
UNIT = "zhou"
THE_VISIT = ("show_id", "explain_purpose", "explain_legal_basis", "promise_confidentiality",
             "ask_item:roster", "probe:deaths", "probe:births")
# the items a short form needs, asked after the probes (so 刘桂英 is among the answers)
ITEMS = ("H1", "H3", "H4", "H5", "H6", "H7", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "D9",
         "D10", "D11", "D12")
HOUSEHOLD_ITEMS = ("H1", "H3m", "H3f", "H5", "H6", "H7")  # H2 and H4 are the walk's own
# the death form's row of 周德福, as the son told it (89: March is after February)
GRANDFATHER = {"number": "1", "name": "周德福", "birth": "1931-02", "died": "2020-03",
               "age": "89", "ethnicity": "汉族"}
# the mistake: 刘桂英 written as a death too (she died on 4 November, aged 86)
GRANDMOTHER = {"number": "1", "name": "刘桂英", "birth": "1934-07", "died": "2020-11",
               "age": "86", "ethnicity": "汉族"}
# the death form against H4, her row taken off (and 复查 the same)
H4_TOO_MANY = "户编号 1 的 H4 填报死亡 1 人（女），但死亡人口调查表上有 0 行。"
FORM_CRITERIA = ("outcome", "coverage", "form_accuracy", "form_completeness",
                 "register_accuracy", "death_form", "tally")


def own_trainee(live_server: LiveServer, tag: str) -> tuple[int, int]:
    """The around-the-standard-time scenario assigned to a trainee of this walk's own."""
    return assigned_practice(live_server, SCENARIO, f"walkstd{tag}", (
        f"标准时点{tag}培训师", f"标准时点{tag}学员", f"标准时点走查{tag}班"), PASSWORD)


def look(page: Any, name: str, *, colons: bool = True) -> str:
    """Screenshot and measure the page as walkstd-<name>.png (`measure`)."""
    return measure(page, f"walkstd-{name}", colons=colons)


def act(page: Any, action: str) -> None:
    """Tap an action on the card of 301 (五里牌路 2栋301室)."""
    tap(page, f"[data-test=household-{UNIT}] button[data-action='{action}']")


def fill_person(page: Any, index: int, person: dict[str, Any]) -> None:
    """Type or pick one person's items (D1-D12) as the answers panel gives them."""
    for item, value in person.items():
        fill(page, f"persons-{index}-{item}", value)


def add_person(page: Any) -> None:
    """增加一人: the form is posted (kept as typed) and comes back with a blank person."""
    before = page.locator("fieldset.person").count()
    tap(page, "button[name=add_person]")
    expect(page.locator("fieldset.person")).to_have_count(before + 1)


def death_row(page: Any, index: int, row: dict[str, str], sex: str, education: str) -> None:
    """Type one row of the death form."""
    for item, value in row.items():
        page.locator(f"#rows-{index}-{item}").fill(value)
    page.locator(f"#rows-{index}-sex").select_option(sex)
    page.locator(f"#rows-{index}-education").select_option(education)


def test_a_trainee_registers_around_the_standard_time_end_to_end(
        browser: Any, live_server: LiveServer) -> None:
    record = true_record(SCENARIO, UNIT)
    persons = {person["D1"]: person for person in record["persons"]}
    assert list(persons) == ["周国华", "陈玉兰", "刘桂英", "周磊", "吴静"]
    assignment_id, _trainee = own_trainee(live_server, "walk")
    with walk_page(browser, live_server, "walkstdwalktrainee", PASSWORD, "zh-CN",
                   dialogs=True, viewport=VIEWPORT, has_touch=True) as page:
        # My training: the exercise, started with a tap
        page.goto("/training")
        expect(page.locator("main h1")).to_have_text("我的培训")
        expect(page.locator(f"[data-test=exercise-{assignment_id}]")).to_contain_text(
            "标准时点前后的生与死")
        look(page, "01-my-training")
        tap(page, f"[data-test=start-{assignment_id}]")
        expect(page.locator("main h1")).to_have_text("标准时点前后的生与死")
        attempt_url = page.url.split("#")[0]
        assert re.search(r"/training/attempts/\d+$", attempt_url)
        look(page, "02-attempt")

        # Monday morning at 301: mourning couplets, a man with a black armband
        page.locator(f"#day-{UNIT}").select_option("2020-11-09")
        page.locator(f"#time-{UNIT}").select_option("10:00")
        act(page, "knock")
        transcript = page.locator("[data-test=event]")
        expect(transcript.first).to_contain_text("挽联")
        look(page, "03-door")

        # the card, the purpose, the law, confidentiality; the roster: four names only
        for action in THE_VISIT[:5]:
            act(page, action)
        expect(transcript.last).to_contain_text("周国华、陈玉兰、周磊、吴静")
        expect(transcript.last).not_to_contain_text("刘桂英")
        look(page, "04-roster-of-four")
        # the probes: the grandmother (4 November), the grandfather (March), the grandson
        act(page, "probe:deaths")
        expect(transcript.last).to_contain_text("11月4号")
        expect(transcript.last).to_contain_text("3月10号")
        act(page, "probe:births")
        expect(transcript.last).to_contain_text("11月6号")
        look(page, "05-probes")
        for item in ITEMS:
            act(page, f"ask_item:{item}")
        expect(page.locator("[data-test=event]", has_text="刘桂英 3")).to_have_count(1)  # D2
        act(page, "read_back")
        card = page.locator(f"[data-test=household-{UNIT}]")
        expect(card).to_contain_text("完成登记")
        # the read-back restates the facts, and leaves the registration to the trainee
        expect(page.locator("[data-test=event]", has_text="家里住着周国华、陈玉兰、刘桂英")
               ).to_have_count(1)
        expect(page.locator("[data-test=event]", has_text="按现有人口登记")).to_have_count(0)
        look(page, "06-read-back")

        # the register: 2栋301 occupied, household 1, head 周国华, five living here
        tap(page, "[data-test=register]")
        expect(page.locator("main h1")).to_contain_text("户主姓名底册")
        for item, value in (("building", "2"), ("unit", "301"), ("number", "1"),
                            ("head", "周国华"), ("present", "5"), ("away", "0")):
            page.locator(f"#rows-0-{item}").fill(value)
        page.locator("#rows-0-status").select_option("occupied")
        page.locator("#rows-0-kind").select_option("family")
        page.locator("#rows-0-mode").select_option("visit")
        page.locator("#rows-0-letter").locator("xpath=..").tap()  # 致住户的一封信, handed over
        expect(page.locator("#rows-0-letter")).to_be_checked()
        saved_as_typed(page)
        look(page, "07-register")
        tap(page, "[data-test=save-register]")
        expect(page.locator(".flash-success")).to_have_text("底册已保存。")
        expect(page.locator(".field-error")).to_have_count(0)

        # the R601, the classic mistake first: she died, so (thinks the trainee) she is a
        # death: four persons, H2a 4, H4 male 1 and female 1
        back_to_attempt(page)
        tap(page, f"[data-test=form-{UNIT}]")
        expect(page.locator("main h1")).to_contain_text("R601")
        answers = page.locator("aside.answers")
        for told in ("刘桂英 430602193407203264", "男 1 女 0", "男 0 女 0"):
            expect(answers).to_contain_text(told)  # the panel has every answer asked
        living = [name for name in persons if name != "刘桂英"]
        while page.locator("fieldset.person").count() < len(living):
            add_person(page)
        for item in HOUSEHOLD_ITEMS:
            fill(page, item, record[item])
        fill(page, "H2a", 4)
        fill(page, "H2b", 0)
        fill(page, "H4m", 1)
        fill(page, "H4f", 1)
        for index, name in enumerate(living):
            fill_person(page, index, persons[name])
        saved_as_typed(page)
        look(page, "08-form-four-persons")
        tick(page, "complete")
        tick(page, "confirmed")
        tap(page, "[data-test=save-form]")
        # the form's check: H4 says two deaths, the death form (not begun) none; a draft
        expect(page.locator(".flash-error")).to_have_text("未完成：请先改正错误（2 处）。")
        expect(page.locator("[data-test=form-status]")).to_have_text("草稿")
        expect(page.locator(".field-error")).to_have_count(2)
        expect(page.locator(".field-error").nth(1)).to_contain_text("H4 死亡人口（女）")
        expect(page.locator(".field-error").nth(1)).to_contain_text("死亡人口调查表上有 0 人")
        expect(page.locator("#persons-3-D1")).to_have_value("吴静")  # nothing typed is lost
        look(page, "09-form-four-saved")

        # the death form: 周德福, and (the mistake) 刘桂英, died 2020-11
        back_to_attempt(page)
        tap(page, "[data-test=deaths]")
        expect(page.locator("main h1")).to_have_text("死亡人口调查表")
        tap(page, "[data-test=add-death]")
        death_row(page, 0, GRANDFATHER, "1", "3")
        saved_as_typed(page)
        tap(page, "[data-test=add-death]")
        death_row(page, 1, GRANDMOTHER, "2", "1")
        saved_as_typed(page)
        tick(page, "complete")
        tap(page, "[data-test=save-deaths]")
        # the form's check refuses her row: she died after the standard time
        expect(page.locator("[data-test=deaths-status]")).to_have_text("草稿")
        expect(page.locator("[data-test=death-0-errors]")).to_have_count(0)
        errors = page.locator("[data-test=death-1-errors] li")
        expect(errors).to_have_count(1)
        expect(errors.first).to_have_text(
            "死亡年月（YYYY-MM）：本表只登记 2019 年 11 月至 2020 年 10 月的死亡人口。")
        expect(page.locator("#rows-1-name")).to_have_value("刘桂英")  # kept as typed
        look(page, "10-death-form-grandmother-refused")
        assert_table_fits(page)

        # her row taken off: the death form, checked against H4, finds a woman too many
        page.locator("#rows-1-remove").locator("xpath=..").tap()  # its cell's label
        expect(page.locator("#rows-1-remove")).to_be_checked()
        tap(page, "[data-test=save-deaths]")
        expect(page.locator("[data-test=death-1]")).to_have_count(0)
        expect(page.locator("#rows-0-name")).to_have_value("周德福")
        checks = page.locator("[data-test=death-checks]")
        expect(checks).to_contain_text(H4_TOO_MANY)
        look(page, "11-death-form-checks-h4")

        # 复查 says where: the form of 301
        back_to_attempt(page)
        tap(page, "[data-test=recheck]")
        expect(page.locator("main h1")).to_have_text("复查")
        expect(page.locator("[data-test=finding]")).to_have_count(4)  # + the tally not begun
        expect(page.locator("[data-test=group-forms]")).to_contain_text("普查表仍是草稿")
        expect(page.locator("[data-test=group-register]")).to_contain_text(
            "底册的现住人数为 5；普查表的 H2a 为 4。")
        expect(page.locator("[data-test=group-deaths]")).to_contain_text(H4_TOO_MANY)
        look(page, "12-recheck-mistake")

        # the R601 put right: 刘桂英 a living person (added after the four), H2a 5, H4 1/0
        back_to_attempt(page)
        tap(page, f"[data-test=form-{UNIT}]")
        add_person(page)
        fill_person(page, 4, persons["刘桂英"])
        fill(page, "H2a", 5)
        fill(page, "H4f", 0)
        saved_as_typed(page)
        look(page, "13-form-five-persons")
        if not page.locator("#complete").is_checked():
            tick(page, "complete")
        if not page.locator("#confirmed").is_checked():
            tick(page, "confirmed")
        tap(page, "[data-test=save-form]")
        expect(page.locator(".flash-success")).to_have_text("普查表已填写完整。")
        expect(page.locator("[data-test=form-status]")).to_have_text("完整")
        expect(page.locator(".field-error")).to_have_count(0)
        for index, name in enumerate([*living, "刘桂英"]):
            expect(page.locator(f"#persons-{index}-D1")).to_have_value(name)
        expect(page.locator("#H4m")).to_have_value("1")
        expect(page.locator("#H4f")).to_have_value("0")
        expect(page.locator("#H3m")).to_have_value("0")
        expect(page.locator("#H3f")).to_have_value("0")
        look(page, "14-form-complete")

        # the death form: 周德福 alone, complete
        back_to_attempt(page)
        tap(page, "[data-test=deaths]")
        expect(page.locator("[data-test=death-checks]")).to_have_count(0)
        for item, value in GRANDFATHER.items():
            expect(page.locator(f"#rows-0-{item}")).to_have_value(value)
        if not page.locator("#complete").is_checked():
            tick(page, "complete")
        tap(page, "[data-test=save-deaths]")
        expect(page.locator("[data-test=deaths-status]")).to_have_text("完整")
        expect(page.locator(".field-error")).to_have_count(0)
        look(page, "15-death-form-complete")

        # the quick tally; 复查 with nothing left
        tally_and_clean_recheck(page, look, (1, 5, 0, 5, 0, 1),
                                ("16-tally", "17-recheck-clean"))

        # submit: every paper done, so the plain confirmation
        back_to_attempt(page)
        link = page.locator(f"[data-test=form-{UNIT}]")
        expect(link.locator("xpath=..")).to_contain_text("完整")
        expect(page.locator("[data-test=deaths]").locator("xpath=..")).to_contain_text("完整")
        look(page, "18-before-submit")
        tap(page, "[data-test=submit]")
        assert page.dialogs == ["现在提交吗？提交后不能再修改。"]
        expect(page.locator(".flash-success")).to_have_text("你的作答已提交。")

        # the debrief: a pass, full marks on coverage and the papers
        debrief = page.locator("[data-test=debrief]")
        heading = debrief.locator("h2")
        expect(heading).to_have_text("得分：100.0 · 通过")
        for criterion in FORM_CRITERIA:
            row = page.locator(f"[data-test=debrief-{criterion}]")
            if row.count():
                expect(row.locator("td").nth(2)).to_have_text("100")
        expect(page.locator("[data-test=debrief-outcome]")).to_contain_text(
            "五里牌路 2栋301室：完成登记")
        expect(debrief.locator("[data-test=feedback]")).to_have_count(0)  # nothing to improve
        look(page, "19-debrief")

        # the form handed in: the five, 刘桂英 among them, read-only
        tap(page, f"[data-test=form-{UNIT}]")
        expect(page.locator("#persons-4-D1")).to_have_value("刘桂英")
        expect(page.locator("#persons-4-D1")).to_be_disabled()
        expect(page.locator("#H4m")).to_have_value("1")
        look(page, "20-form-handed-in")
