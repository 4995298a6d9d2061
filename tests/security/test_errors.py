"""No error response shows a stack trace, a secret or a file path; no log line or audit
record holds a password."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from tests.conftest import PASSWORD, SECRET
from tests.security.conftest import snapshot
from trainer.accounts.models import Role

# what an exception raised deep inside would carry, if it were ever shown
LEAK = f"{SECRET} at /work/main/trainer/fieldwork/services.py line 99 password={PASSWORD}"


def assert_clean(response: Any, *, status: int) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code == status, body[-400:]
    for needle in ("Traceback", SECRET, PASSWORD, "/work/", 'File "', ".py", "sqlalchemy",
                   "werkzeug", "jinja2", "RuntimeError", "IntegrityError"):
        assert needle not in body, f"{needle!r} in a {status} response"
    for value in response.headers.values():
        assert SECRET not in value and "Traceback" not in value


def test_client_errors_are_plain(app, client, csrf, login_as, make_user, estate):
    assert_clean(client.post("/login", data={"csrf_token": csrf()}), status=400)
    assert_clean(client.post("/login", data={"username": "x", "password": "y"}), status=400)
    assert_clean(client.get("/no/such/page"), status=404)
    assert_clean(client.delete("/login"), status=405)
    assert_clean(client.get("/api/v1/cohorts"), status=401)
    headers = {"Authorization": f"Bearer {estate.ids['raw_token_a']}"}
    assert_clean(client.get("/api/v1/attempts?limit=" + "9" * 40, headers=headers), status=400)
    assert_clean(client.get("/api/v1/attempts?sort=password", headers=headers), status=400)
    assert_clean(client.get("/api/v1/attempts/2147483648", headers=headers), status=404)
    login_as(user=estate.users["victim"])
    assert_clean(client.get("/admin/users"), status=403)
    assert_clean(client.get(estate.url("/training/attempts/{attempt}/forms/../../etc/passwd")),
                 status=404)
    app.config["MAX_CONTENT_LENGTH"] = 200
    assert_clean(client.post(estate.url("/training/attempts/{attempt}/tally"),
                             data={"present": "1" * 500, "csrf_token": csrf()}), status=413)
    app.config["LOGIN_RATE_LIMIT"] = "1 per minute"
    client.delete_cookie("session")
    for _ in range(2):
        limited = client.post("/login", data={"username": "x", "password": "wrong-password",
                                              "csrf_token": csrf()})
    assert_clean(limited, status=429)


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_an_unexpected_error_in_a_real_view_is_a_plain_500(accept, monkeypatch, client,
                                                          login_as, estate, db, caplog):
    from trainer.fieldwork import services

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError(LEAK)

    monkeypatch.setattr(services, "replay_attempt", broken)
    login_as(user=estate.users["victim"])
    with caplog.at_level(logging.ERROR):
        response = client.get(estate.url("/training/attempts/{attempt}"),
                              headers={"Accept": accept})
    assert_clean(response, status=500)
    assert "unhandled error" in caplog.text  # the details go to the log, not the page


def test_a_database_error_is_a_plain_500_and_changes_nothing(monkeypatch, client, csrf,
                                                            login_as, estate, db):
    from trainer.fieldwork import services

    def clash(*_args: Any, **_kwargs: Any) -> Any:
        raise IntegrityError("UPDATE attempts SET tally=%(tally)s", {"tally": LEAK},
                             Exception(LEAK))

    monkeypatch.setattr(services, "save_tally", clash)
    login_as(user=estate.users["victim"])
    before = snapshot(db)
    response = client.post(estate.url("/training/attempts/{attempt}/tally"),
                           data={"present": "3", "csrf_token": csrf()})
    assert_clean(response, status=500)
    assert snapshot(db) == before


def test_an_api_error_is_plain_json(monkeypatch, client, estate):
    from trainer.api import services

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise KeyError(LEAK)

    monkeypatch.setattr(services, "cohorts", broken)
    response = client.get("/api/v1/cohorts", headers={
        "Authorization": f"Bearer {estate.ids['raw_token_a']}"})
    assert_clean(response, status=500)
    assert response.is_json and response.json["status"] == 500


def test_passwords_are_never_logged_nor_audited(app, client, csrf, login_as, make_user, db,
                                                caplog):
    app.logger.setLevel(logging.DEBUG)
    secret_words = {"wrong-password-123", "brand-new-password-9", PASSWORD}
    with caplog.at_level(logging.DEBUG):
        make_user(Role.TRAINEE, username="logged")
        client.post("/login", data={"username": "logged", "password": "wrong-password-123",
                                    "csrf_token": csrf()})
        client.post("/login", data={"username": "logged", "password": PASSWORD,
                                    "csrf_token": csrf()})
        client.post("/account/password", data={
            "current_password": PASSWORD, "new_password": "brand-new-password-9",
            "confirm": "brand-new-password-9", "csrf_token": csrf()})
        login_as(Role.ADMIN)
        created = client.post("/admin/users/new", data={
            "username": "made-here", "full_name": "Made Here", "role": "trainee",
            "password": PASSWORD, "csrf_token": csrf()})
        assert created.status_code == 200
    logged = caplog.text + "".join(str(record.args) for record in caplog.records)
    stored = repr(snapshot(db)["audit_events"])
    for word in secret_words:
        assert word not in logged
        assert word not in stored


@pytest.mark.parametrize("where", ["form value", "form field name", "query", "path",
                                   "file name"])
def test_a_nul_character_anywhere_is_a_400_on_every_database(where, client, csrf, login_as,
                                                             estate, db):
    """PostgreSQL text cannot hold a NUL: refused before any query, on SQLite as well."""
    import io

    login_as(user=estate.users["trainer_a"])
    before = snapshot(db)
    token = csrf()
    if where == "form value":
        response = client.post("/cohorts/new", data={"name": "a\x00b", "csrf_token": token,
                                                     "trainer_id": "1"})
    elif where == "form field name":
        response = client.post("/cohorts/new", data={"na\x00me": "x", "csrf_token": token})
    elif where == "query":
        response = client.get("/clips?q=%00")
    elif where == "path":
        response = client.get("/scenarios/co%00operative/edit")
    else:
        response = client.post(estate.url("/cohorts/{cohort_a}/import"), data={
            "file": (io.BytesIO(b"username,full_name\n"), "a\x00.csv"), "csrf_token": token},
            content_type="multipart/form-data")
    assert_clean(response, status=400)
    assert snapshot(db) == before
