"""CSRF on every state-changing route, found in the URL map (a route added later is covered
without a line here), sent as a user the route admits: refused with the CSRF page, and
nothing written.

No route is exempt: the read-only API (GET only, bearer tokens) changes nothing, and the tus
upload endpoints (POST, PATCH, DELETE) carry the token in the X-CSRFToken header like every
script of the site. An exemption added later must be listed in ALLOWED_EXEMPT, with why.
"""

from __future__ import annotations

from typing import Any

import pytest
from itsdangerous import URLSafeTimedSerializer

from tests.security.conftest import Estate, changed_tables, snapshot
from trainer.access import LOGGED_IN, PUBLIC, access_of
from trainer.accounts.models import Role
from trainer.extensions import csrf as csrf_extension

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_MESSAGE = "The form had expired or was not sent from this site."
ALLOWED_EXEMPT: dict[str, str] = {}  # endpoint -> why it needs no CSRF token

# A value for every URL variable a state-changing route uses (a new name fails the test).
ARGUMENTS = {
    "user_id": "{classmate}", "cohort_id": "{cohort_a}", "assignment_id": "{assignment_a}",
    "attempt_id": "{attempt}", "unit": "wang", "scenario_id": "cooperative-family",
    "play_id": "{play_b}", "dialogue_id": "main", "node_id": "door", "token": "{upload_b}",
    "clip_id": "{clip}", "index": "0", "link_id": "1", "task_id": "{task_a}",
    "token_id": "{token_a}", "certificate_id": "{certificate}", "drawing_id": "{drawing_a}",
    "world_id": "{world}",
}
# The user each kind of route is sent as (one the route admits, so only CSRF can refuse).
ACTOR_BY_ROLE = {Role.ADMIN: "admin", Role.TRAINER: "trainer_b", Role.EXAMINER: "examiner_a",
                 Role.TRAINEE: "victim"}


def state_changing_routes(app: Any) -> list[tuple[str, str, str, Any]]:
    """(endpoint, method, rule, access marker) of every route that changes state."""
    return sorted(
        (rule.endpoint, method, rule.rule, access_of(app, rule.endpoint))
        for rule in app.url_map.iter_rules()
        for method in rule.methods & STATE_CHANGING)


def actor_for(access: Any) -> str | None:
    """Who sends the request: nobody for public routes, else an admitted user."""
    if access == PUBLIC:
        return None
    if access == LOGGED_IN:
        return "admin"
    for role in (Role.ADMIN, Role.TRAINER, Role.EXAMINER, Role.TRAINEE):
        if role in access:
            return ACTOR_BY_ROLE[role]
    raise AssertionError(f"no user for access {access!r}")


def path_of(rule: str, estate: Estate, endpoint: str) -> str:
    """The rule with each variable filled from the estate."""
    path = rule
    for name in rule.split("<")[1:]:
        variable = name.split(">")[0]
        key = variable.split(":")[-1]
        assert key in ARGUMENTS, f"{endpoint}: add a value for <{key}> to ARGUMENTS"
        value = ARGUMENTS[key]
        if endpoint.startswith("review.") and key == "attempt_id":
            value = "{reviewed}"
        path = path.replace(f"<{variable}>", estate.url(value))
    return path


def test_csrf_protection_is_on_and_nothing_is_exempt(app):
    assert app.config.get("WTF_CSRF_ENABLED", True) is True
    assert app.config.get("WTF_CSRF_CHECK_DEFAULT", True) is True
    assert set(app.config.get("WTF_CSRF_METHODS", STATE_CHANGING)) >= STATE_CHANGING
    exempt = set(csrf_extension._exempt_views)
    assert exempt <= set(ALLOWED_EXEMPT), f"CSRF-exempt views not justified: {exempt}"
    assert not csrf_extension._exempt_blueprints


def test_every_state_changing_route_refuses_a_request_without_a_token(app, client, login_as,
                                                                      estate, db):
    routes = state_changing_routes(app)
    assert len(routes) > 50  # the map was read
    failures = []
    for endpoint, method, rule, access in routes:
        if endpoint in ALLOWED_EXEMPT:
            continue
        actor = actor_for(access)
        client.delete_cookie("session")
        if actor is not None:
            login_as(user=estate.users[actor])
        path = path_of(rule, estate, endpoint)
        before = snapshot(db)
        for kwargs in ({"data": {"name": "csrf"}}, {"json": {"name": "csrf"}}):
            response = client.open(path, method=method, **kwargs)
            body = response.get_data(as_text=True)
            response.close()
            if response.status_code != 400 or CSRF_MESSAGE not in body:
                failures.append(f"{method} {path} as {actor}: {response.status_code}")
        changed = changed_tables(before, snapshot(db))
        if changed:
            failures.append(f"{method} {path} as {actor} wrote to {changed}")
    assert failures == []


def test_the_same_requests_with_a_token_reach_the_view(app, client, csrf, login_as, estate):
    """The control: with a valid token every request gets through to its view (stood in for
    here, so nothing runs), so the refusals above are the token's doing and the URLs real."""
    failures = []
    for endpoint, method, rule, access in state_changing_routes(app):
        if endpoint in ALLOWED_EXEMPT:
            continue

        def reached(**_kwargs: Any) -> str:
            return "reached"

        reached.access = access  # type: ignore[attr-defined]
        app.view_functions[endpoint] = reached
        actor = actor_for(access)
        client.delete_cookie("session")
        if actor is not None:
            login_as(user=estate.users[actor])
        token = csrf()
        for kwargs in ({"data": {"csrf_token": token}},
                       {"json": {}, "headers": {"X-CSRFToken": token}}):
            response = client.open(path_of(rule, estate, endpoint), method=method, **kwargs)
            if response.get_data(as_text=True) != "reached":
                failures.append(f"{method} {rule}: {response.status_code}")
    assert failures == []

