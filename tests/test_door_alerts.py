"""The safety check at the door (issue 15) on the demo day: a "niet thuis" on a meal or
medicine raises an alert on the coordinator's screen and by e-mail (a real SMTP server,
aiosmtpd, on loopback); the second "niet thuis" in a row for one resident escalates, today or
across days; one visit raises one alert; a replayed mark raises nothing; the coordinator
closes an alert with what was done and may pause the resident's standing orders."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from tests.test_web_planning import plan_day
from tests.web_fixtures import (  # noqa: F401 (fixtures by name)
    DAY, accounts, csrf_token, db_session, login, make_app, post_form, seeded_db, tap,
    web_area)
from tests.browser_fixtures import free_port
from web import alerts, facts, notify, standing
from web.store import (Assistant, Order, Plan, Resident, SafetyAlert, StandingPause, User)


class Inbox:
    """An aiosmtpd handler that keeps what it received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def app(tmp_path, seeded_db, smtp):
    controller, _inbox = smtp
    database = tmp_path / "demo.sqlite"
    shutil.copy(seeded_db[0], database)
    app = make_app(tmp_path, database, PLAN_WORK_LIMIT=60_000, PLAN_TIME_LIMIT=2, NOW="11:00",
                   ALERT_EMAIL_TO="coordinator@example.org", SMTP_HOST="127.0.0.1",
                   SMTP_PORT=controller.port, SMTP_FROM="buurtroute@example.org")
    yield app
    app.extensions["buurtroute.engine"].dispose()


def planned_stop(app, kind: str) -> tuple[str, int, Order]:
    """(username, order id, order) of a planned delivery of ``kind`` in someone's round."""
    client = app.test_client()
    login(client, "coordinator")
    status = plan_day(client)
    assert status["status"] == "done"
    with db_session(app) as s:
        plan = s.get(Plan, status["plan_id"])
        for route in plan.payload["routes"]:
            for v in route["visits"]:
                if v["action"] != "delivery" or v["order_id"].startswith("r"):
                    continue
                order = s.get(Order, int(v["order_id"]))
                if order.kind == kind:
                    user = s.scalar(select(User).where(
                        User.assistant_id == int(route["assistant_id"])))
                    assert order.resident is not None  # loaded: read after the session
                    s.expunge_all()
                    return user.username, order.id, order
    raise AssertionError(f"no {kind} planned on the demo day")


def mark(client, order_id: int, status: str, event_id: str):
    token = csrf_token(client, "/assistant/")
    return client.post("/assistant/marks", json={"event_id": event_id, "order_ids": [order_id],
                                                 "status": status},
                       headers={"X-CSRFToken": token})


def test_not_home_on_a_meal_alerts_the_day_screen_and_mails_without_personal_data(app, smtp):
    _controller, inbox = smtp
    username, order_id, order = planned_stop(app, "meal")
    assistant = app.test_client()
    login(assistant, username)
    event = tap()
    assert mark(assistant, order_id, "not_home", event).status_code == 201
    with db_session(app) as s:
        found = s.scalars(select(SafetyAlert)).all()
        assert [(a.order_id, a.level, a.kind) for a in found] == [(order_id, "alert", "meal")]
        resident = s.get(Order, order_id).resident
        alert_id, name, address = found[0].id, resident.name, resident.address
        assert found[0].notified == "e-mail: sent"
    assert len(inbox.messages) == 1
    mail = inbox.messages[0].content.decode()
    assert "Subject: Buurtroute: niet thuis" in mail and f"#{alert_id}" in mail
    assert name not in mail and address not in mail  # nobody is named outside the app
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    day = coordinator.get(f"/coordinator/?date={DAY}").get_data(as_text=True)
    panel = day.split('id="alerts-panel"')[1].split("</section>")[0]
    assert "Niet thuis" in panel and name in panel and f"/coordinator/alerts/{alert_id}" in panel
    # the same tap again (the outbox resent it): recorded once, no second alert or mail
    assert mark(assistant, order_id, "not_home", event).status_code == 200
    with db_session(app) as s:
        assert len(s.scalars(select(SafetyAlert)).all()) == 1
    assert len(inbox.messages) == 1


