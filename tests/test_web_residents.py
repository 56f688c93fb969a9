"""The coordinator's residents page on the seeded demo day: the list and its buurt filter, the
edit form (praatje, regular assistant, phone) with field errors that keep what was typed, the
phone kept from partners, and the next plan giving the resident the longer praatje."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from tests.test_web_planning import app, plan_day  # noqa: F401 (fixture by name)
from tests.web_fixtures import (  # noqa: F401 (fixtures by name)
    DAY, accounts, bearer, db_session, login, post_form, seeded_db, web_area)
from web.adapter import day_input, praatje_minutes
from web.store import Assistant, Order, Plan, Resident, Shift, User


def coordinator(app):
    client = app.test_client()
    login(client, "coordinator")
    return client


def test_list_shows_every_resident_and_filters_by_buurt(app):
    with db_session(app) as s:
        residents = s.scalars(select(Resident)).all()
        buurt = sorted({r.buurt for r in residents if r.buurt})[0]
        in_buurt = {r.address for r in residents if r.buurt == buurt}
        busy = s.scalars(select(Order).where(Order.status == "submitted")).first().resident
        open_orders = s.scalar(select(func.count(Order.id)).where(
            Order.resident_id == busy.id, Order.status.in_(("submitted", "planned"))))
        busy.praatje_minutes, busy.regular_assistant_id = 25, 2
        bram = s.get(Assistant, 2).name
        s.commit()
        busy_id = busy.id
    client = coordinator(app)
    page = client.get("/coordinator/residents").get_data(as_text=True)
    assert page.count('<tr id="resident-') == len(residents)
    row = page.split(f'<tr id="resident-{busy_id}">')[1].split("</tr>")[0]
    cells = re.findall(r'data-label="([^"]+)"[^>]*>(.*?)</t[dh]>', row)
    assert dict(cells)["Gebruikelijk praatje"] == "25 min"
    assert dict(cells)["Vaste assistent"] == bram
    assert dict(cells)["Open bestellingen"] == str(open_orders) and open_orders > 0
    filtered = client.get("/coordinator/residents", query_string={"buurt": buurt})
    text = filtered.get_data(as_text=True)
    shown = set(re.findall(r'data-label="Adres">([^<]+)</td>', text))
    assert shown == in_buurt and len(shown) < len(residents)
    assert f'<option value="{buurt}" selected>' in text


def test_bad_values_are_refused_by_field_and_nothing_is_lost(app):
    with db_session(app) as s:
        resident = s.scalars(select(Resident)).first()
        before = (resident.praatje_minutes, resident.regular_assistant_id, resident.phone)
        rid = resident.id
    client = coordinator(app)
    url = f"/coordinator/residents/{rid}"
    cases = [
        ({"praatje_minutes": "121", "regular_assistant_id": "1", "phone": "+31 6 1234 5678"},
         "praatje_minutes", "moet tussen 0 en 120 liggen"),
        ({"praatje_minutes": "tien", "regular_assistant_id": "", "phone": ""},
         "praatje_minutes", "moet een heel getal zijn"),
        ({"praatje_minutes": "20", "regular_assistant_id": "999", "phone": ""},
         "regular_assistant_id", "is geen van de assistenten"),
        ({"praatje_minutes": "20", "regular_assistant_id": "", "phone": "bel de buren"},
         "phone", "is geen telefoonnummer"),
    ]
    for form, field, reason in cases:
        response = post_form(client, url, form)
        page = response.get_data(as_text=True)
        assert response.status_code == 422, form
        assert f'id="f-{field}-error">{reason}<' in page, (field, reason)
        assert 'role="alert"' in page and f'href="#f-{field}"' in page
        for name in ("praatje_minutes", "phone"):  # what was typed comes back
            if form[name]:
                assert re.search(rf'id="f-{name}"[^>]*value="{re.escape(form[name])}"', page), \
                    name
        if form["regular_assistant_id"] == "1":
            assert '<option value="1" selected>' in page
    assert client.post(url, data={"praatje_minutes": "30"}).status_code == 400  # no CSRF
    with db_session(app) as s:
        r = s.get(Resident, rid)
        assert (r.praatje_minutes, r.regular_assistant_id, r.phone) == before


def test_phone_is_kept_from_partners(app, accounts):
    with db_session(app) as s:
        user = s.scalar(select(User).where(User.username == "apotheek1"))
        order = s.scalars(select(Order).where(Order.partner_id == user.partner_id)).first()
        rid, oid = order.resident_id, order.id
    client = coordinator(app)
    saved = post_form(client, f"/coordinator/residents/{rid}",
                      {"praatje_minutes": "", "regular_assistant_id": "", "phone": "030 123 4567"})
    assert saved.status_code == 302
    assert 'value="030 123 4567"' in client.get(f"/coordinator/residents/{rid}").get_data(
        as_text=True)
    partner = app.test_client()
    login(partner, "apotheek1")
    for path in (f"/partner/orders/{oid}", f"/partner/orders?date={DAY.isoformat()}"):
        assert "030 123 4567" not in partner.get(path).get_data(as_text=True), path
    token = list(accounts.tokens.values())[0]  # apotheek1's pharmacy
    api = app.test_client().get(f"/api/v1/orders/{oid}", headers=bearer(token))
    assert api.status_code == 200 and "030 123 4567" not in api.get_data(as_text=True)
    with db_session(app) as s:
        assert s.get(Resident, rid).phone == "030 123 4567"


def test_the_usual_praatje_is_a_floor_for_every_order():
    """The planner gets the longer of the partner's ask and the resident's usual praatje."""
    resident = Resident(name="A.", address="x", lat=0.0, lon=0.0)
    order = Order(kind="meal", resident=resident)
    for asked, usual, expected in ((None, None, None), (None, 20, 20), (10, None, 10),
                                   (10, 20, 20), (30, 20, 30), (0, None, 0)):
        order.praatje_minutes, resident.praatje_minutes = asked, usual
        assert praatje_minutes(order) == expected, (asked, usual)


def test_next_plan_gives_the_resident_the_longer_praatje_and_the_regular(app):
    client = coordinator(app)
    first = plan_day(client)
    assert first["status"] == "done"
    with db_session(app) as s:
        plan = s.get(Plan, first["plan_id"])
        route, visit = next((r, v) for r in plan.payload["routes"] for v in r["visits"]
                            if v["action"] == "delivery")
        order = s.get(Order, int(visit["order_id"]))
        asked, rid, oid = order.praatje_minutes, order.resident_id, order.id
        assert order.resident.praatje_minutes is None and asked is not None
        service_before = visit["end"] - visit["start"]
        assistant = route["assistant_id"]
    longer = asked + 30
    edit = f"/coordinator/residents/{rid}"
    saved = post_form(client, edit, {"praatje_minutes": str(longer),
                                     "regular_assistant_id": assistant, "phone": ""})
    assert saved.status_code == 302
    page = client.get(edit).get_data(as_text=True)
    row = page.split(f'<tr id="order-{oid}">')[1].split("</tr>")[0]
    assert f"{asked} min" in row and f'class="next-praatje">{longer} min<' in row
    with db_session(app) as s:  # the planner's input: the regular is the assistant's
        orders = s.scalars(select(Order).where(Order.service_date == DAY)).all()
        shifts = s.scalars(select(Shift).where(Shift.service_date == DAY)).all()
        day = day_input(orders, shifts, (0.0, 0.0))
        assert str(rid) in next(a for a in day.assistants if a.id == assistant).regulars
    second = plan_day(client)
    assert second["status"] == "done" and second["plan_id"] != first["plan_id"]
    with db_session(app) as s:
        plan = s.get(Plan, second["plan_id"])
        assert plan.payload["praatje"][str(oid)] == longer * 60
        visit = next(v for r in plan.payload["routes"] for v in r["visits"]
                     if v["order_id"] == str(oid) and v["action"] == "delivery")
        assert visit["end"] - visit["start"] == service_before + 30 * 60
    page = client.get(edit).get_data(as_text=True)
    row = page.split(f'<tr id="order-{oid}">')[1].split("</tr>")[0]
    assert row.count(f"{longer} min") == 2  # the current plan now has it too


def test_only_the_coordinator_opens_residents(app):
    for user in ("apotheek1", "anna"):
        client = app.test_client()
        login(client, user)
        assert client.get("/coordinator/residents").status_code == 403
        assert client.get("/coordinator/residents/1").status_code == 403
    assert app.test_client().get("/coordinator/residents").status_code == 302
    assert coordinator(app).get("/coordinator/residents/999999").status_code == 404
