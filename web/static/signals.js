// Signals from the round page, with or without a connection.
//
// A signal form does not post the page away: the signal goes into an outbox on the phone
// (localStorage) with the id its form was given, the form is emptied for the next one (with
// a fresh id), and the outbox sends it now or, without a connection, when it is back. The
// server stores a signal once per id, so a signal sent twice (a retry, a reload) is one.
(function () {
  "use strict";
  var KEY = "buurtroute-signals";
  var forms = document.querySelectorAll("form.signal-form");
  var toast = document.getElementById("toast");
  if (!forms.length) return;
  var url = forms[0].dataset.url;
  var texts = forms[0].dataset;

  function outbox() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function save(list) { localStorage.setItem(KEY, JSON.stringify(list)); }
  function say(text) {
    if (!toast) return;
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
    fetch(url, {method: "POST", credentials: "same-origin",
                headers: {"Content-Type": "application/json", "X-CSRFToken": item.csrf},
                body: JSON.stringify(body)})
      .then(function (r) {
        return r.json().then(function (answer) { return {ok: r.ok, answer: answer}; });
      })
      .then(function (result) {
        save(outbox().filter(function (s) { return s.body.event_id !== item.body.event_id; }));
        sending = false;
        say(result.ok ? texts.sent : texts.refused.replace("{reason}", result.answer.error));
        send();
      })
      .catch(function () {
        sending = false;
        say(texts.waiting.replace("{n}", outbox().length));
      });
  }

  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new FormData(form);
      var body = {};
      ["event_id", "category", "urgency", "note", "resident_id", "buurt"].forEach(function (k) {
        var v = data.get(k);
        if (v !== null && v !== "") body[k] = k === "resident_id" ? Number(v) : v;
      });
      if (!body.note) { form.querySelector("textarea").focus(); return; }
      var list = outbox();
      list.push({body: body, csrf: data.get("csrf_token"), tapped: Date.now()});
      save(list);
      form.querySelector("textarea").value = "";
      form.querySelector("input[name=event_id]").value = freshId();
      var details = form.closest("details");
      if (details) details.open = false;
      send();
    });
  });
  window.addEventListener("online", send);
  setInterval(send, 10000);
  send();
})();
