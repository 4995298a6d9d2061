"""The OpenAPI 3.1 document of the read-only API, served at `/api/v1/openapi.json`.

Written out by hand next to the views it describes; `tests/features/test_api.py` runs
schemathesis against it, so a view that answers something the document does not say fails.
"""

from __future__ import annotations

from typing import Any

from trainer.fieldwork.models import AttemptStatus, Mode
from trainer.review.models import ReviewStatus

MAX_ID = 2**31 - 1  # the RowId converter's bound: larger ids are a 404
DEFAULT_LIMIT, MAX_LIMIT = 50, 100
JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties,
                              "required": sorted(properties), "additionalProperties": False}
    if description:
        schema["description"] = description
    return schema


def _list_of(name: str) -> dict[str, Any]:
    return _object({
        "items": {"type": "array", "items": _ref(name)},
        "total": {"type": "integer", "minimum": 0, "description": "How many there are in all."},
        "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        "offset": {"type": "integer", "minimum": 0},
        "next": {"type": ["string", "null"],
                 "description": "The relative URL of the next page; null on the last page."},
    }, f"One page of {name} items, in ascending id order.")


ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
TIME = {"type": "string", "format": "date-time", "description": "UTC, ISO 8601."}
BILINGUAL = _object({"zh_CN": {"type": "string"}, "en": {"type": "string"}},
                    "A text in Chinese and in English.")
SCORE_0_1 = {"type": "number", "minimum": 0, "maximum": 1}

SCHEMAS: dict[str, Any] = {
    "Error": _object({
        "error": {"type": "string", "description": "The error's title, localised."},
        "message": {"type": "string", "description": "What went wrong, localised "
                                                     "(Accept-Language: zh-CN or en)."},
        "status": {"type": "integer", "description": "The HTTP status code."},
    }, "Every error answer."),
    "Bilingual": BILINGUAL,
    "Cohort": _object({
        "id": ID, "name": {"type": "string"}, "description": {"type": "string"},
        "created_at": TIME,
    }, "A training group (培训班)."),
    "Trainee": _object({
        "id": ID, "username": {"type": "string"}, "full_name": {"type": "string"},
        "active": {"type": "boolean"},
    }, "A trainee of a cohort."),
    "Attempt": _object({
        "id": ID, "cohort_id": ID, "assignment_id": ID, "trainee_id": ID,
        "mode": {"type": "string", "enum": [m.value for m in Mode]},
        "scenario": _object({"id": {"type": "string"}, "version": {"type": "integer"},
                             "title": _ref("Bilingual")}),
        "status": {"type": "string", "enum": [s.value for s in AttemptStatus]},
        "review_status": {"type": ["string", "null"], "enum": [*(s.value for s in ReviewStatus),
                                                               None],
                          "description": "null until the attempt is first submitted."},
        "started_at": TIME, "submitted_at": _nullable(TIME), "released_at": _nullable(TIME),
    }, "A trainee's attempt at an assigned scenario."),
    "Finding": _object({
        "text": _ref("Bilingual"),
        "event": {"type": ["integer", "null"], "description": "The visit event it rests on."},
        "good": {"type": "boolean"},
        "where": {"type": ["string", "null"], "description": "A census form field, if any."},
    }, "One observation of a criterion."),
    "Criterion": _object({
        "name": {"type": "string"}, "label": _ref("Bilingual"), "score": SCORE_0_1,
        "applicable": {"type": "boolean"},
        "overridden": {"type": "boolean", "description": "An examiner set this score."},
        "automatic_score": _nullable(SCORE_0_1),
        "findings": {"type": "array", "items": _ref("Finding")},
    }, "A rubric criterion's score (0-1) and findings."),
    "Score": _object({
        "total": {"type": "number", "minimum": 0, "maximum": 100},
        "passed": {"type": "boolean"},
        "grader": {"type": ["string", "null"]},
        "criteria": {"type": "array", "items": _ref("Criterion")},
    }, "A score: the total (0-100), pass or fail, and each criterion."),
    "Override": _object({
        "criterion": {"type": ["string", "null"]},
        "before": _nullable(SCORE_0_1), "after": _nullable(SCORE_0_1),
        "reason": {"type": "string"}, "at": TIME,
        "examiner_id": {"type": ["integer", "null"]},
    }, "One examiner's change of a criterion's score (append-only record)."),
    "Grade": _object({
        "attempt_id": ID,
        "status": {"type": "string", "enum": [s.value for s in AttemptStatus]},
        "review_status": {"type": ["string", "null"], "enum": [*(s.value for s in ReviewStatus),
                                                               None]},
        "released_at": _nullable(TIME),
        "automatic": {**_nullable(_ref("Score")),
                      "description": "The grader's score; null before submission."},
        "effective": {**_nullable(_ref("Score")),
                      "description": "The automatic score with the overrides applied."},
        "released": {**_nullable(_ref("Score")),
                     "description": "What the trainee was shown; null unless released."},
        "overrides": {"type": "array", "items": _ref("Override")},
    }, "An attempt's grade as its examiners see it."),
    "Certificate": _object({
        "id": ID, "code": {"type": "string", "pattern": "^[2-9A-HJ-NP-Z]{12}$",
                           "description": "The verification code (12 characters, no 0/O/1/I)."},
        "cohort_id": ID, "holder_id": ID,
        "holder_name": {"type": "string", "description": "As it was when issued."},
        "cohort_name": {"type": "string", "description": "As it was when issued."},
        "scenarios": {"type": "array", "description": "The scenarios passed (no scores).",
                      "items": _object({"id": {"type": "string"},
                                        "title": _ref("Bilingual")})},
        "issued_at": TIME, "issued_by_id": {"type": ["integer", "null"]},
        "revoked": {"type": "boolean"}, "revoked_at": _nullable(TIME),
        "revoke_reason": {"type": ["string", "null"]},
        "verification_url": {"type": "string",
                             "description": "The public page that checks the code."},
    }, "A certificate issued to a trainee who met the cohort's pass rules; revoked ones are "
       "kept."),
    "CohortList": _list_of("Cohort"),
    "TraineeList": _list_of("Trainee"),
    "AttemptList": _list_of("Attempt"),
    "CertificateList": _list_of("Certificate"),
}


