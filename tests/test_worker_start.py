"""A planning worker loads what runs need before its first job (``planning.warm_up``, called by
``jobs.run_worker``): its cooperatives' areas, PyVRP, and one build of the day of the newest
order, which must leave the database as it was."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from sqlalchemy import create_engine, inspect, select, text

from tests.web_fixtures import DAY, app, db_session, seeded_db, web_area  # noqa: F401
from web import planning
from web.store import Order

WARM = """
import json, sys
from routing.area import area_memory
from web import create_app, planning
app = create_app({"DATABASE_URL": "sqlite:///" + sys.argv[1], "SECRET_KEY": "warm",
                  "AREA": "karhula-demo", "QUEUE": "immediate", "INSTANCE_PATH": sys.argv[2]})
before = sorted(area_memory())
warmed = planning.warm_up(app)
print(json.dumps({"before": before, "loaded": warmed.areas, "held": sorted(area_memory()),
                  "pyvrp": "pyvrp" in sys.modules,
                  "built": warmed.built and [warmed.built[0], warmed.built[1].isoformat()]}))
"""


def _rows(database) -> dict[str, list]:
    engine = create_engine(f"sqlite:///{database}")
    with engine.connect() as con:
        out = {table: sorted(map(tuple, con.execute(text(f'select * from "{table}"')).all()),
                             key=repr)
               for table in inspect(con).get_table_names()}
    engine.dispose()
    return out


def test_a_starting_worker_loads_its_cooperatives_areas_and_changes_nothing(
        app, tmp_path):  # noqa: F811
    """In a fresh process, as ``web.cli worker`` starts, on a database with a planned day: the
    demo cooperative's area (named on the organisation, not the service's default, which is
    another area) is in memory before the first job, and so is PyVRP, which every forked solve
    then shares; the day of the newest order was built; every table holds what it held."""
    with app.app_context():
        session = db_session(app)
        planning.request(app, session, DAY, "plan")
        assert planning.current_plan(session, DAY) is not None
        newest = session.scalars(select(Order).order_by(Order.id.desc())).first()
        built = [newest.org_id, newest.service_date.isoformat()]
        session.close()
    app.extensions["buurtroute.engine"].dispose()
    database = tmp_path / "copy.sqlite"
    shutil.copy(tmp_path / "demo.sqlite", database)
    before = _rows(database)
    out = subprocess.run([sys.executable, "-c", WARM, str(database), str(tmp_path / "inst2")],
                         capture_output=True, text=True, timeout=300, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"before": [], "loaded": ["helsinki-demo"], "held": ["helsinki-demo"],
                      "pyvrp": True, "built": built}
    assert "warming up" not in out.stderr and "could not be loaded" not in out.stderr
    assert _rows(database) == before
