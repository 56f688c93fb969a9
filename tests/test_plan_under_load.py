"""The web planner gives the same plan on a busy machine: it stops on a work count, and with a
work count no clock decides anything (not PyVRP's stop, not OR-Tools' search or its
sub-searches, not the ladder's steps); only the hard limit, which fails the run, is timed.

The real demo day is planned twice the way a worker plans it (``planning.solve_with_limit``:
the solve in a forked child process killed at the hard limit, with the web's own settings from
``planning._params``): once on a quiet machine, once while every core is kept busy by spinning
processes. The time limit is set below what the run takes even on a quiet machine, so a search
that still looked at the clock would end at another point of its trajectory under load.
"""

from __future__ import annotations

import multiprocessing
import os

import pytest
from flask import Flask

from routing.check import check
from routing.demo import demo_day, demo_problem
from routing.model import Plan
from web import planning

WORK = 120_000
"""About 1.5 s on a quiet core for the 60-order day: PyVRP's checkpoints and an OR-Tools polish."""


def _spin(stop) -> None:
    while not stop.is_set():
        pass


def _plan(problem, app: Flask) -> Plan:
    return planning.solve_with_limit(problem, None, planning._params(app),
                                     planning.hard_limit(app))


def _routes_and_unplanned(plan: Plan) -> dict:
    data = plan.to_dict()
    return {"routes": data["routes"], "unplanned": data["unplanned"]}


@pytest.fixture(scope="module")
def day60(area):
    return demo_problem(area, demo_day(area, 60, 3, 1))[0]


def test_the_same_day_gives_the_same_plan_on_a_busy_machine(day60):
    app = Flask("plan-under-load")
    app.config.update(PLAN_WORK_LIMIT=WORK, PLAN_TIME_LIMIT=1.0, PLAN_HARD_LIMIT=300, PLAN_SEED=0)
    quiet = _plan(day60, app)

    context = multiprocessing.get_context("fork")
    stop = context.Event()
    spinners = [context.Process(target=_spin, args=(stop,), daemon=True)
                for _ in range(min(8, (os.cpu_count() or 2) + 1))]
    for spinner in spinners:
        spinner.start()
    try:
        busy = _plan(day60, app)
        still_spinning = all(s.is_alive() for s in spinners)
    finally:
        stop.set()
        for spinner in spinners:
            spinner.join(timeout=10)
    assert still_spinning

    # both runs ended on their count, not the clock, after the same steps of both searches
    assert quiet.stats["stopped_by"] == busy.stats["stopped_by"] == "work"
    assert quiet.stats["ortools_steps"] > 0 and quiet.stats["polishes"] >= 1
    assert (busy.stats["seed_iterations_done"], busy.stats["ortools_steps"]) == \
        (quiet.stats["seed_iterations_done"], quiet.stats["ortools_steps"])
    assert _routes_and_unplanned(busy) == _routes_and_unplanned(quiet)
    assert any(r.visits for r in busy.routes)
    assert check(day60, busy) == []


def test_a_solve_runs_as_a_batch_job(day60):
    """The forked solve tells the scheduler it is batch work (``SCHED_BATCH``), so a web
    request or a tap on the same machine does not wait behind it: read from the running
    child's /proc entry while it solves."""
    import threading
    from pathlib import Path

    app = Flask("plan-batch")
    app.config.update(PLAN_WORK_LIMIT=WORK, PLAN_TIME_LIMIT=30.0, PLAN_SEED=0)
    done: list[Plan] = []
    solving = threading.Thread(target=lambda: done.append(_plan(day60, app)))
    solving.start()
    policies = set()
    tasks = Path(f"/proc/{os.getpid()}/task")
    while solving.is_alive():
        children = []
        for task in tasks.iterdir():  # the solving thread forks, so look at every thread's
            try:
                children += (task / "children").read_text().split()
            except (FileNotFoundError, ProcessLookupError):  # the thread or child just ended
                continue
        for pid in children:
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except (FileNotFoundError, ProcessLookupError):
                continue
            policies.add(int(stat.rpartition(")")[2].split()[38]))  # field 41: policy
    solving.join()
    assert done and check(day60, done[0]) == []
    # (SCHED_OTHER only in the instant between the fork and the child's first line)
    assert os.SCHED_BATCH in policies and policies <= {os.SCHED_BATCH, os.SCHED_OTHER}
    assert os.sched_getscheduler(0) == os.SCHED_OTHER  # the worker itself is unchanged
