// pmhc: a little progressive enhancement. Every page works without this script.
(function () {
  "use strict";

  // On a phone the menu folds behind a button (without this script it stays open).
  var toggle = document.querySelector(".menu-toggle");
  var menu = document.getElementById("menu");
  if (toggle && menu) {
    document.documentElement.classList.add("js");
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      menu.parentElement.classList.toggle("open", open);
    });
  }

  // On a phone, a list's filters fold away unless one is set: the list comes first.
  if (window.matchMedia && window.matchMedia("(max-width: 40rem)").matches) {
    document.querySelectorAll("form[data-fold] details.fold").forEach(function (d) {
      var set = Array.prototype.some.call(d.querySelectorAll("input, select"), function (el) {
        return el.type !== "hidden" && el.type !== "submit" && el.value !== "";
      });
      if (!set) d.open = false;
    });
  }

  // Irreversible moves ask first.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.confirm(form.getAttribute("data-confirm"))) ev.preventDefault();
    });
  });

  // Dashboard filters answer at once: the results are replaced in place.
  document.querySelectorAll("form[data-live]").forEach(function (form) {
    var target = document.getElementById(form.getAttribute("data-live"));
    if (!target) return;
    var timer = null;
    var seq = 0;
    var pending = null;
    function refresh() {
      var params = new URLSearchParams(new FormData(form));
      var url = form.getAttribute("action") + "?" + params.toString();
      params.set("fragment", "1");
      // Only the latest question's answer may land: earlier requests are abandoned.
      var n = ++seq;
      if (pending && window.AbortController) pending.abort();
      pending = window.AbortController ? new AbortController() : null;
      target.setAttribute("aria-busy", "true");
      fetch(form.getAttribute("action") + "?" + params.toString(), { credentials: "same-origin", signal: pending ? pending.signal : undefined })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          if (n !== seq) return;
          target.innerHTML = html;
          target.removeAttribute("aria-busy");
          // A named period was answered: its dates are what the inputs show now.
          var answered = document.getElementById("answered-periods");
          if (answered && preset && preset.value) {
            var b = form.querySelector("input[name=baseline]"), c = form.querySelector("input[name=comparison]");
            if (b) b.value = answered.getAttribute("data-baseline");
            if (c) c.value = answered.getAttribute("data-comparison");
          }
          history.replaceState(null, "", url);
        })
        .catch(function () { if (n === seq) target.removeAttribute("aria-busy"); });
    }
    // Typing a date means the dates, not a named period.
    var preset = form.querySelector("select[name=preset]");
    form.querySelectorAll("input[name=baseline], input[name=comparison]").forEach(function (input) {
      input.addEventListener("input", function () { if (preset) preset.value = ""; });
    });
    form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(refresh, 150); });
    form.addEventListener("submit", function (ev) { ev.preventDefault(); refresh(); });
  });

  // The field form keeps a draft on this device until the server has saved it (the person's
  // identifiers too: they leave the device only to be made into a person key).
  document.querySelectorAll("form[data-draft]").forEach(function (form) {
    var key = "pmhc-draft-" + form.getAttribute("data-draft");
    var status = form.querySelector(".draft-status");
    var hasErrors = !!document.getElementById("form-errors");
    function save() {
      var data = {};
      new FormData(form).forEach(function (v, k) { if (k !== "csrf") data[k] = String(v); });
      try { localStorage.setItem(key, JSON.stringify(data)); } catch (e) { /* storage full or off */ }
    }
    function restore() {
      var raw = null;
      try { raw = localStorage.getItem(key); } catch (e) { return; }
      if (!raw) return;
      var data;
      try { data = JSON.parse(raw); } catch (e) { return; }
      Object.keys(data).forEach(function (k) {
        form.querySelectorAll("[name='" + k.replace(/'/g, "") + "']").forEach(function (el) {
          if (el.type === "radio") el.checked = el.value === data[k];
          else el.value = data[k];
        });
      });
      if (status) status.textContent = "A draft from this device was restored.";
    }
    // After a failed submit the server shows what was sent; otherwise bring back a kept draft.
    if (!hasErrors) restore(); else save();
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      save();
      if (status) status.textContent = "Saving…";
      var body = new URLSearchParams(new FormData(form));
      fetch(form.getAttribute("action"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: body.toString()
      }).then(function (r) {
        if (r.redirected && r.ok) {
          // Only a save clears the draft; a redirect elsewhere (an expired session sent to
          // sign-in) keeps it, and the form restores it when the user comes back.
          if (/[?&]saved=(1|edited)(&|$)/.test(r.url)) {
            try { localStorage.removeItem(key); } catch (e) { /* ignore */ }
          }
          window.location.assign(r.url);
          return;
        }
        return r.text().then(function (html) {
          document.open(); document.write(html); document.close();
        });
      }).catch(function () {
        if (status) status.textContent = "Not sent: no connection. Your draft is kept on this device; press Save again when you are back online.";
      });
    });
  });

  // Uploads show their progress, then go to the import's page.
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    var bar = form.querySelector(".upload-progress");
    var status = form.querySelector(".upload-status");
    form.addEventListener("submit", function (ev) {
      if (!window.XMLHttpRequest || !window.FormData) return;
      ev.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action"));
      if (bar) { bar.hidden = false; bar.value = 0; }
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable && bar) bar.value = Math.round((e.loaded / e.total) * 100);
        if (status) status.textContent = "Uploading… " + (bar ? bar.value : "") + "%";
      };
      xhr.onload = function () {
        if (xhr.status >= 200 && xhr.status < 300) { window.location.assign(xhr.responseURL); return; }
        document.open(); document.write(xhr.responseText); document.close();
      };
      xhr.onerror = function () { if (status) status.textContent = "The upload failed: no connection. Try again."; };
      xhr.send(new FormData(form));
    });
  });

  // A running import's page refreshes its status until the import ends.
  var live = document.getElementById("import-status");
  if (live && live.hasAttribute("data-refresh")) {
    var tick = function () {
      fetch(window.location.href, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("import-status");
        if (!fresh) return;
        live.innerHTML = fresh.innerHTML;
        if (fresh.hasAttribute("data-refresh")) setTimeout(tick, 1000); else live.removeAttribute("data-refresh");
      }).catch(function () { setTimeout(tick, 3000); });
    };
    setTimeout(tick, 1000);
  }

  // The saved encounter's page clears the field form's draft.
  if (/[?&]saved=1/.test(window.location.search)) {
    try { localStorage.removeItem("pmhc-draft-field-encounter"); } catch (e) { /* ignore */ }
  }
})();

// A print button (the meeting page): the browser's print dialog.
document.querySelectorAll('[data-print]').forEach(function (b) { b.addEventListener('click', function () { window.print(); }); });
