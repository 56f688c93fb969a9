"""The coordinator's day view on the seeded demo day: every partner's orders by buurt and
kind, shifts, adding a shift; locking a stop to an assistant and a stop number (and the field
errors for numbers no plan can keep); other roles are kept out."""

import re
import shutil
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.test_web_planning import plan_day, wait_for_plan
from tests.web_fixtures import (  # noqa: F401 (pytest fixtures are used by name)
    DAY, accounts, app, client, db_session, login, logout, make_app, post_form, seeded_db,
    web_area)
from web.store import Assistant, Order, Plan, Shift, StopLock


def counts_table(page: str) -> dict[str, list[str]]:
    table = page.split('class="counts"')[1].split("</table>")[0]
    rows = re.findall(r'<tr><th scope="row">(?:<a[^>]*>)?([^<]+)(?:</a>)?</th>(.*?)</tr>', table)
    return {name: re.findall(r"<td>([^<]*)</td>", cells) for name, cells in rows}


def test_day_view_counts_orders_by_buurt_and_kind(client, app):
    with db_session(app) as session:
        cancelled = session.scalars(select(Order)).first()
        cancelled.set_status("cancelled")
        session.commit()
        orders = session.scalars(select(Order).where(Order.status != "cancelled")).all()
        expected = Counter((o.resident.buurt, o.kind) for o in orders)
        buurten = {o.resident.buurt for o in orders}
    login(client, "coordinator")
    page = client.get(f"/coordinator/?date={DAY.isoformat()}").get_data(as_text=True)
    table = counts_table(page)
    assert set(table) == buurten | {"Totaal"}
    kinds = ("medicine", "meal", "parcel", "visit", "klusje")
    for buurt in buurten:
        assert [int(c or 0) for c in table[buurt][:5]] == [expected[(buurt, k)] for k in kinds]
        assert int(table[buurt][5]) == sum(expected[(buurt, k)] for k in kinds)
    assert int(table["Totaal"][5]) == len(orders)
    assert f"{len(orders)} bestellingen, 1 geannuleerd; 3 diensten" in page
    assert f"#{cancelled.id}<" not in page  # cancelled orders are not on the day's list
    assert "apotheekpakket" in page and "Anna" in page and "bakfiets" in page


def test_day_view_of_an_empty_day(client):
    login(client, "coordinator")
    page = client.get("/coordinator/?date=2001-01-01").get_data(as_text=True)
    assert "Geen bestellingen voor deze dag." in page and "Geen diensten op deze dag." in page


def test_add_shift(client, app):
    login(client, "coordinator")
    with db_session(app) as session:
        before = session.scalar(select(func.count(Shift.id)))
    day = DAY + timedelta(days=1)  # the demo's assistants work on DAY already
    page = f"/coordinator/?date={day.isoformat()}"
    good = post_form(client, "/coordinator/shifts", {
        "assistant_id": "2", "service_date": day.isoformat(), "start": "13:00", "end": "17:00",
        "break_minutes": "15", "break_from": "15:00"}, page=page)
    assert good.status_code == 302
    bad = post_form(client, "/coordinator/shifts", {
        "assistant_id": "2", "service_date": day.isoformat(), "start": "17:00", "end": "13:00",
        "break_minutes": "0"}, page=page, follow_redirects=True)
    # the reason is shown beside the shift form, opened, where the action was taken
    assert bad.request.path == "/coordinator/"
    shifts = bad.get_data(as_text=True).split('id="shifts"')[1]
    assert "Einde: het tijdvak moet eindigen na het begin" in shifts
    assert "<details open>" in shifts
    with db_session(app) as session:
        assert session.scalar(select(func.count(Shift.id))) == before + 1
        added = session.scalars(select(Shift).order_by(Shift.id.desc())).first()
        assert (added.start, added.end, added.break_from, added.break_minutes) == (
            "13:00", "17:00", "15:00", 15)
    assert client.post("/coordinator/shifts", data={"assistant_id": "2"}).status_code == 400


