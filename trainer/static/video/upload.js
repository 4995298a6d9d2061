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

  // "The upload failed:" and the reason: a space after an English colon, none after the
  // full-width Chinese one (which has its own room).
  function failed(reason) {
    var lead = form.dataset.msgFailed;
    return lead + (/：$/.test(lead) ? "" : " ") + reason;
  }

  // The server discarded the upload (a full disk): forget its URL, which a later try would
  // otherwise resume, meeting a 404 before it starts afresh.
  function forget(upload) {
    var storage = upload.options.urlStorage;
    if (!storage) { return; }
    upload.findPreviousUploads().then(function (previous) {
      previous.forEach(function (found) {
        if (found.uploadUrl === upload.url) { storage.removeUpload(found.urlStorageKey); }
      });
    });
  }

  function start(file) {
    bar.value = 0;
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
        var response = error && error.originalResponse;
        pause.hidden = true;
        bar.hidden = true;  // stopped: a bar left part-way would look stuck
        if (response && response.getStatus() === 507) { forget(current); }
        say(failed(serverMessage(error)));
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
