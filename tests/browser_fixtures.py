"""Shared helpers for the end-to-end tests and benchmarks: a seeded demo database, the planner
served by the production WSGI server (waitress) in its own process on a loopback port, and the
route/role table the access-control tests walk.

The server runs as a real subprocess so that tests can kill it (SIGKILL) and start it again on
the same SQLite file, and so that a browser talks to it over real HTTP. Only 127.0.0.1 is used.
Import from here in test modules and from ``bench/*.py`` (which put the repo root on sys.path);
the fixtures ``browser`` and ``live`` are imported by name into the browser tests' modules.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import pytest
import requests

from tests.web_fixtures import DAY

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
AREA = "helsinki-demo"
PASSWORD = "demo-password-for-tests"
ARTIFACTS = ROOT / "test-artifacts"
#: A real address of the demo area and one that is not (used by journeys and benches).
GOOD_ADDRESS = "Unioninkatu 29"
BAD_ADDRESS = "Unioninkatu 9999"


def seed_database(folder: Path, day: date | None = None, password: str = PASSWORD):
    """A fresh SQLite file in ``folder`` holding the demo day; returns (path, DemoAccounts)."""
    from web import create_app
    from web.db import new_session
    from web.demo import seed

    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "seeded.sqlite"
    app = create_app({"DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "seed",
                      "AREA": AREA, "INSTANCE_PATH": str(folder / "seed-instance")})
    from routing.area import load_area

    with app.app_context():
        session = new_session()
        accounts = seed(session, load_area(AREA), day or DAY, password=password)
        session.close()
    app.extensions["buurtroute.engine"].dispose()
    return database, accounts


def copy_database(source: Path, target: Path) -> Path:
    """Copy a (checkpointed) SQLite file; the -wal/-shm files come along when present."""
    shutil.copy(source, target)
    for suffix in ("-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{target}{suffix}")
    return target


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    """The planner under waitress in a child process, on 127.0.0.1 and a free port."""

    database: Path
    workdir: Path
    threads: int = 8
    port: int = field(default_factory=free_port)
    extra_env: dict = field(default_factory=dict)
    process: subprocess.Popen | None = None
    #: A planning worker beside the server, as ``make run`` starts one (same env and queue).
    with_worker: bool = True
    worker: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BUURTROUTE_")}
        env.pop("DATABASE_URL", None)
        env.update({"DATABASE_URL": f"sqlite:///{self.database}",
                    "BUURTROUTE_AREA": AREA,
                    # the day the database was seeded for, also between 23:00 and 24:00 UTC
                    # when Amsterdam (the app's "today") is a day ahead of this machine
                    "BUURTROUTE_TODAY": DAY.isoformat(),
                    "BUURTROUTE_SECRET_KEY": "live-server-secret",
                    "BUURTROUTE_INSTANCE_PATH": str(self.workdir / "instance"),
                    "PYTHONPATH": str(ROOT), **self.extra_env})
        return env

    def start_worker(self) -> subprocess.Popen:
        log = open(self.workdir / f"worker-{self.port}.log", "ab")
        self.worker = subprocess.Popen([sys.executable, "-m", "web.cli", "worker"],
                                       env=self.env(), cwd=ROOT, stdout=log,
                                       stderr=subprocess.STDOUT)
        log.close()
        return self.worker

    def kill_worker(self) -> None:
        """SIGKILL the planning worker (a crash mid-run)."""
        if self.worker is not None and self.worker.poll() is None:
            self.worker.send_signal(signal.SIGKILL)
            self.worker.wait(timeout=30)

    def command(self) -> list[str]:
        """waitress serving the app factory (``make run`` serves the same app the same way)."""
        return [sys.executable, "-m", "waitress", f"--host={HOST}", f"--port={self.port}",
                f"--threads={self.threads}", "--ident=buurtroute", "--call", "web:create_app"]

    def start(self, timeout: float = 90.0) -> "LiveServer":
        if self.with_worker and (self.worker is None or self.worker.poll() is not None):
            self.start_worker()
        log = open(self.workdir / f"server-{self.port}.log", "ab")
        self.process = subprocess.Popen(self.command(), env=self.env(), cwd=ROOT, stdout=log,
                                        stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}; see "
                                   f"{self.workdir}/server-{self.port}.log")
            try:
                if requests.get(self.url + "/api/v1/openapi.json", timeout=2).ok:
                    return self
            except (requests.ConnectionError, requests.Timeout):  # not listening, or starting
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("the server did not answer in time")

    def warm_up(self, token: str) -> None:
        """Load the area (the first request that needs it pays for it)."""
        requests.post(self.url + "/api/v1/addresses/check", json={"query": GOOD_ADDRESS},
                      headers={"Authorization": f"Bearer {token}"}, timeout=120)

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, exactly like a crash or the OOM killer."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            self.worker.terminate()
            try:
                self.worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill_worker()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def order_payload(reference: str, day: date, address: str = GOOD_ADDRESS, **changes) -> dict:
    """A valid medicine order for a pharmacy of the demo day."""
    return {"recipient": "J. Test", "address": address, "kind": "medicine",
            "service_date": day.isoformat(), "reference": reference,
            "windows": [{"start": "10:00", "end": "12:00"}], **changes}


def orders_in(database: Path, partner_name: str | None = None) -> list[tuple]:
    """(id, partner, reference, status) of every order in ``database``, read with sqlite3."""
    import sqlite3

    with sqlite3.connect(database, timeout=30) as con:
        query = ("select o.id, p.name, o.reference, o.status from orders o join partners p "
                 "on p.id = o.partner_id")
        rows = con.execute(query + (" where p.name = ?" if partner_name else ""),
                           (partner_name,) if partner_name else ()).fetchall()
    return rows


# --- clients that submit orders the way a partner's system should: keys and retries ----------

KIND_OF_PARTNER = {"pharmacy": "medicine", "meal_kitchen": "meal", "parcel_point": "parcel",
                   "cooperative": "visit"}


def area_addresses(count: int) -> list[str]:
    """Real addresses inside the demo area's buurten (what partners would send)."""
    from routing.area import load_area

    area = load_area(AREA)
    out = []
    for label in sorted(area.geocoder.suggest("a", limit=5000)):
        try:
            if area.geocoder.lookup(label).buurt is not None:
                out.append(label)
        except ValueError:
            continue
        if len(out) == count:
            break
    return out


