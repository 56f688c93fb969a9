"""The assistant's round: own round only, stops with labels and directions, afgeleverd /
niet thuis (and afterwards when it happened, on the round and on the coordinator's day),
GPX/GeoJSON; and the journey partner → coordinator → assistant on the demo area."""

from __future__ import annotations

import json
import re
from datetime import timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from sqlalchemy import select

from routing.model import hhmm

from tests.test_web_planning import app, plan_day, wait_for_plan  # noqa: F401 (fixture)
from tests.web_fixtures import (  # noqa: F401 (fixtures by name)
    DAY, accounts, bearer, csrf_token, db_session, login, make_app, seeded_db, tap, web_area)
from web.store import Order, Plan, User


def planned(app):
    client = app.test_client()
    login(client, "coordinator")
    status = plan_day(client)
    assert status["status"] == "done"
    return status


def round_of(app, plan_id: int, username: str) -> tuple[int, list[dict]]:
    with db_session(app) as s:
        aid = s.scalar(select(User).where(User.username == username)).assistant_id
        plan = s.get(Plan, plan_id)
        return aid, next(r["visits"] for r in plan.payload["routes"]
                         if r["assistant_id"] == str(aid))


def test_assistant_sees_own_round_only(app):
    status = planned(app)
    anna_id, visits = round_of(app, status["plan_id"], "anna")
    bram_id, _ = round_of(app, status["plan_id"], "bram")
    client = app.test_client()
    login(client, "anna")
    page = client.get("/assistant/").get_data(as_text=True)
    assert "Anna" in page and "<svg" in page
    deliveries = [v for v in visits if v["action"] == "delivery"]
    table = page.split('class="round-stops')[1]
    assert table.count("Afgeleverd") == len(deliveries) > 0
    cards = page.split('id="next-stops"')[1].split('id="toast"')[0]
    assert cards.count("Afgeleverd") == len(deliveries)  # a card for every door not done
    assert client.get(f"/assistant/{anna_id}").status_code == 200
    assert client.get(f"/assistant/{bram_id}").status_code == 403
    gpx = client.get("/assistant/round.gpx")
    assert gpx.status_code == 200 and b"<gpx" in gpx.data
    geo = json.loads(client.get("/assistant/round.geojson").data)
    assert geo["type"] == "FeatureCollection" and geo["features"]
    partner = app.test_client()
    login(partner, "apotheek1")
    assert partner.get("/assistant/").status_code == 403


def test_done_and_not_home_update_status_and_replan(app):
    status = planned(app)
    _, visits = round_of(app, status["plan_id"], "anna")
    first = [int(v["order_id"]) for v in visits if v["action"] == "delivery"][0]
    client = app.test_client()
    login(client, "anna")
    token = csrf_token(client, "/assistant/")
    assert client.post(f"/assistant/orders/{first}/status",
                       data={"csrf_token": token, "status": "delivered", "event_id": tap()}).status_code == 302
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    after = wait_for_plan(coordinator)
    assert after["status"] == "done" and after["plan_id"] != status["plan_id"]
    _, visits = round_of(app, after["plan_id"], "anna")
    second = next(int(v["order_id"]) for v in visits if v["action"] == "delivery"
                  and int(v["order_id"]) != first)
    assert client.post(f"/assistant/orders/{second}/status",
                       data={"csrf_token": token, "status": "not_home", "event_id": tap()}).status_code == 302
    wait_for_plan(coordinator)
    with db_session(app) as s:
        assert s.get(Order, first).status == "delivered"
        assert s.get(Order, second).status == "not_home"
        assert [e.status for e in s.get(Order, first).events][-1] == "delivered"
        plan = s.get(Plan, after["plan_id"])
        assert {"order_id": str(first), "action": "delivery"}.items() <= \
            next(d for d in plan.payload["done"] if d["action"] == "delivery").items()


def test_assistant_cannot_mark_another_round(app):
    status = planned(app)
    _, visits = round_of(app, status["plan_id"], "bram")
    theirs = int(next(v["order_id"] for v in visits if v["action"] == "delivery"))
    client = app.test_client()
    login(client, "anna")
    client.post(f"/assistant/orders/{theirs}/status",
                data={"csrf_token": csrf_token(client, "/assistant/"), "status": "delivered", "event_id": tap()})
    with db_session(app) as s:
        assert s.get(Order, theirs).status == "planned"


