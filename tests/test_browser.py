"""The product as its users meet it: a real Chromium (Debian's, headless, driven by Playwright)
against the planner served by waitress on 127.0.0.1, with the demo day seeded.

Journeys: a partner logs in, submits an order with a wrong address (and sees the field error),
corrects it and finds it in the list; the coordinator plans the day (map, workload); the
assistant opens the round on a phone, marks a stop done and prints an A4 sheet; the coordinator
gives a resident a longer praatje (after a refused value). On a 390 px phone the partner's order
list, the residents pages (paged), the coordinator's planned day (tables become labelled cards,
the map scales) and the round fit without sideways scrolling; every cell of a round card says
what it is ("Aankomst: 09:12", "Praatje: 10 min"), while on paper it stays a table. Accessibility:
axe-core (shipped inside the axe-playwright-python wheel, so no network at test time) runs in
each main page; zero serious or critical violations, and the keyboard reaches everything.
Screenshots and the PDF land in test-artifacts/ for people to look at.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from tests.browser_fixtures import (ARTIFACTS, BAD_ADDRESS, GOOD_ADDRESS, PASSWORD, PHONE,
                                    browser, live, log_in,  # noqa: F401 (fixtures by name)
                                    submit_order_form)
from tests.web_fixtures import DAY, seeded_db, web_area  # noqa: F401 (fixtures by name)



def axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


#: The clock of a re-plan is pinned, so that the round left after a stop is marked done does
#: not depend on the hour the tests run at.
LIVE_ENV = {"BUURTROUTE_NOW": "10:00"}


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def shot(page, name: str, **kwargs) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, **kwargs)
    return path


def axe_violations(page, serious_only: bool = True) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations'],
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                            'best-practice']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    return [v for v in result if not serious_only or v["impact"] in ("serious", "critical")]


def orders_of(database: Path, recipient: str) -> list[tuple]:
    with sqlite3.connect(database) as con:
        return con.execute("select o.id, r.address, o.status from orders o join residents r on "
                           "r.id = o.resident_id where r.name = ?", (recipient,)).fetchall()


# --- partner ------------------------------------------------------------------------------------

def test_partner_submits_a_bad_then_a_good_order(page, live):
    log_in(page, live, "apotheek1")
    assert "/partner/" in page.url
    page.get_by_role("link", name=re.compile("Nieuwe bestelling|New order")).first.click()
    submit_order_form(page, "B. Browser", BAD_ADDRESS, DAY)
    error = page.locator("#f-address-error")
    assert error.is_visible(), "the address error is not shown next to the field"
    assert error.inner_text().strip()
    assert page.locator("#f-address").get_attribute("aria-invalid") == "true"
    assert page.get_by_role("alert").first.is_visible()
    shot(page, "partner-order-address-error")
    assert orders_of(live.database, "B. Browser") == []

    page.locator("#f-address").fill(GOOD_ADDRESS)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()
    assert "/partner/" in page.url and "/new" not in page.url
    stored = orders_of(live.database, "B. Browser")
    assert len(stored) == 1 and stored[0][1].startswith(GOOD_ADDRESS), stored
    row = page.get_by_role("row").filter(has_text="B. Browser")
    assert row.count() == 1 and GOOD_ADDRESS in row.inner_text()
    shot(page, "partner-orders-after-submit")


def test_keyboard_alone_logs_in_and_focus_is_visible(page, live):
    page.goto(live.url + "/login")
    page.keyboard.press("Tab")
    first = page.evaluate("document.activeElement.getAttribute('href')")
    assert first == "#main", "the first Tab stop is not the skip link"
    assert page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
        const r = document.activeElement.getBoundingClientRect();
        return r.left >= 0 && r.width > 0 && (s.outlineStyle !== 'none' || s.boxShadow !== 'none'); }""")
    page.locator("#username").focus()
    page.keyboard.type("apotheek1")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/partner/" in page.url
    # every control of the order form is reachable by Tab, in a visible way
    page.goto(live.url + "/partner/orders/new")
    reached = set()
    for _ in range(80):
        page.keyboard.press("Tab")
        info = page.evaluate("""() => { const e = document.activeElement;
            const s = getComputedStyle(e);
            // date/time fields focus an inner segment, which Chromium highlights itself
            const own = ['date', 'time'].includes(e.type);
            return [e.id || e.name || e.tagName,
                    own || s.outlineStyle !== 'none' || s.boxShadow !== 'none'] }""")
        if info[0] == "BODY":  # past the last control: the tour is complete
            break
        reached.add(info[0])
        assert info[1], f"{info[0]} has focus but no visible focus ring"
    for control in ("f-recipient", "f-address", "f-kind", "f-service_date", "f-note"):
        assert control in reached, f"Tab never reaches {control}"


