// The scenario editor (scenarios/edit.html). Without this file the page is a textarea with a
// Save button; with it the text is a CodeMirror YAML editor that autosaves a second after
// typing stops, marks the problems the server finds at their lines, and redraws the panels
// (problems, graph, variables, texts) from each save's answer. A large draft's save answers
// without checking it (a note says so); "Check the draft now" saves, then asks for the check.
(function () {
  "use strict";
  var form = document.getElementById("draft-form");
  if (!form || !window.CodeMirror) { return; }
  var textarea = document.getElementById("source");
  var revision = document.getElementById("revision");
  var status = document.getElementById("save-status");
  var panels = document.getElementById("panels");
  var note = document.getElementById("check-note");
  var csrf = form.querySelector('input[name="csrf_token"]').value;
  var problems = [];
  var timer = null;
  var dirty = false;
  var stopped = false; // a conflict: the text changed elsewhere; saving waits for a reload
  var quiet = false; // the text is being replaced by the server's: no autosave for that
  var tab = "problems";

  var editor = window.CodeMirror.fromTextArea(textarea, {
    mode: "yaml", lineNumbers: true, indentUnit: 2, tabSize: 2, lineWrapping: true,
    styleActiveLine: true, gutters: ["CodeMirror-lint-markers", "CodeMirror-linenumbers"],
    extraKeys: {
      Tab: function (cm) { cm.replaceSelection("  "); },
      "Ctrl-S": function () { dirty = true; save(); }, "Cmd-S": function () { dirty = true; save(); }
    },
    lint: { getAnnotations: annotations, lintOnChange: false }
  });
  editor.getWrapperElement().setAttribute("data-test", "code-editor");
  form.classList.add("js-editor");

  function annotations() {
    return problems.map(function (p) {
      var line = Math.max(0, p.line - 1);
      var text = editor.getLine(line) || "";
      var from = Math.min(Math.max(0, p.column - 1), text.length);
      return { from: window.CodeMirror.Pos(line, from),
               to: window.CodeMirror.Pos(line, Math.max(from + 1, text.length)),
               message: p.message, severity: "error" };
    });
  }

  function say(text) { status.textContent = text; }

  function post(url, data) {
    return fetch(url, { method: "POST", body: data, credentials: "same-origin",
                        headers: { "Accept": "application/json", "X-CSRFToken": csrf } })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          return { ok: response.ok, status: response.status, body: body };
        });
      });
  }

  function applyAnswer(body) {
    if (body.revision !== undefined) {
      revision.value = body.revision;
      var publishRevision = document.getElementById("publish-revision");
      if (publishRevision) { publishRevision.value = body.revision; }
      say(form.dataset.saved.replace("__N__", body.revision));
    }
    if (body.note !== undefined && note) { note.innerHTML = body.note; }
    if (body.html !== undefined) {
      panels.innerHTML = body.html;
      problems = body.problems || [];
      editor.performLint();
      fillNodes();
      show(tab);
    }
  }

  // One save at a time: each carries the revision the last answer gave, so a save asked for
  // while another is on its way waits for it (else it would be refused as stale). `after`
  // runs once the text is saved (the node form and a new node need the saved text).
  var saving = false;
  var waiting = [];
  function save(after) {
    if (after) { waiting.push(after); }
    if (stopped || saving) { return; }
    clearTimeout(timer);
    if (!dirty) { flush(); return; }
    saving = true;
    dirty = false; // typing from now on makes it dirty again
    var data = new FormData();
    data.append("csrf_token", csrf);
    data.append("source", editor.getValue());
    data.append("revision", revision.value);
    say(form.dataset.saving);
    post(form.dataset.saveUrl, data).then(function (answer) {
      saving = false;
      if (answer.ok) {
        applyAnswer(answer.body);
        if (dirty) { save(); } else { flush(); }
        return;
      }
      dirty = true;
      waiting = [];
      if (answer.status === 409) { stopped = true; }
      say(form.dataset.failed.replace("__R__", answer.body.message || answer.status));
    }).catch(function () {
      saving = false;
      dirty = true;
      waiting = [];
      say(form.dataset.offline);
    });
  }
  function flush() {
    var next = waiting;
    waiting = [];
    next.forEach(function (run) { run(); });
  }

  editor.on("change", function () {
    if (quiet) { return; }
    dirty = true;
    clearTimeout(timer);
    timer = setTimeout(save, 1000);
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); dirty = true; save(); });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  // --- panels: tabs, jumping to a line, the node form, the bot ------------------------------
  var tabs = document.querySelectorAll("[data-tab]");
  function show(name) {
    tab = name;
    ["problems", "graph", "variables", "texts", "playtest", "publish", "node"].forEach(function (key) {
      var panel = document.getElementById("panel-" + key);
      if (panel) { panel.hidden = key !== name; }
    });
    tabs.forEach(function (button) {
      button.setAttribute("aria-selected", button.dataset.tab === name ? "true" : "false");
      button.classList.toggle("outline", button.dataset.tab !== name);
    });
  }
  tabs.forEach(function (button) {
    button.addEventListener("click", function () { show(button.dataset.tab); });
  });
  show(problems.length ? "problems" : "problems");

  function gotoLine(line, column) {
    editor.focus();
    editor.setCursor(Math.max(0, line - 1), Math.max(0, (column || 1) - 1));
    editor.scrollIntoView(null, 120);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest(".goto-line");
    if (link) {
      event.preventDefault();
      gotoLine(Number(link.dataset.line), Number(link.dataset.column || 1));
      return;
    }
    var node = event.target.closest(".graph-node");
    if (node) {
      event.preventDefault();
      gotoLine(Number(node.dataset.line), 1);
      openNode(node.dataset.dialogue, node.dataset.node);
      return;
    }
    var bot = event.target.closest(".js-run-bot");
    if (bot) {
      bot.disabled = true;
      bot.textContent = bot.dataset.running;
      var data = new FormData();
      data.append("csrf_token", csrf);
      post(bot.dataset.url, data).then(function (answer) {
        if (answer.ok) { applyAnswer(answer.body); } else {
          bot.disabled = false;
          bot.textContent = answer.body.message || String(answer.status);
        }
      });
    }
  });

  // `note`: what the form says beside its save button (the node just saved), if anything.
  function openNode(dialogue, node, note) {
    var url = form.dataset.nodeUrl.replace("__D__", encodeURIComponent(dialogue))
      .replace("__N__", encodeURIComponent(node));
    var run = function () {
      fetch(url, { credentials: "same-origin" }).then(function (response) {
        return response.text().then(function (html) { return { ok: response.ok, html: html }; });
      }).then(function (answer) {
        document.getElementById("node-panel").innerHTML = answer.html;
        var saved = document.querySelector("#node-panel .node-saved");
        if (saved && note) { saved.textContent = note; }
        show("node");
      });
    };
    save(run);
  }

  // The node form writes the node back into the text on the server, which answers the text;
  // a new node is added the same way, and then opens in its form.
  document.addEventListener("submit", function (event) {
    var nodeForm = event.target.closest(".node-form, .add-node-form");
    if (!nodeForm) { return; }
    event.preventDefault();
    save(function () { sendNode(nodeForm); }); // the text typed so far is saved first
  });

  function sendNode(nodeForm) {
    var data = new FormData(nodeForm);
    data.set("revision", revision.value);
    saving = true;
    editor.setOption("readOnly", true); // the answer brings the whole text back
    var done = function () { saving = false; editor.setOption("readOnly", false); };
    post(nodeForm.action, data).then(function (answer) {
      done();
      var error = nodeForm.querySelector(".node-form-error");
      if (!answer.ok) {
        error.textContent = answer.body.message || String(answer.status);
        error.hidden = false;
        return;
      }
      error.hidden = true;
      var cursor = editor.getCursor();
      quiet = true;
      editor.setValue(answer.body.source);
      quiet = false;
      editor.setCursor(cursor);
      dirty = false;
      applyAnswer(answer.body);
      var note = form.dataset.saved.replace("__N__", answer.body.revision);
      if (answer.body.node) { openNode(answer.body.dialogue, answer.body.node, note); } else {
        var saved = nodeForm.querySelector(".node-saved");
        if (saved) { saved.textContent = note; }
        show("node");
      }
    }).catch(function () { done(); say(form.dataset.offline); });
  }

  // A large draft's check: the text typed so far is saved first, then checked in full.
  document.addEventListener("submit", function (event) {
    var checkForm = event.target.closest(".check-form");
    if (!checkForm) { return; }
    event.preventDefault();
    var button = checkForm.querySelector("button");
    button.disabled = true;
    button.textContent = checkForm.dataset.running;
    save(function () {
      var data = new FormData();
      data.append("csrf_token", csrf);
      post(checkForm.dataset.url, data).then(function (answer) {
        if (answer.ok) { applyAnswer(answer.body); } else {
          button.disabled = false;
          button.textContent = answer.body.message || String(answer.status);
        }
      }).catch(function () { button.disabled = false; say(form.dataset.offline); });
    });
  });

  // --- playtest: the node list, and the editor's text in every playtest request ------------
  // Nodes are listed in the order of the text (the JSON's keys come sorted), and until one is
  // chosen the first dialogue's start node is (it was the alphabetically first node).
  function fillNodes() {
    var data = document.getElementById("dialogue-nodes");
    var starts = document.getElementById("dialogue-starts");
    var select = document.getElementById("pt-node");
    if (!data || !select) { return; }
    var places = JSON.parse(data.textContent);
    var first = Object.keys(places)[0];
    var start = first && starts ? JSON.parse(starts.textContent)[first] : null;
    var chosen = select.value || (first && start ? first + "/" + start : "");
    select.innerHTML = "";
    Object.keys(places).forEach(function (dialogue) {
      var group = document.createElement("optgroup");
      group.label = dialogue;
      Object.keys(places[dialogue]).sort(function (a, b) {
        return places[dialogue][a] - places[dialogue][b];
      }).forEach(function (node) {
        var option = document.createElement("option");
        option.value = dialogue + "/" + node;
        option.textContent = node;
        if (option.value === chosen) { option.selected = true; }
        group.appendChild(option);
      });
      select.appendChild(group);
    });
  }
  fillNodes();
  document.body.addEventListener("htmx:configRequest", function (event) {
    if (!event.detail.elt.closest("#panel-playtest")) { return; }
    event.detail.parameters.source = editor.getValue();
    var node = event.detail.parameters.node;
    if (node && node.indexOf("/") > 0) {
      event.detail.parameters.dialogue = node.split("/")[0];
      event.detail.parameters.node = node.split("/")[1];
    }
  });
  // a playtest answered with an error (400) is still shown in the panel
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target.id === "playtest" && event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
