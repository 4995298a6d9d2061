"""The read-only JSON API under `/api/v1/` and the token page for examiners and admins.

Access: the token page is `@roles(examiner, admin)` like any page. The API's views are marked
`@public` for the session-based check in `trainer/access.py` — a log-in cookie never opens
them — and each also carries `@token_required`, which reads `Authorization: Bearer <token>`,
answers 401 JSON (with `WWW-Authenticate`) when the token is missing, unknown, revoked,
expired or its owner may no longer hold one, and passes the token to the view. Resources
outside the token's cohorts answer 404, as if they did not exist. The OpenAPI document at
`/api/v1/openapi.json` is public and describes every route here (`trainer/api/openapi.py`).

Lists are paged by `limit` (1-100, default 50) and `offset`, in ascending id order, with a
`next` link while more follow. A query parameter a route does not take, or one given twice,
is refused with 400 rather than ignored, so a misspelt filter never widens an answer.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from wtforms.fields.choices import SelectChoice

from trainer.access import current_actor, public, roles
from trainer.accounts.models import Cohort, Role, User
from trainer.accounts.services import cohorts_visible_to
from trainer.api import services
from trainer.api.forms import RevokeForm, TokenForm
from trainer.api.openapi import DEFAULT_LIMIT, MAX_ID, MAX_LIMIT, document
from trainer.api.services import AttemptRow, Grade, Page
from trainer.certification.models import Certificate
from trainer.core.errors import DomainError, InvalidInput
from trainer.core.grading.criteria import LABELS
from trainer.core.i18n import N_
from trainer.db import utcnow
from trainer.errors import form_error, render_error
from trainer.extensions import db_session, limiter
from trainer.fieldwork.models import AttemptStatus
from trainer.review import services as review_services
from trainer.review.models import ReviewStatus

bp = Blueprint("api", __name__, template_folder="templates")
F = TypeVar("F", bound=Callable[..., Any])
HOLDERS = (Role.EXAMINER, Role.ADMIN)
REALM = 'Bearer realm="trainer-api"'


# Token page -------------------------------------------------------------------------------

def _token_form(owner: User) -> TokenForm:
    form = TokenForm()
    form.cohort_ids.choices = [SelectChoice(cohort.id, cohort.name)
                               for cohort in cohorts_visible_to(db_session(), owner)]
    return form


def _tokens_page(form: TokenForm, status: int = 200) -> Any:
    db, user = db_session(), current_actor()
    return render_template("api/tokens.html", form=form, revoke=RevokeForm(),
                           tokens=services.tokens_for(db, user),
                           events=services.token_events_for(db, user), user=user,
                           usable=services.is_usable, now=utcnow()), status


@bp.get("/account/api-tokens")
@roles(*HOLDERS)
def tokens() -> Any:
    """My API tokens (an admin's: everyone's), and the form for a new one."""
    return _tokens_page(_token_form(current_actor()))


@bp.post("/account/api-tokens")
@roles(*HOLDERS)
def create_token() -> Any:
    """Make a token and show it, once."""
    db, owner = db_session(), current_actor()
    form = _token_form(owner)
    if not form.validate_on_submit():
        return _tokens_page(form, 400)
    days = int(form.expires_in.data) if form.expires_in.data else None
    try:
        token, raw = services.create_token(
            db, owner=owner, name=form.name.data or "", cohort_ids=form.cohort_ids.data or [],
            expires_at=utcnow() + timedelta(days=days) if days else None,
            ip=request.remote_addr)
    except DomainError as error:
        return _tokens_page(form, form_error(form, error))
    db.commit()
    return render_template("api/token_created.html", token=token, raw=raw)


@bp.post("/account/api-tokens/<int:token_id>/revoke")
@roles(*HOLDERS)
def revoke_token(token_id: int) -> Any:
    """Revoke a token; it stops working at once."""
    db, actor = db_session(), current_actor()
    token = services.get_token(db, actor, token_id)
    if not RevokeForm().validate_on_submit():
        return render_error(400)
    if services.revoke_token(db, actor=actor, token=token, ip=request.remote_addr):
        db.commit()
        flash(_("The token “%(name)s” is revoked.", name=token.name), "success")
    else:
        flash(_("The token “%(name)s” was already revoked.", name=token.name), "info")
    return redirect(url_for("api.tokens"))


# Authentication and parameters --------------------------------------------------------------

def _unauthorized(message: str, invalid: bool) -> Any:
    body, status = render_error(401, message)
    challenge = f'{REALM}, error="invalid_token"' if invalid else REALM
    return _json(body, status, {"WWW-Authenticate": challenge})


def _rate_key() -> str:
    """Requests are counted per token (by a hash of it), else per address."""
    raw = request.headers.get("Authorization", "").strip()
    return "api:" + (hashlib.sha256(raw.encode()).hexdigest()[:32] if raw
                     else get_remote_address())


def _api_rate() -> str:
    return str(current_app.config["API_RATE_LIMIT"])


def token_required(view: F) -> F:
    """Authenticate the request by its bearer token and pass the token to the view; each
    token may make TRAINER_API_RATE_LIMIT requests (429 with Retry-After beyond)."""

    @limiter.limit(_api_rate, key_func=_rate_key)
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        scheme, _space, raw = request.headers.get("Authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            return _unauthorized(_("Send an API token: Authorization: Bearer <token>."), False)
        token = services.authenticate(db_session(), raw.strip())
        if token is None:
            return _unauthorized(_("The API token is not valid: it is unknown, revoked or "
                                   "expired."), True)
        return view(token, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Any:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"  # private data: never kept by a cache
    response.headers.extend(headers or {})
    return response


def _only(*names: str) -> None:
    """Refuse a query parameter the route does not take, or one given twice: a misspelt
    filter must not quietly widen the answer."""
    for name in request.args:
        if name not in names:
            raise InvalidInput(N_("Unknown parameter %(name)s."), name=name[:40])
        if len(request.args.getlist(name)) > 1:
            raise InvalidInput(N_("The parameter %(name)s is given more than once."), name=name)


def _int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    # the length first: int() of thousands of digits raises (and would cost time)
    if not (len(raw) <= 12 and raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise InvalidInput(N_("The parameter %(name)s must be a whole number from %(low)s to "
                              "%(high)s."), name=name, low=low, high=high)
    return int(raw)


E = TypeVar("E", bound=StrEnum)


def _enum_arg(name: str, kind: type[E]) -> E | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        return kind(raw)
    except ValueError:
        raise InvalidInput(N_("The parameter %(name)s must be one of: %(values)s."), name=name,
                           values=", ".join(member.value for member in kind)) from None


def _paging() -> tuple[int, int]:
    limit = _int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _int_arg("offset", 0, 0, MAX_ID)
    assert limit is not None and offset is not None
    return limit, offset


# query parameters a `next` link carries over (anything else is not repeated)
FILTERS = ("cohort", "trainee", "status", "review_status")


def _listing(page: Page[Any], items: list[dict[str, Any]]) -> Any:
    following = None
    if page.has_next:
        values: dict[str, Any] = {**(request.view_args or {}), "limit": page.limit,
                                  "offset": page.offset + page.limit}
        values.update((name, request.args[name]) for name in FILTERS if name in request.args)
        following = url_for(request.endpoint or "", **values)
    return _json({"items": items, "total": page.total, "limit": page.limit,
                  "offset": page.offset, "next": following})


# Shapes ----------------------------------------------------------------------------------

def _time(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def _cohort(cohort: Cohort) -> dict[str, Any]:
    return {"id": cohort.id, "name": cohort.name, "description": cohort.description,
            "created_at": _time(cohort.created_at)}


def _trainee(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "full_name": user.full_name,
            "active": user.active}


def _attempt(row: AttemptRow) -> dict[str, Any]:
    attempt, review = row.attempt, row.review
    version = attempt.version
    return {"id": attempt.id, "cohort_id": row.cohort_id, "assignment_id": attempt.assignment_id,
            "trainee_id": attempt.trainee_id, "mode": attempt.assignment.mode.value,
            "scenario": {"id": version.scenario_id, "version": version.version,
                         "title": {"zh_CN": version.title_zh, "en": version.title_en}},
            "status": attempt.status.value,
            "review_status": review.status.value if review else None,
            "started_at": _time(attempt.started_at), "submitted_at": _time(attempt.submitted_at),
            "released_at": _time(review.released_at) if review else None}


def _both(pair: Any) -> dict[str, str]:
    zh, en = [*pair, "", ""][:2] if isinstance(pair, list | tuple) else (pair, pair)
    return {"zh_CN": str(zh), "en": str(en)}


def _score(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    criteria = []
    for name, result in data.get("criteria", {}).items():
        automatic = result.get("automatic")
        criteria.append({
            "name": name, "label": _both(LABELS.get(name, (name, name))),
            "score": float(result["score"]), "applicable": bool(result.get("applicable", True)),
            "overridden": automatic is not None,
            "automatic_score": float(automatic) if automatic is not None else None,
            "findings": [{"text": _both(finding.get("text")), "event": finding.get("event"),
                          "good": bool(finding.get("good")), "where": finding.get("where")}
                         for finding in result.get("findings", [])]})
    return {"total": float(data["total"]), "passed": bool(data["passed"]),
            "grader": data.get("grader"), "criteria": criteria}


def _certificate(certificate: Certificate) -> dict[str, Any]:
    return {"id": certificate.id, "code": certificate.code, "cohort_id": certificate.cohort_id,
            "holder_id": certificate.holder_id, "holder_name": certificate.holder_name,
            "cohort_name": certificate.cohort_name,
            "scenarios": [{"id": str(s.get("id", "")),
                           "title": {"zh_CN": str(s.get("zh_CN") or ""),
                                     "en": str(s.get("en") or "")}}
                          for s in certificate.scenarios],
            "issued_at": _time(certificate.issued_at),
            "issued_by_id": certificate.issued_by_id,
            "revoked": certificate.revoked, "revoked_at": _time(certificate.revoked_at),
            "revoke_reason": certificate.revoke_reason,
            "verification_url": url_for("certification.verified", code=certificate.code,
                                        _external=True)}


def _grade(grade: Grade) -> dict[str, Any]:
    review = grade.row.review
    return {"attempt_id": grade.row.attempt.id, "status": grade.row.attempt.status.value,
            "review_status": review.status.value if review else None,
            "released_at": _time(review.released_at) if review else None,
            "automatic": _score(grade.automatic), "effective": _score(grade.effective),
            "released": _score(grade.released),
            "overrides": [{"criterion": entry.criterion,
                           "before": review_services.score_before(entry),
                           "after": entry.after, "reason": entry.text, "at": _time(entry.at),
                           "examiner_id": entry.actor_id} for entry in grade.overrides]}


# The API ---------------------------------------------------------------------------------

@bp.get("/api/v1/openapi.json")
@public
def openapi() -> Any:
    """The OpenAPI 3 document of this API."""
    return _json(document())


@bp.get("/api/v1/cohorts")
@public
@token_required
def api_cohorts(token: Any) -> Any:
    """The token's cohorts."""
    _only("limit", "offset")
    limit, offset = _paging()
    page = services.cohorts(db_session(), token, limit=limit, offset=offset)
    return _listing(page, [_cohort(cohort) for cohort in page.items])


