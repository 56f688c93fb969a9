"""The live day's planning service on the demo day: marks are facts (a retried tap counts
once), goods stay with their carrier until the coordinator hands them over, runs that fail
never replace a good plan, requests made during a run coalesce into one follow-up, and a
coordinator's move changes only the rounds it touches and can be undone."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from routing import model
from tests.test_web_planning import plan_day, wait_for_plan
from tests.web_fixtures import (  # noqa: F401 (fixtures by name)
    DAY, accounts, csrf_token, db_session, login, make_app, post_form, seeded_db, tap, web_area)
from web import planning
from web.store import Assistant, Fact, Order, Plan, PlanRequest, StopLock, User


@pytest.fixture
def app(tmp_path, seeded_db):
    database = tmp_path / "demo.sqlite"
    shutil.copy(seeded_db[0], database)
    app = make_app(tmp_path, database, PLAN_WORK_LIMIT=30_000, NOW="10:00")
    yield app
    app.extensions["buurtroute.engine"].dispose()


def _planned(app) -> dict:
    client = app.test_client()
    login(client, "coordinator")
    status = plan_day(client)
    assert status["status"] == "done", status
    return status


def _routes(app, plan_id: int) -> dict[str, list[dict]]:
    with db_session(app) as s:
        return {r["assistant_id"]: r["visits"] for r in s.get(Plan, plan_id).payload["routes"]}


def _assistant(app, username: str) -> int:
    with db_session(app) as s:
        return s.scalar(select(User).where(User.username == username)).assistant_id


def _mark(client, order_ids: list[int], status: str, event: str):
    return client.post("/assistant/marks", json={"event_id": event, "order_ids": order_ids,
                                                 "status": status},
                       headers={"X-CSRFToken": csrf_token(client, "/assistant/")})


def test_a_retried_tap_counts_once_and_a_reused_id_is_refused(app):
    status = _planned(app)
    anna = _assistant(app, "anna")
    first = next(v for v in _routes(app, status["plan_id"])[str(anna)]
                 if v["action"] == "pickup")
    client = app.test_client()
    login(client, "anna")
    event = tap()
    answers = [_mark(client, [int(first["order_id"])], "picked_up", event) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 200, 200], [a.get_json() for a in answers]
    assert answers[1].get_json()["replayed"] is True
    other = _mark(client, [int(first["order_id"])], "delivered", event)
    assert other.status_code == 409 and other.get_json()["error"].startswith("event_id")
    with db_session(app) as s:
        assert s.scalar(select(func.count(Fact.id))) == 1
        assert s.get(Order, int(first["order_id"])).status == "picked_up"
        requests = s.scalars(select(PlanRequest).where(PlanRequest.kind == "mark")).all()
        assert len(requests) == 1, "a replayed tap asked for a re-plan again"
    # the same tap sent by the form (no script) is recognised too
    response = client.post(f"/assistant/orders/{first['order_id']}/status", data={
        "csrf_token": csrf_token(client, "/assistant/"), "status": "picked_up",
        "event_id": event})
    assert response.status_code == 302
    with db_session(app) as s:
        assert s.scalar(select(func.count(Fact.id))) == 1


def test_bad_marks_are_refused_by_field(app):
    _planned(app)
    client = app.test_client()
    login(client, "anna")
    headers = {"X-CSRFToken": csrf_token(client, "/assistant/")}
    cases = [({"event_id": "x", "order_ids": [1], "status": "delivered"}, "event_id"),
             ({"event_id": tap(), "order_ids": "1", "status": "delivered"}, "order_ids"),
             ({"event_id": tap(), "order_ids": [1], "status": "eaten"}, "status"),
             ({"event_id": tap(), "order_ids": [1], "status": "delivered", "at": "25:00"}, "at"),
             ({"event_id": tap(), "order_ids": [99999999], "status": "delivered"}, "order_ids")]
    for body, field in cases:
        response = client.post("/assistant/marks", json=body, headers=headers)
        assert 400 <= response.status_code < 500, (body, response.status_code)
        assert response.get_json()["error"].startswith(field), (body, response.get_json())
    with db_session(app) as s:
        assert s.scalar(select(func.count(Fact.id))) == 0


def test_goods_stay_with_their_carrier_until_handed_over(app):
    status = _planned(app)
    anna, bram = _assistant(app, "anna"), _assistant(app, "bram")
    visits = _routes(app, status["plan_id"])[str(anna)]
    order_id = int(next(v["order_id"] for v in visits if v["action"] == "pickup"))
    client = app.test_client()
    login(client, "anna")
    assert _mark(client, [order_id], "picked_up", tap()).status_code == 201
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    wait_for_plan(coordinator)
    other = app.test_client()
    login(other, "bram")
    refused = _mark(other, [order_id], "delivered", tap())
    assert refused.status_code in (404, 409) and "order_ids" in refused.get_json()["error"]
    # the coordinator hands the goods over: Bram delivers them, the plan follows
    day = f"/coordinator/?date={DAY.isoformat()}"
    response = post_form(coordinator, f"/coordinator/orders/{order_id}/handover",
                         {"assistant_id": str(bram), "event_id": tap()}, page=day)
    assert response.status_code == 302
    after = wait_for_plan(coordinator)
    assert after["status"] == "done", after
    routes = _routes(app, after["plan_id"])
    assert any(v["order_id"] == str(order_id) and v["action"] == "delivery"
               for v in routes[str(bram)]), "the delivery did not follow the goods"
    assert not any(v["order_id"] == str(order_id) for v in routes[str(anna)])
    assert _mark(client, [order_id], "delivered", tap()).status_code in (404, 409)
    assert _mark(other, [order_id], "delivered", tap()).status_code == 201


def test_a_batch_of_packages_at_one_place_is_one_stop_and_one_tap(app):
    status = _planned(app)
    client = app.test_client()
    login(client, "anna")
    page = client.get("/assistant/").get_data(as_text=True)
    assert 'name="order_ids"' in page, "no pickup place with more than one package"
    anna = _assistant(app, "anna")
    visits = _routes(app, status["plan_id"])[str(anna)]
    batch = [int(visits[0]["order_id"])]
    for v in visits[1:]:
        if v["action"] != "pickup" or v["location"] != visits[0]["location"]:
            break
        batch.append(int(v["order_id"]))
    shown = page.split('class="round-stops')[1].count("Opgehaald")  # the list, not the cards
    assert shown == len({(v["location"], k) for k, v in enumerate(visits)
                         if v["action"] == "pickup" and not (
                             k and visits[k - 1]["action"] == "pickup"
                             and visits[k - 1]["location"] == v["location"])})
    response = client.post(f"/assistant/orders/{batch[0]}/status", data={
        "csrf_token": csrf_token(client, "/assistant/"), "status": "picked_up",
        "event_id": tap(), "order_ids": ",".join(map(str, batch[1:]))})
    assert response.status_code == 302
    with db_session(app) as s:
        assert sorted(f.order_id for f in s.scalars(select(Fact))) == sorted(batch)
        assert {s.get(Order, o).status for o in batch} == {"picked_up"}


def test_a_run_past_the_hard_limit_fails_and_the_good_plan_stays(app):
    status = _planned(app)
    before = _routes(app, status["plan_id"])
    app.config.update(PLAN_HARD_LIMIT=0.05)  # no search finishes in 50 ms
    client = app.test_client()
    login(client, "coordinator")
    post_form(client, "/coordinator/plan", {"service_date": DAY.isoformat(), "mode": "full"},
              page="/coordinator/")
    after = wait_for_plan(client)
    assert after["status"] == "failed" and after["error"].startswith("timeout"), after
    assert after["plan_id"] == status["plan_id"]
    assert _routes(app, after["plan_id"]) == before
    page = client.get(f"/coordinator/?date={DAY.isoformat()}").get_data(as_text=True)
    assert "De laatste planning is mislukt" in page and "harde tijdslimiet" in page
    with db_session(app) as s:
        assert {o.status for o in s.scalars(select(Order))} >= {"planned"}


def test_a_plan_the_checker_rejects_never_becomes_current(app, monkeypatch):
    status = _planned(app)
    solve = planning._solve

    def broken(*args, **kwargs):
        plan = solve(*args, **kwargs)
        route = next(r for r in plan.routes if r.visits)
        route.visits[0] = model.Visit(**{**route.visits[0].to_dict(), "start": 0})
        return plan

    monkeypatch.setattr(planning, "_solve", broken)
    client = app.test_client()
    login(client, "coordinator")
    post_form(client, "/coordinator/plan", {"service_date": DAY.isoformat()},
              page="/coordinator/")
    after = wait_for_plan(client)
    assert after["status"] == "failed" and after["error"].startswith("rejected"), after
    assert after["violations"] and after["plan_id"] == status["plan_id"]


def test_requests_during_a_run_make_exactly_one_follow_up_run(app, monkeypatch):
    _planned(app)
    solve = planning._solve
    asked = []

    def busy_day(*args, **kwargs):
        if not asked:  # three marks and a late order arrive while the first run solves
            with app.test_request_context():
                with db_session(app) as s:
                    for kind in ("mark", "mark", "order"):
                        asked.append(planning.request(app, s, DAY, kind).id)
        return solve(*args, **kwargs)

    monkeypatch.setattr(planning, "_solve", busy_day)
    client = app.test_client()
    login(client, "coordinator")
    with db_session(app) as s:
        runs_before = s.scalar(select(func.count(Plan.id)))
    post_form(client, "/coordinator/plan", {"service_date": DAY.isoformat()},
              page="/coordinator/")
    wait_for_plan(client)
    with db_session(app) as s:
        runs = s.scalars(select(Plan).where(Plan.id > 0).order_by(Plan.id)).all()[runs_before:]
        assert [r.status for r in runs] == ["done", "done"], [(r.status, r.error) for r in runs]
        assert runs[1].upto_request == max(asked)
        assert not planning.pending(s, DAY)


def test_a_move_changes_two_rounds_says_so_and_can_be_undone(app):
    status = _planned(app)
    before = _routes(app, status["plan_id"])
    source, target, third = sorted(before, key=lambda a: -len(before[a]))
    with db_session(app) as s:
        moved = next(int(v["order_id"]) for v in before[source] if v["action"] == "delivery"
                     and s.get(Order, int(v["order_id"])).status == "planned")
        names = {str(a.id): a.name for a in s.scalars(select(Assistant))}
    client = app.test_client()
    login(client, "coordinator")
    day = f"/coordinator/?date={DAY.isoformat()}"
    post_form(client, f"/coordinator/orders/{moved}/lock",
              {"assistant_id": target, "action": "lock"}, page=day)
    after = wait_for_plan(client)
    routes = _routes(app, after["plan_id"])
    assert routes[third] == before[third], "a move between two rounds changed a third"
    assert any(v["order_id"] == str(moved) for v in routes[target])
    page = client.get(day).get_data(as_text=True)
    assert f"#{moved}: van {names[source]} naar {names[target]}" in page
    assert after["undo"] is True
    post_form(client, "/coordinator/undo", {"service_date": DAY.isoformat()}, page=day)
    undone = wait_for_plan(client)
    assert undone["plan_id"] != after["plan_id"]
    again = _routes(app, undone["plan_id"])
    assert [(v["order_id"], v["action"]) for v in again[source]] == [
        (v["order_id"], v["action"]) for v in before[source]]
    with db_session(app) as s:
        assert s.scalar(select(StopLock).where(StopLock.order_id == moved)) is None
    assert wait_for_plan(client)["undo"] is False


def test_the_coordinator_sees_how_each_round_goes(app):
    status = _planned(app)
    anna = _assistant(app, "anna")
    visits = _routes(app, status["plan_id"])[str(anna)]
    doors = [int(v["order_id"]) for v in visits if v["action"] == "delivery"]
    second = next(k for k, v in enumerate(visits) if v["order_id"] == str(doors[1])
                  and v["action"] == "delivery")
    collected = [int(v["order_id"]) for v in visits[:second] if v["action"] == "pickup"]
    client = app.test_client()
    login(client, "anna")
    if collected:  # she ticks off what she collected on the way, as the round asks
        assert _mark(client, collected, "picked_up", tap()).status_code == 201
    assert _mark(client, [doors[0]], "delivered", tap()).status_code == 201
    assert _mark(client, [doors[1]], "not_home", tap()).status_code == 201
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    now = wait_for_plan(coordinator)
    total = sum(1 for v in _routes(app, now["plan_id"])[str(anna)]
                if v["action"] == "delivery" and not v["order_id"].startswith("r"))
    page = coordinator.get(f"/coordinator/?date={DAY.isoformat()}").get_data(as_text=True)
    workload = page.split('id="workload"')[1].split("</table>")[0]
    row = next(r for r in workload.split("<tr>") if ">Anna<" in r or "Anna</th>" in r)
    assert f"2 van {total} deuren" in row and "1 niet thuis" in row, row


def test_a_run_finishing_between_the_status_reads_never_breaks_the_status(app, monkeypatch):
    """The day page polls /coordinator/plan/status while a worker finishes a run: whichever
    of its reads comes first, the run is finished right after it (in another session, as the
    worker does). The answer is a 200 with the plan's rounds, never a 500 (a run read while
    running, then finished, came back without rounds: CI caught it under load)."""
    first = _planned(app)
    with db_session(app) as s:
        done = s.get(Plan, first["plan_id"])
        running = Plan(service_date=DAY, status="running", payload={}, upto_request=10**6,
                       seed=0, runner="test:1:x", attempt=1)
        s.add(running)
        s.commit()
        run_id, payload = running.id, done.payload
    finished = []

    def finish_after(read):
        def wrapped(*args, **kwargs):
            out = read(*args, **kwargs)
            if not finished:
                finished.append(read.__name__)
                with db_session(app) as other:
                    other.get(Plan, first["plan_id"]).superseded = True
                    row = other.get(Plan, run_id)
                    row.status, row.payload = "done", payload
                    other.commit()
            return out
        return wrapped

    monkeypatch.setattr(planning, "latest_run", finish_after(planning.latest_run))
    monkeypatch.setattr(planning, "current_plan", finish_after(planning.current_plan))
    client = app.test_client()
    login(client, "coordinator")
    response = client.get(f"/coordinator/plan/status?date={DAY.isoformat()}")
    assert finished, "the run was never finished between the reads"
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    status = response.get_json()
    assert status["plan_id"] in (first["plan_id"], run_id)
    assert status["live"]["rounds"], status["live"]
