"""``python -m web.cli init`` and the onboarding commands on an empty database, as a script
would run them: flags and the password on standard input. A bad value is refused with
``field: reason`` and a failing exit code, and nothing of it is stored."""

from __future__ import annotations

import re
import sqlite3
from datetime import date, timedelta

from click.testing import CliRunner

from tests.browser_fixtures import AREA, BAD_ADDRESS, GOOD_ADDRESS
from web.cli import cli


def run(env: dict, *args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, list(args), input=stdin, env=env, catch_exceptions=False)


def rows(database, query: str) -> list[tuple]:
    with sqlite3.connect(database) as con:
        return con.execute(query).fetchall()


def test_init_and_onboarding_commands_on_an_empty_database(tmp_path):
    database = tmp_path / "empty.sqlite"
    env = {"DATABASE_URL": f"sqlite:///{database}", "BUURTROUTE_AREA": AREA,
           "BUURTROUTE_SECRET_KEY": "cli-test", "BUURTROUTE_INSTANCE_PATH": str(tmp_path / "i"),
           "BUURTROUTE_PUBLIC_URL": "https://oost.example.test"}
    bad = run(env, "init", "--slug", "Oost Utrecht", "--name", "Oost", "--coordinator", "coco",
              "--password-stdin", stdin="password-1234\n")
    assert bad.exit_code == 1 and "slug:" in bad.output
    assert rows(database, "select count(*) from organisations") == [(0,)]
    short = run(env, "init", "--slug", "oost", "--name", "Buurtcoöperatie Oost",
                "--coordinator", "coco", "--password-stdin", stdin="short\n")
    assert short.exit_code == 1 and "coordinator:" in short.output
    assert rows(database, "select count(*) from organisations") == [(0,)]  # nothing half
    made = run(env, "init", "--slug", "oost", "--name", "Buurtcoöperatie Oost",
               "--coordinator", "coco", "--password-stdin", stdin="password-1234\n")
    assert made.exit_code == 0, made.output
    assert "Next steps" in made.output
    assert rows(database, "select slug, name from organisations") == [
        ("oost", "Buurtcoöperatie Oost")]
    assert rows(database, "select username, role from users") == [("coco", "coordinator")]
    # interactive: the questions are asked, the existing cooperative is used
    second = run(env, "init", stdin="coco2\npassword-5678\npassword-5678\n")
    assert second.exit_code == 0 and "exists" in second.output
    assert len(rows(database, "select id from users where role = 'coordinator'")) == 2

    partners = rows(database, "select count(*) from partners")
    wrong = run(env, "partner", "add", "Keuken", "--kind", "meal_kitchen", "--pickup-address",
                BAD_ADDRESS, "--hours", "mon=10:00-09:00")
    assert wrong.exit_code == 1
    assert "pickup_address: is not a known address" in wrong.output
    assert "hours_mon: the window must end after it starts" in wrong.output
    assert rows(database, "select count(*) from partners") == partners
    kitchen = run(env, "partner", "add", "Keuken", "--kind", "meal_kitchen", "--pickup-address",
                  GOOD_ADDRESS, "--hours", "mon=10:00-14:00", "--handling", "3")
    assert kitchen.exit_code == 0, kitchen.output
    kitchen_id = int(re.search(r"Partner (\d+)", kitchen.output)[1])
    assert rows(database, f"select opening_hours, handling_minutes from partners where id = "
                          f"{kitchen_id}") == [('{"0": [["10:00", "14:00"]]}', 3)]
    token = run(env, "partner", "token", str(kitchen_id), "--label", "kassa")
    assert token.output.startswith("brt_")
    invite = run(env, "partner", "invite", str(kitchen_id), "keuken")
    assert "https://oost.example.test/link/" in invite.output

    bad_week = run(env, "assistant", "add", "Anna", "--days", "mon,wed,fri", "--hours",
                   "17:00-09:00")
    assert bad_week.exit_code == 1 and "mon_end:" in bad_week.output
    assert rows(database, "select count(*) from assistants") == [(0,)]
    anna = run(env, "assistant", "add", "Anna", "--days", "mon,wed,fri", "--hours",
               "09:00-17:00", "--break", "30", "--break-window", "12:00-13:30", "--start",
               GOOD_ADDRESS)
    assert anna.exit_code == 0, anna.output
    monday = date.today() + timedelta(days=(7 - date.today().weekday()) % 7 or 7)
    shifts = run(env, "shifts", monday.isoformat())
    assert re.search(r"Anna\s+09:00-17:00 \(template\)", shifts.output)
    tuesday = run(env, "shifts", (monday + timedelta(days=1)).isoformat())
    assert "Anna" not in tuesday.output
    sick = run(env, "assistant", "absence", "1", "--kind", "sick", "--from",
               monday.isoformat())
    assert sick.exit_code == 0
    assert "Anna" not in run(env, "shifts", monday.isoformat()).output

    medical = run(env, "resident", "add", "J. de Vries", GOOD_ADDRESS, "--door-note",
                  "2 tabletten")
    assert medical.exit_code == 1 and "door_note:" in medical.output
    assert rows(database, "select count(*) from residents") == [(0,)]
    assert run(env, "resident", "add", "J. de Vries", GOOD_ADDRESS).exit_code == 0
    assert run(env, "user", "link", "nobody").exit_code == 1
    off = run(env, "user", "switch-off", "keuken")
    assert off.exit_code == 0
    assert rows(database, "select active from users where username = 'keuken'") == [(0,)]
