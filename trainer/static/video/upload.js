// Uploads a clip with tus-js-client: 8 MiB chunks, retries after a dropped connection, and
// resumes an interrupted upload of the same file (its URL is kept in localStorage).
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.tus) { return; }
  var fileInput = document.getElementById("clip-file");
  var titleInput = document.getElementById("clip-title");
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  var pause = document.getElementById("upload-pause");
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var current = null;

  function say(text) { status.textContent = text; }

  function serverMessage(error) {
    var response = error && error.originalResponse;
    if (!response) { return error ? String(error.message || error) : ""; }
    try { return JSON.parse(response.getBody()).message; } catch (e) { return response.getBody(); }
  }

  function start(file) {
    bar.hidden = false;
    pause.hidden = false;
    current = new tus.Upload(file, {
      endpoint: form.dataset.endpoint,
      chunkSize: 8 * 1024 * 1024,
      retryDelays: [0, 1000, 3000, 5000, 10000],
      headers: { "X-CSRFToken": token },
      metadata: { filename: file.name, title: titleInput.value || "" },
      removeFingerprintOnSuccess: true,
      onShouldRetry: function (error) {
        var response = error.originalResponse;
        var code = response ? response.getStatus() : 0;
        if (code === 507) { return false; }  // the disk is full: the server discarded it
        if (code === 423) { return true; }  // an earlier request still holds the upload
        if (code === 0 || code >= 500) { say(form.dataset.msgOffline); return true; }
        return false;
      },
      onProgress: function (sent, total) {
        var percent = total ? Math.floor(sent / total * 100) : 0;
        bar.value = percent;
        say(percent + "%");
      },
      onSuccess: function (payload) {
        bar.value = 100;
        pause.hidden = true;
        say(form.dataset.msgDone);
        var location = payload && payload.lastResponse && payload.lastResponse.getHeader("Clip-Location");
        if (location) { window.location.assign(location); }
      },
      onError: function (error) {
        pause.hidden = true;
        say(form.dataset.msgFailed + " " + serverMessage(error));
        status.classList.add("field-error");
      }
    });
    current.findPreviousUploads().then(function (previous) {
      if (previous.length) { current.resumeFromPreviousUpload(previous[0]); }
      current.start();
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    status.classList.remove("field-error");
    var file = fileInput.files && fileInput.files[0];
    if (!file) { say(form.dataset.msgChoose); return; }
    start(file);
  });

  pause.addEventListener("click", function () {
    if (!current) { return; }
    if (pause.dataset.paused) {
      delete pause.dataset.paused;
      current.start();
    } else {
      pause.dataset.paused = "1";
      current.abort();
    }
  });
})();
