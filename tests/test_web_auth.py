"""Logins, roles, CSRF, the CLI's first coordinator, language, headers and translations."""

import re
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from tests.web_fixtures import (  # noqa: F401 (pytest fixtures are used by name)
    PASSWORD, accounts, app, client, csrf_token, db_session, login, logout, seeded_db, web_area)
from web.store import User

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"


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


def extracted_messages() -> dict:
    """Every text to translate, found as ``make messages`` finds it (its babel.cfg and the
    keywords in the Makefile): msgid (or (singular, plural)) → where it is."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_keywords, parse_mapping_cfg

    make = (ROOT / "Makefile").read_text()
    flags = re.findall(r"-k (\S+)", make.split("pybabel extract")[1].split("-o ")[0])
    assert "N_" in flags and "ngettext:1,2" in flags, flags
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(flags)}
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = {}
    for path, line, message, _comments, _context in extract_from_dir(
            ROOT, method_map, options_map, keywords=keywords):
        found.setdefault(message, f"{path}:{line}")
    return found


def test_every_ui_text_has_a_dutch_translation():
    """Any text in ``_()``, ``ngettext()``, ``N_()`` or a core message the pages translate
    without a (non-fuzzy) Dutch msgstr fails, and so does a translation that drops or adds a
    {placeholder}."""
    from babel.messages.pofile import read_po

    with open(WEB / "translations/nl/LC_MESSAGES/messages.po", "rb") as po:
        dutch = read_po(po, locale="nl")
    found = extracted_messages()
    assert len(found) > 300, len(found)
    holes = re.compile(r"{(\w*)}")
    missing, broken = [], []
    for message, where in found.items():
        entry = dutch.get(message[0] if isinstance(message, tuple) else message)
        forms = entry.string if entry is not None else None
        forms = forms if isinstance(forms, tuple) else (forms,)
        if entry is None or entry.fuzzy or not all(forms):
            missing.append((where, message))
            continue
        source = set(holes.findall(" ".join(message if isinstance(message, tuple) else
                                            (message,))))
        if any(set(holes.findall(f)) - source - {"n"} or (source - {"n"}) - set(
                holes.findall(f)) for f in forms):
            broken.append((where, message, forms))
    assert not missing, sorted(missing, key=str)
    assert not broken, broken
    # data words the pages translate through a variable (kinds, statuses, modes)
    from web.store import MODES, ORDER_KINDS, STATUSES

    assert all(dutch.get(w) and dutch.get(w).string for w in (*ORDER_KINDS, *STATUSES, *MODES))


def test_dutch_plural_numbers_and_dates(app):
    from datetime import date

    from web.i18n import long_date, ngettext, number

    with app.test_request_context("/"):
        assert ngettext("{n} row with errors (not saved).",
                        "{n} rows with errors (none of those were saved).", 1) == \
            "1 regel met fouten (niet opgeslagen)."
        assert ngettext("{n} order saved", "{n} orders saved", 2) == "2 bestellingen opgeslagen"
        assert number(19.5, 1) == "19,5" and number(1234) == "1.234"
        assert long_date(date(2025, 3, 14)) == "vrijdag 14 maart 2025"
    with app.test_request_context("/"):
        from flask import session

        session["lang"] = "en"
        assert ngettext("{n} order saved", "{n} orders saved", 1) == "1 order saved"
        assert number(19.5, 1) == "19.5" and long_date(date(2025, 3, 14)) == \
            "Friday 14 March 2025"


def test_the_language_chosen_on_the_login_page_survives_login(client, app):
    client.post("/lang/en", data={"csrf_token": csrf_token(client), "next": "/login"})
    assert login(client, "apotheek1").status_code == 302
    page = client.get("/partner/orders").get_data(as_text=True)
    assert '<html lang="en">' in page and "Orders" in page and "Bestellingen" not in page
    logout(client)
    with db_session(app) as s:  # the demo cooperative sees its partners' users
        assert s.scalar(select(User.language).where(User.username == "apotheek1")) == "en"
    # a new browser: the account remembers English; switching back is remembered too
    other = app.test_client()
    login(other, "apotheek1")
    assert '<html lang="en">' in other.get("/partner/orders").get_data(as_text=True)
    other.post("/lang/nl", data={"csrf_token": csrf_token(other), "next": "/partner/orders"})
    logout(other)
    third = app.test_client()
    login(third, "apotheek1")
    assert '<html lang="nl">' in third.get("/partner/orders").get_data(as_text=True)


def test_error_pages(client):
    page = client.get("/no/such/page")
    assert page.status_code == 404 and "Pagina niet gevonden" in page.get_data(as_text=True)
