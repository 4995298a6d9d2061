"""Who may open which route, declared on each view and enforced in one place.

Every view carries `@public`, `@logged_in` or `@roles(...)`. A before-request hook reads the
marker; a view without one is refused (fail closed), and `tests/features/test_routes.py`
lists every route against every role.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, redirect, request, url_for
from flask_login import current_user

from trainer.accounts.models import Role, User
from trainer.extensions import db_session, login_manager

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = "public"
LOGGED_IN = "logged_in"
# Reachable while a user must still replace a temporary password.
PASSWORD_CHANGE_ENDPOINTS = {"accounts.change_password", "accounts.logout",
                             "accounts.set_language", "static"}


def public(view: F) -> F:
    """Anyone, logged in or not."""
    view.access = PUBLIC  # type: ignore[attr-defined]
    return view


def logged_in(view: F) -> F:
    """Any logged-in user, whatever the role."""
    view.access = LOGGED_IN  # type: ignore[attr-defined]
    return view


def roles(*allowed: Role) -> Callable[[F], F]:
    """Logged-in users with one of these roles."""

    def mark(view: F) -> F:
        view.access = frozenset(allowed)  # type: ignore[attr-defined]
        return view

    return mark


def current_actor() -> User:
    """The logged-in user as a row of the request's DB session (services take this)."""
    user = db_session().get(User, current_user.id) if current_user.is_authenticated else None
    if user is None:
        abort(401)
    return user


def access_of(app: Flask, endpoint: str) -> Any:
    """The access marker of an endpoint's view, or None when it has none."""
    if endpoint == "static":
        return PUBLIC
    view = app.view_functions.get(endpoint)
    return getattr(view, "access", None)


def init_access(app: Flask) -> None:
    """Install the check that runs before every request."""

    @app.before_request
    def enforce_access() -> Any:
        if request.endpoint is None:
            return None  # 404 / 405: let the error handlers answer
        access = access_of(app, request.endpoint)
        if access is None:
            abort(403)
        if access == PUBLIC:
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
            return redirect(url_for("accounts.change_password"))
        if access != LOGGED_IN and current_user.role not in access:
            abort(403)
        return None
