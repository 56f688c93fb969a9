"""PostgreSQL through the same code: migrations from empty (and back), the journey partner →
coordinator → assistant, concurrent orders for one new resident, races on a reference or an
idempotency key, planner runs shared by several server processes, and refusals by field name — on a live server (see ``tests/pg_fixtures.py``).

Besides its own tests, this module runs a selection of the SQLite suites' tests unchanged: its
``app`` and ``accounts`` fixtures (a fresh copy of the seeded demo database on PostgreSQL per
test) replace theirs for every test collected here.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import threading
from collections import Counter
from datetime import timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from tests import (test_privacy, test_web_api, test_web_partners, test_web_planning,
                   test_web_store)
from tests.test_web_api import new_order, spec, token_of  # noqa: F401 (spec: a fixture)
from tests.test_web_assistant import round_of
from tests.test_web_partners import FORM, csv_upload
from tests.test_web_planning import plan_day, wait_for_plan
from tests.web_fixtures import (  # noqa: F401 (fixtures by name)
    DAY, bearer, client, csrf_token, db_session, login, make_app, post_form,
    seeded_db, tap, web_area)
from web import planning
from web.migrate import alembic_config, upgrade
from web.orders import LENGTHS
from web.store import (Base, IdempotencyRecord, Order, OrderEvent, Plan, Resident, User,
                       make_engine, utcnow)

PLANNING = {"PLAN_WORK_LIMIT": 60_000, "PLAN_TIME_LIMIT": 2, "NOW": "11:00"}


@pytest.fixture
def app(pg_app_factory):
    """The app on its own PostgreSQL copy of the seeded demo day."""
    made = pg_app_factory(**PLANNING)
    assert made.extensions["buurtroute.engine"].dialect.name == "postgresql"
    return made


@pytest.fixture
def accounts(pg_accounts):
    return pg_accounts


@pytest.fixture(params=["sqlite", "postgresql"])
def any_app(request, tmp_path):
    """(app, accounts) on either database: what must hold on both."""
    if request.param == "postgresql":
        yield request.getfixturevalue("pg_app_factory")(**PLANNING), \
            request.getfixturevalue("pg_accounts")
        return
    database, accounts = request.getfixturevalue("seeded_db")
    shutil.copy(database, tmp_path / "demo.sqlite")
    made = make_app(tmp_path, tmp_path / "demo.sqlite", **PLANNING)
    yield made, accounts
    made.extensions["buurtroute.engine"].dispose()


# --- the SQLite suites' tests, run here on PostgreSQL ----------------------------------------

test_store_status_history = test_web_store.test_status_history_is_appended_and_illegal_moves_refused
test_store_replan_keeps_previous_and_refuses_dangling_fk = \
    test_web_store.test_a_replan_keeps_the_previous_plan
test_api_create_get_and_list = test_web_api.test_create_get_and_list
test_api_idempotent_create = test_web_api.test_idempotent_create
test_api_failed_create_does_not_burn_the_key = test_web_api.test_failed_create_does_not_burn_the_key
test_api_patch_and_cancel = test_web_api.test_patch_and_cancel
test_api_reference_is_unique_per_partner = test_web_api.test_reference_is_unique_per_partner
test_api_other_partners_orders = \
    test_web_api.test_partner_cannot_read_or_change_another_partners_order
test_api_revoked_token_is_refused = test_web_api.test_revoked_token_is_refused
test_partner_form_saves_a_geocoded_order = test_web_partners.test_order_form_saves_a_geocoded_order
test_partner_edit_and_cancel_keep_history = test_web_partners.test_edit_and_cancel_keep_history
test_partner_csv_dutch_semicolon_file = test_web_partners.test_csv_dutch_semicolon_file
test_planning_move_and_lock_a_stop = \
    test_web_planning.test_moving_a_stop_locks_it_to_the_other_assistant_and_replans


# --- migrations ------------------------------------------------------------------------------

def test_migrations_upgrade_downgrade_and_upgrade_again_from_empty(pg_database):
    engine = make_engine(pg_database)
    try:
        upgrade(engine)
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(
                connection, opts={"compare_type": True}), Base.metadata) == []
            head = ScriptDirectory.from_config(alembic_config()).get_current_head()
            assert head == "0011"  # at the door (0010 standing orders, 0009 onboarding, 0008 organisations)
            assert connection.scalar(text("select version_num from alembic_version")) == head
            columns = {c["name"]: c["type"] for c in inspect(connection).get_columns("orders")}
        assert type(columns["windows"]).__name__ == "JSON"
        assert type(columns["hot_meal"]).__name__ == "BOOLEAN"
        assert columns["reference"].length == 64  # PostgreSQL enforces it, SQLite does not
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0001")
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            plan_columns = {c["name"] for c in inspect(connection).get_columns("plans")}
        assert "stop_locks" not in tables and "orders" in tables
        assert not {"status", "error", "finished_at"} & plan_columns
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) == {"alembic_version"}
        upgrade(engine)
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(
                connection, opts={"compare_type": True}), Base.metadata) == []
    finally:
        engine.dispose()


# --- privacy: the access log refuses changes, the purge keeps reports' totals ----------------

test_privacy_erasure_scrubs_only_that_residents_stops = \
    test_privacy.test_scrub_keeps_other_residents_stops


def test_access_log_is_append_only_and_purge_keeps_totals_on_postgresql(app):
    from datetime import timedelta

    from web import stats
    from web.retention import Periods, purge
    from web.store import AccessLog

    client = app.test_client()
    login(client, "coordinator")
    assert client.get("/coordinator/residents").status_code == 200
    engine = app.extensions["buurtroute.engine"]
    with engine.connect() as connection:
        count = connection.scalar(text("select count(*) from access_log"))
    assert count > 0
    for statement in ("update access_log set user_id = 99", "delete from access_log",
                      "truncate access_log"):
        with engine.connect() as connection:
            with pytest.raises(Exception, match="append-only"):
                connection.execute(text(statement))
    with engine.connect() as connection:
        assert connection.scalar(text("select count(*) from access_log")) == count
    moved, kept = test_privacy._age(app, 100)
    with db_session(app) as session:
        before = stats.report(session, DAY - timedelta(days=200), DAY).as_dict()
        removed = purge(session, DAY, utcnow(), Periods())
        assert removed["orders"] == len(moved) and removed["counted_in_stats"] == len(moved)
        assert stats.report(session, DAY - timedelta(days=200), DAY).as_dict() == before
        assert set(session.scalars(select(Order.id))) == set(kept)
        assert session.scalar(select(func.count(AccessLog.id))) >= count


# --- the journey -----------------------------------------------------------------------------

def _history(session, order_id: int) -> list[str]:
    return list(session.scalars(select(OrderEvent.status).where(OrderEvent.order_id == order_id)
                                .order_by(OrderEvent.id)))


def test_journey_partner_coordinator_assistant(app, accounts, web_area):
    # A pharmacy enters one order by the form ...
    partner = app.test_client()
    login(partner, "apotheek1")
    response = post_form(partner, "/partner/orders/new", {**FORM, "recipient": "P. Vorm"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    # ... one by the API, sent twice with the same key (a retry) ...
    headers = {**bearer(token_of(accounts, "pharmacy")), "Idempotency-Key": "journey-1"}
    body = new_order(web_area, recipient="Q. Api", reference="J-API")
    first = app.test_client().post("/api/v1/orders", json=body, headers=headers)
    again = app.test_client().post("/api/v1/orders", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    # ... and a CSV file of which two rows are good and two are not.
    day = DAY.isoformat()
    report = csv_upload(partner, "reference,recipient,address,kind,service_date,windows\n"
                                 f"J-1,R. Een,Unioninkatu 29,medicine,{day},10:00-12:00\n"
                                 f"J-2,S. Twee,Unioninkatu 9999,medicine,{day},\n"
                                 f"J-3,T. Drie,Kaivokatu 2,medicine,{day},13:00-12:00\n"
                                 f"J-4,U. Vier,Annankatu 25,medicine,{day},\n")
    page = report.get_data(as_text=True)
    assert report.status_code == 200
    rows = re.findall(r"<tr><td>(\d+)</td><td>(\w+)</td>", page)
    assert rows == [("3", "address"), ("4", "windows")]
    with db_session(app) as s:
        new = {o.reference or o.resident.name: o.id for o in s.scalars(
            select(Order).join(Order.resident).where(Resident.name.in_(
                ["P. Vorm", "Q. Api", "R. Een", "S. Twee", "T. Drie", "U. Vier"])))}
        assert set(new) == {"P. Vorm", "J-API", "J-1", "J-4"}  # valid rows only, each once
        assert s.scalar(select(func.count(IdempotencyRecord.id))) == 1

    # The coordinator plans the day.
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    status = plan_day(coordinator)
    assert status["status"] == "done", status
    with db_session(app) as s:
        plan = s.get(Plan, status["plan_id"])
        visited = {v["order_id"] for r in plan.payload["routes"] for v in r["visits"]}
        reasons = {u["order_id"]: u["reason"] for u in plan.payload["unplanned"]}
        for order_id in new.values():  # every new order is planned, or unplanned with a reason
            order = s.get(Order, order_id)
            assert (str(order_id) in visited) != (str(order_id) in reasons), order_id
            assert order.status == ("planned" if str(order_id) in visited else "submitted")
            assert reasons.get(str(order_id)) != ""  # an unplanned order says why
        assert not plan.superseded and plan.supersedes_id is None

    # An assistant delivers the first stop of the round; that re-plans the rest of the day.
    username = next(u for u, role, _ in accounts.users if role == "assistant"
                    and any(v["action"] == "delivery"
                            for v in round_of(app, status["plan_id"], u)[1]))
    _, visits = round_of(app, status["plan_id"], username)
    delivered = int(next(v["order_id"] for v in visits if v["action"] == "delivery"))
    assistant = app.test_client()
    login(assistant, username)
    token = csrf_token(assistant, "/assistant/")
    assert assistant.post(f"/assistant/orders/{delivered}/status",
                          data={"csrf_token": token, "status": "delivered", "event_id": tap()}).status_code == 302
    after = wait_for_plan(coordinator)
    assert after["status"] == "done" and after["plan_id"] != status["plan_id"]
    with db_session(app) as s:
        new_plan, old_plan = s.get(Plan, after["plan_id"]), s.get(Plan, status["plan_id"])
        assert new_plan.supersedes_id == old_plan.id and old_plan.superseded
        assert not new_plan.superseded and old_plan.payload["routes"]  # the old plan is kept
        assert {"order_id": str(delivered), "action": "delivery"}.items() <= next(
            d for d in new_plan.payload["done"] if d["action"] == "delivery").items()
        assert _history(s, delivered)[-2:] == ["planned", "delivered"]
        assert planning.current_plan(s, DAY).id == new_plan.id
        assert s.scalar(select(func.count(Plan.id)).where(
            Plan.service_date == DAY, Plan.superseded.is_(False), Plan.status == "done")) == 1


# --- concurrency -----------------------------------------------------------------------------

def _at_once(app, requests: list[tuple[dict, dict]]) -> list[tuple[int, dict]]:
    """POST every (body, headers) to /api/v1/orders from its own thread, released together."""
    barrier = threading.Barrier(len(requests))
    answers: list = [None] * len(requests)

    def send(index: int) -> None:
        body, headers = requests[index]
        client_ = app.test_client()
        barrier.wait(timeout=30)
        response = client_.post("/api/v1/orders", json=body, headers=headers)
        answers[index] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(answers), "a request did not finish"
    return answers


KIND = {"pharmacy": "medicine", "pharmacy2": "medicine", "meal_kitchen": "meal",
        "parcel_point": "parcel"}


def test_simultaneous_orders_for_one_new_resident_share_it(app, accounts, web_area):
    """Four partners order for the same new resident at the same moment: four orders, one
    resident (INSERT ... ON CONFLICT DO NOTHING on PostgreSQL), no 500 and no 409."""
    for round_ in range(3):
        answers = _at_once(app, [(new_order(web_area, recipient=f"S. Gelijktijdig {round_}",
                                            kind=kind), bearer(token_of(accounts, partner)))
                                 for partner, kind in KIND.items()])
        assert [status for status, _ in answers] == [201] * 4, answers
    with db_session(app) as s:
        residents = s.execute(select(Resident.name, func.count(Resident.id))
                              .where(Resident.name.like("S. Gelijktijdig %"))
                              .group_by(Resident.name)).all()
        assert sorted(residents) == [(f"S. Gelijktijdig {i}", 1) for i in range(3)]
        orders = s.scalars(select(Order).join(Order.resident).where(
            Resident.name.like("S. Gelijktijdig %"))).all()
        assert len(orders) == 12 and all(_history(s, o.id) == ["submitted"] for o in orders)


def test_a_reference_raced_by_two_requests_is_one_order_and_clean_409s(app, accounts,
                                                                      web_area):
    """The unique (partner, reference) decides a race: one 201, the others a 409 naming the
    reference, never a 500 from the IntegrityError."""
    headers = bearer(token_of(accounts, "pharmacy"))
    answers = _at_once(app, [(new_order(web_area, reference="RACE-1", recipient=f"V. {i}"),
                              headers) for i in range(4)])
    assert Counter(status for status, _ in answers) == {201: 1, 409: 3}, answers
    for status, body in answers:
        if status == 409:
            assert body["error"] and "reference" in body["fields"], body
    with db_session(app) as s:
        assert s.scalar(select(func.count(Order.id)).where(Order.reference == "RACE-1")) == 1


def test_an_idempotency_key_raced_by_four_retries_is_one_order(app, accounts, web_area):
    headers = {**bearer(token_of(accounts, "pharmacy")), "Idempotency-Key": "race-key"}
    answers = _at_once(app, [(new_order(web_area, recipient="W. Retry"), headers)] * 4)
    assert [status for status, _ in answers] == [201] * 4, answers
    assert len({body["id"] for _, body in answers}) == 1
    with db_session(app) as s:
        assert s.scalar(select(func.count(IdempotencyRecord.id))) == 1
        assert s.scalar(select(func.count(Order.id)).join(Order.resident).where(
            Resident.name == "W. Retry")) == 1


def test_a_cancel_while_the_solver_runs_is_not_overwritten(any_app, monkeypatch):
    """The planner reads, solves for seconds, then writes in one transaction: an order the
    partner cancelled in between stays cancelled (the fresh, locked re-read sees it)."""
    app, _accounts = any_app
    solve = planning._solve
    victims = []

    def solve_then_cancel(*args, **kwargs):
        result = solve(*args, **kwargs)
        victims.append(min(int(v.order_id) for r in result.routes for v in r.visits))
        with db_session(app) as other:  # the partner's request, on its own connection
            other.get(Order, victims[0]).set_status("cancelled")
            other.commit()
        return result

    monkeypatch.setattr(planning, "_solve", solve_then_cancel)
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    assert plan_day(coordinator)["status"] == "done"
    victim = victims[0]
    with db_session(app) as s:
        assert s.get(Order, victim).status == "cancelled"
        assert _history(s, victim) == ["submitted", "cancelled"]
        others = s.scalars(select(Order).where(Order.status == "planned")).all()
        assert others and all(_history(s, o.id) == ["submitted", "planned"] for o in others)


# --- planner runs shared by several server processes -----------------------------------------

def _run_of_another_process(app, runner: str, age: float = 0) -> int:
    with db_session(app) as s:
        plan = Plan(service_date=DAY, status="running", payload={}, runner=runner,
                    created_at=utcnow() - timedelta(seconds=age))
        s.add(plan)
        s.commit()
        return plan.id


def _press_plan(client) -> dict:
    assert post_form(client, "/coordinator/plan", {"service_date": DAY.isoformat()},
                     page="/coordinator/").status_code == 302
    return client.get(f"/coordinator/plan/status?date={DAY}").get_json()


def test_a_run_of_another_server_process_is_left_alone_until_it_is_stale(any_app):
    app, _accounts = any_app
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    other = _run_of_another_process(app, "other-host:4242:0badcafe")
    status = _press_plan(coordinator)
    assert status["status"] == "running" and status["run_id"] == other
    with db_session(app) as s:
        assert s.scalar(select(func.count(Plan.id))) == 1  # no second run was started
        s.get(Plan, other).created_at = utcnow() - timedelta(
            seconds=planning._stale_after(app) + 60)
        s.commit()
    done = plan_day(coordinator)
    assert done["status"] == "done" and done["run_id"] != other
    with db_session(app) as s:
        stale = s.get(Plan, other)
        # its requests were tried again (once) by the run that followed
        assert (stale.status, stale.error, stale.superseded) == (
            "failed", "interrupted:retried", True)


def test_a_run_whose_process_on_this_host_is_gone_is_taken_for_dead_at_once(any_app):
    app, _accounts = any_app
    gone = subprocess.Popen(["true"])
    gone.wait()
    other = _run_of_another_process(app, f"{socket.gethostname()[:60]}:{gone.pid}:deadbeef")
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    done = plan_day(coordinator)
    assert done["status"] == "done" and done["run_id"] != other
    with db_session(app) as s:
        assert s.get(Plan, other).status == "failed"


def test_two_processes_pressing_plan_at_once_make_one_run(any_app, monkeypatch):
    """The database holds one "running" row per day; the process that loses the race shows the
    winner's run instead of starting a second one."""
    app, _accounts = any_app
    with db_session(app) as s:
        s.add_all([Plan(service_date=DAY, status="running", payload={}, runner=name)
                   for name in ("host-a:1:aaaa", "host-b:2:bbbb")])
        with pytest.raises(IntegrityError):
            s.commit()
    other = _run_of_another_process(app, "host-b:2:bbbb")
    looked = []

    def nothing_under_way_yet(session, day):  # the other process inserts right after our check
        looked.append(day)
        return None if len(looked) == 1 else under_way(session, day)

    under_way = planning._under_way
    monkeypatch.setattr(planning, "_under_way", nothing_under_way_yet)
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    status = _press_plan(coordinator)
    assert looked and status["status"] == "running" and status["run_id"] == other
    with db_session(app) as s:
        assert [p.id for p in s.scalars(select(Plan))] == [other]


