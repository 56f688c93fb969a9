"""Standing orders and the week, in a real Chromium against waitress and a real planning worker
on the demo area (issue 12): the meal kitchen enters a hot meal for a resident every Monday,
Wednesday and Friday from next Monday through its standing-order form (a bad entry first:
errors beside the named fields, nothing stored); it sees the coming days and Monday's order
(made once, however many pages ask); the coordinator gives Anna her usual week, sees the meals
in the week, pauses the resident for a hospital stay over the Wednesday from the resident's
standing orders (the week and the kitchen then show it), plans Monday and Friday together
from the week page and sees the rounds' figures (also on a phone); Anna, on her phone, looks
ahead from today's round to Monday's and finds the meal there. Every step is checked in the
live database too, and every page with axe."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.browser_fixtures import (PHONE, LiveServer, browser, live,  # noqa: F401 (fixtures)
                                    log_in, wait_for_plan)
from tests.test_browser import axe_violations
from tests.web_fixtures import seeded_db, web_area  # noqa: F401 (fixtures by name)

#: The next Monday after today (the demo day, today, lies before it: the week is empty).
MONDAY = date.today() + timedelta(days=7 - date.today().weekday())
TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = (MONDAY + timedelta(days=n) for n in (1, 2, 3, 4))
#: A demo resident who gets the kitchen's meal on the demo day.
RESIDENT, ADDRESS, KITCHEN = "K.D.", "Uudenmaankatu 10", "Kita"


#: The server's today is the demo day (also in the hour when Amsterdam's date is not UTC's).
LIVE_ENV = {"BUURTROUTE_TODAY": date.today().isoformat(), "BUURTROUTE_PLAN_WORK_LIMIT": "30000"}


def query(live: LiveServer, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(live.database, timeout=30) as con:
        return con.execute(sql, args).fetchall()


def meals_of(live: LiveServer, standing_id: int) -> dict[date, tuple[int, str]]:
    """service date → (order id, status) of the standing order's orders."""
    return {date.fromisoformat(day): (oid, status) for oid, day, status in query(
        live, "select id, service_date, status from orders where standing_order_id = ?",
        standing_id)}


def week_cells(page, row: str) -> dict[date, str]:
    """The week table's footer row ``row`` (its header text), one cell per day."""
    header = page.locator("th", has_text=re.compile(f"^{row}$"))
    line = page.locator("table.week tfoot tr", has=header)
    cells = line.locator("td").all_inner_texts()
    return {MONDAY + timedelta(days=i): text.strip() for i, text in enumerate(cells)}


def no_axe_violations(page, what: str) -> None:
    found = axe_violations(page)
    assert not found, (what, found)