def test_the_panel_answers_204_while_nothing_changed(app):
    username, order_id, _order = planned_stop(app, "medicine")
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    first = coordinator.get("/coordinator/alerts/panel")
    version = re.search(r'data-version="([^"]+)"', first.get_data(as_text=True))[1]
    assert coordinator.get(f"/coordinator/alerts/panel?seen={version}").status_code == 204
    assistant = app.test_client()
    login(assistant, username)
    assert mark(assistant, order_id, "not_home", tap()).status_code == 201
    changed = coordinator.get(f"/coordinator/alerts/panel?seen={version}")
    assert changed.status_code == 200 and "Niet thuis" in changed.get_data(as_text=True)


def clone(s, order: Order, day, kind: str) -> Order:
    """Another order for the same resident on ``day`` (a standing meal, a parcel ...)."""
    copy = Order(partner_id=order.partner_id, resident_id=order.resident_id, service_date=day,
                 kind=kind, windows=order.windows, status="planned", note="")
    s.add(copy)
    s.flush()
    return copy


def at_door(s, order: Order, action: str, day, at: str, assistant_id: int) -> list[SafetyAlert]:
    """Record ``action`` at the door as the assistant's tap would, and raise alerts."""
    assistant = s.get(Assistant, assistant_id)
    seconds = int(at[:2]) * 3600 + int(at[3:]) * 60
    order.status = "planned"
    recorded = facts.record(s, assistant, None, [order], action, tap(), seconds)
    raised = alerts.raise_for(s, recorded.facts)
    s.commit()
    return raised


def test_second_not_home_in_a_row_escalates_across_days_and_a_delivery_resets(app):
    with db_session(app) as s:
        base = s.scalars(select(Order).where(Order.kind == "meal").order_by(Order.id)).first()
        anna = s.scalar(select(User).where(User.username == "anna")).assistant_id
        yesterday, today = DAY - timedelta(days=1), DAY
        meal_before = clone(s, base, yesterday, "meal")
        first = at_door(s, meal_before, "not_home", yesterday, "12:05", anna)
        assert [a.level for a in first] == ["alert"]
        parcel = clone(s, base, today, "parcel")
        # a parcel alone raises nothing, but this is the second "niet thuis" in a row
        second = at_door(s, parcel, "not_home", today, "10:00", anna)
        assert [(a.level, a.kind, a.previous_id) for a in second] == [
            ("escalated", "parcel", first[0].id)]
        # a second stop at the same door in the same quarter of an hour is the same visit
        medicine = clone(s, base, today, "medicine")
        assert at_door(s, medicine, "not_home", today, "10:10", anna) == []
        # the resident opened at the next visit: the one after that is a first "niet thuis"
        meal = clone(s, base, today, "meal")
        assert at_door(s, meal, "delivered", today, "12:00", anna) == []
        later = clone(s, base, today, "meal")
        assert [a.level for a in at_door(s, later, "not_home", today, "16:00", anna)] == [
            "alert"]
        other_parcel = clone(s, base, today + timedelta(days=1), "parcel")
        # and a parcel after that "niet thuis" escalates again (across the night)
        assert [a.level for a in at_door(s, other_parcel, "not_home", today + timedelta(
            days=1), "09:30", anna)] == ["escalated"]


def test_a_delivered_parcel_and_a_first_not_home_on_a_parcel_raise_nothing(app):
    with db_session(app) as s:
        base = s.scalars(select(Order).where(Order.kind == "parcel").order_by(Order.id)).first()
        anna = s.scalar(select(User).where(User.username == "anna")).assistant_id
        assert at_door(s, clone(s, base, DAY, "parcel"), "not_home", DAY, "10:00", anna) == []
        assert s.scalars(select(SafetyAlert)).all() == []


