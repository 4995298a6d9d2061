// The captions form: choosing a language shows that language's saved captions, unless the
// text in the box is not the saved one (typed, pasted, or sent back with an error): then it
// stays, so a trainer who pastes first and chooses the language after loses nothing.
(function () {
  "use strict";
  var form = document.getElementById("captions-form");
  if (!form) { return; }
  var saved = JSON.parse(form.dataset.captions || "{}");
  var language = form.elements.locale;
  var text = form.elements.text;
  var shown = language.value;
  function same(a, b) { return a.replace(/\r\n/g, "\n").trim() === b.replace(/\r\n/g, "\n").trim(); }
  language.addEventListener("change", function () {
    if (same(text.value, saved[shown] || "")) { text.value = saved[language.value] || ""; }
    shown = language.value;
  });
})();
