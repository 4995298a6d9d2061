"""Sessions (fixation at log-in, a cookie replayed after log-out), cookie flags, and the
security headers on every page type the URL map serves."""

from __future__ import annotations

from typing import Any

from tests.conftest import PASSWORD, app_config
from tests.security.conftest import Estate, active_content
from trainer import create_app
from trainer.access import LOGGED_IN, PUBLIC, access_of
from trainer.accounts.models import Role
from trainer.db import make_sessionmaker
from trainer.extensions import use_sessionmaker


def session_cookie(response: Any) -> str:
    return next(value for value in response.headers.getlist("Set-Cookie")
                if value.startswith("session="))


def log_in(client: Any, csrf: Any, username: str) -> Any:
    return client.post("/login", data={"username": username, "password": PASSWORD,
                                       "csrf_token": csrf()})


# Session fixation ----------------------------------------------------------------------------

def test_log_in_starts_a_new_session(client, csrf, make_user):
    """What a page (or an attacker who set the cookie) put in the session before log-in is
    gone after it, and the cookie is a new one."""
    user = make_user(Role.TRAINEE, username="fixed")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        session["locale"] = "en"
    token = csrf()
    before = client.get_cookie("session").value
    response = client.post("/login", data={"username": "fixed", "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302
    assert client.get_cookie("session").value != before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != "test-raw-csrf-token"  # a fresh CSRF secret
        assert session["_user_id"] == user.get_id()


def test_a_cookie_from_before_log_in_is_not_logged_in(app, client, csrf, make_user):
    make_user(Role.TRAINEE, username="fixation")
    csrf()
    client.get("/login")
    stolen = client.get_cookie("session").value
    assert log_in(client, csrf, "fixation").status_code == 302
    attacker = app.test_client()
    attacker.set_cookie("session", stolen)
    assert attacker.get("/training").status_code == 302  # to the log-in page


def test_a_cookie_replayed_after_log_out_is_not_logged_in(app, client, csrf, make_user):
    """Sessions live in a signed cookie, so log-out must make the copy an attacker took
    worthless: it changes the account's session token."""
    make_user(Role.TRAINEE, username="replayed")
    assert log_in(client, csrf, "replayed").status_code == 302
    stolen = client.get_cookie("session").value
    assert client.post("/logout", data={"csrf_token": csrf()}).status_code == 302
    attacker = app.test_client()
    attacker.set_cookie("session", stolen)
    response = attacker.get("/training")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_password_change_elsewhere_ends_this_session(app, client, csrf, login_as, db):
    user = login_as(Role.TRAINEE)
    from trainer.accounts import services

    services.reset_password(db, actor=user, user=user)
    db.flush()
    assert client.get("/training").status_code == 302


# Cookie flags --------------------------------------------------------------------------------

def test_session_cookie_flags(client, csrf, make_user):
    make_user(Role.TRAINEE, username="flags")
    for response in (client.get("/login"), log_in(client, csrf, "flags")):
        for cookie in response.headers.getlist("Set-Cookie"):
            assert "HttpOnly" in cookie, cookie
            assert "SameSite=Lax" in cookie, cookie
            assert "Secure" not in cookie  # plain HTTP by default: a Secure cookie is lost
    assert session_cookie(response).startswith("session=")


def test_cookies_are_secure_behind_https(connection, database_url, tmp_path, make_user):
    app = create_app(app_config(tmp_path, database_url, SESSION_COOKIE_SECURE=True))
    use_sessionmaker(app, make_sessionmaker(connection, join_transaction_mode="create_savepoint"))
    client = app.test_client()
    make_user(Role.TRAINEE, username="https")
    from tests.conftest import csrf_token

    response = client.post("/login", base_url="https://localhost",
                           headers={"Referer": "https://localhost/login"}, data={
        "username": "https", "password": PASSWORD, "csrf_token": csrf_token(client, app)})
    assert response.status_code == 302
    cookie = session_cookie(response)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
    # over HTTPS the CSRF check also wants the request to come from this site
    foreign = client.post("/logout", base_url="https://localhost", data={
        "csrf_token": csrf_token(client, app)}, headers={"Referer": "https://evil.example/"})
    assert foreign.status_code == 400


def test_sessions_expire(app):
    assert 0 < app.permanent_session_lifetime.total_seconds() <= 24 * 3600
    assert app.config["WTF_CSRF_TIME_LIMIT"] <= 24 * 3600


# Headers on every page type -------------------------------------------------------------------

GET_ARGUMENTS = {
    "user_id": "{victim}", "cohort_id": "{cohort_a}", "attempt_id": "{attempt}",
    "unit": "wang", "assignment_id": "{assignment_a}", "scenario_id": "cooperative-family",
    "play_id": "{play_b}", "dialogue_id": "main", "node_id": "door", "token": "{upload_b}",
    "clip_id": "{clip}", "name": "720p", "locale": "zh_CN", "world_id": "{world}",
    "grid_index": "0", "code": "001", "household_index": "3", "task_id": "{task_a}",
    "drawing_id": "{drawing_a}", "certificate_id": "{certificate}", "filename": "favicon.svg",
    "trainee_id": "{victim}",
}
OVERRIDES = {  # endpoint -> (actor, argument overrides, query)
    "review.attempt": ("examiner_a", {"attempt_id": "{reviewed}"}, ""),
    "scenarios.play": ("trainer_b", {}, ""),
    "video.upload": ("trainer_b", {}, ""),
    "video.frame": ("admin", {}, "?at=1"),
    "certification.verified": (None, {"code": "{code}"}, ""),
    "scenarios.edit": ("admin", {}, ""),
    "accounts.login": (None, {}, ""),
    "accounts.forgot_password": (None, {}, ""),
}
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}



def get_pages(app: Any, estate: Estate) -> list[tuple[str, str | None, str]]:
    """(endpoint, actor, path) of every GET route, filled from the estate."""
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        access = access_of(app, rule.endpoint)
        actor, overrides, query = OVERRIDES.get(rule.endpoint, (..., {}, ""))
        if actor is ...:
            actor = (None if access == PUBLIC else "victim" if access == LOGGED_IN
                     else "admin" if Role.ADMIN in access
                     else "victim" if Role.TRAINEE in access else "trainer_a")
        path = rule.rule
        for part in rule.rule.split("<")[1:]:
            variable = part.split(">")[0]
            key = variable.split(":")[-1]
            assert key in GET_ARGUMENTS, f"{rule.endpoint}: add a value for <{key}>"
            path = path.replace(f"<{variable}>",
                                estate.url(overrides.get(key, GET_ARGUMENTS[key])))
        pages.append((rule.endpoint, actor, path + query))
    # /readyz checks the database from a worker thread; on the tests' shared SQLite
    # connection that thread must not overlap the next request, so it goes last
    return sorted(pages, key=lambda page: (page[0] == "ops.readyz", page))


def test_security_headers_on_every_page_type(app, client, login_as, estate):
    """Every GET route (HTML, JSON, CSV, XLSX, PDF, SVG, WebVTT, video, static files, the
    API), and the error pages: the headers are there, the CSP is strict, and no HTML page has
    an inline script or event handler."""
    seen_types: set[str] = set()
    statuses: dict[int, int] = {}
    failures = []
    login_as(user=estate.users["victim"])
    for path in ("/no/such/page", "/api/v1/nothing", "/admin/users"):
        failures += check_headers(path, client.get(path))
    failures += check_headers("405", client.delete("/login"))
    for endpoint, actor, path in get_pages(app, estate):
        client.delete_cookie("session")
        headers = {}
        if path.startswith("/api/v1/") and endpoint != "api.openapi":  # by token
            headers["Authorization"] = f"Bearer {estate.ids['raw_token_a']}"
        elif actor is not None:
            login_as(user=estate.users[actor])
        response = client.get(path, headers=headers)
        failures += check_headers(f"{endpoint} {path}", response)
        seen_types.add(response.mimetype)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        response.close()
    assert failures == [], "\n".join(failures)
    assert statuses.get(200, 0) >= 0.8 * sum(statuses.values()), statuses
    assert {"text/html", "application/json", "text/csv", "image/svg+xml", "application/pdf",
            "text/vtt", "video/mp4"} <= seen_types


def check_headers(where: str, response: Any) -> list[str]:
    found = []
    csp = response.headers.get("Content-Security-Policy", "")
    for directive in ("default-src 'self'", "script-src 'self'", "object-src 'none'",
                      "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'"):
        if directive not in csp:
            found.append(f"{where}: CSP lacks {directive}")
    if "unsafe-inline" in csp or "unsafe-eval" in csp or "*" in csp:
        found.append(f"{where}: CSP too wide: {csp}")
    for name, value in HEADERS.items():
        if response.headers.get(name) != value:
            found.append(f"{where}: {name} is {response.headers.get(name)!r}")
    if response.mimetype == "text/html":
        body = response.get_data(as_text=True)
        if response.headers.get("Cache-Control") != "no-store":
            found.append(f"{where}: an HTML page may be cached")
        found += [f"{where}: {problem}" for problem in active_content(body)]
    elif response.status_code == 200 and response.mimetype in (
            "application/json", "text/csv", "application/pdf", "text/vtt",
            "image/svg+xml") and not response.headers.get("Cache-Control"):
        found.append(f"{where}: private {response.mimetype} without Cache-Control")
    return found
