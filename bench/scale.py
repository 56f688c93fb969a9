"""Scale: many cooperatives on one service, planned by several worker processes, and orders
taken in at a fixed rate — real processes on loopback, a real PostgreSQL and a real Redis.

1. Twenty cooperatives share the demo area, each with its own day of 60 to 150 orders (spread
   evenly), seeded once into a template database; every run works on a fresh copy of it
   (``CREATE DATABASE ... TEMPLATE``).
2. For 1, 2 and 4 ``web.cli worker`` processes on one Redis queue (each count ``--repeat``
   times, interleaved, the median reported beside every run, and each count against the one
   before it round by round: the ratio within a round, their median), every cooperative's day is
   asked for at once (``planning.request`` per cooperative, in a session scoped to it) and
   the database is polled until each has its plan: plans per minute, CPU seconds per plan
   (workers and their solves), time from request to plan visible (p50/p95), peak memory per
   worker (its RSS plus its forked solves', sampled from /proc), when each run was taken and
   stored, failed runs, days planned more than once, and whether every cooperative's routes
   are exactly those of the one-worker run. The search stops on its work limit, and with a
   work limit no clock is consulted (``PLAN_TIME_LIMIT`` 600 s only bounds a run, which would
   then fail), so a plan does not depend on how busy the machine is.
3. Open-loop intake, for 1, 2 and 4 web processes: the web as ``compose.yaml`` runs it
   (gunicorn, ``--workers N --threads 4``, PostgreSQL, the planning queue on Redis), every
   process warmed up (its area loaded) first, on a fresh copy of the database each time;
   50 partners of the cooperatives together send orders at a fixed rate (100/s for 60 s) on a
   fixed schedule, whatever the answers: a scheduler hands each order to a thread pool at its
   time, and latency counts from that scheduled time, so waiting for a free thread or a slow
   server is not hidden (no coordinated omission). Each order has an Idempotency-Key and a
   unique reference, and is retried with the same key on 5xx or a broken connection;
   afterwards the database is counted: acknowledged = stored, none lost, none twice. CPU is
   counted per web process, for PostgreSQL and for the load generator itself (its share of a
   core says it is not what limits).

    .venv/bin/python bench/scale.py [--orgs 20] [--orders 60,150] [--workers 1,2,4]
        [--web-processes 1,2,4] [--rate 100] [--seconds 60] [--partners 50] [--threads 4]
        [--work-limit N] [--repeat 3] [--pg-url postgresql://user@host/postgres]
        [--redis-url redis://host:6379/0]

``--workers ''`` or ``--web-processes ''`` leaves that part out.
Without ``--pg-url`` (or ``BENCH_PG_URL``) a throwaway PostgreSQL cluster is started, without
``--redis-url`` (or ``BENCH_REDIS_URL``) a throwaway redis-server (``tests/servers.py``); both
stop at the end. Writes ``bench/results/scale.json`` and prints the figures beside the targets.
Timings are reported, never asserted.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser_fixtures import (AREA, GOOD_ADDRESS, HOST, KIND_OF_PARTNER,  # noqa: E402
                                    PASSWORD, LiveServer, Outcome, area_addresses,
                                    partner_payload, submit)
from tests.servers import (PgServer, ThrowawayCluster, ThrowawayRedis,  # noqa: E402
                           children_by_parent, consumers_waiting, external_pg)

RESULTS = ROOT / "bench" / "results"
#: The service day of every cooperative, pinned as "today" in every process (not the real
#: date, so no plan depends on the clock).
DAY = date(2026, 3, 16)
#: Long enough that the work limit ends every search (the same plan on a busy machine): at
#: 300 s, three of twenty whole-day searches of the app's default work were killed on two
#: cores shared with a load average of 12.
TIME_LIMIT = 600


@dataclass
class Org:
    slug: str
    id: int
    orders: int
    tokens: list[tuple[str, str]]  # (order kind, API token) per partner


def spread(count: int, low: int, high: int) -> list[int]:
    """``count`` order counts from ``low`` to ``high``, evenly apart."""
    return [low + round((high - low) * k / max(count - 1, 1)) for k in range(count)]


def seed_template(pg: PgServer, orgs: int, low: int, high: int, folder: Path
                  ) -> tuple[str, list[Org]]:
    """A database, migrated by the app, holding ``orgs`` demo cooperatives in the demo area;
    answers its name and the cooperatives."""
    from routing.area import load_area
    from web import create_app
    from web.db import new_session
    from web.demo import seed

    name = pg.create(prefix="buurtroute_scale")
    app = create_app({"DATABASE_URL": pg.url(name), "SECRET_KEY": "seed", "AREA": AREA,
                      "TODAY": DAY, "QUEUE": "immediate",
                      "INSTANCE_PATH": str(folder / "seed-instance")})
    area = load_area(AREA)
    made = []
    with app.app_context():
        for k, count in enumerate(spread(orgs, low, high)):
            session = new_session()
            accounts = seed(session, area, DAY, seed_value=k + 1, orders_count=count,
                            password=PASSWORD, slug=f"coop{k:02d}", prefix=f"c{k:02d}-")
            session.close()
            made.append((f"coop{k:02d}", count, accounts.tokens))
    engine = app.extensions["buurtroute.engine"]
    with engine.connect() as con:
        ids = dict(con.execute(text("select slug, id from organisations")).all())
        kinds = dict(con.execute(text("select name, kind from partners")).all())
    engine.dispose()  # a template must have no connections
    return name, [Org(slug, ids[slug], count,
                      [(KIND_OF_PARTNER[kinds[p]], t) for p, t in tokens.items()])
                  for slug, count, tokens in made]


def base_env(database_url: str, folder: Path, **extra: str) -> dict:
    """The environment of a server or worker process: this one's, minus any Buurtroute
    settings, plus the run's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUURTROUTE_")}
    env.update({"DATABASE_URL": database_url, "BUURTROUTE_AREA": AREA,
                "BUURTROUTE_SECRET_KEY": "scale-bench", "BUURTROUTE_TODAY": DAY.isoformat(),
                "BUURTROUTE_INSTANCE_PATH": str(folder / "instance"), "PYTHONPATH": str(ROOT),
                **extra})
    return env


