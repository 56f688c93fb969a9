"""The live day's planning service: requests in, runs on the queue's workers, checked plans out.

Facts first. What happened (marks, stored as ``facts``) and what is asked (orders, locks) is
the state; a plan is derived from it and never the other way round. Anything that should
change the plan adds a ``plan_requests`` row and asks the queue (:mod:`web.jobs`) for a run.

Runs are serialised per day by the database: one "running" row per day (a partial unique
index, across processes and machines). A run takes every request up to the newest it sees
(``Plan.upto_request``); requests that arrive meanwhile are picked up by exactly one follow-up
run, enqueued when the run ends. A worker killed mid-run leaves a "running" row whose process
is gone: the reaper marks it failed ("interrupted") and the day is tried once more.

A run never makes the day worse by failing. The solve runs in a child process killed at the
hard limit (``PLAN_HARD_LIMIT``), whatever the search is doing; its plan goes through the
independent checker; only a plan with no violations becomes current, in ONE transaction with
the order statuses. A failed, timed-out or rejected run is stored as "failed" with its reason,
and the previous plan stays.

Changes stay local: with a current plan, a run *repairs* it (:func:`routing.replan.repair`):
each round keeps its stops and their order unless the day no longer allows it. Only the
coordinator's "optimise the whole day" (or the first plan of a day) searches everything.
Every new plan carries what changed against the one before (``payload["changes"]``).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from routing import model, replan
from routing.check import check
from routing.solver import SolveParams, solve
from routing.stops import Stops, day_problem

from . import availability, housecalls, jobs, standing, tenancy, today
from .adapter import DayInput, comes_back, order_to_model, return_id, return_to_model, \
    shift_to_model
from .store import MISSED, VISITED, Fact, Order, Plan, PlanRequest, Shift, StopLock, utcnow

log = logging.getLogger(__name__)
OPEN = ("submitted", "planned", "picked_up")
#: A run killed with its worker is tried this many times in all before it stays failed.
ATTEMPTS = 2
_HOST = socket.gethostname()[:60]
_tokens: dict[int, str] = {}  # per pid: a forked worker is a process of its own


class RunFailed(Exception):
    """A run that must not become current. ``reason`` is a code with an optional value
    ("timeout:45", "rejected:3", "no_plan", "crashed", "error:KeyError"), stored in
    ``Plan.error`` and said in words by :func:`web.coordinator.failure`."""

    def __init__(self, reason: str, violations: list[str] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.violations = violations or []


# --- reading --------------------------------------------------------------------------------

def current_plan(session: Session, day: date, fresh: bool = False) -> Plan | None:
    """The plan the pages show: the newest finished one not superseded (``fresh``: re-read
    it even if the session holds it already)."""
    query = select(Plan).where(Plan.service_date == day, Plan.status == "done",
                               Plan.superseded.is_(False)).order_by(Plan.id.desc())
    return session.scalars(query.execution_options(populate_existing=fresh)).first()


def current_plan_id(session: Session, day: date) -> int | None:
    """The id of :func:`current_plan`, without reading its payload (the whole day's rounds as
    JSON): every order a partner sends for a planned day asks this, twice."""
    return session.scalar(select(Plan.id).where(Plan.service_date == day, Plan.status == "done",
                                                Plan.superseded.is_(False))
                          .order_by(Plan.id.desc()).limit(1))


def latest_run(session: Session, day: date) -> Plan | None:
    return session.scalars(select(Plan).where(Plan.service_date == day)
                           .order_by(Plan.id.desc())).first()


def _newest_request(session: Session, day: date) -> int:
    return session.scalar(select(func.max(PlanRequest.id))
                          .where(PlanRequest.service_date == day)) or 0


def _covered(session: Session, day: date) -> tuple[int, Plan | None]:
    """The newest request taken into account by a finished run, and that run."""
    last = session.scalars(select(Plan).where(Plan.service_date == day,
                                              Plan.status.in_(("done", "failed")))
                           .order_by(Plan.id.desc())).first()
    return (last.upto_request if last is not None else 0), last


def pending(session: Session, day: date) -> bool:
    """Whether requests wait for a run."""
    return _newest_request(session, day) > _covered(session, day)[0]


# --- asking ---------------------------------------------------------------------------------

def prepare(session: Session, day: date, today: date) -> None:
    """Make ``day`` ready to plan and to show: its shifts from the assistants' usual week and
    absences, its orders from the standing orders (each step leaves past days alone). Every
    path that plans or shows a whole day goes through here, so they all see the same day."""
    if availability.make_shifts(session, day, today):
        session.commit()
    standing.materialise(session, day, today)


def request(app: Flask, session: Session, day: date, kind: str, user_id: int | None = None,
            order_id: int | None = None, lock_before: dict | None = None) -> PlanRequest:
    """Record a reason to plan ``day`` of the session's cooperative again (committed with
    whatever the session holds) and ask a worker for a run."""
    org = tenancy.org_id(session)
    req = PlanRequest(service_date=day, kind=kind, user_id=user_id, order_id=order_id,
                      base_plan_id=current_plan_id(session, day), lock_before=lock_before)
    session.add(req)
    session.commit()
    jobs.enqueue_plan(app, org, day)
    return req


def order_changed(app: Flask, session: Session, order: Order, kind: str,
                  user_id: int | None = None) -> None:
    """A late order or a cancel on a day that has a plan: repair it (a day not planned yet
    waits for the coordinator). The order's cooperative plans, whoever changed it."""
    with tenancy.only(session, order.org_id):
        if current_plan_id(session, order.service_date) is not None:
            request(app, session, order.service_date, kind, user_id, order.id)


