"""Faults: SIGKILL the production server during a burst of submissions and during a plan.

waitress serves the planner from a child process on 127.0.0.1 on a fresh seeded SQLite file.
Partners' clients keep submitting (idempotency keys, retries with the same key) while the
server is killed with SIGKILL — no shutdown handler runs, as in a crash or an OOM kill — and
restarted on the same database and port. Then: every acknowledged order must be in the
database once, every order must end acknowledged, the database must pass its integrity check
and hold no half order. For planning: kill mid-plan, restart, the day shows no half-written
plan, and planning runs again (when the web app has a planning route).

    .venv/bin/python bench/faults.py [--clients 6] [--per-client 150] [--kills 3]

Writes ``bench/results/faults.json``. Only loopback; every loop is bounded.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser_fixtures import (LiveServer, area_addresses, burst_with_kills,  # noqa: E402
                                    kill_during_plan, partner_tokens, seed_database)

RESULTS = ROOT / "bench" / "results"


def run(clients: int, per_client: int, kills: int) -> dict:
    day = date.today()
    with tempfile.TemporaryDirectory(prefix="buurtroute-faults-") as folder:
        folder = Path(folder)
        database, accounts = seed_database(folder, day)
        tokens = partner_tokens(database, accounts)
        addresses = area_addresses(200)
        server = LiveServer(database, folder).start()
        try:
            server.warm_up(tokens[0][1])
            burst = burst_with_kills(server, tokens, addresses, day, clients=clients,
                                     per_client=per_client, kills=kills, down_for=0.5)
            server.warm_up(tokens[0][1])
            plan = kill_during_plan(server, day)
        finally:
            server.stop()
    return {"burst": burst, "plan": plan}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--per-client", type=int, default=150)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS / "faults.json")
    args = parser.parse_args()
    result = run(args.clients, args.per_client, args.kills)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    burst = result["burst"]
    ok = (burst["lost"] == 0 and burst["duplicates"] == 0 and burst["never_acknowledged"] == 0
          and burst["integrity_check"] == "ok")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
