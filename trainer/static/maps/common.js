// What the map editor (editor.js) and the division editor (division.js) share, loaded before
// either: the plane's helpers (metres, L.CRS.Simple), the field view's styles, saving the whole
// GeoJSON after every edit, undo/redo over snapshots of it, and the start-up sequence.
window.MapCommon = (function () {
  "use strict";

  // The map's latlng is (y north, x east) in metres.
  function ll(x, y) { return L.latLng(y, x); }
  function ring(points) { return points.map(function (p) { return ll(p[0], p[1]); }); }
  function centre(points) {
    var xs = 0, ys = 0;
    points.forEach(function (p) { xs += p[0]; ys += p[1]; });
    return [xs / points.length, ys / points.length];
  }
  function messages(root) {
    return function (name) { return root.getAttribute("data-msg-" + name) || ""; };
  }

  // The field view ------------------------------------------------------------------------
  var FIELD_STYLE = {
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
                    FIELD_STYLE[kind] || FIELD_STYLE.landmark);
  }
  function footprint(points) {
    return L.polygon(ring(points), L.extend(fieldOptions("building"),
      { color: "#374151", weight: 1, fillColor: "#e5e7eb", fillOpacity: 0.9 }));
  }
  // Roads, water and landmarks with their names (lines under areas), then fit the view.
  function showGround(map, layer, field) {
    field.features.filter(function (f) { return f.line; }).concat(
      field.features.filter(function (f) { return !f.line; })).forEach(function (f) {
      var shape = f.line ? L.polyline(ring(f.coordinates), fieldOptions(f.kind))
                         : L.polygon(ring(f.coordinates), fieldOptions(f.kind));
      shape.addTo(layer);
      if (f.kind !== "field") {
        shape.bindTooltip(f.name, { permanent: true, direction: "center",
                                    className: "field-name field-name-" + f.kind });
      }
    });
  }
  function fit(map, bounds) {
    map.fitBounds(L.latLngBounds(ll(bounds[0][0], bounds[0][1]), ll(bounds[1][0], bounds[1][1])),
                  { padding: [10, 10] });
  }
  function newMap(root, colour) {
    var map = L.map(root, { crs: L.CRS.Simple, minZoom: -3, maxZoom: 4, zoomSnap: 0.25,
                            attributionControl: false, zoomControl: false });
    // Leaflet's own zoom buttons are titled in English: these speak the page's language.
    var msg = messages(root);
    L.control.zoom({ zoomInTitle: msg("zoom-in"), zoomOutTitle: msg("zoom-out") }).addTo(map);
    var drawn = L.featureGroup().addTo(map);
    map.pm.setGlobalOptions({ snappable: true, snapDistance: 16, layerGroup: drawn,
                              allowSelfIntersection: true, templineStyle: { color: colour },
                              hintlineStyle: { color: colour, dashArray: "4 4" } });
    map.pm.setLang(document.documentElement.lang === "zh-CN" ? "zh" : "en");
    return { map: map, field: L.layerGroup().addTo(map), drawn: drawn };
  }

  // Saving: debounced, one request at a time, the latest drawing always wins ---------------
  // `serialise()` gives the drawing; `report(field, error)` is told each answer (null, "" when
  // saved). The drawing is saved on leaving the page too.
  function saver(root, serialise, report) {
    var msg = messages(root);
    var token = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
    var statusEl = document.getElementById("map-status");
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
        keepalive: Boolean(leaving) && body.length < 60000,  // browsers cap keepalive bodies
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token },
        body: body
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (response.ok) {
            // "Saved at ..." only when nothing newer waits: a change made while this request
            // was on its way is not saved yet (its own save follows), and must not look saved.
            if (!dirty && !timer) { setStatus(data.message, "ok"); }
            report(null, "");
          } else {
            var error = data.error || data.message || String(response.status);
            setStatus(msg("not-saved").replace("%(error)s", error), "error");
            report(data.field, error);
          }
        });
      }, function () {
        setStatus(msg("offline"), "error");
        timer = setTimeout(save, 5000);  // try again: the drawing is still in the page
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
    window.addEventListener("pagehide", function () { if (timer || dirty) { save(true); } });
    return { save: save, scheduleSave: scheduleSave, flush: flush, setStatus: setStatus };
  }

  // Undo and redo: snapshots of the whole drawing -------------------------------------------
  // `restore(data)` redraws a snapshot; `stepped()` is called after each undo or redo.
  function history(serialise, restore, stepped) {
    var snapshots = [], at = -1;
    var undoButton = document.querySelector("[data-action=undo]");
    var redoButton = document.querySelector("[data-action=redo]");
    function update() {
      undoButton.disabled = at <= 0;
      redoButton.disabled = at >= snapshots.length - 1;
    }
    function record() {
      var snapshot = JSON.stringify(serialise());
      if (snapshots[at] === snapshot) { return false; }
      snapshots = snapshots.slice(0, at + 1);
      snapshots.push(snapshot);
      if (snapshots.length > 200) { snapshots.shift(); }
      at = snapshots.length - 1;
      update();
      return true;
    }
    function step(delta) {
      var next = at + delta;
      if (next < 0 || next >= snapshots.length) { return; }
      at = next;
      restore(JSON.parse(snapshots[at]));
      update();
      stepped();
    }
    undoButton.addEventListener("click", function () { step(-1); });
    redoButton.addEventListener("click", function () { step(1); });
    document.addEventListener("keydown", function (event) {
      if (!(event.ctrlKey || event.metaKey) || event.target.closest("input, select, textarea")) { return; }
      if (event.key === "z" && !event.shiftKey) { event.preventDefault(); step(-1); }
      if (event.key === "y" || (event.key === "z" && event.shiftKey)) { event.preventDefault(); step(1); }
    });
    return { record: record };
  }

  // Submitting: the last edit is saved first, then the form goes.
  function submitAfterSaving(record, save) {
    var form = document.getElementById("map-submit");
    if (!form) { return; }
    form.addEventListener("submit", function (event) {
      if (form.dataset.flushed) { return; }
      event.preventDefault();
      record();
      save().then(function () {
        form.dataset.flushed = "1";
        form.submit();
      });
    });
  }

  // Start: the field view, then the saved drawing; `loaded(drawing)` restores it.
  function start(root, showField, loaded, setStatus) {
    var msg = messages(root);
    var json = { credentials: "same-origin", headers: { "Accept": "application/json" } };
    fetch(root.getAttribute("data-field-url"), json)
      .then(function (response) { return response.json(); })
      .then(function (field) {
        showField(field);
        return fetch(root.getAttribute("data-drawing-url"), json);
      })
      .then(function (response) { return response.json(); })
      .then(function (saved) {
        loaded(saved.drawing);
        setStatus(saved.drawing ? msg("loaded") : msg("new"), saved.drawing ? "ok" : "");
        root.setAttribute("data-ready", "1");
      });
  }

  return { ll: ll, ring: ring, centre: centre, messages: messages, fieldOptions: fieldOptions,
           footprint: footprint, showGround: showGround, fit: fit, newMap: newMap,
           saver: saver, history: history, submitAfterSaving: submitAfterSaving, start: start };
})();
