"""Many cooperatives on one service, in a real Chromium against waitress: the service admin
adds a cooperative with its first coordinator (a refused form first) and lets the demo's
pharmacy serve it too; that coordinator chooses a password with the invitation link (the
admin never knows one), logs in and starts empty; the pharmacy, now serving two cooperatives,
chooses the new one, submits an order there and sees only that order, while in the demo
cooperative it sees its own orders and no other partner's. Each coordinator sees only the orders of their own cooperative, and the
pharmacy's software is asked to name the cooperative once it serves two. When the admin stops
the pharmacy serving the new cooperative, its orders there stay with that cooperative and out
of the pharmacy's sight."""

from __future__ import annotations

import re
import sqlite3

import pytest
import requests

from tests.browser_fixtures import (GOOD_ADDRESS, bearer, browser,  # noqa: F401 (fixtures)
                                    live, log_in, submit_order_form)
from tests.test_browser import axe_violations, shot
from tests.web_fixtures import DAY, seeded_db, web_area  # noqa: F401 (fixtures by name)

PHARMACY_LOGIN = "apotheek1"
NEW = {"name": "Buurtcoöperatie Noord", "slug": "noord", "coordinator": "noord-coco"}
RECIPIENT = "N. Noordman"


def rows(live, query: str, *args) -> list[tuple]:
    with sqlite3.connect(live.database, timeout=30) as con:
        return con.execute(query, args).fetchall()


def text(page) -> str:
    """Every text of the page, hidden parts too (a closed ``details``), unescaped."""
    return page.locator("body").text_content()


@pytest.fixture(scope="module")
def facts(live, seeded_db):
    """What the demo database holds before the journey: the pharmacy, its recipients on the
    day and another partner's, and a demo resident the new cooperative must never show."""
    (partner_id, partner_name), = rows(
        live, "select p.id, p.name from users u join partners p on p.id = u.partner_id "
        "where u.username = ?", PHARMACY_LOGIN)
    day = DAY.isoformat()
    own = {r for (r,) in rows(live, "select r.name from orders o join residents r on "
                                    "r.id = o.resident_id where o.partner_id = ? and "
                                    "o.service_date = ?", partner_id, day)}
    others = {r for (r,) in rows(live, "select r.name from orders o join residents r on "
                                       "r.id = o.resident_id where o.partner_id != ? and "
                                       "o.service_date = ?", partner_id, day)} - own
    assert own and others, "the demo day has orders of the pharmacy and of other partners"
    (demo_name,), = rows(live, "select name from organisations where slug = 'demo'")
    return {"partner_id": partner_id, "partner": partner_name, "own": own,
            "others": others, "demo": demo_name, "token": seeded_db[1].tokens[partner_name]}


