"""Figures for a cohort from its graded attempts: score distributions, pass rates, a
trainee-by-criterion heatmap, the most frequent findings, time spent, and item statistics.

Pure functions over plain rows, so the dashboard, the export and the benchmark share them.
A large cohort's rows are gathered in columns (`Frame`, filled straight from stored score
data) and the item statistics and the heatmap are computed with numpy, to the same figures,
bit for bit, as the plain formulas (tests/core/test_analytics.py keeps those as reference).
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
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

BINS = 10  # score distribution in steps of 10 points
TIME_STEP = 10  # time spent in steps of 10 minutes, BINS of them: the last is 90 and over
Floats = npt.NDArray[np.float64]


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
    time_histogram: tuple[int, ...] = ()  # attempts per TIME_STEP minutes spent; the last open


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


def time_histogram(minutes: Iterable[float | None]) -> tuple[int, ...]:
    """Counts of attempts per TIME_STEP minutes spent (None, not known, is left out); the
    last bin holds every longer attempt."""
    counts = [0] * BINS
    for spent in minutes:
        if spent is not None:
            counts[min(BINS - 1, max(0, int(spent // TIME_STEP)))] += 1
    return tuple(counts)


def correlation(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r, or None when either side has no spread or there are fewer than 3."""
    if len(xs) < 3 or len(xs) != len(ys):
        return None
    return _pearson(np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64))


def _pearson(xs: Floats, ys: Floats) -> float | None:
    """Pearson's r of two equally long arrays (None: fewer than 3, or no spread).

    The means are exactly rounded sums (`math.fsum`, as `statistics.fmean`), the deviations,
    squares and products are numpy's, and the sums of squares and products are Python's `sum`
    in the attempts' order, so the figure is the same to the last bit as the plain formula
    (tests/core/test_analytics.py keeps it as the reference)."""
    count = len(xs)
    if count < 3:
        return None
    dx = xs - math.fsum(xs.tolist()) / count
    dy = ys - math.fsum(ys.tolist()) / count
    # float_power is C's pow(), as Python's `**` (numpy's square can differ in the last bit)
    sxx = sum(np.float_power(dx, 2).tolist())
    syy = sum(np.float_power(dy, 2).tolist())
    if sxx == 0 or syy == 0:
        return None
    sxy = sum((dx * dy).tolist())
    return _r(sxy, sxx, syy)


def _r(sxy: float, sxx: float, syy: float) -> float | None:
    """sxy / sqrt(sxx * syy); when the product underflows (both spreads below about 1e-154),
    from the two roots instead; None if even that is zero."""
    product = sxx * syy
    denominator = math.sqrt(product) if product else math.sqrt(sxx) * math.sqrt(syy)
    return float(sxy / denominator) if denominator else None


