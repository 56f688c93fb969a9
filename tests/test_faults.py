"""Crashes, for real: the planner under waitress in its own process is killed with SIGKILL while
partners' systems submit orders (and while the coordinator plans), then started again on the
same database. Behaviour only (nothing timed); ``bench/faults.py`` is the long version.
"""

from __future__ import annotations

import pytest

from tests.browser_fixtures import (LiveServer, area_addresses, burst_with_kills,
                                    copy_database, kill_during_plan, partner_tokens)
from tests.web_fixtures import DAY, seeded_db, web_area  # noqa: F401 (fixtures by name)


@pytest.fixture
def server(tmp_path, seeded_db):
    database = copy_database(seeded_db[0], tmp_path / "live.sqlite")
    live = LiveServer(database, tmp_path, threads=4).start()
    yield live
    live.stop()


def test_sigkill_during_a_burst_loses_and_duplicates_nothing(server, seeded_db):
    tokens = partner_tokens(server.database, seeded_db[1])
    server.warm_up(tokens[0][1])
    result = burst_with_kills(server, tokens, area_addresses(40), DAY, clients=3,
                              per_client=40, kills=2, down_for=0.3)
    assert result["kills"][-1]["acknowledged_before_kill"] < result["orders_sent"], \
        "the kill came after the burst: it proved nothing"
    assert result["retries"] >= 1, "no request met the dead server: the kill proved nothing"
    assert result["refused"] == 0, result["statuses"]
    assert result["never_acknowledged"] == 0, result
    assert result["acknowledged"] == result["orders_sent"]
    assert result["lost"] == 0 and result["duplicates"] == 0, result
    assert result["stored"] == result["acknowledged"]
    assert result["integrity_check"] == "ok"
    assert result["orders_without_history"] == 0 and result["orders_without_resident"] == 0
    assert result["dangling_idempotency_keys"] == 0


def test_sigkill_during_a_plan_leaves_no_half_plan_and_planning_runs_again(server, seeded_db):
    tokens = partner_tokens(server.database, seeded_db[1])
    server.warm_up(tokens[0][1])
    result = kill_during_plan(server, DAY)
    assert result["available"], result
    assert result["half_written_plans"] == 0, result
    assert result["day_page_status"] == 200
    assert result["rerun_status"] in (200, 302, 303), result
    assert result["plans_after_rerun"] > result["plans_after_kill"]
    assert result["current_plans"] == 1, "more than one current plan for the day"
    assert result["integrity_check"] == "ok"


def test_simultaneous_orders_for_one_new_resident_are_all_accepted(server, seeded_db):
    """Two partners (or two tills of one) send an order for the same new resident at the same
    moment: both are real orders and both must be stored, sharing one resident — not a 500,
    not a 409 that makes a partner's system drop one."""
    import threading

    import requests

    from tests.browser_fixtures import bearer, partner_payload

    tokens = partner_tokens(server.database, seeded_db[1])
    server.warm_up(tokens[0][1])
    statuses: list[int] = []
    for round_ in range(8):
        barrier = threading.Barrier(4)

        def send(i: int, round_: int, barrier: threading.Barrier) -> None:
            kind, token = tokens[i % len(tokens)]
            body = partner_payload(kind, f"R{round_}-{i}", "Unioninkatu 29", DAY,
                                   with_reference=False)
            body["recipient"] = f"S. Gelijktijdig {round_}"
            barrier.wait(timeout=30)
            statuses.append(requests.post(server.url + "/api/v1/orders", json=body,
                                          headers=bearer(token), timeout=60).status_code)

        threads = [threading.Thread(target=send, args=(i, round_, barrier)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    from collections import Counter

    assert statuses.count(201) == len(statuses) == 32, Counter(statuses)
    import sqlite3

    with sqlite3.connect(server.database) as con:
        residents = con.execute("select name, count(*) from residents where name like "
                                "'S. Gelijktijdig %' group by name").fetchall()
    assert len(residents) == 8 and all(count == 1 for _, count in residents)
