"""Health data as the law and trust require (issue 13, items 1-3): the access log (NEN 7513),
retention with anonymous statistics, and the resident's rights (AVG art. 15 and 17).

Every test runs on a copy of the seeded demo day (real Helsinki demo addresses, the real
validator, a real planner run where rounds matter) and looks at the database itself.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from tests.test_backup import cli
from tests.test_web_api import new_order, token_of
from tests.test_web_assistant import planned, round_of
from tests.test_web_planning import app  # noqa: F401 (fixture: the app that plans quickly)
from tests.web_fixtures import (  # noqa: F401 (fixtures by name)
    DAY, accounts, bearer, csrf_token, db_session, login, make_app, post_form, seeded_db, tap,
    web_area)
from web import rights, stats
from web.retention import Periods, purge
from web.store import (AccessLog, DailyStat, Fact, IdempotencyRecord, LoginThrottle, Order,
                       OrderEvent, Plan, Resident, User, UserSession, utcnow)


def last_id(app) -> int:
    with db_session(app) as s:
        return s.scalar(select(AccessLog.id).order_by(AccessLog.id.desc()).limit(1)) or 0


def rows_since(app, since: int) -> list[AccessLog]:
    with db_session(app) as s:
        return list(s.scalars(select(AccessLog).where(AccessLog.id > since)
                              .order_by(AccessLog.id)))


def user_id(app, username: str) -> int:
    with db_session(app) as s:
        return s.scalar(select(User.id).where(User.username == username))


def residents_of(app, order_ids) -> set[int]:
    with db_session(app) as s:
        return set(s.scalars(select(Order.resident_id).where(Order.id.in_(list(order_ids)))))


def expect(app, client_get, since, *, role, action, channel, residents, endpoint,
           part=None, user=None, partner=None) -> list[AccessLog]:
    """The rows one access wrote: exactly one per resident, all alike."""
    rows = rows_since(app, since)
    assert rows, f"{endpoint}: nothing logged"
    assert {r.endpoint for r in rows} == {endpoint}, [r.endpoint for r in rows]
    assert sorted(r.resident_id for r in rows) == sorted(residents), endpoint
    for r in rows:
        assert (r.role, r.action, r.channel) == (role, action, channel), (endpoint, r.role,
                                                                          r.action, r.channel)
        assert r.user_id == user and r.partner_id == partner, endpoint
        if part is not None:
            assert r.part == part, (endpoint, r.part)
    return rows


def test_every_kind_of_access_is_logged_with_who_whom_what_and_how(app, accounts, web_area):
    status = planned(app)
    anna, visits = round_of(app, status["plan_id"], "anna")
    anna_residents = residents_of(app, {int(v["order_id"].lstrip("r")) for v in visits})
    with db_session(app) as s:
        day_residents = set(s.scalars(select(Order.resident_id)
                                      .where(Order.service_date == DAY)))
        planned_residents = set(s.scalars(select(Order.resident_id).where(
            Order.service_date == DAY, Order.status == "planned")))
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    cid = user_id(app, "coordinator")

    def check(client, url, **kw):
        since = last_id(app)
        response = client.get(url, **kw)
        assert response.status_code == 200, (url, response.status_code)
        return since, response

    since, _ = check(coordinator, "/coordinator/")
    expect(app, None, since, role="coordinator", action="view", channel="page",
           residents=day_residents, endpoint="coordinator.day", part="orders", user=cid)
    since, _ = check(coordinator, "/coordinator/print")
    expect(app, None, since, role="coordinator", action="print", channel="print",
           residents=planned_residents, endpoint="coordinator.print_rounds", user=cid)
    since, pdf = check(coordinator, "/coordinator/print.pdf")
    assert pdf.data.startswith(b"%PDF")
    expect(app, None, since, role="coordinator", action="export", channel="pdf",
           residents=planned_residents, endpoint="pdf.all_rounds", part="round", user=cid)
    since, _ = check(coordinator, "/coordinator/residents")
    listed = rows_since(app, since)
    assert len(listed) == min(50, len(day_residents)) and {r.action for r in listed} == {"view"}
    some = sorted(anna_residents)[0]
    since, _ = check(coordinator, f"/coordinator/residents/{some}")
    expect(app, None, since, role="coordinator", action="view", channel="page",
           residents=[some], endpoint="residents.edit", user=cid)
    token = csrf_token(coordinator, f"/coordinator/residents/{some}")
    since = last_id(app)
    saved = coordinator.post(f"/coordinator/residents/{some}",
                             data={"praatje_minutes": "25", "csrf_token": token})
    assert saved.status_code == 302
    changed = expect(app, None, since, role="coordinator", action="change", channel="page",
                     residents=[some], endpoint="residents.edit", user=cid)
    assert changed[0].detail == "praatje_minutes"

    assistant = app.test_client()
    login(assistant, "anna")
    aid = user_id(app, "anna")
    since, page = check(assistant, "/assistant/")
    expect(app, None, since, role="assistant", action="view", channel="page",
           residents=anna_residents, endpoint="assistant.round", part="round", user=aid)
    for fmt in ("gpx", "geojson"):
        since, _ = check(assistant, f"/assistant/round.{fmt}")
        expect(app, None, since, role="assistant", action="export", channel=fmt,
               residents=anna_residents, endpoint="assistant.export", user=aid)
    since, _ = check(assistant, "/assistant/round.pdf")
    expect(app, None, since, role="assistant", action="export", channel="pdf",
           residents=anna_residents, endpoint="pdf.one_round", user=aid)
    delivery = next(v for v in visits if v["action"] == "delivery"
                    and not v["order_id"].startswith("r"))
    token = csrf_token(assistant, "/assistant/")
    since = last_id(app)
    marked = assistant.post("/assistant/marks", json={
        "event_id": tap(), "order_ids": [int(delivery["order_id"])], "status": "delivered"},
        headers={"X-CSRFToken": token})
    assert marked.status_code == 201, marked.get_data(as_text=True)
    rows = expect(app, None, since, role="assistant", action="change", channel="page",
                  residents=residents_of(app, [int(delivery["order_id"])]),
                  endpoint="assistant.marks_api", part="status", user=aid)
    assert rows[0].detail == f"orders {delivery['order_id']}"

    partner = app.test_client()
    login(partner, "apotheek1")
    pid = user_id(app, "apotheek1")
    with db_session(app) as s:
        user = s.get(User, pid)
        own = list(s.scalars(select(Order).where(Order.partner_id == user.partner_id,
                                                 Order.service_date == DAY)))
        partner_id = user.partner_id
    since, _ = check(partner, f"/partner/orders?date={DAY.isoformat()}")
    expect(app, None, since, role="partner", action="view", channel="page",
           residents={o.resident_id for o in own}, endpoint="partners.orders_list",
           user=pid, partner=partner_id)
    since, _ = check(partner, f"/partner/orders/{own[0].id}")
    expect(app, None, since, role="partner", action="view", channel="page",
           residents=[own[0].resident_id], endpoint="partners.order_detail", user=pid,
           partner=partner_id)

    api = app.test_client()
    headers = bearer(token_of(accounts, "pharmacy"))
    since, _ = check(api, f"/api/v1/orders?date={DAY.isoformat()}", headers=headers)
    listed = expect(app, None, since, role="api", action="view", channel="api",
                    residents={o.resident_id for o in own}, endpoint="api.list_orders",
                    partner=partner_id)
    assert listed[0].on_behalf == "token " + token_of(accounts, "pharmacy")[:10]
    since = last_id(app)
    created = api.post("/api/v1/orders", json=new_order(web_area, recipient="L. Logboek"),
                       headers=headers)
    assert created.status_code == 201
    order_id = created.get_json()["id"]
    resident = residents_of(app, [order_id])
    expect(app, None, since, role="api", action="create", channel="api", residents=resident,
           endpoint="api.create_order", partner=partner_id)
    for method, url, body, action, endpoint in (
            ("GET", f"/api/v1/orders/{order_id}", None, "view", "api.get_order"),
            ("PATCH", f"/api/v1/orders/{order_id}", {"size": 2}, "change", "api.update_order"),
            ("POST", f"/api/v1/orders/{order_id}/cancel", None, "change",
             "api.cancel_order")):
        since = last_id(app)
        response = api.open(url, method=method, json=body, headers=headers)
        assert response.status_code == 200, (url, response.get_data(as_text=True))
        expect(app, None, since, role="api", action=action, channel="api", residents=resident,
               endpoint=endpoint, partner=partner_id)
    # a refused or failed access shows nothing and logs nothing
    since = last_id(app)
    assert api.get("/api/v1/orders/999999", headers=headers).status_code == 404
    assert assistant.get(f"/coordinator/residents/{some}").status_code == 403
    assert rows_since(app, since) == []
    # the log holds ids, never a name or an address
    with db_session(app) as s:
        names = {r.name for r in s.scalars(select(Resident))}
        addresses = {r.address for r in s.scalars(select(Resident))}
    with sqlite3.connect(app.config["DATABASE_URL"].removeprefix("sqlite:///")) as con:
        cells = {str(c) for row in con.execute("select * from access_log") for c in row}
    assert not any(n in c for c in cells for n in names | addresses)


def test_the_log_is_append_only_in_the_database(app):
    client = app.test_client()
    login(client, "coordinator")
    assert client.get("/coordinator/residents").status_code == 200
    database = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    con = sqlite3.connect(database)
    before = con.execute("select count(*), max(id) from access_log").fetchone()
    assert before[0] > 0
    for statement in ("update access_log set user_id = 99", "delete from access_log",
                      "update access_log set resident_id = null where id = 1"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute(statement)
    con.close()
    with db_session(app) as s:  # through the ORM as well
        row = s.scalars(select(AccessLog)).first()
        s.delete(row)
        with pytest.raises(IntegrityError, match="append-only"):
            s.commit()
    with sqlite3.connect(database) as con:
        assert con.execute("select count(*), max(id) from access_log").fetchone() == before
    # and no route of the app changes or deletes log rows: none names the log but the readers
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("privacy."):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule


def test_reading_the_log_is_logged_and_only_the_privacy_officer_may(app, tmp_path, seeded_db):
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    with db_session(app) as s:
        resident = s.scalars(select(Order.resident_id).order_by(Order.id)).first()
    assert coordinator.get(f"/coordinator/residents/{resident}").status_code == 200
    assert coordinator.get(f"/privacy/residents/{resident}").status_code == 403
    officer = app.test_client()
    login(officer, "privacy")
    oid = user_id(app, "privacy")
    since = last_id(app)
    page = officer.get(f"/privacy/residents/{resident}")
    assert page.status_code == 200 and "residents.edit" in page.get_data(as_text=True)
    read = rows_since(app, since)
    assert [(r.role, r.action, r.resident_id, r.user_id) for r in read] == [
        ("privacy_officer", "log_view", resident, oid)]
    since = last_id(app)
    cid = user_id(app, "coordinator")
    page = officer.get(f"/privacy/users/{cid}")
    assert page.status_code == 200 and "coordinator.day" not in page.get_data(as_text=True)
    assert "residents.edit" in page.get_data(as_text=True)
    read = rows_since(app, since)
    assert [(r.action, r.subject_user_id, r.resident_id) for r in read] == [
        ("log_view", cid, None)]
    since = last_id(app)
    report = officer.get(f"/privacy/residents/{resident}/report.json")
    body = json.loads(report.data)
    assert body["resident"] == resident
    assert {(a["role"], a["action"]) for a in body["accesses"]} >= {
        ("coordinator", "view"), ("privacy_officer", "log_view")}
    assert all(a["organisation"] for a in body["accesses"])
    pdf = officer.get(f"/privacy/residents/{resident}/report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    read = rows_since(app, since)
    assert [(r.action, r.channel, r.on_behalf) for r in read] == [
        ("export", "json", "resident's request"), ("export", "pdf", "resident's request")]
    # a resident number that is not a number is named, not a 500
    bad = officer.get("/privacy/?resident=abc")
    assert bad.status_code == 400 and "Bewonersnummer" in bad.get_data(as_text=True)
    # the coordinator may read it when the cooperative says so
    import shutil

    copy = tmp_path / "readers.sqlite"
    shutil.copy(seeded_db[0], copy)
    both = make_app(tmp_path / "b", copy, ACCESS_LOG_READERS="privacy_officer,coordinator")
    client = both.test_client()
    login(client, "coordinator")
    assert client.get(f"/privacy/residents/{resident}").status_code == 200
    both.extensions["buurtroute.engine"].dispose()
    with pytest.raises(ValueError, match="ACCESS_LOG_READERS"):
        make_app(tmp_path / "c", copy, ACCESS_LOG_READERS="privacy_officer,partner")


# --- retention ------------------------------------------------------------------------------

def _age(app, days: int, share: float = 0.5) -> tuple[list[int], list[int]]:
    """Move half of the demo orders ``days`` back in time (with their history and a fact)
    and return (moved order ids, kept order ids)."""
    with db_session(app) as s:
        ids = list(s.scalars(select(Order.id).order_by(Order.id)))
        moved, kept = ids[:int(len(ids) * share)], ids[int(len(ids) * share):]
        old = DAY - timedelta(days=days)
        for order in s.scalars(select(Order).where(Order.id.in_(moved))):
            order.service_date = old
        s.flush()
        assistant = s.scalar(select(User).where(User.username == "anna")).assistant_id
        for i, oid in enumerate(moved[:5]):
            order = s.get(Order, oid)
            order.set_status("planned")
            order.set_status("delivered" if i % 2 else "not_home")
            s.add(Fact(client_id=f"aged-fact-{oid}", service_date=old, order_id=oid,
                       action="delivered", assistant_id=assistant, at_seconds=36000))
        s.commit()
    return moved, kept


def test_purge_removes_exactly_what_is_past_its_period_and_reports_still_add_up(app):
    moved, kept = _age(app, 100)
    now = utcnow()
    with db_session(app) as s:
        s.add(Plan(service_date=DAY - timedelta(days=100), status="done", payload={"routes": []}))
        stale = Plan(service_date=DAY, status="done", superseded=True, payload={"routes": []},
                     created_at=now - timedelta(days=40))
        fresh = Plan(service_date=DAY, status="done", superseded=True, payload={"routes": []},
                     created_at=now - timedelta(days=10))
        s.add_all([stale, fresh])
        s.add(IdempotencyRecord(partner_id=1, key="old", request_hash="x", order_id=kept[0],
                                created_at=now - timedelta(days=8)))
        s.add(IdempotencyRecord(partner_id=1, key="new", request_hash="x", order_id=kept[1],
                                created_at=now - timedelta(days=6)))
        uid = s.scalar(select(User.id).where(User.username == "anna"))
        s.add(UserSession(sid_hash="a" * 64, user_id=uid, created_at=now - timedelta(days=40),
                          last_seen_at=now - timedelta(days=40)))
        s.add(UserSession(sid_hash="b" * 64, user_id=uid, created_at=now - timedelta(days=2),
                          last_seen_at=now - timedelta(days=2), ended_at=now - timedelta(days=2),
                          end_reason="logout"))
        s.add(LoginThrottle(key_hash="c" * 64, failures=3,
                            last_failure_at=now - timedelta(days=2)))
        s.add(LoginThrottle(key_hash="d" * 64, failures=3, last_failure_at=now))
        idle = Resident(name="I. Dle", address="Nowhere 1", lat=60.17, lon=24.94,
                        last_order_date=DAY - timedelta(days=400))
        recent = Resident(name="R. Ecent", address="Nowhere 2", lat=60.17, lon=24.94,
                          last_order_date=DAY - timedelta(days=200))
        s.add_all([idle, recent])
        s.commit()
        stale_id, fresh_id, idle_id, recent_id = stale.id, fresh.id, idle.id, recent.id
        old_residents = set(s.scalars(select(Order.resident_id).where(Order.id.in_(moved))))
        kept_residents = set(s.scalars(select(Order.resident_id).where(Order.id.in_(kept))))
        events = s.scalar(select(text("count(*)")).select_from(OrderEvent).where(
            OrderEvent.order_id.in_(moved)))
        start, end = DAY - timedelta(days=400), DAY
        before = stats.report(s, start, end).as_dict()
    database = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as con:
        snapshot = {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                    for t in ("orders", "plans", "residents", "facts")}

    with db_session(app) as s:
        dry = purge(s, DAY, now, Periods(), dry_run=True)
    with sqlite3.connect(database) as con:
        assert {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                for t in snapshot} == snapshot, "a dry run changed the database"
    with db_session(app) as s:
        done = purge(s, DAY, now, Periods())
    assert dry == done
    gone_residents = old_residents - kept_residents
    assert done["orders"] == len(moved) and done["order_events"] == events
    assert done["facts"] == 5 and done["counted_in_stats"] == len(moved)
    assert done["plans"] == 2  # the old day's plan and the superseded one of 40 days
    assert done["idempotency_keys"] == 1 and done["user_sessions"] == 1
    assert done["login_throttle"] == 1
    # residents whose orders just went stay (their last order is 100 days ago), the idle one
    # (400 days) goes, the one of 200 days stays
    assert done["residents"] == 1
    with db_session(app) as s:
        assert set(s.scalars(select(Order.id))) == set(kept)
        assert s.get(Resident, idle_id) is None and s.get(Resident, recent_id) is not None
        assert {p for p in s.scalars(select(Plan.id))} >= {fresh_id}
        assert s.get(Plan, stale_id) is None
        assert s.scalar(select(IdempotencyRecord.key)) == "new"
        for rid in gone_residents:
            assert s.get(Resident, rid).last_order_date == DAY - timedelta(days=100)
        after = stats.report(s, start, end).as_dict()
        assert after == before
        assert s.scalar(select(text("sum(orders)")).select_from(DailyStat)) == len(moved)
    # a year on, those residents go too; a second purge on the same day finds nothing
    with db_session(app) as s:
        assert set(purge(s, DAY, now, Periods()).values()) == {0}
        later = purge(s, DAY + timedelta(days=366), now, Periods(order_days=10_000))
        assert later["residents"] == len(gone_residents) + 1  # + "recent", now 566 days idle


def test_purge_cli_dry_run_counts_per_table_and_bad_periods_are_named(app, tmp_path):
    moved, _ = _age(app, 120, share=0.2)
    database = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    app.extensions["buurtroute.engine"].dispose()
    dry = cli(database_path(database), "purge", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would remove" in dry.stdout
    assert f"{len(moved):>7}  rows of orders" in dry.stdout
    real = cli(database_path(database), "purge")
    assert real.returncode == 0 and f"{len(moved):>7}  rows of orders" in real.stdout
    again = cli(database_path(database), "purge")
    assert "      0  rows of orders" in again.stdout
    with pytest.raises(ValueError, match="RETAIN_ORDER_DAYS"):
        make_app(tmp_path / "x", database, RETAIN_ORDER_DAYS="ninety")
    with pytest.raises(ValueError, match="RETAIN_PLAN_DAYS"):
        Periods.from_config({"RETAIN_PLAN_DAYS": 0})


def test_the_purge_is_a_periodic_job_on_the_queue(app):
    from huey.api import PeriodicTask

    task = app.extensions["buurtroute.purge_task"]
    assert isinstance(task.task_class(), PeriodicTask)
    _age(app, 95, share=0.1)
    task.call_local()
    with db_session(app) as s:
        assert s.scalar(select(text("count(*)")).select_from(Order).where(
            Order.service_date < DAY - timedelta(days=90))) == 0


def database_path(database: str):
    from pathlib import Path

    return Path(database)


# --- the resident's rights ------------------------------------------------------------------

UNIQUE = ("Z. Vergeetmij", "Kaivokatu 8, 00100")


def _resident_with_history(app, accounts, web_area):
    """A resident only this test knows (unique name and address) with two orders from two
    partners, planned, one of them delivered (a fact)."""
    with db_session(app) as s:
        assert not s.scalar(select(Resident).where(Resident.address.contains("Kaivokatu 8")))
    api = app.test_client()
    ids = []
    for kind, partner in (("medicine", "pharmacy"), ("meal", "meal_kitchen")):
        response = api.post("/api/v1/orders", headers=bearer(token_of(accounts, partner)),
                            json=new_order(web_area, recipient=UNIQUE[0], address=UNIQUE[1],
                                           kind=kind, note="bel twee keer",
                                           phone="0612345678"))
        assert response.status_code == 201, response.get_data(as_text=True)
        ids.append(response.get_json()["id"])
    status = planned(app)
    with db_session(app) as s:
        plan = s.get(Plan, status["plan_id"])
        route = next(r for r in plan.payload["routes"]
                     if any(v["order_id"] == str(ids[0]) for v in r["visits"]))
        username = s.scalar(select(User.username).where(
            User.assistant_id == int(route["assistant_id"])))
        resident_id = s.get(Order, ids[0]).resident_id
        assert UNIQUE[1] in json.dumps(plan.payload)  # the plan carries the address
    client = app.test_client()
    login(client, username)
    for status_ in ("picked_up", "delivered"):
        marked = client.post("/assistant/marks", json={"event_id": tap(), "order_ids": [ids[0]],
                                                       "status": status_},
                             headers={"X-CSRFToken": csrf_token(client, "/assistant/")})
        assert marked.status_code == 201, marked.get_data(as_text=True)
    return resident_id, ids


def test_export_holds_everything_of_the_resident_and_nothing_of_others(app, accounts, web_area):
    resident_id, ids = _resident_with_history(app, accounts, web_area)
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    since = last_id(app)
    response = coordinator.get(f"/coordinator/residents/{resident_id}/export.json")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.data)
    assert data["resident"]["name"] == UNIQUE[0] and data["resident"]["address"].startswith(
        UNIQUE[1])
    assert [o["id"] for o in data["orders"]] == ids
    delivered = data["orders"][0]
    assert delivered["status"] == "delivered" and delivered["note"] == "bel twee keer"
    assert delivered["phone"] == "0612345678"
    assert [m["action"] for m in delivered["marks"]] == ["picked_up", "delivered"]
    assert [h["status"] for h in delivered["history"]] == ["submitted", "planned", "picked_up",
                                                           "delivered"]
    assert {v["action"] for v in delivered["planned_visits"]} == {"pickup", "delivery"}
    assert len(data["recipients"]) == 2
    assert any(a["role"] == "api" and a["action"] == "create" for a in data["access_log"])
    with db_session(app) as s:
        others = list(s.scalars(select(Resident).where(Resident.id != resident_id)))
        other_orders = set(s.scalars(select(Order.id).where(Order.resident_id != resident_id)))
    blob = json.dumps(data, ensure_ascii=False)
    assert not [r.name for r in others if r.name in blob]
    assert not [r.address for r in others if r.address in blob]
    assert not {o["id"] for o in data["orders"]} & other_orders
    pdf = coordinator.get(f"/coordinator/residents/{resident_id}/export.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    rows = rows_since(app, since)
    assert [(r.action, r.channel, r.resident_id, r.part) for r in rows] == [
        ("export", "json", resident_id, "all"), ("export", "pdf", resident_id, "all")]
    # the CLI gives the same and logs it as the system user's
    app.extensions["buurtroute.engine"].dispose()
    database = database_path(app.config["DATABASE_URL"].removeprefix("sqlite:///"))
    done = cli(database, "export-resident", str(resident_id))
    assert done.returncode == 0, done.stderr
    assert [o["id"] for o in json.loads(done.stdout)["orders"]] == ids
    row = rows_since(app, last_id(app) - 1)[0]
    assert (row.role, row.action, row.resident_id) == ("cli", "export", resident_id)
    assert row.on_behalf.startswith("cli:")
    missing = cli(database, "export-resident", "999999")
    assert missing.returncode != 0 and "resident" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_erasure_leaves_no_name_or_address_anywhere_and_reports_add_up(app, accounts,
                                                                      web_area):
    resident_id, ids = _resident_with_history(app, accounts, web_area)
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    with db_session(app) as s:
        before = stats.report(s, DAY, DAY).as_dict()
        address = s.get(Resident, resident_id).address
    url = f"/coordinator/residents/{resident_id}/erase"
    page = f"/coordinator/residents/{resident_id}"
    # the meal is still open today: refused with the reason, nothing removed
    refused = post_form(coordinator, url, {"confirm": str(resident_id)}, page=page,
                        follow_redirects=True)
    assert f"#{ids[1]}" in refused.get_data(as_text=True)
    with db_session(app) as s:
        assert s.get(Resident, resident_id) is not None
        s.get(Order, ids[1]).set_status("cancelled")
        s.commit()
        before = stats.report(s, DAY, DAY).as_dict()
    wrong = post_form(coordinator, url, {"confirm": "1" + str(resident_id)}, page=page,
                      follow_redirects=True)
    assert "Bevestig" in wrong.get_data(as_text=True)
    token = csrf_token(coordinator, page)
    since = last_id(app)
    done = coordinator.post(url, data={"confirm": str(resident_id), "csrf_token": token})
    assert done.status_code == 302
    database = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as con:
        tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
        found = []
        for table in tables:
            for row in con.execute(f'select * from "{table}"'):
                for cell in row:
                    if isinstance(cell, (bytes, str)):
                        value = cell.decode(errors="replace") if isinstance(cell, bytes) \
                            else cell
                        if UNIQUE[0] in value or address in value or UNIQUE[1] in value:
                            found.append(table)
        assert not found, f"name or address left in {sorted(set(found))}"
        for table, column in (("orders", "id"), ("facts", "order_id"),
                              ("order_events", "order_id"), ("stop_locks", "order_id"),
                              ("idempotency_keys", "order_id"), ("plan_requests", "order_id")):
            left = con.execute(f"select count(*) from {table} where {column} in (?, ?)",
                               ids).fetchone()[0]
            assert left == 0, table
        payloads = " ".join(r[0] for r in con.execute("select payload from plans"))
        assert f'"order_id": "{ids[0]}"' not in payloads.replace('":"', '": "')
    with db_session(app) as s:
        assert s.get(Resident, resident_id) is None
        assert stats.report(s, DAY, DAY).as_dict() == before
    rows = rows_since(app, since)
    assert [(r.action, r.resident_id) for r in rows] == [("erase", resident_id)]
    # the day and the rounds still show (the erased stops are simply gone)
    assert coordinator.get("/coordinator/").status_code == 200
    assert coordinator.get("/coordinator/print").status_code == 200
    assert coordinator.get(f"/coordinator/residents/{resident_id}").status_code == 404


def test_erasure_by_cli_and_its_refusals(app, accounts, web_area):
    resident_id, ids = _resident_with_history(app, accounts, web_area)
    app.extensions["buurtroute.engine"].dispose()
    database = database_path(app.config["DATABASE_URL"].removeprefix("sqlite:///"))
    refused = cli(database, "erase-resident", str(resident_id), "--yes")
    assert refused.returncode != 0 and "orders:" in refused.stderr and f"#{ids[1]}" in \
        refused.stderr and "Traceback" not in refused.stderr
    with db_session(app) as s:
        s.get(Order, ids[1]).set_status("cancelled")
        s.commit()
    done = cli(database, "erase-resident", str(resident_id), "--yes")
    assert done.returncode == 0, done.stderr
    assert "residents 1" in done.stdout and "orders 2" in done.stdout
    with db_session(app) as s:
        assert s.get(Resident, resident_id) is None
        row = s.scalars(select(AccessLog).order_by(AccessLog.id.desc())).first()
        assert (row.role, row.action, row.resident_id) == ("cli", "erase", resident_id)
    report = cli(database, "access-report", str(resident_id))
    assert report.returncode == 0, report.stderr
    accesses = json.loads(report.stdout)["accesses"]
    assert accesses[-1]["action"] == "erase" and accesses[0]["action"] == "create"


def test_scrub_keeps_other_residents_stops(app, accounts, web_area):
    """Erasing one resident takes only their stops out of a plan."""
    resident_id, ids = _resident_with_history(app, accounts, web_area)
    with db_session(app) as s:
        plan = s.scalars(select(Plan).where(Plan.status == "done")
                         .order_by(Plan.id.desc())).first()
        visits = [v["order_id"] for r in plan.payload["routes"] for v in r["visits"]]
        s.get(Order, ids[1]).set_status("cancelled")
        rights.erase(s, s.get(Resident, resident_id), DAY)
        s.commit()
        after = s.get(Plan, plan.id)
        left = [v["order_id"] for r in after.payload["routes"] for v in r["visits"]]
    assert left == [v for v in visits if v.lstrip("r") not in {str(i) for i in ids}]
    assert len(left) < len(visits)


def test_a_privacy_officer_is_created_by_the_cli_and_reads_only_the_log(tmp_path, seeded_db):
    import shutil
    import subprocess
    import sys

    from tests.test_backup import ROOT

    database = tmp_path / "officer.sqlite"
    shutil.copy(seeded_db[0], database)
    env = {**__import__("os").environ, "DATABASE_URL": f"sqlite:///{database}",
           "BUURTROUTE_AREA": "helsinki-demo", "BUURTROUTE_SECRET_KEY": "s",
           "BUURTROUTE_INSTANCE_PATH": str(tmp_path / "instance")}
    made = subprocess.run([sys.executable, "-m", "web.cli", "create-privacy-officer", "fg",
                           "--password-stdin"], input="a-long-password-1\n", cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    short = subprocess.run([sys.executable, "-m", "web.cli", "create-privacy-officer", "fg2",
                            "--password-stdin"], input="short\n", cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
    assert short.returncode != 0 and "10 characters" in short.stderr
    app = make_app(tmp_path, database)
    client = app.test_client()
    assert login(client, "fg", "a-long-password-1").headers["Location"] == "/privacy/"
    assert client.get("/privacy/").status_code == 200
    assert client.get("/coordinator/residents").status_code == 403
    app.extensions["buurtroute.engine"].dispose()


def test_partner_form_and_csv_creations_are_logged(app):
    from tests.test_web_partners import FORM

    client = app.test_client()
    login(client, "apotheek1")
    pid = user_id(app, "apotheek1")
    token = csrf_token(client, "/partner/orders/new")
    since = last_id(app)
    saved = client.post("/partner/orders/new", data={**FORM, "csrf_token": token})
    assert saved.status_code == 302
    rows = rows_since(app, since)
    assert [(r.action, r.channel, r.role, r.user_id) for r in rows] == [
        ("create", "page", "partner", pid)]
    with db_session(app) as s:
        newest = s.scalars(select(Order).order_by(Order.id.desc())).first()
        assert rows[0].resident_id == newest.resident_id
        assert rows[0].detail == f"orders {newest.id}"
    day = DAY.isoformat()
    text = ("reference,recipient,address,kind,service_date,windows\n"
            f"csv-1,P. Een,Kaivokatu 2,medicine,{day},10:00-12:00\n"
            f"csv-2,P. Twee,Unioninkatu 29,medicine,{day},10:00-12:00\n"
            f"csv-3,P. Drie,No Such Street 1,medicine,{day},10:00-12:00\n")
    token = csrf_token(client, "/partner/upload")
    since = last_id(app)
    upload = client.post("/partner/upload", data={
        "file": (__import__("io").BytesIO(text.encode()), "day.csv"), "csrf_token": token},
        content_type="multipart/form-data")
    assert upload.status_code == 200
    rows = rows_since(app, since)
    assert [(r.action, r.channel) for r in rows] == [("create", "csv")] * 2  # not the bad row


def test_report_page_counts_and_names_bad_dates(app):
    client = app.test_client()
    login(client, "coordinator")
    with db_session(app) as s:
        total = len(s.scalars(select(Order.id).where(Order.service_date == DAY)).all())
    page = client.get(f"/coordinator/report?from={DAY}&to={DAY}")
    assert page.status_code == 200
    assert f"{total} bestellingen" in page.get_data(as_text=True)
    bad = client.get(f"/coordinator/report?from=gisteren&to={DAY}")
    assert bad.status_code == 400 and "moet een datum zijn" in bad.get_data(as_text=True)
    backwards = client.get(f"/coordinator/report?from={DAY}&to={DAY - timedelta(days=1)}")
    assert backwards.status_code == 400 and "mag niet voor het begin liggen" in \
        backwards.get_data(as_text=True)


def test_two_erasures_of_one_resident_at_once_count_its_orders_once(app, accounts, web_area):
    """A double-clicked erase (or the CLI beside the page): one erases, the other is told the
    resident is gone, and the statistics count the orders once."""
    import threading

    resident_id, ids = _resident_with_history(app, accounts, web_area)
    with db_session(app) as s:
        s.get(Order, ids[1]).set_status("cancelled")
        s.commit()
        before = stats.report(s, DAY, DAY).as_dict()
    barrier, results = threading.Barrier(2), []

    def erase():
        with db_session(app) as s:
            barrier.wait()
            try:
                rights.erase(s, resident_id, DAY)
                s.commit()
                results.append("erased")
            except rights.Refused as exc:
                s.rollback()
                results.append(exc.field)

    threads = [threading.Thread(target=erase) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == ["erased", "resident"]
    with db_session(app) as s:
        assert stats.report(s, DAY, DAY).as_dict() == before
