"""Grade versions: every grading of a submitted attempt is kept as a numbered `Grade`.

Grading is a pure function of (scenario version, seed, evidence): the same attempt graded
again with the same rubric and criteria gives the same data, and then nothing is added. A
changed rubric (a newer published version of the same scenario) or changed criteria (a new
`GRADER`) give a new grade numbered after the last; `Attempt.score` is always the latest, and
the older ones stay for the record. A released review keeps what the trainee was shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from flask_babel import force_locale, gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from trainer.accounts.models import User
from trainer.core.collector import collector_paused
from trainer.core.errors import InvalidInput
from trainer.core.grading import forms as grading_forms
from trainer.core.grading.criteria import score, score_data
from trainer.core.i18n import N_
from trainer.core.interview.engine import Session as Visit
from trainer.core.scenario.model import Rubric
from trainer.fieldwork import truth
from trainer.fieldwork.models import Attempt, AttemptStatus, Grade
from trainer.scenarios.models import ScenarioVersion
from trainer.scenarios.services import get_version, replay_steps, scenario_of

GRADER = "visits-forms-6"  # the criteria version a stored score was computed with (6: age at death)


def grade_data(attempt: Attempt, rubric_version: ScenarioVersion | None = None,
               visit: Visit | None = None) -> dict[str, Any]:
    """The attempt graded by `rubric_version`'s rubric (its own version's by default)."""
    visit = visit or replay_steps(attempt.version, attempt.seed, attempt.steps)
    evidence = grading_forms.attempt_evidence(visit, attempt.forms, attempt.register,
                                              attempt.tally, hmt_forms=attempt.hmt_forms,
                                              deaths=attempt.deaths,
                                              map_drawing=attempt.map_drawing)
    if rubric_version is not None and rubric_version.id != attempt.version_id:
        rubric = scenario_of(rubric_version).rubric
        evidence = replace(evidence, scenario=replace(evidence.scenario, rubric=rubric))
    return _map_texts(score_data(score(evidence), GRADER))


def _map_texts(data: dict[str, Any]) -> dict[str, Any]:
    """Map findings come from the core as a message id and its parameters (`map`); store
    their text in both languages, as every other finding has it, for the pages, exports and
    the API that read `text`."""
    for result in data["criteria"].values():
        for found in result["findings"]:
            if "map" in found:
                message, params = found["map"].get("message", ""), found["map"].get("params")
                found["text"] = [_both(message, params, locale) for locale in ("zh_CN", "en")]
    return data


def _both(message: str, params: Any, locale: str) -> str:
    with force_locale(locale):
        try:
            return str(gettext(message, **dict(params or {})))
        except (KeyError, TypeError, ValueError):
            return str(gettext(message))


def grades_of(db: Session, attempt: Attempt) -> Sequence[Grade]:
    """The attempt's grades, the first first."""
    return db.scalars(select(Grade).where(Grade.attempt_id == attempt.id)
                      .options(selectinload(Grade.rubric_version), selectinload(Grade.created_by))
                      .order_by(Grade.number)).all()


def _new(db: Session, attempt: Attempt, data: dict[str, Any],
         rubric_version: ScenarioVersion, actor: User | None, last: Grade | None) -> Grade:
    """`data` as the attempt's next grade and its current score (not yet flushed)."""
    grade = Grade(attempt=attempt, number=(last.number if last is not None else 0) + 1,
                  grader=data["grader"], data=data, rubric_version=rubric_version,
                  created_by=actor,
                  truth_fingerprint=truth.fingerprint_of(attempt.version, attempt.seed))
    db.add(grade)
    attempt.score = data
    return grade


def _last(db: Session, attempt: Attempt, *, lock: bool = False) -> Grade | None:
    """The attempt's latest grade; `lock` holds it (PostgreSQL) so that two gradings at once
    cannot both take the next number."""
    query = select(Grade).where(Grade.attempt_id == attempt.id).order_by(Grade.number.desc())
    return db.scalar((query.with_for_update() if lock else query).limit(1))


def _lasts(db: Session, ids: Sequence[int]) -> dict[int, Grade]:
    """The last grade of each of these attempts, in one query."""
    newest = (select(Grade.attempt_id, func.max(Grade.number).label("number"))
              .where(Grade.attempt_id.in_(ids)).group_by(Grade.attempt_id).subquery())
    found = db.scalars(select(Grade).join(newest, (Grade.attempt_id == newest.c.attempt_id)
                                          & (Grade.number == newest.c.number)))
    return {grade.attempt_id: grade for grade in found}


