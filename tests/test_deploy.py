"""Running Buurtroute for many cooperatives: compose.yaml and the Dockerfile name real commands
and settings, and web processes hold nothing between requests that another process lacks.

Docker itself is not needed: compose.yaml is read with PyYAML and its commands are run as the
containers would run them, on a live PostgreSQL and Redis (tests/pg_fixtures.py,
tests/redis_fixtures.py) — a migrate step, then two gunicorn servers standing in for two
machines.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
import yaml
from sqlalchemy import func, select

from tests.browser_fixtures import HOST, free_port
from tests.redis_fixtures import redis_url  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
APP_SERVICES = ("migrate", "web", "worker")
PASSWORD = "een lang en geheim wachtwoord"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def env_example() -> dict[str, str]:
    lines = (ROOT / "deploy.env.example").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text(encoding="utf-8")


def test_compose_runs_web_worker_postgres_and_redis_from_one_image():
    assert set(SERVICES) == {"migrate", "web", "worker", "postgres", "redis"}
    for name in APP_SERVICES:
        assert SERVICES[name]["build"] == "." and SERVICES[name]["env_file"] == ".env"
    assert SERVICES["postgres"]["image"].startswith("postgres:")
    assert SERVICES["redis"]["image"].startswith("redis:")
    assert any(v.endswith(":/var/lib/postgresql/data") for v in SERVICES["postgres"]["volumes"])
    for name in ("web", "worker"):  # the schema is brought up to date first, once
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == \
            "service_completed_successfully"


def test_app_commands_are_real_cli_commands_with_real_options():
    import click

    from web.cli import cli

    for name in ("migrate", "worker"):
        command = SERVICES[name]["command"]
        assert command[:3] == ["python", "-m", "web.cli"]
        sub = cli.commands[command[3]]
        options = {opt for p in sub.params if isinstance(p, click.Option) for opt in p.opts}
        assert {a for a in command[4:] if a.startswith("--")} <= options
    with pytest.raises(SystemExit) as done:  # click parses the options as the container would
        cli.main(SERVICES["worker"]["command"][3:] + ["--help"], standalone_mode=True)
    assert done.value.code == 0


def test_web_runs_gunicorn_on_the_app_factory_as_the_image_does():
    from gunicorn.config import Config

    command = SERVICES["web"]["command"]
    assert command[0] == "gunicorn" and command[-1] == "web:create_app()"
    parsed = Config().parser().parse_args(command[1:])  # gunicorn refuses unknown options
    assert parsed.workers >= 2 and parsed.bind == ["0.0.0.0:8000"]
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile(), re.M)
    assert cmd and yaml.safe_load(cmd[1]) == command
    assert "gunicorn" in " ".join(_dependencies())


def test_every_setting_compose_passes_is_one_the_app_reads():
    from web import DEFAULTS
    from web.jobs import QUEUES

    area_source = (ROOT / "routing" / "area.py").read_text(encoding="utf-8")
    for name in APP_SERVICES:
        for key, value in SERVICES[name]["environment"].items():
            if key == "DATABASE_URL":
                assert value.startswith("postgresql://")
            elif f'"{key}"' in area_source:  # read by routing.area itself
                assert key.startswith("BUURTROUTE_AREA")
            else:
                assert key.startswith("BUURTROUTE_") and key.removeprefix("BUURTROUTE_") \
                    in DEFAULTS, f"{name}: {key} is not a setting of the app"
        assert SERVICES[name]["environment"]["BUURTROUTE_QUEUE"] in QUEUES


def test_secrets_come_from_the_env_file_never_from_the_repository():
    example = env_example()
    assert example == {"BUURTROUTE_SECRET_KEY": "", "POSTGRES_PASSWORD": ""}
    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    assert set(re.findall(r"\$\{(\w+)", text)) <= set(example)
    for service in SERVICES.values():
        for key, value in service.get("environment", {}).items():
            if "SECRET" in key or "PASSWORD" in key:
                assert re.fullmatch(r"\$\{\w+:\?[^}]*\}", value), key
    database = SERVICES["web"]["environment"]["DATABASE_URL"]
    assert re.match(r"postgresql://buurtroute:\$\{POSTGRES_PASSWORD:\?[^}]*\}@", database)
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    assert ".env" in (ROOT / ".dockerignore").read_text().split()


def test_dockerfile_installs_real_packages_runs_as_a_user_and_prepares_the_areas():
    from routing.cli import main as routing_cli

    text = dockerfile()
    assert re.findall(r"^FROM (\S+)$", text, re.M) == ["python:3.11-slim"]
    packages = re.search(r"apt-get install -y --no-install-recommends \\\n(.*?)&&", text, re.S)[1]
    names = packages.replace("\\", " ").split()
    assert "fonts-dejavu-core" in names and "libpango-1.0-0" in names  # web/pdf.py's needs
    for name in names:  # real Debian packages (this machine is Debian, like the image)
        found = subprocess.run(["apt-cache", "show", name], capture_output=True, text=True)
        assert found.returncode == 0 and f"Package: {name}" in found.stdout, name
    user = re.findall(r"^USER (\S+)$", text, re.M)
    assert user and user[-1] != "root"
    assert text.index("USER buurtroute") < text.index("python -m routing.cli prepare")
    for command in re.findall(r"python -m routing\.cli (\w+)", text):
        with pytest.raises(SystemExit) as done:
            routing_cli([command, "--help"])
        assert done.value.code == 0
    assert "HEALTHCHECK" in text and "/api/v1/openapi.json" in text


def _dependencies() -> list[str]:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


# --- the stack, run as compose runs it ---------------------------------------------------------

def container_env(database_url: str, redis: str, workdir: Path) -> dict:
    """The app containers' environment: compose's, with the addresses of this machine's
    PostgreSQL and Redis, and the values an operator puts in .env."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("BUURTROUTE_") and k != "DATABASE_URL"}
    env.update({k: str(v) for k, v in SERVICES["web"]["environment"].items()})
    env.update({"DATABASE_URL": database_url, "BUURTROUTE_REDIS_URL": redis,
                "BUURTROUTE_SECRET_KEY": "one key for every machine", "PYTHONPATH": str(ROOT),
                "BUURTROUTE_INSTANCE_PATH": str(workdir / "instance")})
    return env