# --- refusals by field name, the same on both databases --------------------------------------

def test_overlong_or_nul_text_is_refused_by_field_on_both_databases(any_app, web_area):
    """PostgreSQL enforces VARCHAR(n) and refuses NUL bytes, SQLite neither: the validator
    refuses both first, naming the field, so neither database ever sees them."""
    app, accounts = any_app
    headers = bearer(token_of(accounts, "pharmacy"))
    with db_session(app) as s:
        before = s.scalar(select(func.count(Order.id))), s.scalar(select(func.count(Resident.id)))
    good = {"recipient": "X. Lang", "address": "Unioninkatu 29", "phone": "030 123 4567",
            "pickup": "", "note": "Achterdeur", "reference": "LONG-1"}
    form = app.test_client()
    login(form, "apotheek1")
    for field in sorted(LENGTHS):
        for value in ("x" * (LENGTHS[field] + 1), good[field][:3] + "\x00" + good[field][3:]):
            response = app.test_client().post("/api/v1/orders", headers=headers,
                                              json=new_order(web_area, **{**good, field: value}))
            assert response.status_code == 422, (field, response.get_data(as_text=True)[:300])
            assert list(response.get_json()["fields"]) == [field], response.get_json()
        response = post_form(form, "/partner/orders/new",
                             {**FORM, **{k: v for k, v in good.items() if v},
                              field: "y" * (LENGTHS[field] + 1)})
        assert response.status_code == 422, field
        assert f'id="f-{field}-error"' in response.get_data(as_text=True), field
    key = app.test_client().post("/api/v1/orders", json=new_order(web_area),
                                 headers={**headers, "Idempotency-Key": "k" * 201})
    assert key.status_code == 422 and "Idempotency-Key" in key.get_json()["fields"]
    with db_session(app) as s:
        after = s.scalar(select(func.count(Order.id))), s.scalar(select(func.count(Resident.id)))
    assert after == before


