"""The coordinator's day: every partner's orders by buurt and kind, the assistants and their
shifts. (Planning, moving and locking stops build on this page.)"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from . import today
from .auth import role_required
from .db import db
from .i18n import gettext as _
from .orders import TIME, minutes
from .store import MODES, ORDER_KINDS, Assistant, Order, Shift, get

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")


def _day() -> date:
    try:
        return date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return today(current_app)


def day_orders(day: date) -> list[Order]:
    return list(db().scalars(select(Order).where(Order.service_date == day)
                             .options(selectinload(Order.resident), selectinload(Order.partner))
                             .order_by(Order.id)))


@bp.route("/")
@role_required("coordinator")
def day():
    """The day at a glance: counts per buurt and kind, orders per buurt, shifts."""
    service_date = _day()
    orders = day_orders(service_date)
    active = [o for o in orders if o.status != "cancelled"]
    by_buurt: dict[str, list[Order]] = defaultdict(list)
    for order in active:
        by_buurt[order.resident.buurt or "—"].append(order)
    counts = Counter((o.resident.buurt or "—", o.kind) for o in active)
    shifts = db().scalars(select(Shift).where(Shift.service_date == service_date)
                          .options(selectinload(Shift.assistant)).order_by(Shift.start)).all()
    work = sum(minutes(s.end) - minutes(s.start) - s.break_minutes for s in shifts)
    return render_template(
        "coordinator/day.html", day=service_date, by_buurt=dict(sorted(by_buurt.items())),
        counts=counts, kinds=ORDER_KINDS, cancelled=len(orders) - len(active),
        kind_totals=Counter(o.kind for o in active), shifts=shifts, work_minutes=work,
        assistants=db().scalars(select(Assistant).where(Assistant.active)
                                .order_by(Assistant.name)).all(), modes=MODES)


@bp.route("/shifts", methods=["POST"])
@role_required("coordinator")
def add_shift():
    """Add a shift for an assistant on a day (from the day page)."""
    form = request.form
    errors = {}
    assistant = get(db(), Assistant, int(form["assistant_id"])) if form.get(
        "assistant_id", "").isdigit() else None
    if assistant is None:
        errors["assistant_id"] = _("is required")
    try:
        service_date = date.fromisoformat(form.get("service_date", ""))
    except ValueError:
        errors["service_date"] = _("must be a date like 2025-03-14")
        service_date = today(current_app)
    start, end = form.get("start", ""), form.get("end", "")
    for name, value in (("start", start), ("end", end)):
        if not TIME.match(value):
            errors[name] = _("must be a time like 09:30")
    if not errors and minutes(end) <= minutes(start):
        errors["end"] = _("the window must end after it starts")
    break_minutes = form.get("break_minutes", "0") or "0"
    if not break_minutes.isdigit() or int(break_minutes) > 120:
        errors["break_minutes"] = _("must be between {low} and {high}", low=0, high=120)
    break_from = form.get("break_from", "") or None
    if break_from is not None and not TIME.match(break_from):
        errors["break_from"] = _("must be a time like 09:30")
    elif break_from and not errors and not minutes(start) <= minutes(break_from) < minutes(end):
        errors["break_from"] = _("lies outside the shift")
    if errors:
        for name, reason in errors.items():
            flash(f"{_(FIELD_LABELS.get(name, name))}: {reason}", "error")
    else:
        db().add(Shift(assistant=assistant, service_date=service_date, start=start, end=end,
                       break_minutes=int(break_minutes),
                       break_from=break_from if int(break_minutes) else None))
        db().commit()
        flash(_("Shift added."), "success")
    return redirect(url_for("coordinator.day", date=service_date.isoformat()))


FIELD_LABELS = {"assistant_id": "Assistant", "service_date": "Date", "start": "Start",
                "end": "End", "break_minutes": "Break (minutes)", "break_from": "Break from"}
