"""A cohort's pass rules and the certificates issued under them.

A certificate is a document of the moment it was issued: the holder's name, the cohort's
name and the scenarios passed are copied into it, so a later rename or a changed rule does
not rewrite what was certified. Certificates are never deleted; a revoked one keeps its row
with who revoked it, when and why (the public check then says "revoked").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Float, ForeignKey, Index, String, Table, Text, event, text
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from trainer.accounts.models import Cohort, User
from trainer.db import Base, utcnow
from trainer.fieldwork.models import Assignment

pass_rule_assignments = Table(
    "pass_rule_assignments",
    Base.metadata,
    Column("rule_id", ForeignKey("pass_rules.id", ondelete="CASCADE"), primary_key=True),
    Column("assignment_id", ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True),
)


class PassRule(Base):
    """What a trainee of the cohort must achieve (one set of rules per cohort)."""

    __tablename__ = "pass_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"),
                                           unique=True)
    minimum_total: Mapped[float] = mapped_column(Float)  # 0-100, for each required attempt
    # criterion names that must not be failed (score below 0.5) in any required attempt
    must_not_fail: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                 ondelete="SET NULL"))

    cohort: Mapped[Cohort] = relationship()
    required: Mapped[list[Assignment]] = relationship(secondary=pass_rule_assignments,
                                                      order_by=Assignment.id)
    updated_by: Mapped[User | None] = relationship()


class Certificate(Base):
    """A certificate issued to a trainee who met the cohort's rules, checked by its code."""

    __tablename__ = "certificates"
    # At most one valid (not revoked) certificate per trainee and cohort, whatever races the
    # service's own check loses: a partial unique index (revoked ones are kept, any number).
    __table_args__ = (
        Index("uq_certificates_valid_cohort_holder", "cohort_id", "holder_id", unique=True,
              postgresql_where=text("revoked_at IS NULL"),
              sqlite_where=text("revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="RESTRICT"),
                                           index=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"),
                                           index=True)
    holder_name: Mapped[str] = mapped_column(String(120))
    cohort_name: Mapped[str] = mapped_column(String(120))
    # the scenarios passed: [{"id": scenario id, "zh_CN": title, "en": title}], no scores
    scenarios: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                 ondelete="SET NULL"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    cohort: Mapped[Cohort] = relationship()
    holder: Mapped[User] = relationship(foreign_keys=[holder_id])
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    @property
    def revoked(self) -> bool:
        """Whether the certificate has been revoked."""
        return self.revoked_at is not None


class CertificateDeleted(RuntimeError):
    """Raised when code tries to delete a certificate (they are revoked, never deleted)."""


@event.listens_for(Session, "before_flush")
def _keep_certificates(session: Session, _context: Any, _instances: Any) -> None:
    if any(isinstance(obj, Certificate) for obj in session.deleted):
        raise CertificateDeleted("certificates are revoked, never deleted")