def test_closing_an_alert_needs_what_was_done_and_pauses_standing_orders(app):
    username, order_id, _order = planned_stop(app, "meal")
    assistant = app.test_client()
    login(assistant, username)
    assert mark(assistant, order_id, "not_home", tap()).status_code == 201
    with db_session(app) as s:
        alert = s.scalars(select(SafetyAlert)).one()
        alert_id, resident_id = alert.id, alert.resident_id
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    url = f"/coordinator/alerts/{alert_id}"
    empty = post_form(coordinator, url, {"outcome": "  "})
    assert empty.status_code == 422 and "is verplicht" in empty.get_data(as_text=True)
    bad_date = post_form(coordinator, url, {"outcome": "buurvrouw belde: in ziekenhuis",
                                            "pause": "1", "pause_until": "14-03-2025"})
    assert bad_date.status_code == 422
    assert 'id="f-pause_until-error"' in bad_date.get_data(as_text=True)
    with db_session(app) as s:
        assert s.get(SafetyAlert, alert_id).closed_at is None  # nothing stored half
        assert s.scalars(select(StandingPause)).all() == []
    no_end = post_form(coordinator, url, {"outcome": "buurvrouw belde: in ziekenhuis",
                                          "pause": "1", "pause_until": ""})
    assert no_end.status_code == 422
    assert "geef de laatste dag van de pauze" in no_end.get_data(as_text=True)
    until = DAY + timedelta(days=6)
    done = post_form(coordinator, url, {"outcome": "buurvrouw belde: in ziekenhuis",
                                        "pause": "1", "pause_until": until.isoformat()})
    assert done.status_code == 302
    with db_session(app) as s:
        alert = s.get(SafetyAlert, alert_id)
        assert alert.outcome == "buurvrouw belde: in ziekenhuis" and alert.closed_at
        # a pause of all the resident's standing orders, from today through ``until``
        pause = s.scalars(select(StandingPause)).one()
        assert (pause.resident_id, pause.standing_order_id, pause.start_date,
                pause.end_date) == (resident_id, None, DAY, until)
        assert f"#{alert_id}" in pause.reason and "in ziekenhuis" in pause.reason
        assert standing.pauses_of_resident(s, resident_id, until) == [pause]
        assert standing.pauses_of_resident(s, resident_id, until + timedelta(days=1)) == []
    panel = coordinator.get("/coordinator/alerts/panel").get_data(as_text=True)
    assert f"/coordinator/alerts/{alert_id}" not in panel


def test_a_mail_server_that_is_down_loses_no_alert(tmp_path, seeded_db):
    database = tmp_path / "demo.sqlite"
    shutil.copy(seeded_db[0], database)
    app = make_app(tmp_path, database, PLAN_WORK_LIMIT=60_000, PLAN_TIME_LIMIT=2, NOW="11:00",
                   ALERT_EMAIL_TO="c@example.org", SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())
    try:
        username, order_id, _order = planned_stop(app, "medicine")
        assistant = app.test_client()
        login(assistant, username)
        assert mark(assistant, order_id, "not_home", tap()).status_code == 201
        with db_session(app) as s:
            alert = s.scalars(select(SafetyAlert)).one()
            assert alert.notified.startswith("e-mail: failed")
    finally:
        app.extensions["buurtroute.engine"].dispose()


class RecordingGateway:
    """An SMS gateway as a cooperative would plug one in (``ALERT_SMS_GATEWAY``): it is
    built with the app's config (here: where to keep what it was asked to send)."""

    def __init__(self, config):
        self.sent = config["SMS_SENT"]

    def send_sms(self, number: str, text: str) -> None:
        self.sent.append((number, text))


def test_notifiers_from_settings_smtp_and_a_pluggable_sms_gateway(smtp):
    controller, inbox = smtp
    config = {"ALERT_EMAIL_TO": "a@example.org, b@example.org", "SMTP_HOST": "127.0.0.1",
              "SMTP_PORT": controller.port, "ALERT_SMS_TO": "+31600000000",
              "ALERT_SMS_GATEWAY": "tests.test_door_alerts:RecordingGateway", "SMS_SENT": []}
    channels = notify.from_config(config)
    notifiers = notify.notifiers(channels)
    assert [n.name for n in notifiers] == ["e-mail", "sms"]
    said = notify.deliver(notifiers, notify.Message("Buurtroute: niet thuis", "x" * 300))
    assert said == "e-mail: sent; sms: sent"
    assert sorted(inbox.messages[0].rcpt_tos) == ["a@example.org", "b@example.org"]
    [(number, text)] = config["SMS_SENT"]
    assert number == "+31600000000" and len(text) == notify.SMS_LENGTH
    # a cooperative's own recipients replace the service's
    own = notify.notifiers(channels, "wijk@example.org", "")
    notify.deliver(own, notify.Message("s", "b"))
    assert inbox.messages[-1].rcpt_tos == ["wijk@example.org"]
    assert notify.notifiers(notify.from_config({})) == []
    for half, field in (({"ALERT_EMAIL_TO": "a@example.org"}, "SMTP_HOST"),
                        ({"ALERT_SMS_TO": "+31600000000"}, "ALERT_SMS_GATEWAY"),
                        ({"ALERT_SMS_GATEWAY": "nomodule"}, "ALERT_SMS_GATEWAY")):
        with pytest.raises(ValueError, match=field):
            notify.from_config(half)


