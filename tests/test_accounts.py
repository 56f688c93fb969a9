"""Accounts and sessions (issue 13, item 4 and 5): a session the server can end, idle and
absolute lifetimes, throttling that survives restarts and second processes without letting
anyone lock an account out, equal time for unknown usernames, deactivation that ends
everything, and the HTTPS settings. Every test runs on a copy of the seeded demo day."""

from __future__ import annotations

import os
import stat
import time
from datetime import timedelta

from sqlalchemy import select, update

from tests.web_fixtures import (  # noqa: F401 (pytest fixtures are used by name)
    PASSWORD, accounts, app, bearer, client, csrf_token, db_session, login, logout, make_app,
    seeded_db, web_area)
from web.auth import deactivate, set_password
from web.store import LoginThrottle, User, UserSession, utcnow

RESIDENTS = "/coordinator/residents"


def session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def opens(client, url: str = RESIDENTS) -> bool:
    response = client.get(url)
    return response.status_code == 200


def from_address(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def user_named(session, username: str) -> User:
    return session.scalar(select(User).where(User.username == username))


# --- sessions the server can end ------------------------------------------------------------

def test_a_cookie_replayed_after_logout_opens_nothing(client):
    assert login(client, "coordinator").status_code == 302
    assert opens(client)
    stolen = session_cookie(client)
    logout(client)
    assert not opens(client)
    client.set_cookie("session", stolen)  # the copy an attacker kept
    response = client.get(RESIDENTS)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_password_change_and_a_deactivation_end_every_session(app):
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        assert login(c, "coordinator").status_code == 302 and opens(c)
    with db_session(app) as session:
        set_password(session, user_named(session, "coordinator"), "a-brand-new-password")
        session.commit()
    assert not opens(first) and not opens(second)
    assert login(first, "coordinator").status_code == 401  # the old password is gone
    assert login(first, "coordinator", "a-brand-new-password").status_code == 302
    assert opens(first)
    with db_session(app) as session:
        deactivate(session, user_named(session, "coordinator"))
        session.commit()
        reasons = sorted(session.scalars(select(UserSession.end_reason)))
    assert not opens(first)
    assert reasons == ["deactivated", "password", "password"]
    refused = login(first, "coordinator", "a-brand-new-password")
    assert refused.status_code == 403 and "uitgeschakeld" in refused.get_data(as_text=True)


def test_a_deactivated_partner_can_do_nothing_anywhere(app, accounts):
    client = app.test_client()
    assert login(client, "apotheek1").status_code == 302
    assert client.get("/partner/orders/new").status_code == 200
    with db_session(app) as session:
        partner = user_named(session, "apotheek1").partner
        name = partner.name
        partner.active = False
        session.commit()
    assert client.get("/partner/orders/new").status_code == 302  # the open session is over
    assert login(client, "apotheek1").status_code == 403
    assert client.get("/partner/orders/new").status_code == 302
    api = app.test_client().get("/api/v1/orders", headers=bearer(accounts.tokens[name]))
    assert api.status_code == 401


def test_sessions_end_after_idle_time_by_role_and_after_the_absolute_lifetime(app):
    coordinator, assistant = app.test_client(), app.test_client()
    assert login(coordinator, "coordinator").status_code == 302
    assert login(assistant, "anna").status_code == 302
    assert opens(assistant, "/assistant/")

    def age(username: str, column: str, minutes: int) -> None:
        with db_session(app) as session:
            uid = user_named(session, username).id
            session.execute(update(UserSession).where(UserSession.user_id == uid).values(
                {column: utcnow() - timedelta(minutes=minutes)}))
            session.commit()

    age("coordinator", "last_seen_at", 29)
    assert opens(coordinator)  # and this visit counts as activity
    age("coordinator", "last_seen_at", 31)
    assert not opens(coordinator)
    age("anna", "last_seen_at", 31)  # an assistant's working day is longer
    assert opens(assistant, "/assistant/")
    age("anna", "last_seen_at", 11 * 60)
    assert not opens(assistant, "/assistant/")
    assert login(assistant, "anna").status_code == 302
    age("anna", "created_at", 13 * 60)  # busy all along, but past the absolute lifetime
    assert not opens(assistant, "/assistant/")
    with db_session(app) as session:
        reasons = sorted(session.scalars(select(UserSession.end_reason)
                                         .where(UserSession.ended_at.is_not(None))))
    assert reasons == ["expired", "idle", "idle"]


def test_idle_timeouts_are_configurable(tmp_path, seeded_db):
    import shutil

    database = tmp_path / "demo.sqlite"
    shutil.copy(seeded_db[0], database)
    app = make_app(tmp_path, database, IDLE_TIMEOUT_COORDINATOR=2)
    client = app.test_client()
    assert login(client, "coordinator").status_code == 302 and opens(client)
    with db_session(app) as session:
        session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(seconds=3)))
        session.commit()
    assert not opens(client)
    app.extensions["buurtroute.engine"].dispose()


