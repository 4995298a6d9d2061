"""A division drawing as a printable SVG: the grid, its roads and buildings (each with its
housing units), the drawn areas in colour with their number and housing units, the title on
top and the totals below. Made from the drawing and the field view's ground only: no
findings and not the world's own division (that is the debrief's, `division_overlay`).
Every text is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import shapely

from trainer.core.maps.division import DivisionTruth, read_areas, shapes_of
from trainer.core.maps.division_overlay import FILLS
from trainer.core.maps.model import Drawing
from trainer.core.maps.overlay import _View, escape
from trainer.core.maps.parse import parse_drawing

WIDTH = 1200  # px of the printed picture's width; the height follows the grid's shape


def division_print_svg(drawing: Drawing | object, truth: DivisionTruth,
                       words: Mapping[str, str]) -> str:
    """The trainee's division as a printable SVG (a string; safe to embed).

    `words` gives the texts in the interface language (keys: area, units, areas, total,
    free): "area" and "units" may hold %(number)s and %(units)s."""
    if not isinstance(drawing, Drawing):
        drawing = parse_drawing(drawing)
    shapes = shapes_of(truth)
    left, bottom, right, top = ((float(v) for v in shapes.grid.bounds)
                                if not shapes.grid.is_empty else (0.0, 0.0, 100.0, 100.0))
    size = max(right - left, top - bottom, 50.0)
    font = min(max(size / 90, 2.0), 8.0)
    margin = size * 0.03
    head, foot = font * 4, font * 3
    view = _View((left - margin, bottom - margin, right + margin, top + margin + head))
    width = view.right - view.left
    height = view.top - view.bottom + foot
    areas, _reading = read_areas(drawing)
    xs, ys = shapes.centroids[:, 0], shapes.centroids[:, 1]
    claimed = np.zeros(len(truth.buildings), dtype=bool)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.1f} {height:.1f}" '
             f'width="{WIDTH}" height="{WIDTH * height / width:.0f}" font-family="sans-serif" '
             f'font-size="{font:.1f}">',
             f'<rect width="{width:.1f}" height="{height:.1f}" fill="#ffffff"/>',
             f'<text x="{width / 2:.1f}" y="{head * 0.6:.1f}" text-anchor="middle" '
             f'font-weight="bold" font-size="{font * 1.8:.1f}">{escape(truth.name)}</text>',
             f'<path class="grid" d="{view.path(shapes.grid)}" fill="#f9fafb" '
             f'stroke="#111827" stroke-width="{font / 4:.2f}"/>']
    for road in truth.roads:
        if len(road.line) < 2:
            continue
        line = " L".join(view.xy(x, y) for x, y in road.line)
        colour = "#93c5fd" if road.kind == "river" else "#d1d5db"
        parts.append(f'<path class="road" d="M{line}" fill="none" stroke="{colour}" '
                     f'stroke-width="{font * 0.8:.2f}"/>')
    sizes = []
    for index, area in enumerate(areas):
        colour = FILLS[index % len(FILLS)]
        inside = (shapely.contains_xy(area.shape, xs, ys) if len(xs)
                  else np.zeros(0, dtype=bool))
        claimed |= inside
        sizes.append(int(shapes.units[inside].sum()) if len(xs) else 0)
        parts.append(f'<path class="drawn-area" d="{view.path(area.shape)}" fill="{colour}" '
                     f'fill-opacity="0.22" fill-rule="evenodd" stroke="{colour}" '
                     f'stroke-width="{font / 3:.2f}"/>')
    for position, building in enumerate(truth.buildings):
        ring = " ".join(view.xy(x, y) for x, y in building.footprint)
        x, y = (float(v) for v in shapes.centroids[position])
        parts.append(f'<polygon class="building" points="{ring}" fill="#e5e7eb" fill-opacity="0.6" '
                     f'stroke="#6b7280" stroke-width="{font / 10:.2f}"/>'
                     f'<text x="{x - view.left:.1f}" y="{view.top - y + font * 0.3:.1f}" '
                     f'text-anchor="middle" fill="#374151" font-size="{font * 0.7:.1f}">'
                     f'{building.units}</text>')
    for index, (area, units) in enumerate(zip(areas, sizes, strict=True)):
        x, y = view.clamp(area.at)
        label = (_fill(words["area"], number=area.label) + " · "
                 + _fill(words["units"], units=units))
        parts.append(f'<text class="area-label" x="{x - view.left:.1f}" '
                     f'y="{view.top - y:.1f}" text-anchor="middle" font-weight="bold" '
                     f'font-size="{font * 1.5:.1f}" fill="{FILLS[index % len(FILLS)]}" '
                     f'stroke="#ffffff" stroke-width="{font / 5:.2f}" paint-order="stroke">'
                     f'{escape(label)}</text>')
    free = int(shapes.units[~claimed].sum()) if len(claimed) else 0
    below = (f"{words['areas']}: {len(areas)}　{words['total']}: {truth.unit_total}"
             f"　{words['free']}: {free}")
    parts.append(f'<text x="{width - font:.1f}" y="{height - foot * 0.35:.1f}" '
                 f'text-anchor="end">{escape(below)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _fill(text: str, **params: object) -> str:
    try:
        return text % params
    except (KeyError, TypeError, ValueError):
        return text
