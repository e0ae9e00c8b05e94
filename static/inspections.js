// Keyboard result entry (检验结果录入): check each value as it is typed, save it to the server
// when the field is left, and show the clause outcome and the verdict the server's engine reaches.
// No judging happens here: this file only checks the shape of what was typed.
(function () {
  "use strict";
  var form = document.getElementById("entry");
  if (!form) { return; }
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = tokenMeta ? tokenMeta.getAttribute("content") : "";
  var inputs = Array.prototype.slice.call(form.querySelectorAll("input.value"));
  var conflict = document.getElementById("conflict");
  var lockVersion = parseInt(form.dataset.lockVersion, 10);
  // The page's language: the server puts the words in data-words.
  var WORDS = JSON.parse(form.dataset.words || "{}");
  var YES_NO = ["1", "0", "y", "n", "yes", "no", "true", "false", "是", "否", "合格", "不合格"];
  var queue = Promise.resolve();

  function messageCell(input) { return input.closest("tr").querySelector("td.message"); }

  function show(input, message) {
    messageCell(input).textContent = message || "";
    input.classList.toggle("invalid", !!message);
    input.setAttribute("aria-invalid", message ? "true" : "false");
  }

  // Shape checks only; limits and impossible values are the server's to judge.
  function shapeProblem(input) {
    var text = input.value.replace(/[\uff10-\uff19\uff0e]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xfee0);
    }).trim();
    if (text === "") { return ""; }
    var kind = input.dataset.kind;
    if (kind === "boolean") {
      return YES_NO.indexOf(text.toLowerCase()) >= 0 ? "" : WORDS.yes_no;
    }
    if (text.indexOf(",") >= 0 || text.indexOf("，") >= 0) { return WORDS.comma; }
    if (kind === "attribute") {
      return /^\d+$/.test(text) ? "" : WORDS.count;
    }
    if (/^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$/.test(text)) { return WORDS.scientific; }
    return /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text) ? "" : WORDS.number.replace("%s", text);
  }

  function showVerdict(verdict) {
    verdict.clauses.forEach(function (c) {
      var cell = form.querySelector('[data-outcome-for="' + CSS.escape(c.number) + '"]');
      if (!cell) { return; }
      cell.textContent = WORDS[c.outcome] || c.outcome;
      cell.className = "outcome " + c.outcome;
      cell.title = c.reason;
    });
    var outcome = document.getElementById("verdict-outcome");
    outcome.textContent = WORDS[verdict.outcome] || verdict.outcome;
    outcome.className = verdict.outcome;
    ["A", "B", "C"].forEach(function (c) { document.getElementById("failed-" + c).textContent = verdict.failed[c]; });
    document.getElementById("verdict-reason").textContent = verdict.reason;
  }

  function save(input) {
    var body = JSON.stringify({
      lock_version: lockVersion,
      results: [{ clause: input.dataset.clause, unit: parseInt(input.dataset.unit, 10), value: input.value }]
    });
    // One save at a time, so each carries the lock version the previous one returned.
    queue = queue.then(function () {
      body = JSON.parse(body); body.lock_version = lockVersion; body = JSON.stringify(body);
      return fetch(form.dataset.saveUrl, {
        method: "POST", credentials: "same-origin", body: body,
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" }
      }).then(function (response) {
        return response.json().then(function (data) { return { status: response.status, data: data }; });
      }).then(function (reply) {
        if (reply.status === 200) {
          lockVersion = reply.data.lock_version;
          show(input, "");
          input.classList.add("saved");
          showVerdict(reply.data.verdict);
          reserve();
          if (document.activeElement && document.activeElement.classList.contains("value")) {
            keepInView(document.activeElement);  // a longer verdict reason makes the panel taller
          }
        } else if (reply.status === 409) {
          conflict.textContent = reply.data.error.message;
          conflict.hidden = false;
          show(input, WORDS.unsaved);
        } else {
          var problems = (reply.data.error.details || {}).problems || [];
          show(input, problems.length ? problems[0].message : reply.data.error.message);
        }
      }).catch(function () { show(input, WORDS.network); });
    });
  }

  // The sticky verdict panel sits over the bottom of the window: keep the focused row clear of it.
  var panel = document.querySelector(".verdict");
  var MARGIN = 16;
  function panelHeight() { return panel ? panel.getBoundingClientRect().height : 0; }
  function reserve() {
    document.documentElement.style.scrollPaddingBottom = (panelHeight() + MARGIN) + "px";
    document.documentElement.style.scrollPaddingTop = MARGIN + "px";
  }
  function keepInView(input) {
    var row = input.closest("tr") || input;
    var box = row.getBoundingClientRect();
    var bottom = window.innerHeight - panelHeight() - MARGIN;
    if (box.bottom > bottom) {
      window.scrollBy(0, box.bottom - bottom);
    } else if (box.top < MARGIN) {
      window.scrollBy(0, box.top - MARGIN);
    }
  }
  reserve();
  window.addEventListener("resize", reserve);

  inputs.forEach(function (input, index) {
    input.addEventListener("focus", function () {
      keepInView(input);
      // The browser may scroll the field into view itself after focus: check again once it has.
      window.requestAnimationFrame(function () { keepInView(input); });
    });
    input.addEventListener("input", function () {
      input.classList.remove("saved");
      show(input, shapeProblem(input));
    });
    input.addEventListener("change", function () {
      if (!shapeProblem(input)) { save(input); }
    });
    input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") { return; }
      event.preventDefault();
      var next = inputs[index + (event.shiftKey ? -1 : 1)];
      if (next) { next.focus(); next.select(); } else { document.getElementById("done").focus(); }
    });
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  var firstEmpty = inputs.filter(function (i) { return i.value === ""; })[0] || inputs[0];
  if (firstEmpty) { firstEmpty.focus(); }
}());
