// A timed exam's countdown (progressive enhancement: the page already shows the time left).
// It counts down the server's figure from when the page loaded, so the browser's own clock
// does not matter; the server alone decides when the time is up. At zero the page reloads,
// and the server submits the attempt and shows it as submitted.
(function () {
  "use strict";
  var box = document.querySelector("[data-seconds-left]");
  if (!box) { return; }
  var shown = box.querySelector("[data-countdown]");
  var total = parseInt(box.getAttribute("data-seconds-left"), 10) || 0;
  var loaded = Date.now();
  var timer = null;

  function pad(number) { return (number < 10 ? "0" : "") + number; }

  function tick() {
    var left = Math.max(0, total - Math.floor((Date.now() - loaded) / 1000));
    shown.textContent = Math.floor(left / 60) + ":" + pad(left % 60);
    if (left === 0) {
      window.clearInterval(timer);
      shown.textContent = box.getAttribute("data-expired");
      window.setTimeout(function () {  // a fresh GET, never a repeated POST
        window.location.assign(window.location.pathname + window.location.search);
      }, 2000);
    }
  }

  timer = window.setInterval(tick, 1000);
  tick();
})();
