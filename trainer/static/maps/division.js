// The division editor: the whole grid (roads, water, landmarks, every building with its
// housing units) in Leaflet (L.CRS.Simple, metres) with Leaflet-Geoman; the trainee draws
// area polygons, numbers them and sees each area's housing units counted live (a building
// counts in the area holding its centre). The drawing is one GeoJSON FeatureCollection of
// {"kind": "area", "number": n} polygons (trainer/core/maps/division.py), saved whole to
// data-drawing-url after every edit. Undo/redo keep snapshots of that GeoJSON.
(function () {
  "use strict";
  var root = document.getElementById("division-editor");
  if (!root || !window.L || !L.PM) { return; }

  var token = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var msg = function (name) { return root.getAttribute("data-msg-" + name) || ""; };
  var low = parseInt(root.getAttribute("data-low"), 10) || 0;
  var high = parseInt(root.getAttribute("data-high"), 10) || Infinity;
  var statusEl = document.getElementById("map-status");
  var hintEl = document.getElementById("map-hint");
  var rowsEl = document.getElementById("area-rows");
  var panel = document.getElementById("area-panel");
  var numberInput = document.getElementById("area-number");
  var COLOURS = ["#3b82f6", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#ec4899", "#14b8a6",
                 "#84cc16", "#f97316", "#6366f1"];

  var map = L.map(root, { crs: L.CRS.Simple, minZoom: -3, maxZoom: 4, zoomSnap: 0.25,
                          attributionControl: false });
  var fieldLayer = L.layerGroup().addTo(map);
  var drawn = L.featureGroup().addTo(map);
  var buildings = [];  // {centre: [x, y], units: n}
  map.pm.setGlobalOptions({ snappable: true, snapDistance: 16, layerGroup: drawn,
                            allowSelfIntersection: true, templineStyle: { color: "#1d4ed8" },
                            hintlineStyle: { color: "#1d4ed8", dashArray: "4 4" } });
  map.pm.setLang(document.documentElement.lang === "zh-CN" ? "zh" : "en");

  function ll(x, y) { return L.latLng(y, x); }
  function ring(points) { return points.map(function (p) { return ll(p[0], p[1]); }); }
  function centre(points) {
    var xs = 0, ys = 0;
    points.forEach(function (p) { xs += p[0]; ys += p[1]; });
    return [xs / points.length, ys / points.length];
  }
  function format(template, name, value) { return template.replace("%(" + name + ")s", value); }

  // The field view ----------------------------------------------------------------------
  var fieldStyle = {
    road: { color: "#9ca3af", weight: 9, opacity: 0.9 },
    lane: { color: "#d1d5db", weight: 5 },
    river: { color: "#93c5fd", weight: 16, opacity: 0.8 },
    pond: { color: "#60a5fa", weight: 1, fillColor: "#bfdbfe", fillOpacity: 0.8 },
    field: { color: "#bef264", weight: 1, fillColor: "#ecfccb", fillOpacity: 0.6 },
    bridge: { color: "#78716c", weight: 1, fillColor: "#a8a29e", fillOpacity: 0.9 },
    landmark: { color: "#d97706", weight: 1, fillColor: "#fde68a", fillOpacity: 0.6 }
  };
  function fieldOptions(kind) {
    return L.extend({ interactive: false, pmIgnore: true, snapIgnore: false },
                    fieldStyle[kind] || fieldStyle.landmark);
  }
  function showField(field) {
    field.features.filter(function (f) { return f.line; }).concat(
      field.features.filter(function (f) { return !f.line; })).forEach(function (f) {
      var layer = f.line ? L.polyline(ring(f.coordinates), fieldOptions(f.kind))
                         : L.polygon(ring(f.coordinates), fieldOptions(f.kind));
      layer.addTo(fieldLayer);
      if (f.kind !== "field") {
        layer.bindTooltip(f.name, { permanent: true, direction: "center",
                                    className: "field-name field-name-" + f.kind });
      }
    });
    L.polygon(ring(field.outline), { interactive: false, pmIgnore: true, snapIgnore: false,
                                     color: "#111827", weight: 2, dashArray: "10 6",
                                     fill: false }).addTo(fieldLayer);
    field.buildings.forEach(function (points, index) {
      var units = field.units[index];
      var at = centre(points);
      buildings.push({ centre: at, units: units });
      L.polygon(ring(points), L.extend(fieldOptions("building"),
        { color: "#374151", weight: 1, fillColor: "#e5e7eb", fillOpacity: 0.9 })).addTo(fieldLayer);
      var label = document.createElement("span");
      label.textContent = String(units);
      L.marker(ll(at[0], at[1]), { interactive: false, pmIgnore: true, snapIgnore: true,
                                   keyboard: false,
                                   icon: L.divIcon({ className: "unit-count", html: label,
                                                     iconSize: [28, 16], iconAnchor: [14, 8] }) })
        .addTo(fieldLayer);
    });
    var b = field.bounds;
    map.fitBounds(L.latLngBounds(ll(b[0][0], b[0][1]), ll(b[1][0], b[1][1])), { padding: [10, 10] });
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

  // Saving: debounced, one request at a time, the latest drawing always wins --------------
  var timer = null, inFlight = null, dirty = false;
  function setStatus(textValue, kind) {
    statusEl.textContent = textValue;
    statusEl.className = "map-status" + (kind ? " map-status-" + kind : "");
  }
  function save(leaving) {
    clearTimeout(timer);
    timer = null;
    if (inFlight && !leaving) { dirty = true; return inFlight; }
    dirty = false;
    setStatus(msg("saving"));
    var body = JSON.stringify(serialise());
    inFlight = fetch(root.getAttribute("data-drawing-url"), {
      method: "POST", credentials: "same-origin",
      keepalive: Boolean(leaving) && body.length < 60000,
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token },
      body: body
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) {
          setStatus(data.message, "ok");
        } else {
          var error = data.error || data.message || String(response.status);
          setStatus(msg("not-saved").replace("%(error)s", error), "error");
        }
      });
    }, function () {
      setStatus(msg("offline"), "error");
      timer = setTimeout(save, 5000);
    }).then(function () {
      inFlight = null;
      if (dirty) { return save(); }
    });
    return inFlight;
  }
  function scheduleSave() {
    clearTimeout(timer);
    timer = setTimeout(save, 600);
    setStatus(msg("saving"));
  }
  function flush() {
    if (timer || dirty) { return save(); }
    return inFlight || Promise.resolve();
  }
  window.DivisionEditor = { flush: flush, map: map };

  // Undo and redo: snapshots of the whole drawing --------------------------------------------
  var history = [], at = -1;
  var undoButton = document.querySelector("[data-action=undo]");
  var redoButton = document.querySelector("[data-action=redo]");
  function record() {
    var snapshot = JSON.stringify(serialise());
    if (history[at] === snapshot) { return false; }
    history = history.slice(0, at + 1);
    history.push(snapshot);
    if (history.length > 200) { history.shift(); }
    at = history.length - 1;
    updateHistoryButtons();
    return true;
  }
  function updateHistoryButtons() {
    undoButton.disabled = at <= 0;
    redoButton.disabled = at >= history.length - 1;
  }
  function changed() {
    recount();
    if (record()) { scheduleSave(); }
  }
  function step(delta) {
    var next = at + delta;
    if (next < 0 || next >= history.length) { return; }
    at = next;
    restore(JSON.parse(history[at]));
    updateHistoryButtons();
    scheduleSave();
  }
  undoButton.addEventListener("click", function () { step(-1); });
  redoButton.addEventListener("click", function () { step(1); });
  document.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.target.closest("input, select, textarea")) { return; }
    if (event.key === "z" && !event.shiftKey) { event.preventDefault(); step(-1); }
    if (event.key === "y" || (event.key === "z" && event.shiftKey)) { event.preventDefault(); step(1); }
  });

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

  var submitForm = document.getElementById("map-submit");
  if (submitForm) {
    submitForm.addEventListener("submit", function (event) {
      if (submitForm.dataset.flushed) { return; }
      event.preventDefault();
      record();
      save().then(function () {
        submitForm.dataset.flushed = "1";
        submitForm.submit();
      });
    });
  }
  window.addEventListener("pagehide", function () { if (timer || dirty) { save(true); } });

  // Start: the field view, then the saved drawing ---------------------------------------------
  fetch(root.getAttribute("data-field-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (response) { return response.json(); })
    .then(function (field) {
      showField(field);
      return fetch(root.getAttribute("data-drawing-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } });
    })
    .then(function (response) { return response.json(); })
    .then(function (saved) {
      restore(saved.drawing);
      record();
      setStatus(saved.drawing ? msg("loaded") : msg("new"), saved.drawing ? "ok" : "");
      root.setAttribute("data-ready", "1");
    });
})();
