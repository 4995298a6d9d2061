"""Log-in, log-out, passwords and the security rules around them."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.conftest import PASSWORD, app_config
from trainer import create_app
from trainer.accounts.models import AuditEvent, AuditKind, Role
from trainer.extensions import limiter


def audit_kinds(db, **where):
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(AuditEvent, key) == value)
    return [event.kind for event in db.scalars(stmt)]


def post_login(client, csrf, username, password, **kwargs):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf()}, **kwargs)


def test_login_with_right_password_redirects_to_role_home(client, csrf, make_user, db):
    user = make_user(Role.TRAINEE, username="Zhang.Wei")
    response = post_login(client, csrf, "  ZHANG.wei ", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").headers["Location"] == "/training"
    assert client.get("/training").status_code == 200
    db.refresh(user)
    assert user.last_login_at is not None
    assert AuditKind.LOGIN in audit_kinds(db, subject_id=user.id)


def test_wrong_password_and_unknown_user_get_the_same_answer(client, csrf, make_user, db):
    make_user(Role.TRAINER, username="trainer-a")
    wrong = post_login(client, csrf, "trainer-a", "not-the-password")
    unknown = post_login(client, csrf, "nobody-here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    message = b"The user name or password is not correct."
    assert message in wrong.data and message in unknown.data
    failed = db.scalars(select(AuditEvent).where(AuditEvent.kind == AuditKind.LOGIN_FAILED)).all()
    assert [event.username_tried for event in failed] == ["trainer-a", "nobody-here"]
    assert [event.detail["reason"] for event in failed] == ["password", "unknown"]


def test_deactivated_user_cannot_log_in(client, csrf, make_user):
    make_user(Role.TRAINEE, username="gone", active=False)
    response = post_login(client, csrf, "gone", PASSWORD)
    assert response.status_code == 401
    assert client.get("/training").status_code == 302


def test_login_without_csrf_token_is_refused_with_a_clear_message(client, make_user):
    make_user(Role.TRAINEE, username="nocsrf")
    response = client.post("/login", data={"username": "nocsrf", "password": PASSWORD})
    assert response.status_code == 400
    assert b"Reload the page" in response.data
    assert client.get("/training").status_code == 302  # still logged out


def test_login_rate_limit_counts_failures_only(app, client, csrf, make_user):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    make_user(Role.TRAINEE, username="target")
    statuses = [post_login(client, csrf, "target", "wrong-password").status_code
                for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    limited = post_login(client, csrf, "target", PASSWORD)
    assert limited.status_code == 429
    assert b"Too many attempts" in limited.data


def test_successful_logins_do_not_use_up_the_limit(app, client, csrf, make_user):
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    make_user(Role.TRAINEE, username="regular")
    for _ in range(4):
        assert post_login(client, csrf, "regular", PASSWORD).status_code == 302
        client.post("/logout", data={"csrf_token": csrf()})


def from_address(address):
    """A request's keyword arguments that make it come from `address`."""
    return {"environ_overrides": {"REMOTE_ADDR": address}}


