"""Cohort figures: distributions, pass rates, heatmap, item statistics."""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.core.grading.analytics import (
    Dashboard,
    Frame,
    Graded,
    ItemFigures,
    NodeFigures,
    ScenarioFigures,
    agreement,
    cohens_kappa,
    correlation,
    dashboard,
    graded_from,
    histogram,
    item_figures,
    most_frequent,
    node_figures,
    progress,
    time_histogram,
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


# The numpy figures against the plain-Python formulas they replaced --------------------------

def reference_correlation(xs: list[float], ys: list[float]) -> float | None:
    """Pearson's r as the figures were first computed, in plain Python (the reference)."""
    if len(xs) < 3 or len(xs) != len(ys):
        return None
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    syy = sum((y - mean_y) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    if sxx * syy == 0:  # the product underflowed (hypothesis found spreads of 1e-136)
        root = math.sqrt(sxx) * math.sqrt(syy)
        return sxy / root if root else None
    return sxy / math.sqrt(sxx * syy)


def test_correlation_of_tiny_spreads() -> None:
    """Spreads whose product underflows: r from the two roots, not a division by zero."""
    tiny = 5.56446269e-136
    assert correlation([0.0, 0.0, tiny], [0.0, 0.0, tiny]) == pytest.approx(1.0)
    assert correlation([0.0, 0.0, tiny], [tiny, 0.0, 0.0]) == pytest.approx(-0.5)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def reference_items(rows: list[Graded]) -> tuple[ItemFigures, ...]:
    by_criterion: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for graded in rows:
        count = len(graded.criteria)
        if count < 2:
            continue
        total = sum(graded.criteria.values())
        for name, value in graded.criteria.items():
            by_criterion[name].append((value, (total - value) / (count - 1)))
    return tuple(
        ItemFigures(name, len(pairs), round(statistics.fmean(s for s, _ in pairs), 3),
                    _rounded(reference_correlation([s for s, _ in pairs],
                                                   [t for _, t in pairs])))
        for name, pairs in sorted(by_criterion.items()))


def reference_nodes(rows: list[Graded]) -> tuple[NodeFigures, ...]:
    by_node: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for graded in rows:
        for node, value in graded.nodes.items():
            by_node[(graded.scenario, node)].append((value, graded.total))
    figures = [NodeFigures(scenario, node, len(pairs),
                           round(statistics.fmean(v for v, _ in pairs), 3),
                           _rounded(reference_correlation([v for v, _ in pairs],
                                                          [t for _, t in pairs])))
               for (scenario, node), pairs in by_node.items()]
    return tuple(sorted(figures, key=lambda f: (f.scenario, f.difficulty, f.node)))


def reference_dashboard(rows: list[Graded], top: int = 10) -> Dashboard:
    per_scenario: dict[str, list[Graded]] = defaultdict(list)
    for graded in rows:
        per_scenario[graded.scenario].append(graded)
    scenarios = tuple(
        ScenarioFigures(
            scenario, len(group), histogram(g.total for g in group),
            round(sum(g.passed for g in group) / len(group), 3),
            round(statistics.fmean(g.total for g in group), 1),
            (round(statistics.median(m), 1)
             if (m := [g.minutes for g in group if g.minutes is not None]) else None),
            tuple(sum(1 for g in group if g.minutes is not None
                      and (start <= g.minutes < start + 10 or (start == 90 and g.minutes >= 90)))
                  for start in range(0, 100, 10)))
        for scenario, group in sorted(per_scenario.items()))
    cells: dict[tuple[int, str], list[float]] = defaultdict(list)
    for graded in rows:
        for name, value in graded.criteria.items():
            cells[(graded.trainee, name)].append(value)
    heatmap = {key: round(statistics.fmean(values), 3) for key, values in cells.items()}
    findings = Counter(text for graded in rows for text in set(graded.findings))
    return Dashboard(
        attempts=len(rows), trainees=len({g.trainee for g in rows}),
        pass_rate=round(sum(g.passed for g in rows) / len(rows), 3) if rows else 0.0,
        scenarios=scenarios, criteria=tuple(sorted({name for _, name in cells})),
        heatmap=heatmap, names={g.trainee: g.trainee_name for g in rows},
        findings=tuple(sorted(findings.items(), key=lambda pair: (-pair[1], pair[0]))[:top]),
        items=reference_items(rows),
        nodes=reference_nodes(rows))


CRITERIA = ("privacy", "outcome", "coverage", "rapport", "tally")
NODES = ("d/door", "d/ask", "d/close", "e/door")
SCORES = st.one_of(st.floats(0, 1), st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]),
                   st.integers(0, 100).map(lambda n: n / 100))