# --- throttling ------------------------------------------------------------------------------

def test_throttling_holds_across_processes_and_restarts(app, tmp_path):
    for _ in range(5):
        assert login(app.test_client(), "coordinator", "wrong-wrong").status_code == 401
    # a second server process (or this one restarted) on the same database
    other = make_app(tmp_path / "second", app.config["DATABASE_URL"].removeprefix("sqlite:///"))
    response = login(other.test_client(), "coordinator")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    other.extensions["buurtroute.engine"].dispose()


def test_failures_back_off_with_a_growing_wait_not_a_lock_out(app):
    attacker = from_address(app, "203.0.113.7")
    for _ in range(5):
        assert login(attacker, "coordinator", "wrong-wrong").status_code == 401
    waits = []
    for _ in range(4):
        blocked = login(attacker, "coordinator", "wrong-wrong")
        assert blocked.status_code == 429
        waits.append(int(blocked.headers["Retry-After"]))
        with db_session(app) as session:  # let the wait pass, then fail once more
            session.execute(update(LoginThrottle).values(blocked_until=utcnow()))
            session.commit()
        assert login(attacker, "coordinator", "wrong-wrong").status_code == 401
    assert waits == sorted(waits) and waits[-1] > waits[0], waits
    # the coordinator, from her own address, is not locked out by the attacker
    assert login(from_address(app, "198.51.100.20"), "coordinator").status_code == 302
    # and once the wait is over, the right password works from anywhere
    with db_session(app) as session:
        session.execute(update(LoginThrottle).values(blocked_until=utcnow()))
        session.commit()
    assert login(attacker, "coordinator").status_code == 302


def test_password_spraying_from_one_address_is_throttled(app, accounts):
    sprayer = from_address(app, "203.0.113.9")
    names = [f"user{i}" for i in range(25)] + [u for u, _, _ in accounts.users]
    answers = [login(sprayer, name, "Welkom2024!").status_code for name in names[:30]]
    assert answers[:20] == [401] * 20
    assert 429 in answers[20:], answers
    # other addresses are unaffected
    assert login(from_address(app, "198.51.100.21"), "apotheek1").status_code == 302


def test_throttle_stores_neither_usernames_nor_addresses(app):
    login(from_address(app, "203.0.113.77"), "coordinator", "wrong-wrong")
    with db_session(app) as session:
        keys = session.scalars(select(LoginThrottle.key_hash)).all()
    assert len(keys) == 3
    assert not any("coordinator" in k or "203.0.113" in k for k in keys)


def test_unknown_usernames_take_as_long_as_wrong_passwords(app):
    def timed(username: str) -> float:
        best = 10.0
        for i in range(3):
            client = from_address(app, f"192.0.2.{len(username) * 10 + i}")
            token = csrf_token(client)
            started = time.perf_counter()
            response = client.post("/login", data={"username": username, "password": "x" * 12,
                                                   "csrf_token": token})
            best = min(best, time.perf_counter() - started)
            assert response.status_code == 401
        return best

    known, unknown = timed("coordinator"), timed("nobody-by-this-name")
    assert unknown > 0.5 * known, (known, unknown)


# --- HTTPS and proxies ------------------------------------------------------------------------

def test_https_flag_gives_secure_cookies_and_hsts(tmp_path, seeded_db):
    import shutil

    database = tmp_path / "demo.sqlite"
    shutil.copy(seeded_db[0], database)
    plain = make_app(tmp_path / "plain", database)
    response = login(plain.test_client(), "coordinator")
    assert "Secure" not in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in response.headers
    secure = make_app(tmp_path / "secure", database, HTTPS=True)
    client = secure.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    # over HTTPS, CSRF protection also wants the form to come from this site (Referer)
    client.environ_base["HTTP_REFERER"] = "https://localhost/login"
    response = login(client, "coordinator")
    assert response.status_code == 302
    assert "; Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    for made in (plain, secure):
        made.extensions["buurtroute.engine"].dispose()


