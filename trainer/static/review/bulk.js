// The review queue's bulk actions: "select all on this page" and the count of the selection.
// Progressive enhancement only: without this file each attempt is ticked by hand.
(function () {
  "use strict";
  var form = document.getElementById("bulk-form");
  if (!form) { return; }
  var all = form.querySelector("[data-select-all]");
  var count = form.querySelector("[data-selected-count]");

  function boxes() {
    return Array.prototype.slice.call(
      document.querySelectorAll('input[name="attempts"][form="bulk-form"]'));
  }

  function update() {
    var list = boxes();
    var ticked = list.filter(function (box) { return box.checked; }).length;
    all.checked = list.length > 0 && ticked === list.length;
    all.indeterminate = ticked > 0 && ticked < list.length;
    count.textContent = count.getAttribute("data-template").replace("%(count)s", String(ticked));
  }

  all.closest("label").hidden = false;
  all.addEventListener("change", function () {
    boxes().forEach(function (box) { box.checked = all.checked; });
    update();
  });
  document.addEventListener("change", function (event) {
    if (event.target instanceof HTMLInputElement && event.target.name === "attempts") { update(); }
  });
  update();
})();
