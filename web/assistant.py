"""The assistant's "Mijn ronde": today's stops in order, directions, the map, A4 print, and
"opgehaald" per pickup place (a batch at once), "afgeleverd" / "niet thuis" per door and
"teruggebracht" for goods taken back after a "niet thuis": each tap a fact (:mod:`web.facts`),
after which the rest of the day is repaired in the background. The page polls ``round/state``
and says when the round changed and how.

An assistant sees only their own round; the coordinator may open anyone's.
"""

from __future__ import annotations

import re
from datetime import date, timedelta, timezone
from typing import Iterable

from flask import (Blueprint, Response, abort, current_app, flash, jsonify, redirect,
                   render_template, request, url_for)
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from routing.model import hhmm

from . import access, alerts, facts, planning, rounds, tenancy
from .adapter import seconds
from .areas import current_area
from .auth import current_user, role_required
from .dates import local_today
from .db import app_object, db
from .i18n import gettext as _
from .i18n import language
from .orders import TIME
from .store import (HOUSE_CALL_OUTCOMES, VISITED, Assistant, HouseCall, Order, OrderEvent,
                    Plan, get)

bp = Blueprint("assistant", __name__, url_prefix="/assistant")
STOP_ANCHOR = re.compile(r"^round-stop-\w+-(pickup|delivery)(-return)?$")


def _day() -> date:
    try:
        return date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return local_today()


def _whose(assistant_id: int | None) -> Assistant:
    """The assistant whose round is asked for; others' rounds are refused to assistants."""
    user = current_user()
    if assistant_id is None:
        assistant_id = user.assistant_id
        if assistant_id is None:
            abort(404)
    if user.role == "assistant" and assistant_id != user.assistant_id:
        abort(403)
    return get(db(), Assistant, assistant_id) or abort(404)


def _round(assistant: Assistant, service_date: date):
    plan = planning.current_plan(db(), service_date)
    if plan is None:
        return None, None
    found = rounds.rounds_of(db(), plan, assistant.id)
    return plan, (found[0] if found else None)


def coming_rounds(session: Session, assistant_id: int, after: date,
                  days: int = 14) -> list[date]:
    """The days after ``after`` (up to ``days`` ahead) whose current plan gives the assistant
    stops: she can look ahead at Monday's round on Sunday (the pages open on today)."""
    plans = session.scalars(select(Plan).where(
        Plan.service_date > after, Plan.service_date <= after + timedelta(days=days),
        Plan.status == "done", Plan.superseded.is_(False)).order_by(Plan.service_date))
    return sorted({p.service_date for p in plans if any(
        str(r["assistant_id"]) == str(assistant_id) and r["visits"]
        for r in p.payload.get("routes", ()))})


def done_times(session: Session, orders: Iterable[Order]) -> dict[int, dict[str, str]]:
    """When each stop that happened was marked: per order, per status ("delivered",
    "not_home", "returned") the "HH:MM" local time of its latest event, from the history.

    The history is stored in UTC; the round is lived in the cooperative's time zone.
    """
    ids = {o.id for o in orders if o.status in VISITED}
    if not ids:
        return {}
    zone = tenancy.zone(session)
    out: dict[int, dict[str, str]] = {}
    for event in session.scalars(select(OrderEvent).where(OrderEvent.order_id.in_(ids))
                                 .order_by(OrderEvent.id)):
        if event.status in VISITED:  # the latest such event wins
            out.setdefault(event.order_id, {})[event.status] = (
                event.at.replace(tzinfo=timezone.utc).astimezone(zone).strftime("%H:%M"))
    return out


