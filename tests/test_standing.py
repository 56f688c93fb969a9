"""Standing orders: their days (weekly, every N weeks), pauses, exceptions, a called-off day, a
switched-off resident, orders made exactly once per day (also by processes racing, on SQLite
and PostgreSQL), and refusals by field through the form, the CSV upload and the API."""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.pg_fixtures import *  # noqa: F401,F403 (fixtures by name)
from tests.test_postgres import any_app  # noqa: F401 (a fixture)
from tests.web_fixtures import (  # noqa: F401 (fixtures by name)
    DAY, accounts, app, bearer, client, csrf_token, db_session, login, post_form, seeded_db,
    web_area)
from web import admin_residents, standing
from web.store import Order, OrderEvent, Partner, Resident, StandingOrder, StandingPause


@pytest.fixture(scope="session")
def area(web_area):  # pg_fixtures' seeding asks for ``area``
    return web_area


def next_weekday(weekday: int, after: date = DAY) -> date:
    """The first ``weekday`` (Monday 0) after ``after``."""
    return after + timedelta(days=(weekday - after.weekday() - 1) % 7 + 1)


MONDAY = next_weekday(0)


def token_of(app, accounts, kind: str) -> str:
    with db_session(app) as s:
        name = s.scalar(select(Partner.name).where(Partner.kind == kind))
    return accounts.tokens[name]


def an_address(app) -> str:
    with db_session(app) as s:
        return s.scalar(select(Resident.address).order_by(Resident.id))


def meals(app, accounts, **extra) -> dict:
    """A meal kitchen's Mon/Wed/Fri standing order through the API, from Monday."""
    body = {"recipient": "T. Vaste", "address": an_address(app), "kind": "meal",
            "weekdays": ["mon", "wed", "fri"], "start_date": MONDAY.isoformat(),
            "windows": [{"start": "11:30", "end": "12:30"}], **extra}
    response = app.test_client().post("/api/v1/standing-orders", json=body,
                                      headers=bearer(token_of(app, accounts, "meal_kitchen")))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def listed(app, accounts, day: date) -> list[dict]:
    """The meal kitchen's orders of ``day`` as the API lists them (which makes them)."""
    response = app.test_client().get(f"/api/v1/orders?date={day.isoformat()}",
                                     headers=bearer(token_of(app, accounts, "meal_kitchen")))
    assert response.status_code == 200
    return [o for o in response.get_json()["orders"] if o["standing_order_id"]]


# --- the days -----------------------------------------------------------------------------------

def test_weekly_and_every_n_weeks_days():
    start = date(2026, 11, 30)  # a Monday
    weekly = standing.Repeat((0, 2, 4), 1, start, date(2026, 12, 13))
    assert weekly.dates(date(2026, 11, 25), date(2026, 12, 31)) == [
        date(2026, 11, 30), date(2026, 12, 2), date(2026, 12, 4), date(2026, 12, 7),
        date(2026, 12, 9), date(2026, 12, 11)]
    # every other week on Thursday, from a Wednesday start: the start's week counts
    fortnightly = standing.Repeat((3,), 2, date(2026, 12, 2), None)
    assert fortnightly.dates(date(2026, 12, 1), date(2027, 1, 31)) == [
        date(2026, 12, 3), date(2026, 12, 17), date(2026, 12, 31), date(2027, 1, 14),
        date(2027, 1, 28)]
    every_three = standing.Repeat((6,), 3, date(2026, 11, 29), None)  # a Sunday start
    assert every_three.dates(date(2026, 11, 29), date(2027, 1, 10)) == [
        date(2026, 11, 29), date(2026, 12, 20), date(2027, 1, 10)]
    assert standing.weekdays_from_text("ma, Wo/vrijdag") == ["mon", "wed", "fri"]
    assert standing.weekdays_from_text("mon funday") is None


