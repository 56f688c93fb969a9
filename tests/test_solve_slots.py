"""Solve slots (``web.slots``): however many workers run on a machine, at most
``PLAN_SOLVES_PER_MACHINE`` solves compute at once, and a worker killed while it holds a slot
gives it back. Real processes: three ``web.cli worker`` processes on a real Redis queue, and
a holder killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from itertools import pairwise

import pytest

from tests.browser_fixtures import ROOT, LiveServer, coordinator_session, copy_database
from tests.redis_fixtures import redis_url  # noqa: F401 (fixture by name)
from tests.servers import children_by_parent, consumers_waiting
from tests.test_liveday_workers import FAST, ask_plan, copy_day, extra_worker, runs, settled, \
    stop
from tests.web_fixtures import DAY, seeded_db, web_area  # noqa: F401 (fixtures by name)
from web import create_app


class SolveWatch(threading.Thread):
    """Every few milliseconds: how many solves run under the workers, and which were seen."""

    def __init__(self, workers: set[int]) -> None:
        super().__init__(daemon=True)
        self.workers, self.peak, self.seen = workers, 0, set()
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            children = children_by_parent()
            solving = {c for w in self.workers for c in children.get(w, ())}
            self.peak = max(self.peak, len(solving))
            self.seen |= solving
            time.sleep(0.005)


def test_three_workers_with_one_slot_take_turns_to_solve(tmp_path, seeded_db, redis_url):
    """Three workers, three days asked at once, one slot on the machine: the three runs are
    under way together (each worker took a day and built it), but only one solve computes at
    any moment, and every day is planned."""
    database = copy_database(seeded_db[0], tmp_path / "slots.sqlite")
    days = [DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)]
    for day in days[1:]:
        copy_day(database, DAY, day)
    env = {**FAST, "BUURTROUTE_QUEUE": "redis", "BUURTROUTE_REDIS_URL": redis_url,
           "BUURTROUTE_QUEUE_NAME": f"slots-{uuid.uuid4().hex[:8]}",
           "BUURTROUTE_PLAN_SOLVES_PER_MACHINE": "1"}
    server = LiveServer(database, tmp_path, extra_env=env).start()
    workers = [server.worker, extra_worker(server, "second"), extra_worker(server, "third")]
    watch = SolveWatch({w.pid for w in workers})
    try:
        consumers_waiting(redis_url, 3)
        coordinator, token = coordinator_session(server.url)
        watch.start()
        for day in days:
            ask_plan(coordinator, token, server.url, day, full=True)
        statuses = {day: settled(coordinator, server.url, day) for day in days}
        watch.halt.set()
        watch.join()
        assert all(s["status"] == "done" for s in statuses.values()), statuses
        everyone = runs(database)
        assert len({r["runner"] for r in everyone}) == 3, "not every worker took a day"
        spans = sorted((r["created_at"], r["finished_at"]) for r in everyone)
        assert all(later[0] < earlier[1] for earlier, later in pairwise(spans)), \
            f"the runs were not under way together: {spans}"
        assert len(watch.seen) >= 3, f"the watch saw {len(watch.seen)} solves of 3"
        assert watch.peak == 1, f"{watch.peak} solves at once with one slot"
    finally:
        watch.halt.set()
        for w in workers:
            stop(w)
        server.stop()


HOLD = """
import sys, time
from web.slots import Slots
print("asking", flush=True)
with Slots(1).held():
    print(f"held {time.monotonic()}", flush=True)
    time.sleep(float(sys.argv[1]))
"""


def test_a_worker_killed_holding_a_slot_gives_it_back():
    """One slot: a process holds it and is killed with SIGKILL (no ``finally`` runs); the
    process waiting for the slot gets it at once, not never."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    holder = subprocess.Popen([sys.executable, "-c", HOLD, "600"], stdout=subprocess.PIPE,
                              text=True, env=env, cwd=ROOT)
    waiter = None
    try:
        assert holder.stdout is not None
        assert [holder.stdout.readline()[:4] for _ in range(2)] == ["aski", "held"]
        waiter = subprocess.Popen([sys.executable, "-c", HOLD, "0"], stdout=subprocess.PIPE,
                                  text=True, env=env, cwd=ROOT)
        assert waiter.stdout is not None and waiter.stdout.readline().startswith("asking")
        time.sleep(2.0)
        assert waiter.poll() is None, "the waiter got a slot that was held"
        killed_at = time.monotonic()
        holder.send_signal(signal.SIGKILL)
        line = waiter.stdout.readline()
        assert line.startswith("held"), line
        assert float(line.split()[1]) - killed_at < 5, "the slot came back late"
        assert waiter.wait(timeout=30) == 0
    finally:
        for process in (holder, waiter):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()


def test_the_slot_count_is_checked_when_the_app_starts(tmp_path):
    """A count that is not a whole number of at least 1 stops the app at start with the
    setting named; no value means one slot per core this process may use."""
    base = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}", "SECRET_KEY": "slots",
            "INSTANCE_PATH": str(tmp_path / "instance")}
    for bad in ("0", "-2", "two", "1.5"):
        with pytest.raises(ValueError, match="PLAN_SOLVES_PER_MACHINE") as raised:
            create_app({**base, "PLAN_SOLVES_PER_MACHINE": bad})
        assert repr(bad) in str(raised.value)
    app = create_app({**base, "PLAN_SOLVES_PER_MACHINE": "3"})
    assert app.extensions["buurtroute.slots"].count == 3
    app = create_app(base)
    assert app.extensions["buurtroute.slots"].count == len(os.sched_getaffinity(0))


def test_a_slot_refused_by_the_system_does_not_stop_a_solve(caplog):
    """The semaphore removed by hand (``ipcrm``) while a worker runs: its next solve runs
    without a slot and the log says why; the one after makes the semaphore again and waits
    for slots as before."""
    import ctypes

    from web import slots

    one = slots.Slots(1)
    with one.held():
        semid = one._id
    assert semid is not None
    assert slots._libc().semctl(semid, 0, 0) == 0  # IPC_RMID, as ipcrm does
    ran = []
    with caplog.at_level("WARNING", logger="web.slots"), one.held():
        ran.append("without a slot")
    assert ran and "solving without a slot" in caplog.text
    with one.held():
        again = one._id
        other = slots.Slots(1)
        other._semaphore()  # a second process would find the same semaphore, all slots taken
        assert other._id == again
        buf = slots._SemBuf(0, -1, 0x1000 | 0o4000)  # SEM_UNDO | IPC_NOWAIT
        assert slots._libc().semop(again, ctypes.byref(buf), 1) < 0
