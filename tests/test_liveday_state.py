"""The live day as a state machine: marks, coordinator changes, late orders and cancels,
re-plans, a dead worker and a run cut off at its hard limit, in any order hypothesis finds.

Why a state machine: each rule of the live day (facts first, one run per day, only checked
plans become current, repairs stay local, goods stay with their carrier) is easy to keep in
the order a developer thinks of; the bugs are in the orders nobody thought of (a mark made
while a run solves, an undo after a crash, a hand-over then a cancel). Every step goes through
the real routes (test client), the real store (SQLite file) and the real planner (a forked
solve, the real checker) on the seeded Helsinki demo day.

The queue is held by the test: a request only records the day in ``self.queue``, and the
``run_queue`` rule (or any rule drawn with ``run=True``) plays the worker by calling
:func:`web.planning.run_day` until the queue is empty, as an immediate queue would. That lets
hypothesis put several marks, moves and orders between two runs, and one of them inside a
run (``during_run``: the solve is patched to make a request first), which is where coalescing
and "the change made while solving wins" are exercised.

Invariants after every step (see :meth:`LiveDay.facts_are_kept` and the others): no
acknowledged mark lost or counted twice; order statuses are what the marks made them; no
failed run current; the current plan has no violations; a done stop keeps its assistant and
time in every later plan. When every request has been planned: each order of the day is
exactly once planned, unplanned with a reason, done, or cancelled; goods on board are in
their carrier's round or reported unplanned; the independent checker accepts the plan on a
problem rebuilt from the store.
"""

from __future__ import annotations

import itertools
import os
from datetime import date
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, invariant, precondition, rule,
                                 run_state_machine_as_test)
from sqlalchemy import func, select

from routing import model
from routing.check import check
from tests.browser_fixtures import GOOD_ADDRESS, order_payload
from tests.web_fixtures import (DAY, bearer, db_session, login, make_app, seeded_db,  # noqa: F401
                                tap, web_area)
from web import planning
from web.adapter import RETURN, comes_back
from web.facts import carrier_of
from web.store import Fact, Order, Plan, PlanRequest, Shift, StopLock, User

#: Small, fixed search work so a run takes a second or less and gives the same plan each time.
CONFIG = {"PLAN_WORK_LIMIT": 20_000, "PLAN_TIME_LIMIT": 30, "PLAN_HARD_LIMIT": 30,
          "NOW": "09:00"}
ASSISTANTS = ("anna", "bram", "chantal")
META = re.compile(r'name="csrf-token" content="([^"]+)"')
_PLANNED: dict[str, object] = {}
#: LIVEDAY_SHRINK=0 reports the first failing run as found (shrinking a slow machine takes
#: minutes); the default shrinks it to the shortest story.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate] + (
    [Phase.shrink] if os.environ.get("LIVEDAY_SHRINK", "1") != "0" else [])


@pytest.fixture(scope="module")
def planned_day(tmp_path_factory, seeded_db):  # noqa: F811 (fixture by name)
    """The demo day with its first plan made (a full search), copied for every example."""
    folder = tmp_path_factory.mktemp("planned-day")
    database = folder / "day.sqlite"
    shutil.copy(seeded_db[0], database)
    app = make_app(folder, database, **CONFIG)
    client = app.test_client()
    login(client, "coordinator")
    token = META.search(client.get("/coordinator/").get_data(as_text=True))[1]
    response = client.post("/coordinator/plan", data={"service_date": DAY.isoformat(),
                                                      "csrf_token": token})
    assert response.status_code == 302
    status = client.get(f"/coordinator/plan/status?date={DAY}").get_json()
    assert status["status"] == "done", status
    app.extensions["buurtroute.engine"].dispose()
    _PLANNED.update(database=database, tokens=seeded_db[1].tokens)
    return database


