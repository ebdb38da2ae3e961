/* mockpms H5 page: tick the server's countdown down; the server stays the authority.
 *
 * The page is rendered with the seconds left (data-countdown); this only counts
 * them down between reloads. At zero the pay button is disabled and the page
 * reloads, so the server shows its "expired or paid" page.
 */
(function () {
  "use strict";
  var holder = document.querySelector("[data-countdown]");
  if (!holder) {
    return;
  }
  var left = parseInt(holder.getAttribute("data-countdown"), 10);
  if (!(left >= 0)) {
    return;
  }
  var spans = document.querySelectorAll(".seconds");
  var button = document.getElementById("pay");
  var start = performance.now();
  var timer = null;

  function tick() {
    var elapsed = Math.floor((performance.now() - start) / 1000);
    var now = Math.max(0, left - elapsed);
    for (var i = 0; i < spans.length; i++) {
      spans[i].textContent = String(now);
    }
    if (now === 0) {
      window.clearInterval(timer);
      if (button) {
        button.disabled = true;
      }
      window.location.reload();
    }
  }

  var form = button ? button.form : null;
  if (form) {
    form.addEventListener("submit", function () {
      button.disabled = true; // one payment per press
    });
  }
  timer = window.setInterval(tick, 250);
})();
