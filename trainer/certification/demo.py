"""Demo content for `make run`: pass rules on the demo cohort and trainee2's certificate.

trainee2's practice attempt at the first exercise (trainer/fieldwork/demo.py) is released at
once with 83.4 points, passed, privacy and coverage not failed; the demo rules require that
exercise with a minimum of 80, so trainee2 qualifies and holds a certificate whose public
check can be opened from My training.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from trainer.accounts.demo import DEMO_COHORT
from trainer.accounts.models import Cohort
from trainer.accounts.services import user_by_username
from trainer.certification import services
from trainer.certification.models import Certificate
from trainer.fieldwork.models import Assignment, Mode

DEMO_MINIMUM = 80.0
DEMO_MUST_NOT_FAIL = ("privacy", "coverage")


def seed(db: Session) -> str:
    """Set the demo cohort's rules (once) and certify trainee2 (once, if they qualify)."""
    cohort = db.scalar(select(Cohort).where(Cohort.name == DEMO_COHORT))
    if cohort is None:
        return "certification: no demo cohort"
    if services.rules_of(db, cohort) is None:
        practice = db.scalars(select(Assignment).where(
            Assignment.cohort_id == cohort.id, Assignment.mode == Mode.PRACTICE)
            .order_by(Assignment.id)).first()
        if practice is None:
            return "certification: no demo exercise"
        services.set_rules(db, actor=cohort.trainer, cohort=cohort, required=[practice.id],
                           minimum_total=DEMO_MINIMUM, must_not_fail=DEMO_MUST_NOT_FAIL)
    trainee2 = user_by_username(db, "trainee2")
    if trainee2 is None:
        return "certification: rules set; no trainee2"
    held = db.scalar(select(Certificate).where(Certificate.cohort_id == cohort.id,
                                               Certificate.holder_id == trainee2.id)
                     .order_by(Certificate.id))
    if held is None:
        standing = services.eligibility_of(db, cohort, trainee2)
        if standing is None or not standing.qualifies:
            return "certification: rules set; trainee2 does not qualify"
        held = services.issue(db, actor=cohort.trainer, cohort=cohort, trainee=trainee2)
    # the same line every time (`flask demo seed` prints it and is run repeatedly)
    return f"certification: trainee2's certificate, checked in public at /verify/{held.code}"
