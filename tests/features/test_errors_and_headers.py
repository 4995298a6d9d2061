"""Error pages, security headers and the one place that maps errors to statuses."""

from __future__ import annotations

import pytest

from trainer.access import public
from trainer.accounts.models import Role
from trainer.core.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from trainer.errors import status_for


@pytest.mark.parametrize(("error", "status"), [
    (InvalidInput("x"), 400), (Forbidden("x"), 403), (NotFound("x"), 404), (Conflict("x"), 409),
])
def test_domain_errors_map_to_statuses(error, status):
    assert status_for(error) == status


def test_unknown_domain_error_subclass_is_a_400():
    class Odd(DomainError):
        pass

    assert status_for(Odd("x")) == 400


def test_404_page_is_localised(client):
    english = client.get("/no/such/page")
    assert english.status_code == 404
    assert b"Page not found" in english.data
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    chinese = client.get("/no/such/page")
    assert chinese.status_code == 404
    assert "页面不存在" in chinese.get_data(as_text=True)


def test_405_for_wrong_method(client):
    assert client.delete("/login").status_code == 405


def test_unexpected_error_gives_a_plain_500_page(app, client):
    @public
    def boom():
        raise RuntimeError("secret internals")

    app.add_url_rule("/boom", "boom", boom)
    response = client.get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong" in body
    assert "secret internals" not in body and "Traceback" not in body


def test_domain_error_raised_in_a_view_is_localised(app, client):
    @public
    def refuse():
        raise Conflict("The user name %(name)s is already taken.", name="li")

    app.add_url_rule("/refuse", "refuse", refuse)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    response = client.get("/refuse")
    assert response.status_code == 409
    assert "用户名 li 已被使用。" in response.get_data(as_text=True)


def test_view_without_access_marker_is_refused(app, client, login_as):
    app.add_url_rule("/unmarked", "unmarked", lambda: "should not be served")
    login_as(Role.ADMIN)
    response = client.get("/unmarked")
    assert response.status_code == 403


def test_api_paths_get_json_errors(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.is_json and response.json["status"] == 404


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_only_behind_https(app, client):
    app.config["SESSION_COOKIE_SECURE"] = True
    assert "max-age" in client.get("/login").headers["Strict-Transport-Security"]


def test_pages_have_no_inline_script_or_cdn(client, login_as):
    login_as(Role.ADMIN)
    for path in ("/login", "/admin/users", "/cohorts", "/admin/audit"):
        html = client.get(path, follow_redirects=True).get_data(as_text=True)
        assert "<script>" not in html and " onclick=" not in html and "style=" not in html
        assert "http://" not in html.replace("http://www.w3.org", "")
        assert "https://" not in html


def test_oversized_request_is_a_413(app, client, csrf):
    app.config["MAX_CONTENT_LENGTH"] = 100
    response = client.post("/login", data={"username": "x" * 500, "password": "y",
                                           "csrf_token": csrf()})
    assert response.status_code == 413
    assert b"too large" in response.data