def test_forwarded_addresses_count_only_behind_a_trusted_proxy(tmp_path, seeded_db):
    import shutil

    database = tmp_path / "demo.sqlite"
    shutil.copy(seeded_db[0], database)
    direct = make_app(tmp_path / "direct", database)
    # without a trusted proxy, a forged X-Forwarded-For does not make a new address
    for i in range(5):
        client = direct.test_client()
        client.environ_base["HTTP_X_FORWARDED_FOR"] = f"198.51.100.{i}"
        assert login(client, "keuken", "wrong-wrong").status_code == 401
    client = direct.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.99"
    assert login(client, "keuken").status_code == 429
    proxied = make_app(tmp_path / "proxied", database, PROXY_HOPS=1)
    client = proxied.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.99"
    client.environ_base["HTTP_X_FORWARDED_PROTO"] = "https"  # TLS ended at the proxy
    client.environ_base["HTTP_REFERER"] = "https://localhost/login"
    assert login(client, "keuken").status_code == 302  # a real other client, via the proxy
    for made in (direct, proxied):
        made.extensions["buurtroute.engine"].dispose()


# --- files --------------------------------------------------------------------------------------

def test_database_its_wal_and_shm_and_the_secret_are_private(tmp_path, web_area):
    from web.db import new_session
    from web.demo import seed

    old = os.umask(0o022)  # the usual umask: files readable by everyone unless made private
    try:
        database = tmp_path / "fresh.sqlite"
        app = make_app(tmp_path, database, SECRET_KEY=None)
        with app.app_context():
            session = new_session()
            seed(session, web_area, app.config["TODAY"], password=PASSWORD)
            session.close()
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()
                     if p.name.startswith("fresh.sqlite")}
        secret = tmp_path / "inst" / "secret_key"
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        app.extensions["buurtroute.engine"].dispose()
        # an existing database made world-readable by an older version is narrowed at start
        database.chmod(0o644)
        again = make_app(tmp_path, database)
        assert stat.S_IMODE(database.stat().st_mode) == 0o600
        again.extensions["buurtroute.engine"].dispose()
    finally:
        os.umask(old)
    assert {"fresh.sqlite", "fresh.sqlite-wal", "fresh.sqlite-shm"} <= set(modes), modes
    assert set(modes.values()) == {0o600}, modes


def test_the_language_switch_stays_on_this_site(client):
    for target in ("//evil.example/x", "/\\evil.example/x", "/\\/evil.example",
                   "https://evil.example/", "/\tevil", "javascript:alert(1)"):
        response = client.post("/lang/en", data={"csrf_token": csrf_token(client),
                                                  "next": target})
        assert response.status_code == 302
        assert response.headers["Location"] == "/", target
    response = client.post("/lang/nl", data={"csrf_token": csrf_token(client),
                                              "next": "/login?next=/partner/"})
    assert response.headers["Location"] == "/login?next=/partner/"


def test_an_assistant_who_left_can_do_nothing(app):
    from web.store import Assistant

    client = app.test_client()
    assert login(client, "anna").status_code == 302 and opens(client, "/assistant/")
    with db_session(app) as session:
        assistant = session.get(Assistant, user_named(session, "anna").assistant_id)
        assistant.active = False
        session.commit()
    assert not opens(client, "/assistant/")
    assert login(client, "anna").status_code == 403


def test_old_failure_counts_are_forgotten(app):
    login(from_address(app, "203.0.113.50"), "keuken", "wrong-wrong")
    login(from_address(app, "203.0.113.51"), "keuken", "wrong-wrong")
    with db_session(app) as session:
        assert len(session.scalars(select(LoginThrottle)).all()) == 5  # account key shared
        session.execute(update(LoginThrottle).where(LoginThrottle.failures == 1).values(
            last_failure_at=utcnow() - timedelta(days=2)))
        session.commit()
    assert login(from_address(app, "198.51.100.60"), "coordinator").status_code == 302
    with db_session(app) as session:
        assert [r.failures for r in session.scalars(select(LoginThrottle))] == [2]
