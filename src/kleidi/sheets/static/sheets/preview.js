// The sheet preview: an error link moves focus to its cell (the cell is also the
// page's :target); the confirmation form is sent once (the server's lock is what
// guarantees one apply; this only spares the second click).
(function () {
  "use strict";

  function focusTarget() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    if (!id) { return; }
    var target = document.getElementById(id);
    if (target && target.hasAttribute("tabindex")) {
      target.focus({ preventScroll: false });
      target.scrollIntoView({ block: "center", inline: "center" });
    }
  }

  window.addEventListener("hashchange", focusTarget);
  focusTarget();

  var form = document.getElementById("confirm-form");
  if (form) {
    form.addEventListener("submit", function () {
      var button = document.getElementById("confirm-apply");
      window.setTimeout(function () { button.disabled = true; }, 0);
    });
  }
})();
