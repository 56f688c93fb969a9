"""Logins, roles, CSRF, the CLI's first coordinator, language, headers and translations."""

import re
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from tests.web_fixtures import (  # noqa: F401 (pytest fixtures are used by name)
    PASSWORD, accounts, app, client, csrf_token, db_session, login, logout, seeded_db, web_area)
from web.i18n import DUTCH
from web.store import User

WEB = Path(__file__).resolve().parent.parent / "web"


def test_login_with_right_and_wrong_password(client):
    wrong = login(client, "apotheek1", "not-the-password")
    assert wrong.status_code == 401
    assert "Onjuiste gebruikersnaam of wachtwoord" in wrong.get_data(as_text=True)
    right = login(client, "apotheek1")
    assert right.status_code == 302 and right.headers["Location"] == "/partner/"
    assert client.get("/").headers["Location"] == "/partner/"
    logout(client)
    assert client.get("/partner/").status_code == 302


def test_repeated_failed_logins_are_throttled(client):
    for _ in range(5):
        assert login(client, "keuken", "guess-guess").status_code == 401
    blocked = login(client, "keuken")  # even the right password waits now
    assert blocked.status_code == 429 and "Te veel mislukte" in blocked.get_data(as_text=True)
    assert login(client, "apotheek1").status_code == 302  # other accounts are not affected


def test_passwords_are_stored_with_argon2(app, accounts):
    from web import tenancy

    with db_session(app, None) as session, tenancy.system(session, "every login"):
        hashes = [u.password_hash for u in session.scalars(select(User))]
    assert len(hashes) == len(accounts.users)
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


def test_every_form_needs_the_csrf_token(client):
    assert client.post("/login", data={"username": "apotheek1",
                                       "password": PASSWORD}).status_code == 400
    login(client, "apotheek1")
    for url in ("/partner/orders/new", "/partner/upload", "/partner/tokens", "/logout",
                "/lang/en"):
        assert client.post(url, data={}).status_code == 400, url


def test_pages_need_the_right_role(client):
    assert client.get("/partner/orders/new").status_code == 302  # to the login page
    for user in ("coordinator", "anna"):
        login(client, user)
        for url in ("/partner/", "/partner/orders/new", "/partner/upload", "/partner/tokens"):
            assert client.get(url).status_code == 403, (user, url)
        logout(client)


def test_login_does_not_redirect_off_site(client):
    token = csrf_token(client, "/login")
    for target in ("//evil.example/x", "https://evil.example/", "javascript:alert(1)"):
        response = client.post(f"/login?next={target}", data={
            "username": "apotheek1", "password": PASSWORD, "csrf_token": token})
        assert response.headers["Location"] == "/partner/", target
        logout(client)
        token = csrf_token(client, "/login")
    response = client.post("/login?next=/partner/upload", data={
        "username": "apotheek1", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/partner/upload"


def test_cli_creates_the_first_coordinator(app, client):
    runner = CliRunner()
    from web.cli import cli

    result = runner.invoke(cli, ["create-coordinator", "coco", "--password-stdin"],
                           input="long-enough-secret\n", obj=_script_info(app))
    assert result.exit_code == 0, result.output
    assert login(client, "coco", "long-enough-secret").status_code == 302
    short = runner.invoke(cli, ["create-coordinator", "shorty", "--password-stdin"],
                          input="short\n", obj=_script_info(app))
    assert short.exit_code != 0 and "at least 10" in short.output
    again = runner.invoke(cli, ["create-coordinator", "coco", "--password-stdin"],
                          input="long-enough-secret\n", obj=_script_info(app))
    assert again.exit_code != 0 and "already exists" in again.output


def _script_info(app):
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)


def test_dutch_by_default_english_on_request(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="nl">' in page and "Wachtwoord" in page
    client.post("/lang/en", data={"csrf_token": csrf_token(client), "next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Password" in page and "Wachtwoord" not in page


def test_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie


def test_every_ui_text_has_a_dutch_translation():
    pattern = re.compile(r'''_\(\s*(["'])((?:\\.|(?!\1).)*)\1''')
    missing = set()
    for path in list(WEB.glob("templates/**/*.html")) + list(WEB.glob("*.py")):
        if path.name in ("api.py", "openapi.py", "demo.py"):
            continue  # the API speaks English; the demo writes data, not UI
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            text = match[2].replace('\\"', '"').replace("\\'", "'")
            if text not in DUTCH:
                missing.add((path.name, text))
    assert not missing, sorted(missing)


def test_error_pages(client):
    page = client.get("/no/such/page")
    assert page.status_code == 404 and "Pagina niet gevonden" in page.get_data(as_text=True)
