"""The read-only API: tokens (made once, stored hashed, revocable, expiring, audited), their
scope, pagination, the grade's content, and schemathesis against the API's own document."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from trainer.accounts import services as accounts
from trainer.accounts.models import AuditEvent, AuditKind, Role, User
from trainer.api import services
from trainer.api.models import ApiToken, ApiTokenEvent, TokenEventKind
from trainer.core.errors import Forbidden, InvalidInput
from trainer.db import AppendOnlyError, utcnow
from trainer.fieldwork import services as fieldwork
from trainer.fieldwork.models import Attempt, Mode
from trainer.review import services as review
from trainer.scenarios import services as scenarios

BEST = ["greet", "show_id", "explain_purpose", "explain_legal_basis",
        "promise_confidentiality", "ask_item:roster", "read_back"]


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def submitted(db: Session, trainee: User, assignment: Any) -> Attempt:
    attempt = fieldwork.start_attempt(db, trainee, assignment)
    fieldwork.take_step(db, attempt, "wang", "knock", datetime(2020, 11, 2, 19, 0))
    for action in BEST:
        fieldwork.take_step(db, attempt, "wang", action, None)
    return fieldwork.submit(db, attempt)


@pytest.fixture
def setting(db: Session, make_user: Any, app: Flask) -> dict[str, Any]:
    """Two cohorts marked by one examiner; a submitted exam in each; a token on the first."""
    trainer, examiner = make_user(Role.TRAINER), make_user(Role.EXAMINER)
    trainee, other_trainee = make_user(Role.TRAINEE), make_user(Role.TRAINEE)
    mine = accounts.create_cohort(db, actor=trainer, name="API cohort", trainer=trainer,
                                  examiners=[examiner])
    other = accounts.create_cohort(db, actor=trainer, name="API other cohort", trainer=trainer,
                                   examiners=[examiner])
    mine.trainees, other.trainees = [trainee], [other_trainee]
    versions = scenarios.sync_library(db, Path(app.config["SCENARIO_DIR"]))
    version = next(v for v in versions if v.scenario_id == "cooperative-family")
    exams = [fieldwork.assign(db, actor=trainer, cohort=cohort, version=version,
                              mode=Mode.EXAM, due_on=None) for cohort in (mine, other)]
    attempt = submitted(db, trainee, exams[0])
    elsewhere = submitted(db, other_trainee, exams[1])
    token, raw = services.create_token(db, owner=examiner, name="Dashboard",
                                       cohort_ids=[mine.id])
    db.flush()
    return {"trainer": trainer, "examiner": examiner, "trainee": trainee, "cohort": mine,
            "other": other, "attempt": attempt, "elsewhere": elsewhere, "token": token,
            "raw": raw, "version": version, "exam": exams[0]}


# Tokens -------------------------------------------------------------------------------------

def test_token_page_shows_the_token_once_and_keeps_only_its_hash(
        client: FlaskClient, login_as: Any, csrf: Any, db: Session,
        setting: dict[str, Any]) -> None:
    login_as(user=setting["examiner"])
    page = client.get("/account/api-tokens")
    assert page.status_code == 200 and "API cohort" in page.get_data(as_text=True)
    made = client.post("/account/api-tokens", data={
        "csrf_token": csrf(), "name": "Nightly export", "cohort_ids": [setting["cohort"].id],
        "expires_in": "30"})
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    found = re.search(r'value="(cet_[A-Za-z0-9_-]+)"', made.get_data(as_text=True))
    assert found is not None
    raw = found.group(1)
    token = db.scalar(select(ApiToken).where(ApiToken.name == "Nightly export"))
    assert token is not None and token.token_hash == services.hash_token(raw)
    assert raw not in (token.token_hash, token.prefix) and raw.startswith(token.prefix)
    assert token.expires_at is not None
    assert timedelta(days=29) < token.expires_at - utcnow() <= timedelta(days=30)
    assert [cohort.id for cohort in token.cohorts] == [setting["cohort"].id]
    event = db.scalar(select(ApiTokenEvent).where(ApiTokenEvent.token_id == token.id))
    assert event is not None and event.kind == TokenEventKind.CREATED
    assert event.actor_id == setting["examiner"].id
    assert event.detail["cohort_ids"] == [setting["cohort"].id]
    listing = client.get("/account/api-tokens").get_data(as_text=True)
    assert "Nightly export" in listing and raw not in listing
    assert client.get("/api/v1/cohorts", headers=bearer(raw)).status_code == 200
    event.detail = {"changed": True}
    with pytest.raises(AppendOnlyError):
        db.flush()
    db.rollback()


def test_token_form_refuses_bad_input(client: FlaskClient, login_as: Any, csrf: Any,
                                      db: Session, setting: dict[str, Any],
                                      make_user: Any) -> None:
    login_as(user=setting["examiner"])
    trainer = setting["trainer"]
    hidden = accounts.create_cohort(db, actor=trainer, name="Not marked", trainer=trainer)
    for data in ({"name": "", "cohort_ids": [setting["cohort"].id]},
                 {"name": "No cohorts"},
                 {"name": "Hidden", "cohort_ids": [hidden.id]},
                 {"name": "Bad expiry", "cohort_ids": [setting["cohort"].id],
                  "expires_in": "5"}):
        answer = client.post("/account/api-tokens", data={"csrf_token": csrf(), **data})
        assert answer.status_code == 400, data
    with pytest.raises(InvalidInput):
        services.create_token(db, owner=setting["examiner"], name="x", cohort_ids=[hidden.id])
    with pytest.raises(InvalidInput):
        services.create_token(db, owner=setting["examiner"], name="x",
                              cohort_ids=[setting["cohort"].id],
                              expires_at=utcnow() - timedelta(seconds=1))
    with pytest.raises(Forbidden):
        services.create_token(db, owner=trainer, name="x", cohort_ids=[setting["cohort"].id])


def test_revoking_stops_the_token_and_is_recorded(client: FlaskClient, login_as: Any,
                                                  csrf: Any, db: Session, make_user: Any,
                                                  setting: dict[str, Any]) -> None:
    token, raw = setting["token"], setting["raw"]
    login_as(user=make_user(Role.EXAMINER))  # someone else's token is not there for them
    url = f"/account/api-tokens/{token.id}/revoke"
    assert client.post(url, data={"csrf_token": csrf()}).status_code == 404
    login_as(user=setting["examiner"])
    assert client.post(url, data={"csrf_token": csrf()}).status_code == 302
    assert client.get("/api/v1/cohorts", headers=bearer(raw)).status_code == 401
    assert client.post(url, data={"csrf_token": csrf()}).status_code == 302  # idempotent
    kinds = db.scalars(select(ApiTokenEvent.kind).where(ApiTokenEvent.token_id == token.id)
                       .order_by(ApiTokenEvent.id)).all()
    assert kinds == [TokenEventKind.CREATED, TokenEventKind.REVOKED]


def test_an_admin_sees_and_revokes_every_token(client: FlaskClient, login_as: Any, csrf: Any,
                                               db: Session, setting: dict[str, Any]) -> None:
    admin = login_as(Role.ADMIN)
    assert "Dashboard" in client.get("/account/api-tokens").get_data(as_text=True)
    url = f"/account/api-tokens/{setting['token'].id}/revoke"
    assert client.post(url, data={"csrf_token": csrf()}).status_code == 302
    event = db.scalars(select(ApiTokenEvent).where(
        ApiTokenEvent.kind == TokenEventKind.REVOKED)).one()
    assert event.actor_id == admin.id
    # the security audit log has the token given out and withdrawn, by whom and whose it is
    token = setting["token"]
    logged = db.scalars(select(AuditEvent).where(AuditEvent.kind.in_(
        [AuditKind.API_TOKEN_CREATED, AuditKind.API_TOKEN_REVOKED])).order_by(AuditEvent.id)).all()
    assert [(e.kind, e.actor_id, e.subject_id) for e in logged] == [
        (AuditKind.API_TOKEN_CREATED, token.owner_id, token.owner_id),
        (AuditKind.API_TOKEN_REVOKED, admin.id, token.owner_id)]
    assert logged[1].detail == {"name": "Dashboard", "prefix": token.prefix}
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "API token revoked" in page and f"Token begins: {token.prefix}" in page


# Authentication -------------------------------------------------------------------------------

@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic abc", "Token cet_x",
                                    "Bearer cet_not-a-token", "Bearer not-our-format",
                                    "Bearer " + "x" * 5000])
def test_missing_or_wrong_token_is_401(client: FlaskClient, setting: dict[str, Any],
                                       header: str | None) -> None:
    answer = client.get("/api/v1/cohorts",
                        headers={"Authorization": header} if header is not None else {})
    assert answer.status_code == 401 and answer.is_json
    assert answer.json is not None and answer.json["status"] == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer realm=")


def test_a_session_log_in_does_not_open_the_api(client: FlaskClient, login_as: Any,
                                                setting: dict[str, Any]) -> None:
    login_as(user=setting["examiner"])
    assert client.get("/api/v1/cohorts").status_code == 401


def test_revoked_expired_and_demoted_tokens_are_401(client: FlaskClient, db: Session,
                                                    setting: dict[str, Any]) -> None:
    examiner, cohort = setting["examiner"], setting["cohort"]
    good = client.get("/api/v1/cohorts", headers=bearer(setting["raw"]))
    assert good.status_code == 200
    expiring, raw = services.create_token(db, owner=examiner, name="Short",
                                          cohort_ids=[cohort.id],
                                          expires_at=utcnow() + timedelta(hours=1))
    assert client.get("/api/v1/cohorts", headers=bearer(raw)).status_code == 200
    expiring.expires_at = utcnow() - timedelta(seconds=1)
    db.flush()
    expired = client.get("/api/v1/cohorts", headers=bearer(raw))
    assert expired.status_code == 401
    assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]
    services.revoke_token(db, actor=examiner, token=setting["token"])
    assert client.get("/api/v1/cohorts", headers=bearer(setting["raw"])).status_code == 401
    _fresh, raw = services.create_token(db, owner=examiner, name="Fresh", cohort_ids=[cohort.id])
    assert client.get("/api/v1/cohorts", headers=bearer(raw)).status_code == 200
    admin = accounts.create_user(db, actor=None, username="api-admin", full_name="Admin",
                                 role=Role.ADMIN, password="a-long-password")[0]
    accounts.change_role(db, actor=admin, user=examiner, role=Role.TRAINER)
    assert client.get("/api/v1/cohorts", headers=bearer(raw)).status_code == 401
    accounts.change_role(db, actor=admin, user=examiner, role=Role.EXAMINER)
    cohort.examiners = [examiner]
    accounts.set_active(db, actor=admin, user=examiner, active=False)
    assert client.get("/api/v1/cohorts", headers=bearer(raw)).status_code == 401


def test_errors_are_localised_json(client: FlaskClient, setting: dict[str, Any]) -> None:
    answer = client.get("/api/v1/cohorts?limit=0",
                        headers={**bearer(setting["raw"]), "Accept-Language": "zh-CN"})
    assert answer.status_code == 400 and answer.json is not None
    assert any("\u4e00" <= char <= "\u9fff" for char in answer.json["message"])
    missing = client.get("/api/v1/nothing-here", headers=bearer(setting["raw"]))
    assert missing.status_code == 404 and missing.is_json


# Scope ---------------------------------------------------------------------------------------

def test_a_token_reaches_only_its_cohorts(client: FlaskClient, db: Session,
                                          setting: dict[str, Any]) -> None:
    headers, mine, other = bearer(setting["raw"]), setting["cohort"], setting["other"]
    listed = client.get("/api/v1/cohorts", headers=headers).json
    assert listed is not None and [c["id"] for c in listed["items"]] == [mine.id]
    assert client.get(f"/api/v1/cohorts/{mine.id}", headers=headers).status_code == 200
    # the owner marks the other cohort too, but the token was not given it: as if absent
    for url in (f"/api/v1/cohorts/{other.id}", f"/api/v1/cohorts/{other.id}/trainees",
                f"/api/v1/attempts/{setting['elsewhere'].id}",
                f"/api/v1/attempts/{setting['elsewhere'].id}/grade",
                "/api/v1/cohorts/2147483647", "/api/v1/attempts/2147483648"):
        answer = client.get(url, headers=headers)
        assert answer.status_code == 404 and answer.is_json, url
    filtered = client.get(f"/api/v1/attempts?cohort={other.id}", headers=headers).json
    assert filtered is not None and filtered["items"] == [] and filtered["total"] == 0
    everything = client.get("/api/v1/attempts", headers=headers).json
    assert everything is not None
    assert [a["id"] for a in everything["items"]] == [setting["attempt"].id]


def test_scope_is_fixed_at_creation_and_shrinks_with_the_owner(
        client: FlaskClient, db: Session, setting: dict[str, Any]) -> None:
    examiner, trainer, mine = setting["examiner"], setting["trainer"], setting["cohort"]
    headers = bearer(setting["raw"])
    later = accounts.create_cohort(db, actor=trainer, name="Given later", trainer=trainer,
                                   examiners=[examiner])
    assert client.get(f"/api/v1/cohorts/{later.id}", headers=headers).status_code == 404
    mine.examiners = []  # the owner no longer marks the token's cohort
    db.flush()
    assert client.get(f"/api/v1/cohorts/{mine.id}", headers=headers).status_code == 404
    listed = client.get("/api/v1/cohorts", headers=headers).json
    assert listed is not None and listed["items"] == []
    admin = accounts.create_user(db, actor=None, username="scope-admin", full_name="Admin",
                                 role=Role.ADMIN, password="a-long-password")[0]
    _token, raw = services.create_token(db, owner=admin, name="All", cohort_ids=[mine.id])
    assert client.get(f"/api/v1/cohorts/{mine.id}", headers=bearer(raw)).status_code == 200
    assert client.get(f"/api/v1/cohorts/{later.id}", headers=bearer(raw)).status_code == 404


# Lists ----------------------------------------------------------------------------------------

def test_pagination_follows_next_links_in_id_order(client: FlaskClient, db: Session,
                                                   make_user: Any,
                                                   setting: dict[str, Any]) -> None:
    cohort, headers = setting["cohort"], bearer(setting["raw"])
    cohort.trainees = [*cohort.trainees, *(make_user(Role.TRAINEE) for _ in range(4))]
    db.flush()
    expected = sorted(user.id for user in cohort.trainees)
    url: str | None = f"/api/v1/cohorts/{cohort.id}/trainees?limit=2"
    seen, pages = [], 0
    while url:
        page = client.get(url, headers=headers).json
        assert page is not None and page["total"] == 5 and page["limit"] == 2
        seen += [item["id"] for item in page["items"]]
        url, pages = page["next"], pages + 1
    assert seen == expected and pages == 3
    past = client.get(f"/api/v1/cohorts/{cohort.id}/trainees?offset=10", headers=headers).json
    assert past is not None and past["items"] == [] and past["next"] is None
    for query in ("limit=0", "limit=101", "limit=x", "offset=-1", "limit=1.5", "limit=%EF%BC%91",
                  "offset=" + "9" * 5000, "limit="):
        answer = client.get(f"/api/v1/cohorts?{query}", headers=headers)
        assert answer.status_code == 400 and answer.is_json, query


def test_attempt_filters(client: FlaskClient, db: Session, setting: dict[str, Any]) -> None:
    headers, trainee = bearer(setting["raw"]), setting["trainee"]
    started = fieldwork.start_attempt(
        db, trainee, fieldwork.assign(db, actor=setting["trainer"], cohort=setting["cohort"],
                                      version=setting["version"], mode=Mode.PRACTICE,
                                      due_on=None))
    db.flush()

    def ids(query: str) -> list[int]:
        page = client.get(f"/api/v1/attempts?{query}", headers=headers).json
        assert page is not None
        return [item["id"] for item in page["items"]]

    exam = setting["attempt"].id
    assert ids("") == [exam, started.id]
    assert ids("status=in_progress") == [started.id]
    assert ids("status=submitted&review_status=awaiting_review") == [exam]
    assert ids("review_status=released") == []
    assert ids(f"trainee={trainee.id}&cohort={setting['cohort'].id}") == [exam, started.id]
    assert ids(f"trainee={setting['examiner'].id}") == []
    one = client.get("/api/v1/attempts?limit=1&status=in_progress&cohort="
                     f"{setting['cohort'].id}", headers=headers).json
    assert one is not None and one["next"] is None
    for query in ("limit=1&limit=2", "cohort_id=1", "page=2"):
        refused = client.get(f"/api/v1/attempts?{query}", headers=headers)
        assert refused.status_code == 400 and refused.is_json, query
    assert client.get(f"/api/v1/attempts/{exam}?x=1", headers=headers).status_code == 400
    first = client.get("/api/v1/attempts?limit=1", headers=headers).json
    assert first is not None and first["next"] == "/api/v1/attempts?limit=1&offset=1"
    kept = client.get(f"/api/v1/attempts?limit=1&trainee={trainee.id}", headers=headers).json
    assert kept is not None and kept["next"] is not None
    assert f"trainee={trainee.id}" in kept["next"] and "offset=1" in kept["next"]
    second = client.get(kept["next"], headers=headers).json
    assert second is not None and [a["id"] for a in second["items"]] == [started.id]
    detail = client.get(f"/api/v1/attempts/{exam}", headers=headers).json
    assert detail is not None and detail["review_status"] == "awaiting_review"
    assert detail["scenario"]["id"] == "cooperative-family" and detail["mode"] == "exam"
    assert client.get("/api/v1/attempts?status=done", headers=headers).status_code == 400


# Grades ---------------------------------------------------------------------------------------

def test_grade_before_and_after_override_and_release(client: FlaskClient, db: Session,
                                                     setting: dict[str, Any]) -> None:
    attempt, examiner = setting["attempt"], setting["examiner"]
    url, headers = f"/api/v1/attempts/{attempt.id}/grade", bearer(setting["raw"])
    waiting = client.get(url, headers=headers).json
    assert waiting is not None and waiting["review_status"] == "awaiting_review"
    assert waiting["released"] is None and waiting["overrides"] == []
    assert waiting["automatic"] == waiting["effective"]
    assert waiting["automatic"]["total"] == attempt.score["total"]
    names = [c["name"] for c in waiting["automatic"]["criteria"]]
    assert names == list(attempt.score["criteria"]) and "form_accuracy" in names
    criterion = next(c for c in waiting["automatic"]["criteria"] if c["name"] == "outcome")
    assert criterion["label"]["zh_CN"] and criterion["label"]["en"]
    assert criterion["findings"] and set(criterion["findings"][0]["text"]) == {"zh_CN", "en"}
    record = review.review_of(db, attempt)
    assert record is not None
    review.override(db, record, examiner, criterion="form_accuracy", score=100,
                    reason="The paper form was complete.")
    marked = client.get(url, headers=headers).json
    assert marked is not None and marked["released"] is None
    changed = next(c for c in marked["effective"]["criteria"] if c["name"] == "form_accuracy")
    automatic = next(c for c in marked["automatic"]["criteria"] if c["name"] == "form_accuracy")
    assert changed["score"] == 1.0 and changed["overridden"] is True
    assert changed["automatic_score"] == automatic["score"] and automatic["overridden"] is False
    assert [(o["criterion"], o["after"], o["reason"], o["examiner_id"])
            for o in marked["overrides"]] == [("form_accuracy", 1.0,
                                               "The paper form was complete.", examiner.id)]
    review.release(db, record, examiner, link="")
    released = client.get(url, headers=headers).json
    assert released is not None and released["review_status"] == "released"
    assert released["released"] == released["effective"] and released["released_at"]


def test_grade_of_an_unsubmitted_attempt_is_empty(client: FlaskClient, db: Session,
                                                  setting: dict[str, Any]) -> None:
    practice = fieldwork.assign(db, actor=setting["trainer"], cohort=setting["cohort"],
                                version=setting["version"], mode=Mode.PRACTICE, due_on=None)
    started = fieldwork.start_attempt(db, setting["trainee"], practice)
    db.flush()
    grade = client.get(f"/api/v1/attempts/{started.id}/grade",
                       headers=bearer(setting["raw"])).json
    assert grade is not None
    assert (grade["status"], grade["review_status"], grade["automatic"], grade["effective"],
            grade["released"]) == ("in_progress", None, None, None, None)


# The document ---------------------------------------------------------------------------------

def test_the_document_lists_every_api_route(client: FlaskClient, app: Flask) -> None:
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200 and answer.json is not None
    paths = answer.json["paths"]
    routes = {re.sub(r"<int:(\w+)>", r"{\1}", rule.rule)
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")}
    assert routes == set(paths)
    for path, operations in paths.items():
        assert set(operations) == {"get"}, path


def test_schemathesis_against_the_document(app: Flask, db: Session,
                                           setting: dict[str, Any]) -> None:
    """Every operation with generated parameters (valid and invalid), and again with the
    ids of rows in the token's scope so that full answers are checked too: no 500, and
    every answer (status, content type, headers, body) as the document says."""
    import schemathesis
    from hypothesis import HealthCheck, assume, given, settings
    from hypothesis import strategies as st
    from schemathesis import GenerationMode

    record = review.review_of(db, setting["attempt"])
    assert record is not None
    review.override(db, record, setting["examiner"], criterion="form_accuracy", score=80,
                    reason="Checked the paper form.")
    review.release(db, record, setting["examiner"], link="")
    from trainer.certification.models import Certificate
    from trainer.certification.services import new_code

    db.add(Certificate(code=new_code(), cohort=setting["cohort"], holder=setting["trainee"],
                       holder_name="王小红", cohort_name=setting["cohort"].name,
                       scenarios=[{"id": "cooperative-family", "zh_CN": "合作", "en": "Kind"}]))
    db.flush()
    known = {"cohort_id": setting["cohort"].id, "attempt_id": setting["attempt"].id}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = bearer(setting["raw"])
    statuses: set[int] = set()
    ran = []
    for result in schema.get_all_operations():
        operation = result.ok()
        ran.append(operation.label)

        strategies = [operation.as_strategy(GenerationMode.POSITIVE),
                      operation.as_strategy(GenerationMode.NEGATIVE)]
        names = [parameter.name for parameter in operation.path_parameters]
        if names:  # rows that exist, so that full answers are checked too
            strategies.append(operation.as_strategy(
                GenerationMode.POSITIVE, path_parameters={name: known[name] for name in names}))

        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=st.one_of(strategies))
        def check(case: Any) -> None:
            # a query parameter whose value is an empty list is not sent at all, so the
            # request that arrives is valid and answered 200: not a fault of the API
            assume(all(value != [] for value in (case.query or {}).values()))
            statuses.add(case.call_and_validate(headers=headers).status_code)

        check()
    # from_wsgi leaves out the operation that serves the document itself
    assert len(ran) == 7 and "GET /api/v1/openapi.json" not in ran
    assert 200 in statuses and 404 in statuses


def test_each_token_is_rate_limited(app: Flask, client: FlaskClient, db: Session,
                                    setting: dict[str, Any]) -> None:
    app.config["API_RATE_LIMIT"] = "3 per minute"
    _second, raw_other = services.create_token(db, owner=setting["examiner"], name="Second",
                                             cohort_ids=[setting["cohort"].id])
    db.flush()
    answers = [client.get("/api/v1/cohorts", headers=bearer(setting["raw"])).status_code
               for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    limited = client.get("/api/v1/cohorts", headers=bearer(setting["raw"]))
    assert limited.status_code == 429 and limited.is_json and "Retry-After" in limited.headers
    assert client.get("/api/v1/cohorts", headers=bearer(raw_other)).status_code == 200