@bp.route("/")
@bp.route("/<int:assistant_id>")
@role_required("assistant", "coordinator")
def round(assistant_id: int | None = None):  # noqa: A001 (the page is "the round")
    if assistant_id is None and current_user().role == "coordinator":
        return redirect(url_for("coordinator.day"))
    assistant = _whose(assistant_id)
    service_date = _day()
    plan, rnd = _round(assistant, service_date)
    svg, steps = "", {}
    if rnd is not None and rnd.stops:
        area = current_area()
        svg = rounds.map_svg(area, [rnd], title=_("Round of {name}", name=assistant.name))
        steps = rounds.steps(area, rnd, language())
    done = done_times(db(), [s.order for s in rnd.stops]) if rnd is not None else {}
    open_stops = [s for s in rnd.stops if not s.happened] if rnd is not None else []
    access.note_orders([o for s in rnd.stops for o in s.orders] if rnd else [], "view", "round")
    return render_template("assistant/round.html", assistant=assistant, day=service_date,
                           plan=plan, rnd=rnd, svg=svg, steps=steps, done=done,
                           changes=changes_for(plan, assistant.id), open_stops=open_stops,
                           progress=progress(rnd, open_stops, service_date),
                           buurten=sorted(current_area().buurten),
                           house_calls=_house_calls(plan, assistant, service_date),
                           call_outcomes=HOUSE_CALL_OUTCOMES,
                           coming=coming_rounds(db(), assistant.id, max(
                               service_date, local_today())) if assistant_id is None else [],
                           undo_ms=int(float(current_app.config["MARK_UNDO_SECONDS"]) * 1000))


def _house_calls(plan, assistant: Assistant, service_date: date) -> list[dict]:
    """This round's house calls (doors, not residents), with what was recorded at each."""
    rows = [dict(r) for r in (plan.payload.get("house_calls", ()) if plan else ())
            if r["assistant_id"] == str(assistant.id)]
    done = {c.door_id: c.outcome for c in db().scalars(select(HouseCall).where(
        HouseCall.service_date == service_date, HouseCall.assistant_id == assistant.id))}
    for row in rows:
        row["time"] = hhmm(row["start"])
        row["outcome"] = done.get(row["door_id"])
    return rows


def progress(rnd, open_stops: list, service_date: date) -> dict[str, str]:
    """"Stop 5 van 28 · 12 min achter": where she is in the round, and against the plan."""
    if rnd is None or not rnd.stops:
        return {"text": ""}
    total = len(rnd.stops)
    at = total - len(open_stops) + 1 if open_stops else total
    text = _("Stop {n} of {total}", n=min(at, total), total=total)
    now = planning.clock_now(app_object(), db(), service_date)
    if open_stops and now is not None:
        late = (now - seconds(open_stops[0].arrival)) // 60
        if late > 5:
            text += " · " + _("{n} min behind schedule", n=late)
        elif late < -5:
            text += " · " + _("{n} min ahead of schedule", n=-late)
        else:
            text += " · " + _("on schedule")
    return {"text": text}


def changes_for(plan, assistant_id: int) -> dict[str, list[dict]]:
    """What the plan changed in this assistant's round (nothing when nothing did)."""
    mine = str(assistant_id)
    out = {k: [c for c in v if mine in (c.get("from"), c.get("to"), c.get("assistant_id"))]
           for k, v in (plan.payload.get("changes", {}) if plan is not None else {}).items()}
    return out if any(out.values()) else {}


@bp.route("/orders/<int:order_id>/status", methods=["POST"])
@role_required("assistant")
def mark(order_id: int):
    """Afgeleverd / niet thuis / opgehaald / teruggebracht from the round page (a form with
    the tap's id; ``order_ids`` lists the other packages of a batch pickup)."""
    more = [int(x) for x in request.form.get("order_ids", "").split(",") if x.isdigit()]
    if get(db(), Order, order_id) is None:
        abort(404)  # no such order (or another cooperative's: the same to the asker)
    stop = request.form.get("stop", "")
    back = redirect(url_for("assistant.round")
                    + (f"#{stop}" if STOP_ANCHOR.match(stop) else ""))
    try:
        recorded = _record([order_id, *more], request.form.get("status", ""),
                           request.form.get("event_id", ""))
    except facts.Refused as exc:
        flash(f"{_(exc.field)}: {_(exc.template, **exc.params)}", "error")
        return back
    status = recorded.facts[0].action
    flash(_("Already recorded: {status}.", status=_(status)) if recorded.replayed
          else _("Marked: {status}.", status=_(status)), "success")
    return back