def _error(description: str, **headers: Any) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description,
                              "content": {JSON: {"schema": _ref("Error")}}}
    if headers:
        answer["headers"] = headers
    return answer


RESPONSES = {
    "BadRequest": _error("A query parameter is malformed, out of range, given twice, or not "
                         "one the operation takes."),
    "Unauthorized": _error(
        "No token, or one that is unknown, revoked or expired, or whose owner may no longer "
        "hold one.",
        **{"WWW-Authenticate": {"description": 'Bearer realm="trainer-api", with '
                                               'error="invalid_token" when a token was sent.',
                                "required": True, "schema": {"type": "string"}}}),
    "NotFound": _error("No such resource within the token's cohorts."),
    "TooManyRequests": _error(
        "More requests with this token than TRAINER_API_RATE_LIMIT allows; wait and retry.",
        **{"Retry-After": {"description": "Seconds to wait.", "required": False,
                           "schema": {"type": "string"}}}),
}

PARAMETERS = {
    "limit": {"name": "limit", "in": "query", "required": False,
              "description": "Page size.",
              "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                         "default": DEFAULT_LIMIT}},
    "offset": {"name": "offset", "in": "query", "required": False,
               "description": "How many items to skip.",
               "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID, "default": 0}},
    "cohort_id": {"name": "cohort_id", "in": "path", "required": True, "schema": ID},
    "attempt_id": {"name": "attempt_id", "in": "path", "required": True, "schema": ID},
}


def _param(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def _answer(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref(name)}}}


def _errors(*names: str) -> dict[str, Any]:
    codes = {"BadRequest": "400", "Unauthorized": "401", "NotFound": "404",
             "TooManyRequests": "429"}
    return {codes[name]: {"$ref": f"#/components/responses/{name}"} for name in names}


def _get(operation_id: str, summary: str, answer: dict[str, Any],
         parameters: list[dict[str, Any]], *errors: str) -> dict[str, Any]:
    return {"get": {"operationId": operation_id, "summary": summary, "parameters": parameters,
                    "responses": {"200": answer,
                                  **_errors("Unauthorized", "TooManyRequests", *errors)}}}


PAGING = [_param("limit"), _param("offset")]


def document() -> dict[str, Any]:
    """The OpenAPI document."""
    attempt_filters = [
        {"name": "cohort", "in": "query", "required": False, "schema": ID,
         "description": "Only this cohort's attempts (none if it is outside the token)."},
        {"name": "trainee", "in": "query", "required": False, "schema": ID,
         "description": "Only this trainee's attempts."},
        {"name": "status", "in": "query", "required": False,
         "schema": {"type": "string", "enum": [s.value for s in AttemptStatus]}},
        {"name": "review_status", "in": "query", "required": False,
         "schema": {"type": "string", "enum": [s.value for s in ReviewStatus]}},
    ]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Census Enumerator Trainer API",
            "version": "1.0.0",
            "description": (
                "Read-only access to cohorts, trainees, attempts, grades and certificates for "
                "examiners and administrators. Authenticate with `Authorization: Bearer "
                "<token>`; tokens are made on the API tokens page, are scoped to cohorts chosen"
                " at creation (a cohort outside the token, or one its owner no longer sees, "
                "answers 404), may expire and can be revoked. Lists are paged by `limit` and "
                "`offset` in ascending id order, with a `next` link. A query parameter an "
                "operation does not take, or one given twice, is refused (400). Certificates "
                "carry no score; each has a verification code checked in public at "
                "`/verify/<code>`."),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/openapi.json": {"get": {
                "operationId": "openapi", "summary": "This document.", "security": [],
                "responses": {"200": {"description": "The OpenAPI document.",
                                      "content": {JSON: {"schema": {"type": "object"}}}}}}},
            "/api/v1/cohorts": _get(
                "listCohorts", "The token's cohorts.",
                _answer("CohortList", "A page of cohorts."), PAGING, "BadRequest"),
            "/api/v1/cohorts/{cohort_id}": _get(
                "getCohort", "One of the token's cohorts.", _answer("Cohort", "The cohort."),
                [_param("cohort_id")], "BadRequest", "NotFound"),
            "/api/v1/cohorts/{cohort_id}/trainees": _get(
                "listTrainees", "A cohort's trainees.",
                _answer("TraineeList", "A page of trainees."),
                [_param("cohort_id"), *PAGING], "BadRequest", "NotFound"),
            "/api/v1/cohorts/{cohort_id}/certificates": _get(
                "listCertificates", "A cohort's certificates, revoked ones included.",
                _answer("CertificateList", "A page of certificates."),
                [_param("cohort_id"), *PAGING], "BadRequest", "NotFound"),
            "/api/v1/attempts": _get(
                "listAttempts", "Attempts in the token's cohorts.",
                _answer("AttemptList", "A page of attempts."),
                [*attempt_filters, *PAGING], "BadRequest"),
            "/api/v1/attempts/{attempt_id}": _get(
                "getAttempt", "One attempt.", _answer("Attempt", "The attempt."),
                [_param("attempt_id")], "BadRequest", "NotFound"),
            "/api/v1/attempts/{attempt_id}/grade": _get(
                "getGrade", "An attempt's grade with its criteria.",
                _answer("Grade", "The grade."), [_param("attempt_id")], "BadRequest",
                "NotFound"),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "An API token (cet_…)."}},
            "schemas": SCHEMAS,
            "responses": RESPONSES,
            "parameters": PARAMETERS,
        },
    }