def partner_payload(kind: str, tag: str, address: str, day: date, with_reference: bool) -> dict:
    """A valid order of ``kind``; ``tag`` (in the note) finds it in the database afterwards."""
    body = {"recipient": "T. Load", "address": address, "kind": kind,
            "service_date": day.isoformat(), "note": f"load {tag}"}
    if kind == "meal":
        body["windows"] = [{"start": "11:30", "end": "12:30"}]
    elif kind == "visit":
        body["windows"] = [{"start": "14:00", "end": "17:00"}]
    else:
        body["windows"] = [{"start": "10:00", "end": "16:00"}]
    if with_reference:
        body["reference"] = tag
    return body


@dataclass
class Outcome:
    """What one client saw: acknowledged tags → order id, latencies of answered requests."""

    acknowledged: dict = field(default_factory=dict)
    latencies_ms: list = field(default_factory=list)
    attempts: int = 0
    retries: int = 0
    replays: int = 0
    replay_mismatches: int = 0
    refused: dict = field(default_factory=dict)  # status → count (a refusal is not a loss)
    gave_up: list = field(default_factory=list)  # tags never acknowledged after all retries
    statuses: dict = field(default_factory=dict)


def submit(url: str, token: str, body: dict, tag: str, outcome: Outcome, session,
           max_tries: int = 60, timeout: float = 10.0, resend: bool = False,
           should_stop=lambda: False) -> None:
    """POST one order with an Idempotency-Key, retrying on connection errors, timeouts and
    5xx with the same key and body until it is acknowledged (201) or refused (4xx).
    ``resend``: send it once more after the 201, as a client that missed the answer would."""
    import random
    import uuid

    key = str(uuid.uuid4())
    headers = {**bearer(token), "Idempotency-Key": key}
    delay = 0.05
    for attempt in range(max_tries):
        outcome.attempts += 1
        if attempt:
            outcome.retries += 1
        started = time.perf_counter()
        try:
            response = session.post(url + "/api/v1/orders", json=body, headers=headers,
                                    timeout=timeout)
        except requests.RequestException:
            if should_stop() and attempt > 3:
                break
            time.sleep(delay + random.random() * delay)
            delay = min(delay * 2, 1.0)
            continue
        outcome.latencies_ms.append((time.perf_counter() - started) * 1000)
        outcome.statuses[response.status_code] = outcome.statuses.get(response.status_code, 0) + 1
        if response.status_code == 201:
            order_id = response.json()["id"]
            outcome.acknowledged[tag] = order_id
            if resend:
                again = session.post(url + "/api/v1/orders", json=body, headers=headers,
                                     timeout=timeout)
                outcome.replays += 1
                if again.status_code != 201 or again.json()["id"] != order_id:
                    outcome.replay_mismatches += 1
            return
        if 400 <= response.status_code < 500:
            outcome.refused[response.status_code] = outcome.refused.get(
                response.status_code, 0) + 1
            return
        time.sleep(delay)  # 5xx (e.g. the database was busy): the same key again
        delay = min(delay * 2, 1.0)
    outcome.gave_up.append(tag)