PAGES = {
    None: ["/", "/login"],
    "apotheek1": ["/partner/orders", "/partner/orders/new", "/partner/upload",
                  "/partner/tokens", "/partner/standing-orders", "/partner/standing-orders/new",
                  "/partner/standing-orders/upload"],
    "coordinator": ["/coordinator/", "/coordinator/residents", "/coordinator/residents?page=2",
                    "/coordinator/residents?q=katu", "/coordinator/residents/1",
                    "/coordinator/week", "/coordinator/standing-orders",
                    "/coordinator/standing-orders/new",
                    "/coordinator/standing-orders?resident=1"],
}


@pytest.mark.parametrize("username", list(PAGES))
def test_main_pages_have_no_serious_accessibility_violations(page, live, username):
    if username:
        log_in(page, live, username)
    found = {}
    for path in PAGES[username]:
        page.goto(live.url + path)
        page.wait_for_load_state()
        violations = axe_violations(page)
        if violations:
            found[path] = violations
    if username == "apotheek1":  # the form with errors shown is a page too
        page.goto(live.url + "/partner/orders/new")
        page.locator("#f-address").fill(BAD_ADDRESS)
        page.locator("form button[type=submit]").last.click()
        page.wait_for_load_state()
        violations = axe_violations(page)
        if violations:
            found["/partner/orders/new (errors)"] = violations
    assert not found, found


def test_pages_fit_a_phone_without_sideways_scrolling(browser, live):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="nl-NL")
    page = context.new_page()
    log_in(page, live, "apotheek1")
    # the order list becomes one card per order, so nothing scrolls sideways
    for path, name in (("/partner/orders/new", "partner-form-phone"),
                       (f"/partner/orders?date={DAY.isoformat()}", "partner-orders-phone")):
        page.goto(live.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        shot(page, name)
        assert width <= PHONE["width"], f"{path} is {width}px wide on a phone"
    assert page.locator("table.cards tbody tr").count() > 0, "the order list is empty"
    context.close()


# --- coordinator and assistant (when their pages exist) -----------------------------------------

def test_coordinator_plans_the_day_and_sees_map_and_workload(page, live):
    log_in(page, live, "coordinator")
    page.get_by_role("button", name=re.compile("Plan", re.I)).first.click(timeout=10_000)
    page.wait_for_load_state()
    page.wait_for_selector("svg, .map, [role=img]", timeout=120_000)
    assert page.locator("svg, .map, [role=img]").first.is_visible()
    text = page.locator("main").inner_text()
    for name in ("Anna", "Bram", "Chantal"):
        assert name in text, f"the workload does not show {name}"
    for table in ("table.workload", "table.round"):  # on a wide screen: tables with headings
        assert page.locator(f"{table} thead").first.is_visible()
        assert not shown_as_cards(page, table), table
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert axe_violations(page) == []
    shot(page, "coordinator-plan")


def test_assistant_round_on_a_phone_marks_a_stop_done_and_prints_a4(browser, live):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="nl-NL")
    page = context.new_page()
    log_in(page, live, "anna")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    done = page.get_by_role("button", name=re.compile("Afgeleverd|Delivered|Klaar|Done", re.I))
    before = done.count()
    assert before > 0, "the round shows no stop to mark done"
    done.first.click(timeout=10_000)
    page.wait_for_load_state()
    shot(page, "assistant-round-phone")
    assert axe_violations(page) == []
    page.emulate_media(media="print")
    assert page.locator("table").first.is_visible(), "the print layout has no stop table"
    assert page.locator("svg, img").first.is_visible(), "the print layout has no map"
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / "assistant-round-a4.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5_000
    context.close()


