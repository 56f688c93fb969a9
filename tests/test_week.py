"""The coordinator's week (figures equal to each day's plan totals, planning several days),
flexible parcels going to the next day with their reason, and dates and times shown in the
cooperative's time zone with Dutch names."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import select

from tests.test_web_planning import plan_day
from tests.web_fixtures import (  # noqa: F401 (fixtures by name)
    DAY, accounts, app, bearer, client, csrf_token, db_session, login, make_app, post_form,
    seeded_db, web_area)
from web import create_app, today
from web.store import Assistant, Order, OrderEvent, Partner, Plan, PlanRequest, Shift

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NL_DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
NL_MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
             "september", "oktober", "november", "december")


def nl(day: date) -> str:
    return f"{NL_DAYS[day.weekday()]} {day.day} {NL_MONTHS[day.month - 1]} {day.year}"


def parcel_token(app, accounts) -> str:
    with db_session(app) as s:
        return accounts.tokens[s.scalar(select(Partner.name).where(
            Partner.kind == "parcel_point"))]


def an_address(app) -> str:
    from web.store import Resident

    with db_session(app) as s:
        return s.scalar(select(Resident.address).order_by(Resident.id.desc()))


def early_parcel(app, accounts, **extra) -> dict:
    """A parcel wanted 05:00-05:30, before anyone works: no plan can take it that day."""
    response = app.test_client().post("/api/v1/orders", headers=bearer(
        parcel_token(app, accounts)), json={
        "recipient": "P. Flex", "address": an_address(app), "kind": "parcel",
        "service_date": DAY.isoformat(), "windows": [{"start": "05:00", "end": "05:30"}],
        **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def plan_days(client, days: list[date]):
    return post_form(client, "/coordinator/week/plan",
                     {"dates": [d.isoformat() for d in days],
                      "start": DAY.isoformat()}, page=f"/coordinator/week?start={DAY}")


def test_a_flexible_parcel_goes_to_the_next_day_with_its_reason_until_its_last_day(
        app, accounts):
    last = DAY + timedelta(days=2)
    flexible = early_parcel(app, accounts, flexible_until=last.isoformat(), reference="f-1")
    fixed = early_parcel(app, accounts, reference="f-2")
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    assert plan_day(coordinator)["status"] == "done"
    with db_session(app) as s:
        moved, stays = s.get(Order, flexible["id"]), s.get(Order, fixed["id"])
        assert moved.service_date == DAY + timedelta(days=1) and moved.status == "submitted"
        assert stays.service_date == DAY  # not flexible: left out on its day, with its reason
        plan = s.scalars(select(Plan).where(Plan.service_date == DAY, Plan.status == "done")
                         .order_by(Plan.id.desc())).first()
        unplanned = {u["order_id"]: u["code"] for u in plan.payload["unplanned"]}
        code = unplanned[str(fixed["id"])]  # why nobody can bring a parcel at 05:00
        assert code in ("no_shift", "window_unreachable")
        assert [(d["order_id"], d["code"]) for d in plan.payload["deferred"]] == [
            (str(moved.id), code)]
        note = s.scalars(select(OrderEvent.note).where(OrderEvent.order_id == moved.id)
                         .order_by(OrderEvent.id.desc())).first()
        assert note == f"moved from {DAY} to {DAY + timedelta(days=1)}: {code}"
    page = coordinator.get(f"/coordinator/?date={DAY}").get_data(as_text=True)
    assert "Naar de volgende dag" in page
    assert re.search(rf"#{moved.id} → <a [^>]+>{nl(DAY + timedelta(days=1))}</a>: ", page)
    # the next day has no shifts: it moves on once more, to its last allowed day
    assert plan_days(coordinator, [DAY + timedelta(days=1)]).status_code == 302
    with db_session(app) as s:
        assert s.get(Order, moved.id).service_date == last
    # on its last day it stays, left out with a reason the coordinator can act on
    assert plan_days(coordinator, [last]).status_code == 302
    with db_session(app) as s:
        order = s.get(Order, moved.id)
        assert order.service_date == last and order.status == "submitted"
        plan = s.scalars(select(Plan).where(Plan.service_date == last, Plan.status == "done")
                         ).one()
        assert [(u["order_id"], u["code"]) for u in plan.payload["unplanned"]] == [
            (str(order.id), "no_shift")]
        assert "deferred" not in plan.payload
    history = app.test_client().get(f"/api/v1/orders/{moved.id}", headers=bearer(
        parcel_token(app, accounts))).get_json()["history"]
    assert [h["note"] for h in history if h["note"].startswith("moved")] == [
        f"moved from {DAY} to {DAY + timedelta(days=1)}: {code}",
        f"moved from {DAY + timedelta(days=1)} to {last}: no_shift"]


def test_flexible_until_is_refused_by_field(app, accounts):
    api = app.test_client()
    base = {"recipient": "P. Flex", "address": an_address(app), "kind": "parcel",
            "service_date": DAY.isoformat()}
    for change, reason in (
            ({"flexible_until": (DAY - timedelta(days=1)).isoformat()}, "lies before the date"),
            ({"flexible_until": (DAY + timedelta(days=8)).isoformat()},
             "lies more than 7 days after the date"),
            ({"flexible_until": "soon"}, "must be a date like 2025-03-14")):
        response = api.post("/api/v1/orders", json={**base, **change},
                            headers=bearer(parcel_token(app, accounts)))
        assert response.status_code == 422
        assert response.get_json()["fields"]["flexible_until"] == reason
    with db_session(app) as s:
        pharmacy = s.scalar(select(Partner.name).where(Partner.kind == "pharmacy"))
    medicine = api.post("/api/v1/orders", headers=bearer(accounts.tokens[pharmacy]), json={
        **base, "kind": "medicine", "flexible_until": DAY.isoformat()})
    assert medicine.get_json()["fields"]["flexible_until"] == \
        "only a parcel can go on a later day"


def test_the_week_shows_each_days_plan_totals(app):
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    assert plan_day(coordinator)["status"] == "done"
    page = coordinator.get(f"/coordinator/week?start={DAY}").get_data(as_text=True)
    with db_session(app) as s:
        plan = s.scalars(select(Plan).where(Plan.service_date == DAY, Plan.status == "done",
                                            Plan.superseded.is_(False))).one()
        totals = plan.payload["totals"]
    cells = dict(re.findall(rf'data-day="{DAY}" data-assistant="(\d+)">(.*?)</td>', page))
    assert set(cells) == set(totals["assistants"])
    for aid, t in totals["assistants"].items():
        hours = f"{round(t['work_seconds'] / 3600, 1):.1f}".replace(".", ",")  # Dutch
        praatje = round(t["praatje_seconds"] / 60)
        stops = f"{t['stops']} stop" + ("s" if t["stops"] != 1 else "")
        assert re.sub(r"<[^>]+>", "", cells[aid]) == \
            f"{hours} u · {stops} · {praatje} min praatje", cells[aid]
    unplanned = re.search(rf'class="unplanned" data-day="{DAY}">(.*?)</td>', page)[1]
    assert re.sub(r"<[^>]+>", "", unplanned) == str(totals["unplanned"] or 0)
    assert totals["unplanned"] == len(plan.payload["unplanned"])
    assert totals["stops"] == sum(t["stops"] for t in totals["assistants"].values()) > 0
    assert f"<h1>De week vanaf {nl(DAY)}</h1>" in page


def test_the_week_names_each_days_kinds_and_counts_one_stop(app, accounts):
    """Before a plan the week says what each day holds (a meal, a parcel), cancelled orders
    not counted; once planned, an assistant with one stop reads "1 stop"."""
    tomorrow = DAY + timedelta(days=1)
    parcel = early_parcel(app, accounts, service_date=tomorrow.isoformat(),
                          windows=[{"start": "10:00", "end": "12:00"}])
    gone = early_parcel(app, accounts, service_date=tomorrow.isoformat(), reference="x-1")
    with db_session(app) as s:
        s.get(Order, gone["id"]).status = "cancelled"
        anna = s.scalar(select(Assistant).where(Assistant.name == "Anna"))
        shift = s.scalars(select(Shift).where(Shift.assistant_id == anna.id)).first()
        s.add(Shift(assistant_id=anna.id, service_date=tomorrow, start="09:00", end="17:00",
                    start_address=shift.start_address, start_lat=shift.start_lat,
                    start_lon=shift.start_lon))
        s.commit()
        anna_id = anna.id
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    week = f"/coordinator/week?start={tomorrow}"
    cell = re.search(rf'class="orders" data-day="{tomorrow}">(.*?)</td>',
                     coordinator.get(week).get_data(as_text=True))[1]
    assert re.sub(r"<[^>]+>", " ", cell).split() == ["1", "pakket", "1"]
    assert plan_days(coordinator, [tomorrow]).status_code == 302
    page = coordinator.get(week).get_data(as_text=True)
    shown = re.search(rf'data-day="{tomorrow}" data-assistant="{anna_id}">(.*?)</td>', page)[1]
    assert re.fullmatch(r"\d+,\d u · 1 stop · \d+ min praatje", re.sub(r"<[^>]+>", "", shown)), \
        shown
    with db_session(app) as s:
        assert s.get(Order, parcel["id"]).status == "planned"


def test_plan_these_days_asks_a_run_per_day_and_refuses_past_days(app):
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    days = [DAY + timedelta(days=1), DAY + timedelta(days=3)]
    assert plan_days(coordinator, days).status_code == 302
    with db_session(app) as s:
        asked = s.scalars(select(PlanRequest.service_date).where(
            PlanRequest.kind == "plan")).all()
        assert sorted(asked) == days
    refused = plan_days(coordinator, [DAY - timedelta(days=1), DAY])
    text = coordinator.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Dagen: alleen vandaag of latere dagen kunnen gepland worden" in text
    with db_session(app) as s:
        assert len(s.scalars(select(PlanRequest)).all()) == 2


# --- dates and times -----------------------------------------------------------------------------

def test_today_is_the_cooperatives_date_not_the_servers(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
                      "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path / "inst"),
                      "AREA": "helsinki-demo", "QUEUE": "immediate"})
    east, west = ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Etc/GMT+12")  # UTC+14, UTC-12
    assert today(app, east) == datetime.now(east).date()
    assert today(app, west) == datetime.now(west).date()
    assert today(app, east) > today(app, west)  # 26 hours apart: never the same date
    assert today(app) == datetime.now(AMSTERDAM).date()  # the service's TIME_ZONE
    app.config["TODAY"] = "2026-11-29"
    assert today(app, east) == today(app, west) == date(2026, 11, 29)  # pinned for tests


def test_pages_show_local_times_and_dutch_dates(app, accounts):
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    status = plan_day(coordinator)
    with db_session(app) as s:
        made = s.get(Plan, status["plan_id"]).finished_at
    local = made.replace(tzinfo=timezone.utc).astimezone(AMSTERDAM).strftime("%H:%M")
    page = coordinator.get(f"/coordinator/?date={DAY}").get_data(as_text=True)
    assert f"Planning {status['plan_id']} gemaakt om {local}." in page
    assert f"De dag van {nl(DAY)}" in page and f"De dag van {DAY.isoformat()}" not in page
    order = early_parcel(app, accounts)
    partner = app.test_client()
    login(partner, "pakketpunt")
    detail = partner.get(f"/partner/orders/{order['id']}").get_data(as_text=True)
    with db_session(app) as s:
        at = s.scalars(select(OrderEvent.at).where(OrderEvent.order_id == order["id"])).one()
    shown = at.replace(tzinfo=timezone.utc).astimezone(AMSTERDAM)
    assert f"{format_date(shown.date(), 'd MMM y', locale='nl')} {shown:%H:%M}" in detail
    assert "UTC" not in detail
    assert nl(DAY) in detail
    round_page = app.test_client()
    login(round_page, "anna")
    assert nl(DAY) in round_page.get(f"/assistant/?date={DAY}").get_data(as_text=True)


def test_the_access_log_shows_the_cooperatives_clock(app, accounts):
    from web.store import AccessLog

    order = early_parcel(app, accounts)  # the API's create is logged
    with db_session(app) as s:
        entry = s.scalars(select(AccessLog).where(AccessLog.action == "create")
                          .order_by(AccessLog.id.desc())).first()
        assert entry.detail == f"orders {order['id']}"
    officer = app.test_client()
    login(officer, "privacy")
    page = officer.get(f"/privacy/residents/{entry.resident_id}").get_data(as_text=True)
    local = entry.at.replace(tzinfo=timezone.utc).astimezone(AMSTERDAM)
    assert f"{local:%Y-%m-%d %H:%M:%S}</time>" in page and "(UTC)" not in page
