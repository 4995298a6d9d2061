"""Exports of a world's grids: GeoJSON (local metres), CSV of the truth, and SVG maps.

Coordinates are metres in the grid's own plane (x east, y north, origin at the south-west
corner); GeoJSON readers that expect degrees should treat them as a local projection.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from html import escape
from typing import Any

from trainer.core.world.geometry import Point
from trainer.core.world.grid import Area, Grid

PERSON_COLUMNS = (
    "grid", "area", "building", "unit", "household", "household_kind", "dwelling", "person",
    "name", "relation", "id_number", "sex", "birth", "ethnicity", "residence", "hukou",
    "hukou_place", "time_away", "reason_away", "education", "literate", "present", "form",
)


def _ring(points: list[Point]) -> list[list[float]]:
    closed = [*points, points[0]] if points else []
    return [[round(x, 2), round(y, 2)] for x, y in closed]


def grid_geojson(grid: Grid) -> dict[str, Any]:
    """A FeatureCollection: the grid's areas, buildings, roads, water and landmarks."""
    features: list[dict[str, Any]] = []
    for area in grid.areas:
        features.append({"type": "Feature", "geometry": {"type": "Polygon",
                                                          "coordinates": [_ring(area.outline)]},
                         "properties": {"layer": "area", "code": area.code, "name": area.name,
                                        "units": area.unit_count,
                                        "enumerators": area.enumerators}})
    for building in grid.buildings:
        features.append({"type": "Feature", "geometry": {
            "type": "Polygon", "coordinates": [_ring(building.footprint)]},
            "properties": {"layer": "building", "area": grid.areas[building.area].code,
                           "number": building.number, "kind": building.kind,
                           "floors": building.floors, "units": len(building.units)}})
    for feature in grid.features:
        line = feature.kind in ("road", "lane", "river")
        geometry = ({"type": "LineString", "coordinates": [[x, y] for x, y in feature.geometry]}
                    if line else {"type": "Polygon", "coordinates": [_ring(feature.geometry)]})
        features.append({"type": "Feature", "geometry": geometry,
                         "properties": {"layer": feature.kind, "name": feature.name}})
    return {"type": "FeatureCollection", "name": grid.name,
            "properties": {"grid": grid.index, "village": grid.village.code,
                           "village_name": grid.village.name, "urban": grid.urban},
            "features": features}


def person_rows(grid: Grid) -> Iterator[dict[str, Any]]:
    """One dict per person of the grid, with every truth field."""
    for area in grid.areas:
        for number, household in grid.area_households(area):
            plan = grid.plans[household.index]
            unit = grid.units[plan.unit] if plan.unit is not None else None
            building = grid.buildings[unit.building] if unit is not None else None
            for person in household.persons:
                yield {
                    "grid": grid.index, "area": area.code,
                    "building": building.number if building else "",
                    "unit": unit.number if unit else "", "household": f"{number:03d}",
                    "household_kind": int(household.kind), "dwelling": int(household.dwelling),
                    "person": person.key, "name": person.name, "relation": int(person.relation),
                    "id_number": person.id_number, "sex": int(person.sex),
                    "birth": person.birth.isoformat(), "ethnicity": person.ethnicity,
                    "residence": int(person.residence), "hukou": int(person.hukou),
                    "hukou_place": person.hukou_place or "",
                    "time_away": int(person.time_away) if person.time_away else "",
                    "reason_away": int(person.reason_away) if person.reason_away else "",
                    "education": int(person.education) if person.education else "",
                    "literate": int(person.literate) if person.literate else "",
                    "present": int(person.present), "form": int(person.form),
                }


def persons_csv(grids: Iterable[Grid]) -> str:
    """The truth of every person of the grids as CSV text (UTF-8, header first)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=PERSON_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for grid in grids:
        writer.writerows(person_rows(grid))
    return buffer.getvalue()


# SVG ---------------------------------------------------------------------------------

STYLE = {
    "area": 'fill="none" stroke="#c2410c" stroke-width="3"',
    "road": 'stroke="#9ca3af" stroke-width="6" fill="none"',
    "lane": 'stroke="#d1d5db" stroke-width="3" fill="none"',
    "river": 'stroke="#60a5fa" stroke-width="14" fill="none"',
    "pond": 'fill="#bfdbfe" stroke="#60a5fa"',
    "field": 'fill="#ecfccb" stroke="#bef264"',
    "bridge": 'fill="#a8a29e"',
    "landmark": 'fill="#fde68a" stroke="#d97706"',
    "building": 'fill="#e5e7eb" stroke="#374151"',
    "collective": 'fill="#ddd6fe" stroke="#5b21b6"',
}


def grid_svg(grid: Grid, *, highlight: Area | None = None, show_areas: bool = True,
             show_numbers: bool = True) -> str:
    """An SVG map of the grid: roads, water, landmarks, buildings, and area boundaries."""
    width, height = grid.size
    margin = 40.0
    top = height + grid.lot_size[1] + margin  # room for the river above rural grids

    def points(ring: list[Point]) -> str:
        return " ".join(f"{x + margin:.1f},{top - y:.1f}" for x, y in ring)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width + 2 * margin:.0f} '
             f'{top + margin:.0f}" role="img" aria-label="{escape(grid.name)}" '
             f'class="world-map" font-family="sans-serif">',
             f'<title>{escape(grid.name)}</title>']
    for feature in grid.features:
        if feature.kind in ("road", "lane", "river"):
            parts.append(f'<polyline points="{points(feature.geometry)}" '
                         f'{STYLE[feature.kind]}><title>{escape(feature.name)}</title>'
                         '</polyline>')
    for feature in grid.features:
        if feature.kind not in ("road", "lane", "river"):
            style = STYLE.get(feature.kind, STYLE["landmark"])
            parts.append(f'<polygon points="{points(feature.geometry)}" {style}>'
                         f'<title>{escape(feature.name)}</title></polygon>')
            if feature.kind not in ("field",):
                x = min(p[0] for p in feature.geometry) + margin + 2
                y = top - max(p[1] for p in feature.geometry) + 12
                parts.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="9">'
                             f'{escape(feature.name)}</text>')
    for building in grid.buildings:
        collective = building.kind in ("dormitory", "work_shed", "care_home")
        parts.append(f'<polygon points="{points(building.footprint)}" '
                     f'{STYLE["collective" if collective else "building"]} '
                     f'data-area="{grid.areas[building.area].code}">'
                     f'<title>{building.kind} · {len(building.units)}</title></polygon>')
        if show_numbers:
            xs = [p[0] for p in building.footprint]
            ys = [p[1] for p in building.footprint]
            cx, cy = sum(xs) / len(xs) + margin, top - sum(ys) / len(ys) + 4
            parts.append(f'<text x="{cx:.1f}" y="{cy:.1f}" font-size="11" '
                         f'text-anchor="middle">{building.number}</text>')
    if show_areas:
        for area in grid.areas:
            style = STYLE["area"]
            if highlight is not None and area.index == highlight.index:
                style = 'fill="#fb923c" fill-opacity="0.15" stroke="#c2410c" stroke-width="5"'
            parts.append(f'<polygon points="{points(area.outline)}" {style} '
                         f'data-area="{area.code}"><title>{escape(area.name)} '
                         f'({area.unit_count})</title></polygon>')
    for feature in grid.features:
        if feature.kind in ("road", "river"):
            (x0, y0), (x1, _y1) = feature.geometry[0], feature.geometry[-1]
            parts.append(f'<text x="{(x0 + x1) / 2 + margin:.1f}" y="{top - y0 - 4:.1f}" '
                         f'font-size="10" fill="#374151">{escape(feature.name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
