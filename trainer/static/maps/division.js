// The division editor: the whole grid (roads, water, landmarks, every building with its
// housing units) in Leaflet (L.CRS.Simple, metres) with Leaflet-Geoman; the trainee draws
// area polygons, numbers them and sees each area's housing units counted live (a building
// counts in the area holding its centre). The drawing is one GeoJSON FeatureCollection of
// {"kind": "area", "number": n} polygons (trainer/core/maps/division.py), saved whole to
// data-drawing-url after every edit (saving, undo/redo and the start: common.js).
(function () {
  "use strict";
  var root = document.getElementById("division-editor");
  if (!root || !window.L || !L.PM || !window.MapCommon) { return; }

  var C = window.MapCommon, ll = C.ll, ring = C.ring, centre = C.centre;
  var msg = C.messages(root);
  var low = parseInt(root.getAttribute("data-low"), 10) || 0;
  var high = parseInt(root.getAttribute("data-high"), 10) || Infinity;
  var hintEl = document.getElementById("map-hint");
  var rowsEl = document.getElementById("area-rows");
  var panel = document.getElementById("area-panel");
  var numberInput = document.getElementById("area-number");
  var COLOURS = ["#3b82f6", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#ec4899", "#14b8a6",
                 "#84cc16", "#f97316", "#6366f1"];

  var layers = C.newMap(root, "#1d4ed8"), map = layers.map, drawn = layers.drawn;
  var fieldLayer = layers.field;
  var buildings = [];  // {centre: [x, y], units: n}

  function format(template, name, value) { return template.replace("%(" + name + ")s", value); }

  // The field view ----------------------------------------------------------------------
  function showField(field) {
    C.showGround(map, fieldLayer, field);
    L.polygon(ring(field.outline), { interactive: false, pmIgnore: true, snapIgnore: false,
                                     color: "#111827", weight: 2, dashArray: "10 6",
                                     fill: false }).addTo(fieldLayer);
    field.buildings.forEach(function (points, index) {
      var units = field.units[index];
      var at = centre(points);
      buildings.push({ centre: at, units: units });
      C.footprint(points).addTo(fieldLayer);
      var label = document.createElement("span");
      label.textContent = String(units);
      L.marker(ll(at[0], at[1]), { interactive: false, pmIgnore: true, snapIgnore: true,
                                   keyboard: false,
                                   icon: L.divIcon({ className: "unit-count", html: label,
                                                     iconSize: [28, 16], iconAnchor: [14, 8] }) })
        .addTo(fieldLayer);
    });
    C.fit(map, field.bounds);
  }

  // Counting: which building centres each area holds (even-odd over all its rings) --------
  function ringsOf(layer) {
    var out = [];
    (function walk(value) {
      if (!value.length) { return; }
      if (value[0] instanceof L.LatLng) {
        out.push(value.map(function (p) { return [p.lng, p.lat]; }));
      } else { value.forEach(walk); }
    })(layer.getLatLngs());
    return out;
  }
  function holds(rings, x, y) {
    var hit = false;
    rings.forEach(function (points) {
      for (var i = 0, j = points.length - 1; i < points.length; j = i++) {
        var xi = points[i][0], yi = points[i][1], xj = points[j][0], yj = points[j][1];
        if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) { hit = !hit; }
      }
    });
    return hit;
  }
  function areas() {
    var list = [];
    drawn.eachLayer(function (layer) { if (layer.feature) { list.push(layer); } });
    return list;
  }
  function recount() {
    var list = areas();
    var held = buildings.map(function () { return 0; });
    var rows = list.map(function (layer) {
      var rings = ringsOf(layer);
      var count = 0, units = 0;
      buildings.forEach(function (building, index) {
        if (holds(rings, building.centre[0], building.centre[1])) {
          count += 1; units += building.units; held[index] += 1;
        }
      });
      return { layer: layer, number: layer.feature.properties.number, buildings: count, units: units };
    });
    rows.sort(function (a, b) { return (a.number || 1e9) - (b.number || 1e9); });
    rowsEl.textContent = "";
    rows.forEach(function (row) {
      var tr = document.createElement("tr");
      var bad = row.units < low || row.units > high;
      tr.className = bad ? "count-out" : "count-ok";
      tr.setAttribute("data-test", "area-row-" + (row.number == null ? "none" : row.number));
      [format(msg("area"), "number", row.number == null ? "?" : row.number), row.buildings, row.units]
        .forEach(function (value, column) {
          var cell = document.createElement(column ? "td" : "th");
          if (!column) { cell.scope = "row"; }
          cell.textContent = String(value);
          tr.appendChild(cell);
        });
      tr.addEventListener("click", function () { select(row.layer); });
      rowsEl.appendChild(tr);
      row.layer.setTooltipContent(format(msg("area"), "number", row.number == null ? "?" : row.number)
                                  + " · " + format(msg("units"), "units", row.units));
    });
    var freeBuildings = 0, freeUnits = 0;
    buildings.forEach(function (building, index) {
      if (!held[index]) { freeBuildings += 1; freeUnits += building.units; }
    });
    document.getElementById("free-buildings").textContent = String(freeBuildings);
    document.getElementById("free-units").textContent = String(freeUnits);
  }

  // Drawn areas ---------------------------------------------------------------------------
  function styleOf(number) {
    var colour = COLOURS[((number || 1) - 1) % COLOURS.length];
    return { color: colour, weight: 3, fillColor: colour, fillOpacity: 0.2 };
  }
  function decorate(layer) {
    var props = layer.feature.properties;
    layer.setStyle(styleOf(props.number));
    layer.bindTooltip("", { permanent: true, direction: "center", className: "area-label" });
    layer.on("pm:edit pm:dragend", changed);
    layer.on("click", function (event) {
      if (tool) { return; }
      L.DomEvent.stopPropagation(event);  // not also a click on the map, which deselects
      select(layer);
    });
  }
  function nextNumber() {
    var top = 0;
    areas().forEach(function (layer) {
      var number = layer.feature.properties.number;
      if (typeof number === "number") { top = Math.max(top, number); }
    });
    return top + 1;
  }
  function serialise() {
    var features = areas().map(function (layer) {
      var geo = layer.toGeoJSON(2);
      geo.properties = layer.feature.properties;
      return geo;
    });
    return { type: "FeatureCollection", properties: {}, features: features };
  }
  function restore(data) {
    drawn.clearLayers();
    select(null);
    if (data) {
      L.geoJSON(data, { filter: function (feature) {
        return (feature.properties || {}).kind === "area";
      } }).eachLayer(function (layer) {
        drawn.addLayer(layer);
        decorate(layer);
      });
    }
    recount();
  }

  // Selecting and numbering an area ---------------------------------------------------------
  var selected = null;
  function select(layer) {
    if (selected && selected.getElement && selected.getElement()) {
      selected.getElement().classList.remove("is-selected");
    }
    selected = layer;
    panel.hidden = !layer;
    if (!layer) { return; }
    if (layer.getElement && layer.getElement()) { layer.getElement().classList.add("is-selected"); }
    var number = layer.feature.properties.number;
    numberInput.value = number == null ? "" : String(number);
  }
  function renumber() {
    if (!selected) { return; }
    var value = parseInt(numberInput.value, 10);
    selected.feature.properties = L.extend({}, selected.feature.properties,
                                           { number: isNaN(value) ? null : value });
    selected.setStyle(styleOf(selected.feature.properties.number));
    changed();
  }
  document.getElementById("area-apply").addEventListener("click", renumber);
  numberInput.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); renumber(); }
  });

  // Saving and undo/redo (common.js) ------------------------------------------------------
  var saving = C.saver(root, serialise, function () {});
  var scheduleSave = saving.scheduleSave;
  window.DivisionEditor = { flush: saving.flush, map: map };
  var undo = C.history(serialise, restore, scheduleSave);
  function changed() {
    recount();
    if (undo.record()) { scheduleSave(); }
  }

  // Tools ---------------------------------------------------------------------------------
  var tool = null;
  var toolButtons = document.querySelectorAll("[data-tool]");
  function setTool(name) {
    map.pm.disableDraw();
    if (map.pm.globalEditModeEnabled()) { map.pm.disableGlobalEditMode(); }
    if (map.pm.globalRemovalModeEnabled()) { map.pm.disableGlobalRemovalMode(); }
    tool = tool === name ? null : name;
    toolButtons.forEach(function (button) {
      var on = button.getAttribute("data-tool") === tool;
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.classList.toggle("outline", !on);
    });
    hintEl.textContent = tool ? msg("tool-" + tool) : "";
    root.classList.toggle("is-drawing", tool === "area");
    if (tool === "area") { map.pm.enableDraw("Polygon", { snappable: true }); }
    if (tool === "edit") { map.pm.enableGlobalEditMode({ snappable: true }); }
    if (tool === "remove") { map.pm.enableGlobalRemovalMode(); }
  }
  toolButtons.forEach(function (button) {
    button.setAttribute("aria-pressed", "false");
    button.addEventListener("click", function () { setTool(button.getAttribute("data-tool")); });
  });

  map.on("pm:create", function (event) {
    event.layer.feature = { type: "Feature", properties: { kind: "area", number: nextNumber() } };
    decorate(event.layer);
    setTool(tool);  // the area is closed: leave the tool
    changed();
    select(event.layer);
  });
  map.on("pm:remove", function (event) {
    if (event.layer === selected) { select(null); }
    changed();
  });
  map.on("pm:globaleditmodetoggled", function (event) {
    if (!event.enabled) { changed(); }
  });
  map.on("click", function () { if (!tool) { select(null); } });

  C.submitAfterSaving(undo.record, saving.save);

  C.start(root, showField, function (drawing) {
    restore(drawing);
    undo.record();
  }, saving.setStatus);
})();
