"""The request log (issue 13, item 8): one line per request with the method, the route template,
the status, the duration and a user id, and nothing personal. The main journeys run on the
demo day (a partner by form, CSV and API, the coordinator planning and looking residents up, an
assistant viewing and marking the round) and every line any logger wrote is searched for
residents' names, addresses, phone numbers, medicine words, tokens, passwords and cookies."""

from __future__ import annotations

import io
import json
import logging
import re

from sqlalchemy import select

from tests.test_web_assistant import round_of
from tests.test_web_planning import app  # noqa: F401 (fixture: the app that plans quickly)
from tests.test_web_planning import plan_day, wait_for_plan
from tests.web_fixtures import (  # noqa: F401 (pytest fixtures are used by name)
    DAY, PASSWORD, accounts, bearer, csrf_token, db_session, login, logout, make_app,
    post_form, seeded_db, tap, web_area)
from web.store import Order, Resident, User

MEDICINE_WORDS = ("insuline", "Ozempic", "methadon", "oxycodon")
PHONE = "+31 6 9876 5432"


def everything_logged(caplog) -> str:
    lines = []
    for record in caplog.records:
        lines.append(record.getMessage())
        if record.exc_info:
            lines.append(logging.Formatter().formatException(record.exc_info))
        lines.append(repr(record.args))
    return "\n".join(lines)


def test_the_main_journeys_log_nothing_personal(app, accounts, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, every level
    secrets = {PASSWORD, *accounts.tokens.values()}
    partner = app.test_client()
    assert login(partner, "apotheek1").status_code == 302
    form = {"recipient": "Henk Verbeek", "address": "Unioninkatu 29", "kind": "medicine",
            "service_date": DAY.isoformat(), "window1_start": "10:00", "window1_end": "12:00",
            "size": "1", "phone": PHONE, "note": "insuline in de koelkast"}
    assert post_form(partner, "/partner/orders/new", form).status_code == 302
    csv_text = ("reference,recipient,address,kind,service_date,note\n"
                f"log-1,Gerda Oosterhuis,Unioninkatu 29,medicine,{DAY},oxycodon apart\n")
    upload = partner.post("/partner/upload", data={
        "csrf_token": csrf_token(partner, "/partner/upload"),
        "file": (io.BytesIO(csv_text.encode()), "orders.csv")},
        content_type="multipart/form-data")
    assert upload.status_code == 200
    with db_session(app) as s:
        pharmacy = s.scalar(select(User).where(User.username == "apotheek1")).partner.name
    token = accounts.tokens[pharmacy]
    api = app.test_client()
    created = api.post("/api/v1/orders", headers=bearer(token), json={
        "recipient": "Grietje Pietersen", "address": "Unioninkatu 29", "kind": "medicine",
        "service_date": DAY.isoformat(), "note": "Ozempic pen en methadon", "phone": PHONE})
    assert created.status_code == 201
    order_id = created.get_json()["id"]
    assert api.get(f"/api/v1/orders/{order_id}", headers=bearer(token)).status_code == 200
    assert api.post("/api/v1/orders", headers=bearer(token), json={
        "recipient": "Grietje Pietersen", "address": "Nergensstraat 1", "kind": "medicine",
        "service_date": DAY.isoformat()}).status_code == 422
    assert partner.get(f"/partner/orders/{order_id}").status_code == 200

    coordinator = app.test_client()
    assert login(coordinator, "coordinator").status_code == 302
    status = plan_day(coordinator)
    assert status["status"] == "done"
    assert coordinator.get(f"/coordinator/?date={DAY}").status_code == 200
    assert coordinator.get("/coordinator/residents?q=Pietersen").status_code == 200
    with db_session(app) as s:
        resident = s.scalar(select(Resident).where(Resident.name == "Grietje Pietersen"))
    url = f"/coordinator/residents/{resident.id}"
    assert post_form(coordinator, url, {"praatje_minutes": "10", "phone": PHONE}).status_code \
        == 302
    assert coordinator.get(f"/coordinator/print.pdf?date={DAY}").status_code == 200

    _, visits = round_of(app, status["plan_id"], "anna")
    first = [int(v["order_id"]) for v in visits if v["action"] == "delivery"][0]
    assistant = app.test_client()
    assert login(assistant, "anna").status_code == 302
    assert assistant.get("/assistant/").status_code == 200
    marked = assistant.post(f"/assistant/orders/{first}/status", data={
        "csrf_token": csrf_token(assistant, "/assistant/"), "status": "delivered",
        "event_id": tap()})
    assert marked.status_code == 302
    assert wait_for_plan(coordinator)["status"] == "done"
    secrets.add(coordinator.get_cookie("session").value)
    for client in (partner, coordinator, assistant):
        logout(client)

    logged = everything_logged(caplog)
    with db_session(app) as s:
        names = {r.name for r in s.scalars(select(Resident))}
        addresses = {r.address for r in s.scalars(select(Resident))}
        notes = {o.note for o in s.scalars(select(Order)) if o.note}
    surnames = {word for name in names for word in name.split() if len(word) >= 5}
    personal = {*names, *surnames, *addresses, *notes, PHONE, *MEDICINE_WORDS, *secrets}
    found = sorted(p for p in personal if p and p.lower() in logged.lower())
    assert not found, found
    assert "Unioninkatu" not in logged and "9876" not in logged
    # the request lines themselves: one per request, by route template, with the user's id
    lines = [r.getMessage() for r in caplog.records if r.name == "buurtroute.requests"]
    assert len(lines) >= 30  # the journey above made about 35 requests
    assert any(re.fullmatch(r"POST /partner/orders/new 302 [0-9.]+ms user=[0-9]+", x)
               for x in lines), lines[:5]
    assert any(x.startswith("GET /api/v1/orders/<int:order_id> 200 ") and "partner=" in x
               for x in lines)
    assert any(x.startswith("POST /assistant/orders/<int:order_id>/status 302 ") for x in lines)
    assert not any(f"/{order_id}" in x or "?" in x for x in lines)


def test_request_log_lines_can_be_json(tmp_path, seeded_db, caplog):
    import shutil

    caplog.set_level(logging.INFO, logger="buurtroute.requests")
    database = tmp_path / "demo.sqlite"
    shutil.copy(seeded_db[0], database)
    app = make_app(tmp_path, database, LOG_JSON=True)
    client = app.test_client()
    login(client, "coordinator")
    client.get("/coordinator/residents?q=Jansen")
    client.get("/no/such/page")
    lines = [json.loads(r.getMessage()) for r in caplog.records
             if r.name == "buurtroute.requests"]
    assert {"method", "route", "status", "duration_ms", "user_id", "partner_id"} == set(lines[0])
    assert lines[-2]["route"] == "/coordinator/residents" and lines[-2]["status"] == 200
    assert isinstance(lines[-2]["user_id"], int)
    assert lines[-1] == {**lines[-1], "route": "(no route)", "status": 404}
    assert "Jansen" not in "".join(r.getMessage() for r in caplog.records)
    app.extensions["buurtroute.engine"].dispose()
