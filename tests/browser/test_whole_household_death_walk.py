"""A trainee walks the whole-household death (全户死亡户, 户编号 999) in Chinese on a touch
tablet held in landscape (1024x768), as they would in the field: My training, the exercise
started, a knock nobody answers, the neighbour across the landing asked (shown the card, her
distrust answered, the death and who else lived there asked, read back), the unit entered in
the register as a whole-household death numbered 999, its R601 (H4 only) filled, the death on
the area's death form with number 999, the quick tally (a plausible first mistake, one
household, found by 复查 and corrected: a 999 form adds its deaths to ΣH4 and no household),
复查 with nothing left, the submission and the debrief with full marks.

Each page is measured for what a trainee meets there: Chinese throughout (no interface
message left in English, no half-width colon after a Chinese word), nothing beyond the screen
sideways, whole options in the selects. Screenshots: test-artifacts/browser/walk999-*.png.

The tests after the walk each hold what the walk once found wrong: the visit telling all the
death form asks, no "None" in the debrief, Chinese colons in 复查, the tally saying how a 999
form counts, the 999 form showing what the neighbour told, 复查 reading the death form as it
stands, the tally graded."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    ARTIFACTS,
    BROKEN_WORDS,
    CUT_OFF,
    DEMO_PASSWORDS,
    HALF_COLON,
    SHORT_LINKS,
    SMALL_CHECKS,
    VIEWPORT,
    LiveServer,
    untranslated,
    walk_page,
)
from tests.browser.test_extra_forms import assert_table_fits
from tests.browser.test_trainee_tablet import _version
from trainer.accounts import services as accounts
from trainer.accounts.models import Role
from trainer.config import project_root
from trainer.core.census.r601 import record_of
from trainer.core.scenario import loader
from trainer.core.scenario.households import build
from trainer.extensions import DB_KEY
from trainer.fieldwork import services
from trainer.fieldwork.models import Mode

pytestmark = pytest.mark.browser
PASSWORD = "Walk-999-death-2020"
assert PASSWORD not in DEMO_PASSWORDS.values()  # an account of this test's own
SCENARIO = "whole-household-death"
# what the neighbour and the closing narration tell: the death form's row of 刘德明
DEATH_ROW = {"number": "999", "name": "刘德明", "birth": "1938-03", "died": "2020-06",
             "age": "82", "ethnicity": "汉族"}
NEIGHBOUR = ("ask_neighbour", "show_id", "explain_purpose", "answer_concern:distrust",
             "probe:deaths", "probe:others_living_here", "read_back")
TARGET = 44  # px: a link's height, a checkbox's target either way, on touch
FORM_CRITERIA = ("outcome", "coverage", "form_accuracy", "form_completeness",
                 "register_accuracy", "death_form", "tally")


def assigned_practice(live_server: LiveServer, scenario: str, username: str,
                      names: tuple[str, str, str], password: str) -> tuple[int, int]:
    """A trainer (`<username>trainer`), a trainee (`<username>trainee`) and a cohort of their
    own (`names`: the trainer's, the trainee's and the cohort's, no other test's), `scenario`
    assigned as practice: (the assignment's id, the trainee's id)."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        trainer = accounts.create_user(db, actor=None, username=f"{username}trainer",
                                       full_name=names[0], role=Role.TRAINER,
                                       password=password)[0]
        trainee = accounts.create_user(db, actor=None, username=f"{username}trainee",
                                       full_name=names[1], role=Role.TRAINEE,
                                       password=password)[0]
        cohort = accounts.create_cohort(db, actor=trainer, name=names[2], trainer=trainer)
        cohort.trainees = [trainee]
        assignment = services.assign(db, actor=trainer, cohort=cohort, mode=Mode.PRACTICE,
                                     version=_version(db, scenario), due_on=None)
        db.commit()
        return assignment.id, trainee.id