# --- memory of a worker and its forked solves, from /proc --------------------------------------

def _status(pid: int, key: str) -> int:
    """A ``/proc/<pid>/status`` value in kB (0 once the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    return 0


def _descendants(pid: int, children: dict[int, list[int]]) -> list[int]:
    out, todo = [], list(children.get(pid, ()))
    while todo:
        child = todo.pop()
        out.append(child)
        todo.extend(children.get(child, ()))
    return out


def _ticks(pid: int, reaped: bool) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return sum(int(f) for f in fields[11:15 if reaped else 13])  # utime stime [cutime cstime]


def cpu_seconds(pid: int) -> float:
    """CPU time of ``pid``, its reaped children and its live descendants (user + system)."""
    ticks = _ticks(pid, True) + sum(_ticks(p, False) for p in _descendants(pid, children_by_parent()))
    return ticks / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` alone (user + system)."""
    return _ticks(pid, False) / os.sysconf("SC_CLK_TCK")


def postmaster(pg: PgServer) -> int | None:
    """The server process of a throwaway cluster (None for a server given by URL)."""
    pidfile = Path(pg.origin, "data", "postmaster.pid")
    return int(pidfile.read_text().split()[0]) if pidfile.exists() else None


class MemorySampler(threading.Thread):
    """Every 0.2 s, per worker: its RSS plus the RSS of its descendants (the forked solves);
    keeps the peak. Pages a solve shares with its worker (copy-on-write) count twice, so the
    sum is an upper bound of what the pair holds."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.peak_kb = dict.fromkeys(pids, 0)
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(0.2):
            children = children_by_parent()
            for pid in self.pids:
                tree = [pid, *_descendants(pid, children)]
                self.peak_kb[pid] = max(self.peak_kb[pid],
                                        sum(_status(p, "VmRSS") for p in tree))


# --- 2. planning every cooperative's day at once ----------------------------------------------

def _plans(engine, payload: bool = True) -> dict[int, list[dict]]:
    """Every run of the day per cooperative, oldest first. While waiting, without the plans
    themselves: reading twenty days' rounds ten times a second would take CPU from the
    workers being measured."""
    columns = "org_id, status, error, runner, created_at, finished_at" + \
        (", payload" if payload else "")
    with engine.connect() as con:
        rows = con.execute(text(f"select {columns} from plans where service_date = :d "
                                "order by id"), {"d": DAY}).mappings()
        out: dict[int, list[dict]] = {}
        for row in rows:
            out.setdefault(row["org_id"], []).append(dict(row))
    return out


def _percentiles(values: list[float], *qs: int) -> dict[str, float | None]:
    if not values:
        return {f"p{q}": None for q in qs}
    return {f"p{q}": round(float(np.percentile(values, q)), 1) for q in qs}


def plan_all(pg: PgServer, template: str, redis_url: str, orgs: list[Org], workers: int,
             work_limit: int | None, folder: Path) -> tuple[dict, dict[int, str]]:
    """One round: ``workers`` worker processes plan every cooperative's day, asked at once.
    Answers the figures and each cooperative's plan (routes and unplanned, as JSON)."""
    from web import create_app, planning, tenancy
    from web.db import new_session

    name = pg.create(template=template, prefix="buurtroute_scale_run")
    url = pg.url(name)
    queue = f"scale-{workers}-{uuid.uuid4().hex[:8]}"
    settings = {"BUURTROUTE_QUEUE": "redis", "BUURTROUTE_REDIS_URL": redis_url,
                "BUURTROUTE_QUEUE_NAME": queue, "BUURTROUTE_PLAN_TIME_LIMIT": str(TIME_LIMIT)}
    if work_limit:
        settings["BUURTROUTE_PLAN_WORK_LIMIT"] = str(work_limit)
    env = base_env(url, folder, **settings)
    processes = []
    engine = create_engine(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "scale-bench", "AREA": AREA,
                      "TODAY": DAY, "QUEUE": "redis", "REDIS_URL": redis_url,
                      "QUEUE_NAME": queue, "AUTO_MIGRATE": False,
                      "INSTANCE_PATH": str(folder / "instance")})
    try:
        for n in range(workers):
            with open(folder / f"worker-{workers}-{n}.log", "ab") as log:
                processes.append(subprocess.Popen(
                    [sys.executable, "-m", "web.cli", "worker"], env=env, cwd=ROOT,
                    stdout=log, stderr=subprocess.STDOUT))
        consumers_waiting(redis_url, workers, timeout=180)
        sampler = MemorySampler([p.pid for p in processes])
        sampler.start()
        cpu_before = sum(cpu_seconds(p.pid) for p in processes)
        asked: dict[int, float] = {}
        started = time.monotonic()
        with app.app_context():
            for org in orgs:
                session = new_session(tenancy.of(org.id, why="the benchmark asks for a plan"))
                asked[org.id] = time.monotonic()
                planning.request(app, session, DAY, "plan")
                session.close()
        visible: dict[int, float] = {}
        deadline = started + len(orgs) * (TIME_LIMIT + 15) / workers + 300
        while time.monotonic() < deadline:
            runs = _plans(engine, payload=False)
            now = time.monotonic()
            for org_id, rows in runs.items():
                if org_id not in visible and any(r["status"] == "done" for r in rows):
                    visible[org_id] = now
            finished = all(rows and all(r["status"] != "running" for r in rows)
                           for rows in (runs.get(o.id, []) for o in orgs))
            if finished and all(any(r["status"] in ("done", "failed") for r in runs[o.id])
                                for o in orgs):
                break
            time.sleep(0.1)
        elapsed = (max(visible.values()) if visible else time.monotonic()) - started
        time.sleep(1.0)  # a duplicate job (the reaper's) would show up as a second plan now
        runs = _plans(engine)
        cpu = sum(cpu_seconds(p.pid) for p in processes) - cpu_before
        sampler.halt.set()
        sampler.join()
        hwm = {p.pid: _status(p.pid, "VmHWM") for p in processes}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        app.extensions["buurtroute.engine"].dispose()
        engine.dispose()
        pg.drop(name)
    latencies = [(visible[o.id] - asked[o.id]) for o in orgs if o.id in visible]
    done = {o.id: [r for r in runs.get(o.id, []) if r["status"] == "done"] for o in orgs}
    plans = {org_id: json.dumps({"routes": rows[0]["payload"]["routes"],
                                 "unplanned": rows[0]["payload"]["unplanned"]}, sort_keys=True)
             for org_id, rows in done.items() if rows}
    by_runner: dict[int, int] = {}
    for rows in done.values():
        for r in rows:
            pid = int(r["runner"].split(":")[1])
            by_runner[pid] = by_runner.get(pid, 0) + 1
    first = min((r["created_at"] for rows in done.values() for r in rows), default=None)
    orders_of, worker_of = {o.id: o.orders for o in orgs}, {p.pid: n for n, p in
                                                           enumerate(processes)}
    timeline = sorted([orders_of[org_id], round((r["created_at"] - first).total_seconds(), 2),
                       round((r["finished_at"] - first).total_seconds(), 2),
                       worker_of[int(r["runner"].split(":")[1])]]
                      for org_id, rows in done.items() for r in rows)
    figures = {
        "workers": workers,
        "days": len(orgs),
        "planned": len(visible),
        "seconds": round(elapsed, 1),
        "plans_per_minute": round(len(visible) / elapsed * 60, 2) if visible else 0.0,
        "request_to_plan_s": _percentiles(latencies, 50, 95),
        "failed_runs": sum(r["status"] == "failed" for rows in runs.values() for r in rows),
        "failed_because": sorted({r["error"] for rows in runs.values() for r in rows
                                  if r["status"] == "failed"}),
        "planned_twice": sum(max(len(rows) - 1, 0) for rows in done.values()),
        "not_planned": sum(not rows for rows in done.values()),
        "cpu_s_per_plan": round(cpu / len(visible), 2) if visible else None,
        "plans_per_worker": [by_runner.get(p.pid, 0) for p in processes],
        "peak_rss_mb_per_worker": [round(sampler.peak_kb[p.pid] / 1024) for p in processes],
        "worker_vmhwm_mb": [round(hwm[p.pid] / 1024) for p in processes],
        # per run: the day's orders, taken and stored (s after the first was taken), worker
        "timeline": sorted(timeline, key=lambda run: run[1]),
    }
    return figures, plans


