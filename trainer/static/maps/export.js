// Print exports: the SVG comes from the server (made from the saved drawing); PNG is that
// SVG painted on a canvas in the browser. Both wait for a pending save first.
(function () {
  "use strict";
  function editor() { return window.MapEditor || window.DivisionEditor; }
  function flushed() {
    return editor() ? editor().flush() : Promise.resolve();
  }
  function download(href, filename) {
    var link = document.createElement("a");
    link.href = href;
    link.download = filename;
    document.body.appendChild(link);
    link.click();
    link.remove();
  }
  document.addEventListener("click", function (event) {
    var svgLink = event.target.closest("a[data-test=export-svg]");
    if (svgLink && editor()) {
      event.preventDefault();
      flushed().then(function () {
        // a link with a file name downloads it; the others answer as an attachment
        var name = svgLink.getAttribute("download");
        if (name) { download(svgLink.href, name); } else { window.location.href = svgLink.href; }
      });
      return;
    }
    var button = event.target.closest("[data-export-png]");
    if (!button) { return; }
    button.disabled = true;
    flushed().then(function () {
      return fetch(button.getAttribute("data-export-png"), { credentials: "same-origin" });
    }).then(function (response) { return response.text(); }).then(function (svg) {
      var url = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
      var image = new Image();
      image.onload = function () {
        var canvas = document.createElement("canvas");
        canvas.width = image.naturalWidth || 1200;
        canvas.height = image.naturalHeight || 900;
        var context = canvas.getContext("2d");
        context.fillStyle = "#ffffff";
        context.fillRect(0, 0, canvas.width, canvas.height);
        context.drawImage(image, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        canvas.toBlob(function (blob) {
          var png = URL.createObjectURL(blob);
          download(png, button.getAttribute("data-filename") || "map.png");
          setTimeout(function () { URL.revokeObjectURL(png); }, 5000);
          button.disabled = false;
        }, "image/png");
      };
      image.onerror = function () { button.disabled = false; };
      image.src = url;
    }).catch(function () { button.disabled = false; });
  });
})();