def own_trainee(live_server: LiveServer, tag: str) -> tuple[int, int]:
    """The whole-household death assigned to a trainee of this walk's own."""
    return assigned_practice(live_server, SCENARIO, f"walk999{tag}", (
        f"全户死亡{tag}培训师", f"全户死亡{tag}学员", f"全户死亡走查{tag}班"), PASSWORD)


def begun(live_server: LiveServer, tag: str, steps: tuple[str, ...] = NEIGHBOUR, *,
          register: dict[str, Any] | None = None, form: dict[str, Any] | None = None,
          deaths: list[dict[str, Any]] | None = None,
          tally: dict[str, int | None] | None = None,
          submit: bool = False) -> int:
    """An attempt of a trainee of its own (`tag`), made through the services as the pages
    would: the knock at 201 on Friday morning, `steps`, then the papers given; its id."""
    assignment_id, trainee_id = own_trainee(live_server, tag)
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        trainee = accounts.get_user(db, trainee_id)
        assignment = services.get_assignment_for(db, trainee, assignment_id)
        attempt = services.start_attempt(db, trainee, assignment)
        services.take_step(db, attempt, "liu", "knock", datetime(2020, 11, 6, 10, 0))
        for action in steps:
            services.take_step(db, attempt, "liu", action, None)
        if register is not None:
            services.save_register(db, attempt, {"liu": register})
        if deaths is not None:
            services.save_deaths(db, attempt, deaths, complete=True)
        if form is not None:
            services.save_form(db, attempt, "liu", form, complete=True, confirmed=True)
        if tally is not None:
            services.save_tally(db, attempt, tally)
        if submit:
            services.submit(db, attempt)
        db.commit()
        return attempt.id


def measure(page: Any, shot: str, *, colons: bool = True) -> str:
    """Screenshot a Chinese page (<shot>.png) and measure it: no error page, nothing
    sideways beyond the screen, no interface message in English, whole options, no label,
    link or heading broken inside a word, links and checkbox targets a finger can hit
    (44 px), and (with `colons`) no half-width colon after a Chinese word. The text of
    `main`, for more checks. Each Chinese walk's `look` names its shots."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{shot}: the page scrolls sideways ({width} > {inner})"
    text = page.locator("body").inner_text()
    assert "Internal Server Error" not in text and "Traceback" not in text, shot
    assert untranslated(text) == [], (shot, untranslated(text))
    assert page.evaluate(CUT_OFF, "main select") == [], shot
    assert page.evaluate(BROKEN_WORDS) == [], (shot, page.evaluate(BROKEN_WORDS))
    assert page.evaluate(SHORT_LINKS, TARGET) == [], shot
    assert page.evaluate(SMALL_CHECKS, TARGET) == [], shot
    if colons:
        assert HALF_COLON.findall(page.locator("main").inner_text()) == [], shot
    return str(page.locator("main").inner_text())


def look(page: Any, name: str, *, colons: bool = True) -> str:
    """Screenshot and measure the page as walk999-<name>.png (`measure`)."""
    return measure(page, f"walk999-{name}", colons=colons)


def true_record(scenario_id: str, unit: str) -> dict[str, Any]:
    """A household's R601 as the library scenario's fixed seed draws it: what the answers
    panel shows, item by item."""
    scenario = loader.load(project_root() / "scenarios" / f"{scenario_id}.yaml")
    household = build(scenario, scenario.seed)[unit].household
    assert household is not None
    return record_of(household)


def tap(page: Any, selector: str) -> None:
    """Tap something that loads a new page, and wait for it."""
    with page.expect_navigation():
        page.locator(selector).first.tap()


def act(page: Any, action: str) -> None:
    """Tap an action on the card of 201 (东茅岭路 6栋201室)."""
    tap(page, f"[data-test=household-liu] button[data-action='{action}']")


def back_to_attempt(page: Any) -> None:
    """The breadcrumb's second link: the exercise."""
    tap(page, "nav.crumbs a >> nth=1")


