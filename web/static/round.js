// The assistant's round on a phone with a poor connection.
//
// A tap on a mark button does not reload the page: the mark goes into an outbox kept on the
// phone (localStorage), the stop is shown as done and the next stop's card comes up, and for a
// few seconds "Ongedaan maken" takes the tap back. Then the outbox sends it; without a
// connection it waits and is sent when the connection is back. Each mark carries the id its
// form was rendered with, so a mark sent twice (a retry, a reload) is recorded once.
// The page also asks every few seconds whether the plan changed, and says how.
(function () {
  "use strict";
  var KEY = "buurtroute-outbox";
  var cards = document.getElementById("next-stops");
  var toast = document.getElementById("toast");
  var state = document.getElementById("round-state");
  var held = null; // the last tap, while it can still be undone: {mark, timer}

  function outbox() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function save(list) { localStorage.setItem(KEY, JSON.stringify(list)); }

  function say(text, undo) {
    if (!toast) return;
    toast.querySelector("span").textContent = text;
    toast.querySelector("[data-undo]").hidden = !undo;
    toast.hidden = false;
  }

  function showDone(key, done) {
    var card = document.getElementById("card-" + key);
    var row = document.getElementById("round-stop-" + key);
    if (row) row.classList.toggle("pending", done);
    if (!card) return;
    card.dataset.done = done ? "1" : "";
    var open = cards.querySelectorAll(".stop-card");
    var first = null;
    for (var i = 0; i < open.length; i++) {
      open[i].hidden = true;
      if (!first && !open[i].dataset.done) first = open[i];
    }
    if (first) first.hidden = false;
  }

  function send() {
    if (!cards) return;
    var list = outbox();
    if (!list.length) return;
    var mark = list[0];
    fetch(cards.dataset.outboxUrl, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": mark.csrf},
      body: JSON.stringify({event_id: mark.event_id, order_ids: mark.order_ids,
                            status: mark.status,
                            ago: Math.max(0, Math.round((Date.now() - mark.tapped) / 1000))})
    }).then(function (r) {
      return r.json().then(function (body) { return {ok: r.ok, status: r.status, body: body}; });
    }).then(function (answer) {
      save(outbox().filter(function (m) { return m.event_id !== mark.event_id; }));
      if (!answer.ok) {
        showDone(mark.key, false);
        say(cards.dataset.refused.replace("{reason}", answer.body.error || answer.status), false);
      }
      send();
    }).catch(function () {
      say(cards.dataset.waiting.replace("{n}", outbox().length), false);
    });
  }

  function tap(form, button) {
    var data = new FormData(form);
    var ids = (data.get("order_ids") || "").split(",").filter(Boolean).map(Number);
    var mark = {event_id: data.get("event_id"), status: button.value, key: form.dataset.key,
                order_ids: [Number(form.action.match(/orders\/(\d+)\//)[1])].concat(ids),
                csrf: data.get("csrf_token"), tapped: Date.now(),
                label: button.textContent.trim()};
    if (held) { clearTimeout(held.timer); commit(held.mark); }
    showDone(mark.key, true);
    say(button.textContent.trim() + " · #" + mark.order_ids.join(", #"), true);
    held = {mark: mark, timer: setTimeout(function () { commit(mark); }, Number(cards.dataset.undoMs))};
  }

  function commit(mark) {
    if (held && held.mark === mark) held = null;
    var list = outbox();
    if (!list.some(function (m) { return m.event_id === mark.event_id; })) list.push(mark);
    save(list);
    say(cards.dataset.sent.replace("{status}", mark.label), false);
    setTimeout(function () { if (!held) toast.hidden = true; }, 4000);
    send();
  }

  if (cards) {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.classList.contains("mark") && !form.closest("#next-stops, table.round-stops")) return;
      if (!form.dataset.key || !event.submitter) return;
      event.preventDefault();
      tap(form, event.submitter);
    });
    toast.querySelector("[data-undo]").addEventListener("click", function () {
      if (!held) return;
      clearTimeout(held.timer);
      showDone(held.mark.key, false);
      held = null;
      say(cards.dataset.undone, false);
    });
    outbox().forEach(function (m) { showDone(m.key, true); });
    window.addEventListener("online", send);
    setInterval(send, 10000);
    send();
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/assistant/sw.js", {scope: "/assistant/"}).catch(function () {});
    }
  }

  // --- the plan changed: show the new round where she was, and say how ------------------------
  if (!state) return;
  var every = parseInt(state.dataset.every || "5000", 10);
  function show(texts) {
    var list = state.querySelector("ul");
    list.textContent = "";
    texts.forEach(function (t) {
      var li = document.createElement("li");
      li.textContent = t;
      list.appendChild(li);
    });
    state.hidden = false;
  }
  try {
    var told = JSON.parse(sessionStorage.getItem("buurtroute-changed") || "null");
    if (told && told.plan === state.dataset.plan) {
      if (told.lines.length) show(told.lines);
      window.scrollTo(0, told.scroll || 0);
    }
    sessionStorage.removeItem("buurtroute-changed");
  } catch (e) { /* a phone without storage just reloads at the top */ }
  function lines(changes) {
    var out = [];
    (changes.moved || []).forEach(function (c) {
      out.push("#" + c.order_id + ": " + (c.to === state.dataset.me ? state.dataset.in : state.dataset.out));
    });
    (changes.planned || []).forEach(function (c) { out.push("#" + c.order_id + ": " + state.dataset.in + " " + c.at); });
    (changes.unplanned || []).forEach(function (c) { out.push("#" + c.order_id + ": " + state.dataset.out); });
    (changes.shifted || []).forEach(function (c) { out.push("#" + c.order_id + ": " + c.from + " → " + c.to); });
    return out;
  }
  function poll() {
    fetch(state.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.plan_id !== null && String(s.plan_id) !== state.dataset.plan) {
          var texts = lines(s.changes || {});
          if (!held && !outbox().length && !document.querySelector("form:focus-within")) {
            // nothing of hers is waiting: load the new round and keep her place on the page
            sessionStorage.setItem("buurtroute-changed", JSON.stringify(
              {plan: String(s.plan_id), lines: texts, scroll: window.scrollY}));
            window.location.reload();
            return;
          }
          if (texts.length) show(texts);
        }
        setTimeout(poll, every);
      }).catch(function () { setTimeout(poll, every * 2); });
  }
  setTimeout(poll, every);
})();
