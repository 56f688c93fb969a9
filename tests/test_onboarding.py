"""Onboarding on the seeded demo cooperative, as its coordinator does it in the browser: a meal
kitchen with its pickup place, opening hours, a login (by invitation link) and an API token;
an assistant with a usual week, absences and a shift changed by hand; residents added, merged
and switched off; logins switched off. Bad input is refused per field, storing nothing.
The real Helsinki demo area geocodes every address."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from routing import model
from tests.browser_fixtures import BAD_ADDRESS, GOOD_ADDRESS
from tests.web_fixtures import (  # noqa: F401 (fixtures by name)
    DAY, accounts, app, bearer, client, csrf_token, db_session, login, make_app, post_form,
    seeded_db, web_area)
from web import availability, invitations, orders, sessions
from web.adapter import DayInput, order_to_model
from web.i18n import english
from web.store import (AccessLog, Absence, ApiToken, Assistant, OneTimeLink, Order, Partner,
                       PartnerLink, Resident, Shift, User, UserSession, utcnow)

#: The next Monday after the demo day (every test's week starts there).
MONDAY = DAY + timedelta(days=(7 - DAY.weekday()) % 7 or 7)
LINK = re.compile(r'id="login-link">(http://[^<]+)<')
TOKEN = re.compile(r'id="new-token">(brt_[^<]+)<')


def coordinator(app):
    client = app.test_client()
    assert login(client, "coordinator").status_code == 302
    return client


def count(app, model_, *where) -> int:
    with db_session(app) as s:
        return s.scalar(select(func.count()).select_from(model_).where(*where))


def errors_in(page: str) -> set[str]:
    return set(re.findall(r'id="f-([a-z_]+)-error"', page))


def set_password_by_link(client, url: str, password: str):
    path = url.split("localhost", 1)[-1]
    token = csrf_token(client, path)
    return client.post(path, data={"csrf_token": token, "password": password,
                                   "password_again": password})


KITCHEN = {"name": "Keuken De Linde", "kind": "meal_kitchen", "pickup_name": "De Linde",
           "pickup_address": GOOD_ADDRESS, "handling_minutes": "4",
           "hours_mon": "10:00-14:00", "hours_wed": "10:00-12:00, 12:30-14:00"}


def add_kitchen(client) -> int:
    response = post_form(client, "/coordinator/partners/new", KITCHEN)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_a_coordinator_adds_a_meal_kitchen_with_a_login_and_a_token(app):
    client = coordinator(app)
    partners = count(app, Partner)
    bad = post_form(client, "/coordinator/partners/new", {
        "name": "", "kind": "bakery", "pickup_address": BAD_ADDRESS, "handling_minutes": "٣",
        "hours_mon": "25:00-26:00", "hours_tue": "12:00-11:00"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert errors_in(page) == {"name", "kind", "pickup_address", "handling_minutes",
                               "hours_mon", "hours_tue"}
    assert "is geen bekend adres" in page and "gebruik de cijfers 0 tot en met 9" in page
    assert count(app, Partner) == partners  # nothing stored half
    partner_id = add_kitchen(client)
    with db_session(app) as s:
        kitchen = s.get(Partner, partner_id)  # visible in the demo's scope: linked to it
        assert kitchen is not None and kitchen.kind == "meal_kitchen"
        assert kitchen.opening_hours == {"0": [["10:00", "14:00"]],
                                         "2": [["10:00", "12:00"], ["12:30", "14:00"]]}
        assert kitchen.handling_minutes == 4 and kitchen.pickup_lat is not None
        assert s.scalar(select(PartnerLink.active).where(PartnerLink.partner_id == partner_id))
    assert "Keuken De Linde" in client.get("/coordinator/partners").get_data(as_text=True)
    # the stored (geocoded) address goes through the form again unchanged
    stored = re.search(r'id="f-pickup_address" name="pickup_address" type="text" value="([^"]+)"',
                       client.get(f"/coordinator/partners/{partner_id}").get_data(as_text=True))[1]
    again = post_form(client, f"/coordinator/partners/{partner_id}",
                      {**KITCHEN, "pickup_address": stored, "hours_fri": "09:00-11:00"})
    assert again.status_code == 302
    with db_session(app) as s:
        assert s.get(Partner, partner_id).opening_hours["4"] == [["09:00", "11:00"]]

    # a login: the coordinator gets a link once; the kitchen chooses its password with it
    invited = post_form(client, f"/coordinator/partners/{partner_id}/users",
                        {"username": "linde"}, page=f"/coordinator/partners/{partner_id}")
    assert invited.status_code == 201
    url = LINK.search(invited.get_data(as_text=True))[1]
    kitchen_client = app.test_client()
    differ = kitchen_client.post(url.split("localhost")[1], data={
        "csrf_token": csrf_token(kitchen_client, url.split("localhost")[1]),
        "password": "linde-password-1", "password_again": "linde-password-2"})
    assert differ.status_code == 422 and "verschillen" in differ.get_data(as_text=True)
    assert set_password_by_link(kitchen_client, url, "linde-password-1").status_code == 302
    assert kitchen_client.get(url.split("localhost")[1]).status_code == 404  # once only
    assert login(kitchen_client, "linde", "linde-password-1").status_code == 302
    assert kitchen_client.get("/partner/orders").status_code == 200

    # an API token, shown once; it works until revoked
    made = post_form(client, f"/coordinator/partners/{partner_id}/tokens", {"label": "kassa"},
                     page=f"/coordinator/partners/{partner_id}")
    assert made.status_code == 201
    token = TOKEN.search(made.get_data(as_text=True))[1]
    assert token not in client.get(f"/coordinator/partners/{partner_id}").get_data(as_text=True)
    api = app.test_client()
    assert api.get("/api/v1/orders", headers=bearer(token)).status_code == 200
    with db_session(app) as s:
        token_id = s.scalar(select(ApiToken.id).where(ApiToken.partner_id == partner_id))
    revoked = post_form(client, f"/coordinator/partners/{partner_id}/tokens/{token_id}/revoke",
                        {}, page=f"/coordinator/partners/{partner_id}")
    assert revoked.status_code == 302
    assert api.get("/api/v1/orders", headers=bearer(token)).status_code == 401

    # switched off: every token revoked, the kitchen's user logged out
    second = TOKEN.search(post_form(client, f"/coordinator/partners/{partner_id}/tokens", {},
                                    page=f"/coordinator/partners/{partner_id}")
                          .get_data(as_text=True))[1]
    off = post_form(client, f"/coordinator/partners/{partner_id}/active", {"active": "0"},
                    page=f"/coordinator/partners/{partner_id}")
    assert off.status_code == 302
    assert api.get("/api/v1/orders", headers=bearer(second)).status_code == 401
    assert "/login" in kitchen_client.get("/partner/orders").headers.get("Location", "")
    with db_session(app) as s:
        assert s.get(Partner, partner_id).active is False


def test_the_cooperatives_own_partner_and_logins_of_other_cooperatives_are_safe(app):
    client = coordinator(app)
    with db_session(app) as s:
        own = s.scalar(select(Partner.id).where(Partner.kind == "cooperative"))
        me = s.scalar(select(User.id).where(User.username == "coordinator"))
    post_form(client, f"/coordinator/partners/{own}/active", {"active": "0"},
              page="/coordinator/partners")
    with db_session(app) as s:
        assert s.get(Partner, own).active
    response = post_form(client, f"/coordinator/users/{me}/active", {"active": "0"},
                         page="/coordinator/partners")
    assert response.status_code == 302
    assert client.get("/coordinator/").status_code == 200  # still logged in


def test_opening_hours_are_the_pickup_window_and_a_closed_day_is_refused(app, web_area):
    partner_id = add_kitchen(coordinator(app))
    tuesday = MONDAY + timedelta(days=1)
    with db_session(app) as s:
        kitchen = s.get(Partner, partner_id)
        body = {"recipient": "M. Maaltijd", "address": GOOD_ADDRESS, "kind": "meal",
                "windows": [{"start": "11:30", "end": "13:30"}], "ready_time": "11:00"}
        draft, errors = orders.validate({**body, "service_date": tuesday.isoformat()},
                                        kitchen, web_area, DAY, english)
        assert draft is None
        assert errors == {"service_date": "the pickup place De Linde is closed on Tuesday"}
        draft, errors = orders.validate({**body, "service_date": MONDAY.isoformat()}, kitchen,
                                        web_area, DAY, english)
        assert errors == {}
        order = orders.create(s, kitchen, draft)
        s.flush()
        core = order_to_model(order, DayInput())
        # opening 10:00-14:00, ready at 11:00: collected between 11:00 and 14:00, in 4 minutes
        assert core.pickup.windows == (model.TimeWindow(11 * 3600, 14 * 3600),)
        assert core.pickup.handling == 4 * 60
        # elsewhere than the kitchen's own place its hours do not apply
        place = next(p for p in web_area.places if p.kind == "community_centre")
        other, errors = orders.validate({**body, "service_date": tuesday.isoformat(),
                                         "pickup": place.name}, kitchen, web_area, DAY,
                                        english)
        assert errors == {}
        elsewhere = orders.create(s, kitchen, other)
        s.flush()
        assert order_to_model(elsewhere, DayInput()).pickup.handling == 60
        s.rollback()


WEEK = {"name": "Bea", "mode": "cargo_bike", "capacity": "12", "start_place": GOOD_ADDRESS,
        **{f"{d}_{k}": v for d in ("mon", "tue", "wed", "thu")
           for k, v in (("start", "09:00"), ("end", "17:00"), ("break_minutes", "30"),
                        ("break_from", "12:00"), ("break_until", "13:30"))}}


def shifts_of(app, name: str, day) -> list[Shift]:
    with db_session(app) as s:
        return list(s.scalars(select(Shift).join(Assistant).where(
            Assistant.name == name, Shift.service_date == day)))


def test_the_week_makes_shifts_minus_absences_and_keeps_hand_changes(app):
    client = coordinator(app)
    assistants = count(app, Assistant)
    bad = post_form(client, "/coordinator/assistants/new", {
        **WEEK, "mon_start": "25:00", "tue_end": "08:00", "wed_break_minutes": "600",
        "thu_break_until": "11:00", "start_place": BAD_ADDRESS, "capacity": "veel",
        "home_buurt": "Atlantis", "mode": "car"})
    assert bad.status_code == 422
    assert errors_in(bad.get_data(as_text=True)) == {
        "mon_start", "tue_end", "wed_break_minutes", "thu_break_until", "start_place",
        "capacity", "home_buurt", "mode"}
    assert count(app, Assistant) == assistants
    made = post_form(client, "/coordinator/assistants/new", WEEK)
    assert made.status_code == 302, made.get_data(as_text=True)
    bea = int(made.headers["Location"].rsplit("/", 1)[1])

    # the day page makes Monday's shift from the week, once, and offers Bea for a shift
    page = client.get(f"/coordinator/?date={MONDAY}").get_data(as_text=True)
    assert re.search(rf'<option value="{bea}">Bea', page)
    client.get(f"/coordinator/?date={MONDAY}")
    [monday] = shifts_of(app, "Bea", MONDAY)
    assert (monday.source, monday.start, monday.end, monday.break_minutes, monday.break_from,
            monday.break_until) == ("template", "09:00", "17:00", 30, "12:00", "13:30")
    assert monday.start_address.startswith("Unioninkatu 29")
    sunday = MONDAY + timedelta(days=6)
    client.get(f"/coordinator/?date={sunday}")
    assert shifts_of(app, "Bea", sunday) == []

    # sick on Monday and Tuesday: no shifts then; Wednesday stays
    for day in (1, 2):
        client.get(f"/coordinator/?date={MONDAY + timedelta(days=day)}")
    bad = post_form(client, f"/coordinator/assistants/{bea}/absences",
                    {"kind": "sick", "first_day": str(MONDAY), "last_day": "gisteren"},
                    page=f"/coordinator/assistants/{bea}")
    assert bad.status_code == 302 and count(app, Absence) == 0
    post_form(client, f"/coordinator/assistants/{bea}/absences",
              {"kind": "sick", "first_day": str(MONDAY),
               "last_day": str(MONDAY + timedelta(days=1))},
              page=f"/coordinator/assistants/{bea}")
    assert shifts_of(app, "Bea", MONDAY) == []
    assert shifts_of(app, "Bea", MONDAY + timedelta(days=1)) == []
    wednesday = MONDAY + timedelta(days=2)
    [wed] = shifts_of(app, "Bea", wednesday)

    # Wednesday changed by hand stays when the week changes
    bad = post_form(client, f"/coordinator/assistants/shifts/{wed.id}",
                    {"start": "15:00", "end": "10:00"})
    assert bad.status_code == 422 and errors_in(bad.get_data(as_text=True)) == {"end"}
    post_form(client, f"/coordinator/assistants/shifts/{wed.id}",
              {"start": "10:00", "end": "15:00", "break_minutes": "0"})
    post_form(client, f"/coordinator/assistants/{bea}", {**WEEK, "wed_start": "08:00",
                                                          "wed_end": "12:00"})
    client.get(f"/coordinator/?date={wednesday}")
    [wed] = shifts_of(app, "Bea", wednesday)
    assert (wed.source, wed.start, wed.end) == ("hand", "10:00", "15:00")

    # Thursday removed by hand does not come back (a day off is recorded)
    thursday = MONDAY + timedelta(days=3)
    client.get(f"/coordinator/?date={thursday}")
    [thu] = shifts_of(app, "Bea", thursday)
    post_form(client, f"/coordinator/assistants/shifts/{thu.id}", {"action": "remove"})
    client.get(f"/coordinator/?date={thursday}")
    assert shifts_of(app, "Bea", thursday) == []
    with db_session(app) as s:
        assert s.scalar(select(Absence.kind).where(Absence.first_day == thursday)) == "day_off"
        assert availability.make_shifts(s, DAY - timedelta(days=7), DAY) == 0  # the past


def test_links_work_once_expire_and_a_newer_one_ends_the_older(app):
    with db_session(app) as s:
        anna = s.scalar(select(User).where(User.username == "anna"))
        first = invitations.issue(s, anna, "reset")
        second = invitations.issue(s, anna, "reset")
        s.commit()
        assert invitations.find(s, first) is None and invitations.find(s, second) is not None
        stored = s.scalars(select(OneTimeLink.token_hash)).all()
        assert second not in stored and len(stored) == 1  # only its hash is kept
        sid = sessions.start(s, anna)
        s.commit()
        with pytest.raises(ValueError):
            invitations.redeem(s, second, "short")
        s.rollback()
        invitations.redeem(s, second, "a-long-new-password")
        s.commit()
        assert invitations.find(s, second) is None
        ended = s.scalar(select(UserSession.end_reason).where(
            UserSession.sid_hash == sessions._sid_hash(sid)))
        assert ended == "password"
        third = invitations.issue(s, anna, "reset")
        s.commit()
        row = s.scalar(select(OneTimeLink).where(OneTimeLink.used_at.is_(None)))
        row.expires_at = utcnow() - timedelta(seconds=1)
        s.commit()
        assert invitations.find(s, third) is None
    assert login(app.test_client(), "anna", "a-long-new-password").status_code == 302


def test_switching_a_login_off_ends_its_sessions(app):
    anna = app.test_client()
    assert login(anna, "anna").status_code == 302
    assert anna.get("/assistant/").status_code == 200
    client = coordinator(app)
    with db_session(app) as s:
        user = s.scalar(select(User).where(User.username == "anna"))
    off = post_form(client, f"/coordinator/users/{user.id}/active", {"active": "0"},
                    page=f"/coordinator/assistants/{user.assistant_id}")
    assert off.status_code == 302
    assert "/login" in anna.get("/assistant/").headers.get("Location", "")
    assert login(app.test_client(), "anna").status_code == 403


RESIDENT = {"name": "K. Jansen", "address": GOOD_ADDRESS, "praatje_minutes": "20",
            "contact_name": "Dochter Els", "contact_phone": "+31 6 1234 5678",
            "contact_consent": "1", "door_note": "Twee keer bellen, zij-ingang"}


def test_residents_are_added_merged_and_switched_off(app, accounts):
    client = coordinator(app)
    residents = count(app, Resident)
    bad = post_form(client, "/coordinator/residents/new", {
        "name": "", "address": BAD_ADDRESS, "praatje_minutes": "999", "contact_phone": "bellen",
        "door_note": "geef 2 tabletten paracetamol"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert errors_in(page) == {"name", "address", "praatje_minutes", "contact_phone",
                               "door_note"}
    assert "nooit medicijnen" in page
    assert count(app, Resident) == residents
    no_consent = post_form(client, "/coordinator/residents/new",
                           {**RESIDENT, "contact_consent": ""})
    assert no_consent.status_code == 422
    assert errors_in(no_consent.get_data(as_text=True)) == {"contact_consent"}
    made = post_form(client, "/coordinator/residents/new", RESIDENT)
    assert made.status_code == 302
    kept = int(made.headers["Location"].rsplit("/", 1)[1])
    again = post_form(client, "/coordinator/residents/new", RESIDENT)
    assert again.status_code == 422 and errors_in(again.get_data(as_text=True)) == {"name"}
    with db_session(app) as s:
        row = s.get(Resident, kept)
        assert (row.contact_name, row.door_note, row.praatje_minutes) == (
            "Dochter Els", "Twee keer bellen, zij-ingang", 20)
    copy = client.get(f"/coordinator/residents/{kept}/export.json").get_json()["resident"]
    assert (copy["contact_person"], copy["note_for_the_door"]) == (
        "Dochter Els", "Twee keer bellen, zij-ingang")  # the resident's copy has it all

    # a partner's order names the same person differently: a duplicate, merged
    pharmacy = list(accounts.tokens.values())[0]
    api = app.test_client()
    body = {"recipient": "Karin Jansen", "address": GOOD_ADDRESS, "kind": "medicine",
            "service_date": MONDAY.isoformat()}
    order = api.post("/api/v1/orders", json=body, headers=bearer(pharmacy)).get_json()["id"]
    with db_session(app) as s:
        duplicate = s.get(Order, order).resident_id
    bad = post_form(client, f"/coordinator/residents/{kept}/merge", {"duplicate": str(kept)})
    assert bad.status_code == 302 and count(app, Resident) == residents + 2
    merged = post_form(client, f"/coordinator/residents/{kept}/merge",
                       {"duplicate": str(duplicate)})
    assert merged.status_code == 302
    with db_session(app) as s:
        assert s.get(Resident, duplicate) is None
        assert s.get(Order, order).resident_id == kept
        logged = s.scalars(select(AccessLog.resident_id).where(
            AccessLog.detail == f"merged {duplicate} into {kept}")).all()
        assert sorted(logged) == sorted([kept, duplicate])

    # moved away: open orders cancelled, and no partner can order for them again
    off = post_form(client, f"/coordinator/residents/{kept}/active", {"active": "0"})
    assert off.status_code == 302
    with db_session(app) as s:
        assert s.get(Order, order).status == "cancelled"
    refused = api.post("/api/v1/orders", json={**body, "recipient": "K. Jansen"},
                       headers=bearer(pharmacy))
    assert refused.status_code == 422
    assert "moved or died" in refused.get_json()["fields"]["recipient"]
    assert count(app, Order, Order.resident_id == kept) == 1
    partner = app.test_client()
    login(partner, "apotheek1")
    form = post_form(partner, "/partner/orders/new", {
        "recipient": "K. Jansen", "address": GOOD_ADDRESS, "kind": "medicine",
        "service_date": MONDAY.isoformat(), "size": "1"})
    assert form.status_code == 422
    assert "verhuisd of overleden" in form.get_data(as_text=True)
    edit = post_form(client, f"/coordinator/residents/{kept}", {"door_note": "insuline 10 ie"})
    assert edit.status_code == 422 and "f-door_note-error" in edit.get_data(as_text=True)


class Mailbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"


def test_invitations_are_mailed_through_a_real_smtp_server(tmp_path, seeded_db):
    """With SMTP configured, the invitation goes out by mail (to a real local SMTP server)
    and the coordinator is told where; with the server gone, the link is shown instead."""
    import shutil

    from aiosmtpd.controller import Controller

    from tests.browser_fixtures import free_port

    port = free_port()
    mailbox = Mailbox()
    server = Controller(mailbox, hostname="127.0.0.1", port=port)
    server.start()
    database = tmp_path / "demo.sqlite"
    shutil.copy(seeded_db[0], database)
    app = make_app(tmp_path, database, SMTP_HOST="127.0.0.1", SMTP_PORT=port,
                   SMTP_FROM="planning@buurtroute.test")
    try:
        client = coordinator(app)
        made = post_form(client, "/coordinator/assistants/new", {**WEEK, "name": "Cor"})
        cor = int(made.headers["Location"].rsplit("/", 1)[1])
        invited = post_form(client, f"/coordinator/assistants/{cor}/login",
                            {"username": "cor", "email": "cor@example.test"},
                            page=f"/coordinator/assistants/{cor}")
        page = invited.get_data(as_text=True)
        assert invited.status_code == 201 and "gemaild naar cor@example.test" in page
        assert "login-link" not in page  # mailed, so not shown
        [mail] = mailbox.messages
        assert (mail["To"], mail["From"]) == ("cor@example.test", "planning@buurtroute.test")
        assert mail["Subject"] == "Uw login voor Buurtroute"
        url = re.search(r"http://\S+", mail.get_content())[0]
        visitor = app.test_client()
        assert set_password_by_link(visitor, url, "cor-password-123").status_code == 302
        assert login(visitor, "cor", "cor-password-123").status_code == 302
        server.stop()
        with db_session(app) as s:
            cor_id = s.scalar(select(User.id).where(User.username == "cor"))
        shown = post_form(client, f"/coordinator/users/{cor_id}/link", {},
                          page=f"/coordinator/assistants/{cor}")
        page = shown.get_data(as_text=True)
        assert "kon niet verstuurd worden" in page and LINK.search(page)
        assert len(mailbox.messages) == 1
    finally:
        if server.loop.is_running():
            server.stop()
        app.extensions["buurtroute.engine"].dispose()


def test_an_assistant_who_left_has_no_shifts_and_no_session(app):
    anna = app.test_client()
    assert login(anna, "anna").status_code == 302
    with db_session(app) as s:
        user = s.scalar(select(User).where(User.username == "anna"))
        assistant_id = user.assistant_id
    assert shifts_of(app, "Anna", DAY)
    client = coordinator(app)
    post_form(client, f"/coordinator/assistants/{assistant_id}", {**WEEK, "name": "Anna"})
    client.get(f"/coordinator/?date={MONDAY}")
    assert shifts_of(app, "Anna", MONDAY)
    off = post_form(client, f"/coordinator/assistants/{assistant_id}/active", {"active": "0"})
    assert off.status_code == 302
    assert shifts_of(app, "Anna", DAY) == [] and shifts_of(app, "Anna", MONDAY) == []
    client.get(f"/coordinator/?date={MONDAY}")
    assert shifts_of(app, "Anna", MONDAY) == []  # the week makes none for her any more
    page = client.get(f"/coordinator/?date={DAY}").get_data(as_text=True)
    assert not re.search(rf'<option value="{assistant_id}">', page)
    assert "/login" in anna.get("/assistant/").headers.get("Location", "")


def test_one_shift_per_assistant_and_day(app):
    """A shift added by hand replaces the one the week made; a second one by hand is refused
    (two shifts of one assistant on one day cannot be planned)."""
    client = coordinator(app)
    made = post_form(client, "/coordinator/assistants/new", WEEK)
    bea = int(made.headers["Location"].rsplit("/", 1)[1])
    client.get(f"/coordinator/?date={MONDAY}")
    form = {"assistant_id": str(bea), "service_date": MONDAY.isoformat(), "start": "13:00",
            "end": "18:00", "break_minutes": "0"}
    post_form(client, "/coordinator/shifts", form, page="/coordinator/")
    [shift] = shifts_of(app, "Bea", MONDAY)
    assert (shift.source, shift.start, shift.end) == ("hand", "13:00", "18:00")
    again = post_form(client, "/coordinator/shifts", {**form, "start": "08:00"},
                      page="/coordinator/")
    assert again.status_code == 302
    assert "heeft al een dienst op deze dag" in client.get(again.headers["Location"]).get_data(
        as_text=True)
    [shift] = shifts_of(app, "Bea", MONDAY)
    assert shift.start == "13:00"
