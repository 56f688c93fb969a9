"""Many cooperatives on one service: each sees only its own, on SQLite and PostgreSQL.

Two demo cooperatives share one database and one area: "demo" (A, the seeded one) and "oost"
(B, seeded here with another day and usernames starting with "b-"). Every route of the app
that takes an object id is tried by every role of A with the ids of B's objects (orders,
residents, assistants, users, tokens), and the forms that name an assistant or orders in
their body with B's; each must answer 404 (or refuse the role outright) and change none of
B's rows. The lists A's people see hold none of B's ids. Partners' tokens are swapped. And the
scoping layer itself refuses a query without a scope and a write into another cooperative.
"""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import inspect, select, text

from tests.pg_fixtures import *  # noqa: F401,F403 (fixtures by name)
from tests.test_access_control import ROLES, USERS, url_for_rule
from tests.web_fixtures import (  # noqa: F401 (fixtures by name)
    CSRF, DAY, PASSWORD, accounts, bearer, csrf_token, db_session, login, seeded_db, tap, web_area)
from web import organisations, tenancy
from web.store import (Absence, ApiToken, Assistant, Campaign, Order, Organisation, Partner,
                       PartnerLink, Resident, SafetyAlert, Shift, Signal, StandingOrder, Tenant,
                       User)

B_PREFIX = "b-"


@pytest.fixture(scope="session")
def area(web_area):  # pg_fixtures' seeding asks for ``area``
    return web_area


@pytest.fixture(params=["sqlite", "postgresql"])
def two(request, tmp_path, web_area):
    """The app on a database with cooperatives A ("demo") and B ("oost")."""
    import shutil

    from tests.web_fixtures import make_app
    from web.db import new_session
    from web.demo import seed

    if request.param == "postgresql":
        app = request.getfixturevalue("pg_app_factory")()
    else:
        database = tmp_path / "two.sqlite"
        shutil.copy(request.getfixturevalue("seeded_db")[0], database)
        app = make_app(tmp_path, database)
    with app.app_context():
        session = new_session()
        accounts_b = seed(session, web_area, DAY, seed_value=2, orders_count=40,
                          password=PASSWORD, slug="oost", prefix=B_PREFIX)
        add_absence(session)  # B has an absence to guess (the demo seeds none)
        standing_orders_of_b(session, web_area)
        session.close()
    from tests.test_door_alerts import door_objects

    with db_session(app, "oost") as session:  # B's alerts, signals, campaigns to guess
        door_objects(session, web_area)
    yield app, accounts_b
    if request.param == "sqlite":
        app.extensions["buurtroute.engine"].dispose()


def add_absence(session) -> None:
    assistant = session.scalars(select(Assistant).order_by(Assistant.id)).first()
    session.add(Absence(assistant_id=assistant.id, kind="holiday", first_day=DAY,
                        last_day=DAY))
    session.commit()


def standing_orders_of_b(session, web_area) -> None:
    """Three standing orders of B's meal kitchen (the session is scoped to B after seeding),
    and the orders they make on the demo day."""
    from web import standing
    from web.i18n import english

    kitchen = session.scalar(select(Partner).where(Partner.kind == "meal_kitchen"))
    address = session.scalar(select(Resident.address).order_by(Resident.id))
    for n in range(3):
        draft, errors = standing.validate(
            {"recipient": f"B. Vast {n}", "address": address, "kind": "meal",
             "weekdays": list(standing.WEEKDAYS), "start_date": DAY.isoformat()},
            kitchen, web_area, DAY, english)
        assert not errors, errors
        standing.create(session, kitchen, draft, english)
    session.commit()
    standing.materialise(session, DAY, DAY)


def objects_of(app, slug: str) -> dict[str, list[int]]:
    """Ids of one cooperative's objects, per route argument that names them."""
    with db_session(app, slug) as s:
        partners = s.scalars(select(Partner.id)).all()
        return {"order_id": s.scalars(select(Order.id).order_by(Order.id)).all(),
                "resident_id": s.scalars(select(Resident.id).order_by(Resident.id)).all(),
                "assistant_id": s.scalars(select(Assistant.id).order_by(Assistant.id)).all(),
                "user_id": s.scalars(select(User.id).where(User.org_id.is_not(None))).all(),
                "token_id": s.scalars(select(ApiToken.id).where(
                    ApiToken.partner_id.in_(partners))).all(),
                "partner_id": list(partners),
                "shift_id": s.scalars(select(Shift.id).order_by(Shift.id)).all(),
                "absence_id": s.scalars(select(Absence.id).order_by(Absence.id)).all(),
                "standing_id": s.scalars(select(StandingOrder.id).order_by(
                    StandingOrder.id)).all(),
                "alert_id": s.scalars(select(SafetyAlert.id).order_by(SafetyAlert.id)).all(),
                "signal_id": s.scalars(select(Signal.id).order_by(Signal.id)).all(),
                "campaign_id": s.scalars(select(Campaign.id).order_by(Campaign.id)).all()}


