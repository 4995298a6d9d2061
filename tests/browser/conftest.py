"""Browser fixtures: a live server on its own SQLite file with the demo data, and Chromium.

The live server does not share the rolled-back test connection of tests/conftest.py: a real
browser makes real requests from another thread, so the app gets a file of its own, made
with `create_all` and seeded with the demo content, for the whole session.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from tests.conftest import app_config, chromium_path
from trainer import create_app
from trainer.accounts.demo import DEMO_USERS
from trainer.demo import seed_all
from trainer.extensions import DB_KEY
from trainer.models import Base

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
VIEWPORT = {"width": 1024, "height": 768}  # a tablet in landscape
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class LiveServer:
    """A running app and the address it answers on."""

    app: Flask
    url: str


def closing_body(app: Any) -> Any:
    """The app with each response's body closed however the server stops reading it.

    Werkzeug's development server (the live server here, never production's gunicorn) skips
    closing a body when the browser has hung up: reading what is left of the request then
    fails first. A clip's body is an open file, which Chromium hangs up on while it seeks
    in a video; left to the garbage collector, the file's ResourceWarning failed a test.
    The body here is a generator that closes the app's body when it is itself closed or
    collected."""

    def wrapped(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        body = app(environ, start_response)

        def chunks() -> Iterator[bytes]:
            try:
                yield from body
            finally:
                if hasattr(body, "close"):
                    body.close()

        return chunks()

    return wrapped


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on 127.0.0.1 (a free port), with the demo users, in a daemon thread."""
    tmp_path = tmp_path_factory.mktemp("live")
    database_url = f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    app = create_app(app_config(tmp_path, database_url))
    engine = app.extensions["trainer.engine"]
    with app.app_context():
        Base.metadata.create_all(engine)
        with app.extensions[DB_KEY]() as session:
            seed_all(session)
            session.commit()

    server: BaseWSGIServer = make_server("127.0.0.1", 0, closing_body(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright's sync API (no downloaded browsers)."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium found: install Debian's chromium or set TRAINER_CHROMIUM")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


# Chromium logs every 4xx/5xx response as a console error, the page's own document included.
FAILED_LOAD = re.compile(r"^Failed to load resource: the server responded with a status of (\d+)")


@dataclass
class BrowserPage:
    """A page in a fresh context, with the script errors it has seen."""

    page: Any
    base_url: str
    errors: list[str] = field(default_factory=list)
    expected_statuses: set[tuple[str, int]] = field(default_factory=set)

    def expect_status(self, path: str, status: int) -> None:
        """An error status the test itself provokes (a 401 log-in, a 403 page): not an error."""
        self.expected_statuses.add((path, status))

    def record_console(self, message: Any) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        failed = FAILED_LOAD.match(message.text)
        if failed and url.startswith(self.base_url):
            key = (urlsplit(url).path, int(failed.group(1)))
            if key in self.expected_statuses:
                return
        self.errors.append(f"console: {message.text} ({url})")

    def screenshot(self, name: str) -> Path:
        """Save a full-page screenshot as test-artifacts/browser/<name>.png."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def assert_no_errors(self) -> None:
        """No console error and no uncaught exception happened on the page."""
        assert self.errors == [], "errors in the browser:\n" + "\n".join(self.errors)


@pytest.fixture
def browser_page(browser: Any, live_server: LiveServer) -> Iterator[BrowserPage]:
    """A tablet-sized page (1024x768, en-US) in its own context: no cookies carried over."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    tracked = BrowserPage(page=page, base_url=live_server.url)
    page.on("console", tracked.record_console)
    page.on("pageerror", lambda error: tracked.errors.append(f"pageerror: {error}"))
    try:
        yield tracked
    finally:
        page.close()
        context.close()


@pytest.fixture
def examiner_page(browser: Any, live_server: LiveServer) -> Iterator[Callable[..., Any]]:
    """Opens pages as the demo examiner, logged in: `examiner_page(viewport, locale)` gives a
    page of that size speaking that language (chosen in the header if the account's saved
    language differs), in a context of its own, closed after the test."""
    password = next(password for username, _name, _role, password in DEMO_USERS
                    if username == "examiner")
    contexts: list[Any] = []

    def open_page(viewport: dict[str, int], locale: str) -> Any:
        context = browser.new_context(viewport=viewport, locale=locale, base_url=live_server.url)
        contexts.append(context)
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.goto("/login")
        page.locator("#username").fill("examiner")
        page.locator("#password").fill(password)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        # an earlier test may have saved another language on the account, which then wins
        # over the browser's: choose the page's language in the header (saved in its turn)
        wanted = "zh_CN" if zh(locale) else "en"
        if page.locator("#lang-select").input_value() != wanted:
            with page.expect_navigation():
                page.locator("#lang-select").select_option(wanted)
        return page

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()


def begun_exam(db: Any, prefix: str, label: str, password: str, *,
               examiner: Any = None) -> Any:
    """A cohort of its own (trainer, examiner and trainee named `prefix` + trainer/examiner/
    trainee, with Chinese full names from `label`; `examiner`: an existing one instead, such
    as the demo's, whose page `examiner_page` opens) with an exam on the cooperative family,
    whose trainee has begun it and knocked at the Wangs': the attempt (not committed)."""
    from datetime import datetime

    from trainer.accounts import services as accounts
    from trainer.accounts.models import Role
    from trainer.fieldwork import services as fieldwork
    from trainer.fieldwork.models import Mode
    from trainer.scenarios import services as scenarios

    users = {role: accounts.create_user(db, actor=None, username=f"{prefix}{role.value}",
                                        full_name=f"{label}{name}", role=role,
                                        password=password)[0]
             for role, name in ((Role.TRAINER, "培训师"), (Role.EXAMINER, "考官"),
                                (Role.TRAINEE, "学员")) if role != Role.EXAMINER or not examiner}
    users.setdefault(Role.EXAMINER, examiner)
    cohort = accounts.create_cohort(db, actor=users[Role.TRAINER], name=f"{label}班",
                                    trainer=users[Role.TRAINER],
                                    examiners=[users[Role.EXAMINER]])
    cohort.trainees = [users[Role.TRAINEE]]
    exam = fieldwork.assign(db, actor=users[Role.TRAINER], cohort=cohort, mode=Mode.EXAM,
                            due_on=None,
                            version=scenarios.get_version(db, "cooperative-family"))
    attempt = fieldwork.start_attempt(db, users[Role.TRAINEE], exam)
    fieldwork.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19, 0))
    return attempt


