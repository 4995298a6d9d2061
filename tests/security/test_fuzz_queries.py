"""Hostile query strings through every GET route: the search boxes, filters, page numbers,
version pickers and video times a page reads from its URL. The routes come from the URL map
and the parameter names from the application's source (every `request.args` read), so a new
page or a new parameter is swept without a line here.

Each request must answer below 500, show no stack trace, and an HTML page must show what it
echoes escaped (no script or event handler gets into the markup).
"""

from __future__ import annotations

import re
from typing import Any

from tests.security.conftest import active_content
from tests.security.test_fuzz import PAYLOADS
from tests.security.test_sessions_and_headers import get_pages
from trainer.config import project_root

# request.args.get("q"), request.args["county"], request.args.getlist("x"), and the API's
# _int_arg("limit", ...) / _enum_arg("status", ...)
READS = re.compile(r"""(?:request\.args(?:\.get|\.getlist)?\s*[(\[]|_(?:int|enum)_arg\()"""
                   r"""\s*["'](\w+)["']""")


def _read_by_name() -> dict[str, set[str]]:
    """Names read otherwise, by module: the API's and the review queue's filters (tuples of
    names), the certificate check's form (VerifyForm(request.args): its one field)."""
    from trainer.api.views import FILTERS
    from trainer.review.views import QUEUE_FILTERS

    return {"trainer.api.views": set(FILTERS), "trainer.review.views": set(QUEUE_FILTERS),
            "trainer.certification.views": {"code"}}


# Markup, SQL, template syntax, numbers past every range, right-to-left marks, huge text;
# the rest of test_fuzz.PAYLOADS goes to every name at once. A NUL anywhere in the query is
# refused before any view (security.refuse_nul_characters): it is sent in a request of its own.
SAMPLE = ["<script>alert(1)</script>", '"><svg onload=alert(1)>', "' OR '1'='1",
          "{{ 7*7 }}", "9" * 400, "-1e309", "\u202eevil\u202c", "A" * 5000]
EVERY = [payload for payload in PAYLOADS if "\x00" not in payload and len(payload) < 5000]


def query_names() -> dict[str, set[str]]:
    """Every query parameter a view of the application reads, by the module that reads it."""
    names = _read_by_name()
    root = project_root()
    for path in (root / "trainer").rglob("*.py"):
        found = set(READS.findall(path.read_text(encoding="utf-8")))
        if found:
            module = ".".join(path.relative_to(root).with_suffix("").parts)
            names[module] = names.get(module, set()) | found
    return names


def test_the_query_names_were_read():
    names = query_names()
    assert {"q", "tag", "t", "at", "was"} <= names["trainer.video.views"]
    assert {"cohort", "min_score", "page"} <= names["trainer.review.views"]
    assert {"limit", "offset", "trainee"} <= names["trainer.api.views"]
    assert {"building"} <= names["trainer.fieldwork.listing"]
    assert {"a", "b", "version"} <= names["trainer.scenarios.editor"]


def test_every_get_route_takes_hostile_query_strings(app, client, login_as, estate):
    """Every GET route as a user it admits: each parameter its view's module reads, alone,
    with each payload of SAMPLE; every parameter of the application at once, with every
    payload in turn; and a NUL (refused, 400). Never a 500 or a trace, and no active content
    in an HTML answer."""
    by_module = query_names()
    every_name = sorted(set().union(*by_module.values()))
    pages = [(endpoint, actor, path) for endpoint, actor, path in get_pages(app, estate)
             if endpoint != "static"]
    assert len(pages) > 80  # the map was read
    failures: list[str] = []
    swept = 0
    for endpoint, actor, path in pages:
        client.delete_cookie("session")
        headers: dict[str, str] = {}
        if path.startswith("/api/v1/") and endpoint != "api.openapi":  # by token
            headers["Authorization"] = f"Bearer {estate.ids['raw_token_a']}"
        elif actor is not None:
            login_as(user=estate.users[actor])
        base = path.split("?")[0]
        own = sorted(by_module.get(app.view_functions[endpoint].__module__, set()))
        for name in own:
            for payload in SAMPLE:
                failures += check(f"{endpoint} {name}={payload[:20]!r}", client.get(
                    base, query_string={name: payload}, headers=headers))
                swept += 1
        for turn in range(0, len(EVERY), len(EVERY) // 3):
            query = {name: EVERY[(turn + shift) % len(EVERY)]
                     for shift, name in enumerate(every_name)}
            failures += check(f"{endpoint} every name, round {turn}",
                              client.get(base, query_string=query, headers=headers))
        refused = client.get(base, query_string=dict.fromkeys(own or every_name, "a\x00b"),
                             headers=headers)
        if refused.status_code != 400:
            failures.append(f"{endpoint}: a NUL answered {refused.status_code}")
        refused.close()
    assert failures == [], "\n".join(failures[:20])
    assert swept > 2000


def check(where: str, response: Any) -> list[str]:
    data = response.get_data()
    response.close()
    body = data.decode("utf-8", "replace") if response.mimetype.startswith(
        ("text/", "application/json", "image/svg")) else ""
    found = []
    if response.status_code >= 500:
        found.append(f"{where}: {response.status_code} {body[-300:]}")
    if "Traceback" in body or 'File "' in body:
        found.append(f"{where}: a stack trace")
    if response.mimetype == "text/html":
        found += [f"{where}: {problem}" for problem in active_content(body)]
    return found
