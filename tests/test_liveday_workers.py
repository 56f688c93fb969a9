"""Planning workers as real processes: the embedded SQLite queue beside the server, two
workers sharing a real Redis server, and a worker killed with SIGKILL in the middle of a run.

Why real processes: what keeps runs safe (one "running" row per day, coalescing, the reaper
that takes over a dead worker's run) lives in the database and across processes, and the
queue may lose a job with the worker that held it. In-process tests cannot kill a worker or
let two of them race for the same day; these do, on the production server (waitress), the
real ``python -m web.cli worker`` and the seeded Helsinki demo day.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import requests

from tests.browser_fixtures import (ROOT, LiveServer, assistant_session, coordinator_session,
                                    copy_database)
from tests.redis_fixtures import redis_url  # noqa: F401 (fixture by name)
from tests.web_fixtures import DAY, seeded_db, web_area  # noqa: F401 (fixtures by name)

#: Small fixed search work: a run takes about a second and gives the same plan every time.
FAST = {"BUURTROUTE_NOW": "09:00", "BUURTROUTE_PLAN_WORK_LIMIT": "20000",
        "BUURTROUTE_PLAN_TIME_LIMIT": "30"}


def ask_plan(session: requests.Session, token: str, url: str, day: date,
             full: bool = False) -> None:
    form = {"csrf_token": token, "service_date": day.isoformat(),
            **({"mode": "full"} if full else {})}
    response = session.post(url + "/coordinator/plan", data=form, timeout=60,
                            allow_redirects=False)
    assert response.status_code == 302, response.text[:300]


def settled(session: requests.Session, url: str, day: date, timeout: float = 180) -> dict:
    """The day's planning status once no run is under way and no request waits."""
    deadline = time.monotonic() + timeout
    while True:
        status = session.get(url + f"/coordinator/plan/status?date={day}", timeout=30).json()
        if status["status"] != "running" and not status["pending"]:
            return status
        assert time.monotonic() < deadline, f"{day} never settled: {status}"
        time.sleep(0.2)


def runs(database: Path, day: date | None = None) -> list[dict]:
    """Every run (plans row) as a dict, oldest first."""
    with sqlite3.connect(database, timeout=30) as con:
        con.row_factory = sqlite3.Row
        rows = con.execute("select * from plans" + (" where service_date = ?" if day else "")
                           + " order by id", (day.isoformat(),) if day else ()).fetchall()
    out = [dict(r) for r in rows]
    for r in out:
        r["payload"] = json.loads(r["payload"] or "{}")
    return out


def copy_day(database: Path, source: date, target: date) -> None:
    """Give ``target`` the same shifts and orders as ``source`` (another day of the area)."""
    with sqlite3.connect(database, timeout=30) as con:
        for table in ("shifts", "orders"):
            columns = [c[1] for c in con.execute(f"pragma table_info({table})") if c[1] != "id"]
            values = ["?" if c == "service_date" else
                      "reference || ?" if c == "reference" else
                      "'submitted'" if c == "status" else c for c in columns]
            suffix = f"-{target.isoformat()}"
            params = [target.isoformat()] + ([suffix] if table == "orders" else [])
            con.execute(f"insert into {table} ({', '.join(columns)}) select "
                        f"{', '.join(values)} from {table} where service_date = ?",
                        (*params, source.isoformat()))