# --- 3. open-loop order intake ------------------------------------------------------------------

@dataclass
class GunicornServer(LiveServer):
    """The web as ``compose.yaml`` runs it: gunicorn with ``processes`` worker processes of
    ``threads`` threads each, on PostgreSQL, planning asked of workers through Redis."""

    processes: int = 1

    def command(self) -> list[str]:
        return [sys.executable, "-m", "gunicorn", "--bind", f"{HOST}:{self.port}",
                "--workers", str(self.processes), "--threads", str(self.threads),
                "--timeout", "120", "web:create_app()"]

    def warm_up_every_process(self, token: str, timeout: float = 300.0) -> int:
        """Each process loads the area on the first request that needs it (seconds): send
        rounds of concurrent address checks until three rounds in a row answer quickly, so no
        process pays for it during the measurement. Answers the rounds it took."""
        headers = {"Authorization": f"Bearer {token}"}

        def check(_: int) -> float:
            started = time.perf_counter()
            requests.post(self.url + "/api/v1/addresses/check", json={"query": GOOD_ADDRESS},
                          headers=headers, timeout=120)
            return time.perf_counter() - started

        deadline, quick, rounds = time.monotonic() + timeout, 0, 0
        with ThreadPoolExecutor(max_workers=2 * self.processes * self.threads) as pool:
            while quick < 3:
                if time.monotonic() > deadline:
                    raise RuntimeError("the web processes did not all warm up in time")
                rounds += 1
                slowest = max(pool.map(check, range(2 * self.processes * self.threads)))
                quick = quick + 1 if slowest < 0.5 else 0
        return rounds