def test_journey_partner_to_coordinator_to_assistant(app):
    partner = app.test_client()
    with db_session(app) as s:
        from web.auth import new_token
        from web.store import Partner

        token = new_token(s, s.scalar(select(Partner).where(Partner.kind == "pharmacy")))
        s.commit()
    response = partner.post("/api/v1/orders", headers=bearer(token), json={
        "recipient": "J. Reis", "address": "Unioninkatu 29", "kind": "medicine",
        "service_date": DAY.isoformat()})
    assert response.status_code == 201, response.get_json()
    order_id = response.get_json()["id"]
    status = planned(app)
    with db_session(app) as s:
        plan = s.get(Plan, status["plan_id"])
        owner = [r["assistant_id"] for r in plan.payload["routes"]
                 if any(v["order_id"] == str(order_id) for v in r["visits"])]
        reason = [u for u in plan.payload["unplanned"] if u["order_id"] == str(order_id)]
        assert owner or reason
        if not owner:
            return
        username = s.scalar(select(User).where(User.assistant_id == int(owner[0]))).username
    client = app.test_client()
    login(client, username)
    page = client.get("/assistant/").get_data(as_text=True)
    assert "apotheekpakket" in page and "J.R." in page and "J. Reis" not in page
    row = re.search(rf'<tr class="stop delivery[^"]*" data-order="{order_id}"[^>]*>(.*?)</tr>',
                    page, re.S)
    assert "alleen persoonlijk" in row.group(1)  # medicine: handed over in person only
    client.post(f"/assistant/orders/{order_id}/status",
                data={"csrf_token": csrf_token(client, "/assistant/"), "status": "delivered", "event_id": tap()})
    with db_session(app) as s:
        assert s.get(Order, order_id).status == "delivered"


def local_time(event_at) -> str:
    """An order event's time (stored in UTC) on the clock of the service area."""
    return event_at.replace(tzinfo=timezone.utc).astimezone(
        ZoneInfo("Europe/Amsterdam")).strftime("%H:%M")


def delivery_row(page: str, order_id: int) -> tuple[str, str]:
    """(opening tag, cells) of ``order_id``'s delivery row in a page's round table."""
    for row in page.split("<tr ")[1:]:
        tag, _, rest = row.partition(">")
        if f'data-order="{order_id}"' in tag and " delivery " in tag and "-return" not in tag:
            return tag, rest.split("</tr>")[0]
    raise AssertionError(f"no delivery row for order {order_id}")


def test_done_stops_show_when_they_happened(app):
    status = planned(app)
    client = app.test_client()
    login(client, "anna")
    token = csrf_token(client, "/assistant/")
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    marked = []
    for mark in ("delivered", "not_home"):  # the next open stop of the round as it is now
        _, visits = round_of(app, status["plan_id"], "anna")
        order_id = next(int(v["order_id"]) for v in visits if v["action"] == "delivery"
                        and int(v["order_id"]) not in marked)
        assert client.post(f"/assistant/orders/{order_id}/status",
                           data={"csrf_token": token, "status": mark, "event_id": tap()}).status_code == 302
        marked.append(order_id)
        status = wait_for_plan(coordinator)
        assert status["status"] == "done"
    first, second = marked
    with db_session(app) as s:
        at = {o: local_time(s.get(Order, o).events[-1].at) for o in (first, second)}
        planned_at = {v["order_id"]: hhmm(v["arrival"]) for r in s.get(
            Plan, wait_for_plan(coordinator)["plan_id"]).payload["routes"] for v in r["visits"]
            if v["action"] == "delivery"}
    page = client.get("/assistant/").get_data(as_text=True)
    day = coordinator.get(f"/coordinator/?date={DAY.isoformat()}").get_data(as_text=True)
    for order_id, shown, mark in ((first, "bezorgd", "✓"), (second, "niet thuis", "✗")):
        tag, cells = delivery_row(page, order_id)
        assert " done" in tag
        assert f'<strong class="actual">{shown} om {at[order_id]}</strong>' in cells
        assert f"(gepland {planned_at[str(order_id)]})" in cells
        assert f'<span class="mark" aria-hidden="true">{mark}</span>' in cells
        assert "Afgeleverd</button>" not in cells  # nothing left to mark
        tag, cells = delivery_row(day, order_id)  # the board: when, and the status beside it
        assert " done" in tag and f'id="stop-{order_id}-delivery"' in tag
        assert (f'<span class="actual" title="gepland {planned_at[str(order_id)]}">'
                f'{at[order_id]}</span>') in cells and f">{shown}</span>" in cells
        assert 'class="menu"' not in cells  # what happened cannot be moved any more
    _, visits = round_of(app, wait_for_plan(coordinator)["plan_id"], "anna")
    open_stop = next(int(v["order_id"]) for v in visits if v["action"] == "delivery"
                     and v["order_id"].isdigit() and int(v["order_id"]) not in (first, second))
    tag, cells = delivery_row(page, open_stop)
    assert " done" not in tag and 'class="actual"' not in cells and "Afgeleverd" in cells


