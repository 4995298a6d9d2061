"""The log-in session: Flask's signed cookie, with its signing serializer built once.

Flask's own interface builds a new `URLSafeTimedSerializer` for every request that opens
the session and again for every response that saves it, and itsdangerous's constructor
serialises an empty dict each time to learn what kind of serializer it was given: 1 to 2 %
of the CPU of a trainee's dialogue step (`benchmarks/web.py`). Here it is built
once per secret key (and fallback keys) and kept; everything else is Flask's.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class SessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._serializer: tuple[tuple[Any, ...], URLSafeTimedSerializer] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self._serializer
        if cached is not None and cached[0] == keys:
            return cached[1]
        serializer = super().get_signing_serializer(app)
        if serializer is not None:
            self._serializer = (keys, serializer)
        return serializer
