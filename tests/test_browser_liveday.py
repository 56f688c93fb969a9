"""The live day as its users live it, in a real Chromium against waitress and a real planning
worker (the embedded SQLite queue, as ``make run`` starts them):

Anna ticks off her first pickup (a batch of packages at one place, one tap), taps
"Afgeleverd" on one door and, while that re-plan runs, "Niet thuis" on another whose goods
go back. The coordinator processes the changes, moves one of Bram's stops to Chantal, sees
what changed, and undoes it. What a user expects, asserted on the store and on the pages:
the not-home goods come back in Anna's own round (never someone else's); the move changes
only Bram's and Chantal's rounds; undo puts the stop back with Bram.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path

from tests.browser_fixtures import PHONE, browser, live, log_in  # noqa: F401 (fixtures)
from tests.web_fixtures import DAY, seeded_db, web_area  # noqa: F401 (fixtures by name)

LIVE_ENV = {"BUURTROUTE_NOW": "10:00", "BUURTROUTE_PLAN_WORK_LIMIT": "40000",
            "BUURTROUTE_MARK_UNDO_SECONDS": "0.5"}


def query(database: Path, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(database, timeout=30) as con:
        return con.execute(sql, args).fetchall()


def current(database: Path) -> tuple[int, dict]:
    (pid, payload), = query(database, "select id, payload from plans where status = 'done' "
                                      "and superseded = 0")
    return pid, json.loads(payload)


def settled(database: Path, timeout: float = 120) -> tuple[int, dict]:
    """The current plan once no request waits for a run and none is running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        (newest,), = query(database, "select coalesce(max(id), 0) from plan_requests")
        running = query(database, "select id from plans where status = 'running'")
        covered = query(database, "select upto_request from plans where status in "
                                  "('done', 'failed') order by id desc limit 1")
        if not running and covered and covered[0][0] >= newest:
            return current(database)
        time.sleep(0.3)
    raise AssertionError("the day did not settle: a run is still running or waiting")


def recorded(database: Path, order_id: int, action: str, timeout: float = 30) -> None:
    """Wait until the phone's outbox has delivered this mark (after its moment to undo)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if query(database, "select 1 from facts where order_id = ? and action = ?",
                 order_id, action):
            return
        time.sleep(0.2)
    raise AssertionError(f"the mark {action} of order {order_id} never arrived")


def assistant_ids(database: Path) -> dict[str, str]:
    return {name: str(aid) for aid, name in query(database, "select id, name from assistants")}


def rounds(payload: dict) -> dict[str, list[tuple[str, str]]]:
    return {r["assistant_id"]: [(v["order_id"], v["action"]) for v in r["visits"]]
            for r in payload["routes"]}


def test_marks_in_a_hurry_move_and_undo(browser, live):
    who = assistant_ids(live.database)
    desk = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    coordinator = desk.new_page()
    log_in(coordinator, live, "coordinator")
    coordinator.get_by_role("button", name="Plan de dag").click()
    coordinator.wait_for_selector("#workload", timeout=120_000)
    _, first = settled(live.database)
    anna = rounds(first)[who["Anna"]]
    comes_back = {str(oid) for oid, in query(
        live.database, "select id from orders where kind in ('medicine', 'parcel') and "
                       "pickup_lat is not null")}

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="nl-NL")
    round_page = phone.new_page()
    errors: list[str] = []
    round_page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(round_page, live, "anna")
    # a pickup place is one stop however many packages wait there: one tap takes them all
    door = None
    for _ in range(6):
        pickups = round_page.locator("#next-stops").get_by_role("button", name="Opgehaald")
        assert pickups.count() > 0, "no pickup stop left to tick off"
        key = round_page.locator("#next-stops article:not([hidden])").get_attribute("data-key")
        pickups.first.click()
        recorded(live.database, int(key.split("-")[0]), "picked_up")
        carried = [o for o, in query(live.database, "select order_id from facts where "
                                                    "action = 'picked_up' order by id")]
        door = next((o for o in carried if str(o) in comes_back), None)
        if door is not None:
            break
    assert door is not None, "Anna never carried goods that go back"
    first_place = [oid for oid, action in anna if action == "pickup"]
    assert str(carried[0]) == first_place[0], "the first tap did not tick off her first stop"
    settled(live.database)
    # "Afgeleverd" at one door, then at once "Niet thuis" at another whose goods go back
    other = next((o for o in carried if o != door), None)
    round_page.reload()  # the round as the re-plan left it
    if other is not None:
        round_page.locator(f"tr[data-order='{other}'].delivery").first \
            .get_by_role("button", name="Afgeleverd").click()
    row = round_page.locator(f"tr[data-order='{door}'].delivery").first
    row.get_by_role("button", name="Niet thuis").click()
    if other is not None:
        recorded(live.database, other, "delivered")
    recorded(live.database, door, "not_home")
    assert query(live.database, "select status from orders where id = ?", door) == [
        ("not_home",)]
    latest, after_marks = settled(live.database)
    shown = round_page.locator("#round-state").get_attribute("data-plan")
    if shown != str(latest):  # the round says by itself that it changed (it polls)
        round_page.wait_for_selector("#round-state:not([hidden])", timeout=30_000)
        round_page.get_by_role("link", name="Toon de nieuwe ronde").click()
        round_page.wait_for_load_state()
    assert round_page.get_by_text(re.compile("Terugbrengen naar")).count() >= 1
    by = rounds(after_marks)
    assert (f"r{door}", "delivery") in by[who["Anna"]], "the goods do not go back with Anna"
    assert all(f"r{door}" not in {o for o, _ in stops} and str(door) not in {
        o for o, _ in stops} for aid, stops in by.items() if aid != who["Anna"]), by
    assert not after_marks["violations"]
    assert not errors, errors

    # the coordinator moves one of Bram's stops to Chantal
    coordinator.goto(live.url + f"/coordinator/?date={DAY.isoformat()}")
    bram = [o for o, action in by[who["Bram"]] if action == "delivery" and not o.startswith("r")]
    moved = next(o for o in bram if coordinator.locator(f"#stop-{o}-delivery a.menu").count())
    coordinator.locator(f"#stop-{moved}-delivery a.menu").click()  # the stop's menu
    coordinator.locator("#move-assistant").select_option(who["Chantal"])
    coordinator.locator("dialog#move").get_by_role("button", name="Vastzetten").click()
    coordinator.wait_for_load_state()
    _, after_move = settled(live.database)
    new = rounds(after_move)
    assert any(o == moved for o, _ in new[who["Chantal"]])
    assert new[who["Anna"]] == by[who["Anna"]], "a move between Bram and Chantal changed Anna"
    coordinator.goto(live.url + f"/coordinator/?date={DAY.isoformat()}")
    coordinator.locator("details.changes > summary").click()
    changes = coordinator.locator("details.changes").inner_text()
    assert f"#{moved}" in changes and "van Bram naar Chantal" in changes, changes

    # ... and undoes it: the stop is Bram's again, the lock gone
    coordinator.get_by_role("button", name="Laatste wijziging ongedaan maken").click()
    coordinator.wait_for_load_state()
    _, after_undo = settled(live.database)
    back = rounds(after_undo)
    assert any(o == moved for o, _ in back[who["Bram"]]), "undo did not bring the stop back"
    assert query(live.database, "select count(*) from stop_locks where order_id = ?",
                 int(moved)) == [(0,)]
    assert not after_undo["violations"]
    desk.close()
    phone.close()