def test_login_rate_limit_counts_failures_per_user_name_across_addresses(app, client, csrf,
                                                                          make_user):
    """Guessing one account's password from many addresses (each below the per-address
    limit) is stopped by the count per user name; other accounts stay open from the same
    addresses. The refusal is the localised 429 page."""
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    make_user(Role.TRAINEE, username="target")
    make_user(Role.TRAINEE, username="bystander")
    addresses = [f"198.51.100.{number}" for number in range(1, 5)]
    statuses = [post_login(client, csrf, "target", "wrong-password",
                           **from_address(address)).status_code for address in addresses]
    assert statuses == [401, 401, 401, 429]
    # the user name is counted as the form spells it once normalised (case, spaces)
    assert post_login(client, csrf, " TARGET ", "wrong-password",
                      **from_address("198.51.100.99")).status_code == 429
    limited = post_login(client, csrf, "target", PASSWORD, **from_address("203.0.113.7"),
                         headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert limited.status_code == 429 and limited.mimetype == "text/html"
    assert "短时间内尝试次数过多" in limited.get_data(as_text=True)
    assert client.get("/training").status_code == 302  # the right password did not log in
    for address in addresses:  # one failure each: the addresses themselves are not limited
        assert post_login(client, csrf, "bystander", PASSWORD,
                          **from_address(address)).status_code == 302
        client.post("/logout", data={"csrf_token": csrf()}, **from_address(address))


def test_successful_logins_do_not_count_against_the_user_name(app, client, csrf, make_user):
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    make_user(Role.TRAINEE, username="regular")
    for number in range(1, 5):
        address = from_address(f"198.51.100.{number}")
        assert post_login(client, csrf, "regular", PASSWORD, **address).status_code == 302
        client.post("/logout", data={"csrf_token": csrf()}, **address)
    statuses = [post_login(client, csrf, "regular", "wrong-password",
                           **from_address(f"203.0.113.{number}")).status_code
                for number in range(1, 4)]
    assert statuses == [401, 401, 429]


def test_the_limiter_checks_only_the_routes_it_limits(app, tmp_path, database_url):
    """With no default limit, the limiter's per-request hook is off (the log-in limit above
    still holds: its decorator checks it); a default limit keeps the hook on."""
    assert limiter._check_request_limit not in app.before_request_funcs[None]
    try:
        limited = create_app(app_config(tmp_path, database_url, RATELIMIT_DEFAULT="5 per minute"))
        assert limiter._check_request_limit in limited.before_request_funcs[None]
        client = limited.test_client()
        statuses = [client.get("/login").status_code for _ in range(6)]
        assert statuses == [200] * 5 + [429]
    finally:  # the limiter is one object for the process: later apps have no default
        limiter.limit_manager.set_default_limits([])


def test_open_redirect_after_login_is_ignored(client, csrf, make_user):
    make_user(Role.TRAINEE, username="redir")
    # another site, as written or as a browser reads a backslash; a header split
    for hostile in ("https://evil.example/", "/\\evil.example", "/\\/evil.example",
                    "/training\r\nSet-Cookie: evil=1"):
        response = post_login(client, csrf, "redir", PASSWORD, query_string={"next": hostile})
        assert response.status_code == 302 and response.headers["Location"] == "/", hostile
        client.post("/logout", data={"csrf_token": csrf()})
    response = post_login(client, csrf, "redir", PASSWORD, query_string={"next": "/training"})
    assert response.headers["Location"] == "/training"


def test_logout_ends_the_session_and_is_audited(client, csrf, login_as, db):
    user = login_as(Role.EXAMINER)
    assert client.get("/review").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf()})
    assert response.status_code == 302
    assert client.get("/review").status_code == 302
    assert AuditKind.LOGOUT in audit_kinds(db, subject_id=user.id)


def test_logout_needs_post_with_csrf(client, login_as):
    login_as(Role.TRAINEE)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/training").status_code == 200


def test_the_session_cookie_follows_a_rotated_secret_key(app, client, login_as):
    """The signing serializer is built once per key (trainer/sessions.py), not once for
    all: a rotated key with the old one among the fallbacks keeps the browser logged in
    and signs its next cookie with the new key; without the fallback, a cookie signed with
    the old key is refused while one signed with the new key is accepted."""
    login_as(Role.TRAINEE)
    assert client.get("/training").status_code == 200
    old_cookie = client.get_cookie("session").value
    old_key = app.secret_key
    app.secret_key = app.config["SECRET_KEY"] = "a-rotated-secret-key"
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    assert client.get("/training").status_code == 200
    with client.session_transaction() as session:  # the session changes: a new cookie
        session["locale"] = "en"
    new_cookie = client.get_cookie("session").value
    assert new_cookie != old_cookie
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert client.get("/training").status_code == 200  # signed with the new key
    client.set_cookie("session", old_cookie)
    assert client.get("/training").status_code == 302  # the old key's: to the log-in page
    client.set_cookie("session", new_cookie)
    assert client.get("/training").status_code == 200
    app.secret_key = app.config["SECRET_KEY"] = "yet-another-secret-key"
    assert client.get("/training").status_code == 302


def test_change_password_logs_out_other_sessions(app, client, csrf, login_as, db):
    user = login_as(Role.TRAINER)
    other = app.test_client()
    with other.session_transaction() as session:
        session["_user_id"] = user.get_id()
    assert other.get("/cohorts").status_code == 200
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "a-brand-new-pass",
        "confirm": "a-brand-new-pass", "csrf_token": csrf()})
    assert response.status_code == 302
    assert client.get("/cohorts").status_code == 200  # this browser stays logged in
    assert other.get("/cohorts").status_code == 302  # the other one is logged out
    assert AuditKind.PASSWORD_CHANGED in audit_kinds(db, subject_id=user.id)