def forged(app: Any, raw: str, key: str | None = None) -> str:
    return URLSafeTimedSerializer(key or app.config["SECRET_KEY"],
                                  salt="wtf-csrf-token").dumps(raw)


@pytest.mark.parametrize("token_kind", ["another session's", "signed with another key",
                                        "garbage", "empty"])
def test_a_wrong_token_is_refused_like_a_missing_one(token_kind, app, client, csrf, login_as,
                                                    estate, db):
    login_as(user=estate.users["victim"])
    csrf()  # this session has its own token
    token = {"another session's": forged(app, "someone-elses-raw-token"),
             "signed with another key": forged(app, "test-raw-csrf-token", "not-the-key"),
             "garbage": "x" * 40, "empty": ""}[token_kind]
    before = snapshot(db)
    requests = [
        ("POST", estate.url("/training/attempts/{attempt}/steps"),
         {"data": {"household": "wang", "action": "knock", "csrf_token": token}}),
        ("POST", estate.url("/training/maps/{task_a}/drawing"),
         {"json": {"type": "FeatureCollection", "features": []},
          "headers": {"X-CSRFToken": token}}),
        ("POST", "/logout", {"data": {"csrf_token": token}}),
    ]
    for method, path, kwargs in requests:
        response = client.open(path, method=method, **kwargs)
        assert response.status_code == 400, path
        assert CSRF_MESSAGE in response.get_data(as_text=True)
    login_as(user=estate.users["trainer_b"])
    csrf()
    response = client.patch(estate.url("/clips/uploads/{upload_b}"), data=b"0123456789",
                            headers={"X-CSRFToken": token, "Upload-Offset": "0",
                                     "Tus-Resumable": "1.0.0",
                                     "Content-Type": "application/offset+octet-stream"})
    assert response.status_code == 400
    assert changed_tables(before, snapshot(db)) == []


def test_a_token_from_before_log_in_does_not_outlive_it(app, client, csrf, make_user):
    """The log-in clears the session, so a token an attacker planted in the victim's browser
    before log-in (login CSRF, session fixation) is no good afterwards."""
    from tests.conftest import PASSWORD

    make_user(Role.TRAINEE, username="planted")
    planted = csrf()
    assert client.post("/login", data={"username": "planted", "password": PASSWORD,
                                       "csrf_token": planted}).status_code == 302
    response = client.post("/logout", data={"csrf_token": planted})
    assert response.status_code == 400
    assert CSRF_MESSAGE in response.get_data(as_text=True)


# A GET carries no CSRF token (a link, an <img> or a top-level navigation from another site
# sends the user's cookie with it, SameSite=Lax), so no GET route opened from another site may
# change what is stored but those listed here, with why. Not listed, as no request chooses
# when they write: the trainee's attempt pages and an exercise's progress page submit a timed
# exam whose time ran out (what the periodic job does anyway), and a tus offset request
# (GET /clips/uploads/<t>) makes its owner's upload that arrived whole a clip (what the next
# request would do).
GET_WRITES: dict[str, str] = {}  # endpoint -> why it may write on another site's GET
CROSS_SITE = {"Sec-Fetch-Site": "cross-site"}  # what a browser says of another site's request


def test_no_get_request_from_another_site_changes_anything(app, client, login_as, estate,
                                                          db):
    """Every GET route of the URL map (filled as test_sessions_and_headers.get_pages fills
    them), each sent as a user it admits, from another site, with a notice waiting for the
    victim: the database is as it was, bar GET_WRITES."""
    from tests.security.test_sessions_and_headers import get_pages
    from trainer.review import services as review_services

    review_services.notify(db, estate.users["victim"], "A notice to be read.")
    db.flush()
    pages = get_pages(app, estate)
    assert len(pages) > 80  # the map was read
    assert set(GET_WRITES) <= {endpoint for endpoint, _actor, _path in pages}
    failures = []
    for endpoint, actor, path in pages:
        client.delete_cookie("session")
        headers = dict(CROSS_SITE)
        if path.startswith("/api/v1/") and endpoint != "api.openapi":  # by token
            headers["Authorization"] = f"Bearer {estate.ids['raw_token_a']}"
        elif actor is not None:
            login_as(user=estate.users[actor])
        before = snapshot(db)
        response = client.get(path, headers=headers)
        response.close()
        changed = changed_tables(before, snapshot(db))
        if changed and endpoint not in GET_WRITES:
            failures.append(f"GET {path} as {actor} ({response.status_code}): {changed}")
    assert failures == []


@pytest.mark.parametrize(("site", "marked"), [
    ("cross-site", False), ("same-site", False), ("same-origin", True), ("none", True),
    (None, True)])  # none: typed or bookmarked; no header: a browser that does not send it
def test_notices_are_marked_read_only_when_this_site_opens_the_page(site, marked, client,
                                                                   login_as, estate, db):
    """Opening /notifications marks the notices read, but not when another site sent the
    browser there (it wrote on a GET that any site could send: the snapshot check above
    caught it)."""
    from trainer.review import services as review_services

    victim = estate.users["victim"]
    review_services.notify(db, victim, "Your exam has been returned for correction.")
    db.flush()
    login_as(user=victim)
    page = client.get("/notifications", headers={"Sec-Fetch-Site": site} if site else {})
    assert page.status_code == 200
    assert "Your exam has been returned for correction." in page.get_data(as_text=True)
    assert (review_services.unread_count(db, victim) == 0) is marked
