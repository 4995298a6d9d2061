// R601: the province, city and county written out after D7 = 5 and D8 = 4 (→ 省/市/县).
// Each place field (data-place-of="persons-0-D7", data-place-code="5") is shown while its item
// has that code, or while it holds text (so nothing typed disappears; the form's check then
// says it is not asked). Without this script every place field simply shows.
(function () {
  "use strict";
  function update(box) {
    var item = document.getElementById(box.dataset.placeOf);
    var input = box.querySelector("input");
    if (!item || !input) { return; }
    box.hidden = item.value !== box.dataset.placeCode && input.value.trim() === "";
  }
  function all() {
    document.querySelectorAll("[data-place-of]").forEach(update);
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select")) { all(); }
  });
  document.addEventListener("htmx:afterSwap", all);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", all);
  } else {
    all();
  }
}());
