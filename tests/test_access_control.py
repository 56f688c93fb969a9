"""Access control, tried the way an attacker would: every route of the app (read from its URL
map, so a new route is covered the day it is added) with every role and with nobody logged in,
and partner A guessing the ids of partner B's orders and tokens in the pages and the API.

A refused request must refuse (login redirect, 401, 403 or 404) *and* change nothing in the
database; an allowed one must not be refused. The expected access is the table ``POLICY``
below, by blueprint; a blueprint missing from it fails the test until someone decides who may
use it.
"""

from __future__ import annotations

import sqlite3
import pytest
from sqlalchemy import select

from tests.web_fixtures import (  # noqa: F401 (pytest fixtures are used by name)
    DAY, accounts, app, bearer, client, db_session, login, make_app, seeded_db, web_area)
from web.store import ApiToken, Order, Partner, StandingOrder, User

ROLES = ("coordinator", "assistant", "partner", "privacy_officer", "service_admin")
USERS = {"coordinator": "coordinator", "assistant": "anna", "partner": "apotheek1",
         "privacy_officer": "privacy", "service_admin": "beheer"}
#: Endpoints anyone may use.
PUBLIC = {"static", "auth.login", "auth.logout", "pages.index", "pages.set_language",
          "api.openapi",
          # step two of a login: opens nothing without a half-finished login in the session
          "totp.code",
          # the round's service worker: a static script (it keeps only what the assistant's
          # own session fetches)
          "assistant.service_worker"}
#: Single endpoints with their own rule (checked before the blueprint's).
ENDPOINTS = {"pages.address_check": ({"partner", "coordinator"},
                                      {"assistant", "privacy_officer", "service_admin"}),
             # PDF route sheets: all rounds for the coordinator, one's own round for assistants
             "pdf.all_rounds": ({"coordinator"}, {"partner", "assistant", "privacy_officer",
                                                  "service_admin"}),
             "pdf.one_round": ({"assistant"}, {"partner", "privacy_officer", "service_admin"}),
             # an invitation or password link: whoever holds a live one (any role or none);
             # a guessed or used token opens nothing (404)
             "invitations.accept": (set(), set())}
#: blueprint → (roles that must get in, roles that must be refused). A role in neither set may
#: go either way (e.g. whether a coordinator may open an assistant's page is the web's choice).
POLICY = {
    # the privacy officer reads the access log and nothing else: no resident's data itself;
    # the service admin runs the service and sees no cooperative's work at all
    "partners": ({"partner"}, {"coordinator", "assistant", "privacy_officer", "service_admin"}),
    "coordinator": ({"coordinator"}, {"partner", "assistant", "privacy_officer",
                                      "service_admin"}),
    "assistant": ({"assistant"}, {"partner", "privacy_officer", "service_admin"}),
    # the API takes tokens only: a browser session of any role is no credential there
    "api": (set(), {"partner", "coordinator", "assistant", "privacy_officer", "service_admin"}),
    # residents' praatje, regular assistant and phone, their export and erasure: the
    # coordinator's alone
    "residents": ({"coordinator"}, {"partner", "assistant", "privacy_officer",
                                    "service_admin"}),
    # one's own second factor (TOTP): anyone logged in may switch it on
    "totp": ({"coordinator", "privacy_officer", "partner", "assistant", "service_admin"},
             set()),
    # the access log and residents' access reports: the privacy officer (the coordinator only
    # when ACCESS_LOG_READERS says so; not by default, see test_privacy.py)
    "privacy": ({"privacy_officer"}, {"partner", "assistant", "coordinator", "service_admin"}),
    # reports over a period (anonymous counts): the coordinator
    "reports": ({"coordinator"}, {"partner", "assistant", "privacy_officer", "service_admin"}),
    # organisations and their first coordinator: the service admin alone
    "admin": ({"service_admin"}, {"partner", "assistant", "privacy_officer", "coordinator"}),
    # onboarding a cooperative: its partners (pickup, hours, logins, tokens), its assistants
    # (week, absences, shifts, login) and the logins' links: the coordinator's alone
    "partner_admin": ({"coordinator"}, {"partner", "assistant", "privacy_officer",
                                        "service_admin"}),
    "assistant_admin": ({"coordinator"}, {"partner", "assistant", "privacy_officer",
                                          "service_admin"}),
    "accounts": ({"coordinator"}, {"partner", "assistant", "privacy_officer", "service_admin"}),
    # a partner's own standing orders (form, CSV, pauses); the coordinator's view of all of
    # them and a resident's pause; the week and planning several days: the coordinator's
    "partner_standing": ({"partner"}, {"coordinator", "assistant", "privacy_officer",
                                       "service_admin"}),
    "coordinator_standing": ({"coordinator"}, {"partner", "assistant", "privacy_officer",
                                               "service_admin"}),
    "week": ({"coordinator"}, {"partner", "assistant", "privacy_officer", "service_admin"}),
    # safety alerts and signals (health-related: never partners), their follow-up: the
    # coordinator's alone
    "door": ({"coordinator"}, {"partner", "assistant", "privacy_officer", "service_admin"}),
    # an assistant's signals and house-call outcomes: her own, from her round
    "field": ({"assistant"}, {"partner", "coordinator", "privacy_officer", "service_admin"}),
    # house-call campaigns and their progress: the coordinator
    "campaigns": ({"coordinator"}, {"partner", "assistant", "privacy_officer",
                                    "service_admin"}),
}
#: Columns a request may legitimately touch without changing anything that matters.
VOLATILE = {"last_login_at", "last_used_at", "last_seen_at"}


