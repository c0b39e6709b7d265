// Polls the sheet's status while it is applied; moves to the results when done.
// The state's label comes from the server in the page's language (status.json).
(function () {
  "use strict";
  var card = document.getElementById("progress-card");
  if (!card) { return; }
  var url = card.getAttribute("data-status-url");
  var bar = document.getElementById("progress");
  var percent = document.getElementById("percent");
  var state = document.getElementById("progress-state");

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        bar.value = data.percent;
        bar.textContent = data.percent + "%";
        percent.textContent = data.percent;
        state.textContent = data.label;
        card.setAttribute("data-polled", "1");
        if (data.done) {
          window.setTimeout(function () { window.location.assign(data.url); }, 800);
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  poll();
})();
