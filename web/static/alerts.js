// Safety alerts on the coordinator's screen: ask every few seconds whether the open alerts
// changed and, if so, put the new panel in place of the old one without reloading the page
// (the server answers 204 while nothing changed). A new alert takes the panel's focus ring
// and the screen reader hears it (the panel is aria-live).
(function () {
  "use strict";
  var EVERY = 3000;
  function panel() { return document.getElementById("alerts-panel"); }
  if (!panel()) return;
  function poll() {
    var el = panel();
    fetch(el.dataset.url + "?seen=" + encodeURIComponent(el.dataset.version),
          {credentials: "same-origin"})
      .then(function (r) {
        if (r.status === 200) {
          return r.text().then(function (html) {
            var box = document.createElement("div");
            box.innerHTML = html;
            var fresh = box.querySelector("#alerts-panel");
            if (fresh) {
              fresh.classList.add("changed");
              panel().replaceWith(fresh);
            }
          });
        }
      })
      .catch(function () { /* offline for a moment: ask again later */ })
      .then(function () { setTimeout(poll, EVERY); });
  }
  setTimeout(poll, EVERY);
})();
