"""The coordinator's day view on the seeded demo day: every partner's orders by buurt and
kind, shifts, adding a shift; other roles are kept out."""

import re
from collections import Counter

from sqlalchemy import func, select

from tests.web_fixtures import (  # noqa: F401 (pytest fixtures are used by name)
    DAY, accounts, app, client, db_session, login, logout, post_form, seeded_db, web_area)
from web.store import Order, Shift


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
    page = f"/coordinator/?date={DAY.isoformat()}"
    good = post_form(client, "/coordinator/shifts", {
        "assistant_id": "2", "service_date": DAY.isoformat(), "start": "13:00", "end": "17:00",
        "break_minutes": "15", "break_from": "15:00"}, page=page)
    assert good.status_code == 302
    bad = post_form(client, "/coordinator/shifts", {
        "assistant_id": "2", "service_date": DAY.isoformat(), "start": "17:00", "end": "13:00",
        "break_minutes": "0"}, page=page, follow_redirects=True)
    assert "Einde: het tijdvak moet eindigen na het begin" in bad.get_data(as_text=True)
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