@dataclass
class Sent:
    tag: str
    outcome: Outcome = field(default_factory=Outcome)
    latency_ms: float | None = None  # from the scheduled send time to the answer
    late_ms: float = 0.0  # how late the scheduler handed it to the pool


def partners_of(orgs: list[Org], count: int) -> list[tuple[str, str, str]]:
    """(cooperative, order kind, token) of ``count`` different partners, taken round-robin
    over the cooperatives."""
    rounds = max(len(o.tokens) for o in orgs)
    chosen = [(o.slug, *o.tokens[k]) for k in range(rounds) for o in orgs if k < len(o.tokens)]
    if len(chosen) < count:
        raise SystemExit(f"--partners {count}: the cooperatives have only {len(chosen)}")
    return chosen[:count]


def intake(pg: PgServer, template: str, orgs: list[Org], redis_url: str, processes: int,
           partners: int, rate: float, seconds: float, threads: int, folder: Path) -> dict:
    """Orders at ``rate`` per second for ``seconds`` from ``partners`` partners, open loop, to
    gunicorn with ``processes`` web processes."""
    name = pg.create(template=template, prefix="buurtroute_scale_intake")
    url = pg.url(name)
    server = GunicornServer(Path("unused"), folder, threads=threads, with_worker=False,
                            processes=processes, extra_env={
                                "DATABASE_URL": url, "BUURTROUTE_TODAY": DAY.isoformat(),
                                "BUURTROUTE_QUEUE": "redis", "BUURTROUTE_REDIS_URL": redis_url,
                                "BUURTROUTE_QUEUE_NAME": f"intake-{uuid.uuid4().hex[:8]}",
                                "BUURTROUTE_AUTO_MIGRATE": "false",
                                "BUURTROUTE_AREA_CACHE_MB": "1024"})
    senders = partners_of(orgs, partners)
    addresses = area_addresses(200)
    total = int(rate * seconds)
    sent = [Sent(f"S{n:06d}") for n in range(total)]
    local = threading.local()
    engine = create_engine(url)
    try:
        server.start()
        warm_up_rounds = server.warm_up_every_process(senders[0][2])
        web_pids = [server.process.pid, *_descendants(server.process.pid, children_by_parent())]
        database = postmaster(pg)
        cpu_before = ([own_cpu_seconds(p) for p in web_pids], time.process_time(),
                      cpu_seconds(database) if database else 0.0)

        def send(n: int, scheduled: float) -> None:
            if not hasattr(local, "session"):
                local.session = requests.Session()
            slug, kind, token = senders[n % len(senders)]
            item = sent[n]
            item.late_ms = (time.perf_counter() - scheduled) * 1000
            body = partner_payload(kind, item.tag, addresses[n % len(addresses)], DAY,
                                   with_reference=True)
            body["cooperative"] = slug
            submit(server.url, token, body, item.tag, item.outcome, local.session,
                   max_tries=20, timeout=30)
            if item.tag in item.outcome.acknowledged:
                item.latency_ms = (time.perf_counter() - scheduled) * 1000

        # enough threads that the pool is not what limits: latency then shows the server
        pool = ThreadPoolExecutor(max_workers=max(8, int(rate)), thread_name_prefix="partner")
        started = time.perf_counter() + 0.5
        for n in range(total):
            scheduled = started + n / rate
            pause = scheduled - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            pool.submit(send, n, scheduled)
        pool.shutdown(wait=True)
        elapsed = time.perf_counter() - started
        web_cpu = [own_cpu_seconds(p) - before for p, before in zip(web_pids, cpu_before[0],
                                                                    strict=True)]
        generator_cpu = time.process_time() - cpu_before[1]
        database_cpu = (cpu_seconds(database) if database else 0.0) - cpu_before[2]
    finally:
        server.stop()
    with engine.connect() as con:
        stored = dict(con.execute(text(
            "select substr(note, 6), count(*) from orders where note like 'load S%' "
            "group by note")).all())
        version = con.execute(text("show server_version")).scalar()
    engine.dispose()
    pg.drop(name)
    acknowledged = {s.tag for s in sent if s.tag in s.outcome.acknowledged}
    latencies = [s.latency_ms for s in sent if s.latency_ms is not None]
    statuses: dict[str, int] = {}
    for s in sent:
        for code, count in s.outcome.statuses.items():
            statuses[str(code)] = statuses.get(str(code), 0) + count
    per_order = max(len(acknowledged), 1)
    return {
        "web_processes": processes, "threads_per_process": threads,
        "partners": len(senders), "offered_per_s": rate, "seconds": seconds,
        "server": (f"gunicorn --workers {processes} --threads {threads} --timeout 120 "
                   "'web:create_app()' (as compose.yaml), queue on Redis"),
        "database": f"postgresql {version.split()[0]} (psycopg 3)",
        "warm_up_rounds": warm_up_rounds,
        "sent": total,
        "achieved_per_s": round(len(acknowledged) / elapsed, 1),
        "latency_ms": {**_percentiles(latencies, 50, 95, 99),
                       "max": round(max(latencies), 1) if latencies else None},
        "scheduler_late_ms": {**_percentiles([s.late_ms for s in sent], 50, 99),
                              "max": round(max((s.late_ms for s in sent), default=0.0), 1)},
        "acknowledged": len(acknowledged),
        "stored": sum(stored.values()),
        "lost": len(acknowledged - set(stored)),
        "duplicated": sum(c - 1 for c in stored.values() if c > 1),
        "stored_not_acknowledged": len(set(stored) - acknowledged),
        "refused": sum(sum(s.outcome.refused.values()) for s in sent),
        "gave_up": sum(len(s.outcome.gave_up) for s in sent),
        "retries": sum(s.outcome.retries for s in sent),
        "statuses": statuses,
        # CPU per acknowledged order: what the service costs, whatever else the machine runs
        "cpu_ms_per_order": {
            "web_all_processes": round(sum(web_cpu) * 1000 / per_order, 1),
            "postgresql": round(database_cpu * 1000 / per_order, 1) if database else None,
            "load_generator": round(generator_cpu * 1000 / per_order, 1)},
        # the gunicorn master first, then its worker processes
        "web_cpu_s_per_process": [round(c, 1) for c in web_cpu],
        # the load generator's own share of one core: far below 1, it is not the bottleneck
        "load_generator_cores": round(generator_cpu / elapsed, 2),
        "web_cores": round(sum(web_cpu) / elapsed, 2),
    }


