"""Load: N partners submitting orders at once for a minute against the production WSGI server.

waitress serves the planner from a child process on 127.0.0.1 (a fresh seeded SQLite file in a
temporary folder). Each client thread plays one partner's system: it posts valid orders with an
``Idempotency-Key``, retries with the same key on timeouts, connection errors and 5xx, and now
and then sends an acknowledged order once more (as if it had missed the answer). Afterwards the
database is counted: every acknowledged order must be stored exactly once.

    .venv/bin/python bench/load.py [--clients 8] [--seconds 60] [--threads 8]
        [--database-url postgresql://user@host/postgres]

Writes ``bench/results/load.json``. Only loopback; every loop is bounded in time. With
``--database-url`` the same run goes against PostgreSQL: a scratch database is created on that
server (the URL's user may CREATE DATABASE), seeded, counted and dropped again; the figures go
to ``bench/results/load-postgresql.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import numpy as np
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser_fixtures import (LiveServer, Outcome, area_addresses,  # noqa: E402
                                    integrity, partner_payload, partner_tokens, seed_database,
                                    stored_tags, submit)

RESULTS = ROOT / "bench" / "results"


def client(index: int, url: str, kind: str, token: str, addresses: list[str], day: date,
           deadline: float, outcome: Outcome, resend_share: float) -> None:
    rng = random.Random(index)
    with requests.Session() as session:
        n = 0
        while time.monotonic() < deadline:
            tag = f"L{index:02d}-{n:06d}"
            body = partner_payload(kind, tag, rng.choice(addresses), day,
                                   with_reference=n % 2 == 0)
            submit(url, token, body, tag, outcome, session,
                   resend=rng.random() < resend_share,
                   should_stop=lambda: time.monotonic() > deadline + 30)
            n += 1


def run(clients: int, seconds: float, threads: int, resend_share: float = 0.05,
        database_url: str | None = None) -> dict:
    if database_url:
        return _on_postgresql(database_url, clients, seconds, threads, resend_share)
    day = date.today()
    with tempfile.TemporaryDirectory(prefix="buurtroute-load-") as folder:
        folder = Path(folder)
        database, accounts = seed_database(folder, day)
        return _load(folder, database, partner_tokens(database, accounts), clients, seconds,
                     threads, resend_share, day, {}, lambda: (stored_tags(database, "L"),
                                                              integrity(database)))


def _on_postgresql(server_url: str, clients: int, seconds: float, threads: int,
                   resend_share: float) -> dict:
    """The run against a scratch database on the PostgreSQL server of ``server_url``."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from routing.area import load_area
    from tests.browser_fixtures import AREA, KIND_OF_PARTNER, PASSWORD
    from tests.servers import PgServer
    from web import create_app
    from web.db import new_session
    from web.demo import seed

    url = server_url.replace("postgres://", "postgresql://", 1).replace(
        "postgresql://", "postgresql+psycopg://", 1)
    pg = PgServer(make_url(url), "bench")
    name = pg.create(prefix="buurtroute_load")
    database_url = pg.url(name)
    day = date.today()
    try:
        with tempfile.TemporaryDirectory(prefix="buurtroute-load-") as folder:
            folder = Path(folder)
            app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "seed", "AREA": AREA,
                              "INSTANCE_PATH": str(folder / "seed-instance")})
            with app.app_context():
                session = new_session()
                accounts = seed(session, load_area(AREA), day, password=PASSWORD)
                session.close()
            app.extensions["buurtroute.engine"].dispose()
            engine = create_engine(database_url)

            def counted():
                with engine.connect() as con:
                    notes = con.execute(text("select note from orders where note like :p"),
                                        {"p": "load L%"}).scalars()
                    stored: dict[str, int] = {}
                    for note in notes:
                        stored[note.removeprefix("load ")] = stored.get(
                            note.removeprefix("load "), 0) + 1

                    def one(sql: str) -> int:
                        return con.execute(text(sql)).scalar()

                    return stored, {
                        "integrity_check": "ok (PostgreSQL enforces its constraints)",
                        "orders_without_history": one(
                            "select count(*) from orders o where not exists (select 1 from "
                            "order_events e where e.order_id = o.id)"),
                        "orders_without_resident": one(
                            "select count(*) from orders o left join residents r on r.id = "
                            "o.resident_id where r.id is null"),
                        "dangling_idempotency_keys": one(
                            "select count(*) from idempotency_keys k left join orders o on "
                            "o.id = k.order_id where o.id is null"),
                    }

            with engine.connect() as con:
                kinds = dict(con.execute(text("select name, kind from partners")).all())
                version = con.execute(text("show server_version")).scalar()
            tokens = [(KIND_OF_PARTNER[kinds[n]], t) for n, t in accounts.tokens.items()]
            try:
                result = _load(folder, Path(folder) / "unused.sqlite", tokens, clients, seconds,
                               threads, resend_share, day, {"DATABASE_URL": database_url},
                               counted)
            finally:
                engine.dispose()
    finally:
        pg.drop(name)
    result["database"] = f"postgresql {version.split()[0]} (psycopg 3)"
    return result


