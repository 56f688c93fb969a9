"""PDF route sheets, read back with pypdf: the coordinator's "all rounds" and an assistant's own
round, planned on the real offline demo area. Each round starts its own A4 pages, every page
names its round, the map is drawn, the stops and their times are there, and what the HTML sheet
hides (medicine, full names, phone numbers, partner references) is hidden here too."""

from __future__ import annotations

import io
import logging
import re

from babel.dates import format_date
from pypdf import PdfReader
from sqlalchemy import select

from routing.model import hhmm
from tests.test_web_assistant import planned
from tests.test_web_planning import app  # noqa: F401 (fixture)
from tests.web_fixtures import (  # noqa: F401 (fixtures by name)
    DAY, accounts, csrf_token, db_session, login, logout, seeded_db, web_area)
from web.rounds import initials
from web.store import Assistant, Order, Plan, User

A4 = (595.28, 841.89)  # points
SECRET_REFERENCE = "Oxycodon 10mg ref-4711"
SECRET_PHONE = "+31 6 1234 5678"


def pages_of(response) -> list[str]:
    """The text of each page of a PDF response (after checking it is a PDF download)."""
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert response.headers["Cache-Control"] == "no-store"
    reader = PdfReader(io.BytesIO(response.data))
    for page in reader.pages:
        size = (float(page.mediabox.width), float(page.mediabox.height))
        assert abs(size[0] - A4[0]) < 1 and abs(size[1] - A4[1]) < 1, size
    return [page.extract_text() for page in reader.pages]


def running_heads(response) -> list[str]:
    """The top-left margin text of each page (whose round it is), found by its position."""
    heads = []
    for page in PdfReader(io.BytesIO(response.data)).pages:
        found = []

        def visit(text, cm, tm, font, size, found=found):
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            if text.strip() and y > A4[1] - 16 / 25.4 * 72 and x < A4[0] / 2:
                found.append(text.strip())

        page.extract_text(visitor_text=visit)
        heads.append(" ".join(found))
    return heads


def drawn_lines(response, page: int) -> int:
    """How many line segments page ``page`` draws: the map's streets are thousands."""
    reader = PdfReader(io.BytesIO(response.data))
    content = reader.pages[page].get_contents().get_data()
    xobjects = reader.pages[page]["/Resources"].get("/XObject") or {}
    data = content + b"".join(x.get_object().get_data() for x in xobjects.values())
    return len(re.findall(rb"\sl\s", data))


def shown(visits: list[dict]) -> list[dict]:
    """The visits a route sheet has a row for: packages collected at one place one after the
    other are one stop (one arrival), however many there are."""
    return [v for k, v in enumerate(visits)
            if not (k and v["action"] == visits[k - 1]["action"] == "pickup"
                    and v["location"] == visits[k - 1]["location"]
                    and not v["order_id"].startswith("r")
                    and not visits[k - 1]["order_id"].startswith("r"))]


def routes_by_name(app, plan_id: int) -> list[tuple[str, dict]]:
    """(assistant name, route) of each round with stops, in the sheets' order."""
    with db_session(app) as s:
        plan = s.get(Plan, plan_id)
        names = {a.id: a.name for a in s.scalars(select(Assistant))}
        return [(names[int(r["assistant_id"])], r) for r in
                sorted(plan.payload["routes"], key=lambda r: int(r["assistant_id"]))
                if r["visits"]]


def hide_secrets_in_a_planned_order(app, route: dict) -> int:
    """Give a planned medicine order a partner reference and phone numbers a sheet must hide."""
    with db_session(app) as s:
        order_id = next(int(v["order_id"]) for v in route["visits"]
                        if s.get(Order, int(v["order_id"])).kind == "medicine")
        order = s.get(Order, order_id)
        order.reference, order.phone, order.resident.phone = (SECRET_REFERENCE, SECRET_PHONE,
                                                              SECRET_PHONE)
        s.commit()
        return order_id



