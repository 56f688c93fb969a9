"""Running the optimiser for a day, in the background, and storing its plan atomically.

``start(app, day, user_id)`` adds a ``plans`` row in status "running" and returns at once; a
thread builds the problem (store → ``web.adapter`` → ``routing.stops`` → ``routing.solver``) and
then, in ONE transaction, writes the payload, marks the row "done", supersedes the previous plan
and moves orders to "planned" (with events). A crash before that commit leaves only a "running"
row with no payload, which ``current_plan`` never shows and the next start marks "failed".

Several server processes may share one database. The database itself allows one "running" row
per day (a partial unique index), and each row names the process running it, so a start in
one process leaves another process's live run alone: it is taken for dead only when that
process is gone (same host) or the run is older than ``PLAN_STALE_AFTER`` seconds.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from routing import model
from routing.solver import SolveParams, solve
from routing.stops import Stops, day_problem

from .adapter import DayInput, comes_back, order_to_model, return_to_model, shift_to_model
from .store import MISSED, VISITED, Order, Plan, Shift, StopLock, utcnow

log = logging.getLogger(__name__)
OPEN = ("submitted", "planned", "picked_up")
_running: set[int] = set()  # plan ids whose thread is alive in this process
_guard = threading.Lock()
_HOST = socket.gethostname()[:60]
_tokens: dict[int, str] = {}  # per pid: a forked worker is a process of its own


def current_plan(session: Session, day: date, fresh: bool = False) -> Plan | None:
    """The plan the pages show: the newest finished one not superseded (``fresh``: re-read
    it even if the session holds it already)."""
    query = select(Plan).where(Plan.service_date == day, Plan.status == "done",
                               Plan.superseded.is_(False)).order_by(Plan.id.desc())
    return session.scalars(query.execution_options(populate_existing=fresh)).first()


def latest_run(session: Session, day: date) -> Plan | None:
    return session.scalars(select(Plan).where(Plan.service_date == day)
                           .order_by(Plan.id.desc())).first()


def runner() -> str:
    """This process, as a plan row records it: host, pid and a token against pid reuse."""
    pid = os.getpid()
    return f"{_HOST}:{pid}:{_tokens.setdefault(pid, uuid.uuid4().hex[:8])}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process, but alive
        return True
    return True


def _dead(plan: Plan, stale_after: float) -> bool:
    """Whether a "running" row can no longer finish."""
    if plan.runner == runner():
        return plan.id not in _running
    host, _, pid = plan.runner.partition(":")
    pid = pid.partition(":")[0]
    if host == _HOST and pid.isdigit() and not _alive(int(pid)):
        return True
    return utcnow() - plan.created_at > timedelta(seconds=stale_after)


def _reap(app: Flask, session: Session, day: date) -> None:
    """"running" rows whose process died (or that ran far too long) become "failed"."""
    stale_after = float(app.config.get("PLAN_STALE_AFTER", 900))
    for plan in session.scalars(select(Plan).where(Plan.service_date == day,
                                                   Plan.status == "running")):
        if _dead(plan, stale_after):
            plan.status, plan.error = "failed", "interrupted"
            plan.superseded, plan.finished_at = True, utcnow()
    session.flush()  # before a new "running" row meets the one-per-day index


def _under_way(session: Session, day: date) -> Plan | None:
    return session.scalars(select(Plan).where(Plan.service_date == day,
                                              Plan.status == "running")).first()


def start(app: Flask, session: Session, day: date, user_id: int | None,
          now: int | None = None, wait: bool = False) -> Plan:
    """Start planning ``day`` (or return the run already under way)."""
    with _guard:
        _reap(app, session, day)
        busy = _under_way(session, day)
        if busy is not None:
            session.commit()
            return busy
        plan = Plan(service_date=day, created_by=user_id, status="running", payload={},
                    seed=int(app.config.get("PLAN_SEED", 0)), runner=runner())
        session.add(plan)
        try:
            session.commit()
        except IntegrityError:  # another process started this day a moment ago
            session.rollback()
            busy = _under_way(session, day)
            if busy is None:
                raise
            return busy
        _running.add(plan.id)
    thread = threading.Thread(target=_run, args=(app, plan.id, now), daemon=True,
                              name=f"plan-{plan.id}")
    thread.start()
    if wait:
        thread.join()
    return plan


def clock_now(app: Flask, day: date) -> int | None:
    """Seconds since midnight for a re-plan during ``day`` (``NOW`` "HH:MM" may pin it)."""
    pinned = app.config.get("NOW")
    if pinned:
        return int(pinned[:2]) * 3600 + int(pinned[3:5]) * 60
    t = datetime.now(ZoneInfo(app.config.get("TIMEZONE") or "Europe/Amsterdam"))
    if day != t.date():
        return None
    return t.hour * 3600 + t.minute * 60 + t.second


def _run(app: Flask, plan_id: int, now: int | None) -> None:
    with app.app_context():
        session: Session = app.extensions["buurtroute.sessions"]()
        try:
            plan = session.get(Plan, plan_id)
            payload, statuses = build_and_solve(app, session, plan.service_date, now)
            previous, orders = _lock_for_commit(session, plan.service_date, statuses)
            for oid, status in statuses.items():
                order = orders[int(oid)]
                if order.status == FROM[status]:  # else changed while solving: that change wins
                    order.set_status(status, note=f"plan {plan_id}")
            if previous is not None:
                previous.superseded = True
                plan.supersedes_id = previous.id
            plan.payload, plan.status, plan.finished_at = payload, "done", utcnow()
            session.commit()  # the one write: plan, superseded flag and statuses together
        except Exception as exc:  # the run fails visibly, nothing half-written
            session.rollback()
            log.exception("plan %s failed", plan_id)
            plan = session.get(Plan, plan_id)
            plan.status, plan.error = "failed", type(exc).__name__[:200]
            plan.superseded, plan.finished_at = True, utcnow()
            session.commit()
        finally:
            _running.discard(plan_id)
            session.close()


#: The status a plan moves an order from, per status it moves it to.
FROM = {"planned": "submitted", "submitted": "planned"}


def _lock_for_commit(session: Session, day: date, statuses: dict[str, str]):
    """Lock the day's plans, then the orders a plan changes, and read both afresh.

    The solver worked for seconds on what it read. Meanwhile a partner may have cancelled an
    order, an assistant marked one, or (another process) a second run finished. On PostgreSQL
    the row locks make concurrent finishing runs take turns, so exactly one plan of the day is
    current, and the fresh read keeps a change made during the solve from being overwritten.
    SQLite ignores FOR UPDATE (it locks the whole file on the first write); there the fresh
    read narrows the window to the milliseconds before that write.
    """
    session.scalars(select(Plan.id).where(Plan.service_date == day).order_by(Plan.id)
                    .with_for_update()).all()
    previous = current_plan(session, day, fresh=True)
    orders = {o.id: o for o in session.scalars(
        select(Order).where(Order.id.in_([int(k) for k in statuses])).order_by(Order.id)
        .with_for_update().execution_options(populate_existing=True))}
    return previous, orders


def _returns(keep: list[Order], day_in: DayInput, done: list[model.Done],
             where: dict[tuple[str, str], tuple[str, int]],
             shift_ids: set[str]) -> list[model.Done]:
    """Goods of a not-at-home delivery go back to their pickup place with the assistant who
    rang: a return stop whose pickup is done at the door (when the praatje would have ended)
    and, once marked "returned", whose delivery is done too. Adds the return orders to
    ``day_in``; answers their done stops."""
    rang = {d.order_id: d for d in done if d.action == "delivery"}
    service = {m.id: m.service for m in day_in.orders}
    out = []
    for o in keep:
        if o.status not in MISSED or not comes_back(o) or str(o.id) not in rang:
            continue
        back = return_to_model(o, day_in)
        day_in.orders.append(back)
        at_door = rang[str(o.id)]
        out.append(model.Done(back.id, "pickup", at_door.assistant_id,
                              at_door.start + service[str(o.id)]))
        handed = where.get((back.id, "delivery"))
        if o.status == "returned" and handed is not None and handed[0] in shift_ids:
            out.append(model.Done(back.id, "delivery", *handed))
    return out


def build_and_solve(app: Flask, session: Session, day: date,
                    now: int | None) -> tuple[dict[str, Any], dict[str, str]]:
    """The plan's payload and the status each open order should get."""
    from .areas import current_area

    area = current_area()
    orders = list(session.scalars(select(Order).where(Order.service_date == day)
                                  .options(selectinload(Order.resident)).order_by(Order.id)))
    shifts = list(session.scalars(select(Shift).where(Shift.service_date == day)
                                  .options(selectinload(Shift.assistant)).order_by(Shift.id)))
    previous = current_plan(session, day)
    where: dict[tuple[str, str], tuple[str, int]] = {}
    if previous is not None:
        for r in previous.payload.get("routes", ()):
            for v in r["visits"]:
                where[(v["order_id"], v["action"])] = (r["assistant_id"], v["start"])
    day_in = DayInput()
    done: list[model.Done] = []
    keep: list[Order] = []
    for o in orders:
        if o.status in OPEN:
            keep.append(o)
        elif o.status in VISITED and (str(o.id), "delivery") in where:
            keep.append(o)
    shift_ids = {str(s.assistant_id) for s in shifts}
    for o in keep:
        visited = ("pickup",) if o.status == "picked_up" else (
            ("pickup", "delivery") if o.status in VISITED else ())
        for action in visited:
            if (str(o.id), action) in where and where[(str(o.id), action)][0] in shift_ids:
                assistant, started = where[(str(o.id), action)]
                done.append(model.Done(str(o.id), action, assistant, started))
    keep = [o for o in keep if o.status in OPEN or any(d.order_id == str(o.id) for d in done)]
    day_in.orders = [order_to_model(o, day_in) for o in keep]
    done += _returns(keep, day_in, done, where, shift_ids)
    centre = next((p for p in area.places if p.kind == "community_centre"), area.places[0])
    for shift in shifts:
        regulars = tuple(sorted({str(o.resident.id) for o in keep
                                 if o.resident.regular_assistant_id == shift.assistant_id}))
        day_in.assistants.append(shift_to_model(shift, day_in, (centre.lat, centre.lon),
                                                regulars))
    ids = {o.id for o in day_in.orders}
    locks = tuple(model.Lock(str(k.order_id), str(k.assistant_id), k.position)
                  for k in session.scalars(select(StopLock))
                  if str(k.order_id) in ids and str(k.assistant_id) in shift_ids
                  and not any(d.order_id == str(k.order_id) for d in done))
    stops = Stops()
    for lat, lon in day_in.points:
        stops.add(lat, lon)
    if not day_in.assistants:
        result = model.Plan([], [model.Unplanned.because(o.id, "no_shift",
                                                         "no assistant works today")
                                 for o in day_in.orders])
        problem = None
    else:
        problem = day_problem(area, stops, day_in.orders, day_in.assistants, done=tuple(done),
                              locks=locks, now=now if done else None, name=day.isoformat())
        work = app.config.get("PLAN_WORK_LIMIT")
        result = solve(problem, SolveParams(time_limit=float(app.config.get("PLAN_TIME_LIMIT", 30)),
                                            work_limit=int(work) if work else None,
                                            seed_iterations=2000 if work else None,
                                            random_seed=int(app.config.get("PLAN_SEED", 0))))
    payload = result.to_dict()
    payload["points"] = [list(p) for p in day_in.points]
    payload["praatje"] = {o.id: o.praatje_seconds for o in day_in.orders}
    payload["totals"] = result.totals(problem)
    payload["locks"] = [k.to_dict() for k in locks]
    payload["done"] = [d.to_dict() for d in done]
    payload["now"] = now if done else None
    planned = {v.order_id for r in result.routes for v in r.visits}
    statuses = {}
    for o in keep:
        if o.status == "submitted" and str(o.id) in planned:
            statuses[str(o.id)] = "planned"
        elif o.status == "planned" and str(o.id) not in planned:
            statuses[str(o.id)] = "submitted"
    return payload, statuses
