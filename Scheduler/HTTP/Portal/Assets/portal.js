// Suanli portal: the pages work without this script. It asks before what cannot be undone (a form
// or the button pressed carrying data-confirm), keeps a form from being sent twice, and makes the
// error page's "back" link return to the form as it was typed.
"use strict";
document.addEventListener("submit", function (event) {
  var form = event.target;
  var button = event.submitter;
  var question = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  if (form.getAttribute("method") === "post") {
    if (form.dataset.sent === "yes") {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "yes";
  }
});
// A page shown again from the browser's history (the back button) may be sent again.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-sent]").forEach(function (form) {
    delete form.dataset.sent;
  });
});
document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest("a[data-back]") : null;
  if (link && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});
