"""Localised names of roles and audit events, for templates and forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from trainer.accounts.models import AuditKind, Role

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
    AuditKind.PERSONAL_DATA_EXPORTED: _l("Personal data exported"),
    AuditKind.PERSONAL_DATA_DELETED: _l("Personal data deleted"),
}


def role_label(role: Role) -> str:
    """The role's name in the current language."""
    return str(ROLE_LABELS[role])


def audit_label(kind: AuditKind) -> str:
    """The audit event's name in the current language."""
    return str(AUDIT_LABELS[kind])