def return_row(page: str, order_id: int, action: str) -> tuple[str, str]:
    """(opening tag, cells) of the row that brings ``order_id``'s goods back."""
    for row in page.split("<tr ")[1:]:
        tag, _, rest = row.partition(">")
        if re.search(rf'id="([\w-]+-)?stop-{order_id}-{action}-return"', tag):
            return tag, rest.split("</tr>")[0]
    raise AssertionError(f"no return {action} row for order {order_id}")


def test_medicine_nobody_took_goes_back_to_the_pharmacy(app):
    """Niet thuis on a medicine delivery: the re-plan sends the assistant who rang back to the
    pharmacy with the package, before the end of the shift; "teruggebracht" closes it, and the
    pharmacy sees that status on its own order list. A meal nobody took does not go back."""
    status = planned(app)
    coordinator = app.test_client()
    login(coordinator, "coordinator")

    def first_open(plan_id: int, kind: str, assistant: int | None = None) -> tuple[int, str]:
        with db_session(app) as s:
            for r in s.get(Plan, plan_id).payload["routes"]:
                for v in r["visits"]:
                    order = s.get(Order, int(v["order_id"])) if v["order_id"].isdigit() else None
                    if (order is not None and v["action"] == "delivery" and order.kind == kind
                            and order.status == "planned"
                            and not (kind == "meal" and order.in_person)
                            and assistant in (None, int(r["assistant_id"]))):
                        return order.id, s.scalar(select(User).where(
                            User.assistant_id == int(r["assistant_id"]))).username
        raise AssertionError(f"no open {kind} delivery in plan {plan_id}")

    def not_home(order_id: int, username: str):
        who = app.test_client()
        login(who, username)
        assert who.post(f"/assistant/orders/{order_id}/status", data={
            "csrf_token": csrf_token(who, "/assistant/"), "status": "not_home", "event_id": tap()}).status_code == 302
        with db_session(app) as s:
            assert s.get(Order, order_id).status == "not_home"
        assert wait_for_plan(coordinator)["status"] == "done"
        return who

    meal, cook = first_open(status["plan_id"], "meal")
    other = not_home(meal, cook)
    anna = round_of(app, status["plan_id"], "anna")[0]
    medicine, _ = first_open(wait_for_plan(coordinator)["plan_id"], "medicine", anna)
    client = not_home(medicine, "anna")
    token = csrf_token(client, "/assistant/")
    after = wait_for_plan(coordinator)
    with db_session(app) as s:
        plan = s.get(Plan, after["plan_id"])
        order = s.get(Order, medicine)
        pharmacy = (order.pickup_lat, order.pickup_lon)
        assert plan.payload["violations"] == []
        route = next(r["visits"] for r in plan.payload["routes"]
                     if any(v["order_id"] == f"r{medicine}" for v in r["visits"]))
        stops = [(v["order_id"], v["action"]) for v in route]
        rang = stops.index((str(medicine), "delivery"))
        assert stops[rang + 1] == (f"r{medicine}", "pickup")  # taken along at the door
        back = route[stops.index((f"r{medicine}", "delivery"))]
        assert tuple(plan.payload["points"][back["location"]]) == pytest.approx(pharmacy)
        assert back["start"] >= route[rang]["start"]
        assert {"order_id": f"r{medicine}", "action": "pickup"}.items() <= next(
            d for d in plan.payload["done"] if d["order_id"] == f"r{medicine}").items()
        assert not any(v["order_id"] == f"r{meal}" for r in plan.payload["routes"]
                       for v in r["visits"])
    page = client.get("/assistant/").get_data(as_text=True)
    tag, cells = return_row(page, medicine, "delivery")
    assert " done" not in tag and "Terugbrengen naar" in cells and "apotheekpakket" in cells
    assert 'value="returned"' in cells and 'value="not_home"' not in cells
    tag, cells = return_row(page, medicine, "pickup")
    assert " done" in tag
    # a meal has nothing to bring back: its stop cannot be marked "returned"
    other.post(f"/assistant/orders/{meal}/status",
               data={"csrf_token": csrf_token(other, "/assistant/"), "status": "returned", "event_id": tap()})
    with db_session(app) as s:
        assert s.get(Order, meal).status == "not_home"
    assert client.post(f"/assistant/orders/{medicine}/status",
                       data={"csrf_token": token, "status": "returned", "event_id": tap()}).status_code == 302
    last = wait_for_plan(coordinator)
    with db_session(app) as s:
        order = s.get(Order, medicine)
        assert [e.status for e in order.events][-2:] == ["not_home", "returned"]
        at = local_time(order.events[-1].at)
        plan = s.get(Plan, last["plan_id"])
        assert plan.payload["violations"] == []
        assert {(d["order_id"], d["action"]) for d in plan.payload["done"]} >= {
            (str(medicine), "delivery"), (f"r{medicine}", "pickup"), (f"r{medicine}", "delivery")}
        owner = s.scalar(select(User).where(User.partner_id == order.partner_id)).username
    page = client.get("/assistant/").get_data(as_text=True)
    tag, cells = return_row(page, medicine, "delivery")
    assert " done" in tag and f'<strong class="actual">teruggebracht om {at}</strong>' in cells
    assert "Teruggebracht</button>" not in cells
    tag, cells = delivery_row(page, medicine)
    assert '<span class="mark" aria-hidden="true">✗</span>' in cells and "niet thuis om" in cells
    day = coordinator.get(f"/coordinator/?date={DAY.isoformat()}").get_data(as_text=True)
    assert return_row(day, medicine, "delivery")
    partner = app.test_client()
    login(partner, owner)
    assert "teruggebracht" in partner.get(f"/partner/orders/{medicine}").get_data(as_text=True)


