// The clip page: chapters and thumbnails seek, a transcript follows playback and seeks on
// click, lesson questions pause the video and are marked by the server, and the ranges played
// are reported to the server.
(function () {
  "use strict";
  var video = document.getElementById("player");
  if (!video) { return; }
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var locale = video.dataset.locale;
  var questions = JSON.parse(video.dataset.questions || "[]");
  var answers = JSON.parse(video.dataset.answers || "{}");
  var asked = {};

  function clock(seconds) {
    var s = Math.floor(seconds);
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  // Seeking from chapters and the thumbnail strip.
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-seek]");
    if (!target) { return; }
    video.currentTime = parseFloat(target.dataset.seek);
    video.play().catch(function () {});
  });

  // Quality: switch the source, keep the moment.
  var quality = document.getElementById("quality");
  if (quality) {
    quality.addEventListener("change", function () {
      var at = video.currentTime, playing = !video.paused;
      video.src = quality.value;
      video.addEventListener("loadedmetadata", function once() {
        video.removeEventListener("loadedmetadata", once);
        video.currentTime = at;
        if (playing) { video.play().catch(function () {}); }
      });
    });
  }

  // Resume where the user stopped last time, or open at the second a link asks for (?t=).
  var resume = parseFloat(video.dataset.resume || "0");
  var linked = video.dataset.start !== undefined;
  video.addEventListener("loadedmetadata", function () {
    if (resume > 0 && (linked || resume < video.duration - 1)) { video.currentTime = resume; }
    resume = 0;
  }, { once: true });

  // Transcript from the captions track of the page's language.
  var transcript = document.getElementById("transcript");
  function captionTrack() {
    var tracks = Array.prototype.filter.call(video.textTracks, function (t) {
      return t.kind === "captions" || t.kind === "subtitles";
    });
    return tracks.find(function (t) { return t.language === locale; }) || tracks[0];
  }
  function buildTranscript(track) {
    if (!transcript || !track || !track.cues || !track.cues.length) { return false; }
    transcript.textContent = "";
    Array.prototype.forEach.call(track.cues, function (cue) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link-button";
      button.dataset.seek = cue.startTime;
      button.dataset.end = cue.endTime;
      button.textContent = clock(cue.startTime) + "  " + cue.text;
      item.appendChild(button);
      transcript.appendChild(item);
    });
    return true;
  }
  var track = captionTrack();
  if (track) {
    if (track.mode === "disabled") { track.mode = "hidden"; }
    var trackElement = Array.prototype.find.call(video.querySelectorAll("track"), function (el) {
      return el.track === track;
    });
    if (!buildTranscript(track) && trackElement) {
      trackElement.addEventListener("load", function () { buildTranscript(track); });
    }
  }
  function highlight() {
    if (!transcript) { return; }
    var now = video.currentTime;
    transcript.querySelectorAll("button").forEach(function (button) {
      var active = now >= parseFloat(button.dataset.seek) && now < parseFloat(button.dataset.end);
      button.classList.toggle("active", active);
      if (active) { button.setAttribute("aria-current", "true"); } else { button.removeAttribute("aria-current"); }
    });
  }

  // Lesson questions. The page holds no answer key (for a trainee): the server records
  // the choice and says whether it was right and which answer is.
  var box = document.getElementById("question-box");
  function mark(index, choice) {
    return fetch(video.dataset.answerUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json" },
      body: JSON.stringify({ question: index, choice: choice })
    }).then(function (response) {
      if (!response.ok) { throw new Error("answer refused: " + response.status); }
      return response.json();
    });
  }
  function ask(index) {
    var question = questions[index];
    asked[index] = true;
    video.pause();
    box.hidden = false;
    document.getElementById("question-text").textContent = locale === "en" ? question.en : question.zh;
    var choices = document.getElementById("question-choices");
    var feedback = document.getElementById("question-feedback");
    var next = document.getElementById("question-continue");
    choices.textContent = "";
    feedback.textContent = "";
    next.hidden = true;
    (locale === "en" ? question.choices_en : question.choices_zh).forEach(function (text, choice) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "outline";
      button.textContent = text;
      button.addEventListener("click", function () {
        var buttons = choices.querySelectorAll("button");
        buttons.forEach(function (b) { b.disabled = true; });
        feedback.textContent = "";
        mark(index, choice).then(function (marked) {
          answers[index] = marked.choice;
          buttons.forEach(function (b, n) {
            if (n === marked.answer) { b.classList.add("right-answer"); }
          });
          feedback.textContent = document.getElementById(
            marked.right ? "question-right" : "question-wrong").textContent;
          next.hidden = false;
          next.focus();
        }).catch(function () {
          buttons.forEach(function (b) { b.disabled = false; });
          feedback.textContent = document.getElementById("question-unsent").textContent;
        });
      });
      choices.appendChild(button);
    });
    choices.querySelector("button").focus();
  }
  var next = document.getElementById("question-continue");
  if (next) {
    next.addEventListener("click", function () {
      box.hidden = true;
      video.play().catch(function () {});
    });
  }

  video.addEventListener("timeupdate", function () {
    highlight();
    questions.forEach(function (question, index) {
      if (!asked[index] && answers[index] === undefined && video.currentTime >= question.at &&
          video.currentTime < question.at + 1.5) { ask(index); }
    });
  });

  // Progress: the ranges the browser has played, sent now and then and when leaving.
  var watched = document.getElementById("watched");
  function report() {
    var segments = [];
    for (var i = 0; i < video.played.length; i++) {
      segments.push([video.played.start(i), video.played.end(i)]);
    }
    var body = JSON.stringify({ segments: segments, position: video.currentTime });
    return fetch(video.dataset.progressUrl, {
      method: "POST", credentials: "same-origin", keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json" },
      body: body
    }).then(function (response) { return response.ok ? response.json() : null; }).then(function (data) {
      if (data && watched) {
        watched.dataset.watched = data.watched;
        watched.dataset.completed = data.completed ? "1" : "";
        // what the trainee reads changes too: the share watched, and "completed" at 90 %
        watched.textContent = watched.dataset.text.replace("{s}", Math.round(data.watched)) +
          (data.completed ? " · " + watched.dataset.completedText : "");
      }
    }).catch(function () {});
  }
  var timer = null;
  video.addEventListener("play", function () { timer = timer || setInterval(report, 10000); });
  video.addEventListener("pause", function () { clearInterval(timer); timer = null; report(); });
  video.addEventListener("ended", report);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && video.played.length) { report(); }
  });
})();