def test_change_password_errors_are_shown_on_the_field(client, csrf, login_as):
    login_as(Role.TRAINEE)
    wrong_current = client.post("/account/password", data={
        "current_password": "not-it-at-all", "new_password": "a-brand-new-pass",
        "confirm": "a-brand-new-pass", "csrf_token": csrf()})
    assert wrong_current.status_code == 400
    assert b"The current password is not correct." in wrong_current.data
    mismatch = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "a-brand-new-pass",
        "confirm": "different-pass-1", "csrf_token": csrf()})
    assert mismatch.status_code == 400
    assert b"The passwords differ." in mismatch.data
    same = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": PASSWORD, "confirm": PASSWORD,
        "csrf_token": csrf()})
    assert same.status_code == 400
    assert b"must differ" in same.data


def test_temporary_password_must_be_changed_first(client, csrf, login_as, make_user, db):
    user = make_user(Role.TRAINEE, must_change_password=True)
    login_as(user=user)
    response = client.get("/training")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/password"
    client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "my-own-password",
        "confirm": "my-own-password", "csrf_token": csrf()})
    db.refresh(user)
    assert user.must_change_password is False
    assert client.get("/training").status_code == 200


def test_forgot_password_says_the_same_for_every_name(client, csrf, make_user, db):
    make_user(Role.TRAINEE, username="forgetful")
    known = client.post("/forgot-password", data={"username": "forgetful",
                                                   "csrf_token": csrf()}, follow_redirects=True)
    unknown = client.post("/forgot-password", data={"username": "ghost",
                                                    "csrf_token": csrf()}, follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    assert b"If this account exists" in known.data and b"If this account exists" in unknown.data
    assert audit_kinds(db, kind=AuditKind.RESET_REQUESTED) == [AuditKind.RESET_REQUESTED] * 2


def test_session_cookie_is_httponly_and_samesite(client, csrf, make_user):
    make_user(Role.TRAINEE, username="cookie")
    response = post_login(client, csrf, "cookie", PASSWORD)
    cookie = next(value for value in response.headers.getlist("Set-Cookie")
                  if value.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_language_switch_is_saved_on_the_account(client, csrf, login_as, db):
    user = login_as(Role.TRAINEE)
    response = client.post("/language", data={"locale": "zh_CN", "next": "/training",
                                              "csrf_token": csrf()})
    assert response.headers["Location"] == "/training"
    db.refresh(user)
    assert user.locale == "zh_CN"
    page = client.get("/training").get_data(as_text=True)
    assert "我的培训" in page and 'lang="zh-CN"' in page
    # without scripts the menu has its own button; with them (the menu sends itself) there is
    # none to show, not even until the deferred script runs
    switch = re.search(r"<button[^>]*>切换</button>", page)
    assert switch is not None
    assert page.rfind("<noscript>", 0, switch.start()) > page.rfind("</noscript>", 0,
                                                                       switch.start())


def test_language_switch_rejects_unknown_locales(client, csrf):
    response = client.post("/language", data={"locale": "fr", "csrf_token": csrf()})
    assert response.status_code == 400


def test_browser_language_chooses_the_default(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    assert "登录" in client.get("/login").get_data(as_text=True)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.9"
    assert "Log in" in client.get("/login").get_data(as_text=True)


def test_login_rate_limit_in_redis_is_shared_between_app_instances(
        database_url, connection, tmp_path, make_user):
    """With TRAINER_REDIS_URL set, two web processes share the count (here: two apps)."""
    import os
    import uuid

    import pytest
    import redis

    from tests.conftest import app_config, csrf_token
    from trainer import create_app
    from trainer.db import make_sessionmaker
    from trainer.extensions import use_sessionmaker

    url = os.environ.get("TRAINER_TEST_REDIS_URL")
    if not url:
        pytest.skip("TRAINER_TEST_REDIS_URL not set")
    redis.Redis.from_url(url).flushdb()
    make_user(Role.TRAINEE, username=f"shared-{uuid.uuid4().hex[:6]}")
    apps = []
    for index in range(2):
        app = create_app(app_config(tmp_path / str(index), database_url, REDIS_URL=url,
                                    RATELIMIT_STORAGE_URI=url, LOGIN_RATE_LIMIT="2 per minute"))
        use_sessionmaker(app, make_sessionmaker(connection,
                                                join_transaction_mode="create_savepoint"))
        apps.append(app)
    statuses = []
    for app in (apps[0], apps[1], apps[0]):
        client = app.test_client()
        statuses.append(client.post("/login", data={
            "username": "ghost-user", "password": "wrong-password",
            "csrf_token": csrf_token(client, app)}).status_code)
    assert statuses == [401, 401, 429]
    assert redis.Redis.from_url(url).keys("LIMITS*"), "the counts were not kept in Redis"
