"""API tokens and the read-only API's queries.

Tokens: a token belongs to an examiner or an administrator and names the cohorts it may read,
chosen at creation among the cohorts its owner may see. Only its SHA-256 is stored (a token
has 256 random bits, so a fast hash is enough); it is shown once. Creating and revoking are
recorded in `api_token_events` (append-only).

Scope: what a token reaches is its own cohorts *and* what its owner may see now. A cohort
the owner is given later is not added to an existing token, and a cohort the owner loses
drops out of it; an owner who is deactivated or no longer an examiner or administrator
makes every token of theirs invalid.

Every function takes the DB session and the acting user or token explicitly and only
flushes; the caller commits.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trainer.accounts.models import AuditKind, Cohort, Role, User, cohort_trainees
from trainer.accounts.services import cohorts_visible_to, record_audit
from trainer.api.models import ApiToken, ApiTokenEvent, TokenEventKind
from trainer.certification.models import Certificate
from trainer.core.errors import Forbidden, InvalidInput, NotFound
from trainer.core.i18n import N_
from trainer.db import utcnow
from trainer.fieldwork.models import Assignment, Attempt, AttemptStatus
from trainer.review import services as review_services
from trainer.review.models import Review, ReviewEvent, ReviewKind, ReviewStatus

# "census enumerator trainer": lets people and secret scanners recognise a token
TOKEN_PREFIX = "cet_"  # noqa: S105 - a prefix, not a secret
HOLDERS = (Role.EXAMINER, Role.ADMIN)
MAX_NAME = 80
T = TypeVar("T")


def hash_token(raw: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def may_hold_tokens(user: User) -> bool:
    """Active examiners and administrators may hold tokens."""
    return user.active and user.role in HOLDERS


# Tokens ---------------------------------------------------------------------------------

def _record(db: Session, token: ApiToken, kind: TokenEventKind, actor: User | None,
            ip: str | None, **detail: Any) -> ApiTokenEvent:
    """A token's event in its own record (shown on the tokens page) and in the security audit
    log, where an admin sees a token given out or withdrawn beside the log-ins."""
    entry = ApiTokenEvent(token=token, kind=kind, actor=actor, ip=ip, detail=detail)
    db.add(entry)
    record_audit(db, AUDIT_KINDS[kind], actor=actor, subject=token.owner, ip=ip,
                 detail={"name": token.name, "prefix": token.prefix})
    return entry


AUDIT_KINDS = {TokenEventKind.CREATED: AuditKind.API_TOKEN_CREATED,
               TokenEventKind.REVOKED: AuditKind.API_TOKEN_REVOKED}


def create_token(db: Session, *, owner: User, name: str, cohort_ids: Iterable[int],
                 expires_at: datetime | None = None, ip: str | None = None,
                 now: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for `owner` on some of the cohorts they may see; returns the row and the
    token itself, which is not kept anywhere and must be shown now."""
    if not may_hold_tokens(owner):
        raise Forbidden(N_("Only examiners and administrators hold API tokens."))
    name = " ".join(name.split())
    if not name:
        raise InvalidInput(N_("Give the token a name."), field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(N_("A token name has at most %(count)s characters."), field="name",
                           count=MAX_NAME)
    wanted = sorted(set(cohort_ids))
    if not wanted:
        raise InvalidInput(N_("Choose at least one cohort."), field="cohort_ids")
    visible = {cohort.id: cohort for cohort in cohorts_visible_to(db, owner)}
    outside = [number for number in wanted if number not in visible]
    if outside:
        raise InvalidInput(N_("You cannot give a token access to a cohort you do not see."),
                           field="cohort_ids")
    now = now or utcnow()
    if expires_at is not None and expires_at <= now:
        raise InvalidInput(N_("The expiry must lie in the future."), field="expires_in")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(owner=owner, name=name, token_hash=hash_token(raw),
                     prefix=raw[:len(TOKEN_PREFIX) + 6], created_at=now, expires_at=expires_at,
                     cohorts=[visible[number] for number in wanted])
    db.add(token)
    db.flush()
    _record(db, token, TokenEventKind.CREATED, owner, ip, name=name, cohort_ids=wanted,
            expires_at=expires_at.isoformat() if expires_at else None)
    db.flush()
    return token, raw


def tokens_for(db: Session, user: User) -> Sequence[ApiToken]:
    """The tokens a user manages, newest first: their own; an administrator sees all."""
    stmt = select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if user.role != Role.ADMIN:
        stmt = stmt.where(ApiToken.owner_id == user.id)
    return db.scalars(stmt).all()


def token_events_for(db: Session, user: User, limit: int = 50) -> Sequence[ApiTokenEvent]:
    """The record of the tokens a user manages, newest first."""
    stmt = (select(ApiTokenEvent).join(ApiToken, ApiTokenEvent.token_id == ApiToken.id)
            .order_by(ApiTokenEvent.id.desc()).limit(limit))
    if user.role != Role.ADMIN:
        stmt = stmt.where(ApiToken.owner_id == user.id)
    return db.scalars(stmt).all()


def get_token(db: Session, user: User, token_id: int) -> ApiToken:
    """A token the user manages (their own; any, for an administrator), or NotFound."""
    token = db.get(ApiToken, token_id)
    if token is None or (user.role != Role.ADMIN and token.owner_id != user.id):
        raise NotFound(N_("No such token."))
    return token


def revoke_token(db: Session, *, actor: User, token: ApiToken, ip: str | None = None) -> bool:
    """Revoke a token at once; False if it already was (nothing is recorded twice)."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    _record(db, token, TokenEventKind.REVOKED, actor, ip, name=token.name)
    db.flush()
    return True


def is_usable(token: ApiToken, now: datetime | None = None) -> bool:
    """Not revoked, not expired, and its owner may still hold tokens."""
    now = now or utcnow()
    return (token.revoked_at is None
            and (token.expires_at is None or token.expires_at > now)
            and may_hold_tokens(token.owner))


def authenticate(db: Session, raw: str, now: datetime | None = None) -> ApiToken | None:
    """The usable token with this value, or None (unknown, revoked, expired, owner gone)."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = db.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None or not is_usable(token, now):
        return None
    return token


# Reading through a token -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list in a stable order, and how many there are in all."""

    items: Sequence[T]
    total: int
    limit: int
    offset: int

    @property
    def has_next(self) -> bool:
        """Whether a page follows this one."""
        return self.offset + len(self.items) < self.total


def scope_ids(db: Session, token: ApiToken) -> list[int]:
    """Ids of the cohorts the token reaches: its own that its owner still sees."""
    visible = {cohort.id for cohort in cohorts_visible_to(db, token.owner)}
    return sorted(cohort.id for cohort in token.cohorts if cohort.id in visible)


def _page(db: Session, stmt: Any, limit: int, offset: int) -> tuple[list[Any], int]:
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    return list(db.execute(stmt.limit(limit).offset(offset)).all()), total


def cohorts(db: Session, token: ApiToken, *, limit: int, offset: int) -> Page[Cohort]:
    """The token's cohorts, by id."""
    stmt = select(Cohort).where(Cohort.id.in_(scope_ids(db, token))).order_by(Cohort.id)
    rows, total = _page(db, stmt, limit, offset)
    return Page([row[0] for row in rows], total, limit, offset)


def cohort(db: Session, token: ApiToken, cohort_id: int) -> Cohort:
    """A cohort in the token's scope; any other is reported as not found (no existence leak)."""
    found = db.get(Cohort, cohort_id) if cohort_id in scope_ids(db, token) else None
    if found is None:
        raise NotFound(N_("No such cohort."))
    return found


def trainees(db: Session, token: ApiToken, cohort_id: int, *, limit: int,
             offset: int) -> Page[User]:
    """A cohort's trainees, by id."""
    found = cohort(db, token, cohort_id)
    stmt = (select(User).join(cohort_trainees, cohort_trainees.c.user_id == User.id)
            .where(cohort_trainees.c.cohort_id == found.id).order_by(User.id))
    rows, total = _page(db, stmt, limit, offset)
    return Page([row[0] for row in rows], total, limit, offset)


@dataclass(frozen=True, slots=True)
class AttemptRow:
    """An attempt with its cohort and review (None until it is first submitted)."""

    attempt: Attempt
    cohort_id: int
    review: Review | None


def attempts(db: Session, token: ApiToken, *, limit: int, offset: int,
             cohort_id: int | None = None, trainee_id: int | None = None,
             status: AttemptStatus | None = None,
             review_status: ReviewStatus | None = None) -> Page[AttemptRow]:
    """Attempts in the token's cohorts, by id; filters outside the scope match nothing."""
    allowed = scope_ids(db, token)
    if cohort_id is not None:
        allowed = [number for number in allowed if number == cohort_id]
    stmt = (select(Attempt, Assignment.cohort_id, Review)
            .join(Assignment, Attempt.assignment_id == Assignment.id)
            .outerjoin(Review, Review.attempt_id == Attempt.id)
            .where(Assignment.cohort_id.in_(allowed)).order_by(Attempt.id))
    if trainee_id is not None:
        stmt = stmt.where(Attempt.trainee_id == trainee_id)
    if status is not None:
        stmt = stmt.where(Attempt.status == status)
    if review_status is not None:
        stmt = stmt.where(Review.status == review_status)
    rows, total = _page(db, stmt, limit, offset)
    return Page([AttemptRow(*row) for row in rows], total, limit, offset)


def attempt(db: Session, token: ApiToken, attempt_id: int) -> AttemptRow:
    """One attempt in the token's cohorts, or NotFound."""
    found = db.get(Attempt, attempt_id)
    if found is None or found.assignment.cohort_id not in scope_ids(db, token):
        raise NotFound(N_("No such attempt."))
    return AttemptRow(found, found.assignment.cohort_id, review_services.review_of(db, found))


@dataclass(frozen=True, slots=True)
class Grade:
    """An attempt's scores as an examiner sees them: the grader's, the one with the overrides
    applied, and the one the trainee was shown at release; with every override's record."""

    row: AttemptRow
    automatic: dict[str, Any] | None
    effective: dict[str, Any] | None
    released: dict[str, Any] | None
    overrides: Sequence[ReviewEvent]


def grade(db: Session, token: ApiToken, attempt_id: int) -> Grade:
    """The grade of an attempt in the token's cohorts (every token is an examiner's or an
    administrator's, so it sees what the review page shows)."""
    row = attempt(db, token, attempt_id)
    review = row.review
    effective = review_services.effective_score(review) if review else row.attempt.score
    released = review.released_score if review_services.is_released(review) else None
    history = [entry for entry in review.events
               if entry.kind == ReviewKind.OVERRIDE] if review else []
    return Grade(row, row.attempt.score, effective, released, history)


def certificates(db: Session, token: ApiToken, cohort_id: int, *, limit: int,
                 offset: int) -> Page[Certificate]:
    """A cohort's certificates (revoked ones too), by id."""
    found = cohort(db, token, cohort_id)
    stmt = select(Certificate).where(Certificate.cohort_id == found.id).order_by(Certificate.id)
    rows, total = _page(db, stmt, limit, offset)
    return Page([row[0] for row in rows], total, limit, offset)