@bp.route("/marks", methods=["POST"])
@role_required("assistant")
def marks_api():
    """The same as JSON, for the round page's script and marks sent later from a phone that
    was offline: ``{"event_id", "order_ids": [..], "status", "ago": seconds since the tap
    (optional) or "at": "HH:MM" (optional)}``.
    Answers 201 (recorded) or 200 (this event was recorded before), or 4xx with the field."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify({"error": "body: must be a JSON object"}), 400
    ids = body.get("order_ids")
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool)
                                           for i in ids):
        return jsonify({"error": "order_ids: must be a list of order numbers"}), 400
    at = body.get("at")
    if at is not None and (not isinstance(at, str) or not TIME.match(at)):
        return jsonify({"error": "at: must be a time like 09:30"}), 400
    ago = body.get("ago", 0)
    if not isinstance(ago, int) or isinstance(ago, bool) or not 0 <= ago <= 86_400:
        return jsonify({"error": "ago: must be the whole seconds since the tap (0 to 86400)"}), 400
    try:
        recorded = _record(ids, str(body.get("status", "")), str(body.get("event_id", "")),
                           at, ago)
    except facts.Refused as exc:
        return jsonify({"error": f"{exc.field}: {exc}"}), exc.status
    return jsonify({"recorded": [f.order_id for f in recorded.facts],
                    "replayed": recorded.replayed}), 200 if recorded.replayed else 201


def _record(order_ids: list[int], status: str, tap: str, at: str | None = None,
            ago: int = 0) -> facts.Recorded:
    """Record a tap for stops of one's own round (or goods one carries), commit it, and ask
    for the rest of the day to be planned again."""
    facts.validate(tap, status)
    user = current_user()
    assistant = user.assistant
    orders = [o for o in (get(db(), Order, i) for i in dict.fromkeys(order_ids)) if o]
    if len(orders) != len(set(order_ids)):
        raise facts.Refused("order_ids", "no such order", 404)
    mine = _my_orders(assistant, orders[0].service_date) if orders else set()
    for o in orders:
        if o.id not in mine and facts.carrier_of(db(), o.id) != assistant.id:
            raise facts.Refused("order_ids", "this stop is not in your round", 404)
    app = app_object()
    # when it happened: "at" (the area's local time) or "ago" (seconds before now, which a
    # phone that was offline knows whatever its clock or time zone says)
    now = planning.clock_now(app, db(), orders[0].service_date) if orders else 0
    when = seconds(at) if at else max(0, (now or 0) - ago)
    raised = []
    try:
        recorded = facts.record(db(), assistant, user.id, orders, status, tap, when or 0)
        if not recorded.replayed:
            raised = alerts.raise_for(db(), recorded.facts)
        db().commit()
    except IntegrityError:  # the same tap, sent twice at once: the other one stored it
        db().rollback()
        recorded = facts.record(db(), assistant, user.id, orders, status, tap, when or 0)
    access.note_orders(orders, "change", "status")
    alerts.notify_all(app, db(), raised, url_for("door.alerts_page", _external=True))
    if not recorded.replayed:
        planning.request(app, db(), orders[0].service_date, "mark", user.id, orders[0].id)
    return recorded


def _my_orders(assistant: Assistant, service_date: date) -> set[int]:
    _plan, rnd = _round(assistant, service_date)
    return {s.order.id for s in rnd.stops} if rnd is not None else set()


@bp.route("/round/state")
@role_required("assistant")
def state():
    """What the round page polls: the current plan and what changed in this round."""
    assistant = _whose(None)
    service_date = _day()
    plan = planning.current_plan(db(), service_date)
    run = planning.latest_run(db(), service_date)
    return jsonify({"plan_id": plan.id if plan else None,
                    "planning": run is not None and run.status == "running",
                    "changes": changes_for(plan, assistant.id)})


@bp.route("/sw.js")
def service_worker():
    """The round's service worker, served from /assistant/ so that it may keep the round
    (and only the round) on the phone for when the connection drops."""
    response = current_app.send_static_file("sw.js")
    response.headers["Service-Worker-Allowed"] = "/assistant/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/round.gpx", defaults={"fmt": "gpx"})
@bp.route("/round.geojson", defaults={"fmt": "geojson"})
@role_required("assistant")
def export(fmt: str):
    """The round as GPX or GeoJSON for a navigation app (empty when nothing is planned)."""
    assistant = _whose(None)
    _plan, rnd = _round(assistant, _day())
    if rnd is None:
        rnd = rounds.Round(assistant, "#000000", mode=assistant.mode)
    body = rounds.exports(current_area(), rnd, fmt)
    access.note_orders([o for s in rnd.stops for o in s.orders], "export", "round", fmt)
    mime = "application/gpx+xml" if fmt == "gpx" else "application/geo+json"
    return Response(body, mimetype=mime, headers={
        "Content-Disposition": f"attachment; filename=ronde-{_day().isoformat()}.{fmt}"})
