"""Privacy benchmark: a demo month, then erasure and the retention purge, with the reports'
totals checked before and after. Writes ``bench/results/privacy.json``.

    .venv/bin/python bench/privacy.py [--days 30] [--orders 70] [--erase 5]

The month: 30 service days on the offline demo area, each a seeded demo day of orders (the
same generator as ``make run``) stored through the partners' validator, planned by the real
planner (work limit, so the same on every machine), lived (delivered, not at home, with
facts) and looked at by the coordinator (so the access log fills as it would). Then:

1. ``--erase`` residents are erased (AVG art. 17): rows removed, seconds, and a search of
   every text cell of the database for their names and addresses;
2. the purge runs 91 days after the month (dry run first, then for real): rows per table;
3. a year later the residents without orders go;
after each step the report over the month must give the same totals.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
START = date(2026, 6, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--orders", type=int, default=70)
    parser.add_argument("--erase", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        result = run(Path(folder), args.days, args.orders, args.erase)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "privacy.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("days", "orders", "plans", "access_log_rows",
                                             "totals_unchanged")}))


def run(folder: Path, days: int, per_day: int, erase_count: int) -> dict:
    from sqlalchemy import func, select

    from routing.demo import demo_day
    from web import create_app, orders, planning, retention, rights, stats, tenancy
    from web.areas import current_area
    from web.db import new_session
    from web.demo import seed
    from web.i18n import english
    from web.store import (AccessLog, Assistant, Fact, Order, Partner, Plan, Resident, Shift,
                           User, utcnow)

    database = folder / "month.sqlite"
    app = create_app({"DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "bench",
                      "AREA": "helsinki-demo", "TODAY": START, "INSTANCE_PATH": str(folder),
                      "QUEUE": "immediate", "PLAN_TIME_LIMIT": 10, "REQUEST_LOG": False,
                      "WTF_CSRF_ENABLED": False})
    last_day = START + timedelta(days=days - 1)
    rng = random.Random(13)
    timings = {}
    with app.app_context():
        area = current_area()
        session = new_session()
        seed(session, area, START, password="bench-password-1")
        scope = tenancy.scope_of(session)  # the demo cooperative's
        coordinator_id = session.scalar(select(User.id).where(User.username == "coordinator"))
        partners = list(session.scalars(select(Partner).order_by(Partner.id)))
        assistants = list(session.scalars(select(Assistant).order_by(Assistant.id)))
        started = time.perf_counter()
        for i in range(1, days):
            day = START + timedelta(days=i)
            demo = demo_day(area, orders=per_day, assistants=len(assistants), seed=i + 1)
            kinds: dict[str, list[Partner]] = {}
            for p in partners:
                kinds.setdefault(p.kind, []).append(p)
            names = sorted(demo.partners)
            for a, assistant in zip(demo.assistants, assistants, strict=True):
                session.add(Shift(assistant=assistant, service_date=day, start=a.shift[0],
                                  end=a.shift[1], break_from=a.break_window[0],
                                  break_until=a.break_window[1], break_minutes=a.break_min,
                                  start_address=a.start_address, start_lat=demo.base.lat,
                                  start_lon=demo.base.lon))
            for o in demo.orders:
                if o.partner in demo.partners:
                    kind = demo.partners[o.partner].kind
                    same = [n for n in names if demo.partners[n].kind == kind]
                    partner = kinds[kind][same.index(o.partner) % len(kinds[kind])]
                else:  # the cooperative's own house calls and jobs
                    partner = kinds["cooperative"][0]
                payload = {"recipient": o.resident, "address": o.address, "kind": o.kind,
                           "service_date": day.isoformat(), "reference": f"{o.ref}-{i}",
                           "windows": [{"start": o.window[0], "end": o.window[1]}],
                           "praatje_minutes": o.praatje_min, "size": o.size,
                           "hot_meal": o.hot_meal, "ready_time": o.ready}
                draft, errors = orders.validate({k: v for k, v in payload.items()
                                                 if v is not None}, partner, area, day, english)
                if not errors:
                    orders.create(session, partner, draft)
            session.commit()
        timings["store_month_seconds"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        for i in range(days):
            day = START + timedelta(days=i)
            planning.request(app, session, day, "plan", coordinator_id)
            plan = planning.current_plan(session, day, fresh=True)
            for route in plan.payload["routes"] if plan is not None else ():
                for visit in route["visits"]:
                    if visit["action"] != "delivery" or visit["order_id"].startswith("r"):
                        continue
                    order = session.get(Order, int(visit["order_id"]))
                    if order.status != "planned":
                        continue
                    outcome = "delivered" if rng.random() < 0.9 else "not_home"
                    order.set_status(outcome, coordinator_id)
                    session.add(Fact(client_id=f"bench-{order.id}", service_date=day,
                                     order_id=order.id, action=outcome,
                                     assistant_id=int(route["assistant_id"]),
                                     at_seconds=visit["start"]))
            session.commit()
        timings["plan_and_live_month_seconds"] = round(time.perf_counter() - started, 1)
        session.close()

    client = app.test_client()
    client.post("/login", data={"username": "coordinator", "password": "bench-password-1"})
    for i in range(days):
        for page in ("/coordinator/", "/coordinator/print"):
            assert client.get(f"{page}?date={START + timedelta(days=i)}").status_code == 200

    with app.app_context():
        session = new_session(scope)

        def count(model: type) -> int:
            return session.scalar(select(func.count()).select_from(model))

        figures = {"days": days, "orders": count(Order), "residents": count(Resident),
                   "plans": count(Plan), "facts": count(Fact),
                   "access_log_rows": count(AccessLog)}
        before = stats.report(session, START, last_day).as_dict()

        # 1. erasure of residents (all their orders lie in the past: none is open)
        today = last_day + timedelta(days=1)
        chosen = list(session.scalars(select(Resident).order_by(Resident.id)
                                      .limit(erase_count)))
        secrets = [(r.name, r.address) for r in chosen]
        started = time.perf_counter()
        erased_rows: dict[str, int] = {}
        for resident in chosen:
            resident = session.get(Resident, resident.id)
            for table, n in rights.erase(session, resident, today).items():
                erased_rows[table] = erased_rows.get(table, 0) + n
            session.commit()
        erase_seconds = time.perf_counter() - started
        after_erasure = stats.report(session, START, last_day).as_dict()
        session.close()
        left = _cells_with(database, [s for pair in secrets for s in pair if _unique(
            database, s)])

        # 2. the purge 91 days after the month: a dry run, then the real one
        purge_day = last_day + timedelta(days=91)
        periods = retention.Periods.from_config(app.config)
        session = new_session(scope)
        started = time.perf_counter()
        dry = retention.purge(session, purge_day, utcnow(), periods, dry_run=True)
        dry_seconds = time.perf_counter() - started
        started = time.perf_counter()
        removed = retention.purge(session, purge_day, utcnow(), periods)
        purge_seconds = time.perf_counter() - started
        after_purge = stats.report(session, START, last_day).as_dict()
        orders_left = count(Order)
        residents_left = count(Resident)

        # 3. a year later: the residents without orders go
        later = retention.purge(session, purge_day + timedelta(days=366), utcnow(), periods)
        after_year = stats.report(session, START, last_day).as_dict()
        figures["access_log_rows_after"] = count(AccessLog)
        session.close()
    app.extensions["buurtroute.engine"].dispose()

    unchanged = before == after_erasure == after_purge == after_year
    return {**figures, **timings,
            "erasure": {"residents": len(chosen), "rows": erased_rows,
                        "seconds": round(erase_seconds, 3),
                        "cells_still_holding_their_name_or_address": left},
            "purge": {"on": purge_day.isoformat(), "dry_run": dry, "removed": removed,
                      "dry_run_equals_purge": dry == removed,
                      "dry_run_seconds": round(dry_seconds, 3),
                      "seconds": round(purge_seconds, 3), "orders_left": orders_left,
                      "residents_left": residents_left},
            "purge_a_year_later": later,
            "report": {"period": [START.isoformat(), last_day.isoformat()],
                       "orders": before["orders"], "praatje_minutes": before["praatje_minutes"],
                       "by_kind_status": before["by_kind_status"]},
            "totals_unchanged": unchanged,
            "periods_days": {name: getattr(periods, name.removeprefix("RETAIN_").lower())
                             for name in retention.PERIODS}}


def _unique(database: Path, secret: str) -> bool:
    """Whether ``secret`` (a name or address) belongs to nobody else still stored: another
    resident may share an address (a flat) or initials, and keeps them."""
    with sqlite3.connect(database) as con:
        return not con.execute("select 1 from residents where name = ? or address = ?",
                               (secret, secret)).fetchone()


def _cells_with(database: Path, secrets: list[str]) -> int:
    found = 0
    with sqlite3.connect(database) as con:
        tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
        for table in tables:
            for row in con.execute(f'select * from "{table}"'):
                for cell in row:
                    if isinstance(cell, str) and any(s in cell for s in secrets):
                        found += 1
    return found


if __name__ == "__main__":
    main()
