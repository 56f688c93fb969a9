"""The coordinator's day as a board on a 1440 × 900 desktop, in a real Chromium against waitress
and a real planning worker: the Plan button is off (with progress) while a run goes; the day of
three rounds fits in three screen heights; the legend's colours are the map's route colours;
the map zooms and pans and says what a tapped stop is; filters hide a round and a kind; a stop
is moved and locked, then unlocked, with the keyboard alone (its menu, one dialog, Escape
brings the focus back); a refused move shows its reason in the menu it came from; axe finds
no serious or critical violation, with the dialog open too."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import pytest

from tests.browser_fixtures import browser, live, log_in  # noqa: F401 (fixtures by name)
from tests.test_browser import axe_violations, shot
from tests.web_fixtures import DAY, seeded_db, web_area  # noqa: F401 (fixtures by name)

DESKTOP = {"width": 1440, "height": 900}


LIVE_ENV = {"BUURTROUTE_NOW": "10:00"}


@pytest.fixture
def desk(browser, live):
    context = browser.new_context(locale="nl-NL", viewport=DESKTOP)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, live, "coordinator")
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def query(database: Path, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(database, timeout=30) as con:
        return con.execute(sql, args).fetchall()


def settled(database: Path, timeout: float = 120) -> int:
    """The current plan's id once no run is running or waiting."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        (newest,), = query(database, "select coalesce(max(id), 0) from plan_requests")
        running = query(database, "select id from plans where status = 'running'")
        covered = query(database, "select upto_request from plans where status in "
                                  "('done', 'failed') order by id desc limit 1")
        if not running and covered and covered[0][0] >= newest:
            return query(database, "select id from plans where status = 'done' and "
                                   "superseded = 0")[0][0]
        time.sleep(0.3)
    raise AssertionError("the day did not settle")


def test_plan_button_is_off_with_progress_while_a_run_goes(desk, live):
    desk.get_by_role("button", name="Plan de dag").click()
    # at once (the script), and on the page the server sends back while the run waits or
    # goes: no second click, and the page says it is working
    assert desk.locator("#plan-button").is_disabled()
    desk.wait_for_url(re.compile(r"/coordinator/\?date="))
    assert desk.locator("#plan-status").get_attribute("data-status") == "running"
    assert desk.locator("#plan-button").is_disabled()
    desk.wait_for_selector("#plan-status progress", timeout=10_000)
    assert "De planner is bezig" in desk.locator("#plan-status").inner_text()
    # the page reloads by itself when the run is over: the board with its map
    desk.wait_for_selector("#day-map svg", timeout=180_000)
    assert desk.locator("#plan-button").is_enabled()
    assert "Planning" in desk.locator("#plan-status").inner_text()
    settled(live.database)


def test_the_day_of_three_rounds_fits_in_three_screen_heights(desk, live):
    desk.goto(live.url + f"/coordinator/?date={DAY.isoformat()}")
    assert desk.locator(".round-column").count() == 3
    height = desk.evaluate("document.documentElement.scrollHeight")
    width = desk.evaluate("document.documentElement.scrollWidth")
    shot(desk, "coordinator-board-1440")
    assert height <= 3 * DESKTOP["height"], height
    assert width <= DESKTOP["width"], width
    # every stop row says order number, initials (at a door), window and status
    rows = desk.locator("table.round tr.stop.delivery:not(.return)")
    assert rows.count() > 20
    cells = rows.first.locator("td").all_inner_texts()
    assert re.search(r"#\d+", cells[2]) and re.fullmatch(r"([A-Z]\.)+", cells[3]), cells
    assert re.match(r"\d\d:\d\d–\d\d:\d\d|–", cells[4]) and cells[5].strip(), cells
    # the rounds stand side by side: their tops are level
    tops = {round(b["y"]) for b in (desk.locator(".round-column").nth(i).bounding_box()
                                    for i in range(3))}
    assert len(tops) == 1, tops
    assert axe_violations(desk) == []


