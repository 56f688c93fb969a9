"""The coordinator's day: every partner's orders by buurt and kind, the assistants and their
shifts; planning the day (in the background), the plan's map, workload and unplanned orders;
moving and locking stops (one form, opened from a stop's menu); the day's progress as the page
polls it; all rounds on A4."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timezone

from flask import (Blueprint, abort, flash, jsonify, redirect, render_template,
                   request, url_for)
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from . import access, door, facts, jobs, planning, rounds, tenancy
from .adapter import praatje_minutes
from .areas import current_area
from .assistant import done_times
from .auth import current_user, role_required
from .dates import local_today
from .db import app_object, db
from .hygiene import foreign_digits, is_number, number_error
from .i18n import N_, long_date, ngettext
from .i18n import gettext as _
from .orders import TIME, minutes
from .store import (MISSED, MODES, ORDER_KINDS, VISITED, Assistant, Order, PlanRequest, Shift,
                    StopLock, get, utcnow)
from .week import deferred_from

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")


def _day() -> date:
    try:
        return date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return local_today()


def day_orders(day: date) -> list[Order]:
    return list(db().scalars(select(Order).where(Order.service_date == day)
                             .options(selectinload(Order.resident), selectinload(Order.partner))
                             .order_by(Order.id)))


@bp.route("/")
@role_required("coordinator")
def day():
    """The day at a glance: counts per buurt and kind, orders per buurt, shifts."""
    service_date = _day()
    planning.prepare(db(), service_date, local_today())
    orders = day_orders(service_date)
    access.note_orders(orders, "view", "orders")
    active = [o for o in orders if o.status != "cancelled"]
    by_buurt: dict[str, list[Order]] = defaultdict(list)
    for order in active:
        by_buurt[order.resident.buurt or "—"].append(order)
    counts = Counter((o.resident.buurt or "—", o.kind) for o in active)
    shifts = db().scalars(select(Shift).where(Shift.service_date == service_date)
                          .options(selectinload(Shift.assistant)).order_by(Shift.start)).all()
    work = sum(minutes(s.end) - minutes(s.start) - s.break_minutes for s in shifts)
    plan = planning.current_plan(db(), service_date)
    run = planning.latest_run(db(), service_date)
    busy = (run is not None and run.status == "running") or planning.pending(db(), service_date)
    plan_view = {}
    if plan is not None:
        day_rounds = rounds.rounds_of(db(), plan)
        locks = {k.order_id: k for k in db().scalars(select(StopLock))}
        plan_view = {"plan": plan, "rounds": day_rounds, "locks": locks,
                     "map": rounds.map_svg(current_area(), [r for r in day_rounds if r.stops],
                                           title=_("Rounds of {date}",
                                                   date=long_date(service_date))),
                     "unplanned": rounds.unplanned_of(db(), plan),
                     "done": done_times(db(), [s.order for r in day_rounds for s in r.stops]),
                     "live": progress(day_rounds, _now_minutes(service_date))}
    moving = get(db(), Order, request.args.get("move", type=int) or 0)
    return render_template(
        "coordinator/day.html", run=run, shift_ids=[s.assistant_id for s in shifts],
        day=service_date, by_buurt=dict(sorted(by_buurt.items())),
        counts=counts, kinds=ORDER_KINDS, cancelled=len(orders) - len(active),
        kind_totals=Counter(o.kind for o in active), shifts=shifts, work_minutes=work,
        assistants=db().scalars(select(Assistant).where(Assistant.active)
                                .order_by(Assistant.name)).all(), modes=MODES,
        praatje=praatje_minutes, names={a.id: a.name for a in db().scalars(select(Assistant))},
        busy=busy, undo=_last_change(service_date), changes=_changes(plan),
        deferred=deferred_from(db(), service_date),
        made_at=local_time(plan.finished_at) if plan is not None else "",
        moving=moving if moving is not None and moving.service_date == service_date else None,
        run_note=run_note(run, busy), now_minutes=_now_minutes(service_date),
        **door.panel_context(), **plan_view)


def _now_minutes(service_date: date) -> int | None:
    now = planning.clock_now(app_object(), db(), service_date)
    return None if now is None else now // 60


def _clock(text: str) -> int:
    return int(text[:2]) * 60 + int(text[3:5])


def progress(day_rounds: list[rounds.Round], now: int | None) -> dict:
    """How the day goes, in the page's language, as the day page shows it and polls it: per
    round the doors done, nobody home and goods brought back, ahead of or behind schedule
    (stops due by now against stops done; minutes past the next stop's planned time); and
    the hot meals that will be, or are, later than their window."""
    out, late = {}, []
    for r in day_rounds:
        doors = [s for s in r.stops if s.at_resident]
        done = sum(1 for s in doors if s.happened)
        missed = sum(1 for s in doors if s.happened and s.order.status in MISSED)
        back = sum(1 for s in r.stops if s.returning and s.action == "delivery" and s.happened)
        parts = [ngettext("{done} of {n} door", "{done} of {n} doors", len(doors), done=done)]
        if missed:
            parts.append(ngettext("{n} not home", "{n} not home", missed))
        if back:
            parts.append(ngettext("{n} brought back", "{n} brought back", back))
        state, schedule = "", ""
        upcoming = next((s for s in r.stops if not s.happened), None)
        if now is not None and doors:
            due = sum(1 for s in doors if _clock(s.arrival) <= now)
            behind = now - _clock(upcoming.arrival) if upcoming is not None else 0
            if behind > 5:
                state, schedule = "behind", _("{n} min behind schedule", n=behind)
            elif done > due:
                state, schedule = "ahead", ngettext("{n} stop ahead of schedule",
                                                    "{n} stops ahead of schedule", done - due)
            elif upcoming is not None:
                state, schedule = "on_time", _("on schedule")
        out[str(r.assistant.id)] = {"done": " · ".join(parts), "state": state,
                                    "schedule": schedule,
                                    "next": upcoming.arrival if upcoming is not None else ""}
        for s in doors:
            ends = [_clock(e) for _s, e in s.order.windows]
            if not s.order.hot_meal or s.happened or not ends:
                continue
            by = max(_clock(s.arrival), now or 0) - max(ends)
            if by > 0:
                late.append(_("Hot meal #{id} ({who}, {name}): {n} min after its window",
                              id=s.order.id, who=rounds.initials(s.order.resident.name),
                              name=r.assistant.name, n=by))
    return {"rounds": out, "late_meals": late}


def run_note(run, busy: bool) -> str:
    """The planner's state in one sentence (failed: why), for the status line."""
    if busy:
        return _("The planner is working…")
    if run is not None and run.status == "failed":
        return _("The last planning run failed: {reason}.", reason=failure(run.error))
    return ""


FAILURES = {
    "timeout": N_("the planner was stopped at its hard time limit of {value} seconds"),
    "rejected": N_("the plan checker found {value} broken rule(s) in the result"),
    "no_plan": N_("no plan was found within the time limit"),
    "crashed": N_("the planning process stopped without a result"),
    "error": N_("an error in the planner ({value})"),
    "interrupted": N_("the worker running it stopped ({value})"),
}


def failure(error: str) -> str:
    """Why a run failed, in the page's language."""
    code, _sep, value = error.partition(":")
    if code not in FAILURES:
        return error
    if code == "interrupted":
        return _(FAILURES[code], value=_("tried again") if value else _("not tried again"))
    return _(FAILURES[code], value=value)


def _changes(plan) -> dict:
    changes = plan.payload.get("changes", {}) if plan is not None else {}
    return changes if any(changes.values()) else {}


def local_time(at) -> str:
    """A stored UTC time as "HH:MM" in the cooperative's time zone."""
    if at is None:
        return ""
    return at.replace(tzinfo=timezone.utc).astimezone(tenancy.zone(db())).strftime("%H:%M")


@bp.route("/shifts", methods=["POST"])
@role_required("coordinator")
def add_shift():
    """Add a shift for an assistant on a day (from the day page)."""
    form = request.form
    errors = {}
    assistant = get(db(), Assistant, int(form["assistant_id"])) if is_number(form.get(
        "assistant_id", "")) else None
    if assistant is None:
        errors["assistant_id"] = (_("use the digits 0 to 9") if foreign_digits(
            form.get("assistant_id", "")) else _("is required"))
    try:
        service_date = date.fromisoformat(form.get("service_date", ""))
    except ValueError:
        errors["service_date"] = _("must be a date like 2025-03-14")
        service_date = local_today()
    start, end = form.get("start", ""), form.get("end", "")
    for name, value in (("start", start), ("end", end)):
        if not TIME.match(value):
            errors[name] = (_("use the digits 0 to 9") if foreign_digits(value)
                            else _("must be a time like 09:30"))
    if not errors and minutes(end) <= minutes(start):
        errors["end"] = _("the window must end after it starts")
    break_minutes = form.get("break_minutes", "0") or "0"
    if not is_number(break_minutes) or int(break_minutes) > 120:
        errors["break_minutes"] = (_("use the digits 0 to 9") if foreign_digits(break_minutes)
                                   else _("must be between {low} and {high}", low=0, high=120))
    break_from = form.get("break_from", "") or None
    if break_from is not None and not TIME.match(break_from):
        errors["break_from"] = _("must be a time like 09:30")
    elif break_from and not errors and not minutes(start) <= minutes(break_from) < minutes(end):
        errors["break_from"] = _("lies outside the shift")
    same_day = db().scalar(select(Shift).where(
        Shift.assistant_id == assistant.id, Shift.service_date == service_date)) \
        if assistant is not None and "service_date" not in errors else None
    if same_day is not None and same_day.source == "hand":
        errors["assistant_id"] = _("already has a shift on this day; change that one")
    if errors:
        for name, reason in errors.items():
            flash(f"{_(FIELD_LABELS.get(name, name))}: {reason}", "shift-error")
    else:  # one shift per assistant and day: a hand-set one replaces the week's
        shift = same_day or Shift(assistant=assistant, service_date=service_date)
        db().add(shift)
        shift.start, shift.end, shift.source = start, end, "hand"
        shift.break_minutes = int(break_minutes)
        shift.break_from = break_from if int(break_minutes) else None
        shift.break_until = None
        db().commit()
        flash(_("Shift added."), "shift-success")
    return redirect(url_for("coordinator.day", date=service_date.isoformat()) + "#shifts")


FIELD_LABELS = {"assistant_id": N_("Assistant"), "service_date": N_("Date"), "start": N_("Start"),
                "end": N_("End"), "break_minutes": N_("Break (minutes)"),
                "break_from": N_("Break from")}


@bp.route("/plan", methods=["POST"])
@role_required("coordinator")
def plan():
    """Plan the day in the background (the day page polls ``plan_status``). With a current
    plan this repairs it (changes only what changed); ``mode=full`` optimises the whole day
    again, which may move any stop that has not happened."""
    try:
        service_date = date.fromisoformat(request.form.get("service_date")
                                          or request.form.get("date", ""))
    except ValueError:
        service_date = local_today()
    full = request.form.get("mode") == "full"
    planning.prepare(db(), service_date, local_today())
    _ask(service_date, "full" if full else "plan")
    flash(_("Planning started."), "info")
    return redirect(url_for("coordinator.day", date=service_date.isoformat()) + "#planning")


def _ask(service_date: date, kind: str, order_id: int | None = None,
         lock_before: dict | None = None):
    app = app_object()
    return planning.request(app, db(), service_date, kind, current_user().id, order_id,
                            lock_before)


@bp.route("/plan/status")
@role_required("coordinator")
def plan_status():
    """The day's planning as the day page polls it: the latest run (with why it failed), the
    current plan and what it changed, and whether the last change can be undone."""
    service_date = _day()
    # the current plan first: a run read as "running" that a worker finishes before the next
    # read would come back from the session as it was (no rounds) if read second
    current = planning.current_plan(db(), service_date)
    run = planning.latest_run(db(), service_date)
    busy = (run is not None and run.status == "running") or planning.pending(db(), service_date)
    live = progress(rounds.rounds_of(db(), current), _now_minutes(service_date)) \
        if current is not None else {"rounds": {}, "late_meals": []}
    return jsonify({"date": service_date.isoformat(), "busy": busy,
                    "note": run_note(run, busy), "live": live,
                    "elapsed": round((utcnow() - run.created_at).total_seconds())
                    if run is not None and run.status == "running" else None,
                    "status": run.status if run else "none",
                    "run_id": run.id if run else None, "error": run.error if run else "",
                    "violations": (run.violations or [])[:10] if run else [],
                    "plan_id": current.id if current else None,
                    "pending": planning.pending(db(), service_date),
                    "changes": current.payload.get("changes", {}) if current else {},
                    "undo": _last_change(service_date) is not None})


def _last_change(service_date: date) -> PlanRequest | None:
    """The coordinator's newest change of the day that can still be undone."""
    return db().scalars(select(PlanRequest).where(
        PlanRequest.service_date == service_date,
        PlanRequest.kind.in_(("move", "lock", "unlock", "full")),
        PlanRequest.undone_by.is_(None)).order_by(PlanRequest.id.desc())).first()


@bp.route("/undo", methods=["POST"])
@role_required("coordinator")
def undo():
    """Undo the last move, lock, unlock or whole-day optimisation: the lock is as it was and
    the plan from before the change comes back, brought up to date with what happened since."""
    try:
        service_date = date.fromisoformat(request.form.get("service_date", ""))
    except ValueError:
        service_date = local_today()
    back = redirect(url_for("coordinator.day", date=service_date.isoformat()) + "#planning")
    change = _last_change(service_date)
    if change is None:
        flash(_("There is no change to undo."), "error")
        return back
    if change.order_id is not None:
        lock = db().scalar(select(StopLock).where(StopLock.order_id == change.order_id))
        before = change.lock_before
        if before is None and lock is not None:
            db().delete(lock)
        elif before is not None:
            if lock is None:
                lock = StopLock(order_id=change.order_id)
                db().add(lock)
            lock.assistant_id, lock.position = before["assistant_id"], before["position"]
    req = PlanRequest(service_date=service_date, kind="undo", user_id=current_user().id,
                      order_id=change.order_id, base_plan_id=change.base_plan_id)
    db().add(req)
    db().flush()
    change.undone_by = req.id
    db().commit()
    jobs.enqueue_plan(app_object(), tenancy.org_id(db()), service_date)
    flash(_("The last change is being undone."), "info")
    return back


@bp.route("/orders/<int:order_id>/lock", methods=["POST"])
@role_required("coordinator")
def lock_stop(order_id: int):
    """Pin an order's stop to an assistant (move it), optionally as stop N of that round, or
    free it again; then repair the plan: only the rounds it leaves and joins change."""
    order = get(db(), Order, order_id) or abort(404)
    back = redirect(url_for("coordinator.day", date=order.service_date.isoformat())
                    + "#planning")
    refused = _refused(order)
    lock = db().scalar(select(StopLock).where(StopLock.order_id == order.id))
    before = None if lock is None else {"assistant_id": lock.assistant_id,
                                        "position": lock.position}
    if request.form.get("action") == "unlock":
        if lock is None:
            flash(f"#{order.id}: {_('is not locked')}", "error")
            return refused
        db().delete(lock)
        kind = "unlock"
    else:
        assistant, position, errors = lock_target(order, request.form)
        if errors:
            for name, reason in errors.items():
                flash(f"#{order.id} · {_(LOCK_LABELS[name])}: {reason}", "error")
            return refused
        if lock is None:
            lock = StopLock(order_id=order.id, assistant_id=assistant.id)
            db().add(lock)
        lock.assistant_id, lock.position = assistant.id, position
        kind = "move" if position is None else "lock"
    _ask(order.service_date, kind, order.id, before)
    access.note_orders([order], "change", "planning")
    flash(_("Re-planning with the change."), "info")
    return back


@bp.route("/orders/<int:order_id>/handover", methods=["POST"])
@role_required("coordinator")
def hand_over(order_id: int):
    """Goods on one assistant's bike go to another (they meet): a fact, then a repair that
    puts the delivery in the new carrier's round."""
    order = get(db(), Order, order_id) or abort(404)
    back = redirect(url_for("coordinator.day", date=order.service_date.isoformat())
                    + "#planning")
    refused = _refused(order)
    aid = request.form.get("assistant_id", "")
    to = get(db(), Assistant, int(aid)) if aid.isdigit() else None
    if to is None or db().scalar(select(Shift.id).where(
            Shift.assistant_id == to.id, Shift.service_date == order.service_date)) is None:
        flash(f"#{order.id} · {_('Assistant')}: {_('has no shift on this day')}", "error")
        return refused
    app = app_object()
    try:
        facts.hand_over(db(), order, to, current_user().id, request.form.get("event_id", ""),
                        planning.clock_now(app, db(), order.service_date) or 0)
        db().commit()
    except facts.Refused as exc:
        db().rollback()
        flash(f"#{order.id} · {_(exc.field)}: {_(exc.template, **exc.params)}", "error")
        return refused
    except IntegrityError:  # the same form sent twice
        db().rollback()
        return back
    _ask(order.service_date, "handover", order.id)
    access.note_orders([order], "change", "planning")
    flash(_("Handed over to {name}.", name=to.name), "success")
    return back


def _refused(order: Order):
    """Back to the stop's menu, open, with the reasons in it: where the action was taken."""
    return redirect(url_for("coordinator.day", date=order.service_date.isoformat(),
                            move=order.id) + "#move")


LOCK_LABELS = {"assistant_id": N_("Assistant"), "position": N_("As stop number")}


def lock_target(order: Order, form) -> tuple[Assistant | None, int | None, dict[str, str]]:
    """The assistant and 0-based position (None: anywhere) a lock form asks for, or reasons.

    Stop numbers count pickups and deliveries, as the round shows them. Stops that already
    happened open the round and an order's own pickup comes before its delivery, so those
    numbers are refused with the reason instead of leaving the order unplanned.
    """
    errors: dict[str, str] = {}
    aid = form.get("assistant_id", "")
    assistant = get(db(), Assistant, int(aid)) if is_number(aid) else None
    if assistant is None:
        errors["assistant_id"] = (_("use the digits 0 to 9") if foreign_digits(aid)
                                  else _("is required"))
    elif db().scalar(select(Shift.id).where(Shift.assistant_id == assistant.id,
                                            Shift.service_date == order.service_date)) is None:
        errors["assistant_id"] = _("has no shift on this day")
    raw = form.get("position", "").strip()
    if not raw:
        return assistant, None, errors
    if not is_number(raw):
        errors["position"] = number_error(raw, _)
    if errors:
        return assistant, None, errors
    number = int(raw)
    done, others = 0, 0
    plan = planning.current_plan(db(), order.service_date)
    for rnd in rounds.rounds_of(db(), plan, assistant.id) if plan is not None else ():
        for stop in rnd.stops:  # a batch of packages counts as the visits it is
            count = sum(1 for o in stop.orders if o.id != order.id)
            others += count
            done += count if stop.happened else 0
    pickup = int(order.pickup_lat is not None and order.status not in ("picked_up", *VISITED))
    low, high = done + 1 + pickup, others + 1 + pickup
    if not 1 <= number <= high:
        errors["position"] = _("must be between {low} and {high}", low=low, high=high)
    elif number <= done:
        errors["position"] = _("the first {n} stops of this round already happened", n=done)
    elif number < low:
        errors["position"] = _("its pickup comes first: choose {low} or later", low=low)
    return assistant, number - 1, errors


@bp.route("/print")
@role_required("coordinator")
def print_rounds():
    """Every round of the day, one per A4 page (the browser's print makes the PDF)."""
    service_date = _day()
    plan = planning.current_plan(db(), service_date)
    day_rounds = [r for r in rounds.rounds_of(db(), plan) if r.stops] if plan else []
    area = current_area()
    sheets = [(r, rounds.map_svg(area, [r], title=r.assistant.name)) for r in day_rounds]
    access.note_orders([o for r in day_rounds for s in r.stops for o in s.orders], "print",
                       "round", "print")
    return render_template("round_print.html", day=service_date, sheets=sheets)
