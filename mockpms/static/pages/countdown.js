// The live "closes in 5 minutes" countdown of the mockpms payment page.
// The server renders the seconds left; at zero the page asks the server again,
// which shows the expired page (or returns the payer to the merchant).
(function () {
  "use strict";
  var el = document.getElementById("countdown");
  if (!el) { return; }
  var seconds = parseInt(el.getAttribute("data-seconds"), 10);
  if (isNaN(seconds)) { return; }
  var end = Date.now() + seconds * 1000;
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var left = Math.max(0, Math.round((end - Date.now()) / 1000));
    el.textContent = Math.floor(left / 60) + ":" + pad(left % 60);
    if (left <= 0) {
      window.location.replace(el.getAttribute("data-url"));
      return;
    }
    window.setTimeout(tick, 1000);
  }
  tick();
})();