def test_a_days_orders_are_made_once_whoever_asks_first(app, accounts):
    made = meals(app, accounts)
    assert made["weekdays"] == ["mon", "wed", "fri"]
    assert [c["date"] for c in made["coming"][:3]] == [
        MONDAY.isoformat(), (MONDAY + timedelta(days=2)).isoformat(),
        (MONDAY + timedelta(days=4)).isoformat()]
    monday = listed(app, accounts, MONDAY)
    assert len(monday) == 1 and monday[0]["standing_order_id"] == made["id"]
    assert monday[0]["kind"] == "meal" and monday[0]["hot_meal"] is True
    assert monday[0]["windows"] == [{"start": "11:30", "end": "12:30"}]
    assert listed(app, accounts, MONDAY + timedelta(days=1)) == []  # Tuesday
    # the partner's page and the coordinator's day find Monday's order made: no second one
    partner = app.test_client()
    login(partner, "keuken")
    page = partner.get(f"/partner/orders?date={MONDAY.isoformat()}").get_data(as_text=True)
    assert f"/partner/orders/{monday[0]['id']}\"" in page
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    assert coordinator.get(f"/coordinator/?date={MONDAY.isoformat()}").status_code == 200
    assert listed(app, accounts, MONDAY) == monday
    with db_session(app) as s:
        assert s.scalar(select(func.count(Order.id)).where(
            Order.standing_order_id == made["id"])) == 1
        events = s.scalars(select(OrderEvent).where(
            OrderEvent.order_id == monday[0]["id"])).all()
        assert [e.status for e in events] == ["submitted"]
    # a materialised order is an order: the partner cancels it; asking again does not remake it
    token = token_of(app, accounts, "meal_kitchen")
    cancel = app.test_client().post(f"/api/v1/orders/{monday[0]['id']}/cancel",
                                    headers=bearer(token))
    assert cancel.status_code == 200 and cancel.get_json()["status"] == "cancelled"
    again = listed(app, accounts, MONDAY)
    assert [(o["id"], o["status"]) for o in again] == [(monday[0]["id"], "cancelled")]


def test_days_before_today_are_left_alone(app, accounts):
    made = meals(app, accounts)
    with db_session(app) as s:
        row = s.get(StandingOrder, made["id"])
        row.start_date = DAY - timedelta(days=14)
        s.commit()
        past = next_weekday(0, DAY - timedelta(days=8))
        assert standing.materialise(s, past, DAY) == []
        assert s.scalar(select(func.count(Order.id)).where(
            Order.standing_order_id == row.id)) == 0


def test_pause_exception_and_a_called_off_day(app, accounts):
    made = meals(app, accounts)
    token = token_of(app, accounts, "meal_kitchen")
    api = app.test_client()
    monday = listed(app, accounts, MONDAY)[0]
    # in hospital Monday to Wednesday: Monday's order (already made) is cancelled, Wednesday
    # gets none; Friday goes on
    pause = api.post(f"/api/v1/standing-orders/{made['id']}/pauses", headers=bearer(token),
                     json={"start_date": MONDAY.isoformat(),
                           "end_date": (MONDAY + timedelta(days=2)).isoformat(),
                           "reason": "ziekenhuis"})
    assert pause.status_code == 200, pause.get_json()
    coming = {c["date"]: c for c in pause.get_json()["coming"]}
    assert coming[MONDAY.isoformat()]["paused"] and coming[MONDAY.isoformat()]["status"] \
        == "cancelled"
    assert coming[(MONDAY + timedelta(days=2)).isoformat()]["paused"]
    assert not coming[(MONDAY + timedelta(days=4)).isoformat()]["paused"]
    assert api.get(f"/api/v1/orders/{monday['id']}", headers=bearer(token)).get_json()[
        "status"] == "cancelled"
    assert listed(app, accounts, MONDAY + timedelta(days=2)) == []
    friday = MONDAY + timedelta(days=4)
    assert len(listed(app, accounts, friday)) == 1
    # one day called off: the Friday order (made) is cancelled; the next Monday (not made
    # yet) gets none
    next_monday = MONDAY + timedelta(days=7)
    for day in (friday, next_monday):
        off = api.post(f"/api/v1/standing-orders/{made['id']}/cancel-day",
                       headers=bearer(token), json={"date": day.isoformat()})
        assert off.status_code == 200, off.get_json()
    assert [o["status"] for o in listed(app, accounts, friday)] == ["cancelled"]
    assert listed(app, accounts, next_monday) == []
    assert len(listed(app, accounts, next_monday + timedelta(days=2))) == 1
    # a day that is not one of its days is refused by name
    tuesday = api.post(f"/api/v1/standing-orders/{made['id']}/cancel-day",
                       headers=bearer(token), json={"date": (MONDAY + timedelta(
                           days=1)).isoformat()})
    assert tuesday.status_code == 422 and "date" in tuesday.get_json()["fields"]


