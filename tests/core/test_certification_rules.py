"""The pass rules of a cohort, as pure functions: who qualifies from released results."""

from __future__ import annotations

from random import Random

from hypothesis import given
from hypothesis import strategies as st

from trainer.core.grading.certification import (
    FAIL_BELOW,
    PassRules,
    Released,
    Shortfall,
    best_attempt,
    eligibility,
    released_from,
    shortfalls,
)

CRITERIA = ("privacy", "coverage", "outcome")

results = st.builds(
    Released,
    assignment=st.integers(1, 4),
    attempt=st.integers(1, 10_000),
    total=st.floats(0, 100, allow_nan=False).map(lambda x: round(x, 1)),
    passed=st.booleans(),
    criteria=st.dictionaries(st.sampled_from(CRITERIA), st.floats(0, 1, allow_nan=False)),
)
rules = st.builds(
    PassRules,
    required=st.frozensets(st.integers(1, 4), max_size=3),
    minimum_total=st.floats(0, 100, allow_nan=False),
    must_not_fail=st.frozensets(st.sampled_from(CRITERIA)),
)


def meets(rule: PassRules, result: Released) -> bool:
    """The rules written out once more, independently of the module."""
    return (result.total >= rule.minimum_total and result.passed
            and all(result.criteria.get(name, 1.0) >= FAIL_BELOW
                    for name in rule.must_not_fail))


@given(rules, st.lists(results, max_size=12))
def test_qualifies_exactly_when_each_required_assignment_has_a_meeting_attempt(
        rule: PassRules, found: list[Released]) -> None:
    expected = bool(rule.required) and all(
        any(r.assignment == number and meets(rule, r) for r in found)
        for number in rule.required)
    assert eligibility(rule, found).qualifies is expected


@given(rules, st.lists(results, max_size=12), st.randoms())
def test_order_of_results_does_not_matter(rule: PassRules, found: list[Released],
                                          random: Random) -> None:
    shuffled = list(found)
    random.shuffle(shuffled)
    assert eligibility(rule, found).qualifies == eligibility(rule, shuffled).qualifies


@given(rules, st.lists(results, max_size=8), results)
def test_one_more_released_attempt_never_takes_a_qualification_away(
        rule: PassRules, found: list[Released], extra: Released) -> None:
    if eligibility(rule, found).qualifies:
        assert eligibility(rule, [*found, extra]).qualifies


@given(rules, st.lists(results, min_size=1, max_size=8))
def test_the_best_attempt_meets_the_rules_whenever_any_does(rule: PassRules,
                                                            found: list[Released]) -> None:
    best = best_attempt(rule, found)
    assert best is not None and best in found
    if any(meets(rule, r) for r in found):
        assert shortfalls(rule, best) == ()
        assert best.total == max(r.total for r in found if meets(rule, r))


@given(rules, st.lists(results, max_size=8))
def test_attempts_at_assignments_not_required_are_ignored(rule: PassRules,
                                                          found: list[Released]) -> None:
    required = [r for r in found if r.assignment in rule.required]
    assert eligibility(rule, found) == eligibility(rule, required)


def test_each_shortfall_is_named() -> None:
    rule = PassRules(frozenset({1}), 80.0, frozenset({"privacy"}))
    good = Released(1, 1, 85.0, True, {"privacy": 1.0})
    assert shortfalls(rule, good) == ()
    assert shortfalls(rule, Released(1, 2, 79.9, True, {})) == (Shortfall.BELOW_MINIMUM,)
    assert shortfalls(rule, Released(1, 3, 90.0, False, {})) == (Shortfall.RUBRIC_FAILED,)
    failed = Released(1, 4, 95.0, True, {"privacy": 0.49})
    assert shortfalls(rule, failed) == (Shortfall.CRITERION_FAILED,)
    standing = eligibility(rule, [failed]).standings[0]
    assert not standing.met and standing.failed_criteria == ("privacy",)
    assert eligibility(rule, [failed, good]).standings[0].best == good
    assert not eligibility(PassRules(frozenset(), 0.0, frozenset()), [good]).qualifies


def test_released_from_reads_only_applicable_criteria() -> None:
    score = {"total": 83.4, "passed": True,
             "criteria": {"privacy": {"score": 1.0, "applicable": True},
                          "disclosure": {"score": 0.0, "applicable": False}}}
    assert released_from(3, 9, score) == Released(3, 9, 83.4, True, {"privacy": 1.0})
