// Keyboard-first forms (data-keyboard): Enter moves to the next field instead of submitting,
// the cursor starts in the first field, and after a refused submit in the first field with an error.
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("form[data-keyboard]"), function (form) {
    var fields = Array.prototype.slice.call(form.querySelectorAll("input, select, textarea")).filter(function (el) {
      return el.type !== "hidden" && el.type !== "submit" && !el.disabled;
    });
    var submit = form.querySelector('button[type="submit"]');
    fields.forEach(function (el, index) {
      el.addEventListener("keydown", function (event) {
        if (event.key !== "Enter" || el.tagName === "TEXTAREA" || event.isComposing) { return; }
        event.preventDefault();
        var next = fields[index + (event.shiftKey ? -1 : 1)];
        if (next) { next.focus(); if (next.select && next.type !== "date") { next.select(); } }
        else if (submit) { submit.focus(); }
      });
    });
    var wrong = form.querySelector(".has-error input, .has-error select, .has-error textarea");
    var first = wrong || fields[0];
    if (first) { first.focus(); }
  });
}());
