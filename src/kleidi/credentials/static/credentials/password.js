/* Kleidi's password strength meter (R25).
 *
 * As the member types the new password, a debounced POST to the strength
 * endpoint asks the server, which applies the same policy as on submit: the
 * meter and the decision never disagree. The meter shows one reason and
 * one tip. The confirmation field stays locked (read-only, aria-disabled,
 * still focusable) until the server says the password is strong enough, and
 * its hint, a polite live region, says when it opens. A "Show password"
 * toggle (aria-pressed) shows both new-password fields as text. Without
 * JavaScript (or if the endpoint cannot answer) the form still works and the
 * server checks on submit; the server puts the focus on the first invalid
 * field (autofocus) and ties each error to its field (aria-describedby).
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 250;

  function setupReveal(form) {
    var button = form.querySelector("button.reveal");
    if (!button) {
      return;
    }
    var fields = (button.getAttribute("aria-controls") || "").split(" ")
      .map(function (id) { return document.getElementById(id); })
      .filter(function (field) { return field; });
    function show(visible) {
      button.setAttribute("aria-pressed", visible ? "true" : "false");
      fields.forEach(function (field) { field.type = visible ? "text" : "password"; });
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      show(button.getAttribute("aria-pressed") !== "true");
    });
    // A password is never submitted from a text field (no form history keeps it).
    form.addEventListener("submit", function () { show(false); });
  }

  function setup(form) {
    var first = form.querySelector("input[name=new_password1]");
    var second = form.querySelector("input[name=new_password2]");
    var csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
    var meter = document.getElementById("strength-meter");
    var status = document.getElementById("strength-status");
    var list = document.getElementById("strength-feedback");
    var hint = document.getElementById("confirm-hint");
    var lockedText = hint ? hint.textContent : "";
    var locked = null;
    if (!first || !second || !csrf || !meter || !status || !list || !window.fetch) {
      return;
    }
    var url = form.getAttribute("data-strength-url");
    var timer = null;
    var sequence = 0;
    var controller = null;

    function show(level, text, tone, items) {
      meter.setAttribute("data-level", String(level));
      status.textContent = text;
      status.className = "strength-status" + (tone ? " " + tone : "");
      while (list.firstChild) {
        list.removeChild(list.firstChild);
      }
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.textContent = item;
        list.appendChild(li);
      });
    }

    // Locked, the confirmation stays focusable (and its hint readable): read-only
    // and aria-disabled rather than disabled. The hint changes only when the state
    // does, so the live region speaks once per change, not per keystroke.
    function setLocked(value) {
      if (value) {
        second.value = "";
      }
      if (locked === value) {
        return;
      }
      locked = value;
      second.readOnly = value;
      second.setAttribute("aria-disabled", value ? "true" : "false");
      if (hint) {
        hint.textContent = value ? lockedText : hint.getAttribute("data-unlocked");
      }
    }

    function lock() {
      setLocked(true);
      form.setAttribute("data-acceptable", "false");
    }

    function unlock() {
      setLocked(false);
    }

    function ask() {
      var value = first.value;
      var mine = ++sequence;
      if (controller) {
        controller.abort();
      }
      if (!value) {
        show(0, "", "", []);
        return;
      }
      controller = window.AbortController ? new AbortController() : null;
      var body = new URLSearchParams();
      body.set("password", value);
      fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrf.value, "Accept": "application/json" },
        signal: controller ? controller.signal : undefined
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("strength endpoint answered " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          if (mine !== sequence) {
            return;
          }
          var items = data.feedback.map(function (f) { return f.message; });
          show(data.level, data.label, data.acceptable ? "ok" : "bad", items);
          form.setAttribute("data-acceptable", data.acceptable ? "true" : "false");
          if (data.acceptable) {
            unlock();
          } else {
            lock();
          }
        })
        .catch(function (error) {
          if ((error && error.name === "AbortError") || mine !== sequence) {
            return;
          }
          // The server will judge on submit; do not block the member.
          show(0, form.getAttribute("data-unavailable"), "", []);
          unlock();
          if (hint) {
            hint.textContent = "";
          }
        });
    }

    meter.hidden = false;
    if (hint) {
      hint.hidden = false;
    }
    var described = second.getAttribute("aria-describedby");
    second.setAttribute("aria-describedby", (described ? described + " " : "") + "confirm-hint");
    lock();
    first.addEventListener("input", function () {
      lock();
      status.textContent = form.getAttribute("data-checking");
      status.className = "strength-status";
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, DEBOUNCE_MS);
    });
    if (first.value) {
      ask();
    }
  }

  document.querySelectorAll("form[data-strength-url]").forEach(function (form) {
    setupReveal(form);
    setup(form);
  });
})();
