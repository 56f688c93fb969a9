"""The coordinator's week: seven days side by side, per day and assistant the hours, stops and
praatje minutes of the day's current plan and the orders it left out; planning several days
at once; and flexible parcels, which go to the next day rather than being left out.

The figures are the plans' own totals (``payload["totals"]``, made by the routing core when
the plan was made), so the week says exactly what each day's page says.

A parcel may carry ``flexible_until``: a later day it may still be brought on. When a day's
plan leaves such a parcel out, it moves to the next day (:func:`defer_flexible`), its history
says from which day and why, and the plan records the move (``payload["deferred"]``), so the
coordinator sees where it went. On its last allowed day it stays unplanned with its reason,
like any order: nothing is dropped without a reason the coordinator can act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import planning, reasons
from .adapter import store_id
from .auth import current_user, role_required
from .dates import local_today
from .db import app_object, db
from .i18n import gettext as _
from .i18n import language, long_date
from .store import Assistant, Order, OrderEvent, Plan, Shift

bp = Blueprint("week", __name__, url_prefix="/coordinator/week")
DAYS = 7


@dataclass
class Workload:
    """One assistant's day in a plan."""

    hours: float
    stops: int
    praatje_minutes: int


@dataclass
class Day:
    """One day of the week: its plan's figures, or what there is before a plan."""

    day: date
    plan: Plan | None
    orders: int
    shifts: int
    #: order kind → how many (not cancelled): a meal or a parcel shows in the week before
    #: a plan does
    kinds: dict[str, int] = field(default_factory=dict)
    per_assistant: dict[int, Workload] = field(default_factory=dict)
    unplanned: int = 0
    deferred: list[dict] = field(default_factory=list)


def figures(session: Session, day: date) -> Day:
    """The day's current plan in the week's terms (its own totals, rounded for reading)."""
    plan = planning.current_plan(session, day)
    kinds = dict(session.execute(select(Order.kind, func.count(Order.id)).where(
        Order.service_date == day, Order.status != "cancelled").group_by(Order.kind)
        .order_by(Order.kind)).all())
    shifts = session.scalar(select(func.count(Shift.id)).where(Shift.service_date == day)) or 0
    out = Day(day, plan, sum(kinds.values()), shifts, kinds,
              deferred=deferred_from(session, day))
    if plan is None:
        return out
    totals = plan.payload.get("totals", {})
    for aid, t in totals.get("assistants", {}).items():
        out.per_assistant[int(aid)] = Workload(
            hours=round(t["work_seconds"] / 3600, 1), stops=t["stops"],
            praatje_minutes=round((t["praatje_seconds"] or 0) / 60))
    out.unplanned = totals.get("unplanned", len(plan.payload.get("unplanned", ())))
    return out


def deferred_from(session: Session, day: date) -> list[dict]:
    """The flexible parcels that went from ``day`` to the next day, with why (every finished
    plan of the day, the superseded ones too: a parcel moves once)."""
    plans = session.scalars(select(Plan).where(Plan.service_date == day, Plan.status == "done")
                            .order_by(Plan.id))
    lang = language()
    return [{**d, "reason": reasons.say(d, lang), "to_day": date.fromisoformat(d["to"])}
            for p in plans
            for d in p.payload.get("deferred", ())]


def defer_flexible(app, session: Session, plan: Plan) -> list[Order]:
    """Move the flexible parcels ``plan`` left out to the next day (only those still
    submitted and allowed a later day); note the move and its reason in each order's history
    and in the plan; ask for the next day's plan to take them in if it has one."""
    day = plan.service_date
    left = {store_id(u["order_id"])[0]: u for u in plan.payload.get("unplanned", ())
            if not store_id(u["order_id"])[1]}
    if not left:
        return []
    moved = list(session.scalars(select(Order).where(
        Order.id.in_(left), Order.flexible_until > day, Order.service_date == day,
        Order.status == "submitted").order_by(Order.id)))
    if not moved:
        return []
    nxt = day + timedelta(days=1)
    record = []
    for order in moved:
        why = left[order.id]
        order.service_date = nxt
        order.events.append(OrderEvent(org_id=order.org_id, status=order.status,
                                       note=f"moved from {day.isoformat()} to "
                                            f"{nxt.isoformat()}: {why['code']}"[:200]))
        record.append({"order_id": str(order.id), "to": nxt.isoformat(), "code": why["code"],
                       "reason": why["reason"], "template": why.get("template", ""),
                       "params": why.get("params", {})})
    plan.payload = {**plan.payload, "deferred": record}
    session.commit()
    for order in moved:
        planning.order_changed(app, session, order, "order")
    return moved


# --- the page ---------------------------------------------------------------------------------

def _start() -> date:
    try:
        return date.fromisoformat(request.args.get("start", ""))
    except ValueError:
        today = local_today()
        return today - timedelta(days=today.weekday())


@bp.route("")
@role_required("coordinator")
def index():
    """Seven days from ``start`` (default: this week's Monday)."""
    start = _start()
    today = local_today()
    days = []
    for i in range(DAYS):
        day = start + timedelta(days=i)
        planning.prepare(db(), day, today)
        days.append(figures(db(), day))
    ids = sorted({a for d in days for a in d.per_assistant})
    names = dict(db().execute(select(Assistant.id, Assistant.name)
                              .where(Assistant.id.in_(ids))).all()) if ids else {}
    return render_template("coordinator/week.html", start=start, days=days, today=today,
                           assistants=sorted(ids, key=lambda a: names.get(a, "")), names=names,
                           before=start - timedelta(days=DAYS),
                           after=start + timedelta(days=DAYS))


@bp.route("/plan", methods=["POST"])
@role_required("coordinator")
def plan():
    """Ask a planning run for each chosen day (today or later): the day's orders from
    standing orders are made first, then the planner takes the day."""
    today = local_today()
    start = _start_of(request.form.get("start", ""), today)
    chosen, bad = [], []
    for raw in request.form.getlist("dates"):
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            bad.append(raw)
            continue
        if day < today:
            bad.append(raw)
        else:
            chosen.append(day)
    back = redirect(url_for("week.index", start=start.isoformat()))
    if bad:
        flash(f"{_('Days')}: " + _("only today or later days can be planned ({days})",
                                   days=", ".join(bad[:7])), "error")
        return back
    if not chosen:
        flash(f"{_('Days')}: " + _("choose at least one day"), "error")
        return back
    app = app_object()
    for day in sorted(set(chosen)):
        planning.prepare(db(), day, today)
        planning.request(app, db(), day, "plan", current_user().id)
    flash(_("Planning started for {days}.", days=", ".join(long_date(d) for d in sorted(
        set(chosen)))), "info")
    return back


def _start_of(raw: str, today: date) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return today - timedelta(days=today.weekday())
