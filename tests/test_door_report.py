"""Continuity and the pilot's evidence (issue 15): continuity computed exactly on a hand-made
history (pure, and from the store); the report's totals are the sums of the events beneath
them, per month, buurt and assistant; charts are static SVG; PDF and CSV (formula-safe); bad
periods refused by field; and nothing in any of them identifies a resident."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import select

from tests.test_door_alerts import app, smtp  # noqa: F401 (fixtures)
from tests.test_web_planning import plan_day
from tests.web_fixtures import (  # noqa: F401 (fixtures by name)
    DAY, accounts, db_session, login, seeded_db, tap, web_area)
from web import alerts, continuity, evidence, facts, housecalls
from web.continuity import Visit
from web.planning import current_plan
from web.stats import praatje_of
from web.store import (REACHED, Assistant, Fact, HouseCall, Order, Resident, SafetyAlert,
                       Signal)


def test_continuity_is_exact_on_a_hand_made_history():
    a, b = 1, 2
    history = [Visit(10, a, a, "Kluuvi"), Visit(10, a, a, "Kluuvi"), Visit(10, a, b, "Kluuvi"),
               Visit(11, b, b, "Kaisaniemi"), Visit(12, None, a, "Kluuvi"),
               Visit(13, b, a, "Kaisaniemi"), Visit(13, b, a, "Kaisaniemi")]
    result = continuity.measure(history)
    assert {r: (s.by_regular, s.visits) for r, s in result.per_resident.items()} == {
        10: (2, 3), 11: (1, 1), 13: (0, 2)}  # 12 has no regular assistant: not counted
    assert {x: (s.by_regular, s.visits) for x, s in result.per_assistant.items()} == {
        a: (2, 3), b: (1, 3)}
    assert {x: (s.by_regular, s.visits) for x, s in result.per_buurt.items()} == {
        "Kluuvi": (2, 3), "Kaisaniemi": (1, 3)}
    assert (result.overall.by_regular, result.overall.visits) == (3, 6)
    assert result.overall.rate == 0.5 and continuity.Share().rate is None


def lived_day(app) -> dict:
    """The demo day planned, then lived: in each round the first deliveries handed over and
    one "niet thuis"; regular assistants set for two residents; signals and house calls."""
    client = app.test_client()
    login(client, "coordinator")
    assert plan_day(client)["status"] == "done"
    with db_session(app) as s:
        plan = current_plan(s, DAY)
        assistants = {a.id: a for a in s.scalars(select(Assistant))}
        at = 10 * 3600
        for route in plan.payload["routes"]:
            who = assistants[int(route["assistant_id"])]
            doors = [int(v["order_id"]) for v in route["visits"]
                     if v["action"] == "delivery" and not v["order_id"].startswith("r")][:4]
            for k, order_id in enumerate(doors):
                order = s.get(Order, order_id)
                action = "not_home" if k == 3 else "delivered"
                recorded = facts.record(s, who, None, [order], action, tap(), at)
                alerts.raise_for(s, recorded.facts)
                at += 20 * 60
        delivered = s.scalars(select(Fact).where(Fact.action == "delivered")
                              .order_by(Fact.id)).all()
        first, second = s.get(Order, delivered[0].order_id), s.get(Order, delivered[-1].order_id)
        first.resident.regular_assistant_id = delivered[0].assistant_id  # by the regular
        second.resident.regular_assistant_id = next(a for a in assistants
                                                    if a != delivered[-1].assistant_id)
        for category, resident in (("loneliness", first.resident_id), ("help", None),
                                   ("loneliness", None)):
            s.add(Signal(client_id=tap(), category=category, urgency="this week", note="x",
                         resident_id=resident, buurt="Kluuvi", status="open",
                         assistant_id=delivered[0].assistant_id))
        campaign = housecalls.create(s, __import__("routing.area").area.load_area(
            "helsinki-demo"), "Kluuvi", ["Kluuvi"], [], DAY, DAY + timedelta(days=41), 42, 10,
            None)
        s.flush()
        doors = s.scalars(select(housecalls.CampaignDoor).where(
            housecalls.CampaignDoor.campaign_id == campaign.id).limit(4)).all()
        for door, outcome in zip(doors, ("talked", "rung", "opened", "not_interested"), strict=False):
            s.add(HouseCall(client_id=tap(), door_id=door.id, service_date=DAY,
                            assistant_id=delivered[0].assistant_id, at_seconds=15 * 3600,
                            outcome=outcome))
        # an assistant whose name a spreadsheet would run as a formula
        assistants[delivered[-1].assistant_id].name = "=HYPERLINK(\"http://x\")"
        s.commit()
        names = {r.name for r in s.scalars(select(Resident))}
        addresses = {r.address for r in s.scalars(select(Resident))}
    return {"names": names, "addresses": addresses}


def test_the_report_adds_up_to_the_events_and_names_nobody(app):
    lived = lived_day(app)
    with db_session(app) as s:
        found = evidence.build(s, DAY - timedelta(days=3), DAY)
        delivered = s.scalars(select(Fact).where(Fact.action == "delivered")).all()
        orders = [s.get(Order, f.order_id) for f in delivered]
        calls = s.scalars(select(HouseCall)).all()
        reached_calls = sum(c.outcome in REACHED for c in calls)
        total = evidence.TOTAL
        assert found.get("total", total, "contacts") == len(delivered) + reached_calls
        for dimension in ("month", "buurt", "assistant"):
            assert sum(found.get(dimension, g, "contacts") for g in found.groups(dimension)) \
                == found.get("total", total, "contacts"), dimension
        assert found.get("total", total, "residents_reached") == len(
            {o.resident_id for o in orders})
        assert found.get("total", total, "praatje_hours") == round(
            sum(praatje_of(o) for o in orders) / 60, 2)
        for kind, n in Counter(o.kind for o in orders).items():
            assert found.get("total", total, f"deliveries:{kind}") == n
        for outcome, n in Counter(c.outcome for c in calls).items():
            assert found.get("total", total, f"house_calls:{outcome}") == n
        assert found.get("total", total, "signals:loneliness") == 2
        assert found.get("total", total, "signals:help") == 1
        levels = Counter(a.level for a in s.scalars(select(SafetyAlert)))
        assert levels and all(found.get("total", total, f"alerts:{lv}") == n
                              for lv, n in levels.items())
        plan = current_plan(s, DAY)
        left = len(plan.payload["unplanned"])
        given = left + len({v["order_id"] for r in plan.payload["routes"] for v in r["visits"]
                            if not v["order_id"].startswith("r")})
        assert found.get("total", total, "orders_planned_or_left") == given
        assert found.get("total", total, "unplanned_percent") == round(100 * left / given, 1)
        share = found.get("total", total, "continuity_percent")
        visits = continuity.visits_between(s, DAY, DAY)
        expected = continuity.measure(visits).overall
        assert expected.visits >= 2 and share == round(100 * expected.rate, 1)
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    page = coordinator.get(f"/coordinator/report?month={DAY.strftime('%Y-%m')}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count('class="chart-bars"') == 8
    assert "Verantwoording van de pilot" in html and "eenzaamheid" in html
    assert not any(n in html for n in lived["names"] | lived["addresses"])
    residents, page = "", 1  # every page of the list (the two may be on different pages)
    while True:
        html = coordinator.get(f"/coordinator/residents?page={page}").get_data(as_text=True)
        residents += html
        if f"residents?page={page + 1}" not in html:
            break
        page += 1
    assert "1/1 (100 %)" in residents and "0/1 (0 %)" in residents
    csv_text = coordinator.get(f"/coordinator/report/evidence.csv?month={DAY:%Y-%m}"
                               ).get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(csv_text)))
    assert rows[0] == ["van", "tot", "dimensie", "groep", "maat", "waarde"]
    assert any(r[3] == "'=HYPERLINK(\"http://x\")" for r in rows)  # formula-safe
    assert not any(r[3].startswith("=") for r in rows[1:])
    assert not any(n in csv_text for n in lived["names"] | lived["addresses"])
    pdf = coordinator.get(f"/coordinator/report/evidence.pdf?month={DAY:%Y-%m}")
    assert pdf.data[:4] == b"%PDF"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Verantwoording van de pilot" in text
    assert not any(n in text for n in lived["names"] | lived["addresses"])


def test_bad_periods_are_refused_by_field(app):
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    for query, field in (("month=2025-13", "f-month-error"), ("from=gisteren", "f-from-error"),
                         ("from=2025-03-10&to=2025-03-01", "f-to-error")):
        page = coordinator.get(f"/coordinator/report?{query}")
        assert page.status_code == 400 and field in page.get_data(as_text=True), query
    assert coordinator.get("/coordinator/report/evidence.csv?month=x").status_code == 400
    assert coordinator.get("/coordinator/report/evidence.pdf?to=x").status_code == 400