# --- runs, processes, the reaper ------------------------------------------------------------

def orders_cancelled(app: Flask, session: Session, orders: list[Order],
                     user_id: int | None) -> None:
    """Repair the plans of the days whose ``orders`` were just cancelled (a pause, an ended
    standing order, a resident switched off)."""
    for order in orders:
        order_changed(app, session, order, "cancel", user_id)


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
    host, _, pid = plan.runner.partition(":")
    pid = pid.partition(":")[0]
    if plan.runner != runner() and host == _HOST and pid.isdigit() and not _alive(int(pid)):
        return True
    return utcnow() - plan.created_at > timedelta(seconds=stale_after)


def _stale_after(app: Flask) -> float:
    configured = app.config.get("PLAN_STALE_AFTER")
    return float(configured) if configured else 2 * hard_limit(app) + 60


def _reap(app: Flask, session: Session, day: date) -> bool:
    """"running" rows whose process died (or that ran far too long) become "failed"; the first
    time, their requests are left for another try. Answers whether any was reaped."""
    found = False
    for plan in session.scalars(select(Plan).where(Plan.service_date == day,
                                                   Plan.status == "running")):
        if not _dead(plan, _stale_after(app)):
            continue
        found = True
        plan.status, plan.superseded, plan.finished_at = "failed", True, utcnow()
        if plan.attempt < ATTEMPTS:
            plan.error = "interrupted:retried"
            before = session.scalars(select(Plan).where(
                Plan.service_date == day, Plan.status.in_(("done", "failed")),
                Plan.id < plan.id).order_by(Plan.id.desc())).first()
            plan.upto_request = before.upto_request if before is not None else 0
        else:
            plan.error = "interrupted"
    session.flush()  # before a new "running" row meets the one-per-day index
    return found


def reap_all(app: Flask) -> None:
    """Take over what dead workers left: fail their runs and ask again for every day whose
    requests no run has taken (the queue may have lost the job with the worker)."""
    with app.app_context():
        session: Session = app.extensions["buurtroute.sessions"]()
        todo = []
        try:
            with tenancy.system(session, "the reaper looks at every cooperative's days"):
                running = {(r.org_id, r.service_date) for r in session.execute(
                    select(Plan.org_id, Plan.service_date).where(Plan.status == "running"))}
                waiting = {(r.org_id, r.service_date) for r in session.execute(
                    select(PlanRequest.org_id, PlanRequest.service_date).distinct())}
            for org, day in sorted(running | waiting):
                tenancy.use(session, tenancy.of(org))
                if (org, day) in running:
                    _reap(app, session, day)
                    session.commit()
                if pending(session, day):
                    todo.append((org, day))
        finally:
            session.close()
    for org, day in todo:
        jobs.enqueue_plan(app, org, day)


@dataclass(frozen=True)
class WarmedUp:
    """What a starting worker loaded: the areas, and the day it built (cooperative, date)."""

    areas: list[str]
    built: tuple[int, date] | None


