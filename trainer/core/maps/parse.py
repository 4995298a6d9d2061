"""Reading a drawn map from GeoJSON: never raises, turns every problem into a finding.

The browser's editor saves plain JSON, but anything may arrive: another program's GeoJSON,
a hand-edited file, a hostile request. `load_drawing(text)` and `parse_drawing(data)` accept
any input and return a `Drawing` holding the features that could be read and a finding for
each that could not (wrong types, missing keys, NaN or infinite coordinates, unknown kinds).
Sizes are bounded: at most `MAX_FEATURES` features, `MAX_PART_VERTICES` points in one ring or
line (more are thinned evenly) and `MAX_TOTAL_VERTICES` points in all (later geometries are
dropped), so a huge upload costs a bounded amount of work.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

import shapely
from shapely.errors import GEOSException

from trainer.core.i18n import N_
from trainer.core.maps.model import (
    BUILDING_TYPES,
    KINDS,
    LABELLED,
    Drawing,
    DrawnFeature,
    Header,
    MapFinding,
    Severity,
    Shape,
    finding,
)
from trainer.core.world.geometry import Point

MAX_TEXT_CHARS = 5_000_000  # a JSON text longer than this is not read at all
MAX_FEATURES = 5_000
MAX_PART_VERTICES = 20_000  # in one ring or line; more are thinned evenly
MAX_TOTAL_VERTICES = 200_000  # in the whole drawing; later geometries are dropped
MAX_PARTS = 1_000  # rings or lines in one geometry
MAX_COORDINATE = 1e7  # metres from the origin: anything larger is a mistake
MAX_TEXT = 200  # characters of a title, label or name
MAX_NUMBER = 99_999  # a building number
MAX_TOTAL = 1_000_000  # a written total

# The geometry types each kind may be drawn with; the first is what the editor saves.
ALLOWED: dict[str, tuple[str, ...]] = {
    "boundary": ("Polygon", "MultiPolygon", "LineString"),
    "building": ("Point", "Polygon"),
    "road": ("LineString", "MultiLineString", "Point", "Polygon"),
    "river": ("LineString", "MultiLineString", "Point", "Polygon", "MultiPolygon"),
    "landmark": ("Point", "Polygon", "MultiPolygon", "LineString", "MultiLineString"),
    "route": ("LineString", "MultiLineString"),
    "north_arrow": ("Point", "LineString", "Polygon"),
    "legend": ("Point", "Polygon", "LineString"),
    "title": ("Point", "Polygon", "LineString"),
    "area": ("Polygon", "MultiPolygon", "LineString"),  # one area of a grid's division
}
NEEDS_GEOMETRY = ("boundary", "building", "route", "area")
CLOSED = ("boundary", "area")  # kinds whose line is read as the area it encloses
HEADER_KEYS = ("title", "code", "building_total", "household_total", "drafter", "date")


class _Bad(Exception):
    """A geometry that cannot be read; caught per feature and turned into a finding."""

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.params = params


def load_drawing(text: str | bytes) -> Drawing:
    """A drawing from JSON text (as the browser posts it); bad text gives an empty drawing
    with a finding."""
    if len(text) > MAX_TEXT_CHARS:
        return Drawing(findings=(finding(
            "too_large", Severity.ERROR,
            N_("The map file is larger than %(limit)s characters; nothing was read."),
            limit=MAX_TEXT_CHARS),))
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return Drawing(findings=(finding("not_json", Severity.ERROR,
                                         N_("The map file is not valid JSON.")),))
    return parse_drawing(data)


def parse_drawing(data: object) -> Drawing:
    """A drawing from decoded GeoJSON (any value): the features that could be read, the
    title block, and a finding for everything that could not."""
    return _Reader().drawing(data)


class _Reader:
    """One reading: the findings so far and the points left in the drawing's budget."""

    def __init__(self) -> None:
        self.findings: list[MapFinding] = []
        self.budget = MAX_TOTAL_VERTICES
        self.current: int | None = None  # the feature being read
        self.repeats = 0  # consecutive repeated points in the feature being read

    def note(self, code: str, severity: Severity, message: str, /, *,
             feature: int | None = None, **params: object) -> None:
        where = self.current if feature is None else feature
        self.findings.append(MapFinding(code, severity, message, params, where))

    # The collection -------------------------------------------------------------------

    def drawing(self, data: object) -> Drawing:
        raw = self.raw_features(data)
        features: list[DrawnFeature] = []
        titles: list[Mapping[str, Any]] = []
        for index, item in enumerate(raw):
            read = self.feature(index, item)
            if read is None:
                continue
            features.append(read)
            if read.kind == "title" and isinstance(item, Mapping):
                properties = item.get("properties")
                if isinstance(properties, Mapping):
                    titles.append(properties)
        if len(titles) > 1:
            self.note("several_titles", Severity.INFO,
                      N_("The map has several title features; the last one counts."))
        top = data.get("properties") if isinstance(data, Mapping) else None
        if top is not None and not isinstance(top, Mapping):
            self.note("bad_value", Severity.WARNING,
                      N_("The map's %(key)s is not valid; it was ignored."), key="properties")
            top = None
        header = self.header([top or {}, *titles])
        return Drawing(tuple(features), header, tuple(self.findings))

    def raw_features(self, data: object) -> list[object]:
        if isinstance(data, Mapping) and data.get("type") == "Feature":
            return [data]
        if not isinstance(data, Mapping) or not isinstance(data.get("features"), list):
            self.note("not_a_collection", Severity.ERROR,
                      N_("The map is not a GeoJSON FeatureCollection."))
            return []
        items: list[object] = data["features"]
        if len(items) > MAX_FEATURES:
            self.note("too_many_features", Severity.WARNING,
                      N_("The map has %(count)s features; only the first %(limit)s were "
                         "read."), count=len(items), limit=MAX_FEATURES)
            items = items[:MAX_FEATURES]
        return items

    # One feature ----------------------------------------------------------------------

    def feature(self, index: int, item: object) -> DrawnFeature | None:
        self.current = index
        try:
            return self.read_feature(index, item)
        finally:
            self.current = None

    def read_feature(self, index: int, item: object) -> DrawnFeature | None:
        if not isinstance(item, Mapping):
            self.note("feature_not_object", Severity.WARNING,
                      N_("An entry that is not a GeoJSON feature was skipped."), feature=index)
            return None
        properties = item.get("properties")
        if not isinstance(properties, Mapping):
            properties = {}
        kind = properties.get("kind")
        if not isinstance(kind, str) or not kind.strip():
            self.note("missing_kind", Severity.WARNING,
                      N_("A feature has no kind; it was skipped."), feature=index)
            return None
        kind = kind.strip().lower()
        if kind not in KINDS:
            self.note("unknown_kind", Severity.WARNING,
                      N_("A feature of unknown kind %(kind)s was skipped."), feature=index,
                      kind=_clip(kind, 40))
            return None
        self.repeats = 0
        try:
            geometry = self.geometry(item.get("geometry"), kind)
        except _Bad as bad:
            self.note(bad.code, Severity.WARNING, bad.message, feature=index, kind=kind,
                      **bad.params)
            return None
        if self.repeats:
            self.note("duplicate_vertices", Severity.INFO,
                      N_("A feature repeats %(count)s points; the repeats were ignored."),
                      kind=kind, count=self.repeats)
        if geometry is None and kind in NEEDS_GEOMETRY:
            self.note("missing_geometry", Severity.WARNING,
                      N_("A feature that needs a geometry has none; it was skipped."),
                      feature=index, kind=kind)
            return None
        if kind in CLOSED and geometry is not None and geometry.geom_type == "LineString":
            geometry = self.boundary_from_line(index, geometry, kind)
            if geometry is None:
                return None
        number = (self.number(index, properties.get("number"), kind)
                  if kind in ("building", "area") else None)
        label = self.label(index, kind, properties.get("label")) if kind in LABELLED else None
        angle = self.angle(index, properties.get("angle")) if kind == "north_arrow" else None
        building_type = (self.building_type(index, properties.get("building_type"))
                         if kind == "building" else None)
        return DrawnFeature(index, kind, geometry, number, label, angle, building_type)

    def building_type(self, index: int, value: object) -> str | None:
        if value is None or value == "":
            return None
        if value not in BUILDING_TYPES:
            self.note("bad_building_type", Severity.WARNING,
                      N_("A building mark has a type the map does not know; it was read "
                         "without one."), feature=index)
            return None
        return str(value)

    def number(self, index: int, value: object, kind: str = "building") -> int | None:
        if value is None:
            return None
        number = _whole(value, MAX_NUMBER)
        if number is None or number < 1:
            message = (N_("An area number must be a whole number from 1 to %(limit)s.")
                       if kind == "area" else
                       N_("A building number must be a whole number from 1 to %(limit)s."))
            self.note("bad_number", Severity.WARNING, message, feature=index,
                      limit=MAX_NUMBER)
            return None
        return number

    def label(self, index: int, kind: str, value: object) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            self.note("bad_label", Severity.WARNING,
                      N_("A label is not text; it was ignored."), feature=index,
                      kind=kind)
            return None
        return self.text(value, index)

    def angle(self, index: int, value: object) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not _finite(value):
            self.note("bad_value", Severity.WARNING,
                      N_("The map's %(key)s is not valid; it was ignored."), feature=index,
                      key="angle")
            return None
        return float(value)

    def text(self, value: str, index: int | None = None) -> str | None:
        text = _printable(value).strip()
        if len(text) > MAX_TEXT:
            self.note("long_text", Severity.INFO,
                      N_("A text of %(count)s characters was cut to %(limit)s."),
                      feature=index, count=len(text), limit=MAX_TEXT)
            text = text[:MAX_TEXT]
        return text or None

    # The title block ------------------------------------------------------------------

    def header(self, sources: list[Mapping[str, Any]]) -> Header:
        values: dict[str, object] = {}
        for source in sources:
            values.update((key, source[key]) for key in HEADER_KEYS if key in source)
        readers: dict[str, Callable[[object], object]] = {
            "title": self.header_text, "drafter": self.header_text, "date": self.header_text,
            "code": self.header_code,
            "building_total": _count, "household_total": _count,
        }
        read: dict[str, Any] = {}
        for key, value in values.items():
            if value is None or (isinstance(value, str) and not value.strip()):
                continue  # left blank: the elements criterion says what is missing
            parsed = readers[key](value)
            if parsed is None:
                self.note("bad_value", Severity.WARNING,
                          N_("The map's %(key)s is not valid; it was ignored."), key=key)
            else:
                read[key] = parsed
        return Header(**read)

    def header_text(self, value: object) -> str | None:
        return self.text(value) if isinstance(value, str) else None

    def header_code(self, value: object) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**15:
            return str(value)
        return self.header_text(value)

    # Geometry -------------------------------------------------------------------------

    def geometry(self, value: object, kind: str) -> Shape | None:
        """A shapely geometry from a GeoJSON geometry object, or None when there is none;
        raises _Bad when there is one that cannot be read."""
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise _Bad("bad_geometry", N_("A feature has malformed coordinates; it was "
                                          "skipped."))
        geometry_type = value.get("type")
        if geometry_type not in ALLOWED[kind]:
            raise _Bad("wrong_geometry",
                       N_("This kind of feature cannot be drawn as a %(type)s; it was skipped."),
                       type=_clip(str(geometry_type), 40))
        coordinates = value.get("coordinates")
        try:
            if geometry_type == "Point":
                return shapely.Point(self.position(coordinates))
            if geometry_type == "LineString":
                return shapely.LineString(self.line(coordinates))
            if geometry_type == "Polygon":
                return self.polygon(coordinates)
            if geometry_type == "MultiLineString":
                return shapely.MultiLineString([self.line(part)
                                                for part in self.parts(coordinates)])
            return shapely.MultiPolygon([self.polygon(part) for part in self.parts(coordinates)])
        except (GEOSException, ValueError, TypeError) as error:
            raise _Bad("bad_geometry", N_("A feature has malformed coordinates; it was "
                                          "skipped.")) from error

    def parts(self, value: object) -> list[object]:
        if not isinstance(value, list) or not value:
            raise _Bad("bad_geometry", N_("A feature has malformed coordinates; it was "
                                          "skipped."))
        if len(value) > MAX_PARTS:
            raise _Bad("drawing_too_large",
                       N_("A feature has more than %(limit)s parts; it was skipped."),
                       limit=MAX_PARTS)
        return value

    def polygon(self, value: object) -> Shape:
        rings = [self.ring(ring) for ring in self.parts(value)]
        return shapely.Polygon(rings[0], rings[1:])

    def ring(self, value: object) -> list[Point]:
        points = self.points(value)
        if len(points) > 1 and points[0] == points[-1]:
            points.pop()  # GeoJSON repeats the first point; shapely closes rings itself
        if len(set(points)) < 3:
            raise _Bad("degenerate_geometry",
                       N_("A feature has too few distinct points to be a line or an area; "
                          "it was skipped."))
        return points

    def line(self, value: object) -> list[Point]:
        points = self.points(value)
        if len(points) < 2:
            raise _Bad("degenerate_geometry",
                       N_("A feature has too few distinct points to be a line or an area; "
                          "it was skipped."))
        return points

    def points(self, value: object) -> list[Point]:
        """Positions of one ring or line: thinned past MAX_PART_VERTICES, charged to the
        drawing's budget, consecutive repeats dropped (a duplicate_vertices note)."""
        if not isinstance(value, list):
            raise _Bad("bad_geometry", N_("A feature has malformed coordinates; it was "
                                          "skipped."))
        if len(value) > MAX_PART_VERTICES:
            step = math.ceil(len(value) / MAX_PART_VERTICES)
            self.note("too_many_vertices", Severity.WARNING,
                      N_("A line or ring of %(count)s points was thinned to every "
                         "%(step)s-th point."), count=len(value), step=step)
            value = value[::step]
        if len(value) > self.budget:
            self.budget = 0
            raise _Bad("drawing_too_large",
                       N_("The map has more than %(limit)s points in all; a feature was "
                          "skipped."), limit=MAX_TOTAL_VERTICES)
        self.budget -= len(value)
        points: list[Point] = []
        repeats = 0
        for item in value:
            point = self.position(item)
            if points and point == points[-1]:
                repeats += 1
            else:
                points.append(point)
        self.repeats += repeats
        return points

    def position(self, value: object) -> Point:
        if not isinstance(value, list | tuple) or not 2 <= len(value) <= 3:
            raise _Bad("bad_geometry", N_("A feature has malformed coordinates; it was "
                                          "skipped."))
        x, y = value[0], value[1]
        if not (_coordinate(x) and _coordinate(y)):
            raise _Bad("bad_coordinates",
                       N_("A feature has a coordinate that is not a finite number within "
                          "%(limit)s m; it was skipped."), limit=int(MAX_COORDINATE))
        return float(x), float(y)

    def boundary_from_line(self, index: int, line: Shape,
                           kind: str = "boundary") -> Shape | None:
        """A boundary (or a division's area) drawn as a line: the area it encloses (closed
        first if need be)."""
        points = [(float(x), float(y)) for x, y in line.coords]
        if points[0] == points[-1]:
            self.note("boundary_line_closed", Severity.INFO,
                      N_("The boundary was drawn as a closed line; it was read as the area "
                         "it encloses."), feature=index)
            points.pop()
        else:
            self.note("boundary_line_open", Severity.WARNING,
                      N_("The boundary line does not close; it was closed from its end back "
                         "to its start."), feature=index)
        if len(set(points)) < 3:
            self.note("degenerate_geometry", Severity.WARNING,
                      N_("A feature has too few distinct points to be a line or an area; "
                         "it was skipped."), feature=index, kind=kind)
            return None
        return shapely.Polygon(points)


def _coordinate(value: object) -> bool:
    """A real number (not a bool) that is finite and within MAX_COORDINATE."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value) and abs(value) <= MAX_COORDINATE
    except OverflowError:  # an int too large for a float
        return False


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _whole(value: object, limit: int) -> int | None:
    """A whole number from an int, an integral float or a string of digits, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and _finite(value) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdecimal() and len(value.strip()) <= 9:
        number = int(value.strip())
    else:
        return None
    return number if 0 <= number <= limit else None


def _count(value: object) -> int | None:
    return _whole(value, MAX_TOTAL)


def _printable(text: str) -> str:
    """NFC text without control characters or lone surrogates (which neither XML nor
    PostgreSQL's JSON can hold)."""
    return "".join(char for char in unicodedata.normalize("NFC", text)
                   if unicodedata.category(char) not in ("Cc", "Cs"))


def _clip(text: str, limit: int) -> str:
    """Printable text of at most `limit` characters, for a finding's parameter."""
    text = _printable(text)
    return text if len(text) <= limit else text[:limit] + "…"
