"""The one place where errors become HTTP responses.

Domain errors map to status codes here; HTTP errors, CSRF failures and rate limits get a
localised page (or JSON for API clients); a database that cannot be reached (PostgreSQL
restarted, connections terminated, SQLite locked past its busy timeout) is a 503 with
Retry-After, since the request changed nothing and may simply be sent again; anything
unexpected is logged and answered with a plain 500 page, never a stack trace.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.errors import RateLimitExceeded
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

from trainer.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    Locked,
    NotFound,
    StorageFull,
    TooLarge,
)

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    InvalidInput: 400,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Locked: 423,
    TooLarge: 413,
    StorageFull: 507,
}

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Check what you entered "
                                "and try again.")),
    401: (_l("Not logged in"), _l("Please log in to continue.")),
    403: (_l("Not allowed"), _l("Your role does not allow you to open this page.")),
    404: (_l("Page not found"), _l("There is nothing at this address.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    409: (_l("Conflict"), _l("This clashes with something that already exists.")),
    413: (_l("Too large"), _l("The file or form you sent is too large.")),
    422: (_l("Cannot be processed"), _l("The data was understood but breaks a rule.")),
    429: (_l("Too many attempts"), _l("Too many attempts in a short time. Wait a few minutes "
                                      "and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. Nothing you saved "
                                         "before has been lost; please try again.")),
    503: (_l("Briefly unavailable"), _l("The database could not be reached for a moment. "
                                        "What you saved before is kept; what you just sent "
                                        "was not saved. Please try again in a few seconds.")),
    507: (_l("No room left"), _l("The server has no room left for this file. Nothing of it "
                                 "was kept; please try again later.")),
}
RETRY_AFTER_SECONDS = 5  # told to clients of a 503: a pool reconnects well within it


def database_unavailable(error: BaseException) -> bool:
    """Whether a database error means "not reachable now" (retry) rather than a bug: the
    server or network failed (OperationalError: terminated connection, restart, refused,
    SQLite locked), a connection was found dead, or the pool had none to give."""
    if isinstance(error, (OperationalError, PoolTimeout)):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def status_for(error: DomainError) -> int:
    """The HTTP status of a domain error (its nearest registered base class)."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


def translate(error: DomainError) -> str:
    """The error's message in the current language."""
    return _(error.message, **error.params)


def field_of(form: FlaskForm, name: str | None) -> Any:
    """The form's field `name`, a dotted name reaching into a FormField (`rates.births`: the
    `births` field of `rates`); None for no name or a name the form has no field for."""
    field: Any = form if name else None
    for part in name.split(".") if name else ():
        try:
            field = field[part]
        except (KeyError, TypeError):
            return None
    return field


def form_error(form: FlaskForm, error: DomainError) -> int:
    """Attach a domain error to the form field it names (`field_of`; else to the form) and
    return its status."""
    message = translate(error)
    field = field_of(form, error.field)
    if field is not None:
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(message)
    return status_for(error)


def wants_json() -> bool:
    """API clients (and fetch calls asking for JSON) get JSON errors instead of pages."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes[
        "text/html"]


def render_error(status: int, detail: str | None = None) -> Any:
    """A localised error page (or JSON) for `status`."""
    title, message = MESSAGES.get(status, MESSAGES[400 if status < 500 else 500])
    if wants_json():
        return {"error": str(title), "message": detail or str(message), "status": status}, status
    return render_template("errors/error.html", status=status, title=title,
                           message=detail or message), status


def register_error_handlers(app: Flask) -> None:
    """Install the handlers on the app."""

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> Any:
        return render_error(status_for(error), translate(error))

    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError) -> Any:
        return render_error(400, _("The form had expired or was not sent from this site. "
                                   "Reload the page and send it again."))

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(_error: RateLimitExceeded) -> Any:
        return render_error(429)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        body, status = render_error(error.code or 500)
        # Keep what the exception says in headers (Allow on 405, Content-Range on 416).
        headers = [(name, value) for name, value in error.get_headers()
                   if name.lower() != "content-type"]
        return body, status, headers

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def database_error(error: Exception) -> Any:
        if not database_unavailable(error):
            return unexpected(error)
        from trainer.extensions import discard_db_session

        # The request's transaction is gone with its connection: drop the session (the pool
        # has already invalidated that connection, and pre-ping replaces the others), so the
        # page below and the next request start clean.
        discard_db_session()
        app.logger.warning("database unavailable on %s %s: %s", request.method, request.path,
                           type(getattr(error, "orig", None) or error).__name__)
        body, status = render_error(503)
        return body, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        if isinstance(error, HTTPException):  # pragma: no cover - routed above
            return http_error(error)
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(InternalServerError.code)