def test_an_assistant_looks_ahead_at_her_next_planned_rounds(app, tmp_path):
    """On the day before, her round page links to the day's round (the page opens on today);
    the day itself lists no later round, and the coordinator's view of a round has no list."""
    status = planned(app)
    anna_id, visits = round_of(app, status["plan_id"], "anna")
    assert visits
    database = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    day_before = make_app(tmp_path / "day-before", database, TODAY=DAY - timedelta(days=1),
                          NOW="11:00")
    try:
        anna = day_before.test_client()
        login(anna, "anna")
        page = anna.get("/assistant/").get_data(as_text=True)
        nav = page.split('aria-labelledby="coming-heading"')[1].split("</nav>")[0]
        assert "Uw volgende rondes" in nav
        assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', nav) == [
            (f"/assistant/?date={DAY.isoformat()}",
             format_date(DAY, "EEEE d MMMM y", locale="nl"))]
        ahead = anna.get(f"/assistant/?date={DAY.isoformat()}").get_data(as_text=True)
        assert "coming-heading" not in ahead and 'class="round-stops' in ahead
        coordinator = day_before.test_client()
        login(coordinator, "coordinator")
        seen = coordinator.get(f"/assistant/{anna_id}").get_data(as_text=True)
        assert "coming-heading" not in seen
    finally:
        day_before.extensions["buurtroute.engine"].dispose()