class Frame:
    """Graded attempts gathered in columns, the shape the figures are computed from: one
    entry per attempt for the totals, one per (attempt, applicable criterion) and per
    (attempt, scenario node) for the scores. Filled row by row, from `Graded` rows (`add`) or
    straight from stored score data (`add_score`: one pass, no intermediate objects)."""

    def __init__(self) -> None:
        self.trainees: list[int] = []
        self.names: dict[int, str] = {}
        self.scenarios: list[str] = []
        self.totals: list[float] = []
        self.passed: list[bool] = []
        self.minutes: list[float | None] = []
        self.columns: dict[str, int] = {}  # criterion -> column, in order of first sight
        self.cell_rows: list[int] = []
        self.cell_columns: list[int] = []
        self.cell_values: list[float] = []
        self.row_sums: list[float] = []  # the sum of the row's criteria, in their order
        self.row_counts: list[int] = []
        self.trainee_numbers: dict[int, int] = {}  # trainee -> number, in order of first sight
        self.row_trainees: list[int] = []  # each row's trainee number
        self.findings: Counter[str] = Counter()
        self.node_keys: dict[tuple[str, str], int] = {}  # (scenario, node) -> number
        self.node_rows: list[int] = []
        self.node_numbers: list[int] = []
        self.node_values: list[float] = []

    def __len__(self) -> int:
        return len(self.totals)

    def add(self, row: Graded) -> None:
        """Add one graded attempt."""
        number = self._start(row.trainee, row.trainee_name, row.scenario, row.total,
                             row.passed, row.minutes)
        columns, cell_columns, cell_values = self.columns, self.cell_columns, self.cell_values
        for name, value in row.criteria.items():
            column = columns.get(name)
            if column is None:
                column = columns[name] = len(columns)
            cell_columns.append(column)
            cell_values.append(value)
        self._finish(number, row.criteria.values(), row.findings, row.nodes)

    def add_score(self, trainee: int, trainee_name: str, scenario: str,
                  score: Mapping[str, Any], minutes: float | None = None, *,
                  english: bool = False) -> None:
        """Add one attempt from stored score data, read as `graded_from` reads it, in one
        pass and without making the `Graded` row (the dashboard of a large cohort)."""
        number = self._start(trainee, trainee_name, scenario, float(score["total"]),
                             bool(score["passed"]), minutes)
        side = 1 if english else 0
        columns = self.columns
        add_column, add_value = self.cell_columns.append, self.cell_values.append
        values: list[float] = []
        findings: list[str] = []
        for name, result in score["criteria"].items():
            if result.get("applicable", True):
                value = float(result["score"])
                values.append(value)
                column = columns.get(name)
                if column is None:
                    column = columns[name] = len(columns)
                add_column(column)
                add_value(value)
            for finding in result.get("findings") or ():
                if not finding.get("good"):
                    findings.append(finding["text"][side])
        self._finish(number, values, findings, score.get("nodes") or {})

    def _start(self, trainee: int, trainee_name: str, scenario: str, total: float,
               passed: bool, minutes: float | None) -> int:
        number = len(self.totals)
        self.trainees.append(trainee)
        self.row_trainees.append(self.trainee_numbers.setdefault(trainee,
                                                                 len(self.trainee_numbers)))
        self.names[trainee] = trainee_name
        self.scenarios.append(scenario)
        self.totals.append(total)
        self.passed.append(passed)
        self.minutes.append(minutes)
        return number

    def _finish(self, number: int, values: Collection[float], findings: Iterable[str],
                nodes: Mapping[str, float]) -> None:
        self.cell_rows.extend([number] * len(values))
        self.row_sums.append(sum(values))  # left to right, as the criteria come
        self.row_counts.append(len(values))
        self.findings.update(set(findings))  # once an attempt
        if nodes:
            scenario = self.scenarios[number]
            for node, value in nodes.items():
                key = (scenario, node)
                found = self.node_keys.get(key)
                if found is None:
                    found = self.node_keys[key] = len(self.node_keys)
                self.node_numbers.append(found)
                self.node_values.append(float(value))
            self.node_rows.extend([number] * len(nodes))


def frame_of(rows: Iterable[Graded]) -> Frame:
    """The rows in columns."""
    frame = Frame()
    for row in rows:
        frame.add(row)
    return frame


def item_figures(rows: Sequence[Graded] | Frame) -> tuple[ItemFigures, ...]:
    """Difficulty and discrimination of every criterion met in `rows`. Discrimination is the
    corrected item-total correlation: the criterion against the mean of the attempt's *other*
    criteria, so that a criterion is not credited for correlating with itself. Attempts with
    a single applicable criterion have nothing to compare with and are left out."""
    frame = rows if isinstance(rows, Frame) else frame_of(rows)
    if not frame.columns:
        return ()
    counts = np.asarray(frame.row_counts, dtype=np.int64)
    kept = counts >= 2
    scores = np.zeros((len(frame), len(frame.columns)), dtype=np.float64)
    present = np.zeros(scores.shape, dtype=bool)
    cell_rows = np.asarray(frame.cell_rows, dtype=np.intp)
    cell_columns = np.asarray(frame.cell_columns, dtype=np.intp)
    scores[cell_rows, cell_columns] = frame.cell_values
    present[cell_rows, cell_columns] = True
    scores, present = scores[kept], present[kept]
    divisor = (counts[kept] - 1).astype(np.float64)[:, None]
    rest = (np.asarray(frame.row_sums, dtype=np.float64)[kept][:, None] - scores) / divisor
    figures = []
    for name, column in sorted(frame.columns.items()):
        chosen = present[:, column]
        values = scores[chosen, column]
        if not len(values):
            continue
        figures.append(ItemFigures(name, len(values),
                                   round(math.fsum(values.tolist()) / len(values), 3),
                                   _rounded(_pearson(values, rest[chosen, column]))))
    return tuple(figures)


