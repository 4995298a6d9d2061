"""The examiner's forms on a review at 768 px (a tablet in portrait), in Chinese and English:
the override's criterion select is as wide as the page's content, so it cuts off no criterion
whose name the page could show on one line."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, LiveServer
from trainer.accounts import services as accounts
from trainer.accounts.models import Role, User
from trainer.extensions import DB_KEY
from trainer.fieldwork import services as fieldwork
from trainer.fieldwork.models import Mode
from trainer.scenarios import services as scenarios

pytestmark = pytest.mark.browser

# The criteria whose name would fit the select if its form took the whole row of the section
# (less the form's and the select's own padding and borders) but does not fit the select: cut
# off for want of room the page had.
NEEDLESSLY_CLIPPED = """() => {
  const select = document.querySelector('[data-test=override-form] select');
  const form = select.closest('form'), section = form.parentElement;
  const sum = (style, ...names) => names.reduce((total, name) => total + parseFloat(style[name]),
                                                0);
  const style = getComputedStyle(select);
  const padding = sum(style, 'paddingLeft', 'paddingRight');
  const chrome = sum(getComputedStyle(form), 'paddingLeft', 'paddingRight', 'borderLeftWidth',
                     'borderRightWidth') + sum(style, 'borderLeftWidth', 'borderRightWidth');
  const room = select.clientWidth - padding, whole = section.clientWidth - chrome - padding;
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = style.font;
  return [...select.options].map(option => [option.text, ctx.measureText(option.text).width])
    .filter(([, width]) => width <= whole && width > room)
    .map(([text, width]) => `${text}: ${width} > ${room}`);
}"""


def submitted_exam(live_server: LiveServer, locale: str) -> int:
    """A submitted exam of a trainee of its own in a cohort the demo examiner reviews (the
    demo's reviews are released or marked by other tests): its attempt's id."""
    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        tag = locale.lower()
        trainer = accounts.create_user(db, actor=None, username=f"tablettrainer-{tag}",
                                       full_name="平板考试培训师", role=Role.TRAINER,
                                       password="Tablet-review-2020")[0]
        trainee = accounts.create_user(db, actor=None, username=f"tabletexam-{tag}",
                                       full_name="平板考试学员", role=Role.TRAINEE,
                                       password="Tablet-review-2020")[0]
        examiner = accounts.user_by_username(db, "examiner")
        assert isinstance(examiner, User)
        cohort = accounts.create_cohort(db, actor=trainer, name=f"平板考试班 {tag}",
                                        trainer=trainer, examiners=[examiner])
        cohort.trainees = [trainee]
        exam = fieldwork.assign(db, actor=trainer, cohort=cohort, mode=Mode.EXAM, due_on=None,
                                version=scenarios.get_version(db, "cooperative-family"))
        attempt = fieldwork.start_attempt(db, trainee, exam)
        fieldwork.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19, 0))
        for action in ("greet", "show_id", "explain_purpose"):
            fieldwork.take_step(db, attempt, "wang", action, None)
        fieldwork.submit(db, attempt)
        db.commit()
        return attempt.id


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_override_criterion_select_uses_the_row_on_a_portrait_tablet(
        examiner_page: Callable[..., Any], live_server: LiveServer, locale: str) -> None:
    attempt = submitted_exam(live_server, locale)
    page = examiner_page({"width": 768, "height": 1024}, locale)
    page.goto(f"/review/attempts/{attempt}")
    form = page.locator("[data-test=override-form]")
    form.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"review-actions-768-{locale}.png"))
    assert form.locator("select option").count() > 1
    assert page.evaluate(NEEDLESSLY_CLIPPED) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    # tags (关键项, 考官已修改) stay on one line: a tag's box is one line of its text high
    form.locator("select").select_option(index=1)
    form.locator("input[name=score]").fill("40")
    form.locator("textarea[name=reason]").fill("复核录音后修改。")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.locator("[data-test=counted] .tag").count() >= 1  # 考官已修改 / changed by...
    broken = page.evaluate("""() => [...document.querySelectorAll('.tag')].filter(tag => {
      const lines = tag.getClientRects().length;
      return lines > 1 || tag.getBoundingClientRect().height >
             1.6 * parseFloat(getComputedStyle(tag).lineHeight || '16');
    }).map(tag => tag.textContent)""")
    assert page.locator(".tag").count() > 0 and broken == []
