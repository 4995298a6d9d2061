"""A trainee walks the shop-dwellers (住在店里的一家) in English on a touch tablet held
upright (768x1024): My training, the exercise started, the knock at the Huarong rice-noodle
shop (五里牌路 12栋101), where 杨建军 sends the enumerator to register them in Huarong; the
purpose told (he still refuses), the legal basis told (he agrees: they sleep behind the shop),
the card shown, confidentiality promised, the roster asked (the two of them), the members away
probed (their son 杨浩 lives in Huarong with his grandparents), the items asked, read back; the
register's row (building 12, unit 101, household 1, head 杨建军, occupied, two living here).

The R601 is a workplace dwelling (H5 = 3): H6 and H7, asked of an ordinary dwelling only, are
hidden once H5 says so (and blank, and asked by nothing). The trainee first makes the classic
mistake: the son added as a member away
(H2b 1, D7 = 5 and D8 = 4 written out as 湖南省岳阳市华容县); the form's own check refuses
him (someone living elsewhere is on the form only as a hukou member away, so D8 = 1), and 复查
says the register and the form disagree on who is away. 杨浩 taken off and H2b 0, the form is
complete (both D8 = 4 with the place written out, D9 6, D10 1, IDs issued in 430623), the
quick tally, 复查 with nothing left, the submission and the debrief with a passing score.

Each page is measured for an English page on a tablet (`look`): no Chinese of the interface
left untranslated (the census's own Chinese terms the English interface shows in brackets, and
the data, are Chinese by design), nothing beyond the screen sideways, whole options in the
selects, no word broken across lines, targets a finger can hit (44 px). The R601's panel of
"Answers you were given" speaks English too (3 Workplace, 4 Another county, not 3 工作地住所:
it showed the Chinese answers once). Screenshots: test-artifacts/browser/walkshop-*.png."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    ARTIFACTS,
    BROKEN_WORDS,
    CUT_OFF,
    DEMO_PASSWORDS,
    SHORT_LINKS,
    SMALL_CHECKS,
    LiveServer,
    walk_page,
)
from tests.browser.test_fieldwork import fill
from tests.browser.test_whole_household_death_walk import (
    TARGET,
    assigned_practice,
    back_to_attempt,
    tally_and_clean_recheck,
    tap,
    tick,
    true_record,
)

pytestmark = pytest.mark.browser
PASSWORD = "Walk-shop-2020"
assert PASSWORD not in DEMO_PASSWORDS.values()  # an account of this test's own
SCENARIO = "shop-dwellers"
UNIT = "yang"
PORTRAIT = {"width": 768, "height": 1024}  # a tablet held upright
HUARONG = "湖南省岳阳市华容县"
# the items a short form needs, asked once the roster is told (H6-H7 are not asked of a shop)
ITEMS = ("H1", "H3", "H4", "H5", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "D9", "D10", "D11",
         "D12")
HOUSEHOLD = {"H1": 1, "H2a": 2, "H2b": 0, "H3m": 0, "H3f": 0, "H4m": 0, "H4f": 0, "H5": 3}
# the mistake: the son in Huarong written as a member of the household away (his ID number
# unknown, so not written), living in another county (D7 = 5) with his hukou there (D8 = 4)
SON = {"D1": "杨浩", "D2": 2, "D4": 1, "D5": "2008-05", "D6": "汉族", "D7": 5,
       "D7_place": HUARONG, "D8": 4, "D8_place": HUARONG, "D9": 1, "D11": 4}
RESIDENCE_ERROR = ("Someone who lives elsewhere in China (D7 = 2-5) is registered here only "
                   "as a hukou member away (H2b), so the hukou is here: D8 = 1. Someone who "
                   "neither lives here nor has the hukou here is on no form of this household.")
FORM_CRITERIA = ("outcome", "coverage", "form_accuracy", "residence_rules", "form_completeness",
                 "register_accuracy", "tally")
# Chinese a page of the English interface shows by design: the data (names, the address, the
# hukou place, the ethnic group the trainee writes). The census's terms the interface keeps in
# Chinese stand in brackets, taken out before the page is read (`chinese_left`).
DATA = ("杨建军", "黄丽", "杨浩", "五里牌路", HUARONG, "汉族")
# and Chinese the interface shows by design outside brackets: the header's language menu
# names each language in itself
BY_DESIGN = ("中文",)
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
BRACKETED = re.compile(r"\([^()]*\)|（[^（）]*）")


def own_trainee(live_server: LiveServer, tag: str) -> tuple[int, int]:
    """The shop-dwellers assigned to a trainee of this walk's own."""
    return assigned_practice(live_server, SCENARIO, f"walkshop{tag}", (
        f"Shop walk {tag} trainer", f"Shop walk {tag} trainee", f"Shop walk {tag} cohort"),
        PASSWORD)


