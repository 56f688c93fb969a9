"""Partners in the browser: order form with live address validation, CSV upload with a per-row
report, own orders only, tokens — on the seeded demo day in the real Helsinki demo area."""

import re

from sqlalchemy import func, select

from tests.web_fixtures import (  # noqa: F401 (pytest fixtures are used by name)
    DAY, accounts, app, client, csrf_token, db_session, login, logout, post_form, seeded_db,
    web_area)
from web.csvorders import DUTCH_COLUMNS
from web.store import ApiToken, Order, Partner


def order_count(app, **where):
    with db_session(app) as session:
        return session.scalar(select(func.count(Order.id)).filter_by(**where))


def partner_id(app, username_partner_kind="pharmacy"):
    with db_session(app) as session:
        return session.scalars(select(Partner.id).where(
            Partner.kind == username_partner_kind).order_by(Partner.id)).first()


FORM = {"recipient": "M. Jansen", "address": "Kaivokatu 2", "kind": "medicine",
        "service_date": DAY.isoformat(), "window1_start": "10:00", "window1_end": "12:00",
        "size": "1", "priority": "0", "in_person": "yes", "note": "Bel twee keer aan"}


def test_partner_sees_own_orders_only(client, app):
    login(client, "apotheek1")
    page = client.get(f"/partner/orders?date={DAY.isoformat()}").get_data(as_text=True)
    own = partner_id(app)
    with db_session(app) as session:
        mine = session.scalars(select(Order).where(Order.partner_id == own)).all()
        other = session.scalars(select(Order).where(Order.partner_id != own)).all()
        shown = {int(i) for i in re.findall(r'href="/partner/orders/(\d+)"', page)}
        assert shown == {o.id for o in mine} and len(shown) > 5
    for order in other[:3]:
        for url in (f"/partner/orders/{order.id}", f"/partner/orders/{order.id}/edit"):
            assert client.get(url).status_code == 404
        response = post_form(client, f"/partner/orders/{order.id}/cancel", {},
                             page="/partner/orders")
        assert response.status_code == 404
    with db_session(app) as session:
        assert {o.status for o in session.scalars(select(Order).where(
            Order.partner_id != own))} == {"submitted"}


def test_order_form_saves_a_geocoded_order(client, app):
    login(client, "apotheek1")
    before = order_count(app)
    response = post_form(client, "/partner/orders/new", FORM)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert order_count(app) == before + 1
    with db_session(app) as session:
        order = session.scalars(select(Order).order_by(Order.id.desc())).first()
        assert order.resident.address == "Kaivokatu 2, 00100"
        assert order.resident.buurt == "Kluuvi" and order.windows == [["10:00", "12:00"]]
        assert order.partner_id == partner_id(app) and order.label == "apotheekpakket"
        assert [e.status for e in order.events] == ["submitted"]
    listing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "M. Jansen" in listing and "Bestelling" in listing  # Dutch by default


def test_order_form_errors_name_the_fields_and_store_nothing(client, app):
    login(client, "apotheek1")
    before = order_count(app)
    bad = {**FORM, "address": "Kaivokatu 999", "window1_end": "09:00",
           "note": "Oxazepam 10 mg"}
    response = post_form(client, "/partner/orders/new", bad)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert order_count(app) == before
    for field in ("address", "windows", "note"):
        assert f'id="f-{field}-error"' in page or f'id="{field}-error"' in page
    assert "Bedoelt u: Kaivokatu" in page  # the closest known addresses
    summary = page.split('id="form-errors"')[1].split("</div>")[0]
    assert '">Adres</a>' in summary and '">Tijdvak</a>' in summary  # labels, not field keys
    assert 'aria-invalid="true"' in page
    assert 'value="Kaivokatu 999"' in page  # what was typed is kept


def test_partner_cannot_submit_kinds_it_does_not_offer(client, app):
    login(client, "keuken")
    response = post_form(client, "/partner/orders/new", {**FORM, "kind": "medicine"})
    assert response.status_code == 422 and 'id="f-kind-error"' in response.get_data(as_text=True)


def test_edit_and_cancel_keep_history(client, app):
    login(client, "apotheek1")
    post_form(client, "/partner/orders/new", FORM)
    with db_session(app) as session:
        order_id = session.scalars(select(Order.id).order_by(Order.id.desc())).first()
    edit = f"/partner/orders/{order_id}/edit"
    page = client.get(edit).get_data(as_text=True)
    assert 'value="Kaivokatu 2, 00100"' in page and 'value="10:00"' in page
    response = post_form(client, edit, {**FORM, "window1_start": "13:00",
                                        "window1_end": "14:00"})
    assert response.status_code == 302
    post_form(client, f"/partner/orders/{order_id}/cancel", {}, page=edit)
    with db_session(app) as session:
        order = session.get(Order, order_id)
        assert order.windows == [["13:00", "14:00"]] and order.status == "cancelled"
        assert [(e.status, e.note) for e in order.events] == [
            ("submitted", ""), ("submitted", "changed: windows"), ("cancelled", "")]
    assert client.get(edit).status_code == 302  # a cancelled order cannot be edited


