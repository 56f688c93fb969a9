"""Two-step login for coordinators (issue 13, item 4's TOTP): switched on with a confirmed code,
the password alone then opens nothing, a code works once, guessing codes is throttled, and
"required" sends a coordinator without it to set it up first."""

from __future__ import annotations

import re
import time

import pyotp
from sqlalchemy import select, update

from tests.web_fixtures import (  # noqa: F401 (pytest fixtures are used by name)
    PASSWORD, accounts, app, client, csrf_token, db_session, login, logout, make_app, post_form,
    seeded_db, web_area)
from web.store import LoginThrottle, UserTotp, utcnow

SETUP = "/account/two-factor"


def switch_on(client) -> pyotp.TOTP:
    assert login(client, "coordinator").status_code == 302
    page = post_form(client, SETUP, {"action": "start"}).get_data(as_text=True)
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page)[1]
    assert f"otpauth://totp/Buurtroute:coordinator?secret={secret}" in page
    otp = pyotp.TOTP(secret)
    wrong = post_form(client, SETUP, {"action": "confirm", "code": "000000"
                                      if otp.now() != "000000" else "111111"})
    assert wrong.status_code == 422 and "klopt niet" in wrong.get_data(as_text=True)
    done = post_form(client, SETUP, {"action": "confirm", "code": otp.now()})
    assert done.status_code == 302
    logout(client)
    return otp


def next_code(otp: pyotp.TOTP, used_step: int) -> str:
    """The code of the step after ``used_step`` (the app shows it 30 seconds later)."""
    return otp.generate_otp(used_step + 1)


def test_with_two_step_login_the_password_alone_opens_nothing(app):
    client = app.test_client()
    otp = switch_on(client)
    response = login(client, "coordinator")
    assert response.status_code == 302 and response.headers["Location"] == "/login/code"
    assert client.get("/coordinator/residents").status_code == 302  # half logged in: nothing
    wrong = post_form(client, "/login/code", {"code": "12345x"})
    assert wrong.status_code == 401
    with db_session(app) as s:
        used = s.scalar(select(UserTotp.last_step))
    right = post_form(client, "/login/code", {"code": next_code(otp, used)})
    assert right.status_code == 302 and right.headers["Location"] == "/coordinator/"
    assert client.get("/coordinator/residents").status_code == 200
    # the same code, overheard, does not work a second time
    other = app.test_client()
    login(other, "coordinator")
    replay = post_form(other, "/login/code", {"code": next_code(otp, used)})
    assert replay.status_code == 401
    assert other.get("/coordinator/residents").status_code == 302


def test_guessing_codes_is_throttled(app):
    client = app.test_client()
    switch_on(client)
    login(client, "coordinator")
    for guess in ("000001", "000002", "000003", "000004", "000005"):
        assert post_form(client, "/login/code", {"code": guess}).status_code == 401
    assert post_form(client, "/login/code", {"code": "000006"}).status_code == 429
    with db_session(app) as s:
        assert s.scalar(select(LoginThrottle.failures).order_by(
            LoginThrottle.failures.desc())) == 5


def test_a_half_login_expires(app):
    client = app.test_client()
    otp = switch_on(client)
    login(client, "coordinator")
    with client.session_transaction() as session:
        session["totp_pending"] = {**session["totp_pending"], "at": int(time.time()) - 301}
    response = post_form(client, "/login/code", {"code": otp.now()}, page="/login")
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_required_two_step_login_is_set_up_before_anything_else(tmp_path, seeded_db):
    import shutil

    database = tmp_path / "demo.sqlite"
    shutil.copy(seeded_db[0], database)
    app = make_app(tmp_path, database, COORDINATOR_TOTP="required")
    client = app.test_client()
    assert login(client, "coordinator").status_code == 302
    response = client.get("/coordinator/residents")
    assert response.status_code == 302 and response.headers["Location"] == SETUP
    assert client.get(SETUP).status_code == 200
    # other roles are not asked
    partner = app.test_client()
    login(partner, "apotheek1")
    assert partner.get("/partner/").status_code == 200
    # once on, it cannot be switched off while required
    otp = pyotp.TOTP(re.search(r'id="totp-secret">([A-Z2-7]+)<', post_form(
        client, SETUP, {"action": "start"}).get_data(as_text=True))[1])
    assert post_form(client, SETUP, {"action": "confirm", "code": otp.now()}).status_code == 302
    assert client.get("/coordinator/residents").status_code == 200
    with db_session(app) as s:
        s.execute(update(UserTotp).values(last_step=None, enabled_at=utcnow()))
        s.commit()
    off = post_form(client, SETUP, {"action": "disable", "password": PASSWORD,
                                    "code": otp.now()})
    assert off.status_code == 422 and "verplicht" in off.get_data(as_text=True)
    app.extensions["buurtroute.engine"].dispose()


def test_a_recovery_code_opens_one_login_when_the_phone_is_lost(app):
    client = app.test_client()
    otp = switch_on(client)
    login(client, "coordinator")
    with db_session(app) as s:
        step = s.scalar(select(UserTotp.last_step))
    assert post_form(client, "/login/code", {"code": next_code(otp, step)}).status_code == 302
    page = post_form(client, SETUP, {"action": "recovery"}).get_data(as_text=True)
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", page)
    assert len(codes) == 10 and len(set(codes)) == 10
    with db_session(app) as s:
        kept = s.scalar(select(UserTotp.recovery))
        assert len(kept) == 10 and not any(c in str(kept) for c in codes)  # hashes only
    assert client.get(SETUP).get_data(as_text=True).count(codes[0]) == 0  # shown once
    logout(client)
    lost = app.test_client()
    login(lost, "coordinator")
    assert post_form(lost, "/login/code", {"code": codes[3].upper()}).status_code == 302
    assert lost.get("/coordinator/residents").status_code == 200
    again = app.test_client()
    login(again, "coordinator")
    assert post_form(again, "/login/code", {"code": codes[3]}).status_code == 401  # used up
    assert post_form(again, "/login/code", {"code": "abcde-fghjk"}).status_code == 401
    with db_session(app) as s:
        assert len(s.scalar(select(UserTotp.recovery))) == 9


def test_the_privacy_officer_has_two_step_login_too(app):
    client = app.test_client()
    assert login(client, "privacy").status_code == 302
    page = post_form(client, SETUP, {"action": "start"}).get_data(as_text=True)
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page)[1]
    otp = pyotp.TOTP(secret)
    assert post_form(client, SETUP, {"action": "confirm", "code": otp.now()}).status_code == 302
    logout(client)
    response = login(client, "privacy")
    assert response.status_code == 302 and response.headers["Location"] == "/login/code"
    assert client.get("/privacy/").status_code == 302  # half logged in: nothing


def test_an_assistant_may_switch_two_step_login_on_too(app):
    client = app.test_client()
    assert login(client, "anna").status_code == 302
    assert 'href="/account/two-factor"' in client.get("/assistant/").get_data(as_text=True)
    page = post_form(client, SETUP, {"action": "start"}).get_data(as_text=True)
    otp = pyotp.TOTP(re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page)[1])
    assert post_form(client, SETUP, {"action": "confirm", "code": otp.now()}).status_code == 302
    logout(client)
    response = login(client, "anna")
    assert response.status_code == 302 and response.headers["Location"] == "/login/code"
    assert client.get("/assistant/").status_code == 302
