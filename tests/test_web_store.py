"""The store: migrations match the models, SQLite runs in WAL mode, status history is kept,
configuration comes from the environment, and the demo day is realistic."""

import re
from collections import Counter

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from tests.web_fixtures import (  # noqa: F401 (pytest fixtures are used by name)
    DAY, PASSWORD, accounts, app, db_session, make_app, seeded_db, web_area)
from web import create_app
from web.orders import MEDICINE_HINT
from web.store import Base, Order, Plan, Shift, make_engine


def test_migrations_build_exactly_the_models_schema(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    from web.migrate import upgrade

    upgrade(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        tables = set(inspect(connection).get_table_names())
    assert diff == []
    assert {"orders", "order_events", "residents", "partners", "plans", "shifts",
            "api_tokens", "idempotency_keys", "users", "assistants"} <= tables
    upgrade(engine)  # a second run is a no-op
    engine.dispose()


def test_sqlite_uses_wal_and_foreign_keys(app):
    with app.extensions["buurtroute.engine"].connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_database_url_and_secret_from_environment(tmp_path, monkeypatch):
    database = tmp_path / "env.sqlite"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.delenv("BUURTROUTE_SECRET_KEY", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance")})
    assert app.config["DATABASE_URL"] == f"sqlite:///{database}" and database.exists()
    secret = (tmp_path / "instance" / "secret_key").read_text()
    assert app.config["SECRET_KEY"] == secret and len(secret) == 64
    again = create_app({"INSTANCE_PATH": str(tmp_path / "instance")})
    assert again.config["SECRET_KEY"] == secret  # stable across restarts
    monkeypatch.setenv("BUURTROUTE_SECRET_KEY", "from-the-environment")
    assert create_app({"INSTANCE_PATH": str(tmp_path / "instance")}
                      ).config["SECRET_KEY"] == "from-the-environment"
    for made in (app, again):
        made.extensions["buurtroute.engine"].dispose()


def test_status_history_is_appended_and_illegal_moves_refused(app):
    with db_session(app) as session:
        order = session.scalars(select(Order)).first()
        order.set_status("planned")
        order.set_status("picked_up")
        with pytest.raises(ValueError, match="picked_up cannot become submitted"):
            order.set_status("submitted")
        order.set_status("delivered")
        session.commit()
        assert [e.status for e in order.events] == ["submitted", "planned", "picked_up",
                                                    "delivered"]
        with pytest.raises(ValueError):
            order.set_status("cancelled")


def test_a_replan_keeps_the_previous_plan(app):
    with db_session(app) as session:
        first = Plan(service_date=DAY, seed=1, payload={"routes": []}, status="done")
        session.add(first)
        session.flush()
        second = Plan(service_date=DAY, seed=2, payload={"routes": [1]}, supersedes_id=first.id,
                      status="done")
        first.superseded = True
        session.add(second)
        session.commit()
        plans = session.scalars(select(Plan).order_by(Plan.id)).all()
        assert [p.payload for p in plans] == [{"routes": []}, {"routes": [1]}]
        with pytest.raises(IntegrityError):  # a plan cannot point at one that does not exist
            session.add(Plan(service_date=DAY, supersedes_id=9999, status="done"))
            session.commit()


def test_demo_day_is_realistic(app, accounts, web_area):
    assert accounts.skipped == []  # every demo order passed the partners' validator
    with db_session(app) as session:
        orders = session.scalars(select(Order)).all()
        shifts = session.scalars(select(Shift)).all()
        assert 40 <= len(orders) <= 150
        kinds = Counter(o.kind for o in orders)
        assert {"medicine", "meal", "parcel", "visit"} <= set(kinds)
        assert kinds["medicine"] > kinds["meal"] > kinds["visit"]
        assert all(o.service_date == DAY and o.resident.buurt in web_area.buurten
                   for o in orders)
        assert all(o.pickup_lat is not None for o in orders if o.kind != "visit")
        assert all(o.partner.kind == "cooperative" and o.size == 0 for o in orders
                   if o.kind == "visit")
        meals = [o for o in orders if o.kind == "meal"]
        assert all(o.hot_meal and o.windows and o.windows[0][0] >= "11:30" for o in meals)
        assert not any(MEDICINE_HINT.search(o.note) for o in orders)
        assert len(shifts) == 3
        for shift in shifts:
            hours = (int(shift.end[:2]) * 60 + int(shift.end[3:]) - int(shift.start[:2]) * 60
                     - int(shift.start[3:])) / 60
            assert 4 <= hours <= 8 and shift.break_minutes >= 15
            assert shift.start_lat is not None
        residents = {o.resident.name for o in orders}
        assert all(re.fullmatch(r"[A-Z]\.[A-Z]\.", name) for name in residents)  # initials


def test_demo_seed_is_deterministic(tmp_path, web_area, seeded_db):
    from web.demo import seed

    app = make_app(tmp_path, tmp_path / "again.sqlite")
    with app.app_context():
        session = app.extensions["buurtroute.sessions"]()
        seed(session, web_area, DAY, password=PASSWORD)
        again = [(o.resident.address, o.kind, o.windows) for o in session.scalars(
            select(Order).order_by(Order.id))]
        session.close()
    original = make_app(tmp_path / "o", seeded_db[0])
    with db_session(original) as session:
        first = [(o.resident.address, o.kind, o.windows) for o in session.scalars(
            select(Order).order_by(Order.id))]
    assert again == first
    for made in (app, original):
        made.extensions["buurtroute.engine"].dispose()



def test_postgresql_urls_use_psycopg_and_the_migrations_compile_for_it(capsys):
    engine = make_engine("postgres://planner@db.invalid/buurtroute")
    assert (engine.dialect.name, engine.dialect.driver) == ("postgresql", "psycopg")
    from alembic import command

    from web.migrate import alembic_config

    command.upgrade(alembic_config("postgresql+psycopg://planner@db.invalid/buurtroute"),
                    "head", sql=True)
    ddl = capsys.readouterr().out
    assert "CREATE TABLE orders" in ddl and "windows JSON NOT NULL" in ddl
    assert "DOUBLE PRECISION" in ddl and "REFERENCES plans (id)" in ddl
