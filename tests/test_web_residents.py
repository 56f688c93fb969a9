"""The coordinator's residents page on the seeded demo day: the list, paged by name with its
buurt filter and its search, the edit form (praatje, regular assistant, phone) with field errors
that keep what was typed, the phone kept from partners, and the next plan giving the resident
the longer praatje."""

from __future__ import annotations

import re

from babel.dates import format_date
from sqlalchemy import func, select

from tests.test_web_planning import app, plan_day, wait_for_plan  # noqa: F401 (fixture by name)
from tests.web_fixtures import (  # noqa: F401 (fixtures by name)
    DAY, accounts, bearer, db_session, login, post_form, seeded_db, web_area)
from web import planning
from web.adapter import praatje_minutes
from web.store import Assistant, Order, Plan, Resident, Shift, User


def coordinator(app):
    client = app.test_client()
    login(client, "coordinator")
    return client


PER_PAGE = 50
BAD_PAGE = "Het paginanummer moet een heel getal van 1 of meer zijn."


def shown_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="resident-(\d+)">', page)]


def count_text(page: str) -> str:
    return re.search(r'id="r-count">([^<]*)<', page).group(1).strip()


def every_page(client, **query) -> tuple[list[int], list[str]]:
    """The residents on every page of the list (following the Next links) and the count texts."""
    ids, counts = [], []
    url = "/coordinator/residents"
    params = dict(query)
    while True:
        response = client.get(url, query_string=params)
        assert response.status_code == 200, (url, params)
        page = response.get_data(as_text=True)
        ids += shown_ids(page)
        counts.append(count_text(page))
        following = re.search(r'<a rel="next" href="([^"]+)"', page)
        if following is None:
            return ids, counts
        url, params = following.group(1).replace("&amp;", "&"), None
        assert len(counts) < 100, "the Next links never end"


def add_residents(app) -> list[int]:
    """130 more residents: 60 share one name and one buurt (the order must still be stable),
    the rest are spread over the demo's buurten on two streets."""
    with db_session(app) as s:
        model = s.scalars(select(Resident)).first()
        buurten = sorted({r.buurt for r in s.scalars(select(Resident)) if r.buurt})
        added = [Resident(name="M.M.", address=f"Pagingstraat {i}", lat=model.lat,
                          lon=model.lon, buurt=buurten[0]) for i in range(60, 0, -1)]
        added += [Resident(name=f"{chr(65 + i % 26)}.{chr(65 + i // 26)}. Test",
                           address=f"{'Zoekweg' if i % 2 else 'Unioninkatu'} {100 + i}",
                           lat=model.lat, lon=model.lon, buurt=buurten[i % len(buurten)])
                  for i in range(70)]
        s.add_all(added)
        s.commit()
        return [r.id for r in added]


def by_name(residents) -> list[int]:
    return [r.id for r in sorted(residents, key=lambda r: (r.name, r.id))]


def in_list_order(app, ids) -> list[int]:
    """``ids`` in the database's own order of names (PostgreSQL's collation may differ from
    Python's), then id."""
    with db_session(app) as s:
        ordered = s.scalars(select(Resident.id).order_by(Resident.name, Resident.id)).all()
        if s.get_bind().dialect.name == "sqlite":  # byte order: the same as Python's
            assert ordered == by_name(s.scalars(select(Resident)).all())
    wanted = set(ids)
    return [i for i in ordered if i in wanted]


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
        busy_id, expected = busy.id, by_name(residents)
    assert len(residents) > PER_PAGE  # the demo alone needs a second page
    client = coordinator(app)
    ids, counts = every_page(client)
    assert ids == expected  # everyone once, by name then id
    assert counts == [f"1–{PER_PAGE} van {len(residents)} bewoners",
                      f"{PER_PAGE + 1}–{len(residents)} van {len(residents)} bewoners"]
    on = expected.index(busy_id) // PER_PAGE + 1
    page = client.get("/coordinator/residents", query_string={"page": on}).get_data(as_text=True)
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
    assert count_text(text) == f"1–{len(in_buurt)} van {len(in_buurt)} bewoners · {buurt}"
    assert 'rel="next"' not in text and 'rel="prev"' not in text  # one page: no pager


