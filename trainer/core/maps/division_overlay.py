"""An SVG overlay of a graded division: the grid, its roads and buildings (each with its
housing units), the world's own division dashed in green, the drawn areas in colour with
their number and housing units, and the findings as numbered markers (as `overlay.py` draws
them for an area's map). Every text is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trainer.core.maps.division import DivisionResult, DivisionTruth, read_areas, shapes_of
from trainer.core.maps.model import Drawing
from trainer.core.maps.overlay import Translate, _english, _markers, _View, escape, findings_of
from trainer.core.maps.parse import parse_drawing

FILLS = ("#3b82f6", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#ec4899", "#14b8a6",
         "#84cc16", "#f97316", "#6366f1")
FAR = 0.5  # the view reaches at most this share of the grid's size beyond it


def division_overlay_svg(drawing: Drawing | object, truth: DivisionTruth,
                         result: DivisionResult | Mapping[str, Any], *,
                         translate: Translate | None = None) -> str:
    """The SVG overlay of a division (a string; safe to embed), of a result fresh or as
    stored (`DivisionResult.to_dict`)."""
    if not isinstance(drawing, Drawing):
        drawing = parse_drawing(drawing)
    render = translate or _english
    shapes = shapes_of(truth)
    left, bottom, right, top = (float(v) for v in shapes.grid.bounds) if not \
        shapes.grid.is_empty else (0.0, 0.0, 100.0, 100.0)
    size = max(right - left, top - bottom, 50.0)
    margin = size * 0.04
    view = _View((left - margin, bottom - margin, right + margin, top + margin))
    areas, _reading = read_areas(drawing)
    for area in areas:  # widen to take the drawing in, within reason
        x0, y0, x1, y1 = (float(v) for v in area.shape.bounds)
        view = _View((max(min(view.left, x0 - margin), left - FAR * size),
                      max(min(view.bottom, y0 - margin), bottom - FAR * size),
                      min(max(view.right, x1 + margin), right + FAR * size),
                      min(max(view.top, y1 + margin), top + FAR * size)))
    font = min(max(view.size / 90, 2.0), 8.0)
    width, height = view.right - view.left, view.top - view.bottom
    title = escape(truth.name)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.1f} {height:.1f}" '
             f'class="map-overlay" font-family="sans-serif" font-size="{font:.1f}" '
             f'role="img" aria-label="{title}"><title>{title}</title>',
             f'<rect width="{width:.1f}" height="{height:.1f}" fill="#ffffff"/>',
             f'<path class="grid" d="{view.path(shapes.grid)}" fill="#f9fafb" '
             f'stroke="#111827" stroke-width="{font / 4:.2f}"/>']
    for road in truth.roads:
        line = " L".join(view.xy(x, y) for x, y in road.line)
        colour = "#93c5fd" if road.kind == "river" else "#d1d5db"
        parts.append(f'<path class="road" d="M{line}" fill="none" stroke="{colour}" '
                     f'stroke-width="{font * 0.8:.2f}"/>')
    for index, area in enumerate(areas):
        colour = FILLS[index % len(FILLS)]
        parts.append(f'<path class="drawn-area" d="{view.path(area.shape)}" fill="{colour}" '
                     f'fill-opacity="0.22" fill-rule="evenodd" stroke="{colour}" '
                     f'stroke-width="{font / 3:.2f}" data-feature="{area.feature}"/>')
    for position, (building, units) in enumerate(zip(truth.buildings, shapes.units.tolist(),
                                                     strict=True)):
        ring = " ".join(view.xy(x, y) for x, y in building.footprint)
        x, y = (float(v) for v in shapes.centroids[position])
        parts.append(f'<polygon class="building" points="{ring}" fill="#e5e7eb" '
                     f'stroke="#6b7280" stroke-width="{font / 10:.2f}" '
                     f'data-building="{building.index}"/>'
                     f'<text x="{x - view.left:.1f}" y="{view.top - y + font * 0.3:.1f}" '
                     f'text-anchor="middle" fill="#374151" font-size="{font * 0.7:.1f}">'
                     f'{units}</text>')
    for outline in truth.reference:
        points = " ".join(view.xy(x, y) for x, y in outline)
        parts.append(f'<polygon class="reference-area" points="{points}" fill="none" '
                     f'stroke="#15803d" stroke-width="{font / 5:.2f}" '
                     f'stroke-dasharray="{font:.1f} {font / 2:.1f}"/>')
    sizes = (dict(result.areas) if isinstance(result, DivisionResult)
             else {item["area"]: item["units"] for item in result.get("areas", ())})
    for index, area in enumerate(areas):
        x, y = view.clamp(area.at)
        label = f"{area.label} · {sizes.get(area.label, 0)}"
        parts.append(f'<text class="area-label" x="{x - view.left:.1f}" '
                     f'y="{view.top - y:.1f}" text-anchor="middle" font-weight="bold" '
                     f'font-size="{font * 1.6:.1f}" fill="{FILLS[index % len(FILLS)]}" '
                     f'stroke="#ffffff" stroke-width="{font / 5:.2f}" paint-order="stroke">'
                     f'{escape(label)}</text>')
    parts += _markers(view, findings_of(result), font, render)
    parts.append("</svg>")
    return "".join(parts)