def test_the_coordinator_pauses_all_of_a_residents_standing_orders(app, accounts):
    first = meals(app, accounts)
    second = meals(app, accounts, weekdays=["tue"], reference="vast-2")
    with db_session(app) as s:
        resident_id = s.get(StandingOrder, first["id"]).resident_id
        assert s.get(StandingOrder, second["id"]).resident_id == resident_id
    assert len(listed(app, accounts, MONDAY)) == 1
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    page = f"/coordinator/standing-orders?resident={resident_id}"
    text = coordinator.get(page).get_data(as_text=True)
    assert "Alle vaste bestellingen van T. Vaste pauzeren" in text
    response = post_form(coordinator, f"/coordinator/standing-orders/residents/{resident_id}"
                         "/pause", {"start_date": MONDAY.isoformat(),
                                    "end_date": (MONDAY + timedelta(days=6)).isoformat(),
                                    "reason": "ziekenhuis"}, page=page)
    assert response.status_code == 302
    said = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    assert (f"Gepauzeerd van {standing_day_nl(MONDAY)} tot en met "
            f"{standing_day_nl(MONDAY + timedelta(days=6))}; 1 bestelling geannuleerd.") in said
    [cancelled] = listed(app, accounts, MONDAY)
    assert cancelled["status"] == "cancelled"
    # the kitchen sees why its Monday order was cancelled: the resident's pause
    kitchen = app.test_client()
    login(kitchen, "keuken")
    detail = kitchen.get(f"/partner/standing-orders/{first['id']}").get_data(as_text=True)
    monday = detail.split(f'data-label="Datum">{standing_day_nl(MONDAY)}</th>')[1].split(
        "</tr>")[0]
    assert f"#{cancelled['id']}" in monday and "geannuleerd" in monday
    assert "gepauzeerd (ziekenhuis)" in monday
    for offset in range(1, 7):
        assert listed(app, accounts, MONDAY + timedelta(days=offset)) == []
    assert len(listed(app, accounts, MONDAY + timedelta(days=7))) == 1  # Monday after
    assert len(listed(app, accounts, MONDAY + timedelta(days=8))) == 1  # the Tuesday one
    with db_session(app) as s:
        pause = s.scalars(select(StandingPause)).one()
        assert pause.standing_order_id is None and pause.resident_id == resident_id
    # a pause in the past, or ending before it starts, is refused by field
    bad = post_form(coordinator, f"/coordinator/standing-orders/residents/{resident_id}/pause",
                    {"start_date": MONDAY.isoformat(),
                     "end_date": (MONDAY - timedelta(days=1)).isoformat()}, page=page,
                    follow_redirects=True).get_data(as_text=True)
    assert "Tot en met: ligt vóór de begindatum" in bad
    with db_session(app) as s:
        assert s.scalar(select(func.count(StandingPause.id))) == 1


def test_a_switched_off_resident_gets_no_more_orders(app, accounts):
    made = meals(app, accounts)
    wednesday = MONDAY + timedelta(days=2)
    monday = listed(app, accounts, MONDAY)[0]  # made before the resident moved away
    with db_session(app) as s:
        resident = s.get(StandingOrder, made["id"]).resident
        cancelled = admin_residents.switch_off(s, resident, DAY)  # as the page and the CLI do
        s.commit()
        assert [o.id for o in cancelled] == [monday["id"]]
    assert [o["status"] for o in listed(app, accounts, MONDAY)] == ["cancelled"]
    assert listed(app, accounts, wednesday) == []
    again = app.test_client().post("/api/v1/standing-orders", headers=bearer(
        token_of(app, accounts, "meal_kitchen")), json={
        "recipient": "T. Vaste", "address": an_address(app), "kind": "meal",
        "weekdays": ["tue"], "start_date": MONDAY.isoformat()})
    assert again.status_code == 422 and "recipient" in again.get_json()["fields"]