def node_figures(rows: Sequence[Graded] | Frame) -> tuple[NodeFigures, ...]:
    """Difficulty and discrimination of every scenario node the trainees acted at, per
    scenario, the hardest first."""
    frame = rows if isinstance(rows, Frame) else frame_of(rows)
    if not frame.node_keys:
        return ()
    numbers = np.asarray(frame.node_numbers, dtype=np.intp)
    order = np.argsort(numbers, kind="stable")  # grouped by node, attempts in their order
    values = np.asarray(frame.node_values, dtype=np.float64)[order]
    totals = np.asarray(frame.totals, dtype=np.float64)[
        np.asarray(frame.node_rows, dtype=np.intp)[order]]
    bounds = np.concatenate(([0], np.cumsum(np.bincount(numbers,
                                                        minlength=len(frame.node_keys)))))
    figures = []
    for (scenario, node), number in frame.node_keys.items():
        start, stop = int(bounds[number]), int(bounds[number + 1])
        xs = values[start:stop]
        figures.append(NodeFigures(scenario, node, len(xs),
                                   round(math.fsum(xs.tolist()) / len(xs), 3),
                                   _rounded(_pearson(xs, totals[start:stop]))))
    return tuple(sorted(figures, key=lambda f: (f.scenario, f.difficulty, f.node)))


def heatmap_of(frame: Frame) -> dict[tuple[int, str], float]:
    """Each trainee's mean score per criterion over their attempts, the cells in the order
    they were first met. numpy groups the scores by cell; each mean is an exactly rounded
    sum (`math.fsum`, as `statistics.fmean`) so that no cell depends on the order of adding."""
    if not frame.cell_values:
        return {}
    width = len(frame.columns)
    cell_rows = np.asarray(frame.cell_rows, dtype=np.intp)
    keys = (np.asarray(frame.row_trainees, dtype=np.intp)[cell_rows] * width
            + np.asarray(frame.cell_columns, dtype=np.intp))
    order = np.argsort(keys, kind="stable")
    unique, first, counts = np.unique(keys, return_index=True, return_counts=True)
    bounds = np.concatenate(([0], np.cumsum(counts))).tolist()
    values = np.asarray(frame.cell_values, dtype=np.float64)[order].tolist()
    trainees = list(frame.trainee_numbers)
    names = list(frame.columns)
    cells = unique.tolist()
    heatmap = {}
    for group in np.argsort(first, kind="stable").tolist():  # in order of first sight
        start, stop = bounds[group], bounds[group + 1]
        trainee, column = divmod(cells[group], width)
        heatmap[(trainees[trainee], names[column])] = round(
            math.fsum(values[start:stop]) / (stop - start), 3)
    return heatmap


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)  # = statistics.fmean, without its checks


def dashboard(rows: Iterable[Graded] | Frame, *, top: int = 10) -> Dashboard:
    """The cohort's figures from its graded attempts."""
    frame = rows if isinstance(rows, Frame) else frame_of(rows)
    per_scenario: dict[str, list[int]] = defaultdict(list)
    for number, scenario in enumerate(frame.scenarios):
        per_scenario[scenario].append(number)
    totals, passed, minutes = frame.totals, frame.passed, frame.minutes
    scenarios = []
    for scenario, group in sorted(per_scenario.items()):
        group_totals = [totals[number] for number in group]
        spent = [m for m in (minutes[number] for number in group) if m is not None]
        scenarios.append(ScenarioFigures(
            scenario, len(group), histogram(group_totals),
            round(sum(passed[number] for number in group) / len(group), 3),
            round(_mean(group_totals), 1), _median(spent), time_histogram(spent)))
    heatmap = heatmap_of(frame)
    return Dashboard(
        attempts=len(frame), trainees=len(set(frame.trainees)),
        pass_rate=round(sum(passed) / len(frame), 3) if len(frame) else 0.0,
        scenarios=tuple(scenarios), criteria=tuple(sorted(frame.columns)), heatmap=heatmap,
        names=dict(frame.names), findings=most_frequent(frame.findings, top),
        items=item_figures(frame), nodes=node_figures(frame))


def most_frequent(counts: Mapping[str, int], top: int) -> tuple[tuple[str, int], ...]:
    """The `top` most frequent texts, most frequent first and ties by text: a total order,
    so every process lists the same findings in the same order (a Counter breaks ties by
    insertion order, which follows set iteration and so the process's string hashing)."""
    return tuple(sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:top])


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
