"""The small-area map (普查小区图): reading a drawn map, and grading it against the truth.

A trainee draws the map of an enumeration area in the browser (domain file §2.3-2.4); the
editor saves it as one GeoJSON FeatureCollection in the world's local plane: metres, x east,
y north, origin at the grid's south-west corner (as `world.export` writes it).

Schema
------
::

    {"type": "FeatureCollection",
     "properties": {                       # the title block (or a feature of kind "title")
         "title": "岳阳楼区奇家街道金鹗社区居委会 第一普查小区",   # full area name
         "code": "430602001001001",        # 普查区 code + 小区 code, or just "001"
         "building_total": 7,              # buildings written on the map
         "household_total": 68,            # households written on the map
         "drafter": "王芳", "date": "2020-10-25"},
     "features": [
         {"type": "Feature", "properties": {"kind": "boundary"},
          "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [300, 0], ...]]}},
         {"type": "Feature", "properties": {"kind": "building", "number": 1},
          "geometry": {"type": "Point", "coordinates": [25, 20]}},
         {"type": "Feature", "properties": {"kind": "road", "label": "月田路"},
          "geometry": {"type": "LineString", "coordinates": [[0, 0], [300, 0]]}},
         {"type": "Feature", "properties": {"kind": "route"},
          "geometry": {"type": "LineString", "coordinates": [...]}},
         {"type": "Feature", "properties": {"kind": "north_arrow", "angle": 0},
          "geometry": {"type": "Point", "coordinates": [320, 100]}},
         {"type": "Feature", "properties": {"kind": "legend"},
          "geometry": {"type": "Point", "coordinates": [0, -30]}}]}

``properties.kind`` is one of:

- ``boundary``: Polygon or MultiPolygon (a closed LineString is read as the area it encloses);
  several boundary features are joined. Either ring orientation.
- ``building``: a Point inside the building, or its Polygon; ``number`` is its 建筑物编号
  (an integer from 1); ``building_type`` (optional) one of ``model.BUILDING_TYPES``:
  residential, shop (a shop people live in), collective (集体住所), public, other.
- ``road``, ``river``, ``landmark``: ``label`` is the name written on the map; the geometry
  (a line, a polygon or a Point where the name is written) is optional.
- ``route``: the registration route, a LineString (a MultiLineString is joined in order).
- ``north_arrow`` (``angle``: degrees clockwise from the top of the map, 0 = north up) and
  ``legend``: any geometry, or none.
- ``title``: no geometry needed; its properties override the collection's title block.
- ``area``: one area of a grid's division (the second exercise, `division.py`): a Polygon
  (a closed LineString is read as the area it encloses) with its ``number``.

Other properties are ignored. Reading never raises: anything malformed becomes a finding
(`parse.py` lists the limits on size).

Modules: `model` (drawing and findings), `parse` (GeoJSON to `Drawing`), `truth` (what the
map should show, from the world, and the perfect drawing), `context` (the truth's shapes and
which mark is which building), `registry` (criteria by name), the criteria `boundary`,
`coverage`, `numbering` (with the numbering rules), `elements` and `route` (with `tour`, the
yardstick route), `grade` (`grade_map`, the weighted total) and `overlay` (`overlay_svg`);
`division` grades the division of a whole grid into areas (`grade_division`) and
`division_overlay` draws it (`division_overlay_svg`), `division_print` prints it
(`division_print_svg`).
"""

from trainer.core.maps.division import (
    DIVISION_CRITERIA,
    DivisionResult,
    DivisionTruth,
    division_truth,
    grade_division,
    true_division,
)
from trainer.core.maps.division_overlay import division_overlay_svg
from trainer.core.maps.division_print import division_print_svg
from trainer.core.maps.grade import MapResult, grade_map
from trainer.core.maps.model import Drawing, DrawnFeature, Header, MapFinding, Severity
from trainer.core.maps.numbering import NUMBERING_RULES
from trainer.core.maps.overlay import overlay_svg
from trainer.core.maps.parse import load_drawing, parse_drawing
from trainer.core.maps.registry import MAP_CRITERIA, CriterionResult
from trainer.core.maps.truth import (
    MapTruth,
    Place,
    RegisterRow,
    TrueBuilding,
    register_of_area,
    register_rows,
    register_totals,
    true_drawing,
    truth_from_area,
)

__all__ = [
    "DIVISION_CRITERIA",
    "MAP_CRITERIA",
    "NUMBERING_RULES",
    "CriterionResult",
    "DivisionResult",
    "DivisionTruth",
    "Drawing",
    "DrawnFeature",
    "Header",
    "MapFinding",
    "MapResult",
    "MapTruth",
    "Place",
    "RegisterRow",
    "Severity",
    "TrueBuilding",
    "division_overlay_svg",
    "division_print_svg",
    "division_truth",
    "grade_division",
    "grade_map",
    "load_drawing",
    "overlay_svg",
    "parse_drawing",
    "register_of_area",
    "register_rows",
    "register_totals",
    "true_division",
    "true_drawing",
    "truth_from_area",
]