def warm_up(app: Flask) -> WarmedUp:
    """Load what every run needs before a worker takes its first job, so that no run pays for
    it and the worker's forked solves share it: the areas of the active cooperatives (from the
    disk cache; within the memory budget the least recently used go first), the solver's
    lazily imported modules, and the statements and code a run uses, by building the day of
    the newest order once (read only, thrown away). Nothing here stops a
    worker: what fails is logged, and the first run that needs it fails visibly."""
    from routing.solver import preload

    from .areas import area_for
    from .store import Organisation

    preload()
    with app.app_context():
        session: Session = app.extensions["buurtroute.sessions"]()
        try:
            with tenancy.system(session, "a starting worker loads the cooperatives' areas"):
                names = sorted({org.area or app.config["AREA"] for org in session.scalars(
                    select(Organisation).where(Organisation.active.is_(True)))})
                newest = session.scalars(select(Order).order_by(Order.id.desc())).first()
                last = (newest.org_id, newest.service_date) if newest is not None else None
        finally:
            session.close()
        loaded = []
        for name in names:
            try:
                loaded.append(area_for(name).name)
            except Exception:  # noqa: BLE001 (its runs will say so; other areas still load)
                log.exception("area %s could not be loaded", name)
        if last is not None:
            session = tenancy.use(app.extensions["buurtroute.sessions"](),
                                  tenancy.of(last[0], why="a starting worker warms up"))
            try:
                build(session, last[1], None, None)
            except Exception:  # noqa: BLE001 (only a warm-up; the real runs say what fails)
                log.exception("warming up on a day of %s failed", last[0])
                last = None
            finally:
                session.rollback()
                session.close()
    return WarmedUp(loaded, last)


def _under_way(session: Session, day: date) -> Plan | None:
    return session.scalars(select(Plan).where(Plan.service_date == day,
                                              Plan.status == "running")).first()


def _claim(app: Flask, session: Session, day: date) -> Plan | None:
    """A "running" row for the requests not yet taken, or None when there are none or another
    run is under way (it will enqueue the follow-up).

    The reads go in this order on purpose: each may see a newer database than the one
    before it (SQLite reads outside a write transaction). A run that ends between "none
    under way" and "covered up to" is then counted as covered; one that starts in between
    makes the insert below fail on the one-running-run index. Read the other way round, a
    run finishing in between looked uncovered and its requests were planned twice."""
    _reap(app, session, day)
    if _under_way(session, day) is not None:
        session.commit()
        return None
    covered, last = _covered(session, day)
    newest = _newest_request(session, day)
    if newest <= covered:
        session.commit()
        return None
    retried = last is not None and last.error == "interrupted:retried"
    plan = Plan(service_date=day, status="running", payload={}, upto_request=newest,
                seed=int(app.config.get("PLAN_SEED", 0)), runner=runner(),
                attempt=last.attempt + 1 if retried else 1)
    session.add(plan)
    try:
        session.commit()
    except IntegrityError:  # another worker claimed the day a moment ago
        session.rollback()
        return None
    return plan


def run_day(app: Flask, org: int, day: date) -> Plan | None:
    """The queue's job: plan ``day`` of cooperative ``org`` if requests wait and no run is
    under way; afterwards ask for one follow-up run if requests arrived meanwhile."""
    with app.app_context():
        session: Session = tenancy.use(app.extensions["buurtroute.sessions"](),
                                       tenancy.of(org, why="planning run"))
        try:
            plan = _claim(app, session, day)
            if plan is not None:
                _work(app, session, plan)
            again = plan is not None and pending(session, day)
        finally:
            session.close()
    if again:
        jobs.enqueue_plan(app, org, day)
    return plan


def hard_limit(app: Flask) -> float:
    """Seconds after which a solve is killed, whatever it is doing."""
    configured = app.config.get("PLAN_HARD_LIMIT")
    return float(configured) if configured else float(app.config.get("PLAN_TIME_LIMIT", 30)) + 15


# --- one run ----------------------------------------------------------------------------------