def test_pages_of_fifty_by_name_then_id(app):
    add_residents(app)
    with db_session(app) as s:
        expected = in_list_order(app, s.scalars(select(Resident.id)).all())
    total = len(expected)
    pages = -(-total // PER_PAGE)
    assert total == 200 and pages == 4
    client = coordinator(app)
    ids, counts = every_page(client)
    assert ids == expected and len(set(ids)) == total
    assert counts == [f"{1 + PER_PAGE * i}–{min(total, PER_PAGE * (i + 1))} van {total} bewoners"
                      for i in range(pages)]
    first = client.get("/coordinator/residents").get_data(as_text=True)
    assert 'rel="prev"' not in first and "Pagina 1 van 4" in first
    assert '<a rel="next" href="/coordinator/residents?page=2">' in first
    last = client.get("/coordinator/residents?page=4").get_data(as_text=True)
    assert shown_ids(last) == expected[150:] and "Pagina 4 van 4" in last
    assert 'rel="next"' not in last
    assert '<a rel="prev" href="/coordinator/residents?page=3">' in last
    # past the end: the last page, not an error and not an empty page
    for beyond in ("5", "99", "123456789012345678901234567890"):
        response = client.get(f"/coordinator/residents?page={beyond}")
        assert response.status_code == 200, beyond
        assert shown_ids(response.get_data(as_text=True)) == expected[150:]
    assert shown_ids(client.get("/coordinator/residents?page=").get_data(as_text=True)) == \
        expected[:PER_PAGE]


def test_back_from_a_resident_lands_on_the_page_that_shows_them(app):
    added = add_residents(app)
    with db_session(app) as s:
        buurt = s.get(Resident, added[0]).buurt
        in_buurt = in_list_order(app, s.scalars(select(Resident.id)
                                                .where(Resident.buurt == buurt)).all())
    assert len(in_buurt) > PER_PAGE
    client = coordinator(app)
    for rid in (in_buurt[0], in_buurt[PER_PAGE - 1], in_buurt[PER_PAGE], in_buurt[-1]):
        edit = client.get(f"/coordinator/residents/{rid}").get_data(as_text=True)
        back = re.search(r'<a href="([^"]+)">Terug</a>', edit).group(1).replace("&amp;", "&")
        assert back.endswith(f"#resident-{rid}") and f"buurt={buurt}" in back
        listed = client.get(back.split("#")[0]).get_data(as_text=True)
        assert rid in shown_ids(listed), (rid, back)


def test_a_bad_page_number_is_refused_with_a_reason(app):
    client = coordinator(app)
    for bad in ("0", "-1", "abc", "1.5", "2x", " 2", "²", "１"):
        response = client.get("/coordinator/residents", query_string={"page": bad})
        page = response.get_data(as_text=True)
        assert response.status_code == 400, bad
        assert BAD_PAGE in page and 'id="resident-' not in page, bad


def test_search_by_name_street_or_buurt_in_sql(app):
    added = add_residents(app)
    with db_session(app) as s:
        residents = s.scalars(select(Resident)).all()
        buurt = sorted({r.buurt for r in residents if r.buurt})[1]

    def expected(text, in_buurt=""):
        text = text.strip().lower()
        return in_list_order(app, [
            r.id for r in residents
            if any(text in (v or "").lower() for v in (r.name, r.address, r.buurt))
            and (not in_buurt or r.buurt == in_buurt)])

    client = coordinator(app)
    for query in ("m.m.", "M.M.", "pagingstraat", "ZOEKWEG", "unioninkatu", buurt.lower(),
                  " test ", "katu 1", "A.B"):
        hits = expected(query)
        ids, counts = every_page(client, q=query)
        assert ids == hits and hits, query
        assert counts[0] == (f"1–{min(PER_PAGE, len(hits))} van {len(hits)} bewoners · "
                             f"“{query.strip()}”"), query
    assert len(expected("m.m.")) == 60  # the search pages too, keeping q in its links
    second = client.get("/coordinator/residents", query_string={"q": "M.M.", "page": 2})
    assert shown_ids(second.get_data(as_text=True)) == expected("M.M.")[PER_PAGE:]
    assert 'href="/coordinator/residents?page=1&amp;q=M.M."' in second.get_data(as_text=True)
    # the buurt filter and the search together
    ids, _ = every_page(client, q="Test", buurt=buurt)
    assert ids == expected("Test", buurt) and 0 < len(ids) < len(expected("Test"))
    # a miss, and the wildcards of LIKE that must match only themselves
    for miss in ("xyzzy", "%", "_", "M%M", "\\"):
        response = client.get("/coordinator/residents", query_string={"q": miss})
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and shown_ids(page) == [], miss
        assert "Geen bewoners gevonden." in page, miss
    assert set(added) <= set(every_page(client, q="")[0])


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
        # a medicine (the planner keeps those first) in the round with the most time left
        # before its shift ends, so that ten minutes more at that door still fit the full day
        ends = {str(sh.assistant_id): int(sh.end[:2]) * 3600 + int(sh.end[3:]) * 60
                for sh in s.scalars(select(Shift).where(Shift.service_date == DAY))}
        route = max((r for r in plan.payload["routes"] if r["visits"]),
                    key=lambda r: ends[r["assistant_id"]] - r["finish"])
        assert ends[route["assistant_id"]] - route["finish"] >= 20 * 60
        visit = next(v for v in route["visits"] if v["action"] == "delivery"
                     and s.get(Order, int(v["order_id"])).kind == "medicine")
        order = s.get(Order, int(visit["order_id"]))
        asked, rid, oid = order.praatje_minutes, order.resident_id, order.id
        assert order.resident.praatje_minutes is None and asked is not None
        service_before = visit["end"] - visit["start"]
        assistant = route["assistant_id"]
    longer = asked + 10
    edit = f"/coordinator/residents/{rid}"
    saved = post_form(client, edit, {"praatje_minutes": str(longer),
                                     "regular_assistant_id": assistant, "phone": ""})
    assert saved.status_code == 302
    page = client.get(edit).get_data(as_text=True)
    row = page.split(f'<tr id="order-{oid}">')[1].split("</tr>")[0]
    assert f"{asked} min" in row and f'class="next-praatje">{longer} min<' in row
    day = format_date(DAY, "EEEE d MMMM y", locale="nl")  # the order's date, said in Dutch
    assert f'data-label="Datum">{day}</td>' in row and DAY.isoformat() not in row
    with db_session(app) as s, app.app_context():  # the planner's input: the regular
        built = planning.build(s, DAY, None, None)
        assert str(rid) in built.problem.assistant(assistant).regulars
    # the regular is a preference of the whole day's search: optimise the day again
    second = plan_day(client, full=True)
    assert second["status"] == "done" and second["plan_id"] != first["plan_id"]
    with db_session(app) as s:
        plan = s.get(Plan, second["plan_id"])
        assert plan.payload["praatje"][str(oid)] == longer * 60
        visit = next(v for r in plan.payload["routes"] for v in r["visits"]
                     if v["order_id"] == str(oid) and v["action"] == "delivery")
        assert visit["end"] - visit["start"] == service_before + 10 * 60
    page = client.get(edit).get_data(as_text=True)
    row = page.split(f'<tr id="order-{oid}">')[1].split("</tr>")[0]
    assert row.count(f"{longer} min") == 2  # the current plan now has it too


def test_paging_search_and_back_work_the_same_on_postgresql(pg_app_factory):
    """The same SQLAlchemy code on PostgreSQL (ILIKE, LIMIT/OFFSET, its own collation)."""
    for test in (test_pages_of_fifty_by_name_then_id, test_search_by_name_street_or_buurt_in_sql,
                 test_back_from_a_resident_lands_on_the_page_that_shows_them):
        app = pg_app_factory()
        assert app.extensions["buurtroute.engine"].dialect.name == "postgresql"
        test(app)


def test_only_the_coordinator_opens_residents(app):
    for user in ("apotheek1", "anna"):
        client = app.test_client()
        login(client, user)
        assert client.get("/coordinator/residents").status_code == 403
        for query in ({"page": 2}, {"q": "katu"}, {"page": "abc"}, {"q": "M", "page": 9}):
            response = client.get("/coordinator/residents", query_string=query)
            assert response.status_code == 403, (user, query)
            assert 'id="resident-' not in response.get_data(as_text=True)
        assert client.get("/coordinator/residents/1").status_code == 403
    assert app.test_client().get("/coordinator/residents").status_code == 302
    assert coordinator(app).get("/coordinator/residents/999999").status_code == 404
