"""Planning jobs on a queue engine: the web process asks, workers plan.

The engine is Huey (``huey`` on PyPI): small, well kept, and with the same task code on an
embedded SQLite queue (``QUEUE=sqlite``, the default: a file in the instance folder, no
service to run, so ``make run`` needs nothing else) and on Redis or Valkey (``QUEUE=redis``
with ``REDIS_URL``) when workers run on several machines. ``QUEUE=immediate`` runs a job
inside the call that enqueues it (tests of single requests; the same task function).

Only this module imports Huey. The job itself is :func:`web.planning.run_day`; what makes
runs safe (one per day, coalescing, a dead worker's run taken over) lives there, in the
database, not in the queue: a queue may lose a job when a worker is killed, so the reaper
(every minute, and when a worker starts) finds days with requests no run has taken and
enqueues them again.

However many workers run on a machine, at most one solve per core runs at once
(:mod:`web.slots`, ``PLAN_SOLVES_PER_MACHINE``): the other workers prepare and store days
meanwhile instead of slowing every solve down.

The same workers run the nightly retention purge (:func:`web.retention.purge_app`, a
periodic task beside the reaper): with several workers Huey schedules a periodic task on
each, and a second purge in the same night finds nothing left to remove.
"""

from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import Path
from typing import Any, Callable, ContextManager

from flask import Flask

from . import slots

log = logging.getLogger(__name__)
QUEUES = ("sqlite", "redis", "immediate")


def init_app(app: Flask) -> None:
    from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab

    kind = app.config.get("QUEUE") or "sqlite"
    name = app.config.get("QUEUE_NAME") or "buurtroute"
    if kind not in QUEUES:
        raise ValueError(f"QUEUE: must be one of {', '.join(QUEUES)}, got {kind!r}")
    if kind == "redis":
        url = app.config.get("REDIS_URL")
        if not url:
            raise ValueError("QUEUE=redis needs REDIS_URL (e.g. redis://localhost:6379/0)")
        huey: Any = RedisHuey(name, url=url, results=False)
    elif kind == "immediate":
        huey = MemoryHuey(name, immediate=True, results=False)
    else:
        path = app.config.get("QUEUE_PATH") or str(Path(app.instance_path) / "queue.sqlite")
        huey = SqliteHuey(name, filename=path, results=False)

    from . import planning

    @huey.task(name="plan_day")
    def plan_day(org: int, iso: str) -> None:
        planning.run_day(app, org, date.fromisoformat(iso))

    @huey.periodic_task(crontab(minute="*"), name="reap")
    def reap() -> None:
        planning.reap_all(app)

    @huey.periodic_task(crontab(minute="17", hour="3"), name="purge")
    def purge() -> None:
        """The nightly retention purge (``web.retention``): what is past its period goes."""
        from . import retention

        removed = retention.purge_app(app)
        log.info("retention purge: %s", ", ".join(f"{k} {v}" for k, v in removed.items()))

    app.extensions["buurtroute.queue"] = huey
    app.extensions["buurtroute.slots"] = slots.Slots(_solves_per_machine(app))
    app.extensions["buurtroute.purge_task"] = purge
    app.extensions["buurtroute.plan_task"] = plan_day


def _solves_per_machine(app: Flask) -> int:
    configured = app.config.get("PLAN_SOLVES_PER_MACHINE")
    if configured in (None, ""):
        return slots.default_count()
    try:
        count = int(configured)
    except (TypeError, ValueError):
        count = 0
    if count < 1:
        raise ValueError(f"PLAN_SOLVES_PER_MACHINE: a whole number of at least 1, "
                         f"got {configured!r}")
    return count


def solve_slot(app: Flask) -> ContextManager[None]:
    """Hold one of the machine's solve slots for a ``with`` block (waiting for one first)."""
    held: slots.Slots = app.extensions["buurtroute.slots"]
    return held.held()


def enqueue_plan(app: Flask, org: int, day: date) -> None:
    """Ask a worker to plan ``day`` of cooperative ``org`` (a job for a day already planned
    or running is harmless: the run finds nothing new, or leaves it to the run under way)."""
    task: Callable[[int, str], Any] = app.extensions["buurtroute.plan_task"]
    task(org, day.isoformat())


def run_worker(app: Flask, workers: int = 1) -> None:
    """Consume jobs until stopped (SIGINT/SIGTERM). First what runs need is loaded
    (:func:`web.planning.warm_up`) and runs left by dead workers are taken over. Each worker
    thread plans one day at a time; the solve itself runs in a child process that is killed
    at the hard time limit (see :mod:`web.planning`)."""
    from . import planning

    planning.warm_up(app)
    planning.reap_all(app)
    # an idle worker looks at the SQLite queue at least every half second (Huey's default
    # backs off to 10 s, too slow for a re-plan the assistant waits for; Redis blocks instead)
    consumer = app.extensions["buurtroute.queue"].create_consumer(
        workers=workers, worker_type="thread", periodic=True, check_worker_health=True,
        initial_delay=0.1, backoff=1.15, max_delay=0.5)
    consumer.run()


def die_with_parent(signum: int) -> None:
    """Linux: this process gets ``signum`` when the process that started it ends, however it
    ends (a worker beside ``serve``, a solve beside its worker); elsewhere a no-op."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").prctl(1, signum)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def batch_priority() -> None:
    """Linux: tell the scheduler this process is a batch computation (``SCHED_BATCH``): it
    gives way when a request or a tap wakes up on the same machine, and solves sharing a core
    interrupt each other less; elsewhere a no-op."""
    try:
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    except (AttributeError, OSError):
        pass