def _load(folder: Path, database: Path, tokens, clients: int, seconds: float, threads: int,
          resend_share: float, day: date, env: dict, count_stored) -> dict:
    """Serve ``database`` (or ``env``'s DATABASE_URL), run the clients, count what is stored."""
    addresses = area_addresses(200)
    server = LiveServer(database, folder, threads=threads, extra_env=env).start()
    try:
        server.warm_up(tokens[0][1])
        outcomes = [Outcome() for _ in range(clients)]
        deadline = time.monotonic() + seconds
        started = time.monotonic()
        workers = [threading.Thread(target=client, args=(
            i, server.url, *tokens[i % len(tokens)], addresses, day, deadline,
            outcomes[i], resend_share)) for i in range(clients)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=seconds + 120)
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    stored, checks = count_stored()
    server_errors = exception_lines(folder)
    acknowledged = {t: i for o in outcomes for t, i in o.acknowledged.items()}
    latencies = np.array([ms for o in outcomes for ms in o.latencies_ms]) if any(
        o.latencies_ms for o in outcomes) else np.array([0.0])
    statuses: dict[str, int] = {}
    for o in outcomes:
        for code, count in o.statuses.items():
            statuses[str(code)] = statuses.get(str(code), 0) + count
    return {
        "clients": clients, "seconds": round(elapsed, 1), "server": f"waitress threads={threads}",
        "database": "sqlite (WAL)", "cores": _cores(), "python": platform.python_version(),
        "throughput_per_s": round(len(acknowledged) / elapsed, 1),
        "p50_ms": round(float(np.percentile(latencies, 50)), 1),
        "p95_ms": round(float(np.percentile(latencies, 95)), 1),
        "p99_ms": round(float(np.percentile(latencies, 99)), 1),
        "max_ms": round(float(latencies.max()), 1),
        "acknowledged": len(acknowledged),
        "stored": sum(stored.values()),
        "lost": len(set(acknowledged) - set(stored)),
        "duplicates": sum(c - 1 for c in stored.values() if c > 1),
        "stored_not_acknowledged": len(set(stored) - set(acknowledged)),
        "attempts": sum(o.attempts for o in outcomes),
        "retries": sum(o.retries for o in outcomes),
        "replays": sum(o.replays for o in outcomes),
        "replay_mismatches": sum(o.replay_mismatches for o in outcomes),
        "refused": sum(sum(o.refused.values()) for o in outcomes),
        "gave_up": sum(len(o.gave_up) for o in outcomes),
        "statuses": statuses,
        "server_errors": server_errors,
        **checks,
    }


def exception_lines(folder: Path) -> dict[str, int]:
    """The last line of each traceback in the server's log (what the 5xx were), counted."""
    counts: dict[str, int] = {}
    for log in folder.glob("server-*.log"):
        lines = log.read_text(errors="replace").splitlines()
        for i, line in enumerate(lines):
            if line.startswith("Traceback"):
                j = i + 1
                while j < len(lines) and (lines[j].startswith(" ") or not lines[j].strip()):
                    j += 1
                if j < len(lines):
                    key = lines[j][:160]
                    counts[key] = counts.get(key, 0) + 1
    return counts


def _cores() -> int:
    import os

    return os.cpu_count() or 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server (postgresql://user@host/postgres): run there")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    result = run(args.clients, args.seconds, args.threads, database_url=args.database_url)
    args.out = args.out or RESULTS / ("load-postgresql.json" if args.database_url
                                      else "load.json")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    ok = result["lost"] == 0 and result["duplicates"] == 0 and result["replay_mismatches"] == 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
