"""Imports every feature's models so that Base.metadata is complete (Alembic, tests)."""

from trainer.accounts.models import AuditEvent, Cohort, User
from trainer.db import Base

__all__ = ["AuditEvent", "Base", "Cohort", "User"]
