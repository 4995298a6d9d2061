"""Domain errors raised by the core and by feature services.

Each error carries a message id marked with `N_` (translated by the web layer with its
`params`) and optionally the name of the form field it concerns. The web layer maps each
class to one HTTP status in `trainer/errors.py`; nothing else decides status codes.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class: something the user asked for cannot be done as asked."""

    def __init__(self, message: str, *, field: str | None = None, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.field = field
        self.params = params


class InvalidInput(DomainError):
    """The input breaks a rule (a bad code, an impossible rate, a malformed file)."""


class NotFound(DomainError):
    """The thing asked for does not exist, or the actor may not know that it exists."""


class Forbidden(DomainError):
    """The actor's role or ownership does not allow this action."""


class Conflict(DomainError):
    """The action clashes with the current state (a duplicate name, a stale version)."""


class Locked(Conflict):
    """Another request is working on the same thing right now; try again in a moment."""


class TooLarge(InvalidInput):
    """The file or request is larger than the limit."""


class StorageFull(DomainError):
    """The server's disk has no room left for the file (nothing of it is kept)."""