def test_all_rounds_pdf_has_each_round_on_its_own_a4_pages(app, caplog):
    status = planned(app)
    routes = routes_by_name(app, status["plan_id"])
    assert len(routes) == 3
    hide_secrets_in_a_planned_order(app, routes[0][1])
    with db_session(app) as s:
        orders = s.scalars(select(Order).where(Order.service_date == DAY)).all()
        full_names = {o.resident.name for o in orders if " " in o.resident.name.strip()}
        addresses = {o.resident.address for o in orders}
        labels = {int(v["order_id"]): s.get(Order, int(v["order_id"])).label
                  for _, r in routes for v in r["visits"]}
        residents = {int(v["order_id"]): s.get(Order, int(v["order_id"])).resident.name
                     for _, r in routes for v in r["visits"]}
    client = app.test_client()
    login(client, "coordinator")
    day_page = client.get(f"/coordinator/?date={DAY}").get_data(as_text=True)
    assert f'href="/coordinator/print.pdf?date={DAY}"' in day_page
    with caplog.at_level(logging.DEBUG):
        response = client.get(f"/coordinator/print.pdf?date={DAY}")
    pages = pages_of(response)
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="buurtroute-rondes-{DAY.isoformat()}.pdf"'

    # every page's running head names one round; a round's pages follow each other, in order
    heads = running_heads(response)
    names = [name for name, _ in routes]
    assert set(heads) == set(names), heads
    assert [h for i, h in enumerate(heads) if i == 0 or heads[i - 1] != h] == names
    total = len(pages)
    for number, text in enumerate(pages, 1):
        assert f"Pagina {number} van {total}" in text
    for name, route in routes:
        mine = [i for i, h in enumerate(heads) if h == name]
        text = "\n".join(pages[i] for i in mine)
        first = pages[mine[0]]
        # the header: name, day, shift, departure and the way back
        assert f"{format_date(DAY, 'EEEE d MMMM y', locale='nl')} · Dienst " in first
        assert f"Vertrek om {hhmm(route['departure'])}" in first
        assert f"terug om {hhmm(route['finish'])}" in first
        # the map: drawn (thousands of street segments) with its attribution, once per round
        assert drawn_lines(response, mine[0]) > 500
        assert text.count("OpenStreetMap") == 1
        # the stop table: every stop's arrival, goods by label, residents by initials
        flat = re.sub(r"\s+", " ", text)
        for v in route["visits"]:
            if v in shown(route["visits"]):
                assert hhmm(v["arrival"]) in text, (name, v)
            assert labels[int(v["order_id"])] in flat
            if v["action"] == "delivery":
                assert initials(residents[int(v["order_id"])]) in flat
    everything = re.sub(r"\s+", " ", "\n".join(pages))
    assert "apotheekpakket" in everything
    for secret in (SECRET_REFERENCE, "Oxycodon", SECRET_PHONE, *full_names):
        assert secret not in everything, secret
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for personal in (*full_names, *addresses, SECRET_PHONE, SECRET_REFERENCE):
        assert personal not in logged, personal


def test_assistant_pdf_is_the_own_round_only(app):
    status = planned(app)
    routes = dict(routes_by_name(app, status["plan_id"]))
    with db_session(app) as s:
        ids = {u.username: u.assistant_id for u in s.scalars(select(User))
               if u.assistant_id is not None}
    client = app.test_client()
    login(client, "anna")
    page = client.get(f"/assistant/?date={DAY}").get_data(as_text=True)
    assert f'href="/assistant/round.pdf?date={DAY}"' in page
    response = client.get(f"/assistant/round.pdf?date={DAY}")
    pages = pages_of(response)
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="buurtroute-ronde-anna-{DAY.isoformat()}.pdf"'
    text = "\n".join(pages)
    assert set(running_heads(response)) == {"Anna"}
    assert "Bram" not in text and "Chantal" not in text
    for v in shown(routes["Anna"]["visits"]):
        assert hhmm(v["arrival"]) in text
    assert pages_of(client.get(f"/assistant/{ids['anna']}/round.pdf?date={DAY}")) == pages
    assert client.get(f"/assistant/{ids['bram']}/round.pdf?date={DAY}").status_code == 403
    assert client.get(f"/coordinator/print.pdf?date={DAY}").status_code == 403

    # the coordinator may fetch any assistant's round, by id
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    response = coordinator.get(f"/assistant/{ids['bram']}/round.pdf?date={DAY}")
    bram = pages_of(response)
    assert set(running_heads(response)) == {"Bram"}
    for v in shown(routes["Bram"]["visits"]):
        assert hhmm(v["arrival"]) in "\n".join(bram)
    back = coordinator.get(f"/assistant/round.pdf?date={DAY}")
    assert back.status_code == 302 and back.headers["Location"].startswith(
        "/coordinator/print.pdf")


def test_partners_and_strangers_get_no_pdf(app):
    stranger = app.test_client()
    for url in ("/coordinator/print.pdf", "/assistant/round.pdf", "/assistant/1/round.pdf"):
        response = stranger.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    partner = app.test_client()
    login(partner, "apotheek1")
    for url in ("/coordinator/print.pdf", "/assistant/round.pdf", "/assistant/1/round.pdf"):
        assert partner.get(url).status_code == 403, url


def test_a_day_without_a_plan_gives_a_clear_page(app):
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    pages = pages_of(coordinator.get("/coordinator/print.pdf?date=2001-01-01"))
    assert len(pages) == 1
    assert "Rondes van maandag 1 januari 2001" in pages[0]
    assert "Nog geen planning voor deze dag." in pages[0] and "Pagina 1 van 1" in pages[0]
    assistant = app.test_client()
    login(assistant, "anna")
    pages = pages_of(assistant.get("/assistant/round.pdf?date=2001-01-01"))
    assert len(pages) == 1
    assert "Voor u zijn op deze dag nog geen stops gepland." in pages[0]
    # in English on request, like the pages
    assistant.post("/lang/en", data={"csrf_token": csrf_token(assistant, "/assistant/"),
                                     "next": "/"})
    pages = pages_of(assistant.get("/assistant/round.pdf?date=2001-01-01"))
    assert "No stops planned for you on this day yet." in pages[0] and "Page 1 of 1" in pages[0]