def _work(app: Flask, session: Session, plan: Plan) -> None:
    day = plan.service_date
    try:
        asks = list(session.scalars(select(PlanRequest).where(
            PlanRequest.service_date == day, PlanRequest.id <= plan.upto_request)
            .order_by(PlanRequest.id)))
        current = current_plan(session, day)
        base, mode = _base(session, asks, current)
        plan.mode, plan.created_by = mode, asks[-1].user_id if asks else None
        session.commit()
        prepare(session, day, today(app, tenancy.zone(session)))
        built = build(session, day, base, clock_now(app, session, day))
        result = _solve(app, built, base, mode)
        violations = check(built.problem, result) if built.problem is not None else []
        if violations:
            raise RunFailed(f"rejected:{len(violations)}", violations[:50])
        if any(u.code == "time_limit" for u in result.unplanned):
            raise RunFailed("no_plan")
        payload = built.payload(result)
        if built.problem is not None:
            payload["house_calls"] = _house_calls(session, built, result, day)
        payload["mode"] = mode
        payload["changes"] = replan.changes(_model_plan(current), result)
        _commit(session, plan, payload, built.statuses(result))
    except Exception as exc:  # the run fails visibly; the previous plan stays current
        session.rollback()
        reason = exc.reason if isinstance(exc, RunFailed) else f"error:{type(exc).__name__}"
        if not isinstance(exc, RunFailed):
            log.exception("plan %s failed", plan.id)
        else:
            log.warning("plan %s failed: %s", plan.id, reason)
        plan = session.get(Plan, plan.id)
        plan.status, plan.error = "failed", reason[:200]
        plan.violations = exc.violations if isinstance(exc, RunFailed) else []
        plan.superseded, plan.finished_at = True, utcnow()
        session.commit()
        return
    from .week import defer_flexible  # the week imports this module

    defer_flexible(app, session, plan)


def _house_calls(session: Session, built: "Built", result: model.Plan, day: date
                 ) -> list[dict[str, Any]]:
    """House calls in the slack the new rounds leave; a campaign never stops a plan (a
    failure is logged and the day goes without calls)."""
    from .areas import current_area

    try:
        return housecalls.plan_calls(session, current_area(session), built.problem,
                                     built.day_in.points, result, day)
    except Exception:  # noqa: BLE001 (logged; the orders' plan is what matters)
        log.exception("house calls of %s left out", day)
        return []


def _base(session: Session, asks: list[PlanRequest], current: Plan | None
          ) -> tuple[Plan | None, str]:
    """The plan to repair and how: the current one; the one from before the coordinator's
    change being undone; or none, for a search of the whole day."""
    taken = [a for a in asks if a.id > (current.upto_request if current else 0)]
    kinds = [a.kind for a in taken]
    if current is None:
        return None, "full"
    undo = next((a for a in reversed(taken) if a.kind == "undo"), None)
    if undo is not None and undo.base_plan_id is not None:
        return session.get(Plan, undo.base_plan_id), "undo"
    if "full" in kinds:
        return None, "full"
    return current, "repair"


def _model_plan(row: Plan | None) -> model.Plan | None:
    if row is None or not row.payload.get("routes") and not row.payload.get("unplanned"):
        return None
    return model.Plan.from_dict(row.payload)


def _params(app: Flask) -> SolveParams:
    work = app.config.get("PLAN_WORK_LIMIT")
    return SolveParams(time_limit=float(app.config.get("PLAN_TIME_LIMIT", 30)),
                       work_limit=int(work) if work else None,
                       seed_iterations=2000 if work else None,
                       random_seed=int(app.config.get("PLAN_SEED", 0)))


def _solve(app: Flask, built: "Built", base: Plan | None, mode: str) -> model.Plan:
    """The plan for the built day, searched in a child process killed at the hard limit."""
    if built.problem is None:
        return built.no_shift
    reference = _model_plan(base) if mode != "full" else None
    with jobs.solve_slot(app):  # the worker waits here while every core solves
        return solve_with_limit(built.problem, reference, _params(app), hard_limit(app))