def test_a_standing_meal_from_the_kitchen_through_the_week_to_the_round(browser, live):
    errors: list[str] = []

    def screen(**options):
        """A browser of its own (its own login), collecting the pages' script errors."""
        context = browser.new_context(locale="nl-NL", **options)
        context.on("weberror", lambda e: errors.append(str(e.error)))
        return context

    # --- 1. the kitchen: a bad entry, then Monday, Wednesday and Friday from next Monday -----
    office = screen(viewport={"width": 1280, "height": 900})
    kitchen = office.new_page()
    log_in(kitchen, live, "keuken")
    kitchen.get_by_role("link", name="Vaste bestellingen", exact=True).click()
    kitchen.get_by_role("link", name="Nieuwe vaste bestelling").click()
    kitchen.get_by_label(re.compile(r"^Naam of initialen")).fill(RESIDENT)
    kitchen.get_by_label(re.compile(r"^Adres")).fill(ADDRESS)
    kitchen.get_by_label(re.compile(r"^Eerste dag")).fill(MONDAY.isoformat())
    kitchen.get_by_label("Laatste dag").fill((MONDAY - timedelta(days=3)).isoformat())
    kitchen.get_by_label("van", exact=True).fill("11:30")
    kitchen.get_by_label("tot", exact=True).first.fill("12:30")
    kitchen.get_by_role("button", name="Opslaan").click()
    summary = kitchen.locator("#form-errors")
    assert "Dagen: is verplicht" in summary.inner_text()
    assert "Laatste dag: ligt vóór de begindatum" in summary.inner_text()
    # beside the named fields, and the summary's links lead to them
    assert kitchen.locator("#f-end_date-error").inner_text() == "ligt vóór de begindatum"
    assert kitchen.get_by_label("Laatste dag").get_attribute("aria-invalid") == "true"
    when = kitchen.get_by_role("group", name="Wanneer")
    assert when.locator("> .error").inner_text() == "is verplicht"
    assert kitchen.locator(f"#{when.get_attribute('aria-describedby')}").inner_text() == \
        "is verplicht"
    for link in summary.get_by_role("link").all():
        target = link.get_attribute("href")
        assert kitchen.locator(target).count() == 1, f"{target} leads nowhere"
    assert kitchen.get_by_label(re.compile(r"^Naam of initialen")).input_value() == RESIDENT
    no_axe_violations(kitchen, "the standing-order form with errors")
    assert query(live, "select count(*) from standing_orders") == [(0,)]
    assert query(live, "select count(*) from orders where service_date >= ?",
                 MONDAY.isoformat()) == [(0,)]

    for day in ("maandag", "woensdag", "vrijdag"):
        kitchen.get_by_label(day, exact=True).check()
    kitchen.get_by_label("Laatste dag").fill("")
    assert kitchen.get_by_label("Warme maaltijd").is_checked(), "a kitchen's meal is hot"
    kitchen.get_by_role("button", name="Opslaan").click()
    kitchen.wait_for_url(re.compile(r"/partner/standing-orders/\d+$"))
    [(standing_id, weekdays, start, end, windows, kind, hot, name)] = query(
        live, "select s.id, s.weekdays, s.start_date, s.end_date, s.windows, s.kind, "
              "s.hot_meal, r.name from standing_orders s join residents r on r.id = "
              "s.resident_id join partners p on p.id = s.partner_id where p.name = ?", KITCHEN)
    assert (json.loads(weekdays), start, end, json.loads(windows), kind, hot, name) == (
        [0, 2, 4], MONDAY.isoformat(), None, [["11:30", "12:30"]], "meal", 1, RESIDENT)
    expect(kitchen.get_by_text(f"Vaste bestelling {standing_id} opgeslagen.")).to_be_visible()

    # --- 2. its coming days, and Monday's order in the list (made once) -----------------------
    assert kitchen.get_by_role("heading", level=1).inner_text() == \
        f"Vaste bestelling #{standing_id} · maaltijd (warme maaltijd)"
    details = kitchen.locator("dl.details").inner_text()
    assert "maandag, woensdag, vrijdag" in details and "11:30–12:30" in details
    assert f"vanaf {dutch(MONDAY)}" in details
    coming = kitchen.locator("#coming + table tbody tr").all_inner_texts()
    assert [line.split("\t")[0] for line in coming[:3]] == [dutch(MONDAY), dutch(WEDNESDAY),
                                                             dutch(FRIDAY)]
    assert all("wordt gemaakt als de dag gepland wordt" in line for line in coming)
    no_axe_violations(kitchen, "the standing order")
    kitchen.get_by_role("link", name="Bestellingen", exact=True).click()
    kitchen.get_by_label("Dag").fill(MONDAY.isoformat())
    kitchen.get_by_role("button", name="Toon").click()
    orders = kitchen.locator("table.cards")
    assert orders.locator("caption").inner_text() == f"Bestellingen · {dutch(MONDAY)}"
    [row] = orders.locator("tbody tr").all()
    assert RESIDENT in row.inner_text() and "maaltijd · vaste bestelling" in row.inner_text()
    assert "11:30–12:30" in row.inner_text() and "aangemeld" in row.inner_text()
    no_axe_violations(kitchen, "the kitchen's orders of Monday")
    kitchen.reload()
    [(day, (monday_meal, status))] = meals_of(live, standing_id).items()
    assert (day, status) == (MONDAY, "submitted")

    # --- 3. the coordinator: Anna's usual week, the week, a hospital stay -------------------
    coordination = screen(viewport={"width": 1280, "height": 900})
    desk = coordination.new_page()
    log_in(desk, live, "coordinator")
    desk.get_by_role("link", name="Assistenten", exact=True).click()
    desk.get_by_role("link", name="Anna", exact=True).click()
    for day in ("maandag", "woensdag", "vrijdag"):
        desk.get_by_label(f"{day} Begin").fill("09:00")
        desk.get_by_label(f"{day} Einde").fill("17:00")
        desk.get_by_label(f"{day} Pauze (minuten)").fill("30")
        desk.get_by_label(f"{day} Pauze vanaf").fill("12:00")
        desk.get_by_label(f"{day} Pauze uiterlijk").fill("13:30")
    desk.get_by_role("button", name="Opslaan").click()
    expect(desk.get_by_text("Anna opgeslagen.")).to_be_visible()
    [(anna,)] = query(live, "select id from assistants where name = 'Anna'")

    desk.get_by_role("link", name="Week", exact=True).click()
    desk.get_by_role("link", name="Volgende week").click()
    assert desk.get_by_role("heading", level=1).inner_text() == \
        f"De week vanaf {dutch(MONDAY)}"
    heads = desk.locator("table.week thead th").all_inner_texts()[1:]
    assert heads[0].startswith("ma ") and heads[2].startswith("wo ") and \
        heads[4].startswith("vr "), heads
    wanted = {MONDAY: "1", WEDNESDAY: "1", FRIDAY: "1"}
    assert {d: t.split("\n")[0] for d, t in week_cells(desk, "Bestellingen").items()} == {
        d: wanted.get(d, "0") for d in week_cells(desk, "Bestellingen")}
    assert all("maaltijd 1" in week_cells(desk, "Bestellingen")[d] for d in wanted)
    assert {d: t for d, t in week_cells(desk, "Diensten").items() if t != "0"} == {
        d: "1" for d in wanted}
    no_axe_violations(desk, "the week")
    # the kitchen's list, the standing order and the week asked for Monday: one order
    made = meals_of(live, standing_id)
    assert sorted(made) == [MONDAY, WEDNESDAY, FRIDAY] and made[MONDAY][0] == monday_meal
    assert query(live, "select count(*) from orders where standing_order_id = ? and "
                       "service_date = ?", standing_id, MONDAY.isoformat()) == [(1,)]

    desk.get_by_role("link", name="Bewoners", exact=True).click()
    desk.get_by_label("Naam, straat of buurt").fill(ADDRESS)
    desk.get_by_role("button", name="Toon").click()
    desk.locator("table tbody tr", has_text=RESIDENT).get_by_role("link", name="Wijzigen").click()
    upcoming = desk.locator("table", has=desk.locator("th", has_text="Datum"))
    assert dutch(MONDAY) in upcoming.inner_text(), "the resident's orders show Dutch dates"
    assert MONDAY.isoformat() not in upcoming.inner_text()
    desk.get_by_role("link", name="Vaste bestellingen en pauzes van deze bewoner").click()
    no_axe_violations(desk, "the resident's standing orders")
    hospital = desk.get_by_role("region", name=f"Alle vaste bestellingen van {RESIDENT} "
                                               "pauzeren")
    hospital.get_by_label("Van").fill(TUESDAY.isoformat())
    hospital.get_by_label("Tot en met").fill(THURSDAY.isoformat())
    hospital.get_by_label("Reden").fill("ziekenhuisopname")
    hospital.get_by_role("button", name="Pauzeren").click()
    expect(desk.get_by_text(f"Gepauzeerd van {dutch(TUESDAY)} tot en met {dutch(THURSDAY)}; "
                            "1 bestelling geannuleerd.")).to_be_visible()
    assert query(live, "select s.start_date, s.end_date, s.standing_order_id, s.reason from "
                       "standing_pauses s join residents r on r.id = s.resident_id where "
                       "r.name = ? and r.address = ?", RESIDENT, ADDRESS) == [
        (TUESDAY.isoformat(), THURSDAY.isoformat(), None, "ziekenhuisopname")]
    made = meals_of(live, standing_id)
    assert {d: s for d, (_, s) in made.items()} == {
        MONDAY: "submitted", WEDNESDAY: "cancelled", FRIDAY: "submitted"}

    desk.get_by_role("link", name="Week", exact=True).click()
    desk.get_by_role("link", name="Volgende week").click()
    meals = week_cells(desk, "Bestellingen")
    assert (meals[MONDAY].split("\n")[0], meals[WEDNESDAY], meals[FRIDAY].split("\n")[0]) == (
        "1", "0", "1")
    kitchen.goto(f"{live.url}/partner/standing-orders/{standing_id}")
    days = dict(line.split("\t")[:2] for line in
                kitchen.locator("#coming + table tbody tr").all_inner_texts())
    assert "gepauzeerd (ziekenhuisopname)" in days[dutch(WEDNESDAY)], days
    assert "aangemeld" in days[dutch(MONDAY)] and "aangemeld" in days[dutch(FRIDAY)]
    assert "ziekenhuisopname" in kitchen.locator("#pauses + ul").inner_text()

    # --- 4. plan Monday and Friday together; the week shows the rounds -----------------------
    desk.get_by_role("checkbox", name=re.compile(r"^Deze dagen plannen wo ")).uncheck()
    chosen = [c.get_attribute("value") for c in
              desk.locator("table.week input[name=dates]:checked").all()]
    assert chosen == [MONDAY.isoformat(), FRIDAY.isoformat()]
    desk.get_by_role("button", name="Deze dagen plannen").click()
    expect(desk.get_by_text(f"Planning gestart voor {dutch(MONDAY)}, {dutch(FRIDAY)}."
                            )).to_be_visible()
    for day in (MONDAY, FRIDAY):
        assert wait_for_plan(desk.request, live.url, day)["status"] == "done", day
    desk.reload()
    plans = dict(query(live, "select service_date, payload from plans where status = 'done' "
                             "and superseded = 0 and service_date >= ?", MONDAY.isoformat()))
    assert sorted(plans) == [MONDAY.isoformat(), FRIDAY.isoformat()]
    for day in (MONDAY, FRIDAY):
        [route] = [r for r in json.loads(plans[day.isoformat()])["routes"]
                   if any(v["order_id"] == str(made[day][0]) for v in r["visits"])]
        assert int(route["assistant_id"]) == anna
        cell = desk.locator(f'td[data-day="{day.isoformat()}"][data-assistant="{anna}"]')
        assert re.fullmatch(r"\d+(,\d)? u · 1 stop · \d+ min praatje", cell.inner_text()), \
            cell.inner_text()
    assert week_cells(desk, "Niet ingeplande bestellingen")[MONDAY] == "0"
    assert week_cells(desk, "Niet ingeplande bestellingen")[WEDNESDAY] == "niet gepland"
    assert {d: s for d, (_, s) in meals_of(live, standing_id).items()} == {
        MONDAY: "planned", WEDNESDAY: "cancelled", FRIDAY: "planned"}
    no_axe_violations(desk, "the planned week")

    # --- 5. the week on a phone: no sideways scrolling ---------------------------------------
    phone_desk = screen(viewport=PHONE, is_mobile=True, has_touch=True)
    small = phone_desk.new_page()
    log_in(small, live, "coordinator")
    small.goto(f"{live.url}/coordinator/week?start={MONDAY.isoformat()}")
    assert small.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert small.locator("table.week").is_visible()
    no_axe_violations(small, "the week on a phone")
    phone_desk.close()
    office.close()
    coordination.close()

    # --- 6. Anna, on her phone, looks ahead at Monday's round -------------------------------
    phone = screen(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    log_in(page, live, "anna")
    assert "/assistant" in page.url
    ahead = page.get_by_role("navigation", name="Uw volgende rondes")
    assert ahead.get_by_role("link").all_inner_texts() == [dutch(MONDAY), dutch(FRIDAY)]
    ahead.get_by_role("link", name=dutch(MONDAY)).click()
    assert page.get_by_role("heading", level=1).inner_text() == \
        f"Ronde van Anna · {dutch(MONDAY)}"
    stop = page.locator(f'table.round-stops tr.delivery[data-order="{made[MONDAY][0]}"]')
    assert ADDRESS in stop.inner_text() and "(warme maaltijd)" in stop.inner_text(), \
        stop.inner_text()
    assert page.get_by_role("navigation", name="Uw volgende rondes").get_by_role(
        "link").all_inner_texts() == [dutch(FRIDAY)]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    no_axe_violations(page, "Anna's round of Monday")
    phone.close()
    assert not errors, errors


def dutch(day: date) -> str:
    """"maandag 30 november 2026", as the pages write a date."""
    names = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
    months = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
              "september", "oktober", "november", "december")
    return f"{names[day.weekday()]} {day.day} {months[day.month - 1]} {day.year}"