@bp.get("/api/v1/cohorts/<int:cohort_id>")
@public
@token_required
def api_cohort(token: Any, cohort_id: int) -> Any:
    """One of the token's cohorts."""
    _only()
    return _json(_cohort(services.cohort(db_session(), token, cohort_id)))


@bp.get("/api/v1/cohorts/<int:cohort_id>/trainees")
@public
@token_required
def api_trainees(token: Any, cohort_id: int) -> Any:
    """A cohort's trainees."""
    _only("limit", "offset")
    limit, offset = _paging()
    page = services.trainees(db_session(), token, cohort_id, limit=limit, offset=offset)
    return _listing(page, [_trainee(user) for user in page.items])


@bp.get("/api/v1/cohorts/<int:cohort_id>/certificates")
@public
@token_required
def api_certificates(token: Any, cohort_id: int) -> Any:
    """A cohort's certificates, revoked ones too (no scores: a certificate carries none)."""
    _only("limit", "offset")
    limit, offset = _paging()
    page = services.certificates(db_session(), token, cohort_id, limit=limit, offset=offset)
    return _listing(page, [_certificate(certificate) for certificate in page.items])


@bp.get("/api/v1/attempts")
@public
@token_required
def api_attempts(token: Any) -> Any:
    """Attempts in the token's cohorts, filtered by cohort, trainee and status."""
    _only("limit", "offset", *FILTERS)
    limit, offset = _paging()
    page = services.attempts(
        db_session(), token, limit=limit, offset=offset,
        cohort_id=_int_arg("cohort", None, 1, MAX_ID),
        trainee_id=_int_arg("trainee", None, 1, MAX_ID),
        status=_enum_arg("status", AttemptStatus),
        review_status=_enum_arg("review_status", ReviewStatus))
    return _listing(page, [_attempt(row) for row in page.items])


@bp.get("/api/v1/attempts/<int:attempt_id>")
@public
@token_required
def api_attempt(token: Any, attempt_id: int) -> Any:
    """One attempt."""
    _only()
    return _json(_attempt(services.attempt(db_session(), token, attempt_id)))


@bp.get("/api/v1/attempts/<int:attempt_id>/grade")
@public
@token_required
def api_grade(token: Any, attempt_id: int) -> Any:
    """An attempt's grade: automatic, effective (with overrides) and released, by criterion."""
    _only()
    return _json(_grade(services.grade(db_session(), token, attempt_id)))
