"""Signals (issue 15): the assistant records one in a few taps, by form or from the phone's
outbox (stored once per id however often it is sent), linked only to residents of her own
rounds, refused by field; the coordinator assigns a follow-up, adds notes, closes it; every
sight of one is in the access log; partners never see them; they are removed after their
retention with only counts left, and with the resident on erasure."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from tests.test_door_alerts import app, door_objects, planned_stop, smtp  # noqa: F401
from tests.web_fixtures import (  # noqa: F401 (fixtures by name)
    DAY, accounts, csrf_token, db_session, login, post_form, seeded_db, tap, web_area)
from web.retention import Periods, purge
from web.store import (AccessLog, DailyStat, Order, Resident, SafetyAlert, Signal, SignalNote,
                       User, utcnow)


def round_residents(s, username: str) -> set[int]:
    """The residents of the assistant's round in the day's current plan."""
    from web.planning import current_plan

    aid = str(s.scalar(select(User.assistant_id).where(User.username == username)))
    route = next(r for r in current_plan(s, DAY).payload["routes"] if r["assistant_id"] == aid)
    ids = {int(v["order_id"]) for v in route["visits"] if not v["order_id"].startswith("r")}
    return {s.get(Order, i).resident_id for i in ids}


def send(client, body: dict):
    token = csrf_token(client, "/assistant/")
    return client.post("/assistant/signals.json", json=body, headers={"X-CSRFToken": token})


def signal_body(**changes) -> dict:
    return {"event_id": tap(), "category": "loneliness", "urgency": "this week",
            "note": "Zegt dat ze al dagen niemand heeft gesproken", **changes}


def test_a_signal_sent_twice_is_stored_once_and_only_for_her_own_residents(app):
    username, order_id, order = planned_stop(app, "medicine")
    assistant = app.test_client()
    login(assistant, username)
    body = signal_body(resident_id=order.resident_id, ago=600)
    first = send(assistant, body)
    assert first.status_code == 201, first.get_json()
    again = send(assistant, body)  # the outbox sent it again (a lost answer)
    assert again.status_code == 200 and again.get_json() == {"id": first.get_json()["id"],
                                                            "replayed": True}
    with db_session(app) as s:
        rows = s.scalars(select(Signal)).all()
        assert len(rows) == 1 and rows[0].resident_id == order.resident_id
        assert rows[0].buurt == s.get(Resident, order.resident_id).buurt
        assert 540 <= (rows[0].created_at - rows[0].noticed_at).total_seconds() <= 700
        stranger = s.scalar(select(Resident.id).where(Resident.id.not_in(
            round_residents(s, username))).order_by(Resident.id))
        logged = s.scalars(select(AccessLog).where(AccessLog.part == "signal")).all()
        assert [(e.action, e.resident_id) for e in logged] == [("create", order.resident_id)]
    # another resident of the cooperative, not in her rounds: refused as if not there
    other = send(assistant, signal_body(resident_id=stranger))
    assert other.status_code == 404 and other.get_json()["field"] == "resident_id"


def test_bad_signals_are_refused_by_field_and_nothing_is_stored(app):
    username, _order_id, _order = planned_stop(app, "meal")
    assistant = app.test_client()
    login(assistant, username)
    for changes, field in (({"event_id": "x"}, "event_id"), ({"category": "diagnose"}, "category"),
                           ({"urgency": "asap"}, "urgency"), ({"note": "  "}, "note"),
                           ({"note": "x" * 501}, "note"), ({"note": 5}, "note"),
                           ({"note": "a\ud800b"}, "note"), ({"resident_id": "12a"}, "resident_id"),
                           ({"resident_id": True}, "resident_id"), ({"buurt": "Atlantis"}, "buurt"),
                           ({"ago": -1}, "ago"), ({"ago": 10**9}, "ago")):
        response = send(assistant, signal_body(**changes))
        assert response.status_code == 400, (changes, response.get_json())
        assert response.get_json()["field"] == field, changes
    assert send(assistant, []).status_code == 400
    with db_session(app) as s:
        assert s.scalars(select(Signal)).all() == []


def test_the_round_page_has_the_form_and_says_it_is_no_diagnosis(app):
    username, _order_id, order = planned_stop(app, "medicine")
    assistant = app.test_client()
    login(assistant, username)
    page = assistant.get("/assistant/").get_data(as_text=True)
    assert "Geen diagnose" in page and 'value="loneliness"' in page
    assert f'name="resident_id" value="{order.resident_id}"' in page
    form = post_form(assistant, "/assistant/signals", {
        "event_id": tap(), "category": "housing", "urgency": "today",
        "note": "Trapleuning los", "buurt": order.resident.buurt or ""}, page="/assistant/")
    assert form.status_code == 302
    with db_session(app) as s:
        assert [(x.category, x.urgency, x.resident_id) for x in s.scalars(select(Signal))] == [
            ("housing", "today", None)]


def test_the_coordinator_follows_up_adds_notes_and_closes(app):
    username, _order_id, order = planned_stop(app, "medicine")
    assistant = app.test_client()
    login(assistant, username)
    signal_id = send(assistant, signal_body(resident_id=order.resident_id,
                                            category="health")).get_json()["id"]
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    listing = coordinator.get("/coordinator/signals").get_data(as_text=True)
    assert f"/coordinator/signals/{signal_id}" in listing and "zorgen over gezondheid" in listing
    url = f"/coordinator/signals/{signal_id}"
    with db_session(app) as s:
        coordinator_id = s.scalar(select(User.id).where(User.username == "coordinator"))
        partner_id = s.scalar(select(User.id).where(User.username == "apotheek1"))
    bad = post_form(coordinator, url, {"action": "assign", "follow_up_user_id": partner_id,
                                       "follow_up_due": "morgen"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'id="f-follow_up_user_id-error"' in text \
        and 'id="f-follow_up_due-error"' in text
    due = DAY + timedelta(days=2)
    assert post_form(coordinator, url, {"action": "assign", "follow_up_user_id": coordinator_id,
                                        "follow_up_due": due.isoformat()}).status_code == 302
    assert post_form(coordinator, url, {"action": "note",
                                        "text": "Gebeld met dochter"}).status_code == 302
    assert post_form(coordinator, url, {"action": "note", "text": ""}).status_code == 422
    assert post_form(coordinator, url, {"action": "close",
                                        "text": "Huisarts ingeschakeld"}).status_code == 302
    with db_session(app) as s:
        signal = s.get(Signal, signal_id)
        assert (signal.status, signal.follow_up_user_id, signal.follow_up_due) == (
            "closed", coordinator_id, due)
        assert signal.assigned_at <= signal.closed_at
        assert [n.text for n in signal.notes] == ["Gebeld met dochter", "Huisarts ingeschakeld"]
        seen = {(e.action, e.role) for e in s.scalars(select(AccessLog).where(
            AccessLog.part == "signal", AccessLog.resident_id == order.resident_id))}
        assert {("create", "assistant"), ("view", "coordinator"), ("change", "coordinator")} <= seen
    # partners and assistants have no way to the coordinator's signals
    for user in ("apotheek1", username):
        other = app.test_client()
        login(other, user)
        assert other.get(url).status_code == 403
        assert other.get("/coordinator/signals").status_code == 403


def test_retention_removes_closed_signals_with_counts_left_and_erasure_removes_all(app,
                                                                                   web_area):
    username, _order_id, order = planned_stop(app, "medicine")
    assistant = app.test_client()
    login(assistant, username)
    ids = [send(assistant, signal_body(resident_id=order.resident_id, category=c)).get_json()["id"]
           for c in ("loneliness", "help")]
    with db_session(app) as s:
        old = s.get(Signal, ids[0])
        old.status, old.closed_at = "closed", utcnow() - timedelta(days=400)
        s.add(SignalNote(signal_id=old.id, text="afgehandeld"))
        made = door_objects(s, web_area)  # an alert (and a signal about another resident)
        alert = s.get(SafetyAlert, made["alert_id"])
        alert.closed_at, alert.outcome = utcnow() - timedelta(days=400), "gebeld"
        s.commit()
        removed = purge(s, DAY, utcnow(), Periods())
        assert (removed["signals"], removed["signal_notes"], removed["safety_alerts"]) == (
            1, 1, 1)
        assert ids[1] in [x.id for x in s.scalars(select(Signal))]  # open: kept
        counted = s.scalars(select(DailyStat).where(DailyStat.kind.in_(("signal", "alert")))
                            .order_by(DailyStat.kind)).all()
        assert [(c.kind, c.status, c.orders) for c in counted] == [
            ("alert", "alert", 1), ("signal", "loneliness", 1)]
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    copy = coordinator.get(f"/coordinator/residents/{order.resident_id}/export.json").get_json()
    assert [x["category"] for x in copy["signals"]] == ["help"]  # their right of access
    with db_session(app) as s:  # the resident's orders must be gone before erasure
        for o in s.scalars(select(Order).where(Order.resident_id == order.resident_id)):
            o.status, o.service_date = "delivered", date(2000, 1, 1)
        s.commit()
    done = post_form(coordinator, f"/coordinator/residents/{order.resident_id}/erase",
                     {"confirm": str(order.resident_id)},
                     page=f"/coordinator/residents/{order.resident_id}")
    assert done.status_code == 302
    with db_session(app) as s:
        assert s.get(Resident, order.resident_id) is None
        assert s.scalars(select(Signal).where(Signal.resident_id == order.resident_id)
                         ).all() == []
        assert sum(c.orders for c in s.scalars(select(DailyStat).where(
            DailyStat.kind == "signal"))) == 2