def dead_pid() -> int:
    """The id of a process that has exited (a worker killed mid-run)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def sequence(payload: dict) -> dict[tuple[str, str], tuple[str, int]]:
    """(order id, action) → (assistant, start) of every visit of a plan payload."""
    return {(v["order_id"], v["action"]): (r["assistant_id"], v["start"])
            for r in payload["routes"] for v in r["visits"]}


class LiveDay(RuleBasedStateMachine):
    """One coordinator, three assistants and the demo partners on one day."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="liveday-"))
        database = self.folder / "day.sqlite"
        shutil.copy(_PLANNED["database"], database)
        self.app = make_app(self.folder, database, **CONFIG)
        self.queue: list[tuple[int, str]] = []  # (cooperative, day) as the task takes them
        self.app.extensions["buurtroute.plan_task"] = lambda org, day: self.queue.append(
            (org, day))
        self.tokens: dict[str, str] = _PLANNED["tokens"]  # type: ignore[assignment]
        self.clients, self.csrf, self.assistant_of = {}, {}, {}
        for name in ("coordinator", *ASSISTANTS):
            client = self.app.test_client()
            login(client, name)
            page = client.get("/assistant/" if name != "coordinator" else "/coordinator/")
            self.clients[name], self.csrf[name] = client, META.search(page.get_data(
                as_text=True))[1]
        with self.session() as s:
            self.assistant_of = {u.username: u.assistant_id for u in s.scalars(
                select(User).where(User.role == "assistant"))}
            self.shifted = set(s.scalars(select(Shift.assistant_id).where(
                Shift.service_date == DAY)))
        #: client id → (order, action, assistant) of every fact the server acknowledged
        self.acked: dict[str, tuple[int, str, int]] = {}
        #: acknowledged taps, to send again: (assistant, body)
        self.taps: list[tuple[str, dict]] = []
        #: order → the status the acknowledged marks and cancels made it
        self.expected: dict[int, str] = {}
        #: (order, action) → (assistant, start) the first time a plan showed the stop done
        self.first_done: dict[tuple[str, str], tuple[str, int]] = {}
        self.references = itertools.count()
        #: a fault this step injects on purpose (a time-out): a failed run is then expected
        self.faults = False
        self.log: list[str] = []

    def teardown(self) -> None:
        self.app.extensions["buurtroute.engine"].dispose()
        shutil.rmtree(self.folder, ignore_errors=True)

    # --- helpers ------------------------------------------------------------------------

    def session(self):
        return db_session(self.app)

    def current(self) -> Plan | None:
        with self.app.app_context(), self.session() as s:
            return planning.current_plan(s, DAY)

    def drain(self) -> None:
        """The worker: run every queued job (and the follow-ups they enqueue)."""
        for _ in range(50):
            if not self.queue:
                return
            org, day = self.queue.pop(0)
            run = planning.run_day(self.app, org, date.fromisoformat(day))
            if run is not None and not self.faults:
                with self.session() as s:
                    row = s.get(Plan, run.id)
                    assert row.status == "done", (row.error, row.violations[:5], self.log)
        raise AssertionError("the queue never emptied: runs keep asking for runs")

    def post(self, who: str, url: str, data: dict | None = None, json: dict | None = None):
        client = self.clients[who]
        if json is not None:
            return client.post(url, json=json, headers={"X-CSRFToken": self.csrf[who]})
        return client.post(url, data={**(data or {}), "csrf_token": self.csrf[who]})

    def candidates(self, who: str) -> list[dict]:
        """Marks this assistant can make now, as their round page offers them: from the
        current plan's round and the goods they carry."""
        plan = self.current()
        if plan is None:
            return []
        me = self.assistant_of[who]
        out = []
        with self.session() as s:
            orders = {o.id: o for o in s.scalars(select(Order).where(Order.service_date == DAY))}
            carried = {o.id for o in orders.values() if o.status == "picked_up"
                       and carrier_of(s, o.id) == me}
            mine = [v for r in plan.payload["routes"] if r["assistant_id"] == str(me)
                    for v in r["visits"]]
            pickups: dict[int, list[int]] = {}
            for v in mine:
                back = v["order_id"].startswith(RETURN)
                o = orders[int(v["order_id"].removeprefix(RETURN))]
                if carrier_of(s, o.id) not in (None, me):
                    continue
                if back and v["action"] == "delivery" and o.status == "not_home":
                    out.append({"order_ids": [o.id], "status": "returned"})
                elif not back and v["action"] == "pickup" and o.status == "planned":
                    pickups.setdefault(v["location"], []).append(o.id)
                    out.append({"order_ids": [o.id], "status": "picked_up"})
                elif not back and v["action"] == "delivery" and o.status in ("planned",
                                                                             "picked_up"):
                    out += [{"order_ids": [o.id], "status": "delivered"},
                            {"order_ids": [o.id], "status": "not_home"}]
            for oid in sorted(carried - {c["order_ids"][0] for c in out}):
                out += [{"order_ids": [oid], "status": "delivered"},
                        {"order_ids": [oid], "status": "not_home"}]
            out += [{"order_ids": ids, "status": "picked_up"} for ids in pickups.values()
                    if len(ids) > 1]  # a batch: every package at one pickup place
        return out

    def mark(self, who: str, body: dict) -> None:
        """Send a mark that the round offers; it must be acknowledged and recorded."""
        body = {**body, "event_id": tap()}
        response = self.post(who, "/assistant/marks", json=body)
        assert response.status_code == 201, (body, response.get_json())
        assert response.get_json()["recorded"] == body["order_ids"]
        me = self.assistant_of[who]
        for oid in body["order_ids"]:
            self.acked[f"{body['event_id']}:{oid}"] = (oid, body["status"], me)
            self.expected[oid] = body["status"]
        self.taps.append((who, body))
        self.log.append(f"mark {who} {body['status']} {body['order_ids']}")

    def pick(self, items: list, index: int):
        return items[index % len(items)] if items else None

    def day_orders(self, *statuses: str) -> list[Order]:
        with self.session() as s:
            return list(s.scalars(select(Order).where(Order.service_date == DAY,
                                                      Order.status.in_(statuses))
                                  .order_by(Order.id)))

    def ask_plan(self) -> None:
        response = self.post("coordinator", "/coordinator/plan",
                             {"service_date": DAY.isoformat()})
        assert response.status_code == 302

    # --- rules: the assistants -----------------------------------------------------------

    @rule(who=st.sampled_from(ASSISTANTS), index=st.integers(0, 10_000), run=st.booleans())
    def mark_a_stop(self, who: str, index: int, run: bool) -> None:
        body = self.pick(self.candidates(who), index)
        if body is not None:
            self.mark(who, body)
        if run:
            self.drain()

    @rule(who=st.sampled_from(ASSISTANTS), index=st.integers(0, 10_000),
          at=st.sampled_from(["09:10", "09:40", "10:15", "12:35", "13:10"]))
    def two_marks_in_one_instant(self, who: str, index: int, at: str) -> None:
        """Two taps at the same second (a phone replaying its offline queue), no run
        between them."""
        options = self.candidates(who)
        first = self.pick(options, index)
        if first is None:
            return
        self.mark(who, {**first, "at": at})
        second = self.pick([c for c in self.candidates(who)
                            if not set(c["order_ids"]) & set(first["order_ids"])], index // 7)
        if second is not None:
            self.mark(who, {**second, "at": at})

    @precondition(lambda self: self.taps)
    @rule(index=st.integers(0, 10_000))
    def retry_a_tap(self, index: int) -> None:
        """The phone did not get the answer and sends the same tap again: answered as before,
        never counted twice (even after the order moved on)."""
        who, body = self.pick(self.taps, index)
        before = self.fact_count()
        response = self.post(who, "/assistant/marks", json=body)
        assert response.status_code == 200, (body, response.get_json())
        assert response.get_json() == {"recorded": body["order_ids"], "replayed": True}
        assert self.fact_count() == before

    @rule(who=st.sampled_from(ASSISTANTS), index=st.integers(0, 10_000))
    def mark_someone_elses_stop(self, who: str, index: int) -> None:
        """A stop of another round (not carried by this assistant) is refused, and nothing is
        recorded."""
        others = [c for other in ASSISTANTS if other != who for c in self.candidates(other)]
        mine = {oid for c in self.candidates(who) for oid in c["order_ids"]}
        body = self.pick([c for c in others if not set(c["order_ids"]) & mine], index)
        if body is None:
            return
        before = self.fact_count()
        response = self.post(who, "/assistant/marks", json={**body, "event_id": tap()})
        assert response.status_code == 404, response.get_json()
        assert self.fact_count() == before

    # --- rules: the coordinator ----------------------------------------------------------

    @rule(index=st.integers(0, 10_000), to=st.sampled_from(ASSISTANTS),
          position=st.sampled_from(["", "", "3"]), run=st.booleans())
    def move_a_stop(self, index: int, to: str, position: str, run: bool) -> None:
        order = self.pick(self.day_orders("submitted", "planned", "picked_up"), index)
        if order is None:
            return
        response = self.post("coordinator", f"/coordinator/orders/{order.id}/lock",
                             {"assistant_id": self.assistant_of[to], "position": position,
                              "action": "lock"})
        assert response.status_code == 302
        self.log.append(f"move {order.id} → {to} {position}")
        if run:
            self.drain()

    @rule(index=st.integers(0, 10_000), run=st.booleans())
    def unlock_a_stop(self, index: int, run: bool) -> None:
        with self.session() as s:
            locked = list(s.scalars(select(StopLock.order_id).order_by(StopLock.id)))
        oid = self.pick(locked, index)
        if oid is None:
            return
        response = self.post("coordinator", f"/coordinator/orders/{oid}/lock",
                             {"action": "unlock"})
        assert response.status_code == 302
        self.log.append(f"unlock {oid}")
        if run:
            self.drain()

    @rule(run=st.booleans())
    def undo(self, run: bool) -> None:
        assert self.post("coordinator", "/coordinator/undo",
                         {"service_date": DAY.isoformat()}).status_code == 302
        self.log.append("undo")
        if run:
            self.drain()

    @rule(full=st.booleans(), run=st.booleans())
    def plan_again(self, full: bool, run: bool) -> None:
        data = {"service_date": DAY.isoformat(), **({"mode": "full"} if full else {})}
        assert self.post("coordinator", "/coordinator/plan", data).status_code == 302
        self.log.append("plan full" if full else "plan")
        if run:
            self.drain()

    @rule(index=st.integers(0, 10_000), to=st.sampled_from(ASSISTANTS))
    def hand_over(self, index: int, to: str) -> None:
        """Goods on one bike go to another assistant who works today."""
        order = self.pick(self.day_orders("picked_up"), index)
        target = self.assistant_of[to]
        if order is None or target not in self.shifted:
            return
        with self.session() as s:
            carrier = carrier_of(s, order.id)
        response = self.post("coordinator", f"/coordinator/orders/{order.id}/handover",
                             {"assistant_id": target, "event_id": (event := tap())})
        assert response.status_code == 302
        if carrier != target:
            self.acked[f"{event}:{order.id}"] = (order.id, "handed_over", target)
        self.log.append(f"handover {order.id} → {to}")

    # --- rules: partners -----------------------------------------------------------------

    @rule(run=st.booleans(), window=st.sampled_from([("10:00", "12:00"), ("13:00", "16:30")]))
    def late_order(self, run: bool, window: tuple[str, str]) -> None:
        reference = f"late-{next(self.references)}"
        body = order_payload(reference, DAY, GOOD_ADDRESS,
                             windows=[{"start": window[0], "end": window[1]}])
        token = self.tokens["Erottajan Apteekki"]
        response = self.clients["coordinator"].post("/api/v1/orders", json=body,
                                                    headers=bearer(token))
        assert response.status_code == 201, response.get_json()
        self.log.append(f"order {response.get_json()['id']}")
        if run:
            self.drain()

    @rule(index=st.integers(0, 10_000), run=st.booleans())
    def cancel(self, index: int, run: bool) -> None:
        order = self.pick(self.day_orders("submitted", "planned"), index)
        if order is None:
            return
        with self.session() as s:
            partner = s.get(Order, order.id).partner.name
        response = self.clients["coordinator"].post(f"/api/v1/orders/{order.id}/cancel",
                                                    headers=bearer(self.tokens[partner]))
        assert response.status_code == 200, response.get_json()
        self.expected[order.id] = "cancelled"
        self.log.append(f"cancel {order.id}")
        if run:
            self.drain()

    # --- rules: the worker ---------------------------------------------------------------

    @rule()
    def run_queue(self) -> None:
        self.drain()

    @rule(what=st.sampled_from(["mark", "move", "order", "cancel"]),
          index=st.integers(0, 10_000))
    def during_run(self, what: str, index: int) -> None:
        """Something happens while a run solves: it must not be lost (a follow-up run takes
        it) and what it changed must win over the run's stale reading."""
        self.ask_plan()
        real = planning.solve_with_limit
        happened = []

        def meanwhile(*args, **kwargs):
            if not happened:
                happened.append(what)
                if what == "mark":
                    for who in ASSISTANTS:
                        body = self.pick(self.candidates(who), index)
                        if body is not None:
                            self.mark(who, body)
                            break
                elif what == "move":
                    self.move_a_stop(index, ASSISTANTS[index % 3], "", False)
                elif what == "order":
                    self.late_order(False, ("10:00", "12:00"))
                else:
                    self.cancel(index, False)
            return real(*args, **kwargs)

        planning.solve_with_limit = meanwhile
        try:
            self.drain()
        finally:
            planning.solve_with_limit = real
        self.log.append(f"during run: {what}")

    @precondition(lambda self: self.current() is not None)
    @rule(twice=st.booleans())
    def worker_dies_mid_run(self, twice: bool) -> None:
        """A worker claimed the day and was killed: its "running" row names a process that no
        longer exists. The reaper fails it ("interrupted:retried") and the day is tried once
        more; a second death leaves it failed ("interrupted")."""
        self.ask_plan()
        self.queue.clear()  # the job went down with the worker
        before = self.current().id
        with self.session() as s:
            newest = s.scalar(select(func.max(PlanRequest.id)))
            dead = Plan(service_date=DAY, status="running", payload={}, upto_request=newest,
                        runner=f"{planning._HOST}:{dead_pid()}:x")
            s.add(dead)
            s.commit()
            dead_id = dead.id
        planning.reap_all(self.app)
        with self.session() as s:
            row = s.get(Plan, dead_id)
            assert (row.status, row.error) == ("failed", "interrupted:retried")
        assert self.current().id == before  # the dead run changed nothing
        assert self.queue, "the reaper must ask for the day again"
        if twice:
            self.queue.clear()
            with self.session() as s:
                again = Plan(service_date=DAY, status="running", payload={}, attempt=2,
                             upto_request=newest, runner=f"{planning._HOST}:{dead_pid()}:x")
                s.add(again)
                s.commit()
                again_id = again.id
            planning.reap_all(self.app)
            with self.session() as s:
                assert s.get(Plan, again_id).error == "interrupted"
            assert self.current().id == before
        self.drain()
        self.log.append(f"worker died{' twice' if twice else ''}")

    @precondition(lambda self: self.current() is not None)
    @rule()
    def run_times_out(self) -> None:
        """A solve cut off at the hard limit: the run fails with "timeout", the plan the
        assistants follow stays."""
        self.ask_plan()
        before = self.current().id
        self.app.config["PLAN_HARD_LIMIT"], self.faults = 0.001, True
        try:
            self.drain()
        finally:
            self.app.config["PLAN_HARD_LIMIT"], self.faults = CONFIG["PLAN_HARD_LIMIT"], False
        with self.app.app_context(), self.session() as s:
            run = planning.latest_run(s, DAY)
            assert run.status == "failed" and run.error.startswith("timeout:"), run.error
        assert self.current().id == before
        self.log.append("timeout")

    # --- invariants ----------------------------------------------------------------------

    def fact_count(self) -> int:
        with self.session() as s:
            return s.scalar(select(func.count(Fact.id)))

    @invariant()
    def facts_are_kept(self) -> None:
        """Every acknowledged mark is stored once, as acknowledged; nothing else is."""
        with self.session() as s:
            stored = {f.client_id: (f.order_id, f.action, f.assistant_id)
                      for f in s.scalars(select(Fact))}
            assert stored == self.acked
            for oid, status in self.expected.items():
                assert s.get(Order, oid).status == status, (oid, self.log)

    @invariant()
    def only_checked_plans_are_current(self) -> None:
        with self.session() as s:
            rows = list(s.scalars(select(Plan).where(Plan.service_date == DAY)))
        current = [p for p in rows if p.status == "done" and not p.superseded]
        assert len(current) == 1, [(p.id, p.status, p.superseded) for p in rows]
        assert all(p.superseded for p in rows if p.status == "failed")
        assert not [p for p in rows if p.status == "running"], "a run was left running"
        plan = current[0].payload
        assert plan["violations"] == [], plan["violations"]

    @invariant()
    def done_stops_never_change(self) -> None:
        """A stop that happened keeps its assistant and time in every later plan (a pickup
        whose goods the coordinator handed over is the new carrier's from then on)."""
        plan = self.current()
        visits = sequence(plan.payload)
        handed = {str(oid) for oid, action, _ in self.acked.values() if action == "handed_over"}
        for d in plan.payload.get("done", ()):
            stop = (d["order_id"], d["action"])
            if stop[0] in handed and stop[1] == "pickup":
                continue
            seen = (d["assistant_id"], d["start"])
            assert visits.get(stop) == seen, (stop, visits.get(stop), seen, self.log)
            first = self.first_done.setdefault(stop, seen)
            assert seen == first, (stop, first, seen, self.log)

    @invariant()
    def a_planned_day_holds_every_order_once(self) -> None:
        """Once every request is planned: every order exactly once; carried goods with their
        carrier; the checker accepts the plan on the day rebuilt from the store."""
        with self.app.app_context(), self.session() as s:
            plan = planning.current_plan(s, DAY)
            newest = s.scalar(select(func.max(PlanRequest.id)).where(
                PlanRequest.service_date == DAY)) or 0
            if self.queue or plan.upto_request != newest:
                return  # requests wait, or the last run failed: the plan is not up to date
            payload = plan.payload
            deliveries = [v["order_id"] for r in payload["routes"] for v in r["visits"]
                          if v["action"] == "delivery"]
            assert len(deliveries) == len(set(deliveries)), self.log
            where = {v["order_id"]: r["assistant_id"] for r in payload["routes"]
                     for v in r["visits"] if v["action"] == "delivery"}
            unplanned = {u["order_id"]: u for u in payload["unplanned"]}
            assert not set(where) & set(unplanned)
            assert all(u["reason"] and u["code"] for u in unplanned.values())
            done = {(d["order_id"], d["action"]) for d in payload.get("done", ())}
            for o in s.scalars(select(Order).where(Order.service_date == DAY)):
                oid, back = str(o.id), f"{RETURN}{o.id}"
                if o.status == "cancelled":
                    assert oid not in where and oid not in unplanned, (oid, self.log)
                elif o.status in ("delivered", "not_home", "returned"):
                    assert (oid, "delivery") in done, (oid, o.status, self.log)
                    assert oid not in unplanned
                    if o.status == "not_home" and comes_back(o):
                        assert (back in where) != (back in unplanned), (oid, self.log)
                    if o.status == "returned":
                        assert (back, "delivery") in done
                else:
                    assert (oid in where) != (oid in unplanned), (oid, o.status, self.log)
                    assert o.status == ("planned" if oid in where else "submitted") \
                        or o.status == "picked_up", (oid, o.status, self.log)
                if o.status == "picked_up":
                    carrier = str(carrier_of(s, o.id))
                    assert where.get(oid, carrier) == carrier or oid in unplanned, \
                        (oid, carrier, where.get(oid), self.log)
                    assert oid in where or oid in unplanned
            built = planning.build(s, DAY, plan, planning.clock_now(self.app, s, DAY))
            assert check(built.problem, model.Plan.from_dict(payload)) == [], self.log


def test_the_live_day_keeps_its_promises(planned_day):
    """Random live days on the demo day; see the module docstring for what must hold."""
    run_state_machine_as_test(LiveDay, settings=settings(
        max_examples=int(os.environ.get("LIVEDAY_EXAMPLES", 6)), stateful_step_count=12,
        deadline=None, derandomize=True, phases=PHASES,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))


@pytest.mark.parametrize("at", ["13:59", "16:30"])
def test_marks_through_the_break_or_past_the_shift_are_planned(planned_day, at):
    """Chantal works 10:00-15:00 with a break to start by 14:00. Marks made through the break
    window, or after her shift, are facts: the next plans must hold them (the break skipped,
    the shift run late), not be rejected one after the other while the day stays on a stale
    plan (what bench/liveday.py found)."""
    day = LiveDay()
    try:
        for index in range(3):
            day.two_marks_in_one_instant("chantal", index, at)
            day.drain()  # fails if a run does not become current
            day.facts_are_kept()
            day.only_checked_plans_are_current()
            day.done_stops_never_change()
            day.a_planned_day_holds_every_order_once()
        assert len(day.acked) >= 3, day.log
    finally:
        day.teardown()
