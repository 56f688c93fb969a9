// The assistant's round keeps itself current: every few seconds it asks whether the plan
// changed; if so it says how (stops added, taken away, moved in time) and offers the new round.
(function () {
  var el = document.getElementById("round-state");
  if (!el) return;
  var every = parseInt(el.dataset.every || "5000", 10);
  function say(changes) {
    var lines = [];
    (changes.moved || []).forEach(function (c) {
      lines.push("#" + c.order_id + ": " + (c.to === el.dataset.me ? el.dataset.in : el.dataset.out));
    });
    (changes.planned || []).forEach(function (c) { lines.push("#" + c.order_id + ": " + el.dataset.in + " " + c.at); });
    (changes.unplanned || []).forEach(function (c) { lines.push("#" + c.order_id + ": " + el.dataset.out); });
    (changes.shifted || []).forEach(function (c) { lines.push("#" + c.order_id + ": " + c.from + " → " + c.to); });
    return lines;
  }
  function poll() {
    fetch(el.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.plan_id !== null && String(s.plan_id) !== el.dataset.plan) {
          var list = el.querySelector("ul");
          list.textContent = "";
          say(s.changes || {}).forEach(function (t) {
            var li = document.createElement("li");
            li.textContent = t;
            list.appendChild(li);
          });
          el.hidden = false;
        }
        setTimeout(poll, every);
      }).catch(function () { setTimeout(poll, every * 2); });
  }
  setTimeout(poll, every);
})();
