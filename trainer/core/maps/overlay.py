"""An SVG overlay of a graded map: the truth beneath, the drawing over it, the findings on top.

The truth is drawn in grey and green (the true boundary dashed, the footprints with their
numbers), the drawing in blue (boundary, building marks with their numbers, route, labels,
north arrow), and each finding with a place as a numbered marker coloured by severity whose
tooltip is the message. Every text that came from a user or the world is escaped; nothing
from the drawing reaches the SVG except numbers and escaped text. The view is the true area
with a margin, widened to take in the drawing but never beyond `FAR` times the area's size,
so a drawing a kilometre away does not shrink the area to a dot; markers outside the view
are pulled to its edge.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import shapely

from trainer.core.maps.grade import MapResult
from trainer.core.maps.model import Drawing, MapFinding, Severity, Shape
from trainer.core.maps.parse import parse_drawing
from trainer.core.maps.registry import Graded
from trainer.core.maps.truth import MapTruth
from trainer.core.world.geometry import Point

FAR = 2.0  # the view reaches at most this many area sizes beyond the area
FRAMED = ("boundary", "building", "route", "north_arrow", "legend")  # widen the view
MAX_DRAWN_VERTICES = 2_000  # per geometry; finer drawings are simplified for display
SEVERITY_COLOUR = {Severity.ERROR: "#dc2626", Severity.WARNING: "#d97706",
                   Severity.INFO: "#2563eb"}
Translate = Callable[[str, Mapping[str, object]], str]
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# Each building type's colour, the same in the overlay, the print export and the editor
# (maps.css .map-type-*); an untyped mark keeps the drawing's blue.
TYPE_COLOURS = {"residential": "#2563eb", "shop": "#ea580c", "collective": "#9333ea",
                "public": "#059669", "other": "#6b7280"}


def escape(text: str) -> str:
    """Text made safe for SVG: markup escaped, characters XML cannot hold dropped."""
    return html.escape(NOT_XML.sub("", text), quote=True)


def _english(message: str, params: Mapping[str, object]) -> str:
    try:
        return message % dict(params) if params else message
    except (KeyError, TypeError, ValueError):
        return message


class _View:
    """Map metres to SVG user units: x east from the view's left, y down from its top."""

    def __init__(self, bounds: tuple[float, float, float, float]) -> None:
        self.left, self.bottom, self.right, self.top = bounds
        self.size = max(self.right - self.left, self.top - self.bottom, 1.0)

    def xy(self, x: float, y: float) -> str:
        return f"{x - self.left:.1f},{self.top - y:.1f}"

    def clamp(self, point: Point) -> Point:
        x, y = point
        return (min(max(x, self.left), self.right), min(max(y, self.bottom), self.top))

    def path(self, geometry: Shape) -> str:
        """SVG path data for any geometry (rings closed, lines open, points skipped)."""
        if geometry.geom_type not in ("LineString", "LinearRing") and shapely.get_num_coordinates(
                geometry) > MAX_DRAWN_VERTICES:
            geometry = geometry.simplify(self.size / 1000)
        commands = []
        for part in shapely.get_parts(geometry):
            if part.geom_type == "Polygon":
                for ring in (part.exterior, *part.interiors):
                    commands.append(self._run(ring.coords) + "Z")
            elif part.geom_type in ("LineString", "LinearRing"):
                commands.append(self._run(part.coords))
        return " ".join(commands)

    def _run(self, coordinates: Iterable[tuple[float, ...]]) -> str:
        points = [self.xy(c[0], c[1]) for c in coordinates]
        if len(points) > MAX_DRAWN_VERTICES:
            step = -(-len(points) // MAX_DRAWN_VERTICES)
            points = points[::step] + points[-1:]
        return "M" + " L".join(points)


def finding_from(data: Mapping[str, Any]) -> MapFinding:
    """A finding as `MapFinding.to_dict` stored it."""
    at = data.get("at")
    return MapFinding(str(data["code"]), Severity(data["severity"]), str(data["message"]),
                      dict(data.get("params") or {}), data.get("feature"),
                      data.get("building"), (float(at[0]), float(at[1])) if at else None)


def findings_of(result: Graded | Mapping[str, Any]) -> tuple[MapFinding, ...]:
    """The findings to mark, in report order: a graded result's, or those a stored result
    (`to_dict`) holds, so a submitted drawing is drawn without grading it again."""
    if isinstance(result, Graded):
        return result.findings
    stored = [*result.get("drawing", ()),
              *(found for criterion in result.get("criteria", {}).values()
                for found in criterion.get("findings", ()))]
    return tuple(finding_from(found) for found in stored)


def overlay_svg(drawing: Drawing | object, truth: MapTruth,
                result: MapResult | Mapping[str, Any], *,
                translate: Translate | None = None) -> str:
    """The SVG overlay (a string; safe to embed: every text is escaped) of a result, fresh
    or as stored (`MapResult.to_dict`).

    `translate(message, params)` renders a finding's message; by default the English text.
    """
    if not isinstance(drawing, Drawing):
        drawing = parse_drawing(drawing)
    render = translate or _english
    view = _View(_bounds(drawing, truth))
    font = min(max(view.size / 90, 2.0), 8.0)  # metres: about half a building's width
    width, height = view.right - view.left, view.top - view.bottom
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.1f} {height:.1f}" '
             f'class="map-overlay" font-family="sans-serif" font-size="{font:.1f}" '
             f'role="img" aria-label="{escape(truth.title)}">',
             f"<title>{escape(truth.title)}</title>"]
    parts += _truth(view, truth, font)
    parts += _drawing(view, drawing, font)
    parts += _markers(view, findings_of(result), font, render)
    parts.append("</svg>")
    return "".join(parts)