def test_legend_colours_are_the_maps_route_colours(desk, live):
    desk.goto(live.url + f"/coordinator/?date={DAY.isoformat()}")
    legend = desk.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        'table.workload tbody tr')].map(tr => [tr.dataset.round,
        tr.querySelector('.swatch rect').getAttribute('fill')]))""")
    routes = desk.evaluate("""() => { const out = {};
        document.querySelectorAll('#day-map svg path.route').forEach(p => {
            (out[p.dataset.round] ||= new Set()).add(p.getAttribute('stroke')); });
        return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v]])); }""")
    markers = desk.evaluate("""() => { const out = {};
        document.querySelectorAll('#day-map svg g.stop').forEach(g => {
            (out[g.dataset.round] ||= new Set()).add(g.querySelector('circle')
                .getAttribute('stroke')); });
        return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v]])); }""")
    assert len(legend) == 3 and len(set(legend.values())) == 3, legend
    assert {k: [v] for k, v in legend.items()} == routes == markers
    # the rounds' headings and the filters carry the same swatch
    for rid, colour in legend.items():
        assert desk.locator(f'.round-column[data-round="{rid}"] h3 .swatch rect') \
            .get_attribute("fill") == colour


def test_map_zooms_pans_and_says_what_a_stop_is(desk, live):
    desk.goto(live.url + f"/coordinator/?date={DAY.isoformat()}")
    svg = desk.locator("#day-map svg")
    whole = svg.get_attribute("viewBox")
    desk.get_by_role("button", name="Inzoomen").click()
    zoomed = [float(v) for v in svg.get_attribute("viewBox").split()]
    assert zoomed[2] < float(whole.split()[2])
    box = svg.bounding_box()
    desk.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    desk.mouse.down()
    desk.mouse.move(box["x"] + box["width"] / 2 - 120, box["y"] + box["height"] / 2 - 60,
                    steps=5)
    desk.mouse.up()
    panned = [float(v) for v in svg.get_attribute("viewBox").split()]
    assert panned[0] > zoomed[0] and panned[2] == zoomed[2], (zoomed, panned)
    desk.get_by_role("button", name="Hele kaart").click()
    assert svg.get_attribute("viewBox") == whole
    # markers never sit on top of each other
    centres = desk.evaluate("""() => [...document.querySelectorAll('#day-map g.stop circle')]
        .map(c => [+c.getAttribute('cx'), +c.getAttribute('cy')])""")
    close = [(a, b) for i, a in enumerate(centres) for b in centres[i + 1:]
             if (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 < 12 ** 2]
    assert not close, close[:3]
    # tapping a stop says what it is and marks its row
    marker = desk.locator("#day-map g.stop").nth(5)
    key = marker.get_attribute("data-stop")
    marker.click()
    info = desk.locator("#map-info").inner_text()
    assert re.search(r"\d\d:\d\d", info) and "#" in info, info
    assert desk.locator(f"#stop-{key}").evaluate("r => r.classList.contains('chosen')")


def test_filters_hide_a_round_and_a_kind(desk, live):
    desk.goto(live.url + f"/coordinator/?date={DAY.isoformat()}")
    first = desk.locator(".filters input[data-filter=round]").first
    rid = first.get_attribute("value")
    first.uncheck()
    assert desk.locator(f'.round-column[data-round="{rid}"]').is_hidden()
    assert desk.evaluate(f"""() => [...document.querySelectorAll('#day-map [data-round="{rid}"]')]
        .every(e => getComputedStyle(e).display === 'none')""")
    first.check()
    meal = desk.locator(".filters input[value=meal]")
    meal.uncheck()
    assert desk.locator("table.round tr[data-kind=meal]").first.is_hidden()
    assert desk.locator("table.round tr[data-kind=medicine]").first.is_visible()


def focus_by_tab(page, selector: str, limit: int = 400) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reaches {selector}")


def test_move_and_lock_then_unlock_by_keyboard_alone(desk, live):
    desk.goto(live.url + f"/coordinator/?date={DAY.isoformat()}")
    # a house call (no pickup first), to become stop 1 of another round
    row = desk.locator("table.round tr.stop.delivery[data-kind=visit], "
                       "table.round tr.stop.delivery[data-kind=klusje]") \
        .filter(has=desk.locator("a.menu")).first
    order_id = int(row.get_attribute("data-order"))
    source = row.evaluate("r => r.closest('.round-column').dataset.round")
    target = next(v for v in desk.locator(".round-column").evaluate_all(
        "cs => cs.map(c => c.dataset.round)") if v != source)
    menu = f"#stop-{order_id}-delivery a.menu"
    focus_by_tab(desk, menu)
    desk.keyboard.press("Enter")
    dialog = desk.locator("dialog#move")
    assert dialog.is_visible() and desk.evaluate("document.activeElement.id") == "move-assistant"
    assert f"#{order_id}" in desk.locator("#move-title").inner_text()
    desk.keyboard.press("Escape")  # closes, and the focus is back on the stop's menu
    assert dialog.is_hidden() and desk.evaluate(f"document.activeElement.matches('{menu}')")
    desk.keyboard.press("Enter")
    # choose Chantal with the arrow keys, then stop number 1, then Enter
    key = "ArrowDown" if desk.evaluate(
        f"[...document.querySelectorAll('#move-assistant option')].findIndex(o => o.value === "
        f"'{target}') > document.getElementById('move-assistant').selectedIndex") else "ArrowUp"
    for _ in range(5):
        if desk.locator("#move-assistant").input_value() == target:
            break
        desk.keyboard.press(key)
    assert desk.locator("#move-assistant").input_value() == target
    desk.keyboard.press("Tab")
    assert desk.evaluate("document.activeElement.id") == "move-position"
    desk.keyboard.type("1")
    with desk.expect_navigation():
        desk.keyboard.press("Enter")
    assert query(live.database, "select assistant_id, position from stop_locks where "
                                "order_id = ?", order_id) == [(int(target), 0)]
    settled(live.database)
    desk.goto(live.url + f"/coordinator/?date={DAY.isoformat()}")
    moved = desk.locator(f'.round-column[data-round="{target}"] #stop-{order_id}-delivery')
    assert moved.locator("td").first.inner_text().strip() == "1"
    assert "vastgezet bij" in moved.locator(".locked").inner_text()
    # ... and unlocked again, by keyboard: its menu, Tab to "Losmaken", Enter
    focus_by_tab(desk, menu)
    desk.keyboard.press("Enter")
    focus_by_tab(desk, "#move-unlock", limit=6)
    with desk.expect_navigation():
        desk.keyboard.press("Enter")
    assert query(live.database, "select count(*) from stop_locks where order_id = ?",
                 order_id) == [(0,)]
    settled(live.database)


def test_a_refused_move_shows_its_reason_in_the_menu(desk, live):
    desk.goto(live.url + f"/coordinator/?date={DAY.isoformat()}")
    row = desk.locator("table.round tr.stop.delivery").filter(has=desk.locator("a.menu")).first
    order_id = row.get_attribute("data-order")
    row.locator("a.menu").click()
    desk.locator("#move-position").fill("999")
    desk.locator("#move-lock").click()
    desk.wait_for_load_state()
    dialog = desk.locator("dialog#move")
    assert dialog.is_visible()
    error = dialog.get_by_role("alert")
    assert error.is_visible() and f"#{order_id} · Als stop nummer: moet tussen" in \
        error.inner_text()
    box = error.bounding_box()
    assert 0 <= box["y"] <= DESKTOP["height"], box  # in view, not above it
    assert axe_violations(desk) == []
    shot(desk, "coordinator-board-refused-move")
    assert query(live.database, "select count(*) from stop_locks") == [(0,)]


def test_progress_shows_up_without_a_reload(desk, live):
    """An assistant marks a house call done on her phone: the board's "done" count for her
    round changes by itself, the page is not reloaded, and it says the rounds changed."""
    import json
    import secrets

    from tests.browser_fixtures import assistant_session

    desk.goto(live.url + f"/coordinator/?date={DAY.isoformat()}")
    desk.evaluate("window.stayed = true")
    (payload,), = query(live.database, "select payload from plans where status = 'done' and "
                                       "superseded = 0")
    kinds = dict(query(live.database, "select id, kind from orders"))
    aid, order_id = next((r["assistant_id"], int(v["order_id"]))
                         for r in json.loads(payload)["routes"] for v in r["visits"]
                         if v["order_id"].isdigit() and v["action"] == "delivery"
                         and kinds[int(v["order_id"])] in ("visit", "klusje"))
    (name,), = query(live.database, "select name from assistants where id = ?", int(aid))
    cell = desk.locator(f'tr[data-round="{aid}"] .live-done')
    assert cell.inner_text().startswith("0 van ")
    session, token = assistant_session(live.url, name.lower())
    response = session.post(live.url + "/assistant/marks", headers={"X-CSRFToken": token},
                            json={"event_id": secrets.token_urlsafe(12), "order_ids": [order_id],
                                  "status": "delivered"}, timeout=60)
    assert response.status_code == 201, response.text
    desk.wait_for_function(
        f"""() => document.querySelector('tr[data-round="{aid}"] .live-done')
            .textContent.startsWith('1 van ')""", timeout=60_000)
    assert desk.evaluate("window.stayed === true"), "the page was reloaded"
    assert desk.locator(f'.round-column[data-round="{aid}"] h3 .live-done').inner_text() \
        .startswith("1 van ")
    desk.wait_for_selector("#plan-status a.new-plan", timeout=60_000)
    assert desk.locator("#plan-status").inner_text().count("De rondes zijn gewijzigd") == 1
    settled(live.database)
