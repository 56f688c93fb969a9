// What the assistant records at the door — signals and the outcome of house calls — with or
// without a connection.
//
// Such a form does not post the page away: what was recorded goes into an outbox on the phone
// (localStorage) with the id its form was given, the form is emptied for the next one (with a
// fresh id) or, for a house call, replaced by its outcome; the outbox sends it now or, without
// a connection, when it is back. The server stores each id once, so something sent twice (a
// retry, a reload) is recorded once.
(function () {
  "use strict";
  var KEY = "buurtroute-door";
  var toast = document.getElementById("toast");
  var signalForm = document.querySelector("form.signal-form");
  var callForm = document.querySelector("form.house-call");
  var texts = (signalForm || callForm || {dataset: {}}).dataset;
  if (!signalForm && !callForm) return;

  function outbox() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function save(list) { localStorage.setItem(KEY, JSON.stringify(list)); }
  function say(text) {
    if (!toast || !text) return;
    toast.querySelector("span").textContent = text;
    var undo = toast.querySelector("[data-undo]");
    if (undo) undo.hidden = true;
    toast.hidden = false;
    setTimeout(function () { toast.hidden = true; }, 5000);
  }
  function freshId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  var sending = false;
  function send() {
    var list = outbox();
    if (!list.length || sending) return;
    var item = list[0];
    sending = true;
    var body = Object.assign({}, item.body,
                             {ago: Math.max(0, Math.round((Date.now() - item.tapped) / 1000))});
    fetch(item.url, {method: "POST", credentials: "same-origin",
                     headers: {"Content-Type": "application/json", "X-CSRFToken": item.csrf},
                     body: JSON.stringify(body)})
      .then(function (r) {
        return r.json().then(function (answer) { return {ok: r.ok, answer: answer}; });
      })
      .then(function (result) {
        save(outbox().filter(function (s) { return s.body.event_id !== item.body.event_id; }));
        sending = false;
        say(result.ok ? item.sent : (texts.refused || "{reason}").replace("{reason}", result.answer.error));
        send();
      })
      .catch(function () {
        sending = false;
        say((texts.waiting || "{n}").replace("{n}", outbox().length));
      });
  }

  function keep(form, body, sent) {
    var list = outbox();
    list.push({url: form.dataset.url, body: body, csrf: new FormData(form).get("csrf_token"),
               tapped: Date.now(), sent: sent});
    save(list);
    send();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.classList.contains("signal-form")) {
      event.preventDefault();
      var data = new FormData(form);
      var body = {};
      ["event_id", "category", "urgency", "note", "resident_id", "buurt"].forEach(function (k) {
        var v = data.get(k);
        if (v !== null && v !== "") body[k] = k === "resident_id" ? Number(v) : v;
      });
      if (!body.note) { form.querySelector("textarea").focus(); return; }
      keep(form, body, form.dataset.sent);
      form.querySelector("textarea").value = "";
      form.querySelector("input[name=event_id]").value = freshId();
      var details = form.closest("details");
      if (details) details.open = false;
    } else if (form.classList.contains("house-call") && event.submitter) {
      event.preventDefault();
      var call = new FormData(form);
      keep(form, {event_id: call.get("event_id"), door_id: Number(call.get("door_id")),
                  outcome: event.submitter.value}, form.dataset.sent);
      var done = document.createElement("span");
      done.className = "status";
      done.textContent = event.submitter.textContent.trim();
      form.replaceWith(done);
    }
  });
  window.addEventListener("online", send);
  setInterval(send, 10000);
  send();
})();