@st.composite
def graded_rows(draw: st.DrawFn) -> list[Graded]:
    rows = []
    for _ in range(draw(st.integers(0, 25))):
        names = draw(st.lists(st.sampled_from(CRITERIA), unique=True))
        criteria = {name: draw(SCORES) for name in names}
        nodes = {node: float(draw(st.integers(0, 1)))
                 for node in draw(st.lists(st.sampled_from(NODES), unique=True))}
        total = draw(st.one_of(st.floats(0, 100), st.integers(0, 1000).map(lambda n: n / 10)))
        rows.append(Graded(draw(st.integers(1, 6)), f"T{draw(st.integers(1, 3))}",
                           draw(st.sampled_from(["s", "t", "u"])), total, total >= 60,
                           criteria,
                           tuple(draw(st.lists(st.sampled_from(["late", "rude", "skip"])))),
                           draw(st.none() | st.floats(0, 200)), nodes))
    return rows


@settings(max_examples=100, deadline=None)
@given(graded_rows())
def test_numpy_figures_equal_the_plain_python_reference(rows: list[Graded]) -> None:
    figures = dashboard(rows)
    assert figures == reference_dashboard(rows)
    assert list(figures.heatmap) == list(reference_dashboard(rows).heatmap)  # same order
    assert item_figures(rows) == reference_items(rows)
    assert node_figures(rows) == reference_nodes(rows)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(SCORES, st.floats(0, 100)), max_size=60))
def test_correlation_equals_the_plain_python_reference(pairs: list[tuple[float, float]]
                                                       ) -> None:
    xs, ys = [x for x, _ in pairs], [y for _, y in pairs]
    assert correlation(xs, ys) == reference_correlation(xs, ys)  # to the last bit


def test_frame_from_stored_scores_equals_graded_rows() -> None:
    stored = [{"total": 70.0 + n, "passed": n % 2 == 0, "nodes": {"d/door": n % 2},
               "criteria": {
                   "privacy": {"score": 0.5 + n / 10, "applicable": True, "findings": [
                       {"text": ["保密", "Promised"], "good": True}]},
                   "outcome": {"score": 0.4, "applicable": True, "findings": [
                       {"text": ["未完成", "Not finished"], "good": False}]},
                   "proxy": {"score": 0.0, "applicable": n != 2, "findings": []}}}
              for n in range(5)]
    frame = Frame()
    for n, score in enumerate(stored):
        frame.add_score(n % 2, f"T{n % 2}", "s", score, float(n), english=True)
    rows = [graded_from(n % 2, f"T{n % 2}", "s", score, float(n), english=True)
            for n, score in enumerate(stored)]
    assert dashboard(frame) == dashboard(rows) == reference_dashboard(rows)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["late", "rude", "skip", "毛", "a", "b"]))),
       st.randoms(use_true_random=False), st.integers(1, 6))
def test_most_frequent_findings_do_not_depend_on_insertion_order(
        attempts: list[list[str]], rng: object, top: int) -> None:
    """Ties come out in one order whatever order the findings were counted in (the order a
    set of texts iterates in changes with each process's string hashing)."""
    counted = Counter(text for texts in attempts for text in set(texts))
    shuffled = list(counted.items())
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    first, second = most_frequent(counted, top), most_frequent(Counter(dict(shuffled)), top)
    assert first == second
    assert [(-count, text) for text, count in first] == sorted(
        (-count, text) for text, count in first)
    assert len(first) == min(top, len(counted))
    if first:  # nothing left out counts more than the last one shown
        assert all(count <= first[-1][1] for text, count in counted.items()
                   if (text, count) not in first)


def test_tied_findings_in_the_dashboard_are_ordered_by_text() -> None:
    rows = [row(1, 50, {"a": 0.5}, findings=("rude", "late")), row(2, 50, {"a": 0.5},
            findings=("skip",)), row(3, 40, {"a": 0.4}, findings=("late", "skip", "rude"))]
    assert dashboard(rows, top=2).findings == (("late", 2), ("rude", 2))


@given(st.lists(st.none() | st.floats(0, 10_000)))
def test_time_spent_counts_every_known_time_once_in_its_bin(minutes: list[float | None]) -> None:
    counts = time_histogram(minutes)
    assert len(counts) == 10 and sum(counts) == sum(m is not None for m in minutes)
    for spent in minutes:
        if spent is not None and spent < 90:  # alone in a histogram, it lands in its bin
            assert time_histogram([spent])[int(spent // 10)] == 1
    assert time_histogram([90.0, 500.0]) == (0,) * 9 + (2,)


def test_dashboard_has_time_spent_per_scenario() -> None:
    rows = [row(1, 80, {"a": 1.0}), row(2, 60, {"a": 0.5})]
    rows = [Graded(r.trainee, r.trainee_name, r.scenario, r.total, r.passed, r.criteria,
                   minutes=spent) for r, spent in zip(rows, (12.5, 95.0), strict=True)]
    (figures,) = dashboard(rows).scenarios
    assert figures.time_histogram == (0, 1, 0, 0, 0, 0, 0, 0, 0, 1)
    assert figures.median_minutes == 53.8