def rule_policy(endpoint: str) -> tuple[set, set] | None:
    if endpoint in PUBLIC:
        return None
    if endpoint in ENDPOINTS:
        return ENDPOINTS[endpoint]
    blueprint = endpoint.split(".", 1)[0]
    assert blueprint in POLICY, (
        f"route {endpoint} belongs to blueprint {blueprint!r}, which the access policy of "
        f"tests/test_access_control.py does not know: decide who may use it and add it")
    return POLICY[blueprint]


def snapshot(database) -> dict:
    """Every row of every table (minus bookkeeping columns): what a refusal must not change."""
    with sqlite3.connect(database) as con:
        tables = [r[0] for r in con.execute(
            "select name from sqlite_master where type='table' and name not like 'sqlite_%' "
            "and name != 'alembic_version'")]
        out = {}
        for table in tables:
            cursor = con.execute(f'select * from "{table}" order by 1')
            keep = [i for i, d in enumerate(cursor.description) if d[0] not in VOLATILE]
            out[table] = [tuple(row[i] for i in keep) for row in cursor.fetchall()]
    return out


def database_of(app) -> str:
    return app.config["DATABASE_URL"].removeprefix("sqlite:///")


def ids(app):
    """Order and token ids of partner A (apotheek1's pharmacy) and of everyone else."""
    with db_session(app) as session:
        user = session.scalar(select(User).where(User.username == USERS["partner"]))
        own = session.scalars(select(Order.id).where(Order.partner_id == user.partner_id)
                              .order_by(Order.id)).all()
        others = session.scalars(select(Order.id).where(Order.partner_id != user.partner_id)
                                 .order_by(Order.id)).all()
        own_tokens = session.scalars(select(ApiToken.id).where(
            ApiToken.partner_id == user.partner_id)).all()
        other_tokens = session.scalars(select(ApiToken.id).where(
            ApiToken.partner_id != user.partner_id)).all()
    return own, others, own_tokens, other_tokens


def url_for_rule(rule, values: dict) -> str:
    """The rule's path with each argument filled from ``values`` (by name, else a default)."""
    args = {}
    for name, converter in rule._converters.items():
        if name in values:
            args[name] = values[name]
        elif type(converter).__name__ == "IntegerConverter":
            args[name] = 1
        else:
            args[name] = {"code": "en", "filename": "style.css"}.get(name, "x")
    _, path = rule.build(args, append_unknown=False)
    return path


def form_body(day) -> dict:
    """A plausible body for any form: if a refused request did act on it, it would show."""
    return {"recipient": "Q. Intruder", "address": "Unioninkatu 29", "kind": "medicine",
            "service_date": day.isoformat(), "window1_start": "10:00", "window1_end": "12:00",
            "size": "1", "label": "stolen", "assistant_id": "1", "start": "09:00",
            "end": "12:00", "status": "delivered", "note": "", "query": "Unioninkatu 29"}


def json_body(day) -> dict:
    return {"recipient": "Q. Intruder", "address": "Unioninkatu 29", "kind": "medicine",
            "service_date": day.isoformat(), "query": "Unioninkatu 29"}


def send(client, method: str, path: str, day):
    if path.startswith("/api/"):
        return client.open(path, method=method, json=json_body(day) if method in (
            "POST", "PATCH", "PUT") else None)
    if method in ("POST", "PUT", "PATCH", "DELETE"):
        return client.open(path, method=method, data=form_body(day))
    return client.open(path, method=method)