def tick(page: Any, box: str) -> None:
    """Tick a checkbox by tapping its label, as a finger does."""
    page.locator(f"label[for={box}]").tap()
    expect(page.locator(f"#{box}")).to_be_checked()


def saved_as_typed(page: Any) -> None:
    """The page's autosave has answered (the form is saved as it changes)."""
    expect(page.locator("[data-test=save-status]")).to_contain_text("保存")


TALLY_FIGURES = ("households", "present", "away", "total", "births", "deaths")


def tally_and_clean_recheck(page: Any, look: Callable[[Any, str], Any],
                            figures: tuple[int, ...], shots: tuple[str, str],
                            saved: Callable[[Any], None] = saved_as_typed) -> None:
    """How a walk whose papers are right closes: the quick tally typed from the attempt's
    page (`figures` in the order of `TALLY_FIGURES`), saved without an error, then 复查 with
    nothing left; `shots` names the two screenshots, `saved` waits for the page's autosave
    (its words are the page language's)."""
    back_to_attempt(page)
    tap(page, "[data-test=tally]")
    for name, figure in zip(TALLY_FIGURES, figures, strict=True):
        page.locator(f"#{name}").fill(str(figure))
    saved(page)
    tap(page, "[data-test=save-tally]")
    expect(page.locator(".field-error")).to_have_count(0)
    look(page, shots[0])
    tap(page, "[data-test=recheck]")
    expect(page.locator("[data-test=recheck-empty]")).to_be_visible()
    expect(page.locator("[data-test=finding]")).to_have_count(0)
    look(page, shots[1])


