// Drag over the poster frame to fill the redaction form's rectangle (in percent).
(function () {
  "use strict";
  var pad = document.getElementById("redact-pad");
  var form = document.getElementById("redaction-form");
  if (!pad || !form) { return; }
  var image = pad.querySelector("img");
  var box = pad.querySelector(".redact-box");
  var start = null;

  function point(event) {
    var rect = image.getBoundingClientRect();
    return {
      x: Math.min(Math.max((event.clientX - rect.left) / rect.width, 0), 1),
      y: Math.min(Math.max((event.clientY - rect.top) / rect.height, 0), 1)
    };
  }
  function show(a, b) {
    var left = Math.min(a.x, b.x), top = Math.min(a.y, b.y);
    var width = Math.abs(a.x - b.x), height = Math.abs(a.y - b.y);
    box.hidden = false;
    box.style.left = left * 100 + "%";
    box.style.top = top * 100 + "%";
    box.style.width = width * 100 + "%";
    box.style.height = height * 100 + "%";
    form.elements.x.value = (left * 100).toFixed(1);
    form.elements.y.value = (top * 100).toFixed(1);
    form.elements.w.value = Math.max(width * 100, 0.5).toFixed(1);
    form.elements.h.value = Math.max(height * 100, 0.5).toFixed(1);
  }
  // Show the frame at the blur's start time, so the rectangle is drawn where the thing is.
  function seconds(text) {
    var total = 0;
    var parts = String(text || "").trim().split(":");
    for (var i = 0; i < parts.length; i++) {
      var value = parseFloat(parts[i]);
      if (isNaN(value)) { return null; }
      total = total * 60 + value;
    }
    return total;
  }
  var from = form.elements.start;
  function showFrame() {
    var at = seconds(from.value);
    if (at !== null && pad.dataset.frameUrl) { image.src = pad.dataset.frameUrl + "?at=" + at; }
  }
  from.addEventListener("change", showFrame);
  if (from.value) { showFrame(); }

  image.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    start = point(event);
    image.setPointerCapture(event.pointerId);
  });
  image.addEventListener("pointermove", function (event) { if (start) { show(start, point(event)); } });
  image.addEventListener("pointerup", function (event) {
    if (start) { show(start, point(event)); start = null; }
  });
})();
