"""Localised names of roles and audit events, for templates and forms."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from trainer.accounts.models import AuditEvent, AuditKind, Cohort, Role, User
from trainer.extensions import list_separator

ROLE_LABELS = {
    Role.TRAINEE: _l("Trainee"),
    Role.TRAINER: _l("Trainer"),
    Role.EXAMINER: _l("Examiner"),
    Role.ADMIN: _l("Administrator"),
}

AUDIT_LABELS = {
    AuditKind.LOGIN: _l("Logged in"),
    AuditKind.LOGIN_FAILED: _l("Failed log-in"),
    AuditKind.LOGOUT: _l("Logged out"),
    AuditKind.PASSWORD_CHANGED: _l("Changed own password"),
    AuditKind.PASSWORD_RESET: _l("Password reset by an administrator"),
    AuditKind.RESET_REQUESTED: _l("Asked for a password reset"),
    AuditKind.USER_CREATED: _l("Account created"),
    AuditKind.USER_DEACTIVATED: _l("Account deactivated"),
    AuditKind.USER_REACTIVATED: _l("Account reactivated"),
    AuditKind.ROLE_CHANGED: _l("Role changed"),
    AuditKind.COHORT_CREATED: _l("Cohort created"),
    AuditKind.COHORT_IMPORT: _l("Trainees imported"),
    AuditKind.COHORT_MARKING: _l("Marking rules changed"),
    AuditKind.COHORT_CHANGED: _l("Cohort changed"),
    AuditKind.COHORT_JOINED: _l("Trainee added to a cohort"),
    AuditKind.COHORT_LEFT: _l("Trainee taken out of a cohort"),
    AuditKind.COHORT_EXAMINERS: _l("Cohort's examiners changed"),
    AuditKind.PERSONAL_DATA_EXPORTED: _l("Personal data exported"),
    AuditKind.PERSONAL_DATA_DELETED: _l("Personal data deleted"),
    AuditKind.API_TOKEN_CREATED: _l("API token created"),
    AuditKind.API_TOKEN_REVOKED: _l("API token revoked"),
}


def role_label(role: Role) -> str:
    """The role's name in the current language."""
    return str(ROLE_LABELS[role])


def audit_label(kind: AuditKind) -> str:
    """The audit event's name in the current language."""
    return str(AUDIT_LABELS[kind])

# The details an audit event keeps (services' `detail=`), by key: what each is called.
DETAIL_LABELS = {
    "role": _l("Role"),
    "reason": _l("Reason"),
    "cohort": _l("Cohort"),
    "cohort_id": _l("Cohort"),
    "imported": _l("Trainees imported"),
    "refused_lines": _l("Refused lines"),
    "double": _l("Double marking"),
    "threshold": _l("Difference that calls a third examiner"),
    "attempts": _l("Attempts deleted"),
    "map_drawings": _l("Map drawings deleted"),
    "clip_watching": _l("Clip watching deleted"),
    "notifications": _l("Notices deleted"),
    "cohorts": _l("Cohorts left"),
    "certificates_revoked": _l("Certificates revoked"),
    "renamed_from": _l("Former name"),
    "trainer_before": _l("Trainer before"),
    "trainer_after": _l("Trainer now"),
    "description_changed": _l("Description changed"),
    "added": _l("Added"),
    "removed": _l("Taken off"),
    "prefix": _l("Token begins"),
}
# why a log-in failed
REASON_LABELS = {
    "unknown": _l("No account has this user name"),
    "password": _l("Wrong password"),
    "inactive": _l("The account is deactivated"),
}


# details that hold users by id (a name is looked up when shown, so an account anonymised
# since is shown as it is now, never by the name it had)
USER_DETAILS = ("trainer_before", "trainer_after", "added", "removed")


def _detail_value(key: str, value: Any, cohort_names: dict[int, str],
                  user_names: dict[int, str]) -> str:
    """One detail's value in words: a role's or a reason's name, a cohort's name, a user's
    name, yes or no, a list joined as the language joins one."""
    if key in USER_DETAILS:
        ids = value if isinstance(value, list) else [value]
        return list_separator().join(user_names.get(user_id, f"#{user_id}")
                                     for user_id in ids) or "—"
    if key in ("role", "before", "after") and value in Role.__members__.values():
        return role_label(Role(value))
    if key == "reason" and value in REASON_LABELS:
        return str(REASON_LABELS[value])
    if key in ("cohort", "cohort_id") and isinstance(value, int):
        return cohort_names.get(value, f"#{value}")
    if isinstance(value, bool):
        return str(gettext("yes") if value else gettext("no"))
    if isinstance(value, list):
        return list_separator().join(str(item) for item in value) or "—"
    return str(value)


def audit_details(event: AuditEvent, cohort_names: dict[int, str],
                  user_names: dict[int, str] | None = None) -> list[tuple[str, str]]:
    """An audit event's details as (label, value) pairs in the current language: a role
    change reads "Role: Trainee → Examiner", a cohort is named (its name given once), an
    unknown key keeps its own name."""
    detail = dict(event.detail or {})
    users = user_names or {}
    pairs = []
    if "before" in detail and "after" in detail:
        before = _detail_value("before", detail.pop("before"), cohort_names, users)
        after = _detail_value("after", detail.pop("after"), cohort_names, users)
        pairs.append((str(DETAIL_LABELS["role"]), f"{before} → {after}"))
    name = detail.pop("name", None)
    for key, value in detail.items():
        if key == "cohort_id" and name is not None:
            value = name
        pairs.append((str(DETAIL_LABELS.get(key, key)),
                      _detail_value(key, value, cohort_names, users)))
    if name is not None and "cohort_id" not in detail:
        pairs.append((gettext("Name"), str(name)))
    return pairs


def user_names(db: Session, events: Iterable[AuditEvent]) -> dict[int, str]:
    """The user names of the users the events' details hold by id (`USER_DETAILS`)."""
    ids = {user_id for event in events for key, value in (event.detail or {}).items()
           if key in USER_DETAILS
           for user_id in (value if isinstance(value, list) else [value])
           if isinstance(user_id, int)}
    if not ids:
        return {}
    rows = db.execute(select(User.id, User.username).where(User.id.in_(ids)))
    return dict(rows.all())


def cohort_names(db: Session, events: Iterable[AuditEvent]) -> dict[int, str]:
    """The names of the cohorts the events' details point to, by id."""
    ids = {value for event in events for key, value in (event.detail or {}).items()
           if key in ("cohort", "cohort_id") and isinstance(value, int)}
    if not ids:
        return {}
    rows = db.execute(select(Cohort.id, Cohort.name).where(Cohort.id.in_(ids)))
    return dict(rows.all())