def test_a_trainee_registers_a_whole_household_death_end_to_end(
        browser: Any, live_server: LiveServer) -> None:
    assignment_id, _trainee = own_trainee(live_server, "walk")
    with walk_page(browser, live_server, "walk999walktrainee", PASSWORD, "zh-CN",
                   dialogs=True, viewport=VIEWPORT, has_touch=True) as page:
        # My training: the exercise, started with a tap
        page.goto("/training")
        expect(page.locator("main h1")).to_have_text("我的培训")
        row = page.locator(f"[data-test=exercise-{assignment_id}]")
        expect(row).to_contain_text("全户死亡户")
        look(page, "01-my-training")
        tap(page, f"[data-test=start-{assignment_id}]")
        expect(page.locator("main h1")).to_have_text("全户死亡户")
        attempt_url = page.url.split("#")[0]
        assert re.search(r"/training/attempts/\d+$", attempt_url)
        look(page, "02-attempt")

        # Friday morning at 201: nobody opens, mourning couplets on the door
        page.locator("#day-liu").select_option("2020-11-06")
        page.locator("#time-liu").select_option("10:00")
        act(page, "knock")
        transcript = page.locator("[data-test=event]")
        expect(transcript.first).to_contain_text("没有人开门")
        expect(transcript.first).to_contain_text("挽联")
        card = page.locator("[data-test=household-liu]")
        for offered in ("ask_neighbour", "ask_grid_worker", "record_vacant"):
            expect(card.locator(f"button[data-action='{offered}']")).to_be_visible()
        look(page, "03-nobody-opens")

        # the neighbour across the landing: card shown, distrust answered, then asked
        for action in NEIGHBOUR[:-1]:
            act(page, action)
        expect(transcript.last).to_contain_text("一个人住")
        expect(page.locator("[data-test=event]", has_text="6月12号")).to_have_count(1)
        look(page, "04-neighbour-told")
        act(page, "read_back")
        expect(card).to_contain_text("完成登记")
        expect(card).to_contain_text("无需再次上门")
        # nothing opens the 999 form but the register: no R601 is listed yet
        expect(page.locator("[data-test=form-liu]")).to_have_count(0)
        look(page, "05-read-back")

        # the register: 6栋201 a whole-household death, numbered 999
        tap(page, "[data-test=register]")
        expect(page.locator("main h1")).to_contain_text("户主姓名底册")
        status = page.locator("#rows-0-status")
        expect(status.locator("option[value=all_died]")).to_have_text("全户死亡（999）")
        page.locator("#rows-0-building").fill("6")
        page.locator("#rows-0-unit").fill("201")
        status.select_option("all_died")
        page.locator("#rows-0-number").fill("999")
        saved_as_typed(page)
        look(page, "06-register")
        tap(page, "[data-test=save-register]")
        expect(page.locator(".flash-success")).to_have_text("底册已保存。")
        expect(page.locator(".field-error")).to_have_count(0)
        expect(page.locator("#rows-0-number")).to_have_value("999")

        # the exercise now lists the unit's R601 as the 999 form
        back_to_attempt(page)
        link = page.locator("[data-test=form-liu]")
        expect(link).to_have_text("R601 · 东茅岭路 6栋201室 · 户编号999")
        expect(link.locator("xpath=..")).to_contain_text("未开始")
        look(page, "07-attempt-lists-999")

        # the 999 form: the note and H4 only; the death form is still empty, so H4 = 1 is
        # an error to correct there, and the form stays a draft
        tap(page, "[data-test=form-liu]")
        expect(page.locator("main h1")).to_have_text(
            "普查短表 R601 · 东茅岭路 6栋201室 · 户编号999")
        note = page.locator("[data-test=all-died-note]")
        expect(note).to_be_visible()
        for words in ("全户死亡户", "户编号为999", "只填H4", "死亡人口调查表"):
            expect(note).to_contain_text(words)
        expect(page.locator("label[for=H4m]")).to_have_text("H4 死亡人口（男）")
        expect(page.locator("label[for=H4f]")).to_have_text("H4 死亡人口（女）")
        for absent in ("#H1", "#H2a", "#H5", "fieldset.person", "button[name=add_person]"):
            expect(page.locator(absent)).to_have_count(0)
        page.locator("#H4m").fill("1")
        page.locator("#H4f").fill("0")
        saved_as_typed(page)
        look(page, "08-form-999")
        tick(page, "complete")
        tap(page, "[data-test=save-form]")
        expect(page.locator("[data-test=form-status]")).to_have_text("草稿")
        expect(page.locator(".field-error")).to_contain_text("死亡人口调查表上有 0 人")
        expect(page.locator("#H4m")).to_have_value("1")  # nothing typed is lost
        look(page, "09-form-999-waits-for-the-death-form")

        # the death form: his row, numbered 999
        back_to_attempt(page)
        tap(page, "[data-test=deaths]")
        expect(page.locator("main h1")).to_have_text("死亡人口调查表")
        expect(page.locator("[data-test=death-checks]")).to_contain_text(
            "户编号 999 的 H4 填报死亡 1 人（男），但死亡人口调查表上有 0 行。")
        tap(page, "[data-test=add-death]")
        # first as a hurried trainee writes it: 汉 for 汉族, and 83 (2020 less 1938, though
        # March is not after June: he was 82)
        for item, value in {**DEATH_ROW, "age": "83", "ethnicity": "汉"}.items():
            page.locator(f"#rows-0-{item}").fill(value)
        page.locator("#rows-0-sex").select_option("1")
        # as the neighbour told: 汉族, 小学 (3)
        page.locator("#rows-0-education").select_option("3")
        saved_as_typed(page)
        tick(page, "complete")
        tap(page, "[data-test=save-deaths]")
        expect(page.locator("[data-test=deaths-status]")).to_have_text("草稿")
        errors = page.locator("[data-test=death-0-errors] li")
        expect(errors).to_have_count(2)
        expect(errors.nth(0)).to_have_text(
            "死亡时年龄（周岁）：死亡时年龄与出生、死亡年月不符，应按周岁计算（出生月大于死亡月时再减一岁）。")
        expect(errors.nth(1)).to_have_text("民族请填写全称：汉族。")  # names its item
        look(page, "10-death-form-mistakes")
        assert_table_fits(page)  # the errors shown, every column still in view
        page.locator("#rows-0-age").fill(DEATH_ROW["age"])
        page.locator("#rows-0-ethnicity").fill(DEATH_ROW["ethnicity"])
        saved_as_typed(page)
        look(page, "10-death-form")
        tick(page, "complete")
        tap(page, "[data-test=save-deaths]")
        expect(page.locator(".flash-success")).to_have_text("死亡人口调查表已保存。")
        expect(page.locator("[data-test=deaths-status]")).to_have_text("完整")
        expect(page.locator("[data-test=death-checks]")).to_have_count(0)
        expect(page.locator(".field-error")).to_have_count(0)
        look(page, "11-death-form-complete")

        # back on the 999 form: complete now
        back_to_attempt(page)
        tap(page, "[data-test=form-liu]")
        expect(page.locator("#H4m")).to_have_value("1")
        tick(page, "complete")
        tap(page, "[data-test=save-form]")
        expect(page.locator(".flash-success")).to_have_text("普查表已填写完整。")
        expect(page.locator("[data-test=form-status]")).to_have_text("完整")
        expect(page.locator(".field-error")).to_have_count(0)
        look(page, "12-form-999-complete")

        # the quick tally: one household first (the unit was registered), as a trainee may
        back_to_attempt(page)
        tap(page, "[data-test=tally]")
        expect(page.locator("main h1")).to_have_text("快速汇总")
        for name, figure in (("households", 1), ("present", 0), ("away", 0), ("total", 0),
                             ("births", 0), ("deaths", 1)):
            page.locator(f"#{name}").fill(str(figure))
        saved_as_typed(page)
        tap(page, "[data-test=save-tally]")
        expect(page.locator(".field-error")).to_have_count(0)
        look(page, "13-tally")

        # 复查: the tally's one household is the only finding, and its link leads to it
        tap(page, "[data-test=recheck]")
        expect(page.locator("main h1")).to_have_text("复查")
        findings = page.locator("[data-test=finding]")
        expect(findings).to_have_count(1)
        expect(page.locator("[data-test=group-tally]")).to_contain_text(
            "快速汇总为 1；普查表合计为 0。")
        look(page, "14-recheck-tally")
        tap(page, "[data-test=group-tally] [data-test=fix]")
        assert page.url.endswith("/tally#households")
        expect(page.locator("#households")).to_have_value("1")
        page.locator("#households").fill("0")
        tap(page, "[data-test=save-tally]")
        expect(page.locator("#households")).to_have_value("0")
        expect(page.locator("#deaths")).to_have_value("1")

        # 复查 again: nothing left
        tap(page, "[data-test=recheck]")
        expect(page.locator("[data-test=recheck-empty]")).to_have_text("没有发现不一致之处。")
        expect(page.locator("[data-test=finding]")).to_have_count(0)
        look(page, "15-recheck-clean")

        # submit: every paper done, so the plain confirmation
        back_to_attempt(page)
        cards = page.locator("#forms")
        expect(link).to_have_text("R601 · 东茅岭路 6栋201室 · 户编号999")
        expect(link.locator("xpath=..")).to_contain_text("完整")
        expect(page.locator("[data-test=deaths]").locator("xpath=..")).to_contain_text("完整")
        expect(page.locator("[data-test=tally]").locator("xpath=..")).to_contain_text("已完成")
        expect(cards).to_contain_text("已列 1 / 1 个住房单元")
        look(page, "16-before-submit")
        tap(page, "[data-test=submit]")
        assert page.dialogs == ["现在提交吗？提交后不能再修改。"]
        expect(page.locator(".flash-success")).to_have_text("你的作答已提交。")

        # the debrief: full marks, on coverage and on every paper
        debrief = page.locator("[data-test=debrief]")
        expect(debrief.locator("h2")).to_have_text("得分：100.0 · 通过")
        for criterion in FORM_CRITERIA:
            row = page.locator(f"[data-test=debrief-{criterion}]")
            if row.count():  # the tally is graded where the rubric names it
                expect(row.locator("td").nth(2)).to_have_text("100")
        expect(page.locator("[data-test=debrief-coverage] td").nth(2)).to_have_text("100")
        expect(page.locator("[data-test=debrief-death_form] td").nth(2)).to_have_text("100")
        expect(debrief.locator("[data-test=feedback]")).to_have_count(0)  # nothing to improve
        expect(page.locator("[data-test=debrief-outcome]")).to_contain_text(
            "东茅岭路 6栋201室：完成登记")
        look(page, "17-debrief")

        # the 999 form handed in: still there, read-only
        tap(page, "[data-test=form-liu]")
        expect(page.locator("#H4m")).to_have_value("1")
        expect(page.locator("#H4m")).to_be_disabled()
        expect(page.locator("[data-test=all-died-note]")).to_be_visible()
        look(page, "18-form-999-handed-in")