@contextmanager
def logged_in_page(browser: Any, live_server: LiveServer, username: str, password: str,
                   **options: Any) -> Iterator[Any]:
    """A page of a new browser context (`options`: viewport, locale, has_touch...) logged in
    as `username`; on leaving, the page must have met no script error, and the context is
    closed."""
    context = browser.new_context(base_url=live_server.url, **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    try:
        yield page
        assert errors == []
    finally:
        context.close()


DEMO_PASSWORDS = {username: password for username, _name, _role, password in DEMO_USERS}


def zh(locale: str) -> bool:
    """Whether a browser locale (zh-CN, en-US) is Chinese."""
    return locale.startswith("zh")


# A half-width colon after a Chinese word (or its closing bracket): Chinese pages write "：".
HALF_COLON = re.compile(r"[\u4e00-\u9fff][)）]?:")


@functools.cache
def _english_messages() -> tuple[str, ...]:
    """The interface's English messages of two words or more (from the catalogue), longest
    first, placeholders and markup cut off at their first one."""
    from babel.messages.pofile import read_po

    path = Path(__file__).resolve().parents[2] / "trainer/translations/en/LC_MESSAGES/messages.po"
    with path.open("rb") as handle:
        catalogue = read_po(handle)
    found = set()
    for message in catalogue:
        if not isinstance(message.id, str) or not message.id:
            continue
        text = re.split(r"%\(|<|\{", message.id)[0].strip(" :.,;(")
        if len(text.split()) >= 2 and re.fullmatch(r"[A-Za-z][A-Za-z ,'’-]+", text):
            found.add(text)
    return tuple(sorted(found, key=len, reverse=True))


def untranslated(text: str) -> list[str]:
    """The interface's English messages standing in a Chinese page's `text`: words of data
    (names of people and cohorts other tests made) are not messages, so they do not count."""
    return [message for message in _english_messages() if message in text]


@contextmanager
def walk_page(browser: Any, live_server: LiveServer, username: str, password: str,
              locale: str, *, dialogs: bool = False, **options: Any) -> Iterator[Any]:
    """`logged_in_page` in `locale`, chosen in the header too (an earlier test may have saved
    another language on the account), for the walk-throughs. The account's saved language is
    put back afterwards: the demo accounts serve every browser test, and a later one that
    goes by its browser's language would otherwise meet this walk's. With `dialogs`, every
    confirmation asked is accepted and its message kept in `page.dialogs`."""
    from trainer.accounts import services as accounts

    app = live_server.app
    with app.app_context(), app.extensions[DB_KEY]() as db:
        saved = accounts.user_by_username(db, username).locale
    try:
        with logged_in_page(browser, live_server, username, password, locale=locale,
                            **options) as page:
            yield from _in_locale(page, locale, dialogs)
    finally:
        with app.app_context(), app.extensions[DB_KEY]() as db:
            accounts.user_by_username(db, username).locale = saved
            db.commit()


def _in_locale(page: Any, locale: str, dialogs: bool) -> Iterator[Any]:
    if dialogs:
        page.dialogs = []

        def accept(dialog: Any) -> None:
            page.dialogs.append(dialog.message)
            dialog.accept()

        page.on("dialog", accept)
    wanted = "zh_CN" if zh(locale) else "en"
    if page.locator("#lang-select").input_value() != wanted:
        with page.expect_navigation():
            page.locator("#lang-select").select_option(wanted)
    yield page


# The options of the selects (and the values of the inputs) that their box cuts off,
# measured in the element's own font against the room its padding leaves.
CUT_OFF = """selector => {
  const canvas = document.createElement('canvas').getContext('2d');
  const cut = [];
  for (const el of document.querySelectorAll(selector)) {
    if (!el.getClientRects().length) continue;  // not shown (a box its code does not ask)
    const style = getComputedStyle(el);
    canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const texts = el.tagName === 'SELECT' ? [...el.options].map(o => o.text) : [el.value];
    for (const text of texts) {
      if (canvas.measureText(text).width > room + 0.5) { cut.push(`${el.name}: ${text}`); }
    }
  }
  return cut;
}"""


# The visible checkboxes and radios whose tap target is smaller than `least` px either way:
# the box itself, or the largest of its labels that holds it (a tap on the label ticks it).
SMALL_CHECKS = """least => [...document.querySelectorAll('input[type=checkbox], input[type=radio]')]
  .map(input => {
    const box = input.getBoundingClientRect();
    const holding = [...input.labels].map(label => label.getBoundingClientRect())
      .filter(l => l.left <= box.left && l.right >= box.right && l.top <= box.top
                   && l.bottom >= box.bottom);
    const target = [box, ...holding].sort((a, b) => b.width * b.height - a.width * a.height)[0];
    return [input, box, target];
  })
  .filter(([, box, target]) => box.width > 0 && (target.width < least || target.height < least))
  .map(([input, box, target]) => `${input.name || input.id}: box ${box.width}x${box.height}, `
                                 + `target ${target.width}x${target.height}`)"""

# The visible links of `main` (not those drawn in an SVG or a Leaflet map, nor the links shown
# as buttons, measured with the buttons) less than `least` px tall: "text: w x h".
SHORT_LINKS = """least => [...document.querySelectorAll('main a[href]')]
  .filter(a => !a.closest('svg, .leaflet-container') && a.getAttribute('role') !== 'button')
  .map(a => [a, a.getBoundingClientRect()])
  .filter(([, box]) => box.width > 0 && box.height < least)
  .map(([a, box]) => `${a.innerText.trim()}: ${box.width}x${box.height}`)"""

# The texts broken across two lines inside a word: between two letters or digits (a Chinese
# character is a letter). On an English page, any text of the body (a Chinese term in English
# is a word); on a Chinese page, the text of a label, link, button, heading or table cell (a
# phrase of a paragraph may break anywhere, as Chinese is set). Each character's box is measured
# with a Range: a character whose top is below the previous one's begins a line.
BROKEN_WORDS = """() => {
  const letter = /[\\p{L}\\p{N}]/u;
  const english = document.documentElement.lang === 'en';
  const labelled = 'label, a, button, h1, h2, h3, h4, legend, summary, th, td, dt';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const broken = [];
  const range = document.createRange();
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const parent = node.parentElement;
    if (!node.data.trim() || parent.closest('script, style, select, textarea, .leaflet-container')
        || (!english && !parent.closest(labelled))) { continue; }
    let previous = null;
    for (let i = 0; i < node.data.length; i++) {
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const box = [...range.getClientRects()].find(r => r.width > 0);
      if (!box) { continue; }
      if (previous && box.top > previous.box.top + previous.box.height / 2
          && previous.at === i - 1 && letter.test(node.data[i - 1])
          && letter.test(node.data[i])) {
        broken.push(`${node.data.slice(Math.max(0, i - 15), i)}|${node.data.slice(i, i + 15)}`);
        break;
      }
      previous = {box, at: i};
    }
  }
  return broken;
}"""