def chinese_left(text: str, data: tuple[str, ...] = DATA) -> list[str]:
    """The Chinese of `text` that is neither data (`data`) nor a census term in brackets: an
    interface message left untranslated on an English page."""
    text = BRACKETED.sub("", text)
    for word in (*data, *BY_DESIGN):
        text = text.replace(word, "")
    return HAN.findall(text)


def measure_english(page: Any, shot: str, data: tuple[str, ...]) -> str:
    """Screenshot an English page (<shot>.png) and measure it: no Chinese left of the
    interface (`data` is the walk's own Chinese), nothing sideways beyond the screen, whole
    options, no word broken across two lines, links and checkbox targets a finger can hit
    (44 px). The text of `main`, for more checks."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)
    assert page.evaluate("document.documentElement.lang") == "en", shot
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{shot}: the page scrolls sideways ({width} > {inner})"
    text = page.locator("body").inner_text()
    assert "Internal Server Error" not in text and "Traceback" not in text, shot
    assert chinese_left(text, data) == [], (shot, chinese_left(text, data))
    assert page.evaluate(CUT_OFF, "main select") == [], shot
    assert page.evaluate(BROKEN_WORDS) == [], shot
    assert page.evaluate(SHORT_LINKS, TARGET) == [], shot
    assert page.evaluate(SMALL_CHECKS, TARGET) == [], shot
    return str(page.locator("main").inner_text())


def look(page: Any, name: str) -> str:
    """Screenshot and measure the page as walkshop-<name>.png (`measure_english`)."""
    return measure_english(page, f"walkshop-{name}", DATA)


def act(page: Any, action: str) -> None:
    """Tap an action on the card of 101 (五里牌路 12栋101室)."""
    tap(page, f"[data-test=household-{UNIT}] button[data-action='{action}']")


def fill_person(page: Any, index: int, person: dict[str, Any]) -> None:
    """Type or pick one person's items (D1-D12, the places) as given."""
    for item, value in person.items():
        fill(page, f"persons-{index}-{item}", value)


def add_person(page: Any) -> None:
    """Add a person: the form is posted (kept as typed) and comes back with a blank person."""
    before = page.locator("fieldset.person").count()
    tap(page, "button[name=add_person]")
    expect(page.locator("fieldset.person")).to_have_count(before + 1)


def saved_as_typed(page: Any) -> None:
    """The page's autosave has answered (the form is saved as it changes)."""
    expect(page.locator("[data-test=save-status]")).to_contain_text("Saved at")


