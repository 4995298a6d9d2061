"""The drawing as read from GeoJSON, and the findings every part of map grading reports.

A finding is data, not text: a stable `code` (what tests and the interface key on), an
`N_`-marked English message id with its parameters (the web layer translates it), a severity,
and where on the map it is: the drawn feature's index in the FeatureCollection, the true
building's 建筑物编号, and a point in map metres for the overlay.

Shapely ships no type hints, so its geometries are typed `Shape` (Any) here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from trainer.core.world.geometry import Point

Shape = Any  # a shapely geometry

KINDS = ("boundary", "building", "road", "river", "landmark", "route", "north_arrow", "legend",
         "title", "area")
LABELLED = ("road", "river", "landmark")  # kinds whose `label` names a place on the map
# A building mark's type (domain §2.3: buildings distinguished by type): a dwelling, a shop
# that people live in (商住), collective quarters (集体住所: dormitory, work shed, care home),
# a public building, anything else.
BUILDING_TYPES = ("residential", "shop", "collective", "public", "other")


class Severity(StrEnum):
    """How much a finding matters: errors cost marks, warnings a little, notes nothing."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class MapFinding:
    """One observation about a drawn map, with what it points at.

    `feature` is the index of the drawn feature in the FeatureCollection's `features` list,
    `building` the true 建筑物编号 it concerns, `at` a point (x east, y north, metres) where the
    overlay draws its marker. Any of the three may be None.
    """

    code: str
    severity: Severity
    message: str  # an N_ message id, English, with %(name)s parameters
    params: Mapping[str, object] = field(default_factory=dict)
    feature: int | None = None
    building: int | None = None
    at: Point | None = None

    def text(self) -> str:
        """The English message with its parameters filled in (logs, tests, the overlay)."""
        try:
            return self.message % dict(self.params) if self.params else self.message
        except (KeyError, TypeError, ValueError):
            return self.message

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (what an attempt stores and the browser's overlay reads)."""
        return {"code": self.code, "severity": self.severity.value, "message": self.message,
                "params": dict(self.params), "feature": self.feature,
                "building": self.building,
                "at": [round(self.at[0], 2), round(self.at[1], 2)] if self.at else None}


def finding(code: str, severity: Severity, message: str, /, *, feature: int | None = None,
            building: int | None = None, at: Point | None = None,
            **params: object) -> MapFinding:
    """A finding; the keyword arguments past the pointers are the message's parameters."""
    return MapFinding(code, severity, message, params, feature, building, at)


@dataclass(frozen=True, slots=True)
class DrawnFeature:
    """One usable feature of the drawing: its kind, shapely geometry (None when the kind
    allows a feature without one, such as a legend) and the properties grading reads."""

    index: int  # position in the FeatureCollection's `features`
    kind: str
    geometry: Shape | None
    number: int | None = None  # 建筑物编号 of a building mark; an area's number (division)
    label: str | None = None  # the name written on a road, river or landmark
    angle: float | None = None  # a north arrow's direction, degrees clockwise from up
    building_type: str | None = None  # a building mark's BUILDING_TYPES entry, if given


@dataclass(frozen=True, slots=True)
class Header:
    """The map's title block: what is written around the frame."""

    title: str | None = None
    code: str | None = None
    building_total: int | None = None
    household_total: int | None = None
    drafter: str | None = None
    date: str | None = None


@dataclass(frozen=True, slots=True)
class Drawing:
    """A drawn 普查小区图 as read from GeoJSON: the usable features, the title block, and
    what was wrong with the input (`findings`; reading never raises)."""

    features: tuple[DrawnFeature, ...] = ()
    header: Header = Header()
    findings: tuple[MapFinding, ...] = ()

    def of_kind(self, kind: str) -> tuple[DrawnFeature, ...]:
        """The features of one kind, in drawing order."""
        return tuple(feature for feature in self.features if feature.kind == kind)