def test_a_nul_in_the_idempotency_key_is_refused_not_a_500(app, accounts, web_area):
    response = app.test_client().post(
        "/api/v1/orders", json=new_order(web_area),
        headers={**bearer(token_of(accounts, "pharmacy")), "Idempotency-Key": "a\x00b"})
    assert response.status_code == 422 and "Idempotency-Key" in response.get_json()["fields"]


def test_booleans_json_and_times_round_trip(app, accounts, web_area):
    """What PostgreSQL types differently from SQLite comes back as the code wrote it."""
    created = app.test_client().post(
        "/api/v1/orders", headers=bearer(token_of(accounts, "meal_kitchen")),
        json=new_order(web_area, kind="meal", recipient="Y. Typen", hot_meal=True,
                       windows=[{"start": "11:30", "end": "12:30"},
                                {"start": "17:00", "end": "18:00"}]))
    assert created.status_code == 201, created.get_json()
    with db_session(app) as s:
        order = s.get(Order, created.get_json()["id"])
        assert order.hot_meal is True and order.in_person is False
        assert order.windows == [["11:30", "12:30"], ["17:00", "18:00"]]
        assert order.created_at.tzinfo is None  # naive UTC, as on SQLite
        assert s.scalar(select(func.count(Order.id)).where(Order.hot_meal.is_(True))) >= 1
        user = s.scalar(select(User).where(User.username == "apotheek1"))
        assert user.active is True


