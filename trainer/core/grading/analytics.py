"""Figures for a cohort from its graded attempts: score distributions, pass rates, a
trainee-by-criterion heatmap, the most frequent findings, time spent, and item statistics.

Pure functions over plain rows, so the dashboard, the export and the benchmark share them.
The same figures per scenario node come from each grade's `nodes` (1 where the trainee made no
wrong move at the node, 0 where they did).
Item statistics are classical test theory: a criterion's *difficulty* is its mean score (the
share of the marks trainees got; high = easy) and its *discrimination* is the correlation
between the criterion's score and the rest of the attempt (the mean of its other criteria; near
0 or negative: the criterion does not separate stronger from weaker trainees, it only
confuses).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

BINS = 10  # score distribution in steps of 10 points


@dataclass(frozen=True, slots=True)
class Graded:
    """One graded attempt as the analytics read it."""

    trainee: int
    trainee_name: str
    scenario: str
    total: float
    passed: bool
    criteria: Mapping[str, float]  # applicable criteria only, 0-1
    findings: tuple[str, ...] = ()  # texts (in one language) of findings that are not good
    minutes: float | None = None
    nodes: Mapping[str, float] = field(default_factory=dict)  # "dialogue/node" -> 1 or 0


def graded_from(trainee: int, trainee_name: str, scenario: str, score: Mapping[str, Any],
                minutes: float | None = None, *, english: bool = False) -> Graded:
    """A Graded row from stored score data (see `criteria.score_data`)."""
    side = 1 if english else 0
    criteria = {}
    findings = []
    for name, result in score["criteria"].items():
        if result.get("applicable", True):
            criteria[name] = float(result["score"])
        findings += [finding["text"][side] for finding in result.get("findings", ())
                     if not finding.get("good")]
    return Graded(trainee, trainee_name, scenario, float(score["total"]), bool(score["passed"]),
                  criteria, tuple(findings), minutes, score.get("nodes") or {})


@dataclass(frozen=True, slots=True)
class ScenarioFigures:
    """Per scenario: how many attempts, the distribution of totals, the pass rate."""

    scenario: str
    attempts: int
    histogram: tuple[int, ...]  # counts per 10-point bin, 0-9 ... 90-100
    pass_rate: float
    mean: float
    median_minutes: float | None


@dataclass(frozen=True, slots=True)
class ItemFigures:
    """A criterion's difficulty (mean score) and discrimination (correlation with total)."""

    criterion: str
    attempts: int
    difficulty: float
    discrimination: float | None  # None when it cannot be computed (no spread)