def test_a_merged_duplicate_hands_its_standing_orders_and_pauses_to_the_kept_resident(
        app, accounts):
    made = meals(app, accounts)
    wednesday = MONDAY + timedelta(days=2)
    with db_session(app) as s:
        duplicate = s.get(StandingOrder, made["id"]).resident
        kept = Resident(name="Tineke Vaste", address=duplicate.address, lat=duplicate.lat,
                        lon=duplicate.lon, buurt=duplicate.buurt)
        s.add(kept)
        s.flush()
        standing.pause(s, duplicate, None, wednesday, wednesday, "ziekenhuis")
        s.commit()
        gone, kept_id = duplicate.id, kept.id
        admin_residents.merge(s, kept, duplicate)
        s.commit()
        assert s.get(Resident, gone) is None
        assert s.get(StandingOrder, made["id"]).resident_id == kept_id
        assert s.scalars(select(StandingPause.resident_id)).all() == [kept_id]
    monday = listed(app, accounts, MONDAY)
    assert [(o["status"], o["recipient"]) for o in monday] == [("submitted", "Tineke Vaste")]
    assert listed(app, accounts, wednesday) == []  # the pause still holds


def test_a_partner_that_stopped_serving_the_cooperative_makes_no_more_orders(app, accounts):
    from web.store import PartnerLink

    made = meals(app, accounts)
    with db_session(app) as s:
        link = s.scalars(select(PartnerLink).where(
            PartnerLink.partner_id == s.get(StandingOrder, made["id"]).partner_id)).one()
        link.active = False
        s.commit()
        assert standing.materialise(s, MONDAY, DAY) == []
        link.active = True
        s.commit()
        assert len(standing.materialise(s, MONDAY, DAY)) == 1


# --- exactly once, with processes racing ------------------------------------------------------

