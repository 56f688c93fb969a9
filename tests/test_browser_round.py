"""The assistant's round on a 390 × 844 phone, in a real Chromium against waitress and a real
planning worker: the next stop as a card, one tap marks it without a reload (the scroll stays
where it was, the card shows the following stop), a tap can be undone for a moment, marks made
without a connection are kept on the phone and arrive once when it is back (also after the
page was reloaded offline, from the service worker), "Navigeer" carries the stop's
coordinates, and a coordinator's change reaches the phone by itself, where she was."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import pytest

from tests.browser_fixtures import (PASSWORD, PHONE, browser, coordinator_session,  # noqa: F401
                                    live, plan_and_wait)
from tests.web_fixtures import DAY, seeded_db, web_area  # noqa: F401 (fixtures by name)



LIVE_ENV = {"BUURTROUTE_NOW": "10:00", "BUURTROUTE_PLAN_WORK_LIMIT": "30000",
            "BUURTROUTE_MARK_UNDO_SECONDS": "1"}


@pytest.fixture(scope="module", autouse=True)
def planned(live):
    """The demo day planned once, before the module's tests."""
    status = plan_and_wait(live, DAY)
    assert status["status"] == "done", status


@pytest.fixture
def phone(browser, live):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  locale="nl-NL", timezone_id="Europe/Amsterdam")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live.url + "/login")
    page.get_by_label(re.compile("Gebruikersnaam")).fill("anna")
    page.get_by_label(re.compile("Wachtwoord")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Inloggen")).click()
    page.wait_for_load_state()
    assert "/assistant/" in page.url
    yield context, page
    context.close()
    assert not errors, errors


def facts(database: Path) -> list[tuple]:
    with sqlite3.connect(database, timeout=30) as con:
        return con.execute("select order_id, action from facts order by id").fetchall()


def card(page):
    return page.locator("#next-stops article.stop-card:not([hidden])")


def wait_for(predicate, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_one_tap_marks_the_next_stop_in_place(phone, live):
    _, page = phone
    before = facts(live.database)
    first = card(page).get_attribute("data-key")
    order_id = int(first.split("-")[0])
    page.evaluate("window.__stay = 1; window.scrollTo(0, 240)")
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0
    button = card(page).locator("form.mark button").first
    action = button.get_attribute("value")
    button.click()
    assert page.evaluate("window.__stay") == 1, "the page reloaded"
    assert page.evaluate("window.scrollY") == scrolled, "the page jumped"
    assert card(page).get_attribute("data-key") != first, "the card still shows the same stop"
    new = wait_for(lambda: facts(live.database)[len(before):])
    assert (order_id, action) in new
    time.sleep(2)  # a retry, a poll: it stays one fact
    assert facts(live.database)[len(before):].count((order_id, action)) == 1


def test_a_tap_can_be_undone_for_a_moment(phone, live):
    _, page = phone
    before = facts(live.database)
    shown = card(page).get_attribute("data-key")
    card(page).locator("form.mark button").first.click()
    assert card(page).get_attribute("data-key") != shown
    page.get_by_role("button", name="Ongedaan maken").click()
    assert card(page).get_attribute("data-key") == shown
    time.sleep(2.5)  # past the undo time: nothing was sent
    assert facts(live.database) == before


def test_marks_made_offline_arrive_once_when_the_connection_is_back(phone, live):
    context, page = phone
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now through the service worker, which keeps the round
    page.wait_for_load_state()
    before = facts(live.database)
    context.set_offline(True)
    tapped = []
    for _ in range(2):
        key = card(page).get_attribute("data-key")
        button = card(page).locator("form.mark button").first
        tapped.append((int(key.split("-")[0]), button.get_attribute("value")))
        button.click()
        wait_for(lambda key=key: card(page).get_attribute("data-key") != key, 5)
    time.sleep(2.5)
    assert facts(live.database) == before, "a mark got through without a connection"
    assert "Nog niet verstuurd" in page.locator("#toast").inner_text()
    page.reload()  # offline: the service worker answers with the kept round
    page.wait_for_load_state()
    assert "Ronde van Anna" in page.locator("h1").inner_text()
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_for(lambda: all(m in facts(live.database)[len(before):] for m in tapped)
                       and facts(live.database)[len(before):])
    time.sleep(2)
    assert sorted(facts(live.database)[len(before):]) == sorted(set(facts(live.database)[len(before):]))


def test_navigate_opens_the_phones_own_navigation_at_the_stop(phone, live):
    _, page = phone
    key = card(page).get_attribute("data-key")
    order_id, action = int(key.split("-")[0]), key.split("-")[1]
    with sqlite3.connect(live.database) as con:
        column = "o.pickup_lat, o.pickup_lon" if action == "pickup" else "r.lat, r.lon"
        lat, lon = con.execute(f"select {column} from orders o join residents r on "
                               f"r.id = o.resident_id where o.id = ?", (order_id,)).fetchone()
    href = card(page).get_by_role("link", name="Navigeer").get_attribute("href")
    assert href.startswith(f"geo:{lat:.6f},{lon:.6f}"), (href, lat, lon)
    google = card(page).get_by_role("link", name="Google Maps").get_attribute("href")
    assert f"destination={lat:.6f},{lon:.6f}" in google and "travelmode=" in google


def test_a_change_by_the_coordinator_shows_up_on_the_phone_by_itself(phone, live):
    _, page = phone
    with sqlite3.connect(live.database) as con:
        bram, = con.execute("select id from assistants where name = 'Bram'").fetchone()
    keys = [k for k in page.locator("#next-stops article").evaluate_all(
        "cards => cards.map(c => c.dataset.key)") if k.endswith("-delivery")]
    moved = int(keys[-1].split("-")[0])  # her last door goes to Bram
    page.evaluate("window.scrollTo(0, 300)")
    session, token = coordinator_session(live.url)
    answer = session.post(live.url + f"/coordinator/orders/{moved}/lock",
                          data={"csrf_token": token, "assistant_id": str(bram),
                                "action": "lock"})
    assert answer.status_code in (200, 302)
    page.wait_for_selector("#round-state:not([hidden])", timeout=60_000)
    said = page.locator("#round-state").inner_text()
    assert f"#{moved}" in said and "niet meer in uw ronde" in said, said
    assert page.evaluate("window.scrollY") == 300, "the new round did not keep her place"
    assert page.locator(f"#card-{moved}-delivery").count() == 0
