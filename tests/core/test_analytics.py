"""Cohort figures: distributions, pass rates, heatmap, item statistics."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.core.grading.analytics import (
    Graded,
    agreement,
    cohens_kappa,
    correlation,
    dashboard,
    graded_from,
    histogram,
    item_figures,
    node_figures,
    progress,
)


def row(trainee: int, total: float, criteria: dict[str, float], scenario: str = "s",
        passed: bool | None = None, findings: tuple[str, ...] = ()) -> Graded:
    return Graded(trainee, f"T{trainee}", scenario, total,
                  total >= 60 if passed is None else passed, criteria, findings, 10.0)


@given(st.lists(st.floats(0, 100), max_size=200))
def test_histogram_counts_every_total_once(totals: list[float]) -> None:
    counts = histogram(totals)
    assert len(counts) == 10 and sum(counts) == len(totals)
    assert counts[9] == sum(1 for total in totals if total >= 90)


@settings(max_examples=60)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 100)), min_size=3, max_size=50))
def test_correlation_is_bounded_and_symmetric(pairs: list[tuple[float, float]]) -> None:
    xs, ys = [x for x, _ in pairs], [y for _, y in pairs]
    r = correlation(xs, ys)
    if r is not None:
        assert -1 - 1e-9 <= r <= 1 + 1e-9
        other = correlation(ys, xs)
        assert other is not None and math.isclose(r, other, abs_tol=1e-9)


def test_correlation_on_known_values() -> None:
    assert correlation([0, 0.5, 1], [10, 20, 30]) == 1.0
    assert correlation([1, 0.5, 0], [10, 20, 30]) == -1.0
    assert correlation([1, 1, 1], [10, 20, 30]) is None  # no spread: undefined
    assert correlation([1, 0], [1, 0]) is None  # too few


def test_item_figures_difficulty_and_discrimination() -> None:
    rows = [row(1, 75, {"a": 1.0, "b": 1.0, "c": 1.0, "x": 0.0}),
            row(2, 50, {"a": 0.5, "b": 0.5, "c": 0.5, "x": 0.5}),
            row(3, 25, {"a": 0.0, "b": 0.0, "c": 0.0, "x": 1.0})]
    items = {item.criterion: item for item in item_figures(rows)}
    assert items["a"].difficulty == 0.5 and items["x"].difficulty == 0.5
    assert items["a"].discrimination == 1.0  # goes with the rest of the attempt
    assert items["x"].discrimination == -1.0  # against it: this criterion only confuses
    alone = item_figures([row(1, 90, {"only": 1.0}), row(2, 10, {"only": 0.0})])
    assert alone == ()  # no other criterion to compare with


def test_dashboard_figures() -> None:
    rows = [row(1, 95, {"a": 1.0}, findings=("late", "late")), row(1, 55, {"a": 0.5}, "t"),
            row(2, 40, {"a": 0.0}, findings=("late", "rude"))]
    figures = dashboard(rows)
    assert (figures.attempts, figures.trainees) == (3, 2)
    assert figures.pass_rate == round(1 / 3, 3)
    assert [item.scenario for item in figures.scenarios] == ["s", "t"]
    assert figures.scenarios[0].histogram[9] == 1 and figures.scenarios[0].histogram[4] == 1
    assert figures.heatmap[(1, "a")] == 0.75 and figures.heatmap[(2, "a")] == 0.0
    assert figures.findings[0] == ("late", 2)
    assert dashboard([]).attempts == 0


def test_graded_from_stored_score_data() -> None:
    stored = {"total": 70.0, "passed": True, "criteria": {
        "privacy": {"score": 1.0, "applicable": True, "findings": [
            {"text": ["保密", "Promised"], "good": True}]},
        "outcome": {"score": 0.4, "applicable": True, "findings": [
            {"text": ["未完成", "Not finished"], "good": False}]},
        "proxy": {"score": 0.0, "applicable": False, "findings": []}}}
    graded = graded_from(7, "王", "s", stored, 12.0, english=True)
    assert graded.criteria == {"privacy": 1.0, "outcome": 0.4}
    assert graded.findings == ("Not finished",)


def test_progress_names_weak_criteria_and_what_trains_them() -> None:
    rows = [row(1, 55, {"disclosure": 0.0, "privacy": 1.0, "outcome": 0.5}, "family"),
            row(1, 80, {"disclosure": 0.5, "privacy": 1.0}, "proxy")]
    teaches = {"family": ["disclosure", "privacy", "outcome"], "proxy": ["disclosure"],
               "refusal": ["outcome", "privacy"], "away": ["disclosure", "outcome"],
               "greeting": ["privacy"]}
    result = progress(rows, teaches)
    assert result.weak == (("disclosure", 0.25), ("outcome", 0.5))
    # "proxy" was passed; "greeting" trains nothing weak; the rest by how much they train
    assert result.recommended == ("away", "family", "refusal")
    assert progress([], teaches).weak == () and progress([], teaches).recommended == ()


def test_node_figures_per_scenario_hardest_first() -> None:
    def row(total: float, nodes: dict[str, float], scenario: str = "s") -> Graded:
        return Graded(1, "x", scenario, total, total >= 60, {"a": total / 100}, nodes=nodes)
    rows = [row(90, {"d/door": 1, "d/ask": 1}), row(80, {"d/door": 1, "d/ask": 1}),
            row(40, {"d/door": 1, "d/ask": 0}), row(30, {"d/door": 0, "d/ask": 0}),
            row(50, {"d/door": 1}, "other")]
    figures = node_figures(rows)
    assert [(f.scenario, f.node) for f in figures] == [
        ("other", "d/door"), ("s", "d/ask"), ("s", "d/door")]
    ask = figures[1]
    assert (ask.attempts, ask.difficulty) == (4, 0.5)
    assert ask.discrimination is not None and ask.discrimination > 0.9  # right goes with high
    assert figures[0].discrimination is None  # one attempt: no correlation
    assert dashboard(rows).nodes == figures


def test_cohens_kappa_on_a_known_table() -> None:
    # 50 items: both pass 20, both fail 15, first passes alone 5, second passes alone 10.
    first = [True] * 20 + [False] * 15 + [True] * 5 + [False] * 10
    second = [True] * 20 + [False] * 15 + [False] * 5 + [True] * 10
    # observed 35/50 = 0.7; chance = 0.5*0.6 + 0.5*0.4 = 0.5; kappa = (0.7-0.5)/0.5 = 0.4
    kappa = cohens_kappa(first, second)
    assert kappa is not None and math.isclose(kappa, 0.4)
    assert cohens_kappa([True, False], [True, False]) == 1.0
    assert cohens_kappa([True, True], [True, True]) is None  # chance agreement is total
    assert cohens_kappa([], []) is None


@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=40))
@settings(max_examples=100, deadline=None)
def test_kappa_is_at_most_one_and_symmetric(pairs: list[tuple[bool, bool]]) -> None:
    a, b = [x for x, _ in pairs], [y for _, y in pairs]
    kappa = cohens_kappa(a, b)
    assert kappa == cohens_kappa(b, a)
    assert kappa is None or -1 - 1e-9 <= kappa <= 1 + 1e-9


def test_agreement_per_pair_and_criterion() -> None:
    marks = [("lin", "chen", {"privacy": 1.0, "coverage": 0.4}, {"privacy": 0.9,
                                                                "coverage": 0.8}),
             ("chen", "lin", {"privacy": 0.2, "coverage": 0.6}, {"privacy": 0.1,
                                                                "coverage": 0.3})]
    figures = {f.criterion: f for f in agreement(marks)}
    assert {(f.first, f.second) for f in figures.values()} == {("chen", "lin")}
    assert figures["privacy"].agreement == 1.0 and figures["privacy"].marked == 2
    assert figures["coverage"].agreement == 0.0
