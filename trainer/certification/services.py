"""Certification: a cohort's pass rules, who qualifies, issuing, revoking and checking codes.

Only released scores count (`Review.status == released`, `Review.released_score`: what the
trainee was shown); the rules themselves are pure (`core/grading/certification.py`). Every
function takes the DB session and the acting user explicitly and only flushes; the caller
commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trainer.accounts.models import Cohort, User
from trainer.certification.models import Certificate, PassRule
from trainer.core.errors import Conflict, InvalidInput, NotFound
from trainer.core.grading import certification as rules_core
from trainer.core.grading.certification import Eligibility, PassRules, Released
from trainer.core.grading.criteria import CRITERIA
from trainer.core.i18n import N_
from trainer.db import utcnow
from trainer.fieldwork.models import Assignment, Attempt
from trainer.review.models import Review, ReviewStatus
from trainer.scenarios.services import scenario_of

# No 0/O and no 1/I: a code read aloud or typed from paper cannot be mistaken.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 12  # 60 random bits
MIN_REASON = 5  # characters


# Codes ----------------------------------------------------------------------------------

def new_code() -> str:
    """A random verification code from the unambiguous alphabet."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str | None:
    """The code as stored (upper case, no spaces or dashes), or None when it cannot be one."""
    code = "".join(raw.split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(char not in ALPHABET for char in code):
        return None
    return code


def display_code(code: str) -> str:
    """A code in groups of four, as printed: ABCD-EFGH-JKLM."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def _unique_code(db: Session) -> str:
    for _ in range(10):
        code = new_code()
        if db.scalar(select(Certificate.id).where(Certificate.code == code)) is None:
            return code
    raise RuntimeError("no unused certificate code after 10 tries")  # pragma: no cover


# Rules ----------------------------------------------------------------------------------

def rules_of(db: Session, cohort: Cohort) -> PassRule | None:
    """The cohort's pass rules, if set."""
    return db.scalar(select(PassRule).where(PassRule.cohort_id == cohort.id))


def criteria_of(db: Session, cohort: Cohort) -> list[str]:
    """Names of the criteria the cohort's exercises are graded by, in rubric order."""
    names: list[str] = []
    for assignment in db.scalars(select(Assignment).where(Assignment.cohort_id == cohort.id)
                                 .order_by(Assignment.id)):
        for criterion in scenario_of(assignment.version).rubric.criteria:
            if criterion.name not in names:
                names.append(criterion.name)
    return names


def set_rules(db: Session, *, actor: User, cohort: Cohort, required: Iterable[int],
              minimum_total: float | None, must_not_fail: Iterable[str]) -> PassRule:
    """Set (or change) the cohort's rules; every part is checked before anything is saved."""
    wanted = sorted(set(required))
    if not wanted:
        raise InvalidInput(N_("Choose at least one required exercise."), field="required")
    assignments = {a.id: a for a in db.scalars(select(Assignment).where(
        Assignment.cohort_id == cohort.id))}
    unknown = [number for number in wanted if number not in assignments]
    if unknown:
        raise InvalidInput(N_("Exercise %(id)s is not an exercise of this cohort."),
                           field="required", id=unknown[0])
    if minimum_total is None or not 0 <= minimum_total <= 100:
        raise InvalidInput(N_("The minimum total runs from 0 to 100."), field="minimum_total")
    criteria = sorted(set(must_not_fail))
    strange = [name for name in criteria if name not in CRITERIA]
    if strange:
        raise InvalidInput(N_("There is no criterion %(name)s."), field="must_not_fail",
                           name=strange[0][:80])
    rule = rules_of(db, cohort)
    if rule is None:
        rule = PassRule(cohort=cohort)
        db.add(rule)
    rule.required = [assignments[number] for number in wanted]
    rule.minimum_total = round(float(minimum_total), 1)
    rule.must_not_fail = criteria
    rule.updated_by = actor
    rule.updated_at = utcnow()
    db.flush()
    return rule


def pure_rules(rule: PassRule) -> PassRules:
    """The stored rules as the core reads them."""
    return PassRules(frozenset(a.id for a in rule.required), float(rule.minimum_total),
                     frozenset(rule.must_not_fail))


# Who qualifies ----------------------------------------------------------------------------

def released_results(db: Session, cohort: Cohort, assignment_ids: Iterable[int],
                     trainee_ids: Iterable[int] | None = None) -> dict[int, list[Released]]:
    """Released attempts at the given assignments of the cohort, by trainee."""
    ids = list(assignment_ids)
    if not ids:
        return {}
    stmt = (select(Attempt.trainee_id, Attempt.assignment_id, Attempt.id, Review.released_score)
            .join(Review, Review.attempt_id == Attempt.id)
            .join(Assignment, Attempt.assignment_id == Assignment.id)
            .where(Assignment.cohort_id == cohort.id, Attempt.assignment_id.in_(ids),
                   Review.status == ReviewStatus.RELEASED, Review.released_score.is_not(None))
            .order_by(Attempt.id))
    if trainee_ids is not None:
        stmt = stmt.where(Attempt.trainee_id.in_(list(trainee_ids)))
    found: dict[int, list[Released]] = {}
    for trainee_id, assignment_id, attempt_id, score in db.execute(stmt):
        if score:
            found.setdefault(trainee_id, []).append(
                rules_core.released_from(assignment_id, attempt_id, score))
    return found


@dataclass(frozen=True, slots=True)
class Row:
    """A trainee of the cohort: their standing and their valid certificate, if any."""

    trainee: User
    eligibility: Eligibility
    certificate: Certificate | None


def eligibility_of(db: Session, cohort: Cohort, trainee: User) -> Eligibility | None:
    """A trainee's standing under the cohort's rules (None: no rules set)."""
    rule = rules_of(db, cohort)
    if rule is None:
        return None
    pure = pure_rules(rule)
    results = released_results(db, cohort, pure.required, [trainee.id]).get(trainee.id, [])
    return rules_core.eligibility(pure, results)


def standings(db: Session, cohort: Cohort) -> list[Row]:
    """Every trainee of the cohort with their standing (empty when no rules are set)."""
    rule = rules_of(db, cohort)
    if rule is None:
        return []
    pure = pure_rules(rule)
    results = released_results(db, cohort, pure.required)
    valid = {c.holder_id: c for c in certificates_of_cohort(db, cohort) if not c.revoked}
    return [Row(trainee, rules_core.eligibility(pure, results.get(trainee.id, [])),
                valid.get(trainee.id)) for trainee in cohort.trainees]


# Issuing and revoking -----------------------------------------------------------------------

def _scenarios(rule: PassRule, eligibility: Eligibility) -> list[dict[str, Any]]:
    passed = set(eligibility.passed_assignments)
    scenarios: list[dict[str, Any]] = []
    for assignment in rule.required:
        version = assignment.version
        if assignment.id in passed and all(s["id"] != version.scenario_id for s in scenarios):
            scenarios.append({"id": version.scenario_id, "zh_CN": version.title_zh,
                              "en": version.title_en})
    return scenarios


def valid_certificate(db: Session, cohort: Cohort, trainee: User) -> Certificate | None:
    """The trainee's certificate of this cohort that is not revoked, if any."""
    return db.scalar(select(Certificate).where(
        Certificate.cohort_id == cohort.id, Certificate.holder_id == trainee.id,
        Certificate.revoked_at.is_(None)))


def issue(db: Session, *, actor: User, cohort: Cohort, trainee: User) -> Certificate:
    """Issue a certificate to a trainee of the cohort who meets its rules."""
    if trainee not in cohort.trainees:
        raise NotFound(N_("No such trainee in this cohort."))
    rule = rules_of(db, cohort)
    if rule is None:
        raise InvalidInput(N_("Set the cohort's pass rules first."))
    standing = eligibility_of(db, cohort, trainee)
    if standing is None or not standing.qualifies:
        raise InvalidInput(N_("%(name)s does not meet the pass rules yet."),
                           name=trainee.full_name)
    already = Conflict(N_("%(name)s already holds a certificate of this cohort."),
                       name=trainee.full_name)
    if valid_certificate(db, cohort, trainee) is not None:
        raise already
    certificate = Certificate(code=_unique_code(db), cohort=cohort, holder=trainee,
                              holder_name=trainee.full_name, cohort_name=cohort.name,
                              scenarios=_scenarios(rule, standing), issued_by=actor,
                              issued_at=utcnow())
    try:
        # a savepoint: when the insert fails, the rest of the transaction stays usable
        with db.begin_nested():
            db.add(certificate)
            db.flush()
    except IntegrityError:
        # Another request issued one between the check above and this insert, and the
        # database's partial unique index (one valid certificate per trainee and cohort)
        # refused the second. Anything else is not ours to explain.
        if valid_certificate(db, cohort, trainee) is not None:
            raise already from None
        raise
    return certificate


def issue_all(db: Session, *, actor: User, cohort: Cohort) -> list[Certificate]:
    """Issue a certificate to every trainee who qualifies and holds none yet."""
    if rules_of(db, cohort) is None:
        raise InvalidInput(N_("Set the cohort's pass rules first."))
    issued = []
    for row in standings(db, cohort):
        if row.eligibility.qualifies and row.certificate is None:
            try:
                issued.append(issue(db, actor=actor, cohort=cohort, trainee=row.trainee))
            except Conflict:
                continue  # issued meanwhile by someone else: what was wanted is there
    return issued


def revoke(db: Session, *, actor: User, certificate: Certificate, reason: str) -> Certificate:
    """Revoke a certificate, saying why; it is kept and the public check says revoked."""
    if certificate.revoked:
        raise Conflict(N_("This certificate has already been revoked."))
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON:
        raise InvalidInput(N_("Say why the certificate is revoked (at least %(count)s "
                              "characters)."), field="reason", count=MIN_REASON)
    certificate.revoked_at, certificate.revoked_by = utcnow(), actor
    certificate.revoke_reason = reason[:2000]
    db.flush()
    return certificate


# Reading ----------------------------------------------------------------------------------

def certificates_of_cohort(db: Session, cohort: Cohort) -> Sequence[Certificate]:
    """The cohort's certificates, the oldest first (revoked ones too)."""
    return db.scalars(select(Certificate).where(Certificate.cohort_id == cohort.id)
                      .order_by(Certificate.id)).all()


def certificates_of(db: Session, holder: User) -> Sequence[Certificate]:
    """A trainee's certificates, the newest first (revoked ones too)."""
    return db.scalars(select(Certificate).where(Certificate.holder_id == holder.id)
                      .order_by(Certificate.id.desc())).all()


def certificate_for_holder(db: Session, holder: User, certificate_id: int) -> Certificate:
    """One of the trainee's own certificates; anyone else's does not exist for them."""
    found = db.get(Certificate, certificate_id)
    if found is None or found.holder_id != holder.id:
        raise NotFound(N_("No such certificate."))
    return found


def certificate_in(db: Session, cohorts: Iterable[Cohort], certificate_id: int) -> Certificate:
    """A certificate of one of these cohorts (those the actor may see), else NotFound."""
    found = db.get(Certificate, certificate_id)
    if found is None or found.cohort_id not in {cohort.id for cohort in cohorts}:
        raise NotFound(N_("No such certificate."))
    return found


def by_code(db: Session, raw: str) -> Certificate:
    """The certificate with this code; an unknown or malformed code is NotFound."""
    code = normalise_code(raw[:64])
    found = db.scalar(select(Certificate).where(Certificate.code == code)) if code else None
    if found is None:
        raise NotFound(N_("No certificate has this code. Check the code and try again."))
    return found