def phone_page(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="nl-NL")
    return context, context.new_page()


CARD_LABELS = """(selector) => [...document.querySelectorAll(selector)]
    .filter(cell => cell.getClientRects().length > 0)
    .map(cell => [getComputedStyle(cell, '::before').content,
                  cell.innerText.trim(), getComputedStyle(cell, '::after').content])"""


def shown_as_cards(page, table: str) -> bool:
    """Every row of ``table`` is a block (a card) and its column headings are off screen."""
    return page.evaluate("""(table) => {
        const rows = [...document.querySelectorAll(table + ' tbody tr')];
        const head = document.querySelector(table + ' thead');
        return rows.length > 0 && rows.every(r => getComputedStyle(r).display === 'block')
            && (!head || head.getBoundingClientRect().width <= 1); }""", table)


def test_coordinator_and_assistant_pages_fit_a_phone(browser, live):
    context, page = phone_page(browser)
    log_in(page, live, "coordinator")
    if not page.locator(".map svg").count():  # the assistant's round needs a plan
        page.get_by_role("button", name=re.compile("Plan", re.I)).first.click()
        page.wait_for_selector(".map svg", timeout=120_000)
    for path, name in (("/coordinator/residents", "coordinator-residents-phone"),
                       ("/coordinator/residents?page=2", "coordinator-residents-2-phone"),
                       ("/coordinator/residents/1", "coordinator-resident-phone"),
                       (f"/coordinator/?date={DAY.isoformat()}", "coordinator-day-phone")):
        page.goto(live.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        shot(page, name)
        assert width <= PHONE["width"], f"{path} is {width}px wide on a phone"
        assert axe_violations(page) == [], path
    # the day page with a plan: the map scales to the width, the wide tables are cards
    assert page.locator(".map svg").count() == 1, "the day page shows no planned map"
    box = page.locator(".map svg").bounding_box()
    assert 300 <= box["width"] <= PHONE["width"] and box["x"] >= 0, box
    page.locator(".buurt-orders-all > summary").click()  # every order, opened on request
    for table in ("table.workload", "table.round", "table.buurt-orders", "table.shifts"):
        assert shown_as_cards(page, table), f"{table} is not cards on a phone"
    if page.locator("table.unplanned").count():
        assert shown_as_cards(page, "table.unplanned")
    stop = page.evaluate(CARD_LABELS, "table.round tr.stop.delivery td")[:6]
    assert [label for label, _, _ in stop] == [
        '"Stop: "', '"Aankomst: "', '"Wat: "', '"Bewoner: "', '"Tijdvak: "', '"Status: "'], stop
    assert re.search(r"\d\d:\d\d", stop[1][1]), stop
    menus = page.evaluate("""() => [...document.querySelectorAll('a.menu')].map(a => [
        a.getBoundingClientRect().left, a.getBoundingClientRect().right,
        a.getBoundingClientRect().height])""")
    assert menus, "no stop can be moved or locked"
    assert all(left >= 0 and right <= PHONE["width"] and height > 0
               for left, right, height in menus), menus[:3]
    # the buurt × kind count table keeps its two dimensions and scrolls inside its own box
    region = page.locator(".table-scroll")
    assert region.get_attribute("role") == "region" and region.get_attribute("tabindex") == "0"
    assert region.bounding_box()["width"] <= PHONE["width"]
    for width in (768, 1024):  # a tablet, a small laptop: the many-column tables are cards too
        page.set_viewport_size({"width": width, "height": 900})
        page.reload()
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width
        page.locator(".buurt-orders-all > summary").click()
        assert shown_as_cards(page, "table.round") and shown_as_cards(page, "table.buurt-orders")
    context.close()
    context, page = phone_page(browser)
    log_in(page, live, "anna")
    assert page.locator("table.round-stops tr.stop").count() > 0, "Anna's round is empty"
    width = page.evaluate("document.documentElement.scrollWidth")
    shot(page, "assistant-round-phone-fit")
    assert width <= PHONE["width"], f"the round is {width}px wide on a phone"
    assert shown_as_cards(page, "table.round-stops")
    # every cell says what it is, in Dutch; a praatje reads "Praatje: 10 min"
    cells = page.evaluate(CARD_LABELS, "table.round-stops tr.stop td")
    bare = [cell for cell in cells if not re.fullmatch(r'"[A-Z][a-z]+: "', cell[0])]
    assert len(cells) > 20 and not bare, bare[:3]
    delivery = page.evaluate(CARD_LABELS, "table.round-stops tr.stop.delivery:not(.done) td")[:8]
    shown = {label.strip('"').rstrip(": "): (text, after) for label, text, after in delivery}
    assert list(shown) == ["Stop", "Aankomst", "Tijdvak", "Wat", "Waar", "Praatje", "Bewoner",
                           "Status"], shown
    assert re.match(r"\d\d:\d\d", shown["Aankomst"][0]), shown
    assert shown["Praatje"][0].isdigit() and shown["Praatje"][1] == '" min"', shown
    assert "Afgeven" in shown["Wat"][0]
    pickup = page.evaluate(CARD_LABELS, "table.round-stops tr.stop.pickup td")
    assert pickup and "Ophalen" in pickup[3][1] and not any(
        label == '"Praatje: "' for label, _, _ in pickup), "a pickup shows an empty praatje"
    page.emulate_media(media="print")  # on paper: a normal table, headings and no labels
    assert page.locator("table.round-stops thead").is_visible()
    assert not shown_as_cards(page, "table.round-stops")
    assert all(label == "none" and after == "none" for label, _, after in
               page.evaluate(CARD_LABELS, "table.round-stops tr.stop td")[:16])
    context.close()


def resident_praatje(database: Path, resident_id: int):
    with sqlite3.connect(database) as con:
        return con.execute("select praatje_minutes from residents where id = ?",
                           (resident_id,)).fetchone()[0]


def test_coordinator_gives_a_resident_a_longer_praatje(page, live):
    log_in(page, live, "coordinator")
    page.get_by_role("link", name=re.compile("Bewoners|Residents")).click()
    page.wait_for_load_state()
    buurt = page.locator("#r-buurt option").nth(1).get_attribute("value")
    page.locator("#r-buurt").select_option(buurt)
    page.get_by_role("button", name=re.compile("Toon|Show")).click()
    page.wait_for_load_state()
    rows = page.locator("table.residents tbody tr")
    assert rows.count() > 0
    for i in range(rows.count()):
        assert buurt in rows.nth(i).inner_text(), "the buurt filter lets others through"
    row = rows.first
    resident_id = int(row.get_attribute("id").removeprefix("resident-"))
    before = resident_praatje(live.database, resident_id)
    row.get_by_role("link", name=re.compile("Wijzigen|Change")).click()
    page.wait_for_load_state()
    field = page.get_by_label(re.compile("Gebruikelijk praatje|Usual praatje"))
    field.fill("150")
    page.get_by_role("button", name=re.compile("Opslaan|Save")).click()
    page.wait_for_load_state()
    error = page.locator("#f-praatje_minutes-error")
    assert error.is_visible() and "120" in error.inner_text()
    assert field.get_attribute("aria-invalid") == "true" and field.input_value() == "150"
    assert page.get_by_role("alert").first.is_visible()
    assert resident_praatje(live.database, resident_id) == before
    assert axe_violations(page) == []
    shot(page, "coordinator-resident-error")
    field.fill("25")
    page.get_by_role("button", name=re.compile("Opslaan|Save")).click()
    page.wait_for_load_state()
    assert resident_praatje(live.database, resident_id) == 25
    assert page.locator(".flash.success").is_visible()
    assert page.locator(".next-praatje").count() == 0 or all(
        int(t.split()[0]) >= 25 for t in page.locator(".next-praatje").all_inner_texts())
    page.get_by_role("link", name=re.compile("Terug|Back")).click()
    page.wait_for_load_state()
    assert "25 min" in page.locator(f"#resident-{resident_id}").inner_text()