def test_only_coordinators_see_the_day(client):
    assert client.get("/coordinator/").status_code == 302
    for user in ("apotheek1", "anna"):
        login(client, user)
        assert client.get("/coordinator/").status_code == 403
        logout(client)
    login(client, "coordinator")
    assert client.get("/").headers["Location"] == "/coordinator/"


def test_a_partners_new_order_reaches_the_coordinators_day(client, app, accounts):
    token = list(accounts.tokens.values())[0]  # the first pharmacy
    order = client.post("/api/v1/orders", headers={"Authorization": f"Bearer {token}"}, json={
        "recipient": "Q.Z.", "address": "Unioninkatu 29", "kind": "medicine",
        "service_date": DAY.isoformat(), "note": "Achterdeur gebruiken"}).get_json()
    login(client, "coordinator")
    page = client.get("/coordinator/").get_data(as_text=True)
    section = page.split(f"<td>#{order['id']}")[1].split("</tr>")[0]
    assert "Q.Z." in section and "Unioninkatu 29, 00170" in section
    assert "apotheekpakket" in section and "aangemeld" in section
    kluuvi = page.split('>Kluuvi <span class="count">')[1].split("</table>")[0]
    assert f"<td>#{order['id']}" in kluuvi  # listed under its buurt


# --- locking a stop at a place in a round -----------------------------------------------------

@pytest.fixture
def planner(tmp_path, seeded_db):
    """The app with a short planning time (as in tests/test_web_planning.py)."""
    database = tmp_path / "plan.sqlite"
    shutil.copy(seeded_db[0], database)
    app = make_app(tmp_path, database, PLAN_WORK_LIMIT=60_000, PLAN_TIME_LIMIT=2, NOW="11:00")
    yield app
    app.extensions["buurtroute.engine"].dispose()


def routes_of(app, plan_id: int) -> dict[str, list[dict]]:
    with db_session(app) as s:
        return {r["assistant_id"]: r["visits"] for r in s.get(Plan, plan_id).payload["routes"]}


def without_pickup(app, visits: list[dict]) -> int:
    """A delivery in ``visits`` with nothing to pick up (a house call or a klusje)."""
    with db_session(app) as s:
        return next(int(v["order_id"]) for v in visits if v["action"] == "delivery"
                    and s.get(Order, int(v["order_id"])).pickup_lat is None)


def _has_house_call(app, visits) -> bool:
    try:
        without_pickup(app, visits)
    except StopIteration:
        return False
    return True


def test_lock_as_first_stop_of_another_round_then_unlock(planner):
    client = planner.test_client()
    login(client, "coordinator")
    first = plan_day(client)
    routes = routes_of(planner, first["plan_id"])
    source = next(a for a, visits in routes.items() if _has_house_call(planner, visits))
    order_id = without_pickup(planner, routes[source])
    target = next(a for a in routes if a != source)
    day = f"/coordinator/?date={DAY.isoformat()}"
    response = post_form(client, f"/coordinator/orders/{order_id}/lock",
                         {"assistant_id": target, "position": "1", "action": "lock"}, page=day)
    assert response.status_code == 302
    after = wait_for_plan(client)
    assert after["status"] == "done" and after["plan_id"] != first["plan_id"]
    with db_session(planner) as s:
        lock = s.scalar(select(StopLock).where(StopLock.order_id == order_id))
        assert (lock.assistant_id, lock.position) == (int(target), 0)
        target_name = s.get(Assistant, int(target)).name
        payload = s.get(Plan, after["plan_id"]).payload
    assert payload["locks"] == [{"order_id": str(order_id), "assistant_id": target,
                                 "position": 0, "action": "delivery"}]
    visits = routes_of(planner, after["plan_id"])[target]
    assert (visits[0]["order_id"], visits[0]["action"]) == (str(order_id), "delivery")
    page = client.get(day).get_data(as_text=True)
    row = page.split(f'id="stop-{order_id}-delivery"')[1].split("</tr>")[0]
    assert f"vastgezet bij {target_name} als stop 1" in row
    assert 'data-position="1"' in row and 'data-locked="1"' in row  # the menu knows the lock
    response = post_form(client, f"/coordinator/orders/{order_id}/lock", {"action": "unlock"},
                         page=day)
    assert response.status_code == 302
    freed = wait_for_plan(client)
    assert freed["status"] == "done" and freed["plan_id"] != after["plan_id"]
    with db_session(planner) as s:
        assert s.scalar(select(StopLock).where(StopLock.order_id == order_id)) is None
        assert s.get(Plan, freed["plan_id"]).payload["locks"] == []