# What the walk once found wrong in the application, each held by a test --------------------


def test_the_visit_tells_what_the_death_form_asks(browser: Any, live_server: LiveServer) -> None:
    # both ways a trainee finds out: the neighbour, then (another trainee) the grid worker
    asked = {"neighbour": begun(live_server, "told"),
             "grid": begun(live_server, "grid", ("ask_grid_worker", "read_back"))}
    for tag, attempt_id in asked.items():
        username = "walk999toldtrainee" if tag == "neighbour" else "walk999gridtrainee"
        with walk_page(browser, live_server, username, PASSWORD, "zh-CN",
                       viewport=VIEWPORT, has_touch=True) as page:
            page.goto(f"/training/attempts/{attempt_id}")
            told = " ".join(page.locator("[data-test=event]").all_inner_texts())
            assert "1938年3月" in told  # the birth month, in the closing narration
            assert "汉族" in told, tag
            assert "小学" in told, tag


def test_a_register_finding_never_shows_none(browser: Any, live_server: LiveServer) -> None:
    death = {"number": 999, "name": "刘德明", "sex": 1, "birth": "1938-03", "died": "2020-06",
             "age": 82, "ethnicity": "汉族", "education": 3}
    attempt_id = begun(
        live_server, "head",
        register={"building": 6, "unit": 201, "status": "all_died", "number": 999,
                  "head": "刘德明"},
        deaths=[death], form={"H4m": 1, "H4f": 0},
        tally={"households": 0, "present": 0, "away": 0, "total": 0, "births": 0,
               "deaths": 1}, submit=True)
    with walk_page(browser, live_server, "walk999headtrainee", PASSWORD, "zh-CN",
                   viewport=VIEWPORT, has_touch=True) as page:
        page.goto(f"/training/attempts/{attempt_id}")
        register = page.locator("[data-test=debrief-register_accuracy]")
        expect(register).to_contain_text("户主姓名")  # the finding is there
        look(page, "found-register-none", colons=False)
        assert "None" not in register.inner_text()


