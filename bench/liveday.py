"""The live day played forward: simulated assistants follow their rounds on the production
server while a coordinator moves stops and a worker is killed once.

The demo day (Helsinki demo area, three assistants) is planned, then played from 09:00 at a
compressed pace (``--minutes`` real minutes for the whole shift). Each assistant follows the
plan the server gives them: when the simulated clock reaches their next stop they mark it
(picked up, a batch at one pickup place as one tap; delivered, or now and then "niet thuis";
the goods of a "niet thuis" brought back), each mark with its own tap id and the simulated
time, and some marks come in pairs 100-200 ms apart (a phone catching up). A coordinator moves
stops to another assistant, some of them while a run is under way, and the planning worker is
SIGKILLed once in the middle of a run and replaced.

The planner's own clock is pinned at 09:00 (``BUURTROUTE_NOW``): the simulated marks carry
their simulated times, so done stops move the rounds forward, and the real wall clock of the
machine running the bench plays no part.

Figures (written to ``bench/results/liveday.json``), with their targets:

* ``marks``: marks acknowledged (201).
* ``marks_lost`` (0): acknowledged taps without exactly one fact per order in the store.
* ``orders_lost`` (0): orders of the day the final plan does not account for (planned,
  unplanned with a reason, done, or cancelled).
* ``orders_duplicated`` (0): over every plan made current, orders in two places at once.
* ``goods_moved_off_carrier`` (0): over every plan made current, goods on someone's bike whose
  delivery the plan gives to another assistant.
* ``failed_runs_made_current`` (0): failed runs that were current or that a plan superseded.
* ``replan_p50_s``, ``replan_p95_s`` (p95 ≤ 5 s): from a mark's acknowledgement until
  ``GET /assistant/round/state`` names a plan that has the stop done.
* ``untouched_stops_changed_per_move`` (≤ 0.05): per coordinator move, the share of stops in
  the rounds the move did not touch whose assistant or place changed
  (:func:`routing.replan.touched_share`) between the plan the move's run repaired and the
  plan it made, averaged. (That run may also take marks made meanwhile; a mark's own
  changes count against the move.)

    .venv/bin/python bench/liveday.py [--minutes 2.5] [--seed 7]

Prints the figures beside the targets; no timed assertion (the exit code says only whether
the bench ran).
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import date
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from routing import model, replan  # noqa: E402
from tests.browser_fixtures import (LiveServer, assistant_session,  # noqa: E402
                                    coordinator_session, copy_database, seed_database)

RESULTS = ROOT / "bench" / "results"
ASSISTANTS = {"anna": "1", "bram": "2", "chantal": "3"}
DAY_START, DAY_END = 9 * 3600, 17 * 3600
TARGETS = {"marks_lost": 0, "orders_lost": 0, "orders_duplicated": 0,
           "goods_moved_off_carrier": 0, "failed_runs_made_current": 0, "replan_p95_s": 5.0,
           "untouched_stops_changed_per_move": 0.05}


class Clock:
    """The simulated time of day: 09:00 at the start, ``speed`` simulated seconds a second."""

    def __init__(self, speed: float):
        self.speed, self.t0 = speed, time.monotonic()

    def now(self) -> int:
        return int(DAY_START + (time.monotonic() - self.t0) * self.speed)

    def hhmm(self) -> str:
        t = min(self.now(), 23 * 3600)
        return f"{t // 3600:02d}:{t % 3600 // 60:02d}"


class Store:
    """Read-only looks at the server's SQLite file (the bench's own eyes, not the app's)."""

    def __init__(self, database: Path):
        self.database = database

    def rows(self, query: str, args: tuple = ()) -> list[tuple]:
        with sqlite3.connect(self.database, timeout=30) as con:
            return con.execute(query, args).fetchall()

    def plan(self, plan_id: int) -> dict:
        return json.loads(self.rows("select payload from plans where id = ?", (plan_id,))[0][0])

    def statuses(self) -> dict[int, str]:
        return dict(self.rows("select id, status from orders"))

    def running(self) -> list[tuple]:
        return self.rows("select id, runner from plans where status = 'running'")


def reflects(payload: dict, stop: tuple[str, str]) -> bool:
    return any((d["order_id"], d["action"]) == stop for d in payload.get("done", ()))


