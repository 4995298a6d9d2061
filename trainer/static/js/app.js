// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // A copy button copies its field's value (a token shown once): the clipboard where the page
  // may write to it, else the field's text is selected and copied the old way.
  document.querySelectorAll(".js-copy").forEach(function (button) {
    var field = document.getElementById(button.dataset.copyFrom);
    if (!field) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () { button.textContent = button.dataset.copied; };
      field.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () {
          if (document.execCommand("copy")) { done(); }
        });
      } else if (document.execCommand("copy")) { done(); }
    });
  });

  // The language menu switches as soon as a language is picked.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.classList.contains("js-autosubmit")) {
      target.form.requestSubmit();
    }
  });

  // Buttons with data-confirm ask before a destructive action.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // A visit's transcript opens at its latest turn, scrolled inside its own box (the page
  // stays at its top). After a step the redirect's #latest does this; a page opened without
  // a fragment (Continue, a plain link) would show the first turns. A fragment that names a
  // turn (#event-7, #latest) is left to the browser.
  function followLatest() {
    if (window.location.hash) { return; }
    document.querySelectorAll("[data-follow=latest]").forEach(function (box) {
      box.scrollTop = box.scrollHeight;
    });
  }
  // A form far down a long page (data-focus-error), sent back with an error, would leave the
  // page at its top with the error out of sight: its first invalid field is shown and focused.
  function showFormError() {
    if (window.location.hash) { return; }
    var field = document.querySelector("form[data-focus-error] [aria-invalid=true], "
                                       + "form[data-focus-error] .field-error");
    if (!field) { return; }
    field.scrollIntoView({block: "center"});
    if (field.matches("input, select, textarea")) { field.focus({preventScroll: true}); }
  }
  function onLoad() { followLatest(); showFormError(); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", onLoad);
  } else {
    onLoad();
  }

  // htmx requests carry the CSRF token from the page's meta tag.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRFToken"] = meta.content; }
  });
})();