@pytest.fixture(scope="module")
def draft_999(live_server: LiveServer) -> int:
    """An attempt whose register says 999 and whose 999 form is a draft with H4 = 1, the
    death form not begun: what a trainee has half way through."""
    return begun(live_server, "draft",
                 register={"building": 6, "unit": 201, "status": "all_died", "number": 999},
                 form={"H4m": 1, "H4f": 0})


def test_the_recheck_writes_chinese_colons(browser: Any, live_server: LiveServer,
                                           draft_999: int) -> None:
    with walk_page(browser, live_server, "walk999drafttrainee", PASSWORD, "zh-CN",
                   viewport=VIEWPORT, has_touch=True) as page:
        page.goto(f"/training/attempts/{draft_999}/check")
        expect(page.locator("[data-test=finding]").first).to_be_visible()
        text = look(page, "found-recheck-colons", colons=False)
        assert HALF_COLON.findall(text) == []


def test_the_tally_says_how_a_999_form_counts(browser: Any, live_server: LiveServer,
                                              draft_999: int) -> None:
    with walk_page(browser, live_server, "walk999drafttrainee", PASSWORD, "zh-CN",
                   viewport=VIEWPORT, has_touch=True) as page:
        page.goto(f"/training/attempts/{draft_999}/tally")
        text = look(page, "found-tally-999")
        assert "999" in text