def refused(response, path: str, role: str | None) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    location = response.headers.get("Location", "")
    return role is None and response.status_code in (302, 303) and "/login" in location


def routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


@pytest.fixture
def open_app(tmp_path, seeded_db):
    """The app with CSRF off, so that access control is seen on its own (CSRF has a test)."""
    import shutil

    database = tmp_path / "demo.sqlite"
    shutil.copy(seeded_db[0], database)
    app = make_app(tmp_path, database, WTF_CSRF_ENABLED=False)
    yield app
    app.extensions["buurtroute.engine"].dispose()


def logged_in(app, role: str | None):
    client = app.test_client()
    if role is not None:
        response = login(client, USERS[role])
        assert response.status_code == 302, f"{USERS[role]} cannot log in"
    return client


def standing_order_of(app, accounts, username: str) -> int:
    """A new standing order (Mondays, from the demo day) of ``username``'s partner."""
    whose = next(w for u, _, w in accounts.users if u == username)
    with db_session(app) as session:
        kind = session.scalar(select(Partner.kind).where(Partner.name == whose))
    response = app.test_client().post("/api/v1/standing-orders", headers=bearer(
        accounts.tokens[whose]), json={"recipient": "S. Vast", "address": "Unioninkatu 29",
                                       "kind": {"pharmacy": "medicine", "meal_kitchen": "meal",
                                                "parcel_point": "parcel"}[kind],
                                       "weekdays": ["mon"], "start_date": DAY.isoformat()})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


@pytest.mark.parametrize("role", (None, *ROLES))
def test_every_route_refuses_whom_it_must_and_changes_nothing(open_app, accounts, role):
    own, others, own_tokens, _ = ids(open_app)
    # a partner tries its own ids (so refusal is about the role, not the id)
    values = {"order_id": own[0], "token_id": own_tokens[0],
              "standing_id": standing_order_of(open_app, accounts, USERS["partner"])}
    client = logged_in(open_app, role)
    before = snapshot(database_of(open_app))
    problems, tried = [], 0
    for rule, method in routes(open_app):
        policy = rule_policy(rule.endpoint)
        if policy is None:
            continue
        must_allow, must_deny = policy
        if role is not None and role not in must_deny:
            continue
        path = url_for_rule(rule, values)
        response = send(client, method, path, DAY)
        tried += 1
        if not refused(response, path, role):
            problems.append(f"{method} {path} as {role or 'nobody'}: {response.status_code}")
        if path.startswith("/api/") and response.status_code == 401:
            body = response.get_json()
            assert body and body["error"], f"{method} {path}: 401 without a JSON reason"
    assert tried > 0
    assert not problems, "refused routes let the request through:\n" + "\n".join(problems)
    after = snapshot(database_of(open_app))
    changed = [t for t in before if before[t] != after[t]]
    assert not changed, f"refused requests as {role or 'nobody'} changed tables {changed}"


def onboarding_ids(app) -> dict[str, int]:
    """Ids the coordinator's onboarding routes take: apotheek1's pharmacy (whose token is
    ``token_id``), the last assistant (whom the walk switches off), and a shift and an absence
    (the demo has none) of the first one."""
    from web.store import Absence, Assistant, Shift

    with db_session(app) as session:
        partner_id = session.scalar(select(User.partner_id).where(
            User.username == USERS["partner"]))
        first, *_, last = session.scalars(select(Assistant).order_by(Assistant.id))
        absence = Absence(assistant_id=first.id, kind="sick", first_day=DAY, last_day=DAY)
        session.add(absence)
        session.commit()
        shift = session.scalar(select(Shift.id).where(Shift.assistant_id == first.id))
        return {"partner_id": partner_id, "absence_id": absence.id, "assistant_id": last.id,
                "shift_id": shift}


@pytest.mark.parametrize("role", [
    "coordinator", "partner",
    "assistant", "privacy_officer"])
