"""The registry of map criteria: each a pure function of the grading `Context`.

A criterion returns a score from 0 to 1, its findings and a few measures (metres, ratios) for
the report. `MAP_CRITERIA` holds them in report order (the order their modules are imported
in, `grade.py`) with their weight in the overall score.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from trainer.core.maps.context import Context
from trainer.core.maps.model import MapFinding, Shape
from trainer.core.world.geometry import Point


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """A criterion's score (0-1), its findings and its measures."""

    score: float
    findings: tuple[MapFinding, ...] = ()
    measures: Mapping[str, float] = field(default_factory=dict)


class Graded:
    """What every graded drawing offers (an area's map, a grid's division): each criterion's
    score, the findings in report order and their codes. Mixed into frozen dataclasses that
    have `criteria` and `drawing_findings` fields."""

    __slots__ = ()
    criteria: Mapping[str, CriterionResult]
    drawing_findings: tuple[MapFinding, ...]

    @property
    def scores(self) -> dict[str, float]:
        """Criterion name -> score."""
        return {name: result.score for name, result in self.criteria.items()}

    @property
    def findings(self) -> tuple[MapFinding, ...]:
        """Every finding: the drawing's first, then each criterion's in report order."""
        return self.drawing_findings + tuple(
            f for result in self.criteria.values() for f in result.findings)

    def codes(self, criterion: str | None = None) -> list[str]:
        """The finding codes, of one criterion or of all (handy in tests and logs)."""
        if criterion is None:
            return [f.code for f in self.findings]
        return [f.code for f in self.criteria[criterion].findings]


CriterionFn = Callable[[Context], CriterionResult]


@dataclass(frozen=True, slots=True)
class MapCriterion:
    """A registered criterion: what it checks (an N_ label) and its weight overall."""

    name: str
    label: str
    weight: float
    check: CriterionFn


MAP_CRITERIA: dict[str, MapCriterion] = {}


def map_criterion(name: str, label: str, weight: float) -> Callable[[CriterionFn], CriterionFn]:
    """Register a map criterion under `name`."""
    def register(fn: CriterionFn) -> CriterionFn:
        MAP_CRITERIA[name] = MapCriterion(name, label, weight, fn)
        return fn
    return register


def clamp(value: float) -> float:
    """`value` limited to 0..1."""
    return min(1.0, max(0.0, value))


def point_xy(point: Shape) -> Point:
    """A shapely point as an (x, y) pair of floats."""
    return float(point.x), float(point.y)
