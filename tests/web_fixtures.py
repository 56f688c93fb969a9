"""Fixtures for the web tests: the app on a copy of a seeded demo database, logins, CSRF.

The demo day is seeded once per test session (real Helsinki demo area, the real validator);
each test gets its own copy of that SQLite file, so tests can change data freely.
Import with ``from tests.web_fixtures import *`` in a test module.
"""

from __future__ import annotations

import re
import secrets
import shutil
from datetime import date

import pytest

from web import create_app

PASSWORD = "demo-password-for-tests"
DAY = date.today()
_SEEDED: dict = {}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def web_area():
    from routing.area import load_area

    return load_area("helsinki-demo")


def make_app(tmp_path, database, **extra):
    config = {"DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "test-secret",
              "AREA": "helsinki-demo", "TODAY": DAY, "INSTANCE_PATH": str(tmp_path / "inst"),
              "QUEUE": "immediate", **extra}
    return create_app(config)


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory, web_area):
    """A demo-seeded SQLite file, made once; returns (path, DemoAccounts)."""
    from web.db import new_session
    from web.demo import seed

    # Each test module imports this fixture, which pytest treats as its own; seed only once.
    if "seeded" in _SEEDED:
        return _SEEDED["seeded"]
    folder = tmp_path_factory.mktemp("seeded")
    database = folder / "demo.sqlite"
    app = make_app(folder, database)
    with app.app_context():
        session = new_session()
        accounts = seed(session, web_area, DAY, password=PASSWORD)
        session.close()
    app.extensions["buurtroute.engine"].dispose()
    _SEEDED["seeded"] = database, accounts
    return database, accounts


@pytest.fixture
def app(tmp_path, seeded_db):
    database = tmp_path / "demo.sqlite"
    shutil.copy(seeded_db[0], database)
    app = make_app(tmp_path, database)
    yield app
    app.extensions["buurtroute.engine"].dispose()


@pytest.fixture
def accounts(seeded_db):
    return seeded_db[1]


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client, url: str = "/login") -> str:
    page = client.get(url)
    match = CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match[1]


def login(client, username: str, password: str = PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token})


def post_form(client, url: str, data: dict, page: str | None = None, **kwargs):
    """POST a form with the CSRF token taken from ``page`` (default: ``url`` itself)."""
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page or url)},
                       **kwargs)


def db_session(app, slug: str | None = "demo"):
    """A session scoped to the demo cooperative (or to the cooperative ``slug``; None: no
    scope at all, which may not read any cooperative's rows)."""
    from web import tenancy
    from web.organisations import by_slug

    session = app.extensions["buurtroute.sessions"]()
    if slug is None:
        return session
    with tenancy.system(session, "a test looks up its cooperative"):
        org = by_slug(session, slug)
    return tenancy.use(session, tenancy.of(org.id))


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def logout(client):
    return client.post("/logout", data={"csrf_token": csrf_token(client, "/login")})


def tap() -> str:
    """A fresh id for one tap on a mark button, as the round page makes one per form."""
    return secrets.token_urlsafe(12)