@dataclass(frozen=True, slots=True)
class NodeFigures:
    """A scenario node's difficulty (share of attempts with no wrong move there) and
    discrimination (correlation of getting it right with the attempt's total)."""

    scenario: str
    node: str  # "dialogue/node"
    attempts: int
    difficulty: float
    discrimination: float | None


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Everything the cohort dashboard shows."""

    attempts: int
    trainees: int
    pass_rate: float
    scenarios: tuple[ScenarioFigures, ...]
    criteria: tuple[str, ...]
    heatmap: Mapping[tuple[int, str], float]  # (trainee, criterion) -> mean score 0-1
    names: Mapping[int, str]
    findings: tuple[tuple[str, int], ...]
    items: tuple[ItemFigures, ...]
    nodes: tuple[NodeFigures, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def histogram(totals: Iterable[float]) -> tuple[int, ...]:
    """Counts of totals per 10-point bin; 100 falls in the last bin."""
    counts = [0] * BINS
    for total in totals:
        counts[min(BINS - 1, max(0, int(total // (100 / BINS))))] += 1
    return tuple(counts)


def correlation(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r, or None when either side has no spread or there are fewer than 3."""
    if len(xs) < 3 or len(xs) != len(ys):
        return None
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    syy = sum((y - mean_y) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    return sxy / math.sqrt(sxx * syy)


def item_figures(rows: Sequence[Graded]) -> tuple[ItemFigures, ...]:
    """Difficulty and discrimination of every criterion met in `rows`. Discrimination is the
    corrected item-total correlation: the criterion against the mean of the attempt's *other*
    criteria, so that a criterion is not credited for correlating with itself."""
    by_criterion: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in rows:
        count = len(row.criteria)
        if count < 2:
            continue
        total = sum(row.criteria.values())
        for name, value in row.criteria.items():
            by_criterion[name].append((value, (total - value) / (count - 1)))
    figures = []
    for name, pairs in sorted(by_criterion.items()):
        scores = [score for score, _ in pairs]
        figures.append(ItemFigures(name, len(pairs), round(statistics.fmean(scores), 3),
                                   _rounded(correlation(scores, [total for _, total in pairs]))))
    return tuple(figures)


def node_figures(rows: Sequence[Graded]) -> tuple[NodeFigures, ...]:
    """Difficulty and discrimination of every scenario node the trainees acted at, per
    scenario, the hardest first."""
    by_node: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for row in rows:
        for node, value in row.nodes.items():
            by_node[(row.scenario, node)].append((value, row.total))
    figures = [NodeFigures(scenario, node, len(pairs),
                           round(statistics.fmean(v for v, _ in pairs), 3),
                           _rounded(correlation([v for v, _ in pairs], [t for _, t in pairs])))
               for (scenario, node), pairs in by_node.items()]
    return tuple(sorted(figures, key=lambda f: (f.scenario, f.difficulty, f.node)))


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def dashboard(rows: Sequence[Graded], *, top: int = 10) -> Dashboard:
    """The cohort's figures from its graded attempts."""
    per_scenario: dict[str, list[Graded]] = defaultdict(list)
    for row in rows:
        per_scenario[row.scenario].append(row)
    scenarios = tuple(
        ScenarioFigures(
            scenario, len(group), histogram(row.total for row in group),
            round(sum(row.passed for row in group) / len(group), 3),
            round(statistics.fmean(row.total for row in group), 1),
            _median([row.minutes for row in group if row.minutes is not None]))
        for scenario, group in sorted(per_scenario.items()))
    cells: dict[tuple[int, str], list[float]] = defaultdict(list)
    for row in rows:
        for name, value in row.criteria.items():
            cells[(row.trainee, name)].append(value)
    heatmap = {key: round(statistics.fmean(values), 3) for key, values in cells.items()}
    criteria = tuple(sorted({name for _, name in cells}))
    findings = Counter(text for row in rows for text in set(row.findings))  # once an attempt
    return Dashboard(
        attempts=len(rows), trainees=len({row.trainee for row in rows}),
        pass_rate=round(sum(row.passed for row in rows) / len(rows), 3) if rows else 0.0,
        scenarios=scenarios, criteria=criteria, heatmap=heatmap,
        names={row.trainee: row.trainee_name for row in rows},
        findings=tuple(findings.most_common(top)), items=item_figures(rows),
        nodes=node_figures(rows))


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


@dataclass(frozen=True, slots=True)
class Progress:
    """A trainee's way through their released attempts."""

    history: tuple[Graded, ...]  # oldest first
    weak: tuple[tuple[str, float], ...]  # (criterion, mean score), weakest first
    recommended: tuple[str, ...]  # scenarios that train the weak criteria, not passed yet


def progress(rows: Sequence[Graded], teaches: Mapping[str, Iterable[str]], *,
             weak_below: float = 0.75, top: int = 3) -> Progress:
    """Weak criteria (mean below `weak_below` over the released attempts) and the scenarios
    among `teaches` (scenario -> its rubric's criteria, the ones open to the trainee) that
    train most of them and have not been passed yet."""
    scores: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        for name, value in row.criteria.items():
            scores[name].append(value)
    means = {name: round(statistics.fmean(values), 3) for name, values in scores.items()}
    weak = tuple(sorted(((name, mean) for name, mean in means.items() if mean < weak_below),
                        key=lambda pair: (pair[1], pair[0])))
    weak_names = {name for name, _mean in weak}
    passed = {row.scenario for row in rows if row.passed}
    ranked = sorted(((len(weak_names & set(criteria)), scenario)
                     for scenario, criteria in teaches.items() if scenario not in passed),
                    key=lambda pair: (-pair[0], pair[1]))
    return Progress(tuple(rows), weak,
                    tuple(scenario for count, scenario in ranked if count)[:top])


def cohens_kappa(first: Sequence[bool], second: Sequence[bool]) -> float | None:
    """Cohen's kappa of two markers' pass/fail decisions on the same items: observed
    agreement corrected for the agreement their own pass rates would give by chance. None
    when there is nothing to compare or chance agreement is already total."""
    if not first or len(first) != len(second):
        return None
    count = len(first)
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / count
    pass_a, pass_b = sum(first) / count, sum(second) / count
    chance = pass_a * pass_b + (1 - pass_a) * (1 - pass_b)
    if chance == 1:
        return None
    return (observed - chance) / (1 - chance)


@dataclass(frozen=True, slots=True)
class Agreement:
    """How often two examiners agreed on a criterion (pass at 0.5 and above)."""

    first: str
    second: str
    criterion: str
    marked: int  # attempts both marked
    agreement: float  # share with the same pass/fail decision
    kappa: float | None


def agreement(marks: Sequence[tuple[str, str, Mapping[str, float], Mapping[str, float]]],
              pass_mark: float = 0.5) -> tuple[Agreement, ...]:
    """Per examiner pair and criterion, from (first examiner, second examiner, first's
    scores, second's scores) for each attempt both marked; pairs in name order."""
    decisions: dict[tuple[str, str, str], list[tuple[bool, bool]]] = defaultdict(list)
    for first, second, one, other in marks:
        if second < first:
            first, second, one, other = second, first, other, one
        for name in sorted(set(one) & set(other)):
            decisions[(first, second, name)].append((one[name] >= pass_mark,
                                                     other[name] >= pass_mark))
    out = []
    for (first, second, name), pairs in sorted(decisions.items()):
        a, b = [x for x, _ in pairs], [y for _, y in pairs]
        kappa = cohens_kappa(a, b)
        out.append(Agreement(first, second, name, len(pairs),
                             round(sum(x == y for x, y in pairs) / len(pairs), 3),
                             None if kappa is None else round(kappa, 3)))
    return tuple(out)
