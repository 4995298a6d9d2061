// R601: the fields asked only after a given answer of another item. The province, city and
// county written out after D7 = 5 and D8 = 4 (→ 省/市/县); the floor area and rooms (H6, H7)
// of an ordinary dwelling (H5 blank or 1: H5 = 2-5 skips them). Each such field
// (data-place-of="persons-0-D7", data-place-code="5"; several codes separated by commas, an
// empty one for "not answered yet") is shown while its item has one of those codes, or while
// it holds text (so nothing typed disappears; the form's check then says it is not asked).
// Without this script every such field simply shows.
(function () {
  "use strict";
  function update(box) {
    var item = document.getElementById(box.dataset.placeOf);
    var input = box.querySelector("input");
    if (!item || !input) { return; }
    var codes = box.dataset.placeCode.split(",");
    box.hidden = codes.indexOf(item.value) < 0 && input.value.trim() === "";
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