class Assistant(threading.Thread):
    """One assistant walking their round by the simulated clock."""

    def __init__(self, name: str, server: LiveServer, store: Store, clock: Clock,
                 rng: random.Random, shared: dict):
        super().__init__(name=name, daemon=True)
        self.username, self.aid = name, ASSISTANTS[name]
        self.server, self.store, self.clock, self.rng, self.shared = (server, store, clock,
                                                                       rng, shared)
        self.session, self.csrf = assistant_session(server.url, name)
        self.acked: list[dict] = []
        self.latencies: list[float] = []
        #: (acknowledged at, seconds until seen) per mark, to tell the worker's restart apart
        self.timeline: list[tuple[float, float]] = []
        self.refused: list[str] = []
        self.watchers: list[threading.Thread] = []

    def state(self) -> int | None:
        response = self.session.get(self.server.url + "/assistant/round/state", timeout=30)
        return response.json()["plan_id"]

    def next_marks(self, payload: dict, statuses: dict[int, str]) -> tuple[int, list[dict]]:
        """The next stop of this round that has not happened: its planned start and the
        tap(s) it takes (every package at one pickup place in one tap)."""
        done = {(d["order_id"], d["action"]) for d in payload.get("done", ())}
        route = next((r for r in payload["routes"] if r["assistant_id"] == self.aid), None)
        for k, v in enumerate(route["visits"] if route else ()):
            stop = (v["order_id"], v["action"])
            if stop in done:
                continue
            back = v["order_id"].startswith("r")
            oid = int(v["order_id"].removeprefix("r"))
            status = statuses.get(oid)
            if back:
                if status == "not_home":
                    return v["start"], [{"order_ids": [oid], "status": "returned",
                                         "stop": stop}]
                continue
            if v["action"] == "pickup":
                if status != "planned":
                    continue
                batch = [oid]  # the packages ready at this pickup place now: one tap
                for w in route["visits"][k + 1:]:
                    if w["action"] == "pickup" and w["location"] == v["location"] \
                            and w["start"] <= v["start"] + 120 \
                            and not w["order_id"].startswith("r") \
                            and statuses.get(int(w["order_id"])) == "planned":
                        batch.append(int(w["order_id"]))
                    else:
                        break
                return v["start"], [{"order_ids": batch, "status": "picked_up", "stop": stop,
                                     "stops": [(str(b), "pickup") for b in batch]}]
            if status in ("planned", "picked_up"):
                kind = "not_home" if self.rng.random() < 0.08 else "delivered"
                return v["start"], [{"order_ids": [oid], "status": kind, "stop": stop}]
        return -1, []

    def send(self, mark: dict) -> float | None:
        body = {"event_id": uuid.uuid4().hex, "order_ids": mark["order_ids"],
                "status": mark["status"], "at": self.clock.hhmm()}
        for _attempt in range(20):  # the same tap again after a connection error
            try:
                response = self.session.post(self.server.url + "/assistant/marks", json=body,
                                             headers={"X-CSRFToken": self.csrf}, timeout=30)
                break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            return None
        if response.status_code not in (200, 201):
            self.refused.append(f"{response.status_code} {response.text[:120]}")
            return None
        acked = time.monotonic()
        self.acked.append({**body, "assistant": self.aid})
        return acked

    def wait_for(self, stops: list[tuple[str, str]], since: float) -> None:
        """Watch, beside the assistant who walks on, until ``GET /assistant/round/state``
        names a plan that has these stops done; the time from the acknowledgement is one
        re-plan latency."""
        watcher = threading.Thread(target=self._watch, args=(stops, since), daemon=True)
        watcher.start()
        self.watchers.append(watcher)

    def _watch(self, stops: list[tuple[str, str]], since: float) -> None:
        session = requests.Session()
        session.cookies.update(self.session.cookies)
        deadline = since + 120
        seen: dict[int, dict] = {}
        while time.monotonic() < deadline:
            response = session.get(self.server.url + "/assistant/round/state", timeout=30)
            plan_id = response.json()["plan_id"]
            if plan_id is not None:
                payload = seen.get(plan_id) or seen.setdefault(plan_id, self.store.plan(plan_id))
                if all(reflects(payload, s) for s in stops):
                    self.latencies.append(time.monotonic() - since)
                    self.timeline.append((since, time.monotonic() - since))
                    return
            time.sleep(0.05)
        self.latencies.append(float("inf"))

    def run(self) -> None:
        idle = 0
        while self.clock.now() < DAY_END and not self.shared["stop"].is_set():
            plan_id = self.state()
            payload = self.store.plan(plan_id)
            start, marks = self.next_marks(payload, self.store.statuses())
            if not marks:
                idle += 1
                if idle > 40:
                    return  # the round is done
                time.sleep(0.25)
                continue
            idle = 0
            while self.clock.now() < start and not self.shared["stop"].is_set():
                time.sleep(0.02)
            mark = marks[0]
            acked = self.send(mark)
            if acked is None:
                time.sleep(0.2)
                continue
            if self.rng.random() < 0.2:  # a second tap 100-200 ms later (phone catching up)
                time.sleep(self.rng.uniform(0.1, 0.2))
                _start, more = self.next_marks(self.store.plan(self.state()),
                                               self.store.statuses())
                more = [m for m in more if not set(m["order_ids"]) & set(mark["order_ids"])]
                second = self.send(more[0]) if more else None
                if second is not None:
                    self.shared["bursts"] += 1
                    self.wait_for(more[0].get("stops", [more[0]["stop"]]), second)
            self.wait_for(mark.get("stops", [mark["stop"]]), acked)


