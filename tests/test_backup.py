"""The restore drill (issue 13, item 7): a backup taken with ``python -m web.cli backup`` in a
separate process while another thread keeps submitting orders through the API restores with
``python -m web.cli restore`` into a database that passes ``PRAGMA integrity_check``, holds
every order acknowledged before the backup started, and works in the app."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import select

from tests.web_fixtures import (  # noqa: F401 (pytest fixtures are used by name)
    DAY, accounts, bearer, db_session, login, make_app, seeded_db, web_area)
from web.store import Partner

ROOT = Path(__file__).resolve().parent.parent


def cli(database: Path, *args: str) -> subprocess.CompletedProcess:
    """``python -m web.cli ARGS`` in its own process, configured by the environment only."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}",
           "BUURTROUTE_AREA": "helsinki-demo", "BUURTROUTE_SECRET_KEY": "drill-secret",
           "BUURTROUTE_INSTANCE_PATH": str(database.parent / "instance")}
    return subprocess.run([sys.executable, "-m", "web.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_backup_during_a_burst_of_writes_restores_every_acknowledged_order(
        tmp_path, seeded_db, accounts):
    import shutil

    database = tmp_path / "live.sqlite"
    shutil.copy(seeded_db[0], database)
    app = make_app(tmp_path, database, PARTNER_DAILY_ORDER_CAP=100_000)
    with db_session(app) as session:
        pharmacy = session.scalars(select(Partner).where(Partner.kind == "pharmacy")).first()
    token = accounts.tokens[pharmacy.name]
    acknowledged: list[tuple[str, float]] = []
    stop = threading.Event()
    failures: list[str] = []

    def write_orders() -> None:
        client = app.test_client()
        number = 0
        while not stop.is_set():
            number += 1
            reference = f"drill-{number}"
            response = client.post("/api/v1/orders", headers=bearer(token), json={
                "recipient": "R. Drill", "address": "Unioninkatu 29", "kind": "medicine",
                "service_date": DAY.isoformat(), "reference": reference})
            if response.status_code == 201:
                acknowledged.append((reference, time.monotonic()))
            else:
                failures.append(f"{response.status_code} {response.get_data(as_text=True)}")

    writer = threading.Thread(target=write_orders, daemon=True)
    writer.start()
    while len(acknowledged) < 10 and writer.is_alive():
        time.sleep(0.05)
    started = time.monotonic()
    backup_file = tmp_path / "backups" / "drill.sqlite"
    backup_file.parent.mkdir()
    made = cli(database, "backup", str(backup_file))
    finished = time.monotonic()
    time.sleep(0.3)
    stop.set()
    writer.join(60)
    app.extensions["buurtroute.engine"].dispose()
    assert made.returncode == 0, made.stderr
    assert "integrity ok" in made.stdout
    assert not failures, failures[:3]
    before = {ref for ref, at in acknowledged if at < started}
    during = [ref for ref, at in acknowledged if started <= at < finished]
    assert len(before) >= 10 and during, "the writer did not write during the backup"
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600

    restored = tmp_path / "restored" / "buurtroute.sqlite"
    restored.parent.mkdir()
    done = cli(restored, "restore", str(backup_file), "--yes")
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(restored) as con:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = {r[0] for r in con.execute(
            "select reference from orders where reference like 'drill-%'")}
        events = con.execute("select count(*) from order_events e join orders o "
                             "on o.id = e.order_id where o.reference like 'drill-%'").fetchone()
    assert before <= stored, sorted(before - stored)[:5]
    assert events[0] == len(stored)  # each order whole, with its history line
    assert stored <= {ref for ref, _ in acknowledged} | {f"drill-{len(acknowledged) + 1}"}
    # and the restored database is the app's database again
    again = make_app(tmp_path / "again", restored)
    client = again.test_client()
    assert login(client, "coordinator").status_code == 302
    listed = again.test_client().get("/api/v1/orders", headers=bearer(token)).get_json()
    assert before <= {o["reference"] for o in listed["orders"]}
    again.extensions["buurtroute.engine"].dispose()


def test_a_damaged_backup_is_refused_and_restores_nothing(tmp_path, seeded_db):
    import shutil

    database = tmp_path / "live.sqlite"
    shutil.copy(seeded_db[0], database)
    damaged = tmp_path / "damaged.sqlite"
    damaged.write_bytes(seeded_db[0].read_bytes()[:4096] + b"\0garbage" * 2000)
    with sqlite3.connect(database) as con:
        orders_before = con.execute("select count(*) from orders").fetchone()[0]
    result = cli(database, "restore", str(damaged), "--yes")
    assert result.returncode != 0
    assert "nothing was restored" in result.stderr or "nothing was restored" in result.stdout
    with sqlite3.connect(database) as con:
        assert con.execute("select count(*) from orders").fetchone()[0] == orders_before
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    missing = cli(database, "backup", str(tmp_path / "no" / "such" / "folder" / "b.sqlite"))
    assert missing.returncode != 0 and "Traceback" not in missing.stderr


def test_postgresql_backup_and_restore_with_pg_dump(pg_app_factory, pg_server, pg_accounts,
                                                    tmp_path):
    from sqlalchemy import text

    from web import backup
    from web.store import make_engine

    app = pg_app_factory()
    url = app.config["DATABASE_URL"]
    with db_session(app) as session:
        pharmacy = session.scalars(select(Partner).where(Partner.kind == "pharmacy")).first()
    token = pg_accounts.tokens[pharmacy.name]
    client = app.test_client()
    body = {"recipient": "R. Before", "address": "Unioninkatu 29", "kind": "medicine",
            "service_date": DAY.isoformat(), "reference": "pg-before"}
    assert client.post("/api/v1/orders", headers=bearer(token), json=body).status_code == 201
    target = tmp_path / "pg.dump"
    assert "pg_dump" in backup.backup(url, target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    after = {**body, "recipient": "R. After", "reference": "pg-after"}
    assert client.post("/api/v1/orders", headers=bearer(token), json=after).status_code == 201
    app.extensions["buurtroute.engine"].dispose()

    def references(database_url: str) -> set[str]:
        engine = make_engine(database_url)
        try:
            with engine.connect() as connection:
                return set(connection.scalars(text(
                    "select reference from orders where reference like 'pg-%'")))
        finally:
            engine.dispose()

    fresh_name = pg_server.create()
    fresh = pg_server.url(fresh_name)
    backup.restore(fresh, target)
    assert references(fresh) == {"pg-before"}
    backup.restore(url, target)  # over the live database: back to the moment of the backup
    assert references(url) == {"pg-before"}
    again = make_app(tmp_path / "again", "unused", DATABASE_URL=fresh)  # the app's again
    assert login(again.test_client(), "coordinator").status_code == 302
    again.extensions["buurtroute.engine"].dispose()
    pg_server.drop(fresh_name)