def solve_with_limit(problem: model.Problem, reference: model.Plan | None,
                     params: SolveParams, seconds: float) -> model.Plan:
    """``repair`` (with a reference plan) or ``solve`` in a forked child, killed after
    ``seconds``. The child shares the parent's memory (the matrices) at no cost and only
    computes; the parent reads its plan from a pipe."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(send, problem, reference, params),
                            daemon=True, name="plan-solve")
    child.start()
    send.close()
    try:
        if not receive.poll(seconds):
            raise RunFailed(f"timeout:{seconds:.0f}")
        try:
            kind, data = receive.recv()
        except EOFError:
            raise RunFailed("crashed") from None
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receive.close()
    if kind != "plan":
        raise RunFailed(f"error:{data}")
    return model.Plan.from_dict(data)


def _child(send, problem: model.Problem, reference: model.Plan | None,
           params: SolveParams) -> None:
    jobs.die_with_parent(signal.SIGKILL)  # a killed worker takes its solve with it
    jobs.batch_priority()
    try:
        plan = replan.repair(problem, reference, params) if reference is not None \
            else solve(problem, params)
        send.send(("plan", plan.to_dict()))
    except Exception as exc:  # noqa: BLE001 (reported to the parent, which fails the run)
        send.send(("error", type(exc).__name__))
    finally:
        send.close()


#: The status a plan moves an order from, per status it moves it to.
FROM = {"planned": "submitted", "submitted": "planned"}


def _commit(session: Session, plan: Plan, payload: dict[str, Any],
            statuses: dict[str, str]) -> None:
    """The one write: plan, superseded flag and order statuses together."""
    previous, orders = _lock_for_commit(session, plan.service_date, statuses)
    for oid, status in statuses.items():
        order = orders[int(oid)]
        if order.status == FROM[status]:  # else changed while solving: that change wins
            order.set_status(status, note=f"plan {plan.id}")
    if previous is not None:
        previous.superseded = True
        plan.supersedes_id = previous.id
    plan.payload, plan.status, plan.finished_at = payload, "done", utcnow()
    plan.violations = []
    session.commit()


def _lock_for_commit(session: Session, day: date, statuses: dict[str, str]):
    """Lock the day's plans, then the orders a plan changes, and read both afresh.

    The solver worked for seconds on what it read. Meanwhile a partner may have cancelled an
    order or an assistant marked one. On PostgreSQL the row locks make concurrent commits
    take turns and the fresh read keeps a change made during the solve from being
    overwritten; SQLite locks the whole file on the first write.
    """
    session.scalars(select(Plan.id).where(Plan.service_date == day).order_by(Plan.id)
                    .with_for_update()).all()
    previous = current_plan(session, day, fresh=True)
    orders = {o.id: o for o in session.scalars(
        select(Order).where(Order.id.in_([int(k) for k in statuses])).order_by(Order.id)
        .with_for_update().execution_options(populate_existing=True))}
    return previous, orders


def clock_now(app: Flask, session: Session, day: date) -> int | None:
    """Seconds since midnight during ``day`` in the time zone of the session's cooperative
    (``NOW`` "HH:MM" may pin it); None on another day."""
    pinned = app.config.get("NOW")
    if pinned:
        return int(pinned[:2]) * 3600 + int(pinned[3:5]) * 60
    org = tenancy.organisation(session)
    t = datetime.now(ZoneInfo(org.time_zone if org is not None else "Europe/Amsterdam"))
    if day != t.date():
        return None
    return t.hour * 3600 + t.minute * 60 + t.second


# --- from facts and orders to the core's problem ----------------------------------------------

@dataclass
class Built:
    """A day in the core's terms: the problem (None without shifts) and what the payload
    and the order statuses are made of."""

    day_in: DayInput
    keep: list[Order]
    problem: model.Problem | None
    done: list[model.Done] = field(default_factory=list)
    locks: tuple[model.Lock, ...] = ()
    now: int | None = None

    @property
    def no_shift(self) -> model.Plan:
        return model.Plan([], [model.Unplanned.because(o.id, "no_shift",
                                                       "no assistant works today")
                               for o in self.day_in.orders])

    def payload(self, result: model.Plan) -> dict[str, Any]:
        payload = result.to_dict()
        payload["points"] = [list(p) for p in self.day_in.points]
        payload["praatje"] = {o.id: o.praatje_seconds for o in self.day_in.orders}
        payload["totals"] = result.totals(self.problem)
        payload["locks"] = [k.to_dict() for k in self.locks]
        payload["done"] = [d.to_dict() for d in self.done]
        payload["now"] = self.now if self.done else None
        return payload

    def statuses(self, result: model.Plan) -> dict[str, str]:
        planned = {v.order_id for r in result.routes for v in r.visits}
        out = {}
        for o in self.keep:
            if o.status == "submitted" and str(o.id) in planned:
                out[str(o.id)] = "planned"
            elif o.status == "planned" and str(o.id) not in planned:
                out[str(o.id)] = "submitted"
        return out


def day_facts(session: Session, day: date) -> list[Fact]:
    return list(session.scalars(select(Fact).where(Fact.service_date == day)
                                .order_by(Fact.id)))


def _raw_done(facts: list[Fact], keep: dict[int, Order]
              ) -> dict[tuple[str, str], tuple[str, int, int]]:
    """(core order id, action) → (assistant, second, rank) for every stop that happened, from
    the facts of orders that are under way or visited. ``rank`` orders an assistant's done
    stops as they were recorded (the fact's id, a pickup before its delivery), so a mark
    recorded later never goes before one recorded earlier, even with the same or an earlier
    time (two taps in one second, a phone's offline queue sent late)."""
    raw: dict[tuple[str, str], tuple[str, int, int]] = {}
    for f in facts:
        o = keep.get(f.order_id)
        if o is None or o.status not in ("picked_up", *VISITED):
            continue
        oid, who, rank = str(o.id), str(f.assistant_id), 3 * f.id
        if f.action == "picked_up":
            raw[(oid, "pickup")] = (who, f.at_seconds, rank)
        elif f.action == "handed_over" and (oid, "pickup") in raw:
            raw[(oid, "pickup")] = (who, max(raw[(oid, "pickup")][1], f.at_seconds), rank)
        elif f.action in ("delivered", "not_home"):
            if o.pickup_lat is not None and (oid, "pickup") not in raw:
                raw[(oid, "pickup")] = (who, f.at_seconds, rank)  # picked up without a tick
            raw[(oid, "delivery")] = (who, f.at_seconds, rank + 1)
        elif f.action == "returned":
            raw[(return_id(o.id), "delivery")] = (who, f.at_seconds, rank)
    return raw


def _timed(problem: model.Problem, raw: dict[tuple[str, str], tuple[str, int, int]],
           departures: dict[str, int], before: dict[tuple[str, str], tuple[str, int]]
           ) -> tuple[list[model.Done], dict[str, model.Assistant]]:
    """Done stops with times a round can have: in the order they were recorded, none before
    the assistant could have been there (a mark made late or early does not break the plan's
    arithmetic; who did what, and in which order, is kept exactly).

    A done stop keeps the time the current plan gave it (``before``): what happened does not
    move when a later mark, a whole-day search or an undo plans the rest of the day again.

    What happened also wins over the day's rules where they disagree: an assistant whose done
    stops left no gap for the break before its window closed did not take it (the break is
    dropped for the rest of the day), one whose done stops run past the end of the shift
    works late (the shift ends when they are back), and one who picked up more than the
    planned capacity had room for it (the capacity becomes what they carried, plus any goods
    from the start). Otherwise no plan could hold those facts,
    the checker would reject every run, and the day would stay on a stale plan. Answers the
    done stops and the assistants changed that way."""
    out = []
    changed: dict[str, model.Assistant] = {}
    by_assistant: dict[str, list[tuple[int, int, str, str]]] = {}
    known = {o.id for o in problem.orders}
    for (oid, action), (who, t, rank) in raw.items():
        if action == "delivery" and (oid, "pickup") in raw:  # a pickup comes first
            t = max(t, raw[(oid, "pickup")][1])
        if who in {a.id for a in problem.assistants} and oid in known:
            by_assistant.setdefault(who, []).append((rank, t, oid, action))
    for who, stops in by_assistant.items():
        a = problem.assistant(who)
        dur = problem.durations[a.mode]
        here, free = a.start, departures.get(who, a.shift.start)
        rest = a.break_  # the break, until a gap between done stops could hold it
        load = peak = 0
        for _, t, oid, action in sorted(stops):
            o = problem.order(oid)
            place = o.pickup.location if action == "pickup" else o.location
            service = o.pickup.handling if action == "pickup" else o.service
            lowest = free + int(dur[here, place])
            start = max(t, lowest)
            kept = before.get((oid, action))
            if kept is not None and kept[0] == who and kept[1] >= lowest:
                start = kept[1]
            if rest is not None:
                b0 = max(free, rest.window.start)
                if b0 <= rest.window.end and b0 + rest.duration + int(dur[here, place]) <= start:
                    rest = None  # the gap before this stop holds the break
                elif start + service > rest.window.end:
                    changed[who] = a = replace(a, break_=None)  # not taken: skipped
                    rest = None
            out.append(model.Done(oid, action, who, start))
            free = start + service
            here = place
            load += o.size if action == "pickup" else -o.size
            peak = max(peak, load)
        if peak > a.capacity:  # they carried more than planned: the bike held it
            depot = sum(o.size for o in problem.orders if o.pickup is None)
            changed[who] = a = replace(a, capacity=peak + depot)
        home = free + int(dur[here, a.end_location])
        if home > a.shift.end:
            changed[who] = a = replace(a, shift=model.TimeWindow(a.shift.start, home))
    return out, changed


def build(session: Session, day: date, base: Plan | None, now: int | None) -> Built:
    """The day's problem: open orders, visited orders with their done stops (from facts),
    returns of goods nobody took, shifts and the coordinator's locks."""
    from .areas import current_area

    area = current_area(session)
    orders = list(session.scalars(select(Order).where(Order.service_date == day)
                                  .options(selectinload(Order.resident)).order_by(Order.id)))
    shifts = list(session.scalars(select(Shift).where(Shift.service_date == day)
                                  .options(selectinload(Shift.assistant)).order_by(Shift.id)))
    facts = day_facts(session, day)
    visited = {f.order_id for f in facts if f.action in ("delivered", "not_home")}
    keep = [o for o in orders if o.status in OPEN or (o.status in VISITED and o.id in visited)]
    raw = _raw_done(facts, {o.id: o for o in keep})
    day_in = DayInput()
    day_in.orders = [order_to_model(o, day_in) for o in keep]
    service = {m.id: m for m in day_in.orders}
    for o in keep:  # goods nobody took go back where they came from, with whoever rang
        rang = raw.get((str(o.id), "delivery"))
        if o.status in MISSED and comes_back(o) and rang is not None:
            day_in.orders.append(return_to_model(o, day_in))
            raw[(return_id(o.id), "pickup")] = (rang[0], rang[1] + service[str(o.id)].service,
                                                rang[2] + 1)
    shift_ids = {str(s.assistant_id) for s in shifts}
    centre = next((p for p in area.places if p.kind == "community_centre"), area.places[0])
    for shift in shifts:
        regulars = tuple(sorted({str(o.resident.id) for o in keep
                                 if o.resident.regular_assistant_id == shift.assistant_id}))
        day_in.assistants.append(shift_to_model(shift, day_in, (centre.lat, centre.lon),
                                                regulars))
    ids = {o.id for o in day_in.orders}
    busy = {oid for oid, _ in raw}
    locks = tuple(model.Lock(str(k.order_id), str(k.assistant_id), k.position)
                  for k in session.scalars(select(StopLock).order_by(StopLock.id))
                  if str(k.order_id) in ids and str(k.assistant_id) in shift_ids
                  and str(k.order_id) not in busy)
    if not day_in.assistants:
        return Built(day_in, keep, None, locks=locks, now=now)
    stops = Stops()
    for lat, lon in day_in.points:
        stops.add(lat, lon)
    problem = day_problem(area, stops, day_in.orders, day_in.assistants, locks=locks,
                          name=day.isoformat(), weights=model.Weights(
                              not_regular=int(current_app.config["CONTINUITY_WEIGHT"])))
    # the plan the assistants followed (not the one an undo goes back to, nor none for a
    # whole-day search): its departures and done times stay as they were
    followed = current_plan(session, day) or base
    departures, before = {}, {}
    if followed is not None:
        departures = {r["assistant_id"]: r["departure"]
                      for r in followed.payload.get("routes", ()) if r["visits"]}
        before = {(d["order_id"], d["action"]): (d["assistant_id"], d["start"])
                  for d in followed.payload.get("done", ())}
    done, changed = _timed(problem, {k: v for k, v in raw.items() if v[0] in shift_ids},
                           departures, before)
    problem = replace(problem, done=tuple(done), now=now if done else None,
                      assistants=tuple(changed.get(a.id, a) for a in problem.assistants))
    return Built(day_in, keep, problem, done, locks, now)