def coordinator(server: LiveServer, store: Store, clock: Clock, rng: random.Random,
                shared: dict, moves_wanted: int) -> list[dict]:
    """Moves stops now and then (some while a run is under way) and kills the worker once in
    the middle of a run; answers one record per move."""
    session, token = coordinator_session(server.url)
    moves: list[dict] = []
    span = DAY_END - DAY_START
    kill_at = DAY_START + span * 0.45
    plan_times = [DAY_START + span * (k + 1) / (moves_wanted + 1) for k in range(moves_wanted)]
    while clock.now() < DAY_END and not shared["stop"].is_set():
        if not shared["killed"] and clock.now() >= kill_at:
            deadline = time.monotonic() + 30
            while not store.running() and time.monotonic() < deadline:
                time.sleep(0.01)
            running = store.running()
            server.kill_worker()
            shared["killed"] = {"sim_time": clock.hhmm(), "during_run": bool(running)}
            shared["killed_at"] = time.monotonic()
            time.sleep(0.5)
            server.start_worker()
        if plan_times and clock.now() >= plan_times[0]:
            plan_times.pop(0)
            move = one_move(session, token, server, store, clock, rng)
            if move is not None:
                moves.append(move)
        time.sleep(0.05)
    return moves


def one_move(session, token: str, server: LiveServer, store: Store, clock: Clock,
             rng: random.Random) -> dict | None:
    """Move one stop that lies at least an hour ahead to another assistant; wait for the plan
    that holds it and measure how local the change stayed."""
    statuses = store.statuses()
    deadline = time.monotonic() + 5
    while not store.running() and time.monotonic() < deadline:
        time.sleep(0.01)  # try to make it during a run (a mark's re-plan)
    during = bool(store.running())
    plan_id = session.get(server.url + "/coordinator/plan/status", timeout=30).json()["plan_id"]
    before = store.plan(plan_id)
    options = [(r["assistant_id"], v["order_id"]) for r in before["routes"] for v in r["visits"]
               if v["action"] == "delivery" and not v["order_id"].startswith("r")
               and statuses.get(int(v["order_id"])) == "planned"
               and v["start"] > clock.now() + 3600]
    if not options:
        return None
    source, oid = rng.choice(sorted(options))
    target = rng.choice(sorted(set(ASSISTANTS.values()) - {source}))
    response = session.post(server.url + f"/coordinator/orders/{oid}/lock",
                            data={"csrf_token": token, "assistant_id": target, "action": "lock",
                                  "position": ""}, timeout=60, allow_redirects=False)
    if response.status_code != 302:
        return None
    newest = store.rows("select max(id) from plan_requests")[0][0]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        rows = store.rows("select id from plans where status = 'done' and upto_request >= ? "
                          "order by id limit 1", (newest,))
        if rows:
            after = store.plan(rows[0][0])
            # against the plan this run repaired (marks planned since the move was made are
            # in it already), so that only the run that took the move is measured
            base_id = store.rows("select supersedes_id from plans where id = ?",
                                 (rows[0][0],))[0][0]
            base = store.plan(base_id) if base_id is not None else before
            share = replan.touched_share(model.Plan.from_dict(base),
                                         model.Plan.from_dict(after), {source, target})
            where = [r["assistant_id"] for r in after["routes"]
                     if any(v["order_id"] == oid for v in r["visits"])]
            return {"order": oid, "from": source, "to": target, "during_run": during,
                    "plan_at_move": plan_id, "plan_repaired": base_id,
                    "plan_after": rows[0][0],
                    "untouched_changed_share": round(share, 4),
                    "now_with": where[0] if where else "unplanned"}
        time.sleep(0.1)
    return None