def test_a_trainee_registers_the_shop_dwellers_in_english_upright(
        browser: Any, live_server: LiveServer) -> None:
    record = true_record(SCENARIO, UNIT)
    persons = {person["D1"]: person for person in record["persons"]}
    assert list(persons) == ["杨建军", "黄丽"]
    assignment_id, _trainee = own_trainee(live_server, "walk")
    with walk_page(browser, live_server, "walkshopwalktrainee", PASSWORD, "en",
                   dialogs=True, viewport=PORTRAIT, has_touch=True) as page:
        # My training: the exercise, started with a tap
        page.goto("/training")
        expect(page.locator("main h1")).to_have_text("My training")
        expect(page.locator(f"[data-test=exercise-{assignment_id}]")).to_contain_text(
            "A family living in their shop")
        look(page, "01-my-training")
        tap(page, f"[data-test=start-{assignment_id}]")
        expect(page.locator("main h1")).to_have_text("A family living in their shop")
        attempt_url = page.url.split("#")[0]
        assert re.search(r"/training/attempts/\d+$", attempt_url)
        look(page, "02-attempt")

        # Friday morning at the shop: "go and register us in Huarong"
        page.locator(f"#day-{UNIT}").select_option("2020-11-06")
        page.locator(f"#time-{UNIT}").select_option("10:00")
        act(page, "knock")
        transcript = page.locator("[data-test=event]")
        expect(transcript.first).to_contain_text("Huarong Rice Noodles")
        expect(transcript.first).to_contain_text("Go and register us in Huarong.")
        look(page, "03-door")

        # the purpose is not enough; the rule (registered where one lives) is
        act(page, "explain_purpose")
        expect(transcript.last).to_contain_text("count us where our hukou is")
        look(page, "04-purpose-refused")
        act(page, "explain_legal_basis")
        expect(transcript.last).to_contain_text("we sleep in the little room behind the shop")
        look(page, "05-legal-basis")

        # the card, confidentiality, the roster: the two of them
        for action in ("show_id", "promise_confidentiality", "ask_item:roster"):
            act(page, action)
        expect(transcript.last).to_contain_text("杨建军, 黄丽")
        # the members away: the son in Huarong, with his grandparents
        act(page, "probe:members_away")
        expect(transcript.last).to_contain_text("Yang Hao")
        expect(transcript.last).to_contain_text("grandparents")
        look(page, "06-son-in-huarong")
        for item in ITEMS:
            act(page, f"ask_item:{item}")
        act(page, "read_back")
        card = page.locator(f"[data-test=household-{UNIT}]")
        expect(page.locator("[data-test=event]", has_text="we're registered here")
               ).to_have_count(1)
        expect(card).to_contain_text("Completed")
        look(page, "07-read-back")

        # the register: 12栋101 occupied, household 1, head 杨建军, two living here
        tap(page, "[data-test=register]")
        look(page, "08-register-empty")
        for item, value in (("building", "12"), ("unit", "101"), ("number", "1"),
                            ("head", "杨建军"), ("present", "2"), ("away", "0")):
            page.locator(f"#rows-0-{item}").fill(value)
        page.locator("#rows-0-status").select_option("occupied")
        page.locator("#rows-0-kind").select_option("family")
        page.locator("#rows-0-mode").select_option("visit")
        page.locator("#rows-0-letter").locator("xpath=..").tap()  # the letter, handed over
        expect(page.locator("#rows-0-letter")).to_be_checked()
        saved_as_typed(page)
        look(page, "09-register")
        tap(page, "[data-test=save-register]")
        expect(page.locator(".flash-success")).to_have_text("The register is saved.")
        expect(page.locator(".field-error")).to_have_count(0)

        # the R601: the shop is a workplace dwelling; the son added as a member away
        back_to_attempt(page)
        tap(page, f"[data-test=form-{UNIT}]")
        look(page, "10-form-empty")
        while page.locator("fieldset.person").count() < 3:
            add_person(page)
        for code, answer in HOUSEHOLD.items():
            fill(page, code, answer)
        fill(page, "H2b", 1)
        for index, name in enumerate(persons):
            fill_person(page, index, persons[name])
        fill_person(page, 2, SON)
        saved_as_typed(page)
        look(page, "11-form-with-son")
        tick(page, "complete")
        tick(page, "confirmed")
        tap(page, "[data-test=save-form]")
        # the form's checks: his ID number (not known), and his hukou: someone living
        # elsewhere is on this form only as a hukou member away, so with the hukou here
        expect(page.locator(".flash-error")).to_have_text(
            "Not complete: correct the errors first (2).")
        expect(page.locator("[data-test=form-status]")).to_have_text("draft")
        errors = page.locator(".field-error")
        expect(errors).to_have_count(2)
        expect(errors.nth(0)).to_contain_text("D3 ID number is required.")
        expect(errors.nth(1)).to_have_text(RESIDENCE_ERROR)
        expect(page.locator("#persons-2-D1")).to_have_value("杨浩")  # nothing typed is lost
        # H6-H7 of a workplace dwelling: hidden (H5 = 3 skips them), blank, asked by nothing
        panel = page.locator("aside.answers")
        expect(panel).to_contain_text("3 Workplace")  # the answers in the page's language
        expect(panel).not_to_contain_text("工作地住所")
        for item in ("H6", "H7"):
            expect(page.locator(f"[data-test=ordinary-{item}]")).to_be_hidden()
            expect(page.locator(f"#{item}")).to_have_value("")
            expect(page.locator(f"#{item}")).not_to_have_attribute("aria-invalid", "true")
        look(page, "12-form-son-refused")

        # 复查: the form a draft, and the register and the form disagree on who is away
        back_to_attempt(page)
        tap(page, "[data-test=recheck]")
        expect(page.locator("main h1")).to_have_text("Check my work (复查)")
        forms = page.locator("[data-test=group-forms]")
        expect(forms).to_contain_text("The form is still a draft")
        expect(forms).to_contain_text(RESIDENCE_ERROR)
        expect(page.locator("[data-test=group-register]")).to_contain_text(
            "The register has 0 hukou members away; the form's H2b is 1.")
        look(page, "13-recheck-son")

        # 杨浩 taken off (he neither lives here nor has his hukou here), H2b 0
        back_to_attempt(page)
        tap(page, f"[data-test=form-{UNIT}]")
        tick(page, "persons-2-remove")
        fill(page, "H2b", 0)
        saved_as_typed(page)
        look(page, "14-form-son-removed")
        if not page.locator("#complete").is_checked():
            tick(page, "complete")
        if not page.locator("#confirmed").is_checked():
            tick(page, "confirmed")
        tap(page, "[data-test=save-form]")
        expect(page.locator(".flash-success")).to_have_text("The form is complete.")
        expect(page.locator("[data-test=form-status]")).to_have_text("complete")
        expect(page.locator(".field-error")).to_have_count(0)
        expect(page.locator("[data-test=warnings]")).to_have_count(0)
        expect(page.locator("fieldset.person")).to_have_count(2)  # 杨浩 gone
        for index, name in enumerate(persons):
            expect(page.locator(f"#persons-{index}-D1")).to_have_value(name)
            expect(page.locator(f"#persons-{index}-D3")).to_have_value(re.compile("^430623"))
            expect(page.locator(f"#persons-{index}-D8")).to_have_value("4")
            expect(page.locator(f"#persons-{index}-D8_place")).to_have_value(HUARONG)
            expect(page.locator(f"#persons-{index}-D9")).to_have_value("6")
            expect(page.locator(f"#persons-{index}-D10")).to_have_value("1")
        expect(page.locator("#H5")).to_have_value("3")
        expect(page.locator("#H2b")).to_have_value("0")
        for item in ("H6", "H7"):
            expect(page.locator(f"#{item}")).to_have_value("")
        look(page, "15-form-complete")

        # the quick tally: one household, two living here, nobody away; 复查 with nothing left
        tally_and_clean_recheck(page, look, (1, 2, 0, 2, 0, 0),
                                ("16-tally", "17-recheck-clean"), saved_as_typed)

        # submit: the form complete, so the plain confirmation
        back_to_attempt(page)
        expect(page.locator(f"[data-test=form-{UNIT}]").locator("xpath=..")).to_contain_text(
            "complete")
        look(page, "18-before-submit")
        tap(page, "[data-test=submit]")
        assert page.dialogs == ["Submit now? An attempt cannot change after it is submitted."]
        expect(page.locator(".flash-success")).to_have_text("Your attempt has been submitted.")

        # the debrief: a pass, full marks on coverage, the papers and the residence rules
        debrief = page.locator("[data-test=debrief]")
        expect(debrief.locator("h2")).to_have_text("Score: 100.0 · passed")
        for criterion in FORM_CRITERIA:
            row = page.locator(f"[data-test=debrief-{criterion}]")
            expect(row).to_have_count(1)
            expect(row.locator("td").nth(2)).to_have_text("100")
        expect(page.locator("[data-test=debrief-outcome]")).to_contain_text(
            "五里牌路 building 12, unit 101: Completed")
        expect(debrief.locator("[data-test=feedback]")).to_have_count(0)  # nothing to improve
        look(page, "19-debrief")

        # the form handed in: the two of them, read-only, H6-H7 blank
        tap(page, f"[data-test=form-{UNIT}]")
        expect(page.locator("fieldset.person")).to_have_count(2)
        expect(page.locator("#persons-1-D1")).to_have_value("黄丽")
        expect(page.locator("#persons-1-D1")).to_be_disabled()
        expect(page.locator("#H6")).to_have_value("")
        look(page, "20-form-handed-in")
