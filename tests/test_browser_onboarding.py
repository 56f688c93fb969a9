"""A cooperative starts from an empty database, in a real Chromium against waitress and a real
planning worker: ``python -m web.cli init``, then the coordinator adds a meal kitchen with a
login (its invitation link) and an API token, an assistant working Monday, Wednesday and
Friday with her login, and a resident; the kitchen's software submits a meal for Monday with
its token; the coordinator plans Monday; the assistant sets her password with the invitation
link, logs in and sees Monday's round with the meal in it. Nothing of the demo is used."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, timedelta

import pytest
import requests

from tests.test_browser import axe_violations

from tests.browser_fixtures import (GOOD_ADDRESS, PASSWORD, PHONE, ROOT, LiveServer,
                                    area_addresses, bearer, browser,  # noqa: F401 (fixture)
                                    log_in, wait_for_plan)

#: The Monday the cooperative starts: the next one (today, if today is a Monday). The server's
#: "today" is pinned to it, so the day page and the assistant's round open on it.
MONDAY = date.today() + timedelta(days=(7 - date.today().weekday()) % 7)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """Not the demo: an empty database that ``web.cli init`` starts."""
    folder = tmp_path_factory.mktemp("onboarding")
    database = folder / "empty.sqlite"
    server = LiveServer(database, folder, threads=4, extra_env={
        "BUURTROUTE_TODAY": MONDAY.isoformat(), "BUURTROUTE_NOW": "07:00",
        "BUURTROUTE_PLAN_WORK_LIMIT": "30000"})
    init = subprocess.run(
        [sys.executable, "-m", "web.cli", "init", "--slug", "oost", "--name",
         "Buurtcoöperatie Oost", "--coordinator", "coco", "--password-stdin"],
        input=PASSWORD + "\n", env=server.env(), cwd=ROOT, capture_output=True, text=True,
        timeout=300)
    assert init.returncode == 0, init.stderr
    assert "Next steps" in init.stdout
    server.start()
    yield server
    server.stop()


def fill(page, label: str, value: str) -> None:
    """Fill the field labelled ``label`` (a required field's label ends in " *")."""
    page.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$")).fill(value)


def test_from_an_empty_database_to_a_planned_monday(browser, live):
    resident_address = next(a for a in area_addresses(5) if not a.startswith("Unioninkatu 29"))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, live, "coco")
    assert page.url.endswith("/coordinator/")

    # a meal kitchen, its pickup place and hours, a login and an API token
    page.get_by_role("link", name="Partners", exact=True).click()
    page.get_by_role("link", name="Partner toevoegen", exact=True).click()
    fill(page, "Naam", "Keuken De Linde")
    page.get_by_label("Soort").select_option("meal_kitchen")
    fill(page, "Naam ophaalplek", "De Linde")
    fill(page, "Adres ophaalplek", GOOD_ADDRESS)
    for day in ("maandag", "woensdag", "vrijdag"):
        fill(page, day, "10:00-14:00")
    page.get_by_role("button", name="Opslaan").click()
    assert page.get_by_text("Keuken De Linde opgeslagen.").is_visible()
    assert not axe_violations(page), "the partner page"
    fill(page, "Gebruikersnaam", "linde")
    page.get_by_role("button", name="Login uitnodigen").click()
    assert page.locator("#login-link").is_visible()
    page.get_by_role("link", name="Terug", exact=True).click()
    page.get_by_role("button", name="Sleutel maken").click()
    token = page.locator("#new-token").inner_text().strip()
    assert token.startswith("brt_")

    # an assistant working Monday, Wednesday and Friday, and her login
    page.get_by_role("link", name="Assistenten", exact=True).click()
    page.get_by_role("link", name="Assistent toevoegen", exact=True).click()
    fill(page, "Naam", "Anna")
    page.get_by_label("Vervoer").select_option("bike")
    fill(page, "Begin van de dag", GOOD_ADDRESS)
    for day in ("maandag", "woensdag", "vrijdag"):
        fill(page, f"{day} Begin", "09:00")
        fill(page, f"{day} Einde", "17:00")
        fill(page, f"{day} Pauze (minuten)", "30")
        fill(page, f"{day} Pauze vanaf", "12:00")
        fill(page, f"{day} Pauze uiterlijk", "13:30")
    page.get_by_role("button", name="Opslaan").click()
    assert page.get_by_text("Anna opgeslagen.").is_visible()
    assert not axe_violations(page), "the assistant page"
    fill(page, "Gebruikersnaam", "anna")
    page.get_by_role("button", name="Login uitnodigen").click()
    invitation = page.locator("#login-link").inner_text().strip()

    # a resident the cooperative already visits
    page.get_by_role("link", name="Bewoners", exact=True).click()
    page.get_by_role("link", name="Bewoner toevoegen", exact=True).click()
    assert not axe_violations(page), "the new resident page"
    fill(page, "Naam", "M. de Boer")
    fill(page, "Adres", resident_address)
    fill(page, "Notitie voor de deur", "Twee keer bellen")
    page.get_by_role("button", name="Bewoner toevoegen").click()
    assert page.get_by_role("heading", name="M. de Boer").is_visible()

    # the kitchen's software orders Monday's meal with its token
    meal = requests.post(live.url + "/api/v1/orders", headers=bearer(token), timeout=120, json={
        "recipient": "M. de Boer", "address": resident_address, "kind": "meal",
        "service_date": MONDAY.isoformat(), "windows": [{"start": "11:30", "end": "12:30"}]})
    assert meal.status_code == 201, meal.text

    # Monday: Anna's shift comes from her week; she is offered for a shift; plan the day
    page.get_by_role("link", name="Dag", exact=True).click()
    shifts = page.locator("table.shifts")
    assert "Anna" in shifts.inner_text() and "09:00–17:00" in shifts.inner_text()
    assert page.locator("#s-assistant option", has_text="Anna").count() == 1
    page.get_by_role("button", name="Plan de dag").click()
    status = wait_for_plan(page.request, live.url, MONDAY)
    assert status["status"] == "done", status
    context.close()

    # Anna chooses her password with the invitation link and sees Monday's round
    phone = browser.new_context(viewport=PHONE)
    page = phone.new_page()
    page.goto(invitation)
    assert not axe_violations(page), "the invitation page"
    fill(page, "Nieuw wachtwoord", PASSWORD)
    fill(page, "Hetzelfde wachtwoord nog eens", PASSWORD)
    page.get_by_role("button", name="Wachtwoord instellen").click()
    assert "/login" in page.url
    log_in(page, live, "anna")
    assert "/assistant" in page.url
    round_page = page.locator("main").inner_text()
    assert resident_address.split(",")[0] in round_page
    assert "De Linde" in round_page and "maaltijd" in round_page
    assert "Twee keer bellen" in round_page
    page.goto(invitation)  # the link worked once
    assert page.get_by_role("heading", name="Deze link werkt niet meer").is_visible()
    phone.close()
