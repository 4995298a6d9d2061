"""Flask glue: the request-scoped DB session, login, translations, CSRF and rate limits."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, request, session
from flask_babel import Babel, get_locale, gettext
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session, sessionmaker

from trainer.config import LOCALES
from trainer.db import make_engine, make_sessionmaker

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address)

DB_KEY = "trainer.sessionmaker"


def init_db(app: Flask) -> None:
    """Make the engine and session factory for this app (no connection is opened yet)."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["trainer.engine"] = engine
    app.extensions[DB_KEY] = make_sessionmaker(engine)
    app.teardown_appcontext(_close_db_session)


def use_sessionmaker(app: Flask, factory: sessionmaker[Session]) -> None:
    """Swap the session factory (tests bind it to a connection that is rolled back)."""
    app.extensions[DB_KEY] = factory


def db_session() -> Session:
    """The session of the current request or CLI command, opened on first use.

    Views commit it once at the end of a state-changing request; teardown closes it, which
    rolls back anything not committed (an exception therefore leaves no half-written rows).
    """
    if "db_session" not in g:
        g.db_session = current_app.extensions[DB_KEY]()
    db: Session = g.db_session
    return db


def discard_db_session() -> None:
    """Close the request's session after its connection failed (a later db_session() opens a
    new one). A user not loaded yet, or expired by the failed transaction's rollback, is taken
    as anonymous for the rest of the request, so an error page needs no query."""
    db = g.pop("db_session", None)
    if db is not None:
        try:
            db.close()
        except Exception:  # the connection is already gone; the pool has dropped it
            current_app.logger.debug("closing a failed session", exc_info=True)
    user = g.get("_login_user")
    state = sa_inspect(user, raiseerr=False) if user is not None else None
    if user is None or (state is not None and state.expired_attributes):
        g._login_user = login_manager.anonymous_user()


def _close_db_session(_exc: BaseException | None) -> None:
    db = g.pop("db_session", None)
    if db is not None:
        db.close()


def select_locale() -> str:
    """The user's saved language, else the session's choice, else the browser's, else default."""
    user_locale = getattr(current_user, "locale", None) if current_user else None
    for candidate in (user_locale, session.get("locale")):
        if candidate in LOCALES:
            return str(candidate)
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    if best is None:
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    return "en" if best == "en" else "zh_CN"


def init_extensions(app: Flask) -> None:
    """Bind every extension to the app."""
    init_db(app)
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "basic"
    login_manager.login_message = None  # type: ignore[assignment]
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://"
    )
    # Redis down must not stop field work (docs/architecture.md, "Redis down"): the limits
    # are then counted in this process's memory until Redis answers again (checked with a
    # growing back-off), and any other failure of the limiter lets the request through. A
    # Redis that does not answer is given up on after a second, not a TCP timeout.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS",
                          {"socket_connect_timeout": 1, "socket_timeout": 1})
    limiter.init_app(app)


def skip_idle_limit_check(app: Flask) -> None:
    """Take the limiter's check off every request when nothing is limited application-wide.

    Only a few routes are limited (log-in, password change, the API, certificate checks),
    each by its `@limiter.limit` decorator, which checks its own limits when its view runs
    (and falls back to memory when Redis is down, as configured above). The limiter's
    before-request hook checks default, application, blueprint and meta limits; with none
    of them it counts nothing, yet cost about 5 % of a dialogue step's CPU. Called once every
    blueprint is registered; a default limit added later keeps the hook."""
    manager = limiter.limit_manager
    if (manager._default_limits or manager._application_limits or manager._blueprint_limits
            or limiter._meta_limits):
        return
    hooks = app.before_request_funcs.get(None, [])
    app.before_request_funcs[None] = [
        hook for hook in hooks if hook != limiter._check_request_limit]


def is_english() -> bool:
    """Whether the interface speaks English now (else Chinese): texts that come in both
    languages (scenarios, findings, labels) pick their side with this."""
    locale = get_locale()
    return locale is None or locale.language != "zh"


def interface_locale() -> str:
    """The interface language as the application names it: "zh_CN" or "en"."""
    return "en" if is_english() else "zh_CN"


def colon() -> str:
    """The colon between a label and its value: full-width in Chinese (成绩：84), a colon and a
    space in English (Score: 84)."""
    return ": " if is_english() else "："


def list_separator() -> str:
    """What parts of one list are separated by: full-width in Chinese, as the colon is."""
    return "; " if is_english() else "；"


def comma() -> str:
    """Between the names of one enumeration: 顿号 in Chinese (隐私、礼貌), a comma in English."""
    return ", " if is_english() else "、"


def sentence_gap() -> str:
    """Between two sentences written one after the other: a space in English, none after a
    Chinese full stop (随存。登记为…, not 随存。 登记为…)."""
    return " " if is_english() else ""


def bracketed(text: object) -> str:
    """A remark after a label in brackets: full-width in Chinese (学员（2）), a space and
    round brackets in English (Trainees (2))."""
    return f" ({text})" if is_english() else f"（{text}）"


def stored_message(text: str | None) -> str:
    """A message kept in the database (why a job failed): translated where it is one of the
    application's messages, else as it is (a tool's own words), always as plain text that the
    template escapes. `{{ _(text) }}` would not do for such a text: Jinja's gettext marks what
    it returns as safe HTML and formats it with `%` (a '100%' in it is a 500)."""
    return gettext(text) if text else ""


def template_globals() -> dict[str, Any]:
    """Values every template may use."""
    from trainer.accounts.labels import audit_label, role_label

    return {"current_locale": interface_locale(), "locales": LOCALES,
            "role_label": role_label, "audit_label": audit_label,
            "stored_message": stored_message, "colon": colon, "list_separator": list_separator,
            "comma": comma, "bracketed": bracketed, "sentence_gap": sentence_gap}
