// The small-area map editor: Leaflet (L.CRS.Simple, metres) with Leaflet-Geoman for drawing.
// The field view (roads, water, landmarks, footprints) comes from data-field-url; the drawing
// is one GeoJSON FeatureCollection (schema: trainer/core/maps), saved whole to
// data-drawing-url after every edit (saving, undo/redo and the start: common.js).
(function () {
  "use strict";
  var root = document.getElementById("map-editor");
  if (!root || !window.L || !L.PM || !window.MapCommon) { return; }

  var C = window.MapCommon, ll = C.ll, ring = C.ring, centre = C.centre;
  var msg = C.messages(root);
  var hintEl = document.getElementById("map-hint");
  var headerForm = document.getElementById("map-header");
  var markPanel = document.getElementById("mark-panel");
  var markNumber = document.getElementById("mark-number");
  var markType = document.getElementById("mark-type");  // optional: building types
  var labelKind = document.getElementById("label-kind");
  var labelText = document.getElementById("label-text");
  var HEADER = ["title", "code", "building_total", "household_total", "drafter", "date"];
  var SHAPE_STYLE = {
    boundary: { color: "#b91c1c", weight: 3, fillColor: "#fde68a", fillOpacity: 0.25 },
    route: { color: "#2563eb", weight: 3, dashArray: "8 6" },
    road: { color: "#4b5563", weight: 4 },
    river: { color: "#2563eb", weight: 5 },
    landmark: { color: "#d97706", weight: 2, fillOpacity: 0.3 },
    building: { color: "#b91c1c", weight: 2, fillOpacity: 0.2 }
  };

  var layers = C.newMap(root, "#b91c1c"), map = layers.map, drawn = layers.drawn;
  var footprints = [];  // rings [[x, y], ...] for tapping a building

  function inside(x, y, points) {
    var hit = false;
    for (var i = 0, j = points.length - 1; i < points.length; j = i++) {
      var xi = points[i][0], yi = points[i][1], xj = points[j][0], yj = points[j][1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) { hit = !hit; }
    }
    return hit;
  }
  function text(node, value) { var el = document.createElement("span"); el.textContent = value; node.appendChild(el); return el; }

  // The field view -------------------------------------------------------------------
  function showField(field) {
    C.showGround(map, layers.field, field);
    field.buildings.forEach(function (points, index) {
      footprints.push(points);
      var shape = C.footprint(points).addTo(layers.field);
      // What walking past shows (a dormitory, a shop...): a tooltip, to choose the type.
      var sign = field.signs && field.signs[index];
      if (sign && msg("sign-" + sign)) { shape.bindTooltip(msg("sign-" + sign)); }
    });
    C.fit(map, field.bounds);
  }

  // Drawn features ---------------------------------------------------------------------
  function icon(className, build, size) {
    var el = document.createElement("div");
    build(el);
    return L.divIcon({ className: "map-mark " + className, html: el,
                       iconSize: size, iconAnchor: [size[0] / 2, size[1] / 2] });
  }
  function markerFor(props, latlng) {
    var marker;
    if (props.kind === "building") {
      var typed = props.building_type ? " map-type-" + props.building_type : "";
      marker = L.marker(latlng, { icon: icon("map-mark-building" + typed, function (el) {
        text(el, props.number == null ? "?" : String(props.number));
      }, [30, 30]) });
      marker.on("click", function () { select(marker); });
    } else if (props.kind === "north_arrow") {
      marker = L.marker(latlng, { icon: icon("map-mark-north", function (el) {
        text(el, "▲"); text(el, msg("north"));
      }, [36, 48]) });
    } else if (props.kind === "legend") {
      marker = L.marker(latlng, { icon: icon("map-mark-legend", function (el) {
        var title = document.createElement("div");
        title.className = "legend-title";
        title.textContent = msg("legend");
        el.appendChild(title);
        ["boundary", "building", "route", "road"].forEach(function (key) {
          var row = document.createElement("div");
          row.className = "legend-row";
          var symbol = document.createElement("span");
          symbol.className = "legend-symbol legend-" + key;
          row.appendChild(symbol);
          text(row, msg("legend-" + key));
          el.appendChild(row);
        });
      }, [110, 84]) });
    } else {
      marker = L.marker(latlng, { icon: icon("map-label map-label-" + props.kind, function (el) {
        text(el, props.label || "");
      }, [140, 26]) });
    }
    marker.feature = { type: "Feature", properties: props };
    return marker;
  }
  function decorate(layer) {
    var props = layer.feature.properties;
    if (layer.setStyle && SHAPE_STYLE[props.kind]) { layer.setStyle(SHAPE_STYLE[props.kind]); }
    if (!(layer instanceof L.Marker) && (props.label || props.kind === "building")) {
      layer.bindTooltip(props.kind === "building" ? String(props.number) : props.label,
                        { permanent: true, direction: "center", className: "drawn-label" });
    }
    layer.on("pm:edit pm:dragend", changed);
  }
  function addFeature(layer) {
    drawn.addLayer(layer);
    decorate(layer);
  }

  function serialise() {
    var features = [];
    drawn.eachLayer(function (layer) {
      if (!layer.feature) { return; }
      var geo = layer.toGeoJSON(2);
      geo.properties = layer.feature.properties;
      features.push(geo);
    });
    return { type: "FeatureCollection", properties: readHeader(), features: features };
  }
  function restore(data) {
    drawn.clearLayers();
    select(null);
    if (!data) { return; }
    L.geoJSON(data, { pointToLayer: function (feature, latlng) {
      return markerFor(feature.properties || {}, latlng);
    } }).eachLayer(function (layer) {
      layer.feature.properties = layer.feature.properties || {};
      addFeature(layer);
    });
    writeHeader(data.properties || {});
  }

  // The title block ------------------------------------------------------------------
  function readHeader() {
    var out = {};
    HEADER.forEach(function (name) {
      var input = headerForm.elements[name];
      var value = input ? input.value.trim() : "";
      if (!value) { return; }
      out[name] = /_total$/.test(name) && /^\d+$/.test(value) ? parseInt(value, 10) : value;
    });
    return out;
  }
  function writeHeader(props) {
    HEADER.forEach(function (name) {
      var input = headerForm.elements[name];
      if (input) { input.value = props[name] == null ? "" : String(props[name]); }
    });
  }

  // Saving and undo/redo (common.js); a refused save names the header field at fault ------
  function showFieldError(field, message) {
    headerForm.querySelectorAll("[data-error-for]").forEach(function (el) {
      var mine = el.getAttribute("data-error-for") === field;
      el.hidden = !mine;
      el.textContent = mine ? message : "";
    });
  }
  var saving = C.saver(root, serialise, showFieldError);
  var scheduleSave = saving.scheduleSave;
  window.MapEditor = { flush: saving.flush, map: map };
  var undo = C.history(serialise, restore, scheduleSave);
  function changed() {
    if (undo.record()) { scheduleSave(); }
  }

  // Selecting and numbering a building mark --------------------------------------------
  var selected = null;
  function select(marker) {
    if (selected && selected.getElement()) { selected.getElement().classList.remove("is-selected"); }
    selected = marker;
    markPanel.hidden = !marker;
    if (!marker) { return; }
    if (marker.getElement()) { marker.getElement().classList.add("is-selected"); }
    var number = marker.feature.properties.number;
    markNumber.value = number == null ? "" : String(number);
    if (markType) { markType.value = marker.feature.properties.building_type || ""; }
  }
  function renumber() {
    if (!selected) { return; }
    var value = parseInt(markNumber.value, 10);
    var props = L.extend({}, selected.feature.properties,
                         { number: isNaN(value) ? null : value });
    if (markType) { props.building_type = markType.value || null; }
    var latlng = selected.getLatLng();
    drawn.removeLayer(selected);
    var marker = markerFor(props, latlng);
    addFeature(marker);
    select(marker);
    changed();
  }
  document.getElementById("mark-apply").addEventListener("click", renumber);
  if (markType) { markType.addEventListener("change", renumber); }
  markNumber.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); renumber(); }
  });
  document.getElementById("mark-remove").addEventListener("click", function () {
    if (!selected) { return; }
    drawn.removeLayer(selected);
    select(null);
    changed();
  });
  function nextNumber() {
    var top = 0;
    drawn.eachLayer(function (layer) {
      var props = layer.feature && layer.feature.properties;
      if (props && props.kind === "building" && typeof props.number === "number") {
        top = Math.max(top, props.number);
      }
    });
    return top + 1;
  }

  // Tools ------------------------------------------------------------------------------
  var tool = null;
  var toolButtons = document.querySelectorAll("[data-tool]");
  function setTool(name) {
    map.pm.disableDraw();
    if (map.pm.globalEditModeEnabled()) { map.pm.disableGlobalEditMode(); }
    if (map.pm.globalDragModeEnabled()) { map.pm.disableGlobalDragMode(); }
    if (map.pm.globalRemovalModeEnabled()) { map.pm.disableGlobalRemovalMode(); }
    tool = tool === name ? null : name;
    toolButtons.forEach(function (button) {
      var on = button.getAttribute("data-tool") === tool;
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.classList.toggle("outline", !on);
    });
    hintEl.textContent = tool ? msg("tool-" + tool) : "";
    root.classList.toggle("is-placing", ["building", "label", "north_arrow", "legend"].indexOf(tool) >= 0);
    // While a shape is drawn, taps on marks go through to the map (a route runs over them).
    root.classList.toggle("is-drawing", tool === "boundary" || tool === "route");
    if (tool === "boundary") { map.pm.enableDraw("Polygon", { snappable: true }); }
    if (tool === "route") { map.pm.enableDraw("Line", { snappable: true, finishOn: "dblclick" }); }
    if (tool === "edit") { map.pm.enableGlobalEditMode({ snappable: true }); }
    if (tool === "move") { map.pm.enableGlobalDragMode(); }
    if (tool === "remove") { map.pm.enableGlobalRemovalMode(); }
  }
  toolButtons.forEach(function (button) {
    button.setAttribute("aria-pressed", "false");
    button.addEventListener("click", function () { setTool(button.getAttribute("data-tool")); });
  });

  map.on("pm:create", function (event) {
    var kind = tool === "route" ? "route" : "boundary";
    event.layer.feature = { type: "Feature", properties: { kind: kind } };
    decorate(event.layer);
    setTool(tool);  // the shape is done: leave the tool
    changed();
  });
  map.on("pm:remove", function (event) {
    if (event.layer === selected) { select(null); }
    changed();
  });
  map.on("pm:globaleditmodetoggled pm:globaldragmodetoggled", function (event) {
    if (!event.enabled) { changed(); }
  });

  function placeSingle(kind, latlng, props) {
    var existing = null;
    drawn.eachLayer(function (layer) {
      if (layer.feature && layer.feature.properties.kind === kind) { existing = layer; }
    });
    if (existing) { drawn.removeLayer(existing); }
    addFeature(markerFor(props, latlng));
  }
  map.on("click", function (event) {
    var x = event.latlng.lng, y = event.latlng.lat;
    if (tool === "building") {
      var hit = footprints.filter(function (points) { return inside(x, y, points); })[0];
      var at = hit ? centre(hit) : [x, y];
      var props = { kind: "building", number: nextNumber() };
      if (markType && markType.value) { props.building_type = markType.value; }
      var marker = markerFor(props, ll(at[0], at[1]));
      addFeature(marker);
      select(marker);
      changed();
    } else if (tool === "label") {
      var name = labelText.value.trim();
      if (!name) { hintEl.textContent = msg("need-label"); labelText.focus(); return; }
      addFeature(markerFor({ kind: labelKind.value, label: name }, event.latlng));
      labelText.value = "";
      changed();
    } else if (tool === "north_arrow") {
      placeSingle("north_arrow", event.latlng, { kind: "north_arrow", angle: 0 });
      changed();
    } else if (tool === "legend") {
      placeSingle("legend", event.latlng, { kind: "legend" });
      changed();
    } else if (!tool) {
      select(null);
    }
  });

  headerForm.addEventListener("input", scheduleSave);
  headerForm.addEventListener("change", changed);
  headerForm.addEventListener("submit", function (event) { event.preventDefault(); changed(); });
  C.submitAfterSaving(undo.record, saving.save);

  C.start(root, showField, function (drawing) {
    restore(drawing);
    undo.record();
  }, saving.setStatus);
})();