def _bounds(drawing: Drawing, truth: MapTruth) -> tuple[float, float, float, float]:
    points = list(truth.boundary) + [p for b in truth.buildings for p in b.footprint]
    if points:
        xs, ys = [x for x, _y in points], [y for _x, y in points]
        left, bottom, right, top = min(xs), min(ys), max(xs), max(ys)
    else:
        left = bottom = right = top = 0.0
    size = max(right - left, top - bottom, 50.0)
    limit = (left - FAR * size, bottom - FAR * size, right + FAR * size, top + FAR * size)
    margin = size * 0.12
    box = [left - margin, bottom - margin, right + margin, top + margin]
    for feature in drawing.features:
        if (feature.geometry is None or feature.geometry.is_empty
                or feature.kind not in FRAMED):  # a labelled road may run for kilometres
            continue
        x0, y0, x1, y1 = (float(v) for v in feature.geometry.bounds)
        box = [min(box[0], x0 - margin / 2), min(box[1], y0 - margin / 2),
               max(box[2], x1 + margin / 2), max(box[3], y1 + margin / 2)]
    return (max(box[0], limit[0]), max(box[1], limit[1]), min(box[2], limit[2]),
            min(box[3], limit[3]))


def _truth(view: _View, truth: MapTruth, font: float) -> list[str]:
    parts = ['<g class="truth">']
    if len(truth.boundary) >= 3:
        ring = " ".join(view.xy(x, y) for x, y in truth.boundary)
        parts.append(f'<polygon class="truth-boundary" points="{ring}" fill="#dcfce7" '
                     f'fill-opacity="0.5" stroke="#15803d" stroke-width="{font / 4:.2f}" '
                     f'stroke-dasharray="{font:.1f} {font / 2:.1f}"/>')
    for building in truth.buildings:
        ring = " ".join(view.xy(x, y) for x, y in building.footprint)
        x, y = building.centroid
        parts.append(f'<polygon class="truth-building" points="{ring}" fill="#e5e7eb" '
                     f'stroke="#6b7280" stroke-width="{font / 8:.2f}" '
                     f'data-number="{building.number}"/>'
                     f'<text class="truth-number" x="{x - view.left:.1f}" '
                     f'y="{view.top - y - font * 0.5:.1f}" text-anchor="middle" '
                     f'fill="#4b5563" font-size="{font * 0.7:.1f}">{building.number}</text>')
    parts.append("</g>")
    return parts