def audit(store: Store, acked: list[dict]) -> dict:
    """What the store holds at the end, against what was acknowledged and every plan made."""
    facts = store.rows("select client_id, order_id, action, assistant_id, recorded_at "
                       "from facts")
    by_client: dict[str, list[tuple]] = {}
    for client_id, *rest in facts:
        by_client.setdefault(client_id, []).append(tuple(rest))
    lost = sum(1 for m in acked for oid in m["order_ids"]
               if by_client.get(f"{m['event_id']}:{oid}", []) == []
               or len(by_client[f"{m['event_id']}:{oid}"]) != 1)
    plans = store.rows("select id, status, superseded, supersedes_id, payload, created_at "
                       "from plans order by id")
    failed = {pid for pid, status, *_ in plans if status == "failed"}
    failed_current = sum(1 for _, status, superseded, *_ in plans
                         if status == "failed" and not superseded) + \
        sum(1 for _, status, _, sup, *_ in plans if status == "done" and sup in failed)
    duplicated = moved_off = 0
    for _pid, status, _, _, payload, created in plans:
        if status != "done":
            continue
        p = json.loads(payload)
        deliveries = [v["order_id"] for r in p["routes"] for v in r["visits"]
                      if v["action"] == "delivery"]
        unplanned = {u["order_id"] for u in p["unplanned"]}
        duplicated += len(deliveries) - len(set(deliveries)) + len(set(deliveries) & unplanned)
        where = {v["order_id"]: r["assistant_id"] for r in p["routes"] for v in r["visits"]
                 if v["action"] == "delivery"}
        carrier: dict[str, str] = {}
        for _, oid, action, who, recorded in sorted(facts, key=lambda f: f[4]):
            if recorded >= created:
                continue  # not yet known when the run started
            if action in ("picked_up", "handed_over"):
                carrier[str(oid)] = str(who)
            elif action in ("delivered", "not_home"):
                carrier.pop(str(oid), None)
        moved_off += sum(1 for oid, who in carrier.items()
                         if oid not in unplanned and where.get(oid, who) != who)
    current = [json.loads(p) for pid, status, superseded, _, p, _ in plans
               if status == "done" and not superseded]
    final = current[-1] if current else {"routes": [], "unplanned": [], "done": []}
    there = {v["order_id"] for r in final["routes"] for v in r["visits"]
             if v["action"] == "delivery"}
    unplanned = {u["order_id"] for u in final["unplanned"]}
    done = {(d["order_id"], d["action"]) for d in final.get("done", ())}
    orders_lost = 0
    for oid, status in store.rows("select id, status from orders"):
        if status == "cancelled":
            continue
        if status in ("delivered", "not_home", "returned"):
            orders_lost += (str(oid), "delivery") not in done
        else:
            orders_lost += (str(oid) in there) == (str(oid) in unplanned)
    runs = store.rows("select status, error, violations from plans")
    return {"marks_lost": lost, "orders_lost": orders_lost, "orders_duplicated": duplicated,
            "goods_moved_off_carrier": moved_off, "failed_runs_made_current": failed_current,
            "current_plans": len(current), "runs": len(runs),
            "runs_failed": [{"error": e, "violations": json.loads(v or "[]")[:3]}
                            for s, e, v in runs if s == "failed"],
            "facts": len(facts)}