def extra_worker(server: LiveServer, name: str) -> subprocess.Popen:
    """Another ``web.cli worker`` process with the server's environment (same queue)."""
    log = open(server.workdir / f"worker-{name}.log", "ab")
    process = subprocess.Popen([sys.executable, "-m", "web.cli", "worker"], env=server.env(),
                               cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    return process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def consumers_waiting(url: str, count: int, timeout: float = 90) -> None:
    """Wait until ``count`` worker processes block on the Redis queue (a worker takes some
    seconds to import the planner; a burst sent before would all go to the first one)."""
    import redis

    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + timeout
    while sum(c.get("cmd") in ("brpop", "blpop", "bzpopmin") for c in client.client_list()) \
            < count:
        assert time.monotonic() < deadline, f"fewer than {count} workers on the queue"
        time.sleep(0.1)
    client.close()


def pid_of(run: dict) -> int:
    return int(run["runner"].split(":")[1])


def test_a_mark_is_planned_by_the_embedded_worker_within_seconds(tmp_path, seeded_db):
    """The default set-up (``make run``): the server and one worker on the embedded SQLite
    queue. An assistant's mark is acknowledged at once and the repaired plan, with that stop
    done, reaches the assistant's round page within a few seconds."""
    database = copy_database(seeded_db[0], tmp_path / "day.sqlite")
    server = LiveServer(database, tmp_path, extra_env=FAST).start()
    try:
        coordinator, token = coordinator_session(server.url)
        ask_plan(coordinator, token, server.url, DAY)
        first = settled(coordinator, server.url, DAY)
        assert first["status"] == "done", first
        anna, csrf = assistant_session(server.url, "anna")
        state = anna.get(server.url + "/assistant/round/state", timeout=30).json()
        assert state["plan_id"] == first["plan_id"]
        plan = runs(database, DAY)[-1]["payload"]
        mine = next(r for r in plan["routes"] if r["assistant_id"] == "1")
        visit = mine["visits"][0]
        body = {"event_id": uuid.uuid4().hex, "order_ids": [int(visit["order_id"])],
                "status": "picked_up" if visit["action"] == "pickup" else "delivered"}
        started = time.monotonic()
        response = anna.post(server.url + "/assistant/marks", json=body,
                             headers={"X-CSRFToken": csrf}, timeout=30)
        assert response.status_code == 201, response.text
        while True:
            state = anna.get(server.url + "/assistant/round/state", timeout=30).json()
            if state["plan_id"] != first["plan_id"]:
                break
            assert time.monotonic() - started < 15, "no new plan 15 s after the mark"
            time.sleep(0.1)
        seen_after = time.monotonic() - started
        assert seen_after < 10, f"the re-plan took {seen_after:.1f} s to reach the round"
        new = next(r for r in runs(database, DAY) if r["id"] == state["plan_id"])
        done = {(d["order_id"], d["action"], d["assistant_id"]) for d in new["payload"]["done"]}
        assert (visit["order_id"], visit["action"], "1") in done
        assert new["mode"] == "repair" and new["status"] == "done"
        # the same tap again: answered as before, no second fact, no new run
        again = anna.post(server.url + "/assistant/marks", json=body,
                          headers={"X-CSRFToken": csrf}, timeout=30)
        assert again.status_code == 200 and again.json()["replayed"] is True
        with sqlite3.connect(database) as con:
            assert con.execute("select count(*) from facts").fetchone()[0] == 1
    finally:
        server.stop()


def test_two_redis_workers_serialise_each_days_runs(tmp_path, seeded_db, redis_url):
    """Two workers on one Redis queue, a burst of plan requests for three days at once: each
    day's runs one after the other, every request planned by exactly one run, one current
    plan per day, no order planned twice, and both workers did runs."""
    database = copy_database(seeded_db[0], tmp_path / "days.sqlite")
    days = [DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)]
    for day in days[1:]:
        copy_day(database, DAY, day)
    env = {**FAST, "BUURTROUTE_QUEUE": "redis", "BUURTROUTE_REDIS_URL": redis_url,
           "BUURTROUTE_QUEUE_NAME": f"serialise-{uuid.uuid4().hex[:8]}"}
    server = LiveServer(database, tmp_path, extra_env=env).start()
    second = extra_worker(server, "second")
    try:
        consumers_waiting(redis_url, 2)
        coordinator, token = coordinator_session(server.url)
        asks = [(day, k % 3 == 1) for k in range(5) for day in days]

        def burst(part: list[tuple[date, bool]]) -> None:
            session, csrf = coordinator_session(server.url)
            for day, full in part:
                ask_plan(session, csrf, server.url, day, full)

        threads = [threading.Thread(target=burst, args=(asks[k::3],)) for k in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        statuses = {day: settled(coordinator, server.url, day) for day in days}
        assert second.poll() is None and server.worker.poll() is None, "a worker died"
        with sqlite3.connect(database) as con:
            newest = dict(con.execute("select service_date, max(id) from plan_requests "
                                      "group by service_date").fetchall())
            statuses_of = dict(con.execute("select id, status from orders").fetchall())
        everyone = runs(database)
        planned_anywhere: list[str] = []
        for day in days:
            mine = [r for r in everyone if r["service_date"] == day.isoformat()]
            assert statuses[day]["status"] == "done", statuses[day]
            assert [r["status"] for r in mine] == ["done"] * len(mine), mine
            for before, after in pairwise(mine):  # one after the other
                assert after["created_at"] >= before["finished_at"], (before["id"], after["id"])
                assert after["upto_request"] > before["upto_request"], "planned twice"
            assert mine[-1]["upto_request"] == newest[day.isoformat()], "a request was lost"
            current = [r for r in mine if not r["superseded"]]
            assert len(current) == 1
            deliveries = [v["order_id"] for r in current[0]["payload"]["routes"]
                          for v in r["visits"] if v["action"] == "delivery"]
            assert len(deliveries) == len(set(deliveries))
            assert all(statuses_of[int(o)] == "planned" for o in deliveries)
            planned_anywhere += deliveries
        assert len(planned_anywhere) == len(set(planned_anywhere))
        assert len(everyone) < len(asks), "requests made during a run were not coalesced"
        workers = {pid_of(r) for r in everyone}
        assert workers <= {server.worker.pid, second.pid}
        assert len(workers) == 2, "only one of the two workers ran plans"
    finally:
        stop(second)
        server.stop()


def test_a_worker_killed_mid_run_leaves_the_plan_and_the_day_is_finished(
        tmp_path, seeded_db, redis_url):
    """SIGKILL the worker running a whole-day search (two workers on Redis): the current plan
    stays exactly as it was, the killed run becomes failed "interrupted:retried", and the day
    is planned again (attempt 2) by the other worker or the one started in its place."""
    database = copy_database(seeded_db[0], tmp_path / "kill.sqlite")
    env = {"BUURTROUTE_NOW": "09:00", "BUURTROUTE_PLAN_TIME_LIMIT": "8",
           "BUURTROUTE_QUEUE": "redis", "BUURTROUTE_REDIS_URL": redis_url,
           "BUURTROUTE_QUEUE_NAME": f"kill-{uuid.uuid4().hex[:8]}"}
    server = LiveServer(database, tmp_path, extra_env=env).start()
    workers = [server.worker, extra_worker(server, "second")]
    try:
        consumers_waiting(redis_url, 2)
        coordinator, token = coordinator_session(server.url)
        ask_plan(coordinator, token, server.url, DAY)
        first = settled(coordinator, server.url, DAY)
        assert first["status"] == "done", first
        kept = next(r for r in runs(database, DAY) if r["id"] == first["plan_id"])
        ask_plan(coordinator, token, server.url, DAY, full=True)
        deadline = time.monotonic() + 60
        while not (running := [r for r in runs(database, DAY) if r["status"] == "running"]):
            assert time.monotonic() < deadline, "the whole-day run never started"
            time.sleep(0.05)
        victim = next(w for w in workers if w.pid == pid_of(running[0]))
        time.sleep(1.0)  # well inside the 8 s search
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        killed = running[0]["id"]
        row = next(r for r in runs(database, DAY) if r["id"] == killed)
        assert row["status"] == "running"  # nobody finished it
        now = next(r for r in runs(database, DAY) if r["id"] == kept["id"])
        assert (now["payload"], now["superseded"]) == (kept["payload"], 0)
        workers.append(extra_worker(server, "replacement"))  # reaps on start
        final = settled(coordinator, server.url, DAY, timeout=240)
        after = {r["id"]: r for r in runs(database, DAY)}
        assert (after[killed]["status"], after[killed]["error"]) == \
            ("failed", "interrupted:retried")
        retry = [r for r in after.values() if r["id"] > killed]
        assert [r["status"] for r in retry] == ["done"], retry
        assert retry[0]["attempt"] == 2 and retry[0]["mode"] == "full"
        assert final["plan_id"] == retry[0]["id"] and retry[0]["supersedes_id"] == kept["id"]
        assert after[kept["id"]]["payload"] == kept["payload"]
        assert [r["id"] for r in after.values() if r["status"] == "done"
                and not r["superseded"]] == [retry[0]["id"]]
    finally:
        for w in workers:
            stop(w)
        server.stop()