def test_every_route_lets_in_whom_it_must(open_app, accounts, role, web_area):
    from tests.test_door_alerts import door_objects

    own, _, own_tokens, _ = ids(open_app)
    with db_session(open_app) as session:  # an alert, a signal, a campaign to open
        values = {"order_id": own[0], "token_id": own_tokens[0],
                  "standing_id": standing_order_of(open_app, accounts, USERS["partner"]),
                  **door_objects(session, web_area)}
    if role == "coordinator":
        values.update(onboarding_ids(open_app))
    client = logged_in(open_app, role)
    problems, tried = [], 0
    for rule, method in routes(open_app):
        policy = rule_policy(rule.endpoint)
        if policy is None or role not in policy[0]:
            continue
        if rule.endpoint in ("auth.logout",):
            continue
        path = url_for_rule(rule, values)
        response = send(client, method, path, DAY)
        tried += 1
        if response.status_code >= 500 or refused(response, path, None) or (
                "/login" in response.headers.get("Location", "")):
            problems.append(f"{method} {path} as {role}: {response.status_code}")
    assert tried > 0, f"no route is meant for the {role}"
    assert not problems, "routes refused their own users:\n" + "\n".join(problems)


def test_public_routes_answer_nobody_without_error(client):
    for rule, method in routes(client.application):
        if rule.endpoint not in PUBLIC or method != "GET":
            continue
        response = client.get(url_for_rule(rule, {}))
        assert response.status_code < 400, (rule.rule, response.status_code)


def test_every_form_post_without_csrf_token_is_refused_and_changes_nothing(app):
    """With CSRF on (as in production), a forged cross-site POST does nothing, whoever is
    logged in; the API is token-authenticated and exempt."""
    own, _, own_tokens, _ = ids(app)
    values = {"order_id": own[0], "token_id": own_tokens[0]}
    for role in ROLES:
        client = logged_in(app, role)
        before = snapshot(database_of(app))
        for rule, method in routes(app):
            if method != "POST" or rule.rule.startswith("/api/"):
                continue
            path = url_for_rule(rule, values)
            response = client.post(path, data=form_body(DAY))
            assert response.status_code == 400, (role, path, response.status_code)
        assert snapshot(database_of(app)) == before, role


# --- IDOR: partner A guessing partner B's ids ----------------------------------------------

def test_partners_never_see_or_change_another_partners_standing_orders(open_app, accounts):
    theirs = standing_order_of(open_app, accounts, "keuken")
    mine = standing_order_of(open_app, accounts, USERS["partner"])
    client = logged_in(open_app, "partner")
    before = snapshot(database_of(open_app))
    for method, path in (("GET", f"/partner/standing-orders/{theirs}"),
                         ("POST", f"/partner/standing-orders/{theirs}/pause"),
                         ("POST", f"/partner/standing-orders/{theirs}/cancel-day"),
                         ("POST", f"/partner/standing-orders/{theirs}/end")):
        response = send(client, method, path, DAY)
        assert response.status_code == 404, (method, path, response.status_code)
        assert "S. Vast" not in response.get_data(as_text=True)
    token = accounts.tokens[next(w for u, _, w in accounts.users if u == USERS["partner"])]
    api = open_app.test_client()
    for method, path, body in (
            ("GET", f"/api/v1/standing-orders/{theirs}", None),
            ("POST", f"/api/v1/standing-orders/{theirs}/pauses",
             {"start_date": DAY.isoformat()}),
            ("POST", f"/api/v1/standing-orders/{theirs}/cancel-day", {"date": DAY.isoformat()}),
            ("POST", f"/api/v1/standing-orders/{theirs}/end", {})):
        response = api.open(path, method=method, json=body, headers=bearer(token))
        assert response.status_code == 404 and response.get_json()["error"], (method, path)
    assert snapshot(database_of(open_app)) == before
    listing = client.get("/partner/standing-orders").get_data(as_text=True)
    assert f"/partner/standing-orders/{mine}\"" in listing
    assert f"/partner/standing-orders/{theirs}\"" not in listing
    listed = api.get("/api/v1/standing-orders", headers=bearer(token)).get_json()
    assert [s["id"] for s in listed["standing_orders"]] == [mine]
    with db_session(open_app) as session:
        assert session.get(StandingOrder, theirs).partner_id != session.get(
            StandingOrder, mine).partner_id


def names_of(app, order_ids) -> set[str]:
    with db_session(app) as session:
        return {session.get(Order, i).resident.name for i in order_ids}


