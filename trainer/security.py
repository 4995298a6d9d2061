"""Security headers on every response (a strict Content-Security-Policy and friends), and
guards for hostile form input."""

from __future__ import annotations

import math
from typing import Any

from flask import Flask, Response, abort, request
from wtforms import validators

# No inline script or style anywhere; every asset is served from this site.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_security_headers(app: Flask) -> None:
    """The headers below on every response, and the guard against NUL characters."""
    _add_headers(app)
    refuse_nul_characters(app)


def refuse_nul_characters(app: Flask) -> None:
    """A NUL character in a URL part, a query or form value, a field or file name is never
    meant (no page of the site sends one): refuse the request (400) before a view sees it.
    PostgreSQL text cannot hold one, so the view's first query would fail with a 500.
    JSON bodies are left to their views (JSON columns hold an escaped NUL)."""

    @app.before_request
    def no_nul() -> None:
        values: list[str] = [str(value) for value in (request.view_args or {}).values()]
        for multi in (request.args, request.form):
            for key, items in multi.lists():
                values.append(key)
                values.extend(items)
        values.extend(upload.filename or "" for upload in request.files.values())
        if any("\x00" in value for value in values):
            abort(400)


def _add_headers(app: Flask) -> None:
    """Add the headers to every response. Nothing made for a request (pages, JSON, CSV
    exports, captions) is cached unless its view says otherwise: it may be private data.
    Static files keep their own caching."""

    @app.after_request
    def add_headers(response: Response) -> Response:
        # those a view has not set itself (one pass over the response's headers)
        present = {name.lower() for name, _value in response.headers.items()}
        wanted = list(HEADERS.items())
        if app.config.get("SESSION_COOKIE_SECURE"):
            wanted.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
        if response.mimetype == "text/html" or request.endpoint != "static":
            wanted.append(("Cache-Control", "no-store"))
        response.headers.extend([(name, value) for name, value in wanted
                                 if name.lower() not in present])
        return response


FLOAT_SAFE = 2**53  # integers up to this convert to float exactly


class NumberRange(validators.NumberRange):
    """WTForms' NumberRange, safe for any integer a form may bring: its NaN check turns an
    integer past a float's range (a 400-digit "number") into an OverflowError, a 500. Such
    a number is compared as plus or minus infinity instead, so it is simply out of range."""

    def __call__(self, form: Any, field: Any) -> None:
        data = field.data
        if isinstance(data, int) and not isinstance(data, bool) and abs(data) > FLOAT_SAFE:
            field.data = math.inf if data > 0 else -math.inf
            try:
                super().__call__(form, field)
            finally:
                field.data = data
            return
        super().__call__(form, field)