def stored_tags(database: Path, prefix: str) -> dict[str, int]:
    """tag → how many orders carry it (more than 1 is a duplicate)."""
    import sqlite3

    with sqlite3.connect(database, timeout=30) as con:
        rows = con.execute("select note from orders where note like ?",
                           (f"load {prefix}%",)).fetchall()
    counts: dict[str, int] = {}
    for (note,) in rows:
        tag = note.removeprefix("load ")
        counts[tag] = counts.get(tag, 0) + 1
    return counts


def integrity(database: Path) -> dict:
    """SQLite's own check and the store's invariants: no order without its resident or its
    first history line, no idempotency record pointing nowhere."""
    import sqlite3

    with sqlite3.connect(database, timeout=30) as con:
        return {
            "integrity_check": con.execute("pragma integrity_check").fetchone()[0],
            "orders_without_history": con.execute(
                "select count(*) from orders o where not exists (select 1 from order_events e "
                "where e.order_id = o.id)").fetchone()[0],
            "orders_without_resident": con.execute(
                "select count(*) from orders o left join residents r on r.id = o.resident_id "
                "where r.id is null").fetchone()[0],
            "dangling_idempotency_keys": con.execute(
                "select count(*) from idempotency_keys k left join orders o on o.id = "
                "k.order_id where o.id is null").fetchone()[0],
        }


def partner_tokens(database: Path, accounts) -> list[tuple[str, str]]:
    """(order kind, token) for every demo partner."""
    import sqlite3

    with sqlite3.connect(database) as con:
        kinds = dict(con.execute("select name, kind from partners").fetchall())
    return [(KIND_OF_PARTNER[kinds[name]], token) for name, token in accounts.tokens.items()]


def burst_with_kills(server: LiveServer, tokens: list[tuple[str, str]], addresses: list[str],
                     day: date, clients: int = 4, per_client: int = 40, kills: int = 1,
                     down_for: float = 0.5, prefix: str = "K") -> dict:
    """``clients`` partners each submit ``per_client`` orders (keys, retries) while the server
    is SIGKILLed ``kills`` times — spread over the burst, each once a further share of the
    orders has been acknowledged — and restarted on the same database and port. Returns what
    the clients saw and what the database holds."""
    import threading

    outcomes = [Outcome() for _ in range(clients)]
    done = threading.Event()

    def client(index: int) -> None:
        kind, token = tokens[index % len(tokens)]
        with requests.Session() as session:
            for n in range(per_client):
                tag = f"{prefix}{index:02d}-{n:05d}"
                body = partner_payload(kind, tag, addresses[(index * 7 + n) % len(addresses)],
                                       day, with_reference=n % 2 == 0)
                submit(server.url, token, body, tag, outcomes[index], session, max_tries=400,
                       timeout=5.0)

    workers = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for w in workers:
        w.start()
    kill_log = []
    total = clients * per_client
    for k in range(kills):
        target = total * (k + 1) // (kills + 1)
        deadline = time.monotonic() + 120
        while (sum(len(o.acknowledged) for o in outcomes) < target
               and time.monotonic() < deadline):
            time.sleep(0.01)
        acknowledged_before = sum(len(o.acknowledged) for o in outcomes)
        server.kill()
        kill_log.append({"acknowledged_before_kill": acknowledged_before})
        time.sleep(down_for)
        started = time.monotonic()
        server.start()
        kill_log[-1]["restart_s"] = round(time.monotonic() - started, 2)
    for w in workers:
        w.join(timeout=600)
    done.set()
    stored = stored_tags(server.database, prefix)
    acknowledged = {t for o in outcomes for t in o.acknowledged}
    return {
        "clients": clients, "orders_sent": clients * per_client, "kills": kill_log,
        "acknowledged": len(acknowledged), "stored": sum(stored.values()),
        "lost": len(acknowledged - set(stored)),
        "duplicates": sum(c - 1 for c in stored.values() if c > 1),
        "never_acknowledged": sum(len(o.gave_up) for o in outcomes),
        "refused": sum(sum(o.refused.values()) for o in outcomes),
        "retries": sum(o.retries for o in outcomes),
        "statuses": {str(k): sum(o.statuses.get(k, 0) for o in outcomes)
                     for k in sorted({k for o in outcomes for k in o.statuses})},
        **integrity(server.database),
    }


