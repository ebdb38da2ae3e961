// The dashboard's live updates: rows arrive from /_mock/events without a reload.
// Without JavaScript the page still reads, and its forms post and come back.
(function () {
  "use strict";
  var body = document.body;
  var live = document.getElementById("live");

  // Each event names a record; the server renders its row with the first paint's macro.
  function refreshRow(kind, params, tableId, prepend) {
    var table = document.getElementById(tableId);
    if (!table) return;
    var query = new URLSearchParams(params).toString();
    fetch("/_mock/dashboard/rows/" + kind + "?" + query, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        if (!html) return;
        var holder = document.createElement("tbody");
        holder.innerHTML = html.trim();
        var row = holder.firstElementChild;
        if (!row) return;
        var tbody = table.tBodies[0];
        var old = Array.prototype.find.call(tbody.rows, function (r) {
          return r.getAttribute("data-key") === row.getAttribute("data-key");
        });
        if (old) {
          tbody.replaceChild(row, old);
        } else if (prepend) {
          tbody.insertBefore(row, tbody.firstChild);
          var empty = document.getElementById("no-" + tableId);
          if (empty) empty.remove();
        } else {
          return;
        }
        row.classList.add("fresh");
        bind(row);
      });
  }

  function matches(table, data) {
    var key = table.getAttribute("data-filter-apikey");
    var rrn = table.getAttribute("data-filter-rrn");
    var status = table.getAttribute("data-filter-status");
    if (key && data.apiKey !== key) return false;
    if (rrn && data.rrn !== rrn) return false;
    if (status && data.status !== status && data.gwRefStatus !== status) return false;
    return true;
  }

  function connect() {
    if (!window.EventSource || body.getAttribute("data-page") !== "index") return;
    var source = new EventSource("/_mock/events");
    source.onopen = function () { live.textContent = "live"; live.classList.add("on"); };
    source.onerror = function () { live.textContent = "reconnecting…"; live.classList.remove("on"); };
    source.addEventListener("transaction", function (e) {
      var d = JSON.parse(e.data);
      var table = document.getElementById("transactions");
      if (table && matches(table, d)) {
        refreshRow("transaction", { apiKey: d.apiKey, rrn: d.rrn }, "transactions", true);
      }
    });
    source.addEventListener("session", function (e) {
      var d = JSON.parse(e.data);
      var table = document.getElementById("sessions");
      var key = table && table.getAttribute("data-filter-apikey");
      if (table && (!key || key === d.apiKey)) {
        refreshRow("session", { apiKey: d.apiKey, sessionId: d.sessionId }, "sessions", true);
      }
    });
    source.addEventListener("webhook", function (e) {
      var d = JSON.parse(e.data);
      refreshRow("attempt", { id: d.id }, "webhooks", true);
    });
    source.addEventListener("request", function (e) {
      var d = JSON.parse(e.data);
      if (d.journalId) refreshRow("request", { id: d.journalId }, "requests", true);
    });
    source.addEventListener("clock", function (e) {
      var d = JSON.parse(e.data);
      fetch("/_mock/clock", { credentials: "same-origin" }).then(function (r) { return r.json(); })
        .then(function (c) {
          // Hong Kong time (UTC+8, no daylight saving), as the first paint shows it.
          var hkt = new Date((c.now + 8 * 3600) * 1000).toISOString();
          document.getElementById("clock").textContent = hkt.replace("T", " ").slice(0, 19);
          document.getElementById("offset").textContent = c.offset ? "(+" + c.offset + " s)" : "";
        });
      // Expiries and countdowns moved: redraw the rows on screen.
      Array.prototype.forEach.call(document.querySelectorAll("#transactions tbody tr"), function (r) {
        var parts = r.getAttribute("data-key").split(" ");
        refreshRow("transaction", { apiKey: parts[0], rrn: parts.slice(1).join(" ") }, "transactions", false);
      });
      Array.prototype.forEach.call(document.querySelectorAll("#sessions tbody tr"), function (r) {
        var parts = r.getAttribute("data-key").split(" ");
        refreshRow("session", { apiKey: parts[0], sessionId: parts.slice(1).join(" ") }, "sessions", false);
      });
      return d;
    });
    source.addEventListener("reset", function (e) {
      // A merchant's own reset (apiKey) takes only its rows; a global one takes all.
      var scope = e.data ? JSON.parse(e.data).apiKey : null;
      ["transactions", "sessions", "webhooks", "requests"].forEach(function (id) {
        var table = document.getElementById(id);
        if (!table) return;
        if (!scope) { table.tBodies[0].innerHTML = ""; return; }
        Array.prototype.slice.call(table.tBodies[0].rows).forEach(function (r) {
          var owner = r.getAttribute("data-api-key") || r.getAttribute("data-key").split(" ")[0];
          if (owner === scope) r.parentNode.removeChild(r);
        });
      });
    });
  }

  // Forms post in the background: the live update shows the result, never a reload.
  function bind(root) {
    Array.prototype.forEach.call(root.querySelectorAll("form.act"), function (form) {
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var button = form.querySelector("button");
        if (button) button.disabled = true;
        fetch(form.action, {
          method: "POST", body: new FormData(form), credentials: "same-origin",
          headers: { "X-Mockpms-Live": "1" }
        }).then(function (r) { return r.json().catch(function () { return {}; }); })
          .then(function (answer) {
            if (button) button.disabled = false;
            if (answer && answer.notice) { showNotice(answer.notice); }
          });
      });
    });
  }

  function showNotice(text) {
    var notice = document.getElementById("notice");
    if (!notice) {
      notice = document.createElement("p");
      notice.id = "notice"; notice.className = "notice"; notice.setAttribute("role", "status");
      document.querySelector("main").before(notice);
    }
    notice.textContent = text;
  }

  bind(document);
  connect();
})();
