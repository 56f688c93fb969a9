// The coordinator's day, made livelier where a browser runs scripts (the page works without):
// the day's progress and the planner's state polled in place, the Plan button off while a run
// goes, filters per assistant and kind, a map that zooms and pans and says what a stop is, and
// one move-or-lock dialog opened from a stop's menu.
(function () {
  "use strict";
  var status = document.getElementById("plan-status");

  // --- the planner and the day's progress, polled ------------------------------------------
  function setBusy(busy) {
    document.querySelectorAll("#plan-form button").forEach(function (b) { b.disabled = busy; });
  }
  function showWorking(elapsed) {
    if (!status.querySelector("progress")) {
      status.textContent = "";
      var note = document.createElement("span");
      note.className = "note";
      note.textContent = status.dataset.working;
      var bar = document.createElement("progress");
      bar.setAttribute("aria-label", status.dataset.working);
      var seconds = document.createElement("span");
      seconds.className = "elapsed";
      status.append(note, " ", bar, " ", seconds);
    }
    if (elapsed !== null && elapsed !== undefined) {
      status.querySelector(".elapsed").textContent = status.dataset.seconds.replace("{n}", elapsed);
    }
  }
  function showLive(live) {
    Object.keys(live.rounds).forEach(function (id) {
      var r = live.rounds[id];
      document.querySelectorAll('[data-round="' + id + '"] .live-done').forEach(function (el) {
        el.textContent = r.done;
      });
      var schedule = document.querySelector('tr[data-round="' + id + '"] .live-schedule');
      if (schedule) {
        schedule.textContent = r.schedule || "–";
        schedule.className = "live-schedule " + r.state;
      }
    });
    var alerts = document.getElementById("alerts");
    if (alerts) {
      alerts.textContent = "";
      live.late_meals.forEach(function (text) {
        var p = document.createElement("p");
        p.className = "flash error late-meal";
        p.textContent = text;
        alerts.append(p);
      });
    }
  }
  function changed() {
    if (status.querySelector("a.new-plan")) return;
    var link = document.createElement("a");
    link.className = "new-plan";
    link.href = window.location.pathname + window.location.search;
    link.textContent = status.dataset.show;
    status.append(" " + status.dataset.changed + " ", link);
  }
  function failed(note) {
    var strong = document.createElement("strong");
    strong.className = "error note";
    strong.textContent = note;
    status.textContent = "";
    status.append(strong);
    status.dataset.status = "failed";
  }
  var waiting = status && status.dataset.status === "running";
  function poll() {
    fetch(status.dataset.url, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        var mine = String(s.plan_id || "") !== status.dataset.plan;
        setBusy(s.busy);
        if (s.busy) {
          showWorking(s.elapsed);
        } else if (waiting) {  // the run this page waited for ended: show its result
          window.location.reload();
          return;
        } else if (s.status === "failed" && status.dataset.status !== "failed") {
          failed(s.note);  // a run started elsewhere failed: say why, the plan shown stays
        } else if (mine) {
          changed();  // a change made elsewhere (an assistant's mark): say so, do not jump
        }
        if (s.live) showLive(s.live);
        setTimeout(poll, s.busy ? 1500 : 15000);
      }).catch(function () { setTimeout(poll, 5000); });
  }
  if (status) {
    var form = document.getElementById("plan-form");
    if (form) {
      form.addEventListener("submit", function () {
        // after the form data (with the button pressed) is taken: no second run meanwhile
        setTimeout(function () { setBusy(true); showWorking(0); }, 0);
      });
    }
    setTimeout(poll, waiting ? 1000 : 15000);
  }

  // --- filters per assistant and per kind --------------------------------------------------
  var filters = document.querySelector(".filters");
  function applyFilters() {
    var shown = {round: {}, kind: {}};
    filters.querySelectorAll("input[data-filter]").forEach(function (box) {
      shown[box.dataset.filter][box.value] = box.checked;
    });
    document.querySelectorAll(".round-column, svg .route, svg .stop").forEach(function (el) {
      var off = shown.round[el.dataset.round] === false ||
        (!!el.dataset.kind && shown.kind[el.dataset.kind] === false);
      el.classList.toggle("filtered", off);
    });
    document.querySelectorAll("tr[data-kind]").forEach(function (row) {
      row.classList.toggle("filtered", shown.kind[row.dataset.kind] === false);
    });
  }
  if (filters) {
    filters.hidden = false;
    filters.addEventListener("change", applyFilters);
  }

  // --- the map: zoom and pan on the viewBox, tap a stop to see what it is ------------------
  var svg = document.querySelector("#day-map svg");
  if (svg) {
    var full = svg.viewBox.baseVal;
    var home = [full.x, full.y, full.width, full.height];
    var view = home.slice();
    var info = document.getElementById("map-info");
    var set = function (v) {
      var w = Math.min(home[2], Math.max(home[2] / 12, v[2]));
      var h = w * home[3] / home[2];
      var x = Math.min(home[0] + home[2] - w, Math.max(home[0], v[0] + (v[2] - w) / 2));
      var y = Math.min(home[1] + home[3] - h, Math.max(home[1], v[1] + (v[3] - h) / 2));
      view = [x, y, w, h];
      svg.setAttribute("viewBox", view.join(" "));
    };
    var zoom = function (factor, cx, cy) {  // cx, cy: the point that stays, as a share
      cx = cx === undefined ? 0.5 : cx;
      cy = cy === undefined ? 0.5 : cy;
      var w = view[2] / factor, h = view[3] / factor;
      set([view[0] + view[2] * cx - w * cx, view[1] + view[3] * cy - h * cy, w, h]);
    };
    var tools = document.querySelector(".map-tools");
    tools.hidden = false;
    tools.addEventListener("click", function (event) {
      var b = event.target.closest("button");
      if (!b) return;
      if (b.dataset.zoom === "in") zoom(1.6);
      else if (b.dataset.zoom === "out") zoom(1 / 1.6);
      else set(home);
    });
    var share = function (event) {
      var box = svg.getBoundingClientRect();
      return [(event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height];
    };
    svg.addEventListener("wheel", function (event) {
      event.preventDefault();
      var at = share(event);
      zoom(event.deltaY < 0 ? 1.25 : 0.8, at[0], at[1]);
    }, {passive: false});
    var pointers = {}, start = null, moved = false, touched = null;
    svg.addEventListener("pointerdown", function (event) {
      touched = event.target.closest(".stop");  // later events go to the svg (captured)
      pointers[event.pointerId] = [event.clientX, event.clientY];
      start = {view: view.slice(), pointers: JSON.parse(JSON.stringify(pointers))};
      moved = false;
      svg.setPointerCapture(event.pointerId);
    });
    svg.addEventListener("pointermove", function (event) {
      if (!start || !pointers[event.pointerId]) return;
      pointers[event.pointerId] = [event.clientX, event.clientY];
      var ids = Object.keys(pointers), box = svg.getBoundingClientRect();
      var scale = start.view[2] / box.width;
      if (ids.length === 1 && start.pointers[ids[0]]) {
        var dx = pointers[ids[0]][0] - start.pointers[ids[0]][0];
        var dy = pointers[ids[0]][1] - start.pointers[ids[0]][1];
        if (Math.abs(dx) + Math.abs(dy) > 4) moved = true;
        if (moved) set([start.view[0] - dx * scale, start.view[1] - dy * scale,
                        start.view[2], start.view[3]]);
      } else if (ids.length === 2 && start.pointers[ids[0]] && start.pointers[ids[1]]) {
        var apart = function (p) {
          return Math.hypot(p[ids[0]][0] - p[ids[1]][0], p[ids[0]][1] - p[ids[1]][1]) || 1;
        };
        var factor = apart(pointers) / apart(start.pointers);
        moved = true;
        set([start.view[0] + (start.view[2] - start.view[2] / factor) / 2,
             start.view[1] + (start.view[3] - start.view[3] / factor) / 2,
             start.view[2] / factor, start.view[3] / factor]);
      }
    });
    var end = function (event) {
      delete pointers[event.pointerId];
      if (!Object.keys(pointers).length) start = null;
    };
    svg.addEventListener("pointerup", function (event) {
      var stop = touched;
      if (!moved && stop) {
        svg.querySelectorAll(".stop.chosen").forEach(function (s) { s.classList.remove("chosen"); });
        stop.classList.add("chosen");
        info.textContent = stop.querySelector("title").textContent;
        var row = document.getElementById("stop-" + stop.dataset.stop);
        if (row) {
          document.querySelectorAll("tr.chosen").forEach(function (r) { r.classList.remove("chosen"); });
          row.classList.add("chosen");
        }
      }
      end(event);
    });
    svg.addEventListener("pointercancel", end);
  }

  // --- move or lock: one form, opened from a stop's menu -----------------------------------
  var dialog = document.getElementById("move");
  if (dialog && typeof dialog.showModal === "function") {
    var moveForm = document.getElementById("move-form");
    var opener = null;
    var open = function (link) {
      var id = link.dataset.order, handover = link.dataset.handover === "1";
      var url = handover ? dialog.dataset.handoverUrl : dialog.dataset.lockUrl;
      moveForm.action = url.replace("/0/", "/" + id + "/");
      document.getElementById("move-order").textContent =
        "#" + id + " · " + (link.closest("tr").querySelector(".what") || link.closest("tr").cells[1]).textContent.trim();
      var select = document.getElementById("move-assistant");
      select.value = link.dataset.assistant || select.value;
      document.getElementById("move-position").value = link.dataset.position || "";
      dialog.querySelector(".position").hidden = handover;
      dialog.querySelector(".handover-hint").hidden = !handover;
      document.getElementById("move-unlock").hidden = link.dataset.locked !== "1";
      var go = document.getElementById("move-lock");
      go.textContent = handover ? go.dataset.handover : go.dataset.lock;
      dialog.querySelectorAll(".flash").forEach(function (f) { f.remove(); });
      opener = link;
      if (dialog.open) dialog.close();
      dialog.showModal();
      select.focus();
    };
    document.addEventListener("click", function (event) {
      var link = event.target.closest("a.menu");
      if (!link) return;
      event.preventDefault();
      open(link);
    });
    document.getElementById("move-cancel").addEventListener("click", function (event) {
      event.preventDefault();
      dialog.close();
    });
    dialog.addEventListener("close", function () { if (opener) opener.focus(); });
    if (dialog.open) {  // a refused move came back with its reasons: keep it in view, modal
      dialog.close();
      dialog.showModal();
      var first = dialog.querySelector(".flash") ? document.getElementById("move-assistant") : null;
      if (first) first.focus();
    }
  }
})();
