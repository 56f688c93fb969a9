"""The coordinator plans the day: background run, stored superseding plan, map, workload,
unplanned orders with reasons, moving and locking stops; on the real offline demo area."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from tests.web_fixtures import (  # noqa: F401 (fixtures by name)
    DAY, PASSWORD, accounts, csrf_token, db_session, login, make_app, post_form, seeded_db,
    web_area)
from web.reasons import say
from web.store import Order, OrderEvent, Plan, StopLock


@pytest.fixture
def app(tmp_path, seeded_db):
    import shutil

    database = tmp_path / "demo.sqlite"
    shutil.copy(seeded_db[0], database)
    app = make_app(tmp_path, database, PLAN_WORK_LIMIT=60_000, PLAN_TIME_LIMIT=2, NOW="11:00")
    yield app
    app.extensions["buurtroute.engine"].dispose()


def wait_for_plan(client, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = client.get(f"/coordinator/plan/status?date={DAY}").get_json()
        if (status["status"] != "running" and not status.get("pending")) \
                or time.monotonic() > deadline:
            return status
        time.sleep(0.3)


def plan_day(client, full: bool = False) -> dict:
    """Press "Plan de dag" (or, with ``full``, "Hele dag opnieuw optimaliseren")."""
    form = {"service_date": DAY.isoformat(), **({"mode": "full"} if full else {})}
    response = post_form(client, "/coordinator/plan", form, page="/coordinator/")
    assert response.status_code == 302
    return wait_for_plan(client)


def test_plan_runs_in_the_background_and_stores_a_superseding_plan(app):
    client = app.test_client()
    login(client, "coordinator")
    first = plan_day(client)
    assert first["status"] == "done", first
    with db_session(app) as s:
        plan = s.get(Plan, first["plan_id"])
        planned = {v["order_id"] for r in plan.payload["routes"] for v in r["visits"]}
        assert planned and "routes" in plan.payload
        orders = s.scalars(select(Order).where(Order.service_date == DAY)).all()
        for o in orders:
            if str(o.id) in planned:
                assert o.status == "planned"
                assert s.scalars(select(OrderEvent).where(
                    OrderEvent.order_id == o.id, OrderEvent.status == "planned")).first()
        unplanned = plan.payload["unplanned"]
        assert len(planned) + len(unplanned) == sum(o.status != "cancelled" for o in orders)
    page = client.get(f"/coordinator/?date={DAY}").get_data(as_text=True)
    assert "<svg" in page and "Anna" in page
    for u in unplanned:  # the core's reasons, said in Dutch
        assert say(u, "nl")[:40].replace("'", "&#39;") in page
        assert say(u, "nl") != u["reason"], u
    assert "Oxycodon" not in page
    second = plan_day(client)
    assert second["plan_id"] != first["plan_id"]
    with db_session(app) as s:
        new, old = s.get(Plan, second["plan_id"]), s.get(Plan, first["plan_id"])
        assert new.supersedes_id == old.id and old.superseded and not new.superseded
        assert old.payload["routes"]  # the old plan is kept


def test_workload_table_and_medicine_shown_as_apotheekpakket(app):
    client = app.test_client()
    login(client, "coordinator")
    assert plan_day(client)["status"] == "done"
    page = client.get(f"/coordinator/?date={DAY}").get_data(as_text=True)
    assert "Werklast" in page or "Workload" in page
    assert "apotheekpakket" in page
    sheets = client.get(f"/coordinator/print?date={DAY}").get_data(as_text=True)
    assert sheets.count('class="sheet"') >= 1 and "<svg" in sheets


def test_moving_a_stop_locks_it_to_the_other_assistant_and_replans(app):
    client = app.test_client()
    login(client, "coordinator")
    status = plan_day(client)
    with db_session(app) as s:
        plan = s.get(Plan, status["plan_id"])
        routes = [r for r in plan.payload["routes"] if r["visits"]]
        source = routes[0]
        target = next(r for r in plan.payload["routes"]
                      if r["assistant_id"] != source["assistant_id"])
        order_id = int(next(v["order_id"] for v in source["visits"]
                            if v["action"] == "delivery"))
    response = post_form(client, f"/coordinator/orders/{order_id}/lock",
                         {"assistant_id": target["assistant_id"], "action": "lock"},
                         page="/coordinator/")
    assert response.status_code == 302
    after = wait_for_plan(client)
    assert after["status"] == "done" and after["plan_id"] != status["plan_id"]
    with db_session(app) as s:
        assert s.scalar(select(StopLock).where(StopLock.order_id == order_id)).assistant_id \
            == int(target["assistant_id"])
        plan = s.get(Plan, after["plan_id"])
        owner = [r["assistant_id"] for r in plan.payload["routes"]
                 if any(v["order_id"] == str(order_id) for v in r["visits"])]
        unplanned = [u for u in plan.payload["unplanned"] if u["order_id"] == str(order_id)]
        assert owner == [target["assistant_id"]] or unplanned
        assert plan.payload["locks"][0]["assistant_id"] == target["assistant_id"]


def test_partner_and_assistant_cannot_plan(app):
    for user in ("apotheek1", "anna"):
        client = app.test_client()
        login(client, user)
        response = client.post("/coordinator/plan", data={
            "csrf_token": csrf_token(client, "/login"), "service_date": DAY.isoformat()})
        assert response.status_code == 403
    with db_session(app) as s:
        assert s.scalars(select(Plan)).first() is None


def test_plan_without_csrf_is_refused(app):
    client = app.test_client()
    login(client, "coordinator")
    assert client.post("/coordinator/plan", data={"service_date": DAY.isoformat()}) \
        .status_code == 400


def test_planning_the_same_day_twice_gives_the_same_plan(tmp_path, seeded_db):
    """The web plans by a count of search steps, not the clock: press Plan twice on an
    unchanged day and the rounds are the same, stop for stop."""
    import shutil

    database = tmp_path / "demo.sqlite"
    shutil.copy(seeded_db[0], database)
    app = make_app(tmp_path, database, PLAN_WORK_LIMIT=60_000, PLAN_TIME_LIMIT=120)
    client = app.test_client()
    login(client, "coordinator")
    runs = [plan_day(client), plan_day(client)]
    assert [r["status"] for r in runs] == ["done", "done"], runs
    with db_session(app) as s:
        plans = [s.get(Plan, r["plan_id"]).payload for r in runs]
    assert plans[0]["stats"]["stopped_by"] in ("work", "search"), plans[0]["stats"]
    rounds = [[(r["assistant_id"], [(v["order_id"], v["action"], v["start"]) for v in r["visits"]])
               for r in p["routes"]] for p in plans]
    assert rounds[0] == rounds[1]
    assert plans[0]["unplanned"] == plans[1]["unplanned"]
    app.extensions["buurtroute.engine"].dispose()