def run_service(name: str, env: dict, *extra: str, stdin: str | None = None) -> str:
    command = SERVICES[name]["command"]
    command = [sys.executable if command[0] == "python" else command[0], *command[1:], *extra]
    done = subprocess.run(command, env=env, cwd=ROOT, input=stdin, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, f"{shlex.join(command)}: {done.stderr}"
    return done.stdout


class Gunicorn:
    """The web service's command on a loopback port: one 'machine' of the web tier."""

    def __init__(self, env: dict, workdir: Path):
        command = list(SERVICES["web"]["command"])
        command[command.index("--bind") + 1] = f"{HOST}:{free_port()}"
        self.url = "http://" + command[command.index("--bind") + 1]
        self.log = workdir / f"gunicorn-{self.url.rsplit(':', 1)[1]}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", *command[1:]], env=env, cwd=ROOT,
                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if requests.get(self.url + "/api/v1/openapi.json", timeout=10).ok:
                    return
            except requests.RequestException:  # not listening yet, or its workers booting
                time.sleep(0.2)
        raise AssertionError(f"gunicorn did not answer: {self.log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def token_from(response) -> str:
    match = CSRF.search(response.text)
    assert match, response.text[:500]
    return match[1]


@pytest.fixture()
def two_web_machines(pg_database, redis_url, tmp_path):  # noqa: F811
    env = container_env(pg_database, redis_url, tmp_path)
    assert "upgraded" in run_service("migrate", env)
    subprocess.run([sys.executable, "-m", "web.cli", "create-organisation", "oost", "Oost"],
                   env=env, cwd=ROOT, check=True, capture_output=True, text=True, timeout=120)
    subprocess.run([sys.executable, "-m", "web.cli", "create-coordinator", "coord",
                    "--password-stdin"], env=env, cwd=ROOT, input=PASSWORD + "\n", check=True,
                   capture_output=True, text=True, timeout=120)
    servers = []
    try:
        servers = [Gunicorn(env, tmp_path), Gunicorn(env, tmp_path)]
        yield servers
    finally:
        for server in servers:
            server.stop()


def test_a_session_and_its_csrf_token_from_one_web_process_work_on_another(two_web_machines):
    a, b = two_web_machines
    browser = requests.Session()
    page = browser.get(a.url + "/login")
    answer = browser.post(a.url + "/login", data={"username": "coord", "password": PASSWORD,
                                                  "csrf_token": token_from(page)},
                          allow_redirects=False)
    assert answer.status_code == 302 and "/coordinator" in answer.headers["Location"]
    for _ in range(6):  # both gunicorn workers of B: each a process that never saw the login
        day = browser.get(b.url + "/coordinator/", allow_redirects=False)
        assert day.status_code == 200, day.headers.get("Location")
    token = token_from(browser.get(a.url + "/coordinator/"))
    switched = browser.post(b.url + "/lang/en", data={"csrf_token": token},
                            allow_redirects=False)
    assert switched.status_code == 302
    assert browser.post(b.url + "/logout", data={"csrf_token": token},
                        allow_redirects=False).status_code == 302
    assert browser.get(a.url + "/coordinator/", allow_redirects=False).status_code == 302


def test_failed_logins_on_one_web_process_are_counted_on_another(two_web_machines):
    a, b = two_web_machines
    for server in (a, b, a, b, a):  # five failures, spread over the two machines
        browser = requests.Session()
        page = browser.get(server.url + "/login")
        wrong = browser.post(server.url + "/login", data={
            "username": "coord", "password": "fout", "csrf_token": token_from(page)})
        assert wrong.status_code == 401
    browser = requests.Session()
    page = browser.get(b.url + "/login")
    throttled = browser.post(b.url + "/login", data={
        "username": "coord", "password": PASSWORD, "csrf_token": token_from(page)})
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1


def test_a_key_generated_per_machine_is_refused_with_the_several_machines_queue(tmp_path):
    from web import create_app

    with pytest.raises(ValueError, match="BUURTROUTE_SECRET_KEY"):
        create_app({"DATABASE_URL": "sqlite://", "QUEUE": "redis", "REDIS_URL": "redis://x",
                    "SECRET_KEY": None, "INSTANCE_PATH": str(tmp_path)})
    assert not (tmp_path / "secret_key").exists()


def test_the_daily_cap_holds_when_two_processes_take_the_last_order_at_once(pg_app_factory, area):
    """Two sessions stand in for two web processes at the cap's last free order: the second
    counts only after the first has committed, so it sees the cap reached."""
    from web import orders
    from web.i18n import english
    from web.store import Order, Partner
    from tests.test_web_api import new_order
    from tests.web_fixtures import DAY, db_session

    app = pg_app_factory()
    first, second = db_session(app), db_session(app)
    try:
        partner = first.scalar(select(Partner).where(Partner.kind == "pharmacy")
                               .order_by(Partner.id))
        cap = 1 + first.scalar(select(func.count(Order.id)).where(
            Order.partner_id == partner.id, Order.service_date == DAY,
            Order.status != "cancelled"))
        assert orders.over_daily_cap(first, partner, DAY, cap, english) is None
        draft, errors = orders.validate(new_order(area), partner, area, DAY, english)
        assert not errors
        orders.create(first, partner, draft)
        first.flush()
        answer = {}
        other = second.get(Partner, partner.id)
        counting = threading.Thread(target=lambda: answer.setdefault(
            "reason", orders.over_daily_cap(second, other, DAY, cap, english)))
        counting.start()
        counting.join(2)
        assert counting.is_alive()  # waits for the first process's transaction
        first.commit()
        counting.join(30)
        assert f"the limit is {cap} orders a day" in answer["reason"]
    finally:
        second.rollback()
        first.close()
        second.close()
