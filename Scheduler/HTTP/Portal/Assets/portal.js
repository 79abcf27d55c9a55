// Suanli portal: the pages work without this script; it only asks before actions that cannot be
// undone (a form with data-confirm) and keeps a form from being sent twice.
"use strict";
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
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