def test_a_cooperative_sends_its_alerts_to_its_own_recipients(app, smtp):
    _controller, inbox = smtp
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    for changes, field in (({"alert_email": "wijk@example"}, "alert_email"),
                           ({"alert_sms": "bel 06"}, "alert_sms"),
                           ({"alert_email": "a@b.nl," * 60}, "alert_email")):
        page = post_form(coordinator, "/coordinator/alerts",
                         {"alert_email": "", "alert_sms": "", **changes})
        assert page.status_code == 422 and f'id="f-{field}-error"' in page.get_data(
            as_text=True), changes
    assert post_form(coordinator, "/coordinator/alerts", {
        "alert_email": "wijk@example.org, dienst@example.org", "alert_sms": ""}
    ).status_code == 302
    username, order_id, _order = planned_stop(app, "meal")
    assistant = app.test_client()
    login(assistant, username)
    assert mark(assistant, order_id, "not_home", tap()).status_code == 201
    assert [m.rcpt_tos for m in inbox.messages] == [["wijk@example.org", "dienst@example.org"]]


def test_the_contact_person_is_kept_only_with_consent_and_shown_on_the_alert(app):
    with db_session(app) as s:
        base = s.scalars(select(Order).where(Order.kind == "medicine").order_by(Order.id)).first()
        resident_id = base.resident_id
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    url = f"/coordinator/residents/{resident_id}"
    form = {"praatje_minutes": "", "regular_assistant_id": "", "phone": "",
            "contact_name": "Dochter Els", "contact_phone": "06 12345678"}
    refused = post_form(coordinator, url, form)
    assert refused.status_code == 422 and 'id="f-contact_consent-error"' in refused.get_data(
        as_text=True)
    bad = post_form(coordinator, url, {**form, "contact_consent": "1", "contact_phone": "bel me"})
    assert bad.status_code == 422 and 'id="f-contact_phone-error"' in bad.get_data(as_text=True)
    with db_session(app) as s:
        assert s.get(Resident, resident_id).contact_name is None  # nothing stored half
    assert post_form(coordinator, url, {**form, "contact_consent": "1"}).status_code == 302
    with db_session(app) as s:
        anna = s.scalar(select(User).where(User.username == "anna")).assistant_id
        order = s.get(Order, base.id)
        assert [a.level for a in at_door(s, order, "not_home", DAY, "10:30", anna)] == ["alert"]
    panel = coordinator.get("/coordinator/alerts/panel").get_data(as_text=True)
    assert "Dochter Els" in panel and 'href="tel:0612345678"' in panel
    # consent withdrawn: name and number are no longer kept at all
    assert post_form(coordinator, url, {**form, "contact_name": "", "contact_phone": ""}
                     ).status_code == 302
    with db_session(app) as s:
        r = s.get(Resident, resident_id)
        assert (r.contact_name, r.contact_phone, r.contact_consent) == (None, None, False)
    assert "Dochter Els" not in coordinator.get("/coordinator/alerts/panel").get_data(
        as_text=True)


def door_objects(session, area) -> dict[str, int]:
    """One safety alert, one signal and one campaign of the session's cooperative (for the
    access-control and isolation tests, which try every route with real ids)."""
    from web import housecalls
    from web.store import Signal

    order = session.scalars(select(Order).where(Order.kind.in_(("meal", "medicine")))
                            .order_by(Order.id)).first()
    assistant = session.scalars(select(Assistant).order_by(Assistant.id)).first()
    order.status = "planned"
    recorded = facts.record(session, assistant, None, [order], "not_home", tap(), 11 * 3600)
    [alert] = alerts.raise_for(session, recorded.facts)
    signal = Signal(client_id=tap(), category="help", urgency="this week", note="Vraagt om hulp",
                    resident_id=order.resident_id, assistant_id=assistant.id, status="open")
    session.add(signal)
    campaign = housecalls.create(session, area, "Huisbezoeken", [sorted(area.buurten)[0]], [],
                                 DAY, DAY + timedelta(days=41), 42, 10, None)
    session.commit()
    return {"alert_id": alert.id, "signal_id": signal.id, "campaign_id": campaign.id}
