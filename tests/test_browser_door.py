"""The door's journey in a real Chromium against waitress and a real planning worker
(issue 15): the assistant, on a phone, taps "Niet thuis" on a meal and records a signal
(first without a connection: it waits on the phone and arrives once); the coordinator, whose
day screen is open, sees the alert within seconds without reloading, follows it up and closes
it; the month's report counts both. A house call is recorded the same way."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from datetime import timedelta

import pytest

from tests.browser_fixtures import (PASSWORD, PHONE, browser, coordinator_session,  # noqa: F401
                                    live, plan_and_wait)
from tests.web_fixtures import DAY, seeded_db, web_area  # noqa: F401 (fixtures by name)


LIVE_ENV = {"BUURTROUTE_NOW": "11:00", "BUURTROUTE_PLAN_WORK_LIMIT": "30000",
            "BUURTROUTE_MARK_UNDO_SECONDS": "1"}


@pytest.fixture(scope="module", autouse=True)
def planned(live, web_area):
    """A house-call campaign over every buurt, then the demo day planned, before the tests."""
    session, token = coordinator_session(live.url)
    made = session.post(live.url + "/coordinator/campaigns", data={
        "csrf_token": token, "name": "Huisbezoeken", "buurten": sorted(web_area.buurten),
        "start": DAY.isoformat(), "end": (DAY + timedelta(days=41)).isoformat(),
        "min_interval_days": "42", "call_minutes": "10"}, allow_redirects=False)
    assert made.status_code == 302
    status = plan_and_wait(live, DAY)
    assert status["status"] == "done", status


def query(live, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(live.database, timeout=30) as con:
        return con.execute(sql, args).fetchall()


def planned_meal(live) -> tuple[str, int]:
    """(username, order id) of a meal delivery in the current plan."""
    [(payload,)] = query(live, "select payload from plans where status = 'done' and "
                               "superseded = 0")
    for route in json.loads(payload)["routes"]:
        for v in route["visits"]:
            if v["action"] != "delivery" or v["order_id"].startswith("r"):
                continue
            [(kind,)] = query(live, "select kind from orders where id = ?", int(v["order_id"]))
            if kind == "meal":
                [(name,)] = query(live, "select username from users where assistant_id = ?",
                                  int(route["assistant_id"]))
                return name, int(v["order_id"])
    raise AssertionError("no meal planned")


def calling_assistant(live) -> str:
    """The username of an assistant with a house call in the current plan (which rounds have
    room for one depends on the plan)."""
    [(payload,)] = query(live, "select payload from plans where status = 'done' and "
                               "superseded = 0")
    calls = json.loads(payload).get("house_calls", [])
    assert calls, "the campaign found no room for a house call in any round"
    [(name,)] = query(live, "select username from users where assistant_id = ?",
                      int(calls[0]["assistant_id"]))
    return name


def log_in(context, live, username: str):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live.url + "/login")
    page.get_by_label(re.compile("Gebruikersnaam")).fill(username)
    page.get_by_label(re.compile("Wachtwoord")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Inloggen")).click()
    page.wait_for_load_state()
    return page, errors


def wait_for(predicate, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_not_home_and_a_signal_reach_the_coordinator_and_the_report(browser, live):
    username, meal = planned_meal(live)
    office = browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam")
    desk, desk_errors = log_in(office, live, "coordinator")
    desk.goto(live.url + f"/coordinator/?date={DAY.isoformat()}")
    assert "Geen open veiligheidsmeldingen" in desk.locator("#alerts-panel").inner_text()
    desk.evaluate("window.__stay = 1")  # gone if the page reloads

    phone_context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                        locale="nl-NL", timezone_id="Europe/Amsterdam")
    phone, phone_errors = log_in(phone_context, live, username)
    assert "/assistant/" in phone.url
    # "Niet thuis" on the meal, in the round's table (no reload: the outbox sends it)
    row = phone.locator(f'table.round-stops tr.delivery[data-order="{meal}"]').first
    row.get_by_role("button", name="Niet thuis").click()
    wait_for(lambda: query(live, "select 1 from facts where order_id = ? and action = "
                                 "'not_home'", meal))
    tapped = time.monotonic()
    # the coordinator's open day screen shows it within seconds, without a reload
    panel = desk.locator("#alerts-panel")
    panel.get_by_text("Niet thuis", exact=False).first.wait_for(timeout=15_000)
    seen_after = time.monotonic() - tapped
    assert seen_after < 10, seen_after
    assert desk.evaluate("window.__stay") == 1

    # a signal in the buurt, recorded without a connection: it waits on the phone
    phone_context.set_offline(True)
    phone.locator("details#signal summary").click()
    form = phone.locator("details#signal form")
    form.get_by_label("eenzaamheid").check()
    form.get_by_label("Wat zag of hoorde u?").fill("Buurman zegt dat hij niemand meer ziet")
    form.get_by_role("button", name="Signaal vastleggen").click()
    wait_for(lambda: phone.evaluate(
        "JSON.parse(localStorage.getItem('buurtroute-door') || '[]').length") == 1)
    assert query(live, "select count(*) from signals") == [(0,)]
    phone_context.set_offline(False)
    wait_for(lambda: query(live, "select count(*) from signals") == [(1,)])
    wait_for(lambda: phone.evaluate(
        "JSON.parse(localStorage.getItem('buurtroute-door') || '[]').length") == 0)
    phone.reload()
    time.sleep(1.5)  # a reload sends nothing twice
    assert query(live, "select category, urgency from signals") == [("loneliness", "this week")]

    # a house call, recorded from a phone's outbox the same way: in her round if the plan after
    # her "niet thuis" still has room for one there, else in a colleague's
    caller = calling_assistant(live)
    door_phone, door_errors = (phone, []) if caller == username else log_in(
        browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="nl-NL",
                            timezone_id="Europe/Amsterdam"), live, caller)
    call = door_phone.locator("form.house-call").first
    door = int(call.locator("input[name=door_id]").get_attribute("value"))
    call.get_by_role("button", name="gesproken").click()
    wait_for(lambda: query(live, "select door_id, outcome from house_calls") == [
        (door, "talked")])
    assert not door_errors, door_errors

    # the coordinator follows the alert up and closes it
    panel.get_by_role("link", name="Opvolgen en afsluiten").first.click()
    desk.wait_for_load_state()
    desk.get_by_label("Wat er is gedaan").fill("Buurvrouw belde: in ziekenhuis")
    desk.get_by_label("Vaste bestellingen van de bewoner vanaf vandaag pauzeren").check()
    desk.get_by_label("Gepauzeerd tot en met").fill((DAY + timedelta(days=6)).isoformat())
    desk.get_by_role("button", name="Melding afsluiten").click()
    desk.wait_for_load_state()
    assert "Geen open veiligheidsmeldingen" in desk.locator("#alerts-panel").inner_text()
    assert query(live, "select outcome from safety_alerts") == [
        ("Buurvrouw belde: in ziekenhuis",)]
    assert len(query(live, "select 1 from standing_pauses")) == 1

    # the month's report shows both, in counts
    desk.goto(live.url + f"/coordinator/report?month={DAY:%Y-%m}")
    details = desk.locator("table[aria-labelledby=ev-details]").inner_text()
    assert re.search(r"veiligheidsmeldingen: melding\s+1", details), details
    assert re.search(r"signalen: eenzaamheid\s+1", details), details
    assert desk.locator("svg.chart-bars").count() == 8
    office.close()
    phone_context.close()
    assert not desk_errors and not phone_errors, (desk_errors, phone_errors)