def _org(session, slug: str) -> int:
    return session.scalar(select(Organisation.id).where(Organisation.slug == slug))


def digest(app, slug: str) -> str:
    """A hash of every row a cooperative owns (tenant tables and its users)."""
    with db_session(app, None) as s, tenancy.system(s, "a test reads B's rows"):
        org = s.scalar(select(Organisation.id).where(Organisation.slug == slug))
        h = hashlib.sha256()
        for model in Tenant.__subclasses__():
            columns = [c for c in inspect(model).columns
                       if c.key not in ("last_used_at", "updated_at")]
            rows = s.execute(select(*columns).where(model.org_id == org).order_by(model.id))
            h.update(repr((model.__tablename__, [tuple(r) for r in rows])).encode())
        h.update(repr(s.execute(text("SELECT id, username, active, password_hash FROM users "
                                     "WHERE org_id = :org ORDER BY id"), {"org": org}).all())
                 .encode())
    return h.hexdigest()


def test_every_route_answers_404_for_the_other_cooperatives_objects(two):
    app, _accounts_b = two
    theirs = objects_of(app, "oost")
    assert all(theirs.values()), theirs  # B has objects of every kind to guess
    before = digest(app, "oost")
    api_token = accounts_tokens_a(app)["apotheek"]  # partner A's token for the API routes
    tried = 0
    for role in ROLES:
        client = app.test_client()
        assert login(client, USERS[role]).status_code == 302, role
        home = client.get("/", follow_redirects=True).get_data(as_text=True)
        token = CSRF.search(home)[1]
        for rule in app.url_map.iter_rules():
            names = [n for n in rule.arguments if n in theirs]
            if not names:
                continue
            for k in range(3):  # the first, a middle and the last of B's objects
                values = {n: theirs[n][k * (len(theirs[n]) - 1) // 2] for n in names}
                path = url_for_rule(rule, values)
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    data = {"csrf_token": token, "assistant_id": theirs["assistant_id"][0],
                            "action": "lock", "status": "delivered", "event_id": tap()}
                    if path.startswith("/api/"):  # tokens only: a partner's, or none
                        response = client.open(path, method=method, json={"note": "x"},
                                               headers=bearer(api_token)
                                               if role == "partner" else {})
                        refused = 401
                    else:
                        response = client.open(path, method=method, data=data
                                               if method == "POST" else None)
                        refused = 403
                    tried += 1
                    # the role may not use it at all, or else the object is not there
                    assert response.status_code in (refused, 404), (
                        role, method, path, response.status_code)
    assert tried > 100
    assert digest(app, "oost") == before


def test_forms_and_marks_naming_the_other_cooperatives_objects_change_nothing(two):
    app, _accounts_b = two
    theirs, ours = objects_of(app, "oost"), objects_of(app, "demo")
    before = digest(app, "oost")
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    token = csrf_token(coordinator, "/coordinator/")
    shift = coordinator.post("/coordinator/shifts", data={
        "csrf_token": token, "assistant_id": theirs["assistant_id"][0],
        "service_date": DAY.isoformat(), "start": "09:00", "end": "13:00"})
    assert shift.status_code in (302, 422)
    lock = coordinator.post(f"/coordinator/orders/{ours['order_id'][0]}/lock", data={
        "csrf_token": token, "assistant_id": theirs["assistant_id"][0], "action": "lock"})
    assert lock.status_code == 302
    handover = coordinator.post(f"/coordinator/orders/{ours['order_id'][0]}/handover", data={
        "csrf_token": token, "assistant_id": theirs["assistant_id"][0]})
    assert handover.status_code in (302, 404, 409, 422)
    assistant = app.test_client()
    login(assistant, "anna")
    marks = assistant.post("/assistant/marks", json={
        "event_id": tap(), "order_ids": theirs["order_id"][:2], "status": "delivered"},
        headers={"X-CSRFToken": csrf_token(assistant, "/assistant/")})
    assert marks.status_code == 404, marks.get_data(as_text=True)
    assert digest(app, "oost") == before
    from web.store import Fact, StopLock

    with db_session(app, None) as s, tenancy.system(s, "nothing of A points at B"):
        for model, column in ((StopLock, StopLock.assistant_id), (Shift, Shift.assistant_id),
                              (Fact, Fact.assistant_id)):
            assert not s.scalars(select(model).where(column.in_(theirs["assistant_id"]),
                                                     model.org_id != _org(s, "oost"))).all()


def test_lists_show_nothing_of_the_other_cooperative(two):
    app, accounts_b = two
    theirs, ours = objects_of(app, "oost"), objects_of(app, "demo")
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    residents = coordinator.get("/coordinator/residents").get_data(as_text=True)
    shown = {int(i) for i in re.findall(r"/coordinator/residents/(\d+)", residents)}
    assert shown and shown <= set(ours["resident_id"])
    day = coordinator.get(f"/coordinator/?date={DAY.isoformat()}").get_data(as_text=True)
    assert not re.search(rf"\b{B_PREFIX}", day)
    assert all(f'value="{a}"' not in day for a in theirs["assistant_id"])
    # B's coordinator sees its own 40-order day, not A's
    other = app.test_client()
    login(other, B_PREFIX + "coordinator")
    day_b = other.get(f"/coordinator/?date={DAY.isoformat()}")
    assert day_b.status_code == 200
    # the API: A's pharmacy token lists A's orders only; B's token B's
    api_a = app.test_client().get("/api/v1/orders", headers=bearer(
        accounts_tokens_a(app)["apotheek"]))
    listed = {o["id"] for o in api_a.get_json()["orders"]}
    assert listed and listed <= set(ours["order_id"])
    assert {o["cooperative"] for o in api_a.get_json()["orders"]} == {"demo"}
    token_b = next(t for name, t in accounts_b.tokens.items() if "Apteekki" in name)
    for order_id in ours["order_id"][:5]:  # swapped: B's token on A's orders
        assert app.test_client().get(f"/api/v1/orders/{order_id}",
                                     headers=bearer(token_b)).status_code == 404
    # the privacy officer of A: A's users only
    privacy = app.test_client()
    login(privacy, "privacy")
    log = privacy.get("/privacy/").get_data(as_text=True)
    assert "privacy" in log and B_PREFIX + "privacy" not in log


def accounts_tokens_a(app) -> dict[str, str]:
    """A fresh API token of A's first pharmacy (the seeded ones are only in the accounts)."""
    from web.auth import new_token

    with db_session(app) as s:
        partner = s.scalars(select(Partner).where(Partner.kind == "pharmacy")
                            .order_by(Partner.id)).first()
        token = new_token(s, partner, "test")
        s.commit()
    return {"apotheek": token}


def test_a_partner_serving_two_cooperatives_names_the_one_and_sees_its_own_in_each(two):
    from web import organisations

    app, _accounts_b = two
    with db_session(app, None) as s, tenancy.system(s, "a test links a partner"):
        partner = s.scalars(select(Partner).join(User, User.partner_id == Partner.id)
                            .where(User.username == "apotheek1")).one()
        organisations.link(s, organisations.by_slug(s, "oost"), partner)
        s.commit()
    token = accounts_tokens_a(app)["apotheek"]
    client = app.test_client()
    body = {"recipient": "K. L.", "address": "Unioninkatu 29", "kind": "medicine",
            "service_date": DAY.isoformat()}
    unnamed = client.post("/api/v1/orders", json=body, headers=bearer(token))
    assert unnamed.status_code == 422
    assert "oost" in unnamed.get_json()["fields"]["cooperative"]
    wrong = client.post("/api/v1/orders", json={**body, "cooperative": "elsewhere"},
                        headers=bearer(token))
    assert wrong.status_code == 422 and "cooperative" in wrong.get_json()["fields"]
    made = client.post("/api/v1/orders", json={**body, "cooperative": "oost"},
                       headers=bearer(token))
    assert made.status_code == 201, made.get_json()
    order = made.get_json()
    assert order["cooperative"] == "oost"
    assert order["id"] in objects_of(app, "oost")["order_id"]
    assert order["id"] not in objects_of(app, "demo")["order_id"]
    both = client.get("/api/v1/orders", headers=bearer(token)).get_json()["orders"]
    assert {o["cooperative"] for o in both} == {"demo", "oost"}
    only_b = client.get("/api/v1/orders?cooperative=oost", headers=bearer(token))
    assert {o["id"] for o in only_b.get_json()["orders"]} == {order["id"]}
    # in the browser the partner switches cooperative; each page shows that one's orders
    browser = app.test_client()
    login(browser, "apotheek1")
    page_b = browser.get(f"/partner/orders?cooperative=oost&date={DAY.isoformat()}")
    assert f"/partner/orders/{order['id']}" in page_b.get_data(as_text=True)
    page_a = browser.get(f"/partner/orders?cooperative=demo&date={DAY.isoformat()}")
    assert f"/partner/orders/{order['id']}\"" not in page_a.get_data(as_text=True)
    # B's coordinator sees the new order on B's day; A's coordinator cannot open it
    coordinator_a = app.test_client()
    login(coordinator_a, "coordinator")
    assert coordinator_a.post(f"/coordinator/orders/{order['id']}/lock", data={
        "csrf_token": csrf_token(coordinator_a, "/coordinator/")}).status_code == 404


def test_the_scope_is_hard_to_forget(two):
    """No scope: no organisation data. A scope: only its own, also through ``get``, joins,
    lazy loads and bulk statements; and a write into another cooperative is refused."""
    from sqlalchemy import update

    app, _accounts_b = two
    with db_session(app, None) as bare:
        with pytest.raises(tenancy.Unscoped):
            bare.scalars(select(Order)).first()
        with pytest.raises(tenancy.Unscoped):
            bare.execute(select(Resident.name)).first()
        with pytest.raises(tenancy.Unscoped):
            bare.execute(update(Order).values(note="x"))
    theirs = objects_of(app, "oost")
    with db_session(app) as s:
        assert s.get(Order, theirs["order_id"][0]) is None
        assert not s.scalars(select(Order.id).join(Resident).where(
            Resident.id.in_(theirs["resident_id"]))).all()
        assert s.execute(update(Order).where(Order.id.in_(theirs["order_id"]))
                         .values(note="overwritten")).rowcount == 0
        s.rollback()
        with tenancy.system(s, "a test takes B's order"):
            stolen = s.get(Order, theirs["order_id"][0])
        stolen.note = "changed through A"
        with pytest.raises(tenancy.Unscoped):
            s.flush()
        s.rollback()
        s.add(Resident(org_id=stolen.org_id, name="X", address="Y", lat=0, lon=0))
        with pytest.raises(tenancy.Unscoped):
            s.flush()


def test_the_service_admin_adds_a_cooperative_and_sees_no_residents(two):
    app, _accounts_b = two
    admin = app.test_client()
    assert login(admin, "beheer").status_code == 302
    page = admin.get("/admin/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "oost" in html and "demo" in html
    with db_session(app) as s:
        some_resident = s.scalars(select(Resident.name)).first()
    token = csrf_token(admin, "/admin/")
    bad = admin.post("/admin/", data={"csrf_token": token, "slug": "A B", "name": "",
                                      "time_zone": "Mars/Olympus", "coordinator": "",
                                      "email": "not-an-address"})
    assert bad.status_code == 422
    text_ = bad.get_data(as_text=True)
    for field in ("f-slug-error", "f-name-error", "f-time_zone-error", "f-coordinator-error",
                  "f-email-error"):
        assert field in text_
    made = admin.post("/admin/", data={"csrf_token": token, "slug": "noord", "time_zone":
                                       "Europe/Amsterdam", "name": "Buurtcoöperatie Noord",
                                       "coordinator": "noord-coco", "area": ""})
    assert made.status_code == 201
    link = re.search(r'id="login-link">http://localhost([^<]+)<', made.get_data(as_text=True))[1]
    assert "<code>" not in made.get_data(as_text=True)  # no password: the admin knows none
    assert login(app.test_client(), "noord-coco", PASSWORD).status_code != 302
    # the link lost: a new one, and the first no longer works
    with db_session(app, None) as s, tenancy.system(s, "test"):
        org_id = s.scalar(select(Organisation.id).where(Organisation.slug == "noord"))
    anew = admin.post(f"/admin/organisations/{org_id}/invitation", data={"csrf_token": token})
    assert anew.status_code == 201
    assert 'id="login-link"' in anew.get_data(as_text=True)
    assert app.test_client().get(link).status_code == 404  # the first link is dead
    link = re.search(r'id="login-link">http://localhost([^<]+)<', anew.get_data(as_text=True))[1]
    password = "noord-coordinator-chose-this"
    chooser = app.test_client()
    chose = chooser.post(link, data={"csrf_token": csrf_token(chooser, link),
                                     "password": password, "password_again": password})
    assert chose.status_code == 302
    again = admin.post("/admin/", data={"csrf_token": token, "slug": "noord", "time_zone":
                                        "Europe/Amsterdam", "name": "Dubbel",
                                        "coordinator": "coordinator"})
    assert again.status_code == 422  # slug and username taken, nothing stored
    # a partner's last cooperative is not taken from it here (its coordinator switches it off)
    with db_session(app, None) as s, tenancy.system(s, "the demo's pharmacy"):
        demo_id = _org(s, "demo")
        pharmacy = s.scalar(select(Partner.id).join(PartnerLink).where(
            Partner.kind == "pharmacy", PartnerLink.org_id == demo_id))
    last = admin.post("/admin/links", data={"csrf_token": token, "org": str(demo_id),
                                            "partner": str(pharmacy), "active": "0"})
    assert last.status_code == 302
    with db_session(app, None) as s:
        assert [o.slug for o in organisations.served_by(s, pharmacy)] == ["demo"]
    # nothing to stop where it does not serve
    assert admin.post("/admin/links", data={"csrf_token": token, "org": str(org_id),
                                            "partner": str(pharmacy), "active": "0"}
                      ).status_code == 404
    coordinator = app.test_client()
    assert login(coordinator, "noord-coco", password).status_code == 302
    # logged in: no more invitations from the service admin (another coordinator resets)
    assert admin.post(f"/admin/organisations/{org_id}/invitation",
                      data={"csrf_token": token}).status_code == 302
    day = coordinator.get("/coordinator/")
    assert day.status_code == 200
    assert some_resident not in coordinator.get("/coordinator/residents").get_data(
        as_text=True)
    with db_session(app, "noord") as s:
        assert s.scalars(select(Order)).first() is None
        assert s.scalars(select(Partner.kind)).all() == ["cooperative"]
    # switched off: its coordinator can no longer log in
    off = admin.post(f"/admin/organisations/{org_id}/active",
                     data={"csrf_token": token, "active": "0"})
    assert off.status_code == 302
    assert coordinator.get("/coordinator/").status_code == 302  # the session has ended
    assert login(app.test_client(), "noord-coco", password).status_code == 403


def test_onboarding_forms_naming_the_other_cooperatives_objects_change_nothing(two):
    """A's coordinator names B's residents, partners and logins in A's onboarding forms: each
    is refused by field or not found, and nothing of B changes."""
    app, _accounts_b = two
    theirs, ours = objects_of(app, "oost"), objects_of(app, "demo")
    before = digest(app, "oost")
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    token = csrf_token(coordinator, "/coordinator/")
    assistant = coordinator.post(f"/coordinator/assistants/{ours['assistant_id'][0]}", data={
        "csrf_token": token, "name": "Anna", "mode": "bike",
        "regulars": [str(ours["resident_id"][0]), str(theirs["resident_id"][0])]})
    assert assistant.status_code == 422
    assert 'id="f-regulars-error"' in assistant.get_data(as_text=True)
    merge = coordinator.post(f"/coordinator/residents/{ours['resident_id'][0]}/merge", data={
        "csrf_token": token, "duplicate": str(theirs["resident_id"][0])})
    assert merge.status_code == 302
    with db_session(app, None) as s, tenancy.system(s, "B's users"):
        b_users = s.scalars(select(User.id).where(User.org_id == _org(s, "oost"))).all()
    for user_id in b_users[:3]:
        for action in ("link", "active"):
            response = coordinator.post(f"/coordinator/users/{user_id}/{action}",
                                        data={"csrf_token": token, "active": "0"})
            assert response.status_code == 404, (action, user_id)
    assert digest(app, "oost") == before