def test_a_later_stop_number_is_kept_or_reported_never_dropped(planner):
    """Stop N (counting pickups) is position N-1 for the solver; if no plan keeps the stop there
    the order is reported unplanned with that reason, not put elsewhere or lost."""
    client = planner.test_client()
    login(client, "coordinator")
    first = plan_day(client)
    routes = routes_of(planner, first["plan_id"])
    source = next(a for a, visits in routes.items() if _has_house_call(planner, visits))
    order_id = without_pickup(planner, routes[source])
    target = next(a for a in routes if a != source)
    post_form(client, f"/coordinator/orders/{order_id}/lock",
              {"assistant_id": target, "position": "3", "action": "lock"}, page="/coordinator/")
    after = wait_for_plan(client)
    assert after["status"] == "done"
    with db_session(planner) as s:
        payload = s.get(Plan, after["plan_id"]).payload
    placed = [(r["assistant_id"], i) for r in payload["routes"]
              for i, v in enumerate(r["visits"]) if v["order_id"] == str(order_id)]
    reported = [u for u in payload["unplanned"] if u["order_id"] == str(order_id)]
    assert placed == [(target, 2)] or (
        not placed and reported[0]["code"] == "locked" and "stop 3" in reported[0]["reason"])
    assert not payload["violations"]


def test_lock_form_refuses_impossible_stop_numbers_by_field(planner):
    client = planner.test_client()
    login(client, "coordinator")
    first = plan_day(client)
    routes = routes_of(planner, first["plan_id"])
    target, visits = max(routes.items(), key=lambda kv: len(kv[1]))
    with db_session(planner) as s:
        carried = next(int(v["order_id"]) for r in routes.values() for v in r
                       if v["action"] == "pickup")
        free = next(o.id for o in s.scalars(select(Order).where(Order.service_date == DAY))
                    if o.pickup_lat is None and o.status != "cancelled")
        others = len([v for v in visits if v["order_id"] != str(free)])
        no_shift = s.scalar(select(Assistant).where(Assistant.id.not_in(
            select(Shift.assistant_id).where(Shift.service_date == DAY))))
        if no_shift is None:  # every demo assistant works today: add one who does not
            no_shift = Assistant(name="Dirk", mode="walk")
            s.add(no_shift)
            s.commit()
        idle = no_shift.id
    day = f"/coordinator/?date={DAY.isoformat()}"
    cases = [
        (free, {"assistant_id": target, "position": "0"},
         f"Als stop nummer: moet tussen 1 en {others + 1} liggen"),
        (free, {"assistant_id": target, "position": str(others + 2)},
         f"Als stop nummer: moet tussen 1 en {others + 1} liggen"),
        (free, {"assistant_id": target, "position": "twee"},
         "Als stop nummer: moet een heel getal zijn"),
        (carried, {"assistant_id": target, "position": "1"},
         "Als stop nummer: het ophalen komt eerst: kies 2 of later"),
        (free, {"assistant_id": str(idle), "position": ""},
         "Assistent: heeft geen dienst op deze dag"),
        (free, {"position": "1"}, "Assistent: is verplicht"),
    ]
    for order_id, form, message in cases:
        response = post_form(client, f"/coordinator/orders/{order_id}/lock",
                             {**form, "action": "lock"}, page=day)
        # back to the stop's menu, open, with the reason inside it (where the action was taken)
        assert response.headers["Location"].endswith(f"move={order_id}#move")
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        menu = page.split('<dialog id="move"')[1].split("</dialog>")[0]
        assert menu.split(">")[0].endswith(" open") or " open " in menu.split(">")[0]
        assert f"#{order_id} · {message}" in menu, (form, message)
        assert f"#{order_id} · {message}" not in page.replace(menu, "")
    with db_session(planner) as s:
        assert s.scalar(select(func.count(StopLock.id))) == 0
        assert s.scalar(select(func.count(Plan.id))) == 1  # no re-plan was started