def test_a_new_cooperative_its_coordinator_and_a_partner_serving_two(browser, live, facts):
    admin_context = browser.new_context(viewport={"width": 1280, "height": 900})
    admin = admin_context.new_page()
    log_in(admin, live, "beheer")
    assert admin.url.endswith("/admin/")
    listing = text(admin)
    assert "demo" in listing
    for name in facts["own"] | facts["others"]:  # the service admin sees no residents
        assert name not in listing, name
    assert not axe_violations(admin), "the service admin's page"

    # a wrong short name and no coordinator: refused by field, nothing stored
    admin.locator("#f-name").fill(NEW["name"])
    admin.locator("#f-slug").fill("Noord Oost")
    admin.locator("form[action$='/admin/'] button[type=submit]").click()
    admin.wait_for_load_state()
    assert admin.locator("#f-slug-error").is_visible()
    assert admin.locator("#f-coordinator-error").is_visible()
    assert admin.locator("#f-name").input_value() == NEW["name"]  # what was typed stays
    assert rows(live, "select id from organisations where name = ?", NEW["name"]) == []

    admin.locator("#f-slug").fill(NEW["slug"])
    admin.locator("#f-coordinator").fill(NEW["coordinator"])
    admin.locator("form[action$='/admin/'] button[type=submit]").click()
    admin.wait_for_load_state()
    notice = admin.locator("#invitation")
    assert notice.is_visible() and NEW["coordinator"] in notice.inner_text()
    invitation = notice.locator("#login-link").inner_text().strip()
    (org_id,), = rows(live, "select id from organisations where slug = ?", NEW["slug"])
    new_row = admin.get_by_role("row").filter(has_text=NEW["name"])
    assert new_row.get_by_role("button", name=re.compile("Nieuwe uitnodiging")).is_visible()
    assert not axe_violations(admin), "the service admin's page with an invitation"

    order = {"recipient": RECIPIENT, "address": GOOD_ADDRESS, "kind": "medicine",
             "service_date": DAY.isoformat(), "windows": [{"start": "10:00", "end": "12:00"}]}
    api = live.url + "/api/v1/orders"
    # the pharmacy serves the new cooperative too
    admin.locator("#f-partner").select_option(label=facts["partner"])
    admin.locator("#f-org").select_option(label=NEW["name"])
    admin.locator("form[action$='/admin/links'] button[type=submit]").click()
    admin.wait_for_load_state()
    served = admin.locator(".partner-links tbody tr").filter(has_text=facts["partner"])
    assert sorted(served.locator("td:nth-child(2)").all_inner_texts()) == sorted(
        [NEW["name"], facts["demo"]])
    shot(admin, "admin-partner-serves-two")

    # its software must now say which cooperative an order is for
    unnamed = requests.post(api, json=order, headers=bearer(facts["token"]), timeout=60)
    assert unnamed.status_code == 422 and "cooperative" in unnamed.json()["fields"]
    assert rows(live, "select count(*) from orders where org_id = ?", org_id) == [(0,)]

    # the new coordinator chooses a password with the link, logs in and starts empty
    coco_context = browser.new_context(viewport={"width": 1280, "height": 900})
    coco = coco_context.new_page()
    coco.goto(invitation)
    password = "noord-coordinator-chose-this"
    coco.locator("#password").fill(password)
    coco.locator("#password_again").fill(password)
    coco.locator("form button[type=submit]").last.click()
    coco.wait_for_load_state()
    assert coco.url.endswith("/login")
    log_in(coco, live, NEW["coordinator"], password)
    assert coco.url.endswith("/coordinator/")
    coco.goto(f"{live.url}/coordinator/?date={DAY.isoformat()}")
    day_page = text(coco)
    for name in facts["own"] | facts["others"]:
        assert name not in day_page, name
    coco.goto(live.url + "/coordinator/residents")
    assert coco.locator("#r-count").is_visible()
    assert coco.locator("table").count() == 0
    coco.goto(live.url + "/coordinator/assistants")
    for (name,) in rows(live, "select name from assistants"):
        assert name not in text(coco), name
    coco.goto(live.url + "/coordinator/partners")
    assert facts["partner"] in text(coco)  # the pharmacy the admin linked
    assert not axe_violations(coco), "the new coordinator's partners page"

    # the pharmacy logs in and chooses the new cooperative
    pharmacy_context = browser.new_context(viewport={"width": 1280, "height": 900})
    pharmacy = pharmacy_context.new_page()
    log_in(pharmacy, live, PHARMACY_LOGIN)
    choice = pharmacy.locator("#cooperative")
    assert sorted(choice.locator("option").all_inner_texts()) == sorted(
        [NEW["name"], facts["demo"]])
    choice.select_option(label=facts["demo"])
    pharmacy.locator("form.cooperative button[type=submit]").click()
    pharmacy.wait_for_load_state()
    pharmacy.goto(f"{live.url}/partner/orders?date={DAY.isoformat()}")
    demo_list = text(pharmacy)
    assert all(name in demo_list for name in facts["own"])
    assert not any(name in demo_list for name in facts["others"])  # only its own orders

    choice.select_option(label=NEW["name"])
    pharmacy.locator("form.cooperative button[type=submit]").click()
    pharmacy.wait_for_load_state()
    assert choice.input_value() == NEW["slug"]
    pharmacy.goto(f"{live.url}/partner/orders?date={DAY.isoformat()}")
    assert not any(name in text(pharmacy) for name in facts["own"] | facts["others"])

    pharmacy.goto(live.url + "/partner/orders/new")
    submit_order_form(pharmacy, RECIPIENT, GOOD_ADDRESS, DAY)
    assert "/new" not in pharmacy.url
    stored = rows(live, "select o.org_id, o.partner_id from orders o join residents r on "
                        "r.id = o.resident_id where r.name = ?", RECIPIENT)
    assert stored == [(org_id, facts["partner_id"])]
    pharmacy.goto(f"{live.url}/partner/orders?date={DAY.isoformat()}")
    assert pharmacy.get_by_role("row").filter(has_text=RECIPIENT).count() == 1
    assert not any(name in text(pharmacy) for name in facts["own"] | facts["others"])

    # its software names the new cooperative: the order lands there, once
    named = requests.post(api, json={**order, "recipient": "N. Tweede", "cooperative":
                                     NEW["slug"]}, headers=bearer(facts["token"]), timeout=60)
    assert named.status_code == 201 and named.json()["cooperative"] == NEW["slug"]
    listed = requests.get(api, params={"date": DAY.isoformat(), "cooperative": NEW["slug"]},
                          headers=bearer(facts["token"]), timeout=60).json()
    assert sorted(o["recipient"] for o in listed["orders"]) == sorted(["N. Tweede", RECIPIENT])

    # back in the demo cooperative: its own orders there, none of the new one's
    pharmacy.locator("#cooperative").select_option(value="demo")
    pharmacy.locator("form.cooperative button[type=submit]").click()
    pharmacy.wait_for_load_state()
    pharmacy.goto(f"{live.url}/partner/orders?date={DAY.isoformat()}")
    back = text(pharmacy)
    assert all(name in back for name in facts["own"]) and RECIPIENT not in back

    # each coordinator sees their own cooperative's orders only
    coco.goto(f"{live.url}/coordinator/?date={DAY.isoformat()}")
    new_day = text(coco)
    assert RECIPIENT in new_day and "N. Tweede" in new_day
    assert not any(name in new_day for name in facts["own"] | facts["others"])
    demo_context = browser.new_context(viewport={"width": 1280, "height": 900})
    demo = demo_context.new_page()
    log_in(demo, live, "coordinator")
    demo.goto(f"{live.url}/coordinator/?date={DAY.isoformat()}")
    demo_day = text(demo)
    assert all(name in demo_day for name in facts["own"] | facts["others"])
    assert RECIPIENT not in demo_day and "N. Tweede" not in demo_day

    # the pharmacy stops serving the new cooperative: it works in the demo one only again,
    # and what it ordered for the new one stays there, out of its sight
    admin.goto(live.url + "/admin/")
    assert new_row.get_by_role("button", name=re.compile("Nieuwe uitnodiging")).count() == 0
    admin.get_by_role("button", name=f"{facts['partner']} · {NEW['name']}").click()
    admin.wait_for_load_state()
    assert served.locator("td:nth-child(2)").all_inner_texts() == [facts["demo"]]
    assert served.get_by_role("button").count() == 0  # its last cooperative: not from here
    pharmacy.goto(f"{live.url}/partner/orders?date={DAY.isoformat()}")
    assert pharmacy.locator("#cooperative").count() == 0
    assert RECIPIENT not in text(pharmacy)
    gone = requests.get(api, params={"date": DAY.isoformat(), "cooperative": NEW["slug"]},
                        headers=bearer(facts["token"]), timeout=60)
    assert gone.status_code == 422 and "cooperative" in gone.json()["fields"]
    coco.reload()
    assert RECIPIENT in text(coco)
    for context in (admin_context, coco_context, pharmacy_context, demo_context):
        context.close()