def test_when_validation_and_schema_disagree_the_database_refusal_is_a_4xx(
        app, accounts, web_area, monkeypatch):
    """The safety nets behind the validator: PostgreSQL enforces VARCHAR(80) on a name the
    validator was (wrongly) told to allow, and a reference check that lost a race leaves the
    unique constraint to refuse a PATCH — 400 and 409 with a sentence, never a 500."""
    from web import orders

    headers = bearer(token_of(accounts, "pharmacy"))
    monkeypatch.setitem(orders.LENGTHS, "recipient", 120)
    response = app.test_client().post("/api/v1/orders", headers=headers,
                                      json=new_order(web_area, recipient="Z" * 100))
    assert response.status_code == 400 and response.get_json()["error"]
    monkeypatch.undo()
    first, second = (app.test_client().post(
        "/api/v1/orders", headers=headers, json=new_order(web_area, reference=ref)).get_json()
        for ref in ("UNIQ-1", "UNIQ-2"))
    monkeypatch.setattr(orders, "reference_taken", lambda *args, **kwargs: None)
    response = app.test_client().patch(f"/api/v1/orders/{second['id']}", headers=headers,
                                       json={"reference": "UNIQ-1"})
    assert response.status_code == 409 and response.get_json()["error"]
    with db_session(app) as s:
        assert s.get(Order, second["id"]).reference == "UNIQ-2"
        assert s.scalar(select(func.count(Resident.id)).where(Resident.name == "Z" * 100)) == 0
    assert first["reference"] == "UNIQ-1"


def test_a_nul_in_a_login_name_is_refused_not_a_500_on_both_databases(any_app):
    """PostgreSQL cannot store or compare NUL bytes: the app-wide handler turns the database's
    refusal into a 4xx page, on every route, instead of a 500."""
    app, _accounts = any_app
    client = app.test_client()
    response = login(client, "coordi\x00nator")
    assert response.status_code in (200, 400, 401, 409), response.status_code
    assert login(client, "coordinator").status_code == 302  # the session still works after it
