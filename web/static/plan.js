// Poll the planner's status while it runs; reload the page when a new plan is ready.
(function () {
  var el = document.getElementById("plan-status");
  if (!el || el.dataset.status !== "running") return;
  function poll() {
    fetch(el.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.status === "running") { setTimeout(poll, 1500); return; }
        window.location.reload();
      }).catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
