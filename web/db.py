"""The per-request database session: ``db()`` inside a request, closed when it ends."""

from __future__ import annotations

from typing import cast

from flask import Flask, current_app, g
from sqlalchemy.orm import Session
from werkzeug.local import LocalProxy

from . import migrate, tenancy
from .store import make_engine, make_sessionmaker


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["buurtroute.engine"] = engine
    factory = make_sessionmaker(engine)
    tenancy.install(factory)
    app.extensions["buurtroute.sessions"] = factory
    if app.config["AUTO_MIGRATE"]:
        migrate.upgrade(engine)
    app.teardown_appcontext(_close)


def db() -> Session:
    if "db" not in g:
        g.db = current_app.extensions["buurtroute.sessions"]()
    return g.db


def new_session(scope: "tenancy.Scope | None" = None) -> Session:
    """A session outside a request (CLI, seeding, workers); the caller closes it. Without a
    scope it reads no organisation's data until given one (``web.tenancy``)."""
    session = current_app.extensions["buurtroute.sessions"]()
    return tenancy.use(session, scope) if scope is not None else session
def app_object() -> Flask:
    """The application behind the ``current_app`` proxy, for work that outlives the request's
    context (a thread, the planning queue)."""
    proxy = cast("LocalProxy[Flask]", current_app)
    return proxy._get_current_object()



def _close(_exc) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()