def test_live_address_check(client):
    login(client, "apotheek1")
    token = csrf_token(client, "/partner/orders/new")
    headers = {"X-CSRFToken": token}
    ok = client.post("/address/check", json={"query": "Kaivokatu 2"}, headers=headers)
    assert ok.get_json()["ok"] and ok.get_json()["buurt"] == "Kluuvi"
    bad = client.post("/address/check", json={"query": "Kaivokatu 99"}, headers=headers)
    assert not bad.get_json()["ok"] and bad.get_json()["candidates"]
    # the core's English reason, said in the page's language (Dutch here, English on request)
    assert bad.get_json()["message"].startswith(
        "Kaivokatu 99 staat niet in de kaartgegevens van dit gebied. Bedoelt u: Kaivokatu ")
    street = client.post("/address/check", json={"query": "Aleksanterinkaatu 3"}, headers=headers)
    assert street.get_json()["message"].startswith(
        "Straat 'Aleksanterinkaatu' staat niet in de kaartgegevens van dit gebied. Bedoelt u: "
        "Aleksanterinkatu"), street.get_json()
    client.post("/lang/en", data={"csrf_token": token, "next": "/"})
    english = client.post("/address/check", json={"query": "Kaivokatu 99"}, headers=headers)
    assert english.get_json()["message"].startswith(
        "Kaivokatu 99 is not in the map data of this area. Did you mean: Kaivokatu ")
    assert client.post("/address/check", json={"query": "Kaivokatu 2"}).status_code == 400


def csv_upload(client, text: str, encoding="utf-8"):
    return post_form(client, "/partner/upload",
                     {"file": (__import__("io").BytesIO(text.encode(encoding)), "day.csv")},
                     content_type="multipart/form-data")


def test_csv_upload_stores_valid_rows_and_reports_broken_ones(client, app):
    login(client, "apotheek1")
    before = order_count(app)
    day = DAY.isoformat()
    text = ("reference,recipient,address,kind,service_date,windows,ready_time,note\n"
            f"c-1,A. Aalto,Unioninkatu 29,medicine,{day},10:00-12:00,,\n"
            f"c-2,B. Berg,Unioninkatu 9999,medicine,{day},,,\n"
            f"c-3,C. Coster,Kaivokatu 2,medicine,{day},10:00-12:00 14:00-16:00,09:30,\n"
            f"c-4,D. Dekker,Annankatu 25,medicine,{day},25:00-26:00,,\n"
            f"c-5,E. Eriksson,Kaivokatu 2,medicine,{day},,,Omeprazol 20 mg\n"
            f"c-1,F. Falk,Kaivokatu 2,medicine,{day},,,\n")
    response = csv_upload(client, text)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert order_count(app) == before + 2
    rows = re.findall(r"<tr><td>(\d+)</td><td>(\w+)</td><td>([^<]+)</td></tr>", page)
    assert [(r, f) for r, f, _ in rows] == [("3", "address"), ("5", "windows"), ("6", "note"),
                                            ("7", "reference")]
    assert "2 bestellingen opgeslagen, 4 regels met fouten" in page
    # The same file again: every reference is taken now, nothing is doubled.
    again = csv_upload(client, text)
    assert order_count(app) == before + 2 and again.status_code == 422


def test_csv_dutch_semicolon_file(client, app):
    login(client, "keuken")
    before = order_count(app)
    text = ("kenmerk;ontvanger;adres;soort;datum;tijdvakken;warme_maaltijd\n"
            f"m-1;G. de Graaf;Kaivokatu 2;meal;{DAY.isoformat()};11:30-12:30;ja\n")
    response = csv_upload(client, text.replace("\n", "\r\n"), encoding="utf-8-sig")
    assert response.status_code == 200 and order_count(app) == before + 1
    with db_session(app) as session:
        order = session.scalars(select(Order).order_by(Order.id.desc())).first()
        assert order.hot_meal and order.windows == [["11:30", "12:30"]]
    assert set(DUTCH_COLUMNS.values()) <= set(__import__("web.orders").orders.FIELDS)


def test_csv_with_unknown_column_stores_nothing(client, app):
    login(client, "apotheek1")
    before = order_count(app)
    response = csv_upload(client, "recipient,adress,kind,service_date\n"
                                  f"A. B.,Kaivokatu 2,medicine,{DAY.isoformat()}\n")
    assert response.status_code == 422 and order_count(app) == before
    assert "adress" in response.get_data(as_text=True)


def test_example_csv_uploads_cleanly(client, app):
    for user in ("apotheek1", "keuken", "pakketpunt", "wijk"):
        logout(client)
        login(client, user)
        example = client.get("/partner/upload/example.csv")
        assert example.mimetype == "text/csv"
        before = order_count(app)
        response = csv_upload(client, example.get_data(as_text=True))
        assert order_count(app) == before + 2, response.get_data(as_text=True)


def test_tokens_page_shows_a_token_once(client, app):
    login(client, "pakketpunt")
    page = post_form(client, "/partner/tokens", {"label": "webshop"}).get_data(as_text=True)
    token = re.search(r'<code class="token">(brt_[^<]+)</code>', page)[1]
    assert client.get("/api/v1/orders", headers={"Authorization": f"Bearer {token}"}
                      ).status_code == 200
    assert token not in client.get("/partner/tokens").get_data(as_text=True)
    with db_session(app) as session:
        row = session.scalars(select(ApiToken).where(ApiToken.label == "webshop")).one()
    post_form(client, f"/partner/tokens/{row.id}/revoke", {}, page="/partner/tokens")
    assert client.get("/api/v1/orders", headers={"Authorization": f"Bearer {token}"}
                      ).status_code == 401


def test_partner_pages_render_for_every_partner(client, accounts):
    for username, role, _ in accounts.users:
        if role != "partner":
            continue
        logout(client)
        assert login(client, username).status_code == 302
        for url in ("/partner/", "/partner/orders/new", "/partner/upload", "/partner/tokens"):
            page = client.get(url)
            assert page.status_code == 200, (username, url)
            assert "Demogebied" in page.get_data(as_text=True)  # the demo says it is a demo
