"""House-call campaigns in the web app (issue 15): the coordinator makes one over a buurt of
the demo area (bad input refused by field, nothing stored half); the planner puts due doors in
the new plan's slack without moving any order; the assistant sees them and records what came
of each (once per tap); progress and the coverage map say how far the campaign got, without
door-level data."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from tests.test_door_alerts import app, smtp  # noqa: F401 (fixtures)
from tests.test_web_planning import plan_day
from tests.web_fixtures import (  # noqa: F401 (fixtures by name)
    DAY, accounts, csrf_token, db_session, login, post_form, seeded_db, tap, web_area)
from web.planning import current_plan
from web.store import Campaign, CampaignDoor, HouseCall, User


def test_a_campaign_is_made_from_the_areas_addresses_and_bad_input_is_named(app, web_area):
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    form = {"name": "Kluuvi najaar", "buurten": "Kluuvi", "streets": "",
            "start": DAY.isoformat(), "end": (DAY + timedelta(days=41)).isoformat(),
            "min_interval_days": "42", "call_minutes": "10"}
    for changes, field in (({"name": ""}, "name"), ({"buurten": "Atlantis"}, "buurten"),
                           ({"buurten": ""}, "buurten"), ({"end": "2020-01-01"}, "end"),
                           ({"start": "gisteren"}, "start"), ({"min_interval_days": "0"},
                                                              "min_interval_days"),
                           ({"call_minutes": "١٠"}, "call_minutes"),
                           ({"buurten": "", "streets": "Nergensstraat"}, "streets")):
        page = post_form(coordinator, "/coordinator/campaigns", {**form, **changes})
        assert page.status_code == 422, changes
        assert f'id="f-{field}-error"' in page.get_data(as_text=True), changes
    with db_session(app) as s:
        assert s.scalar(select(func.count(Campaign.id))) == 0
    made = post_form(coordinator, "/coordinator/campaigns", form)
    assert made.status_code == 302
    with db_session(app) as s:
        doors = s.scalars(select(CampaignDoor)).all()
        expected = {web_area.geocoder.lookup(label).address
                    for label in web_area.geocoder.labels()
                    if web_area.geocoder.lookup(label).buurt == "Kluuvi"}
        assert {d.address for d in doors} == expected and len(expected) > 100
    street = post_form(coordinator, "/coordinator/campaigns", {
        **form, "name": "Een straat", "buurten": "", "streets": "Aleksanterinkatu"})
    assert street.status_code == 302
    with db_session(app) as s:
        campaign = s.scalars(select(Campaign).where(Campaign.name == "Een straat")).one()
        streets = set(s.scalars(select(CampaignDoor.street).where(
            CampaignDoor.campaign_id == campaign.id)))
        assert streets == {"Aleksanterinkatu"}


def test_the_planner_fills_slack_with_house_calls_and_the_assistant_records_them(app):
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    assert plan_day(coordinator)["status"] == "done"
    with db_session(app) as s:
        before = current_plan(s, DAY).payload
    form = {"name": "Kluuvi", "buurten": ["Kluuvi", "Kaisaniemi"], "streets": "",
            "start": DAY.isoformat(), "end": (DAY + timedelta(days=41)).isoformat(),
            "min_interval_days": "42", "call_minutes": "10"}
    assert post_form(coordinator, "/coordinator/campaigns", form).status_code == 302
    after = plan_day(coordinator, full=True)
    with db_session(app) as s:
        payload = current_plan(s, DAY).payload
        calls = payload["house_calls"]
        assert calls, "the demo day leaves slack for house calls"
        # the orders are planned as a plan without the campaign would plan them
        assert [[(v["order_id"], v["start"]) for v in r["visits"]] for r in payload["routes"]] \
            == [[(v["order_id"], v["start"]) for v in r["visits"]] for r in before["routes"]]
        assert len({c["door_id"] for c in calls}) == len(calls)
        mine = calls[0]
        username = s.scalar(select(User.username).where(
            User.assistant_id == int(mine["assistant_id"])))
    assert after["status"] == "done"
    assistant = app.test_client()
    login(assistant, username)
    page = assistant.get("/assistant/").get_data(as_text=True)
    assert "Huisbezoeken in uw ronde" in page and mine["address"] in page
    token = csrf_token(assistant, "/assistant/")
    body = {"event_id": tap(), "door_id": mine["door_id"], "outcome": "talked"}
    first = assistant.post("/assistant/housecalls", json=body, headers={"X-CSRFToken": token})
    assert first.status_code == 201
    again = assistant.post("/assistant/housecalls", json=body, headers={"X-CSRFToken": token})
    assert again.status_code == 200 and again.get_json()["replayed"]
    for changes, field, status in (({"outcome": "weg"}, "outcome", 400),
                                   ({"door_id": "deur"}, "door_id", 400),
                                   ({"event_id": "!"}, "event_id", 400)):
        bad = assistant.post("/assistant/housecalls", json={**body, "event_id": tap(), **changes},
                             headers={"X-CSRFToken": token})
        assert bad.status_code == status and bad.get_json()["field"] == field
    others = [c for c in calls if c["assistant_id"] != mine["assistant_id"]]
    if others:  # another assistant's door: not hers to record
        theirs = assistant.post("/assistant/housecalls", json={**body, "event_id": tap(),
                                                               "door_id": others[0]["door_id"]},
                                headers={"X-CSRFToken": token})
        assert theirs.status_code == 404
    with db_session(app) as s:
        assert [(c.door_id, c.outcome) for c in s.scalars(select(HouseCall))] == [
            (mine["door_id"], "talked")]
        campaign_id = s.scalar(select(Campaign.id))
        address = s.get(CampaignDoor, mine["door_id"]).address
    progress = coordinator.get(f"/coordinator/campaigns/{campaign_id}").get_data(as_text=True)
    assert re.search(r"Bereikt</td>|data-label=\"Bereikt\">1 \(", progress)
    svg = progress.split("<svg")[1].split("</svg>")[0]
    assert address not in svg and "<circle" not in svg  # streets, never doors
    # the door was reached: the next plan of the day does not ring it again
    plan_day(coordinator, full=True)
    with db_session(app) as s:
        assert mine["door_id"] not in {c["door_id"] for c in
                                       current_plan(s, DAY).payload["house_calls"]}


def test_old_house_calls_are_removed_and_still_counted_in_the_report(app, web_area):
    from web import evidence, housecalls
    from web.retention import Periods, purge
    from web.store import Assistant, DailyStat, utcnow

    long_ago = DAY - timedelta(days=400)
    with db_session(app) as s:
        campaign = housecalls.create(s, web_area, "Vorig jaar", ["Hakaniemi"], [], long_ago,
                                     long_ago + timedelta(days=41), 42, 10, None)
        doors = s.scalars(select(CampaignDoor).where(CampaignDoor.campaign_id == campaign.id)
                          .order_by(CampaignDoor.id)).all()
        anna = s.scalars(select(Assistant).order_by(Assistant.id)).first()
        for door, day, outcome in ((doors[0], long_ago, "talked"), (doors[1], long_ago, "rung"),
                                   (doors[2], DAY, "opened")):
            s.add(HouseCall(client_id=tap(), door_id=door.id, service_date=day,
                            assistant_id=anna.id, at_seconds=15 * 3600, outcome=outcome))
        s.commit()
        before = evidence.build(s, long_ago, long_ago)
        assert purge(s, DAY, utcnow(), Periods())["house_calls"] == 2
        assert [c.outcome for c in s.scalars(select(HouseCall))] == ["opened"]
        assert sorted((r.status, r.orders) for r in s.scalars(select(DailyStat).where(
            DailyStat.kind == "house_call"))) == [("rung", 1), ("talked", 1)]
        after = evidence.build(s, long_ago, long_ago)
        for measure in ("house_calls:talked", "house_calls:rung", "contacts"):
            assert after.get("total", evidence.TOTAL, measure) == before.get(
                "total", evidence.TOTAL, measure) == 1, measure
        assert after.get("buurt", "Hakaniemi", "contacts") == 1