def _drawing(view: _View, drawing: Drawing, font: float) -> list[str]:
    parts = ['<g class="drawing">']
    stroke = f'stroke-width="{font / 4:.2f}"'
    for feature in drawing.features:
        geometry = feature.geometry
        if geometry is None or geometry.is_empty:
            continue
        data = f'data-feature="{feature.index}"'
        if feature.kind == "boundary":
            parts.append(f'<path class="drawn-boundary" d="{view.path(geometry)}" '
                         f'fill="#3b82f6" fill-opacity="0.08" fill-rule="evenodd" '
                         f'stroke="#1d4ed8" {stroke} {data}/>')
        elif feature.kind == "route":
            parts.append(f'<path class="drawn-route" d="{view.path(geometry)}" fill="none" '
                         f'stroke="#7c3aed" {stroke} stroke-dasharray="{font / 2:.1f} '
                         f'{font / 3:.1f}" {data}/>')
        elif feature.kind == "building":
            parts.append(_mark(view, feature.number, geometry, font, data,
                               feature.building_type))
        elif feature.label is not None or feature.kind == "north_arrow":
            parts.append(_labelled(view, feature.kind, feature.label, geometry, font, data))
    parts.append("</g>")
    return parts


def _mark(view: _View, number: int | None, geometry: Shape, font: float, data: str,
          building_type: str | None = None) -> str:
    point = geometry.representative_point() if geometry.geom_type != "Point" else geometry
    x, y = float(point.x), float(point.y)
    colour = TYPE_COLOURS.get(building_type or "", "#1d4ed8")
    shape = (f'<circle cx="{x - view.left:.1f}" cy="{view.top - y:.1f}" r="{font / 2:.1f}" '
             f'fill="{colour}" fill-opacity="0.5"/>' if geometry.geom_type == "Point" else
             f'<path d="{view.path(geometry)}" fill="{colour}" fill-opacity="0.3" '
             f'stroke="{colour}" stroke-width="{font / 8:.2f}"/>')
    text = "?" if number is None else str(number)
    kind = f' data-type="{building_type}"' if building_type in TYPE_COLOURS else ""
    return (f'<g class="drawn-building" {data}{kind}>{shape}<text x="{x - view.left:.1f}" '
            f'y="{view.top - y + font * 0.8:.1f}" text-anchor="middle" fill="#1e3a8a" '
            f'font-weight="bold">{escape(text)}</text></g>')


def _labelled(view: _View, kind: str, label: str | None, geometry: Shape, font: float,
              data: str) -> str:
    point = geometry.representative_point()
    x, y = view.clamp((float(point.x), float(point.y)))
    if kind == "north_arrow":
        return (f'<text class="drawn-north-arrow" x="{x - view.left:.1f}" '
                f'y="{view.top - y:.1f}" text-anchor="middle" fill="#1d4ed8" '
                f'font-size="{font * 1.6:.1f}" {data}>↑N</text>')
    line = (f'<path d="{view.path(geometry)}" fill="none" stroke="#60a5fa" '
            f'stroke-width="{font / 6:.2f}"/>' if geometry.geom_type != "Point" else "")
    return (f'<g class="drawn-label" {data}>{line}<text x="{x - view.left:.1f}" '
            f'y="{view.top - y:.1f}" fill="#1e3a8a">{escape(label or "")}</text></g>')


def _markers(view: _View, findings: Iterable[MapFinding], font: float,
             render: Translate) -> list[str]:
    parts = ['<g class="findings">']
    for number, item in enumerate(findings, start=1):
        if item.at is None:
            continue
        x, y = view.clamp(item.at)
        colour = SEVERITY_COLOUR[item.severity]
        text = escape(render(item.message, item.params))
        parts.append(f'<g class="finding finding-{item.severity.value}" '
                     f'data-code="{escape(item.code)}" data-finding="{number}">'
                     f'<title>{text}</title>'
                     f'<circle cx="{x - view.left:.1f}" cy="{view.top - y:.1f}" '
                     f'r="{font * 0.9:.1f}" fill="none" stroke="{colour}" '
                     f'stroke-width="{font / 4:.2f}"/>'
                     f'<text x="{x - view.left + font:.1f}" y="{view.top - y - font:.1f}" '
                     f'fill="{colour}" font-size="{font * 0.8:.1f}">{number}</text></g>')
    parts.append("</g>")
    return parts
