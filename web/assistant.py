"""The assistant's "Mijn ronde": today's stops in order, directions, the map, A4 print, and
"afgeleverd" / "niet thuis" per stop (which re-plans the rest of the day in the background), and
"teruggebracht" for goods taken back to the pharmacy or parcel point after a "niet thuis".

An assistant sees only their own round; the coordinator may open anyone's.
"""

from __future__ import annotations

from datetime import date, timezone
from typing import Iterable
from zoneinfo import ZoneInfo

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import planning, rounds, today
from .areas import current_area
from .auth import current_user, role_required
from .db import db
from .i18n import gettext as _
from .i18n import language
from .store import VISITED, Assistant, Order, OrderEvent, get

bp = Blueprint("assistant", __name__, url_prefix="/assistant")
MARKS = ("delivered", "not_home", "returned")


def _day() -> date:
    try:
        return date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return today(current_app)


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


def done_times(session: Session, orders: Iterable[Order]) -> dict[int, dict[str, str]]:
    """When each stop that happened was marked: per order, per status ("delivered",
    "not_home", "returned") the "HH:MM" local time of its latest event, from the history.

    The history is stored in UTC; the round is lived in the service area's time zone
    (``TIMEZONE``, Europe/Amsterdam unless configured).
    """
    ids = {o.id for o in orders if o.status in VISITED}
    if not ids:
        return {}
    zone = ZoneInfo(current_app.config.get("TIMEZONE") or "Europe/Amsterdam")
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
    return render_template("assistant/round.html", assistant=assistant, day=service_date,
                           plan=plan, rnd=rnd, svg=svg, steps=steps, done=done)


@bp.route("/orders/<int:order_id>/status", methods=["POST"])
@role_required("assistant")
def mark(order_id: int):
    """Afgeleverd / niet thuis / teruggebracht for a stop of one's own round (as the stop
    allows it now); then re-plan the rest."""
    user = current_user()
    order = get(db(), Order, order_id)
    status = request.form.get("status", "")
    back = redirect(url_for("assistant.round"))
    plan, rnd = (_round(user.assistant, order.service_date) if order is not None
                 else (None, None))
    stops = [s for s in rnd.stops if s.order.id == order_id] if rnd is not None else []
    if not stops:
        flash(_("This stop is not in your round (any more)."), "error")
        return back
    if status not in MARKS:
        flash(f"{_('Status')}: {_('is required')}", "error")
        return back
    if not any(status in s.marks for s in stops):
        flash(_("This stop was already marked."), "error")
        return back
    try:
        order.set_status(status, user_id=user.id)
    except ValueError:
        flash(_("This stop was already marked."), "error")
        return back
    db().commit()
    app = current_app._get_current_object()
    planning.start(app, db(), order.service_date, user.id,
                   now=planning.clock_now(app, order.service_date))
    flash(_("Marked: {status}.", status=_(status)), "success")
    return back


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
    mime = "application/gpx+xml" if fmt == "gpx" else "application/geo+json"
    return Response(body, mimetype=mime, headers={
        "Content-Disposition": f"attachment; filename=ronde-{_day().isoformat()}.{fmt}"})