def test_partner_pages_never_show_or_change_another_partners_orders(open_app):
    own, others, own_tokens, other_tokens = ids(open_app)
    client = logged_in(open_app, "partner")
    own_names = names_of(open_app, own)
    foreign = names_of(open_app, others) - own_names
    before = snapshot(database_of(open_app))
    for order_id in others:
        for method, path in (("GET", f"/partner/orders/{order_id}"),
                             ("GET", f"/partner/orders/{order_id}/edit"),
                             ("POST", f"/partner/orders/{order_id}/edit"),
                             ("POST", f"/partner/orders/{order_id}/cancel")):
            response = send(client, method, path, DAY)
            assert response.status_code == 404, (method, path, response.status_code)
            text = response.get_data(as_text=True)
            assert not any(name in text for name in foreign), (method, path)
    for token_id in other_tokens:
        response = client.post(f"/partner/tokens/{token_id}/revoke")
        assert response.status_code == 404, token_id
    assert snapshot(database_of(open_app)) == before
    # the lists show own orders only, on every day the demo has
    listing = client.get(f"/partner/orders?date={DAY.isoformat()}").get_data(as_text=True)
    for order_id in others:
        assert f"/partner/orders/{order_id}\"" not in listing
    for order_id in own:
        assert f"/partner/orders/{order_id}\"" in listing
    tokens = client.get("/partner/tokens").get_data(as_text=True)
    assert not any(f"/partner/tokens/{t}/revoke" in tokens for t in other_tokens)


def test_api_never_shows_or_changes_another_partners_orders(client, accounts, app):
    own, others, _, _ = ids(app)
    token = list(accounts.tokens.values())[0]  # apotheek1's pharmacy
    foreign = names_of(app, others) - names_of(app, own)
    before = snapshot(database_of(app))
    for order_id in others:
        for method, path, body in (("GET", f"/api/v1/orders/{order_id}", None),
                                   ("PATCH", f"/api/v1/orders/{order_id}", {"size": 2}),
                                   ("POST", f"/api/v1/orders/{order_id}/cancel", None)):
            response = client.open(path, method=method, json=body, headers=bearer(token))
            assert response.status_code == 404, (method, path, response.status_code)
            assert response.get_json()["error"]
            assert not any(n in response.get_data(as_text=True) for n in foreign)
    assert snapshot(database_of(app))["orders"] == before["orders"]
    listed = client.get("/api/v1/orders", headers=bearer(token)).get_json()["orders"]
    assert sorted(o["id"] for o in listed) == sorted(own)


GUESSES = (0, 2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 10**30)


@pytest.mark.parametrize("guess", GUESSES)
def test_guessed_ids_of_any_size_are_404_not_500(open_app, accounts, guess):
    """Ids outside what exists, up to ones the database cannot even hold, are 'not found'."""
    client = logged_in(open_app, "partner")
    for method, path in (("GET", f"/partner/orders/{guess}"),
                         ("GET", f"/partner/orders/{guess}/edit"),
                         ("POST", f"/partner/orders/{guess}/cancel"),
                         ("POST", f"/partner/tokens/{guess}/revoke")):
        response = send(client, method, path, DAY)
        assert response.status_code == 404, (method, path, response.status_code)
    api = open_app.test_client()
    token = list(accounts.tokens.values())[0]
    for method, path in (("GET", f"/api/v1/orders/{guess}"),
                         ("PATCH", f"/api/v1/orders/{guess}"),
                         ("POST", f"/api/v1/orders/{guess}/cancel")):
        response = api.open(path, method=method, json={"size": 2}, headers=bearer(token))
        assert response.status_code == 404, (method, path, response.status_code)
        assert response.get_json()["error"]


def test_revoked_and_other_partners_tokens_open_nothing(client, accounts, app):
    tokens = list(accounts.tokens.values())
    with db_session(app) as session:
        row = session.scalars(select(ApiToken).order_by(ApiToken.id)).first()
        from web.store import utcnow

        row.revoked_at = utcnow()
        session.commit()
        revoked_partner = row.partner_id
    partners = session_partner_ids(app)
    for name, token in accounts.tokens.items():
        response = client.get("/api/v1/orders", headers=bearer(token))
        if partners[name] == revoked_partner:
            continue
        assert response.status_code == 200, name
        seen = {o["id"] for o in response.get_json()["orders"]}
        with db_session(app) as session:
            assert seen == set(session.scalars(select(Order.id).where(
                Order.partner_id == partners[name])))
    response = client.get("/api/v1/orders", headers=bearer(tokens[0]))
    assert response.status_code == 401 and response.get_json()["fields"]["Authorization"]
    # a token string that is another partner's hash, a prefix, or padded is no token
    for fake in (tokens[1][:10], tokens[1] + "x", " " + tokens[1][:-1], tokens[1].upper()):
        response = client.get("/api/v1/orders", headers=bearer(fake))
        assert response.status_code == 401, fake


def session_partner_ids(app) -> dict[str, int]:
    with db_session(app) as session:
        return {p.name: p.id for p in session.scalars(select(Partner))}