def run(minutes: float, seed: int, moves: int, keep: Path | None = None) -> dict:
    day = date.today()
    rng = random.Random(seed)
    env = {"BUURTROUTE_NOW": "09:00", "BUURTROUTE_PLAN_TIME_LIMIT": "10"}
    with tempfile.TemporaryDirectory(prefix="buurtroute-liveday-") as folder:
        folder = Path(folder)
        database, _accounts = seed_database(folder, day)
        server = LiveServer(database, folder, extra_env=env).start()
        store = Store(database)
        try:
            session, token = coordinator_session(server.url)
            session.post(server.url + "/coordinator/plan",
                         data={"csrf_token": token, "service_date": day.isoformat()},
                         timeout=60)
            deadline = time.monotonic() + 300
            while True:
                status = session.get(server.url + "/coordinator/plan/status", timeout=30).json()
                if status["status"] == "done" and not status["pending"]:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the first plan did not come: {status}")
                time.sleep(0.3)
            first = store.plan(status["plan_id"])
            shared = {"stop": threading.Event(), "killed": None, "bursts": 0}
            clock = Clock((DAY_END - DAY_START) / (minutes * 60))
            assistants = [Assistant(name, server, store, clock, random.Random(seed + k),
                                    shared) for k, name in enumerate(ASSISTANTS)]
            for a in assistants:
                a.start()
            moved = coordinator(server, store, clock, rng, shared, moves)
            for a in assistants:
                a.join(timeout=180)
            for a in assistants:
                for w in a.watchers:
                    w.join(timeout=130)
            shared["stop"].set()
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                status = session.get(server.url + "/coordinator/plan/status", timeout=30).json()
                if status["status"] != "running" and not status["pending"]:
                    break
                time.sleep(0.3)
            acked = [m for a in assistants for m in a.acked]
            timeline = sorted(x for a in assistants for x in a.timeline)
            killed_at = shared.get("killed_at")
            # the worker's restart: from the kill until the first mark made after it is seen
            recovered = min((t + d for t, d in timeline if killed_at and t >= killed_at),
                            default=None)
            calm = sorted(d for t, d in timeline if not killed_at or recovered is None
                          or t + d < killed_at or t > recovered)
            latencies = sorted(x for a in assistants for x in a.latencies)
            finite = [x for x in latencies if x != float("inf")]
            result = {
                "day_minutes": minutes, "seed": seed,
                "orders": len(store.statuses()),
                "first_plan_planned": sum(1 for r in first["routes"] for v in r["visits"]
                                          if v["action"] == "delivery"),
                "marks": len(acked),
                "marks_by_status": {s: sum(1 for m in acked if m["status"] == s)
                                    for s in ("picked_up", "delivered", "not_home",
                                              "returned")},
                "bursts_within_200ms": shared["bursts"],
                "refused_marks": [r for a in assistants for r in a.refused],
                "replan_p50_s": round(statistics.median(finite), 3) if finite else None,
                "replan_p95_s": round(finite[min(len(finite) - 1,
                                                 int(0.95 * len(finite)))], 3)
                if finite else None,
                "replan_max_s": round(max(finite), 3) if finite else None,
                "replans_never_seen": len(latencies) - len(finite),
                "worker_restart_s": round(recovered - killed_at, 2)
                if killed_at and recovered else None,
                "replan_p95_s_outside_worker_restart": round(
                    calm[min(len(calm) - 1, int(0.95 * len(calm)))], 3) if calm else None,
                "marks_waiting_on_worker_restart": len(timeline) - len(calm),
                "moves": moved,
                "moves_during_run": sum(1 for m in moved if m["during_run"]),
                "untouched_stops_changed_per_move": round(statistics.mean(
                    m["untouched_changed_share"] for m in moved), 4) if moved else None,
                "worker_killed": shared["killed"],
                **audit(store, acked),
            }
        finally:
            server.stop()
            if keep is not None:  # for a post-mortem of the day
                copy_database(database, keep)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=2.5,
                        help="real minutes for the day from 09:00 to 17:00")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--moves", type=int, default=6)
    parser.add_argument("--out", type=Path, default=RESULTS / "liveday.json")
    parser.add_argument("--keep", type=Path, help="copy the day's database here at the end")
    args = parser.parse_args()
    result = run(args.minutes, args.seed, args.moves, args.keep)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "moves"}, indent=2))
    print("\nfigure                              value      target")
    for name, target in TARGETS.items():
        value = result.get(name)
        ok = value is not None and value <= target
        print(f"{name:34s} {str(value):>10s}   ≤ {target:<6}  {'ok' if ok else 'MISSED'}")
    print(f"{'marks':34s} {result['marks']:>10d}")


if __name__ == "__main__":
    main()