def test_orders_are_made_exactly_once_by_racing_workers(any_app):
    """Eight workers, each with its own connection, make Monday's orders at the same moment:
    one order per standing order, each with one history line, on SQLite and PostgreSQL."""
    app, accounts = any_app
    ids = [meals(app, accounts, reference=f"race-{i}", weekdays=["mon"])["id"]
           for i in range(3)]
    barrier = threading.Barrier(8)
    made: list[list[int]] = []
    failures: list[BaseException] = []

    def work():
        session = db_session(app)
        try:
            barrier.wait()
            made.append(standing.materialise(session, MONDAY, DAY))
        except BaseException as exc:  # noqa: BLE001 (reported below)
            failures.append(exc)
        finally:
            session.close()

    workers = [threading.Thread(target=work) for _ in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not failures, failures
    assert sorted(i for m in made for i in m) == sorted(set(i for m in made for i in m))
    assert len([i for m in made for i in m]) == 3
    with db_session(app) as s:
        rows = s.scalars(select(Order).where(Order.standing_order_id.in_(ids))).all()
        assert sorted(o.standing_order_id for o in rows) == sorted(ids)
        assert all(o.service_date == MONDAY for o in rows)
        events = s.scalars(select(OrderEvent).where(
            OrderEvent.order_id.in_([o.id for o in rows]))).all()
        assert sorted(e.order_id for e in events) == sorted(o.id for o in rows)


def test_the_database_refuses_a_second_order_of_a_standing_order_on_one_day(any_app):
    from sqlalchemy.exc import IntegrityError

    app, accounts = any_app
    made = meals(app, accounts)
    listed(app, accounts, MONDAY)
    with db_session(app) as s:
        twin = s.scalars(select(Order).where(Order.standing_order_id == made["id"])).one()
        s.add(Order(org_id=twin.org_id, partner_id=twin.partner_id,
                    resident_id=twin.resident_id, service_date=MONDAY, kind="meal",
                    standing_order_id=made["id"]))
        with pytest.raises(IntegrityError):
            s.commit()


# --- bad input, by field, nothing stored ------------------------------------------------------

def count_standing(app) -> int:
    with db_session(app) as s:
        return s.scalar(select(func.count(StandingOrder.id)))


def test_api_refuses_bad_standing_orders_by_field(app, accounts):
    token = token_of(app, accounts, "meal_kitchen")
    api = app.test_client()
    base = {"recipient": "T. Vaste", "address": an_address(app), "kind": "meal",
            "weekdays": ["mon"], "start_date": MONDAY.isoformat()}
    cases = [
        ({"weekdays": ["monday"]}, "weekdays"), ({"weekdays": []}, "weekdays"),
        ({"weekdays": "mon"}, "weekdays"), ({"every_weeks": 0}, "every_weeks"),
        ({"every_weeks": 9}, "every_weeks"), ({"every_weeks": "2"}, "every_weeks"),
        ({"end_date": (MONDAY - timedelta(days=1)).isoformat()}, "end_date"),
        ({"end_date": "2026-02-30"}, "end_date"), ({"start_date": "30-11-2026"}, "start_date"),
        ({"start_date": (DAY - timedelta(days=1)).isoformat()}, "start_date"),
        ({"service_date": MONDAY.isoformat()}, "service_date"),
        ({"kind": "medicine"}, "kind"), ({"address": "Nowhere street 99999"}, "address"),
        ({"note": "2 tabletten 500 mg"}, "note"), ({"colour": "red"}, "colour"),
    ]
    for change, name in cases:
        response = api.post("/api/v1/standing-orders", json={**base, **change},
                            headers=bearer(token))
        assert response.status_code == 422, (change, response.get_json())
        assert name in response.get_json()["fields"], (change, response.get_json())
    assert count_standing(app) == 0
    made = meals(app, accounts, reference="vast-1")
    twin = api.post("/api/v1/standing-orders", json={**base, "reference": "vast-1"},
                    headers=bearer(token))
    assert twin.status_code == 409 and "reference" in twin.get_json()["fields"]
    for body, name in (({"start_date": "morgen"}, "start_date"),
                       ({"start_date": MONDAY.isoformat(), "end_date": DAY.isoformat()},
                        "end_date"), ({"start_date": MONDAY.isoformat(), "x": 1}, "x"),
                       ({"start_date": MONDAY.isoformat(), "reason": "1 pil"}, "reason")):
        response = api.post(f"/api/v1/standing-orders/{made['id']}/pauses", json=body,
                            headers=bearer(token))
        assert response.status_code == 422 and name in response.get_json()["fields"], body
    with db_session(app) as s:
        assert s.scalar(select(func.count(StandingPause.id))) == 0


def test_the_form_refuses_by_field_and_keeps_what_was_typed(app):
    partner = app.test_client()
    login(partner, "keuken")
    form = {"recipient": "T. Vaste", "address": an_address(app), "kind": "meal",
            "start_date": MONDAY.isoformat(), "end_date": DAY.isoformat(), "every_weeks": "x",
            "window1_start": "11:30", "window1_end": "12:30"}
    response = post_form(partner, "/partner/standing-orders/new", form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Dagen</a>: is verplicht" in page
    assert "Om de hoeveel weken</a>: moet een heel getal zijn" in page
    assert "Laatste dag</a>: ligt vóór de begindatum" in page
    assert 'value="T. Vaste"' in page
    # each line of the summary leads to its field; the weekdays' reason is read with them
    summary = page.split('id="form-errors"')[1].split("</div>")[0]
    for target in re.findall(r'href="#([^"]+)"', summary):
        assert f'id="{target}"' in page, target
    assert 'aria-describedby="weekdays-error"' in page and 'id="weekdays-error"' in page
    assert count_standing(app) == 0
    good = post_form(partner, "/partner/standing-orders/new",
                     {**form, "end_date": "", "every_weeks": "2",
                      "weekdays": ["mon", "thu"]})
    assert good.status_code == 302
    with db_session(app) as s:
        row = s.scalars(select(StandingOrder)).one()
        assert (row.weekdays, row.every_weeks, row.windows) == ([0, 3], 2,
                                                                [["11:30", "12:30"]])
    detail = partner.get(good.headers["Location"]).get_data(as_text=True)
    assert standing_day_nl(MONDAY) in detail


def test_a_kitchens_new_standing_meal_is_hot_as_its_orders_are(app):
    kitchen, pharmacy = app.test_client(), app.test_client()
    login(kitchen, "keuken")
    login(pharmacy, "apotheek1")
    checked = re.compile(r'<input id="f-(hot_meal|in_person)"[^>]* checked>')
    assert checked.findall(kitchen.get("/partner/standing-orders/new").get_data(
        as_text=True)) == ["hot_meal"]
    assert checked.findall(pharmacy.get("/partner/standing-orders/new").get_data(
        as_text=True)) == ["in_person"]
    made = post_form(kitchen, "/partner/standing-orders/new", {
        "recipient": "T. Warm", "address": an_address(app), "kind": "meal",
        "weekdays": ["mon"], "start_date": MONDAY.isoformat(), "hot_meal": "yes"})
    assert made.status_code == 302
    detail = kitchen.get(made.headers["Location"]).get_data(as_text=True)
    assert re.search(r"<h1>Vaste bestelling #\d+ · maaltijd \(warme maaltijd\)</h1>", detail)


def standing_day_nl(day: date) -> str:
    names = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
    months = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
              "september", "oktober", "november", "december")
    return f"{names[day.weekday()]} {day.day} {months[day.month - 1]} {day.year}"


def test_csv_stores_good_rows_and_names_the_bad_ones(app):
    partner = app.test_client()
    login(partner, "keuken")
    address = an_address(app)
    text = ("naam;adres;soort;weekdagen;om_de_weken;startdatum;einddatum;tijdvak;kenmerk\n"
            f"A. Een;{address};meal;ma wo vr;1;{MONDAY};;11:30-12:30;k-1\n"
            f"B. Twee;{address};meal;zondag;3;{MONDAY};;;k-2\n"
            f"C. Drie;{address};meal;maandag funday;1;{MONDAY};;;k-3\n"
            f"D. Vier;{address};meal;di;1;{MONDAY};{DAY};;k-4\n"
            f"E. Vijf;{address};meal;do;1;{MONDAY};;;k-1\n")
    import io

    response = partner.post("/partner/standing-orders/upload", data={
        "csrf_token": csrf_token(partner, "/partner/standing-orders/upload"),
        "file": (io.BytesIO(text.encode()), "vast.csv")}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2 vaste bestellingen opgeslagen, 3 rijen met fouten" in page
    assert "<td>4</td><td>weekdays</td>" in page
    assert "<td>5</td><td>end_date</td>" in page
    assert "<td>6</td><td>reference</td>" in page
    with db_session(app) as s:
        rows = {r.reference: r for r in s.scalars(select(StandingOrder))}
        assert set(rows) == {"k-1", "k-2"}
        assert rows["k-1"].weekdays == [0, 2, 4] and rows["k-2"].every_weeks == 3


def test_a_residents_copy_holds_their_standing_orders_and_erasure_removes_them(app, accounts):
    from web import rights

    made = meals(app, accounts)
    listed(app, accounts, MONDAY)  # an order made from it
    token = token_of(app, accounts, "meal_kitchen")
    api = app.test_client()
    assert api.post(f"/api/v1/standing-orders/{made['id']}/pauses", headers=bearer(token),
                    json={"start_date": (MONDAY + timedelta(days=7)).isoformat()}
                    ).status_code == 200
    with db_session(app) as s:
        resident = s.get(StandingOrder, made["id"]).resident
        copy = rights.export(s, resident)
        assert [(x["id"], x["weekdays"]) for x in copy["standing_orders"]] == [
            (made["id"], [0, 2, 4])]
        assert [p["from"] for p in copy["pauses"]] == [(MONDAY + timedelta(days=7)).isoformat()]
        with pytest.raises(rights.Refused):  # Monday's order is still to come
            rights.erase(s, resident.id, DAY)
        s.rollback()
    ended = api.post(f"/api/v1/standing-orders/{made['id']}/end", headers=bearer(token),
                     json={"last_date": DAY.isoformat()})
    assert ended.status_code == 200 and ended.get_json()["end_date"] == DAY.isoformat()
    assert [o["status"] for o in listed(app, accounts, MONDAY)] == ["cancelled"]
    with db_session(app) as s:
        resident_id = s.get(StandingOrder, made["id"]).resident_id
        counts = rights.erase(s, resident_id, DAY)
        s.commit()
        assert (counts["standing_orders"], counts["standing_pauses"]) == (1, 1)
        assert s.get(Resident, resident_id) is None
        assert s.scalar(select(func.count(StandingOrder.id))) == 0


def test_the_coordinator_makes_a_standing_order_for_a_partner(app):
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    with db_session(app) as s:
        kitchen = s.scalar(select(Partner).where(Partner.kind == "meal_kitchen"))
    form = {"recipient": "K. Coord", "address": an_address(app), "kind": "meal",
            "weekdays": ["wed"], "every_weeks": "1", "start_date": MONDAY.isoformat()}
    refused = post_form(coordinator, "/coordinator/standing-orders/new",
                        {**form, "partner_id": "999999"})
    assert refused.status_code == 422
    assert "Partner</a>: is geen van de partners" in refused.get_data(as_text=True)
    assert count_standing(app) == 0
    made = post_form(coordinator, "/coordinator/standing-orders/new",
                     {**form, "partner_id": str(kitchen.id)})
    assert made.status_code == 302
    with db_session(app) as s:
        row = s.scalars(select(StandingOrder)).one()
        assert (row.partner_id, row.weekdays, row.created_by is not None) == (
            kitchen.id, [2], True)
    detail = coordinator.get(made.headers["Location"]).get_data(as_text=True)
    assert standing_day_nl(MONDAY + timedelta(days=2)) in detail and "woensdag" in detail
    # the kitchen sees it among its own
    partner = app.test_client()
    login(partner, "keuken")
    assert f"/partner/standing-orders/{row.id}\"" in partner.get(
        "/partner/standing-orders").get_data(as_text=True)


def test_the_partner_pauses_calls_off_and_ends_on_the_page(app, accounts):
    made = meals(app, accounts)
    partner = app.test_client()
    login(partner, "keuken")
    page = f"/partner/standing-orders/{made['id']}"
    wednesday, friday = MONDAY + timedelta(days=2), MONDAY + timedelta(days=4)
    paused = post_form(partner, f"{page}/pause", {"start_date": MONDAY.isoformat(),
                                                  "reason": "tandarts"}, page=page,
                       follow_redirects=True).get_data(as_text=True)
    assert f"Gepauzeerd van {standing_day_nl(MONDAY)} tot en met {standing_day_nl(MONDAY)}" \
        in paused
    off = post_form(partner, f"{page}/cancel-day", {"date": wednesday.isoformat()}, page=page,
                    follow_redirects=True).get_data(as_text=True)
    assert f"{standing_day_nl(wednesday)}: afgezegd." in off
    refused = post_form(partner, f"{page}/cancel-day", {"date": "2026-02-30"}, page=page,
                        follow_redirects=True).get_data(as_text=True)
    assert "Datum: moet een datum zijn zoals 2025-03-14" in refused
    assert listed(app, accounts, MONDAY) == listed(app, accounts, wednesday) == []
    assert len(listed(app, accounts, friday)) == 1
    ended = post_form(partner, f"{page}/end", {"when": "today"}, page=page,
                      follow_redirects=True).get_data(as_text=True)
    assert f"Vaste bestelling {made['id']} beëindigd." in ended
    assert [o["status"] for o in listed(app, accounts, friday)] == ["cancelled"]
    with db_session(app) as s:
        assert s.get(StandingOrder, made["id"]).end_date == DAY
        assert sorted((p.start_date, p.end_date) for p in s.scalars(select(StandingPause))) \
            == [(MONDAY, MONDAY), (wednesday, wednesday)]