def test_the_999_form_shows_what_the_neighbour_told(browser: Any, live_server: LiveServer,
                                                    draft_999: int) -> None:
    with walk_page(browser, live_server, "walk999drafttrainee", PASSWORD, "zh-CN",
                   viewport=VIEWPORT, has_touch=True) as page:
        page.goto(f"/training/attempts/{draft_999}/forms/liu")
        answers = page.locator("aside.answers")
        expect(answers).to_be_visible()
        look(page, "found-999-answers")
        expect(answers).not_to_contain_text("在访问中询问各项目", timeout=1000)
        expect(answers).to_contain_text("6月12号", timeout=1000)


def test_the_recheck_reads_the_death_form_as_it_stands(browser: Any,
                                                       live_server: LiveServer) -> None:
    death = {"number": 999, "name": "刘德明", "sex": 1, "birth": "1938-03", "died": "2020-06",
             "age": 82, "ethnicity": "汉族", "education": 3}
    attempt_id = begun(live_server, "stale",
                       register={"building": 6, "unit": 201, "status": "all_died",
                                 "number": 999},
                       form={"H4m": 1, "H4f": 0})  # a draft: the death form was empty
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:  # then the death form, filled
        trainee = accounts.user_by_username(db, "walk999staletrainee")
        assert trainee is not None
        attempt = services.get_attempt(db, trainee, attempt_id)
        services.save_deaths(db, attempt, [death], complete=True)
        db.commit()
    with walk_page(browser, live_server, "walk999staletrainee", PASSWORD, "zh-CN",
                   viewport=VIEWPORT, has_touch=True) as page:
        page.goto(f"/training/attempts/{attempt_id}/check")
        forms = page.locator("[data-test=group-forms]")
        expect(forms).to_contain_text("普查表仍是草稿")  # true: not yet marked complete
        look(page, "found-recheck-stale", colons=False)
        expect(page.locator("[data-test=finding]")).to_have_count(2, timeout=1000)  # + tally
        expect(forms).not_to_contain_text("死亡人口调查表上有 0 人", timeout=1000)


def test_the_debrief_grades_the_tally(browser: Any, live_server: LiveServer) -> None:
    death = {"number": 999, "name": "刘德明", "sex": 1, "birth": "1938-03", "died": "2020-06",
             "age": 82, "ethnicity": "汉族", "education": 3}
    attempt_id = begun(
        live_server, "tally",
        register={"building": 6, "unit": 201, "status": "all_died", "number": 999},
        deaths=[death], form={"H4m": 1, "H4f": 0},
        tally={"households": 1, "present": 0, "away": 0, "total": 0, "births": 0,
               "deaths": 0}, submit=True)
    with walk_page(browser, live_server, "walk999tallytrainee", PASSWORD, "zh-CN",
                   viewport=VIEWPORT, has_touch=True) as page:
        page.goto(f"/training/attempts/{attempt_id}")
        expect(page.locator("[data-test=debrief] h2")).to_be_visible()
        look(page, "found-tally-ungraded")
        row = page.locator("[data-test=debrief-tally]")
        expect(row).to_have_count(1, timeout=1000)
        expect(row.locator("td").nth(2)).not_to_have_text("100", timeout=1000)