@lru_cache(maxsize=1)
def url_rules() -> tuple:
    """(endpoint, rule, methods, arguments) of every route the app has today."""
    from web import create_app

    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x", "AREA": AREA,
                      "AUTO_MIGRATE": False, "INSTANCE_PATH": "/tmp/buurtroute-probe"})
    return tuple((r.endpoint, r.rule, frozenset(r.methods), frozenset(r.arguments))
                 for r in app.url_map.iter_rules())


def has_pages(blueprint: str) -> bool:
    return any(endpoint.startswith(blueprint + ".") for endpoint, *_ in url_rules())


def plan_endpoint() -> str | None:
    """The coordinator's 'plan the day' route (POST), once the web app has one."""
    for endpoint, rule, methods, arguments in url_rules():
        if (endpoint.startswith("coordinator.") and "plan" in endpoint and "POST" in methods
                and not arguments):
            return rule
    return None


def coordinator_session(url: str, password: str = PASSWORD) -> tuple[requests.Session, str]:
    """A logged-in coordinator over HTTP and a CSRF token for its forms."""
    import re

    session = requests.Session()
    page = session.get(url + "/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    response = session.post(url + "/login", data={"username": "coordinator",
                                                 "password": password, "csrf_token": token},
                            timeout=30)
    response.raise_for_status()
    page = session.get(url + "/coordinator/", timeout=60).text
    return session, re.search(r'name="csrf-token" content="([^"]+)"', page)[1]


def assistant_session(url: str, username: str, password: str = PASSWORD
                      ) -> tuple[requests.Session, str]:
    """A logged-in assistant over HTTP and the CSRF token the round page's script sends with
    its JSON marks (``X-CSRFToken``)."""
    import re

    session = requests.Session()
    page = session.get(url + "/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    session.post(url + "/login", data={"username": username, "password": password,
                                       "csrf_token": token}, timeout=30).raise_for_status()
    page = session.get(url + "/assistant/", timeout=60).text
    return session, re.search(r'name="csrf-token" content="([^"]+)"', page)[1]


def plans_in(database: Path) -> list[tuple]:
    import sqlite3

    with sqlite3.connect(database, timeout=30) as con:
        # a "running"/"failed" row is a run, not a plan: only finished plans are shown
        return con.execute("select id, superseded, payload from plans where status = 'done' "
                           "order by id").fetchall()