def test_a_return_that_fits_nowhere_is_listed_with_its_reason(client, app):
    """Goods nobody took that no round can bring back today are on the unplanned list as a
    return, with the reason in Dutch, and cannot be moved like an order."""
    from routing.solver.reasons import FULL

    with db_session(app) as s:
        order = s.scalars(select(Order).where(Order.kind == "medicine")).first()
        for status in ("planned", "not_home"):
            order.set_status(status)
        s.add(Plan(service_date=DAY, status="done", payload={
            "routes": [], "points": [], "totals": {}, "locks": [], "done": [], "now": None,
            "unplanned": [{"order_id": f"r{order.id}", "code": "over_full", "reason": FULL,
                           "template": FULL, "params": {}}]}))
        s.commit()
        order_id, place = order.id, order.pickup_name or order.pickup_address
    login(client, "coordinator")
    page = client.get(f"/coordinator/?date={DAY.isoformat()}").get_data(as_text=True)
    row = next(r for r in page.split('id="unplanned"')[1].split("<tr")[1:]
               if f"#{order_id}<" in r)
    assert f"Terugbrengen naar {place}: apotheekpakket" in row.replace("&#39;", "'")
    assert "de dag is vol" in row and 'class="menu"' not in row


def test_progress_late_hot_meals_and_schedule_as_the_page_polls_them(planner, tmp_path):
    """Planned at 11:00, looked at again at 14:00 with nothing done: every round is behind
    schedule, every planned hot meal is late (its window ends 12:45), said in Dutch, in the
    JSON the day page polls and on the page itself."""
    client = planner.test_client()
    login(client, "coordinator")
    plan_id = plan_day(client)["plan_id"]
    with db_session(planner) as s:
        hot = {o.id for o in s.scalars(select(Order).where(Order.hot_meal))}
        planned_hot = {int(v["order_id"]) for r in s.get(Plan, plan_id).payload["routes"]
                       for v in r["visits"] if v["action"] == "delivery"
                       and v["order_id"].isdigit() and int(v["order_id"]) in hot}
    assert planned_hot, "the demo day has no planned hot meal"
    later = make_app(tmp_path / "later", tmp_path / "plan.sqlite", NOW="14:00")
    desk = later.test_client()
    login(desk, "coordinator")
    status = desk.get(f"/coordinator/plan/status?date={DAY.isoformat()}").get_json()
    assert status["busy"] is False and status["plan_id"] == plan_id
    late = status["live"]["late_meals"]
    assert sorted(int(re.search(r"#(\d+)", t)[1]) for t in late) == sorted(planned_hot)
    assert all(t.startswith("Warme maaltijd #") and "min na het tijdvak" in t for t in late)
    rounds = status["live"]["rounds"]
    assert len(rounds) == 3 and all(r["done"].startswith("0 van ") for r in rounds.values())
    assert all(r["state"] == "behind" and r["schedule"].endswith("min achter op schema")
               for r in rounds.values() if r["next"])
    page = desk.get(f"/coordinator/?date={DAY.isoformat()}").get_data(as_text=True)
    alerts = page.split('id="alerts"')[1].split("</div>")[0]
    assert alerts.count('class="flash error late-meal"') == len(planned_hot)
    later.extensions["buurtroute.engine"].dispose()
