"""Every state-changing route is fuzzed, or takes no input: read from the URL map, so a
route added later fails here until it is fuzzed (its endpoint in a fuzz module's FUZZED) or
listed below with why it takes nothing a user types."""

from __future__ import annotations

from typing import Any

from tests.security import test_fuzz, test_fuzz_more
from tests.security.test_csrf import actor_for, path_of, state_changing_routes
from tests.security.test_fuzz import PAYLOADS, send

# endpoint -> why it needs no fuzzing: nothing it reads comes from the user but the CSRF
# token and the ids in its URL (which test_object_access.py changes, and the URL map's
# converters check)
NO_INPUT: dict[str, str] = {
    "accounts.logout": "the log-out button",
    "accounts.reset_password": "a button (ConfirmForm); the user's id in the URL",
    "accounts.export_personal_data": "a button (ConfirmForm); the user's id in the URL",
    "accounts.remove_trainee": "a button (ConfirmForm); the cohort's and user's ids in the URL",
    "api.revoke_token": "a button (RevokeForm); the token's id in the URL",
    "certification.issue_all": "a button (ActionForm); the cohort's id in the URL",
    "fieldwork.start_attempt": "a button; the exercise's id in the URL",
    "fieldwork.submit": "a button (the step form's CSRF token only)",
    "maps.submit": "a button (SubmitForm)",
    "maps.regrade_task": "a button (RegradeForm); the ids in the URL",
    "maps.regrade_drawing": "a button (RegradeForm); the ids in the URL",
    "review.claim": "a button (ActionForm)",
    "review.regrade": "a button (ActionForm)",
    "review.release": "a button (ActionForm)",
    "scenarios.check": "a button: checks the draft as stored (a large draft's check)",
    "scenarios.run_bot": "a button: runs the bot over the draft as stored",
    "scenarios.unshare": "a button; the editor's id in the URL",
    "video.cancel_upload": "tus termination: the upload's token in the URL only",
    "video.delete": "a button (ActionForm)",
    "video.delete_original": "a button (ActionForm)",
    "video.retry": "a button (ActionForm)",
    "video.remove_link": "a button (ActionForm); the link's id in the URL",
    "video.remove_question": "a button (ActionForm); the question's number in the URL",
    "video.remove_redaction": "a button (ActionForm); the blur's number in the URL",
    "worlds.recount": "a button (the CSRF token only); the world's id in the URL",
}

FUZZED = test_fuzz.FUZZED | test_fuzz_more.FUZZED


def unaccounted(app: Any) -> set[str]:
    """State-changing endpoints neither fuzzed nor listed as taking no input."""
    routes = {endpoint for endpoint, _method, _rule, _access in state_changing_routes(app)}
    return routes - FUZZED - set(NO_INPUT)


def test_every_state_changing_route_is_fuzzed_or_takes_no_input(app):
    routes = {endpoint for endpoint, _method, _rule, _access in state_changing_routes(app)}
    assert len(routes) > 50  # the map was read
    assert unaccounted(app) == set()
    assert FUZZED & set(NO_INPUT) == set()
    assert (FUZZED | set(NO_INPUT)) - routes == set()  # no name of a route that is gone
    assert all(why.strip() for why in NO_INPUT.values())


def test_a_new_state_changing_route_is_caught(app):
    """The check above is not vacuous: a route added without fuzzing shows up in it."""

    def new_form() -> str:
        return "changed"

    app.add_url_rule("/a-new-form", "accounts.a_new_form", new_form, methods=["GET", "POST"])
    app.add_url_rule("/a-new-api/<int:thing>", "api.a_new_delete", new_form,
                     methods=["DELETE"])
    assert unaccounted(app) == {"accounts.a_new_form", "api.a_new_delete"}


def test_the_routes_that_take_no_input_ignore_hostile_fields(app, client, csrf, login_as,
                                                            estate):
    """Each route listed as taking no input, sent hostile fields (and a hostile JSON body)
    besides its token, as a user it admits: never a 500."""
    routes = {endpoint: (method, rule, access)
              for endpoint, method, rule, access in state_changing_routes(app)}
    junk = dict(zip(
        ("text", "name", "role", "active", "start", "locale", "reason", "next", "version"),
        [p for p in PAYLOADS if "\x00" not in p][::3], strict=False))
    for endpoint in sorted(NO_INPUT):
        method, rule, access = routes[endpoint]
        client.delete_cookie("session")
        actor = actor_for(access)
        if actor is not None:
            login_as(user=estate.users[actor])
        path = path_of(rule, estate, endpoint)
        send(client, csrf, method, path, data=dict(junk))
        send(client, csrf, method, path, json=junk)