def kill_during_plan(server: LiveServer, day: date, kill_after: float = 0.3) -> dict:
    """Start planning the day, SIGKILL the server and its worker mid-plan, restart both; then
    the day page must show no half-written plan and planning must run again."""
    import json as _json
    import threading

    path = plan_endpoint()
    if path is None:
        return {"available": False, "reason": "the web app has no coordinator planning route"}
    session, token = coordinator_session(server.url)
    form = {"csrf_token": token, "date": day.isoformat(), "service_date": day.isoformat()}
    before = plans_in(server.database)

    def plan() -> None:
        try:
            session.post(server.url + path, data=form, timeout=120)
        except requests.RequestException:
            pass

    thread = threading.Thread(target=plan)
    thread.start()
    time.sleep(kill_after)
    server.kill()
    server.kill_worker()  # the run is on the worker: kill it mid-run too
    thread.join(timeout=120)
    after_kill = plans_in(server.database)
    server.start()
    session, token = coordinator_session(server.url)
    page = session.get(server.url + f"/coordinator/?date={day}", timeout=60)
    half = [pid for pid, _, payload in after_kill
            if not isinstance(_json.loads(payload or "{}"), dict)
            or "routes" not in _json.loads(payload or "{}")]
    rerun = session.post(server.url + path, data={**form, "csrf_token": token}, timeout=300)
    for _ in range(600):  # planning runs in the background: wait until it is no longer running
        status = session.get(server.url + f"/coordinator/plan/status?date={day}", timeout=60)
        if status.json()["status"] != "running" and not status.json().get("pending"):
            break
        time.sleep(0.5)
    final = plans_in(server.database)
    return {"available": True, "plans_before": len(before), "plans_after_kill": len(after_kill),
            "half_written_plans": len(half), "day_page_status": page.status_code,
            "rerun_status": rerun.status_code, "plans_after_rerun": len(final),
            "current_plans": sum(1 for _, superseded, _ in final if not superseded),
            **integrity(server.database)}


# --- a real Chromium (Debian's, headless, driven by Playwright) -------------------------------

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser():
    """The module's browser: Debian's Chromium, or a failure that says how to install it."""
    import playwright.sync_api as playwright_api

    assert CHROMIUM.exists(), "apt-get install chromium (.ci/run does)"
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def live(request, tmp_path_factory, seeded_db):
    """The demo day served by waitress beside a planning worker, on the module's own copy of
    the seeded database (import ``seeded_db`` from tests.web_fixtures beside it). The module's
    ``LIVE_ENV`` (a dict, optional) adds settings: a pinned clock, a planning budget."""
    name = request.module.__name__.rsplit(".", 1)[-1]
    folder = tmp_path_factory.mktemp(name)
    database = copy_database(seeded_db[0], folder / "live.sqlite")
    server = LiveServer(database, folder, threads=4,
                        extra_env=dict(getattr(request.module, "LIVE_ENV", {}))).start()
    yield server
    server.stop()


def wait_for_plan(client, url: str, day: date, tries: int = 600) -> dict:
    """Poll the day's planning status (as the day page does) until the worker has a plan and
    nothing runs or waits; answers the last status. ``client`` is a requests session or a
    Playwright page's ``request``: both ``get(url).json()``."""
    for _ in range(tries):
        status = client.get(f"{url}/coordinator/plan/status?date={day.isoformat()}").json()
        if status["plan_id"] and status["status"] != "running" and not status["pending"]:
            break
        time.sleep(0.3)
    return status


def plan_and_wait(server: LiveServer, day: date) -> dict:
    """The coordinator plans ``day`` (the day page's button, over HTTP) and waits for the
    worker's run; answers the final status."""
    session, token = coordinator_session(server.url)
    session.post(server.url + "/coordinator/plan", data={"csrf_token": token,
                                                         "service_date": day.isoformat()})
    return wait_for_plan(session, server.url, day)


def submit_order_form(page, recipient: str, address: str, day: date,
                      window: tuple[str, str] = ("10:00", "12:00")) -> None:
    """Fill the partner's open order form (a medicine) as a person would, and send it."""
    page.locator("#f-recipient").fill(recipient)
    page.locator("#f-address").fill(address)
    page.locator("#f-service_date").fill(day.isoformat())
    page.locator("#f-window1_start").fill(window[0])
    page.locator("#f-window1_end").fill(window[1])
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()


def log_in(page, live: LiveServer, username: str, password: str = PASSWORD) -> None:
    """Log in through the login page, as a person would (Dutch or English labels)."""
    import re

    page.goto(live.url + "/login")
    page.get_by_label(re.compile("Gebruikersnaam|Username")).fill(username)
    page.get_by_label(re.compile("Wachtwoord|Password")).fill(password)
    page.get_by_role("button", name=re.compile("Inloggen|Log in")).click()
    page.wait_for_load_state()
    assert "/login" not in page.url, f"{username} could not log in"
