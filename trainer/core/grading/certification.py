"""Who qualifies for a cohort's certificate: pure rules over a trainee's released results.

A cohort's pass rules name the exercises (assignments) that are required, a minimum total
(0-100) and the criteria that must not be failed. A required exercise is met by one released
attempt that reaches the minimum, passes its own rubric, and fails none of the named criteria
(a criterion fails below `FAIL_BELOW`; one that did not apply to the attempt is not failed).
A trainee's best released attempt per required exercise counts: one attempt that meets every
rule is enough, whatever their other attempts scored. The trainee qualifies when every
required exercise is met; rules that require nothing qualify no one.

Nothing here reads the database: the web layer turns released reviews into `Released` rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

FAIL_BELOW = 0.5  # a criterion scored below this is failed (as `total_of` treats critical ones)


class Shortfall(StrEnum):
    """Why a released attempt does not meet the rules."""

    BELOW_MINIMUM = "below_minimum"
    RUBRIC_FAILED = "rubric_failed"
    CRITERION_FAILED = "criterion_failed"


@dataclass(frozen=True, slots=True)
class PassRules:
    """A cohort's rules: required assignment ids, minimum total, criteria not to fail."""

    required: frozenset[int]
    minimum_total: float
    must_not_fail: frozenset[str]


@dataclass(frozen=True, slots=True)
class Released:
    """One released attempt as the rules read it (the score the trainee was shown)."""

    assignment: int
    attempt: int
    total: float  # 0-100
    passed: bool  # by the attempt's own rubric
    criteria: Mapping[str, float]  # applicable criteria only, 0-1


@dataclass(frozen=True, slots=True)
class Standing:
    """How a trainee stands on one required assignment: the attempt that counts (the best),
    and what it lacks (nothing: met)."""

    assignment: int
    best: Released | None
    shortfalls: tuple[Shortfall, ...]
    failed_criteria: tuple[str, ...]

    @property
    def met(self) -> bool:
        """Whether a released attempt meets every rule."""
        return self.best is not None and not self.shortfalls


@dataclass(frozen=True, slots=True)
class Eligibility:
    """A trainee's standing on every required assignment (in ascending assignment id)."""

    standings: tuple[Standing, ...]

    @property
    def qualifies(self) -> bool:
        """Every required assignment met (and at least one required)."""
        return bool(self.standings) and all(s.met for s in self.standings)

    @property
    def passed_assignments(self) -> tuple[int, ...]:
        """The required assignments met, for the certificate's list of scenarios."""
        return tuple(s.assignment for s in self.standings if s.met)


def released_from(assignment: int, attempt: int, score: Mapping[str, Any]) -> Released:
    """A Released row from stored score data (see `criteria.score_data`)."""
    criteria = {name: float(result["score"]) for name, result in score.get("criteria", {}).items()
                if result.get("applicable", True)}
    return Released(assignment, attempt, float(score["total"]), bool(score["passed"]), criteria)


def failed_criteria(rules: PassRules, result: Released) -> tuple[str, ...]:
    """The must-not-fail criteria this attempt failed, sorted."""
    return tuple(sorted(name for name in rules.must_not_fail
                        if name in result.criteria and result.criteria[name] < FAIL_BELOW))


def shortfalls(rules: PassRules, result: Released) -> tuple[Shortfall, ...]:
    """What keeps one attempt from meeting the rules (empty: it meets them)."""
    found = []
    if result.total < rules.minimum_total:
        found.append(Shortfall.BELOW_MINIMUM)
    if not result.passed:
        found.append(Shortfall.RUBRIC_FAILED)
    if failed_criteria(rules, result):
        found.append(Shortfall.CRITERION_FAILED)
    return tuple(found)


def _rank(rules: PassRules, result: Released) -> tuple[bool, int, float, int]:
    # meets the rules first, then fewer shortfalls, the higher total, the later attempt
    lacking = shortfalls(rules, result)
    return not lacking, -len(lacking), result.total, result.attempt


def best_attempt(rules: PassRules, results: Iterable[Released]) -> Released | None:
    """The released attempt that counts for one assignment: one that meets the rules if any
    does (the highest total among them), else the nearest miss."""
    candidates = list(results)
    if not candidates:
        return None
    return max(candidates, key=lambda result: _rank(rules, result))


def eligibility(rules: PassRules, results: Iterable[Released]) -> Eligibility:
    """A trainee's standing under the rules, from all their released attempts (attempts at
    assignments the rules do not require are ignored)."""
    by_assignment: dict[int, list[Released]] = {}
    for result in results:
        if result.assignment in rules.required:
            by_assignment.setdefault(result.assignment, []).append(result)
    standings = []
    for assignment in sorted(rules.required):
        best = best_attempt(rules, by_assignment.get(assignment, ()))
        standings.append(Standing(assignment, best,
                                  shortfalls(rules, best) if best else (),
                                  failed_criteria(rules, best) if best else ()))
    return Eligibility(tuple(standings))