# --- the whole run ------------------------------------------------------------------------------

def median_round(runs: list[dict]) -> dict:
    """The run with the median plans per minute, with every run's plans per minute beside it
    and the worst of their counts (twice, missing, failed, same plans)."""
    ordered = sorted(runs, key=lambda r: r["plans_per_minute"])
    out = dict(ordered[(len(ordered) - 1) // 2])
    out["runs"] = len(runs)
    out["plans_per_minute_runs"] = [r["plans_per_minute"] for r in runs]
    for key in ("failed_runs", "planned_twice", "not_planned"):
        out[key] = max(r[key] for r in runs)
    out["same_plans_as_first"] = min(r["same_plans_as_first"] for r in runs)
    return out


def pair(fewer: list[dict], more: list[dict]) -> dict:
    """More workers against fewer round by round: the runs of one round follow each other, so
    a slower spell of the shared machine weighs on both sides of a ratio, not on one count's
    median alone."""
    ratios = sorted(b["plans_per_minute"] / a["plans_per_minute"]
                    for a, b in zip(fewer, more, strict=True))
    median = statistics.median(ratios)
    return {"workers": [fewer[0]["workers"], more[0]["workers"]], "rounds": len(ratios),
            "ratios": [round(r, 3) for r in ratios], "median": round(median, 3),
            "rounds_not_slower": sum(r >= 1.0 for r in ratios)}


def run(orgs: int, orders: tuple[int, int], workers: list[int], web_processes: list[int],
        rate: float, seconds: float, partners: int, threads: int, work_limit: int | None,
        repeat: int, pg_url: str | None, redis_url: str | None) -> dict:
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="buurtroute-scale-") as tmp:
        folder = Path(tmp)
        if pg_url:
            pg = external_pg(pg_url, "--pg-url")
        else:
            cluster = ThrowawayCluster(max_connections=100)
            stack.callback(cluster.stop)
            pg = cluster.start()
        if not redis_url:
            redis_server = ThrowawayRedis()
            stack.callback(redis_server.stop)
            redis_url = redis_server.start()
        started = time.monotonic()
        template, made = seed_template(pg, orgs, *orders, folder)
        stack.callback(pg.drop, template)
        seeded = time.monotonic() - started
        runs: dict[int, list[dict]] = {}
        reference = None
        for _ in range(repeat):  # interleaved, so a slower spell of the machine hits all alike
            for count in workers:
                figures, plans = plan_all(pg, template, redis_url, made, count, work_limit,
                                          folder)
                if reference is None:
                    reference = plans
                figures["same_plans_as_first"] = sum(plans.get(o.id) == reference.get(o.id)
                                                     for o in made if o.id in reference)
                runs.setdefault(count, []).append(figures)
                print(json.dumps(figures), flush=True)
        rounds = [median_round(runs[count]) for count in workers]
        paired = [pair(runs[a], runs[b]) for a, b in itertools.pairwise(workers)]
        taken = []
        for processes in web_processes:
            taken.append(intake(pg, template, made, redis_url, processes, partners, rate,
                                seconds, threads, folder))
            print(json.dumps(taken[-1]), flush=True)
    return {
        "machine": {"cores": os.cpu_count(), "load_average": [round(x, 2) for x in
                                                             os.getloadavg()],
                    "python": platform.python_version()},
        "day": DAY.isoformat(),
        "cooperatives": [{"slug": o.slug, "orders": o.orders} for o in made],
        "seed_seconds": round(seeded, 1),
        "plan_settings": {"PLAN_TIME_LIMIT": TIME_LIMIT,
                          "PLAN_WORK_LIMIT": work_limit or "default"},
        "planning": rounds,
        "paired": paired,
        "intake": taken,
    }


def targets(result: dict) -> list[tuple[str, str, str, bool]]:
    """(what, target, measured, met) for the table."""
    by = {r["workers"]: r for r in result["planning"]}
    rows = []
    if 1 in by and 2 in by:
        ratio = by[2]["plans_per_minute"] / max(by[1]["plans_per_minute"], 1e-9)
        rows.append(("2 workers vs 1 (plans/min)", "≥ 1.7×", f"{ratio:.2f}×", ratio >= 1.7))
    if 2 in by and 4 in by:
        ratio = by[4]["plans_per_minute"] / max(by[2]["plans_per_minute"], 1e-9)
        rows.append(("4 workers vs 2 (plans/min, medians)", "≥ 1.0×", f"{ratio:.3f}×",
                     ratio >= 1.0))
    for p in result.get("paired", []):
        if p["workers"] == [2, 4]:
            rows.append((f"4 workers vs 2 (median of {p['rounds']} paired rounds)", "≥ 1.0×",
                         f"{p['median']:.3f}×", p["median"] >= 1.0))
    for r in result["planning"]:
        ok = (r["planned_twice"] == 0 and r["not_planned"] == 0 and r["failed_runs"] == 0
              and r["same_plans_as_first"] == r["days"])
        rows.append((f"{r['workers']} worker(s): twice / missing / failed / same plans",
                     f"0 / 0 / 0 / {r['days']}",
                     (f"{r['planned_twice']} / {r['not_planned']} / {r['failed_runs']} / "
                      f"{r['same_plans_as_first']}"), ok))
    for t in result["intake"]:
        p95 = t["latency_ms"]["p95"]
        web = f"{t['web_processes']} web process{'es' if t['web_processes'] > 1 else ''}"
        rows.append((f"{web}: open-loop p95 at {t['offered_per_s']:g} orders/s", "< 100 ms",
                     f"{p95} ms", p95 is not None and p95 < 100))
        rows.append((f"{web}: intake lost / duplicated", "0 / 0",
                     f"{t['lost']} / {t['duplicated']}", t["lost"] == 0 and t["duplicated"] == 0))
    return rows


def report(result: dict) -> None:
    machine = result["machine"]
    print(f"\nmachine: {machine['cores']} cores, load average "
          f"{' '.join(str(x) for x in machine['load_average'])}")
    if result["planning"]:
        print(f"{'workers':>7} {'plans/min (median; runs)':>30} {'CPU s/plan':>10} "
              f"{'p50 s':>7} {'p95 s':>7} {'peak MB/worker':>16} {'failed':>6} {'twice':>5} "
              f"{'same':>5}")
    for r in result["planning"]:
        lat = r["request_to_plan_s"]
        each = ", ".join(f"{x:g}" for x in r["plans_per_minute_runs"])
        print(f"{r['workers']:>7} "
              f"{r['plans_per_minute']:>7} ({each}){'':>{max(0, 20 - len(each))}} "
              f"{r['cpu_s_per_plan']!s:>10} {lat['p50']!s:>7} "
              f"{lat['p95']!s:>7} {','.join(map(str, r['peak_rss_mb_per_worker'])):>16} "
              f"{r['failed_runs']:>6} {r['planned_twice']:>5} "
              f"{r['same_plans_as_first']:>2}/{r['days']}")
    for p in result.get("paired", []):
        few, more = p["workers"]
        print(f"{more} workers against {few}, round by round: median {p['median']:.3f}× "
              f"({', '.join(f'{r:g}' for r in p['ratios'])}; not slower in "
              f"{p['rounds_not_slower']} of {p['rounds']})")
    print(f"\n{'web':>3} {'offered':>7} {'achieved':>8} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} {'ack':>6} {'stored':>6} {'lost':>4} {'dup':>3}   CPU ms/order: "
          f"{'web':>5} {'pg':>4} {'load':>4}   cores: {'web':>4} {'load':>4}")
    for t in result["intake"]:
        lat, cpu = t["latency_ms"], t["cpu_ms_per_order"]
        print(f"{t['web_processes']:>3} {t['offered_per_s']:>7g} {t['achieved_per_s']:>8} "
              f"{lat['p50']!s:>8} {lat['p95']!s:>8} {lat['p99']!s:>8} {t['acknowledged']:>6} "
              f"{t['stored']:>6} {t['lost']:>4} {t['duplicated']:>3}   {'':>13} "
              f"{cpu['web_all_processes']:>5} {cpu['postgresql']!s:>4} "
              f"{cpu['load_generator']:>4}   {'':>6} {t['web_cores']:>4} "
              f"{t['load_generator_cores']:>4}")
    print(f"\n{'':<48} {'target':>12} {'measured':>14}")
    for what, target, measured, met in targets(result):
        print(f"{what:<48} {target:>12} {measured:>14}  {'met' if met else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orgs", type=int, default=20)
    parser.add_argument("--orders", default="60,150", help="fewest,most orders of a day")
    parser.add_argument("--workers", default="1,2,4",
                        help="planning worker processes per round ('' plans nothing)")
    parser.add_argument("--web-processes", default="1,2,4",
                        help="gunicorn web processes per intake round ('' takes in nothing)")
    parser.add_argument("--rate", type=float, default=100, help="orders per second offered")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--partners", type=int, default=50)
    parser.add_argument("--threads", type=int, default=4,
                        help="threads per web process (compose.yaml: 4)")
    parser.add_argument("--work-limit", type=int, default=None,
                        help="PLAN_WORK_LIMIT (default: the app's)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="planning rounds per worker count (the median is reported)")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL"))
    parser.add_argument("--out", type=Path, default=RESULTS / "scale.json")
    args = parser.parse_args()
    low, high = (int(x) for x in args.orders.split(","))
    result = run(args.orgs, (low, high), [int(x) for x in args.workers.split(",") if x],
                 [int(x) for x in args.web_processes.split(",") if x], args.rate, args.seconds,
                 args.partners, args.threads, args.work_limit, args.repeat, args.pg_url,
                 args.redis_url)
    result["targets"] = [{"what": w, "target": t, "measured": m, "met": ok}
                         for w, t, m, ok in targets(result)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    report(result)


if __name__ == "__main__":
    main()
