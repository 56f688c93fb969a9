// Poll the planner while a run is under way (or requests wait for one); reload the page when
// the current plan changes or the run ends, so the coordinator sees the result and what changed.
(function () {
  var el = document.getElementById("plan-status");
  if (!el || el.dataset.status !== "running") return;
  function poll() {
    fetch(el.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.status === "running" || (s.pending && String(s.plan_id || "") === el.dataset.plan)) {
          setTimeout(poll, 1500);
          return;
        }
        window.location.reload();
      }).catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