def on_submit(db: Session, attempt: Attempt, visit: Visit) -> Grade:
    """The grade of a submission by the attempt's own version: grade 1, or the next number
    when an attempt returned for correction is submitted again."""
    grade = _new(db, attempt, grade_data(attempt, visit=visit), attempt.version, None,
                 _last(db, attempt, lock=True))
    db.flush()
    return grade


def rubric_of(db: Session, attempt: Attempt) -> Rubric:
    """The rubric the attempt's current score was computed with."""
    last = _last(db, attempt)
    return scenario_of(last.rubric_version if last is not None else attempt.version).rubric


def regrade(db: Session, attempt: Attempt, *, actor: User | None,
            rubric_version: ScenarioVersion | None = None) -> Grade | None:
    """Grade a submitted attempt again, with `rubric_version`'s rubric (the newest published
    version of its scenario by default); the new grade, or None when nothing changed."""
    rubric_version = rubric_version or get_version(db, attempt.version.scenario_id)
    grade = _regrade(db, attempt, rubric_version, actor, _last(db, attempt, lock=True))
    db.flush()
    return grade


def _regrade(db: Session, attempt: Attempt, rubric_version: ScenarioVersion,
             actor: User | None, last: Grade | None) -> Grade | None:
    if attempt.status != AttemptStatus.SUBMITTED:
        raise InvalidInput(N_("Only a submitted attempt can be graded again."))
    if rubric_version.scenario_id != attempt.version.scenario_id:
        raise InvalidInput(N_("A rubric from another scenario cannot grade this attempt."))
    data = grade_data(attempt, rubric_version)
    if last is not None and last.rubric_version_id == rubric_version.id and last.data == data:
        # The same score on today's households: the last grade stands on them too, so it
        # keeps their digest (else a later bulk regrade would leave it as graded otherwise).
        last.truth_fingerprint = truth.fingerprint_of(attempt.version, attempt.seed)
        return None
    return _new(db, attempt, data, rubric_version, actor, last)


@dataclass(frozen=True, slots=True)
class Regraded:
    """What a bulk regrade did."""

    checked: int
    changed: int
    kept: int = 0  # left as graded: graded on households drawn otherwise now (`truth`)


BATCH = 500  # attempts whose last grades are read in one query and written in one flush


def regrade_many(db: Session, attempts: Sequence[Attempt], *, actor: User | None,
                 to_latest: bool = True, include_changed: bool = False) -> Regraded:
    """Regrade submitted attempts (by the newest rubric, or each by its own version's). An
    attempt whose last grade was given on households this version draws otherwise is left as
    graded unless `include_changed` (a regrade would score it on households it was not
    graded on, which the trainee may never have met: `truth.graded_otherwise`); an examiner
    may still regrade it alone, from its page, which says so."""
    changed = kept = 0
    newest: dict[str, ScenarioVersion] = {}
    for start in range(0, len(attempts), BATCH):
        batch = attempts[start:start + BATCH]
        lasts = _lasts(db, [attempt.id for attempt in batch])
        with collector_paused():  # a batch makes many small objects and no garbage cycles
            for attempt in batch:
                if not include_changed and truth.graded_otherwise(attempt,
                                                                  lasts.get(attempt.id)):
                    kept += 1
                    continue
                scenario_id = attempt.version.scenario_id
                if to_latest and scenario_id not in newest:
                    newest[scenario_id] = get_version(db, scenario_id)
                version = newest[scenario_id] if to_latest else attempt.version
                changed += _regrade(db, attempt, version, actor,
                                    lasts.get(attempt.id)) is not None
            db.flush()
    return Regraded(len(attempts), changed, kept)


def submitted_attempts(db: Session, scenario_id: str | None = None) -> Sequence[Attempt]:
    """Every submitted attempt (of one scenario), with its version loaded."""
    query = (select(Attempt).join(Attempt.version).where(
        Attempt.status == AttemptStatus.SUBMITTED).options(selectinload(Attempt.version))
        .order_by(Attempt.id))
    if scenario_id is not None:
        query = query.where(ScenarioVersion.scenario_id == scenario_id)
    return db.scalars(query).all()

